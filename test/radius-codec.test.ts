// RADIUS codec: the interop sample captures (strongSwan eap-radius <-> FreeRADIUS 3.2.1, and a
// radclient Disconnect-Request to strongSwan's DAE) decode and verify with their secrets, re-encode
// byte for byte where nothing random is involved; hiding, tags, VSAs, EAP-Message splitting; typed
// errors for every malformed or inauthentic packet; fast-check round trips and random bytes.

import test from 'ava';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { readCaptureFile, udpDatagrams } from '../engine/pcap/index.ts';
import { RadiusCode } from '../engine/radius/constants.ts';
import { decodeAttributes, encodeAttributes, getBytes, getText } from '../engine/radius/attributes.ts';
import type { Avp } from '../engine/radius/attributes.ts';
import { ATTRIBUTES } from '../engine/radius/dictionary.ts';
import { RadiusEncodeError, RadiusParseError } from '../engine/radius/errors.ts';
import { hideSalted, hideUserPassword, revealSalted, revealUserPassword } from '../engine/radius/hiding.ts';
import { decodeRequest, decodeResponse, decodeUnverified, encodeRequest, encodeResponse } from '../engine/radius/message.ts';
import type { RadiusMessage } from '../engine/radius/message.ts';
import { decodeRawPacket, encodeRawPacket } from '../engine/radius/packet.ts';
import { auditSessionId, ciscoValues, parseCiscoAvPair } from '../engine/radius/cisco.ts';
import { decodeEap, describeEap } from '../engine/eap/packet.ts';
import { seededRandom } from '../engine/util/random.ts';
import { bytesToIp, canonicalIp } from '../engine/util/ip.ts';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/interop-samples/eap-radius-dae');
const datagrams = (file: string) => udpDatagrams(readCaptureFile(path.join(dir, file)).records);
const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('EAP-MSCHAPv2 sample: every packet verifies with pr-radius-secret and carries the expected EAP', (t) => {
  const requests = new Map<number, RadiusMessage>();
  const lines: string[] = [];
  for (const d of datagrams('radius-eap-mschapv2.pcap')) {
    const toServer = d.dport === 1812 || d.dport === 1813;
    const m = toServer ? decodeRequest(d.payload, 'pr-radius-secret') : decodeResponse(d.payload, requests.get(d.payload[1]!)!, 'pr-radius-secret');
    if (toServer) requests.set(m.identifier, m);
    const eap = getBytes(m.attributes, 'EAP-Message');
    lines.push(`${RadiusCode[m.code]} ${m.identifier}${eap ? ` ${describeEap(decodeEap(eap))}` : ''}`);
  }
  t.deepEqual(lines, [
    'AccessRequest 207 Response/Identity id=0 len=10',
    'AccessChallenge 207 Request/MSCHAPv2 id=1 len=42',
    'AccessRequest 208 Response/MSCHAPv2 id=1 len=64',
    'AccessChallenge 208 Request/MSCHAPv2 id=2 len=51',
    'AccessRequest 209 Response/MSCHAPv2 id=2 len=6',
    'AccessAccept 209 Success id=2 len=4',
    'AccountingRequest 210',
    'AccountingResponse 210',
  ]);
  const start = requests.get(210)!;
  t.is(getText(start.attributes, 'Framed-IP-Address'), '198.18.10.1');
  t.is(start.attributes.find((a) => a.name === 'Acct-Status-Type')?.value, 1);
});

test('a wrong secret is a typed authenticator error, for requests and responses', (t) => {
  const ds = datagrams('radius-eap-mschapv2.pcap');
  const accessRequest = ds[0]!.payload;
  const e1 = t.throws(() => decodeRequest(accessRequest, 'wrong-secret'), { instanceOf: RadiusParseError });
  t.is(e1.code, 'BAD_MESSAGE_AUTHENTICATOR');
  const acct = ds[6]!.payload;
  t.is(t.throws(() => decodeRequest(acct, 'wrong-secret'), { instanceOf: RadiusParseError }).code, 'BAD_AUTHENTICATOR');
  const req = decodeRequest(accessRequest, 'pr-radius-secret');
  t.is(t.throws(() => decodeResponse(ds[1]!.payload, req, 'wrong-secret'), { instanceOf: RadiusParseError }).code, 'BAD_AUTHENTICATOR');
  // A response checked against another request's authenticator fails the same way.
  const other = decodeRequest(ds[2]!.payload, 'pr-radius-secret');
  t.is(t.throws(() => decodeResponse(ds[1]!.payload, other, 'pr-radius-secret'), { instanceOf: RadiusParseError }).code, 'BAD_AUTHENTICATOR');
});

