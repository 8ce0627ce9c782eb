// Authenticators (after strongSwan's sa/ikev2/authenticators): each auth method builds our AUTH
// payload and verifies the peer's over the signed octets of RFC 7296 section 2.15. The IKE_AUTH
// task picks one for each direction from the profile (`authentication local|remote ...`).

import { Buffer } from 'node:buffer';
import type { AuthPayload, Payload } from '../message.ts';
import type { ExchangeContext } from '../sa/task.ts';
import type { IkeSa } from '../sa/ike-sa.ts';
import { signedOctets } from '../crypto/auth.ts';

export interface Authenticator {
  /** Name as IOS show output prints it: "PSK", "RSA", "ECDSA", "EAP". */
  readonly display: string;
  /** Payloads that go before AUTH (CERT...). */
  buildCredentials?(x: ExchangeContext): Payload[];
  buildAuth(x: ExchangeContext, octets: Buffer): AuthPayload | string;
  /** Returns undefined when the peer's AUTH is valid, else the reason. */
  verify(x: ExchangeContext, auth: AuthPayload, octets: Buffer): string | undefined;
}

/** The ID payload body as signed: ID type, three reserved bytes, data (RFC 7296 2.15). */
export function idBody(idType: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([idType, 0, 0, 0]), data]);
}

/**
 * Octets signed by the original initiator (`fromInitiator`) or the responder:
 * its IKE_SA_INIT message | the other side's nonce | prf(SK_px, IDx').
 */
export function octetsFor(sa: IkeSa, fromInitiator: boolean, idType: number, idData: Buffer): Buffer {
  return signedOctets({
    realMessage: fromInitiator ? sa.initRequest! : sa.initResponse!,
    peerNonce: fromInitiator ? sa.nonceR! : sa.nonceI!,
    prfId: sa.suite!.prf,
    skP: fromInitiator ? sa.keys!.skPi : sa.keys!.skPr,
    idPayloadBody: idBody(idType, idData),
  });
}
