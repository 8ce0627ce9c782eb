// IOS IPv4 access lists as a CoA installs them on a virtual-access interface (F-POD-03,
// `ip:inacl#N=...` / `ip:outacl#N=...`): numbered entries, first match wins, implicit deny at the
// end. Standard entries match the source only (`permit 1.1.1.1`, `deny 10.0.0.0 0.0.0.255`,
// `permit any`, `permit host 1.1.1.1`); extended entries name a protocol, a source and a
// destination (`permit icmp any host 192.168.10.10`). Ports and options are refused: the CoA that
// carries them is NAKed rather than half applied.

export type AceAction = 'permit' | 'deny';

export interface AddressMatch {
  /** Network address and wildcard (IOS inverse mask) as 32-bit numbers. */
  address: number;
  wildcard: number;
  text: string;
}

export interface AccessListEntry {
  sequence: number;
  action: AceAction;
  /** undefined: a standard entry (any protocol, source only). */
  protocol?: number;
  protocolName?: string;
  source: AddressMatch;
  destination?: AddressMatch;
  text: string;
  matches: number;
}

export interface AccessList {
  name: string;
  entries: AccessListEntry[];
  /** Packets dropped by the implicit deny at the end. */
  implicitDenies: number;
}

const PROTOCOLS: Record<string, number> = { ip: -1, icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ahp: 51, ospf: 89 };

function ipv4ToNumber(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** Reads one address match at words[i]: `any`, `host A` or `A [WILDCARD]`; returns it and the next index. */
function addressAt(words: string[], i: number, wildcardOptional: boolean): [AddressMatch, number] | string {
  const w = words[i];
  if (w === undefined) return 'an address is missing';
  if (w === 'any') return [{ address: 0, wildcard: 0xffffffff, text: 'any' }, i + 1];
  if (w === 'host') {
    const a = ipv4ToNumber(words[i + 1] ?? '');
    if (a === undefined) return `"host" needs an IPv4 address, not "${words[i + 1] ?? ''}"`;
    return [{ address: a, wildcard: 0, text: `host ${words[i + 1]}` }, i + 2];
  }
  const a = ipv4ToNumber(w);
  if (a === undefined) return `"${w}" is not an IPv4 address, "host A" or "any"`;
  const wc = words[i + 1] !== undefined ? ipv4ToNumber(words[i + 1]!) : undefined;
  if (wc !== undefined) return [{ address: (a & ~wc) >>> 0, wildcard: wc, text: `${w}, wildcard bits ${words[i + 1]}` }, i + 2];
  if (!wildcardOptional) return `"${w}" needs a wildcard mask (or use "host ${w}")`;
  return [{ address: a, wildcard: 0, text: w }, i + 1];
}

/** Parses `permit|deny ...`; a string is the reason it cannot be applied. */
export function parseAce(text: string, sequence: number): AccessListEntry | string {
  const words = text.trim().split(/\s+/);
  const action = words[0];
  if (action !== 'permit' && action !== 'deny') return `"${text}": an entry starts with permit or deny`;
  const proto = words[1] !== undefined && (words[1] in PROTOCOLS || /^\d+$/.test(words[1])) ? words[1] : undefined;
  if (proto === undefined) {
    const src = addressAt(words, 1, true);
    if (typeof src === 'string') return `"${text}": ${src}`;
    if (src[1] !== words.length) return `"${text}": unexpected "${words.slice(src[1]).join(' ')}" in a standard entry`;
    return { sequence, action, source: src[0], text: `${action} ${src[0].text}`, matches: 0 };
  }
  const protocol = proto in PROTOCOLS ? PROTOCOLS[proto]! : Number(proto);
  if (protocol > 255) return `"${text}": protocol ${proto} is out of range`;
  const src = addressAt(words, 2, false);
  if (typeof src === 'string') return `"${text}": source: ${src}`;
  const dst = addressAt(words, src[1], false);
  if (typeof dst === 'string') return `"${text}": destination: ${dst}`;
  if (dst[1] !== words.length) return `"${text}": "${words.slice(dst[1]).join(' ')}" is not supported (ports and options are not modelled)`;
  return { sequence, action, protocol, protocolName: proto, source: src[0], destination: dst[0], text: `${action} ${proto} ${src[0].text} ${dst[0].text}`, matches: 0 };
}

/** Builds a list from `[sequence, text]` pairs (the `#N` of the AV-pair orders them). */
export function buildAccessList(name: string, lines: Array<[number, string]>): AccessList | string {
  const entries: AccessListEntry[] = [];
  for (const [, text] of [...lines].sort((a, b) => a[0] - b[0])) {
    const e = parseAce(text, (entries.length + 1) * 10);
    if (typeof e === 'string') return e;
    entries.push(e);
  }
  return { name, entries, implicitDenies: 0 };
}

const matchAddr = (m: AddressMatch, a: number) => ((a ^ m.address) & ~m.wildcard) >>> 0 === 0;

/**
 * True when the list lets the packet through. Only IPv4 is filtered (an `ip access-group` does not
 * see IPv6); the first matching entry decides and counts the match.
 */
export function accessListPermits(acl: AccessList, packet: Buffer): boolean {
  if (packet.length < 20 || packet[0]! >> 4 !== 4) return true;
  const src = packet.readUInt32BE(12);
  const dst = packet.readUInt32BE(16);
  const proto = packet[9]!;
  for (const e of acl.entries) {
    if (e.protocol !== undefined && e.protocol !== -1 && e.protocol !== proto) continue;
    if (!matchAddr(e.source, src)) continue;
    if (e.destination && !matchAddr(e.destination, dst)) continue;
    e.matches++;
    return e.action === 'permit';
  }
  acl.implicitDenies++;
  return false;
}

/** `show ip access-lists` for one list, as IOS prints it. */
export function showAccessList(acl: AccessList): string[] {
  const extended = acl.entries.some((e) => e.protocol !== undefined);
  return [
    `${extended ? 'Extended' : 'Standard'} IP access list ${acl.name}`,
    ...acl.entries.map((e) => `    ${e.sequence} ${e.text}${e.matches ? ` (${e.matches} match${e.matches === 1 ? '' : 'es'})` : ''}`),
  ];
}
