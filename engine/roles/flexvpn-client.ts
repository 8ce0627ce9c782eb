// The IOS FlexVPN client (`crypto ikev2 client flexvpn NAME`, seed S0 "Configuring the FlexVPN
// Client", seed-features.md F-CLI-02..09, F-CLI-12, F-CLI-17), sans-IO and deterministic: it decides
// which peer each client block connects to, and when, from IKE events, track object changes, name
// resolution results, commands and time; the IKE engine does the connecting. Every decision is an
// event (the IOS "event trace"), so a report tells a failover step by step.
//
// The gateway list (F-CLI-04): static peers by sequence number, and the list downloaded in the
// configuration reply (Cisco Unity backup servers) inserted right after the peer it came from. A
// failed peer hands over to the next entry; leaving the downloaded block (every downloaded peer
// failed) deletes it; connecting to a static peer installs that peer's downloaded list in place of
// the old one (connecting to a downloaded peer keeps the list). Peers are chosen among "possible"
// peers (their track object in the configured state, F-CLI-06); a backup group (F-CLI-09) skips a
// peer that another client of the group already has (or is setting up) a session with. FQDN peers
// are resolved at each selection (F-CLI-12).
//
// Activation (F-CLI-02/03): `connect auto` starts at once and, when every peer failed, starts over
// after `retryDelay`, forever; `connect manual` walks the list once per connect command (no wrap
// around: afterwards it waits for the command again); `connect track N up|down` is active while the
// object is in that state (passes repeat like auto) and disconnects when it leaves it (dial backup).

import type { ConnectionConfig } from '../ike/engine.ts';
import type { IkeEvent, IkeEventType } from '../ike/actions.ts';
import type { Ikev2Profile } from '../ike/config.ts';
import { SansIoCore } from '../util/sans-io-core.ts';
import { ipFamily } from '../util/ip.ts';
import type { TrackState } from './track.ts';

export interface ClientPeerConfig {
  /** `peer SEQ ...`: lower is preferred. */
  seq: number;
  /** A label for events and show output (default the address or name). */
  name?: string;
  address?: string;
  fqdn?: string;
  /** `fqdn NAME ipv6`: resolve AAAA instead of A. */
  ipv6?: boolean;
  /** `track N [up|down]`: the peer is possible while the object is in this state. */
  track?: { id: string; state: TrackState };
}

export type ConnectMode = { mode: 'auto' } | { mode: 'manual' } | { mode: 'track'; track: string; state: TrackState };

export interface ClientConfig {
  /** The client block's name; also the IKE connection name. */
  name: string;
  peers: ClientPeerConfig[];
  connect: ConnectMode;
  /** `peer reactivate` (F-CLI-07). */
  reactivate: boolean;
  /** `backup group N|default` (F-CLI-09). */
  backupGroup?: string;
  /** Seconds between two passes over the gateway list (auto and track modes). */
  retryDelay: number;
  /** IKE port of the peers (500). */
  port: number;
  profile: Ikev2Profile;
  /** Our IKE address per family (a peer of a family we have no address in is skipped). */
  local: { 4?: string; 6?: string };
  childName?: string;
}

/** What the role needs from the IKE engine (IkeEngine implements it). */
export interface ClientIke {
  initiate(conn: ConnectionConfig, now: number): number;
  releaseConnection(name: string, now: number, reason: string): number | undefined;
}

export type ClientAction =
  | { type: 'resolve'; requestId: number; client: string; name: string; family: 4 | 6 }
  | { type: 'event'; event: IkeEvent };

export type ClientPhase = 'idle' | 'resolving' | 'connecting' | 'connected' | 'waiting';

/** Why a client (re)selects a peer or stops: one word per trigger of F-CLI-02/03/05/07. */
export type ClientTrigger =
  | 'activate' | 'connect' | 'retry' | 'liveness' | 'ike-timeout' | 'auth' | 'negotiation' | 'dns' | 'track-down'
  | 'peer-cleared' | 'local-clear' | 'sa-lost' | 'reactivate' | 'deactivate' | 'disconnect';

