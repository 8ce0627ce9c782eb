// The ESP data plane of a daemon: TUN devices (one per tunnel on a spoke, one virtual-access per
// session on a hub), the SAD, and ESP-in-UDP on port 4500 (RFC 3948). It performs the IKE core's
// CHILD SA actions and reports traffic (for DPD) and volume lifetimes back to it. Every dropped
// packet is counted per reason, and logged (rate-limited).

import { admitInbound, admitOutbound } from './interface-policy.ts';
import type { InterfacePolicy } from './interface-policy.ts';
import { linkSetAddrGenMode, linkSetDown, linkSetMtu, linkSetUp, netlinkAddress, netlinkRoute } from '../native/addon.ts';
import type { ChildSaInstall, Endpoint } from '../ike/actions.ts';
import { EspSa, SecurityAssociationDatabase, SpdEntry, espSaLineFor } from '../esp/index.ts';
import type { DropReason, EspSaEvent } from '../esp/index.ts';
import { TunDevice } from '../esp/tun.ts';
import type { NativeUdpSocket } from '../esp/udp-socket.ts';
import { tsToPrefixes } from '../ike/traffic-selectors.ts';
import type { EventLog } from './event-log.ts';

export interface ChildEntry {
  install: ChildSaInstall;
  in: EspSa;
  out: EspSa;
  outboundActive: boolean;
}

export interface Tunnel {
  /** Stable key: the connection name (spoke) or the session (hub). */
  key: string;
  ifname: string;
  tun: TunDevice;
  spd: SpdEntry;
  ikeSaId?: number;
  local: Endpoint;
  remote: Endpoint;
  children: Map<number, ChildEntry>;
  addresses: string[];
  routes: string[];
  up: boolean;
  createdAt: number;
  /** Traffic seen since the last report to the IKE core (for DPD). */
  sawIn: boolean;
  sawOut: boolean;
  persistent: boolean;
  /** `interface-config` lines applied to it (virtual-access derived configuration). */
  derivedConfig?: string[];
  /** The CoA AV-pairs that installed its ACLs (`ip:inacl#N=...`), as received. */
  acls?: string[];
  /** Service policies and access groups the data path enforces (engine/daemon/interface-policy.ts). */
  policy?: InterfacePolicy;
}

export interface TunnelPlan {
  key: string;
  ifname: string;
  mtu: number;
  persistent: boolean;
}

export class DataPlane {
  readonly sad = new SecurityAssociationDatabase();
  readonly tunnels = new Map<string, Tunnel>();
  private readonly bySpiIn = new Map<number, { tunnel: Tunnel; childId: number }>();
  private readonly byChild = new Map<number, Tunnel>();
  /** Tunnels by IKE SA: looked up for every CHILD SA a hub installs (a scan was O(sessions)). */
  private readonly byIkeSa = new Map<number, Set<Tunnel>>();
  private readonly outBatch: Buffer[] = [];
  private readonly dropLog = new Map<string, { count: number; last: number }>();

  constructor(
    private udp: NativeUdpSocket,
    private readonly log: EventLog,
    private readonly hooks: {
      onLifetime: (childId: number, kind: 'soft' | 'hard') => void;
      onIke: (data: Buffer, from: Endpoint) => void;
      /** A tunnel's TUN is really gone (closed on the thread pool): its name may be used again. */
      onTunnelClosed?: (ifname: string) => void;
    },
  ) {
    this.listen(udp);
  }

  /** The NAT-T socket changed (a client's address changed): send and receive on the new one. */
  attachSocket(udp: NativeUdpSocket): void {
    this.udp = udp;
    this.listen(udp);
  }

  private listen(udp: NativeUdpSocket): void {
    udp.on('batch', (batch) => {
      for (let i = 0; i < batch.count; i++) {
        if (batch.truncated(i)) {
          this.countDrop('udp-truncated', 'datagram larger than the receive buffer');
          continue;
        }
        const d = batch.data(i);
        if (d.length >= 4 && d.readUInt32BE(0) !== 0) this.inboundEsp(d);
        else this.hooks.onIke(Buffer.from(d), { address: batch.address(i), port: batch.port(i) });
      }
      this.flushLifetimes();
    });
  }

