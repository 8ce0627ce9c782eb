// One IKE SA (RFC 7296): its keys and negotiated suite, the request/response machinery (message
// IDs, windows, retransmission, the responder's retransmit cache, fragmentation), the timers that
// drive rekeying, liveness and expiry, and its CHILD SAs. Exchanges themselves are tasks.

import { Buffer } from 'node:buffer';
import { ExchangeType, NotifyType, PayloadType, enumName } from '../constants.ts';
import type { Endpoint } from '../actions.ts';
import type { Identity, Ikev2Profile } from '../config.ts';
import type { IkeHeader, Payload, Proposal } from '../message.ts';
import type { IkeSuite } from '../proposals.ts';
import { describeIkeSuite, describeChildSuite } from '../proposals.ts';
import type { EngineCore } from './context.ts';
import type { ExchangeContext, Task, TaskResult } from './task.ts';
import { ChildSa, spiHex } from './child-sa.ts';
import { keepBytes } from '../../util/keep-bytes.ts';
import { encodeHeader } from '../codec/header.ts';
import { encodeMessage, decodeMessage } from '../codec/message.ts';
import { decodePayloads, encodePayloads } from '../codec/chain.ts';
import { IkeParseError } from '../codec/errors.ts';
import { payloadList } from '../codec/describe.ts';
import { openSk, openSkf, sealSk, sealSkf } from '../crypto/sk.ts';
import type { IkeSaKeys } from '../crypto/keymat.ts';
import type { KeyExchange } from '../crypto/dh.ts';
import { encrAlgorithm, integAlgorithm } from '../../crypto/algorithms.ts';
import { tsToText } from '../traffic-selectors.ts';
import { mkNotify } from '../payload-util.ts';
import { identityToString } from '../identity.ts';
import { resumptionView } from '../resumption/view.ts';

export type IkeSaState = 'CONNECTING' | 'AUTHENTICATING' | 'ESTABLISHED' | 'REKEYING' | 'DELETING' | 'DELETED';

export const NON_ESP_MARKER = Buffer.alloc(4);

/**
 * IKE_SA_INIT, or IKE_SESSION_RESUME in its place (RFC 5723): message ID 0, SPIr zero in the
 * request, never encrypted, and the message the IKE_AUTH payload signs (RFC 7296 2.15).
 */
export function isFirstExchange(e: ExchangeType): boolean {
  return e === ExchangeType.IKE_SA_INIT || e === ExchangeType.IKE_SESSION_RESUME;
}

interface PendingExchange {
  type: ExchangeType;
  tasks: Task[];
  /** Liveness check: retransmitted on the DPD schedule, a timeout is a dead peer. */
  dpd?: boolean;
}

interface OutstandingRequest extends PendingExchange {
  messageId: number;
  datagrams: Buffer[];
  payloads: Payload[];
  sentAt: number;
  retransmits: number;
  shared: Record<string, unknown>;
}

interface FragmentSet {
  total: number;
  innerFirst: number;
  parts: Map<number, Buffer>;
  firstAt: number;
  header: IkeHeader;
}

export interface ConfigReceived {
  address4?: string;
  netmask4?: string;
  address6?: string;
  dns: string[];
  nbns: string[];
  subnets: string[];
  defaultDomain?: string;
  splitDns: string[];
  banner?: string;
  backupGateways?: string[];
  /** Cisco auto-reconnect attributes (F-CFG-10), when the headend granted reconnect. */
  reconnect?: { sessionId?: string; sessionToken?: string; dpdInterval?: number; cleanupInterval?: number };
  other: Array<{ type: number; value: string }>;
}

export interface ConfigAssigned {
  address4?: string;
  address6?: string;
  pool?: string;
  pool6?: string;
  /** Subnets the peer announced (IOS `route accept`), installed as routes on our side. */
  peerSubnets: string[];
  /** What we pushed, with the source of each attribute (local policy, RADIUS...). */
  pushed: Record<string, { value: unknown; source: string }>;
}

export class IkeSa {
  state: IkeSaState = 'CONNECTING';
  profile?: Ikev2Profile;
  /** Name of the connection that created it (initiator) or the profile that matched (responder). */
  name: string;
  suite?: IkeSuite;
  keys?: IkeSaKeys;
  kex?: KeyExchange;
  dhGroup?: number;
  nonceI?: Buffer;
  nonceR?: Buffer;
  /** IKE_SA_INIT request and response as on the wire: the AUTH payload signs them (RFC 7296 2.15). */
  initRequest?: Buffer;
  initResponse?: Buffer;
  cookie?: Buffer;
  /** Proposals we sent in IKE_SA_INIT (initiator). */
  sentProposals: Proposal[] = [];
  createdAt: number;
  establishedAt?: number;
  localId?: Identity;
  remoteId?: Identity;
  remoteEapId?: string;
  authLocalMethod?: string;
  authRemoteMethod?: string;
  authenticated = false;
  /** AnyConnect-EAP client: what the headend's `complete` carried and the config-auth sequence. */
  anyconnect?: AnyConnectSessionInfo;
  /** Cisco auto-reconnect: the session this SA carries (hub) or came back with (both sides). */
  reconnectSessionId?: string;
  /** This SA is a reconnection (PSK with the session token): show flag R (F-RC-01). */
  reconnected = false;
  /** Hub: the preserved session a reconnect restores (authorization, address). */
  reconnectRestore?: import('../reconnect.ts').ReconnectSession;
  /** Smart DPD (F-RC-02) or the client's DPD at the headend's dpd-interval, when none is configured. */
  smartDpd?: import('../config.ts').DpdConfig;
  /** Superseded by a reconnection of the same session (the hub drops it quietly). */
  supersededByReconnect = false;

