// Reading capture files: classic pcap (either byte order, micro- or nanosecond timestamps) and
// pcapng (sections of either byte order, several interfaces with their own link types and
// timestamp resolutions; EPB, SPB and the obsolete PB). Frames are numbered from 1 in file
// order, as tshark's frame.number.

import { readFileSync } from 'node:fs';
import {
  PCAP_MAGIC_NS, PCAP_MAGIC_US, PCAPNG_BYTE_ORDER_MAGIC, PCAPNG_EPB, PCAPNG_IDB, PCAPNG_PB, PCAPNG_SHB, PCAPNG_SPB,
} from './linktype.ts';

export interface CaptureRecord {
  /** 1-based position among the packets of the file (tshark frame.number). */
  frame: number;
  /** Capture time, nanoseconds since the epoch (0n when the block has none, as SPB). */
  tsNs: bigint;
  /** Capture time, milliseconds since the epoch. */
  ts: number;
  linkType: number;
  interfaceId: number;
  /** The captured bytes (possibly fewer than origLength). */
  data: Buffer;
  origLength: number;
}

export interface Capture {
  format: 'pcap' | 'pcapng';
  records: CaptureRecord[];
  /** The file ended inside a record (a capture cut short); the records before it are kept. */
  truncated: boolean;
}

export class PcapFormatError extends Error {
  override readonly name = 'PcapFormatError';
}

export function readCaptureFile(path: string): Capture {
  try {
    return readCapture(readFileSync(path));
  } catch (e) {
    if (e instanceof PcapFormatError) throw new PcapFormatError(`${path}: ${e.message}`);
    throw e;
  }
}

export function readCapture(buf: Buffer): Capture {
  if (buf.length < 4) throw new PcapFormatError(`${buf.length} bytes is too short for a capture file`);
  if (buf.readUInt32LE(0) === PCAPNG_SHB) return readPcapng(buf);
  return readPcap(buf);
}

function toRecord(frame: number, tsNs: bigint, linkType: number, interfaceId: number, data: Buffer, origLength: number): CaptureRecord {
  return { frame, tsNs, ts: Number(tsNs / 1000n) / 1000, linkType, interfaceId, data, origLength };
}

function readPcap(buf: Buffer): Capture {
  let le: boolean;
  let nano: boolean;
  const m = buf.readUInt32LE(0);
  if (m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS) { le = true; nano = m === PCAP_MAGIC_NS; }
  else {
    const mb = buf.readUInt32BE(0);
    if (mb !== PCAP_MAGIC_US && mb !== PCAP_MAGIC_NS) throw new PcapFormatError(`unknown magic 0x${m.toString(16)}: not a pcap or pcapng file`);
    le = false;
    nano = mb === PCAP_MAGIC_NS;
  }
  if (buf.length < 24) throw new PcapFormatError('pcap file header is truncated');
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20) & 0x0fffffff; // upper bits: FCS length flags
  const records: CaptureRecord[] = [];
  let pos = 24;
  let truncated = false;
  while (pos < buf.length) {
    if (pos + 16 > buf.length) { truncated = true; break; }
    const sec = BigInt(u32(pos));
    const frac = BigInt(u32(pos + 4));
    const incl = u32(pos + 8);
    const orig = u32(pos + 12);
    if (pos + 16 + incl > buf.length) { truncated = true; break; }
    const tsNs = sec * 1000000000n + (nano ? frac : frac * 1000n);
    records.push(toRecord(records.length + 1, tsNs, linkType, 0, Buffer.from(buf.subarray(pos + 16, pos + 16 + incl)), orig));
    pos += 16 + incl;
  }
  return { format: 'pcap', records, truncated };
}

interface Iface { linkType: number; unitsPerSecond: bigint; offsetSec: bigint }

