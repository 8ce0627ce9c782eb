// Known-answer tests for ESP encapsulation: whole ESP packets from draft-mcgrew-gcm-test-01 (AES-GCM
// in ESP per RFC 4106, non-ESN cases) and RFC 3602 section 4 (AES-CBC, cases 5-8), compared byte for
// byte. The RFC 3602 packets carry no ICV; with HMAC-SHA1-96 added, the ICV must equal an HMAC
// computed independently over exactly the RFC's bytes.

import test from 'ava';
import { createHmac } from 'node:crypto';
import { EncrId, IntegId } from '../engine/ike/constants.ts';
import { EspSa, seal, open, sealPayload, openPayload } from '../engine/esp/index.ts';
import type { RandomSource } from '../engine/util/random.ts';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const fixedIv = (iv: Buffer): RandomSource => ({ bytes: (n) => { if (n !== iv.length) throw new Error(`IV of ${n} bytes asked, vector has ${iv.length}`); return iv; } });

interface GcmVector {
  name: string; key: string; salt: string; iv: string; spi: number; seq: number;
  payload: string; padNh: string; ciphertext: string; tag: string;
}

// draft-mcgrew-gcm-test-01 section 4; "payload" is the packet inside, "padNh" the trailer the
// vector's plaintext ends with (its next header is 1, the vectors predate the tunnel-mode rule).
const GCM: GcmVector[] = [
  {
    name: 'test case 2 (AES-128, SPI a5f8, seq 10)',
    key: 'feffe9928665731c6d6a8f9467308308', salt: 'cafebabe', iv: 'facedbaddecaf888', spi: 0xa5f8, seq: 10,
    payload: '4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d001000001000000000000037369700963796265726369747902646b0000010001',
    padNh: '0001',
    ciphertext: 'deb22cd9b07c72c16e3a65beeb8df304a5a5897d33ae530f1ba76d5d114d2a5c3de81827c10e9a4f51330d0eec416642cfbb85a5b47e48a4ec3b9ba95d918bd1',
    tag: '83b70d3aa8bc6ee4c309e9d85a41ad4a',
  },
  {
    name: 'test case 3 (AES-256, SPI 4a2cbfe3, seq 2)',
    key: 'abbccddef00112233445566778899aababbccddef00112233445566778899aab', salt: '11223344', iv: '0102030405060708',
    spi: 0x4a2cbfe3, seq: 2,
    payload: '4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee0000000007002400020bf0000020405b401010402',
    padNh: '01020201',
    ciphertext: 'ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763748a637985771d347f0545659f14e99def842d8e',
    tag: 'b335f4eecfdbf831824b4c4915956c96',
  },
];

for (const v of GCM) {
  test(`AES-GCM-16 ESP packet, draft-mcgrew-gcm-test-01 ${v.name}`, (t) => {
    const mk = (direction: 'in' | 'out') => new EspSa({
      spi: v.spi, direction, encr: EncrId.AES_GCM_16, integ: IntegId.NONE, encrKey: h(v.key + v.salt),
      createdAt: 0, lastSeq: direction === 'out' ? v.seq - 1 : undefined,
    });
    const out = mk('out');
    const payload = h(v.payload);
    const nextHeader = h(v.padNh).at(-1)!;
    const r = sealPayload(out, payload, nextHeader, fixedIv(h(v.iv)));
    if (!r.ok) return t.fail(r.reason);
    const spiSeq = Buffer.alloc(8);
    spiSeq.writeUInt32BE(v.spi, 0);
    spiSeq.writeUInt32BE(v.seq, 4);
    const expected = Buffer.concat([spiSeq, h(v.iv), h(v.ciphertext), h(v.tag)]);
    t.is(r.packet.toString('hex'), expected.toString('hex'));

    const o = openPayload(mk('in'), expected);
    if (!o.ok) return t.fail(o.reason);
    t.is(o.inner.toString('hex'), v.payload);
    t.is(o.nextHeader, nextHeader);
  });
}

test('AES-GCM ESP: flipping one tag bit of the draft vector is an integrity failure', (t) => {
  const v = GCM[0]!;
  const sa = new EspSa({ spi: v.spi, direction: 'in', encr: EncrId.AES_GCM_16, integ: IntegId.NONE, encrKey: h(v.key + v.salt), createdAt: 0 });
  const spiSeq = h('0000a5f80000000a');
  const bad = Buffer.concat([spiSeq, h(v.iv), h(v.ciphertext), h(v.tag)]);
  bad[bad.length - 1]! ^= 1;
  const o = openPayload(sa, bad);
  t.deepEqual(o, { ok: false, reason: 'integrity' });
  t.is(sa.drops.integrity, 1);
  t.is(sa.packets, 0);
});

