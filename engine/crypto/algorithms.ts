// Algorithm catalogue shared by IKE (SK payload) and ESP: what each IANA transform id means in terms
// of Node's crypto (OpenSSL) names, key sizes, IV and ICV lengths. Ciphers and MACs themselves are
// always Node's crypto; nothing here implements one.

import { DhGroup, EncrId, IntegId, PrfId } from '../ike/constants.ts';

export interface EncrAlgorithm {
  id: EncrId;
  /** Name for show output (IOS style) and for reports. */
  name: string;
  /** Key length in bits -> OpenSSL cipher name. */
  ciphers: Record<number, string>;
  /** Allowed key lengths in bits; the first one is the default when no Key Length attribute. */
  keyLengths: number[];
  /** Whether the transform carries a Key Length attribute (RFC 7296 section 3.3.5). */
  hasKeyLengthAttr: boolean;
  blockSize: number;
  ivLength: number; // explicit IV on the wire
  aead: boolean;
  icvLength: number; // AEAD tag length; 0 for non-AEAD
  saltLength: number; // AEAD: bytes of keying material beyond the key (RFC 4106/5282: 4)
}

export const ENCR: Partial<Record<EncrId, EncrAlgorithm>> = {
  [EncrId.AES_CBC]: {
    id: EncrId.AES_CBC, name: 'AES-CBC', ciphers: { 128: 'aes-128-cbc', 192: 'aes-192-cbc', 256: 'aes-256-cbc' },
    keyLengths: [128, 192, 256], hasKeyLengthAttr: true, blockSize: 16, ivLength: 16, aead: false, icvLength: 0, saltLength: 0,
  },
  [EncrId.AES_GCM_16]: {
    id: EncrId.AES_GCM_16, name: 'AES-GCM', ciphers: { 128: 'aes-128-gcm', 192: 'aes-192-gcm', 256: 'aes-256-gcm' },
    keyLengths: [128, 192, 256], hasKeyLengthAttr: true, blockSize: 4, ivLength: 8, aead: true, icvLength: 16, saltLength: 4,
  },
  [EncrId.AES_GCM_12]: {
    id: EncrId.AES_GCM_12, name: 'AES-GCM-12', ciphers: { 128: 'aes-128-gcm', 192: 'aes-192-gcm', 256: 'aes-256-gcm' },
    keyLengths: [128, 192, 256], hasKeyLengthAttr: true, blockSize: 4, ivLength: 8, aead: true, icvLength: 12, saltLength: 4,
  },
  [EncrId.AES_GCM_8]: {
    id: EncrId.AES_GCM_8, name: 'AES-GCM-8', ciphers: { 128: 'aes-128-gcm', 192: 'aes-192-gcm', 256: 'aes-256-gcm' },
    keyLengths: [128, 192, 256], hasKeyLengthAttr: true, blockSize: 4, ivLength: 8, aead: true, icvLength: 8, saltLength: 4,
  },
  [EncrId.TRIPLE_DES]: {
    id: EncrId.TRIPLE_DES, name: '3DES', ciphers: { 192: 'des-ede3-cbc' },
    keyLengths: [192], hasKeyLengthAttr: false, blockSize: 8, ivLength: 8, aead: false, icvLength: 0, saltLength: 0,
  },
  [EncrId.NULL]: {
    id: EncrId.NULL, name: 'NULL', ciphers: { 0: 'null' },
    keyLengths: [0], hasKeyLengthAttr: false, blockSize: 4, ivLength: 0, aead: false, icvLength: 0, saltLength: 0,
  },
};

export interface IntegAlgorithm {
  id: IntegId;
  name: string; // IOS "Hash:" display name
  hmac: string; // Node hash name for createHmac
  keyLength: number; // bytes
  icvLength: number; // truncated output length, bytes
}

export const INTEG: Partial<Record<IntegId, IntegAlgorithm>> = {
  [IntegId.HMAC_MD5_96]: { id: IntegId.HMAC_MD5_96, name: 'MD596', hmac: 'md5', keyLength: 16, icvLength: 12 },
  [IntegId.HMAC_SHA1_96]: { id: IntegId.HMAC_SHA1_96, name: 'SHA96', hmac: 'sha1', keyLength: 20, icvLength: 12 },
  [IntegId.HMAC_SHA2_256_128]: { id: IntegId.HMAC_SHA2_256_128, name: 'SHA256', hmac: 'sha256', keyLength: 32, icvLength: 16 },
  [IntegId.HMAC_SHA2_384_192]: { id: IntegId.HMAC_SHA2_384_192, name: 'SHA384', hmac: 'sha384', keyLength: 48, icvLength: 24 },
  [IntegId.HMAC_SHA2_512_256]: { id: IntegId.HMAC_SHA2_512_256, name: 'SHA512', hmac: 'sha512', keyLength: 64, icvLength: 32 },
};

