// EAP payload (RFC 7296 section 3.16): one whole EAP packet (RFC 3748 section 4), whose own
// Length field must equal the payload's content.

import { PayloadType } from '../constants.ts';
import type { EapPayload } from '../message.ts';
import type { ByteReader } from './bytes.ts';

export function decodeEapBody(r: ByteReader): EapPayload {
  const data = r.rest();
  if (data.length < 4) r.fail('BAD_EAP', `EAP packet of ${data.length} bytes is shorter than its 4-byte header`);
  const eapLength = data.readUInt16BE(2);
  if (eapLength !== data.length) r.fail('BAD_EAP', `EAP length field says ${eapLength}, payload carries ${data.length}`);
  return { type: PayloadType.EAP, data };
}

export function encodeEapBody(p: EapPayload): Buffer {
  return p.data;
}
