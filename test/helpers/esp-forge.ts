// Builds ESP packets straight from Node's crypto, independently of engine/esp/encap.ts, so tests
// can make packets our sealer never would (bad padding, odd next headers, TFC padding) that still
// carry a valid ICV, and so the decapsulator is checked against a second implementation.

import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { EncrId, IntegId } from '../../engine/ike/constants.ts';
import type { EspSaOptions } from '../../engine/esp/index.ts';

export interface Suite {
  name: string;
  encr: EncrId;
  keyBits: number;
  integ: IntegId;
}

export const SUITES: Suite[] = [
  { name: 'AES-GCM-16-128', encr: EncrId.AES_GCM_16, keyBits: 128, integ: IntegId.NONE },
  { name: 'AES-GCM-16-256', encr: EncrId.AES_GCM_16, keyBits: 256, integ: IntegId.NONE },
  { name: 'AES-GCM-12-128', encr: EncrId.AES_GCM_12, keyBits: 128, integ: IntegId.NONE },
  { name: 'AES-GCM-8-256', encr: EncrId.AES_GCM_8, keyBits: 256, integ: IntegId.NONE },
  { name: 'AES-CBC-128/HMAC-SHA1-96', encr: EncrId.AES_CBC, keyBits: 128, integ: IntegId.HMAC_SHA1_96 },
  { name: 'AES-CBC-192/HMAC-SHA2-256-128', encr: EncrId.AES_CBC, keyBits: 192, integ: IntegId.HMAC_SHA2_256_128 },
  { name: 'AES-CBC-256/HMAC-SHA2-384-192', encr: EncrId.AES_CBC, keyBits: 256, integ: IntegId.HMAC_SHA2_384_192 },
  { name: 'AES-CBC-256/HMAC-SHA2-512-256', encr: EncrId.AES_CBC, keyBits: 256, integ: IntegId.HMAC_SHA2_512_256 },
  { name: 'NULL/HMAC-SHA2-256-128', encr: EncrId.NULL, keyBits: 0, integ: IntegId.HMAC_SHA2_256_128 },
  // What Windows-style peers negotiate (interop matrix row "windows").
  { name: '3DES/HMAC-SHA1-96', encr: EncrId.TRIPLE_DES, keyBits: 192, integ: IntegId.HMAC_SHA1_96 },
];

const GCM_ICV: Partial<Record<EncrId, number>> = { [EncrId.AES_GCM_16]: 16, [EncrId.AES_GCM_12]: 12, [EncrId.AES_GCM_8]: 8 };
const HMAC: Partial<Record<IntegId, [string, number, number]>> = {
  [IntegId.HMAC_SHA1_96]: ['sha1', 20, 12],
  [IntegId.HMAC_SHA2_256_128]: ['sha256', 32, 16],
  [IntegId.HMAC_SHA2_384_192]: ['sha384', 48, 24],
  [IntegId.HMAC_SHA2_512_256]: ['sha512', 64, 32],
};

/** Options for a matching pair of EspSa (same keys), direction filled in by the caller. */
export function saKeys(s: Suite, spi = 0x1000): Omit<EspSaOptions, 'direction'> {
  const gcm = GCM_ICV[s.encr] !== undefined;
  const h = HMAC[s.integ];
  return {
    spi, encr: s.encr, integ: s.integ, createdAt: 0,
    encrKey: randomBytes(s.keyBits / 8 + (gcm ? 4 : 0)),
    integKey: h ? randomBytes(h[1]) : undefined,
  };
}

/**
 * An ESP packet for `keys` with sequence number `seq` whose encrypted part is exactly `text`
 * (payload, padding, pad length and next header as the caller wants them).
 */
export function forge(keys: Omit<EspSaOptions, 'direction'>, seq: number, text: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(keys.spi, 0);
  header.writeUInt32BE(seq, 4);
  const icvLength = GCM_ICV[keys.encr as EncrId];
  if (icvLength !== undefined) {
    const key = keys.encrKey.subarray(0, keys.encrKey.length - 4);
    const iv = randomBytes(8);
    const c = createCipheriv(`aes-${key.length * 8}-gcm` as 'aes-128-gcm', key, Buffer.concat([keys.encrKey.subarray(-4), iv]), { authTagLength: icvLength });
    c.setAAD(header);
    const ct = Buffer.concat([c.update(text), c.final()]);
    return Buffer.concat([header, iv, ct, c.getAuthTag()]);
  }
  let body: Buffer;
  if (keys.encr === EncrId.AES_CBC) {
    const iv = randomBytes(16);
    const c = createCipheriv(`aes-${keys.encrKey.length * 8}-cbc`, keys.encrKey, iv);
    c.setAutoPadding(false);
    body = Buffer.concat([iv, c.update(text), c.final()]);
  } else if (keys.encr === EncrId.TRIPLE_DES) {
    const iv = randomBytes(8);
    const c = createCipheriv('des-ede3-cbc', keys.encrKey, iv);
    c.setAutoPadding(false);
    body = Buffer.concat([iv, c.update(text), c.final()]);
  } else {
    body = text;
  }
  const signed = Buffer.concat([header, body]);
  const [hash, , icv] = HMAC[keys.integ as IntegId]!;
  return Buffer.concat([signed, createHmac(hash, keys.integKey!).update(signed).digest().subarray(0, icv)]);
}

/** The plaintext ESP would produce: payload, pad 1..n to `align`, pad length, next header. */
export function trailerText(payload: Buffer, nextHeader: number, align: number, extraPad = 0): Buffer {
  const pad = ((align - ((payload.length + 2) % align)) % align) + extraPad;
  return Buffer.concat([payload, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1)), Buffer.from([pad, nextHeader])]);
}

export function alignmentOf(s: Suite): number {
  return s.encr === EncrId.AES_CBC ? 16 : s.encr === EncrId.TRIPLE_DES ? 8 : 4;
}

/** A well-formed IPv4 (UDP) or IPv6 (UDP) packet of `length` bytes. */
export function ipPacket(version: 4 | 6, length: number, fill = 0xab): Buffer {
  const p = Buffer.alloc(length, fill);
  if (version === 4) {
    if (length < 28) throw new Error('IPv4+UDP needs 28 bytes');
    p.fill(0, 0, 20);
    p[0] = 0x45;
    p.writeUInt16BE(length, 2);
    p[8] = 64;
    p[9] = 17;
    Buffer.from([10, 1, 0, 1, 10, 2, 0, 1]).copy(p, 12);
    p.writeUInt16BE(1234, 20);
    p.writeUInt16BE(5678, 22);
  } else {
    if (length < 48) throw new Error('IPv6+UDP needs 48 bytes');
    p.fill(0, 0, 40);
    p[0] = 0x60;
    p.writeUInt16BE(length - 40, 4);
    p[6] = 17;
    p[7] = 64;
    Buffer.from('20010db8000000000000000000000001', 'hex').copy(p, 8);
    Buffer.from('20010db8000000010000000000000001', 'hex').copy(p, 24);
    p.writeUInt16BE(1234, 40);
    p.writeUInt16BE(5678, 42);
  }
  return p;
}