export interface GatewayView {
  index: number;
  seq?: number;
  name: string;
  address?: string;
  fqdn?: string;
  resolved?: string;
  origin: 'static' | 'downloaded';
  /** Downloaded entries: the peer whose configuration reply carried them. */
  from?: string;
  track?: { id: string; want: TrackState; state?: TrackState };
  possible: boolean;
  active: boolean;
  lastResult?: string;
}

export interface ClientView {
  name: string;
  connect: string;
  active: boolean;
  phase: ClientPhase;
  reactivate: boolean;
  backupGroup?: string;
  peer?: { name: string; address?: string; origin: 'static' | 'downloaded'; since?: number };
  ikeSaId?: number;
  attempts: number;
  list: GatewayView[];
  downloaded?: { from: string; gateways: string[] };
  decisions: Array<{ time: number; type: string; text: string }>;
}

interface Gateway {
  key: string;
  origin: 'static' | 'downloaded';
  seq?: number;
  name: string;
  address?: string;
  fqdn?: string;
  family?: 4 | 6;
  track?: { id: string; state: TrackState };
  from?: string;
  resolved?: string;
  lastResult?: string;
}

interface Client {
  cfg: ClientConfig;
  statics: Gateway[];
  downloaded?: { from: string; fromName: string; gateways: Gateway[] };
  phase: ClientPhase;
  active: boolean;
  current?: Gateway;
  /** Index of `current` when it was chosen (where to go on if it left the list meanwhile). */
  cursor: number;
  address?: string;
  saId?: number;
  resolveId?: number;
  /** The reason the peer being resolved was chosen, for its selection event. */
  pendingWhy?: string;
  /** Failures seen for an SA before its deletion (auth-failed, ike-failed). */
  failures: Map<number, { kind: 'auth' | 'negotiation'; text: string }>;
  /** Backup gateways of the configuration reply, per SA, until it is established. */
  configs: Map<number, string[]>;
  since?: number;
  attempts: number;
  decisions: Array<{ time: number; type: string; text: string }>;
}

/** Deletions we (or the daemon) asked for: not a reason to move to another peer. */
const LOCAL_REASONS = new Set(['cleared', 'terminated by command', 'deleted by command', 'connection down', 'lifetime expired']);
const RESOLVE_GUARD_MS = 10_000;

export class FlexvpnClients extends SansIoCore<ClientAction> {
  private readonly clients = new Map<string, Client>();
  private resolveIds = 0;

  constructor(
    configs: ClientConfig[],
    private readonly ike: ClientIke,
    private readonly trackState: (id: string) => TrackState | undefined,
    now: number,
  ) {
    super();
    this.now = now;
    for (const cfg of configs) {
      if (this.clients.has(cfg.name)) throw new Error(`FlexVPN client "${cfg.name}" is defined twice`);
      const statics = [...cfg.peers].sort((a, b) => a.seq - b.seq).map((p): Gateway => ({
        key: `static:${p.seq}`, origin: 'static', seq: p.seq, name: p.name ?? p.address ?? p.fqdn ?? `peer ${p.seq}`,
        ...(p.address ? { address: p.address } : {}), ...(p.fqdn ? { fqdn: p.fqdn, family: p.ipv6 ? 6 as const : 4 as const } : {}),
        ...(p.track ? { track: p.track } : {}),
      }));
      this.clients.set(cfg.name, { cfg, statics, phase: 'idle', active: false, cursor: 0, failures: new Map(), configs: new Map(), attempts: 0, decisions: [] });
    }
  }

  // ================================================================================ shell interface

  /** Activates the `connect auto` clients and the `connect track` ones whose object is in state. */
  start(now: number): void {
    this.now = now;
    for (const c of this.clients.values()) {
      const m = c.cfg.connect;
      if (m.mode === 'auto') this.activate(c, 'activate', 'connect auto', now);
      else if (m.mode === 'track' && this.trackState(m.track) === m.state) this.activate(c, 'activate', `connect track ${m.track} ${m.state}: the object is ${m.state}`, now);
      else {
        this.emit(c, 'client-state', m.mode === 'manual'
          ? `${c.cfg.name}: connect manual: waiting for "crypto ikev2 client flexvpn connect ${c.cfg.name}"`
          : `${c.cfg.name}: connect track ${m.track} ${m.state}: waiting for the object to go ${m.state}`, { phase: 'idle' });
      }
    }
  }

