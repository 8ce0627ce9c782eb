// IKEv2 session resumption (RFC 5723) for one engine: the gateway side (the ticket protection key,
// granting tickets, checking a presented ticket once) and the client side (the tickets received,
// per connection, with their lifetime and what the resumed SA needs: SK_d, algorithms,
// identities). Tasks reach it through EngineCore.resumption; the exchanges are in
// tasks/ike-session-resume.ts, tasks/resumed-auth.ts and tasks/ticket.ts.

import { Buffer } from 'node:buffer';
import type { IkeEngineSettings, Identity, Ikev2Profile } from '../config.ts';
import type { IkeEventType } from '../actions.ts';
import type { IkeSuite } from '../proposals.ts';
import type { IkeSa } from '../sa/ike-sa.ts';
import type { Timers } from '../timers.ts';
import type { RandomSource } from '../../util/random.ts';
import { identityToPayload } from '../identity.ts';
import { openTicket, sealTicket, ticketKey } from './ticket.ts';
import { ExchangeType } from '../constants.ts';
import { resumedAuthTasks, sessionResumeTasks } from '../tasks/index.ts';
import type { ConnectionConfig } from '../engine.ts';
import type { TicketKey, TicketRejection, TicketState } from './ticket.ts';

/** `resumption` of a responder profile: grant tickets (RFC 5723 4.1, 4.2). */
export interface ResumptionPolicy {
  enabled: boolean;
  /** Ticket lifetime in seconds; never longer than the profile's IKE SA lifetime (RFC 5723 6.2). */
  ticketLifetime: number;
}

export const DEFAULT_TICKET_LIFETIME = 3600;
/** Seconds an IKE_SESSION_RESUME attempt may take before the client falls back to IKE_SA_INIT. */
export const DEFAULT_RESUME_TIMEOUT = 10;
/** The client asks for a fresh ticket when this fraction of the lifetime has passed. */
const REFRESH_AT = 0.8;

/** Engine-wide resumption state handed in by the shell (IkeEngineSettings.resumption). */
export interface ResumptionSettings {
  /**
   * 32 octets of key material for the ticket protection key. The daemon keeps it in the node's state
   * directory or derives it from a configured secret, so tickets survive a restart; without it
   * the engine draws a random key and its tickets die with it.
   */
  ticketKey?: Buffer;
  /** Where the key comes from, for show output: "state file", "secret", "memory". */
  keySource?: string;
  /** Tickets accepted before (by a previous run of the daemon): refused as replays until they expire. */
  usedTickets?: Array<{ id: string; expires: number }>;
}

/** What a client keeps of a ticket (RFC 5723 4.2): the opaque ticket and what it stands for. */
export interface ClientTicket {
  ticket: Buffer;
  /** Seconds, from TICKET_LT_OPAQUE. */
  lifetime: number;
  receivedAt: number;
  expiresAt: number;
  /** The gateway address it was received from: it is presented to that gateway only. */
  gateway: string;
  /** SK_d and algorithms of the IKE SA the ticket came with (RFC 5723 5.1). */
  skD: Buffer;
  suite: IkeSuite;
  /** IDi we used and IDr the gateway used: the resumed IKE_AUTH repeats them (4.3.3). */
  localId: Identity;
  remoteId?: Identity;
  authLocal?: string;
  authRemote?: string;
  spiI: string;
  spiR: string;
}

/** Resumption facts of one IKE SA (IkeSa.resumption). */
export interface SaResumption {
  /** Initiator: ask for a ticket in IKE_AUTH (the connection has `resume`). */
  requestTicket?: boolean;
  /** Initiator: this SA is an IKE_SESSION_RESUME attempt of this connection (fallback on failure). */
  attempt?: { connection: string; ticket: ClientTicket };
  /** The SA was created by IKE_SESSION_RESUME. */
  resumed?: {
    /** SPIs of the IKE SA the ticket was issued for. */
    spiI: string;
    spiR: string;
    issued?: number;
    /** Responder: the ticket's contents. */
    state?: TicketState;
    /** Initiator: the ticket it presented. */
    client?: ClientTicket;
  };
  /** A ticket granted (responder) or received (initiator) on this SA. */
  ticket?: { octets: number; lifetime: number; at: number };
}

/** What the service needs from its engine. */
export interface ResumptionHost {
  readonly random: RandomSource;
  readonly settings: IkeEngineSettings;
  readonly timers: Timers;
  readonly profiles: Ikev2Profile[];
  emit(type: IkeEventType, text: string, fields?: { ikeSaId?: number; peer?: string; data?: Record<string, unknown> }): void;
  counter(name: string, n?: number): void;
  findIkeSaById(id: number): IkeSa | undefined;
}

