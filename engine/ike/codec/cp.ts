// Configuration payload (RFC 7296 section 3.15) and a typed view of its attributes. On the wire an
// attribute is a 15-bit type, a length and a value; in a CFG_REQUEST most values are empty ("give
// me one"), in a CFG_REPLY they carry the address, mask, subnet or text (3.15.1 table).

import { Buffer } from 'node:buffer';
import { CfgAttr, PayloadType } from '../constants.ts';
import type { CpAttribute, CpPayload } from '../message.ts';
import { bytesToIp, ipFamily, ipToBytes } from '../../util/ip.ts';
import { type ByteReader, checkFits, u16, u8 } from './bytes.ts';
import { IkeEncodeError, IkeParseError } from './errors.ts';

// ---- raw attributes (the payload body) --------------------------------------------------------

export function decodeCpBody(r: ByteReader): CpPayload {
  const cfgType = r.u8('CFG type');
  r.skip(3, 'reserved');
  const attributes: CpAttribute[] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    if (r.remaining < 4) r.fail('BAD_ATTRIBUTE', `configuration attribute header needs 4 bytes, ${r.remaining} left`);
    const type = r.u16('attribute type') & 0x7fff; // top bit reserved: ignored on receive
    const len = r.u16('attribute length');
    if (len > r.remaining) r.fail('BAD_ATTRIBUTE', `configuration attribute ${type}: length ${len} runs past the payload`, undefined, at);
    const value = r.bytes(len, 'attribute value');
    const problem = cfgValueProblem(type, value.length);
    if (problem) r.fail('BAD_CP', problem, undefined, at);
    attributes.push({ type, value });
  }
  return { type: PayloadType.CP, cfgType, attributes };
}

export function encodeCpBody(p: CpPayload): Buffer {
  const parts: Buffer[] = [u8(p.cfgType, 'CFG type'), Buffer.alloc(3)];
  for (const a of p.attributes) {
    checkFits(a.type, 0x7fff, 'configuration attribute type');
    parts.push(u16(a.type, 'attribute type'), u16(a.value.length, 'attribute length'), a.value);
  }
  return Buffer.concat(parts);
}

// ---- typed attributes ---------------------------------------------------------------------------

export type Ip4AttrType =
  | CfgAttr.INTERNAL_IP4_ADDRESS | CfgAttr.INTERNAL_IP4_NETMASK | CfgAttr.INTERNAL_IP4_DNS
  | CfgAttr.INTERNAL_IP4_NBNS | CfgAttr.INTERNAL_IP4_DHCP | CfgAttr.P_CSCF_IP4_ADDRESS;
export type Ip6AttrType = CfgAttr.INTERNAL_IP6_DNS | CfgAttr.INTERNAL_IP6_DHCP | CfgAttr.P_CSCF_IP6_ADDRESS;
export type Ip6PrefixAttrType = CfgAttr.INTERNAL_IP6_ADDRESS | CfgAttr.INTERNAL_IP6_SUBNET;
export type TextAttrType = CfgAttr.INTERNAL_DNS_DOMAIN | CfgAttr.APPLICATION_VERSION;

/**
 * One configuration attribute with its value decoded. A missing value (address, text...) is the
 * empty attribute of a request. Unknown or private types stay `raw`.
 */
export type CfgAttribute =
  | { kind: 'ip4'; type: Ip4AttrType; address?: string }
  /** INTERNAL_IP4_SUBNET: protected subnet as address + netmask (8 bytes). */
  | { kind: 'ip4-subnet'; type: CfgAttr.INTERNAL_IP4_SUBNET; address?: string; netmask?: string }
  | { kind: 'ip6'; type: Ip6AttrType; address?: string }
  /** INTERNAL_IP6_ADDRESS / INTERNAL_IP6_SUBNET: 16-byte address + 1-byte prefix length. */
  | { kind: 'ip6-prefix'; type: Ip6PrefixAttrType; address?: string; prefixLength?: number }
  /** INTERNAL_DNS_DOMAIN (RFC 8598: presentation format, no terminating NUL), APPLICATION_VERSION. */
  | { kind: 'text'; type: TextAttrType; text?: string }
  | { kind: 'seconds'; type: CfgAttr.INTERNAL_ADDRESS_EXPIRY; seconds?: number }
  /** SUPPORTED_ATTRIBUTES: a list of 16-bit attribute types. */
  | { kind: 'attribute-list'; type: CfgAttr.SUPPORTED_ATTRIBUTES; types: number[] }
  | { kind: 'raw'; type: number; value: Buffer };