  /** The DPD in force: the profile's, else smart DPD. */
  get dpdConfig(): import('../config.ts').DpdConfig | undefined {
    return this.profile?.dpd ?? this.smartDpd;
  }
  /** RFC 5723 session resumption: a ticket asked for, granted or received; resumed from a ticket. */
  resumption?: import('../resumption/service.ts').SaResumption;
  /** NAT detection (RFC 7296 2.23): natLocal = we are behind a NAT; natRemote = the peer is. */
  natLocal = false;
  natRemote = false;
  /** Forced UDP encapsulation faked a NAT on our side (like strongSwan's encap=yes). */
  natFaked = false;
  peerFragmentation = false;
  peerSignatureHashes: number[] = [];
  peerVendorIds: Buffer[] = [];
  peerWindow = 1;
  peerFlexvpn = false;
  initialContact = false;
  configReceived?: ConfigReceived;
  configAssigned?: ConfigAssigned;
  readonly children = new Map<number, ChildSa>();
  /** Set on the new SA of an IKE rekey, and on the old one once replaced. */
  rekeyedFrom?: number;
  replacedBy?: number;
  /** New IKE SA we created as responder while our own rekey was outstanding (RFC 7296 2.8.2). */
  ikeCollision?: IkeSa;
  /** Pre-shared keys fetched from RADIUS for this peer (keyring aaa). */
  aaaPsk?: { symmetric?: string; local?: string; remote?: string };
  /** Attributes received while authenticating (EAP or AAA-PSK Access-Accept): implicit authorization. */
  implicitAttributes?: import('../../aaa/authorization.ts').AuthorizationAttributes;
  /** The merged authorization of the session, each attribute with its source (F-AUTHZ-04). */
  authorization?: import('../../aaa/authorization.ts').SourcedAttributes;
  /** The name authorization and accounting use (EAP identity, or the mangled IKE identity). */
  aaaUserName?: string;
  /** Session handle in every RADIUS request, in PoD and CoA (F-SRV-07). */
  auditSessionId = '';
  accountingSessionId?: string;
  accountingStartedAt?: number;
  /**
   * Hub: no inner address could be allocated (F-AUTHZ-01 step 3). The IKE_AUTH response carries
   * INTERNAL_ADDRESS_FAILURE, then the session is terminated: no accounting Start, no VA.
   */
  addressFailure?: string;
  /** An outstanding AAA request this SA waits for. */
  aaaRequestId?: number;
  deleteReason?: string;

  // Message ID state (RFC 7296 2.2, 2.3)
  nextRequestId = 0;
  private readonly outstanding = new Map<number, OutstandingRequest>();
  private readonly queue: PendingExchange[] = [];
  /** Lowest request ID from the peer not processed yet. */
  expectedRequestId = 0;
  // The next three are made when first needed: most SAs never use them, and a hub holds thousands.
  /** Requests processed out of order, above expectedRequestId (window > 1). */
  private processedAhead?: Set<number>;
  private readonly responseCache = new Map<number, Buffer[]>();
  /** Responder tasks that continue over several rounds (IKE_AUTH with EAP). */
  private passive?: Map<number, Task[]>;
  private fragments?: Map<number, FragmentSet>;
  /** A deferred responder exchange waiting for an external answer (AAA). */
  deferred?: { messageId: number; exchange: ExchangeType; tasks: Task[]; x: ExchangeContext; index: number };

  lastInbound: number;
  lastOutboundTraffic = 0;
  lastInboundTraffic = 0;
  stats = { requestsSent: 0, responsesSent: 0, requestsReceived: 0, responsesReceived: 0, retransmits: 0, retransmitsReceived: 0, fragmentsSent: 0, fragmentsReceived: 0 };

  constructor(
    private readonly core: EngineCore,
    readonly id: number,
    /** We are the original initiator (RFC 7296 I flag). */
    readonly initiator: boolean,
    public spiI: Buffer,
    public spiR: Buffer,
    public local: Endpoint,
    public remote: Endpoint,
    now: number,
    name: string,
  ) {
    this.createdAt = now;
    this.lastInbound = now;
    this.name = name;
  }

  get localSpi(): Buffer {
    return this.initiator ? this.spiI : this.spiR;
  }

  get remoteSpi(): Buffer {
    return this.initiator ? this.spiR : this.spiI;
  }

  get peer(): string {
    return `${this.remote.address}:${this.remote.port}`;
  }

  get timerPrefix(): string {
    return `sa${this.id}:`;
  }

  get isEstablished(): boolean {
    return this.state === 'ESTABLISHED' || this.state === 'REKEYING';
  }

  /** Whether this IKE SA floated to port 4500 and uses ESP-in-UDP. */
  get encapsulated(): boolean {
    return this.local.port !== 500 || this.natLocal || this.natRemote;
  }

  hasOutstanding(type?: ExchangeType): boolean {
    for (const r of this.outstanding.values()) if (type === undefined || r.type === type) return true;
    return this.queue.some((q) => type === undefined || q.type === type);
  }

  outstandingTasks(): Task[] {
    return [...[...this.outstanding.values()].flatMap((o) => o.tasks), ...this.queue.flatMap((q) => q.tasks)];
  }

  emit(type: Parameters<EngineCore['emit']>[0], text: string, data?: Record<string, unknown>, childSaId?: number): void {
    this.core.emit(type, text, { ikeSaId: this.id, peer: this.peer, data, childSaId });
  }

  // -------------------------------------------------------------------------------------------
  // Initiator side: queue exchanges, send requests within the peer's window, retransmit.

  queueExchange(type: ExchangeType, tasks: Task[], now: number, opts: { dpd?: boolean; front?: boolean } = {}): void {
    const p: PendingExchange = { type, tasks, dpd: opts.dpd };
    if (opts.front) this.queue.unshift(p);
    else this.queue.push(p);
    this.pump(now);
  }

