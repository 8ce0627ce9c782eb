// Nonce payload (RFC 7296 section 3.9): 16 to 256 bytes.

import { PayloadType } from '../constants.ts';
import type { NoncePayload } from '../message.ts';
import type { ByteReader } from './bytes.ts';

export const NONCE_MIN = 16;
export const NONCE_MAX = 256;

export function decodeNonceBody(r: ByteReader): NoncePayload {
  const data = r.rest();
  if (data.length < NONCE_MIN || data.length > NONCE_MAX) {
    r.fail('BAD_NONCE', `nonce of ${data.length} bytes, must be ${NONCE_MIN}..${NONCE_MAX}`);
  }
  return { type: PayloadType.NONCE, data };
}

export function encodeNonceBody(p: NoncePayload): Buffer {
  return p.data;
}
