// The I/O shell of the FlexVPN client role inside a node daemon: one persistent tunnel interface per
// client block (F-CLI-01), the role's and the track objects' timers, name resolution (`ip host`
// entries, then the name servers), reachability probes (ping), and what a connected tunnel does to
// the node: its address from the configuration reply, the pushed and static routes (with the
// block's metric), the default route of dual FlexVPN (one tunnel only, F-CLI-10), NAT of inside
// hosts to the tunnel address (F-CLI-14) and the split-DNS view (F-CLI-15). Control commands:
// client (show), client-connect, client-disconnect, track, tracks.
//
// A pushed default route goes into a table of its own (CLIENT_TABLE) behind policy rules, so the
// node's own default route (IKE and ESP to the servers, the probes, the name servers) stays:
// packets from the IKE address use the main table; other packets use the main table without its
// default route, then the tunnel's default.

import { execa } from 'execa';
import { Resolver } from 'node:dns/promises';
import type { ChildSaInstall, IkeEvent } from '../ike/actions.ts';
import type { IkeEngine } from '../ike/engine.ts';
import { FlexvpnClients } from '../roles/flexvpn-client.ts';
import { TrackTable } from '../roles/track.ts';
import type { ClientBlockSetup, ClientRoleSetup } from '../roles/client-config.ts';
import { SplitDnsProxy } from '../dns/proxy.ts';
import { ipFamily } from '../util/ip.ts';
import { DataPlane } from './dataplane.ts';
import type { Tunnel } from './dataplane.ts';
import type { EventLog } from './event-log.ts';
import type { ControlServer } from './control.ts';

export const CLIENT_TABLE = 200;
const RULE_PREF = 1000;

export interface ClientHost {
  node: string;
  engine: IkeEngine;
  dataplane: DataPlane;
  log: EventLog;
  control: ControlServer;
  localAddress: string;
  interfaces: Array<{ name: string; addresses: Array<{ family: 4 | 6; address: string; prefix: number }> }>;
  /** Performs the engine's pending actions (the daemon's pump). */
  pump(): void;
}

interface TunnelState {
  block: ClientBlockSetup;
  /** Serializes the interface changes of one tunnel (up and down may follow each other fast). */
  chain: Promise<void>;
  routes: string[];
  /** A default route was pushed on the current SA (installed, or refused while another tunnel has it). */
  defaultPushed: Set<4 | 6>;
  peer?: string;
  /** The IKE SA whose configuration the tunnel carries. */
  configuredFor?: number;
}

export class ClientRoleShell {
  readonly role: FlexvpnClients;
  readonly tracks: TrackTable;
  readonly proxy?: SplitDnsProxy;
  private readonly tunnels = new Map<string, TunnelState>();
  /** The block whose tunnel carries the default route, per family. */
  private readonly defaultHolder = new Map<4 | 6, string>();
  private readonly rulesDone = new Set<4 | 6>();
  private defaultOps: Promise<void> = Promise.resolve();
  private routeEvents: IkeEvent[] = [];
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;
  private stopped = false;

  constructor(private readonly setup: ClientRoleSetup, private readonly host: ClientHost) {
    const now = Date.now();
    this.tracks = new TrackTable(setup.tracks, now);
    this.role = new FlexvpnClients(setup.blocks.map((b) => b.role), host.engine, (id) => this.tracks.state(id), now);
    this.tracks.subscribe((id, state, t) => this.role.trackChanged(id, state, t));
    for (const b of setup.blocks) this.tunnels.set(b.role.name, { block: b, chain: Promise.resolve(), routes: [], defaultPushed: new Set() });
    if (setup.dnsProxy) {
      this.proxy = new SplitDnsProxy(setup.nameServers, { defaultSource: host.localAddress, log: (l) => host.log.info('info', l, { dns: true }, 'client') });
    }
  }

