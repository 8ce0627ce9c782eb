// Cisco IKEv2 auto-reconnect (F-RC-01, F-RC-02, F-CFG-10) between two in-memory engines under the
// virtual clock: the grant in the configuration reply, smart DPD on the hub, the session kept
// INACTIVE with its address, the PSK reconnect with session-id/token and no AAA round trip, the R
// flag, the stats, and the ends: timeout, server clear, user disconnect.

import test from 'ava';
import { pair, eventsOf } from './helpers/ike.ts';
import type { Pair, ProfileOptions } from './helpers/ike.ts';
import { CISCO_VENDOR_IDS } from '../engine/ike/vendor-ids.ts';
import type { AaaRequest } from '../engine/ike/actions.ts';

function rcPair(o: { timeout?: number; client?: Partial<ProfileOptions>; server?: Partial<ProfileOptions>; seed?: string } = {}): Pair & { aaa: AaaRequest[] } {
  const p = pair({
    seed: o.seed ?? 'rc',
    auto: true,
    initiator: {
      authLocal: 'eap', authRemote: ['rsa-sig'], identity: { type: 'key-id', value: '*$AnyConnectClient$*' },
      vendorIds: [CISCO_VENDOR_IDS.COPYRIGHT, CISCO_VENDOR_IDS.ANYCONNECT_EAP],
      anyconnectClient: { username: 'test', password: 'cisco123' }, configMode: { requestAddress: true }, ...o.client,
    },
    responder: {
      auth: 'rsa', certName: 'hub-rsa', identity: { type: 'fqdn', value: 'hub.flexlab.test' }, authRemote: ['anyconnect-eap'],
      anyconnectServer: { certRequest: false, aaa: 'radius' }, configMode: { pool: '192.168.10.5-192.168.10.10' },
      ...o.server,
    },
  }) as Pair & { aaa: AaaRequest[] };
  p.spoke.engine.profiles[0]!.reconnectClient = true;
  p.conn.profile.reconnectClient = true;
  p.conn.retryDelay = 1;
  p.hub.engine.profiles[0]!.reconnect = { timeout: o.timeout ?? 60, dpdInterval: 2 };
  p.aaa = [];
  p.hub.aaa = (req) => {
    p.aaa.push(req);
    if (req.kind !== 'login') return undefined;
    return { requestId: req.requestId, outcome: req.password === 'cisco123' ? 'accept' : 'reject', attributes: [], server: '192.0.2.3' };
  };
  return p;
}

const hubSa = (p: Pair) => p.hub.engine.ikeSas().find((s) => s.status === 'READY');
const clientSa = (p: Pair) => p.spoke.engine.ikeSas().find((s) => s.status === 'READY');
const reconnectEvents = (p: Pair, node: 'hub' | 'spoke', kind: string) => eventsOf(p[node], 'reconnect').filter((e) => e.data?.reconnect === kind);

function blackhole(p: Pair, ms: number): void {
  const remove = p.net.addFilter(() => 'drop');
  p.net.advance(ms);
  remove();
}

test('the headend grants reconnect in the configuration reply; the client probes at dpd-interval and the hub stays passive (smart DPD)', (t) => {
  const p = rcPair();
  p.up();
  const [granted] = reconnectEvents(p, 'hub', 'granted');
  t.truthy(granted);
  const id = granted!.data!.sessionId as string;
  t.is(clientSa(p)!.reconnect?.sessionId, id, 'the client holds the session-id');
  t.deepEqual(p.hub.engine.reconnectSessions.counts(), { active: 1, inactive: 0 });
  t.like(hubSa(p)!.dpd, { interval: 4, smart: true }, 'smart DPD: twice the dpd-interval');
  t.like(clientSa(p)!.dpd, { interval: 2 }, 'the client probes at the dpd-interval');
  const start = p.net.now;
  p.net.advance(20_000);
  const infoRequests = (n: typeof p.hub) => n.events.filter((e) => e.type === 'message' && e.time > start && e.data?.direction === 'out' && e.data?.exchange === 'INFORMATIONAL' && e.data?.response === false).length;
  t.true(infoRequests(p.spoke) >= 8, `client probes (${infoRequests(p.spoke)})`);
  t.is(infoRequests(p.hub), 0, 'no hub probes while the client probes arrive');
});