test('Disconnect sample: request verifies with pr-dae-secret; our ACK and Accounting-Response equal the captured bytes', (t) => {
  const ds = datagrams('dae-disconnect.pcap');
  const req = decodeRequest(ds[0]!.payload, 'pr-dae-secret');
  t.is(req.code, RadiusCode.DisconnectRequest);
  t.deepEqual(req.attributes, [{ name: 'User-Name', value: 'carol' }]);
  t.deepEqual(encodeResponse({ code: RadiusCode.DisconnectAck, attributes: [] }, req, { secret: 'pr-dae-secret' }), ds[1]!.payload);
  t.is(decodeResponse(ds[1]!.payload, req, 'pr-dae-secret').code, RadiusCode.DisconnectAck);
  // Re-encoding the request gives radclient's bytes (its authenticator is computed, not random).
  t.deepEqual(encodeRequest({ code: RadiusCode.DisconnectRequest, identifier: req.identifier, attributes: req.attributes }, { secret: 'pr-dae-secret' }).bytes, ds[0]!.payload);
  const stop = decodeRequest(ds[2]!.payload, 'pr-radius-secret');
  t.deepEqual(encodeRequest({ code: stop.code, identifier: stop.identifier, attributes: stop.attributes }, { secret: 'pr-radius-secret' }).bytes, ds[2]!.payload);
  t.deepEqual(encodeResponse({ code: RadiusCode.AccountingResponse, attributes: [] }, stop, { secret: 'pr-radius-secret' }), ds[3]!.payload);
  t.is(stop.attributes.find((a) => a.name === 'Acct-Terminate-Cause')?.value, 1);
  t.is(stop.attributes.find((a) => a.name === 'Acct-Session-Time')?.value, 12);
});

test("the sample's Access-Accept re-encodes byte for byte given FreeRADIUS's MPPE salts", (t) => {
  const ds = datagrams('radius-eap-mschapv2.pcap');
  const req = decodeRequest(ds[4]!.payload, 'pr-radius-secret');
  const accept = decodeResponse(ds[5]!.payload, req, 'pr-radius-secret');
  // FreeRADIUS's salts, so that the encryption is the same.
  const raw = decodeRawPacket(ds[5]!.payload).attributes.filter((a) => a.type === 26 && a.value.readUInt32BE(0) === 311 && (a.value[4] === 16 || a.value[4] === 17));
  const salts = Buffer.concat(raw.map((a) => a.value.subarray(6, 8)));
  let k = 0;
  // encodeResponse draws randomness only for the salts, 2 bytes each, in attribute order.
  const rnd = { bytes: (n: number) => Buffer.from(salts.subarray(k, (k += n))) };
  t.deepEqual(encodeResponse({ code: accept.code, attributes: accept.attributes }, req, { secret: 'pr-radius-secret', random: rnd }), ds[5]!.payload);
});

test('User-Password hiding (RFC 2865 5.2) and salted values (RFC 2868 3.5 / RFC 2548 2.4.2)', (t) => {
  const secret = Buffer.from('s3cr3t');
  const ra = h('0102030405060708090a0b0c0d0e0f10');
  for (const pw of ['', 'a', 'exactly-16-bytes', 'seventeen-bytes!!', 'x'.repeat(128)]) {
    const hidden = hideUserPassword(Buffer.from(pw), secret, ra);
    t.is(hidden.length, Math.max(16, Math.ceil(pw.length / 16) * 16));
    t.is(revealUserPassword(hidden, secret, ra).toString(), pw);
  }
  t.throws(() => hideUserPassword(Buffer.alloc(129, 1), secret, ra), { instanceOf: RadiusEncodeError });
  t.is(t.throws(() => revealUserPassword(Buffer.alloc(15), secret, ra), { instanceOf: RadiusParseError }).code, 'BAD_HIDDEN_VALUE');
  const s = hideSalted(Buffer.from('pre_shared_key'), secret, ra, Buffer.from([0x12, 0x34]));
  t.is(s[0]! & 0x80, 0x80, 'salt high bit set');
  t.is(s.length, 2 + 16);
  t.is(revealSalted(s, secret, ra).toString(), 'pre_shared_key');
  t.is(t.throws(() => revealSalted(s, Buffer.from('other'), ra), { instanceOf: RadiusParseError }).code, 'BAD_HIDDEN_VALUE');
});

