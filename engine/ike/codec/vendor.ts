// Vendor ID payload (RFC 7296 section 3.12): opaque bytes.

import { PayloadType } from '../constants.ts';
import type { VendorIdPayload } from '../message.ts';
import type { ByteReader } from './bytes.ts';

export function decodeVendorBody(r: ByteReader): VendorIdPayload {
  return { type: PayloadType.VENDOR_ID, data: r.rest() };
}

export function encodeVendorBody(p: VendorIdPayload): Buffer {
  return p.data;
}
