// From capture records to UDP datagrams: strips the link layer (Ethernet with VLAN tags, Linux
// cooked SLL/SLL2, bare IP, BSD loopback), reassembles IPv4/IPv6 fragments, and returns each UDP
// datagram once, at the frame that completed it (where tshark shows the reassembled datagram).

import { IPPROTO_UDP } from '../ike/constants.ts';
import { udpChecksumValid } from './checksum.ts';
import {
  DLT_RAW_ALIASES, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_QINQ, ETHERTYPE_VLAN, LINKTYPE_ETHERNET, LINKTYPE_IPV4,
  LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW,
} from './linktype.ts';
import { parseIpPacket, type IpPacket } from './packet.ts';
import type { CaptureRecord } from './reader.ts';

export interface UdpDatagram {
  /** Frame that completed the datagram (its last fragment, or its only frame). */
  frame: number;
  /** Every frame that carried part of it, in capture order. */
  frames: number[];
  ts: number;
  tsNs: bigint;
  family: 4 | 6;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  payload: Buffer;
  /** UDP checksum verified (true when absent over IPv4); undefined when the frame was cut short. */
  checksumOk?: boolean;
}

/** The IP packet inside a frame of the given link type, or undefined. */
export function ipFromFrame(linkType: number, f: Buffer): Buffer | undefined {
  let etherType: number | undefined;
  let pos = 0;
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      if (f.length < 14) return undefined;
      etherType = f.readUInt16BE(12);
      pos = 14;
      while ((etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ) && pos + 4 <= f.length) {
        etherType = f.readUInt16BE(pos + 2);
        pos += 4;
      }
      break;
    case LINKTYPE_LINUX_SLL:
      if (f.length < 16) return undefined;
      etherType = f.readUInt16BE(14);
      pos = 16;
      break;
    case LINKTYPE_LINUX_SLL2:
      if (f.length < 20) return undefined;
      etherType = f.readUInt16BE(0);
      pos = 20;
      break;
    case LINKTYPE_NULL: case LINKTYPE_LOOP: {
      if (f.length < 4) return undefined;
      const af = linkType === LINKTYPE_LOOP ? f.readUInt32BE(0) : Math.min(f.readUInt32LE(0), f.readUInt32BE(0));
      etherType = af === 2 ? ETHERTYPE_IPV4 : [10, 24, 28, 30].includes(af) ? ETHERTYPE_IPV6 : undefined;
      pos = 4;
      break;
    }
    case LINKTYPE_RAW: case LINKTYPE_IPV4: case LINKTYPE_IPV6:
      return f;
    default:
      return DLT_RAW_ALIASES.includes(linkType) ? f : undefined;
  }
  return etherType === ETHERTYPE_IPV4 || etherType === ETHERTYPE_IPV6 ? f.subarray(pos) : undefined;
}

interface Pending {
  frames: number[];
  pieces: Array<{ offset: number; data: Buffer }>;
  totalLength?: number;
  protocol: number;
  first: IpPacket;
}

/** Most fragment sets kept waiting at once; the oldest is dropped beyond it. */
const MAX_PENDING = 1024;

export interface UdpDatagramOptions {
  /** Reassemble IP fragments (default true); without it fragments are skipped. */
  reassemble?: boolean;
}

export function udpDatagrams(records: CaptureRecord[], opts: UdpDatagramOptions = {}): UdpDatagram[] {
  const out: UdpDatagram[] = [];
  const pending = new Map<string, Pending>();
  for (const rec of records) {
    const ipBytes = ipFromFrame(rec.linkType, rec.data);
    if (!ipBytes) continue;
    const ip = parseIpPacket(ipBytes);
    if (!ip) continue;
    const cutShort = rec.data.length < rec.origLength;
    if (!ip.fragment) {
      if (ip.protocol !== IPPROTO_UDP) continue;
      const d = udpFrom(ip, ip.payload, rec, [rec.frame], cutShort);
      if (d) out.push(d);
      continue;
    }
    if (opts.reassemble === false) continue;
    const key = `${ip.family}|${ip.src}|${ip.dst}|${ip.fragment.id}|${ip.family === 4 ? ip.protocol : ''}`;
    let p = pending.get(key);
    if (!p) {
      if (pending.size >= MAX_PENDING) pending.delete(pending.keys().next().value!);
      p = { frames: [], pieces: [], protocol: ip.protocol, first: ip };
      pending.set(key, p);
    }
    p.frames.push(rec.frame);
    p.pieces.push({ offset: ip.fragment.offset, data: Buffer.from(ip.payload) });
    if (!ip.fragment.more) p.totalLength = ip.fragment.offset + ip.payload.length;
    const whole = assemble(p);
    if (!whole) continue;
    pending.delete(key);
    if (p.protocol !== IPPROTO_UDP) continue;
    const d = udpFrom(p.first, whole, rec, p.frames, cutShort);
    if (d) out.push(d);
  }
  return out;
}

/** The reassembled upper-layer bytes once every byte up to the last fragment's end is present. */
function assemble(p: Pending): Buffer | undefined {
  if (p.totalLength === undefined) return undefined;
  const sorted = [...p.pieces].sort((a, b) => a.offset - b.offset);
  let covered = 0;
  for (const s of sorted) {
    if (s.offset > covered) return undefined;
    covered = Math.max(covered, s.offset + s.data.length);
  }
  if (covered < p.totalLength) return undefined;
  const out = Buffer.alloc(p.totalLength);
  for (const s of sorted) s.data.copy(out, s.offset, 0, Math.min(s.data.length, p.totalLength - s.offset));
  return out;
}

function udpFrom(ip: IpPacket, udp: Buffer, rec: CaptureRecord, frames: number[], cutShort: boolean): UdpDatagram | undefined {
  if (udp.length < 8) return undefined;
  const len = udp.readUInt16BE(4);
  // A UDP length of 0 is legal only in IPv6 jumbograms; otherwise it must fit what arrived.
  if (len < 8 || len > udp.length) return undefined;
  const seg = udp.subarray(0, len);
  const d: UdpDatagram = {
    frame: rec.frame, frames, ts: rec.ts, tsNs: rec.tsNs, family: ip.family, src: ip.src, dst: ip.dst,
    sport: seg.readUInt16BE(0), dport: seg.readUInt16BE(2), payload: Buffer.from(seg.subarray(8)),
  };
  if (!cutShort) d.checksumOk = udpChecksumValid(ip.srcBytes, ip.dstBytes, seg);
  return d;
}
