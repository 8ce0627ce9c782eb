// IKEv2 authorization (seed-features.md F-AUTHZ-01..04, section 13): the attributes a session gets,
// from the local `crypto ikev2 authorization policy` (a local AAA database) or from RADIUS (Cisco
// AV-pairs and IETF attributes), merged group -> implicit -> user (later wins; `override` makes the
// group win), each value remembering where it came from so `show ... session detail` can say so.

import { parseCidr } from '../util/ip.ts';

/** What an authorization can set. Lists replace, scalars replace, in merge order. */
export interface AuthorizationAttributes {
  pool?: string; // Framed-Pool / `pool NAME` (a pool name or an inline "first-last" / prefix)
  pool6?: string; // ipsec:ipv6-addr-pool
  address?: string; // Framed-IP-Address (static per user)
  netmask?: string; // Framed-IP-Netmask / `netmask`
  address6?: string; // ipsec:addrv6
  prefixLen6?: number; // ipsec:prefix-len
  dns?: string[]; // ipsec:dns-servers / `dns A B`
  dns6?: string[]; // ipsec:ipv6-dns-servers-addr
  wins?: string[]; // ipsec:wins-servers / `wins A B`
  routeSetInterface?: boolean | string; // ipsec:route-set=interface [IF]
  routeSetPrefixes?: string[]; // ipsec:route-set=prefix P/L, remote ipv4 A M, access-list entries
  routeSetLocal?: Array<{ prefix: string; nextHop?: string; tag?: number; distance?: number }>; // ipsec:route-set=local
  routeAccept?: { tag?: number; distance?: number } | false; // ipsec:route-accept=any
  interfaceConfig?: string[]; // ip:interface-config (applied to the virtual-access)
  flowLimit?: number; // ipsec:ipsec-flow-limit
  banner?: string; // Unity, Cisco clients only
  defaultDomain?: string;
  splitDns?: string[];
  backupGateways?: string[]; // ipsec:ipsec-backup-gateway
  pfs?: number;
  includeLocalLan?: boolean;
  configurationUrl?: string;
  configurationVersion?: number;
  sessionTimeout?: number; // Session-Timeout
  /** AAA-based pre-shared keys (F-AUTH-09). */
  tunnelPassword?: string; // Tunnel-Password / ipsec:tunnel-password
  passwordLocal?: string; // ipsec:ikev2-password-local
  passwordRemote?: string; // ipsec:ikev2-password-remote
  /** Attributes we carry but do not act on, kept for show output. */
  other?: Record<string, string>;
}

export type AttributeSource = string; // e.g. "group local policy flex", "user radius 192.0.2.3", "implicit (EAP Access-Accept)"

export interface AttributeValue<T = unknown> {
  value: T;
  source: AttributeSource;
}

export type SourcedAttributes = { [K in keyof AuthorizationAttributes]?: AttributeValue<AuthorizationAttributes[K]> };

/** A RADIUS reply attribute as the AAA layer hands it over (Cisco AV-pairs as their text). */
export interface ReplyAttribute {
  name: string; // "cisco-avpair", "Framed-IP-Address", "Tunnel-Password", "Session-Timeout"...
  value: string;
}

const ws = (s: string) => s.trim().split(/[\s,]+/).filter(Boolean);

function maskToPrefix(mask: string): number {
  return mask.split('.').reduce((n, o) => n + (Number(o) >>> 0).toString(2).split('').filter((b) => b === '1').length, 0);
}

/** `ipsec:route-set=...` values (section 13.1/13.2). */
function routeSet(v: string, a: AuthorizationAttributes): void {
  const w = ws(v);
  const kind = w[0];
  if (kind === 'interface') {
    a.routeSetInterface = w[1] ?? true;
  } else if (kind === 'prefix' && w[1]) {
    a.routeSetPrefixes = [...(a.routeSetPrefixes ?? []), normalizePrefix(w[1])];
  } else if (kind === 'remote' && w[1] === 'ipv4' && w[2] && w[3]) {
    a.routeSetPrefixes = [...(a.routeSetPrefixes ?? []), normalizePrefix(`${w[2]}/${maskToPrefix(w[3])}`)];
  } else if (kind === 'remote' && w[1] === 'ipv6' && w[2]) {
    a.routeSetPrefixes = [...(a.routeSetPrefixes ?? []), normalizePrefix(w[2])];
  } else if (kind === 'local') {
    const tag = /tag:(\d+)/.exec(v)?.[1], distance = /distance:(\d+)/.exec(v)?.[1];
    const nh = w.indexOf('next-hop');
    let prefix: string | undefined;
    if (w[1] === 'ipv4' && w[2] && w[3] && w[3] !== 'next-hop') prefix = `${w[2]}/${maskToPrefix(w[3])}`;
    else if (w[1] === 'ipv6' && w[2]) prefix = w[2];
    if (prefix) a.routeSetLocal = [...(a.routeSetLocal ?? []), { prefix: normalizePrefix(prefix), nextHop: nh >= 0 ? w[nh + 1] : undefined, tag: tag ? Number(tag) : undefined, distance: distance ? Number(distance) : undefined }];
  } else if (kind === 'access-list') {
    // The ACL's entries are resolved by the caller (local ACLs); RADIUS sends prefixes instead.
    (a.other ??= {})['route-set-access-list'] = w.slice(1).join(' ');
  }
}

