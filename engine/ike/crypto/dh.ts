// Diffie-Hellman key exchange for the KE payload: MODP groups (RFC 3526/2409), NIST ECP groups
// (RFC 5903) and Curve25519 (RFC 8031). The private value comes from the injected RandomSource so
// that a whole exchange replays byte for byte; the arithmetic is Node's crypto (OpenSSL).

import { Buffer } from 'node:buffer';
import {
  createDiffieHellman, createECDH, createPrivateKey, createPublicKey, diffieHellman, getDiffieHellman,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { dhAlgorithm } from '../../crypto/algorithms.ts';
import type { DhAlgorithm } from '../../crypto/algorithms.ts';
import type { RandomSource } from '../../util/random.ts';
import { KeyExchangeError, UnsupportedAlgorithmError } from './errors.ts';

export interface KeyExchange {
  group: number;
  /**
   * Key Exchange Data of our KE payload, IKE encoding: MODP g^x zero-padded to the prime length
   * (RFC 7296 3.4); ECP x | y without the 0x04 point-format octet (RFC 5903 section 7); X25519
   * the raw 32-byte u-coordinate (RFC 8031 section 2).
   */
  publicValue: Buffer;
  /**
   * g^ir from the peer's Key Exchange Data, after validating it: MODP zero-padded to the prime
   * length (RFC 7296 2.14), ECP the x coordinate only (RFC 5903 section 7), X25519 32 bytes.
   * Throws KeyExchangeError for an unusable peer value.
   */
  computeSharedSecret(peerPublic: Buffer): Buffer;
}

/** Groups this implementation can do, in the catalogue's order. */
export const SUPPORTED_KE_GROUPS: readonly number[] = [2, 5, 14, 15, 16, 19, 20, 21, 31];

export function isSupportedKeGroup(group: number): boolean {
  return SUPPORTED_KE_GROUPS.includes(group) && dhAlgorithm(group) !== undefined;
}

/** Length of the Key Exchange Data for a group (what a KE payload of that group must carry). */
export function keyExchangeDataLength(group: number): number {
  return groupInfo(group).publicLength;
}

export function createKeyExchange(group: number, random: RandomSource): KeyExchange {
  const info = groupInfo(group);
  switch (info.kind) {
    case 'modp': return modpExchange(info, random);
    case 'ecp': return ecpExchange(info, random);
    case 'x25519': return x25519Exchange(info, random);
    default: throw new UnsupportedAlgorithmError(`key exchange group ${group} (${info.name})`);
  }
}

function groupInfo(group: number): DhAlgorithm {
  const info = dhAlgorithm(group);
  if (!info || !SUPPORTED_KE_GROUPS.includes(group)) throw new UnsupportedAlgorithmError(`key exchange group ${group}`);
  return info;
}

// ---- MODP ------------------------------------------------------------------------------------

const primes = new Map<string, Buffer>();

function modpPrime(nodeName: string): Buffer {
  let p = primes.get(nodeName);
  if (!p) {
    p = getDiffieHellman(nodeName).getPrime();
    primes.set(nodeName, p);
  }
  return p;
}

const GENERATOR_2 = Buffer.of(2); // every RFC 2409/3526 group has generator 2

function modpExchange(info: DhAlgorithm, random: RandomSource): KeyExchange {
  const prime = modpPrime(info.nodeName);
  const dh = createDiffieHellman(prime, GENERATOR_2);
  let x = random.bytes(info.privateLength);
  // A private exponent of 0 or 1 would publish g^x = 1 or 2; draw again (never happens in practice).
  for (let i = 0; isZeroOrOne(x); i++) {
    if (i > 16) throw new Error('random source keeps returning 0/1 for a DH private exponent');
    x = random.bytes(info.privateLength);
  }
  dh.setPrivateKey(x);
  const publicValue = leftPad(dh.generateKeys(), prime.length);
  const p = bufToBigInt(prime);
  return {
    group: info.group,
    publicValue,
    computeSharedSecret(peer: Buffer): Buffer {
      if (peer.length !== prime.length) {
        throw new KeyExchangeError(info.group, `${info.name} key exchange data must be ${prime.length} bytes, got ${peer.length}`);
      }
      const y = bufToBigInt(peer);
      // 1 < y < p-1 rules out the trivial subgroup {1, p-1} (NIST SP 800-56A 5.6.2.3.1).
      if (y <= 1n || y >= p - 1n) throw new KeyExchangeError(info.group, `${info.name} public value out of range (1 < y < p-1)`);
      try {
        return leftPad(dh.computeSecret(peer), prime.length);
      } catch (e) {
        throw new KeyExchangeError(info.group, `${info.name}: ${(e as Error).message}`);
      }
    },
  };
}

// ---- ECP (NIST curves) ------------------------------------------------------------------------

/** Bit length of the group order, to mask the random private key (P-521 takes 66 bytes). */
const ORDER_BITS: Record<string, number> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };

