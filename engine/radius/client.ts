// The RADIUS client of a NAS (the FlexVPN hub), sans-IO and deterministic, shaped like the IKE core:
// inputs are requests (`send`), received datagrams and timer expiries, each with `now` in ms;
// outputs are actions drained with `pollActions()` (datagrams to send, a verified response, a
// timeout after every server failed, events), and the next deadline from `pollTimeout()`.
//
// Behaviour (F-SRV-08): per-request timeout (5 s default, the seed's "Started 5 sec timeout") with
// byte-identical retransmissions to the same server (RFC 5080 2.2.1), then failover to the next
// server of the list with a new Identifier (and, for accounting, an updated Acct-Delay-Time); a
// server that timed out is skipped for `deadTimeMs`. Responses are matched by server address and
// port plus Identifier, then verified with the Request Authenticator (and Message-Authenticator);
// anything else is dropped, counted and reported with a reason.

import type { Datagram, Endpoint } from '../ike/actions.ts';
import { SansIoCore } from '../util/sans-io-core.ts';
import { cryptoRandom } from '../util/random.ts';
import type { RandomSource } from '../util/random.ts';
import {
  RADIUS_ACCT_PORT, RADIUS_AUTH_PORT, RADIUS_DAE_PORT, RadiusCode, isRequestCode, radiusCodeName,
} from './constants.ts';
import type { Avp } from './attributes.ts';
import { isRadiusParseError, RadiusEncodeError } from './errors.ts';
import { decodeResponse, encodeRequest } from './message.ts';
import type { RadiusMessage, Secret } from './message.ts';

export interface RadiusServerEntry {
  /** For logs; default "address". */
  name?: string;
  address: string;
  authPort?: number;
  acctPort?: number;
  /** Where Disconnect/CoA requests go when this client is a DAC (RFC 5176: 3799). */
  daePort?: number;
  secret: Secret;
}

export interface RadiusClientOptions {
  servers: RadiusServerEntry[];
  /** The local socket the shell sends from and receives on (default 0.0.0.0:0, "the client's socket"). */
  local?: Endpoint;
  /** Wait for a response before retransmitting (default 5000 ms). */
  timeoutMs?: number;
  /** Retransmissions to one server before failing over (default 2, so 3 tries per server). */
  retries?: number;
  /** How long a server that timed out is skipped for new requests (default 60 s). */
  deadTimeMs?: number;
  /** Drop responses without Message-Authenticator (BlastRADIUS hardening); EAP exchanges always need it. */
  requireMessageAuthenticator?: boolean;
  random?: RandomSource;
}

export interface RadiusRequestInput {
  code: RadiusCode;
  attributes: Avp[];
}

export interface RadiusClientEvent {
  time: number;
  type: 'sent' | 'retransmit' | 'failover' | 'drop' | 'server-dead' | 'server-alive' | 'queued';
  text: string;
  handle?: number;
  server?: string;
  data?: Record<string, unknown>;
}

export type RadiusClientAction =
  | { type: 'send'; datagram: Datagram; handle: number }
  | { type: 'response'; handle: number; request: RadiusRequestInput; response: RadiusMessage; server: string; rttMs: number; attempts: number }
  | { type: 'timeout'; handle: number; request: RadiusRequestInput; servers: string[]; attempts: number }
  | { type: 'event'; event: RadiusClientEvent };

interface Pending {
  handle: number;
  input: RadiusRequestInput;
  startedAt: number;
  /** Indexes of the servers tried so far, in order. */
  tried: number[];
  server: number;
  attempt: number;
  attempts: number;
  identifier: number;
  authenticator: Buffer;
  bytes: Buffer;
  sentAt: number;
  hasEap: boolean;
}

interface ServerState {
  name: string;
  address: string;
  authPort: number;
  acctPort: number;
  daePort: number;
  secret: Secret;
}

const serverKey = (address: string, port: number) => `${address}|${port}`;

export class RadiusClient extends SansIoCore<RadiusClientAction> {
  readonly counters = new Map<string, number>();
  private readonly servers: ServerState[];
  private readonly byKeyId = new Map<string, Pending>(); // "addr|port|id" -> request
  private readonly handles = new Map<number, Pending>();
  private readonly waiting: { handle: number; input: RadiusRequestInput; startedAt: number }[] = [];
  private readonly nextId = new Map<string, number>();
  private readonly deadUntil = new Map<number, number>();
  private nextHandle = 1;
  private readonly random: RandomSource;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly deadTimeMs: number;
  readonly local: Endpoint;

