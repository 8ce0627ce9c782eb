// NAT detection (RFC 7296 section 2.23): NAT_DETECTION_*_IP notify data is
// SHA-1(SPIi | SPIr | IP | port). A mismatch of the source hash means the sender is behind a NAT,
// of the destination hash that the receiver is.

import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { ipToBytes } from '../util/ip.ts';
import type { Endpoint } from './actions.ts';

export function natdHash(spiI: Buffer, spiR: Buffer, ep: Endpoint): Buffer {
  const port = Buffer.alloc(2);
  port.writeUInt16BE(ep.port);
  return createHash('sha1').update(spiI).update(spiR).update(ipToBytes(ep.address)).update(port).digest();
}
