// IKE_SESSION_RESUME (RFC 5723 4.3.2), exchange type 38, in place of IKE_SA_INIT:
//
//   HDR, [N(COOKIE),] Ni, N(TICKET_OPAQUE) [,N+]   -->
//                                               <--  HDR, Nr [,N+]      (or N(TICKET_NACK), N(COOKIE))
//
// No SA or KE payloads: the new IKE SA uses the algorithms of the one the ticket stands for, and
// its keys come from that SA's SK_d and the new nonces (5.1). The messages are not encrypted; both
// are signed in the IKE_AUTH exchange that follows (tasks/resumed-auth.ts). NAT detection and
// IKEV2_FRAGMENTATION_SUPPORTED ride along as in IKE_SA_INIT (their tasks are in the same bundle).

import { Buffer } from 'node:buffer';
import { NotifyType, PayloadType, enumName } from '../constants.ts';
import type { ExchangeContext, Task, TaskResult } from '../sa/task.ts';
import { DONE, failed } from '../sa/task.ts';
import { firstError, mkNotify, nonce, notify } from '../payload-util.ts';
import { deriveIkeSaKeys } from '../crypto/keymat.ts';
import { describeIkeSuite } from '../proposals.ts';
import type { IkeSuite } from '../proposals.ts';
import type { IkeSa } from '../sa/ike-sa.ts';
import type { EngineCore } from '../sa/context.ts';
import type { ClientTicket } from '../resumption/service.ts';
import type { TicketState } from '../resumption/ticket.ts';
import { NONCE_LENGTH } from './ike-init.ts';

const MAX_COOKIE_RETRIES = 5;

/** Keys of the resumed IKE SA (RFC 5723 5.1), exported like any IKE SA's (Wireshark tables). */
export function deriveResumedKeys(sa: IkeSa, core: EngineCore, suite: IkeSuite, oldSkD: Buffer): void {
  sa.suite = { ...suite };
  sa.dhGroup = suite.dh;
  sa.keys = deriveIkeSaKeys({
    prf: suite.prf, encr: suite.encr, encrKeyBits: suite.encrKeyBits, integ: suite.integ,
    nonceI: sa.nonceI!, nonceR: sa.nonceR!, spiI: sa.spiI, spiR: sa.spiR, sharedSecret: Buffer.alloc(0), resumeSkD: oldSkD,
  });
  core.act({
    type: 'ike-keys',
    keys: { ikeSaId: sa.id, spiI: sa.spiI, spiR: sa.spiR, suite: sa.suite, skEi: sa.keys.skEi, skEr: sa.keys.skEr, skAi: sa.keys.skAi, skAr: sa.keys.skAr },
  });
  const d = describeIkeSuite(suite);
  sa.emit('info', `IKE SA keys derived from the resumption ticket's SK_d: ${d.encr}${d.keysize ? `-${d.keysize}` : ''}/PRF ${d.prf}/${d.hash} (no DH)`, { suite: d, resumed: true });
}

export class SessionResumeTask implements Task {
  readonly name = 'ike-session-resume';
  private retries = 0;
  private armed = false;

  /** Initiator: the ticket to present and the seconds before giving up on resumption. */
  constructor(private readonly opts: { ticket?: ClientTicket; timeout?: number } = {}) {}

  // ========================================================================== initiator

  buildRequest(x: ExchangeContext): void {
    const sa = x.sa;
    const t = this.opts.ticket!;
    sa.nonceI ??= x.core.random.bytes(NONCE_LENGTH);
    if (!this.armed && this.opts.timeout) {
      // Retransmissions go on meanwhile; past this, the client stops waiting and falls back.
      this.armed = true;
      const timeout = this.opts.timeout;
      x.core.timers.set(`${sa.timerPrefix}resume-timeout`, x.now + timeout * 1000, (at) => {
        if (sa.state !== 'CONNECTING' && sa.state !== 'AUTHENTICATING') return;
        x.core.counter('resume.timeouts');
        sa.emit('timeout', `no answer to IKE_SESSION_RESUME within ${timeout} s`, { exchange: 'IKE_SESSION_RESUME', seconds: timeout });
        sa.destroy('resumption timeout', at);
      });
    }
    // A cookie must come first (RFC 5723 4.3.2, as in IKE_SA_INIT: RFC 7296 2.6).
    if (sa.cookie) x.out.push(mkNotify(NotifyType.COOKIE, sa.cookie));
    x.out.push({ type: PayloadType.NONCE, data: sa.nonceI }, mkNotify(NotifyType.TICKET_OPAQUE, t.ticket));
  }