test('Tunnel-Password (tagged, salted) and MS-MPPE keys round trip through a response', (t) => {
  const req = encodeRequest({ code: RadiusCode.AccessRequest, identifier: 3, attributes: [{ name: 'User-Name', value: 'router1' }, { name: 'User-Password', value: 'cisco' }] }, { secret: 'k', random: seededRandom(1) });
  const request = decodeRequest(req.bytes, 'k');
  t.is(getText(request.attributes, 'User-Password'), 'cisco');
  const attrs: Avp[] = [
    { name: 'Tunnel-Password', value: 'pre_shared_key', tag: 0 },
    { name: 'Tunnel-Type', value: 'ESP', tag: 1 },
    { name: 'MS-MPPE-Recv-Key', value: h('128ee785456f96c158cfd59886ab0742') },
    { name: 'Cisco-AVPair', value: 'ipsec:route-set=prefix 192.168.1.1/24' },
  ];
  const bytes = encodeResponse({ code: RadiusCode.AccessAccept, attributes: attrs }, request, { secret: 'k', random: seededRandom(2) });
  const accept = decodeResponse(bytes, request, 'k');
  t.deepEqual(accept.attributes, [
    { name: 'Message-Authenticator', value: accept.attributes[0]!.value },
    { name: 'Tunnel-Password', value: 'pre_shared_key', tag: 0 },
    { name: 'Tunnel-Type', value: 9, tag: 1 },
    { name: 'MS-MPPE-Recv-Key', value: h('128ee785456f96c158cfd59886ab0742') },
    { name: 'Cisco-AVPair', value: 'ipsec:route-set=prefix 192.168.1.1/24' },
  ]);
  t.is(accept.attributes[0]!.name, 'Message-Authenticator', 'added first (BlastRADIUS hardening)');
});

test('EAP-Message longer than 253 bytes is split and joined (RFC 3579 3.1); Message-Authenticator is required with it', (t) => {
  const eap = Buffer.alloc(700, 0xab);
  const { bytes } = encodeRequest({ code: RadiusCode.AccessRequest, identifier: 1, attributes: [{ name: 'User-Name', value: 'u' }, { name: 'EAP-Message', value: eap }] }, { secret: 'k' });
  const raw = decodeRawPacket(bytes);
  t.deepEqual(raw.attributes.filter((a) => a.type === 79).map((a) => a.value.length), [253, 253, 194]);
  t.deepEqual(getBytes(decodeRequest(bytes, 'k').attributes, 'EAP-Message'), eap);
  const noMa = encodeRequest({ code: RadiusCode.AccessRequest, identifier: 1, attributes: [{ name: 'EAP-Message', value: eap }] }, { secret: 'k', messageAuthenticator: false }).bytes;
  t.is(t.throws(() => decodeRequest(noMa, 'k'), { instanceOf: RadiusParseError }).code, 'MISSING_MESSAGE_AUTHENTICATOR');
  // Tampering with any byte breaks the HMAC.
  const tampered = Buffer.from(bytes);
  tampered[tampered.length - 1]! ^= 1;
  t.is(t.throws(() => decodeRequest(tampered, 'k'), { instanceOf: RadiusParseError }).code, 'BAD_MESSAGE_AUTHENTICATOR');
});

test('Message-Authenticator of CoA/Disconnect requests uses a zero authenticator (RFC 5176 3.4)', (t) => {
  const { bytes } = encodeRequest({ code: RadiusCode.CoaRequest, identifier: 9, attributes: [{ name: 'Cisco-AVPair', value: 'audit-session-id=X' }] }, { secret: 'das', messageAuthenticator: true });
  const m = decodeRequest(bytes, 'das');
  t.is(auditSessionId(m.attributes), 'X');
  t.is(m.attributes[0]!.name, 'Message-Authenticator');
});

test('typed errors for malformed packets', (t) => {
  const ok = encodeRequest({ code: RadiusCode.AccountingRequest, identifier: 1, attributes: [{ name: 'User-Name', value: 'abc' }] }, { secret: 'k' }).bytes;
  const code = (b: Buffer) => t.throws(() => decodeRequest(b, 'k'), { instanceOf: RadiusParseError }).code;
  t.is(code(ok.subarray(0, 19)), 'TRUNCATED');
  t.is(code(ok.subarray(0, ok.length - 1)), 'TRUNCATED');
  const mod = (f: (b: Buffer) => void) => { const b = Buffer.from(ok); f(b); return b; };
  t.is(code(mod((b) => b.writeUInt16BE(19, 2))), 'BAD_LENGTH');
  t.is(code(mod((b) => b.writeUInt16BE(5000, 2))), 'BAD_LENGTH');
  t.is(code(mod((b) => { b[0] = 99; })), 'BAD_CODE');
  t.is(code(mod((b) => { b[21] = 1; })), 'BAD_ATTRIBUTE');
  t.is(code(mod((b) => { b[21] = 40; })), 'BAD_ATTRIBUTE');
  t.is(code(mod((b) => { b[5]! ^= 1; })), 'BAD_AUTHENTICATOR');
  // Padding beyond Length is ignored (RFC 2865 3).
  t.is(decodeRequest(Buffer.concat([ok, Buffer.alloc(7)]), 'k').attributes.length, 1);
  // A value of the wrong size for its type (Acct-Status-Type of 2 bytes).
  const badInt = encodeRawPacket({ code: RadiusCode.AccountingRequest, identifier: 1, authenticator: Buffer.alloc(16), attributes: [{ type: 40, value: Buffer.from([1, 2]) }] });
  t.is(t.throws(() => decodeUnverified(badInt), { instanceOf: RadiusParseError }).code, 'BAD_ATTRIBUTE');
});