  /** Starts queued exchanges while the peer's window allows (RFC 7296 2.3). */
  pump(now: number): void {
    while (this.queue.length) {
      if (this.state === 'DELETED') return;
      const next = this.queue[0]!;
      const initial = isFirstExchange(next.type) || next.type === ExchangeType.IKE_AUTH;
      // The initial exchanges run strictly one at a time; later ones fill the window.
      if (initial && this.outstanding.size) return;
      if (!initial && (!this.isEstablished && this.state !== 'DELETING' || this.outstanding.size >= this.peerWindow)) return;
      // Nothing else may start while a DELETE of this IKE SA is outstanding.
      if ([...this.outstanding.values()].some((o) => o.shared.deletingIke)) return;
      this.queue.shift();
      this.sendRequest(next, now);
    }
  }

  private sendRequest(p: PendingExchange, now: number): void {
    // IKE_SA_INIT is always message 0 (also when repeated with a cookie); the initiator's next
    // request is 1, the responder's first request 0 (RFC 7296 2.2).
    if (isFirstExchange(p.type)) this.nextRequestId = 1;
    const messageId = isFirstExchange(p.type) ? 0 : this.nextRequestId++;
    const x = this.context(p.type, messageId, now, [], undefined);
    for (const t of p.tasks) t.buildRequest?.(x);
    // A task may find before sending that the exchange cannot go on (a client persona without a
    // usable certificate): nothing is sent and the SA fails.
    const abort = x.shared.abortExchange as Extract<TaskResult, { status: 'failed' }> | undefined;
    if (abort) {
      this.failed(abort, now, p.type);
      return;
    }
    const req: OutstandingRequest = {
      ...p, messageId, datagrams: [], payloads: x.out, sentAt: now, retransmits: 0, shared: x.shared,
    };
    req.datagrams = this.protect(p.type, messageId, false, x.out);
    if (isFirstExchange(p.type)) this.initRequest = req.datagrams[0];
    this.outstanding.set(messageId, req);
    this.stats.requestsSent++;
    this.logMessage('out', p.type, false, messageId, x.out, req.datagrams);
    this.transmit(req.datagrams);
    this.armRetransmit(req, now);
  }

  private armRetransmit(req: OutstandingRequest, now: number): void {
    const s = this.core.settings;
    let delay: number;
    const dpd = this.dpdConfig;
    if (req.dpd && dpd) {
      delay = (dpd.retryInterval ?? dpd.interval) * 1000;
    } else {
      delay = s.retransmitTimeout * 1000 * Math.pow(s.retransmitBase, req.retransmits);
    }
    this.core.timers.set(`${this.timerPrefix}rt${req.messageId}`, now + delay, (t) => this.retransmit(req.messageId, t));
  }

  private retransmit(messageId: number, now: number): void {
    const req = this.outstanding.get(messageId);
    if (!req) return;
    // A liveness check is retransmitted every retry interval and the peer is dead `retries`
    // intervals after the first check; other requests use the exponential backoff.
    const dpd = this.dpdConfig;
    const giveUp = req.dpd && dpd ? req.retransmits >= dpd.retries - 1 : req.retransmits >= this.core.settings.retransmitTries;
    if (giveUp) {
      const what = req.dpd ? 'dpd-timeout' : 'timeout';
      const since = ((now - req.sentAt) / 1000).toFixed(1);
      this.emit(what, req.dpd
        ? `peer ${this.peer} did not answer ${req.retransmits} liveness checks in ${since} s: declared dead`
        : `no response to ${enumName(ExchangeType, req.type)} request ${messageId} after ${req.retransmits} retransmissions (${since} s): giving up`,
        { exchange: enumName(ExchangeType, req.type), messageId, retransmits: req.retransmits, seconds: Number(since) });
      this.destroy(req.dpd ? 'dpd-timeout' : 'retransmit-timeout', now);
      return;
    }
    req.retransmits++;
    this.stats.retransmits++;
    this.core.counter('retransmits');
    this.emit('retransmit', `retransmit ${req.retransmits} of ${enumName(ExchangeType, req.type)} request ${messageId}`,
      { exchange: enumName(ExchangeType, req.type), messageId, retransmit: req.retransmits });
    this.transmit(req.datagrams);
    this.armRetransmit(req, now);
  }

  // -------------------------------------------------------------------------------------------
  // Receiving

  /** Entry point for a message of this SA (non-ESP marker already removed). */
  receive(header: IkeHeader, raw: Buffer, from: Endpoint, to: Endpoint, now: number, shared?: Record<string, unknown>): void {
    if (this.state === 'DELETED') return;
    if (header.response) this.receiveResponse(header, raw, from, to, now);
    else this.receiveRequest(header, raw, from, to, now, shared);
  }

  private receiveResponse(header: IkeHeader, raw: Buffer, from: Endpoint, to: Endpoint, now: number): void {
    const req = this.outstanding.get(header.messageId);
    if (!req || req.type !== header.exchangeType) {
      this.core.counter('drop.unexpected-response');
      this.emit('drop', `unexpected ${enumName(ExchangeType, header.exchangeType)} response ${header.messageId} dropped`, { reason: 'unexpected-response' });
      return;
    }
    const payloads = this.unprotect(header, raw, now);
    if (!payloads) return;
    this.lastInbound = now;
    this.outstanding.delete(header.messageId);
    this.core.timers.cancel(`${this.timerPrefix}rt${header.messageId}`);
    this.stats.responsesReceived++;
    if (isFirstExchange(header.exchangeType)) this.initResponse = raw;
    this.noteRemote(from, to, now, true);
    this.logMessage('in', header.exchangeType, true, header.messageId, payloads, [raw]);

    const x = this.context(header.exchangeType, header.messageId, now, payloads, header);
    x.shared = req.shared;
    const again: Task[] = [];
    let restart = false;
    for (const t of req.tasks) {
      if (!t.processResponse) continue;
      const r = t.processResponse(x);
      if (r.status === 'again') again.push(t);
      else if (r.status === 'restart') restart = true;
      else if (r.status === 'failed') {
        if (r.fatal) {
          this.failed(r, now, req.type);
          return;
        }
      }
      if (this.state === 'DELETED') return;
    }
    if (restart) {
      this.queueExchange(req.type, req.tasks, now, { front: true });
      return;
    }
    if (again.length) this.queue.unshift({ type: req.type, tasks: again });
    this.pump(now);
  }

