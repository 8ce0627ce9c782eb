// Rekeying the IKE SA with CREATE_CHILD_SA (RFC 7296 1.3.2, 2.18): a new IKE SA keyed from the old
// SK_d and a fresh DH, the CHILD SAs move to it, and the old one is deleted by the rekey's
// initiator. Simultaneous rekeys are resolved by the lowest nonce (2.8.2); a rekey meeting a
// delete or a CHILD exchange gets TEMPORARY_FAILURE (2.25.2).

import { Buffer } from 'node:buffer';
import { ExchangeType, NotifyType, PayloadType, ProtocolId, enumName, isErrorNotify } from '../constants.ts';
import type { Proposal } from '../message.ts';
import { acceptedIkeSuite, ikeProposalToWire, selectIkeProposal } from '../proposals.ts';
import type { IkeSuite } from '../proposals.ts';
import type { ExchangeContext, Task, TaskResult } from '../sa/task.ts';
import { DONE, afterResponse, failed } from '../sa/task.ts';
import { ke, mkNotify, nonce, notifies, sa as saPayload, u16 } from '../payload-util.ts';
import { createKeyExchange } from '../crypto/dh.ts';
import type { KeyExchange } from '../crypto/dh.ts';
import { deriveIkeSaKeys } from '../crypto/keymat.ts';
import { IkeSa } from '../sa/ike-sa.ts';
import { keepBytes } from '../../util/keep-bytes.ts';
import type { EngineCore } from '../sa/context.ts';
import { NONCE_LENGTH } from './ike-init.ts';
import { IkeDeleteTask } from './ike-delete.ts';
import { ChildCreateTask } from './child-create.ts';

function lowestNonce(a: Buffer, b: Buffer): Buffer {
  return Buffer.compare(a, b) <= 0 ? a : b;
}

/** Creates the new IKE SA object of a rekey, keyed per RFC 7296 2.18. */
function newIkeSa(core: EngineCore, old: IkeSa, o: {
  weInitiated: boolean; spiI: Buffer; spiR: Buffer; suite: IkeSuite; nonceI: Buffer; nonceR: Buffer; secret: Buffer; now: number;
}): IkeSa {
  const n = new IkeSa(core, core.nextIkeSaId(), o.weInitiated, o.spiI, o.spiR, { ...old.local }, { ...old.remote }, o.now, old.name);
  n.nonceI = keepBytes(o.nonceI);
  n.nonceR = keepBytes(o.nonceR);
  n.suite = o.suite;
  n.keys = deriveIkeSaKeys({
    prf: o.suite.prf, encr: o.suite.encr, encrKeyBits: o.suite.encrKeyBits, integ: o.suite.integ,
    nonceI: o.nonceI, nonceR: o.nonceR, spiI: o.spiI, spiR: o.spiR, sharedSecret: o.secret,
    oldSkD: old.keys!.skD, oldPrf: old.suite!.prf,
  });
  n.rekeyedFrom = old.id;
  n.profile = old.profile;
  n.state = 'ESTABLISHED';
  n.establishedAt = o.now;
  core.registerIkeSa(n);
  core.act({ type: 'ike-keys', keys: { ikeSaId: n.id, spiI: n.spiI, spiR: n.spiR, suite: o.suite, skEi: n.keys.skEi, skEr: n.keys.skEr, skAi: n.keys.skAi, skAr: n.keys.skAr } });
  return n;
}

export class IkeRekeyTask implements Task {
  readonly name = 'ike-rekey';
  private newSpi?: Buffer;
  private nonce?: Buffer;
  private kex?: KeyExchange;
  private proposals: Proposal[] = [];
  private group?: number;

