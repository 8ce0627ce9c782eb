// CHILD SA creation and rekeying: the first CHILD SA inside IKE_AUTH (RFC 7296 1.2), further ones
// and rekeys with CREATE_CHILD_SA (1.3.1, 1.3.3, with PFS), traffic selector narrowing (2.9), and
// the simultaneous-rekey rules of 2.8.1 and 2.25.1.

import { Buffer } from 'node:buffer';
import { ExchangeType, NotifyType, PayloadType, ProtocolId, enumName, isErrorNotify } from '../constants.ts';
import type { Payload, Proposal, TrafficSelector } from '../message.ts';
import { acceptedChildSuite, espProposalsToWire, selectChildProposal } from '../proposals.ts';
import type { ChildSuite } from '../proposals.ts';
import type { ExchangeContext, Task, TaskResult } from '../sa/task.ts';
import { AGAIN, DONE, afterResponse, failed } from '../sa/task.ts';
import { ke, mkNotify, nonce, notifies, notify, sa as saPayload, spiToNumber, tsi, tsr, u16, u32 } from '../payload-util.ts';
import { narrow, tsAny4, tsAny6, tsFromCidr, tsWithin, tsToText } from '../traffic-selectors.ts';
import { createKeyExchange } from '../crypto/dh.ts';
import type { KeyExchange } from '../crypto/dh.ts';
import { deriveChildSaKeys } from '../crypto/keymat.ts';
import { ChildSa } from '../sa/child-sa.ts';
import { keepBytes } from '../../util/keep-bytes.ts';
import type { IkeSa } from '../sa/ike-sa.ts';
import { NONCE_LENGTH } from './ike-init.ts';
import { ChildDeleteTask } from './child-delete.ts';

const CHILD_ERRORS = new Set<number>([
  NotifyType.NO_PROPOSAL_CHOSEN, NotifyType.TS_UNACCEPTABLE, NotifyType.SINGLE_PAIR_REQUIRED, NotifyType.NO_ADDITIONAL_SAS,
  NotifyType.INTERNAL_ADDRESS_FAILURE, NotifyType.FAILED_CP_REQUIRED, NotifyType.INVALID_SELECTORS, NotifyType.TEMPORARY_FAILURE,
  NotifyType.CHILD_SA_NOT_FOUND, NotifyType.INVALID_KE_PAYLOAD,
]);

/** MS_NOTIFY_STATUS carries a 32-bit Win32 error in network byte order (strongSwan message.c). */
function win32Error(type: number, data: Buffer): number | undefined {
  return type === NotifyType.MS_NOTIFY_STATUS && data.length === 4 ? data.readUInt32BE(0) : undefined;
}

function notifyText(type: number, data: Buffer): string {
  const w = win32Error(type, data);
  return `${enumName(NotifyType, type)}${w !== undefined ? ` (Win32 error ${w})` : ''}`;
}

function notifyData(type: number, data: Buffer): Record<string, unknown> {
  const w = win32Error(type, data);
  return { notify: enumName(NotifyType, type), ...(w !== undefined ? { win32Error: w } : {}) };
}

export interface ChildRequestOptions {
  /** First CHILD SA, carried in IKE_AUTH (no nonce, no KE). */
  initial: boolean;
  /** Rekey of this CHILD SA (CREATE_CHILD_SA with REKEY_SA). */
  rekey?: ChildSa;
  name?: string;
  localTs?: TrafficSelector[];
  remoteTs?: TrafficSelector[];
}

function defaultTs(ts: TrafficSelector[] | undefined): TrafficSelector[] {
  return ts && ts.length ? ts : [tsAny4(), tsAny6()];
}