  /** Opens (or returns) the TUN device of a tunnel. */
  tunnel(plan: TunnelPlan, local: Endpoint, remote: Endpoint): Tunnel {
    let t = this.tunnels.get(plan.key);
    if (t) return t;
    const tun = TunDevice.open(plan.ifname, { maxPackets: 64 });
    t = {
      key: plan.key, ifname: tun.name, tun, spd: new SpdEntry({ name: tun.name, localTs: [], remoteTs: [] }),
      local, remote, children: new Map(), addresses: [], routes: [], up: false, createdAt: Date.now(),
      sawIn: false, sawOut: false, persistent: plan.persistent,
    };
    const tt = t;
    tun.on('packets', (packets) => this.outbound(tt, packets));
    tun.on('error', (e) => this.log.info('drop', `TUN ${tt.ifname}: ${e.message}`, { reason: 'tun-error' }, 'esp'));
    this.tunnels.set(plan.key, t);
    // Up at once (synchronously), so the first decrypted packet can be written to it; a persistent
    // tunnel without an SA is up but routes nothing until configure().
    // No forks here: a hub opens one interface per session, and two `ip` runs were most of its
    // IKE SA setup time.
    try {
      // No IPv6 link-local address: it would send router solicitations and MLD through the tunnel.
      try {
        linkSetAddrGenMode(tun.name, 'none');
      } catch {
        // IPv6 disabled in this namespace: nothing to suppress.
      }
      linkSetUp(tun.name, plan.mtu);
    } catch (e) {
      this.log.info('info', `cannot set ${tun.name} up: ${(e as Error).message}`, undefined, 'daemon');
    }
    return t;
  }

  tunnelOfChild(childId: number): Tunnel | undefined {
    return this.byChild.get(childId);
  }

  tunnelOfIkeSa(ikeSaId: number): Tunnel | undefined {
    const s = this.byIkeSa.get(ikeSaId);
    return s ? s.values().next().value : undefined;
  }

  /** Moves a tunnel to another IKE SA, keeping the byIkeSa index in step. */
  private bindIkeSa(t: Tunnel, ikeSaId: number): void {
    if (t.ikeSaId === ikeSaId) return;
    this.unbindIkeSa(t);
    t.ikeSaId = ikeSaId;
    let s = this.byIkeSa.get(ikeSaId);
    if (!s) this.byIkeSa.set(ikeSaId, (s = new Set()));
    s.add(t);
  }

  private unbindIkeSa(t: Tunnel): void {
    if (t.ikeSaId === undefined) return;
    const s = this.byIkeSa.get(t.ikeSaId);
    s?.delete(t);
    if (s && !s.size) this.byIkeSa.delete(t.ikeSaId);
  }

  /** Installs a CHILD SA pair on a tunnel; outbound switches atomically unless deferred. */
  install(t: Tunnel, c: ChildSaInstall): void {
    const life = { softBytes: c.softBytes, hardBytes: c.hardBytes };
    const now = Date.now();
    const inSa = new EspSa({
      spi: c.spiIn, direction: 'in', encr: c.suite.encr, encrKeyBits: c.suite.encrKeyBits, integ: c.suite.integ,
      encrKey: c.keysIn.encrKey, integKey: c.keysIn.integKey, replayWindow: c.replayWindow, lifetime: life, createdAt: now,
    });
    const outSa = new EspSa({
      spi: c.spiOut, direction: 'out', encr: c.suite.encr, encrKeyBits: c.suite.encrKeyBits, integ: c.suite.integ,
      encrKey: c.keysOut.encrKey, integKey: c.keysOut.integKey, lifetime: life, createdAt: now,
    });
    this.bindIkeSa(t, c.ikeSaId);
    t.local = c.local;
    t.remote = c.remote;
    // Selectors of this tunnel's current SAs: inbound packets must fall inside (RFC 4301 5.2). A
    // rekey keeps them; a new IKE SA on a persistent tunnel brings its own.
    if (!t.children.size) t.spd = new SpdEntry({ name: t.ifname, localTs: c.localTs, remoteTs: c.remoteTs });
    const spd = t.spd;
    this.sad.addInbound(inSa, spd);
    const entry: ChildEntry = { install: c, in: inSa, out: outSa, outboundActive: false };
    t.children.set(c.childId, entry);
    this.bySpiIn.set(c.spiIn, { tunnel: t, childId: c.childId });
    this.byChild.set(c.childId, t);
    if (!c.deferOutbound) this.activate(t, c.childId);
    this.log.appendKeys('esp_sa', [espSaLineFor(outSa, c.local.address, c.remote.address), espSaLineFor(inSa, c.remote.address, c.local.address)]);
  }

  activate(t: Tunnel, childId: number): void {
    const e = t.children.get(childId);
    if (!e || e.outboundActive) return;
    this.sad.switchOutbound(t.spd, e.out);
    e.outboundActive = true;
    for (const [id, o] of t.children) if (id !== childId) o.outboundActive = false;
  }

  remove(childId: number): Tunnel | undefined {
    const t = this.byChild.get(childId);
    if (!t) return undefined;
    const e = t.children.get(childId)!;
    this.sad.removeInbound(e.install.spiIn);
    this.bySpiIn.delete(e.install.spiIn);
    this.byChild.delete(childId);
    t.children.delete(childId);
    if (t.spd.outSa === e.out) {
      // No successor took over: outbound stops (packets are counted as no-policy).
      t.spd.outSa = undefined;
      const next = [...t.children.values()].find((x) => x.outboundActive);
      if (next) t.spd.outSa = next.out;
    }
    return t;
  }

