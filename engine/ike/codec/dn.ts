// X.500 Distinguished Names as carried by ID_DER_ASN1_DN (RFC 7296 3.5): the DER encoding of an
// X.501 Name, and a text form for configuration and logs. The text lists RDNs in DER order, as
// strongSwan prints them ("C=CH, O=Lab, CN=a.pr.test"), with RFC 4514 escaping; multi-valued
// RDNs are joined with "+". Only the DER subset a Name uses is handled here.

import { Buffer } from 'node:buffer';

const OIDS: Array<[name: string, oid: string]> = [
  ['CN', '2.5.4.3'], ['SN', '2.5.4.4'], ['serialNumber', '2.5.4.5'], ['C', '2.5.4.6'], ['L', '2.5.4.7'],
  ['ST', '2.5.4.8'], ['STREET', '2.5.4.9'], ['O', '2.5.4.10'], ['OU', '2.5.4.11'], ['title', '2.5.4.12'],
  ['GN', '2.5.4.42'], ['DC', '0.9.2342.19200300.100.1.25'], ['UID', '0.9.2342.19200300.100.1.1'],
  ['E', '1.2.840.113549.1.9.1'],
];
const NAME_TO_OID = new Map(OIDS.map(([n, o]) => [n.toUpperCase(), o]));
NAME_TO_OID.set('EMAILADDRESS', '1.2.840.113549.1.9.1');
const OID_TO_NAME = new Map(OIDS.map(([n, o]) => [o, n]));

const TAG_SEQUENCE = 0x30;
const TAG_SET = 0x31;
const TAG_OID = 0x06;
const TAG_UTF8 = 0x0c;
const TAG_PRINTABLE = 0x13;
const TAG_T61 = 0x14;
const TAG_IA5 = 0x16;
const TAG_UNIVERSAL = 0x1c;
const TAG_BMP = 0x1e;

export interface DnAttribute {
  oid: string;
  /** Decoded string, or undefined when the value is not a string type (then `der` holds it). */
  value?: string;
  /** The value's whole DER TLV. */
  der: Buffer;
}

export type Rdn = DnAttribute[];

// ---- DER primitives -------------------------------------------------------------------------

interface Tlv { tag: number; content: Buffer; whole: Buffer; next: number }

/** Reads one TLV at `pos`; undefined when the bytes are not well-formed DER lengths. */
function readTlv(buf: Buffer, pos: number): Tlv | undefined {
  if (pos + 2 > buf.length) return undefined;
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) return undefined; // multi-byte tags never occur in a Name
  let len = buf[pos + 1]!;
  let hdr = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || pos + 2 + n > buf.length) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + 2 + i]!;
    hdr += n;
  }
  const end = pos + hdr + len;
  if (end > buf.length) return undefined;
  return { tag, content: buf.subarray(pos + hdr, end), whole: buf.subarray(pos, end), next: end };
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  if (n < 0x10000) return Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

function encodeOid(oid: string): Buffer {
  const parts = oid.split('.').map((p) => {
    if (!/^\d+$/.test(p)) throw new Error(`bad OID "${oid}"`);
    return Number(p);
  });
  if (parts.length < 2 || parts[0]! > 2) throw new Error(`bad OID "${oid}"`);
  const out: number[] = [];
  const arcs = [parts[0]! * 40 + parts[1]!, ...parts.slice(2)];
  for (const arc of arcs) {
    const bytes = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift((v & 0x7f) | 0x80);
    out.push(...bytes);
  }
  return Buffer.from(out);
}

function decodeOid(b: Buffer): string | undefined {
  if (b.length === 0) return undefined;
  const arcs: number[] = [];
  let v = 0;
  for (let i = 0; i < b.length; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) { arcs.push(v); v = 0; } else if (i === b.length - 1) return undefined;
  }
  const first = arcs.shift()!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