/** "192.168.1.1/24" (host bits set, as the seed writes it) -> "192.168.1.0/24". */
export function normalizePrefix(p: string): string {
  const c = parseCidr(p.includes('/') ? p : `${p}/32`);
  return typeof c === 'string' ? p : `${c.network}/${c.prefix}`;
}

/**
 * RADIUS reply attributes -> authorization attributes. Unknown Cisco AV-pairs are kept in `other`.
 * Cisco AV-pairs may come as "ipsec:x=y" or with the optional "*" (optional) separator "ipsec:x*y".
 */
export function fromRadius(attrs: ReplyAttribute[]): AuthorizationAttributes {
  const a: AuthorizationAttributes = {};
  for (const { name, value } of attrs) {
    const n = name.toLowerCase();
    if (n === 'cisco-avpair' || n === 'cisco-av-pair') {
      const m = /^([\w-]+):([\w#-]+)[=*](.*)$/s.exec(value);
      if (!m) continue;
      const [, proto, key, v] = m as unknown as [string, string, string, string];
      const k = `${proto}:${key}`;
      switch (k) {
        case 'ipsec:addr-pool': a.pool = v; break;
        case 'ipsec:ipv6-addr-pool': a.pool6 = v; break;
        case 'ipsec:addrv6': a.address6 = v; break;
        case 'ipsec:prefix-len': a.prefixLen6 = Number(v); break;
        case 'ipsec:dns-servers': a.dns = ws(v); break;
        case 'ipsec:ipv6-dns-servers-addr': a.dns6 = ws(v); break;
        case 'ipsec:wins-servers': a.wins = ws(v); break;
        case 'ipsec:route-set': routeSet(v, a); break;
        case 'ipsec:route-accept': {
          const tag = /tag:(\d+)/.exec(v)?.[1], distance = /distance:(\d+)/.exec(v)?.[1];
          a.routeAccept = { tag: tag ? Number(tag) : undefined, distance: distance ? Number(distance) : undefined };
          break;
        }
        case 'ip:interface-config': a.interfaceConfig = [...(a.interfaceConfig ?? []), v]; break;
        case 'ipsec:ipsec-flow-limit': a.flowLimit = Number(v); break;
        case 'ipsec:banner': a.banner = v; break;
        case 'ipsec:default-domain': a.defaultDomain = v; break;
        case 'ipsec:split-dns': a.splitDns = [...(a.splitDns ?? []), ...ws(v)]; break;
        case 'ipsec:ipsec-backup-gateway': a.backupGateways = [...(a.backupGateways ?? []), ...ws(v)]; break;
        case 'ipsec:pfs': a.pfs = Number(v) || undefined; break;
        case 'ipsec:include-local-lan': a.includeLocalLan = v === '1' || v === 'true' || v === 'enable'; break;
        case 'ipsec:configuration-url': a.configurationUrl = v; break;
        case 'ipsec:configuration-version': a.configurationVersion = Number(v); break;
        case 'ipsec:tunnel-password': a.tunnelPassword = v; break;
        case 'ipsec:ikev2-password-local': a.passwordLocal = v; break;
        case 'ipsec:ikev2-password-remote': a.passwordRemote = v; break;
        default: (a.other ??= {})[k] = v;
      }
      continue;
    }
    switch (n) {
      case 'framed-ip-address': a.address = value; break;
      case 'framed-ip-netmask': a.netmask = value; break;
      case 'framed-pool': a.pool = value; break;
      case 'tunnel-password': a.tunnelPassword = value; break;
      case 'session-timeout': a.sessionTimeout = Number(value); break;
      case 'framed-ipv6-address': a.address6 = value; break;
      default: (a.other ??= {})[name] = value;
    }
  }
  return a;
}

/** Tags every attribute with its source. */
export function sourced(a: AuthorizationAttributes, source: AttributeSource): SourcedAttributes {
  const out: SourcedAttributes = {};
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined) continue;
    (out as Record<string, AttributeValue>)[k] = { value: v, source };
  }
  return out;
}

