// EAP in IKE_AUTH (RFC 7296 2.16) between two in-memory engines: the initiator authenticates with
// EAP (F-AUTH-05), the responder with its certificate, EAP terminated locally or relayed to a RADIUS
// stand-in (pass-through, F-AUTH-06); MSK vs SK_p keyed AUTH (F-AUTH-07); Nak; failures and the EAP
// timeout; AAA-based pre-shared keys with a name mangler (F-AUTH-09/10), kept out of the logs;
// authorization merging, the group policy named by a name mangler; dual-stack pools with
// one family exhausted (F-ASA-02).

import test from 'ava';
import { pair, eventsOf, messages } from './helpers/ike.ts';
import type { Pair, ProfileOptions } from './helpers/ike.ts';
import { EapServer, decodeEap, EapType } from '../engine/eap/index.ts';
import type { AaaRequest, AaaResult } from '../engine/ike/actions.ts';
import { IkeEngine } from '../engine/ike/engine.ts';
import { seededRandom } from '../engine/util/random.ts';

const hubCert = { auth: 'rsa' as const, certName: 'hub-rsa', identity: { type: 'fqdn' as const, value: 'hub.flexlab.test' } };
const users = { alice: { password: 'alice-pass-1' }, bob: { password: 'bob-pass-2', methods: ['md5' as const] } };

function eapPair(o: { client?: Partial<ProfileOptions>; server?: Partial<ProfileOptions>; seed?: string; settings?: NonNullable<Parameters<typeof pair>[0]>['responderSettings'] }): Pair {
  return pair({
    seed: o.seed,
    responderSettings: o.settings,
    initiator: { authLocal: 'eap', authRemote: ['rsa-sig'], identity: { type: 'email', value: 'alice@flexlab.test' }, eapClient: { identity: 'alice', password: 'alice-pass-1' }, ...o.client },
    responder: { ...hubCert, authRemote: ['eap'], eapServer: { mode: 'local', queryIdentity: true, timeout: 90, users }, ...o.server },
  });
}

/** A RADIUS server stand-in for pass-through tests: one EapServer per IKE SA, PAP-less. */
function radiusStandIn(p: Pair, opts: { corruptMsk?: boolean; attributes?: Array<{ name: string; value: string }>; reject?: boolean } = {}): Map<number, EapServer> {
  const sessions = new Map<number, EapServer>();
  p.hub.aaa = (req: AaaRequest): AaaResult | undefined => {
    if (req.kind !== 'eap') return undefined;
    let s = sessions.get(req.ikeSaId);
    if (!s) {
      s = new EapServer({ methods: ['mschapv2', 'md5'], lookup: (n) => (users as Record<string, { password: string }>)[n] });
      sessions.set(req.ikeSaId, s);
    }
    const r = s.process(req.eapMessage);
    if (r.kind === 'send') return { requestId: req.requestId, outcome: 'challenge', eapMessage: r.bytes, state: Buffer.from(`st${req.requestId}`), server: '192.0.2.3' };
    if (r.kind === 'success' && !opts.reject) {
      const msk = r.msk && opts.corruptMsk ? Buffer.alloc(r.msk.length, 7) : r.msk;
      return { requestId: req.requestId, outcome: 'accept', eapMessage: r.bytes, msk, attributes: [{ name: 'User-Name', value: r.identity }, ...(opts.attributes ?? [])], server: '192.0.2.3' };
    }
    return { requestId: req.requestId, outcome: 'reject', eapMessage: r.kind === 'failure' ? r.bytes : undefined, server: '192.0.2.3' };
  };
  return sessions;
}

