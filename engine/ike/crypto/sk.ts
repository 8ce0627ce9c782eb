// Protection of the Encrypted and Authenticated payload SK (RFC 7296 section 3.14) and of the
// Encrypted Fragment payload SKF (RFC 7383 section 2.5), working on message bytes:
//
//   IKE header (28) | SK header (4) or SKF header (8) | IV | E(inner | padding | pad length) | ICV
//
// Non-AEAD (encrypt-then-MAC): the ICV is the truncated HMAC of everything from the first octet
// of the IKE header up to the ICV. AEAD (AES-GCM, RFC 5282 section 5): nonce = salt | IV, the
// associated data is the IKE header plus the SK/SKF payload header (the cleartext before the IV),
// and the ICV is the GCM tag. The SK/SKF payload is the last payload of the message, so its ICV is
// the last bytes of the datagram; opening therefore authenticates first and only then looks at
// any length field, so that a change to any bit reports an IntegrityError.

import { Buffer } from 'node:buffer';
import { timingSafeEqual } from 'node:crypto';
import type { IntegAlgorithm } from '../../crypto/algorithms.ts';
import type { RandomSource } from '../../util/random.ts';
import { PayloadType } from '../constants.ts';
import { cbcDecrypt, cbcEncrypt, computeIcv, gcmOpen, gcmSeal } from './cipher.ts';
import { DecryptError, IntegrityError, UnsupportedAlgorithmError } from './errors.ts';
import { resolveEncr, resolveInteg, usableForIke } from './transforms.ts';
import type { ResolvedEncr } from './transforms.ts';

export interface SkSuite {
  encr: number;
  encrKeyBits?: number;
  /** 0 (NONE) with AES-GCM. */
  integ: number;
}

/** SK_ei/SK_ai (initiator's messages) or SK_er/SK_ar; AEAD: encrKey includes the 4-byte salt. */
export interface SkKeys {
  encrKey: Buffer;
  integKey?: Buffer;
}

export interface OpenedSk {
  innerFirstPayload: number;
  plaintext: Buffer;
}

export interface OpenedSkf extends OpenedSk {
  fragmentNumber: number;
  totalFragments: number;
}

export const IKE_HEADER_LENGTH = 28;
export const SK_HEADER_LENGTH = 4;
export const SKF_HEADER_LENGTH = 8;
/** Largest value of a 16-bit payload length field. */
const MAX_PAYLOAD_LENGTH = 0xffff;

/** Which payload: SK (46) or SKF (53). */
export type SkKind = 'sk' | 'skf';

interface Prepared {
  encr: ResolvedEncr;
  integ: IntegAlgorithm | undefined;
  ivLength: number;
  icvLength: number;
  /** Alignment of inner | padding | pad length: the cipher block size, 1 for GCM (a stream mode). */
  blockSize: number;
}

function prepare(suite: SkSuite): Prepared {
  if (!usableForIke(suite.encr)) throw new UnsupportedAlgorithmError(`encryption transform ${suite.encr} for the SK payload`);
  const encr = resolveEncr(suite.encr, suite.encrKeyBits);
  const integ = resolveInteg(encr, suite.integ);
  return {
    encr,
    integ,
    ivLength: encr.alg.ivLength,
    icvLength: encr.alg.aead ? encr.alg.icvLength : integ!.icvLength,
    blockSize: encr.alg.aead ? 1 : encr.alg.blockSize,
  };
}

function checkKeys(p: Prepared, keys: SkKeys): void {
  if (keys.encrKey.length !== p.encr.keyMaterialLength) {
    throw new RangeError(`${p.encr.alg.name}-${p.encr.keyBits} needs ${p.encr.keyMaterialLength} bytes of encryption key material, got ${keys.encrKey.length}`);
  }
  if (p.integ && keys.integKey?.length !== p.integ.keyLength) {
    throw new RangeError(`${p.integ.name} needs a ${p.integ.keyLength}-byte integrity key, got ${keys.integKey?.length ?? 'none'}`);
  }
}

function headerLength(kind: SkKind): number {
  return kind === 'sk' ? SK_HEADER_LENGTH : SKF_HEADER_LENGTH;
}

function paddedLength(p: Prepared, innerLength: number): number {
  // At least the pad length octet; padded up to the block size (RFC 7296 3.14).
  return Math.ceil((innerLength + 1) / p.blockSize) * p.blockSize;
}

// ---- sizes (for the fragmenter) ------------------------------------------------------------------

/**
 * Worst-case bytes a protected message adds to its inner payloads: IKE header, SK (or SKF)
 * payload header, IV, maximum padding plus the pad length octet, and ICV.
 */
export function skOverhead(suite: SkSuite, kind: SkKind = 'sk'): number {
  const p = prepare(suite);
  return IKE_HEADER_LENGTH + headerLength(kind) + p.ivLength + p.blockSize + p.icvLength;
}

