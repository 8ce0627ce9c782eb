// Typed attributes: raw Type-Length-Value <-> { name, value, tag } through the dictionary, with
// Vendor-Specific (RFC 2865 5.26, one vendor attribute per VSA on output), tags (RFC 2868 3.1),
// hiding (hiding.ts) and EAP-Message concatenation (RFC 3579 3.1).

import { bytesToIp, ipFamily, ipToBytes } from '../util/ip.ts';
import { cryptoRandom } from '../util/random.ts';
import type { RandomSource } from '../util/random.ts';
import { ATTR_MESSAGE_AUTHENTICATOR, VENDOR_SPECIFIC, attrByCode, attrByName } from './dictionary.ts';
import type { AttrDef } from './dictionary.ts';
import { RadiusEncodeError, RadiusParseError } from './errors.ts';
import { hideSalted, hideUserPassword, revealSalted, revealUserPassword } from './hiding.ts';
import type { RawAttribute } from './packet.ts';

export type AvpValue = string | number | Buffer;

/** One attribute as the application sees it. */
export interface Avp {
  /** Dictionary name (case as in the dictionary), or "Attr-N" / "Vendor-V-Attr-N" when unknown. */
  name: string;
  /**
   * text -> string; integer, date -> number (integers also accept a value name when encoding);
   * ipaddr, ipv6addr -> address text; ipv6prefix -> "prefix/len"; octets, ifid -> Buffer.
   * Hidden attributes (User-Password, Tunnel-Password, MS-MPPE keys) are in clear here.
   */
  value: AvpValue;
  /** RFC 2868 tag (0..31) of tunnel attributes. */
  tag?: number;
}

/** What hiding needs: the shared secret and the Request Authenticator of the exchange. */
export interface HidingContext {
  secret: Buffer;
  authenticator: Buffer;
  random?: RandomSource;
}

// ------------------------------------------------------------------ decoding

export function decodeAttributes(raw: RawAttribute[], ctx?: HidingContext): Avp[] {
  const out: Avp[] = [];
  const concatAt = new Map<string, Avp>();
  for (const a of raw) {
    if (a.type === VENDOR_SPECIFIC) {
      const subs = splitVsa(a.value);
      if (!subs) {
        out.push({ name: 'Attr-26', value: a.value });
        continue;
      }
      for (const s of subs) out.push(decodeValue(attrByCode(s.vendor, s.type), s.value, ctx));
      continue;
    }
    const def = attrByCode(0, a.type);
    const avp = decodeValue(def, a.value, ctx);
    if (def.concat) {
      const first = concatAt.get(def.name);
      if (first) {
        first.value = Buffer.concat([first.value as Buffer, avp.value as Buffer]);
        continue;
      }
      concatAt.set(def.name, avp);
    }
    out.push(avp);
  }
  return out;
}

/** A VSA in the common format: Vendor-Id, then sub-attributes Type, Length (>= 2), Value. */
function splitVsa(value: Buffer): { vendor: number; type: number; value: Buffer }[] | undefined {
  if (value.length < 4) return undefined;
  const vendor = value.readUInt32BE(0);
  if (vendor === 0) return undefined;
  const subs: { vendor: number; type: number; value: Buffer }[] = [];
  let off = 4;
  while (off < value.length) {
    if (off + 2 > value.length) return undefined;
    const len = value[off + 1]!;
    if (len < 2 || off + len > value.length) return undefined;
    subs.push({ vendor, type: value[off]!, value: Buffer.from(value.subarray(off + 2, off + len)) });
    off += len;
  }
  return subs.length ? subs : undefined;
}

function bad(def: AttrDef, what: string): never {
  throw new RadiusParseError('BAD_ATTRIBUTE', `${def.name}: ${what}`);
}

function decodeValue(def: AttrDef, raw: Buffer, ctx: HidingContext | undefined): Avp {
  let data = raw;
  let tag: number | undefined;
  if (def.tagged) {
    // RFC 2868 3.1: integers always carry the tag byte; strings only when it is 0x01..0x1F;
    // Tunnel-Password always (3.5).
    if (def.encrypt === 'salted' || def.dataType === 'integer') {
      if (data.length < 1) bad(def, 'empty');
      tag = data[0]!;
      data = def.dataType === 'integer' ? Buffer.concat([Buffer.from([0]), data.subarray(1)]) : data.subarray(1);
    } else if (data.length > 0 && data[0]! <= 0x1f) {
      tag = data[0]!;
      data = data.subarray(1);
    }
  }
  if (def.encrypt) {
    if (!ctx) return { name: def.name, value: Buffer.from(data), ...(tag !== undefined ? { tag } : {}) };
    data = def.encrypt === 'user-password' ? revealUserPassword(data, ctx.secret, ctx.authenticator) : revealSalted(data, ctx.secret, ctx.authenticator);
  }
  const value = decodeScalar(def, data);
  return { name: def.name, value, ...(tag !== undefined ? { tag } : {}) };
}