export interface PrfAlgorithm {
  id: PrfId;
  name: string; // IOS "PRF:" display name
  hash: string;
  /** Output length in bytes; also the preferred key length (RFC 7296 section 2.13). */
  outputLength: number;
}

export const PRF: Partial<Record<PrfId, PrfAlgorithm>> = {
  [PrfId.HMAC_MD5]: { id: PrfId.HMAC_MD5, name: 'MD5', hash: 'md5', outputLength: 16 },
  [PrfId.HMAC_SHA1]: { id: PrfId.HMAC_SHA1, name: 'SHA1', hash: 'sha1', outputLength: 20 },
  [PrfId.HMAC_SHA2_256]: { id: PrfId.HMAC_SHA2_256, name: 'SHA256', hash: 'sha256', outputLength: 32 },
  [PrfId.HMAC_SHA2_384]: { id: PrfId.HMAC_SHA2_384, name: 'SHA384', hash: 'sha384', outputLength: 48 },
  [PrfId.HMAC_SHA2_512]: { id: PrfId.HMAC_SHA2_512, name: 'SHA512', hash: 'sha512', outputLength: 64 },
};

export type DhKind = 'modp' | 'ecp' | 'x25519' | 'x448';

export interface DhAlgorithm {
  group: DhGroup;
  name: string;
  kind: DhKind;
  /** Node name: OpenSSL modp group name ('modp14'), curve name ('prime256v1'), or 'x25519'. */
  nodeName: string;
  /** Length of the KE payload data in bytes (RFC 7296 3.4, RFC 5903 7, RFC 8031 2). */
  publicLength: number;
  /** Length of the private key to draw from the injected random source. */
  privateLength: number;
}

export const DH: Partial<Record<DhGroup, DhAlgorithm>> = {
  [DhGroup.MODP_1024]: { group: DhGroup.MODP_1024, name: 'MODP-1024', kind: 'modp', nodeName: 'modp2', publicLength: 128, privateLength: 32 },
  [DhGroup.MODP_1536]: { group: DhGroup.MODP_1536, name: 'MODP-1536', kind: 'modp', nodeName: 'modp5', publicLength: 192, privateLength: 32 },
  [DhGroup.MODP_2048]: { group: DhGroup.MODP_2048, name: 'MODP-2048', kind: 'modp', nodeName: 'modp14', publicLength: 256, privateLength: 32 },
  [DhGroup.MODP_3072]: { group: DhGroup.MODP_3072, name: 'MODP-3072', kind: 'modp', nodeName: 'modp15', publicLength: 384, privateLength: 48 },
  [DhGroup.MODP_4096]: { group: DhGroup.MODP_4096, name: 'MODP-4096', kind: 'modp', nodeName: 'modp16', publicLength: 512, privateLength: 48 },
  [DhGroup.ECP_256]: { group: DhGroup.ECP_256, name: 'ECP-256', kind: 'ecp', nodeName: 'prime256v1', publicLength: 64, privateLength: 32 },
  [DhGroup.ECP_384]: { group: DhGroup.ECP_384, name: 'ECP-384', kind: 'ecp', nodeName: 'secp384r1', publicLength: 96, privateLength: 48 },
  [DhGroup.ECP_521]: { group: DhGroup.ECP_521, name: 'ECP-521', kind: 'ecp', nodeName: 'secp521r1', publicLength: 132, privateLength: 66 },
  [DhGroup.CURVE25519]: { group: DhGroup.CURVE25519, name: 'Curve25519', kind: 'x25519', nodeName: 'x25519', publicLength: 32, privateLength: 32 },
};

export function encrAlgorithm(id: number): EncrAlgorithm | undefined {
  return ENCR[id as EncrId];
}
export function integAlgorithm(id: number): IntegAlgorithm | undefined {
  return INTEG[id as IntegId];
}
export function prfAlgorithm(id: number): PrfAlgorithm | undefined {
  return PRF[id as PrfId];
}
export function dhAlgorithm(id: number): DhAlgorithm | undefined {
  return DH[id as DhGroup];
}

/** Key material length in bytes for an encryption transform (AEAD: key plus salt). */
export function encrKeyMaterialLength(id: number, keyLengthBits: number | undefined): number {
  const a = encrAlgorithm(id);
  if (!a) throw new Error(`unsupported encryption transform ${id}`);
  const bits = keyLengthBits ?? a.keyLengths[0]!;
  return bits / 8 + a.saltLength;
}
