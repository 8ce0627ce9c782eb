// The interface every EAP method implements, on the peer side (what our IKE initiators run) and on
// the server side (what the built-in RADIUS server and a local EAP server run). A method sees only
// the packets of its own type; the sessions in peer.ts and server.ts handle Identity, Nak,
// Notification, Success and Failure around it.

import type { EapMethodName, EapType } from './constants.ts';
import type { EapPacket } from './packet.ts';
import type { RandomSource } from '../util/random.ts';

/**
 * What processing one packet leads to:
 * - `send`: send `packet` (a Response on the peer, the next Request on the server);
 * - `success`: the method has succeeded (peer: after checking the server's proof, it may accept
 *   EAP-Success now; `packet` is its last Response); `msk` for key-generating methods;
 * - `failure`: the method failed; `packet` is a last Response to send first, if any.
 */
export type EapStep =
  | { kind: 'send'; packet: EapPacket }
  | { kind: 'success'; packet?: EapPacket; msk?: Buffer }
  | { kind: 'failure'; reason: string; packet?: EapPacket };

export interface EapMethodInfo {
  readonly type: EapType;
  readonly name: EapMethodName;
  /** Derives an MSK (RFC 3748 7.10); the IKE AUTH then uses it instead of SK_pi/SK_pr (RFC 7296 2.16). */
  readonly keyGenerating: boolean;
}

export interface EapPeerMethod extends EapMethodInfo {
  /** A Request of this method's type, already decoded. */
  process(request: EapPacket): EapStep;
  /**
   * Whether an EAP-Success may be accepted now. A method with mutual authentication (MSCHAPv2)
   * allows it only after the server proved its knowledge of the password (RFC 3748 section 4.2:
   * the peer must not accept a Success before the method says so).
   */
  readonly mayAcceptSuccess: boolean;
  readonly msk?: Buffer;
}

export interface EapServerMethod extends EapMethodInfo {
  /** The method's first Request. */
  initiate(identifier: number): EapPacket;
  /** A Response of this method's type; `nextIdentifier` is the identifier a further Request must use. */
  process(response: EapPacket, nextIdentifier: number): EapStep;
}

export interface PeerCredentials {
  /** The name the method sends (MD5 Name, MSCHAPv2 Name); usually the EAP identity. */
  identity: string;
  password: string;
}

export interface ServerMethodContext {
  /** The identity the peer gave (EAP-Response/Identity) and the password stored for it. */
  identity: string;
  password: string;
  random: RandomSource;
  /** Name the server puts in MD5 and MSCHAPv2 challenges. */
  serverName: string;
}
