// An in-memory network of sans-IO IKE engines under a virtual clock: datagrams are delivered after
// a latency, timers fire when the clock reaches them, and filters can drop, delay, duplicate or
// rewrite datagrams (a NAT, a blackhole). Exchange tests run here in microseconds of real time; the
// same loop is the seed of the in-process simulation backend.

import type { AaaRequest, AaaResult, AccountingRecord, Action, ChildSaInstall, Datagram, IkeEvent } from '../ike/actions.ts';
import type { IkeEngine } from '../ike/engine.ts';

export interface SimNode {
  name: string;
  address: string;
  engine: IkeEngine;
  events: IkeEvent[];
  sent: Datagram[];
  installed: Map<number, ChildSaInstall & { outboundActive: boolean }>;
  removed: number[];
  keys: Array<Extract<Action, { type: 'ike-keys' }>['keys']>;
  actions: Action[];
  /** Answers the node's AAA requests (a RADIUS server stand-in); undefined = never answered. */
  aaa?: (req: AaaRequest) => AaaResult | undefined;
  aaaRequests: AaaRequest[];
  accounting: AccountingRecord[];
}

/** What a filter decides for a datagram: deliver (maybe rewritten), drop, or deliver several. */
export type FilterResult = 'pass' | 'drop' | Datagram | Datagram[];
export type Filter = (d: Datagram, from: SimNode, now: number) => FilterResult;

interface InFlight {
  at: number;
  seq: number;
  d?: Datagram;
  /** A scheduled callback (an AAA answer) instead of a datagram. */
  run?: () => void;
}

/** Virtual time starts at a fixed wall-clock instant so certificate validity checks mean something. */
export const SIM_EPOCH = Date.UTC(2026, 0, 1);

export class VirtualNetwork {
  now = SIM_EPOCH;
  latency = 1; // ms
  readonly nodes: SimNode[] = [];
  private inflight: InFlight[] = [];
  private seq = 0;
  private filters: Filter[] = [];
  /** Every datagram that was delivered, in order, for pcap writing and assertions. */
  readonly wire: Array<{ time: number; d: Datagram }> = [];

  add(name: string, address: string, engine: IkeEngine): SimNode {
    const n: SimNode = { name, address, engine, events: [], sent: [], installed: new Map(), removed: [], keys: [], actions: [], aaaRequests: [], accounting: [] };
    this.nodes.push(n);
    return n;
  }

  addFilter(f: Filter): () => void {
    this.filters.push(f);
    return () => {
      this.filters = this.filters.filter((x) => x !== f);
    };
  }

  node(address: string): SimNode | undefined {
    return this.nodes.find((n) => n.address === address);
  }

  /** Collects and performs the actions of every engine. */
  flush(): void {
    for (const n of this.nodes) {
      for (const a of n.engine.pollActions()) {
        n.actions.push(a);
        switch (a.type) {
          case 'send': this.send(n, a.datagram); break;
          case 'event': n.events.push(a.event); break;
          case 'install-child': n.installed.set(a.child.childId, { ...a.child, outboundActive: !a.child.deferOutbound }); break;
          case 'activate-outbound': { const c = n.installed.get(a.childId); if (c) c.outboundActive = true; break; }
          case 'remove-child': n.installed.delete(a.childId); n.removed.push(a.childId); break;
          case 'ike-keys': n.keys.push(a.keys); break;
          case 'aaa-request': {
            n.aaaRequests.push(a.request);
            const r = n.aaa?.(a.request);
            if (r) this.later(this.latency, () => n.engine.aaaResult(r, this.now));
            break;
          }
          case 'accounting': n.accounting.push(a.record); break;
          default: break;
        }
      }
    }
  }

  private send(from: SimNode, d: Datagram): void {
    from.sent.push(d);
    let out: Datagram[] = [d];
    for (const f of this.filters) {
      const next: Datagram[] = [];
      for (const x of out) {
        const r = f(x, from, this.now);
        if (r === 'pass') next.push(x);
        else if (r === 'drop') continue;
        else if (Array.isArray(r)) next.push(...r);
        else next.push(r);
      }
      out = next;
    }
    for (const x of out) this.inflight.push({ at: this.now + this.latency, seq: this.seq++, d: x });
  }

  /** Runs `f` after `ms` of virtual time (answers of simulated servers). */
  later(ms: number, f: () => void): void {
    this.inflight.push({ at: this.now + ms, seq: this.seq++, run: f });
  }

  /** Processes the next event (delivery or timer). Returns false when nothing is pending before `limit`. */
  step(limit = Infinity): boolean {
    this.flush();
    let nextTimer = Infinity;
    let timerNode: SimNode | undefined;
    for (const n of this.nodes) {
      const t = n.engine.pollTimeout();
      if (t !== undefined && t < nextTimer) {
        nextTimer = t;
        timerNode = n;
      }
    }
    this.inflight.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const nextPacket = this.inflight[0]?.at ?? Infinity;
    const at = Math.min(nextTimer, nextPacket);
    if (at === Infinity || at > limit) return false;
    this.now = Math.max(this.now, at);
    if (nextPacket <= nextTimer) {
      const p = this.inflight.shift()!;
      if (p.run) {
        p.run();
        this.flush();
        return true;
      }
      const to = this.node(p.d!.remote.address);
      const d = p.d!;
      if (to) {
        this.wire.push({ time: this.now, d });
        // The receiver sees the datagram from its sender's (possibly translated) address.
        to.engine.handleDatagram({ local: d.remote, remote: d.local, data: d.data }, this.now);
      }
    } else {
      timerNode!.engine.handleTimeout(this.now);
    }
    this.flush();
    return true;
  }

  /** Runs until `done()` holds or the virtual time passes `maxMs` from now. Returns whether done. */
  runUntil(done: () => boolean, maxMs = 600_000): boolean {
    const limit = this.now + maxMs;
    for (let i = 0; i < 1_000_000; i++) {
      this.flush();
      if (done()) return true;
      if (!this.step(limit)) {
        this.now = Math.max(this.now, limit);
        return done();
      }
    }
    return done();
  }

  /** Advances the clock by `ms`, processing everything due. */
  advance(ms: number): void {
    const limit = this.now + ms;
    while (this.step(limit)) { /* keep going */ }
    this.now = limit;
    this.flush();
  }

  /** Delivers everything in flight and every timer due up to `ms` of idle time. */
  settle(ms = 100): void {
    this.advance(ms);
  }
}
