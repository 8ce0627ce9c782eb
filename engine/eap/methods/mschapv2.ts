// EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2-02 over RFC 2759): mutual authentication and an
// MSK (RFC 3079 keys, 64 bytes as strongSwan and FreeRADIUS/NAS pairs compute it).
//
//   server                                  peer
//   Request  Challenge(msId, 16 bytes, name)  ->
//            <-  Response(msId, PeerChallenge, NT-Response, name)
//   Request  Success("S=<auth response>")     ->   (or Failure "E=691 R=0 C=... V=3 M=...")
//            <-  Response Success (OpCode only)     (or Failure OpCode only)
//   EAP-Success (with the MSK to the NAS)     ->   (or EAP-Failure)

import { timingSafeEqual } from 'node:crypto';
import { EapCode, EapType } from '../constants.ts';
import { EapParseError } from '../errors.ts';
import type { EapPacket } from '../packet.ts';
import type { EapPeerMethod, EapServerMethod, EapStep, PeerCredentials, ServerMethodContext } from '../method.ts';
import type { RandomSource } from '../../util/random.ts';
import {
  authenticatorResponseText, generateAuthenticatorResponse, generateNtResponse, mschapV2Keys, ntPasswordHash, verifyNtResponse,
} from '../mschapv2-crypto.ts';
import { MsChapV2OpCode, decodeMsChapV2, encodeMsChapV2, parseFailureMessage, parseSuccessMessage } from '../mschapv2-packet.ts';
import type { MsChapV2Packet } from '../mschapv2-packet.ts';

function packet(code: EapCode, identifier: number, ms: MsChapV2Packet): EapPacket {
  return { code, identifier, type: EapType.MsChapV2, data: encodeMsChapV2(ms) };
}

export class MsChapV2PeerMethod implements EapPeerMethod {
  readonly type = EapType.MsChapV2;
  readonly name = 'mschapv2' as const;
  readonly keyGenerating = true;
  mayAcceptSuccess = false;
  msk?: Buffer;
  private expectedAuth?: Buffer;
  private ntResponse?: Buffer;
  private readonly hash: Buffer;

  constructor(private readonly cred: PeerCredentials, private readonly random: RandomSource) {
    this.hash = ntPasswordHash(cred.password);
  }

  process(request: EapPacket): EapStep {
    const ms = decodeMsChapV2(request.data);
    switch (ms.opcode) {
      case MsChapV2OpCode.Challenge: {
        const peerChallenge = this.random.bytes(16);
        const nt = generateNtResponse(ms.challenge, peerChallenge, this.cred.identity, this.hash);
        this.ntResponse = nt;
        this.expectedAuth = generateAuthenticatorResponse(this.hash, nt, peerChallenge, ms.challenge, this.cred.identity);
        return {
          kind: 'send',
          packet: packet(EapCode.Response, request.identifier, {
            opcode: MsChapV2OpCode.Response, msId: ms.msId, peerChallenge, ntResponse: nt, flags: 0, name: this.cred.identity,
          }),
        };
      }
      case MsChapV2OpCode.Success: {
        if (!this.expectedAuth || !this.ntResponse) throw new EapParseError('UNEXPECTED', 'MSCHAPv2 Success before any Challenge');
        const { authResponse } = parseSuccessMessage(ms.message ?? '');
        if (!authResponse || !timingSafeEqual(authResponse, this.expectedAuth)) {
          // The server does not know the password (or a man in the middle answers): stop here.
          return { kind: 'failure', reason: `MSCHAPv2 authenticator response "${(ms.message ?? '').slice(0, 42)}" is wrong` };
        }
        this.msk = mschapV2Keys(this.hash, this.ntResponse).msk;
        this.mayAcceptSuccess = true;
        return { kind: 'success', msk: this.msk, packet: packet(EapCode.Response, request.identifier, { opcode: MsChapV2OpCode.Success }) };
      }
      case MsChapV2OpCode.Failure: {
        const f = parseFailureMessage(ms.message ?? '');
        return {
          kind: 'failure',
          reason: `MSCHAPv2 Failure E=${f.error ?? '?'}${f.message ? ` (${f.message})` : ''}`,
          packet: packet(EapCode.Response, request.identifier, { opcode: MsChapV2OpCode.Failure }),
        };
      }
      default:
        throw new EapParseError('UNEXPECTED', `MSCHAPv2 opcode ${ms.opcode} in a Request`);
    }
  }
}

export class MsChapV2ServerMethod implements EapServerMethod {
  readonly type = EapType.MsChapV2;
  readonly name = 'mschapv2' as const;
  readonly keyGenerating = true;
  private challenge: Buffer = Buffer.alloc(0);
  private msId = 0;
  private state: 'challenge' | 'success-sent' | 'failure-sent' = 'challenge';
  private msk?: Buffer;
  private failureReason = '';

  constructor(private readonly ctx: ServerMethodContext) {}

  initiate(identifier: number): EapPacket {
    this.challenge = this.ctx.random.bytes(16);
    this.msId = identifier;
    this.state = 'challenge';
    return packet(EapCode.Request, identifier, { opcode: MsChapV2OpCode.Challenge, msId: this.msId, challenge: this.challenge, name: this.ctx.serverName });
  }

  process(response: EapPacket, nextIdentifier: number): EapStep {
    const ms = decodeMsChapV2(response.data);
    if (this.state === 'challenge' && ms.opcode === MsChapV2OpCode.Response) {
      // RFC 2759 section 4: the Name in the Response is the user name that went into ChallengeHash.
      const hash = ntPasswordHash(this.ctx.password);
      const expected = generateNtResponse(this.challenge, ms.peerChallenge, ms.name, hash);
      if (!verifyNtResponse(expected, ms.ntResponse)) {
        this.state = 'failure-sent';
        this.failureReason = `MSCHAPv2 NT-Response of "${ms.name}" does not match the password`;
        // E=691 authentication failure, R=0 no retry (RFC 2759 section 6).
        const message = `E=691 R=0 C=${this.challenge.toString('hex').toUpperCase()} V=3 M=Authentication failed`;
        return { kind: 'send', packet: packet(EapCode.Request, nextIdentifier, { opcode: MsChapV2OpCode.Failure, msId: this.msId, message }) };
      }
      const auth = generateAuthenticatorResponse(hash, ms.ntResponse, ms.peerChallenge, this.challenge, ms.name);
      this.msk = mschapV2Keys(hash, ms.ntResponse).msk;
      this.state = 'success-sent';
      // FreeRADIUS sends the bare "S=..." string; so do we.
      return { kind: 'send', packet: packet(EapCode.Request, nextIdentifier, { opcode: MsChapV2OpCode.Success, msId: this.msId, message: authenticatorResponseText(auth) }) };
    }
    if (this.state === 'success-sent' && ms.opcode === MsChapV2OpCode.Success) return { kind: 'success', ...(this.msk ? { msk: this.msk } : {}) };
    if (this.state === 'failure-sent' && ms.opcode === MsChapV2OpCode.Failure) return { kind: 'failure', reason: this.failureReason };
    throw new EapParseError('UNEXPECTED', `MSCHAPv2 opcode ${ms.opcode} in state ${this.state}`);
  }
}
