// RADIUS packet framing (RFC 2865 section 3 and 5): Code, Identifier, Length, Authenticator, then
// attributes as Type, Length, Value. This layer only frames; typed values are in attributes.ts and
// authenticators in message.ts.

import { RADIUS_MAX_LENGTH, RADIUS_MIN_LENGTH, isKnownCode } from './constants.ts';
import { RadiusEncodeError, RadiusParseError } from './errors.ts';

export interface RawAttribute {
  type: number;
  value: Buffer;
}

export interface RawPacket {
  code: number;
  identifier: number;
  authenticator: Buffer;
  attributes: RawAttribute[];
}

export const HEADER_LENGTH = 20;

/**
 * Frames a received datagram. Octets beyond the Length field are padding and ignored; a Length
 * larger than the datagram or outside 20..4096 makes the packet invalid (RFC 2865 section 3).
 */
export function decodeRawPacket(buf: Buffer): RawPacket {
  if (buf.length < HEADER_LENGTH) throw new RadiusParseError('TRUNCATED', `datagram of ${buf.length} bytes is shorter than the 20-byte RADIUS header`);
  const code = buf[0]!;
  const identifier = buf[1]!;
  const length = buf.readUInt16BE(2);
  if (length < RADIUS_MIN_LENGTH || length > RADIUS_MAX_LENGTH) throw new RadiusParseError('BAD_LENGTH', `Length ${length} outside 20..4096`, 2);
  if (length > buf.length) throw new RadiusParseError('TRUNCATED', `Length says ${length}, the datagram has ${buf.length} bytes`, 2);
  if (!isKnownCode(code)) throw new RadiusParseError('BAD_CODE', `unknown RADIUS code ${code}`, 0);
  const attributes: RawAttribute[] = [];
  let off = HEADER_LENGTH;
  while (off < length) {
    if (off + 2 > length) throw new RadiusParseError('BAD_ATTRIBUTE', 'attribute header cut by the end of the packet', off);
    const type = buf[off]!;
    const alen = buf[off + 1]!;
    if (alen < 2) throw new RadiusParseError('BAD_ATTRIBUTE', `attribute ${type} with length ${alen}`, off);
    if (off + alen > length) throw new RadiusParseError('BAD_ATTRIBUTE', `attribute ${type} of length ${alen} overruns the packet`, off);
    attributes.push({ type, value: Buffer.from(buf.subarray(off + 2, off + alen)) });
    off += alen;
  }
  return { code, identifier, authenticator: Buffer.from(buf.subarray(4, 20)), attributes };
}

export function encodeRawPacket(p: RawPacket): Buffer {
  const parts: Buffer[] = [];
  let length = HEADER_LENGTH;
  for (const a of p.attributes) {
    if (a.value.length > 253) throw new RadiusEncodeError(`attribute ${a.type} value of ${a.value.length} bytes exceeds 253`);
    parts.push(Buffer.from([a.type, a.value.length + 2]), a.value);
    length += a.value.length + 2;
  }
  if (length > RADIUS_MAX_LENGTH) throw new RadiusEncodeError(`RADIUS packet of ${length} bytes exceeds 4096`);
  const head = Buffer.alloc(HEADER_LENGTH);
  head[0] = p.code;
  head[1] = p.identifier & 0xff;
  head.writeUInt16BE(length, 2);
  if (p.authenticator.length !== 16) throw new RadiusEncodeError(`authenticator of ${p.authenticator.length} bytes`);
  p.authenticator.copy(head, 4);
  return Buffer.concat([head, ...parts]);
}
