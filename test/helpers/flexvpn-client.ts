// An in-memory FlexVPN client lab: a client engine driven by the FlexVPN client role, any number of
// hub engines, track objects and a name table, all on one virtual network and one virtual clock.
// The loop is the virtual network's, with the role's and the tracks' timers woven in.

import { IkeEngine } from '../../engine/ike/engine.ts';
import type { IkeEvent } from '../../engine/ike/actions.ts';
import type { AuthorizationAttributes } from '../../engine/aaa/authorization.ts';
import { seededRandom } from '../../engine/util/random.ts';
import { VirtualNetwork } from '../../engine/sim/virtual-network.ts';
import type { SimNode } from '../../engine/sim/virtual-network.ts';
import { FlexvpnClients } from '../../engine/roles/flexvpn-client.ts';
import type { ClientConfig, ClientPeerConfig, ConnectMode } from '../../engine/roles/flexvpn-client.ts';
import { TrackTable } from '../../engine/roles/track.ts';
import type { TrackConfig, TrackState } from '../../engine/roles/track.ts';
import { profile } from './ike.ts';
import type { ProfileOptions } from './ike.ts';

export const CLIENT_ADDR = '192.0.2.100';

export interface HubSpec {
  name: string;
  address: string;
  /** Backup gateways pushed in the configuration reply. */
  backupGateways?: string[];
  psk?: string;
  pool?: string;
}

export interface ClientSpec {
  name: string;
  peers: ClientPeerConfig[];
  connect?: ConnectMode;
  reactivate?: boolean;
  backupGroup?: string;
  retryDelay?: number;
  psk?: string;
}

export interface LabOptions {
  hubs: HubSpec[];
  clients: ClientSpec[];
  tracks?: TrackConfig[];
  /** Name table of the resolver: a name missing (or null) does not resolve. */
  names?: Record<string, string | null>;
  dpd?: { interval: number; retries: number };
  seed?: string;
}

const DPD = { interval: 2, retries: 3 };
const RETRANSMIT = { retransmitTimeout: 0.5, retransmitBase: 1.5, retransmitTries: 2 };

export class ClientLab {
  readonly net = new VirtualNetwork();
  readonly client: SimNode;
  readonly hubs = new Map<string, SimNode>();
  readonly role: FlexvpnClients;
  readonly tracks: TrackTable;
  /** The role's and the tracks' events, in order. */
  readonly decisions: IkeEvent[] = [];
  readonly names: Map<string, string | null>;
  /** Answers of the probes of probe-based tracks: address -> reachable. */
  readonly reachable = new Map<string, boolean>();
  private seen = 0;
  private readonly down = new Set<string>();

  constructor(o: LabOptions) {
    const seed = o.seed ?? 'flexclient';
    const dpd = o.dpd ?? DPD;
    this.names = new Map(Object.entries(o.names ?? {}));
    for (const h of o.hubs) {
      const policies: Record<string, AuthorizationAttributes> = {
        flex: { pool: h.pool ?? `10.${this.hubs.size + 1}.0.0/24`, routeSetPrefixes: ['192.168.100.0/24'], backupGateways: h.backupGateways, routeAccept: {} },
      };
      const p = profile({
        identity: { type: 'fqdn', value: `${h.name}.flexlab.test` }, psk: h.psk, dpd: { ...dpd, mode: 'periodic' },
        configMode: { pool: h.pool ?? `10.${this.hubs.size + 1}.0.0/24` }, authorization: { group: { source: 'local', policy: 'flex' } },
      });
      const engine = new IkeEngine({ name: h.name, random: seededRandom(`${seed}-${h.name}`), profiles: [p], settings: { authorizationPolicies: policies, ...RETRANSMIT }, now: this.net.now });
      this.hubs.set(h.name, this.net.add(h.name, h.address, engine));
    }
    const cengine = new IkeEngine({ name: 'client', random: seededRandom(`${seed}-client`), profiles: [], settings: RETRANSMIT, now: this.net.now });
    this.client = this.net.add('client', CLIENT_ADDR, cengine);
    // Datagrams to or from a hub that is "down" are lost.
    this.net.addFilter((d) => (this.down.has(d.remote.address) || this.down.has(d.local.address) ? 'drop' : 'pass'));
    this.tracks = new TrackTable(o.tracks ?? [], this.net.now);
    const configs: ClientConfig[] = o.clients.map((c) => {
      const po: ProfileOptions = {
        identity: { type: 'fqdn', value: `${c.name}.client.flexlab.test` }, psk: c.psk, dpd: { ...dpd, mode: 'periodic' },
        configMode: { requestAddress: true }, vendorIds: [Buffer.from('FLEXVPN-SUPPORTED')],
      };
      return {
        name: c.name, peers: c.peers, connect: c.connect ?? { mode: 'auto' }, reactivate: c.reactivate ?? false,
        ...(c.backupGroup ? { backupGroup: c.backupGroup } : {}), retryDelay: c.retryDelay ?? 1, port: 500, profile: profile(po), local: { 4: CLIENT_ADDR },
      };
    });
    this.role = new FlexvpnClients(configs, cengine, (id) => this.tracks.state(id), this.net.now);
    this.tracks.subscribe((id, state, now) => this.role.trackChanged(id, state, now));
  }

