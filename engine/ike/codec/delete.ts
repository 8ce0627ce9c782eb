// Delete payload (RFC 7296 section 3.11): IKE SA (protocol 1, no SPIs: the SA is the one the
// message travels in) or AH/ESP SAs (4-byte SPIs, the deleting side's inbound ones).

import { Buffer } from 'node:buffer';
import { PayloadType, ProtocolId } from '../constants.ts';
import type { DeletePayload } from '../message.ts';
import { type ByteReader, u16, u8 } from './bytes.ts';
import { IkeEncodeError } from './errors.ts';

export function decodeDeleteBody(r: ByteReader): DeletePayload {
  const protocolId = r.u8('protocol ID');
  const spiSize = r.u8('SPI size');
  const numSpis = r.u16('number of SPIs');
  if (protocolId !== ProtocolId.IKE && protocolId !== ProtocolId.ESP && protocolId !== ProtocolId.AH) {
    r.fail('BAD_DELETE', `delete for unknown protocol ${protocolId}`);
  }
  const want = protocolId === ProtocolId.IKE ? 0 : 4;
  if (spiSize !== want) r.fail('BAD_SPI_SIZE', `delete for protocol ${protocolId} with SPI size ${spiSize}, must be ${want}`);
  if (spiSize === 0) {
    // Num of SPIs is meaningless without SPIs; whatever it says, there are none.
    if (r.remaining > 0) r.fail('BAD_LENGTH', `${r.remaining} bytes after an IKE SA delete`);
    return { type: PayloadType.DELETE, protocolId, spiSize, spis: [] };
  }
  if (numSpis * spiSize !== r.remaining) {
    r.fail('BAD_LENGTH', `delete says ${numSpis} SPIs of ${spiSize} bytes, payload carries ${r.remaining} bytes`);
  }
  const spis: Buffer[] = [];
  for (let i = 0; i < numSpis; i++) spis.push(r.bytes(spiSize, 'SPI'));
  return { type: PayloadType.DELETE, protocolId, spiSize, spis };
}

export function encodeDeleteBody(p: DeletePayload): Buffer {
  for (const s of p.spis) {
    if (s.length !== p.spiSize) throw new IkeEncodeError(`delete SPI of ${s.length} bytes with SPI size ${p.spiSize}`);
  }
  return Buffer.concat([
    u8(p.protocolId, 'protocol ID'), u8(p.spiSize, 'SPI size'), u16(p.spis.length, 'number of SPIs'), ...p.spis,
  ]);
}
