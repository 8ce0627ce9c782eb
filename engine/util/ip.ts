// IPv4/IPv6 address and prefix helpers shared by the topology loader, the IKE codec (traffic
// selectors, ID payloads), the ESP data path and the reports. Node's `net` validates; the byte and
// bigint forms here are what comparisons and ranges need.

import { Buffer } from 'node:buffer';
import net from 'node:net';

export type IpFamily = 4 | 6;

export function ipFamily(addr: string): IpFamily | 0 {
  return net.isIPv4(addr) ? 4 : net.isIPv6(addr) ? 6 : 0;
}

// Plain (small, on-heap) Uint8Arrays: a cached pooled Buffer would pin an 8 KiB pool slab per entry.
const bytesCache = new Map<string, Uint8Array>();

/** Address text -> 4 or 16 bytes (a fresh copy). Throws on invalid input. */
export function ipToBytes(addr: string): Buffer {
  const hit = bytesCache.get(addr);
  if (hit) return Buffer.from(hit);
  const b = parseIpBytes(addr);
  if (bytesCache.size > 4096) bytesCache.clear();
  bytesCache.set(addr, new Uint8Array(b));
  return b;
}

function parseIpBytes(addr: string): Buffer {
  if (net.isIPv4(addr)) return Buffer.from(addr.split('.').map((o) => Number(o)));
  if (!net.isIPv6(addr)) throw new Error(`not an IP address: "${addr}"`);
  let text = addr;
  // An embedded IPv4 tail ("::ffff:1.2.3.4") becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = ipToBytes(v4[1]!);
    text = text.slice(0, v4.index) + `${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** 4 or 16 bytes -> canonical text (RFC 5952 for IPv6). */
export function bytesToIp(b: Buffer | Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length !== 16) throw new Error(`address must be 4 or 16 bytes, got ${b.length}`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  // Longest run of zero groups (length >= 2) becomes "::".
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}

export function canonicalIp(addr: string): string {
  return bytesToIp(ipToBytes(addr));
}

const bigCache = new Map<string, bigint>();

export function ipToBigInt(addr: string): bigint {
  let v = bigCache.get(addr);
  if (v === undefined) {
    v = BigInt('0x' + ipToBytes(addr).toString('hex'));
    if (bigCache.size > 4096) bigCache.clear();
    bigCache.set(addr, v);
  }
  return v;
}

export function bigIntToIp(v: bigint, family: IpFamily): string {
  const len = family === 4 ? 4 : 16;
  const hex = v.toString(16).padStart(len * 2, '0');
  return bytesToIp(Buffer.from(hex, 'hex'));
}

export interface Cidr {
  family: IpFamily;
  /** The address as written (may have host bits set, as in "10.0.0.1/24" for an interface). */
  address: string;
  prefix: number;
  /** First and last address of the prefix. */
  network: string;
  last: string;
}

/** Parses "a.b.c.d/n" or "x::/n". Returns an error message instead of throwing. */
export function parseCidr(text: string): Cidr | string {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return `"${text}" is not in address/prefix form (for example 10.0.0.1/24 or 2001:db8::1/64)`;
  const address = m[1]!;
  const family = ipFamily(address);
  if (!family) return `"${address}" is not a valid IPv4 or IPv6 address`;
  const prefix = Number(m[2]);
  const max = family === 4 ? 32 : 128;
  if (prefix > max) return `prefix length /${prefix} is longer than ${max} bits for an IPv${family} address`;
  const bits = BigInt(max);
  const v = ipToBigInt(address);
  const hostMask = (1n << (bits - BigInt(prefix))) - 1n;
  const net = v & ~hostMask & ((1n << bits) - 1n);
  return {
    family, address: canonicalIp(address), prefix,
    network: bigIntToIp(net, family), last: bigIntToIp(net | hostMask, family),
  };
}

export function cidrContains(c: Cidr, addr: string): boolean {
  if (ipFamily(addr) !== c.family) return false;
  const v = ipToBigInt(addr);
  return v >= ipToBigInt(c.network) && v <= ipToBigInt(c.last);
}

/** Compares two addresses of the same family numerically. */
export function compareIp(a: string, b: string): number {
  const x = ipToBigInt(a), y = ipToBigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The classful network of an IPv4 address (RFC 791 classes A/B/C: /8, /16, /24), e.g. the route a
 * Windows VPN client installs for its virtual address; undefined for class D/E and IPv6.
 */
export function classfulPrefix(addr: string): string | undefined {
  if (ipFamily(addr) !== 4) return undefined;
  const b = ipToBytes(addr);
  const first = b[0]!;
  const prefix = first < 128 ? 8 : first < 192 ? 16 : first < 224 ? 24 : 0;
  if (!prefix) return undefined;
  const net = [...b].map((x, i) => (i < prefix / 8 ? x : 0)).join('.');
  return `${net}/${prefix}`;
}
