// AUTH payload data (RFC 7296 section 2.15): the octets each side signs or MACs, the shared-key
// and EAP forms (2.15, 2.16), and signatures: RSA PKCS#1 v1.5 (method 1), ECDSA with the fixed
// r | s encoding (methods 9-11, RFC 4754), and RFC 7427 Digital Signature (method 14) whose data
// starts with the AlgorithmIdentifier of the signature. Signing and verifying is Node's crypto.

import { Buffer } from 'node:buffer';
import { X509Certificate, constants, sign, timingSafeEqual, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { AuthMethod, HashAlgorithm } from '../constants.ts';
import { children, readSmallInteger, readWhole, TAG } from './der.ts';
import type { DerElement } from './der.ts';
import { MalformedCryptoDataError, UnsupportedAlgorithmError } from './errors.ts';
import { prf } from './prf.ts';

// ---- signed octets, PSK, EAP ---------------------------------------------------------------------

export interface SignedOctetsParams {
  /** The first message this side sent: the IKE_SA_INIT request (initiator) or response (responder),
   *  as bytes on the wire. */
  realMessage: Buffer;
  /** The other side's Nonce Data (Nr for the initiator, Ni for the responder). */
  peerNonce: Buffer;
  prfId: number;
  /** SK_pi when the initiator computes (or checks) its own AUTH, SK_pr for the responder's. */
  skP: Buffer;
  /** IDi' / IDr': the ID payload without its generic header (ID Type, 3 reserved octets, data). */
  idPayloadBody: Buffer;
}

/** <Initiator|Responder>SignedOctets = RealMessage | NonceData | prf(SK_p, IDx') (RFC 7296 2.15). */
export function signedOctets(p: SignedOctetsParams): Buffer {
  return Buffer.concat([p.realMessage, p.peerNonce, prf(p.prfId, p.skP, p.idPayloadBody)]);
}

/** The fixed key pad of the shared-key AUTH (RFC 7296 2.15), without a terminating NUL. */
export const KEY_PAD = Buffer.from('Key Pad for IKEv2', 'ascii');

/** AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>) (method 2). */
export function pskAuth(prfId: number, secret: Buffer, octets: Buffer): Buffer {
  return prf(prfId, prf(prfId, secret, KEY_PAD), octets);
}

/**
 * AUTH after EAP (RFC 7296 2.16): the same formula keyed with the MSK when the EAP method produced
 * one, otherwise with SK_pi (initiator) / SK_pr (responder).
 */
export function eapAuth(prfId: number, mskOrSkP: Buffer, octets: Buffer): Buffer {
  return pskAuth(prfId, mskOrSkP, octets);
}

/** Constant-time check of a received shared-key (or EAP) AUTH value. */
export function verifyPskAuth(prfId: number, secret: Buffer, octets: Buffer, authData: Buffer): boolean {
  const expected = pskAuth(prfId, secret, octets);
  return authData.length === expected.length && timingSafeEqual(expected, authData);
}

// ---- signature schemes -----------------------------------------------------------------------------

export type SignatureHash = 'sha1' | 'sha256' | 'sha384' | 'sha512';

const HASH_LENGTH: Record<SignatureHash, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

/** RFC 7427 section 4 hash numbers <-> Node digest names. */
export const HASH_BY_ID: Partial<Record<number, SignatureHash>> = {
  [HashAlgorithm.SHA1]: 'sha1',
  [HashAlgorithm.SHA2_256]: 'sha256',
  [HashAlgorithm.SHA2_384]: 'sha384',
  [HashAlgorithm.SHA2_512]: 'sha512',
};
export const HASH_ID: Record<SignatureHash, HashAlgorithm> = {
  sha1: HashAlgorithm.SHA1, sha256: HashAlgorithm.SHA2_256, sha384: HashAlgorithm.SHA2_384, sha512: HashAlgorithm.SHA2_512,
};

/** What a signature in an AUTH payload is: key type, hash, padding/encoding. */
export interface SignatureScheme {
  key: 'rsa' | 'ec';
  hash: SignatureHash;
  /** RSA: RSASSA-PSS (salt length `saltLength`, MGF1 with the same hash) instead of PKCS#1 v1.5. */
  pss: boolean;
  saltLength?: number;
  /** ECDSA signature encoding: DER Ecdsa-Sig-Value (method 14) or fixed r | s (methods 9-11). */
  ecdsaEncoding?: 'der' | 'ieee-p1363';
}

// DER of the AlgorithmIdentifiers we send, as RFC 7427 Appendix A lists them (RSA with a NULL
// parameter, ECDSA without parameters).
const ALG_ID_HEX = {
  sha1WithRSAEncryption: '300d06092a864886f70d0101050500',
  sha256WithRSAEncryption: '300d06092a864886f70d01010b0500',
  sha384WithRSAEncryption: '300d06092a864886f70d01010c0500',
  sha512WithRSAEncryption: '300d06092a864886f70d01010d0500',
  ecdsaWithSHA1: '300906072a8648ce3d0401',
  ecdsaWithSHA256: '300a06082a8648ce3d040302',
  ecdsaWithSHA384: '300a06082a8648ce3d040303',
  ecdsaWithSHA512: '300a06082a8648ce3d040304',
  // RSASSA-PSS as strongSwan builds it (rsa_pss_params_build): hash and MGF1-hash explicit (with a
  // NULL parameter), saltLength = hash length, trailerField omitted (RFC 7427 errata 4562 form).
  rsassaPssSHA256: '304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120',
  rsassaPssSHA384: '304106092a864886f70d01010a3034a00f300d06096086480165030402020500a11c301a06092a864886f70d010108300d06096086480165030402020500a203020130',
  rsassaPssSHA512: '304106092a864886f70d01010a3034a00f300d06096086480165030402030500a11c301a06092a864886f70d010108300d06096086480165030402030500a203020140',
} as const;

/** The DER AlgorithmIdentifier method 14 carries for a scheme. */
export function algorithmIdentifier(key: 'rsa' | 'ec', hash: SignatureHash, pss = false): Buffer {
  const H = hash.toUpperCase();
  let name: keyof typeof ALG_ID_HEX;
  if (key === 'ec') name = `ecdsaWith${H}` as keyof typeof ALG_ID_HEX;
  else if (pss) {
    if (hash === 'sha1') throw new UnsupportedAlgorithmError('RSASSA-PSS with SHA-1');
    name = `rsassaPss${H}` as keyof typeof ALG_ID_HEX;
  } else name = `${hash}WithRSAEncryption` as keyof typeof ALG_ID_HEX;
  return Buffer.from(ALG_ID_HEX[name], 'hex');
}

// OID contents (DER value octets) we recognise in received AlgorithmIdentifiers.
const OID = {
  rsaPkcs1: {
    '2a864886f70d010105': 'sha1', '2a864886f70d01010b': 'sha256', '2a864886f70d01010c': 'sha384', '2a864886f70d01010d': 'sha512',
  } as Record<string, SignatureHash>,
  ecdsa: {
    '2a8648ce3d0401': 'sha1', '2a8648ce3d040302': 'sha256', '2a8648ce3d040303': 'sha384', '2a8648ce3d040304': 'sha512',
  } as Record<string, SignatureHash>,
  hash: {
    '2b0e03021a': 'sha1', '608648016503040201': 'sha256', '608648016503040202': 'sha384', '608648016503040203': 'sha512',
  } as Record<string, SignatureHash>,
  rsassaPss: '2a864886f70d01010a',
  mgf1: '2a864886f70d010108',
};

/** Parses an RFC 7427 AlgorithmIdentifier into a scheme; throws for unknown or malformed ones. */
export function parseAlgorithmIdentifier(der: Buffer): SignatureScheme {
  const seq = readWhole(der);
  if (seq.tag !== TAG.SEQUENCE) throw new MalformedCryptoDataError('AlgorithmIdentifier: SEQUENCE expected');
  const [oidEl, params, ...extra] = children(der, seq);
  if (!oidEl || oidEl.tag !== TAG.OID || extra.length) throw new MalformedCryptoDataError('AlgorithmIdentifier: OID expected');
  const oid = hexOf(der, oidEl);
  // RFC 7427 A.1 writes a NULL parameter for PKCS#1 v1.5; an absent one is accepted as well.
  const noParams = (el: DerElement | undefined): boolean => el === undefined || (el.tag === TAG.NULL && el.end === el.contentStart);
  if (OID.rsaPkcs1[oid]) {
    if (!noParams(params)) throw new MalformedCryptoDataError('PKCS#1 v1.5 AlgorithmIdentifier with parameters');
    return { key: 'rsa', hash: OID.rsaPkcs1[oid]!, pss: false };
  }
  if (OID.ecdsa[oid]) {
    if (params !== undefined) throw new MalformedCryptoDataError('ECDSA AlgorithmIdentifier with parameters');
    return { key: 'ec', hash: OID.ecdsa[oid]!, pss: false, ecdsaEncoding: 'der' };
  }
  if (oid === OID.rsassaPss) return parsePssParams(der, params);
  throw new UnsupportedAlgorithmError(`signature AlgorithmIdentifier OID ${oid}`);
}

/** RSASSA-PSS-params (RFC 4055 section 3.1); absent fields take the SHA-1 defaults. */
function parsePssParams(der: Buffer, params: DerElement | undefined): SignatureScheme {
  let hash: SignatureHash = 'sha1';
  let mgfHash: SignatureHash = 'sha1';
  let saltLength = 20;
  if (params !== undefined) {
    if (params.tag !== TAG.SEQUENCE) throw new MalformedCryptoDataError('RSASSA-PSS parameters: SEQUENCE expected');
    for (const field of children(der, params)) {
      const [inner, ...rest] = children(der, field);
      if (!inner || rest.length) throw new MalformedCryptoDataError('RSASSA-PSS parameters: bad field');
      switch (field.tag) {
        case TAG.context(0): hash = hashOfAlgId(der, inner); break;
        case TAG.context(1): {
          const [mgfOid, mgfParams] = children(der, inner);
          if (!mgfOid || hexOf(der, mgfOid) !== OID.mgf1 || !mgfParams) throw new UnsupportedAlgorithmError('RSASSA-PSS mask generation other than MGF1');
          mgfHash = hashOfAlgId(der, mgfParams);
          break;
        }
        case TAG.context(2): saltLength = readSmallInteger(der, inner); break;
        case TAG.context(3):
          if (readSmallInteger(der, inner) !== 1) throw new MalformedCryptoDataError('RSASSA-PSS trailerField must be 1');
          break;
        default: throw new MalformedCryptoDataError(`RSASSA-PSS parameters: unexpected tag ${field.tag}`);
      }
    }
  }
  // Node signs and verifies PSS with MGF1 over the signature hash; other combinations are rare.
  if (mgfHash !== hash) throw new UnsupportedAlgorithmError(`RSASSA-PSS with ${hash} and MGF1-${mgfHash}`);
  return { key: 'rsa', hash, pss: true, saltLength };
}

function hashOfAlgId(der: Buffer, el: DerElement): SignatureHash {
  if (el.tag !== TAG.SEQUENCE) throw new MalformedCryptoDataError('hash AlgorithmIdentifier: SEQUENCE expected');
  const [oidEl] = children(der, el);
  const h = oidEl && oidEl.tag === TAG.OID ? OID.hash[hexOf(der, oidEl)] : undefined;
  if (!h) throw new UnsupportedAlgorithmError('hash algorithm in RSASSA-PSS parameters');
  return h;
}

function hexOf(der: Buffer, el: DerElement): string {
  return der.subarray(el.contentStart, el.end).toString('hex');
}

// ---- keys ------------------------------------------------------------------------------------------

const CURVE_OF_METHOD: Partial<Record<number, { curve: string; hash: SignatureHash }>> = {
  [AuthMethod.ECDSA_SHA256_P256]: { curve: 'prime256v1', hash: 'sha256' },
  [AuthMethod.ECDSA_SHA384_P384]: { curve: 'secp384r1', hash: 'sha384' },
  [AuthMethod.ECDSA_SHA512_P521]: { curve: 'secp521r1', hash: 'sha512' },
};

function keyKind(key: KeyObject): 'rsa' | 'ec' {
  const t = key.asymmetricKeyType;
  if (t === 'rsa' || t === 'ec') return t;
  throw new UnsupportedAlgorithmError(`${t ?? 'unknown'} key for IKE signatures`);
}

function curveOf(key: KeyObject): string | undefined {
  return key.asymmetricKeyDetails?.namedCurve;
}

/** The classic (non-RFC 7427) method for a key: 1 for RSA, 9/10/11 by the ECDSA curve. */
export function classicMethodFor(key: KeyObject): AuthMethod {
  if (keyKind(key) === 'rsa') return AuthMethod.RSA_SIG;
  const curve = curveOf(key);
  for (const [m, c] of Object.entries(CURVE_OF_METHOD)) if (c!.curve === curve) return Number(m) as AuthMethod;
  throw new UnsupportedAlgorithmError(`ECDSA curve ${curve}`);
}

/** Hash that matches an ECDSA curve's strength (RFC 4754 pairs). */
function curveHash(key: KeyObject): SignatureHash {
  switch (curveOf(key)) {
    case 'secp384r1': return 'sha384';
    case 'secp521r1': return 'sha512';
    default: return 'sha256';
  }
}

// ---- sign / verify ---------------------------------------------------------------------------------

export interface SignOptions {
  /** Method 14 only: hash to sign with (default SHA-256 for RSA, the curve's hash for ECDSA). */
  hash?: SignatureHash;
  /** Method 14 with an RSA key: RSASSA-PSS instead of PKCS#1 v1.5. */
  pss?: boolean;
}

/** The scheme signAuth uses for a method, key and options. */
export function schemeFor(method: AuthMethod | number, key: KeyObject, opts: SignOptions = {}): SignatureScheme {
  const kind = keyKind(key);
  switch (method) {
    case AuthMethod.RSA_SIG:
      if (kind !== 'rsa') throw new UnsupportedAlgorithmError('auth method 1 needs an RSA key');
      if (opts.hash && opts.hash !== 'sha1') throw new UnsupportedAlgorithmError('auth method 1 signs with SHA-1 only');
      if (opts.pss) throw new UnsupportedAlgorithmError('auth method 1 is PKCS#1 v1.5 only');
      return { key: 'rsa', hash: 'sha1', pss: false };
    case AuthMethod.ECDSA_SHA256_P256:
    case AuthMethod.ECDSA_SHA384_P384:
    case AuthMethod.ECDSA_SHA512_P521: {
      const want = CURVE_OF_METHOD[method]!;
      if (kind !== 'ec' || curveOf(key) !== want.curve) throw new UnsupportedAlgorithmError(`auth method ${method} needs an ECDSA ${want.curve} key`);
      if (opts.hash && opts.hash !== want.hash) throw new UnsupportedAlgorithmError(`auth method ${method} signs with ${want.hash} only`);
      return { key: 'ec', hash: want.hash, pss: false, ecdsaEncoding: 'ieee-p1363' };
    }
    case AuthMethod.DIGITAL_SIGNATURE:
      if (kind === 'ec') {
        if (opts.pss) throw new UnsupportedAlgorithmError('PSS with an ECDSA key');
        return { key: 'ec', hash: opts.hash ?? curveHash(key), pss: false, ecdsaEncoding: 'der' };
      }
      if (opts.pss) {
        const hash = opts.hash ?? 'sha256';
        return { key: 'rsa', hash, pss: true, saltLength: HASH_LENGTH[hash] };
      }
      return { key: 'rsa', hash: opts.hash ?? 'sha256', pss: false };
    default:
      throw new UnsupportedAlgorithmError(`auth method ${method} is not a signature method`);
  }
}

function rawSign(scheme: SignatureScheme, key: KeyObject, data: Buffer): Buffer {
  if (scheme.key === 'ec') return sign(scheme.hash, data, { key, dsaEncoding: scheme.ecdsaEncoding ?? 'der' });
  if (scheme.pss) {
    return sign(scheme.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.saltLength ?? HASH_LENGTH[scheme.hash] });
  }
  return sign(scheme.hash, data, { key, padding: constants.RSA_PKCS1_PADDING });
}

