// The NAS-side RADIUS client, sans-IO on a virtual clock: 5 s timeout with byte-identical
// retransmissions, failover to the next server (new Identifier, Acct-Delay-Time), dead servers
// skipped, responses matched by server and Identifier and dropped (counted, with a reason) when the
// source, Identifier, Response Authenticator or Message-Authenticator is wrong; F-SRV-08.

import test from 'ava';
import { RadiusClient } from '../engine/radius/client.ts';
import type { RadiusClientAction, RadiusClientOptions } from '../engine/radius/client.ts';
import { RadiusCode } from '../engine/radius/constants.ts';
import { decodeRequest, encodeResponse } from '../engine/radius/message.ts';
import type { RadiusMessage } from '../engine/radius/message.ts';
import type { Datagram } from '../engine/ike/actions.ts';
import { seededRandom } from '../engine/util/random.ts';

const S1 = { name: 'rad1', address: '172.16.1.3', authPort: 1645, acctPort: 1646, secret: 'radius_key' };
const S2 = { name: 'rad2', address: '172.16.1.4', secret: 'other_key' };

function client(extra: Partial<RadiusClientOptions> = {}) {
  return new RadiusClient({ servers: [S1, S2], random: seededRandom('client'), local: { address: '172.16.1.2', port: 51000 }, ...extra });
}

const sends = (a: RadiusClientAction[]) => a.filter((x): x is Extract<RadiusClientAction, { type: 'send' }> => x.type === 'send').map((x) => x.datagram);
const results = (a: RadiusClientAction[]) => a.filter((x) => x.type === 'response' || x.type === 'timeout');
const events = (a: RadiusClientAction[]) => a.filter((x): x is Extract<RadiusClientAction, { type: 'event' }> => x.type === 'event').map((x) => x.event);

function answer(d: Datagram, secret: string, code: RadiusCode, mutate?: (b: Buffer) => void): Datagram {
  const req = decodeRequest(d.data, secret);
  const data = encodeResponse({ code, attributes: [{ name: 'Reply-Message', value: 'ok' }] }, req, { secret });
  mutate?.(data);
  return { local: d.local, remote: d.remote, data };
}

const accessRequest = { code: RadiusCode.AccessRequest, attributes: [{ name: 'User-Name', value: 'router1' }, { name: 'User-Password', value: 'cisco' }, { name: 'Service-Type', value: 'Outbound-User' }] };

test('a request goes to the first server on its auth port, and the verified response comes back', (t) => {
  const c = client();
  const h = c.send(accessRequest, 0);
  const out = c.pollActions();
  const [d] = sends(out);
  t.deepEqual(d!.remote, { address: '172.16.1.3', port: 1645 });
  t.deepEqual(d!.local, { address: '172.16.1.2', port: 51000 });
  t.is(c.pollTimeout(), 5000, 'the seed\'s "Started 5 sec timeout"');
  const req = decodeRequest(d!.data, 'radius_key');
  t.is(req.attributes.find((a) => a.name === 'User-Password')?.value, 'cisco');
  c.handleDatagram(answer(d!, 'radius_key', RadiusCode.AccessAccept), 40);
  const r = results(c.pollActions());
  t.is(r.length, 1);
  const res = r[0]!;
  if (res.type !== 'response') return t.fail();
  t.is(res.handle, h);
  t.is(res.response.code, RadiusCode.AccessAccept);
  t.is(res.server, 'rad1');
  t.is(res.rttMs, 40);
  t.is(c.pollTimeout(), undefined, 'no timer left');
  t.is(c.outstanding, 0);
});

test('retransmissions are byte-identical every 5 s; after the retries the next server takes over', (t) => {
  const c = client();
  c.send(accessRequest, 0);
  const first = sends(c.pollActions())[0]!;
  const times: number[] = [];
  const packets: Datagram[] = [];
  for (let i = 0; i < 4; i++) {
    const at = c.pollTimeout()!;
    c.handleTimeout(at);
    for (const d of sends(c.pollActions())) {
      times.push(at);
      packets.push(d);
    }
  }
  t.deepEqual(times, [5000, 10000, 15000, 20000]);
  t.deepEqual(packets[0]!.data, first.data);
  t.deepEqual(packets[1]!.data, first.data);
  // Third expiry: rad1 is given up, rad2 gets the request (its secret, a new Identifier/authenticator).
  t.deepEqual(packets[2]!.remote, { address: '172.16.1.4', port: 1812 });
  const onRad2 = decodeRequest(packets[2]!.data, 'other_key');
  t.is(onRad2.attributes.find((a) => a.name === 'User-Password')?.value, 'cisco');
  t.deepEqual(c.deadServers(15000), ['rad1']);
  // rad2 answers the retransmission.
  c.handleDatagram(answer(packets[3]!, 'other_key', RadiusCode.AccessAccept), 21000);
  const r = results(c.pollActions());
  t.is(r[0]?.type, 'response');
  if (r[0]?.type === 'response') {
    t.is(r[0].server, 'rad2');
    t.is(r[0].attempts, 5);
  }
  t.is(c.counters.get('retransmits'), 3);
});

test('a dead server is skipped for new requests until its dead time is over', (t) => {
  const c = client({ retries: 0, timeoutMs: 1000, deadTimeMs: 10_000 });
  c.send(accessRequest, 0);
  c.pollActions();
  c.handleTimeout(1000);
  const failover = sends(c.pollActions())[0]!;
  c.handleDatagram(answer(failover, 'other_key', RadiusCode.AccessAccept), 1100);
  c.pollActions();
  c.send(accessRequest, 2000);
  t.is(sends(c.pollActions())[0]!.remote.address, '172.16.1.4', 'rad1 is dead: straight to rad2');
  c.send(accessRequest, 12_000);
  t.is(sends(c.pollActions())[0]!.remote.address, '172.16.1.3', 'dead time over: rad1 again');
});