// RFC 3602 section 4. Cases 7 and 8 are tunnel mode (next header 4), cases 5 and 6 transport (1).
const CBC = [
  {
    name: 'case #5 (transport, 64-byte ICMP)', key: '90d382b410eeba7ad938c46cec1a82bf', spi: 0x4321, seq: 1, nh: 1,
    iv: 'e96e8c08ab465763fd098d45dd3ff893',
    payload: '08000ebda70a00008e9c083db95b070008090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637',
    packet: '0000432100000001e96e8c08ab465763fd098d45dd3ff893f663c25d325c18c6a9453e194e120849a4870b66cc6b9965330013b4898dc856a4699e523a55db080b59ec3a8e4b7e52775b07d1db34ed9c538ab50c551b874aa269add047ad2d5913ac19b7cfbad4a6',
  },
  {
    name: 'case #6 (transport, 28-byte ICMP)', key: '90d382b410eeba7ad938c46cec1a82bf', spi: 0x4321, seq: 8, nh: 1,
    iv: '69d08df7d203329db093fc4924e5bd80',
    payload: '0800b5e8a80a0500a69c083d0b660e00777777777777777777777777',
    packet: '000043210000000869d08df7d203329db093fc4924e5bd80f51995881ec4e0c4488987ce742e8109689bb379d2d750c0d915dca346a89f75',
  },
  {
    name: 'case #7 (tunnel, 84-byte IPv4 ping)', key: '0123456789abcdef0123456789abcdef', spi: 0x8765, seq: 2, nh: 4,
    iv: 'f4e765244f6407adf13dc1380f673f37',
    payload: '45000054090400004001f988c0a87b03c0a87bc808009f76a90a0100b49c083d02a2040008090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637',
    packet: '0000876500000002f4e765244f6407adf13dc1380f673f37773b5241a4c449225e4f3ce5ed611b0c237ca96cf74a93013c1b0ea1a0cf70f8e4ecaec78ac53aad7a0f022b859243c647752e94a859352b8a4d4d2decd136e5c177f132ad3fbfb2201ac9904c74ee0a109e0ca1e4dfe9d5a100b842f1c22f0d',
  },
  {
    name: 'case #8 (tunnel, 68-byte IPv4 ping)', key: '0123456789abcdef0123456789abcdef', spi: 0x8765, seq: 5, nh: 4,
    iv: '85d47224b5f3dd5d2101d4ea8dffab22',
    payload: '45000044090c00004001f990c0a87b03c0a87bc80800d63caa0a0200c69c083da3de0300ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    packet: '000087650000000585d47224b5f3dd5d2101d4ea8dffab2215b92683819596a8047232cc00f7048fe45318e11f8a0f62ede3c3fc61203bb50f980a08c9843fd3a1b06d5c07ff9639b7eb7dfb3512e5de435e7207ed971ef3d2726d9b5ef6affc6d17a0decbb13892',
  },
];

const SHA1_KEY = h('0102030405060708090a0b0c0d0e0f1011121314');

for (const v of CBC) {
  test(`AES-CBC ESP packet, RFC 3602 ${v.name}`, (t) => {
    const sa = (direction: 'in' | 'out', integ: IntegId) => new EspSa({
      spi: v.spi, direction, encr: EncrId.AES_CBC, integ, encrKey: h(v.key),
      integKey: integ === IntegId.NONE ? undefined : SHA1_KEY, createdAt: 0, lastSeq: direction === 'out' ? v.seq - 1 : undefined,
    });
    // Without integrity: the RFC's packet exactly.
    const plain = sealPayload(sa('out', IntegId.NONE), h(v.payload), v.nh, fixedIv(h(v.iv)));
    if (!plain.ok) return t.fail(plain.reason);
    t.is(plain.packet.toString('hex'), v.packet);

    // With HMAC-SHA1-96: the same bytes followed by the first 12 bytes of HMAC-SHA1 over them.
    const withIcv = sealPayload(sa('out', IntegId.HMAC_SHA1_96), h(v.payload), v.nh, fixedIv(h(v.iv)));
    if (!withIcv.ok) return t.fail(withIcv.reason);
    const icv = createHmac('sha1', SHA1_KEY).update(h(v.packet)).digest().subarray(0, 12);
    t.is(withIcv.packet.toString('hex'), v.packet + icv.toString('hex'));

    const o = openPayload(sa('in', IntegId.HMAC_SHA1_96), withIcv.packet);
    if (!o.ok) return t.fail(o.reason);
    t.is(o.inner.toString('hex'), v.payload);
    t.is(o.nextHeader, v.nh);

    if (v.nh === 4) {
      // Tunnel-mode cases also go through the public tunnel entry points.
      const s = seal(sa('out', IntegId.HMAC_SHA1_96), h(v.payload), fixedIv(h(v.iv)));
      if (!s.ok) return t.fail(s.reason);
      t.is(s.packet.toString('hex'), v.packet + icv.toString('hex'));
      const o2 = open(sa('in', IntegId.HMAC_SHA1_96), s.packet);
      if (!o2.ok) return t.fail(o2.reason);
      t.is(o2.inner.toString('hex'), v.payload);
    }
  });
}
