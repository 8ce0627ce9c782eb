// SA proposals: turning configured IKEv2 proposals and IPsec transform sets into SA payload
// proposals, and choosing among a peer's proposals (RFC 7296 sections 2.7 and 3.3).

import { Buffer } from 'node:buffer';
import { DhGroup, EncrId, EsnId, IntegId, ProtocolId, TransformType } from './constants.ts';
import { encrAlgorithm, integAlgorithm, prfAlgorithm, dhAlgorithm } from '../crypto/algorithms.ts';
import { IKE_ENCRYPTION_NAMES, IKE_INTEGRITY_NAMES, IKE_PRF_NAMES } from './config.ts';
import type { Ikev2Proposal, TransformSet } from './config.ts';
import type { Proposal, Transform } from './message.ts';

/** The algorithms of a negotiated IKE SA. */
export interface IkeSuite {
  encr: number;
  encrKeyBits?: number;
  prf: number;
  integ: number; // IntegId.NONE for AEAD
  dh: number;
}

/** The algorithms of a negotiated CHILD SA. */
export interface ChildSuite {
  encr: number;
  encrKeyBits?: number;
  integ: number;
  dh?: number; // PFS group, when negotiated
  esn: boolean;
}

function tf(type: TransformType, id: number, keyLength?: number): Transform {
  return keyLength === undefined ? { type, id } : { type, id, keyLength };
}

/** An IOS `crypto ikev2 proposal` becomes one SA proposal holding every combination (RFC 7296 3.3). */
export function ikeProposalToWire(p: Ikev2Proposal, num: number, spi: Buffer = Buffer.alloc(0)): Proposal {
  const transforms: Transform[] = [];
  let aead = false;
  for (const name of p.encryption) {
    const e = IKE_ENCRYPTION_NAMES[name];
    if (!e) throw new Error(`proposal ${p.name}: unknown encryption ${name}`);
    if (encrAlgorithm(e.id)?.aead) aead = true;
    transforms.push(tf(TransformType.ENCR, e.id, encrAlgorithm(e.id)?.hasKeyLengthAttr ? e.bits : undefined));
  }
  const prfNames = p.prf && p.prf.length ? p.prf : p.integrity;
  for (const name of prfNames) {
    const id = IKE_PRF_NAMES[name];
    if (id === undefined) throw new Error(`proposal ${p.name}: unknown prf ${name}`);
    transforms.push(tf(TransformType.PRF, id));
  }
  if (!aead) {
    for (const name of p.integrity) {
      const id = IKE_INTEGRITY_NAMES[name];
      if (id === undefined) throw new Error(`proposal ${p.name}: unknown integrity ${name}`);
      transforms.push(tf(TransformType.INTEG, id));
    }
  }
  for (const g of p.group) transforms.push(tf(TransformType.DH, g));
  return { num, protocolId: ProtocolId.IKE, spi, transforms };
}

/** A CHILD SA proposal per transform set, in the configured order. */
export function espProposalsToWire(sets: TransformSet[], spi: Buffer, pfsGroup?: number): Proposal[] {
  return sets.map((s, i) => {
    const transforms: Transform[] = [];
    const a = encrAlgorithm(s.esp.encr);
    transforms.push(tf(TransformType.ENCR, s.esp.encr, a?.hasKeyLengthAttr ? s.esp.encrKeyBits ?? a.keyLengths[0] : undefined));
    if (s.esp.integ !== IntegId.NONE) transforms.push(tf(TransformType.INTEG, s.esp.integ));
    if (pfsGroup) transforms.push(tf(TransformType.DH, pfsGroup));
    transforms.push(tf(TransformType.ESN, EsnId.NO_ESN));
    return { num: i + 1, protocolId: ProtocolId.ESP, spi, transforms };
  });
}

function sameTransform(a: Transform, b: Transform): boolean {
  return a.type === b.type && a.id === b.id && (a.keyLength ?? 0) === (b.keyLength ?? 0);
}

function supportedIke(t: Transform): boolean {
  switch (t.type) {
    case TransformType.ENCR: {
      const a = encrAlgorithm(t.id);
      return !!a && (!a.hasKeyLengthAttr || (t.keyLength !== undefined && a.keyLengths.includes(t.keyLength)));
    }
    case TransformType.PRF: return !!prfAlgorithm(t.id);
    case TransformType.INTEG: return !!integAlgorithm(t.id);
    case TransformType.DH: return !!dhAlgorithm(t.id);
    default: return false;
  }
}

export interface Selection<S> {
  proposal: Proposal; // the peer's proposal, reduced to one transform of each type
  suite: S;
}

/**
 * Responder choice: walk the initiator's proposals in its order; for each, take for every transform
 * type the initiator's first transform that one of our proposals also allows (RFC 7296 2.7:
 * the responder picks one transform of each type).
 */
