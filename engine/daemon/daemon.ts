// The node daemon: the I/O shell around the sans-IO IKE core. It owns the UDP sockets (500 and
// 4500), the wall-clock timer, the data plane (TUN + ESP), the event log and key tables, and the
// control socket; it performs every action the core returns. Role specifics (a spoke's tunnel
// interface, a hub's per-session virtual-access interfaces, their addresses and routes) are here.

import dgram from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { IkeEngine } from '../ike/engine.ts';
import type { Action, ChildSaInstall, Endpoint } from '../ike/actions.ts';
import { ikev2DecryptionTableLine } from '../ike/keyexport.ts';
import { NativeUdpSocket } from '../esp/udp-socket.ts';
import { buildRoleSetup } from '../roles/config.ts';
import type { DaemonInput, RoleSetup } from '../roles/config.ts';
import { DataPlane } from './dataplane.ts';
import { classfulPrefix } from '../util/ip.ts';
import type { Tunnel } from './dataplane.ts';
import { EventLog } from './event-log.ts';
import { ControlServer } from './control.ts';
import type { IkeSa, IkeSaView } from '../ike/sa/ike-sa.ts';
import { AaaLayer } from './aaa.ts';
import type { SessionCounters } from './aaa.ts';
import type { Avp } from '../radius/index.ts';
import { formatAvp } from '../radius/index.ts';
import { ClientRoleShell } from './client-role.ts';
import { resolverState, writeResolver } from './resolver.ts';
import type { ResolverState } from './resolver.ts';
import { ResumptionStore } from './resumption-store.ts';
import { applyAccessGroups, applyServicePolicies, coaAccessLists, interfaceLineKey, interfacePolicyView, namedAccessLists, planInterfaceConfig } from './interface-policy.ts';
import type { AccessLists } from './interface-policy.ts';

export interface DaemonOptions {
  quiet?: boolean;
  /** Control socket path (default <stateDir>/<node>.sock). */
  controlPath?: string;
}

/** The source address the kernel would use towards `dst` (`ip route get`). */
async function sourceAddressTowards(dst: string): Promise<string | undefined> {
  try {
    const { execa } = await import('execa');
    const r = await execa('ip', ['-j', 'route', 'get', dst]);
    return (JSON.parse(r.stdout) as Array<{ prefsrc?: string }>)[0]?.prefsrc;
  } catch {
    return undefined;
  }
}

export function controlPathOf(stateDir: string, node: string): string {
  return join(stateDir, `${node}.sock`);
}

export class NodeDaemon {
  readonly setup: RoleSetup;
  readonly engine: IkeEngine;
  readonly log: EventLog;
  readonly control: ControlServer;
  private dataplane!: DataPlane;
  private udp500!: dgram.Socket;
  private udp4500!: NativeUdpSocket;
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;
  private trafficTimer?: NodeJS.Timeout;
  private addressTimer?: NodeJS.Timeout;
  private moving = false;
  /** Highest virtual-access number handed out, and the freed ones below it (ascending). */
  private vaCounter = 0;
  private readonly vaFree: number[] = [];
  private readonly startedAt = Date.now();
  private stopping = false;
  private aaa?: AaaLayer;
  /** flexvpn-client: the FlexVPN client role and its tunnels (engine/daemon/client-role.ts). */
  private client?: ClientRoleShell;
  /** Counters of CHILD SAs already removed, per IKE SA (RADIUS accounting Stop needs the session's total). */
  private readonly retiredCounters = new Map<number, SessionCounters>();
  /** Template ACL numbers (IOS names them Virtual-Access1#2601, #2602, ...). */
  private aclNumber = 2600;
  /** The hub's named access lists, one object per name so every VA counts into it (as IOS shows them). */
  private readonly accessLists: AccessLists;
  /** A client's DNS servers and split-DNS domains from the configuration reply (F-CFG-04/05). */
  private resolver?: ResolverState;
  private readonly resumptionStore?: ResumptionStore;

  constructor(readonly input: DaemonInput, private readonly opts: DaemonOptions = {}) {
    this.setup = buildRoleSetup(input);
    this.accessLists = namedAccessLists(this.setup.template?.accessLists ?? {});
    // RFC 5723: the ticket key and the used tickets from the state directory (before the engine reads them).
    this.resumptionStore = ResumptionStore.open(input.stateDir, input.node, this.setup.settings);
    this.log = new EventLog(input.node, input.outDir, opts.quiet);
    this.engine = new IkeEngine({ name: input.node, profiles: this.setup.profiles, settings: this.setup.settings, now: Date.now() });
    this.control = new ControlServer(opts.controlPath ?? controlPathOf(input.stateDir, input.node));
  }