/** Exact length of the message sealSk/sealSkf produce for `innerLength` bytes of payloads. */
export function sealedLength(suite: SkSuite, innerLength: number, kind: SkKind = 'sk'): number {
  const p = prepare(suite);
  return IKE_HEADER_LENGTH + headerLength(kind) + p.ivLength + paddedLength(p, innerLength) + p.icvLength;
}

/**
 * Largest chunk of the inner payload bytes that fits one SKF-protected message of at most
 * `messageLimit` bytes (the IKE message: header included, IP/UDP and the non-ESP marker not).
 * Returns 0 or less when not even one byte fits.
 */
export function maxSkfChunk(suite: SkSuite, messageLimit: number): number {
  const p = prepare(suite);
  const room = messageLimit - IKE_HEADER_LENGTH - SKF_HEADER_LENGTH - p.ivLength - p.icvLength;
  return Math.floor(room / p.blockSize) * p.blockSize - 1;
}

// ---- seal -----------------------------------------------------------------------------------------

/**
 * Builds a complete SK-protected message: copies the 28-byte IKE header, sets its Next Payload to
 * SK (46) and its Length, writes the SK payload header (Next Payload = innerFirstPayload), a fresh
 * IV from `random`, the encrypted inner payloads with padding, and the ICV.
 */
export function sealSk(
  suite: SkSuite, keys: SkKeys, header: Buffer, innerFirstPayload: number, innerBytes: Buffer, random: RandomSource,
): Buffer {
  checkPayloadType(innerFirstPayload);
  const hdr = Buffer.alloc(SK_HEADER_LENGTH);
  hdr[0] = innerFirstPayload;
  return seal('sk', suite, keys, header, hdr, innerBytes, random);
}

/**
 * Same for one fragment (RFC 7383 2.5): the SKF header carries Fragment Number and Total
 * Fragments; its Next Payload is the first inner payload in fragment 1 and 0 in all others.
 */
export function sealSkf(
  suite: SkSuite, keys: SkKeys, header: Buffer, innerFirstPayload: number, fragmentNumber: number,
  totalFragments: number, chunk: Buffer, random: RandomSource,
): Buffer {
  if (!Number.isInteger(totalFragments) || totalFragments < 1 || totalFragments > 0xffff) {
    throw new RangeError(`Total Fragments must be 1..65535, got ${totalFragments}`);
  }
  if (!Number.isInteger(fragmentNumber) || fragmentNumber < 1 || fragmentNumber > totalFragments) {
    throw new RangeError(`Fragment Number must be 1..${totalFragments}, got ${fragmentNumber}`);
  }
  if (fragmentNumber !== 1 && innerFirstPayload !== PayloadType.NONE) {
    throw new RangeError('only fragment 1 names the first inner payload (RFC 7383 2.5)');
  }
  checkPayloadType(innerFirstPayload);
  const hdr = Buffer.alloc(SKF_HEADER_LENGTH);
  hdr[0] = innerFirstPayload;
  hdr.writeUInt16BE(fragmentNumber, 4);
  hdr.writeUInt16BE(totalFragments, 6);
  return seal('skf', suite, keys, header, hdr, chunk, random);
}

function checkPayloadType(t: number): void {
  if (!Number.isInteger(t) || t < 0 || t > 255) throw new RangeError(`payload type must be 0..255, got ${t}`);
}

function seal(
  kind: SkKind, suite: SkSuite, keys: SkKeys, header: Buffer, payloadHeader: Buffer, inner: Buffer, random: RandomSource,
): Buffer {
  const p = prepare(suite);
  checkKeys(p, keys);
  if (header.length !== IKE_HEADER_LENGTH) throw new RangeError(`the IKE header must be ${IKE_HEADER_LENGTH} bytes, got ${header.length}`);

  const padded = paddedLength(p, inner.length);
  const payloadLength = payloadHeader.length + p.ivLength + padded + p.icvLength;
  if (payloadLength > MAX_PAYLOAD_LENGTH) throw new RangeError(`${kind.toUpperCase()} payload of ${payloadLength} bytes exceeds 65535`);
  const total = IKE_HEADER_LENGTH + payloadLength;

  const plain = Buffer.alloc(padded); // padding octets are zero (any value is allowed, RFC 7296 3.14)
  inner.copy(plain);
  plain[padded - 1] = padded - inner.length - 1;

  const out = Buffer.alloc(total);
  header.copy(out);
  out[16] = kind === 'sk' ? PayloadType.SK : PayloadType.SKF;
  out.writeUInt32BE(total, 24);
  payloadHeader.writeUInt16BE(payloadLength, 2);
  payloadHeader.copy(out, IKE_HEADER_LENGTH);
  const ivOffset = IKE_HEADER_LENGTH + payloadHeader.length;
  const iv = random.bytes(p.ivLength);
  if (iv.length !== p.ivLength) throw new Error(`random source returned ${iv.length} bytes, wanted ${p.ivLength}`);
  iv.copy(out, ivOffset);

  if (p.encr.alg.aead) {
    const sealed = gcmSeal(p.encr.cipher, keys.encrKey, iv, out.subarray(0, ivOffset), plain, p.icvLength);
    sealed.copy(out, ivOffset + p.ivLength);
  } else {
    const ct = cbcEncrypt(p.encr.cipher, keys.encrKey, iv, plain);
    ct.copy(out, ivOffset + p.ivLength);
    const icvOffset = total - p.icvLength;
    computeIcv(p.integ!, keys.integKey!, out.subarray(0, icvOffset)).copy(out, icvOffset);
  }
  return out;
}