/** What `show ikev2 stats resumption` prints. */
export interface ResumptionStats {
  gateway?: { keyId: string; source: string; profiles: Array<{ profile: string; ticketLifetime: number }>; usedTickets: number };
  counters: Record<string, number>;
  tickets: Record<string, { octets: number; lifetime: number; expiresIn: number; gateway: string } | null>;
}

const fmtTime = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

export class ResumptionService {
  private key?: TicketKey;
  /** Gateway: ticket ids accepted, until their expiry (one-time use). */
  private readonly used = new Map<string, number>();
  /** Client: the ticket of each connection. */
  private readonly tickets = new Map<string, ClientTicket>();
  /** Client: asks for a fresh ticket on the connection's current SA (queued by the engine). */
  onRefresh?: (sa: IkeSa, now: number) => void;

  constructor(private readonly host: ResumptionHost) {
    for (const u of host.settings.resumption?.usedTickets ?? []) this.used.set(u.id, u.expires);
  }

  private ticketKey(): TicketKey {
    this.key ??= ticketKey(this.host.settings.resumption?.ticketKey ?? this.host.random.bytes(32));
    return this.key;
  }

  /** Name of the ticket protection key (its key_id) and where it comes from. */
  keyInfo(): { keyId: string; source: string } {
    return { keyId: this.ticketKey().id.toString('hex'), source: this.host.settings.resumption?.ticketKey ? this.host.settings.resumption.keySource ?? 'configured' : 'memory' };
  }

  // ============================================================================ gateway

  /**
   * A ticket for an authenticated SA of ours (we are its responder), or why none is granted. The
   * data is TICKET_LT_OPAQUE's: the lifetime in seconds (4 octets) then the ticket (RFC 5723 4.2).
   */
  grant(sa: IkeSa, now: number): { data: Buffer; lifetime: number; octets: number } | { refused: string } {
    const profile = sa.profile;
    const policy = profile?.resumption;
    if (!profile || !policy?.enabled) return { refused: `profile ${profile?.name ?? '(none)'} does not grant resumption tickets` };
    if (!sa.keys || !sa.suite || !sa.remoteId) return { refused: 'the IKE SA is not authenticated' };
    // RFC 5723 6.2: no longer than the IKE SA lifetime of the local policy.
    const lifetime = Math.max(1, Math.min(policy.ticketLifetime, profile.lifetime > 0 ? profile.lifetime : policy.ticketLifetime));
    const state: TicketState = {
      id: this.host.random.bytes(16).toString('hex'), issued: now, expires: now + lifetime * 1000, profile: profile.name,
      suite: { ...sa.suite }, skD: sa.keys.skD,
      idi: identityToPayload(sa.remoteId), idr: identityToPayload(sa.localId ?? { type: 'address', value: sa.local.address }),
      authInitiator: sa.authRemoteMethod, authResponder: sa.authLocalMethod, remoteEapId: sa.remoteEapId, aaaUserName: sa.aaaUserName,
      spiI: sa.spiI.toString('hex'), spiR: sa.spiR.toString('hex'),
      address4: sa.configAssigned?.address4, address6: sa.configAssigned?.address6,
      implicit: sa.implicitAttributes, peerFlexvpn: sa.peerFlexvpn || undefined,
    };
    const ticket = sealTicket(state, this.ticketKey(), this.host.random.bytes(12));
    const lt = Buffer.alloc(4);
    lt.writeUInt32BE(lifetime);
    sa.resumption = { ...sa.resumption, ticket: { octets: ticket.length, lifetime, at: now } };
    this.host.counter('resume.tickets-granted');
    sa.emit('resume', `RFC 5723 ticket granted to ${sa.remoteId.value}: ${ticket.length} octets, lifetime ${lifetime} s (until ${fmtTime(state.expires)})`,
      { step: 'ticket-granted', octets: ticket.length, lifetime, expires: state.expires, keyId: this.ticketKey().id.toString('hex') });
    return { data: Buffer.concat([lt, ticket]), lifetime, octets: ticket.length };
  }

