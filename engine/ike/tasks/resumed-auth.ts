// The IKE_AUTH exchange after IKE_SESSION_RESUME (RFC 5723 4.3.3 and 5.2):
//
//   HDR, SK {IDi, [IDr,] AUTH, [CP,] SAi2, TSi, TSr [,N+]}  -->
//                                        <--  HDR, SK {IDr, AUTH, [CP,] SAr2, TSi, TSr [,N+]}
//
// Neither side proves anything with certificates or EAP here: holding SK_d of the old IKE SA is
// the proof. AUTH is a shared-key MIC (method 2) keyed with the new SK_pi / SK_pr over the usual
// signed octets (RFC 7296 2.15, the IKE_SESSION_RESUME messages standing for IKE_SA_INIT's):
//
//   AUTH = prf(SK_px, <message octets>)        (no "Key Pad for IKEv2" step)
//
// IDi must be the ticket's, and so must IDr when sent; no CERT payload may appear (4.3.3).
// CP, the CHILD SA and the window size are handled by the usual tasks of the bundle.

import { timingSafeEqual } from 'node:crypto';
import { AuthMethod, NotifyType, PayloadType, enumName } from '../constants.ts';
import type { Identity } from '../config.ts';
import type { AuthPayload, IdPayload } from '../message.ts';
import type { ExchangeContext, Task, TaskResult } from '../sa/task.ts';
import { DONE, failed } from '../sa/task.ts';
import { auth as authPayload, certs, eap, firstError, idi, idr, mkNotify, notify } from '../payload-util.ts';
import { identityToPayload, payloadToIdentity } from '../identity.ts';
import { octetsFor } from '../auth/authenticator.ts';
import { prf } from '../crypto/prf.ts';
import type { IkeSa } from '../sa/ike-sa.ts';

/** AUTH data of a resumed IKE SA for the side that sent IDx (RFC 5723 5.2). */
export function resumedAuthData(sa: IkeSa, fromInitiator: boolean, id: { idType: number; data: Buffer }): Buffer {
  const key = fromInitiator ? sa.keys!.skPi : sa.keys!.skPr;
  return prf(sa.suite!.prf, key, octetsFor(sa, fromInitiator, id.idType, id.data));
}

function authValid(sa: IkeSa, fromInitiator: boolean, id: { idType: number; data: Buffer }, got: AuthPayload): boolean {
  if (got.method !== AuthMethod.PSK) return false;
  const want = resumedAuthData(sa, fromInitiator, id);
  return want.length === got.data.length && timingSafeEqual(want, got.data);
}

const sameIdentity = (a: Identity, b: Identity) => a.type === b.type && a.value === b.value;
const idOf = (p: { idType: number; data: Buffer }) => payloadToIdentity({ idType: p.idType, data: p.data });

function idPayload(type: PayloadType.IDi | PayloadType.IDr, id: Identity): IdPayload {
  const b = identityToPayload(id);
  return { type, idType: b.idType, data: b.data };
}

/** Marks the SA established, as the IKE_AUTH task does, saying it was resumed. */
function establish(x: ExchangeContext): void {
  const sa = x.sa;
  if (sa.state === 'ESTABLISHED') return;
  sa.state = 'ESTABLISHED';
  sa.establishedAt = x.now;
  x.core.counter('ike-established');
  x.core.counter('resume.resumed');
  const from = sa.resumption?.resumed;
  sa.emit('ike-established', `IKE SA ${sa.name} resumed with ${sa.peer} (RFC 5723): ${sa.localId?.value} <-> ${sa.remoteId?.value}${sa.remoteEapId ? ` (EAP ${sa.remoteEapId})` : ''}, from IKE SA ${from?.spiI}_i ${from?.spiR}_r`, {
    localId: sa.localId?.value, remoteId: sa.remoteId?.value, remoteEapId: sa.remoteEapId, authSign: sa.authLocalMethod, authVerify: sa.authRemoteMethod,
    initiator: sa.initiator, spiI: sa.spiI.toString('hex'), spiR: sa.spiR.toString('hex'), resumed: true,
  });
  sa.emit('resume', `IKE SA resumed: ${sa.spiI.toString('hex')}_i ${sa.spiR.toString('hex')}_r replaces ${from?.spiI}_i ${from?.spiR}_r without a new key exchange or authentication`,
    { step: 'resumed', spiI: sa.spiI.toString('hex'), spiR: sa.spiR.toString('hex'), fromSpiI: from?.spiI, fromSpiR: from?.spiR });
  x.core.established(sa, x.now);
}

export class ResumedAuthTask implements Task {
  readonly name = 'resumed-auth';
  private myId?: IdPayload;

  // ========================================================================== initiator

  buildRequest(x: ExchangeContext): void {
    const sa = x.sa;
    const t = sa.resumption!.resumed!.client!;
    sa.localId = t.localId;
    this.myId = idPayload(PayloadType.IDi, t.localId);
    x.out.push(this.myId);
    if (t.remoteId) x.out.push(idPayload(PayloadType.IDr, t.remoteId));
    if (sa.initialContact) x.out.push(mkNotify(NotifyType.INITIAL_CONTACT));
    x.out.push({ type: PayloadType.AUTH, method: AuthMethod.PSK, data: resumedAuthData(sa, true, this.myId) });
  }

