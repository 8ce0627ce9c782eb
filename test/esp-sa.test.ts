// EspSa encap/decap behaviour per suite: round trips (also against an independent packet builder),
// integrity failures, padding, next header, dummy packets, TFC padding, sequence number exhaustion,
// byte/packet lifetimes, IV choice and configuration errors.

import test from 'ava';
import fc from 'fast-check';
import { EncrId, IntegId } from '../engine/ike/constants.ts';
import {
  EspSa, EspSaConfigError, SEQ_MAX, open, seal, sealDummy, type EspSaOptions,
} from '../engine/esp/index.ts';
import { SUITES, alignmentOf, forge, ipPacket, saKeys, trailerText } from './helpers/esp-forge.ts';

const pair = (keys: Omit<EspSaOptions, 'direction'>, extra: Partial<EspSaOptions> = {}) => ({
  out: new EspSa({ ...keys, ...extra, direction: 'out' }),
  in: new EspSa({ ...keys, ...extra, direction: 'in' }),
});

for (const s of SUITES) {
  test(`${s.name}: IPv4 and IPv6 packets of any size round-trip; counters count`, (t) => {
    const { out, in: inb } = pair(saKeys(s));
    let bytes = 0, n = 0;
    fc.assert(fc.property(fc.constantFrom<4 | 6>(4, 6), fc.integer({ min: 48, max: 1500 }), fc.integer({ min: 0, max: 255 }), (v, len, fill) => {
      const inner = ipPacket(v, len, fill);
      const s1 = seal(out, inner);
      if (!s1.ok) return false;
      // Minimal padding: the encrypted part is aligned and never padded by a whole extra block.
      const o = open(inb, s1.packet);
      bytes += len;
      n++;
      return o.ok && o.inner.equals(inner) && o.nextHeader === (v === 4 ? 4 : 41);
    }), { numRuns: 200 });
    t.is(out.packets, n);
    t.is(inb.packets, n);
    t.is(out.bytes, bytes);
    t.is(inb.bytes, bytes);
    t.is(out.seq, n);
    t.is(inb.highestSeq, n);
  });

  test(`${s.name}: packets built independently with Node crypto open; ours have minimal padding`, (t) => {
    const keys = saKeys(s);
    const inb = new EspSa({ ...keys, direction: 'in' });
    const inner = ipPacket(4, 61);
    const o = open(inb, forge(keys, 1, trailerText(inner, 4, alignmentOf(s))));
    t.true(o.ok && o.inner.equals(inner));
    const sealed = seal(new EspSa({ ...keys, direction: 'out' }), inner);
    if (!sealed.ok) return t.fail();
    const icv = s.integ === IntegId.NONE ? ({ [EncrId.AES_GCM_16]: 16, [EncrId.AES_GCM_12]: 12, [EncrId.AES_GCM_8]: 8 } as Record<number, number>)[s.encr]! : inb.icvLength;
    const textLength = sealed.packet.length - 8 - inb.ivLength - icv;
    t.is(textLength % alignmentOf(s), 0);
    t.true(textLength - (61 + 2) < alignmentOf(s));
  });

  test(`${s.name}: any flipped bit fails integrity and does not move the replay window`, (t) => {
    const { out, in: inb } = pair(saKeys(s));
    const inner = ipPacket(4, 100);
    const packets = [1, 2, 3].map(() => { const r = seal(out, inner); if (!r.ok) throw new Error(r.reason); return r.packet; });
    const last = packets[2]!;
    let flips = 0;
    for (let byte = 0; byte < last.length; byte += Math.max(1, Math.floor(last.length / 24))) {
      const bad = Buffer.from(last);
      bad[byte]! ^= 0x01;
      const r = open(inb, bad);
      t.false(r.ok, `flip at byte ${byte}`);
      // A flipped SPI still authenticates nothing; a flipped seq could fall under the window check.
      if (!r.ok) t.true(['integrity', 'too-old'].includes(r.reason), `byte ${byte}: ${r.reason}`);
      flips++;
    }
    t.true(inb.drops.integrity >= flips - 1);
    t.is(inb.highestSeq, 0, 'forged packets must not advance the window');
    for (const p of packets) t.true(open(inb, p).ok);
    t.is(inb.packets, 3);
  });

  test(`${s.name}: bad padding, bad next header, dummy, TFC padding, truncation`, (t) => {
    const keys = saKeys(s);
    const inb = new EspSa({ ...keys, direction: 'in' });
    const a = alignmentOf(s);
    const inner = ipPacket(4, 64);

    const badPad = trailerText(inner, 4, a, a); // one extra block of padding: allowed...
    t.true(open(inb, forge(keys, 1, badPad)).ok, 'longer padding of 1, 2, 3... is valid');
    badPad[inner.length]! ^= 0xff; // ...but not with a wrong first padding byte
    t.deepEqual(open(inb, forge(keys, 2, badPad)), { ok: false, reason: 'bad-padding' });
    const tooLong = trailerText(inner, 4, a);
    tooLong[tooLong.length - 2] = 255; // pad length beyond the payload
    t.deepEqual(open(inb, forge(keys, 3, tooLong)), { ok: false, reason: 'bad-padding' });
    t.is(inb.drops['bad-padding'], 2);

    t.deepEqual(open(inb, forge(keys, 4, trailerText(inner, 17, a))), { ok: false, reason: 'bad-next-header' });
    t.deepEqual(open(inb, forge(keys, 5, trailerText(inner, 41, a))), { ok: false, reason: 'bad-next-header' }, 'IPv4 content labelled IPv6');
    t.is(inb.drops['bad-next-header'], 2);

    t.deepEqual(open(inb, forge(keys, 6, trailerText(Buffer.alloc(40), 59, a))), { ok: false, reason: 'dummy' });
    t.is(inb.drops.dummy, 1);
    t.deepEqual(open(inb, forge(keys, 6, trailerText(Buffer.alloc(40), 59, a))), { ok: false, reason: 'replay' }, 'a dummy packet still takes its sequence number');

    // TFC padding (RFC 4303 2.7): bytes after the inner packet are cut at the inner total length.
    const tfc = open(inb, forge(keys, 7, trailerText(Buffer.concat([inner, Buffer.alloc(37)]), 4, a)));
    t.true(tfc.ok && tfc.inner.equals(inner));

    const inner6 = ipPacket(6, 80);
    const v6 = open(inb, forge(keys, 8, trailerText(inner6, 41, a)));
    t.true(v6.ok && v6.inner.equals(inner6) && v6.nextHeader === 41);

    t.deepEqual(open(inb, Buffer.alloc(7)), { ok: false, reason: 'truncated' });
    t.deepEqual(open(inb, forge(keys, 9, trailerText(inner, 4, a)).subarray(0, 8 + inb.ivLength + inb.icvLength + 1)), { ok: false, reason: 'truncated' });
    t.is(inb.packets, 3);
  });

  test(`${s.name}: dummy packets from sealDummy are dropped quietly by the receiver`, (t) => {
    const { out, in: inb } = pair(saKeys(s));
    const d = sealDummy(out, 100);
    if (!d.ok) return t.fail();
    t.deepEqual(open(inb, d.packet), { ok: false, reason: 'dummy' });
    const r = seal(out, ipPacket(4, 50));
    t.true(r.ok && open(inb, r.packet).ok);
    t.is(inb.drops.dummy, 1);
  });
}

