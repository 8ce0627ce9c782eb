// Authentication payload (RFC 7296 section 3.8).

import { Buffer } from 'node:buffer';
import { PayloadType } from '../constants.ts';
import type { AuthPayload } from '../message.ts';
import { type ByteReader, u8 } from './bytes.ts';

export function decodeAuthBody(r: ByteReader): AuthPayload {
  const method = r.u8('auth method');
  r.skip(3, 'reserved');
  return { type: PayloadType.AUTH, method, data: r.rest() };
}

export function encodeAuthBody(p: AuthPayload): Buffer {
  return Buffer.concat([u8(p.method, 'auth method'), Buffer.alloc(3), p.data]);
}