  constructor(private readonly opts: RadiusClientOptions) {
    super();
    if (!opts.servers.length) throw new RadiusEncodeError('a RADIUS client needs at least one server');
    this.servers = opts.servers.map((s) => ({
      name: s.name ?? s.address, address: s.address, secret: s.secret,
      authPort: s.authPort ?? RADIUS_AUTH_PORT, acctPort: s.acctPort ?? RADIUS_ACCT_PORT, daePort: s.daePort ?? RADIUS_DAE_PORT,
    }));
    this.random = opts.random ?? cryptoRandom;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.retries = opts.retries ?? 2;
    this.deadTimeMs = opts.deadTimeMs ?? 60_000;
    this.local = opts.local ?? { address: '0.0.0.0', port: 0 };
  }

  // ============================================================ shell interface

  /** A datagram received on the client's socket. */
  handleDatagram(d: Datagram, now: number): void {
    if (d.data.length < 20) return this.drop(now, 'truncated', `${d.data.length}-byte datagram from ${d.remote.address}:${d.remote.port}`);
    const id = d.data[1]!;
    const p = this.byKeyId.get(`${serverKey(d.remote.address, d.remote.port)}|${id}`);
    if (!p) return this.drop(now, 'unmatched', `response id ${id} from ${d.remote.address}:${d.remote.port} matches no outstanding request`);
    const server = this.servers[p.server]!;
    let response: RadiusMessage;
    try {
      response = decodeResponse(d.data, { code: p.input.code, authenticator: p.authenticator }, server.secret, {
        requireMessageAuthenticator: this.opts.requireMessageAuthenticator || p.hasEap,
      });
    } catch (e) {
      if (!isRadiusParseError(e)) throw e;
      return this.drop(now, e.code.toLowerCase().replace(/_/g, '-'), `from ${server.name} for ${radiusCodeName(p.input.code)} id ${id}: ${e.message}`, p.handle, server.name);
    }
    this.finish(p);
    if (this.deadUntil.has(p.server)) {
      this.deadUntil.delete(p.server);
      this.event(now, 'server-alive', `RADIUS server ${server.name} answers again`, p.handle, server.name);
    }
    this.count('responses');
    this.actions.push({ type: 'response', handle: p.handle, request: p.input, response, server: server.name, rttMs: now - p.sentAt, attempts: p.attempts });
    this.drain(now);
  }

  // ============================================================ requests

  /** Queues a request; the result comes as a `response` or `timeout` action with this handle. */
  send(input: RadiusRequestInput, now: number): number {
    if (!isRequestCode(input.code)) throw new RadiusEncodeError(`${radiusCodeName(input.code)} is not a request`);
    const handle = this.nextHandle++;
    this.dispatch({ handle, input, startedAt: now }, [], now);
    return handle;
  }

  /** Forgets a request (its result will not be reported). */
  cancel(handle: number): void {
    const p = this.handles.get(handle);
    if (p) this.finish(p);
    const w = this.waiting.findIndex((x) => x.handle === handle);
    if (w >= 0) this.waiting.splice(w, 1);
  }

  get outstanding(): number {
    return this.handles.size + this.waiting.length;
  }

  /** Servers currently considered dead (for show output and tests). */
  deadServers(now: number): string[] {
    return [...this.deadUntil].filter(([, t]) => t > now).map(([i]) => this.servers[i]!.name);
  }

  private portFor(server: ServerState, code: RadiusCode): number {
    if (code === RadiusCode.AccountingRequest) return server.acctPort;
    if (code === RadiusCode.DisconnectRequest || code === RadiusCode.CoaRequest) return server.daePort;
    return server.authPort;
  }

  /** The first server not tried for this request, preferring live ones, in list order. */
  private pickServer(tried: number[], now: number): number | undefined {
    const untried = this.servers.map((_, i) => i).filter((i) => !tried.includes(i));
    const live = untried.find((i) => (this.deadUntil.get(i) ?? 0) <= now);
    // A dead server is still tried when none is left: better a late answer than none.
    return live ?? untried[0];
  }

  private dispatch(w: { handle: number; input: RadiusRequestInput; startedAt: number }, tried: number[], now: number): void {
    const index = this.pickServer(tried, now);
    if (index === undefined) throw new Error('unreachable: no server left');
    const server = this.servers[index]!;
    const port = this.portFor(server, w.input.code);
    const identifier = this.allocateId(serverKey(server.address, port));
    if (identifier === undefined) {
      this.handles.delete(w.handle);
      this.waiting.push(w);
      this.event(now, 'queued', `256 requests outstanding to ${server.name}:${port}; request ${w.handle} waits`, w.handle, server.name);
      return;
    }
    const attributes = tried.length ? withDelayTime(w.input.attributes, Math.floor((now - w.startedAt) / 1000)) : w.input.attributes;
    const { bytes, authenticator } = encodeRequest({ code: w.input.code, identifier, attributes }, { secret: server.secret, random: this.random });
    const p: Pending = {
      handle: w.handle, input: w.input, startedAt: w.startedAt, tried: [...tried, index], server: index, attempt: 0,
      attempts: (this.handles.get(w.handle)?.attempts ?? 0), identifier, authenticator, bytes, sentAt: now,
      hasEap: w.input.attributes.some((a) => a.name.toLowerCase() === 'eap-message'),
    };
    this.handles.set(w.handle, p);
    this.byKeyId.set(`${serverKey(server.address, port)}|${identifier}`, p);
    this.transmit(p, now, tried.length ? 'failover' : 'sent');
  }

