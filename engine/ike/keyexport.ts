// Lines of Wireshark's `ikev2_decryption_table` UAT file, so any capture of a lab link opens
// decrypted (format and accepted names: shared/interop/README.md section 8, tshark 4.0).

import { EncrId, IntegId } from './constants.ts';
import type { IkeSaKeysExport } from './actions.ts';

export function wiresharkIkeEncrName(encr: number, keyBits?: number): string {
  switch (encr) {
    case EncrId.AES_CBC: return `AES-CBC-${keyBits ?? 128} [RFC3602]`;
    case EncrId.TRIPLE_DES: return '3DES [RFC2451]';
    case EncrId.NULL: return 'NULL [RFC2410]';
    case EncrId.AES_GCM_8: return `AES-GCM-${keyBits ?? 128} with 8 octet ICV [RFC5282]`;
    case EncrId.AES_GCM_12: return `AES-GCM-${keyBits ?? 128} with 12 octet ICV [RFC5282]`;
    case EncrId.AES_GCM_16: return `AES-GCM-${keyBits ?? 128} with 16 octet ICV [RFC5282]`;
    default: return `UNKNOWN-${encr}`;
  }
}

export function wiresharkIkeIntegName(integ: number): string {
  switch (integ) {
    case IntegId.HMAC_SHA2_256_128: return 'HMAC_SHA2_256_128 [RFC4868]';
    case IntegId.HMAC_SHA2_384_192: return 'HMAC_SHA2_384_192 [RFC4868]';
    case IntegId.HMAC_SHA2_512_256: return 'HMAC_SHA2_512_256 [RFC4868]';
    case IntegId.HMAC_SHA1_96: return 'HMAC_SHA1_96 [RFC2404]';
    case IntegId.HMAC_MD5_96: return 'HMAC_MD5_96 [RFC2403]';
    default: return 'NONE [RFC4306]';
  }
}

/** One `ikev2_decryption_table` record: hex unquoted, only the two algorithm names quoted. */
export function ikev2DecryptionTableLine(k: IkeSaKeysExport): string {
  const aead = k.suite.integ === IntegId.NONE;
  return [
    k.spiI.toString('hex'), k.spiR.toString('hex'), k.skEi.toString('hex'), k.skEr.toString('hex'),
    `"${wiresharkIkeEncrName(k.suite.encr, k.suite.encrKeyBits)}"`,
    aead ? '' : k.skAi.toString('hex'), aead ? '' : k.skAr.toString('hex'),
    `"${wiresharkIkeIntegName(k.suite.integ)}"`,
  ].join(',');
}
