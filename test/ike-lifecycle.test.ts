// IKE SA life after IKE_AUTH, in memory under a virtual clock: CHILD and IKE rekey (and every
// collision case of RFC 7296 2.8 and 2.25), DPD, delete, retransmission and give-up, duplicate and
// reordered requests, fragmentation, the configuration payload and malformed input.

import test from 'ava';
import { pair, eventsOf, messages } from './helpers/ike.ts';
import { ExchangeType } from '../engine/ike/constants.ts';
import type { Datagram } from '../engine/ike/actions.ts';
import type { SimNode } from '../engine/sim/virtual-network.ts';
import { decodeHeader } from '../engine/ike/codec/header.ts';

function header(d: Datagram) {
  const raw = d.local.port === 500 ? d.data : d.data.subarray(4);
  return decodeHeader(raw);
}

function isExchange(d: Datagram, ex: ExchangeType, response?: boolean): boolean {
  if (d.data.length < 28 || (d.local.port !== 500 && d.data.readUInt32BE(0) !== 0)) return false;
  const h = header(d);
  return h.exchangeType === ex && (response === undefined || h.response === response);
}

const live = (n: SimNode) => n.engine.ikeSas().filter((s) => s.state !== 'DELETED');
const children = (n: SimNode) => live(n).flatMap((s) => s.children);

test('CHILD rekey: new SPIs, the old pair deleted, outbound switches atomically on the initiator and after the delete on the responder', (t) => {
  const p = pair({ initiator: { pfsGroup: 14 }, responder: { pfsGroup: 14 } });
  p.up();
  const old = children(p.spoke)[0]!;
  t.true(p.spoke.engine.rekeyChild(old.id, p.net.now));
  p.net.settle(100);
  const now = children(p.spoke);
  t.is(now.length, 1);
  t.not(now[0]!.spiIn, old.spiIn);
  t.is(now[0]!.pfsGroup, 14, 'PFS group negotiated in the rekey');
  t.is(children(p.hub).length, 1);
  t.is(children(p.hub)[0]!.spiOut, now[0]!.spiIn);
  const create = messages(p.spoke, 'out').find((m) => m.exchange === 'CREATE_CHILD_SA')!;
  t.regex(create.payloads, /^NOTIFY\(REKEY_SA\) SA N KE TSi TSr/);
  // Data plane: initiator installed the new SA replacing the old one; responder waited for the delete.
  const iInstall = p.spoke.actions.find((a) => a.type === 'install-child' && a.child.replaces !== undefined);
  t.truthy(iInstall);
  const rInstall = p.hub.actions.filter((a) => a.type === 'install-child').at(-1);
  t.true(rInstall?.type === 'install-child' && rInstall.child.deferOutbound === true);
  const rActivate = p.hub.actions.findIndex((a) => a.type === 'activate-outbound');
  const rRemove = p.hub.actions.findIndex((a) => a.type === 'remove-child');
  t.true(rActivate >= 0 && rActivate < rRemove, 'responder activates the new outbound SA before the old one goes');
  t.deepEqual([...p.hub.installed.values()].map((c) => c.outboundActive), [true]);
  t.deepEqual(p.spoke.removed, [old.id]);
});

test('CHILD SA lifetime drives the rekey (with jitter) before expiry', (t) => {
  const p = pair({ initiator: { ipsecLifetime: 120 }, responder: { ipsecLifetime: 3600 } });
  p.up();
  const first = children(p.spoke)[0]!;
  p.net.advance(120_000);
  const after = children(p.spoke);
  t.is(after.length, 1);
  t.not(after[0]!.spiIn, first.spiIn, 'rekeyed before the 120 s lifetime ended');
  t.true(eventsOf(p.spoke, 'child-rekeyed').length >= 1);
  t.is(eventsOf(p.spoke, 'child-deleted').filter((e) => /hard lifetime/.test(e.text)).length, 0);
});

