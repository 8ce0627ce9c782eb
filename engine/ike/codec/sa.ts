// Security Association payload (RFC 7296 section 3.3): proposals, each with transforms, each with
// attributes. The "last" markers (0 or 2 for proposals, 0 or 3 for transforms), the transform
// count and every length are checked against each other, because a peer that gets them wrong is
// answered with INVALID_SYNTAX rather than guessed at.

import { Buffer } from 'node:buffer';
import { ATTR_KEY_LENGTH, PayloadType, ProtocolId } from '../constants.ts';
import type { Proposal, SaPayload, Transform } from '../message.ts';
import { ByteReader, checkFits, u16, u8 } from './bytes.ts';
import { IkeEncodeError } from './errors.ts';

const LAST = 0;
const MORE_PROPOSALS = 2; // RFC 7296 3.3.1: value of "Last Substruc" when another proposal follows
const MORE_TRANSFORMS = 3; // RFC 7296 3.3.2

/** Attribute Format bit: 1 = TV (2-byte value in place of the length), 0 = TLV (RFC 7296 3.3.5). */
const AF_TV = 0x8000;

export function decodeSaBody(r: ByteReader): SaPayload {
  const proposals: Proposal[] = [];
  for (;;) {
    if (r.remaining === 0 && proposals.length === 0) r.fail('BAD_PROPOSAL', 'SA payload carries no proposal');
    if (r.remaining < 8) r.fail('BAD_PROPOSAL', `proposal header needs 8 bytes, ${r.remaining} left in SA payload`);
    const at = r.offset;
    const last = r.u8('proposal last substruc');
    r.u8('reserved'); // ignored on receive
    const length = r.u16('proposal length');
    if (last !== LAST && last !== MORE_PROPOSALS) r.fail('BAD_PROPOSAL', `proposal "last substruc" is ${last}, must be 0 or 2`, undefined, at);
    if (length < 8) r.fail('BAD_PROPOSAL', `proposal length ${length} is below 8`, undefined, at);
    if (length - 4 > r.remaining) r.fail('BAD_PROPOSAL', `proposal length ${length} runs past the SA payload (${r.remaining + 4} bytes left)`, undefined, at);
    proposals.push(decodeProposal(r.sub(length - 4, 'proposal'), proposals.length + 1));
    if (last === LAST) {
      if (r.remaining > 0) r.fail('BAD_PROPOSAL', `${r.remaining} bytes follow the proposal marked last`, undefined, at);
      break;
    }
    if (r.remaining === 0) r.fail('BAD_PROPOSAL', 'proposal marked "more follow" is the last one in the SA payload', undefined, at);
  }
  return { type: PayloadType.SA, proposals };
}

function decodeProposal(r: ByteReader, index: number): Proposal {
  const what = `proposal ${index}`;
  const num = r.u8(`${what} number`);
  const protocolId = r.u8(`${what} protocol`);
  const spiSize = r.u8(`${what} SPI size`);
  const numTransforms = r.u8(`${what} transform count`);
  if (spiSize > r.remaining) r.fail('BAD_PROPOSAL', `${what}: SPI size ${spiSize} runs past the proposal`);
  checkProposalSpiSize(r, protocolId, spiSize, what);
  const spi = r.bytes(spiSize, `${what} SPI`);
  const transforms: Transform[] = [];
  for (let i = 0; i < numTransforms; i++) {
    const tw = `${what} transform ${i + 1}`;
    if (r.remaining < 8) r.fail('BAD_TRANSFORM', `${tw}: header needs 8 bytes, ${r.remaining} left (count says ${numTransforms})`);
    const at = r.offset;
    const last = r.u8(`${tw} last substruc`);
    r.u8('reserved');
    const length = r.u16(`${tw} length`);
    const expectLast = i === numTransforms - 1 ? LAST : MORE_TRANSFORMS;
    if (last !== expectLast) r.fail('BAD_TRANSFORM', `${tw} of ${numTransforms}: "last substruc" is ${last}, must be ${expectLast}`, undefined, at);
    if (length < 8) r.fail('BAD_TRANSFORM', `${tw}: length ${length} is below 8`, undefined, at);
    if (length - 4 > r.remaining) r.fail('BAD_TRANSFORM', `${tw}: length ${length} runs past the proposal`, undefined, at);
    transforms.push(decodeTransform(r.sub(length - 4, tw), tw));
  }
  if (r.remaining > 0) r.fail('BAD_PROPOSAL', `${what}: ${r.remaining} bytes after its ${numTransforms} transforms`);
  return { num, protocolId, spi, transforms };
}