type Kind = CfgAttribute['kind'];

const KIND_OF: Partial<Record<number, Kind>> = {
  [CfgAttr.INTERNAL_IP4_ADDRESS]: 'ip4', [CfgAttr.INTERNAL_IP4_NETMASK]: 'ip4', [CfgAttr.INTERNAL_IP4_DNS]: 'ip4',
  [CfgAttr.INTERNAL_IP4_NBNS]: 'ip4', [CfgAttr.INTERNAL_IP4_DHCP]: 'ip4', [CfgAttr.P_CSCF_IP4_ADDRESS]: 'ip4',
  [CfgAttr.INTERNAL_IP4_SUBNET]: 'ip4-subnet',
  [CfgAttr.INTERNAL_IP6_DNS]: 'ip6', [CfgAttr.INTERNAL_IP6_DHCP]: 'ip6', [CfgAttr.P_CSCF_IP6_ADDRESS]: 'ip6',
  [CfgAttr.INTERNAL_IP6_ADDRESS]: 'ip6-prefix', [CfgAttr.INTERNAL_IP6_SUBNET]: 'ip6-prefix',
  [CfgAttr.INTERNAL_DNS_DOMAIN]: 'text', [CfgAttr.APPLICATION_VERSION]: 'text',
  [CfgAttr.INTERNAL_ADDRESS_EXPIRY]: 'seconds',
  [CfgAttr.SUPPORTED_ATTRIBUTES]: 'attribute-list',
};

/** Value lengths allowed per kind (RFC 7296 3.15.1): empty (request) or the full value. */
const LENGTHS: Record<Kind, number[] | 'any' | 'even'> = {
  'ip4': [0, 4], 'ip4-subnet': [0, 8], 'ip6': [0, 16], 'ip6-prefix': [0, 17], 'seconds': [0, 4],
  'text': 'any', 'attribute-list': 'even', 'raw': 'any',
};

function cfgValueProblem(type: number, length: number): string | undefined {
  const rule = LENGTHS[KIND_OF[type] ?? 'raw'];
  if (rule === 'any') return undefined;
  if (rule === 'even') return length % 2 === 0 ? undefined : `configuration attribute ${type}: odd length ${length}`;
  return rule.includes(length) ? undefined : `configuration attribute ${type}: value of ${length} bytes, expected ${rule.join(' or ')}`;
}

/** Raw attribute -> typed. Throws IkeParseError(BAD_CP) when the value length is wrong for the type. */
export function cfgAttributeFromRaw(a: CpAttribute): CfgAttribute {
  const problem = cfgValueProblem(a.type, a.value.length);
  if (problem) throw new IkeParseError('BAD_CP', problem, 0, PayloadType.CP);
  const v = a.value;
  const empty = v.length === 0;
  const type = a.type;
  switch (KIND_OF[type]) {
    case 'ip4': return empty ? { kind: 'ip4', type: type as Ip4AttrType } : { kind: 'ip4', type: type as Ip4AttrType, address: bytesToIp(v) };
    case 'ip4-subnet': return empty ? { kind: 'ip4-subnet', type: CfgAttr.INTERNAL_IP4_SUBNET }
      : { kind: 'ip4-subnet', type: CfgAttr.INTERNAL_IP4_SUBNET, address: bytesToIp(v.subarray(0, 4)), netmask: bytesToIp(v.subarray(4, 8)) };
    case 'ip6': return empty ? { kind: 'ip6', type: type as Ip6AttrType } : { kind: 'ip6', type: type as Ip6AttrType, address: bytesToIp(v) };
    case 'ip6-prefix': return empty ? { kind: 'ip6-prefix', type: type as Ip6PrefixAttrType }
      : { kind: 'ip6-prefix', type: type as Ip6PrefixAttrType, address: bytesToIp(v.subarray(0, 16)), prefixLength: v[16]! };
    case 'text': return empty ? { kind: 'text', type: type as TextAttrType } : { kind: 'text', type: type as TextAttrType, text: v.toString('utf8') };
    case 'seconds': return empty ? { kind: 'seconds', type: CfgAttr.INTERNAL_ADDRESS_EXPIRY }
      : { kind: 'seconds', type: CfgAttr.INTERNAL_ADDRESS_EXPIRY, seconds: v.readUInt32BE(0) };
    case 'attribute-list': {
      const types: number[] = [];
      for (let i = 0; i < v.length; i += 2) types.push(v.readUInt16BE(i) & 0x7fff);
      return { kind: 'attribute-list', type: CfgAttr.SUPPORTED_ATTRIBUTES, types };
    }
    default: return { kind: 'raw', type, value: Buffer.from(v) };
  }
}

