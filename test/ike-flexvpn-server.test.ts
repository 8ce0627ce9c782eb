// FlexVPN server details between two in-memory engines: RADIUS Interim-Update accounting
// (`aaa accounting update periodic`), the IPsec flow limit per session (F-CFG-09), and the
// session attributes with their sources in `show crypto session detail`.

import test from 'ava';
import { pair, eventsOf } from './helpers/ike.ts';
import { showSession } from '../reports/show.ts';
import type { SessionView } from '../reports/show.ts';
import { tsFromCidr } from '../engine/ike/traffic-selectors.ts';

test('accounting: an Interim-Update every interim interval, across an IKE rekey, then Stop with the same session id', (t) => {
  const p = pair({ seed: 'interim', initiator: { configMode: { requestAddress: true } }, responder: { configMode: { pool: '10.0.0.0/24' }, accounting: true } });
  p.hub.engine.profiles[0]!.accountingInterim = 60;
  p.up();
  t.deepEqual(p.hub.accounting.map((r) => r.status), ['start']);
  p.net.advance(125_000);
  t.deepEqual(p.hub.accounting.map((r) => r.status), ['start', 'interim', 'interim']);
  t.is(p.hub.accounting[2]!.startedAt, p.hub.accounting[0]!.startedAt, 'every record names the same session start');
  p.hub.engine.rekeyIke(p.hub.engine.ikeSas()[0]!.id, p.net.now);
  p.net.advance(61_000);
  t.is(p.hub.accounting.filter((r) => r.status === 'interim').length, 3, 'the interim timer follows the session to the rekeyed IKE SA');
  p.spoke.engine.deleteIke(p.spoke.engine.ikeSas().find((s) => s.status === 'READY')!.id, p.net.now);
  p.net.settle(200);
  const last = p.hub.accounting.at(-1)!;
  t.is(last.status, 'stop');
  t.true(p.hub.accounting.every((r) => r.sessionId === last.sessionId));
  p.net.advance(120_000);
  t.is(p.hub.accounting.at(-1), last, 'no Interim-Update after the Stop');
});

test('IPsec flow limit: CHILD SA N+1 is refused with NO_ADDITIONAL_SAS; a rekey does not count (F-CFG-09)', (t) => {
  const p = pair({
    seed: 'flow',
    initiator: { configMode: { requestAddress: true } },
    responder: { configMode: { pool: '10.0.0.0/24' }, authorization: { group: { source: 'local', policy: 'limited' } } },
    responderSettings: { authorizationPolicies: { limited: { pool: '10.0.0.0/24', flowLimit: 2 } } },
  });
  p.up();
  const ike = p.spoke.engine.ikeSas()[0]!.id;
  p.spoke.engine.createChild(ike, p.net.now, { localTs: [tsFromCidr('10.0.0.0/24')], remoteTs: [tsFromCidr('192.168.20.0/24')] });
  p.net.settle(200);
  t.is(p.hub.engine.ikeSas()[0]!.children.length, 2, 'the second CHILD SA is within the limit');
  p.spoke.engine.createChild(ike, p.net.now, { localTs: [tsFromCidr('10.0.0.0/24')], remoteTs: [tsFromCidr('192.168.30.0/24')] });
  p.net.settle(200);
  t.is(p.hub.engine.ikeSas()[0]!.children.length, 2, 'the third is refused');
  t.regex(eventsOf(p.hub, 'child-failed').at(-1)!.text, /IPsec flow limit is 2 \(NO_ADDITIONAL_SAS\)/);
  t.truthy(eventsOf(p.spoke, 'child-failed').find((e) => /NO_ADDITIONAL_SAS/.test(e.text)));
  const first = p.hub.engine.ikeSas()[0]!.children[0]!.id;
  t.true(p.hub.engine.rekeyChild(first, p.net.now));
  p.net.settle(2_000);
  t.is(p.hub.engine.ikeSas()[0]!.children.length, 2, 'a rekey replaces one, still 2');
  t.truthy(eventsOf(p.hub, 'child-rekeyed').length);
});

test('show crypto session detail lists the session attributes and where each came from', (t) => {
  const p = pair({
    seed: 'attrs',
    initiator: { identity: { type: 'fqdn', value: 'router1.domain1' }, configMode: { requestAddress: true } },
    responder: { configMode: { pool: '10.0.0.0/24' }, authorization: { group: { source: 'local', policy: 'domain1' } } },
    responderSettings: { authorizationPolicies: { domain1: { pool: '10.0.0.0/24', dns: ['10.0.1.1'] } } },
  });
  p.up();
  const text = showSession(p.hub.engine.ikeSas().map((s) => ({ ...s, children: s.children })) as SessionView[], true);
  t.regex(text, /Session attributes \(source\):/);
  t.regex(text, /dns: 10\.0\.1\.1 {2}\(.*group.*\)/);
  t.regex(text, /Pushed to the peer \(source\):\n(.*\n)*\s+address: 10\.0\.0\.\d+ {2}\(/);
});
