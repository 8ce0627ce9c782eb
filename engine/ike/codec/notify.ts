// Notify payload (RFC 7296 section 3.10). Protocol and SPI size must agree; the data length is
// checked for the notify types whose data has a fixed size, as strongSwan does, so that a handler
// reading e.g. the INVALID_KE_PAYLOAD group never reads past the data.

import { Buffer } from 'node:buffer';
import { NotifyType, PayloadType, ProtocolId } from '../constants.ts';
import type { NotifyPayload } from '../message.ts';
import { type ByteReader, u16, u8 } from './bytes.ts';

/** Allowed data length [min, max] per notify type; `even` for lists of 16-bit values. */
const DATA_LENGTH: Partial<Record<number, { min: number; max: number; even?: boolean }>> = {
  [NotifyType.INVALID_KE_PAYLOAD]: { min: 2, max: 2 }, // accepted DH group (3.10.1)
  [NotifyType.NAT_DETECTION_SOURCE_IP]: { min: 20, max: 20 }, // SHA-1 (2.23)
  [NotifyType.NAT_DETECTION_DESTINATION_IP]: { min: 20, max: 20 },
  [NotifyType.COOKIE]: { min: 1, max: 64 }, // 2.6
  [NotifyType.SET_WINDOW_SIZE]: { min: 4, max: 4 }, // 2.3
  [NotifyType.ADDITIONAL_IP4_ADDRESS]: { min: 4, max: 4 }, // RFC 4555
  [NotifyType.ADDITIONAL_IP6_ADDRESS]: { min: 16, max: 16 },
  [NotifyType.AUTH_LIFETIME]: { min: 4, max: 4 }, // RFC 4478
  [NotifyType.SIGNATURE_HASH_ALGORITHMS]: { min: 0, max: 0xffff, even: true }, // RFC 7427 4
};

export function decodeNotifyBody(r: ByteReader): NotifyPayload {
  const protocolId = r.u8('protocol ID');
  const spiSize = r.u8('SPI size');
  const notifyType = r.u16('notify type');
  if (protocolId > ProtocolId.ESP) r.fail('BAD_NOTIFY', `notify ${notifyType} with unknown protocol ${protocolId}`);
  // RFC 7296 3.10: no SPI for protocol 0; IKE notifies carry none (8 tolerated, as RFC 4306
  // peers sent it); AH/ESP ones carry the 4-byte SPI or none.
  const okSpi = protocolId === 0 ? spiSize === 0
    : protocolId === ProtocolId.IKE ? spiSize === 0 || spiSize === 8
    : spiSize === 0 || spiSize === 4;
  if (!okSpi) r.fail('BAD_SPI_SIZE', `notify ${notifyType}: SPI size ${spiSize} is wrong for protocol ${protocolId}`);
  if (spiSize > r.remaining) r.fail('BAD_SPI_SIZE', `notify ${notifyType}: SPI size ${spiSize} runs past the payload`);
  const spi = r.bytes(spiSize, 'SPI');
  const data = r.rest();
  const rule = DATA_LENGTH[notifyType];
  if (rule && (data.length < rule.min || data.length > rule.max || (rule.even && data.length % 2))) {
    r.fail('BAD_NOTIFY', `notify ${notifyType}: data of ${data.length} bytes, expected ${rule.min === rule.max ? rule.min : `${rule.min}..${rule.max}`}${rule.even ? ' (even)' : ''}`);
  }
  return { type: PayloadType.NOTIFY, protocolId, spi, notifyType, data };
}

export function encodeNotifyBody(p: NotifyPayload): Buffer {
  return Buffer.concat([
    u8(p.protocolId, 'protocol ID'), u8(p.spi.length, 'SPI size'), u16(p.notifyType, 'notify type'), p.spi, p.data,
  ]);
}
