// A TUN device (layer 3, no packet information header) for the ESP data path, on top of the native
// addon. Reading happens on the main loop without a thread-pool hop: the addon reads up to
// `maxPackets` packets per readable event and this class emits them as one 'packets' event.
// Address, MTU and routes are set with `ip` (configureTun), not ioctl.

import { EventEmitter } from 'node:events';
import { close } from 'node:fs';
import { execa } from 'execa';
import { loadNative, TUN_META_INTS, type NativeAddon } from '../native/addon.ts';

export interface TunOpenOptions {
  /** IFF_MULTI_QUEUE: several fds (processes or threads) on one device. */
  multiQueue?: boolean;
  /** Create the device in this network namespace (path such as /run/netns/NAME) instead of ours. */
  netns?: string;
  /** Packets per read batch (one JS callback each). Default 64. */
  maxPackets?: number;
  /** Largest packet expected (at least the device MTU). Default 65535. */
  maxPacketSize?: number;
  /** Size of the buffers packets are read into. Default 1 MiB. */
  slabBytes?: number;
  /** Deliver freshly copied Buffers instead of views into shared slabs (slower; for measurements). */
  copyMode?: boolean;
}

export interface TunStats {
  rxPackets: number;
  rxBatches: number;
  txPackets: number;
  /** Packets the kernel refused on write (queue full or malformed). */
  txDrops: number;
}

export interface TunDeviceEvents {
  packets: [packets: Buffer[]];
  error: [error: Error];
  newListener: [event: string | symbol, listener: (...args: never[]) => void];
}

export class TunDevice extends EventEmitter<TunDeviceEvents> {
  readonly name: string;
  readonly fd: number;
  readonly stats: TunStats = { rxPackets: 0, rxBatches: 0, txPackets: 0, txDrops: 0 };
  private readonly native: NativeAddon;
  private readonly opts: Required<Omit<TunOpenOptions, 'netns' | 'multiQueue'>>;
  private reader: object | undefined;
  private closed = false;

  private constructor(native: NativeAddon, fd: number, name: string, opts: TunOpenOptions) {
    super();
    this.native = native;
    this.fd = fd;
    this.name = name;
    this.opts = {
      maxPackets: opts.maxPackets ?? 64,
      maxPacketSize: opts.maxPacketSize ?? 65535,
      slabBytes: opts.slabBytes ?? 1 << 20,
      copyMode: opts.copyMode ?? false,
    };
    // Reading starts with the first 'packets' listener, so no packet is read before anyone listens.
    this.on('newListener', (event) => {
      if (event === 'packets' && !this.reader && !this.closed) queueMicrotask(() => this.startReader());
    });
  }

  /** Creates (or attaches to) TUN device `name`; '' lets the kernel pick tunN. */
  static open(name: string, opts: TunOpenOptions = {}): TunDevice {
    const native = loadNative();
    const r = opts.netns ? native.netnsOpenTun(opts.netns, name, opts) : native.tunOpen(name, opts);
    return new TunDevice(native, r.fd, r.name, opts);
  }

  /** Writes one packet; returns bytes written or -errno (a refused packet is dropped and counted). */
  write(packet: Buffer): number {
    const n = this.native.tunWrite(this.fd, packet);
    if (n >= 0) this.stats.txPackets++;
    else this.stats.txDrops++;
    return n;
  }

  /** Writes `count` (default all) packets with one native call; returns how many were taken. */
  writeBatch(packets: Buffer[], count = packets.length): number {
    const n = this.native.tunWriteBatch(this.fd, packets, count);
    this.stats.txPackets += n;
    this.stats.txDrops += Math.min(count, packets.length) - n;
    return n;
  }

  /** Closes the device; `onClosed` runs once the kernel has let go of it (the name is free again). */
  close(onClosed?: () => void): void {
    if (this.closed) return;
    this.closed = true;
    this.stopReader();
    // Closing a TUN unregisters its interface, which waits for an RCU grace period (~20 ms here):
    // on the thread pool, so a hub tearing down many sessions does not stall its event loop.
    close(this.fd, () => onClosed?.());
  }

  private startReader(): void {
    if (this.reader || this.closed) return;
    const { maxPackets, maxPacketSize, slabBytes, copyMode } = this.opts;
    const meta = new Int32Array(maxPackets * TUN_META_INTS);
    this.reader = this.native.readerStart(this.fd, 0, (count, slab) => {
      if (count < 0) {
        this.stopReader();
        this.emit('error', new Error(`TUN ${this.name}: read failed with errno ${-count}`));
        return;
      }
      let packets: Buffer[];
      if (copyMode) {
        packets = slab as Buffer[];
      } else {
        const s = slab as Buffer;
        packets = new Array<Buffer>(count);
        for (let i = 0; i < count; i++) {
          const off = meta[i * TUN_META_INTS]!;
          packets[i] = s.subarray(off, off + meta[i * TUN_META_INTS + 1]!);
        }
      }
      this.stats.rxPackets += count;
      this.stats.rxBatches++;
      this.emit('packets', packets);
    }, meta, maxPackets, maxPacketSize, slabBytes, copyMode);
  }

  private stopReader(): void {
    if (!this.reader) return;
    const r = this.reader;
    this.reader = undefined;
    this.native.readerStop(r);
  }
}

export interface TunConfig {
  /** CIDR addresses such as 10.0.0.1/32 or 2001:db8::1/64. */
  addresses?: string[];
  /** Peer address for a point-to-point address (ip addr add A peer B). */
  peer?: string;
  mtu?: number;
  up?: boolean;
  /** Destinations routed into the device (ip route replace DEST dev NAME). */
  routes?: string[];
  /** Run the commands inside this named namespace (ip -n NAME). */
  netnsName?: string;
}

/** Configures a TUN device with iproute2. Throws with the failing command's stderr. */
export async function configureTun(name: string, c: TunConfig): Promise<void> {
  const ns = c.netnsName ? ['-n', c.netnsName] : [];
  const ip = (...args: string[]) => execa('ip', [...ns, ...args]);
  if (c.mtu !== undefined) await ip('link', 'set', 'dev', name, 'mtu', String(c.mtu));
  for (const a of c.addresses ?? []) {
    await ip(...(a.includes(':') ? ['-6'] : []), 'addr', 'replace', a, ...(c.peer ? ['peer', c.peer] : []), 'dev', name);
  }
  if (c.up ?? true) await ip('link', 'set', 'dev', name, 'up');
  for (const r of c.routes ?? []) await ip(...(r.includes(':') ? ['-6'] : []), 'route', 'replace', r, 'dev', name);
}
