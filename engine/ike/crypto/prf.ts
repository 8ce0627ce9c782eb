// The IKEv2 pseudo-random function and its key-stretching form prf+ (RFC 7296 section 2.13).
// Only HMAC PRFs (catalogue in engine/crypto/algorithms.ts); Node's crypto computes the HMAC.

import { Buffer } from 'node:buffer';
import { createHmac } from 'node:crypto';
import { prfAlgorithm } from '../../crypto/algorithms.ts';
import type { PrfAlgorithm } from '../../crypto/algorithms.ts';
import { UnsupportedAlgorithmError } from './errors.ts';

/** Catalogue entry of a PRF transform; throws UnsupportedAlgorithmError for ids we do not do. */
export function prfInfo(prfId: number): PrfAlgorithm {
  const a = prfAlgorithm(prfId);
  if (!a) throw new UnsupportedAlgorithmError(`PRF transform ${prfId}`);
  return a;
}

/** Output length of the PRF in bytes (also the length of SK_d, SK_pi, SK_pr). */
export function prfOutputLength(prfId: number): number {
  return prfInfo(prfId).outputLength;
}

/** prf(K, S). HMAC takes keys of any length (RFC 2104 hashes long ones), as RFC 7296 2.13 requires
 *  for SKEYSEED = prf(Ni | Nr, g^ir). */
export function prf(prfId: number, key: Buffer, data: Buffer): Buffer {
  return createHmac(prfInfo(prfId).hash, key).update(data).digest();
}

/**
 * prf+(K, S) = T1 | T2 | ... with T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n), truncated to
 * `length` bytes. The counter is one octet, so at most 255 blocks (RFC 7296 2.13).
 */
export function prfPlus(prfId: number, key: Buffer, seed: Buffer, length: number): Buffer {
  const { hash, outputLength } = prfInfo(prfId);
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`prf+ length must be a non-negative integer, got ${length}`);
  const blocks = Math.ceil(length / outputLength);
  if (blocks > 255) {
    throw new RangeError(`prf+ can produce at most 255 blocks (${255 * outputLength} bytes with this PRF), asked for ${length} bytes`);
  }
  const out: Buffer[] = [];
  let t = Buffer.alloc(0);
  for (let n = 1; n <= blocks; n++) {
    t = createHmac(hash, key).update(t).update(seed).update(Buffer.of(n)).digest();
    out.push(t);
  }
  return Buffer.concat(out, length); // concat truncates to the given total length
}