test('IKE rekey: a new IKE SA keyed from SK_d, CHILD SAs move to it, the old one is deleted by the initiator', (t) => {
  const p = pair();
  p.up();
  const oldI = live(p.spoke)[0]!;
  const childBefore = oldI.children[0]!;
  t.true(p.spoke.engine.rekeyIke(oldI.id, p.net.now));
  p.net.settle(100);
  const i = live(p.spoke), r = live(p.hub);
  t.is(i.length, 1);
  t.is(r.length, 1);
  t.not(i[0]!.spiI, oldI.spiI);
  t.is(i[0]!.spiI, r[0]!.spiI);
  t.is(i[0]!.children[0]!.spiIn, childBefore.spiIn, 'the CHILD SA moved unchanged');
  t.is(eventsOf(p.spoke, 'ike-rekeyed').length, 1);
  t.is(eventsOf(p.hub, 'ike-rekeyed').length, 1);
  t.deepEqual(p.spoke.keys.at(-1)!.skEi, p.hub.keys.at(-1)!.skEi, 'both derived the same new keys');
  // The new SA works: DPD over it is answered.
  t.true(p.spoke.engine.dpd(i[0]!.id, p.net.now));
  p.net.settle(100);
  t.is(eventsOf(p.spoke, 'dpd-ok').length, 1);
  // Rekey message: SA with the new SPI, Nonce, KE.
  t.regex(messages(p.spoke, 'out').find((m) => m.exchange === 'CREATE_CHILD_SA')!.payloads, /^SA N KE$/);
  // Message IDs restart at 0 on the new SA: the DPD above was its message 0.
  t.is(live(p.spoke)[0]!.localNextMsgId, 1);
});

test('collision: simultaneous CHILD rekey from both sides leaves exactly one new CHILD SA on both (RFC 7296 2.8.1)', (t) => {
  for (const seed of ['c1', 'c2', 'c3', 'c4']) {
    const p = pair({ seed });
    p.up();
    const ci = children(p.spoke)[0]!, cr = children(p.hub)[0]!;
    p.spoke.engine.rekeyChild(ci.id, p.net.now);
    p.hub.engine.rekeyChild(cr.id, p.net.now);
    p.net.settle(200);
    const a = children(p.spoke), b = children(p.hub);
    t.is(a.length, 1, `${seed}: one CHILD SA left on the initiator`);
    t.is(b.length, 1, `${seed}: one CHILD SA left on the responder`);
    t.is(a[0]!.spiIn, b[0]!.spiOut, `${seed}: SPIs pair up`);
    t.not(a[0]!.spiIn, ci.spiIn);
    t.is(eventsOf(p.spoke, 'collision').length + eventsOf(p.hub, 'collision').length, 2, `${seed}: both sides saw the collision`);
    t.deepEqual([...p.spoke.installed.values()].map((c) => c.outboundActive), [true]);
    t.deepEqual([...p.hub.installed.values()].map((c) => c.outboundActive), [true]);
  }
});

test('collision: CHILD rekey meets a delete of the same CHILD SA (RFC 7296 2.25.1)', (t) => {
  const p = pair();
  p.up();
  const ci = children(p.spoke)[0]!, cr = children(p.hub)[0]!;
  p.spoke.engine.rekeyChild(ci.id, p.net.now);
  p.hub.engine.deleteChild(cr.id, p.net.now);
  p.net.settle(200);
  t.is(children(p.spoke).length, 0, 'initiator forgot its rekey and deleted what it created');
  t.is(children(p.hub).length, 0);
  t.true(eventsOf(p.spoke, 'collision').length + eventsOf(p.hub, 'collision').length >= 1);
  t.is(live(p.spoke).length, 1, 'the IKE SA stays');
});

test('collision: simultaneous IKE rekey leaves one new IKE SA holding the CHILD SA (RFC 7296 2.8.2)', (t) => {
  for (const seed of ['i1', 'i2', 'i3']) {
    const p = pair({ seed });
    p.up();
    const si = live(p.spoke)[0]!, sr = live(p.hub)[0]!;
    p.spoke.engine.rekeyIke(si.id, p.net.now);
    p.hub.engine.rekeyIke(sr.id, p.net.now);
    p.net.settle(500);
    const a = live(p.spoke), b = live(p.hub);
    t.is(a.length, 1, `${seed}: one IKE SA on the initiator`);
    t.is(b.length, 1, `${seed}: one IKE SA on the responder`);
    t.is(a[0]!.spiI, b[0]!.spiI);
    t.not(a[0]!.spiI, si.spiI);
    t.is(a[0]!.children.length, 1);
    t.is(b[0]!.children.length, 1);
    t.true(eventsOf(p.spoke, 'collision').length + eventsOf(p.hub, 'collision').length >= 2);
    p.spoke.engine.dpd(a[0]!.id, p.net.now);
    p.net.settle(100);
    t.is(eventsOf(p.spoke, 'dpd-ok').length, 1, `${seed}: the surviving SA works`);
  }
});

