// What an IKE SA and its tasks may use from the engine that owns them: randomness, settings,
// timers, the action/event outlet and engine-wide resources (address pools, SPI allocation).
// Kept as an interface so tasks never import the engine itself.

import type { RandomSource } from '../../util/random.ts';
import type { AaaRequest, Action, IkeEvent, IkeEventType } from '../actions.ts';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
import type { Ikev2Profile, IkeEngineSettings } from '../config.ts';
import type { Timers } from '../timers.ts';
import type { IkeSa } from './ike-sa.ts';
import type { ChildSa } from './child-sa.ts';
import type { AddressPools } from '../address-pool.ts';
import type { ExchangeType } from '../constants.ts';
import type { Payload } from '../message.ts';
import type { Task } from './task.ts';

export interface EngineCore {
  readonly name: string;
  readonly random: RandomSource;
  readonly settings: IkeEngineSettings;
  readonly timers: Timers;
  readonly profiles: Ikev2Profile[];
  readonly pools: AddressPools;
  /** RFC 5723 session resumption: ticket key, tickets granted and received (engine/ike/resumption/). */
  readonly resumption: import('../resumption/service.ts').ResumptionService;
  act(a: Action): void;
  emit(type: IkeEventType, text: string, fields?: Partial<Omit<IkeEvent, 'type' | 'text' | 'time'>>): void;
  counter(name: string, n?: number): void;
  /** A fresh, unused local IKE SPI (8 bytes). */
  newIkeSpi(): Buffer;
  /** A fresh, unused inbound ESP SPI. */
  newChildSpi(): number;
  nextChildId(): number;
  nextIkeSaId(): number;
  /** An IKE rekey got TEMPORARY_FAILURE: try again a little later. */
  retryIkeRekey(sa: IkeSa, now: number): void;
  registerIkeSa(sa: IkeSa): void;
  /** The SA's local SPI changed (IKE rekey creates a new SA object) or it ended. */
  unregisterIkeSa(sa: IkeSa): void;
  registerChild(child: ChildSa): void;
  unregisterChild(child: ChildSa): void;
  /** Called when an IKE SA is gone for good (for reconnect policies). */
  ikeSaGone(sa: IkeSa, reason: string, now: number): void;
  /** Another IKE SA of ours replaced this one (rekey): move children, keep connection state. */
  findIkeSaById(id: number): IkeSa | undefined;
  /** The responder tasks for a new request of this exchange type (registry in tasks/index.ts). */
  passiveTasks(sa: IkeSa, exchange: ExchangeType, payloads: Payload[]): Task[];
  /** A CHILD SA reached its soft (rekey) or hard (delete) lifetime. */
  childLifetime(sa: IkeSa, child: ChildSa, kind: 'soft' | 'hard', now: number): void;
  /** A rekey got TEMPORARY_FAILURE: try again a little later (RFC 7296 2.25). */
  retryChildRekey(sa: IkeSa, child: ChildSa, now: number): void;
  /** IKE SA lifetime: rekey. */
  ikeLifetime(sa: IkeSa, now: number): void;
  /** Adopts a new IKE SA created by a rekey (registers it, moves timers). */
  adoptRekeyedIkeSa(oldSa: IkeSa, newSa: IkeSa, now: number): void;
  /** Other IKE SAs with the same remote identity (INITIAL_CONTACT handling). */
  ikeSasByRemoteId(sa: IkeSa): IkeSa[];
  /** Hub: grants (or re-grants) auto-reconnect to an authenticated session (F-RC-01). */
  reconnectGrant(sa: IkeSa, now: number): import('../reconnect.ts').ReconnectGrant | undefined;
  /** Client: the headend granted auto-reconnect; keep the grant with the connection. */
  reconnectGranted(sa: IkeSa, grant: NonNullable<import('./ike-sa.ts').ConfigReceived['reconnect']>, now: number): void;
  /** Hub: a reconnecting client authenticated: its session leaves the inactive list. */
  reconnectResumed(s: import('../reconnect.ts').ReconnectSession, sa: IkeSa, now: number): void;
  /** Hub: the preserved session of a reconnecting client (PSK with the session token), if any. */
  readonly reconnectSessions: import('../reconnect.ts').ReconnectSessions;
  /** Asks the AAA layer (RADIUS) something; the exchange defers until `IkeEngine.aaaResult`. */
  requestAaa(sa: IkeSa, req: DistributiveOmit<AaaRequest, 'requestId' | 'ikeSaId' | 'context'>): number;
  /** The peer has `timeout` seconds to answer our EAP request (`authentication remote eap timeout`). */
  armEapTimeout(sa: IkeSa, now: number): void;
  disarmEapTimeout(sa: IkeSa): void;
  /** The responder received a valid IKE_AUTH request: the SA stops counting as half-open. */
  authStarted(sa: IkeSa): void;
  /** Schedules the periodic jobs of an established SA (DPD, rekey, keepalive). */
  established(sa: IkeSa, now: number): void;
}