test('EAP-MSCHAPv2 terminated on the hub: MSK-keyed AUTH, IOS payload lists, Remote EAP id', (t) => {
  const p = eapPair({});
  p.up();
  const [hub] = p.hub.engine.ikeSas();
  const [spoke] = p.spoke.engine.ikeSas();
  t.is(hub!.authSign, 'RSA');
  t.is(hub!.authVerify, 'EAP');
  t.is(hub!.remoteEapId, 'alice');
  t.is(spoke!.authSign, 'EAP');
  t.is(spoke!.authVerify, 'RSA');
  const out = messages(p.spoke, 'out').filter((m) => m.exchange === 'IKE_AUTH');
  const back = messages(p.hub, 'out').filter((m) => m.exchange === 'IKE_AUTH');
  t.regex(out[0]!.payloads, /^IDi NOTIFY\(INITIAL_CONTACT\) CERTREQ SA TSi TSr/, 'first request: no AUTH (the initiator wants EAP)');
  t.regex(back[0]!.payloads, /^IDr CERT AUTH EAP$/, 'IDr, CERT and AUTH only in the first response (S2:131)');
  t.true(back.slice(1, -1).every((m) => m.payloads === 'EAP'), 'middle responses carry only EAP');
  t.is(out.at(-1)!.payloads, 'AUTH', 'final request: AUTH only');
  t.regex(back.at(-1)!.payloads, /^AUTH SA TSi TSr /, 'final response: AUTH then the CHILD SA');
  t.deepEqual(out.map((m) => m.messageId), out.map((_, i) => i + 1), 'message IDs 1, 2, 3... one per round trip');
  t.truthy(eventsOf(p.spoke, 'info').find((e) => /MSK derived/.test(e.text)));
});

test('EAP-MD5 and EAP-GTC (non key-generating): the final AUTH is keyed by SK_pi/SK_pr', (t) => {
  for (const method of ['md5', 'gtc'] as const) {
    const p = eapPair({ seed: method, client: { eapClient: { identity: 'alice', password: 'alice-pass-1', methods: [method] } }, server: { eapServer: { mode: 'local', queryIdentity: true, timeout: 90, methods: [method], users } } });
    p.up();
    t.is(p.hub.engine.ikeSas()[0]!.authVerify, 'EAP', method);
    t.truthy(eventsOf(p.spoke, 'info').find((e) => /no MSK/.test(e.text)), method);
  }
});

test('the client answers a method it does not run with a Nak naming its own (F-AUTH-05)', (t) => {
  const p = eapPair({ client: { eapClient: { identity: 'alice', password: 'alice-pass-1', methods: ['mschapv2'] } }, server: { eapServer: { mode: 'local', queryIdentity: true, timeout: 90, methods: ['md5', 'mschapv2'], users } } });
  p.up();
  t.truthy(eventsOf(p.spoke, 'info').find((e) => /Nak/i.test(e.text)), 'a Nak was sent');
  t.is(p.hub.engine.ikeSas()[0]!.remoteEapId, 'alice');
});

test('a wrong EAP password fails on both sides with no SA left', (t) => {
  const p = eapPair({ client: { eapClient: { identity: 'alice', password: 'wrong' } } });
  p.initiate();
  p.net.runUntil(() => false, 10_000);
  t.false(p.established());
  t.truthy(eventsOf(p.hub, 'auth-failed').length);
  t.truthy(eventsOf(p.spoke, 'auth-failed').length);
  t.is(p.hub.engine.ikeSas().length, 0);
  t.is(p.spoke.engine.ikeSas().length, 0);
});

test('an IP-address identity cannot be an EAP identity without query-identity (F-CORE-11)', (t) => {
  const p = eapPair({ client: { identity: { type: 'address', value: '192.0.2.10' } }, server: { eapServer: { mode: 'local', queryIdentity: false, timeout: 90, users } } });
  p.initiate();
  p.net.runUntil(() => false, 10_000);
  t.false(p.established());
  t.regex(eventsOf(p.hub, 'auth-failed')[0]!.text, /IP address identity cannot be used as EAP identity without query-identity/);
});

test('EAP timeout: a client that stops answering is dropped after the configured time (default 90 s)', (t) => {
  const p = eapPair({ server: { eapServer: { mode: 'local', queryIdentity: true, timeout: 45, users } } });
  let authRequests = 0;
  p.net.addFilter((d) => {
    // Let the first IKE_AUTH request through, drop the client's EAP responses after it.
    if (d.local.address !== p.spoke.address || d.data.length < 40) return 'pass';
    const raw = d.local.port === 500 ? d.data : d.data.subarray(4);
    return raw[18] === 35 && ++authRequests > 1 ? 'drop' : 'pass';
  });
  p.initiate();
  p.net.runUntil(() => eventsOf(p.hub, 'auth-failed').length > 0, 120_000);
  const e = eventsOf(p.hub, 'auth-failed')[0]!;
  t.regex(e.text, /EAP timeout/);
  const firstResponseAt = p.hub.events.find((x) => x.type === 'message' && x.data?.direction === 'out' && x.data?.exchange === 'IKE_AUTH')!.time;
  t.is(e.time - firstResponseAt, 45_000, 'exactly the EAP timeout after the EAP request');
  t.is(p.hub.engine.ikeSas().length, 0);
});

