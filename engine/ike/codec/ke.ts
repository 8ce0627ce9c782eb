// Key Exchange payload (RFC 7296 section 3.4).

import { Buffer } from 'node:buffer';
import { PayloadType } from '../constants.ts';
import type { KePayload } from '../message.ts';
import { type ByteReader, u16 } from './bytes.ts';

/**
 * Key Exchange Data length per group, as fixed by the group's definition: MODP values are padded
 * to the prime length (RFC 7296 3.4), ECP is x|y (RFC 5903 7), Curve25519/448 the raw u (RFC 8031).
 * Groups not listed (ML-KEM, private use) are not length-checked.
 */
export const KE_DATA_LENGTH: Readonly<Record<number, number>> = {
  1: 96, 2: 128, 5: 192, 14: 256, 15: 384, 16: 512, 17: 768, 18: 1024,
  19: 64, 20: 96, 21: 132, 22: 128, 23: 256, 24: 256, 25: 48, 26: 56,
  27: 56, 28: 64, 29: 96, 30: 128, 31: 32, 32: 56,
};

export function decodeKeBody(r: ByteReader): KePayload {
  const group = r.u16('DH group');
  r.u16('reserved');
  const data = r.rest();
  if (group === 0) r.fail('BAD_KE', 'KE payload with DH group 0');
  const want = KE_DATA_LENGTH[group];
  if (want !== undefined && data.length !== want) {
    r.fail('BAD_KE', `KE data for group ${group} must be ${want} bytes, got ${data.length}`);
  }
  return { type: PayloadType.KE, group, data };
}

export function encodeKeBody(p: KePayload): Buffer {
  return Buffer.concat([u16(p.group, 'DH group'), u16(0, 'reserved'), p.data]);
}
