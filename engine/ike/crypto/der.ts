// A minimal DER reader (ITU-T X.690) for the few structures the IKE cryptography must look into:
// AlgorithmIdentifiers of RFC 7427 AUTH data and, in certificates, the subject Name, the
// SubjectPublicKeyInfo and extensions, which Node's X509Certificate does not expose as bytes.
// Parsing only; every cryptographic operation stays with Node's crypto.

import { MalformedCryptoDataError } from './errors.ts';

export const TAG = {
  BOOLEAN: 0x01, INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, NULL: 0x05, OID: 0x06,
  SEQUENCE: 0x30, SET: 0x31,
  /** Context-specific constructed [n]. */
  context: (n: number): number => 0xa0 | n,
} as const;

export interface DerElement {
  tag: number;
  /** Offset of the tag octet. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just past the element. */
  end: number;
}

/** Reads the TLV at `offset`, which must end by `limit`. Single-octet tags, definite lengths. */
export function readElement(buf: Buffer, offset: number, limit = buf.length): DerElement {
  if (offset + 2 > limit) throw new MalformedCryptoDataError(`DER: truncated element at ${offset}`);
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new MalformedCryptoDataError(`DER: multi-octet tag at ${offset}`);
  let len = buf[offset + 1]!;
  let contentStart = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new MalformedCryptoDataError(`DER: unsupported length form at ${offset}`);
    if (contentStart + n > limit) throw new MalformedCryptoDataError(`DER: truncated length at ${offset}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[contentStart + i]!;
    contentStart += n;
  }
  const end = contentStart + len;
  if (end > limit) throw new MalformedCryptoDataError(`DER: element at ${offset} runs past its container`);
  return { tag, start: offset, contentStart, end };
}

/** The elements directly inside a constructed element. */
export function children(buf: Buffer, el: DerElement): DerElement[] {
  const out: DerElement[] = [];
  for (let off = el.contentStart; off < el.end;) {
    const c = readElement(buf, off, el.end);
    out.push(c);
    off = c.end;
  }
  return out;
}

/** Parses `buf` as exactly one element (no trailing bytes). */
export function readWhole(buf: Buffer): DerElement {
  const el = readElement(buf, 0);
  if (el.end !== buf.length) throw new MalformedCryptoDataError('DER: trailing bytes after the element');
  return el;
}

export function content(buf: Buffer, el: DerElement): Buffer {
  return buf.subarray(el.contentStart, el.end);
}

export function whole(buf: Buffer, el: DerElement): Buffer {
  return buf.subarray(el.start, el.end);
}

/** Non-negative INTEGER content as a number (small values: salt lengths, versions). */
export function readSmallInteger(buf: Buffer, el: DerElement): number {
  if (el.tag !== TAG.INTEGER) throw new MalformedCryptoDataError('DER: INTEGER expected');
  const c = content(buf, el);
  if (c.length === 0 || c.length > 4 || (c[0]! & 0x80)) throw new MalformedCryptoDataError('DER: INTEGER out of range');
  return c.reduce((v, b) => v * 256 + b, 0);
}
