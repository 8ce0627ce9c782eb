// RADIUS messages with their authenticators: encoding requests and responses, decoding and verifying
// them. The rules:
// - Access-Request / Status-Server: random Request Authenticator (RFC 2865 3, RFC 5997).
// - Accounting-Request, Disconnect-Request, CoA-Request: Request Authenticator =
//   MD5(Code + Identifier + Length + 16 zero octets + Attributes + Secret) (RFC 2866 3, RFC 5176 2.3).
// - Every response: Response Authenticator = MD5(Code + Identifier + Length + Request Authenticator
//   + Attributes + Secret) (RFC 2865 3).
// - Message-Authenticator (RFC 3579 3.2, RFC 2869 5.14) = HMAC-MD5(secret, packet with the attribute's
//   value zeroed), where the Authenticator field holds: the packet's own random authenticator for an
//   Access-Request; 16 zeros for Accounting/Disconnect/CoA requests (what FreeRADIUS and hostapd
//   do, RFC 5176 3.4); the Request Authenticator for responses. It is computed before the MD5
//   authenticators that cover it.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { cryptoRandom } from '../util/random.ts';
import type { RandomSource } from '../util/random.ts';
import { RadiusCode, hasComputedRequestAuthenticator, isRequestCode, radiusCodeName, responseCodesFor } from './constants.ts';
import { ATTR_EAP_MESSAGE, ATTR_MESSAGE_AUTHENTICATOR } from './dictionary.ts';
import { RadiusEncodeError, RadiusParseError } from './errors.ts';
import { decodeAttributes, encodeAttributes, formatAvp } from './attributes.ts';
import type { Avp } from './attributes.ts';
import { HEADER_LENGTH, decodeRawPacket, encodeRawPacket } from './packet.ts';
import type { RawAttribute } from './packet.ts';

export interface RadiusMessage {
  code: RadiusCode;
  identifier: number;
  authenticator: Buffer;
  attributes: Avp[];
}

