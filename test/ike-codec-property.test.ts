// Property tests of the IKEv2 codec (fast-check): decode(encode(m)) deep-equals m for generated
// messages in canonical form (every payload kind), and arbitrary or mutated bytes never make the
// decoder throw anything but IkeParseError. Runs are bounded in count.

import test from 'ava';
import { deepStrictEqual } from 'node:assert/strict';
import fc from 'fast-check';
import {
  cfgAttributeToRaw, decodeMessage, decodePayloads, describeMessage, dnFromString, dnToString, encodeHeader, encodeMessage, IkeParseError,
  KE_DATA_LENGTH, parseDn, SINGLE_PAYLOADS, type CfgAttribute,
} from '../engine/ike/codec/index.ts';
import {
  CfgAttr, IdType, NotifyType, PayloadType, ProtocolId, TsType,
} from '../engine/ike/constants.ts';
import type {
  CpAttribute, IkeHeader, IkeMessage, Payload, Proposal, TrafficSelector, Transform,
} from '../engine/ike/message.ts';
import { bytesToIp } from '../engine/util/ip.ts';

const RUNS = 1500;

const buf = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((a) => Buffer.from(a));
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

/** Adds `critical: true` to some payloads (known types ignore it on receipt but report it). */
function maybeCritical<P extends Payload>(arb: fc.Arbitrary<P>): fc.Arbitrary<P> {
  return fc.tuple(arb, fc.boolean()).map(([p, c]) => (c ? { ...p, critical: true } : p));
}

// ---- SA ----

const attrValue = fc.oneof(u16, buf(0, 8));
const transformArb: fc.Arbitrary<Transform> = fc.record({
  type: u8, id: u16,
  keyLength: fc.option(u16, { nil: undefined }),
  others: fc.uniqueArray(fc.integer({ min: 0, max: 0x7fff }).filter((x) => x !== 14), { maxLength: 3 }),
  values: fc.array(attrValue, { minLength: 3, maxLength: 3 }),
}).map(({ type, id, keyLength, others, values }) => {
  const t: Transform = { type, id };
  if (keyLength !== undefined) t.keyLength = keyLength;
  if (others.length) t.otherAttributes = others.map((a, i) => ({ type: a, value: values[i]! }));
  return t;
});

const proposalArb: fc.Arbitrary<Proposal> = fc.oneof(
  fc.record({ num: u8, protocolId: fc.constant(ProtocolId.IKE), spi: fc.oneof(buf(0, 0), buf(8, 8)) }),
  fc.record({ num: u8, protocolId: fc.constantFrom(ProtocolId.ESP, ProtocolId.AH), spi: buf(4, 4) }),
  fc.record({ num: u8, protocolId: fc.integer({ min: 4, max: 255 }), spi: buf(0, 16) }),
).chain((p) => fc.array(transformArb, { maxLength: 6 }).map((transforms) => ({ ...p, transforms })));

const saArb: fc.Arbitrary<Payload> = fc.array(proposalArb, { minLength: 1, maxLength: 4 })
  .map((proposals) => ({ type: PayloadType.SA, proposals }));

// ---- KE, Nonce, ID, CERT, CERTREQ, AUTH, VID, EAP ----

const knownGroups = Object.keys(KE_DATA_LENGTH).map(Number);
const keArb: fc.Arbitrary<Payload> = fc.oneof(
  fc.constantFrom(...knownGroups).chain((g) => buf(KE_DATA_LENGTH[g]!, KE_DATA_LENGTH[g]!).map((data) => ({ group: g, data }))),
  fc.record({ group: fc.integer({ min: 33, max: 0xffff }).filter((g) => KE_DATA_LENGTH[g] === undefined), data: buf(0, 64) }),
).map((k) => ({ type: PayloadType.KE, ...k }));

const nonceArb: fc.Arbitrary<Payload> = buf(16, 256).map((data) => ({ type: PayloadType.NONCE, data }));

