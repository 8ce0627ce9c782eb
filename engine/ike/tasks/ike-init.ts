// IKE_SA_INIT (RFC 7296 1.2): SA, KE and nonces, with the retries a responder can ask for
// (COOKIE, section 2.6; INVALID_KE_PAYLOAD, section 1.2), and the responder's stateless checks.

import { NotifyType, PayloadType, enumName } from '../constants.ts';
import type { Payload, Proposal } from '../message.ts';
import { acceptedIkeSuite, firstDhGroup, ikeProposalToWire, proposalsAllowDh, selectIkeProposal, describeIkeSuite } from '../proposals.ts';
import type { IkeSuite, Selection } from '../proposals.ts';
import type { ExchangeContext, Task, TaskResult } from '../sa/task.ts';
import { DONE, failed } from '../sa/task.ts';
import { firstError, ke, mkNotify, nonce, notify, sa as saPayload, u16 } from '../payload-util.ts';
import { createKeyExchange } from '../crypto/dh.ts';
import { deriveIkeSaKeys } from '../crypto/keymat.ts';
import type { IkeSa } from '../sa/ike-sa.ts';
import type { EngineCore } from '../sa/context.ts';
import { keepBytes } from '../../util/keep-bytes.ts';

export const NONCE_LENGTH = 32;
const MAX_RETRIES = 5;

export function deriveAndInstallKeys(sa: IkeSa, core: EngineCore, suite: IkeSuite, sharedSecret: Buffer): void {
  sa.suite = suite;
  sa.keys = deriveIkeSaKeys({
    prf: suite.prf, encr: suite.encr, encrKeyBits: suite.encrKeyBits, integ: suite.integ,
    nonceI: sa.nonceI!, nonceR: sa.nonceR!, spiI: sa.spiI, spiR: sa.spiR, sharedSecret,
  });
  core.act({
    type: 'ike-keys',
    keys: { ikeSaId: sa.id, spiI: sa.spiI, spiR: sa.spiR, suite, skEi: sa.keys.skEi, skEr: sa.keys.skEr, skAi: sa.keys.skAi, skAr: sa.keys.skAr },
  });
  const d = describeIkeSuite(suite);
  sa.emit('info', `IKE SA keys derived: ${d.encr}${d.keysize ? `-${d.keysize}` : ''}/PRF ${d.prf}/${d.hash}/DH ${d.dhGroup}`, { suite: d });
}

export class IkeInitTask implements Task {
  readonly name = 'ike-init';
  private retries = 0;
  private selection?: Selection<IkeSuite>;

  buildRequest(x: ExchangeContext): void {
    const sa = x.sa;
    const profile = sa.profile!;
    if (!sa.sentProposals.length) sa.sentProposals = profile.policy.proposals.map((p, i) => ikeProposalToWire(p, i + 1));
    if (sa.dhGroup === undefined) sa.dhGroup = firstDhGroup(sa.sentProposals);
    if (!sa.kex || sa.kex.group !== sa.dhGroup) sa.kex = createKeyExchange(sa.dhGroup, x.core.random);
    if (!sa.nonceI) sa.nonceI = keepBytes(x.core.random.bytes(NONCE_LENGTH));
    // A cookie must be the first payload of the repeated request (RFC 7296 2.6).
    if (sa.cookie) x.out.push(mkNotify(NotifyType.COOKIE, sa.cookie));
    x.out.push(
      { type: PayloadType.SA, proposals: sa.sentProposals },
      { type: PayloadType.KE, group: sa.dhGroup, data: sa.kex.publicValue },
      { type: PayloadType.NONCE, data: sa.nonceI },
    );
  }

