// Just enough IPv4/IPv6 parsing of the inner packet for selector checks and MTU/MSS decisions, plus
// the ICMP errors a tunnel endpoint sends when a packet does not fit (RFC 792 "fragmentation needed",
// RFC 4443 "packet too big") and TCP MSS clamping. Addresses stay as views into the packet; text
// forms are made only on request.

import { bytesToIp, ipToBytes } from '../util/ip.ts';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_SCTP = 132;

export interface IpHeader {
  version: 4 | 6;
  headerLength: number;
  /** Length from the header (IPv4 total length; IPv6 40 + payload length). */
  totalLength: number;
  /** IPv4 protocol, or the IPv6 next header (extension headers are not walked). */
  protocol: number;
  /** 4 or 16 bytes, a view into the packet. */
  src: Buffer;
  dst: Buffer;
  /** TCP/UDP/SCTP ports, ICMP type<<8|code; -1 when not visible (fragment, extension header). */
  srcPort: number;
  dstPort: number;
  /** IPv4 Don't Fragment bit (IPv6 routers never fragment: always true). */
  dontFragment: boolean;
}

/** Parses the header of an IPv4 or IPv6 packet; returns a message when it is not one. */
export function parseIpHeader(p: Buffer): IpHeader | string {
  if (p.length < 1) return 'empty packet';
  const version = p[0]! >> 4;
  if (version === 4) {
    if (p.length < 20) return `IPv4 packet of ${p.length} bytes is shorter than its header`;
    const headerLength = (p[0]! & 0x0f) * 4;
    if (headerLength < 20 || headerLength > p.length) return `bad IPv4 header length ${headerLength}`;
    const totalLength = p.readUInt16BE(2);
    if (totalLength < headerLength || totalLength > p.length) return `IPv4 total length ${totalLength} does not fit ${p.length} bytes`;
    const protocol = p[9]!;
    const fragField = p.readUInt16BE(6);
    const firstFragment = (fragField & 0x1fff) === 0;
    const [srcPort, dstPort] = firstFragment ? ports(p, headerLength, protocol, totalLength) : [-1, -1];
    return {
      version: 4, headerLength, totalLength, protocol,
      src: p.subarray(12, 16), dst: p.subarray(16, 20), srcPort, dstPort, dontFragment: (fragField & 0x4000) !== 0,
    };
  }
  if (version === 6) {
    if (p.length < 40) return `IPv6 packet of ${p.length} bytes is shorter than its header`;
    const totalLength = 40 + p.readUInt16BE(4);
    if (totalLength > p.length) return `IPv6 payload length ${totalLength - 40} does not fit ${p.length} bytes`;
    const protocol = p[6]!;
    const [srcPort, dstPort] = ports(p, 40, protocol, totalLength);
    return {
      version: 6, headerLength: 40, totalLength, protocol,
      src: p.subarray(8, 24), dst: p.subarray(24, 40), srcPort, dstPort, dontFragment: true,
    };
  }
  return `not an IP packet (version ${version})`;
}

function ports(p: Buffer, off: number, protocol: number, end: number): [number, number] {
  if ((protocol === IPPROTO_TCP || protocol === IPPROTO_UDP || protocol === IPPROTO_SCTP) && end >= off + 4) {
    return [p.readUInt16BE(off), p.readUInt16BE(off + 2)];
  }
  if ((protocol === IPPROTO_ICMP || protocol === IPPROTO_ICMPV6) && end >= off + 2) {
    // RFC 4301 4.4.1.1: ICMP type and code take the place of the port selectors.
    const typeCode = p.readUInt16BE(off);
    return [typeCode, typeCode];
  }
  return [-1, -1];
}

export function ipSrc(h: IpHeader): string {
  return bytesToIp(h.src);
}
export function ipDst(h: IpHeader): string {
  return bytesToIp(h.dst);
}