/**
 * Merges authorization results (F-AUTHZ-04): default order group -> implicit -> user, each later
 * set replacing earlier values; with `override` the order is implicit -> user -> group.
 * `interface-config` lines accumulate in that order (a later duplicate command replaces an earlier
 * one of the same command word, as on a VA).
 */
export function mergeAuthorization(parts: { group?: SourcedAttributes; implicit?: SourcedAttributes; user?: SourcedAttributes }, override = false): SourcedAttributes {
  const order = override ? [parts.implicit, parts.user, parts.group] : [parts.group, parts.implicit, parts.user];
  const out: SourcedAttributes = {};
  for (const p of order) {
    if (!p) continue;
    for (const [k, v] of Object.entries(p) as Array<[keyof AuthorizationAttributes, AttributeValue]>) {
      if (k === 'interfaceConfig' && out.interfaceConfig) {
        out.interfaceConfig = { value: mergeInterfaceConfig(out.interfaceConfig.value!, v.value as string[]), source: `${out.interfaceConfig.source} + ${v.source}` };
      } else if ((k === 'routeSetPrefixes' || k === 'routeSetLocal') && out[k]) {
        // Route sets from several sources add up (each source announces its networks).
        const merged = [...(out[k]!.value as unknown[]), ...(v.value as unknown[]).filter((r) => !(out[k]!.value as unknown[]).some((e) => JSON.stringify(e) === JSON.stringify(r)))];
        (out as Record<string, AttributeValue>)[k] = { value: merged, source: `${out[k]!.source} + ${v.source}` };
      } else {
        (out as Record<string, AttributeValue>)[k] = v;
      }
    }
  }
  return out;
}

/** Later commands replace earlier ones with the same leading words ("ip mtu", "tunnel key"). */
export function mergeInterfaceConfig(earlier: string[], later: string[]): string[] {
  const key = (c: string) => {
    const w = c.trim().split(/\s+/);
    // `service-policy` must be removed before it can be replaced (S2:727): keep the first.
    return w[0] === 'service-policy' ? `service-policy ${w[1]}` : w.slice(0, 2).join(' ');
  };
  const out = [...earlier];
  for (const c of later) {
    const i = out.findIndex((e) => key(e) === key(c));
    if (i < 0) out.push(c);
    else if (!c.trim().startsWith('service-policy')) out[i] = c;
  }
  return out;
}

/** Plain values of merged attributes. */
export function values(a: SourcedAttributes): AuthorizationAttributes {
  const out: AuthorizationAttributes = {};
  for (const [k, v] of Object.entries(a)) (out as Record<string, unknown>)[k] = (v as AttributeValue).value;
  return out;
}

/** `crypto ikev2 name-mangler`: derive the AAA user name from the peer identity (F-AUTH-10). */
export type NameMangler =
  | { fqdn: 'hostname' | 'domain' | 'all' }
  | { email: 'username' | 'domain' | 'all' }
  | { dn: string } // a DN attribute name, e.g. "common-name"
  | { eap: 'prefix' | 'suffix' | 'all'; delimiter?: string };

export function mangleName(identity: { type: string; value: string }, m: NameMangler | undefined): string {
  const v = identity.value;
  if (!m) return v;
  if ('fqdn' in m && identity.type === 'fqdn') {
    const i = v.indexOf('.');
    if (m.fqdn === 'hostname') return i < 0 ? v : v.slice(0, i);
    if (m.fqdn === 'domain') return i < 0 ? v : v.slice(i + 1);
    return v;
  }
  if ('email' in m && identity.type === 'email') {
    const i = v.indexOf('@');
    if (m.email === 'username') return i < 0 ? v : v.slice(0, i);
    if (m.email === 'domain') return i < 0 ? v : v.slice(i + 1);
    return v;
  }
  if ('dn' in m && identity.type === 'dn') {
    const want = m.dn.toLowerCase() === 'common-name' ? 'cn' : m.dn.toLowerCase();
    const part = v.split(/,\s*/).find((p) => p.toLowerCase().startsWith(`${want}=`));
    return part ? part.slice(part.indexOf('=') + 1) : v;
  }
  if ('eap' in m) {
    const d = m.delimiter ?? '@';
    const i = v.indexOf(d);
    if (i < 0 || m.eap === 'all') return v;
    return m.eap === 'prefix' ? v.slice(0, i) : v.slice(i + d.length);
  }
  return v;
}
