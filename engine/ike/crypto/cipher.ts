// Block-cipher and AEAD primitives the SK payload (and later ESP) is built from: CBC without
// OpenSSL's own padding, AES-GCM with the RFC 4106/5282 nonce (salt | explicit IV), and the
// truncated HMAC ICV. Thin wrappers over Node's crypto that turn OpenSSL failures into typed errors.

import { Buffer } from 'node:buffer';
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import type { CipherGCMTypes } from 'node:crypto';
import type { IntegAlgorithm } from '../../crypto/algorithms.ts';
import { DecryptError, IntegrityError } from './errors.ts';

/** CBC encryption of data that is already a multiple of the block size (the IKE/ESP padding is
 *  the caller's, RFC 7296 3.14), so OpenSSL's PKCS#7 padding is off. */
export function cbcEncrypt(cipher: string, key: Buffer, iv: Buffer, plaintext: Buffer): Buffer {
  const c = createCipheriv(cipher, key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(plaintext), c.final()]);
}

export function cbcDecrypt(cipher: string, key: Buffer, iv: Buffer, ciphertext: Buffer): Buffer {
  try {
    const d = createDecipheriv(cipher, key, iv);
    d.setAutoPadding(false);
    return Buffer.concat([d.update(ciphertext), d.final()]);
  } catch (e) {
    throw new DecryptError(`${cipher}: ${(e as Error).message}`);
  }
}

/** Salt length of the AEAD key material (RFC 4106 section 8.1, RFC 5282 section 7.1). */
export const AEAD_SALT_LENGTH = 4;

/**
 * AES-GCM seal with keying material K | salt (4 bytes), 8-byte explicit IV, nonce = salt | IV.
 * Returns ciphertext | ICV (icvLength 8, 12 or 16).
 */
export function gcmSeal(
  cipher: string, keyAndSalt: Buffer, iv: Buffer, aad: Buffer, plaintext: Buffer, icvLength: number,
): Buffer {
  const key = keyAndSalt.subarray(0, keyAndSalt.length - AEAD_SALT_LENGTH);
  const nonce = Buffer.concat([keyAndSalt.subarray(keyAndSalt.length - AEAD_SALT_LENGTH), iv]);
  const c = createCipheriv(cipher as CipherGCMTypes, key, nonce, { authTagLength: icvLength });
  c.setAAD(aad);
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

/** AES-GCM open of ciphertext | ICV; a tag mismatch is an IntegrityError. */
export function gcmOpen(
  cipher: string, keyAndSalt: Buffer, iv: Buffer, aad: Buffer, sealed: Buffer, icvLength: number,
): Buffer {
  if (sealed.length < icvLength) throw new IntegrityError('truncated: shorter than the ICV');
  const key = keyAndSalt.subarray(0, keyAndSalt.length - AEAD_SALT_LENGTH);
  const nonce = Buffer.concat([keyAndSalt.subarray(keyAndSalt.length - AEAD_SALT_LENGTH), iv]);
  const d = createDecipheriv(cipher as CipherGCMTypes, key, nonce, { authTagLength: icvLength });
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - icvLength));
  const plain = d.update(sealed.subarray(0, sealed.length - icvLength));
  try {
    // GCM releases nothing as authentic until final() has checked the tag.
    return Buffer.concat([plain, d.final()]);
  } catch {
    throw new IntegrityError('icv-mismatch');
  }
}

/** HMAC-based ICV truncated to the transform's length (RFC 2404, RFC 4868). */
export function computeIcv(integ: IntegAlgorithm, key: Buffer, ...data: Buffer[]): Buffer {
  const h = createHmac(integ.hmac, key);
  for (const d of data) h.update(d);
  return h.digest().subarray(0, integ.icvLength);
}
