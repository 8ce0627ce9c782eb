// Resolution of negotiated transform ids (plus the Key Length attribute) into what the key
// derivation and the SK payload need: key material lengths, Node cipher/HMAC names, IV/ICV sizes.
// Shared by keymat.ts and sk.ts so both agree on every length.

import { encrAlgorithm, integAlgorithm } from '../../crypto/algorithms.ts';
import type { EncrAlgorithm, IntegAlgorithm } from '../../crypto/algorithms.ts';
import { EncrId, IntegId } from '../constants.ts';
import { UnsupportedAlgorithmError } from './errors.ts';

export interface ResolvedEncr {
  alg: EncrAlgorithm;
  keyBits: number;
  /** OpenSSL cipher name for this key length. */
  cipher: string;
  /** Cipher key length in bytes (without the AEAD salt). */
  keyLength: number;
  /** Key material taken from prf+ (RFC 5282 section 7.1: AEAD key || 4-byte salt). */
  keyMaterialLength: number;
}

export function resolveEncr(encr: number, encrKeyBits?: number): ResolvedEncr {
  const alg = encrAlgorithm(encr);
  if (!alg) throw new UnsupportedAlgorithmError(`encryption transform ${encr}`);
  const keyBits = encrKeyBits ?? alg.keyLengths[0]!;
  const cipher = alg.ciphers[keyBits];
  if (!alg.keyLengths.includes(keyBits) || cipher === undefined) {
    throw new UnsupportedAlgorithmError(`${alg.name} with a ${keyBits}-bit key`);
  }
  return { alg, keyBits, cipher, keyLength: keyBits / 8, keyMaterialLength: keyBits / 8 + alg.saltLength };
}

/**
 * Integrity transform for a suite. AEAD ciphers take no integrity transform (RFC 5282 section 8:
 * none, or INTEG NONE); every other cipher needs one. Returns undefined for AEAD.
 */
export function resolveInteg(encr: ResolvedEncr, integ: number): IntegAlgorithm | undefined {
  if (encr.alg.aead) {
    if (integ !== IntegId.NONE) {
      throw new UnsupportedAlgorithmError(`${encr.alg.name} is AEAD and takes no integrity transform (got ${integ})`);
    }
    return undefined;
  }
  const alg = integAlgorithm(integ);
  if (!alg) {
    throw new UnsupportedAlgorithmError(
      integ === IntegId.NONE ? `${encr.alg.name} needs an integrity transform` : `integrity transform ${integ}`,
    );
  }
  return alg;
}

/** True when the suite can protect an IKE SK payload (ENCR_NULL is for ESP only, RFC 7296 3.3.2
 *  lists it as not allowed for IKE). */
export function usableForIke(encr: number): boolean {
  return encr !== EncrId.NULL && encrAlgorithm(encr) !== undefined;
}