  hub(name: string): SimNode {
    const h = this.hubs.get(name);
    if (!h) throw new Error(`no hub ${name}`);
    return h;
  }

  addressOf(name: string): string {
    return this.hub(name).address;
  }

  /** The hub stops answering (and sending): a blackhole. */
  kill(name: string): void {
    this.down.add(this.addressOf(name));
  }

  revive(name: string): void {
    this.down.delete(this.addressOf(name));
  }

  start(): void {
    this.role.start(this.net.now);
    this.pump();
  }

  setTrack(id: string, state: TrackState): void {
    this.tracks.set(id, state, this.net.now);
    this.pump();
  }

  /** Feeds the client engine's events to the role and performs the role's and tracks' actions. */
  pump(): void {
    for (let k = 0; k < 1000; k++) {
      this.net.flush();
      let progress = false;
      const evs = this.client.events.slice(this.seen);
      this.seen = this.client.events.length;
      for (const e of evs) {
        this.role.handleIkeEvent(e, this.net.now);
        progress = true;
      }
      for (const a of this.tracks.pollActions()) {
        progress = true;
        if (a.type === 'event') this.decisions.push(a.event);
        else {
          const ok = this.reachable.get(a.address) ?? true;
          const id = a.probeId;
          this.net.later(ok ? 1 : a.timeoutMs, () => this.tracks.probeResult(id, ok, this.net.now, ok ? 1 : undefined));
        }
      }
      for (const a of this.role.pollActions()) {
        progress = true;
        if (a.type === 'event') this.decisions.push(a.event);
        else {
          const v = this.names.get(a.name);
          const id = a.requestId;
          this.net.later(1, () => this.role.resolved(id, v ? { addresses: [v] } : { error: `${a.name}: NXDOMAIN` }, this.net.now));
        }
      }
      if (!progress) return;
    }
  }

  /** Runs until `done()` holds or `maxMs` of virtual time passed. */
  runUntil(done: () => boolean, maxMs = 120_000): boolean {
    const limit = this.net.now + maxMs;
    for (let i = 0; i < 1_000_000; i++) {
      this.pump();
      if (done()) return true;
      const timers = [this.role.pollTimeout(), this.tracks.pollTimeout()].filter((x): x is number => x !== undefined);
      const t = timers.length ? Math.min(...timers) : undefined;
      if (this.net.step(Math.min(limit, t ?? Infinity))) continue;
      if (t !== undefined && t <= limit) {
        this.net.now = Math.max(this.net.now, t);
        this.role.handleTimeout(this.net.now);
        this.tracks.handleTimeout(this.net.now);
        continue;
      }
      this.net.now = limit;
      this.pump();
      return done();
    }
    return done();
  }

  advance(ms: number): void {
    this.runUntil(() => false, ms);
  }

  view(name: string) {
    const v = this.role.view().find((c) => c.name === name);
    if (!v) throw new Error(`no client ${name}`);
    return v;
  }

  /** The peer (hub name) a client is connected to, if any. */
  connectedTo(name: string): string | undefined {
    const v = this.view(name);
    if (v.phase !== 'connected') return undefined;
    return [...this.hubs.values()].find((h) => h.address === v.peer?.address)?.name;
  }

  /** Runs until the client is connected to `hub`. */
  waitConnected(name: string, hub: string, maxMs = 60_000): boolean {
    const ok = this.runUntil(() => this.connectedTo(name) === hub && this.hubHasSa(hub), maxMs);
    // What the role does right after the connection (the downloaded list) happens too.
    if (ok) this.advance(5);
    return ok && this.connectedTo(name) === hub;
  }

  hubHasSa(hub: string): boolean {
    return this.hub(hub).engine.ikeSas().some((s) => s.status === 'READY' && s.children.length > 0);
  }

  /** The hub names of the client's successive peer selections (from `since`). */
  selections(name: string, since = 0): string[] {
    return this.decisions.filter((e) => e.type === 'client-peer-selected' && e.data?.['client'] === name && e.time >= since)
      .map((e) => [...this.hubs.values()].find((h) => h.address === e.data?.['address'])?.name ?? String(e.data?.['address']));
  }

  triggers(name: string, since = 0): string[] {
    return this.decisions.filter((e) => e.type === 'client-trigger' && e.data?.['client'] === name && e.time >= since).map((e) => String(e.data?.['trigger']));
  }

  decisionsOf(name: string, type: string, since = 0): IkeEvent[] {
    return this.decisions.filter((e) => e.type === type && e.data?.['client'] === name && e.time >= since);
  }
}
