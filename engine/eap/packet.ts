// EAP packet codec (RFC 3748 section 4): Code, Identifier, Length, and for Request/Response a Type
// (section 5) with its Type-Data. Expanded types (section 5.7) carry a 3-byte Vendor-Id and a 4-byte
// Vendor-Type before their data. Method payloads (MD5-Challenge, MSCHAPv2, Nak...) have their own
// small codecs next to their methods; this module only frames packets.

import { EapCode, EapType, eapCodeName, eapTypeName } from './constants.ts';
import { EapParseError } from './errors.ts';

export interface EapPacket {
  code: EapCode;
  identifier: number;
  /** Request and Response only. */
  type?: number;
  /** Type-Data: the bytes after the Type (after Vendor-Id/Vendor-Type for an expanded type). */
  data: Buffer;
  /** Expanded type (254) only. */
  vendorId?: number;
  vendorType?: number;
}

const HEADER = 4;

/**
 * Decodes one EAP packet. Octets beyond the Length field are padding and ignored; a Length larger
 * than the buffer, or below the minimum for the code, is an error (RFC 3748 section 4.1).
 */
export function decodeEap(buf: Buffer): EapPacket {
  if (buf.length < HEADER) throw new EapParseError('TRUNCATED', `EAP packet of ${buf.length} bytes is shorter than its 4-byte header`);
  const code = buf[0]!;
  const identifier = buf[1]!;
  const length = buf.readUInt16BE(2);
  if (code < 1 || code > 4) throw new EapParseError('BAD_CODE', `unknown EAP code ${code}`);
  if (length > buf.length) throw new EapParseError('TRUNCATED', `EAP Length says ${length}, only ${buf.length} bytes present`);
  if (code === EapCode.Success || code === EapCode.Failure) {
    if (length < HEADER) throw new EapParseError('BAD_LENGTH', `EAP ${eapCodeName(code)} with Length ${length}`);
    return { code, identifier, data: Buffer.alloc(0) };
  }
  if (length < HEADER + 1) throw new EapParseError('BAD_LENGTH', `EAP ${eapCodeName(code)} with Length ${length} has no Type`);
  const type = buf[4]!;
  if (type === EapType.Expanded) {
    if (length < 12) throw new EapParseError('BAD_LENGTH', `expanded EAP type needs 12 bytes, Length is ${length}`);
    return {
      code, identifier, type,
      vendorId: buf.readUIntBE(5, 3),
      vendorType: buf.readUInt32BE(8),
      data: Buffer.from(buf.subarray(12, length)),
    };
  }
  return { code, identifier, type, data: Buffer.from(buf.subarray(5, length)) };
}

export function encodeEap(p: EapPacket): Buffer {
  if (p.code === EapCode.Success || p.code === EapCode.Failure) {
    const out = Buffer.alloc(HEADER);
    out[0] = p.code;
    out[1] = p.identifier & 0xff;
    out.writeUInt16BE(HEADER, 2);
    return out;
  }
  if (p.type === undefined) throw new RangeError(`EAP ${eapCodeName(p.code)} needs a type`);
  const expanded = p.type === EapType.Expanded;
  const head = expanded ? 12 : 5;
  const length = head + p.data.length;
  if (length > 0xffff) throw new RangeError(`EAP packet of ${length} bytes does not fit the Length field`);
  const out = Buffer.alloc(length);
  out[0] = p.code;
  out[1] = p.identifier & 0xff;
  out.writeUInt16BE(length, 2);
  out[4] = p.type;
  if (expanded) {
    out.writeUIntBE(p.vendorId ?? 0, 5, 3);
    out.writeUInt32BE(p.vendorType ?? 0, 8);
  }
  p.data.copy(out, head);
  return out;
}

/** One-line description for logs: "Request/MSCHAPv2 id=1 len=42". */
export function describeEap(p: EapPacket): string {
  const len = p.code === EapCode.Success || p.code === EapCode.Failure ? 4 : (p.type === EapType.Expanded ? 12 : 5) + p.data.length;
  const type = p.type === undefined ? '' : `/${p.type === EapType.Expanded ? `Expanded(${p.vendorId}:${p.vendorType})` : eapTypeName(p.type)}`;
  return `${eapCodeName(p.code)}${type} id=${p.identifier} len=${len}`;
}

// ---- the small fixed-format types (RFC 3748 section 5.1-5.3, 5.6) ----

export function identityRequest(identifier: number, prompt = ''): EapPacket {
  return { code: EapCode.Request, identifier, type: EapType.Identity, data: Buffer.from(prompt, 'utf8') };
}

export function identityResponse(identifier: number, identity: string): EapPacket {
  return { code: EapCode.Response, identifier, type: EapType.Identity, data: Buffer.from(identity, 'utf8') };
}

/** The legacy Nak (RFC 3748 5.3.1): one byte per desired type; a single 0 means "none acceptable". */
export function nakResponse(identifier: number, desired: readonly number[]): EapPacket {
  return { code: EapCode.Response, identifier, type: EapType.Nak, data: Buffer.from(desired.length ? desired : [0]) };
}

export function nakDesiredTypes(p: EapPacket): number[] {
  return [...p.data].filter((t) => t !== 0);
}

export function notificationResponse(identifier: number): EapPacket {
  return { code: EapCode.Response, identifier, type: EapType.Notification, data: Buffer.alloc(0) };
}

export function successPacket(identifier: number): EapPacket {
  return { code: EapCode.Success, identifier, data: Buffer.alloc(0) };
}

export function failurePacket(identifier: number): EapPacket {
  return { code: EapCode.Failure, identifier, data: Buffer.alloc(0) };
}

/** Text of an Identity, Notification or GTC packet (UTF-8, RFC 3748 5.1 allows no NUL termination). */
export function eapText(p: EapPacket): string {
  return p.data.toString('utf8');
}