/** Both sides' CHILD SA keys and record, for the exchange's nonces and optional PFS secret. */
function makeChild(sa: IkeSa, x: ExchangeContext, o: {
  weInitiated: boolean; suite: ChildSuite; spiIn: number; spiOut: number; nonceI: Buffer; nonceR: Buffer;
  sharedSecret?: Buffer; localTs: TrafficSelector[]; remoteTs: TrafficSelector[]; name: string;
}): ChildSa {
  const keys = deriveChildSaKeys({
    skD: sa.keys!.skD, prf: sa.suite!.prf, encr: o.suite.encr, encrKeyBits: o.suite.encrKeyBits, integ: o.suite.integ,
    nonceI: o.nonceI, nonceR: o.nonceR, sharedSecret: o.sharedSecret,
  });
  // RFC 7296 2.17: keys for initiator->responder come first; "initiator" = of this exchange.
  const out = o.weInitiated ? keys.initiatorToResponder : keys.responderToInitiator;
  const inn = o.weInitiated ? keys.responderToInitiator : keys.initiatorToResponder;
  const ipsec = sa.profile!.ipsec;
  // The SA keeps its nonces (rekey collisions); the first CHILD SA shares the IKE SA's (kept already).
  const kept = (b: Buffer) => (b === sa.nonceI || b === sa.nonceR ? b : keepBytes(b));
  const child = new ChildSa(
    x.core.nextChildId(), sa.id, o.name, o.spiIn, o.spiOut, o.suite, inn, out, o.localTs, o.remoteTs, 'tunnel',
    o.weInitiated, kept(o.nonceI), kept(o.nonceR), ipsec.lifetimeSeconds, ipsec.lifetimeKilobytes, ipsec.replayWindow, x.now,
  );
  child.rekeyAfterBytes = ipsec.rekeyAfterBytes;
  return child;
}

export class ChildCreateTask implements Task {
  readonly name: string;
  private spiIn = 0;
  private proposals: Proposal[] = [];
  private kex?: KeyExchange;
  private nonce?: Buffer;
  private sent = false;
  private localTs: TrafficSelector[] = [];
  private remoteTs: TrafficSelector[] = [];
  // responder state
  private response?: { proposal: Proposal; suite: ChildSuite; tsi: TrafficSelector[]; tsr: TrafficSelector[]; child: ChildSa; kex?: KeyExchange; nonce?: Buffer };
  private responseError?: { notify: number; data?: Buffer };

  constructor(private readonly opts: ChildRequestOptions) {
    this.name = opts.rekey ? 'child-rekey' : 'child-create';
  }

  get rekeying(): ChildSa | undefined {
    return this.opts.rekey;
  }

  // ------------------------------------------------------------------ initiator

  buildRequest(x: ExchangeContext): void {
    if (this.sent) return; // later IKE_AUTH rounds carry nothing of ours
    this.sent = true;
    const sa = x.sa;
    const profile = sa.profile!;
    const ipsec = profile.ipsec;
    this.spiIn = x.core.newChildSpi();
    const pfs = !this.opts.initial ? ipsec.pfsGroup : undefined;
    this.proposals = espProposalsToWire(ipsec.transformSets, u32(this.spiIn), pfs);
    const old = this.opts.rekey;
    if (old) {
      old.state = 'REKEYING';
      // REKEY_SA carries the SPI we receive on for the SA being rekeyed (RFC 7296 1.3.3).
      x.out.push(mkNotify(NotifyType.REKEY_SA, Buffer.alloc(0), ProtocolId.ESP, u32(old.spiIn)));
    }
    x.out.push({ type: PayloadType.SA, proposals: this.proposals });
    if (!this.opts.initial) {
      this.nonce = x.core.random.bytes(NONCE_LENGTH);
      x.out.push({ type: PayloadType.NONCE, data: this.nonce });
      if (pfs) {
        this.kex = createKeyExchange(pfs, x.core.random);
        x.out.push({ type: PayloadType.KE, group: pfs, data: this.kex.publicValue });
      }
    }
    this.localTs = old ? old.localTs : defaultTs(this.opts.localTs ?? profile.localTs);
    this.remoteTs = old ? old.remoteTs : defaultTs(this.opts.remoteTs ?? profile.remoteTs);
    // Asking for an inner address: propose any, the responder narrows to it (RFC 7296 2.9).
    x.out.push({ type: PayloadType.TSi, selectors: this.localTs }, { type: PayloadType.TSr, selectors: this.remoteTs });
    if (profile.childStatusNotifies !== false) x.out.push(mkNotify(NotifyType.ESP_TFC_PADDING_NOT_SUPPORTED), mkNotify(NotifyType.NON_FIRST_FRAGMENTS_ALSO));
  }

