// Bounds-checked reading and checked writing of wire fields. Every read of a received message goes
// through ByteReader, so a short or lying buffer becomes IkeParseError(TRUNCATED) and never a
// RangeError from Buffer; every write goes through the put* helpers, so an out-of-range model value
// becomes IkeEncodeError instead of a silently wrapped field.

import { Buffer } from 'node:buffer';
import type { NotifyType } from '../constants.ts';
import { IkeEncodeError, IkeParseError, type ParseErrorCode } from './errors.ts';

export class ByteReader {
  private pos = 0;

  /**
   * @param buf the bytes this reader may read, and no more
   * @param base offset of buf[0] in the buffer the caller handed to the decoder (for error offsets)
   * @param payloadType payload being decoded, reported in errors
   */
  constructor(readonly buf: Buffer, readonly base = 0, readonly payloadType?: number) {}

  get offset(): number {
    return this.base + this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  fail(code: ParseErrorCode, message: string, notify?: NotifyType, at = this.offset): never {
    throw new IkeParseError(code, message, at, this.payloadType, notify);
  }

  need(n: number, what: string): void {
    if (n > this.remaining) this.fail('TRUNCATED', `${what}: need ${n} bytes, ${this.remaining} left`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }

  /** A copy, so decoded payloads never alias the receive buffer. */
  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const b = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return b;
  }

  rest(): Buffer {
    return this.bytes(this.remaining, 'rest');
  }

  /** A reader over the next n bytes (a substructure); this reader moves past them. */
  sub(n: number, what: string, payloadType = this.payloadType): ByteReader {
    this.need(n, what);
    const r = new ByteReader(this.buf.subarray(this.pos, this.pos + n), this.offset, payloadType);
    this.pos += n;
    return r;
  }
}

function check(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new IkeEncodeError(`${what} = ${v} does not fit (0..${max})`);
}

export function u8(v: number, what: string): Buffer {
  check(v, 0xff, what);
  return Buffer.from([v]);
}

export function u16(v: number, what: string): Buffer {
  check(v, 0xffff, what);
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
}

export function u32(v: number, what: string): Buffer {
  check(v, 0xffffffff, what);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
}

export function checkFits(v: number, max: number, what: string): void {
  check(v, max, what);
}