test('EAP pass-through to RADIUS: EAP-Message relayed, MSK from the Access-Accept, attributes cached for implicit authorization', (t) => {
  const p = eapPair({ server: { eapServer: { mode: 'radius', queryIdentity: true, timeout: 90 }, authorization: { user: { source: 'cached' } }, configMode: { pool: '10.0.0.0/24' } }, client: { configMode: { requestAddress: true } } });
  radiusStandIn(p, { attributes: [{ name: 'cisco-avpair', value: 'ipsec:route-set=prefix 192.168.1.1/24' }, { name: 'cisco-avpair', value: 'ipsec:dns-servers=10.0.1.1' }] });
  p.up();
  const reqs = p.hub.aaaRequests;
  t.true(reqs.length >= 3, `${reqs.length} Access-Requests`);
  t.true(reqs.every((r) => r.kind === 'eap' && r.context.phase1Id === 'alice@flexlab.test' && r.context.auditSessionId.length > 8));
  const first = decodeEap((reqs[0] as Extract<AaaRequest, { kind: 'eap' }>).eapMessage);
  t.is(first.type, EapType.Identity, 'with query-identity the hub asked for the identity and relays the answer');
  t.is((reqs[1] as Extract<AaaRequest, { kind: 'eap' }>).state?.toString(), `st${reqs[0]!.requestId}`, 'State from the Access-Challenge is sent back');
  t.true(reqs.slice(1).every((r) => r.kind === 'eap' && r.userName === 'alice'), 'User-Name is the EAP identity');
  const [hub] = p.hub.engine.ikeSas();
  t.is(hub!.remoteEapId, 'alice');
  const [spoke] = p.spoke.engine.ikeSas();
  t.deepEqual(spoke!.receivedConfig!.subnets, ['192.168.1.0/24'], 'the cached RADIUS route reaches the client');
  t.deepEqual(spoke!.receivedConfig!.dns, ['10.0.1.1']);
});

test('pass-through: a corrupted MSK breaks the AUTH of a key-generating method; an Access-Reject ends in EAP-Failure', (t) => {
  const p = eapPair({ server: { eapServer: { mode: 'radius', queryIdentity: true, timeout: 90 } } });
  radiusStandIn(p, { corruptMsk: true });
  p.initiate();
  p.net.runUntil(() => false, 10_000);
  t.false(p.established());
  t.regex(eventsOf(p.hub, 'auth-failed')[0]!.text, /does not verify with the MSK/);

  const q = eapPair({ seed: 'reject', server: { eapServer: { mode: 'radius', queryIdentity: true, timeout: 90 } } });
  radiusStandIn(q, { reject: true });
  q.initiate();
  q.net.runUntil(() => false, 10_000);
  t.false(q.established());
  t.regex(eventsOf(q.spoke, 'auth-failed')[0]!.text, /EAP/);
  t.is(q.hub.engine.ikeSas().length, 0);
});

test('pass-through without query-identity sends the IKE identity as the EAP identity; RADIUS silence fails the session', (t) => {
  const p = eapPair({ client: { identity: { type: 'fqdn', value: 'alice' } }, server: { eapServer: { mode: 'radius', queryIdentity: false, timeout: 90 } } });
  radiusStandIn(p);
  p.up();
  const first = p.hub.aaaRequests[0] as Extract<AaaRequest, { kind: 'eap' }>;
  const id = decodeEap(first.eapMessage);
  t.is(id.type, EapType.Identity);
  t.is(id.data.toString(), 'alice');

  const q = eapPair({ seed: 'silent', server: { eapServer: { mode: 'radius', queryIdentity: true, timeout: 90 } } });
  q.hub.aaa = (req) => ({ requestId: req.requestId, outcome: 'timeout', reason: 'no answer from 192.0.2.3 after 3 tries' });
  q.initiate();
  q.net.runUntil(() => false, 10_000);
  t.regex(eventsOf(q.hub, 'auth-failed')[0]!.text, /no answer from the RADIUS servers/);
});

