// The EAP peer (RFC 3748 section 2): what an IKEv2 initiator with `authentication local eap` runs on
// the EAP payloads it receives. It answers Identity and Notification, runs one of its methods, asks
// with a Nak for one of its methods when the server proposes another (F-AUTH-05), repeats its last
// Response for a duplicate Request (section 4.1), and accepts EAP-Success only once the method allows
// it. Malformed or unexpected packets are silently discarded (result `ignore`), as section 4 says.

import { ALL_EAP_METHODS, EAP_METHOD_TYPES, EXPANDED_NAK_VENDOR_TYPE, EapCode, EapType, eapTypeName } from './constants.ts';
import type { EapMethodName } from './constants.ts';
import { isEapParseError } from './errors.ts';
import { decodeEap, describeEap, encodeEap, identityResponse, nakResponse, notificationResponse } from './packet.ts';
import type { EapPacket } from './packet.ts';
import type { EapPeerMethod } from './method.ts';
import { Md5PeerMethod } from './methods/md5.ts';
import { GtcPeerMethod } from './methods/gtc.ts';
import { MsChapV2PeerMethod } from './methods/mschapv2.ts';
import { cryptoRandom } from '../util/random.ts';
import type { RandomSource } from '../util/random.ts';

export interface EapPeerOptions {
  /** Sent in the Response/Identity and as the method user name. */
  identity: string;
  password: string;
  /** Methods this peer runs, in order of preference (the order of its Nak). Default: mschapv2, md5, gtc. */
  methods?: readonly EapMethodName[];
  random?: RandomSource;
  /**
   * Fail when the server's first Request is not an Identity request (the Windows client expects
   * one: a headend without `query-identity` cannot authenticate it, seed F-WIN-01).
   */
  requireIdentityRequest?: boolean;
}

export type EapPeerResult =
  /** Send this Response (in the next IKE_AUTH request). */
  | { kind: 'send'; packet: EapPacket; bytes: Buffer; note: string }
  /** EAP-Success accepted: authentication by EAP is done; `msk` for key-generating methods. */
  | { kind: 'success'; method?: EapMethodName; msk?: Buffer }
  /** EAP-Failure received, or the method failed without anything left to send. */
  | { kind: 'failure'; reason: string }
  /** Silently discarded (RFC 3748 section 4): count it, log `reason`, keep waiting. */
  | { kind: 'ignore'; reason: string };

export function createPeerMethod(name: EapMethodName, identity: string, password: string, random: RandomSource): EapPeerMethod {
  switch (name) {
    case 'md5': return new Md5PeerMethod({ identity, password });
    case 'gtc': return new GtcPeerMethod({ identity, password });
    case 'mschapv2': return new MsChapV2PeerMethod({ identity, password }, random);
  }
}

export class EapPeer {
  readonly methods: readonly EapMethodName[];
  private readonly random: RandomSource;
  private method?: EapPeerMethod;
  private last?: { identifier: number; response: Buffer; packet: EapPacket };
  private done: 'success' | 'failure' | undefined;
  /** The method types listed in each Nak sent (for logs and tests). */
  readonly naksSent: number[][] = [];
  /** The last method failure, reported when the EAP-Failure arrives. */
  private methodFailure?: string;
  private identityAsked = false;

  constructor(private readonly opts: EapPeerOptions) {
    this.methods = opts.methods?.length ? opts.methods : ALL_EAP_METHODS;
    this.random = opts.random ?? cryptoRandom;
  }

  /** The method in use once the server proposed one we run. */
  get methodName(): EapMethodName | undefined {
    return this.method?.name;
  }

  get msk(): Buffer | undefined {
    return this.method?.msk;
  }

