// Picking IKE out of UDP datagrams: port 500 carries IKE as is; port 4500 carries IKE behind the
// four-byte non-ESP marker, ESP (first four bytes a non-zero SPI) and the one-byte 0xFF
// NAT-keepalive (RFC 3948 sections 2.2 and 2.3).

import { IKE_PORT, NAT_T_PORT } from '../ike/constants.ts';
import type { UdpDatagram } from './datagrams.ts';

export type UdpIkeKind = 'ike' | 'esp' | 'nat-keepalive' | 'other';

export interface IkePorts {
  ike: number[];
  natT: number[];
}

export const DEFAULT_IKE_PORTS: IkePorts = { ike: [IKE_PORT], natT: [NAT_T_PORT] };

export function classifyUdp(d: { sport: number; dport: number; payload: Buffer }, ports: IkePorts = DEFAULT_IKE_PORTS): { kind: UdpIkeKind; ike?: Buffer } {
  const on = (list: number[]) => list.includes(d.sport) || list.includes(d.dport);
  if (on(ports.natT)) {
    const p = d.payload;
    if (p.length === 1 && p[0] === 0xff) return { kind: 'nat-keepalive' };
    if (p.length >= 4 && p.readUInt32BE(0) === 0) return { kind: 'ike', ike: p.subarray(4) };
    return p.length >= 8 ? { kind: 'esp' } : { kind: 'other' };
  }
  if (on(ports.ike)) return { kind: 'ike', ike: d.payload };
  return { kind: 'other' };
}

export interface IkeDatagram extends UdpDatagram {
  /** The IKE message bytes (non-ESP marker removed). */
  ike: Buffer;
  /** Came over the NAT-T port with the non-ESP marker. */
  nonEspMarker: boolean;
}

/** The datagrams that carry IKE, in capture order. */
export function ikeDatagrams(ds: UdpDatagram[], ports: IkePorts = DEFAULT_IKE_PORTS): IkeDatagram[] {
  const out: IkeDatagram[] = [];
  for (const d of ds) {
    const c = classifyUdp(d, ports);
    if (c.kind === 'ike') out.push({ ...d, ike: c.ike!, nonEspMarker: c.ike!.length !== d.payload.length });
  }
  return out;
}