const DN_KEYS = ['CN', 'O', 'OU', 'C', 'L', 'ST', 'E', 'DC', 'serialNumber'];
const dnValue = fc.stringMatching(/^[A-Za-z0-9.@-][A-Za-z0-9 .@-]{0,14}[A-Za-z0-9]$/);
const dnTextArb = fc.array(fc.tuple(fc.constantFrom(...DN_KEYS), dnValue), { maxLength: 5 })
  .map((parts) => parts.map(([k, v]) => `${k}=${v}`).join(', '));

const idDataArb: fc.Arbitrary<{ idType: number; data: Buffer }> = fc.oneof(
  buf(4, 4).map((data) => ({ idType: IdType.ID_IPV4_ADDR, data })),
  buf(16, 16).map((data) => ({ idType: IdType.ID_IPV6_ADDR, data })),
  fc.tuple(fc.constantFrom(IdType.ID_FQDN, IdType.ID_RFC822_ADDR, IdType.ID_KEY_ID, IdType.ID_DER_ASN1_GN), buf(1, 40))
    .map(([idType, data]) => ({ idType, data })),
  dnTextArb.map((text) => ({ idType: IdType.ID_DER_ASN1_DN, data: dnFromString(text) })),
  fc.constant({ idType: IdType.ID_NULL, data: Buffer.alloc(0) }),
  fc.tuple(fc.integer({ min: 201, max: 255 }), buf(0, 20)).map(([idType, data]) => ({ idType, data })),
);
const idArb: fc.Arbitrary<Payload> = fc.tuple(fc.constantFrom(PayloadType.IDi, PayloadType.IDr), idDataArb)
  .map(([type, id]) => ({ type, ...id }));

const certArb: fc.Arbitrary<Payload> = fc.tuple(fc.constantFrom(PayloadType.CERT, PayloadType.CERTREQ), u8, buf(0, 64))
  .map(([type, encoding, data]) => ({ type, encoding, data }) as Payload);
const authArb: fc.Arbitrary<Payload> = fc.record({ method: u8, data: buf(0, 64) }).map((a) => ({ type: PayloadType.AUTH, ...a }));
const vidArb: fc.Arbitrary<Payload> = buf(0, 32).map((data) => ({ type: PayloadType.VENDOR_ID, data }));
const eapArb: fc.Arbitrary<Payload> = fc.tuple(u8, u8, buf(0, 40)).map(([code, id, rest]) => {
  const data = Buffer.concat([Buffer.from([code, id, 0, 0]), rest]);
  data.writeUInt16BE(data.length, 2);
  return { type: PayloadType.EAP, data };
});

// ---- Notify, Delete ----

const fixedNotify: Array<[number, number, number]> = [
  [NotifyType.INVALID_KE_PAYLOAD, 2, 2], [NotifyType.NAT_DETECTION_SOURCE_IP, 20, 20],
  [NotifyType.NAT_DETECTION_DESTINATION_IP, 20, 20], [NotifyType.COOKIE, 1, 64], [NotifyType.SET_WINDOW_SIZE, 4, 4],
  [NotifyType.ADDITIONAL_IP4_ADDRESS, 4, 4], [NotifyType.ADDITIONAL_IP6_ADDRESS, 16, 16], [NotifyType.AUTH_LIFETIME, 4, 4],
];
const ruled = new Set([...fixedNotify.map((f) => f[0]), NotifyType.SIGNATURE_HASH_ALGORITHMS]);
const notifyTypeAndData = fc.oneof(
  fc.constantFrom(...fixedNotify).chain(([type, min, max]) => buf(min, max).map((data) => ({ notifyType: type, data }))),
  fc.array(u16, { maxLength: 5 }).map((algs) => ({
    notifyType: NotifyType.SIGNATURE_HASH_ALGORITHMS, data: Buffer.concat(algs.map((a) => Buffer.from([a >> 8, a & 0xff]))),
  })),
  fc.record({ notifyType: u16.filter((n) => !ruled.has(n)), data: buf(0, 32) }),
);
const notifySpi = fc.oneof(
  fc.constant({ protocolId: 0, spi: Buffer.alloc(0) }),
  fc.record({ protocolId: fc.constant(ProtocolId.IKE), spi: fc.oneof(buf(0, 0), buf(8, 8)) }),
  fc.record({ protocolId: fc.constantFrom(ProtocolId.AH, ProtocolId.ESP), spi: fc.oneof(buf(0, 0), buf(4, 4)) }),
);
const notifyArb: fc.Arbitrary<Payload> = fc.tuple(notifySpi, notifyTypeAndData)
  .map(([s, n]) => ({ type: PayloadType.NOTIFY, ...s, ...n }));