  /** Stops every client quietly (the daemon is going away and deletes the SAs itself). */
  stop(): void {
    for (const c of this.clients.values()) {
      c.phase = 'idle';
      c.active = false;
    }
    for (const name of this.clients.keys()) this.cancelTimers(name);
  }

  /** Feeds an event of the IKE engine. */
  handleIkeEvent(e: IkeEvent, now: number): void {
    this.now = now;
    const id = e.ikeSaId;
    if (id === undefined) return;
    if (e.type === 'ike-rekeyed') {
      const old = e.data?.['old'];
      for (const c of this.clients.values()) if (c.saId === old) c.saId = id;
      return;
    }
    const c = this.clientOfSa(id);
    if (!c) return;
    switch (e.type) {
      case 'config-received': c.configs.set(id, (e.data?.['backupGateways'] as string[] | undefined) ?? []); break;
      case 'auth-failed': c.failures.set(id, { kind: 'auth', text: e.text }); break;
      case 'ike-failed': if (!e.data?.['rekey']) c.failures.set(id, { kind: 'negotiation', text: e.text }); break;
      case 'ike-established': if (c.phase === 'connecting') this.connected(c, id, now); break;
      case 'ike-deleted':
        if (e.data?.['replacedBy'] === undefined) this.lost(c, id, String(e.data?.['reason'] ?? 'deleted'), e.data?.['established'] === true, now);
        break;
      default: break;
    }
  }

  /** A track object changed (TrackTable listener). */
  trackChanged(id: string, state: TrackState, now: number): void {
    this.now = now;
    for (const c of this.clients.values()) {
      const m = c.cfg.connect;
      if (m.mode === 'track' && m.track === id) {
        if (state === m.state && !c.active) {
          this.activate(c, 'activate', `track ${id} is ${state}: connect track ${id} ${m.state} activates the client`, now);
          continue;
        }
        if (state !== m.state && c.active) {
          this.trigger(c, 'deactivate', `track ${id} is ${state}: connect track ${id} ${m.state} deactivates the client`, now);
          this.halt(c, `deactivated (track ${id} ${state})`, now);
          continue;
        }
      }
      const affected = this.list(c).filter((g) => g.track?.id === id);
      if (!affected.length) continue;
      for (const g of affected) {
        const possible = g.track!.state === state;
        this.emit(c, 'client-list', `${c.cfg.name}: peer ${label(g)} is ${possible ? 'a possible peer again' : 'no longer a possible peer'} (track ${id} ${state}, wants ${g.track!.state})`,
          { change: possible ? 'possible' : 'not-possible', peer: g.name, track: id, state, list: this.listNames(c) });
      }
      if (!c.active) continue;
      const cur = c.current;
      const curIdx = cur ? this.list(c).indexOf(cur) : -1;
      // The peer in use is no longer possible (F-CLI-05): move on.
      if (cur && (c.phase === 'connecting' || c.phase === 'connected' || c.phase === 'resolving') && cur.track?.id === id && !this.possible(cur)) {
        this.trigger(c, 'track-down', `peer ${label(cur)} is no longer a possible peer: track ${id} is ${state}`, now);
        this.moveOn(c, `${label(cur)} is no longer possible (track ${id} ${state})`, now);
        continue;
      }
      // peer reactivate (F-CLI-07): a higher-priority static peer with a track is possible again.
      if (c.cfg.reactivate) {
        const limit = curIdx >= 0 && c.phase !== 'waiting' ? curIdx : Infinity;
        const better = this.list(c).find((g, i) => i < limit && g.origin === 'static' && g.track?.id === id && this.possible(g));
        if (better) {
          this.trigger(c, 'reactivate', `peer ${label(better)} (seq ${better.seq}) is possible again (track ${id} ${state}): peer reactivate${cur && c.phase !== 'waiting' ? ` drops ${label(cur)}` : ''}`, now);
          this.release(c, 'peer reactivate', now);
          this.select(c, 0, now, `peer reactivate: ${label(better)} is possible again`);
        }
      }
    }
  }