function ecpExchange(info: DhAlgorithm, random: RandomSource): KeyExchange {
  const ecdh = createECDH(info.nodeName);
  const bits = ORDER_BITS[info.nodeName]!;
  for (let tries = 0; ; tries++) {
    const d = random.bytes(info.privateLength);
    const spare = info.privateLength * 8 - bits;
    if (spare > 0) d[0] = d[0]! & (0xff >> spare);
    try {
      // Node refuses 0 and values >= the group order; draw again then (rejection sampling, as
      // FIPS 186-4 B.4.2 does), which keeps the result uniform and deterministic.
      ecdh.setPrivateKey(d);
      break;
    } catch {
      if (tries > 32) throw new Error(`random source keeps returning invalid ${info.name} private keys`);
    }
  }
  const coord = info.publicLength / 2;
  const publicValue = ecdh.getPublicKey(undefined, 'uncompressed').subarray(1);
  return {
    group: info.group,
    publicValue: Buffer.from(publicValue),
    computeSharedSecret(peer: Buffer): Buffer {
      if (peer.length !== info.publicLength) {
        throw new KeyExchangeError(info.group, `${info.name} key exchange data must be ${info.publicLength} bytes (x | y), got ${peer.length}`);
      }
      let secret: Buffer;
      try {
        // OpenSSL checks that the point lies on the curve while decoding it.
        secret = ecdh.computeSecret(Buffer.concat([Buffer.of(0x04), peer]));
      } catch {
        throw new KeyExchangeError(info.group, `${info.name} public value is not a point on the curve`);
      }
      return leftPad(secret, coord);
    },
  };
}

// ---- Curve25519 -------------------------------------------------------------------------------

// DER prefix that wraps a raw X25519 private key as PKCS#8 (RFC 8410); only the fallback below.
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/**
 * Raw X25519 keys enter Node as JWK: OpenSSL 3.0's DER decoders cost ~0.3 ms per key, JWK import
 * ~25 us. The JWK shape requires `x`, which Node 20 does not use for a private key (it derives the
 * public key from `d`); should a later Node refuse that, the PKCS#8 form is used instead.
 */
function x25519PrivateKey(raw: Buffer): KeyObject {
  try {
    return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: raw.toString('base64url'), x: '' }, format: 'jwk' });
  } catch {
    return createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
  }
}

function x25519Exchange(info: DhAlgorithm, random: RandomSource): KeyExchange {
  // Any 32 bytes are a valid X25519 private key (RFC 7748 section 5 clamps them).
  const privateKey = x25519PrivateKey(random.bytes(32));
  // The private key's JWK carries the public value x as well (half the cost of a public KeyObject).
  const publicValue = Buffer.from(privateKey.export({ format: 'jwk' }).x!, 'base64url');
  return {
    group: info.group,
    publicValue,
    computeSharedSecret(peer: Buffer): Buffer {
      if (peer.length !== 32) throw new KeyExchangeError(info.group, `Curve25519 key exchange data must be 32 bytes, got ${peer.length}`);
      let secret: Buffer;
      try {
        const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: peer.toString('base64url') }, format: 'jwk' });
        secret = diffieHellman({ privateKey, publicKey });
      } catch {
        // OpenSSL refuses low-order points whose result would be all zero.
        throw new KeyExchangeError(info.group, 'Curve25519 shared secret is all zero (low-order peer value)');
      }
      // RFC 8031 section 2: the recipient MUST check for an all-zero result.
      if (secret.every((b) => b === 0)) throw new KeyExchangeError(info.group, 'Curve25519 shared secret is all zero (low-order peer value)');
      return secret;
    },
  };
}

// ---- helpers ----------------------------------------------------------------------------------

function leftPad(b: Buffer, len: number): Buffer {
  if (b.length === len) return b;
  if (b.length > len) throw new Error(`value longer than ${len} bytes`);
  return Buffer.concat([Buffer.alloc(len - b.length), b]);
}

function bufToBigInt(b: Buffer): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${b.toString('hex')}`);
}

function isZeroOrOne(b: Buffer): boolean {
  for (let i = 0; i < b.length - 1; i++) if (b[i] !== 0) return false;
  return (b[b.length - 1] ?? 0) <= 1;
}