  async start(): Promise<void> {
    const h = this.host;
    for (const b of this.setup.blocks) {
      const first = b.role.peers.find((p) => p.address)?.address ?? h.localAddress;
      h.dataplane.tunnel({ key: b.role.name, ifname: b.tunnel.interface, mtu: b.tunnel.mtu, persistent: true }, { address: h.localAddress, port: 4500 }, { address: first, port: 4500 });
      // `ip nat outside` on the tunnel: what inside hosts send through it leaves with its address.
      // (Checked first: a restarted daemon finds the rule of its predecessor.)
      const rule = ['POSTROUTING', '-o', b.tunnel.interface, '-j', 'MASQUERADE'];
      if (b.nat && (await execa('iptables', ['-t', 'nat', '-C', ...rule], { reject: false })).exitCode !== 0) await this.run(['iptables', '-t', 'nat', '-A', ...rule]);
    }
    if (this.proxy) {
      const inside = this.insideAddresses();
      if (inside.length) {
        await this.proxy.listen(inside).catch((e: Error) => h.log.info('info', `split-DNS proxy cannot listen on ${inside.join(', ')}: ${e.message}`, undefined, 'client'));
      }
    }
    h.log.info('info', `FlexVPN client role: ${this.setup.blocks.map((b) => `${b.role.name} (${b.tunnel.interface}, connect ${b.role.connect.mode === 'track' ? `track ${b.role.connect.track} ${b.role.connect.state}` : b.role.connect.mode}, ${b.role.peers.length} peer${b.role.peers.length === 1 ? '' : 's'})`).join(', ')}`
      + `${this.setup.tracks.length ? `; track objects ${this.setup.tracks.map((t) => t.id).join(', ')}` : ''}${this.proxy?.listening ? '; split-DNS proxy on the inside interfaces' : ''}`,
    { clients: this.role.names() }, 'client');
    this.role.start(Date.now());
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.role.stop();
    this.proxy?.close();
  }

  // ------------------------------------------------------------------------------ daemon hooks

  /** Every event of the IKE engine (called from within the daemon's pump). */
  ikeEvent(e: IkeEvent): void {
    const tunnelOf = e.type === 'ike-deleted' && e.ikeSaId !== undefined && e.data?.['replacedBy'] === undefined
      ? this.host.dataplane.tunnelOfIkeSa(e.ikeSaId) : undefined;
    this.role.handleIkeEvent(e, Date.now());
    // An IKE rekey moves the session (and the tunnel configuration) to the new IKE SA.
    if (e.type === 'ike-rekeyed') for (const st of this.tunnels.values()) if (st.configuredFor === e.data?.['old']) st.configuredFor = e.ikeSaId;
    // The tunnel goes down with the SA that carries it (not with an older one let go meanwhile).
    if (tunnelOf && this.tunnels.has(tunnelOf.key)) this.tunnelDown(tunnelOf);
    this.drain();
    this.arm();
  }

  /** The tunnel of the client block that owns the SA of a new CHILD SA. */
  tunnelForChild(c: ChildSaInstall): Tunnel | undefined {
    const name = this.role.clientNameOfSa(c.ikeSaId);
    return name ? this.host.dataplane.tunnels.get(name) : undefined;
  }

  /**
   * A CHILD SA was installed on a client tunnel: the first one of a session configures the tunnel
   * (its address and routes come from that session's configuration reply). A new session can come
   * up while the one it replaces is still being deleted (a peer let go of after a track change or
   * for reactivation, still retransmitting its DELETE): the session, not the CHILD SA count, decides.
   */
  childInstalled(t: Tunnel, c: ChildSaInstall): void {
    const st = this.tunnels.get(t.key);
    if (!st || (t.up && st.configuredFor === c.ikeSaId)) return;
    st.configuredFor = c.ikeSaId;
    st.chain = st.chain.then(() => this.configureUp(st, t, c)).catch((e: Error) => this.host.log.info('info', `${t.ifname}: ${e.message}`, undefined, 'client'));
  }

  private tunnelDown(t: Tunnel): void {
    const st = this.tunnels.get(t.key)!;
    st.configuredFor = undefined;
    st.chain = st.chain.then(() => this.configureDown(st, t)).catch((e: Error) => this.host.log.info('info', `${t.ifname}: ${e.message}`, undefined, 'client'));
  }

  // ------------------------------------------------------------------------------ role I/O

  /** Performs what the role and the tracks asked for, and re-arms the timer. */
  private kick(): void {
    this.drain();
    this.host.pump();
    this.arm();
  }