test('CBC: a misaligned ciphertext is malformed; the ICV is checked before the plaintext is looked at', (t) => {
  const s = SUITES.find((x) => x.encr === EncrId.AES_CBC)!;
  const keys = saKeys(s);
  const inb = new EspSa({ ...keys, direction: 'in' });
  const p = forge(keys, 1, trailerText(ipPacket(4, 64), 4, 16));
  const cut = Buffer.concat([p.subarray(0, p.length - inb.icvLength - 3), p.subarray(p.length - inb.icvLength)]);
  t.deepEqual(open(inb, cut), { ok: false, reason: 'malformed' });
  // Bad padding AND a bad ICV: integrity wins, because nothing is decrypted before the ICV passes.
  const text = trailerText(ipPacket(4, 64), 4, 16);
  text[text.length - 2] = 200;
  const both = forge(keys, 2, text);
  both[both.length - 1]! ^= 1;
  t.deepEqual(open(inb, both), { ok: false, reason: 'integrity' });
  t.is(inb.drops['bad-padding'], 0);
});

test('AES-GCM uses the sequence number as IV; AES-CBC IVs are fresh per packet', (t) => {
  const gcm = new EspSa({ ...saKeys(SUITES[0]!), direction: 'out' });
  for (let i = 1; i <= 3; i++) {
    const r = seal(gcm, ipPacket(4, 40));
    if (!r.ok) return t.fail();
    t.is(r.packet.readUInt32BE(4), i);
    t.is(r.packet.subarray(8, 16).toString('hex'), i.toString(16).padStart(16, '0'));
  }
  const cbc = new EspSa({ ...saKeys(SUITES[4]!), direction: 'out' });
  const ivs = new Set<string>();
  for (let i = 0; i < 300; i++) { // crosses the 4096-byte IV pool refill
    const r = seal(cbc, ipPacket(4, 40));
    if (!r.ok) return t.fail();
    ivs.add(r.packet.subarray(8, 24).toString('hex'));
  }
  t.is(ivs.size, 300);
});