test('AAA-based pre-shared keys with a name mangler (F-AUTH-09/10): the key comes from RADIUS for the mangled name', (t) => {
  const mk = (key: string, seed: string) => {
    const p = pair({ seed, initiator: { psk: 'spoke-psk', identity: { type: 'fqdn', value: 'router1.domain1' } }, responder: { psk: 'unused', aaaKeyring: { nameMangler: { fqdn: 'hostname' } } } });
    p.hub.aaa = (req) => req.kind === 'authorize' && req.purpose === 'psk'
      ? { requestId: req.requestId, outcome: 'accept', attributes: [{ name: 'cisco-avpair', value: `ipsec:tunnel-password=${key}` }, { name: 'cisco-avpair', value: 'ipsec:route-set=prefix 192.168.1.1/24' }] }
      : undefined;
    return p;
  };
  const p = mk('spoke-psk', 'aaapsk');
  p.up();
  const req = p.hub.aaaRequests[0] as Extract<AaaRequest, { kind: 'authorize' }>;
  t.is(req.userName, 'router1', 'User-Name is the mangled identity');
  t.is(req.purpose, 'psk');
  t.truthy(eventsOf(p.hub, 'info').find((e) => /received a symmetric pre-shared key/.test(e.text)));

  const wrong = mk('another-key', 'aaapsk-wrong');
  wrong.initiate();
  wrong.net.runUntil(() => false, 10_000);
  t.false(wrong.established());
});

test('authorization: group (local policy) and user (RADIUS) merge, user wins; with override the group wins (F-AUTHZ-04)', (t) => {
  const run = (override: boolean) => {
    const p = pair({
      seed: `authz${override}`,
      initiator: { identity: { type: 'fqdn', value: 'router1.domain1' }, configMode: { requestAddress: true } },
      responder: { configMode: { pool: '10.0.0.0/24' }, authorization: { group: { source: 'local', policy: 'domain1' }, user: { source: 'radius', nameMangler: { fqdn: 'hostname' } }, override } },
      responderSettings: { authorizationPolicies: { domain1: { pool: '10.0.0.0/24', dns: ['10.0.1.1'], interfaceConfig: ['tunnel key 1', 'ip mtu 1000'] } } },
    });
    p.hub.aaa = (req) => req.kind === 'authorize' && req.purpose === 'user'
      ? { requestId: req.requestId, outcome: 'accept', attributes: [{ name: 'cisco-avpair', value: 'ip:interface-config=ip mtu 1200' }, { name: 'cisco-avpair', value: 'ip:interface-config=tunnel key 2' }, { name: 'cisco-avpair', value: 'ipsec:dns-servers=10.9.9.9' }] }
      : undefined;
    p.up();
    return p;
  };
  const p = run(false);
  const sa = p.hub.engine.ikeSas()[0]!;
  t.deepEqual(sa.assignedConfig!.pushed.interfaceConfig!.value, ['tunnel key 2', 'ip mtu 1200'], 'user overrides group (S2:835-848)');
  t.deepEqual(p.spoke.engine.ikeSas()[0]!.receivedConfig!.dns, ['10.9.9.9']);
  t.regex(sa.assignedConfig!.pushed.dns!.source, /user RADIUS/);
  t.is((p.hub.aaaRequests[0] as Extract<AaaRequest, { kind: 'authorize' }>).userName, 'router1');
  const o = run(true);
  t.deepEqual(o.hub.engine.ikeSas()[0]!.assignedConfig!.pushed.interfaceConfig!.value, ['ip mtu 1000', 'tunnel key 1'], 'with group override the group wins');
  t.deepEqual(o.spoke.engine.ikeSas()[0]!.receivedConfig!.dns, ['10.0.1.1']);
});

test('accounting: Start after the final IKE_AUTH response, Stop when the session ends, one session id across an IKE rekey (F-SRV-06)', (t) => {
  const p = eapPair({ server: { eapServer: { mode: 'local', queryIdentity: true, timeout: 90, users }, accounting: true, configMode: { pool: '10.0.0.0/24' } }, client: { configMode: { requestAddress: true } } });
  p.up();
  t.is(p.hub.accounting.length, 1);
  const start = p.hub.accounting[0]!;
  t.is(start.status, 'start');
  t.is(start.userName, 'alice');
  t.is(start.framedIp, '10.0.0.1');
  t.regex(start.sessionId, /^[0-9A-F]{8}$/);
  t.true(start.context.auditSessionId.length > 8);
  p.hub.engine.rekeyIke(p.hub.engine.ikeSas()[0]!.id, p.net.now);
  p.net.settle(200);
  t.is(p.hub.accounting.length, 1, 'an IKE rekey is not the end of the session');
  p.spoke.engine.deleteIke(p.spoke.engine.ikeSas().find((s) => s.status === 'READY')!.id, p.net.now);
  p.net.settle(200);
  t.is(p.hub.accounting.length, 2);
  const stop = p.hub.accounting[1]!;
  t.is(stop.status, 'stop');
  t.is(stop.sessionId, start.sessionId);
  t.is(stop.terminateCause, 'deleted by peer');
});

