// EAP packet codec (RFC 3748 section 4): known packets, the errors a malformed packet gives, the
// method payload codecs, and property tests: encode/decode round trips, and random or mutated bytes
// never make a decoder throw anything but EapParseError.

import test from 'ava';
import fc from 'fast-check';
import { EapCode, EapType } from '../engine/eap/constants.ts';
import { EapParseError } from '../engine/eap/errors.ts';
import { decodeEap, describeEap, encodeEap, nakDesiredTypes, nakResponse } from '../engine/eap/packet.ts';
import type { EapPacket } from '../engine/eap/packet.ts';
import { chapMd5, decodeMd5Data, encodeMd5Data } from '../engine/eap/methods/md5.ts';
import { MsChapV2OpCode, decodeMsChapV2, encodeMsChapV2 } from '../engine/eap/mschapv2-packet.ts';
import type { MsChapV2Packet } from '../engine/eap/mschapv2-packet.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('known packets: Response/Identity and Success from the strongSwan/FreeRADIUS sample', (t) => {
  const id = decodeEap(h('0200000a016361726f6c'));
  t.deepEqual(id, { code: EapCode.Response, identifier: 0, type: EapType.Identity, data: Buffer.from('carol') });
  t.is(describeEap(id), 'Response/Identity id=0 len=10');
  t.deepEqual(encodeEap(id), h('0200000a016361726f6c'));
  const ok = decodeEap(h('03020004'));
  t.deepEqual(ok, { code: EapCode.Success, identifier: 2, data: Buffer.alloc(0) });
  t.deepEqual(encodeEap(ok), h('03020004'));
  // The seed's relayed Response/Identity "p1" (seed-features 13.5: 02 3B 00 07 01 70 31).
  t.is(decodeEap(h('023B0007017031')).data.toString(), 'p1');
});

test('octets beyond Length are padding; a short Length or an unknown code is an error', (t) => {
  t.is(decodeEap(h('0200000a016361726f6c ffff')).data.toString(), 'carol');
  const err = (hex: string) => t.throws(() => decodeEap(h(hex)), { instanceOf: EapParseError });
  t.is(err('0200').code, 'TRUNCATED');
  t.is(err('0200000b016361726f6c').code, 'TRUNCATED');
  t.is(err('02000004').code, 'BAD_LENGTH');
  t.is(err('05000004').code, 'BAD_CODE');
  t.is(err('0100000afe00000000000000').code, 'BAD_LENGTH');
});

test('expanded types (RFC 3748 5.7) and Nak', (t) => {
  const p: EapPacket = { code: EapCode.Request, identifier: 7, type: EapType.Expanded, vendorId: 9, vendorType: 3, data: Buffer.from('xml') };
  const bytes = encodeEap(p);
  t.is(bytes.length, 15);
  t.deepEqual(decodeEap(bytes), p);
  const nak = nakResponse(4, [26, 4, 6]);
  t.deepEqual(encodeEap(nak), h('020400 08 03 1a0406'));
  t.deepEqual(nakDesiredTypes(decodeEap(encodeEap(nak))), [26, 4, 6]);
  t.deepEqual(encodeEap(nakResponse(4, [])), h('02040006 0300'));
});

test('MD5-Challenge data and the CHAP computation (RFC 1994 4.1)', (t) => {
  const d = { value: h('00112233445566778899aabbccddeeff'), name: 'srv' };
  t.deepEqual(decodeMd5Data(encodeMd5Data(d)), d);
  t.throws(() => decodeMd5Data(h('10 0011')), { instanceOf: EapParseError });
  t.throws(() => decodeMd5Data(Buffer.alloc(0)), { instanceOf: EapParseError });
  // MD5(0x01 || "password" || challenge), computed independently by `openssl dgst -md5` on those bytes.
  t.is(chapMd5(1, 'password', h('0102030405060708090a0b0c0d0e0f10')).toString('hex'), 'bb72d75a86a343a00439caf2a126b146');
});

const buf = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((a) => Buffer.from(a));
const text = fc.string({ maxLength: 40 }).filter((s) => !s.includes('\u0000'));

const eapArb: fc.Arbitrary<EapPacket> = fc.oneof(
  fc.record({ code: fc.constantFrom(EapCode.Success, EapCode.Failure), identifier: fc.integer({ min: 0, max: 255 }) })
    .map((p) => ({ ...p, data: Buffer.alloc(0) })),
  fc.record({
    code: fc.constantFrom(EapCode.Request, EapCode.Response), identifier: fc.integer({ min: 0, max: 255 }),
    type: fc.integer({ min: 1, max: 253 }), data: buf(0, 300),
  }),
  fc.record({
    code: fc.constantFrom(EapCode.Request, EapCode.Response), identifier: fc.integer({ min: 0, max: 255 }),
    vendorId: fc.integer({ min: 0, max: 0xffffff }), vendorType: fc.integer({ min: 0, max: 0xffffffff }), data: buf(0, 60),
  }).map((p) => ({ ...p, type: EapType.Expanded })),
);

test('property: decode(encode(p)) equals p', (t) => {
  let n = 0;
  fc.assert(fc.property(eapArb, (p) => {
    t.deepEqual(decodeEap(encodeEap(p)), p);
    n++;
  }), { numRuns: 1000 });
  t.is(n, 1000);
});

const msArb: fc.Arbitrary<MsChapV2Packet> = fc.oneof(
  fc.record({ opcode: fc.constant(MsChapV2OpCode.Challenge as const), msId: fc.integer({ min: 0, max: 255 }), challenge: buf(16, 16), name: text }),
  fc.record({
    opcode: fc.constant(MsChapV2OpCode.Response as const), msId: fc.integer({ min: 0, max: 255 }), peerChallenge: buf(16, 16), ntResponse: buf(24, 24),
    flags: fc.integer({ min: 0, max: 255 }), name: text,
  }),
  fc.record({ opcode: fc.constantFrom(MsChapV2OpCode.Success as const, MsChapV2OpCode.Failure as const), msId: fc.integer({ min: 0, max: 255 }), message: text }),
  fc.constantFrom<MsChapV2Packet>({ opcode: MsChapV2OpCode.Success }, { opcode: MsChapV2OpCode.Failure }),
);

test('property: EAP-MSCHAPv2 data round trips', (t) => {
  let n = 0;
  fc.assert(fc.property(msArb, (p) => {
    t.deepEqual(decodeMsChapV2(encodeMsChapV2(p)), p);
    n++;
  }), { numRuns: 800 });
  t.is(n, 800);
});

test('property: random and mutated bytes only ever raise EapParseError', (t) => {
  let decoded = 0, rejected = 0;
  const check = (b: Buffer) => {
    for (const f of [decodeEap, decodeMsChapV2, decodeMd5Data]) {
      try {
        f(b);
        decoded++;
      } catch (e) {
        if (!(e instanceof EapParseError)) throw e;
        rejected++;
      }
    }
  };
  fc.assert(fc.property(buf(0, 80), (b) => check(b)), { numRuns: 2000 });
  fc.assert(fc.property(eapArb, fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 255 }), (p, pos, v) => {
    const b = encodeEap(p);
    if (b.length) b[pos % b.length] = v;
    check(b.subarray(0, Math.max(0, b.length - (v % 3))));
  }), { numRuns: 2000 });
  t.true(decoded > 0 && rejected > 0, `decoded ${decoded}, rejected ${rejected}`);
});
