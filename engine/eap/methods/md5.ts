// EAP-MD5-Challenge (RFC 3748 section 5.4): CHAP with MD5 (RFC 1994 section 4.1). Type-Data is
// Value-Size, Value, Name. The response value is MD5(Identifier || secret || challenge), where the
// Identifier is the EAP Identifier. Not key-generating and one-way: the final IKE AUTH then uses
// SK_pi/SK_pr (RFC 7296 section 2.16).

import { createHash, timingSafeEqual } from 'node:crypto';
import { EapCode, EapType } from '../constants.ts';
import { EapParseError } from '../errors.ts';
import type { EapPacket } from '../packet.ts';
import type { EapPeerMethod, EapServerMethod, EapStep, PeerCredentials, ServerMethodContext } from '../method.ts';

export interface Md5Data {
  value: Buffer;
  name: string;
}

export function decodeMd5Data(data: Buffer): Md5Data {
  const size = data[0];
  if (size === undefined || size === 0 || data.length < 1 + size) {
    throw new EapParseError('BAD_TYPE_DATA', `MD5-Challenge Value-Size ${size ?? 'missing'} with ${data.length} bytes of data`);
  }
  return { value: Buffer.from(data.subarray(1, 1 + size)), name: data.subarray(1 + size).toString('utf8') };
}

export function encodeMd5Data(d: Md5Data): Buffer {
  return Buffer.concat([Buffer.from([d.value.length]), d.value, Buffer.from(d.name, 'utf8')]);
}

/** RFC 1994 section 4.1: Response Value = MD5(Identifier || secret || Challenge Value). */
export function chapMd5(identifier: number, secret: string | Buffer, challenge: Buffer): Buffer {
  return createHash('md5').update(Buffer.from([identifier & 0xff])).update(secret).update(challenge).digest();
}

export class Md5PeerMethod implements EapPeerMethod {
  readonly type = EapType.Md5Challenge;
  readonly name = 'md5' as const;
  readonly keyGenerating = false;
  mayAcceptSuccess = false;

  constructor(private readonly cred: PeerCredentials) {}

  process(request: EapPacket): EapStep {
    const { value } = decodeMd5Data(request.data);
    this.mayAcceptSuccess = true;
    const data = encodeMd5Data({ value: chapMd5(request.identifier, this.cred.password, value), name: this.cred.identity });
    return { kind: 'send', packet: { code: EapCode.Response, identifier: request.identifier, type: this.type, data } };
  }
}

export class Md5ServerMethod implements EapServerMethod {
  readonly type = EapType.Md5Challenge;
  readonly name = 'md5' as const;
  readonly keyGenerating = false;
  private challenge: Buffer = Buffer.alloc(0);
  private identifier = -1;

  constructor(private readonly ctx: ServerMethodContext) {}

  initiate(identifier: number): EapPacket {
    this.challenge = this.ctx.random.bytes(16);
    this.identifier = identifier;
    return { code: EapCode.Request, identifier, type: this.type, data: encodeMd5Data({ value: this.challenge, name: this.ctx.serverName }) };
  }

  process(response: EapPacket): EapStep {
    const { value } = decodeMd5Data(response.data);
    const expected = chapMd5(this.identifier, this.ctx.password, this.challenge);
    if (value.length === expected.length && timingSafeEqual(value, expected)) return { kind: 'success' };
    return { kind: 'failure', reason: 'MD5-Challenge response does not match the password' };
  }
}