  /** The answer to a `resolve` action: addresses, or why there are none. */
  resolved(requestId: number, result: { addresses: string[] } | { error: string }, now: number): void {
    this.now = now;
    const c = [...this.clients.values()].find((x) => x.resolveId === requestId && x.phase === 'resolving');
    if (!c || !c.current) return;
    c.resolveId = undefined;
    this.timers.cancel(`resolve:${c.cfg.name}`);
    const g = c.current;
    const why = c.pendingWhy ?? 'next peer';
    const addr = 'addresses' in result ? result.addresses.find((a) => ipFamily(a) === g.family) : undefined;
    if (!addr) {
      const err = 'error' in result ? result.error : `no ${g.family === 6 ? 'AAAA' : 'A'} record`;
      g.resolved = undefined;
      g.lastResult = `DNS: ${err}`;
      this.trigger(c, 'dns', `name resolution of ${g.fqdn} (peer ${label(g)}) failed: ${err}`, now);
      this.moveOn(c, `${g.fqdn} did not resolve`, now);
      return;
    }
    g.resolved = addr;
    const holder = this.groupHolder(c, addr);
    if (holder) {
      this.skip(c, g, 'backup-group', `backup group ${c.cfg.backupGroup}: client ${holder.cfg.name} already has a session with ${addr}`, now);
      this.moveOn(c, `${label(g)} is taken by ${holder.cfg.name}`, now, false);
      return;
    }
    this.dial(c, g, addr, `${why}; ${g.fqdn} resolved to ${addr}`, now);
  }

  /** `crypto ikev2 client flexvpn connect NAME` (every client when no name). */
  connect(name: string | undefined, now: number): string[] {
    this.now = now;
    const out: string[] = [];
    for (const c of this.pick(name)) {
      if (c.active && c.phase !== 'idle') {
        out.push(`${c.cfg.name}: already ${c.phase}`);
        continue;
      }
      this.activate(c, 'connect', 'crypto ikev2 client flexvpn connect', now);
      out.push(`${c.cfg.name}: connecting`);
    }
    return out;
  }

  /** `clear crypto ikev2 client flexvpn connect NAME`: disconnects and stays down until `connect`. */
  disconnect(name: string | undefined, now: number): string[] {
    this.now = now;
    const out: string[] = [];
    for (const c of this.pick(name)) {
      this.trigger(c, 'disconnect', 'clear crypto ikev2 client flexvpn connect', now);
      this.halt(c, 'disconnected by command', now);
      out.push(`${c.cfg.name}: disconnected`);
    }
    return out;
  }

  // ================================================================================ queries

  /** The client block an IKE SA belongs to (the one currently using it). */
  clientOfSa(id: number): Client | undefined {
    for (const c of this.clients.values()) if (c.saId === id) return c;
    return undefined;
  }

  clientNameOfSa(id: number): string | undefined {
    return this.clientOfSa(id)?.cfg.name;
  }

  names(): string[] {
    return [...this.clients.keys()];
  }

  view(): ClientView[] {
    return [...this.clients.values()].map((c) => {
      const list = this.list(c);
      const m = c.cfg.connect;
      return {
        name: c.cfg.name, connect: m.mode === 'track' ? `track ${m.track} ${m.state}` : m.mode, active: c.active, phase: c.phase,
        reactivate: c.cfg.reactivate, ...(c.cfg.backupGroup ? { backupGroup: c.cfg.backupGroup } : {}),
        ...(c.current && c.phase !== 'idle' && c.phase !== 'waiting' ? { peer: { name: c.current.name, ...(c.address ? { address: c.address } : {}), origin: c.current.origin, ...(c.since !== undefined && c.phase === 'connected' ? { since: c.since } : {}) } } : {}),
        ...(c.saId !== undefined ? { ikeSaId: c.saId } : {}),
        attempts: c.attempts,
        list: list.map((g, index) => ({
          index, ...(g.seq !== undefined ? { seq: g.seq } : {}), name: g.name, ...(g.address ? { address: g.address } : {}), ...(g.fqdn ? { fqdn: g.fqdn } : {}),
          ...(g.resolved ? { resolved: g.resolved } : {}), origin: g.origin, ...(g.from ? { from: this.list(c).find((x) => x.key === g.from)?.name ?? g.from } : {}),
          ...(g.track ? { track: { id: g.track.id, want: g.track.state, ...(this.trackState(g.track.id) ? { state: this.trackState(g.track.id)! } : {}) } } : {}),
          possible: this.possible(g), active: g === c.current && c.phase !== 'idle' && c.phase !== 'waiting', ...(g.lastResult ? { lastResult: g.lastResult } : {}),
        })),
        ...(c.downloaded ? { downloaded: { from: c.downloaded.fromName, gateways: c.downloaded.gateways.map((g) => g.name) } } : {}),
        decisions: c.decisions.slice(-20),
      };
    });
  }

