// Traffic selectors (RFC 7296 sections 2.9 and 3.13): construction from prefixes, narrowing by the
// responder (intersection of what the initiator proposed with what policy allows), matching of
// packets, and the text forms used by show output.

import { IPPROTO_ANY, TsType } from './constants.ts';
import type { TrafficSelector } from './message.ts';
import { bigIntToIp, ipFamily, ipToBigInt, parseCidr } from '../util/ip.ts';

export function tsFromCidr(cidr: string, ipProtocol = IPPROTO_ANY, startPort = 0, endPort = 65535): TrafficSelector {
  const c = parseCidr(cidr.includes('/') ? cidr : `${cidr}/${ipFamily(cidr) === 6 ? 128 : 32}`);
  if (typeof c === 'string') throw new Error(c);
  return {
    tsType: c.family === 4 ? TsType.TS_IPV4_ADDR_RANGE : TsType.TS_IPV6_ADDR_RANGE,
    ipProtocol, startPort, endPort, startAddr: c.network, endAddr: c.last,
  };
}

// Parsed once (parseCidr works in bigints); each call returns a fresh copy the caller may change.
const ANY4 = tsFromCidr('0.0.0.0/0');
const ANY6 = tsFromCidr('::/0');

export function tsAny4(): TrafficSelector {
  return { ...ANY4 };
}

export function tsAny6(): TrafficSelector {
  return { ...ANY6 };
}

function family(ts: TrafficSelector): 4 | 6 {
  return ts.tsType === TsType.TS_IPV6_ADDR_RANGE ? 6 : 4;
}

/** Intersection of two selectors, or undefined when they do not overlap. */
export function tsIntersect(a: TrafficSelector, b: TrafficSelector): TrafficSelector | undefined {
  if (a.tsType !== b.tsType) return undefined;
  let proto: number;
  if (a.ipProtocol === IPPROTO_ANY) proto = b.ipProtocol;
  else if (b.ipProtocol === IPPROTO_ANY || b.ipProtocol === a.ipProtocol) proto = a.ipProtocol;
  else return undefined;
  const sp = Math.max(a.startPort, b.startPort), ep = Math.min(a.endPort, b.endPort);
  if (sp > ep) return undefined;
  const s = [ipToBigInt(a.startAddr), ipToBigInt(b.startAddr)], e = [ipToBigInt(a.endAddr), ipToBigInt(b.endAddr)];
  const start = s[0]! > s[1]! ? s[0]! : s[1]!;
  const end = e[0]! < e[1]! ? e[0]! : e[1]!;
  if (start > end) return undefined;
  const f = family(a);
  return { tsType: a.tsType, ipProtocol: proto, startPort: sp, endPort: ep, startAddr: bigIntToIp(start, f), endAddr: bigIntToIp(end, f) };
}

/**
 * Responder narrowing (RFC 7296 2.9): keep the parts of the proposed selectors that policy
 * allows. Returns an empty list when nothing is acceptable (-> TS_UNACCEPTABLE).
 */
export function narrow(proposed: TrafficSelector[], allowed: TrafficSelector[]): TrafficSelector[] {
  const out: TrafficSelector[] = [];
  for (const p of proposed) {
    for (const a of allowed) {
      const x = tsIntersect(p, a);
      if (x && !out.some((o) => tsEqual(o, x))) out.push(x);
    }
  }
  return out;
}

export function tsEqual(a: TrafficSelector, b: TrafficSelector): boolean {
  return a.tsType === b.tsType && a.ipProtocol === b.ipProtocol && a.startPort === b.startPort && a.endPort === b.endPort
    && a.startAddr === b.startAddr && a.endAddr === b.endAddr;
}

/** Whether `inner` lies entirely inside `outer` (initiator check of a narrowed answer). */
export function tsWithin(inner: TrafficSelector, outer: TrafficSelector): boolean {
  const x = tsIntersect(inner, outer);
  return !!x && tsEqual(x, inner);
}

/** Whether an address (and protocol/port) falls in a selector. */
export function tsMatches(ts: TrafficSelector, addr: string, proto?: number, port?: number): boolean {
  const f = ipFamily(addr);
  if (!f || f !== family(ts)) return false;
  const v = ipToBigInt(addr);
  if (v < ipToBigInt(ts.startAddr) || v > ipToBigInt(ts.endAddr)) return false;
  if (ts.ipProtocol !== IPPROTO_ANY && proto !== undefined && proto !== ts.ipProtocol) return false;
  if (port !== undefined && (port < ts.startPort || port > ts.endPort)) return false;
  return true;
}

/** A selector as a prefix when it is one ("10.0.0.0/24"), else as a range. */
export function tsToText(ts: TrafficSelector): string {
  const f = family(ts);
  const bits = f === 4 ? 32 : 128;
  const s = ipToBigInt(ts.startAddr), e = ipToBigInt(ts.endAddr);
  const size = e - s + 1n;
  let prefix: number | undefined;
  if ((size & (size - 1n)) === 0n && s % size === 0n) {
    prefix = bits - (size.toString(2).length - 1);
  }
  const addr = prefix !== undefined ? `${ts.startAddr}/${prefix}` : `${ts.startAddr}-${ts.endAddr}`;
  const proto = ts.ipProtocol === IPPROTO_ANY ? '' : `/${ts.ipProtocol}`;
  const ports = ts.startPort === 0 && ts.endPort === 65535 ? '' : `[${ts.startPort}-${ts.endPort}]`;
  return addr + proto + ports;
}

/** Prefixes covering the selector's address range (for routes through a tunnel interface). */
export function tsToPrefixes(ts: TrafficSelector): string[] {
  const f = family(ts);
  const bits = BigInt(f === 4 ? 32 : 128);
  let s = ipToBigInt(ts.startAddr);
  const e = ipToBigInt(ts.endAddr);
  const out: string[] = [];
  while (s <= e && out.length < 64) {
    let size = 1n;
    while (s % (size * 2n) === 0n && s + size * 2n - 1n <= e && size * 2n <= (1n << bits)) size *= 2n;
    const prefix = Number(bits) - (size.toString(2).length - 1);
    out.push(`${bigIntToIp(s, f)}/${prefix}`);
    s += size;
  }
  return out;
}
