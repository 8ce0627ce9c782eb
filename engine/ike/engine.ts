// The IKEv2 engine of one node: sans-IO and deterministic. Inputs are datagrams, timer expiries and
// commands, each with `now` (milliseconds); outputs are actions (send a datagram, install or remove
// a CHILD SA, export keys, events) drained with `pollActions()`, and the next deadline from
// `pollTimeout()`. It dispatches messages to IKE SAs by SPI, answers IKE_SA_INIT statelessly when
// it must (cookies, INVALID_KE_PAYLOAD, NO_PROPOSAL_CHOSEN), and keeps connections up.

import { Buffer } from 'node:buffer';
import { ExchangeType, NAT_T_PORT, NotifyType, enumName } from './constants.ts';
import type { AaaRequest, AaaResult, AccountingRecord, Action, Datagram, Endpoint, IkeEvent, IkeEventType } from './actions.ts';
import type { Ikev2Policy, Ikev2Profile, IkeEngineSettings } from './config.ts';
import { defaultEngineSettings, defaultIkev2Policy } from './config.ts';
import type { IkeHeader, Payload, TrafficSelector } from './message.ts';
import { SansIoCore } from '../util/sans-io-core.ts';
import { AddressPools } from './address-pool.ts';
import { CookieJar } from './cookies.ts';
import { IkeSa, NON_ESP_MARKER } from './sa/ike-sa.ts';
import { keepBytes } from '../util/keep-bytes.ts';
import type { IkeSaView } from './sa/ike-sa.ts';
import type { ChildSa } from './sa/child-sa.ts';
import type { EngineCore } from './sa/context.ts';
import type { Task } from './sa/task.ts';
import { decodeHeader } from './codec/header.ts';
import { decodeMessage, encodeMessage } from './codec/message.ts';
import { IkeParseError } from './codec/errors.ts';
import { payloadList } from './codec/describe.ts';
import { ikeProposalToWire } from './proposals.ts';
import { preflight } from './tasks/ike-init.ts';
import type { Preflight } from './tasks/ike-init.ts';
import { ikeAuthTasks, ikeSaInitTasks, passiveTasks } from './tasks/index.ts';
import { mkNotify, notify, nonce as noncePayload } from './payload-util.ts';
import { ChildCreateTask } from './tasks/child-create.ts';
import { ChildDeleteTask } from './tasks/child-delete.ts';
import { IkeDeleteTask } from './tasks/ike-delete.ts';
import { IkeRekeyTask } from './tasks/ike-rekey.ts';
import { DpdTask } from './tasks/ike-dpd.ts';
import { cryptoRandom } from '../util/random.ts';
import { ReconnectSessions } from './reconnect.ts';
import { ResumptionService } from './resumption/service.ts';
import { TicketTask } from './tasks/ticket.ts';
import type { ReconnectGrant, ReconnectSession } from './reconnect.ts';
import type { RandomSource } from '../util/random.ts';

export interface ConnectionConfig {
  name: string;
  profile: Ikev2Profile;
  local: Endpoint;
  remote: Endpoint;
  /** `connect auto`: initiate at start and re-initiate whenever the IKE SA is gone. */
  auto?: boolean;
  /** Seconds before a new attempt after a failure (default 5). */
  retryDelay?: number;
  childName?: string;
  /**
   * RFC 5723 session resumption: ask the gateway for a ticket in IKE_AUTH and, when the connection
   * comes back (peer dead, deleted, gateway restarted), resume with IKE_SESSION_RESUME first; on
   * TICKET_NACK, a timeout or any failure, fall back to a full IKE_SA_INIT at once.
   */
  resume?: boolean;
  /** Seconds an IKE_SESSION_RESUME may go unanswered before that fallback (default 10). */
  resumeTimeout?: number;
}

interface ConnectionState {
  config: ConnectionConfig;
  saId?: number;
  attempts: number;
  down: boolean;
  /** Cisco auto-reconnect grant from the headend; `lostAt` once the session was lost. */
  grant?: ReconnectGrant & { lostAt?: number };
}

export interface IkeEngineOptions {
  name?: string;
  random?: RandomSource;
  settings?: Partial<IkeEngineSettings>;
  profiles?: Ikev2Profile[];
  /** Start time (ms) for events emitted before the first input. */
  now?: number;
}

const hex = (b: Buffer) => b.toString('hex');

export class IkeEngine extends SansIoCore<Action> implements EngineCore {
  readonly name: string;
  readonly random: RandomSource;
  readonly settings: IkeEngineSettings;
  readonly pools = new AddressPools();
  profiles: Ikev2Profile[];
  readonly counters = new Map<string, number>();

  private readonly sas = new Map<string, IkeSa>(); // by local SPI
  private readonly byId = new Map<number, IkeSa>();
  private readonly halfOpenInit = new Map<string, IkeSa>(); // spiI|remote -> responder SA
  private readonly children = new Map<number, ChildSa>();
  private readonly childSpis = new Set<number>();
  private readonly connections = new Map<string, ConnectionState>();
  private readonly cookies: CookieJar;
  private ikeSaIds = 0;
  private childIds = 0;
  private aaaIds = 0;
  private accountingIds = 0;
  private readonly aaaPending = new Map<number, number>(); // request id -> IKE SA id

  constructor(opts: IkeEngineOptions = {}) {
    super();
    this.name = opts.name ?? 'ike';
    this.random = opts.random ?? cryptoRandom;
    this.settings = { ...defaultEngineSettings(), ...opts.settings };
    this.profiles = opts.profiles ?? [];
    this.now = opts.now ?? 0;
    this.cookies = new CookieJar(this.random);
    this.reconnectSessions = new ReconnectSessions(this.random);
    this.resumption = new ResumptionService(this);
    this.resumption.onRefresh = (sa, t) => this.refreshTicket(sa.id, t);
  }

  /** RFC 5723 session resumption: ticket key, tickets granted, used and received. */
  readonly resumption: ResumptionService;

  /** Hub: sessions granted Cisco auto-reconnect, active and inactive (F-RC-01). */
  readonly reconnectSessions: ReconnectSessions;

  // ============================================================================ shell interface
  // pollActions, pollTimeout, handleTimeout: SansIoCore.