  /**
   * A ticket presented in IKE_SESSION_RESUME (RFC 5723 4.3.2): its state if it authenticates, has
   * not expired, was never accepted before, and its profile still grants resumption; else why not
   * (the caller answers TICKET_NACK). An accepted ticket is used up.
   */
  accept(ticket: Buffer, peer: string, now: number): TicketState | { reason: TicketRejection; text: string } {
    const refuse = (reason: TicketRejection, text: string) => {
      this.host.counter(`resume.refused.${reason}`);
      this.host.emit('resume', `IKE_SESSION_RESUME from ${peer} refused with TICKET_NACK: ${text}`, { peer, data: { step: 'refused', reason, text } });
      return { reason, text };
    };
    const s = openTicket(ticket, this.ticketKey());
    if ('reason' in s) return refuse(s.reason, s.text);
    if (s.expires <= now) return refuse('expired', `ticket expired at ${fmtTime(s.expires)}`);
    this.prune(now);
    if (this.used.has(s.id)) return refuse('replayed', `ticket ${s.id.slice(0, 8)}... was already used (tickets are good for one resumption)`);
    const profile = this.host.profiles.find((p) => p.name === s.profile);
    if (!profile?.resumption?.enabled) return refuse('profile', `profile ${s.profile} no longer grants resumption`);
    this.used.set(s.id, s.expires);
    this.host.counter('resume.accepted');
    this.host.emit('resume', `IKE_SESSION_RESUME from ${peer}: ticket accepted (issued ${fmtTime(s.issued)} for IKE SA ${s.spiI}_i ${s.spiR}_r, profile ${s.profile})`,
      { peer, data: { step: 'accepted', ticketId: s.id, expires: s.expires, profile: s.profile, issued: s.issued } });
    return s;
  }

  private prune(now: number): void {
    for (const [id, exp] of this.used) if (exp <= now) this.used.delete(id);
  }

  /** Tickets accepted and not yet expired (the daemon keeps them across restarts). */
  usedTickets(now: number): Array<{ id: string; expires: number }> {
    this.prune(now);
    return [...this.used].map(([id, expires]) => ({ id, expires }));
  }

  // ============================================================================ client

  /** TICKET_LT_OPAQUE received on an SA of a connection: keep it (replacing an older one). */
  received(sa: IkeSa, data: Buffer, now: number): boolean {
    if (data.length < 5) {
      this.host.counter('resume.bad-ticket-notify');
      sa.emit('resume', `malformed TICKET_LT_OPAQUE (${data.length} octets) ignored`, { step: 'ticket-malformed' });
      return false;
    }
    const lifetime = data.readUInt32BE(0);
    if (!sa.keys || !sa.suite || !sa.localId) return false;
    if (lifetime === 0) {
      sa.emit('resume', 'TICKET_LT_OPAQUE with a lifetime of 0 s: ticket ignored', { step: 'ticket-malformed' });
      return false;
    }
    const t: ClientTicket = {
      ticket: Buffer.from(data.subarray(4)), lifetime, receivedAt: now, expiresAt: now + lifetime * 1000, gateway: sa.remote.address,
      skD: sa.keys.skD, suite: { ...sa.suite }, localId: sa.localId, remoteId: sa.remoteId, authLocal: sa.authLocalMethod, authRemote: sa.authRemoteMethod,
      spiI: sa.spiI.toString('hex'), spiR: sa.spiR.toString('hex'),
    };
    const refreshed = this.tickets.has(sa.name);
    this.tickets.set(sa.name, t);
    sa.resumption = { ...sa.resumption, ticket: { octets: t.ticket.length, lifetime, at: now } };
    this.host.counter(refreshed ? 'resume.tickets-refreshed' : 'resume.tickets-received');
    sa.emit('resume', `session resumption ticket ${refreshed ? 'refreshed' : 'received'} from ${sa.remote.address}: ${t.ticket.length} octets, lifetime ${lifetime} s`,
      { step: refreshed ? 'ticket-refreshed' : 'ticket-received', connection: sa.name, octets: t.ticket.length, lifetime });
    this.scheduleRefresh(sa, t, now);
    return true;
  }

  /** Before the ticket runs out, ask for a new one on the connection's live SA (INFORMATIONAL). */
  private scheduleRefresh(sa: IkeSa, t: ClientTicket, now: number): void {
    const name = sa.name;
    this.host.timers.set(`resume:${name}:refresh`, now + t.lifetime * 1000 * REFRESH_AT, (at) => {
      if (this.tickets.get(name) !== t) return;
      // The SA may have been rekeyed since: follow it to its successor.
      let cur: IkeSa | undefined = sa;
      for (let i = 0; cur?.replacedBy !== undefined && i < 100; i++) cur = this.host.findIkeSaById(cur.replacedBy);
      if (cur?.isEstablished) this.onRefresh?.(cur, at);
    });
  }

