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

/** A request for the AAA layer (RADIUS) that an exchange waits for; answered with `aaaResult`. */
export interface AaaRequest {
  requestId: number;
  ikeSaId: number;
  kind: string;
  payload: Record<string, unknown>;
}

export type Action =
  | { type: 'send'; datagram: Datagram }
  | { type: 'install-child'; child: ChildSaInstall }
  | { type: 'remove-child'; childId: number; ikeSaId: number; spiIn: number; spiOut: number }
  | { type: 'activate-outbound'; childId: number; ikeSaId: number; replaces?: number }
  | { type: 'update-endpoints'; ikeSaId: number; local: Endpoint; remote: Endpoint; childIds: number[] }
  | { type: 'ike-keys'; keys: IkeSaKeysExport }
  | { type: 'aaa-request'; request: AaaRequest }
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
  | 'drop'
  | 'notify'
  | 'info';

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