  updateEndpoints(ikeSaId: number, local: Endpoint, remote: Endpoint): void {
    for (const t of this.byIkeSa.get(ikeSaId) ?? []) {
      t.local = local;
      t.remote = remote;
      for (const e of t.children.values()) {
        e.install.local = local;
        e.install.remote = remote;
      }
    }
  }

  /** An IKE rekey moved the CHILD SAs: the tunnel follows the new IKE SA. */
  rekeyedIkeSa(oldId: number, newId: number): void {
    for (const t of [...(this.byIkeSa.get(oldId) ?? [])]) this.bindIkeSa(t, newId);
  }

  // Addresses, routes, MTU and link state by rtnetlink and ioctl in this thread (the daemon's
  // namespace): a hub configures one interface per session, and forking `ip` for it capped the
  // IKE SA set-up rate. A failing operation is logged and the others still run (as `ip -force`).
  async configure(t: Tunnel, addresses: string[], routes: string[]): Promise<void> {
    for (const a of t.addresses) if (!addresses.includes(a)) this.netlink(t, () => netlinkAddress('del', t.ifname, a));
    for (const a of addresses) this.netlink(t, () => netlinkAddress('replace', t.ifname, a));
    // Up before the routes: the kernel refuses a route into a device that is down.
    this.netlink(t, () => linkSetUp(t.ifname));
    for (const r of t.routes) if (!routes.includes(r)) this.netlink(t, () => netlinkRoute('del', t.ifname, r));
    for (const r of routes) this.netlink(t, () => netlinkRoute('replace', t.ifname, r));
    t.addresses = addresses;
    t.routes = routes;
    t.up = true;
  }

  async setMtu(t: Tunnel, mtu: number): Promise<void> {
    try {
      linkSetMtu(t.ifname, mtu);
    } catch (e) {
      this.log.info('info', `cannot set mtu ${mtu} on ${t.ifname}: ${(e as Error).message}`, undefined, 'daemon');
    }
  }

  async down(t: Tunnel): Promise<void> {
    t.up = false;
    if (!t.persistent) {
      this.close(t);
      return;
    }
    // Addresses first: a link going down takes its IPv6 addresses (and every route) with it.
    for (const a of t.addresses) this.netlink(t, () => netlinkAddress('del', t.ifname, a));
    this.netlink(t, () => linkSetDown(t.ifname));
    t.addresses = [];
    t.routes = [];
  }

  private netlink(t: Tunnel, op: () => void): void {
    try {
      op();
    } catch (e) {
      this.log.info('info', `configuring ${t.ifname} failed: ${(e as Error).message}`, undefined, 'daemon');
    }
  }

  close(t: Tunnel): void {
    for (const id of [...t.children.keys()]) this.remove(id);
    t.tun.close(() => this.hooks.onTunnelClosed?.(t.ifname));
    this.unbindIkeSa(t);
    this.tunnels.delete(t.key);
  }

  closeAll(): void {
    for (const t of [...this.tunnels.values()]) this.close(t);
  }

  /** Routes for narrowed remote selectors (a 0/0 selector leaves routing to configuration). */
  static selectorRoutes(c: ChildSaInstall): string[] {
    return c.remoteTs.flatMap(tsToPrefixes).filter((p) => p !== '0.0.0.0/0' && p !== '::/0');
  }

  // ------------------------------------------------------------------------------- packet path

  private outbound(t: Tunnel, packets: Buffer[]): void {
    const batch = this.outBatch;
    batch.length = 0;
    const policy = t.policy;
    const now = policy ? Date.now() : 0;
    for (const p of packets) {
      if (policy) {
        const denied = admitOutbound(policy, p, now);
        if (denied) {
          this.policyDrop(t, denied, 'out');
          continue;
        }
      }
      const r = this.sad.seal(p, t.spd);
      if (r.ok) batch.push(r.packet);
      else this.countDrop(r.reason, `outbound on ${t.ifname}`, r.sa?.spi);
    }
    if (batch.length) {
      t.sawOut = true;
      const sent = this.udp.sendBatch(batch, t.remote.address, t.remote.port);
      if (sent < batch.length) this.countDrop('udp-send', `socket buffer full towards ${t.remote.address}:${t.remote.port}`, undefined, batch.length - sent);
    }
    this.flushLifetimes();
  }