test('an outage shorter than the reconnect timeout: the session goes INACTIVE, the client reconnects with PSK, same address, no AAA request, flag R', (t) => {
  const p = rcPair();
  p.up();
  const first = hubSa(p)!;
  const address = first.assignedAddress;
  const loginsBefore = p.aaa.length;
  blackhole(p, 20_000);
  t.is(reconnectEvents(p, 'hub', 'inactive').length, 1, 'smart DPD found the client unreachable');
  t.true(p.net.runUntil(() => !!hubSa(p) && !!clientSa(p) && p.established(), 30_000), 'the tunnel comes back');
  const again = hubSa(p)!;
  t.not(again.id, first.id, 'a new IKE SA');
  t.true(again.reconnect?.reconnected, 'the hub marks it reconnected');
  t.is(again.authVerify, 'PSK', 'Auth verify: PSK');
  t.is(again.remoteId, first.reconnect!.sessionId, 'IDi = the session-id');
  t.is(again.remoteEapId, 'test', 'the EAP identity is preserved');
  t.is(again.assignedAddress, address, 'the same address');
  t.is(p.aaa.length, loginsBefore, 'no AAA request for the reconnect');
  t.deepEqual(p.hub.engine.reconnectSessions.stats, { incoming: 1, success: 1, failed: 0 });
  t.deepEqual(p.hub.engine.reconnectSessions.counts(), { active: 1, inactive: 0 });
  t.is(reconnectEvents(p, 'spoke', 'reconnected').length, 1);
});

test('an outage longer than the reconnect timeout: the session expires, the reconnect is rejected, a full login follows', (t) => {
  const p = rcPair({ timeout: 15 });
  p.up();
  const oldId = hubSa(p)!.reconnect!.sessionId;
  blackhole(p, 40_000);
  t.is(reconnectEvents(p, 'hub', 'expired').length, 1);
  t.true(p.net.runUntil(() => p.established(), 60_000));
  // The reconnect attempt started during the outage was still retransmitting when the link came
  // back; the hub no longer knew the session.
  t.is(reconnectEvents(p, 'spoke', 'rejected').length, 1, 'the client dropped its grant when the hub refused it');
  t.is(p.hub.engine.reconnectSessions.stats.failed, 1, 'stats: failed reconnect');
  const now = hubSa(p)!;
  t.is(now.authVerify, 'AnyConnect-EAP', 'a full authentication');
  t.not(now.reconnect?.sessionId, oldId, 'a new session');
  t.is(p.hub.engine.reconnectSessions.get(oldId), undefined, 'the old session is gone');
});

test('server clear ends the session: the client\'s reconnect is rejected and counted as failed', (t) => {
  const p = rcPair();
  p.up();
  p.hub.engine.deleteIke(hubSa(p)!.id, p.net.now, 'clear crypto session');
  t.true(p.net.runUntil(() => reconnectEvents(p, 'spoke', 'rejected').length > 0, 30_000), 'the reconnect is rejected');
  t.is(reconnectEvents(p, 'hub', 'ended').length, 1);
  t.regex(reconnectEvents(p, 'hub', 'rejected')[0]!.text, /no such session/);
  t.is(p.hub.engine.reconnectSessions.stats.failed, 1);
  t.true(p.net.runUntil(() => p.established(), 30_000), 'then a full login');
  t.is(hubSa(p)!.authVerify, 'AnyConnect-EAP');
});

test('user disconnect: the session ends on the hub and the client does not reconnect', (t) => {
  const p = rcPair();
  p.up();
  p.spoke.engine.connectionDown('tunnel0', p.net.now);
  p.net.advance(20_000);
  t.is(reconnectEvents(p, 'hub', 'ended').length, 1);
  t.deepEqual(p.hub.engine.reconnectSessions.counts(), { active: 0, inactive: 0 });
  t.is(reconnectEvents(p, 'spoke', 'attempt').length, 0);
  t.is(p.spoke.engine.ikeSas().length, 0);
});

test('a PSK-authenticated session is not granted reconnect', (t) => {
  const p = pair({ seed: 'psk', initiator: { configMode: { requestAddress: true } }, responder: { configMode: { pool: '10.9.0.0/24' } } });
  p.conn.profile.reconnectClient = true;
  p.hub.engine.profiles[0]!.reconnect = { timeout: 600, dpdInterval: 10 };
  p.up();
  t.regex(eventsOf(p.hub, 'reconnect')[0]!.text, /PSK-authenticated session cannot reconnect/);
  t.deepEqual(p.hub.engine.reconnectSessions.counts(), { active: 0, inactive: 0 });
});