test('sequence number: soft limit raises rekeyNeeded once, the last number goes out, then seq-exhausted', (t) => {
  const keys = saKeys(SUITES[0]!);
  const out = new EspSa({ ...keys, direction: 'out', lastSeq: 2 ** 32 - 2 ** 16 - 2 });
  const inner = ipPacket(4, 40);
  t.true(seal(out, inner).ok);
  t.false(out.rekeyNeeded);
  t.deepEqual(out.drainEvents(), []);
  t.true(seal(out, inner).ok); // seq 2^32 - 2^16
  t.true(out.rekeyNeeded);
  t.deepEqual(out.drainEvents(), [{ type: 'soft-expired', spi: keys.spi, direction: 'out', cause: 'seq' }]);
  t.true(seal(out, inner).ok);
  t.deepEqual(out.drainEvents(), [], 'soft is reported once');

  const end = new EspSa({ ...keys, direction: 'out', lastSeq: SEQ_MAX - 1 });
  const last = seal(end, inner);
  if (!last.ok) return t.fail(last.reason);
  t.is(last.packet.readUInt32BE(4), SEQ_MAX);
  t.deepEqual(end.drainEvents().map((e) => `${e.type}:${e.cause}`), ['soft-expired:seq', 'hard-expired:seq']);
  t.deepEqual(seal(end, inner), { ok: false, reason: 'seq-exhausted' });
  t.deepEqual(seal(end, inner), { ok: false, reason: 'seq-exhausted' });
  t.is(end.drops['seq-exhausted'], 2);
  t.is(end.seq, SEQ_MAX, 'the counter never wraps');
  t.deepEqual(end.drainEvents(), []);

  // The receiver accepts the last number.
  const inb = new EspSa({ ...keys, direction: 'in' });
  t.true(open(inb, last.packet).ok);
});

test('packet lifetime: soft then hard reported once each, later packets dropped as lifetime-expired', (t) => {
  const { out, in: inb } = pair(saKeys(SUITES[4]!), { lifetime: { softPackets: 3, hardPackets: 5 } });
  const inner = ipPacket(4, 100);
  const sent: Buffer[] = [];
  for (let i = 1; i <= 5; i++) {
    const r = seal(out, inner);
    if (!r.ok) return t.fail(r.reason);
    sent.push(r.packet);
    if (i === 2) t.deepEqual(out.drainEvents(), []);
    if (i === 3) t.deepEqual(out.drainEvents(), [{ type: 'soft-expired', spi: out.spi, direction: 'out', cause: 'packets' }]);
  }
  t.deepEqual(out.drainEvents(), [{ type: 'hard-expired', spi: out.spi, direction: 'out', cause: 'packets' }]);
  t.deepEqual(seal(out, inner), { ok: false, reason: 'lifetime-expired' });
  t.is(out.packets, 5);
  t.is(out.drops['lifetime-expired'], 1);

  for (const p of sent) t.true(open(inb, p).ok);
  t.deepEqual(inb.drainEvents().map((e) => `${e.direction}:${e.type}:${e.cause}`), ['in:soft-expired:packets', 'in:hard-expired:packets']);
  const more = forgeLike(out, inner);
  t.deepEqual(open(inb, more), { ok: false, reason: 'lifetime-expired' });
});

function forgeLike(sa: EspSa, inner: Buffer): Buffer {
  // A fresh SA with the same keys continuing after the expired one's numbers.
  const twin = new EspSa({
    spi: sa.spi, direction: 'out', encr: sa.encr.id, integ: sa.integ?.id ?? 0, encrKey: sa.encrKey, integKey: sa.integKey,
    createdAt: 0, lastSeq: sa.seq,
  });
  const r = seal(twin, inner);
  if (!r.ok) throw new Error(r.reason);
  return r.packet;
}