// ---- open -----------------------------------------------------------------------------------------

/**
 * Authenticates and decrypts the SK payload that starts at `skOffset` (its generic payload header)
 * and ends the message. `message` is exactly the IKE message (header Length bytes, without the
 * non-ESP marker). ICV first (constant-time compare), then decryption and the pad length check.
 * Throws IntegrityError (not authentic: drop) or DecryptError (authentic but malformed).
 */
export function openSk(suite: SkSuite, keys: SkKeys, message: Buffer, skOffset: number): OpenedSk {
  const { payloadHeader, plaintext } = open('sk', suite, keys, message, skOffset);
  return { innerFirstPayload: payloadHeader[0]!, plaintext };
}

/** Same for an SKF payload; also returns its Fragment Number and Total Fragments. */
export function openSkf(suite: SkSuite, keys: SkKeys, message: Buffer, skfOffset: number): OpenedSkf {
  const { payloadHeader, plaintext } = open('skf', suite, keys, message, skfOffset);
  const fragmentNumber = payloadHeader.readUInt16BE(4);
  const totalFragments = payloadHeader.readUInt16BE(6);
  // RFC 7383 2.6: fragment numbers count from 1 up to Total Fragments.
  if (totalFragments < 1 || fragmentNumber < 1 || fragmentNumber > totalFragments) {
    throw new DecryptError(`fragment ${fragmentNumber} of ${totalFragments} is not a valid fragment number`);
  }
  return { innerFirstPayload: payloadHeader[0]!, fragmentNumber, totalFragments, plaintext };
}

function open(
  kind: SkKind, suite: SkSuite, keys: SkKeys, message: Buffer, offset: number,
): { payloadHeader: Buffer; plaintext: Buffer } {
  const p = prepare(suite);
  checkKeys(p, keys);
  const hLen = headerLength(kind);
  const ivOffset = offset + hLen;
  const ctOffset = ivOffset + p.ivLength;
  const icvOffset = message.length - p.icvLength;
  if (!Number.isInteger(offset) || offset < IKE_HEADER_LENGTH) {
    throw new RangeError(`${kind.toUpperCase()} payload offset ${offset} lies inside the IKE header`);
  }
  // Not even room for IV, one cipher block (or the pad length octet) and ICV: cannot be authentic.
  if (icvOffset - ctOffset < p.blockSize) {
    throw new IntegrityError(`truncated: ${message.length} bytes cannot hold a ${kind.toUpperCase()} payload at offset ${offset}`);
  }
  const iv = message.subarray(ivOffset, ctOffset);
  let plain: Buffer;
  if (p.encr.alg.aead) {
    plain = gcmOpen(p.encr.cipher, keys.encrKey, iv, message.subarray(0, ivOffset), message.subarray(ctOffset), p.icvLength);
  } else {
    const expected = computeIcv(p.integ!, keys.integKey!, message.subarray(0, icvOffset));
    if (!timingSafeEqual(expected, message.subarray(icvOffset))) throw new IntegrityError('icv-mismatch');
    const ct = message.subarray(ctOffset, icvOffset);
    if (ct.length % p.blockSize !== 0) {
      throw new DecryptError(`ciphertext of ${ct.length} bytes is not a multiple of the ${p.blockSize}-byte block`);
    }
    plain = cbcDecrypt(p.encr.cipher, keys.encrKey, iv, ct);
  }
  // Authentic from here on: length fields are checked, not trusted before.
  const payloadHeader = Buffer.from(message.subarray(offset, ivOffset));
  const declared = payloadHeader.readUInt16BE(2);
  if (declared !== message.length - offset) {
    throw new DecryptError(`${kind.toUpperCase()} payload length ${declared} disagrees with the ${message.length - offset} bytes up to the end of the message`);
  }
  const padLength = plain[plain.length - 1]!;
  if (padLength + 1 > plain.length) {
    throw new DecryptError(`pad length ${padLength} exceeds the ${plain.length - 1} decrypted bytes`);
  }
  return { payloadHeader, plaintext: plain.subarray(0, plain.length - padLength - 1) };
}