function decodeScalar(def: AttrDef, data: Buffer): AvpValue {
  switch (def.dataType) {
    case 'text':
      return data.toString('utf8');
    case 'octets':
      return Buffer.from(data);
    case 'integer':
    case 'date':
      if (data.length !== 4) bad(def, `${def.dataType} of ${data.length} bytes (must be 4)`);
      return data.readUInt32BE(0);
    case 'ipaddr':
      if (data.length !== 4) bad(def, `IPv4 address of ${data.length} bytes`);
      return bytesToIp(data);
    case 'ipv6addr':
      if (data.length !== 16) bad(def, `IPv6 address of ${data.length} bytes`);
      return bytesToIp(data);
    case 'ifid':
      if (data.length !== 8) bad(def, `interface id of ${data.length} bytes`);
      return Buffer.from(data);
    case 'ipv6prefix': {
      if (data.length < 2 || data.length > 18) bad(def, `IPv6 prefix of ${data.length} bytes`);
      const plen = data[1]!;
      if (plen > 128 || data.length - 2 < Math.ceil(plen / 8)) bad(def, `prefix length ${plen} with ${data.length - 2} prefix bytes`);
      const addr = Buffer.alloc(16);
      data.copy(addr, 0, 2);
      return `${bytesToIp(addr)}/${plen}`;
    }
  }
}

// ------------------------------------------------------------------ encoding

/**
 * Attributes to raw TLVs. Message-Authenticator is written as 16 zero bytes (message.ts computes
 * it); a concat attribute longer than 253 bytes is split; everything else must fit one attribute.
 */
export function encodeAttributes(avps: readonly Avp[], ctx: HidingContext): RawAttribute[] {
  const out: RawAttribute[] = [];
  for (const avp of avps) {
    const def = attrByName(avp.name);
    if (!def) throw new RadiusEncodeError(`unknown RADIUS attribute "${avp.name}"`);
    if (def.vendor === 0 && def.type === ATTR_MESSAGE_AUTHENTICATOR) {
      out.push({ type: def.type, value: Buffer.alloc(16) });
      continue;
    }
    const value = encodeValue(def, avp, ctx);
    if (def.vendor === 0) {
      if (def.concat) {
        if (value.length === 0) out.push({ type: def.type, value });
        for (let i = 0; i < value.length; i += 253) out.push({ type: def.type, value: value.subarray(i, i + 253) });
        continue;
      }
      if (value.length > 253) throw new RadiusEncodeError(`${def.name}: value of ${value.length} bytes exceeds 253`);
      out.push({ type: def.type, value });
      continue;
    }
    if (value.length > 247) throw new RadiusEncodeError(`${def.name}: value of ${value.length} bytes exceeds 247 (VSA)`);
    const vsa = Buffer.alloc(6 + value.length);
    vsa.writeUInt32BE(def.vendor, 0);
    vsa[4] = def.type;
    vsa[5] = value.length + 2;
    value.copy(vsa, 6);
    out.push({ type: VENDOR_SPECIFIC, value: vsa });
  }
  return out;
}

function encodeValue(def: AttrDef, avp: Avp, ctx: HidingContext): Buffer {
  let data = encodeScalar(def, avp.value);
  if (def.encrypt === 'user-password') data = hideUserPassword(data, ctx.secret, ctx.authenticator);
  else if (def.encrypt === 'salted') data = hideSalted(data, ctx.secret, ctx.authenticator, (ctx.random ?? cryptoRandom).bytes(2));
  if (def.tagged) {
    const tag = avp.tag ?? 0;
    if (!Number.isInteger(tag) || tag < 0 || tag > 0x1f) throw new RadiusEncodeError(`${def.name}: tag ${tag} outside 0..31`);
    if (def.dataType === 'integer') {
      if (data[0] !== 0) throw new RadiusEncodeError(`${def.name}: tagged integer above 2^24`);
      data = Buffer.concat([Buffer.from([tag]), data.subarray(1)]);
    } else if (def.encrypt === 'salted' || avp.tag !== undefined) {
      data = Buffer.concat([Buffer.from([tag]), data]);
    }
  }
  return data;
}