  /**
   * A UDP datagram received on port 500 or 4500. On 4500 the non-ESP marker must be present (ESP
   * packets and NAT keepalives are for the data plane, RFC 3948; they are counted and ignored here).
   */
  handleDatagram(d: Datagram, now: number): void {
    this.now = now;
    let raw = d.data;
    if (d.local.port !== 500) {
      if (raw.length === 1 && raw[0] === 0xff) {
        this.counter('nat-keepalives-received');
        return;
      }
      if (raw.length < 4 || !raw.subarray(0, 4).equals(NON_ESP_MARKER)) {
        this.counter('drop.esp-on-ike-path');
        return;
      }
      raw = raw.subarray(4);
    }
    let header: IkeHeader;
    try {
      header = decodeHeader(raw);
    } catch (e) {
      this.dropParse(e, d, 'header');
      return;
    }
    if (header.majorVersion !== 2) {
      this.counter('drop.major-version');
      this.emit('drop', `IKE message with major version ${header.majorVersion} from ${d.remote.address}:${d.remote.port}`, { data: { reason: 'invalid-major-version' } });
      if (!header.response && header.exchangeType === ExchangeType.IKE_SA_INIT) this.statelessReply(header, d, [mkNotify(NotifyType.INVALID_MAJOR_VERSION)]);
      return;
    }
    // IKE_SESSION_RESUME (RFC 5723) starts an IKE SA like IKE_SA_INIT: SPIr zero, answered statelessly first.
    if ((header.exchangeType === ExchangeType.IKE_SA_INIT || header.exchangeType === ExchangeType.IKE_SESSION_RESUME) && !header.response) {
      if (!header.initiator || !header.spiR.equals(Buffer.alloc(8))) {
        this.counter('drop.bad-ike-sa-init');
        return;
      }
      const key = `${hex(header.spiI)}|${d.remote.address}|${d.remote.port}`;
      const existing = this.halfOpenInit.get(key);
      if (existing) {
        existing.receive(header, raw, d.remote, d.local, now);
        return;
      }
      if (header.exchangeType === ExchangeType.IKE_SESSION_RESUME) this.respondToResume(header, raw, d, key, now);
      else this.respondToInit(header, raw, d, key, now);
      return;
    }
    // The I flag tells whether the sender is the original initiator; our SPI is the other one.
    const ourSpi = header.initiator ? header.spiR : header.spiI;
    const sa = this.sas.get(hex(ourSpi));
    if (!sa) {
      this.counter('drop.unknown-spi');
      this.emit('drop', `${enumName(ExchangeType, header.exchangeType)} ${header.response ? 'response' : 'request'} for unknown IKE SA ${hex(header.spiI)}_i ${hex(header.spiR)}_r from ${d.remote.address}:${d.remote.port}`, { data: { reason: 'unknown-spi' } });
      return;
    }
    sa.receive(header, raw, d.remote, d.local, now);
  }

  // ============================================================================ commands

  /** Starts an IKE SA for a connection (`crypto ikev2 client connect`, or a spoke's tunnel). */
  initiate(conn: ConnectionConfig, now: number): number {
    this.now = now;
    let c = this.connections.get(conn.name);
    if (!c) {
      c = { config: conn, attempts: 0, down: false };
      this.connections.set(conn.name, c);
    }
    c.config = conn;
    c.down = false;
    const existing = c.saId !== undefined ? this.byId.get(c.saId) : undefined;
    if (existing && existing.state !== 'DELETED') return existing.id;
    c.attempts++;
    const sa = new IkeSa(this, this.nextIkeSaId(), true, this.newIkeSpi(), Buffer.alloc(8), { ...conn.local }, { ...conn.remote }, now, conn.name);
    sa.profile = conn.profile;
    const g = c.grant;
    if (g?.lostAt !== undefined && now > g.lostAt + g.cleanupInterval * 1000) {
      sa.emit('reconnect', `reconnect session ${g.sessionId}: the headend's cleanup interval of ${g.cleanupInterval} s has passed; full authentication`, { reconnect: 'given-up', sessionId: g.sessionId });
      c.grant = undefined;
    } else if (g?.lostAt !== undefined) {
      // F-RC-01: reconnect with PSK, IDi = session-id, PSK = session-token; the headend still
      // authenticates with its certificate.
      sa.profile = {
        ...conn.profile, localIdentity: { type: 'key-id', value: g.sessionId }, authLocal: 'pre-share',
        keyring: { name: 'reconnect', peers: [{ name: 'reconnect', preSharedKey: g.sessionToken }] },
        eapClient: undefined, anyconnectClient: undefined,
      };
      sa.reconnected = true;
      sa.reconnectSessionId = g.sessionId;
      sa.emit('reconnect', `reconnecting session ${g.sessionId} with its session token (PSK)`, { reconnect: 'attempt', sessionId: g.sessionId });
    }
    sa.initialContact = ![...this.byId.values()].some((o) => o !== sa && o.remote.address === conn.remote.address && o.isEstablished);
    c.saId = sa.id;
    this.registerIkeSa(sa);
    sa.emit('ike-initiate', `initiating IKE SA ${conn.name} to ${conn.remote.address}:${conn.remote.port} (attempt ${c.attempts})`, { connection: conn.name, attempt: c.attempts });
    if (!sa.reconnected && this.resumption.startResume(sa, conn, now)) return sa.id;
    sa.queueExchange(ExchangeType.IKE_SA_INIT, ikeSaInitTasks(), now);
    sa.queueExchange(ExchangeType.IKE_AUTH, ikeAuthTasks(conn.childName), now);
    return sa.id;
  }

  /**
   * The client's own address changed (it moved to another network). Its IKE SA cannot follow
   * (no MOBIKE here): it is dropped without a Delete (the old address is gone), and the connection
   * starts over from the new address at once; with a reconnect grant that is a reconnect with the
   * session token (AnyConnect, F-RC-01), not a new login.
   */
  connectionMoved(name: string, local: Endpoint, now: number): number | undefined {
    this.now = now;
    const c = this.connections.get(name);
    if (!c) return undefined;
    const old = c.config.local;
    c.config = { ...c.config, local };
    if (c.grant) c.grant.lostAt ??= now;
    const sa = c.saId !== undefined ? this.byId.get(c.saId) : undefined;
    this.emit('info', `connection ${name}: local address ${old.address} -> ${local.address}${c.grant ? '; reconnecting with the session token' : '; connecting again'}`, { data: { connection: name, from: old.address, to: local.address } });
    this.timers.cancel(`conn:${name}`);
    if (sa) {
      c.saId = undefined;
      sa.destroy(`local address ${old.address} is gone`, now);
    }
    if (c.down) return undefined;
    return this.initiate(c.config, now);
  }