const deleteArb: fc.Arbitrary<Payload> = fc.oneof(
  fc.constant({ type: PayloadType.DELETE, protocolId: ProtocolId.IKE, spiSize: 0, spis: [] as Buffer[] }),
  fc.tuple(fc.constantFrom(ProtocolId.ESP, ProtocolId.AH), fc.array(buf(4, 4), { maxLength: 6 }))
    .map(([protocolId, spis]) => ({ type: PayloadType.DELETE, protocolId, spiSize: 4, spis })),
) as fc.Arbitrary<Payload>;

// ---- TS ----

const selectorArb: fc.Arbitrary<TrafficSelector> = fc.boolean().chain((v6) => {
  const n = v6 ? 16 : 4;
  return fc.record({
    ipProtocol: u8, startPort: u16, endPort: u16,
    startAddr: buf(n, n).map(bytesToIp), endAddr: buf(n, n).map(bytesToIp),
  }).map((s) => ({ tsType: v6 ? TsType.TS_IPV6_ADDR_RANGE : TsType.TS_IPV4_ADDR_RANGE, ...s }));
});
const tsArb: fc.Arbitrary<Payload> = fc.tuple(fc.constantFrom(PayloadType.TSi, PayloadType.TSr), fc.array(selectorArb, { maxLength: 4 }))
  .map(([type, selectors]) => ({ type, selectors }));

// ---- CP ----

const ip4 = buf(4, 4).map(bytesToIp);
const ip6 = buf(16, 16).map(bytesToIp);
const cfgArb: fc.Arbitrary<CfgAttribute> = fc.oneof(
  fc.tuple(fc.constantFrom(CfgAttr.INTERNAL_IP4_ADDRESS, CfgAttr.INTERNAL_IP4_NETMASK, CfgAttr.INTERNAL_IP4_DNS, CfgAttr.INTERNAL_IP4_NBNS),
    fc.option(ip4, { nil: undefined }))
    .map(([type, address]): CfgAttribute => (address === undefined ? { kind: 'ip4', type } : { kind: 'ip4', type, address })),
  fc.option(fc.tuple(ip4, ip4), { nil: undefined }).map((v): CfgAttribute => (v
    ? { kind: 'ip4-subnet', type: CfgAttr.INTERNAL_IP4_SUBNET, address: v[0], netmask: v[1] }
    : { kind: 'ip4-subnet', type: CfgAttr.INTERNAL_IP4_SUBNET })),
  fc.tuple(fc.constantFrom(CfgAttr.INTERNAL_IP6_ADDRESS, CfgAttr.INTERNAL_IP6_SUBNET), fc.option(fc.tuple(ip6, fc.integer({ min: 0, max: 128 })), { nil: undefined }))
    .map(([type, v]): CfgAttribute => (v ? { kind: 'ip6-prefix', type, address: v[0], prefixLength: v[1] } : { kind: 'ip6-prefix', type })),
  fc.option(fc.stringMatching(/^[a-z0-9.-]{1,20}$/), { nil: undefined })
    .map((text): CfgAttribute => (text === undefined ? { kind: 'text', type: CfgAttr.INTERNAL_DNS_DOMAIN } : { kind: 'text', type: CfgAttr.INTERNAL_DNS_DOMAIN, text })),
  fc.tuple(fc.integer({ min: 16384, max: 0x7fff }), buf(0, 12)).map(([type, value]): CfgAttribute => ({ kind: 'raw', type, value })),
);
const cpArb: fc.Arbitrary<Payload> = fc.tuple(u8, fc.array(cfgArb, { maxLength: 6 }))
  .map(([cfgType, attrs]) => ({ type: PayloadType.CP, cfgType, attributes: attrs.map((a): CpAttribute => cfgAttributeToRaw(a)) }));