  private receiveRequest(header: IkeHeader, raw: Buffer, from: Endpoint, to: Endpoint, now: number, shared?: Record<string, unknown>): void {
    const mid = header.messageId;
    const cached = this.responseCache.get(mid);
    if (cached) {
      // RFC 7296 2.1: a retransmitted request gets the same response, and changes nothing.
      this.stats.retransmitsReceived++;
      this.core.counter('retransmitted-requests');
      this.emit('retransmit', `request ${mid} received again: resending the cached response`, { messageId: mid, received: true });
      this.transmit(cached, from);
      return;
    }
    if (this.deferred && this.deferred.messageId === mid) {
      // Still waiting for AAA: the answer comes later; the retransmission is not news.
      this.core.counter('retransmitted-requests-while-waiting');
      return;
    }
    const window = this.core.settings.window;
    if (mid < this.expectedRequestId || mid >= this.expectedRequestId + window || this.processedAhead?.has(mid)) {
      this.core.counter('drop.invalid-message-id');
      this.emit('drop', `request with message ID ${mid} outside the window [${this.expectedRequestId}, ${this.expectedRequestId + window - 1}] dropped`, { reason: 'invalid-message-id', messageId: mid });
      return;
    }
    const payloads = this.unprotect(header, raw, now);
    if (!payloads) return;
    this.lastInbound = now;
    this.stats.requestsReceived++;
    if (isFirstExchange(header.exchangeType)) this.initRequest = raw;
    this.noteRemote(from, to, now, false);
    this.logMessage('in', header.exchangeType, false, mid, payloads, [raw]);
    this.markProcessed(mid);
    // A protected IKE_AUTH request proves the peer holds the keys: the SA is no longer half-open
    // (cookies count half-open SAs; a slow EAP login is governed by the EAP timeout instead).
    if (header.exchangeType === ExchangeType.IKE_AUTH && !this.initiator) this.core.authStarted(this);

    const x = this.context(header.exchangeType, mid, now, payloads, header);
    if (shared) Object.assign(x.shared, shared);
    let tasks = this.passive?.get(header.exchangeType);
    if (!tasks) tasks = this.core.passiveTasks(this, header.exchangeType, payloads);
    this.runResponder(header.exchangeType, mid, tasks, x, 0, now);
  }

  /** Runs responder tasks from `start`, then builds and sends the response (or defers). */
  private runResponder(exchange: ExchangeType, mid: number, tasks: Task[], x: ExchangeContext, start: number, now: number): void {
    const keep: Task[] = (x.shared.keep as Task[] | undefined) ?? [];
    x.shared.keep = keep;
    for (let i = start; i < tasks.length; i++) {
      const t = tasks[i]!;
      const r: TaskResult = t.processRequest ? t.processRequest(x) : { status: 'done' };
      if (r.status === 'defer') {
        this.deferred = { messageId: mid, exchange, tasks, x, index: i };
        return;
      }
      if (r.status === 'again') keep.push(t);
      if (r.status === 'failed' && r.fatal) {
        // Fatal: the response carries only the error notify, then the SA is gone (RFC 7296 2.21.2).
        const notifyType = r.notify ?? NotifyType.INVALID_SYNTAX;
        x.out = [mkNotify(notifyType, r.notifyData)];
        this.sendResponse(exchange, mid, x.out, now);
        this.emit(notifyType === NotifyType.AUTHENTICATION_FAILED ? 'auth-failed' : 'ike-failed', r.reason, { notify: enumName(NotifyType, notifyType) });
        this.destroy(r.reason, now);
        return;
      }
    }
    this.deferred = undefined;
    for (const t of tasks) t.buildResponse?.(x);
    if (keep.length) (this.passive ??= new Map()).set(exchange, keep);
    else this.passive?.delete(exchange);
    this.sendResponse(exchange, mid, x.out, now);
    for (const f of (x.shared.afterResponse as Array<() => void> | undefined) ?? []) f();
  }

  /** Continues a deferred responder exchange once the external answer is in `x.shared`. */
  resumeDeferred(now: number): void {
    const d = this.deferred;
    if (!d) return;
    d.x.now = now;
    this.runResponder(d.exchange, d.messageId, d.tasks, d.x, d.index, now);
  }

  private markProcessed(mid: number): void {
    if (mid === this.expectedRequestId) {
      this.expectedRequestId++;
      while (this.processedAhead?.delete(this.expectedRequestId)) this.expectedRequestId++;
    } else {
      (this.processedAhead ??= new Set()).add(mid);
    }
  }

  private sendResponse(exchange: ExchangeType, mid: number, payloads: Payload[], now: number): void {
    // Cached until the next request (RFC 7296 2.1): copies that do not pin a shared pool slab.
    const datagrams = this.protect(exchange, mid, true, payloads).map(keepBytes);
    if (isFirstExchange(exchange)) this.initResponse = datagrams[0];
    this.responseCache.set(mid, datagrams);
    // Keep responses for the last `window` request IDs only (RFC 7296 2.3).
    for (const k of this.responseCache.keys()) if (k < mid - this.core.settings.window + 1) this.responseCache.delete(k);
    this.stats.responsesSent++;
    this.logMessage('out', exchange, true, mid, payloads, datagrams);
    this.transmit(datagrams);
    void now;
  }

