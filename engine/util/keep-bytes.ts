// Bytes an IKE, CHILD or ESP SA keeps for as long as it lives (SPIs, nonces, keys, the cached response).
// Small Buffers from Buffer.from/concat/allocUnsafe are views into Node's shared 8 KiB pool slabs,
// and one live view keeps its whole slab alive: a hub holding a 32-byte key per session that way
// held an 8 KiB slab per session, mostly garbage. Copies made here go into slabs that only hold
// such long-lived bytes (packed densely), or into their own allocation when larger.

import { Buffer } from 'node:buffer';

/** Slab size for the small values (SPIs, nonces, keys: 8-64 bytes each, about 20 per session). */
const SLAB_BYTES = 4096;
/** Larger values (a cached response) get their own ArrayBuffer of exactly their size. */
const SMALL_MAX = 128;

let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
let offset = 0;

/** A copy of `b` that pins no pool slab; callers store it instead of `b`. */
export function keepBytes(b: Buffer): Buffer {
  const n = b.length;
  if (n > SMALL_MAX) {
    const own = Buffer.allocUnsafeSlow(n);
    own.set(b);
    return own;
  }
  if (offset + n > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    offset = 0;
  }
  const out = slab.subarray(offset, offset + n);
  out.set(b);
  // 8-byte steps keep every value aligned like a malloc'd one.
  offset += (n + 7) & ~7;
  return out;
}
