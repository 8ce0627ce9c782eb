// The payload chain (RFC 7296 section 3.2): every payload starts with a generic header (next
// payload type, critical bit, 7 reserved bits, length). The walker is driven by a table from
// payload type to body codec; types without a codec are kept as UnknownPayload when not critical
// and refused when critical (RFC 7296 2.5).

import { Buffer } from 'node:buffer';
import { PayloadType } from '../constants.ts';
import type { KnownPayload, Payload, UnknownPayload } from '../message.ts';
import { isUnknown } from '../message.ts';
import { decodeAuthBody, encodeAuthBody } from './auth.ts';
import { ByteReader, checkFits, u16, u8 } from './bytes.ts';
import { decodeCertBody, decodeCertReqBody, encodeCertBody, encodeCertReqBody } from './cert.ts';
import { decodeCpBody, encodeCpBody } from './cp.ts';
import { decodeDeleteBody, encodeDeleteBody } from './delete.ts';
import { decodeEapBody, encodeEapBody } from './eap.ts';
import { IkeEncodeError, IkeParseError } from './errors.ts';
import { decodeIdBody, encodeIdBody } from './id.ts';
import { decodeKeBody, encodeKeBody } from './ke.ts';
import { decodeNonceBody, encodeNonceBody } from './nonce.ts';
import { decodeNotifyBody, encodeNotifyBody } from './notify.ts';
import { decodeSaBody, encodeSaBody } from './sa.ts';
import { decodeSkBody, decodeSkfBody, encodeSkBody, encodeSkfBody } from './sk.ts';
import { decodeTsBody, encodeTsBody } from './ts.ts';
import { decodeVendorBody, encodeVendorBody } from './vendor.ts';

export const GENERIC_HEADER_LENGTH = 4;
const CRITICAL = 0x80;

interface BodyCodec {
  /** `next` is the generic header's Next Payload (for SK/SKF: the first inner payload). */
  decode(r: ByteReader, next: number): KnownPayload;
  encode(p: KnownPayload): Buffer;
}

// The table is indexed by the payload's own type, so each encoder only ever sees its own kind.
function codec<P extends KnownPayload>(decode: (r: ByteReader, next: number) => P, encode: (p: P) => Buffer): BodyCodec {
  return { decode, encode: encode as (p: KnownPayload) => Buffer };
}

const CODECS: Partial<Record<number, BodyCodec>> = {
  [PayloadType.SA]: codec(decodeSaBody, encodeSaBody),
  [PayloadType.KE]: codec(decodeKeBody, encodeKeBody),
  [PayloadType.IDi]: codec((r) => decodeIdBody(r, PayloadType.IDi), encodeIdBody),
  [PayloadType.IDr]: codec((r) => decodeIdBody(r, PayloadType.IDr), encodeIdBody),
  [PayloadType.CERT]: codec(decodeCertBody, encodeCertBody),
  [PayloadType.CERTREQ]: codec(decodeCertReqBody, encodeCertReqBody),
  [PayloadType.AUTH]: codec(decodeAuthBody, encodeAuthBody),
  [PayloadType.NONCE]: codec(decodeNonceBody, encodeNonceBody),
  [PayloadType.NOTIFY]: codec(decodeNotifyBody, encodeNotifyBody),
  [PayloadType.DELETE]: codec(decodeDeleteBody, encodeDeleteBody),
  [PayloadType.VENDOR_ID]: codec(decodeVendorBody, encodeVendorBody),
  [PayloadType.TSi]: codec((r) => decodeTsBody(r, PayloadType.TSi), encodeTsBody),
  [PayloadType.TSr]: codec((r) => decodeTsBody(r, PayloadType.TSr), encodeTsBody),
  [PayloadType.SK]: codec(decodeSkBody, encodeSkBody),
  [PayloadType.CP]: codec(decodeCpBody, encodeCpBody),
  [PayloadType.EAP]: codec(decodeEapBody, encodeEapBody),
  [PayloadType.SKF]: codec(decodeSkfBody, encodeSkfBody),
};

/** Payload types this codec understands (the rest are UnknownPayload). */
export function isKnownPayloadType(type: number): boolean {
  return CODECS[type] !== undefined;
}

/**
 * Payloads no exchange of RFC 7296 (or 7383, 9242) carries more than once per message; a second
 * one is refused rather than letting a handler pick one of them.
 */
export const SINGLE_PAYLOADS: ReadonlySet<number> = new Set([
  PayloadType.SA, PayloadType.KE, PayloadType.IDi, PayloadType.IDr, PayloadType.AUTH, PayloadType.NONCE,
  PayloadType.TSi, PayloadType.TSr, PayloadType.CP, PayloadType.EAP, PayloadType.SK, PayloadType.SKF,
]);

export function isEncryptedPayloadType(type: number): boolean {
  return type === PayloadType.SK || type === PayloadType.SKF;
}

