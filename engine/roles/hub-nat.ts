// NAT for remote-access clients on the headend (F-SRV-09, seed S3:319-332, S3:616-629): full-tunnel
// clients reach the internet through the hub, translated to its outside address.
//
//   ip access-list extended NAT / permit ip 192.168.10.0 0.0.0.255 any
//   ip nat inside source list NAT interface GigabitEthernet1 overload
//   interface GigabitEthernet1 / ip nat outside;  interface Virtual-Template1 / ip nat inside
//
// becomes `nat: {outside: eth1, source-list: NAT}` plus `ip nat inside` in the template's
// interface-config. As on IOS only traffic that came in on an inside interface is translated: the
// virtual-access interfaces are marked inside in the mangle table, and POSTROUTING masquerades
// marked packets leaving the outside interface that the list permits (deny entries are skipped).

import { buildAccessList } from '../daemon/access-list.ts';
import type { AddressMatch } from '../daemon/access-list.ts';

export interface HubNatConfig {
  outside: string;
  'source-list': string;
}

/** The netfilter mark of packets that entered on an `ip nat inside` interface. */
export const NAT_INSIDE_MARK = '0x4e41/0xffff';

type Located = Error & { path: (string | number)[] };
const located = (message: string, path: (string | number)[]): Located => Object.assign(new Error(message), { path });

function prefixOf(m: AddressMatch): string | undefined {
  if (m.text === 'any') return undefined;
  // Only contiguous wildcards (0.0.0.255, not 0.0.255.0) are prefixes: w = 2^k - 1.
  if ((m.wildcard & (m.wildcard + 1)) !== 0) return 'non-contiguous';
  const k = 32 - Math.clz32(m.wildcard);
  return `${[24, 16, 8, 0].map((s) => (m.address >>> s) & 255).join('.')}/${32 - k}`;
}

/**
 * The iptables-restore input for a hub's NAT, or undefined without `nat`. Throws a located error
 * (path into the node's config) for an unknown interface or list, or an entry netfilter cannot
 * express as prefixes.
 */
export function hubNatRules(cfg: Record<string, unknown>, interfaces: string[]): { restore: string; inside: boolean } | undefined {
  const nat = cfg['nat'] as HubNatConfig | undefined;
  if (!nat) return undefined;
  if (!interfaces.includes(nat.outside)) throw located(`interface "${nat.outside}" is not an interface of this node (it has ${interfaces.join(', ')})`, ['nat', 'outside']);
  const lists = (cfg['access-lists'] as Record<string, string[]> | undefined) ?? {};
  const lines = lists[nat['source-list']];
  if (!lines) throw located(`access list ${nat['source-list']} is not configured (known: ${Object.keys(lists).join(', ') || 'none'})`, ['nat', 'source-list']);
  const acl = buildAccessList(nat['source-list'], lines.map((l, i) => [i + 1, l]));
  if (typeof acl === 'string') throw located(acl, ['access-lists', nat['source-list']]);
  const rules: string[] = [];
  acl.entries.forEach((e, i) => {
    const src = prefixOf(e.source);
    const dst = e.destination ? prefixOf(e.destination) : undefined;
    if (src === 'non-contiguous' || dst === 'non-contiguous') throw located(`"${lines[i]}": a NAT source list needs contiguous wildcard masks (prefixes)`, ['access-lists', nat['source-list'], i]);
    const proto = e.protocol !== undefined && e.protocol !== -1 ? ` -p ${e.protocol}` : '';
    rules.push(`-A POSTROUTING -o ${nat.outside} -m mark --mark ${NAT_INSIDE_MARK}${proto}${src ? ` -s ${src}` : ''}${dst ? ` -d ${dst}` : ''} -j ${e.action === 'permit' ? 'MASQUERADE' : 'RETURN'}`);
  });
  const vt = (cfg['virtual-template'] as { 'interface-prefix'?: string; 'interface-config'?: string[] } | undefined) ?? {};
  const inside = (vt['interface-config'] ?? []).some((l) => l.trim() === 'ip nat inside');
  const prefix = vt['interface-prefix'] ?? 'va';
  const restore = [
    '*mangle', ...(inside ? [`-A PREROUTING -i ${prefix}+ -j MARK --set-xmark ${NAT_INSIDE_MARK}`] : []), 'COMMIT',
    '*nat', ...rules, 'COMMIT', '',
  ].join('\n');
  return { restore, inside };
}