  // ================================================================================ decisions

  private pick(name: string | undefined): Client[] {
    if (name === undefined) return [...this.clients.values()];
    const c = this.clients.get(name);
    if (!c) throw new Error(`no FlexVPN client "${name}" (configured: ${[...this.clients.keys()].join(', ')})`);
    return [c];
  }

  /** The gateway list: static peers by sequence number, the downloaded list after its origin. */
  private list(c: Client): Gateway[] {
    const out: Gateway[] = [];
    for (const s of c.statics) {
      out.push(s);
      if (c.downloaded?.from === s.key) out.push(...c.downloaded.gateways);
    }
    return out;
  }

  private listNames(c: Client): string[] {
    return this.list(c).map((g) => `${g.name}${g.origin === 'downloaded' ? '*' : ''}${this.possible(g) ? '' : '(x)'}`);
  }

  /** Peers without a track object, downloaded ones included, are always possible (F-CLI-06). */
  private possible(g: Gateway): boolean {
    return !g.track || this.trackState(g.track.id) === g.track.state;
  }

  private activate(c: Client, trigger: ClientTrigger, why: string, now: number): void {
    c.active = true;
    this.cancelTimers(c.cfg.name);
    this.trigger(c, trigger, why, now);
    this.select(c, 0, now, why);
  }

  /** Disconnects and deactivates. */
  private halt(c: Client, why: string, now: number): void {
    this.release(c, why, now);
    c.active = false;
    c.phase = 'idle';
    c.current = undefined;
    c.address = undefined;
    this.cancelTimers(c.cfg.name);
    this.emit(c, 'client-state', `${c.cfg.name}: idle (${why})`, { phase: 'idle' });
  }

  /** Lets go of the SA in use (deleted in the background) and of a pending resolution. */
  private release(c: Client, why: string, now: number): void {
    if (c.saId !== undefined) {
      this.ike.releaseConnection(c.cfg.name, now, why);
      if (c.current) c.current.lastResult = `released (${why})`;
    }
    c.saId = undefined;
    c.resolveId = undefined;
    this.timers.cancel(`resolve:${c.cfg.name}`);
  }

  private cancelTimers(name: string): void {
    this.timers.cancel(`list:${name}`);
    this.timers.cancel(`retry:${name}`);
    this.timers.cancel(`resolve:${name}`);
  }

  /** The current peer is done with (failed, cleared, no longer possible): the next entry's turn. */
  private moveOn(c: Client, why: string, now: number, releaseSa = true): void {
    if (releaseSa) this.release(c, why, now);
    const cur = c.current;
    const idx = cur ? this.list(c).indexOf(cur) : -1;
    this.select(c, idx >= 0 ? idx + 1 : c.cursor + 1, now, `next peer after ${why}`);
  }

