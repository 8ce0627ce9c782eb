// Track objects of a node (IOS `track N ...`), sans-IO: a stub object whose state is set from
// outside (a scenario, `flexlab track`), or one that follows a reachability probe like an IP SLA
// ICMP echo operation (`ip sla` + `track N ip sla M reachability`): every `interval` the shell
// pings `address` (through `interface`), waits at most `timeout`, and reports the result here.
// `threshold` consecutive failures take the object down, `up-threshold` successes bring it back
// (IOS `delay down/up`, counted in probes). FlexVPN clients subscribe to the changes (F-CLI-03/06).

import type { IkeEvent } from '../ike/actions.ts';
import { SansIoCore } from '../util/sans-io-core.ts';

export type TrackState = 'up' | 'down';

export interface ProbeConfig {
  address: string;
  /** Outgoing interface (`source-interface`); default: routing decides. */
  interface?: string;
  /** Seconds between probes (IP SLA `frequency`). */
  interval: number;
  /** Seconds to wait for the echo reply. */
  timeout: number;
  /** Consecutive failures before the object goes down. */
  threshold: number;
  /** Consecutive successes before it comes back up. */
  upThreshold: number;
}

export interface TrackConfig {
  id: string;
  /** Initial state (default up). */
  state?: TrackState;
  probe?: ProbeConfig;
  description?: string;
}

export type TrackAction =
  | { type: 'probe'; track: string; probeId: number; address: string; interface?: string; timeoutMs: number }
  | { type: 'event'; event: IkeEvent };

export interface TrackView {
  id: string;
  type: 'stub' | 'probe';
  state: TrackState;
  since: number;
  changes: number;
  description?: string;
  probe?: ProbeConfig & { sent: number; ok: number; failed: number; consecutiveFailures: number; consecutiveSuccesses: number; lastResult?: 'ok' | 'failed'; lastRttMs?: number };
}

interface TrackObject {
  cfg: TrackConfig;
  state: TrackState;
  since: number;
  changes: number;
  sent: number;
  ok: number;
  failed: number;
  failures: number;
  successes: number;
  outstanding?: number;
  lastResult?: 'ok' | 'failed';
  lastRttMs?: number;
}

export type TrackListener = (id: string, state: TrackState, now: number) => void;

export class TrackTable extends SansIoCore<TrackAction> {
  private readonly objects = new Map<string, TrackObject>();
  private readonly listeners = new Set<TrackListener>();
  private probeIds = 0;
  private readonly probes = new Map<number, string>();

  constructor(configs: TrackConfig[], now: number) {
    super();
    for (const cfg of configs) {
      const o: TrackObject = { cfg, state: cfg.state ?? 'up', since: now, changes: 0, sent: 0, ok: 0, failed: 0, failures: 0, successes: 0 };
      this.objects.set(cfg.id, o);
      if (cfg.probe) this.schedule(o, now);
    }
  }

  has(id: string): boolean {
    return this.objects.has(id);
  }

  state(id: string): TrackState | undefined {
    return this.objects.get(id)?.state;
  }

  subscribe(l: TrackListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Sets a stub object (a probe object follows its probe and refuses). Returns whether it changed. */
  set(id: string, state: TrackState, now: number, why = 'set by command'): boolean {
    const o = this.objects.get(id);
    if (!o) throw new Error(`no track object ${id} (configured: ${[...this.objects.keys()].join(', ') || 'none'})`);
    if (o.cfg.probe) throw new Error(`track ${id} follows a reachability probe of ${o.cfg.probe.address}; only stub objects are set by hand`);
    return this.change(o, state, now, why);
  }

  /** The answer to a `probe` action. */
  probeResult(probeId: number, ok: boolean, now: number, rttMs?: number): void {
    const id = this.probes.get(probeId);
    this.probes.delete(probeId);
    const o = id !== undefined ? this.objects.get(id) : undefined;
    if (!o || !o.cfg.probe || o.outstanding !== probeId) return;
    o.outstanding = undefined;
    const p = o.cfg.probe;
    o.lastResult = ok ? 'ok' : 'failed';
    if (ok) {
      o.ok++;
      o.lastRttMs = rttMs;
      o.successes++;
      o.failures = 0;
      if (o.state === 'down' && o.successes >= p.upThreshold) {
        this.change(o, 'up', now, `${p.address} answered ${o.successes} probe${o.successes === 1 ? '' : 's'} in a row`);
      }
    } else {
      o.failed++;
      o.failures++;
      o.successes = 0;
      if (o.state === 'up' && o.failures >= p.threshold) {
        this.change(o, 'down', now, `${p.address} did not answer ${o.failures} probe${o.failures === 1 ? '' : 's'} in a row (timeout ${p.timeout} s${p.interface ? `, via ${p.interface}` : ''})`);
      }
    }
  }

  view(): TrackView[] {
    return [...this.objects.values()].map((o) => ({
      id: o.cfg.id, type: o.cfg.probe ? 'probe' : 'stub', state: o.state, since: o.since, changes: o.changes,
      ...(o.cfg.description ? { description: o.cfg.description } : {}),
      ...(o.cfg.probe ? {
        probe: {
          ...o.cfg.probe, sent: o.sent, ok: o.ok, failed: o.failed, consecutiveFailures: o.failures, consecutiveSuccesses: o.successes,
          ...(o.lastResult ? { lastResult: o.lastResult } : {}), ...(o.lastRttMs !== undefined ? { lastRttMs: o.lastRttMs } : {}),
        },
      } : {}),
    }));
  }

  private schedule(o: TrackObject, at: number): void {
    this.timers.set(`probe:${o.cfg.id}`, at, (t) => this.sendProbe(o, t));
  }

  private sendProbe(o: TrackObject, now: number): void {
    const p = o.cfg.probe!;
    // A probe still unanswered when the next is due counts as failed (the shell's ping timed out late).
    if (o.outstanding !== undefined) this.probeResult(o.outstanding, false, now);
    const probeId = ++this.probeIds;
    o.outstanding = probeId;
    o.sent++;
    this.probes.set(probeId, o.cfg.id);
    this.actions.push({ type: 'probe', track: o.cfg.id, probeId, address: p.address, ...(p.interface ? { interface: p.interface } : {}), timeoutMs: p.timeout * 1000 });
    this.schedule(o, now + p.interval * 1000);
  }

  private change(o: TrackObject, state: TrackState, now: number, why: string): boolean {
    if (o.state === state) return false;
    o.state = state;
    o.since = now;
    o.changes++;
    this.actions.push({
      type: 'event',
      event: {
        time: now, type: 'track', text: `%TRACK-6-STATE: ${o.cfg.id}${o.cfg.description ? ` (${o.cfg.description})` : ''} ${state === 'up' ? 'Down -> Up' : 'Up -> Down'}: ${why}`,
        data: { track: o.cfg.id, state, reason: why },
      },
    });
    for (const l of this.listeners) l(o.cfg.id, state, now);
    return true;
  }
}