function encodeScalar(def: AttrDef, value: AvpValue): Buffer {
  const fail = (what: string): never => {
    throw new RadiusEncodeError(`${def.name}: ${what}`);
  };
  switch (def.dataType) {
    case 'text':
      return Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
    case 'octets':
    case 'ifid': {
      const b = Buffer.isBuffer(value) ? value : typeof value === 'string' ? Buffer.from(value, 'utf8') : fail('expected bytes');
      if (def.dataType === 'ifid' && b.length !== 8) fail(`interface id of ${b.length} bytes`);
      return b;
    }
    case 'integer':
    case 'date': {
      let n = value;
      if (typeof n === 'string') {
        const named = def.values?.[n] ?? Object.entries(def.values ?? {}).find(([k]) => k.toLowerCase() === (n as string).toLowerCase())?.[1];
        n = named !== undefined ? named : /^\d+$/.test(n) ? Number(n) : fail(`"${n}" is neither a number nor a value name${def.values ? ` (${Object.keys(def.values).join(', ')})` : ''}`);
      }
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) fail(`${String(n)} is not a 32-bit unsigned integer`);
      const b = Buffer.alloc(4);
      b.writeUInt32BE(n as number);
      return b;
    }
    case 'ipaddr':
      if (typeof value !== 'string' || ipFamily(value) !== 4) fail(`"${String(value)}" is not an IPv4 address`);
      return ipToBytes(value as string);
    case 'ipv6addr':
      if (typeof value !== 'string' || ipFamily(value) !== 6) fail(`"${String(value)}" is not an IPv6 address`);
      return ipToBytes(value as string);
    case 'ipv6prefix': {
      const m = typeof value === 'string' ? /^(.+)\/(\d{1,3})$/.exec(value) : null;
      if (!m || ipFamily(m[1]!) !== 6 || Number(m[2]) > 128) fail(`"${String(value)}" is not an IPv6 prefix (x::/n)`);
      const plen = Number(m![2]);
      const addr = ipToBytes(m![1]!);
      // Only the prefix bytes are sent (RFC 8044 3.10), with the bits beyond the length cleared.
      const n = Math.ceil(plen / 8);
      const pfx = Buffer.from(addr.subarray(0, n));
      if (plen % 8 && n > 0) pfx[n - 1]! &= (0xff << (8 - (plen % 8))) & 0xff;
      return Buffer.concat([Buffer.from([0, plen]), pfx]);
    }
  }
}

// ------------------------------------------------------------------ helpers for callers

/** The first value of `name` (case-insensitive), if any. */
export function getAttr(avps: readonly Avp[], name: string): AvpValue | undefined {
  const n = name.toLowerCase();
  return avps.find((a) => a.name.toLowerCase() === n)?.value;
}

export function getAttrs(avps: readonly Avp[], name: string): AvpValue[] {
  const n = name.toLowerCase();
  return avps.filter((a) => a.name.toLowerCase() === n).map((a) => a.value);
}

export function getText(avps: readonly Avp[], name: string): string | undefined {
  const v = getAttr(avps, name);
  return v === undefined ? undefined : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

export function getNumber(avps: readonly Avp[], name: string): number | undefined {
  const v = getAttr(avps, name);
  return typeof v === 'number' ? v : undefined;
}

export function getBytes(avps: readonly Avp[], name: string): Buffer | undefined {
  const v = getAttr(avps, name);
  return v === undefined ? undefined : Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8');
}

/** "User-Name=carol" style rendering for logs (secrets shown as "*"). */
export function formatAvp(a: Avp): string {
  const def = attrByName(a.name);
  let v: string;
  if (def?.encrypt) v = '*';
  else if (Buffer.isBuffer(a.value)) v = `0x${a.value.toString('hex')}`;
  else if (typeof a.value === 'number' && def?.values) {
    const named = Object.entries(def.values).find(([, n]) => n === a.value)?.[0];
    v = named ? `${named}` : String(a.value);
  } else v = typeof a.value === 'string' ? JSON.stringify(a.value) : String(a.value);
  return `${a.name}${a.tag !== undefined ? `:${a.tag}` : ''}=${v}`;
}
