// Internet checksum (RFC 1071) and the UDP checksum over the IPv4 (RFC 768) or IPv6 (RFC 8200
// 8.1) pseudo-header.

import { IPPROTO_UDP } from '../ike/constants.ts';

/** One's-complement sum of 16-bit words, folded, not inverted. */
function sum16(bufs: Buffer[]): number {
  let sum = 0;
  for (const b of bufs) {
    const even = b.length & ~1;
    for (let i = 0; i < even; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
    if (b.length & 1) sum += b[b.length - 1]! << 8; // each part here has even length except the last
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

export function internetChecksum(...bufs: Buffer[]): number {
  return ~sum16(bufs) & 0xffff;
}

function pseudoHeader(src: Buffer, dst: Buffer, udpLength: number): Buffer {
  if (src.length === 4) {
    const p = Buffer.alloc(12);
    src.copy(p, 0);
    dst.copy(p, 4);
    p[9] = IPPROTO_UDP;
    p.writeUInt16BE(udpLength, 10);
    return p;
  }
  const p = Buffer.alloc(40);
  src.copy(p, 0);
  dst.copy(p, 16);
  p.writeUInt32BE(udpLength, 32);
  p[39] = IPPROTO_UDP;
  return p;
}

/** Checksum for a UDP header+payload whose checksum field is zero. 0 is sent as 0xffff (RFC 768). */
export function udpChecksum(src: Buffer, dst: Buffer, udp: Buffer): number {
  const c = internetChecksum(pseudoHeader(src, dst, udp.length), udp);
  return c === 0 ? 0xffff : c;
}

/** True when the UDP checksum (field included) verifies; a zero field over IPv4 means "none". */
export function udpChecksumValid(src: Buffer, dst: Buffer, udp: Buffer): boolean {
  if (src.length === 4 && udp.readUInt16BE(6) === 0) return true;
  return sum16([pseudoHeader(src, dst, udp.length), udp]) === 0xffff;
}