  processResponse(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    const old = this.opts.rekey;
    const err = notifies(x.received).find((n) => isErrorNotify(n.notifyType));
    if (x.exchange === ExchangeType.IKE_AUTH && !sa.authenticated) {
      // EAP rounds: the CHILD SA answer comes with the last IKE_AUTH response.
      return err ? DONE : AGAIN;
    }
    if (err && old && !CHILD_ERRORS.has(err.notifyType)) {
      // A rekey refused with an error we do not know (a Windows client behind a NAT answers
      // MS_NOTIFY_STATUS 12345 with Win32 error 13863): the old SA stays in use, no retry. The
      // peer may rekey it itself; at its hard lifetime it is deleted (and such a client then
      // creates a new one). strongSwan deletes it at once in the same case (ha_cache.c).
      if (old.state === 'REKEYING') old.state = 'INSTALLED';
      old.peerRefusedRekey = true;
      x.core.counter(`child-rekey-refused-by-peer.${enumName(NotifyType, err.notifyType)}`);
      sa.emit('child-rekey-refused', `peer refused the rekey of CHILD SA {${old.id}}: ${notifyText(err.notifyType, err.data)}; keeping it (the peer may rekey it; deleted at its hard lifetime)`,
        { child: old.id, byPeer: true, ...notifyData(err.notifyType, err.data) }, old.id);
      return failed(`CHILD SA rekey refused: ${enumName(NotifyType, err.notifyType)}`, false, err.notifyType);
    }
    if (!saPayload(x.received) && !err && x.exchange === ExchangeType.IKE_AUTH) {
      sa.emit('child-failed', `responder created no CHILD SA for ${this.opts.name ?? sa.name} (childless IKE SA)`);
      return DONE;
    }
    if (err && (CHILD_ERRORS.has(err.notifyType) || x.exchange === ExchangeType.IKE_AUTH)) {
      if (old) old.state = old.state === 'REKEYING' ? 'INSTALLED' : old.state;
      const name = enumName(NotifyType, err.notifyType);
      if (err.notifyType === NotifyType.INVALID_KE_PAYLOAD && err.data.length >= 2 && this.kex) {
        // PFS group mismatch: retry with the group the responder asked for.
        const group = err.data.readUInt16BE(0);
        sa.emit('invalid-ke', `CHILD SA: responder wants PFS group ${group}`, { requested: group });
        return failed(`CHILD SA ${old ? 'rekey' : 'creation'} failed: ${name}`, false, err.notifyType);
      }
      sa.emit('child-failed', `CHILD SA ${old ? `rekey of {${old.id}}` : this.opts.name ?? sa.name} failed: responder answered ${name}`, { notify: name, rekey: old?.id });
      x.core.counter(`child-failed.${name}`);
      if (err.notifyType === NotifyType.TEMPORARY_FAILURE && old) x.core.retryChildRekey(sa, old, x.now);
      return failed(`CHILD SA failed: ${name}`, false, err.notifyType);
    }
    const sap = saPayload(x.received), ti = tsi(x.received), tr = tsr(x.received);
    if (!sap || !ti || !tr) return this.childFailed(x, 'response lacks SA, TSi or TSr');
    const accepted = acceptedChildSuite(sap.proposals, this.proposals);
    if (typeof accepted === 'string') return this.childFailed(x, accepted);
    // The responder may only narrow (RFC 7296 2.9).
    if (!ti.selectors.every((t) => this.localTs.some((m) => tsWithin(t, m)))) return this.childFailed(x, `TSi ${ti.selectors.map(tsToText).join(',')} is not within what we proposed`);
    if (!tr.selectors.every((t) => this.remoteTs.some((m) => tsWithin(t, m)))) return this.childFailed(x, `TSr ${tr.selectors.map(tsToText).join(',')} is not within what we proposed`);
    let nonceI: Buffer, nonceR: Buffer, secret: Buffer | undefined;
    if (this.opts.initial) {
      nonceI = sa.nonceI!;
      nonceR = sa.nonceR!;
    } else {
      const n = nonce(x.received);
      if (!n) return this.childFailed(x, 'CREATE_CHILD_SA response lacks a nonce');
      nonceI = this.nonce!;
      nonceR = n.data;
      if (this.kex) {
        const k = ke(x.received);
        if (!k || k.group !== this.kex.group) return this.childFailed(x, 'PFS was proposed but the response has no matching KE');
        try {
          secret = this.kex.computeSharedSecret(k.data);
        } catch (e) {
          return this.childFailed(x, `bad KE: ${(e as Error).message}`);
        }
      }
    }
    const child = makeChild(sa, x, {
      weInitiated: true, suite: accepted.suite, spiIn: this.spiIn, spiOut: spiToNumber(accepted.spi), nonceI, nonceR,
      sharedSecret: secret, localTs: ti.selectors, remoteTs: tr.selectors, name: old?.name ?? this.opts.name ?? sa.name,
    });
    if (!old) {
      sa.addChild(child, x.now);
      return DONE;
    }
    this.finishRekey(x, old, child);
    return DONE;
  }