  private inboundEsp(d: Buffer): void {
    const r = this.sad.open(d);
    if (!r.ok) {
      this.countDrop(r.reason, 'inbound', r.sa?.spi ?? d.readUInt32BE(0));
      return;
    }
    const at = this.bySpiIn.get(r.sa.spi);
    if (!at) return;
    at.tunnel.sawIn = true;
    if (at.tunnel.policy) {
      const denied = admitInbound(at.tunnel.policy, r.inner, Date.now());
      if (denied) {
        this.policyDrop(at.tunnel, denied, 'in');
        return;
      }
    }
    if (at.tunnel.tun.write(r.inner) < 0) this.countDrop('tun-write', `TUN ${at.tunnel.ifname} refused a packet`);
  }

  /** A packet an access group or a policer of the interface refused (counted like every drop). */
  private policyDrop(t: Tunnel, why: 'acl' | 'police', dir: 'in' | 'out'): void {
    const p = t.policy!;
    const what = why === 'acl'
      ? `access list ${(dir === 'in' ? p.inAcl : p.outAcl)!.name} ${dir}`
      : `service-policy ${dir === 'in' ? 'input' : 'output'} ${(dir === 'in' ? p.input : p.output)!.name} (exceeded)`;
    this.countDrop(why === 'acl' ? `acl-denied-${dir}` : `police-exceeded-${dir}`, `on ${t.ifname}: ${what}`);
  }

  /** A counter per reason, and a log line for the first drop and then at most one per 5 s per reason. */
  countDrop(reason: DropReason | string, where: string, spi?: number, n = 1): void {
    const key = reason;
    const now = Date.now();
    const s = this.dropLog.get(key) ?? { count: 0, last: 0 };
    s.count += n;
    this.dropLog.set(key, s);
    if (reason === 'dummy') return; // RFC 4303 2.6: dropped quietly (still counted)
    if (now - s.last >= 5000) {
      s.last = now;
      this.log.info('drop', `ESP drop (${reason}) ${where}${spi !== undefined ? ` SPI ${spi.toString(16).padStart(8, '0')}` : ''}: ${s.count} so far`, { reason, spi, total: s.count }, 'esp');
    }
  }

  dropCounters(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.sad.drops)) if (v) out[k] = v;
    for (const t of this.tunnels.values()) {
      for (const e of t.children.values()) {
        for (const sa of [e.in, e.out]) for (const [k, v] of Object.entries(sa.drops)) if (v) out[k] = (out[k] ?? 0) + v;
      }
    }
    for (const [k, v] of this.dropLog) if (!(k in out)) out[k] = v.count;
    return out;
  }

  private flushLifetimes(): void {
    const events: EspSaEvent[] = this.sad.drainEvents();
    for (const e of events) {
      const at = e.direction === 'in' ? this.bySpiIn.get(e.spi) : this.findOut(e.spi);
      if (!at) continue;
      this.log.info('info', `ESP SA ${e.spi.toString(16).padStart(8, '0')} (${e.direction}) reached its ${e.type === 'soft-expired' ? 'soft' : 'hard'} ${e.cause} lifetime`, { spi: e.spi, cause: e.cause }, 'esp');
      this.hooks.onLifetime(at.childId, e.type === 'soft-expired' ? 'soft' : 'hard');
    }
  }

  private findOut(spi: number): { tunnel: Tunnel; childId: number } | undefined {
    for (const t of this.tunnels.values()) for (const [id, e] of t.children) if (e.install.spiOut === spi) return { tunnel: t, childId: id };
    return undefined;
  }

  /** Per-CHILD-SA counters for show output. */
  childCounters(childId: number): { packetsIn: number; bytesIn: number; packetsOut: number; bytesOut: number; dropsIn: number; dropsOut: number; interface: string; outboundActive: boolean } | undefined {
    const t = this.byChild.get(childId);
    const e = t?.children.get(childId);
    if (!t || !e) return undefined;
    const sum = (d: Record<string, number>) => Object.values(d).reduce((a, b) => a + b, 0);
    return {
      packetsIn: e.in.packets, bytesIn: e.in.bytes, packetsOut: e.out.packets, bytesOut: e.out.bytes,
      dropsIn: sum(e.in.drops), dropsOut: sum(e.out.drops), interface: t.ifname, outboundActive: e.outboundActive,
    };
  }

  /** Drains the traffic flags per IKE SA (reported to the core for DPD). */
  takeTraffic(): Array<{ ikeSaId: number; inbound: boolean; outbound: boolean }> {
    const out: Array<{ ikeSaId: number; inbound: boolean; outbound: boolean }> = [];
    for (const t of this.tunnels.values()) {
      if (t.ikeSaId === undefined || (!t.sawIn && !t.sawOut)) continue;
      out.push({ ikeSaId: t.ikeSaId, inbound: t.sawIn, outbound: t.sawOut });
      t.sawIn = t.sawOut = false;
    }
    return out;
  }
}
