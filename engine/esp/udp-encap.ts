// UDP encapsulation of ESP and IKE on port 4500 (RFC 3948). One socket carries three things, told
// apart by their first bytes: a NAT-keepalive (one 0xFF byte, section 2.3), IKE behind the 4-byte
// non-ESP marker of zeros (section 2.2), and ESP, whose first 4 bytes are its non-zero SPI.

export type Udp4500Kind = 'esp' | 'ike' | 'keepalive' | 'invalid';

const NON_ESP_MARKER = Buffer.alloc(4);
const IKE_HEADER_LENGTH = 28;

/** Classifies a datagram received on port 4500 without copying it. */
export function classifyUdp4500(d: Buffer): Udp4500Kind {
  if (d.length === 1) return d[0] === 0xff ? 'keepalive' : 'invalid';
  if (d.length < 8) return 'invalid'; // neither SPI + seq nor marker + IKE header fit
  if (d[0] === 0 && d[1] === 0 && d[2] === 0 && d[3] === 0) {
    return d.length >= 4 + IKE_HEADER_LENGTH ? 'ike' : 'invalid';
  }
  return 'esp';
}

/** The IKE message inside a datagram classified 'ike' (a view, no copy). */
export function stripNonEspMarker(d: Buffer): Buffer {
  return d.subarray(4);
}

/** Prefixes an IKE message with the non-ESP marker for sending on port 4500. */
export function withNonEspMarker(ikeMessage: Buffer): Buffer {
  return Buffer.concat([NON_ESP_MARKER, ikeMessage]);
}

/** A NAT-keepalive datagram (RFC 3948 section 2.3): sent every 20 s by default by the side behind NAT. */
export function natKeepalive(): Buffer {
  return Buffer.from([0xff]);
}

export const NAT_T_PORT = 4500;
export const DEFAULT_NAT_KEEPALIVE_SECONDS = 20;
