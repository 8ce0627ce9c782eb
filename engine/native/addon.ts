// Loader and types for the project's N-API addon (flexlab_native.c): TUN devices, batched readers,
// native UDP sockets (recvmmsg/sendmmsg), network-namespace switching, and interface addresses,
// routes, MTU and up/down without forking `ip` (rtnetlink, ioctl). Built by `make native`
// (cd engine/native && npx node-gyp rebuild).

import { projectPath } from '../util/paths.ts';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ADDON_PATH = projectPath('engine', 'native', 'build', 'Release', 'flexlab_native.node');

/** Meta ints per packet delivered by a reader: TUN [offset, length]; UDP adds port, family, address. */
export const TUN_META_INTS = 2;
export const UDP_META_INTS = 8;

export interface NativeAddon {
  tunOpen(name: string, opts?: { multiQueue?: boolean }): { fd: number; name: string };
  netnsOpenTun(nsPath: string, name: string, opts?: { multiQueue?: boolean }): { fd: number; name: string };
  /** Sets the MTU (when given and > 0) and brings the interface up (ioctl; throws with errno). */
  linkSetUp(name: string, mtu?: number): void;
  linkSetDown(name: string): void;
  linkSetMtu(name: string, mtu: number): void;
  /** RTM_NEWADDR / RTM_DELADDR; see netlinkAddress below. */
  netlinkAddress(op: NetlinkOp, ifname: string, cidr: string): void;
  /** RTM_NEWROUTE / RTM_DELROUTE; see netlinkRoute below. */
  netlinkRoute(op: NetlinkOp, ifname: string, cidr: string): void;
  /** RTM_SETLINK IFLA_INET6_ADDR_GEN_MODE (`ip link set NAME addrgenmode MODE`). */
  linkSetAddrGenMode(name: string, mode: Ipv6AddrGenMode): void;
  /** rtnetlink sockets this thread has opened so far (one is kept open between calls). */
  netlinkSocketStats(): { opened: number };
  closeFd(fd: number): number;
  /** write(2): bytes written or -errno (-11 = EAGAIN). */
  tunWrite(fd: number, packet: Buffer): number;
  /** write(2) per packet; returns how many the kernel took (refused ones are skipped, not retried). */
  tunWriteBatch(fd: number, packets: Buffer[], count?: number): number;
  /**
   * Starts a uv_poll reader on `fd`. When readable, reads up to maxPackets packets and calls
   * callback(count, slab) once: packet i is slab[meta[k*i] .. meta[k*i] + meta[k*i+1]) with k = 2
   * (TUN) or 8 (UDP: also port, family, 16 address bytes; length -1 = truncated). A negative count
   * is -errno and the reader has stopped. copyMode delivers Buffer[] instead (slower; kept for
   * measurements).
   */
  readerStart(
    fd: number, kind: 0 | 1, callback: (count: number, slab: Buffer | Buffer[] | undefined) => void,
    meta: Int32Array, maxPackets: number, maxPacketSize: number, slabBytes: number, copyMode: boolean,
  ): object;
  readerStop(handle: object): void;
  setns(path: string, nstype?: number): void;
  /** Switches the calling thread into the namespace at path; returns an fd for netnsRestore. */
  netnsEnter(path: string): number;
  netnsRestore(savedFd: number): void;
  udpOpen(address: string, port: number, opts?: { reuseAddr?: boolean; rcvbuf?: number; sndbuf?: number; netns?: string }): number;
  udpLocalPort(fd: number): number;
  /** sendto(2): bytes or -errno. */
  udpSend(fd: number, packet: Buffer, address: string, port: number): number;
  /** sendmmsg(2) to one destination: datagrams sent, or -errno when none could be. */
  udpSendBatch(fd: number, packets: Buffer[], address: string, port: number, count?: number): number;
}

/** How the kernel makes IPv6 link-local addresses when the link comes up ('none': it does not). */
export type Ipv6AddrGenMode = 'eui64' | 'none' | 'stable-privacy' | 'random';

/** add fails if it exists (EEXIST), replace creates or updates, del removes (ESRCH/EADDRNOTAVAIL if absent). */
export type NetlinkOp = 'add' | 'replace' | 'del';

/**
 * What the interface functions throw when the kernel refuses: `message` is
 * "RTM_NEWADDR 10.0.0.1/32 dev va3: File exists (ipv4: Address already assigned)" (the kernel's
 * extended-ack text in parentheses when it sent one), `code` the errno name ("EEXIST"), `errno`
 * its negated value, `syscall` the netlink message type. Bad arguments throw a TypeError.
 */
export interface NetlinkError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

export class NativeAddonMissingError extends Error {
  override name = 'NativeAddonMissingError';
}

let cached: NativeAddon | undefined;

/**
 * Loads the addon once; throws a NativeAddonMissingError that says to run `make native`.
 * `path` exists for tests of that message.
 */
export function loadNative(path = ADDON_PATH): NativeAddon {
  if (cached && path === ADDON_PATH) return cached;
  if (!existsSync(path)) {
    throw new NativeAddonMissingError(
      `the native addon ${path} is not built: run \`make native\` (or \`cd engine/native && npx node-gyp rebuild\`); ` +
      'it needs g++, make and the Node headers',
    );
  }
  const require = createRequire(import.meta.url);
  let addon: NativeAddon;
  try {
    addon = require(path) as NativeAddon;
  } catch (e) {
    throw new NativeAddonMissingError(`could not load ${path} (${(e as Error).message}): rebuild it with \`make native\``);
  }
  if (path === ADDON_PATH) cached = addon;
  return addon;
}