  /**
   * The client woke up from a suspend (its clock jumped; SIGSTOP in the lab). AnyConnect's
   * AutoReconnectBehavior (F-RC-03): ReconnectAfterResume reconnects with the session token;
   * DisconnectOnSuspend (the default) drops the session and waits for the user.
   */
  connectionResumed(name: string, reconnect: boolean, suspendedMs: number, now: number): void {
    this.now = now;
    const c = this.connections.get(name);
    if (!c) return;
    const sa = c.saId !== undefined ? this.byId.get(c.saId) : undefined;
    this.emit('info', `connection ${name}: resumed after ${(suspendedMs / 1000).toFixed(1)} s suspended; ${reconnect ? 'ReconnectAfterResume: reconnecting' : 'DisconnectOnSuspend: the session is dropped, the user must connect'}`,
      { data: { connection: name, suspendedMs, behavior: reconnect ? 'ReconnectAfterResume' : 'DisconnectOnSuspend' } });
    this.timers.cancel(`conn:${name}`);
    c.saId = undefined;
    if (reconnect) {
      if (c.grant) c.grant.lostAt ??= now;
      sa?.destroy('suspended (ReconnectAfterResume)', now);
      if (!c.down) this.initiate(c.config, now);
    } else {
      c.down = true;
      c.grant = undefined;
      sa?.destroy('suspended (DisconnectOnSuspend)', now);
    }
  }

  /** Stops keeping a connection up and deletes its IKE SA. */
  connectionDown(name: string, now: number): void {
    const c = this.connections.get(name);
    if (!c) return;
    c.down = true;
    this.timers.cancel(`conn:${name}`);
    this.resumption.forget(name, 'connection down');
    if (c.saId !== undefined) this.deleteIke(c.saId, now, 'connection down');
  }

  /**
   * Detaches a connection from its IKE SA and deletes that SA: the next `initiate` of the
   * connection starts a new IKE SA at once instead of returning the old one. A FlexVPN client moving
   * to another peer (track down, reactivation) does not wait for the old peer to answer its DELETE.
   * Returns the id of the detached SA.
   */
  releaseConnection(name: string, now: number, reason: string): number | undefined {
    const c = this.connections.get(name);
    if (!c || c.saId === undefined) return undefined;
    const id = c.saId;
    c.saId = undefined;
    this.timers.cancel(`conn:${name}`);
    this.deleteIke(id, now, reason);
    return id;
  }

  deleteIke(id: number, now: number, reason = 'deleted by command'): boolean {
    this.now = now;
    const sa = this.byId.get(id);
    if (!sa) return false;
    if (!sa.isEstablished) {
      sa.destroy(reason, now);
      return true;
    }
    sa.queueExchange(ExchangeType.INFORMATIONAL, [new IkeDeleteTask(reason)], now);
    return true;
  }

  rekeyIke(id: number, now: number): boolean {
    this.now = now;
    const sa = this.byId.get(id);
    if (!sa || sa.state !== 'ESTABLISHED' || sa.outstandingTasks().some((t) => t instanceof IkeRekeyTask)) return false;
    sa.queueExchange(ExchangeType.CREATE_CHILD_SA, [new IkeRekeyTask()], now);
    return true;
  }

  rekeyChild(childId: number, now: number): boolean {
    this.now = now;
    const child = this.children.get(childId);
    const sa = child ? this.byId.get(child.ikeSaId) : undefined;
    if (!child || !sa || child.state !== 'INSTALLED' || !sa.isEstablished) return false;
    sa.queueExchange(ExchangeType.CREATE_CHILD_SA, [new ChildCreateTask({ initial: false, rekey: child })], now);
    return true;
  }

  deleteChild(childId: number, now: number, reason = 'deleted by command'): boolean {
    this.now = now;
    const child = this.children.get(childId);
    const sa = child ? this.byId.get(child.ikeSaId) : undefined;
    if (!child || !sa) return false;
    sa.queueExchange(ExchangeType.INFORMATIONAL, [new ChildDeleteTask([child], reason)], now);
    return true;
  }

  /** Creates another CHILD SA under an established IKE SA (CREATE_CHILD_SA). */
  createChild(ikeSaId: number, now: number, opts: { name?: string; localTs?: TrafficSelector[]; remoteTs?: TrafficSelector[] } = {}): boolean {
    this.now = now;
    const sa = this.byId.get(ikeSaId);
    if (!sa || !sa.isEstablished) return false;
    sa.queueExchange(ExchangeType.CREATE_CHILD_SA, [new ChildCreateTask({ initial: false, ...opts })], now);
    return true;
  }

  /** Sends a liveness check now (on-demand DPD). */
  dpd(id: number, now: number): boolean {
    this.now = now;
    const sa = this.byId.get(id);
    if (!sa || !sa.isEstablished) return false;
    sa.queueExchange(ExchangeType.INFORMATIONAL, [new DpdTask()], now, { dpd: true });
    return true;
  }

  /** The data plane reached a volume lifetime of a CHILD SA. */
  childSaExpired(childId: number, kind: 'soft' | 'hard', now: number): void {
    this.now = now;
    const child = this.children.get(childId);
    const sa = child ? this.byId.get(child.ikeSaId) : undefined;
    if (child && sa) this.childLifetime(sa, child, kind, now);
  }

  /** The data plane saw ESP traffic of an IKE SA (for DPD: only quiet peers are probed). */
  noteTraffic(ikeSaId: number, inbound: boolean, outbound: boolean, now: number): void {
    const sa = this.byId.get(ikeSaId);
    if (!sa) return;
    if (inbound) sa.lastInboundTraffic = now;
    if (outbound) sa.lastOutboundTraffic = now;
  }

  /** Delivers the answer to an `aaa-request` action and resumes the exchange waiting for it. */
  aaaResult(result: AaaResult, now: number): void {
    this.now = now;
    const saId = this.aaaPending.get(result.requestId);
    this.aaaPending.delete(result.requestId);
    const sa = saId !== undefined ? this.byId.get(saId) : undefined;
    if (!sa || !sa.deferred || sa.aaaRequestId !== result.requestId) {
      this.counter('aaa.late-result');
      return;
    }
    sa.aaaRequestId = undefined;
    sa.deferred.x.shared.aaaResult = result;
    sa.resumeDeferred(now);
  }

  requestAaa(sa: IkeSa, req: Parameters<EngineCore['requestAaa']>[1]): number {
    const requestId = ++this.aaaIds;
    sa.aaaRequestId = requestId;
    this.aaaPending.set(requestId, sa.id);
    if (!sa.auditSessionId) sa.auditSessionId = this.auditSessionId(sa);
    const request = {
      ...req, requestId, ikeSaId: sa.id,
      context: { peer: { ...sa.remote }, local: { ...sa.local }, phase1Id: sa.remoteId?.value ?? sa.remote.address, auditSessionId: sa.auditSessionId, profile: sa.profile?.name ?? sa.name },
    } as AaaRequest;
    this.act({ type: 'aaa-request', request });
    this.counter(`aaa.${req.kind}`);
    return requestId;
  }

