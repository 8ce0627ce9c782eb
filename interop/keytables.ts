// Reading Wireshark key tables back (the inverse of engine/ike/keyexport.ts and
// engine/esp/keyexport.ts): `ikev2_decryption_table` and `esp_sa` lines, as charon, its save-keys
// plugin, charonlog2wireshark.py or our daemon write them, into keys our own IKE and ESP code can
// decrypt with. Lets a capture be decoded by our decoder and compared with tshark's reading.

import { EncrId, IntegId } from '../engine/ike/constants.ts';
import { wiresharkIkeEncrName, wiresharkIkeIntegName } from '../engine/ike/keyexport.ts';
import type { SkSuite } from '../engine/ike/crypto/sk.ts';
import type { EspSaKeyRecord } from '../engine/esp/keyexport.ts';

export interface IkeKeyRecord {
  spiI: string;
  spiR: string;
  suite: SkSuite;
  skEi: Buffer;
  skEr: Buffer;
  skAi: Buffer;
  skAr: Buffer;
}

const IKE_ENCR: Array<{ encr: number; bits?: number }> = [
  ...[128, 192, 256].flatMap((bits) => [EncrId.AES_CBC, EncrId.AES_CTR, EncrId.AES_GCM_8, EncrId.AES_GCM_12, EncrId.AES_GCM_16].map((encr) => ({ encr, bits }))),
  { encr: EncrId.TRIPLE_DES }, { encr: EncrId.NULL },
];
const IKE_INTEG = [IntegId.NONE, IntegId.HMAC_MD5_96, IntegId.HMAC_SHA1_96, IntegId.HMAC_SHA2_256_128, IntegId.HMAC_SHA2_384_192, IntegId.HMAC_SHA2_512_256];

/** Splits a UAT line at commas outside double quotes; removes the quotes. */
export function uatFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of line.trim()) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export function parseIkev2DecryptionTableLine(line: string): IkeKeyRecord {
  const f = uatFields(line);
  if (f.length !== 8) throw new Error(`ikev2_decryption_table line has ${f.length} fields, expected 8: ${line.slice(0, 60)}`);
  const [spiI, spiR, ei, er, encrName, ai, ar, integName] = f as [string, string, string, string, string, string, string, string];
  const encr = IKE_ENCR.find((e) => wiresharkIkeEncrName(e.encr, e.bits) === encrName);
  if (!encr) throw new Error(`unknown IKE encryption name "${encrName}"`);
  const integ = IKE_INTEG.find((i) => wiresharkIkeIntegName(i) === integName);
  if (integ === undefined) throw new Error(`unknown IKE integrity name "${integName}"`);
  const h = (s: string) => Buffer.from(s, 'hex');
  return {
    spiI: spiI.toLowerCase(), spiR: spiR.toLowerCase(),
    suite: { encr: encr.encr, encrKeyBits: encr.bits, integ },
    skEi: h(ei), skEr: h(er), skAi: h(ai), skAr: h(ar),
  };
}

const ESP_ENCR: Record<string, number> = {
  'NULL': EncrId.NULL, 'AES-CBC [RFC3602]': EncrId.AES_CBC, 'AES-CTR [RFC3686]': EncrId.AES_CTR, 'TripleDES-CBC [RFC2451]': EncrId.TRIPLE_DES,
  'AES-GCM with 8 octet ICV [RFC4106]': EncrId.AES_GCM_8, 'AES-GCM with 12 octet ICV [RFC4106]': EncrId.AES_GCM_12,
  'AES-GCM with 16 octet ICV [RFC4106]': EncrId.AES_GCM_16,
};
const ESP_AUTH: Record<string, number> = {
  'NULL': IntegId.NONE, 'HMAC-MD5-96 [RFC2403]': IntegId.HMAC_MD5_96, 'HMAC-SHA-1-96 [RFC2404]': IntegId.HMAC_SHA1_96,
  'HMAC-SHA-256-128 [RFC4868]': IntegId.HMAC_SHA2_256_128, 'HMAC-SHA-384-192 [RFC4868]': IntegId.HMAC_SHA2_384_192,
  'HMAC-SHA-512-256 [RFC4868]': IntegId.HMAC_SHA2_512_256,
};

export function parseEspSaLine(line: string): EspSaKeyRecord {
  const f = uatFields(line);
  if (f.length !== 8) throw new Error(`esp_sa line has ${f.length} fields, expected 8: ${line.slice(0, 60)}`);
  const [, src, dst, spi, encrName, encrKey, authName, authKey] = f as [string, string, string, string, string, string, string, string];
  const encr = ESP_ENCR[encrName];
  if (encr === undefined) throw new Error(`unknown ESP encryption name "${encrName}"`);
  const integ = ESP_AUTH[authName];
  if (integ === undefined) throw new Error(`unknown ESP authentication name "${authName}"`);
  const hex = (s: string) => Buffer.from(s.replace(/^0x/i, ''), 'hex');
  return { src, dst, spi: parseInt(spi, 16) >>> 0, encr, encrKey: hex(encrKey), integ, integKey: integ === IntegId.NONE ? undefined : hex(authKey) };
}