  process(input: Buffer | EapPacket): EapPeerResult {
    let p: EapPacket;
    try {
      p = Buffer.isBuffer(input) ? decodeEap(input) : input;
    } catch (e) {
      if (isEapParseError(e)) return { kind: 'ignore', reason: e.message };
      throw e;
    }
    if (this.done) return { kind: 'ignore', reason: `${describeEap(p)} after EAP ${this.done}` };
    switch (p.code) {
      case EapCode.Success:
        if (!this.method?.mayAcceptSuccess) {
          this.done = 'failure';
          return { kind: 'failure', reason: this.method ? `EAP-Success before ${this.method.name} completed` : 'EAP-Success without any authentication method' };
        }
        this.done = 'success';
        return { kind: 'success', method: this.method.name, ...(this.method.msk ? { msk: this.method.msk } : {}) };
      case EapCode.Failure:
        this.done = 'failure';
        return { kind: 'failure', reason: this.methodFailure ? `EAP-Failure (${this.methodFailure})` : 'EAP-Failure from the server' };
      case EapCode.Response:
        return { kind: 'ignore', reason: `${describeEap(p)}: a peer takes Requests only` };
    }
    // RFC 3748 4.1: a Request with the identifier just answered is a retransmission: same Response.
    if (this.last && this.last.identifier === p.identifier) return this.send(this.last.packet, 'retransmitted Response');
    try {
      return this.request(p);
    } catch (e) {
      if (isEapParseError(e)) return { kind: 'ignore', reason: `${describeEap(p)}: ${e.message}` };
      throw e;
    }
  }

  private request(p: EapPacket): EapPeerResult {
    if (this.opts.requireIdentityRequest && !this.identityAsked && p.type !== EapType.Identity && p.type !== EapType.Notification) {
      this.done = 'failure';
      return { kind: 'failure', reason: `the server started with ${describeEap(p)} instead of an EAP-Identity request (it needs query-identity)` };
    }
    switch (p.type) {
      case EapType.Identity:
        this.identityAsked = true;
        return this.send(identityResponse(p.identifier, this.opts.identity), `identity "${this.opts.identity}"`);
      case EapType.Notification:
        return this.send(notificationResponse(p.identifier), `notification "${p.data.toString('utf8')}"`);
      case EapType.Nak:
        return { kind: 'ignore', reason: 'Nak in a Request' };
    }
    const type = p.type!;
    if (this.method) {
      if (this.method.type !== type) return { kind: 'ignore', reason: `${describeEap(p)} while running ${this.method.name}` };
    } else {
      const name = this.methods.find((m) => EAP_METHOD_TYPES[m] === type && !(type === EapType.Expanded));
      if (!name) {
        const desired = this.methods.map((m) => EAP_METHOD_TYPES[m]);
        this.naksSent.push(desired);
        const nak = type === EapType.Expanded ? expandedNak(p.identifier, desired) : nakResponse(p.identifier, desired);
        return this.send(nak, `Nak for ${eapTypeName(type)}, asking for ${desired.map(eapTypeName).join(', ')}`);
      }
      this.method = createPeerMethod(name, this.opts.identity, this.opts.password, this.random);
    }
    const step = this.method.process(p);
    switch (step.kind) {
      case 'send':
        return this.send(step.packet, `${this.method.name} response`);
      case 'success':
        return step.packet ? this.send(step.packet, `${this.method.name} succeeded`) : { kind: 'ignore', reason: 'method succeeded, waiting for EAP-Success' };
      case 'failure':
        this.methodFailure = step.reason;
        if (step.packet) return this.send(step.packet, step.reason);
        this.done = 'failure';
        return { kind: 'failure', reason: step.reason };
    }
  }

  private send(packet: EapPacket, note: string): EapPeerResult {
    const bytes = encodeEap(packet);
    this.last = { identifier: packet.identifier, response: bytes, packet };
    return { kind: 'send', packet, bytes, note };
  }
}

/** RFC 3748 5.3.2: the expanded Nak lists each desired type as 254, Vendor-Id, Vendor-Type. */
function expandedNak(identifier: number, desired: number[]): EapPacket {
  const data = Buffer.alloc(8 * Math.max(desired.length, 1));
  desired.forEach((t, i) => {
    data[i * 8] = EapType.Expanded;
    data.writeUInt32BE(t, i * 8 + 4);
  });
  if (desired.length === 0) data[0] = EapType.Expanded;
  return { code: EapCode.Response, identifier, type: EapType.Expanded, vendorId: 0, vendorType: EXPANDED_NAK_VENDOR_TYPE, data };
}