test('collision: IKE rekey meets an IKE delete, and a rekey during a CHILD rekey gets TEMPORARY_FAILURE (RFC 7296 2.25.2)', (t) => {
  const p = pair();
  p.up();
  p.spoke.engine.rekeyIke(live(p.spoke)[0]!.id, p.net.now);
  p.hub.engine.deleteIke(live(p.hub)[0]!.id, p.net.now);
  p.net.settle(500);
  t.is(live(p.spoke).length, 0, 'the delete wins');
  t.is(live(p.hub).length, 0);

  const q = pair({ seed: 'tf' });
  q.up();
  q.spoke.engine.rekeyChild(children(q.spoke)[0]!.id, q.net.now);
  q.hub.engine.rekeyIke(live(q.hub)[0]!.id, q.net.now);
  q.net.settle(3000);
  t.truthy(eventsOf(q.spoke, 'collision').find((e) => /TEMPORARY_FAILURE/.test(e.text)), 'the IKE rekey was refused while a CHILD rekey ran');
  t.is(live(q.spoke).length, 1);
  t.is(live(q.hub).length, 1);
  t.is(live(q.spoke)[0]!.spiI, live(q.hub)[0]!.spiI, 'the retried IKE rekey completed afterwards');
  t.not(eventsOf(q.hub, 'ike-rekeyed').length, 0);
});

test('DPD: a silent peer is declared dead exactly interval x retries after the first check (virtual time)', (t) => {
  const dpd = { interval: 10, retries: 3, mode: 'periodic' as const };
  const p = pair({ initiator: { dpd }, responder: { dpd } });
  p.up();
  const silencedAt = p.net.now;
  p.net.addFilter(() => 'drop'); // blackhole both ways
  p.net.runUntil(() => eventsOf(p.spoke, 'dpd-timeout').length > 0, 120_000);
  const first = eventsOf(p.spoke, 'dpd-sent')[0]!.time;
  const dead = eventsOf(p.spoke, 'dpd-timeout')[0]!.time;
  t.is(dead - first, 30_000, 'dead exactly 10 s x 3 after the first liveness check');
  t.true(first - silencedAt <= 10_000, 'the first check goes out within one interval');
  t.is(eventsOf(p.spoke, 'retransmit').length, 2);
  t.is(live(p.spoke).length, 0);
  t.is(p.spoke.installed.size, 0, 'CHILD SAs removed from the data plane');
  p.net.runUntil(() => eventsOf(p.hub, 'dpd-timeout').length > 0, 120_000);
  t.is(live(p.hub).length, 0, 'the hub detects it too');
});

test('DPD on-demand only probes when we sent traffic and got none back; periodic probes an idle peer', (t) => {
  const p = pair({ initiator: { dpd: { interval: 5, retries: 2, mode: 'on-demand' } } });
  p.up();
  p.net.advance(30_000);
  t.is(eventsOf(p.spoke, 'dpd-sent').length, 0, 'idle and on-demand: no probe');
  const sa = live(p.spoke)[0]!;
  p.spoke.engine.noteTraffic(sa.id, false, true, p.net.now);
  p.net.advance(6_000);
  t.is(eventsOf(p.spoke, 'dpd-sent').length, 1);
  t.is(eventsOf(p.spoke, 'dpd-ok').length, 1);

  const q = pair({ initiator: { dpd: { interval: 5, retries: 2, mode: 'periodic' } }, seed: 'periodic' });
  q.up();
  q.net.advance(21_000);
  t.is(eventsOf(q.spoke, 'dpd-sent').length, 4);
});

