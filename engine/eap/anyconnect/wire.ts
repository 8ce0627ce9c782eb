// AnyConnect-EAP framing (Cisco "aggregate authentication" over IKEv2, seed F-AUTH-11): an EAP
// expanded type (RFC 3748 5.7, type 254) with Vendor-Id 9 (Cisco's PEN) whose data is a list of
// TLVs `type(2) length(2) value`: 0 = the XML `config-auth` document, 1 = SIGN (an AUTH-payload
// style signature), 3 = PKCS7 (the device certificate chain).
//
// Source: strongSwan PR #577 (reverse-engineered, unmerged; ikev2-notes.md 3b). The Vendor-Type
// 0x44425250 comes from that PR and is NOT confirmed by a capture, so it is a setting
// (`vendorType`) on both the client and the hub; docs/personas.md says so.

import { EapCode, EapType } from '../constants.ts';
import { EapParseError } from '../errors.ts';
import type { EapPacket } from '../packet.ts';

/** Cisco's IANA Private Enterprise Number, the Vendor-Id of the expanded type. */
export const CISCO_PEN = 9;
/** Vendor-Type of AnyConnect-EAP per strongSwan PR #577 (unconfirmed by a capture). */
export const DEFAULT_ANYCONNECT_VENDOR_TYPE = 0x44425250;

export enum AnyConnectTlv {
  XML = 0,
  SIGN = 1,
  PKCS7 = 3,
}

export interface AnyConnectTlvItem {
  type: number;
  value: Buffer;
}

export function isAnyConnectPacket(p: EapPacket, vendorType = DEFAULT_ANYCONNECT_VENDOR_TYPE): boolean {
  return p.type === EapType.Expanded && p.vendorId === CISCO_PEN && p.vendorType === vendorType;
}

export function encodeTlvs(tlvs: readonly AnyConnectTlvItem[]): Buffer {
  const parts: Buffer[] = [];
  for (const t of tlvs) {
    if (t.value.length > 0xffff) throw new RangeError(`AnyConnect TLV ${t.type} of ${t.value.length} bytes does not fit its length field`);
    const h = Buffer.alloc(4);
    h.writeUInt16BE(t.type, 0);
    h.writeUInt16BE(t.value.length, 2);
    parts.push(h, t.value);
  }
  return Buffer.concat(parts);
}

/** The TLVs of an AnyConnect-EAP packet's data; a TLV running past the end is an error. */
export function decodeTlvs(data: Buffer): AnyConnectTlvItem[] {
  const out: AnyConnectTlvItem[] = [];
  let off = 0;
  while (off < data.length) {
    if (data.length - off < 4) throw new EapParseError('TRUNCATED', `AnyConnect TLV header truncated at offset ${off}`);
    const type = data.readUInt16BE(off);
    const len = data.readUInt16BE(off + 2);
    if (off + 4 + len > data.length) throw new EapParseError('TRUNCATED', `AnyConnect TLV ${type} says ${len} bytes, ${data.length - off - 4} present`);
    out.push({ type, value: Buffer.from(data.subarray(off + 4, off + 4 + len)) });
    off += 4 + len;
  }
  return out;
}

export function anyConnectPacket(code: EapCode.Request | EapCode.Response, identifier: number, tlvs: readonly AnyConnectTlvItem[], vendorType = DEFAULT_ANYCONNECT_VENDOR_TYPE): EapPacket {
  return { code, identifier, type: EapType.Expanded, vendorId: CISCO_PEN, vendorType, data: encodeTlvs(tlvs) };
}

export function tlvOf(tlvs: readonly AnyConnectTlvItem[], type: AnyConnectTlv): Buffer | undefined {
  return tlvs.find((t) => t.type === type)?.value;
}
