// EAP-MSCHAPv2 Type-Data (draft-kamath-pppext-eap-mschapv2-02 section 2): OpCode, MS-CHAPv2-ID,
// MS-Length (the length of these bytes from OpCode on), then the MS-CHAPv2 packet body of RFC 2759
// section 3 (Challenge, Response) or the Success/Failure messages of RFC 2759 sections 5 and 6.
// Success and Failure Responses from the peer are the OpCode alone (draft section 2.4, 2.6).

import { EapParseError } from './errors.ts';

export enum MsChapV2OpCode {
  Challenge = 1,
  Response = 2,
  Success = 3,
  Failure = 4,
  ChangePassword = 7,
}

export type MsChapV2Packet =
  | { opcode: MsChapV2OpCode.Challenge; msId: number; challenge: Buffer; name: string }
  | { opcode: MsChapV2OpCode.Response; msId: number; peerChallenge: Buffer; ntResponse: Buffer; flags: number; name: string }
  /** A Success/Failure Request carries msId and a message; the peer's Response is the OpCode alone. */
  | { opcode: MsChapV2OpCode.Success; msId?: number; message?: string }
  | { opcode: MsChapV2OpCode.Failure; msId?: number; message?: string };

export function decodeMsChapV2(data: Buffer): MsChapV2Packet {
  if (data.length < 1) throw new EapParseError('BAD_TYPE_DATA', 'empty EAP-MSCHAPv2 data');
  const opcode = data[0]!;
  if ((opcode === MsChapV2OpCode.Success || opcode === MsChapV2OpCode.Failure) && data.length === 1) return { opcode };
  if (data.length < 4) throw new EapParseError('BAD_TYPE_DATA', `EAP-MSCHAPv2 opcode ${opcode} needs 4 header bytes, got ${data.length}`);
  const msId = data[1]!;
  const msLength = data.readUInt16BE(2);
  // Some peers send an MS-Length that counts the EAP header too; the EAP Length is authoritative.
  if (msLength < 4) throw new EapParseError('BAD_TYPE_DATA', `EAP-MSCHAPv2 MS-Length ${msLength} below 4`);
  const body = data.subarray(4);
  switch (opcode) {
    case MsChapV2OpCode.Challenge: {
      const size = body[0];
      if (size !== 16 || body.length < 17) throw new EapParseError('BAD_TYPE_DATA', `MSCHAPv2 Challenge Value-Size ${size} (must be 16) or truncated`);
      return { opcode, msId, challenge: Buffer.from(body.subarray(1, 17)), name: body.subarray(17).toString('utf8') };
    }
    case MsChapV2OpCode.Response: {
      const size = body[0];
      if (size !== 49 || body.length < 50) throw new EapParseError('BAD_TYPE_DATA', `MSCHAPv2 Response Value-Size ${size} (must be 49) or truncated`);
      return {
        opcode, msId,
        peerChallenge: Buffer.from(body.subarray(1, 17)),
        // 8 reserved zero bytes at 17..24 (RFC 2759 section 4)
        ntResponse: Buffer.from(body.subarray(25, 49)),
        flags: body[49]!,
        name: body.subarray(50).toString('utf8'),
      };
    }
    case MsChapV2OpCode.Success:
    case MsChapV2OpCode.Failure:
      return { opcode, msId, message: body.toString('utf8') };
    default:
      throw new EapParseError('BAD_TYPE_DATA', `EAP-MSCHAPv2 opcode ${opcode} not supported`);
  }
}

export function encodeMsChapV2(p: MsChapV2Packet): Buffer {
  if ((p.opcode === MsChapV2OpCode.Success || p.opcode === MsChapV2OpCode.Failure) && p.msId === undefined) return Buffer.from([p.opcode]);
  let body: Buffer;
  switch (p.opcode) {
    case MsChapV2OpCode.Challenge:
      body = Buffer.concat([Buffer.from([16]), p.challenge, Buffer.from(p.name, 'utf8')]);
      break;
    case MsChapV2OpCode.Response:
      body = Buffer.concat([Buffer.from([49]), p.peerChallenge, Buffer.alloc(8), p.ntResponse, Buffer.from([p.flags]), Buffer.from(p.name, 'utf8')]);
      break;
    default:
      body = Buffer.from(p.message ?? '', 'utf8');
  }
  const head = Buffer.alloc(4);
  head[0] = p.opcode;
  head[1] = (p.msId ?? 0) & 0xff;
  head.writeUInt16BE(4 + body.length, 2);
  return Buffer.concat([head, body]);
}

/** Fields of a Failure message "E=691 R=0 C=<32 hex> V=3 M=<text>" (RFC 2759 section 6). */
export interface MsChapV2FailureInfo {
  error?: number;
  retry?: boolean;
  challenge?: Buffer;
  version?: number;
  message?: string;
}

export function parseFailureMessage(text: string): MsChapV2FailureInfo {
  const out: MsChapV2FailureInfo = {};
  const m = / ?M=(.*)$/s.exec(text);
  if (m) out.message = m[1];
  const head = m ? text.slice(0, m.index) : text;
  for (const part of head.split(' ')) {
    const [k, v] = [part.slice(0, 2), part.slice(2)];
    if (k === 'E=') out.error = Number(v);
    else if (k === 'R=') out.retry = v === '1';
    else if (k === 'C=' && /^[0-9a-fA-F]{32}$/.test(v)) out.challenge = Buffer.from(v, 'hex');
    else if (k === 'V=') out.version = Number(v);
  }
  return out;
}

/** The "S=<40 hex>" part of a Success message (RFC 2759 section 5), upper- or lower-case hex. */
export function parseSuccessMessage(text: string): { authResponse?: Buffer; message?: string } {
  const s = /^S=([0-9a-fA-F]{40})/.exec(text);
  const m = / M=(.*)$/s.exec(text);
  return { ...(s ? { authResponse: Buffer.from(s[1]!, 'hex') } : {}), ...(m ? { message: m[1] } : {}) };
}
