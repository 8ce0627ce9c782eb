// MS-CHAPv2 computations (RFC 2759 section 8) and the MPPE key derivation (RFC 3079 section 3.4)
// that gives EAP-MSCHAPv2 its MSK. Hashes and DES come from Node's crypto, except MD4 (see md4.ts).

import { createCipheriv, createHash, timingSafeEqual } from 'node:crypto';
import { md4 } from './md4.ts';

const sha1 = (...parts: Buffer[]) => {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** RFC 2759 8.3: MD4 of the password in UTF-16LE ("Unicode"). */
export function ntPasswordHash(password: string): Buffer {
  return md4(Buffer.from(password, 'utf16le'));
}

/** RFC 2759 8.4 */
export function hashNtPasswordHash(passwordHash: Buffer): Buffer {
  return md4(passwordHash);
}

/**
 * The user name that goes into ChallengeHash: the name without a "DOMAIN\" prefix, as Windows,
 * strongSwan and FreeRADIUS use it (RFC 2759 8.2 says the name is the one "without domain").
 */
export function mschapUserName(name: string): string {
  const i = name.lastIndexOf('\\');
  return i >= 0 ? name.slice(i + 1) : name;
}

/** RFC 2759 8.2: first 8 bytes of SHA1(PeerChallenge + AuthenticatorChallenge + UserName). */
export function challengeHash(peerChallenge: Buffer, authenticatorChallenge: Buffer, userName: string): Buffer {
  return sha1(peerChallenge, authenticatorChallenge, Buffer.from(mschapUserName(userName), 'utf8')).subarray(0, 8);
}

/** 56 key bits -> 8 bytes with a (ignored) parity bit in each byte, as DES wants them. */
function desKey(key7: Buffer): Buffer {
  const out = Buffer.alloc(8);
  let bits = 0n;
  for (const b of key7) bits = (bits << 8n) | BigInt(b);
  for (let i = 0; i < 8; i++) out[i] = Number((bits >> BigInt(49 - 7 * i)) & 0x7fn) << 1;
  return out;
}

/**
 * Single DES-ECB of one block. OpenSSL 3 keeps single DES in its legacy provider, but EDE with
 * K1 = K2 (two-key 3DES) is E_K(D_K(E_K(x))) = E_K(x), which the default provider offers.
 */
function desEncrypt(key7: Buffer, block: Buffer): Buffer {
  const k = desKey(key7);
  const c = createCipheriv('des-ede-ecb', Buffer.concat([k, k]), null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}

/** RFC 2759 8.5: three DES encryptions of the challenge with the 21-byte zero-padded hash. */
export function challengeResponse(challenge: Buffer, passwordHash: Buffer): Buffer {
  const z = Buffer.alloc(21);
  passwordHash.copy(z);
  return Buffer.concat([desEncrypt(z.subarray(0, 7), challenge), desEncrypt(z.subarray(7, 14), challenge), desEncrypt(z.subarray(14, 21), challenge)]);
}

/** RFC 2759 8.1 */
export function generateNtResponse(authenticatorChallenge: Buffer, peerChallenge: Buffer, userName: string, password: string | Buffer): Buffer {
  const hash = typeof password === 'string' ? ntPasswordHash(password) : password;
  return challengeResponse(challengeHash(peerChallenge, authenticatorChallenge, userName), hash);
}

const MAGIC1 = Buffer.from('Magic server to client signing constant', 'ascii');
const MAGIC2 = Buffer.from('Pad to make it do more than one iteration', 'ascii');

/**
 * RFC 2759 8.7: the 20-byte authenticator response; as sent in the Success message it is
 * "S=" followed by 40 upper-case hex digits (`authenticatorResponseText`).
 */
export function generateAuthenticatorResponse(password: string | Buffer, ntResponse: Buffer, peerChallenge: Buffer,
  authenticatorChallenge: Buffer, userName: string): Buffer {
  const hash = typeof password === 'string' ? ntPasswordHash(password) : password;
  const digest = sha1(hashNtPasswordHash(hash), ntResponse, MAGIC1);
  return sha1(digest, challengeHash(peerChallenge, authenticatorChallenge, userName), MAGIC2);
}

export function authenticatorResponseText(auth: Buffer): string {
  return `S=${auth.toString('hex').toUpperCase()}`;
}

/** Checks an NT-Response in constant time (server side). */
export function verifyNtResponse(expected: Buffer, got: Buffer): boolean {
  return expected.length === got.length && timingSafeEqual(expected, got);
}

// ---- RFC 3079 section 3.4: MPPE keys from MS-CHAPv2 ----

const KEY_MAGIC1 = Buffer.from('This is the MPPE Master Key', 'ascii');
const KEY_MAGIC2 = Buffer.from('On the client side, this is the send key; on the server side, it is the receive key.', 'ascii');
const KEY_MAGIC3 = Buffer.from('On the client side, this is the receive key; on the server side, it is the send key.', 'ascii');
const SHS_PAD1 = Buffer.alloc(40, 0x00);
const SHS_PAD2 = Buffer.alloc(40, 0xf2);

/** RFC 3079 3.4 GetMasterKey */
export function getMasterKey(passwordHashHash: Buffer, ntResponse: Buffer): Buffer {
  return sha1(passwordHashHash, ntResponse, KEY_MAGIC1).subarray(0, 16);
}

/** RFC 3079 3.4 GetAsymmetricStartKey */
export function getAsymmetricStartKey(masterKey: Buffer, keyLength: 8 | 16, isSend: boolean, isServer: boolean): Buffer {
  const magic = isSend === isServer ? KEY_MAGIC3 : KEY_MAGIC2;
  return sha1(masterKey, SHS_PAD1, magic, SHS_PAD2).subarray(0, keyLength);
}

export interface MsChapV2Keys {
  /** The server's receive key = the peer's send key (Magic2): what RADIUS sends as MS-MPPE-Recv-Key. */
  masterReceiveKey: Buffer;
  /** The server's send key = the peer's receive key (Magic3): MS-MPPE-Send-Key. */
  masterSendKey: Buffer;
  /**
   * The 64-byte EAP MSK as strongSwan computes it (eap_mschapv2.c GenerateMSK) and as a NAS rebuilds
   * it from the two MPPE keys (strongSwan radius_socket.c decrypt_msk, hostapd): receive key, send
   * key, 32 zero bytes (draft-kamath-pppext-eap-mschapv2, RFC 5247 appendix).
   */
  msk: Buffer;
}

export function mschapV2Keys(password: string | Buffer, ntResponse: Buffer): MsChapV2Keys {
  const hash = typeof password === 'string' ? ntPasswordHash(password) : password;
  const master = getMasterKey(hashNtPasswordHash(hash), ntResponse);
  const masterReceiveKey = getAsymmetricStartKey(master, 16, false, true);
  const masterSendKey = getAsymmetricStartKey(master, 16, true, true);
  return { masterReceiveKey, masterSendKey, msk: mskFromMppeKeys(masterReceiveKey, masterSendKey) };
}

/** The MSK a NAS builds from MS-MPPE-Recv-Key and MS-MPPE-Send-Key: recv | send, zero-padded to 64. */
export function mskFromMppeKeys(recvKey: Buffer, sendKey: Buffer): Buffer {
  const k = Buffer.concat([recvKey, sendKey]);
  return k.length >= 64 ? k : Buffer.concat([k, Buffer.alloc(64 - k.length)]);
}
