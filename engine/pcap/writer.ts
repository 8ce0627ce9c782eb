// PcapWriter: captures of datagrams we synthesize (tests, the tshark wire check, reports). Writes
// classic pcap (microsecond timestamps) or pcapng (one interface, microsecond resolution), with
// bare IP (LINKTYPE_RAW), Ethernet or Linux cooked (SLL/SLL2) framing, to memory or appending to
// a file as frames come.

import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { NAT_T_PORT } from '../ike/constants.ts';
import {
  ARPHRD_ETHER, ETHERTYPE_IPV4, ETHERTYPE_IPV6, LINKTYPE_BY_NAME, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2, PCAP_MAGIC_US, PCAPNG_BYTE_ORDER_MAGIC, PCAPNG_EPB, PCAPNG_IDB, PCAPNG_SHB, type LinkTypeName,
} from './linktype.ts';
import { buildUdpIpPackets, type UdpPacketSpec } from './packet.ts';

export interface PcapWriterOptions {
  /** Link-layer framing (default 'raw': bare IP packets, LINKTYPE_RAW = 101). */
  linkType?: LinkTypeName;
  /** File format (default 'pcap'). */
  format?: 'pcap' | 'pcapng';
  /** Append frames to this file as they are written (else kept in memory for toBuffer/writeFile). */
  path?: string;
  snapLength?: number;
}

export interface UdpFrameSpec extends UdpPacketSpec {
  /** Capture time in milliseconds since the epoch (fractions kept to the microsecond). */
  ts: number;
}

/** RFC 3948 non-ESP marker: four zero bytes in front of IKE on UDP 4500. */
export const NON_ESP_MARKER = Buffer.alloc(4);

export class PcapWriter {
  readonly linkType: number;
  readonly format: 'pcap' | 'pcapng';
  private readonly chunks: Buffer[] = [];
  private fd: number | undefined;
  private frames = 0;

  constructor(private readonly opts: PcapWriterOptions = {}) {
    this.linkType = LINKTYPE_BY_NAME[opts.linkType ?? 'raw'];
    this.format = opts.format ?? 'pcap';
    if (opts.path) this.fd = openSync(opts.path, 'w');
    this.emit(this.format === 'pcap' ? this.pcapHeader() : Buffer.concat([this.shb(), this.idb()]));
  }

  get frameCount(): number {
    return this.frames;
  }

  /** Writes a UDP datagram as one IP packet, or several frames when `fragmentMtu` fragments it. */
  writeUdp(d: UdpFrameSpec): number {
    const packets = buildUdpIpPackets(d);
    for (const p of packets) this.writeIpPacket(d.ts, p);
    return packets.length;
  }

  /**
   * IKE on UDP 4500 (after NAT detection): the payload gets the 4-byte non-ESP marker (RFC 3948
   * 2.2); ports default to 4500.
   */
  writeNonEspMarked(d: Omit<UdpFrameSpec, 'sport' | 'dport'> & { sport?: number; dport?: number }): number {
    return this.writeUdp({ ...d, sport: d.sport ?? NAT_T_PORT, dport: d.dport ?? NAT_T_PORT, payload: Buffer.concat([NON_ESP_MARKER, d.payload]) });
  }

  /** Writes one IP packet with this writer's link-layer framing (MACs derived from the IP addresses). */
  writeIpPacket(ts: number, packet: Buffer): void {
    this.writeFrame(ts, Buffer.concat([this.linkHeader(packet), packet]));
  }

  /** Writes a frame that already carries this writer's link-layer header. */
  writeFrame(ts: number, frame: Buffer): void {
    const snap = this.opts.snapLength ?? 262144;
    const data = frame.length > snap ? frame.subarray(0, snap) : frame;
    const usTotal = BigInt(Math.round(ts * 1000));
    if (this.format === 'pcap') {
      const h = Buffer.alloc(16);
      h.writeUInt32LE(Number(usTotal / 1000000n), 0);
      h.writeUInt32LE(Number(usTotal % 1000000n), 4);
      h.writeUInt32LE(data.length, 8);
      h.writeUInt32LE(frame.length, 12);
      this.emit(Buffer.concat([h, data]));
    } else {
      const pad = (4 - (data.length % 4)) % 4;
      const total = 32 + data.length + pad;
      const b = Buffer.alloc(total);
      b.writeUInt32LE(PCAPNG_EPB, 0);
      b.writeUInt32LE(total, 4);
      b.writeUInt32LE(0, 8); // interface 0
      b.writeUInt32LE(Number(usTotal >> 32n), 12);
      b.writeUInt32LE(Number(usTotal & 0xffffffffn), 16);
      b.writeUInt32LE(data.length, 20);
      b.writeUInt32LE(frame.length, 24);
      data.copy(b, 28);
      b.writeUInt32LE(total, total - 4);
      this.emit(b);
    }
    this.frames++;
  }

