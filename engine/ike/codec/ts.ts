// Traffic Selector payloads TSi/TSr (RFC 7296 section 3.13): IPv4 (type 7, 16 bytes) and IPv6
// (type 8, 40 bytes) address ranges with protocol and port range. Other TS types (e.g. RFC 9478
// security labels) cannot be represented in the model and are rejected as BAD_TS.

import { Buffer } from 'node:buffer';
import { PayloadType, TsType } from '../constants.ts';
import type { TrafficSelector, TsPayload } from '../message.ts';
import { bytesToIp, ipFamily, ipToBytes } from '../../util/ip.ts';
import { type ByteReader, u16, u8 } from './bytes.ts';
import { IkeEncodeError } from './errors.ts';

const SELECTOR_LENGTH: Record<number, number> = { [TsType.TS_IPV4_ADDR_RANGE]: 16, [TsType.TS_IPV6_ADDR_RANGE]: 40 };

export function decodeTsBody(r: ByteReader, type: PayloadType.TSi | PayloadType.TSr): TsPayload {
  const count = r.u8('number of TSs');
  r.skip(3, 'reserved');
  const selectors: TrafficSelector[] = [];
  for (let i = 0; i < count; i++) {
    const at = r.offset;
    if (r.remaining < 4) r.fail('BAD_TS', `selector ${i + 1} of ${count}: header needs 4 bytes, ${r.remaining} left`);
    const tsType = r.u8('TS type');
    const ipProtocol = r.u8('IP protocol');
    const length = r.u16('selector length');
    const want = SELECTOR_LENGTH[tsType];
    if (want === undefined) r.fail('BAD_TS', `selector ${i + 1}: unsupported TS type ${tsType}`, undefined, at);
    if (length !== want) r.fail('BAD_TS', `selector ${i + 1}: length ${length}, type ${tsType} needs ${want}`, undefined, at);
    if (length - 4 > r.remaining) r.fail('BAD_TS', `selector ${i + 1}: length ${length} runs past the payload`, undefined, at);
    const startPort = r.u16('start port');
    const endPort = r.u16('end port');
    const alen = (want - 8) / 2;
    const startAddr = bytesToIp(r.bytes(alen, 'start address'));
    const endAddr = bytesToIp(r.bytes(alen, 'end address'));
    selectors.push({ tsType, ipProtocol, startPort, endPort, startAddr, endAddr });
  }
  if (r.remaining > 0) r.fail('BAD_TS', `${r.remaining} bytes after the ${count} traffic selectors`);
  return { type, selectors };
}

export function encodeTsBody(p: TsPayload): Buffer {
  const parts: Buffer[] = [u8(p.selectors.length, 'number of TSs'), Buffer.alloc(3)];
  for (const s of p.selectors) {
    const fam = s.tsType === TsType.TS_IPV4_ADDR_RANGE ? 4 : s.tsType === TsType.TS_IPV6_ADDR_RANGE ? 6 : 0;
    if (!fam) throw new IkeEncodeError(`cannot encode TS type ${s.tsType}`);
    for (const a of [s.startAddr, s.endAddr]) {
      if (ipFamily(a) !== fam) throw new IkeEncodeError(`TS type ${s.tsType} needs IPv${fam} addresses, got "${a}"`);
    }
    parts.push(
      u8(s.tsType, 'TS type'), u8(s.ipProtocol, 'IP protocol'), u16(SELECTOR_LENGTH[s.tsType]!, 'selector length'),
      u16(s.startPort, 'start port'), u16(s.endPort, 'end port'), ipToBytes(s.startAddr), ipToBytes(s.endAddr),
    );
  }
  return Buffer.concat(parts);
}
