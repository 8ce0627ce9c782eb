// Lines of Wireshark's `esp_sa` UAT file, so a capture of a lab link opens decrypted. Format and the
// exact algorithm strings tshark 4.0 accepts: interop README section 8. One line per direction;
// src/dst are the OUTER addresses of that direction, the SPI is the receiver's.

import { EncrId, IntegId } from '../ike/constants.ts';
import { ipFamily } from '../util/ip.ts';
import type { EspSa } from './sa.ts';

const ENCR_NAMES: Partial<Record<number, string>> = {
  [EncrId.NULL]: 'NULL',
  [EncrId.AES_CBC]: 'AES-CBC [RFC3602]',
  [EncrId.AES_CTR]: 'AES-CTR [RFC3686]',
  [EncrId.TRIPLE_DES]: 'TripleDES-CBC [RFC2451]',
  [EncrId.AES_GCM_8]: 'AES-GCM with 8 octet ICV [RFC4106]',
  [EncrId.AES_GCM_12]: 'AES-GCM with 12 octet ICV [RFC4106]',
  // "AES-GCM [RFC4106]" leaves the ICV inside the data; only this name dissects the inner packet.
  [EncrId.AES_GCM_16]: 'AES-GCM with 16 octet ICV [RFC4106]',
};

const AUTH_NAMES: Partial<Record<number, string>> = {
  [IntegId.NONE]: 'NULL',
  [IntegId.HMAC_MD5_96]: 'HMAC-MD5-96 [RFC2403]',
  [IntegId.HMAC_SHA1_96]: 'HMAC-SHA-1-96 [RFC2404]',
  [IntegId.HMAC_SHA2_256_128]: 'HMAC-SHA-256-128 [RFC4868]',
  [IntegId.HMAC_SHA2_384_192]: 'HMAC-SHA-384-192 [RFC4868]',
  [IntegId.HMAC_SHA2_512_256]: 'HMAC-SHA-512-256 [RFC4868]',
};

export interface EspSaKeyRecord {
  /** Outer source and destination of this direction. */
  src: string;
  dst: string;
  spi: number;
  encr: number;
  /** AEAD: key followed by the 4-byte salt (that is what Wireshark wants too). */
  encrKey: Buffer;
  integ: number;
  integKey?: Buffer;
}

/** One `esp_sa` line: every field quoted, keys as 0x-hex ("0x" when empty). */
export function espSaLine(r: EspSaKeyRecord): string {
  const family = ipFamily(r.src);
  if (!family || ipFamily(r.dst) !== family) throw new Error(`esp_sa: src ${r.src} and dst ${r.dst} must be addresses of one family`);
  const encrName = ENCR_NAMES[r.encr];
  if (!encrName) throw new Error(`esp_sa: Wireshark has no name for encryption transform ${r.encr}`);
  const authName = AUTH_NAMES[r.integ];
  if (!authName) throw new Error(`esp_sa: Wireshark has no name for integrity transform ${r.integ}`);
  const fields = [
    family === 4 ? 'IPv4' : 'IPv6', r.src, r.dst, '0x' + (r.spi >>> 0).toString(16).padStart(8, '0'),
    encrName, '0x' + r.encrKey.toString('hex'), authName, '0x' + (r.integKey ?? Buffer.alloc(0)).toString('hex'),
  ];
  return fields.map((f) => `"${f}"`).join(',');
}

/** The line for an installed SA; `src`/`dst` are the outer addresses packets of this SA carry. */
export function espSaLineFor(sa: EspSa, src: string, dst: string): string {
  return espSaLine({
    src, dst, spi: sa.spi, encr: sa.encr.id, encrKey: sa.encrKey,
    integ: sa.integ?.id ?? IntegId.NONE, integKey: sa.integKey,
  });
}
