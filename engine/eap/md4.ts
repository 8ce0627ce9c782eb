// MD4 (RFC 1320), needed for one thing only: the NT password hash of MS-CHAPv2 (RFC 2759 section
// 8.3, NtPasswordHash = MD4(UTF-16LE(password))) and its hash (HashNtPasswordHash).
//
// Node's crypto is used when it can: OpenSSL 3 moved MD4 to its "legacy" provider, which Node 20
// loads only with `--openssl-legacy-provider` (or an OPENSSL_CONF that activates it) given at process
// start; there is no run-time API to load a provider. Without it, `createHash('md4')` throws, and
// this module falls back to the compact RFC 1320 transform below (checked against the RFC 1320
// appendix A.5 vectors and against OpenSSL's MD4 in test/eap-md4.test.ts). It is not a general
// purpose hash: nothing else in the project may use it.

import { createHash } from 'node:crypto';

let nodeMd4: boolean | undefined;

/** Whether Node's OpenSSL offers MD4 in this process (legacy provider loaded). */
export function nodeHasMd4(): boolean {
  if (nodeMd4 === undefined) {
    try {
      createHash('md4').update('').digest();
      nodeMd4 = true;
    } catch {
      nodeMd4 = false;
    }
  }
  return nodeMd4;
}

export function md4(data: Buffer): Buffer {
  if (nodeHasMd4()) return createHash('md4').update(data).digest();
  return md4Rfc1320(data);
}

const rotl = (x: number, n: number) => (x << n) | (x >>> (32 - n));

/** RFC 1320 section 3, exported for the test that compares it with OpenSSL. */
export function md4Rfc1320(data: Buffer): Buffer {
  // Step 1-2 (3.1, 3.2): pad to 56 mod 64 with 0x80 0x00..., then the bit length as 64-bit little endian.
  const padLen = ((data.length + 8) >> 6) * 64 + 64;
  const msg = Buffer.alloc(padLen);
  data.copy(msg);
  msg[data.length] = 0x80;
  const bits = BigInt(data.length) * 8n;
  msg.writeBigUInt64LE(bits & 0xffffffffffffffffn, padLen - 8);

  // Step 3 (3.3): the four-word buffer.
  let a = 0x67452301, b = 0xefcdab89, c = 0x98badcfe, d = 0x10325476;
  const x = new Array<number>(16);
  const F = (p: number, q: number, r: number) => (p & q) | (~p & r);
  const G = (p: number, q: number, r: number) => (p & q) | (p & r) | (q & r);
  const H = (p: number, q: number, r: number) => p ^ q ^ r;

  // Step 4 (3.4): 16-word blocks, three rounds.
  for (let off = 0; off < padLen; off += 64) {
    for (let i = 0; i < 16; i++) x[i] = msg.readUInt32LE(off + i * 4);
    const aa = a, bb = b, cc = c, dd = d;
    for (const i of [0, 4, 8, 12]) {
      a = rotl((a + F(b, c, d) + x[i]!) | 0, 3);
      d = rotl((d + F(a, b, c) + x[i + 1]!) | 0, 7);
      c = rotl((c + F(d, a, b) + x[i + 2]!) | 0, 11);
      b = rotl((b + F(c, d, a) + x[i + 3]!) | 0, 19);
    }
    for (const i of [0, 1, 2, 3]) {
      a = rotl((a + G(b, c, d) + x[i]! + 0x5a827999) | 0, 3);
      d = rotl((d + G(a, b, c) + x[i + 4]! + 0x5a827999) | 0, 5);
      c = rotl((c + G(d, a, b) + x[i + 8]! + 0x5a827999) | 0, 9);
      b = rotl((b + G(c, d, a) + x[i + 12]! + 0x5a827999) | 0, 13);
    }
    for (const i of [0, 2, 1, 3]) {
      a = rotl((a + H(b, c, d) + x[i]! + 0x6ed9eba1) | 0, 3);
      d = rotl((d + H(a, b, c) + x[i + 8]! + 0x6ed9eba1) | 0, 9);
      c = rotl((c + H(d, a, b) + x[i + 4]! + 0x6ed9eba1) | 0, 11);
      b = rotl((b + H(c, d, a) + x[i + 12]! + 0x6ed9eba1) | 0, 15);
    }
    a = (a + aa) | 0; b = (b + bb) | 0; c = (c + cc) | 0; d = (d + dd) | 0;
  }

  // Step 5 (3.5): output a, b, c, d little endian.
  const out = Buffer.alloc(16);
  out.writeInt32LE(a, 0); out.writeInt32LE(b, 4); out.writeInt32LE(c, 8); out.writeInt32LE(d, 12);
  return out;
}