  /** A session handle unique in this engine (IOS prints e.g. L2L4AC1G102ZO2L4AC1G101ZI1F401F4ZN34). */
  private auditSessionId(sa: IkeSa): string {
    return `L2L${this.name.replace(/[^A-Za-z0-9]/g, '').toUpperCase().slice(0, 8)}${sa.id.toString(16).toUpperCase().padStart(6, '0')}Z${this.random.bytes(4).toString('hex').toUpperCase()}`;
  }

  armEapTimeout(sa: IkeSa, now: number): void {
    const t = sa.profile?.eapServer?.timeout ?? 90;
    this.timers.set(`${sa.timerPrefix}eap`, now + t * 1000, (at) => {
      sa.emit('auth-failed', `EAP timeout: no response from ${sa.remoteId?.value ?? sa.peer} within ${t} s`, { timeout: t });
      this.counter('eap-timeouts');
      sa.destroy('EAP timeout', at);
    });
  }

  disarmEapTimeout(sa: IkeSa): void {
    this.timers.cancel(`${sa.timerPrefix}eap`);
  }

  // ============================================================================ queries

  ikeSas(now = this.now): IkeSaView[] {
    return [...this.byId.values()].map((s) => s.view(now));
  }

  ikeSa(id: number): IkeSa | undefined {
    return this.byId.get(id);
  }

  childSa(id: number): ChildSa | undefined {
    return this.children.get(id);
  }

  connectionStates(): Array<{ name: string; saId?: number; attempts: number; down: boolean; auto: boolean; peer: string }> {
    return [...this.connections.values()].map((c) => ({
      name: c.config.name, saId: c.saId, attempts: c.attempts, down: c.down, auto: !!c.config.auto,
      peer: `${c.config.remote.address}:${c.config.remote.port}`,
    }));
  }

  counterSnapshot(): Record<string, number> {
    return Object.fromEntries([...this.counters].sort());
  }

  get halfOpenCount(): number {
    return this.halfOpenInit.size;
  }

  // ============================================================================ EngineCore

  act(a: Action): void {
    this.actions.push(a);
  }

  emit(type: IkeEventType, text: string, fields: Partial<Omit<IkeEvent, 'type' | 'text' | 'time'>> = {}): void {
    this.actions.push({ type: 'event', event: { time: this.now, type, text, ...fields } });
  }