test('encoding refuses what does not fit, naming the attribute', (t) => {
  const enc = (a: Avp) => t.throws(() => encodeAttributes([a], { secret: Buffer.from('k'), authenticator: Buffer.alloc(16) }), { instanceOf: RadiusEncodeError }).message;
  t.regex(enc({ name: 'No-Such-Attribute', value: 1 }), /unknown RADIUS attribute "No-Such-Attribute"/);
  t.regex(enc({ name: 'Framed-IP-Address', value: '::1' }), /Framed-IP-Address: "::1" is not an IPv4 address/);
  t.regex(enc({ name: 'Acct-Status-Type', value: 'Begin' }), /neither a number nor a value name/);
  t.regex(enc({ name: 'Cisco-AVPair', value: 'x'.repeat(248) }), /exceeds 247/);
  t.regex(enc({ name: 'Reply-Message', value: 'x'.repeat(254) }), /exceeds 253/);
});

test('Cisco AV pairs: formats of the seeds', (t) => {
  t.deepEqual(parseCiscoAvPair('ipsec:route-set=prefix 192.168.1.1/24'), { protocol: 'ipsec', attribute: 'route-set', value: 'prefix 192.168.1.1/24', mandatory: true });
  t.deepEqual(parseCiscoAvPair('audit-session-id=L2L4AC1G102ZO2L4AC1G101ZI1F401F4ZN34'), { protocol: '', attribute: 'audit-session-id', value: 'L2L4AC1G102ZO2L4AC1G101ZI1F401F4ZN34', mandatory: true });
  t.deepEqual(parseCiscoAvPair('ip:inacl#3=permit 1.1.1.1'), { protocol: 'ip', attribute: 'inacl#3', value: 'permit 1.1.1.1', mandatory: true });
  t.deepEqual(parseCiscoAvPair('ipsec:dns-servers*10.0.0.1 10.0.0.2')?.mandatory, false);
  t.deepEqual(parseCiscoAvPair('ip:interface-config=service-policy input Input-QoS-policy-2')?.value, 'service-policy input Input-QoS-policy-2');
  const avps: Avp[] = ['ip:inacl#3=permit 1.1.1.1', 'ip:inacl#4=permit 2.2.2.2', 'ip:audit-session-id=A1', 'ipsec:tunnel-password=k'].map((value) => ({ name: 'Cisco-AVPair', value }));
  t.deepEqual(ciscoValues(avps, 'inacl'), ['permit 1.1.1.1', 'permit 2.2.2.2']);
  t.is(auditSessionId(avps), 'A1');
  t.deepEqual(ciscoValues(avps, 'tunnel-password', 'ipsec'), ['k']);
});

// ---- property tests ----

const buf = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((a) => Buffer.from(a));
const text = (max: number) => fc.string({ minLength: 1, maxLength: max }).filter((s) => Buffer.byteLength(s) <= max && !/^[\u0000-\u001f]/.test(s));
const ipv4 = fc.tuple(...Array.from({ length: 4 }, () => fc.integer({ min: 0, max: 255 }))).map((o) => o.join('.'));
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return groups.join(':');
});