test('delete: IKE delete from either side removes the IKE SA and every CHILD SA on both', (t) => {
  for (const side of ['spoke', 'hub'] as const) {
    const p = pair({ seed: side });
    p.up();
    const n = p[side];
    n.engine.deleteIke(live(n)[0]!.id, p.net.now);
    p.net.settle(100);
    t.is(live(p.spoke).length, 0);
    t.is(live(p.hub).length, 0);
    t.is(p.spoke.installed.size + p.hub.installed.size, 0);
    t.regex(messages(n, 'out').at(-1)!.payloads, /^DELETE$/);
  }
});

test('delete: a CHILD delete answers with the other half of the pair and keeps the IKE SA', (t) => {
  const p = pair();
  p.up();
  p.hub.engine.deleteChild(children(p.hub)[0]!.id, p.net.now);
  p.net.settle(100);
  t.is(children(p.spoke).length, 0);
  t.is(children(p.hub).length, 0);
  t.is(live(p.spoke).length, 1);
  t.regex(messages(p.spoke, 'out').at(-1)!.payloads, /^DELETE$/, 'responder answers with its own Delete');
});

test('retransmission with exponential backoff, then give-up', (t) => {
  const p = pair({ settings: { retransmitTimeout: 2, retransmitBase: 2, retransmitTries: 3 } });
  p.net.addFilter((d) => (d.remote.address === p.hub.address ? 'drop' : 'pass'));
  p.initiate();
  p.net.runUntil(() => eventsOf(p.spoke, 'timeout').length > 0, 60_000);
  const rt = eventsOf(p.spoke, 'retransmit').map((e) => e.time);
  const start = eventsOf(p.spoke, 'ike-initiate')[0]!.time;
  t.deepEqual(rt.map((x) => x - start), [2000, 6000, 14000], 'retransmits at 2, 2+4, 2+4+8 s');
  t.is(eventsOf(p.spoke, 'timeout')[0]!.time - start, 30000, 'gives up 16 s after the last retransmission');
  t.is(live(p.spoke).length, 0);
});

test('connect auto: after a give-up the connection is re-initiated and comes up once the path is back', (t) => {
  const p = pair({ auto: true, settings: { retransmitTimeout: 1, retransmitBase: 1, retransmitTries: 2 } });
  const remove = p.net.addFilter((d) => (d.remote.address === p.hub.address ? 'drop' : 'pass'));
  p.conn.retryDelay = 2;
  p.initiate();
  p.net.advance(10_000);
  t.true(eventsOf(p.spoke, 'ike-initiate').length >= 2, 'kept trying');
  remove();
  t.true(p.net.runUntil(p.established, 20_000));
});

test('a duplicate request gets the cached response and changes nothing; reordered requests inside the window are processed', (t) => {
  const p = pair();
  p.up();
  // Duplicate: replay the spoke's IKE_AUTH request to the hub.
  const authReq = p.spoke.sent.find((d) => isExchange(d, ExchangeType.IKE_AUTH, false))!;
  const hubSentBefore = p.hub.sent.length;
  p.hub.engine.handleDatagram({ local: authReq.remote, remote: authReq.local, data: authReq.data }, p.net.now);
  p.net.flush();
  t.is(p.hub.sent.length, hubSentBefore + 1, 'one response sent again');
  t.deepEqual(p.hub.sent.at(-1)!.data, p.hub.sent.find((d) => isExchange(d, ExchangeType.IKE_AUTH, true))!.data, 'byte for byte the cached response');
  t.is(live(p.hub).length, 1);
  t.is(children(p.hub).length, 1, 'no second CHILD SA');
  t.is(p.hub.engine.counterSnapshot()['retransmitted-requests'], 1);

  // Reordering: the spoke (window 5) sends two requests; the network swaps them.
  const held: Datagram[] = [];
  const stop = p.net.addFilter((d) => {
    if (d.local.address === p.spoke.address && isExchange(d, ExchangeType.INFORMATIONAL, false) && held.length === 0) {
      held.push(d);
      return 'drop';
    }
    return 'pass';
  });
  const sa = live(p.spoke)[0]!;
  p.spoke.engine.dpd(sa.id, p.net.now);
  p.spoke.engine.rekeyChild(children(p.spoke)[0]!.id, p.net.now);
  p.net.settle(5);
  stop();
  // Deliver the held INFORMATIONAL (message 2) after the CREATE_CHILD_SA (message 3).
  p.hub.engine.handleDatagram({ local: held[0]!.remote, remote: held[0]!.local, data: held[0]!.data }, p.net.now);
  p.net.settle(200);
  t.is(eventsOf(p.spoke, 'dpd-ok').length, 1);
  t.is(eventsOf(p.spoke, 'child-rekeyed').length, 1);
  t.is(live(p.hub)[0]!.remoteNextMsgId, 5, 'requests 2, 3 and the delete 4 all processed');
});

