// Anti-replay window (RFC 4303 3.4.3): against a reference model for random arrival orders, for
// window sizes from 1 to 4096, directly and end to end through seal/open.

import test from 'ava';
import fc from 'fast-check';
import { EspSa, ReplayWindow, open, seal } from '../engine/esp/index.ts';
import { SUITES, ipPacket, saKeys } from './helpers/esp-forge.ts';

/** The obvious, slow model: a set of everything accepted and the highest number. */
class ModelWindow {
  private readonly seen = new Set<number>();
  private top = 0;
  constructor(private readonly size: number) {}
  offer(seq: number): 'ok' | 'replay' | 'too-old' {
    if (seq === 0) return 'too-old';
    if (seq <= this.top && this.top - seq >= this.size) return 'too-old';
    if (this.seen.has(seq)) return 'replay';
    this.seen.add(seq);
    if (seq > this.top) this.top = seq;
    return 'ok';
  }
}

/** Arrival orders that look like networks: mostly increasing, local reordering, duplicates, jumps. */
const arrivals = (size: number) => fc.array(
  fc.oneof(
    { weight: 5, arbitrary: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 70 })).map((d) => ({ kind: 'next' as const, d })) },
    { weight: 3, arbitrary: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: size + 40 }), fc.constantFrom(size - 1, size, size + 1)).map((d) => ({ kind: 'back' as const, d })) },
    { weight: 1, arbitrary: fc.integer({ min: size - 2, max: size * 3 + 100 }).map((d) => ({ kind: 'jump' as const, d })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'dup' as const, d: 0 }) },
  ),
  { maxLength: 600 },
).map((steps) => {
  const seqs: number[] = [];
  let hi = 0;
  for (const s of steps) {
    if (s.kind === 'next') hi += s.d;
    else if (s.kind === 'jump') hi += s.d;
    const seq = s.kind === 'back' ? Math.max(0, hi - s.d) : s.kind === 'dup' ? seqs.at(-1) ?? 1 : hi;
    seqs.push(seq);
  }
  return seqs;
});

for (const size of [1, 32, 64, 100, 1024, 4096]) {
  test(`window ${size}: accepted set equals the reference model for random arrival orders`, (t) => {
    let runs = 0;
    fc.assert(fc.property(arrivals(size), (seqs) => {
      runs++;
      const w = new ReplayWindow(size);
      const m = new ModelWindow(size);
      for (const seq of seqs) {
        const expected = m.offer(seq);
        if (w.checkAndAccept(seq) !== expected) return false;
      }
      return true;
    }), { numRuns: size >= 1024 ? 150 : 300 });
    t.true(runs >= 150); // fc.assert throws with the counterexample when the models disagree
  });
}

test('window 64: in order, out of order within the window once, duplicates and too-old numbers', (t) => {
  const w = new ReplayWindow(64);
  t.is(w.checkAndAccept(1), 'ok');
  t.is(w.checkAndAccept(3), 'ok');
  t.is(w.checkAndAccept(2), 'ok', 'late but inside the window');
  t.is(w.checkAndAccept(2), 'replay');
  t.is(w.checkAndAccept(100), 'ok');
  t.is(w.checkAndAccept(37), 'ok', '100 - 37 = 63 < 64: the oldest number still inside');
  t.is(w.checkAndAccept(36), 'too-old', '100 - 36 = 64: just outside');
  t.is(w.checkAndAccept(37), 'replay');
  t.is(w.checkAndAccept(0), 'too-old', 'sequence number 0 is never sent');
  t.is(w.top, 100);
  t.is(w.checkAndAccept(100 + 10_000), 'ok', 'a jump larger than the ring clears it');
  t.is(w.checkAndAccept(100), 'too-old');
  t.is(w.checkAndAccept(10_099), 'ok');
});

test('window 1024: check() without accept() leaves the window as it was (forged packets)', (t) => {
  const w = new ReplayWindow(1024);
  for (let i = 1; i <= 2000; i += 2) w.accept(i);
  t.is(w.check(5000), 'ok');
  t.is(w.top, 1999);
  t.is(w.check(1000), 'ok');
  t.is(w.check(1001), 'replay');
  t.is(w.check(975), 'too-old');
  t.is(w.check(976), 'ok');
  t.throws(() => new ReplayWindow(4097), { instanceOf: RangeError });
  t.throws(() => new ReplayWindow(0), { instanceOf: RangeError });
});

for (const size of [64, 1024]) {
  test(`end to end, window ${size}: open() accepts exactly what the model accepts and counts the rest`, (t) => {
    const keys = saKeys(SUITES[0]!);
    fc.assert(fc.property(arrivals(size).map((s) => s.slice(0, 250)), (seqs) => {
      const inb = new EspSa({ ...keys, direction: 'in', replayWindow: size });
      const m = new ModelWindow(size);
      const packets = new Map<number, Buffer>();
      const packetFor = (seq: number) => {
        let p = packets.get(seq);
        if (!p) {
          const r = seal(new EspSa({ ...keys, direction: 'out', lastSeq: seq - 1 }), ipPacket(4, 40));
          if (!r.ok) throw new Error(r.reason);
          packets.set(seq, p = r.packet);
        }
        return p;
      };
      let ok = 0, replay = 0, old = 0;
      for (const seq of seqs.filter((s) => s > 0)) {
        const expected = m.offer(seq);
        const r = open(inb, packetFor(seq));
        const got = r.ok ? 'ok' : r.reason;
        if (got !== expected) return false;
        if (got === 'ok') ok++; else if (got === 'replay') replay++; else old++;
      }
      return inb.packets === ok && inb.drops.replay === replay && inb.drops['too-old'] === old;
    }), { numRuns: 40 });
    t.is(new EspSa({ ...keys, direction: 'in', replayWindow: size }).replay?.size, size);
  });
}

test('replay window 0 disables the check (as "set security-association replay disable")', (t) => {
  const keys = saKeys(SUITES[0]!);
  const out = new EspSa({ ...keys, direction: 'out' });
  const inb = new EspSa({ ...keys, direction: 'in', replayWindow: 0 });
  const r = seal(out, ipPacket(4, 40));
  if (!r.ok) return t.fail();
  t.true(open(inb, r.packet).ok);
  t.true(open(inb, r.packet).ok);
  t.is(inb.replay, undefined);
});
