// IKE identities (RFC 7296 section 3.5) as configured (`identity local fqdn x`) and as carried in
// IDi/IDr payloads, and `match identity remote ...` matching (F-CORE-11).

import { Buffer } from 'node:buffer';
import { X509Certificate } from 'node:crypto';
import { IdType } from './constants.ts';
import type { Identity, IdentityMatch } from './config.ts';
import { bytesToIp, ipFamily, ipToBytes, parseCidr, cidrContains } from '../util/ip.ts';
import { dnFromString, dnToString } from './codec/describe.ts';

export interface IdPayloadBody {
  idType: number;
  data: Buffer;
}

export function identityToPayload(id: Identity): IdPayloadBody {
  switch (id.type) {
    case 'address': {
      const f = ipFamily(id.value);
      if (!f) throw new Error(`identity address "${id.value}" is not an IP address`);
      return { idType: f === 4 ? IdType.ID_IPV4_ADDR : IdType.ID_IPV6_ADDR, data: ipToBytes(id.value) };
    }
    case 'fqdn': return { idType: IdType.ID_FQDN, data: Buffer.from(id.value, 'ascii') };
    case 'email': return { idType: IdType.ID_RFC822_ADDR, data: Buffer.from(id.value, 'ascii') };
    case 'key-id': return { idType: IdType.ID_KEY_ID, data: Buffer.from(id.value, 'utf8') };
    case 'dn': return { idType: IdType.ID_DER_ASN1_DN, data: dnFromString(id.value) };
  }
}

export function payloadToIdentity(body: IdPayloadBody): Identity {
  try {
    switch (body.idType) {
      case IdType.ID_IPV4_ADDR:
      case IdType.ID_IPV6_ADDR: return { type: 'address', value: bytesToIp(body.data) };
      case IdType.ID_FQDN: return { type: 'fqdn', value: body.data.toString('ascii') };
      case IdType.ID_RFC822_ADDR: return { type: 'email', value: body.data.toString('ascii') };
      case IdType.ID_KEY_ID: return { type: 'key-id', value: body.data.toString('utf8') };
      case IdType.ID_DER_ASN1_DN: return { type: 'dn', value: dnToString(body.data) };
    }
  } catch {
    // fall through: shown as hex
  }
  return { type: 'key-id', value: body.data.toString('hex') };
}

export function identityToString(id: Identity): string {
  return id.value;
}

/** IOS `match identity remote` semantics; domain matching for `fqdn domain x` / `email domain x`. */
export function identityMatches(m: IdentityMatch, id: Identity): boolean {
  if (m.type === 'any') return true;
  if (m.type !== id.type) return false;
  if (m.type === 'address') {
    const c = parseCidr(m.value.includes('/') ? m.value : `${m.value}/${m.prefix ?? (ipFamily(m.value) === 6 ? 128 : 32)}`);
    return typeof c !== 'string' && cidrContains(c, id.value);
  }
  if (m.domain) {
    const v = id.value.toLowerCase(), d = m.value.toLowerCase();
    return v === d || v.endsWith(m.type === 'email' ? `@${d}` : `.${d}`) || (m.type === 'email' && v.endsWith(`.${d}`));
  }
  if (m.type === 'dn') return m.value.replace(/\s+/g, '') === id.value.replace(/\s+/g, '');
  return m.value.toLowerCase() === id.value.toLowerCase();
}

/** The identity a certificate vouches for, when the configuration names none: its subject DN. */
export function certificateIdentity(cert: X509Certificate): Identity {
  return { type: 'dn', value: cert.subject.split('\n').join(', ') };
}