  /** The ticket to resume a connection with, if one is held for that gateway and still valid. */
  ticketFor(connection: string, gateway: string, now: number): ClientTicket | undefined {
    const t = this.tickets.get(connection);
    if (!t) return undefined;
    if (t.expiresAt <= now) {
      this.forget(connection, `ticket expired ${Math.round((now - t.expiresAt) / 1000)} s ago`, 'ticket-expired');
      return undefined;
    }
    if (t.gateway !== gateway) return undefined;
    return t;
  }

  /**
   * Starts a connection's new IKE SA with IKE_SESSION_RESUME when the connection resumes and holds a
   * ticket for its gateway (RFC 5723 4.3): then IKE_AUTH as 4.3.3 says, asking for the next ticket.
   * Otherwise marks the SA to ask for a ticket in its IKE_AUTH and returns false (the caller
   * queues IKE_SA_INIT as usual). A ticket is presented once: it is taken out here.
   */
  startResume(sa: IkeSa, conn: ConnectionConfig, now: number): boolean {
    if (!conn.resume) return false;
    const ticket = this.ticketFor(conn.name, conn.remote.address, now);
    sa.resumption = { requestTicket: true };
    if (!ticket) return false;
    this.take(conn.name);
    sa.resumption.attempt = { connection: conn.name, ticket };
    this.host.counter('resume.attempts');
    sa.emit('resume', `resuming ${conn.name} with a ${ticket.ticket.length}-octet ticket received ${Math.round((now - ticket.receivedAt) / 1000)} s ago (IKE_SESSION_RESUME instead of IKE_SA_INIT)`,
      { step: 'attempt', connection: conn.name, octets: ticket.ticket.length, age: Math.round((now - ticket.receivedAt) / 1000) });
    sa.queueExchange(ExchangeType.IKE_SESSION_RESUME, sessionResumeTasks(ticket, conn.resumeTimeout ?? DEFAULT_RESUME_TIMEOUT), now);
    sa.queueExchange(ExchangeType.IKE_AUTH, resumedAuthTasks(conn.childName), now);
    return true;
  }

  /** Drops the ticket of a connection (used, refused, expired, or the user ended the session). */
  forget(connection: string, why: string, step = 'ticket-dropped'): void {
    if (!this.tickets.delete(connection)) return;
    this.host.timers.cancel(`resume:${connection}:refresh`);
    this.host.counter(`resume.${step}`);
    this.host.emit('resume', `connection ${connection}: resumption ticket discarded (${why})`, { data: { step, connection, reason: why } });
  }

  /** A ticket is good for one attempt (the gateway may have marked it used): take it out. */
  take(connection: string): void {
    this.tickets.delete(connection);
    this.host.timers.cancel(`resume:${connection}:refresh`);
  }

  /**
   * An IKE SA of a connection is gone. If it was a resumption attempt that never got established
   * (TICKET_NACK, timeout, failed AUTH...), the connection falls back to a full exchange at once.
   */
  fallback(sa: IkeSa, reason: string): boolean {
    const a = sa.resumption?.attempt;
    if (!a || sa.establishedAt !== undefined) return false;
    this.host.counter('resume.fallbacks');
    sa.emit('resume', `resumption of ${a.connection} failed (${reason}): falling back to a full IKE_SA_INIT exchange`, { step: 'fallback', connection: a.connection, reason });
    return true;
  }

  /** `show ikev2 stats resumption`: the key (gateway), the resume.* counters, the tickets held. */
  stats(counters: Record<string, number>, connections: string[], now: number): ResumptionStats {
    const granting = this.host.profiles.filter((p) => p.resumption?.enabled).map((p) => ({ profile: p.name, ticketLifetime: p.resumption!.ticketLifetime }));
    return {
      ...(granting.length ? { gateway: { ...this.keyInfo(), profiles: granting, usedTickets: this.usedTickets(now).length } } : {}),
      counters: Object.fromEntries(Object.entries(counters).filter(([k]) => k.startsWith('resume.')).map(([k, v]) => [k.slice('resume.'.length), v])),
      tickets: Object.fromEntries(connections.map((c) => [c, this.ticketView(c, now) ?? null])),
    };
  }

  /** The ticket a connection holds, for status output. */
  ticketView(connection: string, now: number): { octets: number; lifetime: number; expiresIn: number; gateway: string } | undefined {
    const t = this.tickets.get(connection);
    return t ? { octets: t.ticket.length, lifetime: t.lifetime, expiresIn: Math.max(0, Math.round((t.expiresAt - now) / 1000)), gateway: t.gateway } : undefined;
  }
}