  counter(name: string, n = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + n);
  }

  newIkeSpi(): Buffer {
    for (;;) {
      const b = this.random.bytes(8);
      if (!b.equals(Buffer.alloc(8)) && !this.sas.has(hex(b))) return keepBytes(b);
    }
  }

  newChildSpi(): number {
    for (;;) {
      const v = this.random.bytes(4).readUInt32BE(0);
      // SPIs 1..255 are reserved by IANA (RFC 4303 2.1); 0 is not a valid SPI.
      if (v > 255 && !this.childSpis.has(v)) {
        this.childSpis.add(v);
        return v;
      }
    }
  }

  nextChildId(): number {
    return ++this.childIds;
  }

  nextIkeSaId(): number {
    return ++this.ikeSaIds;
  }

  registerIkeSa(sa: IkeSa): void {
    this.sas.set(hex(sa.localSpi), sa);
    this.byId.set(sa.id, sa);
  }

  unregisterIkeSa(sa: IkeSa): void {
    if (this.sas.get(hex(sa.localSpi)) === sa) this.sas.delete(hex(sa.localSpi));
    this.byId.delete(sa.id);
    for (const [k, v] of this.halfOpenInit) if (v === sa) this.halfOpenInit.delete(k);
  }

  registerChild(child: ChildSa): void {
    this.children.set(child.id, child);
    this.childSpis.add(child.spiIn);
  }

  unregisterChild(child: ChildSa): void {
    this.children.delete(child.id);
    this.childSpis.delete(child.spiIn);
  }

  findIkeSaById(id: number): IkeSa | undefined {
    return this.byId.get(id);
  }

  passiveTasks(sa: IkeSa, exchange: ExchangeType, payloads: Payload[]): Task[] {
    return passiveTasks(sa, exchange, payloads);
  }

  ikeSasByRemoteId(sa: IkeSa): IkeSa[] {
    const id = sa.remoteId;
    if (!id) return [];
    return [...this.byId.values()].filter((o) => o !== sa && o.remoteId?.type === id.type && o.remoteId.value === id.value && o.profile === sa.profile);
  }

  authStarted(sa: IkeSa): void {
    for (const [k, v] of this.halfOpenInit) if (v === sa) this.halfOpenInit.delete(k);
    this.timers.cancel(`${sa.timerPrefix}halfopen`);
  }

  established(sa: IkeSa, now: number): void {
    this.authStarted(sa);
    sa.releaseSetupState();
    if (!sa.initiator && sa.profile?.accounting && !sa.accountingSessionId && !sa.addressFailure) {
      // RADIUS accounting Start after the final IKE_AUTH response (S2:556), Stop when the session ends.
      sa.accountingSessionId = (++this.accountingIds).toString(16).toUpperCase().padStart(8, '0');
      sa.accountingStartedAt = now;
      if (!sa.auditSessionId) sa.auditSessionId = this.auditSessionId(sa);
      this.act({ type: 'accounting', record: this.accountingRecord(sa, 'start') });
      this.armAccountingInterim(sa, now);
    }
    const conn = [...this.connections.values()].find((c) => c.saId === sa.id);
    if (conn) conn.attempts = 0;
    if (conn?.grant && sa.reconnected) {
      conn.grant.lostAt = undefined;
      sa.emit('reconnect', `session ${conn.grant.sessionId} reconnected without user authentication`, { reconnect: 'reconnected', sessionId: conn.grant.sessionId });
    }
    this.armIkeTimers(sa, now);
  }

  /** Interim-Update every `accountingInterim` seconds while the session lasts (also after an IKE rekey). */
  private armAccountingInterim(sa: IkeSa, now: number): void {
    const every = sa.profile?.accountingInterim;
    if (!every || every <= 0 || !sa.accountingSessionId) return;
    const tick = (t: number) => {
      if (!sa.isEstablished || !sa.accountingSessionId) return;
      this.now = t;
      this.act({ type: 'accounting', record: this.accountingRecord(sa, 'interim') });
      this.timers.set(`${sa.timerPrefix}acctinterim`, t + every * 1000, tick);
    };
    this.timers.set(`${sa.timerPrefix}acctinterim`, now + every * 1000, tick);
  }

  private armIkeTimers(sa: IkeSa, now: number): void {
    const p = sa.profile;
    if (!p) return;
    const s = this.settings;
    const life = p.lifetime * 1000;
    if (life > 0) {
      const jitter = life * s.rekeyJitter * (this.random.bytes(1)[0]! / 255);
      this.timers.set(`${sa.timerPrefix}ikerekey`, now + life * (1 - s.rekeyMargin) - jitter, (t) => this.ikeLifetime(sa, t));
      this.timers.set(`${sa.timerPrefix}ikeexpire`, now + life, (t) => {
        sa.emit('info', `IKE SA lifetime of ${p.lifetime} s expired`);
        this.deleteIke(sa.id, t, 'lifetime expired');
      });
    }
    if (sa.dpdConfig && sa.dpdConfig.interval > 0) this.armDpd(sa, now);
    // natLocal comes from the peer's NAT_DETECTION_DESTINATION_IP, so it is real even when we fake
    // our own source hash (forceEncap): a node really behind a NAT keeps its mapping alive.
    if (sa.natLocal && s.natKeepalive > 0) this.armKeepalive(sa, now);
  }

  /**
   * Liveness checks (RFC 7296 2.4): when nothing protected arrived for `interval` seconds, send an
   * empty INFORMATIONAL (periodic), or only if we sent traffic meanwhile (on-demand).
   */
  private armDpd(sa: IkeSa, now: number): void {
    const dpd = sa.dpdConfig!;
    const interval = dpd.interval * 1000;
    const quietSince = () => Math.max(sa.lastInbound, sa.lastInboundTraffic);
    const schedule = (at: number) => this.timers.set(`${sa.timerPrefix}dpd`, at, check);
    const check = (t: number) => {
      if (!sa.isEstablished) return;
      const quiet = quietSince();
      if (t - quiet < interval) {
        schedule(quiet + interval);
        return;
      }
      const wanted = dpd.mode === 'periodic' || sa.lastOutboundTraffic > quiet;
      if (wanted && !sa.hasOutstanding(ExchangeType.INFORMATIONAL)) {
        sa.queueExchange(ExchangeType.INFORMATIONAL, [new DpdTask()], t, { dpd: true });
      }
      schedule(t + interval);
    };
    schedule(Math.max(now, quietSince()) + interval);
  }

  private armKeepalive(sa: IkeSa, now: number): void {
    // RFC 3948 4: a single 0xFF byte from 4500 keeps the NAT mapping alive.
    this.timers.set(`${sa.timerPrefix}keepalive`, now + this.settings.natKeepalive * 1000, (t) => {
      if (!sa.isEstablished) return;
      this.act({ type: 'send', datagram: { local: sa.local, remote: sa.remote, data: Buffer.from([0xff]) } });
      this.counter('nat-keepalives-sent');
      this.armKeepalive(sa, t);
    });
  }

  ikeLifetime(sa: IkeSa, now: number): void {
    if (!this.rekeyIke(sa.id, now)) this.timers.set(`${sa.timerPrefix}ikerekey`, now + 1000, (t) => this.ikeLifetime(sa, t));
  }

  childLifetime(sa: IkeSa, child: ChildSa, kind: 'soft' | 'hard', now: number): void {
    if (child.state === 'DELETED') return;
    if (kind === 'soft') {
      if (child.state !== 'INSTALLED') return;
      sa.emit('info', `CHILD SA {${child.id}} reached its soft lifetime: rekeying`, undefined, child.id);
      this.rekeyChild(child.id, now);
      return;
    }
    sa.emit('info', `CHILD SA {${child.id}} reached its hard lifetime: deleting`, undefined, child.id);
    if (child.state !== 'DELETING') this.deleteChild(child.id, now, 'hard lifetime expired');
  }

  /** TEMPORARY_FAILURE (RFC 7296 2.25): try again after a random 0.5-2 s, so two peers do not collide again. */
  private retryLater(key: string, now: number, f: (t: number) => void): void {
    this.timers.set(key, now + 500 + (this.random.bytes(1)[0]! / 255) * 1500, f);
  }

  retryChildRekey(sa: IkeSa, child: ChildSa, now: number): void {
    this.retryLater(`${sa.timerPrefix}c${child.id}retry`, now, (t) => this.rekeyChild(child.id, t));
  }

  retryIkeRekey(sa: IkeSa, now: number): void {
    this.retryLater(`${sa.timerPrefix}ikerekeyretry`, now, (t) => this.rekeyIke(sa.id, t));
  }

  adoptRekeyedIkeSa(old: IkeSa, n: IkeSa, now: number): void {
    if (old.replacedBy !== undefined) return;
    n.profile = old.profile;
    n.name = old.name;
    n.localId = old.localId;
    n.remoteId = old.remoteId;
    n.remoteEapId = old.remoteEapId;
    n.authLocalMethod = old.authLocalMethod;
    n.authRemoteMethod = old.authRemoteMethod;
    n.authenticated = true;
    n.natLocal = old.natLocal;
    n.natRemote = old.natRemote;
    n.natFaked = old.natFaked;
    n.peerFragmentation = old.peerFragmentation;
    n.peerSignatureHashes = old.peerSignatureHashes;
    n.peerVendorIds = old.peerVendorIds;
    n.peerWindow = old.peerWindow;
    n.peerFlexvpn = old.peerFlexvpn;
    n.configAssigned = old.configAssigned;
    n.accountingSessionId = old.accountingSessionId;
    n.accountingStartedAt = old.accountingStartedAt;
    n.auditSessionId = old.auditSessionId;
    n.aaaUserName = old.aaaUserName;
    n.authorization = old.authorization;
    old.accountingSessionId = undefined; // the session goes on under the new SA: no Stop for the old one
    this.armAccountingInterim(n, now);
    n.configReceived = old.configReceived;
    n.anyconnect = old.anyconnect;
    n.resumption = old.resumption;
    n.reconnectSessionId = old.reconnectSessionId;
    n.reconnected = old.reconnected;
    n.smartDpd = old.smartDpd;
    if (old.reconnectSessionId) {
      const rs = this.reconnectSessions.get(old.reconnectSessionId);
      if (rs?.ikeSaId === old.id) rs.ikeSaId = n.id;
    }
    n.local = { ...old.local };
    n.remote = { ...old.remote };
    n.lastInbound = now;
    old.configAssigned = undefined; // the pool lease moves with the session
    old.replacedBy = n.id;
    for (const c of [...old.children.values()]) {
      old.children.delete(c.id);
      c.ikeSaId = n.id;
      n.children.set(c.id, c);
      this.timers.cancel(`${old.timerPrefix}c${c.id}rekey`);
      this.timers.cancel(`${old.timerPrefix}c${c.id}expire`);
      n.armChildTimers(c, now);
    }
    for (const conn of this.connections.values()) if (conn.saId === old.id) conn.saId = n.id;
    // Timers of the old SA (DPD, lifetime) stop; the new SA gets its own.
    for (const t of ['dpd', 'ikerekey', 'ikeexpire', 'keepalive']) this.timers.cancel(`${old.timerPrefix}${t}`);
    this.armIkeTimers(n, now);
    // If the peer never deletes the old SA, drop it quietly after a while.
    this.timers.set(`${old.timerPrefix}retire`, now + 30_000, (t) => old.destroy('replaced by rekey', t));
    this.counter('ike-rekeyed');
    n.emit('ike-rekeyed', `IKE SA rekeyed: ${hex(old.spiI)}_i ${hex(old.spiR)}_r -> ${hex(n.spiI)}_i ${hex(n.spiR)}_r, ${n.children.size} CHILD SA(s) moved`,
      { old: old.id, oldSpiI: hex(old.spiI), oldSpiR: hex(old.spiR), spiI: hex(n.spiI), spiR: hex(n.spiR), children: [...n.children.keys()] });
    this.act({ type: 'update-endpoints', ikeSaId: n.id, local: n.local, remote: n.remote, childIds: [...n.children.keys()] });
  }

  private accountingRecord(sa: IkeSa, status: 'start' | 'stop' | 'interim', terminateCause?: string): AccountingRecord {
    return {
      status, ikeSaId: sa.id, sessionId: sa.accountingSessionId!, userName: sa.aaaUserName ?? sa.remoteEapId ?? sa.remoteId?.value ?? sa.remote.address,
      context: { peer: { ...sa.remote }, local: { ...sa.local }, phase1Id: sa.remoteId?.value ?? sa.remote.address, auditSessionId: sa.auditSessionId, profile: sa.profile?.name ?? sa.name },
      framedIp: sa.configAssigned?.address4, terminateCause, childIds: [...sa.children.keys()], startedAt: sa.accountingStartedAt ?? sa.createdAt,
    };
  }

  // ============================================================================ auto-reconnect

  /** Unreachable peer (DPD or retransmissions gave up), as opposed to a deliberate end. */
  private static lost(reason: string): boolean {
    return reason === 'dpd-timeout' || reason === 'retransmit-timeout';
  }

  reconnectGrant(sa: IkeSa, now: number): ReconnectGrant | undefined {
    const p = sa.profile;
    if (!p?.reconnect) return undefined;
    // F-RC-01: the initial session must be authenticated by EAP or a certificate, never PSK.
    if (sa.authRemoteMethod === 'PSK' && !sa.reconnected) {
      sa.emit('reconnect', `reconnect not granted to ${sa.remoteId?.value}: a PSK-authenticated session cannot reconnect`, { reconnect: 'refused-psk' });
      return undefined;
    }
    let s = sa.reconnectSessionId ? this.reconnectSessions.get(sa.reconnectSessionId) : undefined;
    if (!s) {
      s = this.reconnectSessions.create({
        dpdInterval: p.reconnect.dpdInterval, cleanupInterval: p.reconnect.timeout, profile: p.name, remoteId: sa.remoteId!, remoteEapId: sa.remoteEapId,
        authorization: sa.authorization, authVerify: sa.authRemoteMethod, createdAt: now, ikeSaId: sa.id,
      });
      sa.emit('reconnect', `reconnect granted to ${sa.remoteEapId ?? sa.remoteId?.value}: session-id ${s.sessionId}, dpd-interval ${s.dpdInterval} s, cleanup-interval ${s.cleanupInterval} s`, { reconnect: 'granted', sessionId: s.sessionId });
    }
    s.ikeSaId = sa.id;
    s.state = 'active';
    s.assigned = sa.configAssigned;
    sa.reconnectSessionId = s.sessionId;
    // Smart DPD (F-RC-02): without a configured DPD the hub stays passive while the client's own
    // probes (or traffic) arrive, and probes itself after twice the client's dpd-interval of silence.
    if (!p.dpd) sa.smartDpd = { interval: 2 * s.dpdInterval, retries: 3, retryInterval: s.dpdInterval, mode: 'periodic' };
    return s;
  }

  reconnectGranted(sa: IkeSa, grant: NonNullable<IkeSa['configReceived']>['reconnect'] & object, now: number): void {
    const c = [...this.connections.values()].find((x) => x.saId === sa.id);
    if (!c || !grant.sessionId || !grant.sessionToken) return;
    c.grant = { sessionId: grant.sessionId, sessionToken: grant.sessionToken, dpdInterval: grant.dpdInterval ?? 30, cleanupInterval: grant.cleanupInterval ?? 1800 };
    sa.reconnectSessionId = grant.sessionId;
    // The client probes at the headend's dpd-interval (F-RC-02) unless DPD is configured.
    if (!sa.profile?.dpd && c.grant.dpdInterval > 0) {
      sa.smartDpd = { interval: c.grant.dpdInterval, retries: 3, retryInterval: c.grant.dpdInterval, mode: 'periodic' };
      if (sa.isEstablished) this.armDpd(sa, now);
    }
    if (!sa.reconnected) sa.emit('reconnect', `auto-reconnect granted: session-id ${grant.sessionId}, dpd-interval ${c.grant.dpdInterval} s, cleanup-interval ${c.grant.cleanupInterval} s`, { reconnect: 'granted', sessionId: grant.sessionId });
  }

  /** Hub: the IKE SA of a reconnect-capable session is gone. */
  private reconnectSessionEnded(sa: IkeSa, reason: string, now: number): void {
    const s = this.reconnectSessions.get(sa.reconnectSessionId!);
    if (!s || s.ikeSaId !== sa.id || sa.supersededByReconnect) return;
    if (!IkeEngine.lost(reason)) {
      this.reconnectSessions.delete(s.sessionId);
      this.emit('reconnect', `reconnect session ${s.sessionId} of ${s.remoteEapId ?? s.remoteId.value} ended (${reason}): it cannot reconnect`, { ikeSaId: sa.id, data: { reconnect: 'ended', sessionId: s.sessionId, reason } });
      return;
    }
    s.state = 'inactive';
    s.ikeSaId = undefined;
    s.inactiveSince = now;
    s.expiresAt = now + s.cleanupInterval * 1000;
    s.assigned = sa.configAssigned;
    // Keep the address for the session (destroy just released it back to the pool).
    this.holdAddress(s, true);
    this.emit('reconnect', `session ${s.sessionId} of ${s.remoteEapId ?? s.remoteId.value} is INACTIVE (peer unreachable); kept ${s.cleanupInterval} s for reconnect`, { ikeSaId: sa.id, data: { reconnect: 'inactive', sessionId: s.sessionId, address: s.assigned?.address4 } });
    this.timers.set(`reconnect:${s.sessionId}`, s.expiresAt, (t) => {
      if (s.state !== 'inactive') return;
      this.holdAddress(s, false);
      this.reconnectSessions.delete(s.sessionId);
      this.now = t;
      this.emit('reconnect', `reconnect session ${s.sessionId} of ${s.remoteEapId ?? s.remoteId.value} expired after ${s.cleanupInterval} s inactive`, { data: { reconnect: 'expired', sessionId: s.sessionId } });
    });
  }

  private holdAddress(s: ReconnectSession, hold: boolean): void {
    const a = s.assigned;
    if (!a) return;
    const pool4 = a.pool ? this.pools.all().find((p) => p.name === a.pool) : undefined;
    const pool6 = a.pool6 ? this.pools.all().find((p) => p.name === a.pool6) : undefined;
    if (hold) {
      if (a.address4) pool4?.allocate(`reconnect:${s.sessionId}`, a.address4);
      if (a.address6) pool6?.allocate(`reconnect:${s.sessionId}`, a.address6);
    } else {
      if (a.address4) pool4?.release(a.address4);
      if (a.address6) pool6?.release(a.address6);
    }
  }

  /** A reconnecting client is back: the hub takes its preserved session out of the inactive list. */
  reconnectResumed(s: ReconnectSession, sa: IkeSa, now: number): void {
    this.timers.cancel(`reconnect:${s.sessionId}`);
    if (s.state === 'active' && s.ikeSaId !== undefined && s.ikeSaId !== sa.id) {
      // The hub had not noticed the loss yet: the old IKE SA goes quietly, the session moves.
      const old = this.byId.get(s.ikeSaId);
      if (old) {
        old.supersededByReconnect = true;
        old.destroy(`superseded by a reconnection of session ${s.sessionId}`, now);
      }
    }
    s.state = 'active';
    s.ikeSaId = sa.id;
    s.inactiveSince = undefined;
    s.expiresAt = undefined;
    s.reconnects++;
  }

  /** Client: its IKE SA is gone; decide what the reconnect grant becomes. */
  private clientSessionEnded(c: ConnectionState, sa: IkeSa, reason: string, now: number): void {
    const g = c.grant!;
    if (sa.reconnected && sa.establishedAt === undefined && !IkeEngine.lost(reason)) {
      // The headend refused the session token (unknown session, expired, cleared): full login next.
      c.grant = undefined;
      this.emit('reconnect', `reconnect of session ${g.sessionId} rejected (${reason}); the next attempt authenticates in full`, { ikeSaId: sa.id, data: { reconnect: 'rejected', sessionId: g.sessionId } });
      return;
    }
    if (c.down) {
      // User disconnect: no auto-reconnect (F-RC-01).
      c.grant = undefined;
      return;
    }
    g.lostAt ??= now;
  }

  ikeSaGone(sa: IkeSa, reason: string, now: number): void {
    if (sa.replacedBy !== undefined) return;
    if (sa.accountingSessionId) this.act({ type: 'accounting', record: this.accountingRecord(sa, 'stop', reason) });
    if (!sa.initiator && sa.reconnectSessionId) this.reconnectSessionEnded(sa, reason, now);
    for (const c of this.connections.values()) {
      if (c.saId !== sa.id) continue;
      c.saId = undefined;
      if (c.grant) this.clientSessionEnded(c, sa, reason, now);
      if (!c.down && this.resumption.fallback(sa, reason)) {
        // RFC 5723: a failed resumption is followed by a full IKE_SA_INIT exchange at once.
        this.timers.set(`conn:${c.config.name}`, now, (t) => {
          if (!c.down && c.saId === undefined) this.initiate(c.config, t);
        });
        continue;
      }
      if (!c.config.auto || c.down) continue;
      const delay = (c.config.retryDelay ?? 5) * 1000;
      this.emit('info', `connection ${c.config.name}: IKE SA gone (${reason}), trying again in ${delay / 1000} s`, { data: { connection: c.config.name, reason } });
      this.timers.set(`conn:${c.config.name}`, now + delay, (t) => {
        if (!c.down && c.saId === undefined) this.initiate(c.config, t);
      });
    }
  }

  // ============================================================================ responder IKE_SA_INIT

  private proposalCache?: { profiles: Ikev2Profile[]; policies?: Ikev2Policy[]; wire: ReturnType<typeof ikeProposalToWire>[] };

  private responderProposals(): ReturnType<typeof ikeProposalToWire>[] {
    const c = this.proposalCache;
    if (c && c.profiles === this.profiles && c.policies === this.settings.policies) return c.wire;
    const policies: Ikev2Policy[] = this.settings.policies?.length
      ? this.settings.policies
      : (() => {
        const fromProfiles = [...new Set(this.profiles.map((p) => p.policy))];
        return fromProfiles.length ? fromProfiles : [defaultIkev2Policy()];
      })();
    const wire = policies.flatMap((p) => p.proposals).map((p, i) => ikeProposalToWire(p, i + 1));
    this.proposalCache = { profiles: this.profiles, policies: this.settings.policies, wire };
    return wire;
  }

  private respondToInit(header: IkeHeader, raw: Buffer, d: Datagram, key: string, now: number): void {
    let payloads: Payload[];
    try {
      payloads = decodeMessage(raw).payloads;
    } catch (e) {
      this.dropParse(e, d, 'IKE_SA_INIT');
      if (e instanceof IkeParseError && e.notify) {
        const data = e.notify === NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD && e.payloadType !== undefined ? Buffer.from([e.payloadType]) : undefined;
        this.statelessReply(header, d, [mkNotify(e.notify, data)]);
      }
      return;
    }
    const peer = `${d.remote.address}:${d.remote.port}`;
    // Logged here only when answered without state; an SA logs its own messages.
    const logReceived = () => this.emit('message', `received IKE_SA_INIT request 0 [ ${payloadList(payloads)} ] from ${peer} (${raw.length} bytes)`, {
      peer, data: { direction: 'in', exchange: 'IKE_SA_INIT', response: false, messageId: 0, payloads: payloadList(payloads), encrypted: false, bytes: raw.length, fragments: 1, spiI: hex(header.spiI), spiR: hex(header.spiR), stateless: true },
    });
    // Anti-clogging (RFC 7296 2.6): above the threshold of half-open SAs, no state without a cookie.
    if (this.halfOpenInit.size >= this.settings.cookieThreshold) {
      const n = noncePayload(payloads);
      const c = notify(payloads, NotifyType.COOKIE);
      if (!n || !c || !this.cookies.verify(c.data, n.data, d.remote.address, header.spiI, now)) {
        logReceived();
        this.counter('cookies-demanded');
        if (c) this.counter('cookies-invalid');
        const cookie = this.cookies.make(n?.data ?? Buffer.alloc(0), d.remote.address, header.spiI, now);
        this.emit('cookie-demanded', `${this.halfOpenInit.size} half-open IKE SAs (threshold ${this.settings.cookieThreshold}): demanding a cookie from ${peer}`, { peer, data: { halfOpen: this.halfOpenInit.size, threshold: this.settings.cookieThreshold, invalid: !!c } });
        this.statelessReply(header, d, [mkNotify(NotifyType.COOKIE, cookie)]);
        return;
      }
      this.counter('cookies-accepted');
    }
    const pre = preflight(payloads, this.responderProposals());
    if ('reject' in pre) {
      logReceived();
      this.counter(`ike-sa-init-rejected.${enumName(NotifyType, pre.notify)}`);
      this.emit(pre.notify === NotifyType.INVALID_KE_PAYLOAD ? 'invalid-ke' : 'ike-failed', `IKE_SA_INIT from ${peer} answered ${enumName(NotifyType, pre.notify)}: ${pre.reason}`, { peer, data: { notify: enumName(NotifyType, pre.notify), reason: pre.reason } });
      this.statelessReply(header, d, pre.reject);
      return;
    }
    const sa = this.newResponderSa(header, d, key, now);
    const shared: { preflight: Preflight } = { preflight: pre };
    sa.receive(header, raw, d.remote, d.local, now, shared);
  }

  /**
   * IKE_SESSION_RESUME request (RFC 5723 4.3.2): anti-clogging as for IKE_SA_INIT, then the ticket is
   * checked before any state exists; a bad one gets TICKET_NACK, a good one a new responder SA.
   */
  private respondToResume(header: IkeHeader, raw: Buffer, d: Datagram, key: string, now: number): void {
    let payloads: Payload[];
    try {
      payloads = decodeMessage(raw).payloads;
    } catch (e) {
      this.dropParse(e, d, 'IKE_SESSION_RESUME');
      return;
    }
    const peer = `${d.remote.address}:${d.remote.port}`;
    const logReceived = () => this.emit('message', `received IKE_SESSION_RESUME request 0 [ ${payloadList(payloads)} ] from ${peer} (${raw.length} bytes)`, {
      peer, data: { direction: 'in', exchange: 'IKE_SESSION_RESUME', response: false, messageId: 0, payloads: payloadList(payloads), encrypted: false, bytes: raw.length, fragments: 1, spiI: hex(header.spiI), spiR: hex(header.spiR), stateless: true },
    });
    const n = noncePayload(payloads);
    const ticket = notify(payloads, NotifyType.TICKET_OPAQUE);
    if (!n || !ticket || n.data.length < 16 || n.data.length > 256) {
      logReceived();
      this.counter('resume.bad-request');
      this.statelessReply(header, d, [mkNotify(NotifyType.INVALID_SYNTAX)]);
      return;
    }
    if (this.halfOpenInit.size >= this.settings.cookieThreshold) {
      const c = notify(payloads, NotifyType.COOKIE);
      if (!c || !this.cookies.verify(c.data, n.data, d.remote.address, header.spiI, now)) {
        logReceived();
        this.counter('cookies-demanded');
        if (c) this.counter('cookies-invalid');
        this.emit('cookie-demanded', `${this.halfOpenInit.size} half-open IKE SAs (threshold ${this.settings.cookieThreshold}): demanding a cookie from ${peer}`, { peer, data: { halfOpen: this.halfOpenInit.size, threshold: this.settings.cookieThreshold, invalid: !!c } });
        this.statelessReply(header, d, [mkNotify(NotifyType.COOKIE, this.cookies.make(n.data, d.remote.address, header.spiI, now))]);
        return;
      }
      this.counter('cookies-accepted');
    }
    const state = this.resumption.accept(ticket.data, peer, now);
    if ('reason' in state) {
      logReceived();
      this.statelessReply(header, d, [mkNotify(NotifyType.TICKET_NACK)]);
      return;
    }
    const sa = this.newResponderSa(header, d, key, now);
    sa.receive(header, raw, d.remote, d.local, now, { resume: state });
  }

  /** RFC 5723: asks the gateway for a fresh resumption ticket (INFORMATIONAL with TICKET_REQUEST). */
  refreshTicket(id: number, now: number): boolean {
    this.now = now;
    const sa = this.byId.get(id);
    if (!sa || !sa.isEstablished || !sa.initiator) return false;
    sa.queueExchange(ExchangeType.INFORMATIONAL, [new TicketTask({ refresh: true })], now);
    return true;
  }

  /** Answers an IKE_SA_INIT request without keeping any state (RFC 7296 2.6, 1.2). */
  /** A responder IKE SA for an IKE_SA_INIT or IKE_SESSION_RESUME request, half-open until established. */
  private newResponderSa(header: IkeHeader, d: Datagram, key: string, now: number): IkeSa {
    const sa = new IkeSa(this, this.nextIkeSaId(), false, keepBytes(header.spiI), this.newIkeSpi(), { ...d.local }, { ...d.remote }, now, 'responder');
    this.registerIkeSa(sa);
    this.halfOpenInit.set(key, sa);
    this.timers.set(`${sa.timerPrefix}halfopen`, now + this.settings.halfOpenTimeout * 1000, (t) => {
      if (!sa.isEstablished) {
        this.counter('half-open-timeouts');
        sa.destroy(`not established within ${this.settings.halfOpenTimeout} s (half-open)`, t);
      }
    });
    return sa;
  }

  private statelessReply(req: IkeHeader, d: Datagram, payloads: Payload[]): void {
    const msg = encodeMessage({
      header: {
        spiI: req.spiI, spiR: Buffer.alloc(8), nextPayload: 0, majorVersion: 2, minorVersion: 0, exchangeType: req.exchangeType,
        initiator: false, response: true, version: false, messageId: req.messageId, length: 0,
      },
      payloads,
    });
    const data = d.local.port === 500 ? msg : Buffer.concat([NON_ESP_MARKER, msg]);
    this.act({ type: 'send', datagram: { local: d.local, remote: d.remote, data } });
    const peer = `${d.remote.address}:${d.remote.port}`;
    this.emit('message', `sending ${enumName(ExchangeType, req.exchangeType)} response 0 [ ${payloadList(payloads)} ] to ${peer} (${msg.length} bytes, no state kept)`, {
      peer, data: { direction: 'out', exchange: enumName(ExchangeType, req.exchangeType), response: true, messageId: req.messageId, payloads: payloadList(payloads), encrypted: false, bytes: msg.length, fragments: 1, spiI: hex(req.spiI), spiR: '0000000000000000', stateless: true },
    });
  }

  private dropParse(e: unknown, d: Datagram, what: string): void {
    const code = e instanceof IkeParseError ? e.code : 'ERROR';
    this.counter(`drop.parse.${code}`);
    this.emit('drop', `malformed ${what} from ${d.remote.address}:${d.remote.port} dropped: ${(e as Error).message}`, { peer: `${d.remote.address}:${d.remote.port}`, data: { reason: `parse.${code}` } });
  }
}

export { NAT_T_PORT };