  buildRequest(x: ExchangeContext): void {
    const sa = x.sa;
    sa.state = 'REKEYING';
    this.newSpi = x.core.newIkeSpi();
    this.proposals = sa.profile!.policy.proposals.map((p, i) => ikeProposalToWire(p, i + 1, this.newSpi));
    // Keep the current group first: it is one the peer accepted already.
    this.group ??= sa.suite!.dh;
    this.kex = createKeyExchange(this.group, x.core.random);
    this.nonce = x.core.random.bytes(NONCE_LENGTH);
    x.out.push(
      { type: PayloadType.SA, proposals: this.proposals },
      { type: PayloadType.NONCE, data: this.nonce },
      { type: PayloadType.KE, group: this.group, data: this.kex.publicValue },
    );
  }

  processResponse(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    const err = notifies(x.received).find((n) => isErrorNotify(n.notifyType));
    if (err) {
      if (err.notifyType === NotifyType.INVALID_KE_PAYLOAD && err.data.length >= 2 && err.data.readUInt16BE(0) !== this.group) {
        this.group = err.data.readUInt16BE(0);
        sa.emit('invalid-ke', `IKE rekey: peer wants DH group ${this.group}`, { requested: this.group });
        return { status: 'restart' };
      }
      return this.fail(x, `peer answered ${enumName(NotifyType, err.notifyType)}`, err.notifyType);
    }
    const sap = saPayload(x.received), n = nonce(x.received), k = ke(x.received);
    if (!sap || !n || !k) return this.fail(x, 'response lacks SA, Nonce or KE');
    const suite = acceptedIkeSuite(sap.proposals, this.proposals);
    if (typeof suite === 'string') return this.fail(x, suite);
    const peerSpi = sap.proposals[0]!.spi;
    if (peerSpi.length !== 8 || k.group !== suite.dh || k.group !== this.kex!.group) return this.fail(x, 'bad SPI or KE group in the rekey response');
    let secret: Buffer;
    try {
      secret = this.kex!.computeSharedSecret(k.data);
    } catch (e) {
      return this.fail(x, `bad KE: ${(e as Error).message}`);
    }
    const ours = newIkeSa(x.core, sa, { weInitiated: true, spiI: this.newSpi!, spiR: keepBytes(peerSpi), suite, nonceI: this.nonce!, nonceR: n.data, secret, now: x.now });
    const theirs = sa.ikeCollision;
    if (theirs && theirs.state !== 'DELETED') {
      const oursLower = Buffer.compare(lowestNonce(ours.nonceI!, ours.nonceR!), lowestNonce(theirs.nonceI!, theirs.nonceR!)) < 0;
      x.core.counter('collisions.ike-rekey');
      sa.emit('collision', `simultaneous IKE rekey: ${oursLower ? 'ours' : 'theirs'} has the lowest nonce and is redundant`, { kind: 'ike-rekey', ours: ours.id, theirs: theirs.id, redundant: oursLower ? 'ours' : 'theirs' });
      if (oursLower) {
        // Our new SA is redundant: we delete it; the peer deletes the old one.
        x.core.adoptRekeyedIkeSa(sa, theirs, x.now);
        ours.queueExchange(ExchangeType.INFORMATIONAL, [new IkeDeleteTask('redundant after IKE rekey collision')], x.now);
        return DONE;
      }
    }
    x.core.adoptRekeyedIkeSa(sa, ours, x.now);
    sa.queueExchange(ExchangeType.INFORMATIONAL, [new IkeDeleteTask('rekeyed')], x.now);
    return DONE;
  }

  private fail(x: ExchangeContext, reason: string, notify?: number): TaskResult {
    const sa = x.sa;
    if (sa.state === 'REKEYING') sa.state = 'ESTABLISHED';
    sa.emit('ike-failed', `IKE SA rekey failed: ${reason}`, { reason, rekey: true });
    x.core.counter('ike-rekey-failed');
    const theirs = sa.ikeCollision;
    if (theirs && theirs.state !== 'DELETED') {
      // The peer's rekey went through while ours failed: it is the successor.
      x.core.adoptRekeyedIkeSa(sa, theirs, x.now);
    } else if (notify === NotifyType.TEMPORARY_FAILURE) {
      x.core.retryIkeRekey(sa, x.now);
    }
    return failed(reason, false, notify);
  }

