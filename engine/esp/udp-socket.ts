// A UDP socket for port 4500 through the native addon: recvmmsg reads a batch of datagrams per
// readable event (one JS callback per batch, where node:dgram makes one per datagram), sendmmsg
// writes a batch, and the socket can be opened inside another network namespace. Nothing is
// queued in userspace: a full socket buffer drops (counted), as the kernel would.

import { EventEmitter } from 'node:events';
import { bytesToIp } from '../util/ip.ts';
import { EAGAIN, loadNative, UDP_META_INTS, type NativeAddon } from '../native/addon.ts';

export interface UdpOpenOptions {
  netns?: string;
  reuseAddr?: boolean;
  rcvbuf?: number;
  sndbuf?: number;
  /** Datagrams per batch (one recvmmsg, one JS callback). Default 64. */
  maxPackets?: number;
  /** Largest datagram expected; larger ones arrive truncated and are counted, not delivered. Default 4096. */
  maxPacketSize?: number;
  slabBytes?: number;
}

/** A received batch. Addresses are decoded lazily (most ESP datagrams come from the known peer). */
export class DatagramBatch {
  constructor(
    readonly count: number,
    readonly slab: Buffer,
    private readonly meta: Int32Array,
  ) {}

  /** The datagram at index i (a view into the slab). */
  data(i: number): Buffer {
    const off = this.meta[i * UDP_META_INTS]!;
    return this.slab.subarray(off, off + this.meta[i * UDP_META_INTS + 1]!);
  }

  port(i: number): number {
    return this.meta[i * UDP_META_INTS + 2]!;
  }

  /** Source address as text. */
  address(i: number): string {
    const b = Buffer.from(this.meta.buffer, this.meta.byteOffset + (i * UDP_META_INTS + 4) * 4, 16);
    return this.meta[i * UDP_META_INTS + 3] === 6 ? bytesToIp(b) : bytesToIp(b.subarray(0, 4));
  }

  truncated(i: number): boolean {
    return this.meta[i * UDP_META_INTS + 1]! < 0;
  }
}

export interface UdpStats {
  rxDatagrams: number;
  rxBatches: number;
  rxTruncated: number;
  txDatagrams: number;
  txDrops: number;
}

export interface NativeUdpSocketEvents {
  /** The batch is only valid during the listener call: its index space is reused by the next one. */
  batch: [batch: DatagramBatch];
  error: [error: Error];
  newListener: [event: string | symbol, listener: (...args: never[]) => void];
}

export class NativeUdpSocket extends EventEmitter<NativeUdpSocketEvents> {
  readonly fd: number;
  readonly localPort: number;
  readonly stats: UdpStats = { rxDatagrams: 0, rxBatches: 0, rxTruncated: 0, txDatagrams: 0, txDrops: 0 };
  private readonly native: NativeAddon;
  private reader: object | undefined;
  private closed = false;
  private readonly maxPackets: number;
  private readonly maxPacketSize: number;
  private readonly slabBytes: number;

  private constructor(native: NativeAddon, fd: number, o: UdpOpenOptions) {
    super();
    this.native = native;
    this.fd = fd;
    this.localPort = native.udpLocalPort(fd);
    this.maxPackets = o.maxPackets ?? 64;
    this.maxPacketSize = o.maxPacketSize ?? 4096;
    this.slabBytes = o.slabBytes ?? 1 << 20;
    this.on('newListener', (event) => {
      if (event === 'batch' && !this.reader && !this.closed) queueMicrotask(() => this.startReader());
    });
  }

  static open(address: string, port: number, o: UdpOpenOptions = {}): NativeUdpSocket {
    const native = loadNative();
    const fd = native.udpOpen(address, port, { reuseAddr: o.reuseAddr, rcvbuf: o.rcvbuf, sndbuf: o.sndbuf, netns: o.netns });
    return new NativeUdpSocket(native, fd, o);
  }

  /** Sends one datagram; a full buffer (EAGAIN) or other error drops it. Returns bytes or -errno. */
  send(data: Buffer, address: string, port: number): number {
    const n = this.native.udpSend(this.fd, data, address, port);
    if (n >= 0) this.stats.txDatagrams++;
    else this.stats.txDrops++;
    return n;
  }

  /** Sends `count` (default all) datagrams to one destination with sendmmsg. Returns how many went. */
  sendBatch(datagrams: Buffer[], address: string, port: number, count = datagrams.length): number {
    const n = Math.max(0, this.native.udpSendBatch(this.fd, datagrams, address, port, count));
    this.stats.txDatagrams += n;
    this.stats.txDrops += Math.min(count, datagrams.length) - n;
    return n;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.reader) {
      this.native.readerStop(this.reader);
      this.reader = undefined;
    }
    this.native.closeFd(this.fd);
  }

  private startReader(): void {
    if (this.reader || this.closed) return;
    const meta = new Int32Array(this.maxPackets * UDP_META_INTS);
    this.reader = this.native.readerStart(this.fd, 1, (count, slab) => {
      if (count < 0) {
        if (this.reader) this.native.readerStop(this.reader);
        this.reader = undefined;
        if (-count !== EAGAIN) this.emit('error', new Error(`UDP socket ${this.localPort}: receive failed with errno ${-count}`));
        return;
      }
      const batch = new DatagramBatch(count, slab as Buffer, meta);
      for (let i = 0; i < count; i++) if (batch.truncated(i)) this.stats.rxTruncated++;
      this.stats.rxDatagrams += count;
      this.stats.rxBatches++;
      this.emit('batch', batch);
    }, meta, this.maxPackets, this.maxPacketSize, this.slabBytes, false);
  }
}