  /**
   * Walks the gateway list from `from` to the first possible peer (F-CLI-05) and connects to it
   * (resolving it first if it is a name). Leaving the downloaded block deletes it (F-CLI-04).
   */
  private select(c: Client, from: number, now: number, why: string): void {
    let list = this.list(c);
    let i = from;
    for (let guard = 0; guard < 1000; guard++) {
      // Every downloaded peer was tried (or skipped): on to the next static peer, list deleted.
      if (c.downloaded && i > 0 && list[i - 1]?.origin === 'downloaded' && (i >= list.length || list[i]!.origin === 'static')) {
        const next = list[i];
        const gone = c.downloaded;
        c.downloaded = undefined;
        this.emit(c, 'client-list', `${c.cfg.name}: every peer of the list downloaded from ${gone.fromName} (${gone.gateways.map((g) => g.name).join(', ')}) failed: the downloaded list is deleted`,
          { change: 'deleted', from: gone.fromName, gateways: gone.gateways.map((g) => g.name), list: this.listNames(c) });
        list = this.list(c);
        i = next ? list.indexOf(next) : list.length;
      }
      if (i >= list.length) break;
      const g = list[i]!;
      if (!this.possible(g)) {
        this.skip(c, g, 'not-possible', `not a possible peer: track ${g.track!.id} is ${this.trackState(g.track!.id) ?? 'unknown'} (wants ${g.track!.state})`, now);
        i++;
        continue;
      }
      c.current = g;
      c.cursor = i;
      if (g.fqdn) {
        // Names are resolved at each selection (F-CLI-12); the walk goes on with the answer.
        c.phase = 'resolving';
        c.pendingWhy = why;
        c.address = undefined;
        const requestId = ++this.resolveIds;
        c.resolveId = requestId;
        this.actions.push({ type: 'resolve', requestId, client: c.cfg.name, name: g.fqdn, family: g.family ?? 4 });
        this.emit(c, 'client-state', `${c.cfg.name}: resolving ${g.fqdn} (peer ${label(g)}, ${g.family === 6 ? 'AAAA' : 'A'})`, { phase: 'resolving', peer: g.name, fqdn: g.fqdn });
        this.timers.set(`resolve:${c.cfg.name}`, now + RESOLVE_GUARD_MS, (t) => this.resolved(requestId, { error: `no answer within ${RESOLVE_GUARD_MS / 1000} s` }, t));
        return;
      }
      const holder = this.groupHolder(c, g.address!);
      if (holder) {
        this.skip(c, g, 'backup-group', `backup group ${c.cfg.backupGroup}: client ${holder.cfg.name} already has a session with ${g.address}`, now);
        i++;
        continue;
      }
      if (!c.cfg.local[ipFamily(g.address!) === 6 ? 6 : 4]) {
        this.skip(c, g, 'no-local-address', `no local IPv${ipFamily(g.address!)} address to reach ${g.address} from`, now);
        i++;
        continue;
      }
      this.dial(c, g, g.address!, why, now);
      return;
    }
    this.exhausted(c, list.length, now);
  }

  private dial(c: Client, g: Gateway, address: string, why: string, now: number): void {
    const family = ipFamily(address) === 6 ? 6 : 4;
    const local = c.cfg.local[family];
    if (!local) {
      this.skip(c, g, 'no-local-address', `no local IPv${family} address to reach ${address} from`, now);
      this.moveOn(c, `${label(g)} is unreachable from here`, now, false);
      return;
    }
    c.phase = 'connecting';
    c.current = g;
    c.address = address;
    c.attempts++;
    const idx = this.list(c).indexOf(g);
    this.emit(c, 'client-peer-selected', `${c.cfg.name}: peer ${label(g)}${g.name !== address ? ` (${address})` : ''} selected: ${why}`, {
      peer: g.name, address, index: idx, origin: g.origin, ...(g.seq !== undefined ? { seq: g.seq } : {}), ...(g.from ? { from: this.nameOfKey(c, g.from) } : {}), reason: why,
      list: this.listNames(c),
    }, `${address}:${c.cfg.port}`);
    c.saId = this.ike.initiate({
      name: c.cfg.name, profile: c.cfg.profile, local: { address: local, port: 500 }, remote: { address, port: c.cfg.port }, auto: false,
      ...(c.cfg.childName ? { childName: c.cfg.childName } : {}),
    }, now);
  }

  private connected(c: Client, id: number, now: number): void {
    const g = c.current!;
    c.phase = 'connected';
    c.since = now;
    g.lastResult = 'connected';
    this.emit(c, 'client-state', `${c.cfg.name}: connected to peer ${label(g)}${g.name !== c.address ? ` (${c.address})` : ''}, IKE SA ${id}`, { phase: 'connected', peer: g.name, address: c.address, ikeSaId: id }, `${c.address}:${c.cfg.port}`);
    // The configuration reply is reported right after the establishment (same IKE_AUTH response):
    // the list rule runs once every event of that response is in.
    this.timers.set(`list:${c.cfg.name}`, now, () => this.applyDownloadedList(c, id));
  }