/** RFC 7296 3.3.1: SPI size 0 or 8 for IKE (8 only in IKE rekey), 4 for AH and ESP. */
function checkProposalSpiSize(r: ByteReader, protocolId: number, spiSize: number, what: string): void {
  const ok = protocolId === ProtocolId.IKE ? spiSize === 0 || spiSize === 8
    : protocolId === ProtocolId.ESP || protocolId === ProtocolId.AH ? spiSize === 4
    : true; // unknown protocol: the proposal selection skips it
  if (!ok) r.fail('BAD_SPI_SIZE', `${what}: SPI size ${spiSize} is wrong for protocol ${protocolId}`);
}

function decodeTransform(r: ByteReader, what: string): Transform {
  const type = r.u8(`${what} type`);
  r.u8('reserved');
  const id = r.u16(`${what} id`);
  const t: Transform = { type, id };
  const others: Array<{ type: number; value: Buffer | number }> = [];
  const seen = new Set<number>();
  while (r.remaining > 0) {
    const at = r.offset;
    if (r.remaining < 4) r.fail('BAD_ATTRIBUTE', `${what}: attribute header needs 4 bytes, ${r.remaining} left`);
    const afType = r.u16('attribute type');
    const attrType = afType & 0x7fff;
    let value: Buffer | number;
    if (afType & AF_TV) {
      value = r.u16('attribute value');
    } else {
      const len = r.u16('attribute length');
      if (len > r.remaining) r.fail('BAD_ATTRIBUTE', `${what}: attribute ${attrType} length ${len} runs past the transform`, undefined, at);
      value = r.bytes(len, 'attribute value');
    }
    if (seen.has(attrType)) r.fail('DUPLICATE', `${what}: attribute ${attrType} appears twice`, undefined, at);
    seen.add(attrType);
    if (attrType === ATTR_KEY_LENGTH) {
      // RFC 7296 3.3.5: Key Length is always TV.
      if (typeof value !== 'number') r.fail('BAD_ATTRIBUTE', `${what}: Key Length attribute must use TV format`, undefined, at);
      t.keyLength = value;
    } else {
      others.push({ type: attrType, value });
    }
  }
  if (others.length > 0) t.otherAttributes = others;
  return t;
}

export function encodeSaBody(p: SaPayload): Buffer {
  checkFits(p.proposals.length, 0xff, 'proposal count');
  return Buffer.concat(p.proposals.map((pr, i) => encodeProposal(pr, i === p.proposals.length - 1)));
}

function encodeProposal(pr: Proposal, last: boolean): Buffer {
  checkFits(pr.transforms.length, 0xff, 'transform count');
  const transforms = pr.transforms.map((t, i) => encodeTransform(t, i === pr.transforms.length - 1));
  const length = 8 + pr.spi.length + transforms.reduce((n, b) => n + b.length, 0);
  return Buffer.concat([
    u8(last ? LAST : MORE_PROPOSALS, 'last'), u8(0, 'reserved'), u16(length, 'proposal length'),
    u8(pr.num, 'proposal number'), u8(pr.protocolId, 'protocol ID'), u8(pr.spi.length, 'SPI size'),
    u8(pr.transforms.length, 'transform count'), pr.spi, ...transforms,
  ]);
}

function encodeTransform(t: Transform, last: boolean): Buffer {
  const attrs: Buffer[] = [];
  if (t.keyLength !== undefined) attrs.push(u16(AF_TV | ATTR_KEY_LENGTH, 'attribute'), u16(t.keyLength, 'key length'));
  for (const a of t.otherAttributes ?? []) {
    checkFits(a.type, 0x7fff, 'attribute type');
    if (a.type === ATTR_KEY_LENGTH) throw new IkeEncodeError('Key Length goes in Transform.keyLength, not otherAttributes');
    if (typeof a.value === 'number') attrs.push(u16(AF_TV | a.type, 'attribute'), u16(a.value, 'attribute value'));
    else attrs.push(u16(a.type, 'attribute'), u16(a.value.length, 'attribute length'), a.value);
  }
  const length = 8 + attrs.reduce((n, b) => n + b.length, 0);
  return Buffer.concat([
    u8(last ? LAST : MORE_TRANSFORMS, 'last'), u8(0, 'reserved'), u16(length, 'transform length'),
    u8(t.type, 'transform type'), u8(0, 'reserved'), u16(t.id, 'transform id'), ...attrs,
  ]);
}