  private transmit(p: Pending, now: number, kind: 'sent' | 'retransmit' | 'failover'): void {
    const server = this.servers[p.server]!;
    const port = this.portFor(server, p.input.code);
    p.attempts++;
    p.sentAt = now;
    this.count(kind === 'retransmit' ? 'retransmits' : 'requests');
    this.event(now, kind, `${kind === 'retransmit' ? 'retransmit ' : kind === 'failover' ? 'failover: ' : ''}${radiusCodeName(p.input.code)} id ${p.identifier} to ${server.name} (${server.address}:${port})`, p.handle, server.name);
    this.actions.push({ type: 'send', handle: p.handle, datagram: { local: this.local, remote: { address: server.address, port }, data: p.bytes } });
    this.timers.set(`req:${p.handle}`, now + this.timeoutMs, (t) => this.expire(p, t));
  }

  private expire(p: Pending, now: number): void {
    if (p.attempt < this.retries) {
      p.attempt++;
      this.transmit(p, now, 'retransmit');
      return;
    }
    const server = this.servers[p.server]!;
    this.deadUntil.set(p.server, now + this.deadTimeMs);
    this.event(now, 'server-dead', `RADIUS server ${server.name} did not answer ${p.attempt + 1} tries of ${radiusCodeName(p.input.code)} id ${p.identifier}`, p.handle, server.name);
    this.release(p);
    if (p.tried.length < this.servers.length) {
      // `handles` still holds p, so the next attempt continues its attempt count.
      this.dispatch({ handle: p.handle, input: p.input, startedAt: p.startedAt }, p.tried, now);
      return;
    }
    this.handles.delete(p.handle);
    this.count('timeouts');
    this.actions.push({ type: 'timeout', handle: p.handle, request: p.input, servers: p.tried.map((i) => this.servers[i]!.name), attempts: p.attempts });
    this.drain(now);
  }

  private finish(p: Pending): void {
    this.timers.cancel(`req:${p.handle}`);
    this.release(p);
    this.handles.delete(p.handle);
  }

  private release(p: Pending): void {
    const server = this.servers[p.server]!;
    this.byKeyId.delete(`${serverKey(server.address, this.portFor(server, p.input.code))}|${p.identifier}`);
  }

  private drain(now: number): void {
    while (this.waiting.length) {
      const before = this.waiting.length;
      const w = this.waiting.shift()!;
      this.dispatch(w, [], now);
      if (this.waiting.length >= before) break; // still no identifier free
    }
  }

  private allocateId(key: string): number | undefined {
    let id = this.nextId.get(key) ?? this.random.bytes(1)[0]!;
    for (let i = 0; i < 256; i++, id = (id + 1) & 0xff) {
      if (!this.byKeyId.has(`${key}|${id}`)) {
        this.nextId.set(key, (id + 1) & 0xff);
        return id;
      }
    }
    return undefined;
  }

  private drop(now: number, reason: string, text: string, handle?: number, server?: string): void {
    this.count(`drop.${reason}`);
    this.event(now, 'drop', `dropped RADIUS response: ${text}`, handle, server, { reason });
  }

  private count(name: string): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + 1);
  }

  private event(time: number, type: RadiusClientEvent['type'], text: string, handle?: number, server?: string, data?: Record<string, unknown>): void {
    this.actions.push({ type: 'event', event: { time, type, text, ...(handle !== undefined ? { handle } : {}), ...(server ? { server } : {}), ...(data ? { data } : {}) } });
  }
}

/** RFC 2866 5.2: Acct-Delay-Time says how long the NAS has been trying; a new Identifier goes with it. */
function withDelayTime(attrs: Avp[], elapsed: number): Avp[] {
  if (!attrs.some((a) => a.name.toLowerCase() === 'acct-delay-time')) return attrs;
  return attrs.map((a) => (a.name.toLowerCase() === 'acct-delay-time' ? { ...a, value: (typeof a.value === 'number' ? a.value : 0) + elapsed } : a));
}
