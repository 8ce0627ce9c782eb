// Randomness is injected into the protocol core (SPIs, nonces, IVs, DH private keys), so that an
// exchange can be replayed byte for byte in a test. Production uses the OS generator.

import { createHash, randomBytes } from 'node:crypto';

export interface RandomSource {
  bytes(n: number): Buffer;
}

/** The OS generator, drawn in 4 KiB blocks: SPIs, nonces and IVs are small and frequent. */
export const cryptoRandom: RandomSource = (() => {
  let pool = Buffer.alloc(0);
  let off = 0;
  return {
    bytes(n: number): Buffer {
      if (n > 1024) return randomBytes(n);
      if (off + n > pool.length) {
        pool = randomBytes(4096);
        off = 0;
      }
      const out = Buffer.from(pool.subarray(off, off + n));
      off += n;
      return out;
    },
  };
})();

/**
 * Deterministic generator for tests and the simulator: SHA-256 in counter mode over a seed.
 * Not for production keys.
 */
export function seededRandom(seed: string | number): RandomSource {
  const key = Buffer.from(String(seed));
  let counter = 0n;
  let pool = Buffer.alloc(0);
  return {
    bytes(n: number): Buffer {
      while (pool.length < n) {
        const c = Buffer.alloc(8);
        c.writeBigUInt64BE(counter++);
        pool = Buffer.concat([pool, createHash('sha256').update(key).update(c).digest()]);
      }
      const out = pool.subarray(0, n);
      pool = pool.subarray(n);
      return Buffer.from(out);
    },
  };
}
