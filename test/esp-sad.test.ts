// SecurityAssociationDatabase: inbound lookup by SPI, outbound selection by traffic selectors and by
// the per-interface fast path, the atomic outbound switch of a CHILD_SA rekey, inbound selector
// checks and lifetime events gathered from every SA.

import test from 'ava';
import { TsType } from '../engine/ike/constants.ts';
import type { TrafficSelector } from '../engine/ike/message.ts';
import { EspSa, SecurityAssociationDatabase, SpdEntry, espSpi, seal } from '../engine/esp/index.ts';
import { SUITES, ipPacket, saKeys } from './helpers/esp-forge.ts';

const ts4 = (start: string, end: string, ipProtocol = 0, startPort = 0, endPort = 65535): TrafficSelector =>
  ({ tsType: TsType.TS_IPV4_ADDR_RANGE, ipProtocol, startPort, endPort, startAddr: start, endAddr: end });
const ts6 = (start: string, end: string): TrafficSelector =>
  ({ tsType: TsType.TS_IPV6_ADDR_RANGE, ipProtocol: 0, startPort: 0, endPort: 65535, startAddr: start, endAddr: end });

/** IPv4 UDP packet from src:sport to dst:dport. */
function udp4(src: string, dst: string, sport = 1000, dport = 2000, protocol = 17): Buffer {
  const p = ipPacket(4, 40);
  Buffer.from(src.split('.').map(Number)).copy(p, 12);
  Buffer.from(dst.split('.').map(Number)).copy(p, 16);
  p[9] = protocol;
  p.writeUInt16BE(sport, 20);
  p.writeUInt16BE(dport, 22);
  return p;
}

function saPair(spi: number, lifetime = {}) {
  const keys = { ...saKeys(SUITES[0]!, spi), lifetime };
  return { out: new EspSa({ ...keys, direction: 'out' }), in: new EspSa({ ...keys, direction: 'in' }) };
}

test('inbound: lookup by SPI, unknown SPI counted by the SAD, duplicates refused', (t) => {
  const sad = new SecurityAssociationDatabase();
  const a = saPair(0x1111);
  sad.addInbound(a.in);
  const r = seal(a.out, ipPacket(4, 60));
  if (!r.ok) return t.fail();
  const o = sad.open(r.packet);
  t.true(o.ok && o.sa === a.in && o.inner.equals(ipPacket(4, 60)));

  const stranger = saPair(0x2222);
  const s = seal(stranger.out, ipPacket(4, 60));
  if (!s.ok) return t.fail();
  t.deepEqual(sad.open(s.packet), { ok: false, reason: 'unknown-spi' });
  t.deepEqual(sad.open(Buffer.alloc(3)), { ok: false, reason: 'unknown-spi' });
  t.is(sad.drops['unknown-spi'], 2);

  t.throws(() => sad.addInbound(new EspSa({ ...saKeys(SUITES[0]!, 0x1111), direction: 'in' })), { message: /already installed/ });
  t.throws(() => sad.addInbound(a.out), { message: /outbound/ });
  t.is(sad.removeInbound(0x1111), a.in);
  t.deepEqual(sad.open(r.packet), { ok: false, reason: 'unknown-spi' });
});

test('outbound: traffic selectors pick the policy; protocol and ports count; IPv6; no policy is a counted drop', (t) => {
  const sad = new SecurityAssociationDatabase();
  const dns = saPair(0x3001), net = saPair(0x3002), v6 = saPair(0x3003);
  sad.addPolicy({ name: 'dns', localTs: [ts4('10.1.0.0', '10.1.255.255')], remoteTs: [ts4('10.3.0.53', '10.3.0.53', 17, 53, 53)], outSa: dns.out });
  sad.addPolicy({ name: 'net', localTs: [ts4('10.1.0.0', '10.1.255.255')], remoteTs: [ts4('10.2.0.0', '10.3.255.255')], outSa: net.out });
  sad.addPolicy({ name: 'v6', localTs: [ts6('2001:db8::', '2001:db8::ffff')], remoteTs: [ts6('2001:db8:0:1::', '2001:db8:0:1:ffff:ffff:ffff:ffff')], outSa: v6.out });

  t.is(sad.lookupOutbound(udp4('10.1.2.3', '10.3.0.53', 4000, 53))?.name, 'dns');
  t.is(sad.lookupOutbound(udp4('10.1.2.3', '10.3.0.53', 4000, 54))?.name, 'net', 'other port: next policy');
  t.is(sad.lookupOutbound(udp4('10.1.2.3', '10.3.0.53', 4000, 53, 6))?.name, 'net', 'TCP is not UDP');
  t.is(sad.lookupOutbound(udp4('10.1.2.3', '10.2.9.9'))?.name, 'net');
  t.is(sad.lookupOutbound(udp4('10.1.2.3', '10.4.0.1')), undefined);
  t.is(sad.lookupOutbound(udp4('10.9.2.3', '10.2.0.1')), undefined, 'source outside localTs');
  t.is(sad.lookupOutbound(ipPacket(6, 60))?.name, 'v6');

  const r = sad.seal(udp4('10.1.2.3', '10.2.0.7'));
  t.true(r.ok && r.sa === net.out && espSpi(r.packet) === 0x3002);
  t.deepEqual(sad.seal(udp4('10.1.2.3', '10.4.0.1')), { ok: false, reason: 'no-policy' });
  t.is(sad.drops['no-policy'], 1);

  // Fast path: the entry (a TUN interface's tunnel) is given: no SPD search, but its own selectors
  // still hold (a narrowed CHILD SA takes no other traffic of the interface).
  const entry = sad.policyEntries[0]!;
  const fast = sad.seal(udp4('10.1.2.3', '10.3.0.53', 4000, 53), entry);
  t.true(fast.ok && fast.sa === dns.out);
  t.deepEqual(sad.seal(udp4('192.168.0.1', '192.168.0.2'), entry), { ok: false, reason: 'policy-mismatch' });
  t.is(sad.drops['policy-mismatch'], 1);
  t.is(sad.seal(ipPacket(4, 40), new SpdEntry({ localTs: [], remoteTs: [] })).ok, false, 'an entry without SA drops');
});