function rawVerify(scheme: SignatureScheme, key: KeyObject, data: Buffer, sig: Buffer): boolean {
  if (scheme.key === 'ec') return verify(scheme.hash, data, { key, dsaEncoding: scheme.ecdsaEncoding ?? 'der' }, sig);
  if (scheme.pss) {
    return verify(scheme.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.saltLength ?? HASH_LENGTH[scheme.hash] }, sig);
  }
  return verify(scheme.hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, sig);
}

/**
 * Authentication Data of an AUTH payload for a signature method. Method 14 returns
 * length octet | AlgorithmIdentifier | signature (RFC 7427 section 3).
 */
export function signAuth(method: AuthMethod | number, privateKey: KeyObject, octets: Buffer, opts?: SignOptions): Buffer {
  const scheme = schemeFor(method, privateKey, opts);
  const sig = rawSign(scheme, privateKey, octets);
  if (method !== AuthMethod.DIGITAL_SIGNATURE) return sig;
  const algId = algorithmIdentifier(scheme.key, scheme.hash, scheme.pss);
  return Buffer.concat([Buffer.of(algId.length), algId, sig]);
}

export type AuthCheck = { ok: true; scheme: SignatureScheme } | { ok: false; reason: string };

/**
 * Checks a signature AUTH payload and says why it failed (for the log line next to
 * AUTHENTICATION_FAILED). Never throws for peer-supplied data.
 */