test('IKE fragmentation (RFC 7383) with certificates at a 576-byte limit: fragments sent, reassembled, SA up', (t) => {
  const p = pair({
    settings: { fragmentationMtu: 576 },
    initiator: { auth: 'rsa', certName: 'spoke1-rsa', identity: { type: 'fqdn', value: 'spoke1.flexlab.test' } },
    responder: { auth: 'rsa', certName: 'hub-rsa', identity: { type: 'fqdn', value: 'hub.flexlab.test' } },
  });
  p.up();
  const auth = messages(p.spoke, 'out').find((m) => m.exchange === 'IKE_AUTH')!;
  t.true(auth.fragments >= 3, `IKE_AUTH request split into ${auth.fragments} fragments`);
  const resp = messages(p.hub, 'out').find((m) => m.exchange === 'IKE_AUTH')!;
  t.true(resp.fragments >= 3);
  for (const d of [...p.spoke.sent, ...p.hub.sent]) t.true(d.data.length + 28 <= 576, `datagram of ${d.data.length} bytes fits 576 with IP/UDP headers`);
  t.is(eventsOf(p.hub, 'reassembled').length, 1);
  t.is(eventsOf(p.spoke, 'reassembled').length, 1);
  t.true(p.hub.engine.ikeSas()[0]!.fragmentation.peerSupports);
});

test('IKE fragmentation: an incomplete fragment set is discarded after the timeout and the retransmission completes it', (t) => {
  const p = pair({
    settings: { fragmentationMtu: 576, retransmitTimeout: 15 },
    initiator: { auth: 'rsa', certName: 'spoke1-rsa', identity: { type: 'fqdn', value: 'spoke1.flexlab.test' } },
    responder: { auth: 'rsa', certName: 'hub-rsa', identity: { type: 'fqdn', value: 'hub.flexlab.test' } },
  });
  let dropped = false;
  p.net.addFilter((d) => {
    // Drop the second fragment of the first IKE_AUTH request once.
    if (!dropped && d.local.address === p.spoke.address && d.local.port === 4500 && d.data.length > 100) {
      const h = header(d);
      if (h.exchangeType === ExchangeType.IKE_AUTH && h.nextPayload === 53 && d.data.readUInt16BE(4 + 28 + 4) === 2) {
        dropped = true;
        return 'drop';
      }
    }
    return 'pass';
  });
  p.up(120_000);
  t.true(dropped);
  t.is(p.hub.engine.counterSnapshot()['drop.fragments-incomplete'], 1);
  t.is(eventsOf(p.spoke, 'retransmit').length, 1);
});

test('configuration payload: the client gets an address from the pool, DNS and routes; the hub accepts announced subnets', (t) => {
  const p = pair({
    initiator: { configMode: { requestAddress: true, announceSubnets: ['172.16.1.0/24'] } },
    responder: { configMode: { pool: '10.0.0.0/24', routeSet: ['192.168.10.0/24'], routeSetInterface: '10.0.0.1', dns: ['10.0.1.1'], defaultDomain: 'flexlab.test', routeAccept: true } },
  });
  p.up();
  const i = live(p.spoke)[0]!, r = live(p.hub)[0]!;
  t.is(i.receivedConfig!.address4, '10.0.0.2');
  t.deepEqual(i.receivedConfig!.dns, ['10.0.1.1']);
  t.deepEqual(i.receivedConfig!.subnets, ['10.0.0.1/32', '192.168.10.0/24']);
  t.is(i.receivedConfig!.defaultDomain, undefined, 'a standard client gets no Cisco Unity attributes (F-CFG-01)');
  t.is(r.assignedAddress, '10.0.0.2');
  t.deepEqual(r.assignedConfig!.peerSubnets, ['172.16.1.0/24']);
  // Without FLEXVPN-SUPPORTED the responder narrows TSi to the assigned address.
  t.deepEqual(r.children[0]!.remoteTs, ['10.0.0.2/32']);
  t.deepEqual(i.children[0]!.localTs, ['10.0.0.2/32']);
  // The lease goes back to the pool with the SA.
  p.hub.engine.deleteIke(r.id, p.net.now);
  p.net.settle(100);
  t.is(p.hub.engine.pools.all()[0]!.inUse, 0);
});