function valueArb(name: string): fc.Arbitrary<Avp> {
  const def = ATTRIBUTES.find((a) => a.name === name)!;
  const tag = def.tagged ? fc.integer({ min: def.dataType === 'integer' || def.encrypt ? 0 : 1, max: 31 }) : fc.constant(undefined);
  const value: fc.Arbitrary<Avp['value']> = (() => {
    switch (def.dataType) {
      case 'text': return def.encrypt === 'user-password' ? text(100).filter((s) => !s.endsWith('\u0000')) : text(def.encrypt ? 200 : 240);
      case 'octets': return def.encrypt ? buf(0, 200) : def.concat ? buf(1, 600) : buf(1, 240);
      case 'integer': case 'date': return fc.integer({ min: 0, max: def.tagged ? 0xffffff : 0xffffffff });
      case 'ipaddr': return ipv4;
      case 'ipv6addr': return ipv6.map(canonicalIp);
      case 'ifid': return buf(8, 8);
      case 'ipv6prefix': return fc.tuple(buf(16, 16), fc.integer({ min: 0, max: 128 })).map(([a, l]) => {
        // Host bits cleared: the encoder sends only the prefix bits (RFC 8044 3.10).
        const b = Buffer.alloc(16);
        a.copy(b, 0, 0, Math.ceil(l / 8));
        if (l % 8) b[Math.ceil(l / 8) - 1]! &= (0xff << (8 - (l % 8))) & 0xff;
        return `${bytesToIp(b)}/${l}`;
      });
    }
  })();
  return fc.tuple(value, tag).map(([v, tg]) => ({ name, value: v, ...(tg !== undefined ? { tag: tg } : {}) }));
}

const avpArb = fc.constantFrom(...ATTRIBUTES.filter((a) => a.name !== 'Message-Authenticator').map((a) => a.name)).chain(valueArb);

test('property: attributes round trip through encode/decode (hiding, tags, VSAs, concat)', (t) => {
  let n = 0;
  fc.assert(fc.property(fc.array(avpArb, { maxLength: 8 }), buf(16, 16), (avps, auth) => {
    // One concat attribute per packet (several would be joined into one, by design).
    const seen = new Set<string>();
    const list = avps.filter((a) => a.name !== 'EAP-Message' || (!seen.has(a.name) && seen.add(a.name)));
    const ctx = { secret: Buffer.from('prop-secret'), authenticator: auth, random: seededRandom(n) };
    t.deepEqual(decodeAttributes(encodeAttributes(list, ctx), ctx), list);
    n++;
  }), { numRuns: 700 });
  t.is(n, 700);
});

test('property: whole requests and responses round trip and verify', (t) => {
  let n = 0;
  const codes = [RadiusCode.AccessRequest, RadiusCode.AccountingRequest, RadiusCode.DisconnectRequest, RadiusCode.CoaRequest];
  fc.assert(fc.property(fc.constantFrom(...codes), fc.integer({ min: 0, max: 255 }), fc.array(avpArb.filter((a) => a.name !== 'EAP-Message'), { maxLength: 6 }), (code, id, attrs) => {
    const req = encodeRequest({ code, identifier: id, attributes: attrs }, { secret: 'p', random: seededRandom(id) });
    const got = decodeRequest(req.bytes, 'p');
    t.deepEqual(got.attributes.filter((a) => a.name !== 'Message-Authenticator'), attrs);
    const resp = encodeResponse({ code: code === RadiusCode.AccessRequest ? RadiusCode.AccessAccept : code === RadiusCode.AccountingRequest ? RadiusCode.AccountingResponse : code + 1, attributes: attrs }, got, { secret: 'p' });
    t.deepEqual(decodeResponse(resp, got, 'p').attributes.filter((a) => a.name !== 'Message-Authenticator'), attrs);
    n++;
  }), { numRuns: 400 });
  t.is(n, 400);
});

test('property: random and mutated bytes only ever raise RadiusParseError', (t) => {
  let ok = 0, bad = 0;
  const attempt = (b: Buffer) => {
    for (const f of [(x: Buffer) => decodeRequest(x, 'k'), (x: Buffer) => decodeUnverified(x, { secret: 'k' }), (x: Buffer) => decodeResponse(x, { code: RadiusCode.AccessRequest, authenticator: Buffer.alloc(16) }, 'k')]) {
      try {
        f(b);
        ok++;
      } catch (e) {
        if (!(e instanceof RadiusParseError)) throw e;
        bad++;
      }
    }
  };
  fc.assert(fc.property(buf(0, 120), (b) => attempt(b)), { numRuns: 2000 });
  const sample = encodeRequest({ code: RadiusCode.AccountingRequest, identifier: 1, attributes: [
    { name: 'User-Name', value: 'x' }, { name: 'Cisco-AVPair', value: 'a=b' }, { name: 'Tunnel-Password', value: 'p', tag: 1 }, { name: 'Framed-IPv6-Prefix', value: '2001:db8::/32' },
  ] }, { secret: 'k' }).bytes;
  fc.assert(fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 255 }), (pos, v) => {
    const b = Buffer.from(sample);
    b[pos % b.length] = v;
    attempt(b);
  }), { numRuns: 2000 });
  t.true(ok > 0 && bad > 0, `ok ${ok}, rejected ${bad}`);
});