  processResponse(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    const t = sa.resumption!.resumed!.client!;
    const a = authPayload(x.received);
    const err = firstError(x.received);
    if (err && !a) return failed(`gateway refused the resumed authentication: ${enumName(NotifyType, err.notifyType)}`, true, err.notifyType);
    const id = idr(x.received);
    if (!id || !a) return failed('resumed IKE_AUTH response lacks IDr or AUTH', true, NotifyType.AUTHENTICATION_FAILED);
    const remote = idOf(id);
    if (t.remoteId && !sameIdentity(remote, t.remoteId)) {
      return failed(`gateway answered as ${remote.type} "${remote.value}", the ticket is for "${t.remoteId.value}" (RFC 5723 4.3.3)`, true, NotifyType.AUTHENTICATION_FAILED);
    }
    if (certs(x.received).length) return failed('resumed IKE_AUTH response carries a certificate (RFC 5723 4.3.3)', true, NotifyType.AUTHENTICATION_FAILED);
    if (!authValid(sa, false, id, a)) return failed(`AUTH of gateway ${remote.value} does not verify with SK_pr of the resumed SA`, true, NotifyType.AUTHENTICATION_FAILED);
    sa.remoteId = remote;
    sa.authLocalMethod = t.authLocal;
    sa.authRemoteMethod = t.authRemote;
    sa.authenticated = true;
    establish(x);
    return DONE;
  }

  // ========================================================================== responder

  processRequest(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    const s = sa.resumption!.resumed!.state!;
    const id = idi(x.received);
    const a = authPayload(x.received);
    if (!id) return failed('resumed IKE_AUTH request carries no IDi', true, NotifyType.AUTHENTICATION_FAILED);
    const claimed = idOf(id);
    sa.remoteId = claimed;
    if (!a || eap(x.received)) return failed(`${claimed.value}: no AUTH (EAP is not allowed after IKE_SESSION_RESUME, RFC 5723 4.3.3)`, true, NotifyType.AUTHENTICATION_FAILED);
    if (certs(x.received).length) return failed(`${claimed.value}: a CERT payload after IKE_SESSION_RESUME (RFC 5723 4.3.3)`, true, NotifyType.AUTHENTICATION_FAILED);
    const ticketId = idOf(s.idi);
    if (!sameIdentity(claimed, ticketId)) {
      return failed(`IDi ${claimed.type} "${claimed.value}" differs from the ticket's "${ticketId.value}" (RFC 5723 4.3.3)`, true, NotifyType.AUTHENTICATION_FAILED);
    }
    const theirIdr = idr(x.received);
    if (theirIdr && !sameIdentity(idOf(theirIdr), idOf(s.idr))) {
      return failed(`IDr "${idOf(theirIdr).value}" differs from the ticket's "${idOf(s.idr).value}" (RFC 5723 4.3.3)`, true, NotifyType.AUTHENTICATION_FAILED);
    }
    if (!authValid(sa, true, id, a)) return failed(`AUTH of ${claimed.value} does not verify with SK_pi of the resumed SA`, true, NotifyType.AUTHENTICATION_FAILED);
    const profile = x.core.profiles.find((p) => p.name === s.profile);
    if (!profile) return failed(`profile ${s.profile} of the ticket no longer exists`, true, NotifyType.AUTHENTICATION_FAILED);
    sa.profile = profile;
    sa.name = profile.name;
    sa.localId = idOf(s.idr);
    sa.remoteEapId = s.remoteEapId;
    sa.aaaUserName = s.aaaUserName;
    sa.implicitAttributes = s.implicit;
    if (s.peerFlexvpn) sa.peerFlexvpn = true;
    sa.authRemoteMethod = s.authInitiator;
    sa.authLocalMethod = s.authResponder;
    sa.authenticated = true;
    if (notify(x.received, NotifyType.INITIAL_CONTACT)) this.initialContact(x);
    return DONE;
  }

  buildResponse(x: ExchangeContext): void {
    const sa = x.sa;
    if (!sa.authenticated) return;
    const s = sa.resumption!.resumed!.state!;
    const id: IdPayload = { type: PayloadType.IDr, idType: s.idr.idType, data: s.idr.data };
    // First in the bundle: IDr and AUTH lead the response, CP/SA/TS follow from the other tasks.
    x.out.push(id, { type: PayloadType.AUTH, method: AuthMethod.PSK, data: resumedAuthData(sa, false, id) });
    establish(x);
  }

  /** RFC 7296 2.4: the client holds no other SA with us; the old session's SA (and its address) goes. */
  private initialContact(x: ExchangeContext): void {
    for (const other of x.core.ikeSasByRemoteId(x.sa)) {
      if (other === x.sa || other.state === 'DELETED') continue;
      x.sa.emit('info', `INITIAL_CONTACT from ${x.sa.remoteId?.value}: removing stale IKE SA ${other.localSpi.toString('hex')}`, { stale: other.id });
      other.destroy('replaced after INITIAL_CONTACT (resumed session)', x.now);
    }
  }
}
