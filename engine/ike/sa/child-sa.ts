// A CHILD SA pair as the IKE core knows it: SPIs, negotiated suite, keys, selectors, lifetimes and
// the nonces that created it (needed to resolve rekey collisions, RFC 7296 section 2.8.1).

import { Buffer } from 'node:buffer';
import type { ChildSaKeys, ChildSaInstall, Endpoint } from '../actions.ts';
import type { TrafficSelector } from '../message.ts';
import type { ChildSuite } from '../proposals.ts';

export type ChildSaState = 'INSTALLED' | 'REKEYING' | 'REKEYED' | 'DELETING' | 'DELETED';

export class ChildSa {
  state: ChildSaState = 'INSTALLED';
  /** Set when a rekey replaced this SA; the old one is deleted shortly after. */
  replacedBy?: number;
  /** Responder of a rekey: the old SA this one replaces; outbound starts when that one is gone. */
  replacesId?: number;
  outboundDeferred = false;
  /** A colliding rekey of this SA by the peer created this SA (RFC 7296 2.8.1). */
  collision?: ChildSa;
  /** Our own rekey of this SA was overtaken by the peer's delete: drop what it creates. */
  rekeyAbandoned = false;
  rekeyAt?: number;
  expireAt?: number;
  installedAt: number;
  /** The peer answered our rekey of this SA with an error it did not explain (a Windows client behind a NAT). */
  peerRefusedRekey = false;
  /** Soft volume lifetime in bytes (IpsecProfile.rekeyAfterBytes), below the kilobyte lifetime's 90 %. */
  rekeyAfterBytes?: number;

  constructor(
    readonly id: number,
    public ikeSaId: number,
    readonly name: string,
    readonly spiIn: number,
    readonly spiOut: number,
    readonly suite: ChildSuite,
    readonly keysIn: ChildSaKeys,
    readonly keysOut: ChildSaKeys,
    readonly localTs: TrafficSelector[],
    readonly remoteTs: TrafficSelector[],
    readonly mode: 'tunnel' | 'transport',
    /** Whether we initiated the exchange that created it. */
    readonly initiator: boolean,
    /** Nonces of the creating exchange (initiator's, responder's). */
    readonly nonceI: Buffer,
    readonly nonceR: Buffer,
    readonly lifetimeSeconds: number,
    readonly lifetimeKilobytes: number,
    readonly replayWindow: number,
    now: number,
  ) {
    this.installedAt = now;
  }

  toInstall(local: Endpoint, remote: Endpoint, replaces?: number, deferOutbound = false): ChildSaInstall {
    const hard = this.lifetimeKilobytes * 1024;
    return {
      childId: this.id, ikeSaId: this.ikeSaId, name: this.name, spiIn: this.spiIn, spiOut: this.spiOut,
      suite: this.suite, keysIn: this.keysIn, keysOut: this.keysOut, mode: this.mode, local, remote,
      localTs: this.localTs, remoteTs: this.remoteTs,
      softBytes: softBytes(hard, this.rekeyAfterBytes), hardBytes: hard || undefined,
      replayWindow: this.replayWindow, replaces, initiator: this.initiator, deferOutbound,
    };
  }

  /** The lowest of the four nonces of two colliding rekeys decides which SA is redundant. */
  lowestNonce(): Buffer {
    return Buffer.compare(this.nonceI, this.nonceR) <= 0 ? this.nonceI : this.nonceR;
  }
}

/** The byte count that triggers a rekey: 90 % of the hard limit, or the persona's own volume if lower. */
function softBytes(hard: number, rekeyAfter: number | undefined): number | undefined {
  const fromHard = hard ? Math.floor(hard * 0.9) : undefined;
  if (!rekeyAfter) return fromHard;
  return fromHard === undefined ? rekeyAfter : Math.min(fromHard, rekeyAfter);
}

export function spiHex(spi: number): string {
  return spi.toString(16).padStart(8, '0');
}
