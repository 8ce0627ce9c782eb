// IOS-style views of what a hub's virtual-access interfaces enforce (F-POD-03): the template ACLs
// a CoA installed (`show ip access-lists`, `show ip interface ... | include access`) and the
// service policies with their policer counters (`show policy-map interface`).

import { iosInterfaceName } from './show.ts';
import type { TunnelStatus } from '../scenarios/daemons.ts';

export function showAccessLists(tunnels: TunnelStatus[]): string {
  // A named list applied to several interfaces is one list (with one set of counters), as on IOS.
  const lists = new Map<string, string[]>();
  for (const t of tunnels) for (const a of [t.policy?.inAcl, t.policy?.outAcl]) if (a) lists.set(a.name, a.show);
  return lists.size ? [...lists.values()].flat().join('\n') : '(no access list on any virtual-access interface)';
}

export function showIpInterfaceAccess(tunnels: TunnelStatus[]): string {
  return tunnels.map((t) => [
    `${iosInterfaceName(t.interface)} is ${t.up ? 'up' : 'down'}, line protocol is ${t.up ? 'up' : 'down'}`,
    `  Outgoing access list is ${t.policy?.outAcl?.name ?? 'not set'}${t.policy?.outAcl ? ', default is not set' : ''}`,
    `  Inbound  access list is ${t.policy?.inAcl?.name ?? 'not set'}${t.policy?.inAcl ? ', default is not set' : ''}`,
  ].join('\n')).join('\n\n') || '(no tunnel interface)';
}

export function showPolicyMapInterface(tunnels: TunnelStatus[]): string {
  const out: string[] = [];
  for (const t of tunnels) {
    for (const dir of ['input', 'output'] as const) {
      const p = t.policy?.[dir];
      if (!p) continue;
      out.push(
        ` ${iosInterfaceName(t.interface)}`, '',
        `  Service-policy ${dir}: ${p.name}`, '',
        '    Class-map: class-default (match-any)',
        `      police:`,
        `          cir ${p.cir} bps`,
        `        conformed ${p.conformed.packets} packets, ${p.conformed.bytes} bytes; actions:`,
        '          transmit',
        `        exceeded ${p.exceeded.packets} packets, ${p.exceeded.bytes} bytes; actions:`,
        '          drop', '',
      );
    }
  }
  return out.length ? out.join('\n') : '(no service-policy on any virtual-access interface)';
}