  private drain(): void {
    for (let i = 0; i < 100; i++) {
      const ta = this.tracks.pollActions();
      const ra = this.role.pollActions();
      if (!ta.length && !ra.length) return;
      for (const a of ta) {
        if (a.type === 'event') this.emit(a.event);
        else void this.probe(a.probeId, a.address, a.interface, a.timeoutMs);
      }
      for (const a of ra) {
        if (a.type === 'event') this.emit(a.event);
        else void this.resolve(a.requestId, a.name, a.family);
      }
    }
  }

  private emit(e: IkeEvent): void {
    this.host.log.write(e, 'client');
    this.host.control.broadcast({ event: { ...e, node: this.host.node, source: 'client' } });
  }

  private arm(): void {
    if (this.stopped) return;
    const next = [this.role.pollTimeout(), this.tracks.pollTimeout()].filter((x): x is number => x !== undefined);
    const at = next.length ? Math.min(...next) : Infinity;
    if (at === this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    if (at === Infinity) return;
    this.timer = setTimeout(() => {
      this.timerAt = Infinity;
      const now = Date.now();
      this.role.handleTimeout(now);
      this.tracks.handleTimeout(now);
      this.kick();
    }, Math.max(0, at - Date.now()));
  }

  /** `ip host` entries first, then the name servers (from the IKE address: never through a tunnel). */
  private async resolve(requestId: number, name: string, family: 4 | 6): Promise<void> {
    let result: { addresses: string[] } | { error: string };
    const hosts = this.setup.hosts[name];
    if (hosts) {
      result = { addresses: hosts.filter((a) => ipFamily(a) === family) };
    } else if (!this.setup.nameServers.length) {
      result = { error: 'no name server configured' };
    } else {
      const r = new Resolver({ timeout: 1500, tries: 2 });
      r.setServers(this.setup.nameServers);
      if (ipFamily(this.host.localAddress) === 4) r.setLocalAddress(this.host.localAddress);
      else r.setLocalAddress(undefined, this.host.localAddress);
      try {
        result = { addresses: family === 6 ? await r.resolve6(name) : await r.resolve4(name) };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'ERROR';
        result = { error: `${code === 'ENOTFOUND' ? 'NXDOMAIN' : code === 'ENODATA' ? `no ${family === 6 ? 'AAAA' : 'A'} record` : code} (${this.setup.nameServers.join(', ')})` };
      }
    }
    if (this.stopped) return;
    this.role.resolved(requestId, result, Date.now());
    this.kick();
  }

  private async probe(probeId: number, address: string, iface: string | undefined, timeoutMs: number): Promise<void> {
    const argv = ['-n', '-q', '-c', '1', '-W', String(Math.max(0.1, timeoutMs / 1000)), ...(iface ? ['-I', iface] : []), address];
    const started = Date.now();
    const r = await execa('ping', argv, { reject: false, timeout: timeoutMs + 2000 });
    if (this.stopped) return;
    const ok = r.exitCode === 0;
    const rtt = /= [\d.]+\/([\d.]+)\//.exec(r.stdout)?.[1];
    this.tracks.probeResult(probeId, ok, Date.now(), rtt ? Number(rtt) : ok ? Date.now() - started : undefined);
    this.kick();
  }

  // ------------------------------------------------------------------------------ the tunnel

  private async configureUp(st: TunnelState, t: Tunnel, c: ChildSaInstall): Promise<void> {
    const h = this.host;
    const b = st.block;
    const sa = h.engine.ikeSa(c.ikeSaId)?.view(Date.now());
    const cfg = sa?.receivedConfig;
    const addresses: string[] = [];
    if (b.tunnel.address === 'negotiated') {
      if (cfg?.address4) addresses.push(`${cfg.address4}/32`);
      if (cfg?.address6) addresses.push(cfg.address6.includes('/') ? cfg.address6 : `${cfg.address6}/128`);
    } else addresses.push(b.tunnel.address);
    const routes = new Set<string>(DataPlane.selectorRoutes(c));
    if (b.routeAccept) for (const r of cfg?.subnets ?? []) routes.add(r);
    for (const r of b.routes) routes.add(r);
    const defaults: string[] = [...routes].filter((r) => r === '0.0.0.0/0' || r === '::/0');
    const specific = [...routes].filter((r) => !defaults.includes(r));
    t.routes = []; // routes are ours to manage (with the block's metric), not the data plane's
    await h.dataplane.configure(t, addresses, []);
    // A new session on a tunnel that was up (another peer took over): the old peer's routes go.
    for (const r of st.routes) {
      if (!specific.includes(r)) await this.run(['ip', ...(ipFamily(r.split('/')[0]!) === 6 ? ['-6'] : []), 'route', 'del', r, 'dev', t.ifname, 'metric', String(b.routeMetric)], true);
    }
    for (const r of specific) await this.ip(r, 'route', 'replace', r, 'dev', t.ifname, 'metric', String(b.routeMetric));
    st.routes = specific;
    st.peer = `${c.remote.address}`;
    st.defaultPushed = new Set(defaults.map((d) => (d === '::/0' ? 6 : 4)));
    const natMoved = this.releaseDefaults(st, t, [4, 6].filter((f) => !st.defaultPushed.has(f as 4 | 6)) as Array<4 | 6>, `${c.remote.address} pushes none`);
    for (const fam of st.defaultPushed) this.takeDefault(st, t, fam, `pushed by ${c.remote.address}`);
    this.refreshRoutes();
    await this.syncDefaults();
    for (const fam of natMoved) await this.run(['conntrack', '-D', '-f', fam === 6 ? 'ipv6' : 'ipv4'], true);
    const installed = [...t.routes];
    // Flows that went elsewhere while the tunnel was down keep their (absent) NAT binding in
    // conntrack: forget those now routed into the tunnel, so they are translated to its address.
    if (b.nat) for (const r of installed) await this.run(['conntrack', '-D', '-f', ipFamily(r.split('/')[0]!) === 6 ? 'ipv6' : 'ipv4', ...(r.endsWith('/0') ? [] : ['-d', r])], true);
    if (this.proxy && cfg && cfg.splitDns.length && cfg.dns.length) {
      this.proxy.setView({ owner: b.role.name, domains: cfg.splitDns, servers: cfg.dns });
      h.log.info('info', `${b.role.name}: split-DNS view ${cfg.splitDns.join(', ')} -> ${cfg.dns.join(', ')} (through ${t.ifname})`, { client: b.role.name, splitDns: cfg.splitDns, dns: cfg.dns }, 'client');
    }
    h.log.info('info', `%LINEPROTO-5-UPDOWN: Line protocol on Interface ${t.ifname}, changed state to up (${addresses.join(', ') || 'no address'}; routes ${installed.join(', ') || 'none'}; peer ${c.remote.address})`,
      { interface: t.ifname, addresses, routes: installed, ikeSaId: c.ikeSaId, event: 'tunnel-up', client: b.role.name, peer: c.remote.address });
  }

  private async configureDown(st: TunnelState, t: Tunnel): Promise<void> {
    const h = this.host;
    h.log.info('info', `%LINEPROTO-5-UPDOWN: Line protocol on Interface ${t.ifname}, changed state to down`, { interface: t.ifname, event: 'tunnel-down', client: st.block.role.name });
    await h.dataplane.down(t);
    st.routes = [];
    if (this.proxy?.clearView(st.block.role.name)) h.log.info('info', `${st.block.role.name}: split-DNS view removed`, { client: st.block.role.name }, 'client');
    st.defaultPushed.clear();
    const natMoved = this.releaseDefaults(st, t, [4, 6], 'tunnel down');
    this.refreshRoutes();
    await this.syncDefaults();
    // Flows to the default route now leave through another tunnel: they need new NAT bindings.
    for (const fam of natMoved) await this.run(['conntrack', '-D', '-f', fam === 6 ? 'ipv6' : 'ipv4'], true);
  }

  /**
   * The tunnel gives up the default routes it holds (of these families); the next connected tunnel
   * in configuration order whose server pushed one takes each over. Returns the families whose
   * default moved to a NAT tunnel (their flows need new NAT bindings).
   */
  private releaseDefaults(st: TunnelState, t: Tunnel, families: Array<4 | 6>, why: string): Set<4 | 6> {
    const natMoved = new Set<4 | 6>();
    for (const fam of families) {
      if (this.defaultHolder.get(fam) !== st.block.role.name) continue;
      this.defaultHolder.delete(fam);
      this.routeEvent(st, 'removed', fam, `default route via ${t.ifname} removed (${why})`);
      for (const o of [...this.tunnels.values()].sort((x, y) => this.order(x.block.role.name) - this.order(y.block.role.name))) {
        const ot = this.host.dataplane.tunnels.get(o.block.role.name);
        if (o !== st && ot?.up && o.defaultPushed.has(fam) && this.takeDefault(o, ot, fam, `taken over from ${st.block.role.name}`)) {
          if (o.block.nat) natMoved.add(fam);
          break;
        }
      }
    }
    return natMoved;
  }

  /** Each tunnel's route list (status, show): its own routes, and the default if it holds it. */
  private refreshRoutes(): void {
    for (const st of this.tunnels.values()) {
      const t = this.host.dataplane.tunnels.get(st.block.role.name);
      if (!t) continue;
      const held = [4, 6].filter((f) => this.defaultHolder.get(f as 4 | 6) === st.block.role.name).map((f) => (f === 4 ? '0.0.0.0/0' : '::/0'));
      t.routes = t.up ? [...st.routes, ...held] : [];
    }
  }

  /**
   * Makes the kernel's default routes match the decisions (one chain for the node: two tunnels
   * coming up together must not leave the route of the loser behind).
   */
  private syncDefaults(): Promise<void> {
    this.defaultOps = this.defaultOps.then(async () => {
      for (const fam of [4, 6] as const) {
        const holder = this.defaultHolder.get(fam);
        const dst = fam === 4 ? '0.0.0.0/0' : '::/0';
        if (!holder) {
          if (this.rulesDone.has(fam)) await this.run(['ip', fam === 6 ? '-6' : '-4', 'route', 'flush', 'table', String(CLIENT_TABLE)], true);
          continue;
        }
        await this.policyRules(fam);
        await this.ip(dst, 'route', 'replace', 'default', 'dev', this.tunnels.get(holder)!.block.tunnel.interface, 'table', String(CLIENT_TABLE));
      }
      const told = this.routeEvents;
      this.routeEvents = [];
      for (const e of told) this.emit(e);
    }).catch((e: Error) => this.host.log.info('info', `default route: ${e.message}`, undefined, 'client'));
    return this.defaultOps;
  }

  /**
   * Installs the tunnel's default route; only one tunnel of the node carries one (F-CLI-10). When
   * several servers push one, the block listed first in the configuration has it: a later block's
   * default is refused while an earlier one holds it, and an earlier block takes it from a later one.
   */
  private takeDefault(st: TunnelState, t: Tunnel, fam: 4 | 6, why: string): boolean {
    const name = st.block.role.name;
    if (!st.block.acceptDefault) {
      this.routeEvent(st, 'refused', fam, `default route ${why} refused on ${t.ifname}: default-route is off for client ${name}`);
      return false;
    }
    const holder = this.defaultHolder.get(fam);
    if (holder && holder !== name) {
      const hs = this.tunnels.get(holder)!;
      const ht = hs.block.tunnel.interface;
      if (this.order(holder) < this.order(name)) {
        this.routeEvent(st, 'refused', fam, `default route ${why} refused on ${t.ifname}: ${ht} (client ${holder}, listed first) carries the default route; only one FlexVPN tunnel may (F-CLI-10)`);
        return false;
      }
      this.routeEvent(hs, 'refused', fam, `default route via ${ht} withdrawn: ${t.ifname} (client ${name}, listed first) takes it; only one FlexVPN tunnel may carry it (F-CLI-10)`);
    }
    // Decided here, synchronously; syncDefaults() then puts it into the kernel.
    this.defaultHolder.set(fam, name);
    this.routeEvent(st, 'installed', fam, `default route via ${t.ifname} (${why})`);
    return true;
  }

  private order(name: string): number {
    return this.setup.blocks.findIndex((b) => b.role.name === name);
  }

  private async policyRules(fam: 4 | 6): Promise<void> {
    if (this.rulesDone.has(fam)) return;
    this.rulesDone.add(fam);
    const v = fam === 6 ? ['-6'] : ['-4'];
    // A restarted daemon replaces the rules of its predecessor.
    for (const pref of [RULE_PREF, RULE_PREF + 1, RULE_PREF + 2]) await this.run(['ip', ...v, 'rule', 'del', 'pref', String(pref)], true);
    if (ipFamily(this.host.localAddress) === fam) await this.run(['ip', ...v, 'rule', 'add', 'pref', String(RULE_PREF), 'from', this.host.localAddress, 'lookup', 'main']);
    await this.run(['ip', ...v, 'rule', 'add', 'pref', String(RULE_PREF + 1), 'lookup', 'main', 'suppress_prefixlength', '0']);
    await this.run(['ip', ...v, 'rule', 'add', 'pref', String(RULE_PREF + 2), 'lookup', String(CLIENT_TABLE)]);
  }

  /** Route decisions are told once the kernel has them (syncDefaults). */
  private routeEvent(st: TunnelState, change: 'installed' | 'refused' | 'removed', fam: 4 | 6, text: string): void {
    this.routeEvents.push({ time: Date.now(), type: 'client-route', text: `${st.block.role.name}: ${text}`, data: { client: st.block.role.name, change, route: fam === 4 ? '0.0.0.0/0' : '::/0', interface: st.block.tunnel.interface } });
  }

  // ------------------------------------------------------------------------------ helpers

  private insideAddresses(): string[] {
    const named = new Set(this.setup.blocks.flatMap((b) => b.inside));
    const tunnels = new Set(this.setup.blocks.map((b) => b.tunnel.interface));
    // Without `client inside`: every interface but the tunnels and the tunnel source (S0 Split DNS).
    const ifs = this.host.interfaces.filter((i) => (named.size ? named.has(i.name) : i.name !== 'lo' && !tunnels.has(i.name) && i.name !== this.setup.sourceInterface));
    return ifs.flatMap((i) => i.addresses.map((a) => a.address));
  }

  private ip(prefix: string, ...args: string[]): Promise<void> {
    return this.run(['ip', ...(ipFamily(prefix.split('/')[0]!) === 6 ? ['-6'] : []), ...args]);
  }

  private async run(argv: string[], quiet = false): Promise<void> {
    const r = await execa(argv[0]!, argv.slice(1), { reject: false });
    if (r.exitCode !== 0 && !quiet) this.host.log.info('info', `${argv.join(' ')} failed: ${(r.stderr || r.stdout).trim()}`, undefined, 'client');
  }

  // ------------------------------------------------------------------------------ control

  view(): Record<string, unknown> {
    return {
      clients: this.role.view().map((v) => {
        const st = this.tunnels.get(v.name)!;
        const t = this.host.dataplane.tunnels.get(v.name);
        return {
          ...v, tunnel: { interface: st.block.tunnel.interface, up: !!t?.up, addresses: t?.addresses ?? [], routes: t?.routes ?? [], metric: st.block.routeMetric, nat: st.block.nat },
        };
      }),
      tracks: this.tracks.view(),
      defaultRoute: Object.fromEntries([...this.defaultHolder].map(([f, n]) => [`ipv${f}`, { client: n, interface: this.tunnels.get(n)?.block.tunnel.interface }])),
      dns: this.proxy ? { listening: this.proxy.listening, default: this.setup.nameServers, views: this.proxy.listViews(), counters: this.proxy.counters, recent: this.proxy.recent.slice(-10) } : undefined,
    };
  }

  registerControl(control: ControlServer): void {
    const now = () => Date.now();
    const name = (args: Record<string, unknown>) => (args.client === undefined ? undefined : String(args.client));
    control
      .on('client', () => this.view())
      .on('client-connect', (args) => { const r = this.role.connect(name(args), now()); this.kick(); return r; })
      .on('client-disconnect', (args) => { const r = this.role.disconnect(name(args), now()); this.kick(); return r; })
      // A FlexVPN client's `initiate` is the connect command of its blocks.
      .on('initiate', (args) => { const r = this.role.connect(name(args) ?? (args.connection === undefined ? undefined : String(args.connection)), now()); this.kick(); return r; })
      .on('connection-down', (args) => { const r = this.role.disconnect(name(args) ?? (args.connection === undefined ? undefined : String(args.connection)), now()); this.kick(); return r; })
      .on('tracks', () => this.tracks.view())
      .on('track', (args) => {
        const id = String(args.object ?? args.track);
        const state = String(args.state);
        if (state !== 'up' && state !== 'down') throw new Error(`track state must be up or down, got "${state}"`);
        const changed = this.tracks.set(id, state, now(), 'set by command');
        this.kick();
        return { object: id, state, changed };
      });
  }
}