/** Runs `fn` with the calling thread inside the network namespace at `nsPath` (e.g. /run/netns/X). */
export function withNetns<T>(nsPath: string, fn: () => T): T {
  const native = loadNative();
  const saved = native.netnsEnter(nsPath);
  try {
    const r = fn();
    if (r instanceof Promise) throw new Error('withNetns: fn must be synchronous (the namespace is switched back when it returns)');
    return r;
  } finally {
    native.netnsRestore(saved);
  }
}

/** errno values the I/O functions return negated. */
export const EAGAIN = 11;

export interface TunReaderOptions {
  /** Packets per callback at most (default 64). */
  maxPackets?: number;
  /** Largest packet (at least the device MTU; default 65535). */
  maxPacketSize?: number;
  /** Slab size packets are read into (default 1 MiB). */
  slabBytes?: number;
}

/** Opaque handle of a running reader. */
export type ReaderHandle = object;

/**
 * Reads `fd` (a TUN device) on the main loop and calls `callback` once per readable event with
 * every packet read in that turn (up to maxPackets). Packets are views into a shared slab: copy
 * one before keeping it for long, or it keeps the slab alive. Errors stop the reader and arrive
 * as `onError(errno)`.
 */
export function tunStartReader(fd: number, callback: (packets: Buffer[]) => void, opts: TunReaderOptions = {}, onError?: (errno: number) => void): ReaderHandle {
  const native = loadNative();
  const maxPackets = opts.maxPackets ?? 64;
  const meta = new Int32Array(maxPackets * TUN_META_INTS);
  const handle: ReaderHandle = native.readerStart(fd, 0, (count, slab) => {
    if (count < 0) {
      native.readerStop(handle);
      onError?.(-count);
      return;
    }
    const s = slab as Buffer;
    const packets = new Array<Buffer>(count);
    for (let i = 0; i < count; i++) {
      const off = meta[i * TUN_META_INTS]!;
      packets[i] = s.subarray(off, off + meta[i * TUN_META_INTS + 1]!);
    }
    callback(packets);
  }, meta, maxPackets, opts.maxPacketSize ?? 65535, opts.slabBytes ?? 1 << 20, false);
  return handle;
}

/** Stops a reader (call once; before closing its fd). */
export function tunStopReader(handle: ReaderHandle): void {
  loadNative().readerStop(handle);
}

export function tunOpen(name: string, opts?: { multiQueue?: boolean }): { fd: number; name: string } {
  return loadNative().tunOpen(name, opts);
}

/** Brings the interface up, setting its MTU first when one is given (ioctl). */
export function linkSetUp(name: string, mtu?: number): void {
  loadNative().linkSetUp(name, mtu);
}

export function linkSetDown(name: string): void {
  loadNative().linkSetDown(name);
}

export function linkSetMtu(name: string, mtu: number): void {
  loadNative().linkSetMtu(name, mtu);
}

/**
 * `ip link set NAME addrgenmode MODE` by rtnetlink. 'none' before the link goes up: no IPv6
 * link-local address (so no router solicitations or MLD reports through a tunnel). Cheaper than
 * writing /proc/sys/net/ipv6/conf/NAME/addr_gen_mode, whose handler spins while another process
 * holds the kernel's rtnl lock. Throws a NetlinkError (EAFNOSUPPORT when IPv6 is disabled).
 */
export function linkSetAddrGenMode(name: string, mode: Ipv6AddrGenMode): void {
  loadNative().linkSetAddrGenMode(name, mode);
}

/**
 * Adds, replaces or deletes an address of an interface, synchronously, in the calling thread's
 * network namespace (`ip addr add|replace|del CIDR dev IFNAME` without the fork). IPv4 and IPv6;
 * a CIDR without a prefix length is a host address. IPv6 addresses skip duplicate address
 * detection (IFA_F_NODAD), so they are usable at once. Throws a NetlinkError.
 */
export function netlinkAddress(op: NetlinkOp, ifname: string, cidr: string): void {
  loadNative().netlinkAddress(op, ifname, cidr);
}

/**
 * Adds, replaces or deletes a route of the main table straight into an interface (`ip route
 * add|replace|del CIDR dev IFNAME`, protocol static), in the calling thread's namespace. Deleting
 * matches the prefix and the device only. Throws a NetlinkError.
 */
export function netlinkRoute(op: NetlinkOp, ifname: string, cidr: string): void {
  loadNative().netlinkRoute(op, ifname, cidr);
}

export function netnsOpenTun(nsPath: string, name: string, opts?: { multiQueue?: boolean }): { fd: number; name: string } {
  return loadNative().netnsOpenTun(nsPath, name, opts);
}

/** write(2) of one packet: bytes written or -errno (EAGAIN included; nothing is queued). */
export function tunWrite(fd: number, packet: Buffer): number {
  return loadNative().tunWrite(fd, packet);
}

/** One native call for many packets; returns how many the kernel took. */
export function tunWriteBatch(fd: number, packets: Buffer[], count?: number): number {
  return loadNative().tunWriteBatch(fd, packets, count);
}

export function tunClose(fd: number): number {
  return loadNative().closeFd(fd);
}

/** setns(2) for the calling thread (nstype default CLONE_NEWNET). Prefer withNetns, which switches back. */
export function setns(path: string, nstype?: number): void {
  loadNative().setns(path, nstype);
}