function decodeString(tag: number, c: Buffer): string | undefined {
  switch (tag) {
    case TAG_UTF8: return c.toString('utf8');
    case TAG_PRINTABLE: case TAG_IA5: return c.toString('latin1');
    case TAG_T61: return c.toString('latin1');
    case TAG_BMP: {
      if (c.length % 2) return undefined;
      let s = '';
      for (let i = 0; i < c.length; i += 2) s += String.fromCharCode(c.readUInt16BE(i));
      return s;
    }
    case TAG_UNIVERSAL: {
      if (c.length % 4) return undefined;
      let s = '';
      for (let i = 0; i < c.length; i += 4) {
        const cp = c.readUInt32BE(i);
        if (cp > 0x10ffff) return undefined;
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default: return undefined;
  }
}

// ---- DER Name <-> structure ------------------------------------------------------------------

/** Parses a DER Name; undefined when it is not a well-formed SEQUENCE OF SET OF {OID, value}. */
export function parseDn(der: Buffer): Rdn[] | undefined {
  const top = readTlv(der, 0);
  if (!top || top.tag !== TAG_SEQUENCE || top.next !== der.length) return undefined;
  const rdns: Rdn[] = [];
  for (let p = 0; p < top.content.length;) {
    const set = readTlv(top.content, p);
    if (!set || set.tag !== TAG_SET || set.content.length === 0) return undefined;
    const rdn: Rdn = [];
    for (let q = 0; q < set.content.length;) {
      const atv = readTlv(set.content, q);
      if (!atv || atv.tag !== TAG_SEQUENCE) return undefined;
      const oidTlv = readTlv(atv.content, 0);
      if (!oidTlv || oidTlv.tag !== TAG_OID) return undefined;
      const oid = decodeOid(oidTlv.content);
      const val = readTlv(atv.content, oidTlv.next);
      if (!oid || !val || val.next !== atv.content.length) return undefined;
      const value = decodeString(val.tag, val.content);
      rdn.push(value === undefined ? { oid, der: Buffer.from(val.whole) } : { oid, value, der: Buffer.from(val.whole) });
      q = atv.next;
    }
    rdns.push(rdn);
    p = set.next;
  }
  return rdns;
}

export function isDerDn(der: Buffer): boolean {
  return parseDn(der) !== undefined;
}

// ---- text <-> structure ----------------------------------------------------------------------

const SPECIAL = new Set([',', '+', '"', '\\', '<', '>', ';', '=']);

function escapeValue(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const ch = v[i]!;
    const edgeSpace = ch === ' ' && (i === 0 || i === v.length - 1);
    if (SPECIAL.has(ch) || edgeSpace || (i === 0 && ch === '#')) out += '\\' + ch;
    else if (ch.charCodeAt(0) < 0x20) out += '\\' + ch.charCodeAt(0).toString(16).padStart(2, '0');
    else out += ch;
  }
  return out;
}

/** DER Name -> "C=CH, O=Lab, CN=a.pr.test". Throws Error when the DER is not a Name. */
export function dnToString(der: Buffer): string {
  const rdns = parseDn(der);
  if (!rdns) throw new Error('not a DER-encoded X.501 Name');
  return rdns.map((rdn) => rdn.map((a) => {
    const key = OID_TO_NAME.get(a.oid) ?? a.oid;
    return `${key}=${a.value === undefined ? '#' + a.der.toString('hex') : escapeValue(a.value)}`;
  }).join('+')).join(', ');
}

/** Splits on an unescaped separator character. */
function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) { cur += ch + text[i + 1]; i++; continue; }
    if (ch === sep) { parts.push(cur); cur = ''; continue; }
    cur += ch;
  }
  parts.push(cur);
  return parts;
}

function unescapeValue(v: string): string {
  const bytes: number[] = [];
  const push = (s: string) => bytes.push(...Buffer.from(s, 'utf8'));
  for (let i = 0; i < v.length; i++) {
    const ch = v[i]!;
    if (ch !== '\\') { push(ch); continue; }
    const hex = v.slice(i + 1, i + 3);
    if (/^[0-9a-fA-F]{2}$/.test(hex)) { bytes.push(parseInt(hex, 16)); i += 2; continue; }
    if (i + 1 >= v.length) throw new Error('DN value ends with a lone backslash');
    push(v[i + 1]!);
    i++;
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Strips surrounding spaces, keeping a trailing space that is escaped ("a\\ "). */
function trimValue(v: string): string {
  let start = 0;
  while (start < v.length && v[start] === ' ') start++;
  let end = v.length;
  for (; end > start && v[end - 1] === ' '; end--) {
    let slashes = 0;
    for (let i = end - 2; i >= start && v[i] === '\\'; i--) slashes++;
    if (slashes % 2 === 1) break;
  }
  return v.slice(start, end);
}

function stringTagFor(oid: string, value: string): number {
  if (oid === '2.5.4.6' || oid === '2.5.4.5') return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value) ? TAG_PRINTABLE : TAG_UTF8;
  if (oid === '1.2.840.113549.1.9.1' || oid === '0.9.2342.19200300.100.1.25') return TAG_IA5;
  return TAG_UTF8;
}

/**
 * "CN=a.pr.test, O=x" -> DER Name, RDNs in the order written. Values are UTF8String except C and
 * serialNumber (PrintableString) and E/DC (IA5String), as OpenSSL writes them; "#hex" gives a raw
 * DER value; unknown attribute names may be written as dotted OIDs. Throws Error on bad text.
 */
export function dnFromString(text: string): Buffer {
  if (text.trim() === '') return tlv(TAG_SEQUENCE, Buffer.alloc(0));
  // No trim of the whole text: an escaped trailing space ("CN=a\\ ") belongs to the value.
  const rdns = splitUnescaped(text, ',').map((rdnText) => {
    const atvs = splitUnescaped(rdnText, '+').map((atv) => {
      const eq = atv.indexOf('=');
      if (eq <= 0) throw new Error(`DN part "${atv.trim()}" is not KEY=value`);
      const key = atv.slice(0, eq).trim();
      const raw = trimValue(atv.slice(eq + 1));
      const oid = /^\d+(\.\d+)+$/.test(key) ? key : NAME_TO_OID.get(key.toUpperCase());
      if (!oid) throw new Error(`unknown DN attribute "${key}" (known: ${OIDS.map(([n]) => n).join(', ')} or a dotted OID)`);
      let value: Buffer;
      if (raw.startsWith('#')) {
        if (!/^#([0-9a-fA-F]{2})+$/.test(raw)) throw new Error(`DN value "${raw}" is not #hex`);
        value = Buffer.from(raw.slice(1), 'hex');
        const t = readTlv(value, 0);
        if (!t || t.next !== value.length) throw new Error(`DN value "${raw}" is not one DER element`);
      } else {
        const s = unescapeValue(raw);
        const tag = stringTagFor(oid, s);
        value = tlv(tag, Buffer.from(s, tag === TAG_UTF8 ? 'utf8' : 'latin1'));
      }
      return tlv(TAG_SEQUENCE, Buffer.concat([tlv(TAG_OID, encodeOid(oid)), value]));
    });
    return tlv(TAG_SET, Buffer.concat(atvs));
  });
  return tlv(TAG_SEQUENCE, Buffer.concat(rdns));
}