  /**
   * After a message that passed its integrity check: follow the peer's address. During setup this is
   * the float to port 4500; later it is a NAT rebinding (RFC 7296 2.23: only when the peer is behind
   * a NAT, and only for protected messages).
   */
  private noteRemote(from: Endpoint, to: Endpoint, now: number, response: boolean): void {
    if (from.address === this.remote.address && from.port === this.remote.port && to.port === this.local.port) return;
    const setup = !this.isEstablished;
    if (!setup && !this.natRemote) return;
    // RFC 7296 2.23: the initiator does not change addresses because of a response.
    if (!setup && response) return;
    const old = this.peer;
    this.remote = { ...from };
    this.local = { address: this.local.address, port: to.port };
    if (!setup) this.emit('peer-address-changed', `peer moved from ${old} to ${this.peer}`, { from: old, to: this.peer });
    this.core.act({ type: 'update-endpoints', ikeSaId: this.id, local: this.local, remote: this.remote, childIds: [...this.children.keys()] });
    void now;
  }

  // -------------------------------------------------------------------------------------------
  // Protection (RFC 7296 3.14) and fragmentation (RFC 7383)

  /** Keys follow the original roles, not request/response: the initiator sends with SK_ei/SK_ai. */
  private senderKeys(): { encrKey: Buffer; integKey?: Buffer } {
    const k = this.keys!;
    return this.initiator ? { encrKey: k.skEi, integKey: k.skAi } : { encrKey: k.skEr, integKey: k.skAr };
  }

  private receiverKeys(): { encrKey: Buffer; integKey?: Buffer } {
    const k = this.keys!;
    return this.initiator ? { encrKey: k.skEr, integKey: k.skAr } : { encrKey: k.skEi, integKey: k.skAi };
  }

  private header(exchange: ExchangeType, mid: number, response: boolean, next: number): IkeHeader {
    return {
      spiI: this.spiI, spiR: isFirstExchange(exchange) && !response && this.initiator ? Buffer.alloc(8) : this.spiR,
      nextPayload: next, majorVersion: 2, minorVersion: 0, exchangeType: exchange,
      initiator: this.initiator, response, version: false, messageId: mid, length: 0,
    };
  }

  /** Encodes (and for everything after IKE_SA_INIT encrypts, maybe fragments) one message. */
  protect(exchange: ExchangeType, mid: number, response: boolean, payloads: Payload[]): Buffer[] {
    if (isFirstExchange(exchange) || !this.keys || !this.suite) {
      return [encodeMessage({ header: this.header(exchange, mid, response, 0), payloads })];
    }
    const suite = { encr: this.suite.encr, encrKeyBits: this.suite.encrKeyBits, integ: this.suite.integ };
    const keys = this.senderKeys();
    const inner = encodePayloads(payloads);
    const whole = sealSk(suite, keys, encodeHeader(this.header(exchange, mid, response, PayloadType.SK)), inner.first, inner.bytes, this.core.random);
    const mtu = this.core.settings.fragmentationMtu;
    if (!mtu || !this.peerFragmentation) return [whole];
    const ipHeader = this.remote.address.includes(':') ? 40 : 20;
    const udpOverhead = ipHeader + 8 + (this.local.port === 500 ? 0 : 4);
    if (whole.length + udpOverhead <= mtu) return [whole];
    // Chunk size so that header + SKF header + IV + chunk + padding + ICV fits (RFC 7383 2.5.1).
    const e = encrAlgorithm(suite.encr)!;
    const icv = e.aead ? e.icvLength : integAlgorithm(suite.integ)!.icvLength;
    const room = mtu - udpOverhead - 28 - 8 - e.ivLength - icv - 1;
    const chunk = Math.max(16, Math.floor(room / e.blockSize) * e.blockSize - 1);
    const total = Math.ceil(inner.bytes.length / chunk);
    const out: Buffer[] = [];
    for (let i = 0; i < total; i++) {
      const part = inner.bytes.subarray(i * chunk, (i + 1) * chunk);
      const h = encodeHeader(this.header(exchange, mid, response, PayloadType.SKF));
      out.push(sealSkf(suite, keys, h, i === 0 ? inner.first : 0, i + 1, total, part, this.core.random));
    }
    this.stats.fragmentsSent += out.length;
    this.emit('fragmented', `${enumName(ExchangeType, exchange)} ${response ? 'response' : 'request'} ${mid} (${whole.length} bytes) split into ${total} fragments for MTU ${mtu}`,
      { messageId: mid, bytes: whole.length, fragments: total, mtu });
    return out;
  }

  /** Decrypts and decodes; returns undefined (after counting and logging) when the message must be dropped. */
  private unprotect(header: IkeHeader, raw: Buffer, now: number): Payload[] | undefined {
    try {
      if (header.nextPayload !== PayloadType.SK && header.nextPayload !== PayloadType.SKF) {
        if (!isFirstExchange(header.exchangeType) && this.keys) {
          // After IKE_SA_INIT everything must be protected (RFC 7296 3.14); only an unprotected
          // error notify may be looked at, never acted on.
          this.core.counter('drop.unprotected');
          this.emit('drop', `unprotected ${enumName(ExchangeType, header.exchangeType)} message dropped`, { reason: 'unprotected' });
          return undefined;
        }
        return decodeMessage(raw).payloads;
      }
      if (!this.keys || !this.suite) {
        this.core.counter('drop.no-keys');
        return undefined;
      }
      const suite = { encr: this.suite.encr, encrKeyBits: this.suite.encrKeyBits, integ: this.suite.integ };
      if (header.nextPayload === PayloadType.SK) {
        const r = openSk(suite, this.receiverKeys(), raw, 28);
        return decodePayloads(r.innerFirstPayload, r.plaintext, { inner: true });
      }
      const f = openSkf(suite, this.receiverKeys(), raw, 28);
      this.stats.fragmentsReceived++;
      return this.reassemble(header, f, now);
    } catch (err) {
      const reason = err instanceof IkeParseError ? `malformed: ${err.message}` : (err as Error).name === 'IntegrityError' ? 'integrity check failed' : `${(err as Error).message}`;
      const counter = err instanceof IkeParseError ? `drop.parse.${err.code}` : (err as Error).name === 'IntegrityError' ? 'drop.integrity' : 'drop.decrypt';
      this.core.counter(counter);
      this.emit('drop', `${enumName(ExchangeType, header.exchangeType)} ${header.response ? 'response' : 'request'} ${header.messageId} dropped: ${reason}`, { reason: counter });
      return undefined;
    }
  }