  abort(x: { sa: IkeSa }): void {
    if (x.sa.state === 'REKEYING') x.sa.state = 'ESTABLISHED';
  }
}

export class IkeRekeyResponder implements Task {
  readonly name = 'ike-rekey-responder';
  private error?: { notify: number; data?: Buffer };
  private answer?: { proposal: Proposal; nonce: Buffer; kex: KeyExchange; newSa: IkeSa; collision: boolean };

  processRequest(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    if (sa.state === 'DELETING' || sa.replacedBy !== undefined) {
      this.error = { notify: NotifyType.TEMPORARY_FAILURE };
      sa.emit('collision', 'peer rekeys an IKE SA we are deleting: TEMPORARY_FAILURE', { kind: 'ike-rekey-vs-delete' });
      return DONE;
    }
    if (sa.outstandingTasks().some((t) => t instanceof ChildCreateTask)) {
      this.error = { notify: NotifyType.TEMPORARY_FAILURE };
      sa.emit('collision', 'peer rekeys the IKE SA while we create or rekey a CHILD SA: TEMPORARY_FAILURE', { kind: 'ike-rekey-vs-child' });
      return DONE;
    }
    const sap = saPayload(x.received)!, n = nonce(x.received), k = ke(x.received);
    if (!n || !k) {
      this.error = { notify: NotifyType.INVALID_SYNTAX };
      return DONE;
    }
    const ours = sa.profile!.policy.proposals.map((p, i) => ikeProposalToWire(p, i + 1));
    const sel = selectIkeProposal(sap.proposals, ours);
    if (!sel) {
      this.error = { notify: NotifyType.NO_PROPOSAL_CHOSEN };
      return DONE;
    }
    if (k.group !== sel.suite.dh) {
      this.error = { notify: NotifyType.INVALID_KE_PAYLOAD, data: u16(sel.suite.dh) };
      return DONE;
    }
    const peerSpi = sel.proposal.spi;
    if (peerSpi.length !== 8) {
      this.error = { notify: NotifyType.INVALID_SYNTAX };
      return DONE;
    }
    const kex = createKeyExchange(sel.suite.dh, x.core.random);
    let secret: Buffer;
    try {
      secret = kex.computeSharedSecret(k.data);
    } catch {
      this.error = { notify: NotifyType.INVALID_SYNTAX };
      return DONE;
    }
    const myNonce = x.core.random.bytes(NONCE_LENGTH);
    const newSpi = x.core.newIkeSpi();
    const newSa = newIkeSa(x.core, sa, { weInitiated: false, spiI: keepBytes(peerSpi), spiR: newSpi, suite: sel.suite, nonceI: n.data, nonceR: myNonce, secret, now: x.now });
    const collision = sa.state === 'REKEYING';
    if (collision) {
      sa.ikeCollision = newSa;
      x.core.counter('collisions.ike-rekey.detected');
    }
    this.answer = { proposal: { ...sel.proposal, spi: newSpi }, nonce: myNonce, kex, newSa, collision };
    return DONE;
  }

  buildResponse(x: ExchangeContext): void {
    if (this.error) {
      x.out.push(mkNotify(this.error.notify, this.error.data));
      return;
    }
    const a = this.answer!;
    x.out.push(
      { type: PayloadType.SA, proposals: [{ ...a.proposal, protocolId: ProtocolId.IKE }] },
      { type: PayloadType.NONCE, data: a.nonce },
      { type: PayloadType.KE, group: a.kex.group, data: a.kex.publicValue },
    );
    // Without a collision the new SA takes over at once; the initiator deletes the old one.
    if (!a.collision) afterResponse(x, () => x.core.adoptRekeyedIkeSa(x.sa, a.newSa, x.now));
  }
}
