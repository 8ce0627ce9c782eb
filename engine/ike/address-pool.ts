// `ip local pool` address pools of a responder: addresses handed out in the configuration payload
// (INTERNAL_IP4_ADDRESS / INTERNAL_IP6_ADDRESS), released when the IKE SA ends.

import { bigIntToIp, ipFamily, ipToBigInt, parseCidr } from '../util/ip.ts';
import type { IpFamily } from '../util/ip.ts';

export class AddressPool {
  readonly family: IpFamily;
  private readonly first: bigint;
  private readonly last: bigint;
  private readonly used = new Map<string, string>(); // address -> owner
  private cursor: bigint;

  /** `spec`: "192.168.10.5-192.168.10.10" (IOS style) or a prefix "10.0.0.0/24" (network/broadcast, IPv6 anycast skipped). */
  constructor(readonly name: string, spec: string) {
    const range = /^\s*([^-\s]+)\s*-\s*([^-\s]+)\s*$/.exec(spec);
    if (range) {
      const f = ipFamily(range[1]!);
      if (!f || f !== ipFamily(range[2]!)) throw new Error(`pool ${name}: "${spec}" is not a valid address range`);
      this.family = f;
      this.first = ipToBigInt(range[1]!);
      this.last = ipToBigInt(range[2]!);
    } else {
      const c = parseCidr(spec);
      if (typeof c === 'string') throw new Error(`pool ${name}: ${c}`);
      this.family = c.family;
      const n = ipToBigInt(c.network), l = ipToBigInt(c.last);
      const skipEdges = c.family === 4 && c.prefix <= 30;
      // IPv6 has no broadcast, but the all-zeros interface id is the Subnet-Router anycast
      // address (RFC 4291 2.6.1): not a host's address. /127 and /128 use every address (RFC 6164).
      const skipAnycast = c.family === 6 && c.prefix < 127;
      this.first = skipEdges || skipAnycast ? n + 1n : n;
      this.last = skipEdges ? l - 1n : l;
    }
    if (this.last < this.first) throw new Error(`pool ${name}: "${spec}" is empty`);
    this.cursor = this.first;
  }

  get size(): number {
    return Number(this.last - this.first + 1n);
  }

  /** Addresses handed out (reserved ones not counted). */
  get inUse(): number {
    return [...this.used.values()].filter((o) => !this.reserved.has(o)).length;
  }

  private readonly reserved = new Set<string>();

  /** Allocates an address for `owner`; a preferred (previously held) address is honoured when free. */
  allocate(owner: string, preferred?: string): string | undefined {
    if (preferred && ipFamily(preferred) === this.family) {
      const v = ipToBigInt(preferred);
      if (v >= this.first && v <= this.last && !this.used.has(preferred)) {
        this.used.set(preferred, owner);
        return preferred;
      }
    }
    const total = this.last - this.first + 1n;
    for (let i = 0n; i < total; i++) {
      const v = this.cursor;
      this.cursor = this.cursor >= this.last ? this.first : this.cursor + 1n;
      const a = bigIntToIp(v, this.family);
      if (!this.used.has(a)) {
        this.used.set(a, owner);
        return a;
      }
    }
    return undefined;
  }

  /** Keeps an address out of the pool (the hub's own tunnel address, for instance). */
  reserve(address: string, owner = 'reserved'): void {
    if (ipFamily(address) !== this.family) return;
    this.used.set(address, owner);
    this.reserved.add(owner);
  }

  release(address: string): void {
    this.used.delete(address);
  }

  leases(): Array<{ address: string; owner: string }> {
    return [...this.used].map(([address, owner]) => ({ address, owner }));
  }
}

export class AddressPools {
  private pools = new Map<string, AddressPool>();

  get(name: string, spec: string): AddressPool {
    let p = this.pools.get(name);
    if (!p) {
      p = new AddressPool(name, spec);
      this.pools.set(name, p);
    }
    return p;
  }

  all(): AddressPool[] {
    return [...this.pools.values()];
  }
}
