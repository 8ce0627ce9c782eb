// Key material of the IKE SA (RFC 7296 section 2.14, rekeyed IKE SA 2.18) and of CHILD SAs (2.17).

import { Buffer } from 'node:buffer';
import { prf, prfPlus, prfOutputLength } from './prf.ts';
import { resolveEncr, resolveInteg } from './transforms.ts';
import { keepBytes } from '../../util/keep-bytes.ts';

export interface IkeSaKeys {
  skeyseed: Buffer;
  skD: Buffer;
  /** Integrity keys; empty with an AEAD cipher (RFC 5282). */
  skAi: Buffer;
  skAr: Buffer;
  /** Encryption keys; with an AEAD cipher they end with the 4-byte salt (RFC 5282 section 7.1). */
  skEi: Buffer;
  skEr: Buffer;
  skPi: Buffer;
  skPr: Buffer;
}

export interface IkeSaKeyParams {
  prf: number;
  encr: number;
  encrKeyBits?: number;
  /** 0 (NONE) with an AEAD cipher. */
  integ: number;
  nonceI: Buffer;
  nonceR: Buffer;
  spiI: Buffer;
  spiR: Buffer;
  /** g^ir of this exchange's KE payloads (the new one when rekeying). */
  sharedSecret: Buffer;
  /** IKE SA rekey (RFC 7296 2.18): SK_d of the SA being rekeyed and the PRF negotiated for it. */
  oldSkD?: Buffer;
  oldPrf?: number;
  /**
   * IKE_SESSION_RESUME (RFC 5723 5.1): SK_d of the IKE SA the ticket was issued for. SKEYSEED is then
   * prf(SK_d (old), "Resumption" | Ni | Nr) with the ticket's PRF; there is no g^ir.
   */
  resumeSkD?: Buffer;
}

/** The label of the resumption SKEYSEED, ASCII without a terminating NUL (RFC 5723 5.1). */
export const RESUMPTION_LABEL = Buffer.from('Resumption', 'ascii');

/**
 * SKEYSEED = prf(Ni | Nr, g^ir), or for a rekeyed IKE SA prf_old(SK_d_old, g^ir_new | Ni | Nr), or for
 * a resumed one prf(SK_d_old, "Resumption" | Ni | Nr);
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr),
 * where prf+ uses the PRF negotiated for the new SA. The nonces and SPIs are the new ones.
 */
export function deriveIkeSaKeys(p: IkeSaKeyParams): IkeSaKeys {
  const encr = resolveEncr(p.encr, p.encrKeyBits);
  const integ = resolveInteg(encr, p.integ);
  const nonces = Buffer.concat([p.nonceI, p.nonceR]);
  let skeyseed: Buffer;
  if (p.resumeSkD !== undefined) {
    skeyseed = prf(p.prf, p.resumeSkD, Buffer.concat([RESUMPTION_LABEL, nonces]));
  } else if (p.oldSkD !== undefined) {
    skeyseed = prf(p.oldPrf ?? p.prf, p.oldSkD, Buffer.concat([p.sharedSecret, nonces]));
  } else {
    skeyseed = prf(p.prf, nonces, p.sharedSecret);
  }
  const prfLen = prfOutputLength(p.prf);
  const aLen = integ?.keyLength ?? 0;
  const eLen = encr.keyMaterialLength;
  const keymat = prfPlus(p.prf, skeyseed, Buffer.concat([nonces, p.spiI, p.spiR]), 3 * prfLen + 2 * aLen + 2 * eLen);
  const take = splitter(keymat);
  return {
    skeyseed: keepBytes(skeyseed),
    skD: take(prfLen),
    skAi: take(aLen),
    skAr: take(aLen),
    skEi: take(eLen),
    skEr: take(eLen),
    skPi: take(prfLen),
    skPr: take(prfLen),
  };
}

export interface ChildSaKeyParams {
  /** SK_d of the IKE SA and its PRF. */
  skD: Buffer;
  prf: number;
  /** Transforms of the CHILD SA (ESP): an AEAD cipher takes integ 0. */
  encr: number;
  encrKeyBits?: number;
  integ: number;
  nonceI: Buffer;
  nonceR: Buffer;
  /** g^ir of the CREATE_CHILD_SA KE payloads when PFS is used. */
  sharedSecret?: Buffer;
}

export interface ChildSaDirectionKeys {
  /** Cipher key, with the 4-byte salt appended for AEAD (RFC 4106 section 8.1). */
  encrKey: Buffer;
  /** Empty for AEAD. */
  integKey: Buffer;
}

export interface ChildSaKeys {
  initiatorToResponder: ChildSaDirectionKeys;
  responderToInitiator: ChildSaDirectionKeys;
}

/**
 * KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr); keys are taken initiator-to-responder first, and
 * within one direction encryption before integrity (RFC 7296 section 2.17).
 */
export function deriveChildSaKeys(p: ChildSaKeyParams): ChildSaKeys {
  const encr = resolveEncr(p.encr, p.encrKeyBits);
  const integ = resolveInteg(encr, p.integ);
  const eLen = encr.keyMaterialLength;
  const aLen = integ?.keyLength ?? 0;
  const seed = Buffer.concat([...(p.sharedSecret ? [p.sharedSecret] : []), p.nonceI, p.nonceR]);
  const take = splitter(prfPlus(p.prf, p.skD, seed, 2 * (eLen + aLen)));
  const i2r = { encrKey: take(eLen), integKey: take(aLen) };
  const r2i = { encrKey: take(eLen), integKey: take(aLen) };
  return { initiatorToResponder: i2r, responderToInitiator: r2i };
}

function splitter(buf: Buffer): (n: number) => Buffer {
  let off = 0;
  return (n) => {
    // Copies, so that a key can be wiped or kept without pinning the whole keymat buffer (nor,
    // through Buffer.from, one of Node's shared pool slabs: see keep-bytes.ts).
    const part = keepBytes(buf.subarray(off, off + n));
    off += n;
    return part;
  };
}