  private childFailed(x: ExchangeContext, reason: string): TaskResult {
    const old = this.opts.rekey;
    if (old && old.state === 'REKEYING') old.state = 'INSTALLED';
    x.sa.emit('child-failed', `CHILD SA ${old ? `rekey of {${old.id}}` : 'creation'} failed: ${reason}`, { reason });
    x.core.counter('child-failed');
    return failed(reason, false);
  }

  /** Our rekey completed: resolve a collision (RFC 7296 2.8.1), then retire the old SA. */
  private finishRekey(x: ExchangeContext, old: ChildSa, child: ChildSa): void {
    const sa = x.sa;
    if (old.rekeyAbandoned || old.state === 'DELETED') {
      // The peer deleted the SA while we rekeyed it: forget our rekey (RFC 7296 2.25.1).
      sa.addChild(child, x.now);
      sa.emit('collision', `CHILD SA {${old.id}} was deleted by the peer during our rekey: deleting the new {${child.id}}`, { kind: 'rekey-vs-delete', child: child.id });
      sa.queueExchange(ExchangeType.INFORMATIONAL, [new ChildDeleteTask([child], 'rekey overtaken by delete')], x.now);
      return;
    }
    const theirs = old.collision;
    if (theirs && theirs.state !== 'DELETED') {
      const ours = child;
      const oursLower = Buffer.compare(ours.lowestNonce(), theirs.lowestNonce()) < 0;
      sa.emit('collision', `simultaneous rekey of CHILD SA {${old.id}}: ${oursLower ? `ours {${ours.id}}` : `theirs {${theirs.id}}`} has the lowest nonce and is redundant`,
        { kind: 'child-rekey', old: old.id, ours: ours.id, theirs: theirs.id, redundant: oursLower ? 'ours' : 'theirs' });
      x.core.counter('collisions.child-rekey');
      if (oursLower) {
        // Ours is redundant: we delete it; the peer, whose rekey survives, deletes the old SA.
        sa.addChild(ours, x.now, undefined, true); // never carries outbound traffic
        old.state = 'REKEYED';
        old.replacedBy = theirs.id;
        sa.queueExchange(ExchangeType.INFORMATIONAL, [new ChildDeleteTask([ours], 'redundant after rekey collision')], x.now);
        return;
      }
      // Theirs is redundant: the peer deletes it; ours survives and we delete the old SA.
      theirs.replacesId = undefined;
    }
    sa.addChild(child, x.now, old);
    old.state = 'REKEYED';
    old.replacedBy = child.id;
    sa.queueExchange(ExchangeType.INFORMATIONAL, [new ChildDeleteTask([old], 'rekeyed')], x.now);
  }

  abort(): void {
    const old = this.opts.rekey;
    if (old && old.state === 'REKEYING') old.state = 'INSTALLED';
  }

  // ------------------------------------------------------------------ responder

