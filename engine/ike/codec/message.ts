// Whole IKE messages: header plus plaintext payload chain. SK/SKF stay opaque (engine/ike/crypto
// opens them and calls decodePayloads on the plaintext with { inner: true }).

import { Buffer } from 'node:buffer';
import { PayloadType } from '../constants.ts';
import { isUnknown, type IkeMessage } from '../message.ts';
import { decodePayloads, encodePayloads } from './chain.ts';
import { IkeParseError } from './errors.ts';
import { decodeHeader, encodeHeader, IKE_HEADER_LENGTH } from './header.ts';

export const IKE_MAJOR_VERSION = 2;

/** Encodes header and payloads; the header's nextPayload and length are computed, not taken from msg. */
export function encodeMessage(msg: IkeMessage): Buffer {
  const { first, bytes } = encodePayloads(msg.payloads);
  const header = encodeHeader({ ...msg.header, nextPayload: first, length: IKE_HEADER_LENGTH + bytes.length });
  return Buffer.concat([header, bytes]);
}

/**
 * Decodes one datagram's IKE message (without the RFC 3948 non-ESP marker). Throws IkeParseError
 * only; when the header could be read, the error carries it (error.header) so a responder can
 * address an error notify.
 */
export function decodeMessage(buf: Buffer): IkeMessage {
  const header = decodeHeader(buf);
  try {
    // RFC 7296 3.1: another major version is answered with INVALID_MAJOR_VERSION (the default
    // notify of BAD_VERSION); the minor version is ignored.
    if (header.majorVersion !== IKE_MAJOR_VERSION) {
      throw new IkeParseError('BAD_VERSION', `IKE major version ${header.majorVersion}`, 17);
    }
    if (header.length < IKE_HEADER_LENGTH) {
      throw new IkeParseError('BAD_LENGTH', `message length field ${header.length} is below the header size`, 24);
    }
    if (header.length > buf.length) {
      throw new IkeParseError('TRUNCATED', `message length field ${header.length}, datagram has ${buf.length} bytes`, 24);
    }
    if (header.length < buf.length) {
      throw new IkeParseError('TRAILING_DATA', `${buf.length - header.length} bytes after the message length ${header.length}`, header.length);
    }
    const payloads = decodePayloads(header.nextPayload, buf.subarray(IKE_HEADER_LENGTH), { baseOffset: IKE_HEADER_LENGTH });
    return { header, payloads };
  } catch (e) {
    if (e instanceof IkeParseError) e.header = header;
    throw e;
  }
}

/**
 * Offset of the encrypted data of the message's SK/SKF payload (everything before it is the
 * AEAD associated data / covered by the ICV together with it), or undefined without SK/SKF.
 */
export function encryptedDataOffset(msg: IkeMessage): number | undefined {
  const last = msg.payloads[msg.payloads.length - 1];
  if (!last || isUnknown(last) || (last.type !== PayloadType.SK && last.type !== PayloadType.SKF)) return undefined;
  return msg.header.length - last.data.length;
}