  processResponse(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    const cookie = notify(x.received, NotifyType.COOKIE);
    if (cookie) {
      if (++this.retries > MAX_RETRIES) return failed('responder keeps demanding cookies', true);
      sa.cookie = cookie.data;
      x.core.counter('cookies-received');
      sa.emit('cookie-received', `responder demanded a cookie (${cookie.data.length} bytes): repeating IKE_SA_INIT with it`, { cookie: cookie.data.toString('hex') });
      return { status: 'restart' };
    }
    const invalidKe = notify(x.received, NotifyType.INVALID_KE_PAYLOAD);
    if (invalidKe) {
      const group = invalidKe.data.length >= 2 ? invalidKe.data.readUInt16BE(0) : 0;
      if (!proposalsAllowDh(sa.sentProposals, group) || group === sa.dhGroup || ++this.retries > MAX_RETRIES) {
        return failed(`responder asked for DH group ${group}, which we did not propose`, true, NotifyType.INVALID_KE_PAYLOAD);
      }
      x.core.counter('invalid-ke-received');
      sa.emit('invalid-ke', `responder wants DH group ${group} instead of ${sa.dhGroup}: retrying IKE_SA_INIT`, { requested: group, sent: sa.dhGroup });
      sa.dhGroup = group;
      sa.kex = undefined;
      return { status: 'restart' };
    }
    const err = firstError(x.received);
    if (err) return failed(`IKE_SA_INIT rejected by the responder: ${enumName(NotifyType, err.notifyType)}`, true, err.notifyType);
    const sap = saPayload(x.received), kep = ke(x.received), np = nonce(x.received);
    if (!sap || !kep || !np) return failed('IKE_SA_INIT response lacks SA, KE or Nonce', true, NotifyType.INVALID_SYNTAX);
    const suite = acceptedIkeSuite(sap.proposals, sa.sentProposals);
    if (typeof suite === 'string') return failed(suite, true, NotifyType.NO_PROPOSAL_CHOSEN);
    if (kep.group !== suite.dh) return failed(`KE payload group ${kep.group} differs from the chosen group ${suite.dh}`, true, NotifyType.INVALID_SYNTAX);
    if (kep.group !== sa.kex!.group) return failed(`responder chose group ${kep.group} but we sent a KE for ${sa.kex!.group}`, true, NotifyType.INVALID_SYNTAX);
    if (np.data.length < 16 || np.data.length > 256) return failed(`responder nonce of ${np.data.length} bytes`, true, NotifyType.INVALID_SYNTAX);
    sa.spiR = keepBytes(x.header!.spiR);
    sa.nonceR = keepBytes(np.data);
    let secret: Buffer;
    try {
      secret = sa.kex!.computeSharedSecret(kep.data);
    } catch (e) {
      return failed(`invalid KE payload from responder: ${(e as Error).message}`, true, NotifyType.INVALID_SYNTAX);
    }
    deriveAndInstallKeys(sa, x.core, suite, secret);
    sa.state = 'AUTHENTICATING';
    return DONE;
  }

  /** Responder: the engine ran `preflight` and created the SA with the selection in `shared`. */
  processRequest(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    const pre = x.shared.preflight as Preflight;
    this.selection = pre.selection;
    sa.nonceI = keepBytes(pre.nonce);
    sa.nonceR = keepBytes(x.core.random.bytes(NONCE_LENGTH));
    sa.dhGroup = pre.selection.suite.dh;
    sa.kex = createKeyExchange(pre.selection.suite.dh, x.core.random);
    let secret: Buffer;
    try {
      secret = sa.kex.computeSharedSecret(pre.ke);
    } catch (e) {
      return failed(`invalid KE payload from initiator: ${(e as Error).message}`, true, NotifyType.INVALID_SYNTAX);
    }
    deriveAndInstallKeys(sa, x.core, pre.selection.suite, secret);
    sa.state = 'AUTHENTICATING';
    return DONE;
  }

  buildResponse(x: ExchangeContext): void {
    const sa = x.sa;
    x.out.push(
      { type: PayloadType.SA, proposals: [this.selection!.proposal] },
      { type: PayloadType.KE, group: sa.kex!.group, data: sa.kex!.publicValue },
      { type: PayloadType.NONCE, data: sa.nonceR! },
    );
  }
}

export interface Preflight {
  selection: Selection<IkeSuite>;
  ke: Buffer;
  nonce: Buffer;
  cookie?: Buffer;
}

/**
 * The responder's stateless checks of an IKE_SA_INIT request, before any state is created:
 * syntax, proposal choice and KE group. Returns either what to create the SA with, or the
 * notify to answer with (no SA is kept; RFC 7296 2.6 and 1.2).
 */
export function preflight(payloads: Payload[], ours: Proposal[]): Preflight | { reject: Payload[]; reason: string; notify: NotifyType } {
  const sap = saPayload(payloads), kep = ke(payloads), np = nonce(payloads);
  if (!sap || !kep || !np) return { reject: [mkNotify(NotifyType.INVALID_SYNTAX)], reason: 'IKE_SA_INIT request lacks SA, KE or Nonce', notify: NotifyType.INVALID_SYNTAX };
  if (np.data.length < 16 || np.data.length > 256) return { reject: [mkNotify(NotifyType.INVALID_SYNTAX)], reason: `nonce of ${np.data.length} bytes`, notify: NotifyType.INVALID_SYNTAX };
  const selection = selectIkeProposal(sap.proposals, ours);
  if (!selection) return { reject: [mkNotify(NotifyType.NO_PROPOSAL_CHOSEN)], reason: 'no acceptable proposal', notify: NotifyType.NO_PROPOSAL_CHOSEN };
  if (kep.group !== selection.suite.dh) {
    // RFC 7296 1.2: answer with the group we want; the initiator retries with it.
    return { reject: [mkNotify(NotifyType.INVALID_KE_PAYLOAD, u16(selection.suite.dh))], reason: `KE for group ${kep.group}, we chose ${selection.suite.dh}`, notify: NotifyType.INVALID_KE_PAYLOAD };
  }
  return { selection, ke: kep.data, nonce: np.data, cookie: notify(payloads, NotifyType.COOKIE)?.data };
}