/** RFC 1071 ones' complement sum, folded, not inverted. */
function onesSum(b: Buffer, start: number, end: number, sum = 0): number {
  let i = start;
  for (; i + 1 < end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (i < end) sum += b[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

export function internetChecksum(b: Buffer, start = 0, end = b.length, initial = 0): number {
  return ~onesSum(b, start, end, initial) & 0xffff;
}

/**
 * ICMP "destination unreachable, fragmentation needed" (type 3 code 4, RFC 1191 section 4) telling
 * the sender of `original` to use at most `mtu`. Returns undefined when no error may be sent: the
 * packet had DF clear (it may be fragmented instead), or is itself an ICMP error (RFC 1122 3.2.2).
 */
export function icmpFragmentationNeeded(original: Buffer, mtu: number, from: string): Buffer | undefined {
  const h = parseIpHeader(original);
  if (typeof h === 'string' || h.version !== 4 || !h.dontFragment) return undefined;
  if (h.protocol === IPPROTO_ICMP && isIcmpError(original[h.headerLength])) return undefined;
  // Quote the IP header and the first 8 bytes of its payload (RFC 792); more is allowed, not needed.
  const quote = original.subarray(0, Math.min(h.totalLength, h.headerLength + 8));
  const out = Buffer.alloc(20 + 8 + quote.length);
  out[0] = 0x45;
  out.writeUInt16BE(out.length, 2);
  out[8] = 64; // TTL
  out[9] = IPPROTO_ICMP;
  ipToBytes(from).copy(out, 12);
  h.src.copy(out, 16);
  out.writeUInt16BE(internetChecksum(out, 0, 20), 10);
  out[20] = 3;
  out[21] = 4;
  out.writeUInt16BE(mtu, 26);
  quote.copy(out, 28);
  out.writeUInt16BE(internetChecksum(out, 20), 22);
  return out;
}

function isIcmpError(type: number | undefined): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/** ICMPv6 "packet too big" (RFC 4443 section 3.2) for `original`, quoting as much as fits 1280 bytes. */
export function icmpv6PacketTooBig(original: Buffer, mtu: number, from: string): Buffer | undefined {
  const h = parseIpHeader(original);
  if (typeof h === 'string' || h.version !== 6) return undefined;
  if (h.protocol === IPPROTO_ICMPV6 && (original[40]! < 128)) return undefined; // never answer an ICMPv6 error
  const quote = original.subarray(0, Math.min(h.totalLength, 1280 - 48));
  const out = Buffer.alloc(40 + 8 + quote.length);
  out[0] = 0x60;
  out.writeUInt16BE(8 + quote.length, 4);
  out[6] = IPPROTO_ICMPV6;
  out[7] = 64;
  ipToBytes(from).copy(out, 8);
  h.src.copy(out, 24);
  out[40] = 2;
  out.writeUInt32BE(mtu, 44);
  quote.copy(out, 48);
  // Checksum over the pseudo-header (RFC 8200 8.1): addresses, upper-layer length, next header.
  let sum = onesSum(out, 8, 40);
  sum += (8 + quote.length) >>> 16;
  sum += (8 + quote.length) & 0xffff;
  sum += IPPROTO_ICMPV6;
  out.writeUInt16BE(internetChecksum(out, 40, out.length, sum), 42);
  return out;
}

/**
 * Lowers the MSS option of a TCP SYN to `mss` (what `ip tcp adjust-mss` does on a tunnel
 * interface), fixing the checksum incrementally (RFC 1624). Modifies the packet in place; returns
 * true when it changed anything.
 */
export function clampTcpMss(p: Buffer, mss: number): boolean {
  const h = parseIpHeader(p);
  if (typeof h === 'string' || h.protocol !== IPPROTO_TCP || h.srcPort < 0) return false;
  const t = h.headerLength;
  if (h.totalLength < t + 20) return false;
  if ((p[t + 13]! & 0x02) === 0) return false; // not a SYN
  const dataOffset = (p[t + 12]! >> 4) * 4;
  const end = Math.min(t + dataOffset, h.totalLength);
  for (let i = t + 20; i < end;) {
    const kind = p[i]!;
    if (kind === 0) break;
    if (kind === 1) { i++; continue; }
    const len = p[i + 1]!;
    if (len < 2 || i + len > end) break;
    if (kind === 2 && len === 4) {
      const old = p.readUInt16BE(i + 2);
      if (old <= mss) return false;
      p.writeUInt16BE(mss, i + 2);
      // HC' = ~(~HC + ~m + m')  (RFC 1624 eqn. 3)
      let sum = (~p.readUInt16BE(t + 16) & 0xffff) + (~old & 0xffff) + mss;
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      p.writeUInt16BE(~sum & 0xffff, t + 16);
      return true;
    }
    i += len;
  }
  return false;
}