  processResponse(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    // Answered: IKE_AUTH has the usual retransmission and give-up (which falls back too).
    x.core.timers.cancel(`${sa.timerPrefix}resume-timeout`);
    this.armed = false;
    const cookie = notify(x.received, NotifyType.COOKIE);
    if (cookie) {
      if (++this.retries > MAX_COOKIE_RETRIES) return failed('gateway keeps demanding cookies', true);
      sa.cookie = cookie.data;
      x.core.counter('cookies-received');
      sa.emit('cookie-received', `gateway demanded a cookie (${cookie.data.length} bytes): repeating IKE_SESSION_RESUME with it`, { cookie: cookie.data.toString('hex') });
      return { status: 'restart' };
    }
    if (notify(x.received, NotifyType.TICKET_NACK)) {
      x.core.counter('resume.nack-received');
      sa.emit('resume', `gateway ${sa.remote.address} refused the ticket (TICKET_NACK)`, { step: 'refused', notify: 'TICKET_NACK' });
      return failed('resumption refused by the gateway (TICKET_NACK)', true, NotifyType.TICKET_NACK);
    }
    const err = firstError(x.received);
    if (err) return failed(`IKE_SESSION_RESUME rejected by the gateway: ${enumName(NotifyType, err.notifyType)}`, true, err.notifyType);
    const np = nonce(x.received);
    if (!np) return failed('IKE_SESSION_RESUME response lacks a Nonce', true, NotifyType.INVALID_SYNTAX);
    if (np.data.length < 16 || np.data.length > 256) return failed(`gateway nonce of ${np.data.length} bytes`, true, NotifyType.INVALID_SYNTAX);
    if (x.header!.spiR.equals(Buffer.alloc(8))) return failed('IKE_SESSION_RESUME response without a responder SPI', true, NotifyType.INVALID_SYNTAX);
    const t = this.opts.ticket!;
    sa.spiR = Buffer.from(x.header!.spiR);
    sa.nonceR = np.data;
    try {
      deriveResumedKeys(sa, x.core, t.suite, t.skD);
    } catch (e) {
      return failed(`cannot derive the resumed keys: ${(e as Error).message}`, true, NotifyType.INVALID_SYNTAX);
    }
    sa.resumption = { ...sa.resumption, resumed: { spiI: t.spiI, spiR: t.spiR, issued: t.receivedAt, client: t } };
    sa.state = 'AUTHENTICATING';
    return DONE;
  }

  // ========================================================================== responder

  /** The engine checked the ticket (no state before that) and passes its contents in `shared.resume`. */
  processRequest(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    const s = x.shared.resume as TicketState;
    const np = nonce(x.received)!;
    sa.nonceI = np.data;
    sa.nonceR = x.core.random.bytes(NONCE_LENGTH);
    try {
      deriveResumedKeys(sa, x.core, s.suite, s.skD);
    } catch (e) {
      return failed(`cannot derive the resumed keys: ${(e as Error).message}`, true, NotifyType.TICKET_NACK);
    }
    sa.resumption = { ...sa.resumption, resumed: { spiI: s.spiI, spiR: s.spiR, issued: s.issued, state: s } };
    sa.state = 'AUTHENTICATING';
    return DONE;
  }

  buildResponse(x: ExchangeContext): void {
    x.out.push({ type: PayloadType.NONCE, data: x.sa.nonceR! });
  }
}
