// Encrypted and Authenticated payload SK (RFC 7296 section 3.14) and Encrypted Fragment payload SKF
// (RFC 7383 section 2.5): framing only. The content (IV, ciphertext, padding, ICV) stays opaque
// here; engine/ike/crypto opens it. Both are always the last payload of a message, so their
// encrypted data runs to the end of the datagram: its offset is `message length - data.length`,
// and the bytes before it are the AEAD associated data (RFC 5282 5.1, RFC 7383 2.5).

import { Buffer } from 'node:buffer';
import { PayloadType } from '../constants.ts';
import type { SkfPayload, SkPayload } from '../message.ts';
import { type ByteReader, u16 } from './bytes.ts';

export function decodeSkBody(r: ByteReader, innerFirstPayload: number): SkPayload {
  return { type: PayloadType.SK, innerFirstPayload, data: r.rest() };
}

export function encodeSkBody(p: SkPayload): Buffer {
  return p.data;
}

export function decodeSkfBody(r: ByteReader, innerFirstPayload: number): SkfPayload {
  const fragmentNumber = r.u16('fragment number');
  const totalFragments = r.u16('total fragments');
  // RFC 7383 2.5/2.6.1: numbers start at 1 and never exceed the total.
  if (fragmentNumber < 1 || totalFragments < 1 || fragmentNumber > totalFragments) {
    r.fail('BAD_FRAGMENT', `fragment ${fragmentNumber} of ${totalFragments}`);
  }
  return { type: PayloadType.SKF, innerFirstPayload, fragmentNumber, totalFragments, data: r.rest() };
}

export function encodeSkfBody(p: SkfPayload): Buffer {
  return Buffer.concat([u16(p.fragmentNumber, 'fragment number'), u16(p.totalFragments, 'total fragments'), p.data]);
}
