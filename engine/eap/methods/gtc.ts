// EAP-GTC, Generic Token Card (RFC 3748 section 5.6): the Request carries a displayable message, the
// Response the token or password in clear (the outer IKE SA protects it). Not key-generating.
// strongSwan's eap-gtc and FreeRADIUS's rlm_eap_gtc both put the bare password in the Response.

import { timingSafeEqual } from 'node:crypto';
import { EapCode, EapType } from '../constants.ts';
import type { EapPacket } from '../packet.ts';
import type { EapPeerMethod, EapServerMethod, EapStep, PeerCredentials, ServerMethodContext } from '../method.ts';

export class GtcPeerMethod implements EapPeerMethod {
  readonly type = EapType.Gtc;
  readonly name = 'gtc' as const;
  readonly keyGenerating = false;
  mayAcceptSuccess = false;
  /** The server's prompt, for logs. */
  prompt = '';

  constructor(private readonly cred: PeerCredentials) {}

  process(request: EapPacket): EapStep {
    this.prompt = request.data.toString('utf8');
    this.mayAcceptSuccess = true;
    return { kind: 'send', packet: { code: EapCode.Response, identifier: request.identifier, type: this.type, data: Buffer.from(this.cred.password, 'utf8') } };
  }
}

export class GtcServerMethod implements EapServerMethod {
  readonly type = EapType.Gtc;
  readonly name = 'gtc' as const;
  readonly keyGenerating = false;

  constructor(private readonly ctx: ServerMethodContext, private readonly prompt = 'Password: ') {}

  initiate(identifier: number): EapPacket {
    return { code: EapCode.Request, identifier, type: this.type, data: Buffer.from(this.prompt, 'utf8') };
  }

  process(response: EapPacket): EapStep {
    const want = Buffer.from(this.ctx.password, 'utf8');
    if (response.data.length === want.length && timingSafeEqual(response.data, want)) return { kind: 'success' };
    return { kind: 'failure', reason: 'GTC response does not match the password' };
  }
}
