// The IKE cryptography against real strongSwan 5.9.8 traffic (test/fixtures/ike-samples): key
// derivation from the logged g^ir reproduces every key charon derived; openSk/openSkf decrypt every
// protected message; the PSK AUTH payloads equal our pskAuth over our signedOctets; and with AES-GCM
// (no padding, like strongSwan) sealSk re-creates charon's messages byte for byte.

import test from 'ava';
import { readFileSync } from 'node:fs';
import { ExchangeType, PayloadType } from '../engine/ike/constants.ts';
import { pskAuth, signedOctets, verifyPskAuth } from '../engine/ike/crypto/auth.ts';
import { keyExchangeDataLength } from '../engine/ike/crypto/dh.ts';
import { deriveIkeSaKeys } from '../engine/ike/crypto/keymat.ts';
import { openSk, openSkf, sealSk } from '../engine/ike/crypto/sk.ts';
import type { RandomSource } from '../engine/util/random.ts';

const dir = new URL('./fixtures/ike-samples/', import.meta.url);
const keys = JSON.parse(readFileSync(new URL('keys.json', dir), 'utf8')) as Record<string, Record<string, string> & {
  suite: { prf: number; encr: number; encrKeyBits: number; integ: number; dh?: number };
}>;
const h = (s: string): Buffer => Buffer.from(s, 'hex');

/** IKE messages (UDP 500, or 4500 after the non-ESP marker) of an Ethernet pcap, in order. */
function ikeMessages(file: string): Buffer[] {
  const pcap = readFileSync(new URL(file, dir));
  if (pcap.readUInt32LE(0) !== 0xa1b2c3d4 || pcap.readUInt32LE(20) !== 1) throw new Error(`${file}: not a little-endian Ethernet pcap`);
  const out: Buffer[] = [];
  for (let off = 24; off + 16 <= pcap.length;) {
    const len = pcap.readUInt32LE(off + 8);
    const frame = pcap.subarray(off + 16, off + 16 + len);
    off += 16 + len;
    if (frame.readUInt16BE(12) !== 0x0800) continue;
    const ip = frame.subarray(14);
    if (ip[9] !== 17 || (ip.readUInt16BE(6) & 0x3fff) !== 0) continue; // UDP, not an IP fragment
    const udp = ip.subarray((ip[0]! & 0x0f) * 4);
    const [sport, dport] = [udp.readUInt16BE(0), udp.readUInt16BE(2)];
    let data = udp.subarray(8, udp.readUInt16BE(4));
    if (sport === 4500 || dport === 4500) {
      if (data.length < 4 || data.readUInt32BE(0) !== 0) continue; // ESP in UDP
      data = data.subarray(4);
    } else if (sport !== 500 && dport !== 500) continue;
    out.push(Buffer.from(data));
  }
  return out;
}

interface RawPayload { type: number; offset: number; body: Buffer }

/** Walks a generic payload chain; throws unless it ends exactly at the end of `buf`. */
function payloads(buf: Buffer, first: number, start: number): RawPayload[] {
  const out: RawPayload[] = [];
  let type = first;
  let off = start;
  while (type !== 0) {
    const len = buf.readUInt16BE(off + 2);
    if (len < 4 || off + len > buf.length) throw new Error(`payload ${type} at ${off}: bad length ${len}`);
    out.push({ type, offset: off, body: buf.subarray(off + 4, off + len) });
    if (type === PayloadType.SK || type === PayloadType.SKF) return out; // always last
    type = buf[off]!;
    off += len;
  }
  if (off !== buf.length) throw new Error(`payload chain ends at ${off} of ${buf.length}`);
  return out;
}

const find = (ps: RawPayload[], type: number): RawPayload => {
  const p = ps.find((x) => x.type === type);
  if (!p) throw new Error(`no payload ${type} in ${ps.map((x) => x.type).join(',')}`);
  return p;
};
const isInitiator = (m: Buffer): boolean => (m[19]! & 0x08) !== 0;
const isResponse = (m: Buffer): boolean => (m[19]! & 0x20) !== 0;
const fixedIv = (iv: Buffer): RandomSource => ({ bytes: () => Buffer.from(iv) });