  /** Binds IKE (500) and NAT-T (4500, or the client's own port) to an address. */
  private async openSockets(addr: string): Promise<void> {
    const natPort = this.setup.settings.natTLocalPort ?? 4500;
    this.udp4500 = NativeUdpSocket.open(addr, natPort, { rcvbuf: 4 << 20, sndbuf: 4 << 20 });
    this.udp500 = dgram.createSocket({ type: addr.includes(':') ? 'udp6' : 'udp4' });
    this.udp500.on('message', (data, rinfo) => this.ikeIn(data, { address: rinfo.address, port: rinfo.port }, 500));
    this.udp500.on('error', (e) => this.log.info('info', `UDP 500: ${e.message}`));
    await new Promise<void>((resolve, reject) => {
      this.udp500.once('error', reject);
      this.udp500.bind(500, addr, () => resolve());
    });
  }

  /**
   * A roaming client (AnyConnect): when its IKE address disappears and another one appears, it
   * moves its sockets there and reconnects (engine connectionMoved).
   */
  private async followLocalAddress(): Promise<void> {
    if (this.stopping || this.moving) return;
    const current = this.setup.localAddress;
    const family = current.includes(':') ? 'IPv6' : 'IPv4';
    const ours = new Set([...this.dataplane.tunnels.values()].map((t) => t.ifname));
    const all = Object.entries(networkInterfaces()).filter(([n]) => !ours.has(n))
      .flatMap(([, list]) => (list ?? []).filter((a) => !a.internal && a.family === family).map((a) => a.address));
    if (all.includes(current) || !all.length) return;
    this.moving = true;
    try {
      const next = all[0]!;
      this.udp500.close();
      this.udp4500.close();
      await this.openSockets(next);
      this.dataplane.attachSocket(this.udp4500);
      this.setup.localAddress = next;
      const conn = this.setup.connection!;
      conn.local = { address: next, port: 500 };
      this.log.info('info', `local address ${current} is gone; now ${next}`, { from: current, to: next });
      this.engine.connectionMoved(conn.name, conn.local, Date.now());
      this.pump();
    } catch (e) {
      this.log.info('info', `cannot move to the new local address: ${(e as Error).message}`);
    } finally {
      this.moving = false;
    }
  }

  async start(): Promise<void> {
    const addr = this.setup.localAddress;
    const natPort = this.setup.settings.natTLocalPort ?? 4500;
    await this.openSockets(addr);
    this.dataplane = new DataPlane(this.udp4500, this.log, {
      onLifetime: (childId, kind) => {
        this.engine.childSaExpired(childId, kind, Date.now());
        this.pump();
      },
      onIke: (data, from) => this.ikeIn(data, from, natPort),
      onTunnelClosed: (ifname) => this.releaseVirtualAccess(ifname),
    });
    if (this.setup.role === 'spoke') {
      const conn = this.setup.connection!;
      const t = this.setup.tunnel!;
      this.dataplane.tunnel({ key: conn.name, ifname: t.interface, mtu: t.mtu, persistent: true }, conn.local, conn.remote);
    }
    if (this.setup.aaa) {
      // NAS-IP-Address: the address this node uses towards its first RADIUS server.
      const first = this.setup.aaa.servers[0]?.address;
      if (first && this.setup.aaa.nasIp === addr) this.setup.aaa.nasIp = await sourceAddressTowards(first) ?? addr;
      this.aaa = new AaaLayer(this.setup.aaa, addr, this.engine, this.log, (id, children) => this.sessionCounters(id, children), () => this.pump(), (sa, changes) => this.applyCoa(sa, changes));
      await this.aaa.start();
    }
    if (this.setup.role === 'client') {
      this.client = new ClientRoleShell(this.setup.client!, {
        node: this.input.node, engine: this.engine, dataplane: this.dataplane, log: this.log, control: this.control, localAddress: addr,
        interfaces: this.input.interfaces, pump: () => this.pump(),
      });
    }
    this.registerControl();
    this.client?.registerControl(this.control);
    await this.control.listen();
    this.log.info('info', `daemon started: ${this.setup.role} on ${addr} (IKE 500/${natPort}), ${this.setup.profiles.length} profile(s)`, {
      role: this.setup.role, address: addr, profiles: this.setup.profiles.map((p) => p.name),
    });
    if (this.setup.connection?.auto) this.engine.initiate(this.setup.connection, Date.now());
    await this.client?.start();
    if (this.setup.followLocalAddress) this.addressTimer = setInterval(() => void this.followLocalAddress(), 1000);
    let lastTick = Date.now();
    this.trafficTimer = setInterval(() => {
      const now = Date.now();
      // A tick far too late: the process was suspended (SIGSTOP, the host slept).
      const gap = now - lastTick;
      lastTick = now;
      if (gap > 5000 && this.setup.resumeBehavior && this.setup.connection) {
        this.engine.connectionResumed(this.setup.connection.name, this.setup.resumeBehavior === 'ReconnectAfterResume', gap, now);
        this.pump();
      }
      for (const t of this.dataplane.takeTraffic()) this.engine.noteTraffic(t.ikeSaId, t.inbound, t.outbound, now);
    }, 500);
    this.pump();
  }