export interface DecodeContext {
  /** Offset of buf[0] in the buffer the caller reports errors against (28 for a message body). */
  baseOffset?: number;
  /** Decoding the plaintext of SK/SKF: a nested SK or SKF is an error. */
  inner?: boolean;
}

/** Walks the chain starting with payload type `first` over exactly `buf`. Throws IkeParseError only. */
export function decodePayloads(first: number, buf: Buffer, ctx: DecodeContext = {}): Payload[] {
  const base = ctx.baseOffset ?? 0;
  const payloads: Payload[] = [];
  const seen = new Set<number>();
  let type = first;
  let pos = 0;
  while (type !== PayloadType.NONE) {
    const at = base + pos;
    if (buf.length - pos < GENERIC_HEADER_LENGTH) {
      throw new IkeParseError('TRUNCATED', `payload ${type}: generic header needs 4 bytes, ${buf.length - pos} left`, at, type);
    }
    const next = buf[pos]!;
    const critical = (buf[pos + 1]! & CRITICAL) !== 0; // the other 7 bits are reserved: ignored
    const length = buf.readUInt16BE(pos + 2);
    if (length < GENERIC_HEADER_LENGTH) throw new IkeParseError('BAD_LENGTH', `payload ${type}: length ${length} is below 4`, at, type);
    if (length > buf.length - pos) {
      throw new IkeParseError('BAD_LENGTH', `payload ${type}: length ${length} runs past the message (${buf.length - pos} bytes left)`, at, type);
    }
    const body = new ByteReader(buf.subarray(pos + GENERIC_HEADER_LENGTH, pos + length), at + GENERIC_HEADER_LENGTH, type);
    pos += length;
    const bodyCodec = CODECS[type];
    let p: Payload;
    if (!bodyCodec) {
      if (critical) {
        throw new IkeParseError('UNSUPPORTED_CRITICAL_PAYLOAD', `payload type ${type} is unknown and marked critical`, at, type);
      }
      p = { type, unknown: true, data: body.rest() } satisfies UnknownPayload;
    } else {
      if (isEncryptedPayloadType(type)) {
        if (ctx.inner) throw new IkeParseError('UNEXPECTED_PAYLOAD', `payload ${type} inside encrypted content`, at, type);
        if (pos !== buf.length) {
          throw new IkeParseError('SK_NOT_LAST', `${buf.length - pos} bytes follow the encrypted payload ${type}`, base + pos, type);
        }
      }
      if (SINGLE_PAYLOADS.has(type)) {
        if (seen.has(type)) throw new IkeParseError('DUPLICATE', `second payload of type ${type}`, at, type);
        seen.add(type);
      }
      p = bodyCodec.decode(body, next);
      // Known types ignore the critical bit on receipt (RFC 7296 2.5); it is reported all the same.
      if (critical) p.critical = true;
    }
    payloads.push(p);
    // SK/SKF's Next Payload names the first payload inside it: the outer chain ends here.
    type = isEncryptedPayloadType(type) && bodyCodec ? PayloadType.NONE : next;
  }
  if (pos !== buf.length) {
    throw new IkeParseError('TRAILING_DATA', `${buf.length - pos} bytes after the last payload`, base + pos);
  }
  return payloads;
}

/** Encodes one payload's body (no generic header). */
export function encodePayloadBody(p: Payload): Buffer {
  if (isUnknown(p)) return p.data;
  const bodyCodec = CODECS[p.type];
  if (!bodyCodec) throw new IkeEncodeError(`payload type ${p.type} has no codec; use an UnknownPayload`);
  return bodyCodec.encode(p);
}

/**
 * Encodes a chain: generic headers with Next Payload chaining and critical bits as given. SK/SKF
 * must come last; their Next Payload is the first payload inside them.
 */
export function encodePayloads(payloads: Payload[]): { first: number; bytes: Buffer } {
  const parts: Buffer[] = [];
  payloads.forEach((p, i) => {
    checkFits(p.type, 0xff, 'payload type');
    const encrypted = !isUnknown(p) && (p.type === PayloadType.SK || p.type === PayloadType.SKF);
    if (encrypted && i !== payloads.length - 1) throw new IkeEncodeError(`payload ${p.type} (encrypted) must be the last payload`);
    const next = i + 1 < payloads.length ? payloads[i + 1]!.type
      : encrypted ? (p as { innerFirstPayload: number }).innerFirstPayload : PayloadType.NONE;
    const body = encodePayloadBody(p);
    parts.push(
      u8(next, 'next payload'), u8(p.critical ? CRITICAL : 0, 'flags'),
      u16(GENERIC_HEADER_LENGTH + body.length, `payload ${p.type} length`), body,
    );
  });
  return { first: payloads[0]?.type ?? PayloadType.NONE, bytes: Buffer.concat(parts) };
}
