// Attribute hiding with the shared secret: User-Password (RFC 2865 section 5.2) and the salted
// scheme of Tunnel-Password (RFC 2868 section 3.5), which RFC 2548 section 2.4.2 reuses for
// MS-MPPE-Send-Key and MS-MPPE-Recv-Key. Both XOR the value with an MD5 stream:
//   b1 = MD5(S + RA [+ salt]), c1 = p1 xor b1, bi = MD5(S + c(i-1)), ci = pi xor bi.

import { createHash } from 'node:crypto';
import { RadiusEncodeError, RadiusParseError } from './errors.ts';

const md5 = (...parts: Buffer[]) => {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
};

function xorStream(input: Buffer, secret: Buffer, first: Buffer, decrypt: boolean): Buffer {
  const out = Buffer.alloc(input.length);
  let prev = first;
  for (let i = 0; i < input.length; i += 16) {
    const b = md5(secret, prev);
    for (let j = 0; j < 16; j++) out[i + j] = input[i + j]! ^ b[j]!;
    prev = decrypt ? input.subarray(i, i + 16) : out.subarray(i, i + 16);
  }
  return out;
}

/** RFC 2865 5.2: pads to a multiple of 16 (at most 128 bytes). */
export function hideUserPassword(password: Buffer, secret: Buffer, requestAuthenticator: Buffer): Buffer {
  if (password.length > 128) throw new RadiusEncodeError(`User-Password of ${password.length} bytes is longer than 128`);
  const len = Math.max(16, Math.ceil(password.length / 16) * 16);
  const p = Buffer.alloc(len);
  password.copy(p);
  return xorStream(p, secret, requestAuthenticator, false);
}

/** Inverse of hideUserPassword; trailing NUL padding is removed (passwords cannot contain NUL). */
export function revealUserPassword(hidden: Buffer, secret: Buffer, requestAuthenticator: Buffer): Buffer {
  if (hidden.length < 16 || hidden.length > 128 || hidden.length % 16) {
    throw new RadiusParseError('BAD_HIDDEN_VALUE', `User-Password of ${hidden.length} bytes is not a multiple of 16 in 16..128`);
  }
  const p = xorStream(hidden, secret, requestAuthenticator, true);
  let end = p.length;
  while (end > 0 && p[end - 1] === 0) end--;
  return p.subarray(0, end);
}

/**
 * RFC 2868 3.5 / RFC 2548 2.4.2: salt (2 bytes, high bit set), then the encrypted string of
 * [length byte, value, zero padding to a multiple of 16]. Returns salt + ciphertext.
 */
export function hideSalted(value: Buffer, secret: Buffer, requestAuthenticator: Buffer, salt: Buffer): Buffer {
  if (value.length > 239) throw new RadiusEncodeError(`salted value of ${value.length} bytes is too long`);
  const s = Buffer.from([salt[0]! | 0x80, salt[1]!]);
  const len = Math.ceil((1 + value.length) / 16) * 16;
  const p = Buffer.alloc(len);
  p[0] = value.length;
  value.copy(p, 1);
  return Buffer.concat([s, xorStream(p, secret, Buffer.concat([requestAuthenticator, s]), false)]);
}

export function revealSalted(hidden: Buffer, secret: Buffer, requestAuthenticator: Buffer): Buffer {
  if (hidden.length < 18 || (hidden.length - 2) % 16) {
    throw new RadiusParseError('BAD_HIDDEN_VALUE', `salted value of ${hidden.length} bytes is not salt + a multiple of 16`);
  }
  const salt = hidden.subarray(0, 2);
  const p = xorStream(hidden.subarray(2), secret, Buffer.concat([requestAuthenticator, salt]), true);
  const len = p[0]!;
  if (len > p.length - 1) throw new RadiusParseError('BAD_HIDDEN_VALUE', `salted value says ${len} bytes, only ${p.length - 1} present (wrong secret?)`);
  return Buffer.from(p.subarray(1, 1 + len));
}