  /** F-CLI-04: what the backup gateway list of a newly connected peer does to the gateway list. */
  private applyDownloadedList(c: Client, id: number): void {
    if (c.saId !== id || c.phase !== 'connected' || !c.current) return;
    const g = c.current;
    const pushed = c.configs.get(id) ?? [];
    c.configs.clear();
    if (g.origin === 'downloaded') {
      // A peer of the downloaded list: the list stays as it is (F-CLI-04).
      if (pushed.length) {
        this.emit(c, 'client-list', `${c.cfg.name}: ${label(g)} is in the list downloaded from ${c.downloaded?.fromName}: the list it sends (${pushed.join(', ')}) is not used`,
          { change: 'kept', from: c.downloaded?.fromName, ignored: pushed, list: this.listNames(c) });
      }
      return;
    }
    const before = c.downloaded;
    if (pushed.length) {
      if (before && before.from === g.key && before.gateways.map((x) => x.name).join(',') === pushed.join(',')) return;
      c.downloaded = {
        from: g.key, fromName: g.name,
        gateways: pushed.map((p, k): Gateway => {
          const isIp = ipFamily(p) !== 0;
          return { key: `dl:${g.key}:${k}:${p}`, origin: 'downloaded', name: p, from: g.key, ...(isIp ? { address: p } : { fqdn: p, family: 4 as const }) };
        }),
      };
      this.emit(c, 'client-list', before
        ? `${c.cfg.name}: connected to ${label(g)}, which is not in the downloaded list: its list (${pushed.join(', ')}) replaces the one from ${before.fromName} (${before.gateways.map((x) => x.name).join(', ')})`
        : `${c.cfg.name}: backup gateway list downloaded from ${label(g)} (${pushed.join(', ')}) inserted after it`,
      { change: before ? 'replaced' : 'inserted', from: g.name, gateways: pushed, ...(before ? { replaced: before.gateways.map((x) => x.name), replacedFrom: before.fromName } : {}), list: this.listNames(c) });
    } else if (before) {
      c.downloaded = undefined;
      this.emit(c, 'client-list', `${c.cfg.name}: connected to ${label(g)}, which sent no backup gateway list: the list downloaded from ${before.fromName} is deleted`,
        { change: 'deleted', from: before.fromName, gateways: before.gateways.map((x) => x.name), list: this.listNames(c) });
    }
  }

  /** The SA in use is gone: work out why, and what to do next. */
  private lost(c: Client, id: number, reason: string, established: boolean, now: number): void {
    if (id !== c.saId || (c.phase !== 'connecting' && c.phase !== 'connected')) return;
    const g = c.current!;
    const peer = `${label(g)}${g.name !== c.address ? ` (${c.address})` : ''}`;
    const failure = c.failures.get(id);
    c.failures.delete(id);
    c.configs.delete(id);
    c.saId = undefined;
    if (reason === 'daemon stopping') return;
    let trigger: ClientTrigger;
    let text: string;
    if (established) {
      if (reason === 'dpd-timeout' || reason === 'retransmit-timeout') {
        trigger = 'liveness';
        text = `peer ${peer} stopped answering ${reason === 'dpd-timeout' ? 'liveness checks (DPD)' : 'requests'}`;
      } else if (reason === 'deleted by peer') {
        trigger = 'peer-cleared';
        text = `peer ${peer} deleted the IKE SA (cleared on the peer)`;
      } else if (LOCAL_REASONS.has(reason)) {
        // Cleared here: a new selection from the top of the list.
        g.lastResult = `cleared (${reason})`;
        this.trigger(c, 'local-clear', `the IKE SA with ${peer} was deleted here (${reason})`, now);
        if (c.active) this.select(c, 0, now, `new selection after a local clear (${reason})`);
        else c.phase = 'idle';
        return;
      } else {
        trigger = 'sa-lost';
        text = `the IKE SA with ${peer} is gone: ${reason}`;
      }
    } else if (failure) {
      trigger = failure.kind;
      text = `IKE negotiation with ${peer} failed: ${failure.text}`;
    } else if (reason === 'retransmit-timeout') {
      trigger = 'ike-timeout';
      text = `IKE negotiation with ${peer} failed: no response`;
    } else {
      trigger = 'negotiation';
      text = `IKE negotiation with ${peer} failed: ${reason}`;
    }
    g.lastResult = text.replace(/^.*?: /, '');
    this.trigger(c, trigger, text, now);
    if (!c.active) {
      c.phase = 'idle';
      return;
    }
    this.moveOn(c, `${label(g)} failed (${trigger})`, now, false);
  }