// ---- unknown, SK, SKF ----

const KNOWN = new Set([33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 53]);
const unknownArb: fc.Arbitrary<Payload> = fc.tuple(fc.integer({ min: 1, max: 255 }).filter((x) => !KNOWN.has(x)), buf(0, 32))
  .map(([type, data]) => ({ type, unknown: true as const, data }));

const encryptedArb: fc.Arbitrary<Payload> = fc.oneof(
  fc.record({ innerFirstPayload: u8, data: buf(0, 64) }).map((s): Payload => ({ type: PayloadType.SK, ...s })),
  fc.integer({ min: 1, max: 0xffff }).chain((total) => fc.record({
    innerFirstPayload: u8, fragmentNumber: fc.integer({ min: 1, max: total }), totalFragments: fc.constant(total), data: buf(0, 64),
  })).map((s): Payload => ({ type: PayloadType.SKF, ...s })),
);

const plainPayload = fc.oneof(
  maybeCritical(saArb), maybeCritical(keArb), maybeCritical(nonceArb), maybeCritical(idArb), maybeCritical(certArb),
  maybeCritical(authArb), maybeCritical(vidArb), maybeCritical(eapArb), maybeCritical(notifyArb), maybeCritical(deleteArb),
  maybeCritical(tsArb), maybeCritical(cpArb), unknownArb,
);

// fc.record builds null-prototype objects; spread into plain ones so deepStrictEqual compares values only.
const headerArb: fc.Arbitrary<IkeHeader> = fc.record({
  spiI: buf(8, 8), spiR: buf(8, 8), nextPayload: fc.constant(0), majorVersion: fc.constant(2),
  minorVersion: fc.integer({ min: 0, max: 15 }), exchangeType: u8, initiator: fc.boolean(), response: fc.boolean(),
  version: fc.boolean(), messageId: u32, length: fc.constant(0),
}).map((h) => ({ ...h }));

const messageArb: fc.Arbitrary<IkeMessage> = fc.record({
  header: headerArb,
  plain: fc.array(plainPayload, { maxLength: 8 }),
  encrypted: fc.option(maybeCritical(encryptedArb), { nil: undefined }),
}).map(({ header, plain, encrypted }) => {
  // Canonical: at most one payload of each single-occurrence type.
  const seen = new Set<number>();
  const payloads = plain.filter((p) => {
    if (!SINGLE_PAYLOADS.has(p.type)) return true;
    if (seen.has(p.type)) return false;
    seen.add(p.type);
    return true;
  });
  if (encrypted) payloads.push(encrypted);
  return { header, payloads };
});

test('decode(encode(m)) deep-equals m for generated messages', (t) => {
  let withSk = 0;
  t.notThrows(() => fc.assert(fc.property(messageArb, (m) => {
    const bytes = encodeMessage(m);
    const expected: IkeMessage = { header: { ...m.header, nextPayload: m.payloads[0]?.type ?? 0, length: bytes.length }, payloads: m.payloads };
    deepStrictEqual(decodeMessage(bytes), expected);
    deepStrictEqual(encodeMessage(expected), bytes);
    if (m.payloads.some((p) => p.type === PayloadType.SK || p.type === PayloadType.SKF)) withSk++;
  }), { numRuns: RUNS }));
  t.true(withSk > RUNS / 4, `SK/SKF messages generated: ${withSk}`);
});

/** Escapes every non-alphanumeric character (RFC 4514 allows "\\" before any special or not). */
const escapeAll = (v: string) => v.replace(/[^A-Za-z0-9]/g, (c) => '\\' + c);

test('DN text with escapes: values survive text -> DER -> text -> DER', (t) => {
  const value = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 12 });
  t.notThrows(() => fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom('CN', 'O', 'OU', 'L'), value), { minLength: 1, maxLength: 4 }), (parts) => {
    const der = dnFromString(parts.map(([k, v]) => `${k}=${escapeAll(v)}`).join(','));
    deepStrictEqual(parseDn(der)!.map((rdn) => rdn[0]!.value), parts.map(([, v]) => v));
    deepStrictEqual(dnFromString(dnToString(der)), der);
  }), { numRuns: 500 }));
});