export function selectIkeProposal(offered: Proposal[], ours: Proposal[]): Selection<IkeSuite> | undefined {
  for (const p of offered) {
    if (p.protocolId !== ProtocolId.IKE) continue;
    for (const mine of ours) {
      const pick = (type: TransformType): Transform | undefined =>
        p.transforms.find((t) => t.type === type && supportedIke(t) && mine.transforms.some((m) => sameTransform(m, t)));
      const encr = pick(TransformType.ENCR);
      const prf = pick(TransformType.PRF);
      const dh = pick(TransformType.DH);
      if (!encr || !prf || !dh) continue;
      const aead = encrAlgorithm(encr.id)!.aead;
      const integ = aead ? undefined : pick(TransformType.INTEG);
      if (!aead && !integ) continue;
      // An AEAD proposal must not carry integrity transforms other than NONE (RFC 5282 8).
      if (aead && p.transforms.some((t) => t.type === TransformType.INTEG && t.id !== IntegId.NONE)) continue;
      // Transforms of types we do not know make the whole proposal unacceptable (RFC 7296 3.3.6).
      if (p.transforms.some((t) => t.type > TransformType.ESN)) continue;
      const chosen = [encr, prf, ...(integ ? [integ] : []), dh];
      return {
        proposal: { num: p.num, protocolId: p.protocolId, spi: p.spi, transforms: chosen },
        suite: { encr: encr.id, encrKeyBits: encr.keyLength, prf: prf.id, integ: integ?.id ?? IntegId.NONE, dh: dh.id },
      };
    }
  }
  return undefined;
}

/** ESP selection, with the PFS group we require (or none). */
export function selectChildProposal(offered: Proposal[], ours: Proposal[], requireDh?: number): Selection<ChildSuite> | undefined {
  for (const p of offered) {
    if (p.protocolId !== ProtocolId.ESP) continue;
    if (p.spi.length !== 4) continue;
    for (const mine of ours) {
      const pick = (type: TransformType): Transform | undefined =>
        p.transforms.find((t) => t.type === type && mine.transforms.some((m) => sameTransform(m, t)));
      const encr = pick(TransformType.ENCR);
      if (!encr || !encrAlgorithm(encr.id)) continue;
      const aead = encrAlgorithm(encr.id)!.aead;
      const integ = pick(TransformType.INTEG);
      const offersInteg = p.transforms.some((t) => t.type === TransformType.INTEG && t.id !== IntegId.NONE);
      if (!aead && !integ && encr.id !== EncrId.NULL) continue;
      if (aead && offersInteg && !integ) { /* integ NONE allowed implicitly */ }
      const esn = p.transforms.filter((t) => t.type === TransformType.ESN);
      if (esn.length && !esn.some((t) => t.id === EsnId.NO_ESN)) continue; // we do not do ESN
      const dhOffered = p.transforms.filter((t) => t.type === TransformType.DH && t.id !== DhGroup.NONE);
      let dh: Transform | undefined;
      if (requireDh) {
        dh = dhOffered.find((t) => t.id === requireDh) ?? dhOffered.find((t) => mine.transforms.some((m) => sameTransform(m, t)) && dhAlgorithm(t.id));
        if (!dh) continue;
      } else if (dhOffered.length) {
        // Peer wants PFS: accept a group we support if "none" is not an option (RFC 7296 1.3.1).
        const noneOk = p.transforms.some((t) => t.type === TransformType.DH && t.id === DhGroup.NONE);
        if (!noneOk) {
          dh = dhOffered.find((t) => dhAlgorithm(t.id) && mine.transforms.some((m) => sameTransform(m, t)));
          if (!dh) continue;
        }
      }
      const chosen: Transform[] = [encr];
      if (integ && integ.id !== IntegId.NONE) chosen.push(integ);
      if (dh) chosen.push(dh);
      chosen.push({ type: TransformType.ESN, id: EsnId.NO_ESN });
      return {
        proposal: { num: p.num, protocolId: p.protocolId, spi: p.spi, transforms: chosen },
        suite: { encr: encr.id, encrKeyBits: encr.keyLength, integ: integ?.id ?? IntegId.NONE, dh: dh?.id, esn: false },
      };
    }
  }
  return undefined;
}

/**
 * Initiator check of the responder's answer: exactly one proposal, one transform per type, and
 * every transform taken from the proposal we sent with that number (RFC 7296 2.7).
 */