  processRequest(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    // In IKE_AUTH with EAP the CHILD SA payloads come in the first request and are answered in
    // the last response: keep them until authentication is complete.
    this.stash ??= x.received;
    const received = this.stash;
    if (x.exchange === ExchangeType.IKE_AUTH && !sa.authenticated) return AGAIN;
    const profile = sa.profile!;
    if (x.shared.childBlocked) {
      this.responseError = { notify: x.shared.childBlocked as number };
      return DONE;
    }
    const sap = saPayload(received), ti = tsi(received), tr = tsr(received);
    if (!sap || !ti || !tr) {
      if (x.exchange === ExchangeType.IKE_AUTH && !sap) return DONE; // childless (RFC 6023)
      this.responseError = { notify: NotifyType.INVALID_SYNTAX };
      return DONE;
    }
    let old: ChildSa | undefined;
    const rekey = notify(received, NotifyType.REKEY_SA);
    if (rekey) {
      old = sa.findChildByOutboundSpi(spiToNumber(rekey.spi));
      if (!old) {
        this.responseError = { notify: NotifyType.CHILD_SA_NOT_FOUND };
        sa.emit('child-failed', `peer asked to rekey unknown CHILD SA ${rekey.spi.toString('hex')}: CHILD_SA_NOT_FOUND`);
        return DONE;
      }
      if (old.state === 'DELETING' || old.state === 'REKEYED') {
        // We are closing it (RFC 7296 2.25.1).
        this.responseError = { notify: NotifyType.TEMPORARY_FAILURE };
        sa.emit('collision', `peer rekeys CHILD SA {${old.id}} that we are deleting: TEMPORARY_FAILURE`, { kind: 'rekey-vs-delete', child: old.id });
        return DONE;
      }
      const refuse = x.core.settings.refuseChildRekeyBehindNat;
      if (refuse && sa.natLocal) {
        // A client persona behind a NAT that does not take CHILD rekeys from its peer (Windows:
        // MS_NOTIFY_STATUS with Win32 error 13863, ikev2-notes 3a). It rekeys itself instead.
        this.responseError = { notify: refuse.notify, data: refuse.data };
        x.core.counter('child-rekey-refused');
        sa.emit('child-rekey-refused', `refusing the peer's rekey of CHILD SA {${old.id}} (we are behind a NAT): ${notifyText(refuse.notify, refuse.data)}`,
          { child: old.id, ...notifyData(refuse.notify, refuse.data) }, old.id);
        return DONE;
      }
    }
    // `ipsec flow-limit N` / ipsec:ipsec-flow-limit (F-CFG-09): at most N CHILD SAs per session (a
    // rekey replaces one and does not count). The seeds name no refusal notify: NO_ADDITIONAL_SAS
    // is RFC 7296's for "no more CHILD SAs on this IKE SA".
    const flowLimit = sa.authorization?.flowLimit?.value;
    if (!old && flowLimit !== undefined) {
      const live = [...sa.children.values()].filter((c) => c.state !== 'REKEYED' && c.state !== 'DELETING').length;
      if (live >= flowLimit) {
        this.responseError = { notify: NotifyType.NO_ADDITIONAL_SAS };
        x.core.counter('flow-limit-refused');
        sa.emit('child-failed', `CHILD SA ${live + 1} refused: the session's IPsec flow limit is ${flowLimit} (NO_ADDITIONAL_SAS)`, { flowLimit, live });
        return DONE;
      }
    }
    const ipsec = profile.ipsec;
    const theirKe = ke(received);
    // Without PFS configured we still accept the group the initiator chose (RFC 7296 1.3.1);
    // with PFS configured we require it.
    const requireDh = x.exchange === ExchangeType.CREATE_CHILD_SA ? ipsec.pfsGroup : undefined;
    const ours = espProposalsToWire(ipsec.transformSets, Buffer.alloc(4), requireDh ?? theirKe?.group);
    const sel = selectChildProposal(sap.proposals, ours, requireDh);
    if (!sel) {
      this.responseError = { notify: NotifyType.NO_PROPOSAL_CHOSEN };
      sa.emit('child-failed', `no acceptable ESP proposal from ${sa.peer}`, { offered: sap.proposals.length });
      return DONE;
    }
    if (sel.suite.dh && (!theirKe || theirKe.group !== sel.suite.dh)) {
      this.responseError = { notify: NotifyType.INVALID_KE_PAYLOAD, data: u16(sel.suite.dh) };
      return DONE;
    }
    let tsiOut: TrafficSelector[], tsrOut: TrafficSelector[];
    if (old) {
      tsiOut = old.remoteTs;
      tsrOut = old.localTs;
    } else {
      tsiOut = narrow(ti.selectors, defaultTs(profile.remoteTs));
      tsrOut = narrow(tr.selectors, defaultTs(profile.localTs));
      // A client given an inner address gets TSi narrowed to it, unless it is a FlexVPN peer
      // (FLEXVPN-SUPPORTED vendor ID: any/any for routing over the tunnel, ikev2-notes 3c).
      const vip = sa.configAssigned?.address4;
      if (vip && !sa.peerFlexvpn) tsiOut = narrow(tsiOut, [tsFromCidr(`${vip}/32`)]);
      if (!tsiOut.length || !tsrOut.length) {
        this.responseError = { notify: NotifyType.TS_UNACCEPTABLE };
        sa.emit('child-failed', `traffic selectors ${ti.selectors.map(tsToText).join(',')} === ${tr.selectors.map(tsToText).join(',')} not acceptable`, { tsi: ti.selectors.map(tsToText), tsr: tr.selectors.map(tsToText) });
        return DONE;
      }
    }
    let nonceI: Buffer, nonceR: Buffer, secret: Buffer | undefined, kex: KeyExchange | undefined, myNonce: Buffer | undefined;
    if (x.exchange === ExchangeType.IKE_AUTH) {
      nonceI = sa.nonceI!;
      nonceR = sa.nonceR!;
    } else {
      const n = nonce(received);
      if (!n) {
        this.responseError = { notify: NotifyType.INVALID_SYNTAX };
        return DONE;
      }
      nonceI = n.data;
      myNonce = nonceR = x.core.random.bytes(NONCE_LENGTH);
      if (sel.suite.dh) {
        kex = createKeyExchange(sel.suite.dh, x.core.random);
        try {
          secret = kex.computeSharedSecret(theirKe!.data);
        } catch {
          this.responseError = { notify: NotifyType.INVALID_SYNTAX };
          return DONE;
        }
      }
    }
    const spiIn = x.core.newChildSpi();
    const child = makeChild(sa, x, {
      weInitiated: false, suite: sel.suite, spiIn, spiOut: spiToNumber(sel.proposal.spi), nonceI, nonceR, sharedSecret: secret,
      localTs: tsrOut, remoteTs: tsiOut, name: old?.name ?? sa.name,
    });
    const proposal: Proposal = { ...sel.proposal, spi: u32(spiIn) };
    this.response = { proposal, suite: sel.suite, tsi: tsiOut, tsr: tsrOut, child, kex, nonce: myNonce };
    if (old) {
      if (old.state === 'REKEYING') {
        // Both sides rekey the same SA: answer as usual and resolve by nonces later (RFC 7296 2.8.1).
        old.collision = child;
        x.core.counter('collisions.child-rekey.detected');
      }
      x.shared.rekeyed = old;
    }
    return DONE;
  }

