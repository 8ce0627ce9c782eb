// What the sans-IO core asks its shell (the daemon, a test harness or the simulator) to do.
// The core never performs I/O: it returns these, and reports everything worth showing as events.

import type { TrafficSelector } from './message.ts';
import type { ChildSuite, IkeSuite } from './proposals.ts';

export interface Endpoint {
  address: string;
  port: number;
}

/**
 * A UDP datagram. `data` is the whole UDP payload: on port 4500 an IKE message is preceded by the
 * 4-byte non-ESP marker (RFC 3948 section 2.2), added and removed by the core.
 */
export interface Datagram {
  local: Endpoint;
  remote: Endpoint;
  data: Buffer;
}

export interface ChildSaKeys {
  encrKey: Buffer;
  integKey?: Buffer;
}

/** Everything the data plane needs to carry a CHILD SA pair (RFC 4303 over RFC 3948). */
export interface ChildSaInstall {
  childId: number;
  ikeSaId: number;
  /** Connection/profile name, for logs and show output. */
  name: string;
  spiIn: number;
  spiOut: number;
  suite: ChildSuite;
  keysIn: ChildSaKeys;
  keysOut: ChildSaKeys;
  mode: 'tunnel' | 'transport';
  /** Outer addresses and ports: ESP is always sent in UDP between these. */
  local: Endpoint;
  remote: Endpoint;
  localTs: TrafficSelector[];
  remoteTs: TrafficSelector[];
  /** Volume lifetimes in bytes (soft triggers a rekey request, hard a delete). */
  softBytes?: number;
  hardBytes?: number;
  replayWindow: number;
  /** The CHILD SA this one replaces (rekey): the data plane switches outbound traffic atomically. */
  replaces?: number;
  /**
   * Install inbound only; outbound starts with an `activate-outbound` action. The responder of a
   * CHILD rekey waits until the initiator deleted the old SA, so that it never sends on an SA the
   * initiator has not installed yet (what strongSwan does too).
   */
  deferOutbound?: boolean;
  initiator: boolean;
}

export interface IkeSaKeysExport {
  ikeSaId: number;
  spiI: Buffer;
  spiR: Buffer;
  suite: IkeSuite;
  skEi: Buffer;
  skEr: Buffer;
  skAi: Buffer;
  skAr: Buffer;
}

/**
 * A request for the AAA layer (RADIUS) that an exchange waits for; the shell answers it with
 * `IkeEngine.aaaResult`. The core never talks RADIUS itself.
 */
export type AaaRequest = {
  requestId: number;
  ikeSaId: number;
  /** What the NAS puts in every request (F-SRV-07, section 13.5). */
  context: { peer: Endpoint; local: Endpoint; phase1Id: string; auditSessionId: string; profile: string };
} & (
  /** EAP pass-through (RFC 3579): relay this EAP-Message (`state` from the last Access-Challenge). */
  | { kind: 'eap'; userName: string; eapMessage: Buffer; state?: Buffer }
  /** AAA-based pre-shared key and user/group authorization (Service-Type Outbound). */
  | { kind: 'authorize'; purpose: 'psk' | 'group' | 'user'; userName: string; password?: string }
  /** A user's password check (AnyConnect-EAP auth-reply): PAP-style Access-Request, Service-Type Login. */
  | { kind: 'login'; userName: string; password: string }
);

export interface AaaResult {
  requestId: number;
  outcome: 'accept' | 'reject' | 'challenge' | 'timeout';
  eapMessage?: Buffer;
  state?: Buffer;
  /** EAP master session key (from MS-MPPE-Recv-Key|Send-Key of the Access-Accept). */
  msk?: Buffer;
  /** Reply attributes (Cisco AV-pairs as their text). */
  attributes?: Array<{ name: string; value: string }>;
  /** The server that answered, for show output and event text. */
  server?: string;
  reason?: string;
}

/** RADIUS accounting for a session (RFC 2866); the shell adds the data-plane counters. */
export interface AccountingRecord {
  status: 'start' | 'stop' | 'interim';
  ikeSaId: number;
  sessionId: string;
  userName: string;
  context: AaaRequest['context'];
  framedIp?: string;
  terminateCause?: string;
  childIds: number[];
  startedAt: number;
}

export type Action =
  | { type: 'send'; datagram: Datagram }
  | { type: 'install-child'; child: ChildSaInstall }
  | { type: 'remove-child'; childId: number; ikeSaId: number; spiIn: number; spiOut: number }
  | { type: 'activate-outbound'; childId: number; ikeSaId: number; replaces?: number }
  | { type: 'update-endpoints'; ikeSaId: number; local: Endpoint; remote: Endpoint; childIds: number[] }
  | { type: 'ike-keys'; keys: IkeSaKeysExport }
  | { type: 'aaa-request'; request: AaaRequest }
  | { type: 'accounting'; record: AccountingRecord }
  | { type: 'event'; event: IkeEvent };

export type IkeEventType =
  | 'message' // an IKE message sent or received (the ladder diagram)
  | 'ike-initiate'
  | 'ike-established'
  | 'ike-rekeyed'
  | 'ike-deleted'
  | 'ike-failed'
  | 'auth-failed'
  | 'child-installed'
  | 'child-rekeyed'
  /** A CHILD SA rekey refused: by us as a client persona behind a NAT, or by the peer (data.byPeer). */
  | 'child-rekey-refused'
  | 'child-deleted'
  | 'child-failed'
  | 'dpd-sent'
  | 'dpd-ok'
  | 'dpd-timeout'
  | 'retransmit'
  | 'timeout'
  | 'cookie-demanded'
  | 'cookie-received'
  | 'invalid-ke'
  | 'nat-detected'
  | 'peer-address-changed'
  | 'fragmented'
  | 'reassembled'
  | 'collision'
  | 'config-assigned'
  | 'config-received'
  | 'reconnect' // Cisco auto-reconnect: grant, inactive, reconnected, rejected, expired (F-RC-01)
  | 'resume' // RFC 5723 session resumption; data.step: ticket-granted, ticket-received, attempt, accepted, refused, fallback, resumed...
  | 'drop'
  | 'notify'
  | 'info'
  // Decisions of the FlexVPN client role (engine/roles/flexvpn-client.ts, F-CLI-17 event tracing)
  // and its track objects (engine/roles/track.ts); not emitted by the IKE core.
  | 'client-trigger' // something that makes the client (re)select a peer, or stop
  | 'client-peer-selected'
  | 'client-peer-skipped'
  | 'client-list' // the backup gateway list changed (downloaded list inserted, replaced, deleted)
  | 'client-state'
  | 'client-route' // a route the client installed or refused (dual FlexVPN: one default route)
  | 'track';

export interface IkeEvent {
  /** Virtual or wall-clock time in milliseconds, as given to the core. */
  time: number;
  type: IkeEventType;
  ikeSaId?: number;
  childSaId?: number;
  /** Peer as "address:port". */
  peer?: string;
  /** One human line, as a log would show it. */
  text: string;
  /** Structured details (payload lists, algorithms, reasons...). */
  data?: Record<string, unknown>;
}