test('group authorization from the local policy the name mangler names (R-07: router1.domain1 -> policy domain1)', (t) => {
  const run = (override: boolean) => {
    const p = pair({
      seed: `authz-mangled${override}`,
      initiator: { identity: { type: 'fqdn', value: 'router1.domain1' }, configMode: { requestAddress: true } },
      responder: { authorization: { group: { source: 'local', nameMangler: { fqdn: 'domain' } }, user: { source: 'radius', nameMangler: { fqdn: 'hostname' } }, override } },
      responderSettings: { authorizationPolicies: { domain1: { pool: '10.0.3.0/24', interfaceConfig: ['tunnel key 1', 'ip mtu 1000'] }, default: { pool: '10.9.9.0/24' } } },
    });
    p.hub.aaa = (req) => req.kind === 'authorize' && req.purpose === 'user'
      ? { requestId: req.requestId, outcome: 'accept', attributes: [{ name: 'cisco-avpair', value: 'ip:interface-config=ip mtu 1200' }, { name: 'cisco-avpair', value: 'ip:interface-config=tunnel key 2' }] }
      : undefined;
    p.up();
    return p;
  };
  const p = run(false);
  const sa = p.hub.engine.ikeSas()[0]!;
  t.deepEqual(sa.assignedConfig!.pushed.interfaceConfig, { value: ['tunnel key 2', 'ip mtu 1200'], source: 'group local policy domain1 + user RADIUS' });
  t.regex(sa.assignedConfig!.address4!, /^10\.0\.3\./, 'the pool of policy domain1, not of the default policy');
  t.falsy(eventsOf(p.hub, 'info').find((e) => /no authorization policy/.test(e.text)), 'no fallback to the default policy');
  t.is((p.hub.aaaRequests[0] as Extract<AaaRequest, { kind: 'authorize' }>).userName, 'router1');
  const o = run(true);
  t.deepEqual(o.hub.engine.ikeSas()[0]!.assignedConfig!.pushed.interfaceConfig!.value, ['ip mtu 1000', 'tunnel key 1']);
});

test('a pre-shared key from AAA is never written to the event log, even when the reply is cached for authorization', (t) => {
  const p = pair({ seed: 'aaapsk-mask', initiator: { psk: 'spoke-psk-secret', identity: { type: 'fqdn', value: 'router1.domain1' } }, responder: { psk: 'unused', aaaKeyring: { nameMangler: { fqdn: 'hostname' } }, authorization: { user: { source: 'cached' } } } });
  p.hub.aaa = (req) => req.kind === 'authorize' && req.purpose === 'psk'
    ? { requestId: req.requestId, outcome: 'accept', attributes: [{ name: 'Tunnel-Password', value: 'spoke-psk-secret' }, { name: 'cisco-avpair', value: 'ipsec:route-set=prefix 192.168.1.0/24' }] }
    : undefined;
  p.up();
  const authz = eventsOf(p.hub, 'info').find((e) => /^authorization of router1\.domain1/.test(e.text));
  t.truthy(authz, 'the cached attributes were used');
  t.regex(authz!.text, /tunnelPassword="\*\*\*\*\*"/);
  t.false(p.hub.events.some((e) => JSON.stringify(e).includes('spoke-psk-secret')), 'the key appears in no event');
  t.is(p.hub.engine.ikeSas()[0]!.aaa!.authorization!['tunnelPassword']!.value, '*****');
});

