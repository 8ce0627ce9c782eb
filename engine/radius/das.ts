// The Dynamic Authorization Server of RFC 5176 (UDP 3799), sans-IO: what the NAS (the FlexVPN hub)
// runs to receive Disconnect-Request (PoD) and CoA-Request from a DAC, usually the RADIUS server
// (F-POD-01..03). It checks the source against the configured clients and the Request Authenticator
// (and Message-Authenticator) against their secret, drops what fails (counted, with a reason), answers
// retransmissions from a cache of its responses, and hands each new request to the application, which
// looks the session up and answers with ack() or nak().
//
// The seed's IOS DAS identifies sessions only by the Cisco AV pair audit-session-id and, when none
// matches, answers a NAK with Reply-Message "No Matching Session" and Error-Cause 404 Invalid
// Request (S2:1036-1044): `IOS_NO_MATCHING_SESSION` below. RFC 5176 would use 503 Session Context
// Not Found; strongSwan's eap-radius DAE sends a NAK without Error-Cause.

import type { Datagram, Endpoint } from '../ike/actions.ts';
import { SansIoCore } from '../util/sans-io-core.ts';
import { ipFamily } from '../util/ip.ts';
import { ErrorCause, RADIUS_DAE_PORT, RadiusCode, radiusCodeName } from './constants.ts';
import type { Avp } from './attributes.ts';
import { getNumber, getText } from './attributes.ts';
import { auditSessionId, parseCiscoAvPair } from './cisco.ts';
import { isRadiusParseError } from './errors.ts';
import { decodeRequest, encodeResponse } from './message.ts';
import type { RadiusMessage, Secret } from './message.ts';

export interface DaeClientEntry {
  /** The DAC's source address (IPv4 or IPv6). */
  address: string;
  secret: Secret;
  name?: string;
}

export interface DynamicAuthServerOptions {
  clients: DaeClientEntry[];
  /** The DAS socket (default 0.0.0.0:3799). */
  local?: Endpoint;
  /** Drop requests without Message-Authenticator. */
  requireMessageAuthenticator?: boolean;
  /** How long a response is kept to answer retransmissions (default 30 s). */
  duplicateCacheMs?: number;
}

/** The session identification attributes of RFC 5176 section 3 (plus Cisco's audit-session-id). */
export interface DaeSessionSelector {
  userName?: string;
  acctSessionId?: string;
  acctMultiSessionId?: string;
  auditSessionId?: string;
  framedIpAddress?: string;
  framedIpv6Prefix?: string;
  callingStationId?: string;
  calledStationId?: string;
  nasIpAddress?: string;
  nasIpv6Address?: string;
  nasIdentifier?: string;
  nasPort?: number;
  chargeableUserIdentity?: string;
}

export interface DaeRequest {
  handle: number;
  kind: 'disconnect' | 'coa';
  from: Endpoint;
  client: string;
  message: RadiusMessage;
  session: DaeSessionSelector;
  /** The other attributes: for a CoA, the authorization changes (Cisco AV pairs, Filter-Id, Session-Timeout...). */
  changes: Avp[];
}

export interface DaeEvent {
  time: number;
  type: 'received' | 'drop' | 'duplicate' | 'ack' | 'nak';
  text: string;
  data?: Record<string, unknown>;
}

export type DaeAction =
  | { type: 'send'; datagram: Datagram }
  | { type: 'request'; request: DaeRequest }
  | { type: 'event'; event: DaeEvent };

/** The seed IOS answer when no session matches: NAK, Reply-Message, Error-Cause 404. */
export const IOS_NO_MATCHING_SESSION = { errorCause: ErrorCause.InvalidRequest, replyMessage: 'No Matching Session' } as const;

const IDENTIFICATION = new Set([
  'user-name', 'acct-session-id', 'acct-multi-session-id', 'framed-ip-address', 'framed-ipv6-prefix', 'calling-station-id',
  'called-station-id', 'nas-ip-address', 'nas-ipv6-address', 'nas-identifier', 'nas-port', 'chargeable-user-identity',
  'message-authenticator', 'event-timestamp', 'state', 'proxy-state',
]);

export function sessionSelector(avps: readonly Avp[]): DaeSessionSelector {
  const s: DaeSessionSelector = {};
  const set = <K extends keyof DaeSessionSelector>(k: K, v: DaeSessionSelector[K] | undefined) => {
    if (v !== undefined) s[k] = v;
  };
  set('userName', getText(avps, 'User-Name'));
  set('acctSessionId', getText(avps, 'Acct-Session-Id'));
  set('acctMultiSessionId', getText(avps, 'Acct-Multi-Session-Id'));
  set('auditSessionId', auditSessionId(avps));
  set('framedIpAddress', getText(avps, 'Framed-IP-Address'));
  set('framedIpv6Prefix', getText(avps, 'Framed-IPv6-Prefix'));
  set('callingStationId', getText(avps, 'Calling-Station-Id'));
  set('calledStationId', getText(avps, 'Called-Station-Id'));
  set('nasIpAddress', getText(avps, 'NAS-IP-Address'));
  set('nasIpv6Address', getText(avps, 'NAS-IPv6-Address'));
  set('nasIdentifier', getText(avps, 'NAS-Identifier'));
  set('nasPort', getNumber(avps, 'NAS-Port'));
  set('chargeableUserIdentity', getText(avps, 'Chargeable-User-Identity'));
  return s;
}

function isIdentification(a: Avp): boolean {
  if (IDENTIFICATION.has(a.name.toLowerCase())) return true;
  if (a.name === 'Cisco-AVPair') return parseCiscoAvPair(String(a.value))?.attribute.toLowerCase() === 'audit-session-id';
  return false;
}

