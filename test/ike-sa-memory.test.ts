// What an established IKE SA keeps: long-lived bytes copied out of Node's shared Buffer pool
// (util/keep-bytes.ts), and the IKE_SA_INIT messages and DH private value released once IKE_AUTH is
// done, while a retransmitted IKE_AUTH request still gets the very same response (RFC 7296 2.1).

import test from 'ava';
import { Buffer } from 'node:buffer';
import { keepBytes } from '../engine/util/keep-bytes.ts';
import { decodeHeader } from '../engine/ike/codec/header.ts';
import { ExchangeType } from '../engine/ike/constants.ts';
import { pair, HUB_ADDR, SPOKE_ADDR } from './helpers/ike.ts';

test('keepBytes copies small values into a slab of its own and large ones into an exact-size buffer', (t) => {
  const small = Buffer.from('0123456789abcdef0123456789abcdef'); // 32 bytes from the shared pool
  t.is(small.buffer.byteLength, Buffer.poolSize, 'precondition: a pooled Buffer');
  const k = keepBytes(small);
  t.deepEqual(k, small);
  t.not(k.buffer, small.buffer, 'does not alias the pool slab');
  small[0] = 0x7a;
  t.is(k[0], 0x30, 'a copy: later writes to the source do not show');
  const k2 = keepBytes(Buffer.from('second value'));
  t.is(k2.toString(), 'second value');
  t.is(k2.byteOffset % 8, 0, '8-byte aligned');
  // Small values share one long-lived slab, packed one after the other (or a fresh slab begins).
  t.true(k2.buffer === k.buffer ? k2.byteOffset >= k.byteOffset + k.length : k2.byteOffset === 0);
  t.not(k2.buffer.byteLength, Buffer.poolSize);
  const big = Buffer.alloc(300, 0xab);
  const kb = keepBytes(big);
  t.deepEqual(kb, big);
  t.is(kb.buffer.byteLength, 300, 'a large value gets exactly its own size');
  t.is(keepBytes(Buffer.alloc(0)).length, 0);
});

test('an established SA drops its IKE_SA_INIT messages and DH state; its keys pin no pool slab', (t) => {
  const p = pair();
  p.up();
  for (const n of [p.spoke, p.hub]) {
    const sa = n.engine.ikeSa(n.engine.ikeSas()[0]!.id)!;
    t.true(sa.isEstablished);
    t.is(sa.initRequest, undefined, `${n.name}: IKE_SA_INIT request released`);
    t.is(sa.initResponse, undefined, `${n.name}: IKE_SA_INIT response released`);
    t.is(sa.kex, undefined, `${n.name}: DH private value released`);
    for (const [name, b] of Object.entries({ ...sa.keys!, spiI: sa.spiI, spiR: sa.spiR, nonceI: sa.nonceI!, nonceR: sa.nonceR! })) {
      t.not(b.buffer.byteLength, Buffer.poolSize, `${n.name}: ${name} is not a view into an 8 KiB pool slab`);
    }
  }
  // Both ends still agree on everything that was derived from the released messages.
  const i = p.spoke.engine.ikeSa(p.spoke.engine.ikeSas()[0]!.id)!;
  const r = p.hub.engine.ikeSa(p.hub.engine.ikeSas()[0]!.id)!;
  t.deepEqual(i.keys, r.keys);
});

test('a retransmitted IKE_AUTH request gets the cached response byte for byte after the release', (t) => {
  const p = pair();
  p.up();
  const isAuth = (d: { data: Buffer }, response: boolean) => {
    const raw = d.data.length > 4 && d.data.readUInt32BE(0) === 0 ? d.data.subarray(4) : d.data;
    const h = decodeHeader(raw);
    return h.exchangeType === ExchangeType.IKE_AUTH && h.response === response;
  };
  const request = p.net.wire.find((w) => w.d.remote.address === HUB_ADDR && isAuth(w.d, false))!.d;
  const response = p.net.wire.find((w) => w.d.remote.address === SPOKE_ADDR && isAuth(w.d, true))!.d;
  t.truthy(request && response);
  p.hub.engine.pollActions();
  p.hub.engine.handleDatagram({ local: request.remote, remote: request.local, data: request.data }, p.net.now + 1000);
  const resent = p.hub.engine.pollActions().filter((a) => a.type === 'send');
  t.is(resent.length, 1);
  t.deepEqual(resent[0]!.type === 'send' && resent[0]!.datagram.data, response.data, 'same bytes as the first response');
  t.is(p.hub.engine.counterSnapshot()['retransmitted-requests'], 1);
});