  /** Deletes every IKE SA (the peers are told), then closes everything. */
  async stop(graceful = true): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (graceful) {
      const now = Date.now();
      for (const sa of this.engine.ikeSas(now)) if (sa.status === 'READY') this.engine.deleteIke(sa.id, now, 'daemon stopping');
      this.pump();
      await new Promise((r) => setTimeout(r, 300));
    }
    this.client?.stop();
    clearTimeout(this.timer);
    clearInterval(this.trafficTimer);
    clearInterval(this.addressTimer);
    await this.aaa?.stop();
    this.dataplane?.closeAll();
    this.udp500?.close();
    this.udp4500?.close();
    this.control.close();
    this.log.info('info', 'daemon stopped');
  }

  private ikeIn(data: Buffer, from: Endpoint, port: number): void {
    this.engine.handleDatagram({ local: { address: this.setup.localAddress, port }, remote: from, data }, Date.now());
    this.pump();
  }

  /** Performs the core's actions and re-arms the single wall-clock timer. */
  pump(): void {
    for (let i = 0; i < 100; i++) {
      const actions = this.engine.pollActions();
      if (!actions.length) break;
      for (const a of actions) this.perform(a);
    }
    const next = this.engine.pollTimeout();
    if (next === undefined) {
      clearTimeout(this.timer);
      this.timerAt = Infinity;
      return;
    }
    if (next === this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => {
      this.timerAt = Infinity;
      this.engine.handleTimeout(Date.now());
      this.pump();
    }, Math.max(0, next - Date.now()));
  }

  private perform(a: Action): void {
    switch (a.type) {
      case 'send': {
        const d = a.datagram;
        if (d.local.port === 500) this.udp500.send(d.data, d.remote.port, d.remote.address);
        else this.udp4500.send(d.data, d.remote.address, d.remote.port);
        break;
      }
      case 'install-child': this.installChild(a.child); break;
      case 'activate-outbound': {
        const t = this.dataplane.tunnelOfChild(a.childId);
        if (t) this.dataplane.activate(t, a.childId);
        break;
      }
      case 'remove-child': {
        const k = this.dataplane.childCounters(a.childId);
        if (k) {
          const t = this.retiredCounters.get(a.ikeSaId) ?? { inOctets: 0, outOctets: 0, inPackets: 0, outPackets: 0 };
          t.inOctets += k.bytesIn; t.outOctets += k.bytesOut; t.inPackets += k.packetsIn; t.outPackets += k.packetsOut;
          this.retiredCounters.set(a.ikeSaId, t);
        }
        this.dataplane.remove(a.childId);
        break;
      }
      case 'update-endpoints': this.dataplane.updateEndpoints(a.ikeSaId, a.local, a.remote); break;
      case 'ike-keys': this.log.appendKeys('ikev2_decryption_table', [ikev2DecryptionTableLine(a.keys)]); break;
      case 'aaa-request':
        if (this.aaa) this.aaa.request(a.request);
        else this.engine.aaaResult({ requestId: a.request.requestId, outcome: 'timeout', reason: 'this node has no AAA configuration (config.aaa)' }, Date.now());
        break;
      case 'accounting': this.aaa?.accounting(a.record); break;
      case 'event': {
        this.log.write(a.event);
        this.resumptionStore?.onEvent(a.event, this.engine);
        if (this.control.streaming) this.control.broadcast({ event: { ...a.event, node: this.input.node } });
        const e = a.event;
        if (e.type === 'ike-rekeyed' && e.data && e.ikeSaId !== undefined) {
          this.dataplane.rekeyedIkeSa(e.data.old as number, e.ikeSaId);
          const retired = this.retiredCounters.get(e.data.old as number);
          if (retired) this.retiredCounters.set(e.ikeSaId, retired);
        }
        if (this.client) {
          this.client.ikeEvent(e);
          break;
        }
        if (e.type === 'ike-deleted' && e.ikeSaId !== undefined && e.data?.replacedBy === undefined) {
          const t = this.dataplane.tunnelOfIkeSa(e.ikeSaId);
          if (t) void this.tunnelDown(t);
        }
        break;
      }
    }
  }

  private releaseVirtualAccess(ifname: string): void {
    const prefix = this.setup.template?.prefix;
    if (!prefix || !ifname.startsWith(prefix)) return;
    const n = Number(ifname.slice(prefix.length));
    if (!Number.isInteger(n) || n < 1) return;
    let i = this.vaFree.length;
    while (i > 0 && this.vaFree[i - 1]! > n) i--;
    this.vaFree.splice(i, 0, n);
  }

  private installChild(c: ChildSaInstall): void {
    let t: Tunnel | undefined;
    if (this.client) {
      t = this.client.tunnelForChild(c);
    } else if (this.setup.role === 'spoke') {
      const conn = this.setup.connection!;
      t = this.dataplane.tunnels.get(conn.name);
    } else {
      t = this.dataplane.tunnelOfIkeSa(c.ikeSaId);
      if (!t) {
        // FlexVPN server: a virtual-access interface per session, cloned from the template.
        // IOS reuses the lowest free Virtual-Access number; so do we, once its TUN is really gone.
        const n = this.vaFree.length ? this.vaFree.shift()! : ++this.vaCounter;
        const tpl = this.setup.template!;
        t = this.dataplane.tunnel({ key: `session:${c.ikeSaId}:${n}`, ifname: `${tpl.prefix}${n}`, mtu: tpl.mtu, persistent: false }, c.local, c.remote);
      }
    }
    if (!t) return;
    const wasEmpty = t.children.size === 0;
    try {
      this.dataplane.install(t, c);
    } catch (e) {
      // The data plane refused what IKE negotiated (an algorithm it cannot run): say so and delete
      // the CHILD SA rather than die, which would take every other session down with it.
      this.log.info('child-failed', `CHILD SA {${c.childId}} cannot be installed: ${(e as Error).message}; deleting it`, { childId: c.childId, ikeSaId: c.ikeSaId });
      this.engine.deleteChild(c.childId, Date.now(), 'data plane cannot install it');
      return;
    }
    if (this.client) this.client.childInstalled(t, c);
    else if (wasEmpty || !t.up) void this.tunnelUp(t, c);
  }

  /** The session's traffic so far: removed CHILD SAs plus the live ones. */
  private sessionCounters(ikeSaId: number, childIds: number[]): SessionCounters {
    const t = { ...(this.retiredCounters.get(ikeSaId) ?? { inOctets: 0, outOctets: 0, inPackets: 0, outPackets: 0 }) };
    for (const id of childIds) {
      const k = this.dataplane.childCounters(id);
      if (!k) continue;
      t.inOctets += k.bytesIn; t.outOctets += k.bytesOut; t.inPackets += k.packetsIn; t.outPackets += k.packetsOut;
    }
    return t;
  }

  /**
   * `interface-config` lines on a virtual-access interface (F-SRV-03): what Linux or our data path
   * can express is applied (`ip mtu N`, `service-policy input|output NAME`), everything is recorded
   * as the interface's derived configuration. At login a line that cannot apply is logged and
   * skipped (the session still comes up); a CoA checks first (see applyCoa).
   */
  private applyInterfaceConfig(t: Tunnel, lines: string[]): string[] {
    const maps = this.setup.template?.policyMaps ?? {};
    const plan = planInterfaceConfig(lines, maps, this.accessLists);
    for (const e of plan.errors) this.log.info('info', `interface-config on ${t.ifname}: ${e}: line not applied`, { interface: t.ifname }, 'aaa');
    const applied: string[] = [];
    if (plan.mtu !== undefined) {
      void this.dataplane.setMtu(t, plan.mtu);
      applied.push(`mtu ${plan.mtu} on ${t.ifname}`);
    }
    if (plan.input !== undefined || plan.output !== undefined) {
      t.policy ??= {};
      applied.push(...applyServicePolicies(t.policy, plan, maps, Date.now()).map((x) => `${x} on ${t.ifname}`));
    }
    if (plan.accessIn !== undefined || plan.accessOut !== undefined) {
      t.policy ??= {};
      applied.push(...applyAccessGroups(t.policy, plan, this.accessLists).map((x) => `${x} on ${t.ifname}`));
    }
    t.derivedConfig = lines;
    return applied;
  }

  /**
   * CoA (F-POD-03): new interface-config and template ACLs for a live session, without a rekey.
   * Checked as a whole first: an unknown policy-map or an ACL entry we cannot express gets a NAK
   * and changes nothing.
   */
  private applyCoa(sa: IkeSa, changes: Avp[]): string[] | { error: string } {
    const t = this.dataplane.tunnelOfIkeSa(sa.id);
    const lines = changes.filter((c) => c.name === 'Cisco-AVPair').map((c) => String(c.value));
    const ifc = lines.filter((l) => l.startsWith('ip:interface-config=')).map((l) => l.slice('ip:interface-config='.length));
    const aclPairs = lines.filter((l) => /^ip:(in|out)acl#\d+=/.test(l));
    const errors = planInterfaceConfig(ifc, this.setup.template?.policyMaps ?? {}, this.accessLists).errors;
    if (errors.length) return { error: errors.join('; ') };
    const acls = t && aclPairs.length ? coaAccessLists(aclPairs, t.ifname, () => ++this.aclNumber) : {};
    if (typeof acls === 'string') return { error: acls };
    const out: string[] = [];
    // A CoA line replaces the derived line it names (same first two words), unlike a duplicate at login.
    if (t && ifc.length) out.push(...this.applyInterfaceConfig(t, [...(t.derivedConfig ?? []).filter((l) => !ifc.some((n) => interfaceLineKey(n) === interfaceLineKey(l))), ...ifc]));
    if (t && (acls.in || acls.out)) {
      // Each new list replaces the one applied in its direction (S2:1214-1294).
      t.policy ??= {};
      if (acls.in) t.policy.inAcl = acls.in;
      if (acls.out) t.policy.outAcl = acls.out;
      t.acls = [...(t.acls ?? []).filter((l) => !(acls.in && l.startsWith('ip:inacl#')) && !(acls.out && l.startsWith('ip:outacl#'))), ...aclPairs];
      if (acls.in) out.push(`ip access-group ${acls.in.name} in`);
      if (acls.out) out.push(`ip access-group ${acls.out.name} out`);
    }
    if (!out.length && changes.length) out.push(`recorded ${changes.map(formatAvp).join(', ')}`);
    return out;
  }

  private async tunnelUp(t: Tunnel, c: ChildSaInstall): Promise<void> {
    // The SA itself, not its view(): only the configuration fields are read (view() builds every
    // show field, a visible share of a hub's per-session set-up time).
    const ike = this.engine.ikeSa(c.ikeSaId);
    const sa = ike && { receivedConfig: ike.configReceived, assignedConfig: ike.configAssigned };
    const addresses: string[] = [];
    // A persona may not route narrowed selectors (Windows: TunnelSetup.routesFromSelectors false).
    const routes = new Set<string>(this.setup.role === 'spoke' && this.setup.tunnel?.routesFromSelectors === false ? [] : DataPlane.selectorRoutes(c));
    if (this.setup.role === 'spoke') {
      const tcfg = this.setup.tunnel!;
      const addr = tcfg.address === 'negotiated' ? sa?.receivedConfig?.address4 : tcfg.address;
      if (addr) addresses.push(addr.includes('/') ? addr : `${addr}/32`);
      const classful = tcfg.classfulRoute && addr ? classfulPrefix(addr.split('/')[0]!) : undefined;
      if (classful) routes.add(classful);
      // A dual-stack session also gets an IPv6 address (INTERNAL_IP6_ADDRESS, F-CFG-03).
      const addr6 = tcfg.address === 'negotiated' ? sa?.receivedConfig?.address6 : undefined;
      if (addr6) addresses.push(addr6.includes('/') ? addr6 : `${addr6}/128`);
      if (tcfg.routeAccept) for (const r of sa?.receivedConfig?.subnets ?? []) routes.add(r);
      for (const r of tcfg.routes) routes.add(r);
      this.resolver = resolverState(this.input.node, t.ifname, sa?.receivedConfig);
      writeResolver(this.input.outDir, this.input.node, this.resolver);
    } else {
      const tpl = this.setup.template!;
      if (tpl.address) addresses.push(tpl.address.includes('/') ? tpl.address.replace(/\/\d+$/, '/32') : `${tpl.address}/32`);
      const assigned = sa?.assignedConfig;
      if (assigned?.address4) routes.add(`${assigned.address4}/32`);
      if (assigned?.address6) routes.add(`${assigned.address6}/128`);
      if (tpl.routeAccept) for (const r of assigned?.peerSubnets ?? []) routes.add(r);
      // The VA is cloned from the template, then AAA's interface-config lines follow in order (F-SRV-03).
      const ifc = [...(tpl.interfaceConfig ?? []), ...((assigned?.pushed.interfaceConfig?.value as string[] | undefined) ?? [])];
      if (ifc.length) this.applyInterfaceConfig(t, ifc);
    }
    await this.dataplane.configure(t, addresses, [...routes]);
    this.log.info('info', `%LINEPROTO-5-UPDOWN: Line protocol on Interface ${t.ifname}, changed state to up (${addresses.join(', ') || 'no address'}; routes ${[...routes].join(', ') || 'none'})`,
      { interface: t.ifname, addresses, routes: [...routes], ikeSaId: c.ikeSaId, event: 'tunnel-up' });
  }

  private async tunnelDown(t: Tunnel): Promise<void> {
    this.log.info('info', `%LINEPROTO-5-UPDOWN: Line protocol on Interface ${t.ifname}, changed state to down`, { interface: t.ifname, event: 'tunnel-down' });
    if (this.setup.role === 'spoke' && this.resolver) {
      this.resolver = undefined;
      writeResolver(this.input.outDir, this.input.node, undefined);
    }
    await this.dataplane.down(t);
  }

  // ------------------------------------------------------------------------------- control API

  /** IKE SAs with data-plane counters merged into each CHILD SA. */
  ikeSas(): Array<IkeSaView & { interface?: string }> {
    const now = Date.now();
    return this.engine.ikeSas(now).filter((s) => s.state !== 'DELETED').map((s) => ({
      ...s,
      interface: this.dataplane.tunnelOfIkeSa(s.id)?.ifname,
      children: s.children.map((c) => ({ ...c, counters: this.dataplane.childCounters(c.id) })),
    }));
  }

  private registerControl(): void {
    const now = () => Date.now();
    const done = <T>(v: T) => {
      this.pump();
      return v;
    };
    this.control
      .on('status', () => ({
        node: this.input.node, lab: this.input.lab, kind: this.input.kind, role: this.setup.role, pid: process.pid,
        uptime: Math.floor((now() - this.startedAt) / 1000), localAddress: this.setup.localAddress,
        ikeSas: this.engine.ikeSas().filter((s) => s.status === 'READY').length,
        childSas: this.engine.ikeSas().reduce((n, s) => n + s.children.length, 0),
        tunnels: [...this.dataplane.tunnels.values()].map((t) => ({ interface: t.ifname, up: t.up, ikeSaId: t.ikeSaId, addresses: t.addresses, routes: t.routes, peer: `${t.remote.address}:${t.remote.port}`, derivedConfig: t.derivedConfig, acls: t.acls, policy: interfacePolicyView(t.policy) })),
        connections: this.engine.connectionStates(),
        ...(this.setup.persona ? { persona: this.setup.personaFacts ?? { persona: this.setup.persona } } : {}),
        ...(this.client ? { client: this.client.view() } : {}),
        ...(this.resolver ? { resolver: this.resolver } : {}),
      }))
      .on('ike-sas', () => this.ikeSas())
      // `show ikev2 stats resumption`: RFC 5723 ticket key, counters and the tickets held (F-RC-04).
      .on('resumption', () => this.engine.resumption.stats(this.engine.counterSnapshot(), this.setup.connection ? [this.setup.connection.name] : [], now()))
      // `show crypto ikev2 stats reconnect` and the preserved sessions (F-RC-01).
      .on('reconnect', () => ({ stats: { ...this.engine.reconnectSessions.stats }, ...this.engine.reconnectSessions.counts(), sessions: this.engine.reconnectSessions.view(now()) }))
      .on('client-connect', () => {
        const conn = this.setup.connection;
        if (!conn || this.setup.role !== 'spoke') throw new Error(`${this.input.node} has no client connection`);
        this.engine.initiate(conn, now());
        return done([`${conn.name}: connecting to ${conn.remote.address}`]);
      })
      .on('client-disconnect', () => {
        const conn = this.setup.connection;
        if (!conn || this.setup.role !== 'spoke') throw new Error(`${this.input.node} has no client connection`);
        this.engine.connectionDown(conn.name, now());
        return done([`${conn.name}: disconnected by the user`]);
      })
      .on('disconnect', () => {
        // The user disconnects (AnyConnect "Disconnect"): the session ends, no auto-reconnect.
        const conn = this.setup.connection;
        if (!conn) throw new Error(`${this.input.node} is a ${this.setup.role}: nothing to disconnect`);
        this.engine.connectionDown(conn.name, now());
        return done({ disconnected: conn.name });
      })
      .on('child-sas', () => this.ikeSas().flatMap((s) => s.children.map((c) => ({ ...c, ikeSaId: s.id, peer: s.remote, local: s.local, nat: s.nat }))))
      .on('counters', () => ({
        ike: this.engine.counterSnapshot(), esp: this.dataplane.dropCounters(),
        udp4500: this.udp4500.stats, tunnels: Object.fromEntries([...this.dataplane.tunnels.values()].map((t) => [t.ifname, t.tun.stats])),
      }))
      .on('events', (args) => {
        const since = typeof args.since === 'number' ? args.since : 0;
        return this.log.recent.filter((e) => e.time >= since);
      })
      .on('initiate', (args) => {
        const conn = this.setup.connection;
        if (!conn) throw new Error(`${this.input.node} is a ${this.setup.role} and initiates nothing`);
        if (args.connection && args.connection !== conn.name) throw new Error(`no connection "${args.connection}" (this node has ${conn.name})`);
        return done({ ikeSaId: this.engine.initiate(conn, now()) });
      })
      .on('terminate', (args) => {
        const ids = args.ikeSaId !== undefined ? [Number(args.ikeSaId)] : this.engine.ikeSas().map((s) => s.id);
        for (const id of ids) this.engine.deleteIke(id, now(), 'terminated by command');
        return done({ terminated: ids });
      })
      .on('clear', () => {
        // IOS `clear crypto session`: every SA goes (a spoke with connect auto comes back).
        const ids = this.engine.ikeSas().map((s) => s.id);
        for (const id of ids) this.engine.deleteIke(id, now(), 'cleared');
        return done({ cleared: ids });
      })
      .on('rekey', (args) => {
        if (args.childId !== undefined) return done({ ok: this.engine.rekeyChild(Number(args.childId), now()) });
        const ids = args.ikeSaId !== undefined ? [Number(args.ikeSaId)] : this.engine.ikeSas().map((s) => s.id);
        if (args.child) {
          const children = this.engine.ikeSas().filter((s) => ids.includes(s.id)).flatMap((s) => s.children.map((c) => c.id));
          return done({ rekeyed: children.filter((c) => this.engine.rekeyChild(c, now())) });
        }
        return done({ rekeyed: ids.filter((id) => this.engine.rekeyIke(id, now())) });
      })
      .on('dpd', (args) => {
        const ids = args.ikeSaId !== undefined ? [Number(args.ikeSaId)] : this.engine.ikeSas().map((s) => s.id);
        return done({ sent: ids.filter((id) => this.engine.dpd(id, now())) });
      })
      .on('connection-down', (args) => {
        const name = (args.connection as string | undefined) ?? this.setup.connection?.name;
        if (name) this.engine.connectionDown(name, now());
        return done({ down: name });
      })
      .on('pools', () => this.engine.pools.all().map((p) => ({ name: p.name, size: p.size, inUse: p.inUse, leases: p.leases() })));
  }
}
