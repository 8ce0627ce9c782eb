// The capture verdict of an interop cell: tshark opens the capture with the key tables and every
// frame must make sense. No malformed frame; every IKE message protected by SK (or each SKF
// fragment) must have been decrypted with a matching key (isakmp.enc.decrypted) and pass its
// integrity check (no "IKEv2 Integrity Checksum Data is incorrect"); every ESP packet must
// decrypt to an inner IPv4/IPv6 packet, with a good ICV when the SA has an integrity algorithm.
// A capture that does not decrypt fails its cell: the keys we export are part of what is tested.

import type { KeyTables } from './tshark.ts';
import { tsharkFields } from './tshark.ts';

export interface JudgedFrame {
  frame: number;
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  kind: 'ike' | 'esp' | 'other';
  exchange?: number;
  response?: boolean;
  /** isakmp.typepayload in tree order: decrypted inner payloads follow the 46/53. */
  payloads: number[];
  notifies: number[];
  spiI?: string;
  spiR?: string;
  fragNumber?: number;
  fragTotal?: number;
  encrypted: boolean;
  decrypted: boolean;
  icdBad: boolean;
  espSpi?: string;
  /** Next header of the decrypted ESP payload (4 = IPv4, 41 = IPv6). */
  espInner?: number;
  espIcvBad: boolean;
  malformed: boolean;
}

export interface CaptureVerdict {
  file: string;
  frames: JudgedFrame[];
  problems: string[];
  counts: { ike: number; protectedIke: number; decryptedIke: number; fragments: number; esp: number; decryptedEsp: number };
}

const FIELDS = [
  'frame.number', 'ip.src', 'ip.dst', 'udp.srcport', 'udp.dstport', 'isakmp.exchangetype', 'isakmp.flag_r', 'isakmp.typepayload',
  'isakmp.notify.msgtype', 'isakmp.ispi', 'isakmp.rspi', 'isakmp.frag.number', 'isakmp.frag.total', 'isakmp.enc.decrypted',
  'isakmp.ikev2.integrity_checksum', 'esp.spi', 'esp.protocol', 'esp.icv_bad', '_ws.malformed', '_ws.expert.message',
];

const first = (v: string[] | undefined) => v?.[0];
const nums = (v: string[] | undefined) => (v ?? []).map(Number);
const hex = (v: string | undefined) => v?.replace(/:/g, '').toLowerCase();

export async function judgeCapture(file: string, keys: KeyTables): Promise<CaptureVerdict> {
  const rows = await tsharkFields(file, FIELDS, { keys, filter: 'isakmp || esp || udpencap || _ws.malformed' });
  const frames: JudgedFrame[] = rows.map((r) => {
    const payloads = nums(r['isakmp.typepayload']);
    const isIke = r['isakmp.exchangetype'] !== undefined;
    const isEsp = r['esp.spi'] !== undefined;
    const encrypted = payloads.includes(46) || payloads.includes(53);
    const inner = r['esp.protocol'] ? parseInt(first(r['esp.protocol'])!, 16) : undefined;
    return {
      frame: Number(first(r['frame.number'])),
      src: first(r['ip.src']), dst: first(r['ip.dst']),
      sport: r['udp.srcport'] ? Number(first(r['udp.srcport'])) : undefined,
      dport: r['udp.dstport'] ? Number(first(r['udp.dstport'])) : undefined,
      kind: isIke ? 'ike' : isEsp ? 'esp' : 'other',
      exchange: isIke ? Number(first(r['isakmp.exchangetype'])) : undefined,
      response: isIke ? ['1', 'True', 'true'].includes(first(r['isakmp.flag_r']) ?? '') : undefined,
      payloads,
      notifies: nums(r['isakmp.notify.msgtype']),
      spiI: hex(first(r['isakmp.ispi'])), spiR: hex(first(r['isakmp.rspi'])),
      fragNumber: r['isakmp.frag.number'] ? Number(first(r['isakmp.frag.number'])) : undefined,
      fragTotal: r['isakmp.frag.total'] ? Number(first(r['isakmp.frag.total'])) : undefined,
      encrypted,
      decrypted: r['isakmp.enc.decrypted'] !== undefined,
      icdBad: r['isakmp.ikev2.integrity_checksum'] !== undefined,
      espSpi: first(r['esp.spi']),
      espInner: Number.isFinite(inner) ? inner : undefined,
      espIcvBad: r['esp.icv_bad'] !== undefined && first(r['esp.icv_bad']) !== '0' && first(r['esp.icv_bad']) !== 'False',
      malformed: (r['_ws.malformed'] ?? []).length > 0,
    };
  });
  const problems: string[] = [];
  for (const f of frames) {
    const at = `frame ${f.frame}`;
    if (f.malformed) problems.push(`${at}: malformed (${f.kind}${f.exchange ? ` exchange ${f.exchange}` : ''})`);
    if (f.kind === 'ike' && f.encrypted) {
      if (!f.decrypted) problems.push(`${at}: ${f.payloads.includes(53) ? 'SKF' : 'SK'} payload not decrypted (no key for SPIs ${f.spiI}/${f.spiR})`);
      else if (f.icdBad) problems.push(`${at}: integrity checksum of the decrypted SK payload is incorrect (wrong key)`);
    }
    if (f.kind === 'esp') {
      if (f.espInner !== 4 && f.espInner !== 41) problems.push(`${at}: ESP SPI ${f.espSpi} not decrypted to an inner IP packet`);
      else if (f.espIcvBad) problems.push(`${at}: ESP SPI ${f.espSpi} ICV incorrect`);
    }
  }
  const ike = frames.filter((f) => f.kind === 'ike');
  const esp = frames.filter((f) => f.kind === 'esp');
  return {
    file, frames, problems,
    counts: {
      ike: ike.length, protectedIke: ike.filter((f) => f.encrypted).length,
      decryptedIke: ike.filter((f) => f.encrypted && f.decrypted && !f.icdBad).length,
      fragments: ike.filter((f) => f.payloads.includes(53)).length,
      esp: esp.length, decryptedEsp: esp.filter((f) => (f.espInner === 4 || f.espInner === 41) && !f.espIcvBad).length,
    },
  };
}

/** IKE frames of an exchange type (34 IKE_SA_INIT, 35 IKE_AUTH, 36 CREATE_CHILD_SA, 37 INFORMATIONAL). */
export function ikeFrames(v: CaptureVerdict, exchange?: number, response?: boolean): JudgedFrame[] {
  return v.frames.filter((f) => f.kind === 'ike' && (exchange === undefined || f.exchange === exchange) && (response === undefined || f.response === response));
}