  /** The end of the list: start over later (auto, track) or wait for a command (manual). */
  private exhausted(c: Client, size: number, now: number): void {
    c.current = undefined;
    c.address = undefined;
    c.saId = undefined;
    const manual = c.cfg.connect.mode === 'manual';
    if (manual || !c.active) {
      c.phase = 'idle';
      c.active = false;
      this.emit(c, 'client-state', `${c.cfg.name}: no peer left in the gateway list (${size} entr${size === 1 ? 'y' : 'ies'}): idle until "crypto ikev2 client flexvpn connect ${c.cfg.name}"`, { phase: 'idle', exhausted: true });
      return;
    }
    c.phase = 'waiting';
    const delay = c.cfg.retryDelay * 1000;
    this.emit(c, 'client-state', `${c.cfg.name}: every peer of the gateway list (${size} entr${size === 1 ? 'y' : 'ies'}) failed or was skipped: starting over in ${c.cfg.retryDelay} s`, { phase: 'waiting', exhausted: true, retryIn: c.cfg.retryDelay, list: this.listNames(c) });
    this.timers.set(`retry:${c.cfg.name}`, now + delay, (t) => {
      if (!c.active || c.phase !== 'waiting') return;
      this.trigger(c, 'retry', `retry delay (${c.cfg.retryDelay} s) over: a new pass over the gateway list`, t);
      this.select(c, 0, t, 'first possible peer of a new pass');
    });
  }

  private groupHolder(c: Client, address: string): Client | undefined {
    const group = c.cfg.backupGroup;
    if (group === undefined) return undefined;
    for (const o of this.clients.values()) {
      if (o === c || o.cfg.backupGroup !== group) continue;
      if ((o.phase === 'connecting' || o.phase === 'connected') && o.address === address) return o;
    }
    return undefined;
  }

  private skip(c: Client, g: Gateway, reason: string, text: string, now: number): void {
    g.lastResult = `skipped: ${text}`;
    this.emit(c, 'client-peer-skipped', `${c.cfg.name}: peer ${label(g)} skipped: ${text}`, { peer: g.name, reason, ...(g.address ?? g.resolved ? { address: g.address ?? g.resolved } : {}) },
      g.address ?? g.resolved ? `${g.address ?? g.resolved}:${c.cfg.port}` : undefined);
    void now;
  }

  private trigger(c: Client, trigger: ClientTrigger, text: string, now: number): void {
    void now;
    this.emit(c, 'client-trigger', `${c.cfg.name}: ${text}`, { trigger, ...(c.current ? { peer: c.current.name } : {}) }, c.address ? `${c.address}:${c.cfg.port}` : undefined);
  }

  private nameOfKey(c: Client, key: string): string {
    return c.statics.find((s) => s.key === key)?.name ?? key;
  }

  private emit(c: Client, type: IkeEventType, text: string, data: Record<string, unknown>, peer?: string): void {
    const event: IkeEvent = { time: this.now, type, text, ...(peer ? { peer } : {}), data: { client: c.cfg.name, ...data } };
    c.decisions.push({ time: this.now, type, text });
    if (c.decisions.length > 50) c.decisions.splice(0, c.decisions.length - 50);
    this.actions.push({ type: 'event', event });
  }
}

function label(g: Gateway): string {
  return g.origin === 'static' ? `${g.seq} ${g.name}` : `${g.name} (downloaded)`;
}