test('dual stack with the IPv4 pool exhausted: the next client comes up with IPv6 only (the ASA behaviour, F-ASA-02); IPv6 pools skip the anycast address', (t) => {
  const configMode = { requestAddress: true, requestAddress6: true };
  const p = pair({ seed: 'dual', initiator: { configMode }, responder: { configMode: { pool: '10.0.0.10-10.0.0.10', pool6: '2001:db8:ff::/120', poolExhaustion: 'continue' } } });
  p.up();
  const first = p.hub.engine.ikeSas()[0]!;
  t.is(first.assignedConfig!.address4, '10.0.0.10');
  t.is(first.assignedConfig!.address6, '2001:db8:ff::1', 'not 2001:db8:ff:: (Subnet-Router anycast, RFC 4291 2.6.1)');
  // A second dual-stack client of the same hub.
  const prof = { ...p.conn.profile, localIdentity: { type: 'fqdn' as const, value: 'spoke2.flexlab.test' } };
  const e2 = new IkeEngine({ name: 'spoke2', random: seededRandom('dual-2'), profiles: [prof] });
  const spoke2 = p.net.add('spoke2', '192.0.2.11', e2);
  e2.initiate({ ...p.conn, name: 'tunnel1', profile: prof, local: { address: '192.0.2.11', port: 500 } }, p.net.now);
  t.true(p.net.runUntil(() => e2.ikeSas().some((s) => s.status === 'READY' && s.children.length > 0), 30_000), 'the second client is up');
  const second = p.hub.engine.ikeSas().find((s) => s.remoteId === 'spoke2.flexlab.test')!;
  t.is(second.assignedConfig!.address4, undefined);
  t.is(second.assignedConfig!.address6, '2001:db8:ff::2');
  const got = e2.ikeSas()[0]!.receivedConfig!;
  t.is(got.address4, undefined);
  t.is(got.address6, '2001:db8:ff::2/128');
  t.truthy(eventsOf(p.hub, 'info').find((e) => /IPv4 pool .* exhausted/.test(e.text)));
  t.false(spoke2.events.some((e) => /INTERNAL_ADDRESS_FAILURE/.test(e.text)), 'the client is not told (S4:25-29)');
  t.is(p.hub.engine.counterSnapshot()['pool-exhausted'], 1);
});

test('dual stack with the IPv4 pool exhausted on an IOS hub (the default): the session is terminated, its IPv6 address goes back (F-AUTHZ-01, F-CFG-03)', (t) => {
  const configMode = { requestAddress: true, requestAddress6: true };
  const p = pair({ seed: 'dual-ios', initiator: { configMode }, responder: { configMode: { pool: '10.0.0.10-10.0.0.10', pool6: '2001:db8:ff::/120' } } });
  p.up();
  const prof = { ...p.conn.profile, localIdentity: { type: 'fqdn' as const, value: 'spoke2.flexlab.test' } };
  const e2 = new IkeEngine({ name: 'spoke2', random: seededRandom('dual-ios-2'), profiles: [prof] });
  const spoke2 = p.net.add('spoke2', '192.0.2.11', e2);
  e2.initiate({ ...p.conn, name: 'tunnel1', profile: prof, local: { address: '192.0.2.11', port: 500 } }, p.net.now);
  p.net.runUntil(() => spoke2.events.some((e) => /INTERNAL_ADDRESS_FAILURE/.test(e.text)), 30_000);
  p.net.advance(5_000);
  t.true(spoke2.events.some((e) => /INTERNAL_ADDRESS_FAILURE/.test(e.text)), 'the client is told INTERNAL_ADDRESS_FAILURE');
  t.false(e2.ikeSas().some((s) => s.children.length > 0), 'no CHILD SA on the client');
  const hubSide = p.hub.engine.ikeSas().filter((s) => s.remoteId === 'spoke2.flexlab.test');
  t.true(hubSide.every((s) => s.children.length === 0 && !s.assignedConfig), 'no CHILD SA and no assignment on the hub');
  t.deepEqual(hubSide.map((s) => s.status), [], 'no IKE SA of spoke2 left on the hub');
  t.deepEqual(e2.ikeSas().map((s) => s.status), [], 'none on the client');
  const failed = eventsOf(p.hub, 'config-assigned').find((e) => /no address for spoke2/.test(e.text));
  t.regex(failed?.text ?? '', /IPv4 address pool exhausted \(dual stack requested; pool-exhaustion terminate\)/);
  const v6 = p.hub.engine.pools.all().find((x) => x.name.includes('2001:db8:ff::'))!;
  t.is(v6.inUse, 1, 'only the first client holds an IPv6 address');
});
