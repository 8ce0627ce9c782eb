// Building IPv4/IPv6 UDP packets (with correct checksums, optionally IP-fragmented) for captures
// we synthesize, and parsing them back out of captured frames.

import { IPPROTO_UDP } from '../ike/constants.ts';
import { bytesToIp, ipFamily, ipToBytes } from '../util/ip.ts';
import { internetChecksum, udpChecksum } from './checksum.ts';

export const IPPROTO_FRAGMENT = 44; // IPv6 Fragment extension header
const IPV6_EXT_HEADERS = new Set([0, 43, 60]); // hop-by-hop, routing, destination options

export interface UdpPacketSpec {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  payload: Buffer;
  /** IPv4 TTL / IPv6 hop limit (default 64). */
  ttl?: number;
  /** IPv4 Identification / IPv6 fragment identification (default 0, or 1 when fragmenting v6). */
  ipId?: number;
  /** Fragment the IP packet so that no fragment exceeds this many bytes (an MTU). */
  fragmentMtu?: number;
}

export function buildUdp(src: Buffer, dst: Buffer, sport: number, dport: number, payload: Buffer): Buffer {
  const udp = Buffer.alloc(8 + payload.length);
  udp.writeUInt16BE(sport, 0);
  udp.writeUInt16BE(dport, 2);
  udp.writeUInt16BE(udp.length, 4);
  payload.copy(udp, 8);
  udp.writeUInt16BE(udpChecksum(src, dst, udp), 6);
  return udp;
}

function ipv4Header(src: Buffer, dst: Buffer, ttl: number, id: number, payloadLen: number, fragOffset8: number, more: boolean): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payloadLen, 2);
  h.writeUInt16BE(id & 0xffff, 4);
  h.writeUInt16BE((more ? 0x2000 : 0) | fragOffset8, 6);
  h[8] = ttl;
  h[9] = IPPROTO_UDP;
  src.copy(h, 12);
  dst.copy(h, 16);
  h.writeUInt16BE(internetChecksum(h), 10);
  return h;
}

function ipv6Header(src: Buffer, dst: Buffer, hopLimit: number, payloadLen: number, next: number): Buffer {
  const h = Buffer.alloc(40);
  h.writeUInt32BE(0x60000000, 0);
  h.writeUInt16BE(payloadLen, 4);
  h[6] = next;
  h[7] = hopLimit;
  src.copy(h, 8);
  dst.copy(h, 24);
  return h;
}

/** One IP packet, or its fragments when `fragmentMtu` is smaller than the packet. */
export function buildUdpIpPackets(spec: UdpPacketSpec): Buffer[] {
  const fam = ipFamily(spec.src);
  if (!fam || ipFamily(spec.dst) !== fam) throw new Error(`addresses "${spec.src}" and "${spec.dst}" are not of one IP family`);
  const src = ipToBytes(spec.src);
  const dst = ipToBytes(spec.dst);
  const ttl = spec.ttl ?? 64;
  const udp = buildUdp(src, dst, spec.sport, spec.dport, spec.payload);
  const mtu = spec.fragmentMtu ?? Infinity;
  if (fam === 4) {
    if (20 + udp.length > 0xffff) throw new Error(`UDP datagram of ${udp.length} bytes does not fit in IPv4`);
    if (20 + udp.length <= mtu) return [Buffer.concat([ipv4Header(src, dst, ttl, spec.ipId ?? 0, udp.length, 0, false), udp])];
    const chunk = Math.floor((mtu - 20) / 8) * 8;
    if (chunk < 8) throw new Error(`MTU ${mtu} is too small to fragment IPv4`);
    const out: Buffer[] = [];
    for (let off = 0; off < udp.length; off += chunk) {
      const part = udp.subarray(off, off + chunk);
      const more = off + chunk < udp.length;
      out.push(Buffer.concat([ipv4Header(src, dst, ttl, spec.ipId ?? 0, part.length, off / 8, more), part]));
    }
    return out;
  }
  if (udp.length > 0xffff) throw new Error(`UDP datagram of ${udp.length} bytes does not fit in IPv6`);
  if (40 + udp.length <= mtu) return [Buffer.concat([ipv6Header(src, dst, ttl, udp.length, IPPROTO_UDP), udp])];
  const chunk = Math.floor((mtu - 48) / 8) * 8;
  if (chunk < 8) throw new Error(`MTU ${mtu} is too small to fragment IPv6`);
  const id = spec.ipId ?? 1;
  const out: Buffer[] = [];
  for (let off = 0; off < udp.length; off += chunk) {
    const part = udp.subarray(off, off + chunk);
    const more = off + chunk < udp.length;
    const frag = Buffer.alloc(8);
    frag[0] = IPPROTO_UDP;
    frag.writeUInt16BE(off | (more ? 1 : 0), 2); // offset in 8-byte units sits in the top 13 bits
    frag.writeUInt32BE(id >>> 0, 4);
    out.push(Buffer.concat([ipv6Header(src, dst, ttl, 8 + part.length, IPPROTO_FRAGMENT), frag, part]));
  }
  return out;
}