test('every server silent: one timeout result naming them, after (1 + retries) x timeout each', (t) => {
  const c = client();
  const h = c.send(accessRequest, 0);
  c.pollActions();
  let end = 0;
  let r: RadiusClientAction[] = [];
  for (let i = 0; i < 10 && !r.length; i++) {
    end = c.pollTimeout()!;
    c.handleTimeout(end);
    r = results(c.pollActions());
  }
  t.is(end, 30_000);
  t.deepEqual(r, [{ type: 'timeout', handle: h, request: accessRequest, servers: ['rad1', 'rad2'], attempts: 6 }]);
  t.is(c.counters.get('timeouts'), 1);
});

test('accounting goes to the acct port; failover updates Acct-Delay-Time', (t) => {
  const c = client({ retries: 0 });
  c.send({ code: RadiusCode.AccountingRequest, attributes: [{ name: 'Acct-Status-Type', value: 'Start' }, { name: 'Acct-Session-Id', value: '00000007' }, { name: 'Acct-Delay-Time', value: 0 }] }, 0);
  const d1 = sends(c.pollActions())[0]!;
  t.is(d1.remote.port, 1646);
  t.is(decodeRequest(d1.data, 'radius_key').attributes.find((a) => a.name === 'Acct-Delay-Time')?.value, 0);
  c.handleTimeout(5000);
  const d2 = sends(c.pollActions())[0]!;
  t.is(d2.remote.port, 1813);
  t.is(decodeRequest(d2.data, 'other_key').attributes.find((a) => a.name === 'Acct-Delay-Time')?.value, 5);
});

test('responses that do not match or do not verify are dropped with a reason, and the request still completes', (t) => {
  const c = client();
  c.send({ code: RadiusCode.AccessRequest, attributes: [{ name: 'User-Name', value: 'User1' }, { name: 'EAP-Message', value: Buffer.from('0200000a0155736572', 'hex') }] }, 0);
  const d = sends(c.pollActions())[0]!;
  const good = answer(d, 'radius_key', RadiusCode.AccessChallenge);
  // From another address, or another port.
  c.handleDatagram({ ...good, remote: { address: '172.16.1.99', port: 1645 } }, 1);
  c.handleDatagram({ ...good, remote: { address: '172.16.1.3', port: 1812 } }, 1);
  // Another identifier.
  c.handleDatagram({ ...good, data: Buffer.from(good.data).fill((good.data[1]! + 1) & 0xff, 1, 2) }, 1);
  // Bad Response Authenticator (forged / wrong secret).
  c.handleDatagram(answer(d, 'radius_key', RadiusCode.AccessChallenge, (b) => { b[10]! ^= 0xff; }), 1);
  // Signed with the wrong secret entirely (both authenticators wrong).
  const req: RadiusMessage = decodeRequest(d.data, 'radius_key');
  c.handleDatagram({ ...good, data: encodeResponse({ code: RadiusCode.AccessChallenge, attributes: [] }, req, { secret: 'nope' }) }, 1);
  // Correct Response Authenticator but no Message-Authenticator while the request carried EAP (RFC 3579 3.2).
  c.handleDatagram({ ...good, data: encodeResponse({ code: RadiusCode.AccessChallenge, attributes: [] }, req, { secret: 'radius_key', messageAuthenticator: false }) }, 1);
  // An Accounting-Response does not answer an Access-Request.
  c.handleDatagram({ ...good, data: encodeResponse({ code: RadiusCode.AccountingResponse, attributes: [] }, req, { secret: 'radius_key' }) }, 1);
  const out = c.pollActions();
  t.deepEqual(results(out), []);
  t.deepEqual(events(out).filter((e) => e.type === 'drop').map((e) => e.data?.['reason']), [
    'unmatched', 'unmatched', 'unmatched', 'bad-authenticator', 'bad-authenticator', 'missing-message-authenticator', 'bad-code',
  ]);
  t.is(c.counters.get('drop.unmatched'), 3);
  c.handleDatagram(good, 2);
  const r = results(c.pollActions());
  t.is(r[0]?.type, 'response');
});

test('identifiers are unique per server while outstanding, and reused after', (t) => {
  const c = client({ servers: [S1] });
  const ids = new Set<number>();
  for (let i = 0; i < 256; i++) {
    c.send(accessRequest, 0);
    ids.add(sends(c.pollActions())[0]!.data[1]!);
  }
  t.is(ids.size, 256);
  // The 257th waits for a free identifier...
  c.send(accessRequest, 0);
  const out = c.pollActions();
  t.deepEqual(sends(out), []);
  t.true(events(out).some((e) => e.type === 'queued'));
  // ...which the first answer frees.
  const firstId = [...ids][0]!;
  const probe = new RadiusClient({ servers: [S1], random: seededRandom('client'), local: { address: '172.16.1.2', port: 51000 } });
  probe.send(accessRequest, 0);
  const first = sends(probe.pollActions())[0]!;
  t.is(first.data[1], firstId, 'same seed, same first request');
  c.handleDatagram(answer(first, 'radius_key', RadiusCode.AccessReject), 10);
  const after = c.pollActions();
  t.is(results(after).length, 1);
  t.is(sends(after).length, 1, 'the queued request goes out');
  t.is(sends(after)[0]!.data[1], firstId);
});