export function checkAuthSignature(
  method: AuthMethod | number, key: KeyObject | X509Certificate, octets: Buffer, authData: Buffer,
): AuthCheck {
  const publicKey = key instanceof X509Certificate ? key.publicKey : key;
  let scheme: SignatureScheme;
  let sig = authData;
  try {
    if (method === AuthMethod.DIGITAL_SIGNATURE) {
      if (authData.length < 1) return { ok: false, reason: 'empty authentication data' };
      const len = authData[0]!;
      if (authData.length < 1 + len) return { ok: false, reason: 'AlgorithmIdentifier length exceeds the data' };
      scheme = parseAlgorithmIdentifier(authData.subarray(1, 1 + len));
      sig = authData.subarray(1 + len);
      if (scheme.key !== keyKindOrNone(publicKey)) {
        return { ok: false, reason: `${scheme.key.toUpperCase()} signature but the peer's key is ${publicKey.asymmetricKeyType}` };
      }
    } else {
      scheme = schemeFor(method, publicKey);
    }
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  let good: boolean;
  try {
    good = rawVerify(scheme, publicKey, octets, sig);
  } catch (e) {
    return { ok: false, reason: `signature not verifiable: ${(e as Error).message}` };
  }
  return good ? { ok: true, scheme } : { ok: false, reason: 'signature does not verify' };
}

function keyKindOrNone(key: KeyObject): string | undefined {
  const t = key.asymmetricKeyType;
  return t === 'rsa' || t === 'ec' ? t : undefined;
}

/** Boolean form of checkAuthSignature. */
export function verifyAuth(
  method: AuthMethod | number, key: KeyObject | X509Certificate, octets: Buffer, authData: Buffer,
): boolean {
  return checkAuthSignature(method, key, octets, authData).ok;
}

// ---- SIGNATURE_HASH_ALGORITHMS (RFC 7427 section 4) ---------------------------------------------

/** Notification Data: a list of 16-bit hash algorithm numbers. */
export function encodeSignatureHashAlgorithms(hashes: readonly number[]): Buffer {
  const out = Buffer.alloc(hashes.length * 2);
  hashes.forEach((h, i) => out.writeUInt16BE(h, i * 2));
  return out;
}

export function decodeSignatureHashAlgorithms(data: Buffer): number[] {
  if (data.length % 2 !== 0) throw new MalformedCryptoDataError(`SIGNATURE_HASH_ALGORITHMS data of odd length ${data.length}`);
  const out: number[] = [];
  for (let i = 0; i < data.length; i += 2) out.push(data.readUInt16BE(i));
  return out;
}

/** What we announce: the hashes we can verify with (strongSwan sends 2, 3, 4, 5; no Identity here). */
export const OUR_SIGNATURE_HASHES: readonly number[] = [HashAlgorithm.SHA2_256, HashAlgorithm.SHA2_384, HashAlgorithm.SHA2_512];

export interface SignatureChoice {
  method: AuthMethod;
  hash: SignatureHash;
  pss: boolean;
  /** Present for method 14. */
  algorithmIdentifier?: Buffer;
}

/**
 * Picks how to sign for a peer: method 14 with the first hash of our preference order that the
 * peer listed in SIGNATURE_HASH_ALGORITHMS, else (no notify, or no common hash) the classic
 * method of the key (1, or 9/10/11 by curve) as RFC 7427 section 4 requires.
 * Preference: the curve's own hash first for ECDSA, SHA-256 first for RSA, then stronger ones.
 */
export function chooseSignatureScheme(
  key: KeyObject, peerHashes: readonly number[] | undefined, opts: { pss?: boolean; preference?: readonly SignatureHash[] } = {},
): SignatureChoice {
  const kind = keyKind(key);
  const preference = opts.preference
    ?? (kind === 'ec' ? uniq([curveHash(key), 'sha256', 'sha384', 'sha512']) : ['sha256', 'sha384', 'sha512']);
  const offered = new Set((peerHashes ?? []).map((h) => HASH_BY_ID[h]).filter((h): h is SignatureHash => h !== undefined));
  const hash = preference.find((h) => offered.has(h) && !(opts.pss && h === 'sha1'));
  if (hash) {
    const pss = kind === 'rsa' && opts.pss === true;
    return { method: AuthMethod.DIGITAL_SIGNATURE, hash, pss, algorithmIdentifier: algorithmIdentifier(kind, hash, pss) };
  }
  const method = classicMethodFor(key);
  return { method, hash: kind === 'rsa' ? 'sha1' : curveHash(key), pss: false };
}

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