test('CHILD_SA rekey: the outbound switch is atomic and the old inbound SA keeps working until removed', (t) => {
  const alice = new SecurityAssociationDatabase(), bob = new SecurityAssociationDatabase();
  const old = saPair(0x4001), fresh = saPair(0x4002);
  const tunnel = alice.addPolicy({ name: 'Tunnel0', localTs: [ts4('0.0.0.0', '255.255.255.255')], remoteTs: [ts4('0.0.0.0', '255.255.255.255')], outSa: old.out });
  bob.addInbound(old.in);

  const inFlight: Buffer[] = [];
  const spis: number[] = [];
  for (let i = 0; i < 100; i++) {
    if (i === 50) {
      bob.addInbound(fresh.in); // responder installs the new inbound SA first (RFC 7296 2.8)
      t.is(alice.switchOutbound(tunnel, fresh.out), old.out);
    }
    const r = alice.seal(ipPacket(4, 40 + i), tunnel);
    if (!r.ok) return t.fail(r.reason);
    spis.push(espSpi(r.packet));
    inFlight.push(r.packet);
  }
  t.deepEqual(spis, [...Array(50).fill(0x4001), ...Array(50).fill(0x4002)]);
  t.is(old.out.packets, 50);
  t.is(fresh.out.packets, 50);

  // Delivery in a scrambled order across the switch: nothing is lost.
  const order = inFlight.map((p, i) => [p, (i * 37) % 100] as const).sort((a, b) => a[1] - b[1]).map(([p]) => p);
  let delivered = 0;
  for (const p of order) if (bob.open(p).ok) delivered++;
  t.is(delivered, 100);

  t.is(bob.removeInbound(0x4001), old.in);
  t.deepEqual(bob.open(inFlight[0]!), { ok: false, reason: 'unknown-spi' });
  t.is(bob.inbound(0x4002), fresh.in);
});

test('inbound selectors: a decapsulated packet outside the SA\'s selectors is dropped and counted', (t) => {
  const sad = new SecurityAssociationDatabase();
  const a = saPair(0x5001);
  const policy = new SpdEntry({ localTs: [ts4('10.1.0.0', '10.1.255.255')], remoteTs: [ts4('10.2.0.0', '10.2.255.255')] });
  sad.addInbound(a.in, policy);
  const good = seal(a.out, udp4('10.2.0.5', '10.1.0.9'));
  const spoofed = seal(a.out, udp4('10.9.0.5', '10.1.0.9'));
  if (!good.ok || !spoofed.ok) return t.fail();
  t.true(sad.open(good.packet).ok);
  const r = sad.open(spoofed.packet);
  t.false(r.ok);
  if (!r.ok) t.is(r.reason, 'policy-mismatch');
  t.is(a.in.drops['policy-mismatch'], 1);

  // An entry without selectors only names the tunnel: open() hands it back, nothing is filtered.
  const b = saPair(0x5002);
  const tunnel = new SpdEntry({ name: 'Virtual-Access1', localTs: [], remoteTs: [] });
  sad.addInbound(b.in, tunnel);
  const any = seal(b.out, udp4('172.16.0.1', '172.16.0.2'));
  if (!any.ok) return t.fail();
  const o = sad.open(any.packet);
  t.true(o.ok && o.policy === tunnel && o.sa === b.in);
});

test('lifetime events of every installed SA come out of the SAD in order', (t) => {
  const sad = new SecurityAssociationDatabase();
  const a = saPair(0x6001, { softPackets: 1, hardPackets: 2 });
  const entry = sad.addPolicy({ localTs: [], remoteTs: [], outSa: a.out });
  sad.addInbound(a.in);
  const p1 = sad.seal(ipPacket(4, 40), entry);
  const p2 = sad.seal(ipPacket(4, 40), entry);
  if (!p1.ok || !p2.ok) return t.fail();
  sad.open(p1.packet);
  sad.open(p2.packet);
  t.deepEqual(sad.drainEvents().map((e) => `${e.spi.toString(16)}:${e.direction}:${e.type}`), [
    '6001:out:soft-expired', '6001:out:hard-expired', '6001:in:soft-expired', '6001:in:hard-expired',
  ]);
  t.deepEqual(sad.drainEvents(), []);
  t.deepEqual(sad.seal(ipPacket(4, 40), entry), { ok: false, reason: 'lifetime-expired' });
});

test('fast path with any/any selectors: no per-packet check for that IP version, the other version is a mismatch', (t) => {
  const sad = new SecurityAssociationDatabase();
  const a = saPair(0x4001);
  const entry = sad.addPolicy({ name: 'any4', localTs: [ts4('0.0.0.0', '255.255.255.255')], remoteTs: [ts4('0.0.0.0', '255.255.255.255')], outSa: a.out });
  t.deepEqual([...entry.openVersions], [4]);
  t.true(sad.seal(udp4('192.168.0.1', '172.16.9.9'), entry).ok);
  t.deepEqual(sad.seal(ipPacket(6, 60), entry), { ok: false, reason: 'policy-mismatch' });
  const narrow = sad.addPolicy({ name: 'host', localTs: [ts4('0.0.0.0', '255.255.255.255')], remoteTs: [ts4('10.0.0.8', '10.0.0.8')], outSa: a.out });
  t.deepEqual([...narrow.openVersions], []);
});