  toBuffer(): Buffer {
    if (this.opts.path) throw new Error('this PcapWriter streams to a file; read the file instead');
    return Buffer.concat(this.chunks);
  }

  /** Writes the in-memory capture to `path` (in-memory writers only). */
  writeFile(path: string): void {
    writeFileSync(path, this.toBuffer());
  }

  /** Closes the file of a streaming writer; a no-op for in-memory ones. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private emit(b: Buffer): void {
    if (this.fd !== undefined) writeSync(this.fd, b);
    else if (this.opts.path) throw new Error('PcapWriter is closed');
    else this.chunks.push(b);
  }

  private pcapHeader(): Buffer {
    const h = Buffer.alloc(24);
    h.writeUInt32LE(PCAP_MAGIC_US, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(this.opts.snapLength ?? 262144, 16);
    h.writeUInt32LE(this.linkType, 20);
    return h;
  }

  private shb(): Buffer {
    const b = Buffer.alloc(28);
    b.writeUInt32LE(PCAPNG_SHB, 0);
    b.writeUInt32LE(28, 4);
    b.writeUInt32LE(PCAPNG_BYTE_ORDER_MAGIC, 8);
    b.writeUInt16LE(1, 12);
    b.writeUInt16LE(0, 14);
    b.writeBigInt64LE(-1n, 16); // section length unknown
    b.writeUInt32LE(28, 24);
    return b;
  }

  private idb(): Buffer {
    // if_tsresol (option 9) = 6: microseconds, written explicitly though it is the default.
    const b = Buffer.alloc(32);
    b.writeUInt32LE(PCAPNG_IDB, 0);
    b.writeUInt32LE(32, 4);
    b.writeUInt16LE(this.linkType, 8);
    b.writeUInt32LE(this.opts.snapLength ?? 262144, 12);
    b.writeUInt16LE(9, 16);
    b.writeUInt16LE(1, 18);
    b[20] = 6;
    b.writeUInt32LE(0, 24); // opt_endofopt
    b.writeUInt32LE(32, 28);
    return b;
  }

  private linkHeader(packet: Buffer): Buffer {
    const v6 = packet.length > 0 && packet[0]! >> 4 === 6;
    const etherType = v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
    const mac = syntheticMac(packet.subarray(v6 ? 8 : 12, v6 ? 24 : 16));
    const dstMac = syntheticMac(packet.subarray(v6 ? 24 : 16, v6 ? 40 : 20));
    switch (this.linkType) {
      case LINKTYPE_ETHERNET: {
        const h = Buffer.alloc(14);
        dstMac.copy(h, 0);
        mac.copy(h, 6);
        h.writeUInt16BE(etherType, 12);
        return h;
      }
      case LINKTYPE_LINUX_SLL: {
        const h = Buffer.alloc(16);
        h.writeUInt16BE(4, 0); // packet type: sent by us
        h.writeUInt16BE(ARPHRD_ETHER, 2);
        h.writeUInt16BE(6, 4);
        mac.copy(h, 6);
        h.writeUInt16BE(etherType, 14);
        return h;
      }
      case LINKTYPE_LINUX_SLL2: {
        const h = Buffer.alloc(20);
        h.writeUInt16BE(etherType, 0);
        h.writeUInt32BE(1, 4); // interface index
        h.writeUInt16BE(ARPHRD_ETHER, 8);
        h[10] = 4; // packet type: sent by us
        h[11] = 6;
        mac.copy(h, 12);
        return h;
      }
      default:
        return Buffer.alloc(0);
    }
  }
}

/** A locally administered MAC derived from an address (02:00 + its last four bytes). */
function syntheticMac(addr: Buffer): Buffer {
  const mac = Buffer.from([0x02, 0, 0, 0, 0, 0]);
  if (addr.length >= 4) addr.subarray(addr.length - 4).copy(mac, 2);
  return mac;
}