test('byte lifetime: one packet can cross soft and hard; both are reported in order', (t) => {
  const keys = saKeys(SUITES[0]!);
  const out = new EspSa({ ...keys, direction: 'out', lifetime: { softBytes: 250, hardBytes: 300 } });
  t.true(seal(out, ipPacket(4, 200)).ok);
  t.deepEqual(out.drainEvents(), []);
  t.true(seal(out, ipPacket(4, 60)).ok); // 260
  t.deepEqual(out.drainEvents().map((e) => `${e.type}:${e.cause}`), ['soft-expired:bytes']);
  t.true(seal(out, ipPacket(4, 60)).ok); // 320: the crossing packet still goes
  t.deepEqual(out.drainEvents().map((e) => `${e.type}:${e.cause}`), ['hard-expired:bytes']);
  t.deepEqual(seal(out, ipPacket(4, 60)), { ok: false, reason: 'lifetime-expired' });

  const jump = new EspSa({ ...keys, direction: 'out', lifetime: { softBytes: 100, hardBytes: 150 } });
  t.true(seal(jump, ipPacket(4, 400)).ok);
  t.deepEqual(jump.drainEvents().map((e) => `${e.type}:${e.cause}`), ['soft-expired:bytes', 'hard-expired:bytes']);
});

test('configuration errors name what is wrong', (t) => {
  const base = { spi: 0x1234, direction: 'out' as const, createdAt: 0 };
  const e1 = t.throws(() => new EspSa({ ...base, encr: EncrId.AES_GCM_16, integ: 0, encrKey: Buffer.alloc(16) }), { instanceOf: EspSaConfigError });
  t.regex(e1!.message, /AES-GCM needs 20, 28, 36 bytes of key material, got 16/);
  t.throws(() => new EspSa({ ...base, encr: EncrId.AES_GCM_16, integ: IntegId.HMAC_SHA1_96, encrKey: Buffer.alloc(20), integKey: Buffer.alloc(20) }), { message: /integrity must be NONE/ });
  t.throws(() => new EspSa({ ...base, encr: EncrId.NULL, integ: 0, encrKey: Buffer.alloc(0) }), { message: /protects nothing/ });
  t.throws(() => new EspSa({ ...base, encr: EncrId.AES_CBC, integ: IntegId.HMAC_SHA2_256_128, encrKey: Buffer.alloc(16), integKey: Buffer.alloc(20) }), { message: /32-byte integrity key, got 20/ });
  t.throws(() => new EspSa({ ...base, spi: 17, encr: EncrId.AES_GCM_16, integ: 0, encrKey: Buffer.alloc(20) }), { message: /SPI must be/ });
  t.throws(() => new EspSa({ ...base, encr: EncrId.AES_CBC, encrKeyBits: 256, integ: 2, integKey: Buffer.alloc(20), encrKey: Buffer.alloc(16) }), { message: /does not match/ });
  t.throws(() => new EspSa({ ...base, direction: 'in', replayWindow: 5000, encr: EncrId.AES_GCM_16, integ: 0, encrKey: Buffer.alloc(20) }), { message: /replay window/ });
  t.throws(() => new EspSa({ ...base, encr: EncrId.CHACHA20_POLY1305, integ: 0, encrKey: Buffer.alloc(36) }), { message: /not supported/ });
});

test('snapshot() gives show output its fields and no key material', (t) => {
  const keys = saKeys(SUITES[5]!, 0xc0ffee);
  const { out, in: inb } = pair(keys, { lifetime: { hardBytes: 1_000_000 } });
  const r = seal(out, ipPacket(4, 100));
  if (!r.ok) return t.fail();
  open(inb, r.packet);
  open(inb, r.packet);
  t.deepEqual(inb.snapshot(), {
    spi: '0x00c0ffee', direction: 'in', encryption: 'AES-CBC-192', integrity: 'SHA256', packets: 1, bytes: 100,
    drops: { replay: 1 }, seq: 1, replayWindow: 64, createdAt: 0, lifetime: { hardBytes: 1_000_000 }, rekeyNeeded: false, hardExpired: false,
  });
  t.is(out.snapshot().seq, 1);
  t.false(JSON.stringify(inb.snapshot()).includes(keys.encrKey.toString('hex')));
});

test('seal refuses what is not an IP packet', (t) => {
  const out = new EspSa({ ...saKeys(SUITES[0]!), direction: 'out' });
  t.deepEqual(seal(out, Buffer.from([0x00, 1, 2, 3])), { ok: false, reason: 'not-ip' });
  t.deepEqual(seal(out, Buffer.alloc(0)), { ok: false, reason: 'not-ip' });
  t.is(out.drops['not-ip'], 2);
  t.is(out.seq, 0, 'no sequence number is used for a refused packet');
});
