// The headend's NAT for remote-access clients (F-SRV-09): an IOS source list becomes netfilter
// rules that translate only traffic marked as having entered on an `ip nat inside` interface.

import test from 'ava';
import { hubNatRules, NAT_INSIDE_MARK } from '../engine/roles/hub-nat.ts';

const cfg = (extra: Record<string, unknown> = {}) => ({
  'virtual-template': { address: '10.0.0.1', 'interface-config': ['ip nat inside'] },
  'access-lists': { NAT: ['deny ip host 192.168.10.99 any', 'permit ip 192.168.10.0 0.0.0.255 any', 'permit 172.16.0.0 0.0.255.255'] },
  nat: { outside: 'eth1', 'source-list': 'NAT' },
  ...extra,
});

test('the source list becomes masquerade rules for marked packets, in order, deny entries as RETURN', (t) => {
  const r = hubNatRules(cfg(), ['eth1', 'eth2'])!;
  t.true(r.inside);
  t.deepEqual(r.restore.split('\n'), [
    '*mangle', `-A PREROUTING -i va+ -j MARK --set-xmark ${NAT_INSIDE_MARK}`, 'COMMIT',
    '*nat',
    `-A POSTROUTING -o eth1 -m mark --mark ${NAT_INSIDE_MARK} -s 192.168.10.99/32 -j RETURN`,
    `-A POSTROUTING -o eth1 -m mark --mark ${NAT_INSIDE_MARK} -s 192.168.10.0/24 -j MASQUERADE`,
    `-A POSTROUTING -o eth1 -m mark --mark ${NAT_INSIDE_MARK} -s 172.16.0.0/16 -j MASQUERADE`,
    'COMMIT', '',
  ]);
});

test('without ip nat inside on the template nothing is marked (IOS translates only inside traffic)', (t) => {
  const r = hubNatRules(cfg({ 'virtual-template': { 'interface-prefix': 'vi' } }), ['eth1'])!;
  t.false(r.inside);
  t.false(r.restore.includes('PREROUTING'));
  t.truthy(hubNatRules(cfg({ 'virtual-template': { 'interface-prefix': 'vi', 'interface-config': ['ip nat inside'] } }), ['eth1'])!.restore.includes('-i vi+'));
});

test('no nat block, no rules; bad blocks are located errors', (t) => {
  t.is(hubNatRules({}, ['eth1']), undefined);
  const err = (c: Record<string, unknown>) => {
    const e = t.throws(() => hubNatRules(c, ['eth1', 'eth2']));
    return [(e as unknown as { path: unknown }).path, e!.message];
  };
  t.deepEqual(err(cfg({ nat: { outside: 'eth9', 'source-list': 'NAT' } })), [['nat', 'outside'], 'interface "eth9" is not an interface of this node (it has eth1, eth2)']);
  t.deepEqual(err(cfg({ nat: { outside: 'eth1', 'source-list': 'NOPE' } })), [['nat', 'source-list'], 'access list NOPE is not configured (known: NAT)']);
  t.deepEqual(err(cfg({ 'access-lists': { NAT: ['permit 10.0.0.0 0.0.255.0'] } })), [['access-lists', 'NAT', 0], '"permit 10.0.0.0 0.0.255.0": a NAT source list needs contiguous wildcard masks (prefixes)']);
});