export function acceptedIkeSuite(answer: Proposal[], sent: Proposal[]): IkeSuite | string {
  if (answer.length !== 1) return `responder returned ${answer.length} proposals instead of 1`;
  const a = answer[0]!;
  const mine = sent.find((p) => p.num === a.num);
  if (!mine) return `responder chose proposal #${a.num}, which we did not send`;
  const one = (type: TransformType): Transform | undefined | string => {
    const ts = a.transforms.filter((t) => t.type === type);
    if (ts.length > 1) return `responder returned ${ts.length} transforms of type ${TransformType[type]}`;
    const t = ts[0];
    if (t && !mine.transforms.some((m) => sameTransform(m, t))) return `responder chose ${TransformType[type]} ${t.id}, which we did not offer`;
    return t;
  };
  const encr = one(TransformType.ENCR), prf = one(TransformType.PRF), integ = one(TransformType.INTEG), dh = one(TransformType.DH);
  for (const x of [encr, prf, integ, dh]) if (typeof x === 'string') return x;
  if (!encr || !prf || !dh) return 'responder proposal lacks an ENCR, PRF or DH transform';
  const e = encr as Transform;
  if (!encrAlgorithm(e.id)!.aead && !integ) return 'responder proposal lacks an INTEG transform';
  return { encr: e.id, encrKeyBits: e.keyLength, prf: (prf as Transform).id, integ: (integ as Transform | undefined)?.id ?? IntegId.NONE, dh: (dh as Transform).id };
}

export function acceptedChildSuite(answer: Proposal[], sent: Proposal[]): { suite: ChildSuite; spi: Buffer } | string {
  if (answer.length !== 1) return `responder returned ${answer.length} ESP proposals instead of 1`;
  const a = answer[0]!;
  if (a.protocolId !== ProtocolId.ESP) return `responder chose protocol ${a.protocolId}, not ESP`;
  if (a.spi.length !== 4) return `responder ESP SPI has ${a.spi.length} bytes`;
  const mine = sent.find((p) => p.num === a.num);
  if (!mine) return `responder chose ESP proposal #${a.num}, which we did not send`;
  for (const t of a.transforms) {
    if (!mine.transforms.some((m) => sameTransform(m, t))) return `responder chose ${TransformType[t.type] ?? t.type} ${t.id}, which we did not offer`;
  }
  const encr = a.transforms.find((t) => t.type === TransformType.ENCR);
  if (!encr) return 'responder ESP proposal has no ENCR transform';
  const integ = a.transforms.find((t) => t.type === TransformType.INTEG);
  const dh = a.transforms.find((t) => t.type === TransformType.DH && t.id !== DhGroup.NONE);
  return { suite: { encr: encr.id, encrKeyBits: encr.keyLength, integ: integ?.id ?? IntegId.NONE, dh: dh?.id, esn: false }, spi: a.spi };
}

/** The DH group the initiator guesses for its KE payload: the first group of its first proposal. */
export function firstDhGroup(proposals: Proposal[]): number {
  for (const p of proposals) for (const t of p.transforms) if (t.type === TransformType.DH && t.id !== 0) return t.id;
  throw new Error('no DH group configured');
}

/** Whether a group appears in any of the proposals (for INVALID_KE_PAYLOAD handling). */
export function proposalsAllowDh(proposals: Proposal[], group: number): boolean {
  return proposals.some((p) => p.transforms.some((t) => t.type === TransformType.DH && t.id === group));
}

/** IOS show-style names: "AES-CBC, keysize: 256, PRF: SHA512, Hash: SHA512, DH Grp:5". */
export function describeIkeSuite(s: IkeSuite): { encr: string; keysize?: number; prf: string; hash: string; dhGroup: number } {
  const e = encrAlgorithm(s.encr);
  return {
    encr: e?.name ?? String(s.encr),
    keysize: e?.hasKeyLengthAttr ? s.encrKeyBits : undefined,
    prf: prfAlgorithm(s.prf)?.name ?? String(s.prf),
    hash: s.integ ? integAlgorithm(s.integ)?.name ?? String(s.integ) : 'None',
    dhGroup: s.dh,
  };
}

/** IOS transform words for an ESP suite: "esp-aes 256 esp-sha256-hmac", "esp-gcm 256". */
/** IOS transform-set words of the ESP integrity algorithms. */
const ESP_INTEG_NAMES: Record<number, string> = {
  [IntegId.HMAC_MD5_96]: 'esp-md5-hmac', [IntegId.HMAC_SHA1_96]: 'esp-sha-hmac', [IntegId.HMAC_SHA2_256_128]: 'esp-sha256-hmac',
  [IntegId.HMAC_SHA2_384_192]: 'esp-sha384-hmac', [IntegId.HMAC_SHA2_512_256]: 'esp-sha512-hmac',
};

export function describeChildSuite(s: ChildSuite): string {
  const parts: string[] = [];
  switch (s.encr) {
    case EncrId.AES_CBC: parts.push(s.encrKeyBits && s.encrKeyBits !== 128 ? `esp-aes ${s.encrKeyBits}` : 'esp-aes'); break;
    case EncrId.AES_GCM_16: parts.push(`esp-gcm ${s.encrKeyBits ?? 128}`); break;
    case EncrId.TRIPLE_DES: parts.push('esp-3des'); break;
    case EncrId.NULL: parts.push('esp-null'); break;
    default: parts.push(`encr-${s.encr}`);
  }
  if (s.integ) parts.push(ESP_INTEG_NAMES[s.integ] ?? `integ-${s.integ}`);
  return parts.join(' ');
}