function addr(text: string, family: 4 | 6, what: string): Buffer {
  if (ipFamily(text) !== family) throw new IkeEncodeError(`${what}: "${text}" is not an IPv${family} address`);
  return ipToBytes(text);
}

/** Typed attribute -> raw. Throws IkeEncodeError on a value that cannot be written. */
export function cfgAttributeToRaw(a: CfgAttribute): CpAttribute {
  const what = `configuration attribute ${a.type}`;
  switch (a.kind) {
    case 'ip4': return { type: a.type, value: a.address === undefined ? Buffer.alloc(0) : addr(a.address, 4, what) };
    case 'ip6': return { type: a.type, value: a.address === undefined ? Buffer.alloc(0) : addr(a.address, 6, what) };
    case 'ip4-subnet':
      if (a.address === undefined && a.netmask === undefined) return { type: a.type, value: Buffer.alloc(0) };
      if (a.address === undefined || a.netmask === undefined) throw new IkeEncodeError(`${what}: address and netmask go together`);
      return { type: a.type, value: Buffer.concat([addr(a.address, 4, what), addr(a.netmask, 4, what)]) };
    case 'ip6-prefix':
      if (a.address === undefined && a.prefixLength === undefined) return { type: a.type, value: Buffer.alloc(0) };
      if (a.address === undefined || a.prefixLength === undefined) throw new IkeEncodeError(`${what}: address and prefix length go together`);
      checkFits(a.prefixLength, 128, `${what} prefix length`);
      return { type: a.type, value: Buffer.concat([addr(a.address, 6, what), Buffer.from([a.prefixLength])]) };
    case 'text': return { type: a.type, value: a.text === undefined ? Buffer.alloc(0) : Buffer.from(a.text, 'utf8') };
    case 'seconds': {
      if (a.seconds === undefined) return { type: a.type, value: Buffer.alloc(0) };
      const b = Buffer.alloc(4);
      checkFits(a.seconds, 0xffffffff, `${what} seconds`);
      b.writeUInt32BE(a.seconds);
      return { type: a.type, value: b };
    }
    case 'attribute-list':
      return { type: a.type, value: Buffer.concat(a.types.map((t) => { checkFits(t, 0x7fff, `${what} entry`); return u16(t, 'type'); })) };
    case 'raw':
      checkFits(a.type, 0x7fff, what);
      return { type: a.type, value: a.value };
  }
}

/** The typed attributes of a CP payload. Throws IkeParseError(BAD_CP) as cfgAttributeFromRaw. */
export function cfgAttributes(p: CpPayload): CfgAttribute[] {
  return p.attributes.map(cfgAttributeFromRaw);
}

/** Builds a CP payload (CFG_REQUEST, CFG_REPLY...) from typed attributes. */
export function cpPayload(cfgType: number, attributes: CfgAttribute[]): CpPayload {
  return { type: PayloadType.CP, cfgType, attributes: attributes.map(cfgAttributeToRaw) };
}

/** Netmask text -> prefix length, or undefined when the mask is not contiguous. */
export function netmaskToPrefix(mask: string): number | undefined {
  const b = ipToBytes(mask);
  let bits = 0;
  let seenZero = false;
  for (const byte of b) {
    for (let i = 7; i >= 0; i--) {
      const one = (byte >> i) & 1;
      if (one && seenZero) return undefined;
      if (one) bits++; else seenZero = true;
    }
  }
  return bits;
}

/** Prefix length -> IPv4 netmask text. */
export function prefixToNetmask(prefix: number): string {
  checkFits(prefix, 32, 'IPv4 prefix length');
  const v = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return bytesToIp(Buffer.from([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]));
}