  private reassemble(header: IkeHeader, f: { innerFirstPayload: number; fragmentNumber: number; totalFragments: number; plaintext: Buffer }, now: number): Payload[] | undefined {
    const key = header.messageId * 2 + (header.response ? 1 : 0);
    const fragments = (this.fragments ??= new Map());
    let set = fragments.get(key);
    if (!set || set.total !== f.totalFragments) {
      // A different total means a retransmission with another fragment size: start over (RFC 7383 2.6.2).
      set = { total: f.totalFragments, innerFirst: 0, parts: new Map(), firstAt: now, header };
      fragments.set(key, set);
      this.core.timers.set(`${this.timerPrefix}frag${key}`, now + this.core.settings.fragmentReassemblyTimeout * 1000, () => {
        if (fragments.delete(key)) {
          this.core.counter('drop.fragments-incomplete');
          this.emit('drop', `incomplete fragment set of message ${header.messageId} discarded after ${this.core.settings.fragmentReassemblyTimeout} s`, { reason: 'fragments-incomplete' });
        }
      });
    }
    if (f.fragmentNumber === 1) set.innerFirst = f.innerFirstPayload;
    set.parts.set(f.fragmentNumber, f.plaintext);
    if (set.parts.size < set.total) return undefined;
    fragments.delete(key);
    this.core.timers.cancel(`${this.timerPrefix}frag${key}`);
    const all = Buffer.concat([...Array(set.total).keys()].map((i) => set!.parts.get(i + 1)!));
    this.emit('reassembled', `reassembled message ${header.messageId} from ${set.total} fragments (${all.length} bytes)`, { messageId: header.messageId, fragments: set.total, bytes: all.length });
    return decodePayloads(set.innerFirst, all, { inner: true });
  }

  private transmit(datagrams: Buffer[], to?: Endpoint): void {
    for (const d of datagrams) {
      const data = this.local.port === 500 ? d : Buffer.concat([NON_ESP_MARKER, d]);
      this.core.act({ type: 'send', datagram: { local: this.local, remote: to ?? this.remote, data } });
    }
  }

  private logMessage(dir: 'in' | 'out', exchange: ExchangeType, response: boolean, mid: number, payloads: Payload[], datagrams: Buffer[]): void {
    const encrypted = !isFirstExchange(exchange) && !!this.keys;
    const list = payloadList(payloads);
    const bytes = datagrams.reduce((n, d) => n + d.length, 0);
    const name = enumName(ExchangeType, exchange);
    this.core.emit('message', `${dir === 'out' ? 'sending' : 'received'} ${name} ${response ? 'response' : 'request'} ${mid} [ ${encrypted ? `ENCR{${list}}` : list} ] ${dir === 'out' ? 'to' : 'from'} ${this.peer} (${bytes} bytes${datagrams.length > 1 ? `, ${datagrams.length} fragments` : ''})`, {
      ikeSaId: this.id, peer: this.peer,
      data: {
        direction: dir, exchange: name, response, messageId: mid, payloads: list, encrypted, bytes, fragments: datagrams.length,
        spiI: this.spiI.toString('hex'), spiR: this.spiR.toString('hex'), local: `${this.local.address}:${this.local.port}`,
        initiator: this.initiator,
      },
    });
  }

  context(exchange: ExchangeType, messageId: number, now: number, received: Payload[], header: IkeHeader | undefined): ExchangeContext {
    return { sa: this, core: this.core, now, exchange, messageId, header, received, out: [], shared: {} };
  }

  // -------------------------------------------------------------------------------------------
  // Failure and teardown

  private failed(r: Extract<TaskResult, { status: 'failed' }>, now: number, exchange?: ExchangeType): void {
    const notify = r.notify ? enumName(NotifyType, r.notify) : undefined;
    // A client persona reports the failure the way that client does (Windows: a Win32 error number).
    const ce = r.clientError ?? this.profile?.clientErrorOf?.({ notify: r.notify, reason: r.reason, exchange: exchange !== undefined ? enumName(ExchangeType, exchange) : '' });
    const text = ce ? `${r.reason} (${ce.system} error ${ce.code} ${ce.name})` : r.reason;
    this.emit(r.notify === NotifyType.AUTHENTICATION_FAILED ? 'auth-failed' : 'ike-failed', text,
      { notify, ...(ce ? { clientError: ce.code, clientErrorName: ce.name, clientErrorSystem: ce.system } : {}) });
    this.destroy(text, now);
  }

  /** Removes the SA and its children locally, without any exchange (peer dead, fatal error). */
  destroy(reason: string, now: number): void {
    if (this.state === 'DELETED') return;
    const wasEstablished = this.isEstablished || this.state === 'DELETING';
    this.state = 'DELETED';
    this.deleteReason = reason;
    for (const child of [...this.children.values()]) this.removeChild(child, reason, now);
    for (const r of this.outstanding.values()) for (const t of r.tasks) t.abort?.({ sa: this, core: this.core, now, reason });
    for (const q of this.queue) for (const t of q.tasks) t.abort?.({ sa: this, core: this.core, now, reason });
    this.outstanding.clear();
    this.queue.length = 0;
    this.core.timers.cancelPrefix(this.timerPrefix);
    this.releaseConfig();
    this.core.unregisterIkeSa(this);
    this.emit('ike-deleted', `IKE SA ${this.localSpi.toString('hex')} with ${this.peer} deleted: ${reason}`, { reason, established: wasEstablished, replacedBy: this.replacedBy });
    this.core.ikeSaGone(this, reason, now);
  }

  /**
   * Once IKE_AUTH is done: the IKE_SA_INIT messages were only needed for the AUTH payloads (RFC
   * 7296 2.15) and the DH private value only for g^ir. A retransmitted request still gets the
   * cached response (responseCache), which holds its own reference.
   */
  releaseSetupState(): void {
    this.initRequest = undefined;
    this.initResponse = undefined;
    this.kex = undefined;
  }

