// Cisco AV pairs (vendor 9, type 1, "Cisco-AVPair"): text of the form "protocol:attribute=value",
// "=" for a mandatory and "*" for an optional attribute (Cisco "RADIUS Vendor-Specific Attributes"
// guide; the seeds show `ipsec:route-set=prefix 192.168.1.1/24`, `ip:interface-config=ip mtu 1200`,
// `ip:inacl#3=permit 1.1.1.1`, and in requests the protocol-less `audit-session-id=...`).
// The seeds' appendix (seed-features.md section 13) lists which attributes the FlexVPN server uses.

import type { Avp } from './attributes.ts';
import { getAttrs } from './attributes.ts';

export interface CiscoAvPair {
  /** "ipsec", "ip", ... or "" when the pair has no protocol prefix (audit-session-id=...). */
  protocol: string;
  /** Attribute name, including a "#N" sequence suffix (inacl#3) when present. */
  attribute: string;
  value: string;
  /** "=" pairs are mandatory, "*" pairs optional. */
  mandatory: boolean;
}

const AVPAIR = /^(?:([A-Za-z0-9_.-]+):)?([^=*:]+)([=*])(.*)$/s;

export function parseCiscoAvPair(text: string): CiscoAvPair | undefined {
  const m = AVPAIR.exec(text);
  if (!m) return undefined;
  return { protocol: m[1] ?? '', attribute: m[2]!.trim(), value: m[4]!, mandatory: m[3] === '=' };
}

export function formatCiscoAvPair(p: Omit<CiscoAvPair, 'mandatory'> & { mandatory?: boolean }): string {
  return `${p.protocol ? `${p.protocol}:` : ''}${p.attribute}${p.mandatory === false ? '*' : '='}${p.value}`;
}

/** Every Cisco AV pair of a message, parsed (unparseable ones are skipped). */
export function ciscoAvPairs(avps: readonly Avp[]): CiscoAvPair[] {
  return getAttrs(avps, 'Cisco-AVPair').map((v) => parseCiscoAvPair(String(v))).filter((p): p is CiscoAvPair => p !== undefined);
}

/** Values of one AV-pair attribute ("route-set", "inacl"...), in order; protocol optional. */
export function ciscoValues(avps: readonly Avp[], attribute: string, protocol?: string): string[] {
  const base = attribute.toLowerCase();
  return ciscoAvPairs(avps)
    .filter((p) => (protocol === undefined || p.protocol === protocol) && p.attribute.toLowerCase().replace(/#\d+$/, '') === base)
    .map((p) => p.value);
}

export function ciscoAvPair(protocol: string, attribute: string, value: string): Avp {
  return { name: 'Cisco-AVPair', value: formatCiscoAvPair({ protocol, attribute, value }) };
}

/**
 * The session handle of F-SRV-07: `audit-session-id=<id>` in requests from the NAS, and
 * `ip:audit-session-id=<id>` in the seed's CoA; either form is accepted.
 */
export function auditSessionId(avps: readonly Avp[]): string | undefined {
  return ciscoValues(avps, 'audit-session-id')[0];
}