test('a FlexVPN peer (FLEXVPN-SUPPORTED vendor ID) keeps any/any selectors with config mode', (t) => {
  const p = pair({
    initiator: { configMode: { requestAddress: true }, vendorIds: [Buffer.from('FLEXVPN-SUPPORTED')] },
    responder: { configMode: { pool: '10.0.0.0/24', defaultDomain: 'flexlab.test', splitDns: ['corp.flexlab.test'] } },
  });
  p.up();
  t.deepEqual(live(p.hub)[0]!.children[0]!.remoteTs, ['0.0.0.0/0', '::/0']);
  const got = live(p.spoke)[0]!.receivedConfig!;
  t.is(got.defaultDomain, 'flexlab.test', 'a Cisco client gets the Unity default domain');
  t.deepEqual(got.splitDns, ['corp.flexlab.test']);
});

test('malformed and forged input is counted and dropped, never thrown', (t) => {
  const p = pair();
  p.up();
  const hub = p.hub.engine;
  const from = { address: p.spoke.address, port: 4500 }, to = { address: p.hub.address, port: 4500 };
  const authReq = p.spoke.sent.find((d) => isExchange(d, ExchangeType.IKE_AUTH, false))!;
  const cases: Array<[string, Buffer, number]> = [
    ['short', Buffer.from([0, 0, 0, 0, 1, 2, 3]), 4500],
    ['garbage header', Buffer.concat([Buffer.alloc(4), Buffer.alloc(40, 0xab)]), 4500],
    ['unknown SPI', (() => { const b = Buffer.from(authReq.data); b.writeUInt32BE(0xdeadbeef, 4 + 8); return b; })(), 4500],
    ['tampered ICV', (() => { const b = Buffer.from(authReq.data); b[b.length - 1]! ^= 1; const h = b.readUInt32BE(4 + 20); b.writeUInt32BE(h + 10, 4 + 20); return b; })(), 4500],
    ['ESP on the IKE path', Buffer.from([0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1]), 4500],
    ['IKE_SA_INIT with a critical unknown payload', (() => {
      const init = Buffer.from(p.spoke.sent[0]!.data);
      init[16] = 200; // next payload: unknown type... marked critical below
      init[28 + 1] |= 0x80;
      init.writeUInt32BE(0x77777777, 0);
      return init;
    })(), 500],
  ];
  for (const [name, data, port] of cases) {
    t.notThrows(() => hub.handleDatagram({ local: { ...to, port }, remote: { ...from, port }, data }, p.net.now), name);
  }
  p.net.flush();
  const c = hub.counterSnapshot();
  t.truthy(c['drop.parse.TRUNCATED'] ?? c['drop.parse.BAD_LENGTH'], 'short input counted');
  t.is(c['drop.unknown-spi'], 1);
  t.true((c['drop.esp-on-ike-path'] ?? 0) >= 1);
  t.truthy(c['drop.parse.UNSUPPORTED_CRITICAL_PAYLOAD'], 'critical unknown payload counted');
  t.truthy(p.hub.sent.find((d) => d.data.includes(Buffer.from([0x00, 0x01]))), 'UNSUPPORTED_CRITICAL_PAYLOAD answered');
  t.is(live(p.hub).length, 1, 'the established SA is untouched');
  // Random bytes on both ports never throw.
  for (let i = 0; i < 2000; i++) {
    const len = (i * 7919) % 300;
    const data = Buffer.alloc(len);
    for (let j = 0; j < len; j++) data[j] = (i * 31 + j * 17) & 0xff;
    if (i % 2 && len >= 4) data.writeUInt32BE(0, 0);
    t.notThrows(() => hub.handleDatagram({ local: { ...to, port: i % 3 ? 4500 : 500 }, remote: from, data }, p.net.now));
  }
});