interface Held {
  key: string;
  client: DaeClientEntry;
  from: Endpoint;
  message: RadiusMessage;
  response?: Buffer;
  withMa: boolean;
}

export class DynamicAuthServer extends SansIoCore<DaeAction> {
  readonly counters = new Map<string, number>();
  readonly local: Endpoint;
  private readonly held = new Map<number, Held>();
  private readonly byKey = new Map<string, number>();
  private nextHandle = 1;

  constructor(private readonly opts: DynamicAuthServerOptions) {
    super();
    this.local = opts.local ?? { address: '0.0.0.0', port: RADIUS_DAE_PORT };
  }

  handleDatagram(d: Datagram, now: number): void {
    this.now = now;
    const from = `${d.remote.address}:${d.remote.port}`;
    const client = this.opts.clients.find((c) => sameAddress(c.address, d.remote.address));
    if (!client) return this.drop('unknown-client', `request from ${from}, which is not a configured client`);
    let message: RadiusMessage;
    try {
      message = decodeRequest(d.data, client.secret, { requireMessageAuthenticator: this.opts.requireMessageAuthenticator ?? false });
    } catch (e) {
      if (!isRadiusParseError(e)) throw e;
      return this.drop(e.code.toLowerCase().replace(/_/g, '-'), `from ${from}: ${e.message}`);
    }
    if (message.code !== RadiusCode.DisconnectRequest && message.code !== RadiusCode.CoaRequest) {
      return this.drop('unexpected-code', `${radiusCodeName(message.code)} from ${from} on the DAS port`);
    }
    // RFC 5176 2.3 / RFC 5080 2.2.2: a retransmission gets the same answer, and is not acted on twice.
    const key = `${d.remote.address}|${d.remote.port}|${message.identifier}|${message.authenticator.toString('hex')}`;
    const known = this.byKey.get(key);
    if (known !== undefined) {
      const h = this.held.get(known)!;
      this.count('duplicates');
      this.event('duplicate', `retransmitted ${radiusCodeName(message.code)} id ${message.identifier} from ${from}${h.response ? ': answered again' : ': still pending'}`);
      if (h.response) this.actions.push({ type: 'send', datagram: { local: this.local, remote: h.from, data: h.response } });
      return;
    }
    const handle = this.nextHandle++;
    this.held.set(handle, { key, client, from: d.remote, message, withMa: message.attributes.some((a) => a.name === 'Message-Authenticator') });
    this.byKey.set(key, handle);
    const kind = message.code === RadiusCode.DisconnectRequest ? 'disconnect' : 'coa';
    this.count(`${kind}-requests`);
    this.event('received', `${radiusCodeName(message.code)} id ${message.identifier} from ${from}`);
    this.actions.push({
      type: 'request',
      request: {
        handle, kind, from: d.remote, client: client.name ?? client.address, message,
        session: sessionSelector(message.attributes), changes: message.attributes.filter((a) => !isIdentification(a)),
      },
    });
  }

  /** Disconnect-ACK / CoA-ACK for request `handle`. */
  ack(handle: number, attributes: Avp[] = []): void {
    this.answer(handle, true, attributes);
  }

  /** Disconnect-NAK / CoA-NAK with Error-Cause (RFC 5176 3.5) and an optional Reply-Message. */
  nak(handle: number, errorCause: number = ErrorCause.SessionContextNotFound, opts: { replyMessage?: string; attributes?: Avp[] } = {}): void {
    const attrs: Avp[] = [
      ...(opts.replyMessage !== undefined ? [{ name: 'Reply-Message', value: opts.replyMessage }] : []),
      { name: 'Error-Cause', value: errorCause },
      ...(opts.attributes ?? []),
    ];
    this.answer(handle, false, attrs);
  }

  private answer(handle: number, ack: boolean, attributes: Avp[]): void {
    const h = this.held.get(handle);
    if (!h || h.response) return;
    const disconnect = h.message.code === RadiusCode.DisconnectRequest;
    const code = disconnect ? (ack ? RadiusCode.DisconnectAck : RadiusCode.DisconnectNak) : (ack ? RadiusCode.CoaAck : RadiusCode.CoaNak);
    h.response = encodeResponse({ code, attributes }, h.message, { secret: h.client.secret, messageAuthenticator: h.withMa });
    this.count(ack ? 'acks' : 'naks');
    this.event(ack ? 'ack' : 'nak', `${radiusCodeName(code)} id ${h.message.identifier} to ${h.from.address}:${h.from.port}`, ack ? undefined : { errorCause: attributes.find((a) => a.name === 'Error-Cause')?.value });
    this.actions.push({ type: 'send', datagram: { local: this.local, remote: h.from, data: h.response } });
    this.timers.set(`dup:${handle}`, this.now + (this.opts.duplicateCacheMs ?? 30_000), () => {
      this.held.delete(handle);
      this.byKey.delete(h.key);
    });
  }

  private drop(reason: string, text: string): void {
    this.count(`drop.${reason}`);
    this.event('drop', `dropped DAE request: ${text}`, { reason });
  }

  private count(name: string): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + 1);
  }

  private event(type: DaeEvent['type'], text: string, data?: Record<string, unknown>): void {
    this.actions.push({ type: 'event', event: { time: this.now, type, text, ...(data ? { data } : {}) } });
  }
}

function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  // An IPv4 client seen through a dual-stack socket arrives as ::ffff:a.b.c.d.
  const strip = (x: string) => (x.toLowerCase().startsWith('::ffff:') && ipFamily(x.slice(7)) === 4 ? x.slice(7) : x);
  return strip(a) === strip(b);
}
