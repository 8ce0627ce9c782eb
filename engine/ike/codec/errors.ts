// Typed errors of the IKEv2 codec. A received message that does not parse raises IkeParseError,
// never anything else: the caller turns it into a counter, a log line and, where the RFC asks for
// one, an error notify (the `notify` field says which). IkeEncodeError is a programming error on
// our side (a field that does not fit its wire size).

import { Buffer } from 'node:buffer';
import { NotifyType } from '../constants.ts';
import type { IkeHeader } from '../message.ts';

export type ParseErrorCode =
  | 'TRUNCATED' // fewer bytes than a length field or fixed field needs
  | 'BAD_LENGTH' // a length field below its minimum or inconsistent with its content
  | 'BAD_VERSION' // IKE major version other than 2
  | 'UNSUPPORTED_CRITICAL_PAYLOAD' // unknown payload type with the critical bit set (RFC 7296 2.5)
  | 'BAD_PROPOSAL' // proposal substructure: "last" marker, transform count, no proposals
  | 'BAD_TRANSFORM' // transform substructure: "last" marker, length
  | 'BAD_ATTRIBUTE' // transform or configuration attribute: format, length, duplicate
  | 'BAD_TS' // traffic selector: type, length, count
  | 'BAD_ID' // identification data inconsistent with its ID type
  | 'BAD_KE' // KE group 0 or data length wrong for the group
  | 'BAD_NONCE' // nonce outside 16..256 bytes (RFC 7296 3.9)
  | 'BAD_NOTIFY' // notify protocol or data length wrong for its type
  | 'BAD_DELETE' // delete protocol unknown
  | 'BAD_SPI_SIZE' // SPI size inconsistent with the protocol (proposal, notify, delete)
  | 'BAD_CP' // configuration payload attribute value of the wrong size
  | 'BAD_EAP' // EAP length field disagrees with the payload
  | 'BAD_FRAGMENT' // SKF fragment number/total out of range (RFC 7383 2.5)
  | 'TRAILING_DATA' // bytes left after the last payload or after the message length
  | 'SK_NOT_LAST' // SK/SKF followed by more bytes (RFC 7296 3.14: it is always the last payload)
  | 'UNEXPECTED_PAYLOAD' // SK/SKF inside encrypted content
  | 'DUPLICATE'; // a payload that may appear once per message appears twice

export class IkeParseError extends Error {
  override readonly name = 'IkeParseError';
  /** The error notify a responder should answer with, when it answers at all. */
  readonly notify: NotifyType;
  /** Header of the message, when it could be read (so a responder can address the error notify). */
  header?: IkeHeader;

  constructor(
    readonly code: ParseErrorCode,
    message: string,
    /** Byte offset of the problem in the buffer given to the decoder (whole message for decodeMessage). */
    readonly offset: number,
    /** Payload type being decoded when the problem was found. */
    readonly payloadType?: number,
    notify?: NotifyType,
  ) {
    super(`${code}: ${message} (offset ${offset}${payloadType !== undefined ? `, payload ${payloadType}` : ''})`);
    this.notify = notify ?? defaultNotify(code);
  }

  /**
   * Notification Data for the error notify: the one-byte payload type for
   * UNSUPPORTED_CRITICAL_PAYLOAD (RFC 7296 3.10.1), empty otherwise.
   */
  get notifyData(): Buffer {
    if (this.notify === NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD && this.payloadType !== undefined) {
      return Buffer.from([this.payloadType & 0xff]);
    }
    return Buffer.alloc(0);
  }
}

function defaultNotify(code: ParseErrorCode): NotifyType {
  switch (code) {
    case 'BAD_VERSION': return NotifyType.INVALID_MAJOR_VERSION;
    case 'UNSUPPORTED_CRITICAL_PAYLOAD': return NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD;
    default: return NotifyType.INVALID_SYNTAX;
  }
}

export function isIkeParseError(e: unknown): e is IkeParseError {
  return e instanceof IkeParseError;
}

/** The model handed to an encoder cannot be written (a value too large for its field...). */
export class IkeEncodeError extends Error {
  override readonly name = 'IkeEncodeError';
}