/** Runs `f`; anything thrown other than IkeParseError fails the property. */
function onlyParseErrors<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof IkeParseError) return undefined;
    throw e;
  }
}

/** What a decoded message must satisfy: printable, and stable through encode/decode. */
function checkAccepted(m: IkeMessage): void {
  describeMessage(m, { detail: true });
  const again = encodeMessage(m);
  deepStrictEqual(decodeMessage(again), { header: { ...m.header, nextPayload: m.payloads[0]?.type ?? 0, length: again.length }, payloads: m.payloads });
}

test('random bytes: decodeMessage throws nothing but IkeParseError', (t) => {
  t.notThrows(() => fc.assert(fc.property(buf(0, 600), (b) => {
    const m = onlyParseErrors(() => decodeMessage(b));
    if (m) checkAccepted(m);
  }), { numRuns: 3000 }));
});

test('random payload chains behind a valid header: only IkeParseError', (t) => {
  let accepted = 0;
  t.notThrows(() => fc.assert(fc.property(headerArb, fc.integer({ min: 0, max: 60 }), buf(0, 400), (h, first, chain) => {
    // Bias the first payload type toward the known range 33..53 so the body decoders get exercised.
    const type = first <= 20 ? 33 + first : first === 21 ? 53 : first;
    const b = Buffer.concat([encodeHeader({ ...h, nextPayload: type, length: 28 + chain.length }), chain]);
    const m = onlyParseErrors(() => decodeMessage(b));
    if (m) { accepted++; checkAccepted(m); }
  }), { numRuns: 3000 }));
  t.log(`random chains accepted: ${accepted} of 3000`);
});

test('decodePayloads(random type, random bytes), raw and behind a correct generic header: only IkeParseError', (t) => {
  let accepted = 0;
  const knownType = fc.constantFrom(...KNOWN);
  t.notThrows(() => fc.assert(fc.property(fc.oneof(knownType, u8), buf(0, 300), fc.boolean(), fc.boolean(), (type, b, inner, framed) => {
    // framed: one payload whose generic header is right, so the body decoder sees the random bytes
    const bytes = framed && b.length <= 0xfff0 ? Buffer.concat([Buffer.from([0, 0, (b.length + 4) >> 8, (b.length + 4) & 0xff]), b]) : b;
    const ps = onlyParseErrors(() => decodePayloads(type, bytes, { inner }));
    if (ps) {
      accepted++;
      if (inner) deepStrictEqual(ps.some((p) => p.type === PayloadType.SK || p.type === PayloadType.SKF), false);
    }
  }), { numRuns: 4000 }));
  t.log(`payload chains accepted: ${accepted} of 4000`);
});

test('mutated valid messages (byte flips, cuts, insertions): only IkeParseError, and what decodes is stable', (t) => {
  let accepted = 0;
  const mutation = fc.record({
    flips: fc.array(fc.tuple(fc.nat(), u8), { maxLength: 4 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
    insert: fc.option(fc.tuple(fc.nat(), buf(1, 8)), { nil: undefined }),
    fixLength: fc.boolean(),
  });
  t.notThrows(() => fc.assert(fc.property(messageArb, mutation, (m, mu) => {
    let b = Buffer.from(encodeMessage(m));
    for (const [pos, v] of mu.flips) if (b.length > 28) b[28 + (pos % (b.length - 28))] = v;
    if (mu.insert) {
      const at = 28 + (mu.insert[0] % Math.max(1, b.length - 28));
      b = Buffer.concat([b.subarray(0, at), mu.insert[1], b.subarray(at)]);
    }
    if (mu.cut !== undefined) b = b.subarray(0, mu.cut % (b.length + 1));
    if (mu.fixLength && b.length >= 28) b.writeUInt32BE(b.length, 24); // get past the length check half the time
    const d = onlyParseErrors(() => decodeMessage(b));
    if (d) { accepted++; checkAccepted(d); }
  }), { numRuns: 2000 }));
  t.true(accepted > 0, `some mutated messages still decode (${accepted})`);
  t.log(`mutated messages accepted: ${accepted} of 2000`);
});