  private stash?: Payload[];

  buildResponse(x: ExchangeContext): void {
    const sa = x.sa;
    if (this.responseError) {
      if (this.responseError.notify !== NotifyType.INTERNAL_ADDRESS_FAILURE) x.out.push(mkNotify(this.responseError.notify, this.responseError.data));
      this.responseError = undefined;
      return;
    }
    const r = this.response;
    if (!r) return;
    x.out.push({ type: PayloadType.SA, proposals: [r.proposal] });
    if (r.nonce) x.out.push({ type: PayloadType.NONCE, data: r.nonce });
    if (r.kex) x.out.push({ type: PayloadType.KE, group: r.kex.group, data: r.kex.publicValue });
    x.out.push({ type: PayloadType.TSi, selectors: r.tsi }, { type: PayloadType.TSr, selectors: r.tsr });
    if (sa.profile?.childStatusNotifies !== false) x.out.push(mkNotify(NotifyType.ESP_TFC_PADDING_NOT_SUPPORTED), mkNotify(NotifyType.NON_FIRST_FRAGMENTS_ALSO));
    const old = x.shared.rekeyed as ChildSa | undefined;
    // Responder of a rekey: inbound now, outbound once the initiator deleted the old SA.
    afterResponse(x, () => sa.addChild(r.child, x.now, old, !!old));
    this.response = undefined;
  }
}