  releaseConfig(): void {
    const a = this.configAssigned;
    if (!a) return;
    if (a.address4 && a.pool) this.core.pools.all().find((p) => p.name === a.pool)?.release(a.address4);
    if (a.address6 && a.pool6) this.core.pools.all().find((p) => p.name === a.pool6)?.release(a.address6);
  }

  // -------------------------------------------------------------------------------------------
  // CHILD SAs

  addChild(child: ChildSa, now: number, replaces?: ChildSa, deferOutbound = false): void {
    this.children.set(child.id, child);
    this.core.registerChild(child);
    if (deferOutbound) {
      child.replacesId = replaces?.id;
      child.outboundDeferred = true;
    }
    this.core.act({ type: 'install-child', child: child.toInstall(this.local, this.remote, deferOutbound ? undefined : replaces?.id, deferOutbound) });
    this.armChildTimers(child, now);
    // Each text form once: the message and the event data show the same values.
    const spiIn = spiHex(child.spiIn), spiOut = spiHex(child.spiOut), suite = describeChildSuite(child.suite);
    const localTs = child.localTs.map(tsToText), remoteTs = child.remoteTs.map(tsToText);
    this.emit(replaces ? 'child-rekeyed' : 'child-installed',
      `CHILD SA ${child.name}{${child.id}} ${replaces ? `rekeyed (replaces {${replaces.id}})` : 'installed'}: SPIs ${spiIn}_i ${spiOut}_o, ${suite}, ${localTs.join(',')} === ${remoteTs.join(',')}`,
      { childId: child.id, name: child.name, spiIn, spiOut, suite, localTs, remoteTs, replaces: replaces?.id, initiator: child.initiator, pfs: child.suite.dh },
      child.id);
  }

  armChildTimers(child: ChildSa, now: number): void {
    const s = this.core.settings;
    if (!child.lifetimeSeconds) return;
    const life = child.lifetimeSeconds * 1000;
    const jitter = life * s.rekeyJitter * (this.core.random.bytes(1)[0]! / 255);
    child.rekeyAt = now + life * (1 - s.rekeyMargin) - jitter;
    child.expireAt = now + life;
    this.core.timers.set(`${this.timerPrefix}c${child.id}rekey`, child.rekeyAt, (t) => this.core.childLifetime(this, child, 'soft', t));
    this.core.timers.set(`${this.timerPrefix}c${child.id}expire`, child.expireAt, (t) => this.core.childLifetime(this, child, 'hard', t));
  }

  /** Starts sending on a rekeyed SA whose outbound was held back (the old one is gone). */
  activateOutbound(child: ChildSa): void {
    if (!child.outboundDeferred) return;
    child.outboundDeferred = false;
    this.core.act({ type: 'activate-outbound', childId: child.id, ikeSaId: this.id, replaces: child.replacesId });
  }

  removeChild(child: ChildSa, reason: string, now: number): void {
    if (!this.children.has(child.id)) return;
    this.children.delete(child.id);
    child.state = 'DELETED';
    this.core.unregisterChild(child);
    this.core.timers.cancel(`${this.timerPrefix}c${child.id}rekey`);
    this.core.timers.cancel(`${this.timerPrefix}c${child.id}expire`);
    this.core.timers.cancel(`${this.timerPrefix}c${child.id}old`);
    // A rekeyed successor waiting for this SA to go now takes over outbound traffic first.
    for (const c of this.children.values()) if (c.replacesId === child.id) this.activateOutbound(c);
    this.core.act({ type: 'remove-child', childId: child.id, ikeSaId: this.id, spiIn: child.spiIn, spiOut: child.spiOut });
    this.emit('child-deleted', `CHILD SA ${child.name}{${child.id}} deleted (${spiHex(child.spiIn)}_i ${spiHex(child.spiOut)}_o): ${reason}`,
      { childId: child.id, spiIn: spiHex(child.spiIn), spiOut: spiHex(child.spiOut), reason }, child.id);
    void now;
  }

  findChildByOutboundSpi(spi: number): ChildSa | undefined {
    for (const c of this.children.values()) if (c.spiOut === spi) return c;
    return undefined;
  }

  findChildByInboundSpi(spi: number): ChildSa | undefined {
    for (const c of this.children.values()) if (c.spiIn === spi) return c;
    return undefined;
  }

  // -------------------------------------------------------------------------------------------
  // State for show commands and reports

