// ESP encapsulation (RFC 4303 section 3.3), tunnel mode: the inner IP packet becomes the payload,
// followed by padding 1, 2, 3... to the cipher's alignment, the pad length and the next header
// (4 = IPv4, 41 = IPv6), then encrypted and authenticated. The result is the ESP packet that goes
// into a UDP datagram to port 4500 (RFC 3948); adding the UDP header is the socket's job.

import { createCipheriv, createHmac, type CipherGCM } from 'node:crypto';
import type { RandomSource } from '../util/random.ts';
import { SEQ_MAX, type EspSa } from './sa.ts';
import { dropped, type SealResult } from './result.ts';

export const NEXT_HEADER_IPV4 = 4;
export const NEXT_HEADER_IPV6 = 41;
export const NEXT_HEADER_NONE = 59; // dummy packet (RFC 4303 2.6)

const ESP_HEADER = 8; // SPI + sequence number

/**
 * Trailers (padding 1, 2, 3... per RFC 4303 2.4, pad length, next header) are the same few byte
 * strings over and over: built once per (next header, pad length) and reused, never modified.
 */
const TRAILERS = new Map<number, Buffer>();

function trailerFor(padLength: number, nextHeader: number): Buffer {
  const key = (nextHeader << 8) | padLength;
  let t = TRAILERS.get(key);
  if (!t) {
    t = Buffer.alloc(padLength + 2);
    for (let i = 0; i < padLength; i++) t[i] = i + 1;
    t[padLength] = padLength;
    t[padLength + 1] = nextHeader;
    TRAILERS.set(key, t);
  }
  return t;
}

/**
 * Seals an inner IPv4/IPv6 packet. `iv` overrides the IV (known-answer tests); otherwise AES-GCM
 * uses the sequence number as its 8-byte IV (unique per key, which is all RFC 4106 section 3.1
 * asks, and it saves a random draw per packet) and AES-CBC an unpredictable IV from the SA's pool.
 */
export function seal(sa: EspSa, inner: Buffer, iv?: RandomSource): SealResult {
  const version = inner.length > 0 ? inner[0]! >> 4 : 0;
  if (version === 4) return sealPayload(sa, inner, NEXT_HEADER_IPV4, iv);
  if (version === 6) return sealPayload(sa, inner, NEXT_HEADER_IPV6, iv);
  sa.drops['not-ip']++;
  return dropped('not-ip');
}

/** A dummy packet (next header 59, RFC 4303 2.6) with `length` zero bytes of payload (encrypted on the wire). */
export function sealDummy(sa: EspSa, length: number, iv?: RandomSource): SealResult {
  return sealPayload(sa, Buffer.alloc(length), NEXT_HEADER_NONE, iv);
}

/**
 * Seals any payload with an explicit next header. seal() is the tunnel-mode entry point; this one
 * exists for dummy packets and for known-answer tests whose vectors use other next headers.
 */
export function sealPayload(sa: EspSa, payload: Buffer, nextHeader: number, iv?: RandomSource): SealResult {
  if (sa.seq >= SEQ_MAX) {
    // Without ESN the counter must never cycle (RFC 4303 3.3.3): only a new SA can send more.
    sa.seqExhausted();
    sa.drops['seq-exhausted']++;
    return dropped('seq-exhausted');
  }
  if (sa.hardExpired) {
    sa.drops['lifetime-expired']++;
    return dropped('lifetime-expired');
  }
  const seq = ++sa.seq;
  if (seq >= sa.seqSoftLimit) {
    if (!sa.softExpired) sa.seqSoftReached();
    if (seq === SEQ_MAX) sa.seqExhausted(); // this packet goes out; the daemon learns now, not at the next one
  }

  const ivLength = sa.ivLength;
  const align = sa.alignment;
  const padLength = (align - ((payload.length + 2) % align)) % align;
  const textLength = payload.length + padLength + 2;
  const icvLength = sa.icvLength;
  const ivOffset = ESP_HEADER;
  const textOffset = ivOffset + ivLength;
  const icvOffset = textOffset + textLength;
  const out = Buffer.allocUnsafe(icvOffset + icvLength);
  out.writeUInt32BE(sa.spi, 0);
  out.writeUInt32BE(seq, 4);

  const trailer = trailerFor(padLength, nextHeader & 0xff);

  // Plaintext goes into the output buffer first; one update() then encrypts it as a whole (one
  // call into OpenSSL instead of two measured ~10% faster) and its result is copied back.
  payload.copy(out, textOffset);
  trailer.copy(out, textOffset + payload.length);
  const text = out.subarray(textOffset, icvOffset);

  if (sa.encr.aead) {
    if (iv) iv.bytes(ivLength).copy(out, ivOffset);
    else {
      out.writeUInt32BE(0, ivOffset);
      out.writeUInt32BE(seq, ivOffset + 4);
    }
    const nonce = sa.nonce;
    out.copy(nonce, nonce.length - ivLength, ivOffset, textOffset);
    const c = createCipheriv(sa.cipherName as 'aes-128-gcm', sa.cipherKey!, nonce, { authTagLength: icvLength }) as CipherGCM;
    c.setAAD(out.subarray(0, ESP_HEADER)); // SPI | seq (RFC 4106 section 5, no ESN)
    c.update(text).copy(out, textOffset);
    c.final();
    c.getAuthTag().copy(out, icvOffset);
  } else {
    if (ivLength > 0) {
      if (iv) iv.bytes(ivLength).copy(out, ivOffset);
      else sa.nextIv(out, ivOffset);
    }
    if (sa.cipherKey) {
      const c = createCipheriv(sa.cipherName, sa.cipherKey, out.subarray(ivOffset, textOffset));
      c.setAutoPadding(false); // ESP does its own padding
      c.update(text).copy(out, textOffset);
      c.final();
    }
    if (sa.hmacKey) {
      // ICV over SPI, seq, IV and ciphertext (RFC 4303 3.3.4), truncated (RFC 2404, RFC 4868).
      const mac = createHmac(sa.hmacName!, sa.hmacKey).update(out.subarray(0, icvOffset)).digest();
      mac.copy(out, icvOffset, 0, icvLength);
    }
  }
  sa.account(payload.length);
  return { ok: true, packet: out };
}