for (const [sample, file] of [['psk-aescbc', 'psk-aescbc.pcap'], ['psk-ikegcm', 'psk-ikegcm.pcap']] as const) {
  const k = keys[sample]!;
  const msgs = ikeMessages(file);
  const [init, initResp] = msgs as [Buffer, Buffer];
  const initPayloads = payloads(init, init[16]!, 28);
  const respPayloads = payloads(initResp, initResp[16]!, 28);
  const nonceI = find(initPayloads, PayloadType.NONCE).body;
  const nonceR = find(respPayloads, PayloadType.NONCE).body;
  const skSuite = { encr: k.suite.encr, encrKeyBits: k.suite.encrKeyBits, integ: k.suite.integ };
  const ikeKeys = deriveIkeSaKeys({
    ...k.suite, nonceI, nonceR, spiI: initResp.subarray(0, 8), spiR: initResp.subarray(8, 16), sharedSecret: h(k.gir!),
  });
  const protectedMsgs = msgs.filter((m) => m[18] !== ExchangeType.IKE_SA_INIT);
  const keysOf = (m: Buffer) => (isInitiator(m)
    ? { encrKey: ikeKeys.skEi, ...(ikeKeys.skAi.length ? { integKey: ikeKeys.skAi } : {}) }
    : { encrKey: ikeKeys.skEr, ...(ikeKeys.skAr.length ? { integKey: ikeKeys.skAr } : {}) });

  test(`${sample}: KE data length and the IKE SA keys charon derived`, (t) => {
    const ke = find(initPayloads, PayloadType.KE).body;
    t.is(ke.readUInt16BE(0), k.suite.dh!);
    t.is(ke.length - 4, keyExchangeDataLength(k.suite.dh!));
    t.is(initResp.subarray(0, 8).toString('hex'), k.spiI);
    t.is(initResp.subarray(8, 16).toString('hex'), k.spiR);
    t.is(ikeKeys.skeyseed.toString('hex'), k.skeyseed);
    t.is(ikeKeys.skD.toString('hex'), k.skD);
    t.is(ikeKeys.skEi.toString('hex'), k.skEi);
    t.is(ikeKeys.skEr.toString('hex'), k.skEr);
    t.is(ikeKeys.skAi.toString('hex'), k.skAi);
    t.is(ikeKeys.skAr.toString('hex'), k.skAr);
    t.is(ikeKeys.skPi.toString('hex'), k.skPi);
    t.is(ikeKeys.skPr.toString('hex'), k.skPr);
  });

  test(`${sample}: every protected message opens to a well-formed payload chain`, (t) => {
    t.true(protectedMsgs.length >= 3);
    for (const m of protectedMsgs) {
      const sk = payloads(m, m[16]!, 28).at(-1)!;
      t.is(sk.type, PayloadType.SK);
      const opened = openSk(skSuite, keysOf(m), m, sk.offset);
      t.notThrows(() => payloads(opened.plaintext, opened.innerFirstPayload, 0));
    }
  });

  test(`${sample}: PSK AUTH of both sides equals prf(prf(PSK, "Key Pad for IKEv2"), signed octets)`, (t) => {
    const [authReq, authResp] = protectedMsgs.filter((m) => m[18] === ExchangeType.IKE_AUTH) as [Buffer, Buffer];
    t.false(isResponse(authReq));
    t.true(isResponse(authResp));
    for (const [m, realMessage, peerNonce, skP, idType, expected, idHex] of [
      [authReq, init, nonceR, ikeKeys.skPi, PayloadType.IDi, k.authI, k.idIBody],
      [authResp, initResp, nonceI, ikeKeys.skPr, PayloadType.IDr, k.authR, k.idRBody],
    ] as const) {
      const sk = payloads(m, m[16]!, 28).at(-1)!;
      const opened = openSk(skSuite, keysOf(m), m, sk.offset);
      const inner = payloads(opened.plaintext, opened.innerFirstPayload, 0);
      const id = find(inner, idType).body;
      t.is(id.toString('hex'), idHex);
      const auth = find(inner, PayloadType.AUTH).body;
      t.is(auth[0], 2); // Shared Key Message Integrity Code
      const octets = signedOctets({ realMessage, peerNonce, prfId: k.suite.prf, skP, idPayloadBody: id });
      const mine = pskAuth(k.suite.prf, h(k.psk!), octets);
      t.is(mine.toString('hex'), expected);
      t.deepEqual(auth.subarray(4), mine);
      t.true(verifyPskAuth(k.suite.prf, h(k.psk!), octets, auth.subarray(4)));
      t.false(verifyPskAuth(k.suite.prf, Buffer.from('wrong secret'), octets, auth.subarray(4)));
    }
  });
}

test('psk-ikegcm: sealSk with charon\'s IV re-creates its AES-GCM messages byte for byte', (t) => {
  const k = keys['psk-ikegcm']!;
  const suite = { encr: k.suite.encr, encrKeyBits: k.suite.encrKeyBits, integ: 0 };
  const msgs = ikeMessages('psk-ikegcm.pcap').filter((m) => m[18] !== ExchangeType.IKE_SA_INIT);
  t.true(msgs.length >= 3);
  for (const m of msgs) {
    t.is(m[16], PayloadType.SK); // SK directly after the header
    const keyset = { encrKey: h(isInitiator(m) ? k.skEi! : k.skEr!) };
    const opened = openSk(suite, keyset, m, 28);
    const again = sealSk(suite, keyset, m.subarray(0, 28), opened.innerFirstPayload, opened.plaintext, fixedIv(m.subarray(32, 40)));
    t.deepEqual(again, m);
  }
});

test('cert-frag576: SKF fragments of IKE_AUTH open and reassemble (RFC 7383)', (t) => {
  const k = keys['cert-frag576']!;
  const suite = { encr: k.suite.encr, encrKeyBits: k.suite.encrKeyBits, integ: k.suite.integ };
  const frags = ikeMessages('cert-frag576.pcap').filter((m) => m[16] === PayloadType.SKF);
  t.is(frags.length, 8);
  for (const initiator of [true, false]) {
    const mine = frags.filter((m) => isInitiator(m) === initiator);
    const keyset = initiator ? { encrKey: h(k.skEi!), integKey: h(k.skAi!) } : { encrKey: h(k.skEr!), integKey: h(k.skAr!) };
    const parts = mine.map((m) => openSkf(suite, keyset, m, 28)).sort((a, b) => a.fragmentNumber - b.fragmentNumber);
    t.deepEqual(parts.map((p) => p.fragmentNumber), [1, 2, 3, 4]);
    t.true(parts.every((p) => p.totalFragments === 4));
    t.is(parts[0]!.innerFirstPayload, initiator ? PayloadType.IDi : PayloadType.IDr);
    t.true(parts.slice(1).every((p) => p.innerFirstPayload === 0));
    const whole = Buffer.concat(parts.map((p) => p.plaintext));
    const types = payloads(whole, parts[0]!.innerFirstPayload, 0).map((p) => p.type);
    t.true(types.includes(PayloadType.CERT));
    t.true(types.includes(PayloadType.AUTH));
    // tshark shows the reassembled request as 1708 bytes of payloads (interop README section 9).
    if (initiator) t.is(whole.length, 1708);
  }
});