  view(now: number): IkeSaView {
    const d = this.suite ? describeIkeSuite(this.suite) : undefined;
    return {
      id: this.id, name: this.name, profile: this.profile?.name, state: this.state,
      status: this.state === 'ESTABLISHED' || this.state === 'REKEYING' ? 'READY' : this.state === 'DELETING' || this.state === 'DELETED' ? 'DELETE' : 'IN-NEG',
      initiator: this.initiator,
      spiI: this.spiI.toString('hex'), spiR: this.spiR.toString('hex'),
      localSpi: this.localSpi.toString('hex'), remoteSpi: this.remoteSpi.toString('hex'),
      local: { ...this.local }, remote: { ...this.remote },
      encr: d?.encr, keysize: d?.keysize, prf: d?.prf, hash: d?.hash, dhGroup: d?.dhGroup,
      suite: this.suite,
      authSign: this.authLocalMethod, authVerify: this.authRemoteMethod,
      localId: this.localId ? identityToString(this.localId) : this.local.address,
      localIdType: this.localId?.type ?? 'address',
      remoteId: this.remoteId ? identityToString(this.remoteId) : undefined,
      remoteIdType: this.remoteId?.type,
      remoteEapId: this.remoteEapId,
      ...(this.anyconnect ? { anyconnect: this.anyconnect } : {}),
      lifetime: this.profile?.lifetime ?? 86400,
      activeTime: Math.floor((now - (this.establishedAt ?? this.createdAt)) / 1000),
      createdAt: this.createdAt, establishedAt: this.establishedAt,
      localReqMsgId: Math.max(0, this.nextRequestId - 1), remoteReqMsgId: Math.max(0, this.expectedRequestId - 1),
      localNextMsgId: this.nextRequestId, remoteNextMsgId: this.expectedRequestId,
      localReqQueued: this.outstanding.size + this.queue.length, remoteReqQueued: this.deferred ? 1 : 0,
      localWindow: this.core.settings.window, remoteWindow: this.peerWindow,
      dpd: this.dpdConfig ? { interval: this.dpdConfig.interval, retries: this.dpdConfig.retries, mode: this.dpdConfig.mode, ...(this.profile?.dpd ? {} : { smart: true }) } : undefined,
      ...(this.reconnectSessionId ? { reconnect: { sessionId: this.reconnectSessionId, reconnected: this.reconnected } } : {}),
      ...(this.resumption?.resumed || this.resumption?.ticket ? { resumption: resumptionView(this.resumption) } : {}),
      fragmentation: { configured: !!this.core.settings.fragmentationMtu, mtu: this.core.settings.fragmentationMtu, peerSupports: this.peerFragmentation },
      nat: { local: this.natLocal, remote: this.natRemote, faked: this.natFaked, encapsulated: this.encapsulated },
      assignedAddress: this.configAssigned?.address4, assignedAddress6: this.configAssigned?.address6,
      receivedConfig: this.configReceived, assignedConfig: this.configAssigned,
      peerVendorIds: this.peerVendorIds.map((v) => v.toString('hex')),
      aaa: this.auditSessionId || this.accountingSessionId || this.authorization ? {
        userName: this.aaaUserName, auditSessionId: this.auditSessionId || undefined, accountingSessionId: this.accountingSessionId,
        authorization: this.authorization ? Object.fromEntries(Object.entries(this.authorization).map(([k, v]) => [k, { value: /password/i.test(k) ? '*****' : v!.value, source: v!.source }])) : undefined,
      } : undefined,
      stats: { ...this.stats },
      children: [...this.children.values()].map((c) => ({
        id: c.id, name: c.name, state: c.state, spiIn: spiHex(c.spiIn), spiOut: spiHex(c.spiOut),
        suite: describeChildSuite(c.suite), encr: c.suite.encr, encrKeyBits: c.suite.encrKeyBits, integ: c.suite.integ, pfsGroup: c.suite.dh,
        mode: c.mode, localTs: c.localTs.map(tsToText), remoteTs: c.remoteTs.map(tsToText),
        lifetimeSeconds: c.lifetimeSeconds, lifetimeKilobytes: c.lifetimeKilobytes,
        remainingSeconds: c.expireAt ? Math.max(0, Math.floor((c.expireAt - now) / 1000)) : undefined,
        rekeyInSeconds: c.rekeyAt ? Math.max(0, Math.floor((c.rekeyAt - now) / 1000)) : undefined,
        installedAt: c.installedAt, initiator: c.initiator,
      })),
    };
  }
}

export interface IkeSaView {
  id: number;
  name: string;
  profile?: string;
  state: IkeSaState;
  status: 'READY' | 'IN-NEG' | 'DELETE';
  initiator: boolean;
  spiI: string;
  spiR: string;
  localSpi: string;
  remoteSpi: string;
  local: Endpoint;
  remote: Endpoint;
  encr?: string;
  keysize?: number;
  prf?: string;
  hash?: string;
  dhGroup?: number;
  suite?: IkeSuite;
  authSign?: string;
  authVerify?: string;
  localId: string;
  localIdType: string;
  remoteId?: string;
  remoteIdType?: string;
  remoteEapId?: string;
  anyconnect?: AnyConnectSessionInfo;
  lifetime: number;
  activeTime: number;
  createdAt: number;
  establishedAt?: number;
  localReqMsgId: number;
  remoteReqMsgId: number;
  localNextMsgId: number;
  remoteNextMsgId: number;
  localReqQueued: number;
  remoteReqQueued: number;
  localWindow: number;
  remoteWindow: number;
  dpd?: { interval: number; retries: number; mode: string; smart?: boolean };
  reconnect?: { sessionId: string; reconnected: boolean };
  /** RFC 5723: resumed from a ticket, and the ticket granted or received on this SA. */
  resumption?: import('../resumption/view.ts').ResumptionView;
  fragmentation: { configured: boolean; mtu?: number; peerSupports: boolean };
  nat: { local: boolean; remote: boolean; faked: boolean; encapsulated: boolean };
  assignedAddress?: string;
  assignedAddress6?: string;
  receivedConfig?: ConfigReceived;
  assignedConfig?: ConfigAssigned;
  peerVendorIds: string[];
  /** AAA state: user name, audit-session-id, accounting session, authorization with sources. */
  aaa?: { userName?: string; auditSessionId?: string; accountingSessionId?: string; authorization?: Record<string, { value: unknown; source: string }> };
  stats: IkeSa['stats'];
  children: ChildSaView[];
}

export interface ChildSaView {
  id: number;
  name: string;
  state: string;
  spiIn: string;
  spiOut: string;
  suite: string;
  encr: number;
  encrKeyBits?: number;
  integ: number;
  pfsGroup?: number;
  mode: string;
  localTs: string[];
  remoteTs: string[];
  lifetimeSeconds: number;
  lifetimeKilobytes: number;
  remainingSeconds?: number;
  rekeyInSeconds?: number;
  installedAt: number;
  initiator: boolean;
}

export interface AnyConnectSessionInfo {
  sessionId?: string;
  sessionToken?: string;
  /** vpn-profile-manifest entries of `complete` (profile delivery, F-AC-01). */
  profiles: Array<{ uri: string; serviceType: string; hashType: string; hash: string }>;
  /** config-auth documents in order, "<hello", ">init", "<auth-request+cert", ... */
  transcript: string[];
}