function readPcapng(buf: Buffer): Capture {
  const records: CaptureRecord[] = [];
  let ifaces: Iface[] = [];
  let le = true;
  let pos = 0;
  let truncated = false;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  while (pos < buf.length) {
    if (pos + 12 > buf.length) { truncated = true; break; }
    const type = buf.readUInt32LE(pos); // SHB's type reads the same in both orders
    if (type === PCAPNG_SHB) {
      const bom = buf.readUInt32LE(pos + 8);
      if (bom === PCAPNG_BYTE_ORDER_MAGIC) le = true;
      else if (buf.readUInt32BE(pos + 8) === PCAPNG_BYTE_ORDER_MAGIC) le = false;
      else throw new PcapFormatError(`pcapng section at ${pos}: bad byte-order magic`);
      ifaces = []; // interface ids are per section
    }
    const total = u32(pos + 4);
    if (total < 12 || total % 4 !== 0) throw new PcapFormatError(`pcapng block at ${pos}: bad length ${total}`);
    if (pos + total > buf.length) { truncated = true; break; }
    const body = pos + 8;
    const bodyEnd = pos + total - 4;
    if (le ? buf.readUInt32LE(bodyEnd) !== total : buf.readUInt32BE(bodyEnd) !== total) {
      throw new PcapFormatError(`pcapng block at ${pos}: trailing length disagrees`);
    }
    switch (le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos)) {
      case PCAPNG_IDB: {
        if (body + 8 > bodyEnd) throw new PcapFormatError(`pcapng IDB at ${pos} is too short`);
        const iface: Iface = { linkType: u16(body), unitsPerSecond: 1000000n, offsetSec: 0n };
        for (let o = body + 8; o + 4 <= bodyEnd;) {
          const code = u16(o);
          const len = u16(o + 2);
          if (code === 0 || o + 4 + len > bodyEnd) break;
          if (code === 9 && len >= 1) { // if_tsresol
            const v = buf[o + 4]!;
            iface.unitsPerSecond = v & 0x80 ? 1n << BigInt(v & 0x7f) : 10n ** BigInt(v);
          } else if (code === 14 && len >= 8) { // if_tsoffset, seconds
            iface.offsetSec = le ? buf.readBigInt64LE(o + 4) : buf.readBigInt64BE(o + 4);
          }
          o += 4 + len + ((4 - (len % 4)) % 4);
        }
        ifaces.push(iface);
        break;
      }
      case PCAPNG_EPB: case PCAPNG_PB: {
        const isEpb = (le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos)) === PCAPNG_EPB;
        if (body + 20 > bodyEnd) throw new PcapFormatError(`pcapng packet block at ${pos} is too short`);
        const ifId = isEpb ? u32(body) : u16(body);
        const iface = ifaces[ifId];
        if (!iface) throw new PcapFormatError(`pcapng packet block at ${pos} names interface ${ifId}, which is not described`);
        const ticks = (BigInt(u32(body + 4)) << 32n) | BigInt(u32(body + 8));
        const capLen = u32(body + 12);
        const origLen = u32(body + 16);
        if (body + 20 + capLen > bodyEnd) throw new PcapFormatError(`pcapng packet block at ${pos}: captured length ${capLen} runs past the block`);
        const tsNs = (ticks * 1000000000n) / iface.unitsPerSecond + iface.offsetSec * 1000000000n;
        records.push(toRecord(records.length + 1, tsNs, iface.linkType, ifId, Buffer.from(buf.subarray(body + 20, body + 20 + capLen)), origLen));
        break;
      }
      case PCAPNG_SPB: {
        const iface = ifaces[0];
        if (!iface) throw new PcapFormatError(`pcapng simple packet block at ${pos} without an interface`);
        const origLen = u32(body);
        const capLen = Math.min(origLen, bodyEnd - body - 4);
        records.push(toRecord(records.length + 1, 0n, iface.linkType, 0, Buffer.from(buf.subarray(body + 4, body + 4 + capLen)), origLen));
        break;
      }
      default:
        break; // SHB handled above; name resolution, statistics, custom blocks: not needed
    }
    pos += total;
  }
  return { format: 'pcapng', records, truncated };
}