// ---- parsing ------------------------------------------------------------------------------------

/** An IP packet or fragment as found in a frame: upper-layer bytes plus what reassembly needs. */
export interface IpPacket {
  family: 4 | 6;
  src: string;
  dst: string;
  srcBytes: Buffer;
  dstBytes: Buffer;
  /** Upper-layer protocol (for a fragment: of the whole datagram, known from the first fragment for IPv6). */
  protocol: number;
  /** Upper-layer bytes carried by this packet (for a fragment: its piece). */
  payload: Buffer;
  fragment?: { id: number; offset: number; more: boolean };
}

/** Parses an IPv4 or IPv6 packet; undefined for anything else or a truncated header. */
export function parseIpPacket(b: Buffer): IpPacket | undefined {
  if (b.length < 1) return undefined;
  const version = b[0]! >> 4;
  if (version === 4) {
    if (b.length < 20) return undefined;
    const ihl = (b[0]! & 0xf) * 4;
    const total = b.readUInt16BE(2);
    if (ihl < 20 || total < ihl || b.length < ihl) return undefined;
    // Captured bytes may be fewer (snap length) or more (Ethernet padding) than the total length.
    const end = Math.min(total, b.length);
    const flagsOff = b.readUInt16BE(6);
    const more = (flagsOff & 0x2000) !== 0;
    const offset = (flagsOff & 0x1fff) * 8;
    const srcBytes = Buffer.from(b.subarray(12, 16));
    const dstBytes = Buffer.from(b.subarray(16, 20));
    const p: IpPacket = {
      family: 4, src: bytesToIp(srcBytes), dst: bytesToIp(dstBytes), srcBytes, dstBytes,
      protocol: b[9]!, payload: b.subarray(ihl, end),
    };
    if (more || offset > 0) p.fragment = { id: b.readUInt16BE(4), offset, more };
    return p;
  }
  if (version === 6) {
    if (b.length < 40) return undefined;
    const end = Math.min(40 + b.readUInt16BE(4), b.length);
    const srcBytes = Buffer.from(b.subarray(8, 24));
    const dstBytes = Buffer.from(b.subarray(24, 40));
    let next = b[6]!;
    let pos = 40;
    let fragment: IpPacket['fragment'];
    for (;;) {
      if (IPV6_EXT_HEADERS.has(next)) {
        if (pos + 2 > end) return undefined;
        const len = (b[pos + 1]! + 1) * 8;
        next = b[pos]!;
        pos += len;
        continue;
      }
      if (next === IPPROTO_FRAGMENT) {
        if (pos + 8 > end) return undefined;
        const offMore = b.readUInt16BE(pos + 2);
        fragment = { id: b.readUInt32BE(pos + 4), offset: offMore & 0xfff8, more: (offMore & 1) === 1 };
        next = b[pos]!;
        pos += 8;
        if (fragment.offset === 0 && !fragment.more) fragment = undefined; // atomic fragment (RFC 6946)
        break;
      }
      break;
    }
    if (pos > end) return undefined;
    const p: IpPacket = {
      family: 6, src: bytesToIp(srcBytes), dst: bytesToIp(dstBytes), srcBytes, dstBytes,
      protocol: next, payload: b.subarray(pos, end),
    };
    if (fragment) p.fragment = fragment;
    return p;
  }
  return undefined;
}