export type Secret = string | Buffer;
const secretBytes = (s: Secret) => (Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8'));
const ZERO16 = Buffer.alloc(16);

function md5Authenticator(packet: Buffer, authField: Buffer, secret: Buffer): Buffer {
  return createHash('md5').update(packet.subarray(0, 4)).update(authField).update(packet.subarray(HEADER_LENGTH)).update(secret).digest();
}

/** Byte offset of the Message-Authenticator value in an encoded packet, or -1. */
function messageAuthenticatorOffset(packet: Buffer): number[] {
  const found: number[] = [];
  let off = HEADER_LENGTH;
  const length = packet.readUInt16BE(2);
  while (off + 2 <= length) {
    const len = packet[off + 1]!;
    if (len < 2) break;
    if (packet[off] === ATTR_MESSAGE_AUTHENTICATOR) found.push(off + 2);
    off += len;
  }
  return found;
}

function hmacOver(packet: Buffer, maOffset: number, authField: Buffer, secret: Buffer): Buffer {
  const copy = Buffer.from(packet);
  authField.copy(copy, 4);
  copy.fill(0, maOffset, maOffset + 16);
  return createHmac('md5', secret).update(copy).digest();
}

export interface EncodeOptions {
  secret: Secret;
  random?: RandomSource;
  /**
   * Add a Message-Authenticator (as the first attribute) when the list has none. Default: yes for
   * Access-Request and Status-Server, and for every packet carrying EAP-Message (RFC 3579 3.2).
   */
  messageAuthenticator?: boolean;
}

function withMessageAuthenticator(code: number, attrs: readonly Avp[], want: boolean | undefined): Avp[] {
  const has = attrs.some((a) => a.name.toLowerCase() === 'message-authenticator');
  const eap = attrs.some((a) => a.name.toLowerCase() === 'eap-message');
  const add = want ?? (eap || code === RadiusCode.AccessRequest || code === RadiusCode.StatusServer || code === RadiusCode.AccessAccept
    || code === RadiusCode.AccessReject || code === RadiusCode.AccessChallenge);
  if (has || !add) return [...attrs];
  // First, as the BlastRADIUS mitigations (draft-ietf-radext-deprecating-radius) recommend.
  return [{ name: 'Message-Authenticator', value: ZERO16 }, ...attrs];
}

function finish(code: number, identifier: number, raw: RawAttribute[], authField: Buffer, secret: Buffer, computeAuth: boolean): Buffer {
  const packet = encodeRawPacket({ code, identifier, authenticator: authField, attributes: raw });
  for (const off of messageAuthenticatorOffset(packet)) hmacOver(packet, off, authField, secret).copy(packet, off);
  if (computeAuth) md5Authenticator(packet, authField, secret).copy(packet, 4);
  return packet;
}

/**
 * Encodes a request. Returns the bytes and the Request Authenticator (needed to verify the response
 * and to reveal hidden attributes in it).
 */
export function encodeRequest(req: { code: RadiusCode; identifier: number; attributes: readonly Avp[] }, opts: EncodeOptions): { bytes: Buffer; authenticator: Buffer } {
  if (!isRequestCode(req.code)) throw new RadiusEncodeError(`${radiusCodeName(req.code)} is not a request`);
  const secret = secretBytes(opts.secret);
  const computed = hasComputedRequestAuthenticator(req.code);
  const authField = computed ? ZERO16 : (opts.random ?? cryptoRandom).bytes(16);
  const attrs = withMessageAuthenticator(req.code, req.attributes, opts.messageAuthenticator);
  const raw = encodeAttributes(attrs, { secret, authenticator: authField, ...(opts.random ? { random: opts.random } : {}) });
  const bytes = finish(req.code, req.identifier, raw, authField, secret, computed);
  return { bytes, authenticator: Buffer.from(bytes.subarray(4, 20)) };
}

/** Encodes the response to `request` (identifier and Request Authenticator taken from it). */
export function encodeResponse(resp: { code: RadiusCode; attributes: readonly Avp[] }, request: { identifier: number; authenticator: Buffer }, opts: EncodeOptions): Buffer {
  if (isRequestCode(resp.code)) throw new RadiusEncodeError(`${radiusCodeName(resp.code)} is not a response`);
  const secret = secretBytes(opts.secret);
  const attrs = withMessageAuthenticator(resp.code, resp.attributes, opts.messageAuthenticator);
  const raw = encodeAttributes(attrs, { secret, authenticator: request.authenticator, ...(opts.random ? { random: opts.random } : {}) });
  return finish(resp.code, request.identifier, raw, request.authenticator, secret, true);
}

export interface DecodeOptions {
  /** Reject a packet without Message-Authenticator even when it carries no EAP-Message. */
  requireMessageAuthenticator?: boolean;
}

function checkMessageAuthenticator(packet: Buffer, raw: RawAttribute[], authField: Buffer, secret: Buffer, opts: DecodeOptions | undefined): void {
  const offsets = messageAuthenticatorOffset(packet);
  if (offsets.length > 1) throw new RadiusParseError('BAD_MESSAGE_AUTHENTICATOR', 'more than one Message-Authenticator');
  if (offsets.length === 0) {
    if (raw.some((a) => a.type === ATTR_EAP_MESSAGE)) throw new RadiusParseError('MISSING_MESSAGE_AUTHENTICATOR', 'EAP-Message without Message-Authenticator (RFC 3579 3.2)');
    if (opts?.requireMessageAuthenticator) throw new RadiusParseError('MISSING_MESSAGE_AUTHENTICATOR', 'Message-Authenticator required');
    return;
  }
  const off = offsets[0]!;
  if (packet[off - 1] !== 18) throw new RadiusParseError('BAD_MESSAGE_AUTHENTICATOR', `Message-Authenticator of ${packet[off - 1]! - 2} bytes`);
  const want = hmacOver(packet, off, authField, secret);
  if (!timingSafeEqual(want, packet.subarray(off, off + 16))) throw new RadiusParseError('BAD_MESSAGE_AUTHENTICATOR', 'Message-Authenticator does not verify (wrong secret?)');
}

/**
 * Decodes and verifies a received request (the server side: built-in server, DAS). Throws
 * RadiusParseError for anything malformed or not authentic.
 */
export function decodeRequest(buf: Buffer, secret: Secret, opts?: DecodeOptions): RadiusMessage {
  const raw = decodeRawPacket(buf);
  if (!isRequestCode(raw.code)) throw new RadiusParseError('BAD_CODE', `${radiusCodeName(raw.code)} where a request was expected`, 0);
  const s = secretBytes(secret);
  const length = buf.readUInt16BE(2);
  const packet = buf.subarray(0, length);
  let authField = raw.authenticator;
  if (hasComputedRequestAuthenticator(raw.code)) {
    const want = md5Authenticator(packet, ZERO16, s);
    if (!timingSafeEqual(want, raw.authenticator)) throw new RadiusParseError('BAD_AUTHENTICATOR', `${radiusCodeName(raw.code)} Request Authenticator does not verify (wrong secret?)`, 4);
    authField = ZERO16;
  }
  checkMessageAuthenticator(packet, raw.attributes, authField, s, opts);
  // Hidden attributes of a computed-authenticator request were hidden before the authenticator
  // existed: with 16 zeros, as FreeRADIUS does (its "nullvector").
  return {
    code: raw.code as RadiusCode, identifier: raw.identifier, authenticator: raw.authenticator,
    attributes: decodeAttributes(raw.attributes, { secret: s, authenticator: authField }),
  };
}

/** Decodes and verifies a response to the request whose code and authenticator are given. */
export function decodeResponse(buf: Buffer, request: { code: RadiusCode; authenticator: Buffer }, secret: Secret, opts?: DecodeOptions): RadiusMessage {
  const raw = decodeRawPacket(buf);
  if (!responseCodesFor(request.code).includes(raw.code)) {
    throw new RadiusParseError('BAD_CODE', `${radiusCodeName(raw.code)} does not answer ${radiusCodeName(request.code)}`, 0);
  }
  const s = secretBytes(secret);
  const packet = buf.subarray(0, buf.readUInt16BE(2));
  const want = md5Authenticator(packet, request.authenticator, s);
  if (!timingSafeEqual(want, raw.authenticator)) throw new RadiusParseError('BAD_AUTHENTICATOR', 'Response Authenticator does not verify (wrong secret, or not a response to our request)', 4);
  checkMessageAuthenticator(packet, raw.attributes, request.authenticator, s, opts);
  return {
    code: raw.code as RadiusCode, identifier: raw.identifier, authenticator: raw.authenticator,
    attributes: decodeAttributes(raw.attributes, { secret: s, authenticator: request.authenticator }),
  };
}

/**
 * Decodes without verifying (captures, logs). Hidden attributes are revealed only when the secret
 * and the Request Authenticator are given (for a request, its own authenticator).
 */
export function decodeUnverified(buf: Buffer, hiding?: { secret: Secret; requestAuthenticator?: Buffer }): RadiusMessage {
  const raw = decodeRawPacket(buf);
  const own = hasComputedRequestAuthenticator(raw.code) ? ZERO16 : raw.authenticator;
  const ctx = hiding ? { secret: secretBytes(hiding.secret), authenticator: hiding.requestAuthenticator ?? own } : undefined;
  return { code: raw.code as RadiusCode, identifier: raw.identifier, authenticator: raw.authenticator, attributes: decodeAttributes(raw.attributes, ctx) };
}

/** One line per message for logs: "Access-Request id=207 User-Name=\"carol\" ...". */
export function describeMessage(m: RadiusMessage): string {
  return `${radiusCodeName(m.code)} id=${m.identifier} ${m.attributes.map(formatAvp).join(' ')}`.trim();
}
