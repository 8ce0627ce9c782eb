// IKE header (RFC 7296 section 3.1): 28 bytes in front of every message.

import { Buffer } from 'node:buffer';
import type { IkeHeader } from '../message.ts';
import { ByteReader, checkFits } from './bytes.ts';
import { IkeEncodeError } from './errors.ts';

export const IKE_HEADER_LENGTH = 28;

const FLAG_I = 0x08; // sender is the original initiator
const FLAG_V = 0x10; // sender could speak a higher major version
const FLAG_R = 0x20; // message is a response

/** Writes the header exactly as given (length and nextPayload included); reserved flag bits zero. */
export function encodeHeader(h: IkeHeader): Buffer {
  if (h.spiI.length !== 8) throw new IkeEncodeError(`initiator SPI must be 8 bytes, got ${h.spiI.length}`);
  if (h.spiR.length !== 8) throw new IkeEncodeError(`responder SPI must be 8 bytes, got ${h.spiR.length}`);
  checkFits(h.nextPayload, 0xff, 'next payload');
  checkFits(h.majorVersion, 0xf, 'major version');
  checkFits(h.minorVersion, 0xf, 'minor version');
  checkFits(h.exchangeType, 0xff, 'exchange type');
  checkFits(h.messageId, 0xffffffff, 'message ID');
  checkFits(h.length, 0xffffffff, 'length');
  const b = Buffer.alloc(IKE_HEADER_LENGTH);
  h.spiI.copy(b, 0);
  h.spiR.copy(b, 8);
  b[16] = h.nextPayload;
  b[17] = (h.majorVersion << 4) | h.minorVersion;
  b[18] = h.exchangeType;
  b[19] = (h.initiator ? FLAG_I : 0) | (h.version ? FLAG_V : 0) | (h.response ? FLAG_R : 0);
  b.writeUInt32BE(h.messageId, 20);
  b.writeUInt32BE(h.length, 24);
  return b;
}

/**
 * Reads the 28 header bytes. Only checks that they are there: version and length checks belong
 * to decodeMessage, which needs this header to address its error notify. Reserved flag bits are
 * ignored (RFC 7296 3.1).
 */
export function decodeHeader(buf: Buffer): IkeHeader {
  const r = new ByteReader(buf);
  r.need(IKE_HEADER_LENGTH, 'IKE header');
  const spiI = r.bytes(8, 'initiator SPI');
  const spiR = r.bytes(8, 'responder SPI');
  const nextPayload = r.u8('next payload');
  const version = r.u8('version');
  const exchangeType = r.u8('exchange type');
  const flags = r.u8('flags');
  const messageId = r.u32('message ID');
  const length = r.u32('length');
  return {
    spiI, spiR, nextPayload,
    majorVersion: version >> 4, minorVersion: version & 0xf,
    exchangeType,
    initiator: (flags & FLAG_I) !== 0,
    response: (flags & FLAG_R) !== 0,
    version: (flags & FLAG_V) !== 0,
    messageId, length,
  };
}
