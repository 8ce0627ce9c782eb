// What a virtual-access interface enforces after a CoA (F-POD-03): IOS access lists (first match,
// implicit deny, wildcards, extended entries), the police-cir token bucket, and the all-or-nothing
// planning of interface-config lines and template ACLs.

import test from 'ava';
import fc from 'fast-check';
import { accessListPermits, buildAccessList, parseAce, showAccessList } from '../engine/daemon/access-list.ts';
import type { AccessList } from '../engine/daemon/access-list.ts';
import { Policer } from '../engine/daemon/policer.ts';
import { admitInbound, admitOutbound, applyAccessGroups, applyServicePolicies, coaAccessLists, interfaceLineKey, interfacePolicyView, namedAccessLists, planInterfaceConfig } from '../engine/daemon/interface-policy.ts';
import type { InterfacePolicy, PolicyMaps } from '../engine/daemon/interface-policy.ts';

/** A minimal IPv4 header: protocol, source, destination (the rest is not read). */
function ipv4(src: string, dst: string, proto = 1, size = 84): Buffer {
  const b = Buffer.alloc(size);
  b[0] = 0x45;
  b[9] = proto;
  src.split('.').forEach((x, i) => { b[12 + i] = Number(x); });
  dst.split('.').forEach((x, i) => { b[16 + i] = Number(x); });
  return b;
}

const acl = (lines: string[]): AccessList => {
  const a = buildAccessList('va1#2601', lines.map((l, i) => [i + 1, l]));
  if (typeof a === 'string') throw new Error(a);
  return a;
};

test('a standard entry matches the source only; the implicit deny drops the rest and is counted', (t) => {
  const a = acl(['permit 1.1.1.1']);
  t.true(accessListPermits(a, ipv4('1.1.1.1', '9.9.9.9')));
  t.false(accessListPermits(a, ipv4('1.1.1.2', '9.9.9.9')));
  t.false(accessListPermits(a, ipv4('9.9.9.9', '1.1.1.1')), 'the destination is not what a standard list looks at');
  t.is(a.entries[0]!.matches, 1);
  t.is(a.implicitDenies, 2);
  t.deepEqual(showAccessList(a), ['Standard IP access list va1#2601', '    10 permit 1.1.1.1 (1 match)']);
});

test('wildcard masks, host, any, deny before permit: first match wins', (t) => {
  const a = acl(['deny 10.1.2.0 0.0.0.255', 'permit 10.0.0.0 0.255.255.255', 'permit host 192.0.2.7']);
  t.false(accessListPermits(a, ipv4('10.1.2.9', '1.1.1.1')));
  t.true(accessListPermits(a, ipv4('10.200.0.1', '1.1.1.1')));
  t.true(accessListPermits(a, ipv4('192.0.2.7', '1.1.1.1')));
  t.false(accessListPermits(a, ipv4('192.0.2.8', '1.1.1.1')));
  t.deepEqual(a.entries.map((e) => e.matches), [1, 1, 1]);
  t.true(accessListPermits(acl(['permit any']), ipv4('203.0.113.5', '1.1.1.1')));
});

test('extended entries match protocol, source and destination', (t) => {
  const a = acl(['permit icmp any host 192.168.10.10', 'deny ip any any']);
  t.true(accessListPermits(a, ipv4('172.16.1.10', '192.168.10.10', 1)));
  t.false(accessListPermits(a, ipv4('172.16.1.10', '192.168.10.10', 6)), 'tcp is not icmp');
  t.false(accessListPermits(a, ipv4('172.16.1.10', '192.168.10.11', 1)));
  t.regex(showAccessList(a)[0]!, /^Extended IP access list/);
  t.is(showAccessList(a)[1], '    10 permit icmp any host 192.168.10.10 (1 match)');
});

test('IPv6 packets are not filtered by an IPv4 access group', (t) => {
  const v6 = Buffer.alloc(60);
  v6[0] = 0x60;
  t.true(accessListPermits(acl(['deny any']), v6));
});

test('entries that cannot be expressed are refused with the reason, not half applied', (t) => {
  t.regex(parseAce('allow 1.1.1.1', 10) as string, /starts with permit or deny/);
  t.regex(parseAce('permit 1.1.1', 10) as string, /not an IPv4 address/);
  t.regex(parseAce('permit tcp any any eq 80', 10) as string, /ports and options are not modelled/);
  t.regex(parseAce('permit udp 10.0.0.0 any', 10) as string, /needs a wildcard mask/);
  t.regex(parseAce('permit 1.1.1.1 0.0.0.255 extra', 10) as string, /unexpected "extra"/);
});

test('a wildcard entry matches exactly the addresses its mask leaves free (property)', (t) => {
  t.notThrows(() => fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 0xffffffff }), (net, bits, probe) => {
    const wc = bits === 32 ? 0xffffffff : ((1 << bits) >>> 0) - 1;
    const q = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
    const a = acl([`permit ${q(net)} ${q(wc)}`]);
    const inside = ((probe ^ net) & ~wc) >>> 0 === 0;
    return accessListPermits(a, ipv4(q(probe), '1.1.1.1')) === inside;
  })));
});

test('the policer lets cir through over time and drops the excess', (t) => {
  const p = new Policer(1_000_000, undefined, 0); // 1 Mbit/s: 125 000 bytes/s, bc 31 250 bytes
  t.is(p.bc, 31_250);
  let sent = 0;
  // 2 s of 1500-byte packets offered at 10 Mbit/s (one every 1.2 ms).
  for (let ms = 0; ms < 2000; ms += 1.2) if (p.admit(1500, ms)) sent += 1500;
  const rate = (sent * 8) / 2;
  t.true(rate >= 1_000_000 && rate <= 1_000_000 + (31_250 * 8) / 2 + 12_000, `${rate} bit/s through a 1 Mbit/s policer`);
  t.true(p.exceeded.packets > 0);
  t.is(p.conformed.bytes, sent);
});

test('a burst up to bc conforms at once; after it, a packet waits for tokens', (t) => {
  const p = new Policer(80_000, 3000, 1000); // 10 000 bytes/s
  t.true(p.admit(1500, 1000));
  t.true(p.admit(1500, 1000));
  t.false(p.admit(1500, 1000));
  t.false(p.admit(1500, 1100), '100 ms brings 1000 bytes, not 1500');
  t.true(p.admit(1500, 1160));
});

const MAPS: PolicyMaps = { 'In-1': { police: { cir: 1_000_000 } }, 'In-2': { police: { cir: 16_000_000, bc: 100_000 } } };

test('interface-config plans: mtu, service-policy by name, unknown policy-map as an error', (t) => {
  t.deepEqual(planInterfaceConfig(['ip mtu 1200', 'service-policy input In-1'], MAPS), { mtu: 1200, input: 'In-1', errors: [] });
  t.deepEqual(planInterfaceConfig(['no service-policy output'], MAPS), { output: null, errors: [] });
  const bad = planInterfaceConfig(['service-policy input Nope'], MAPS);
  t.deepEqual(bad.errors, ['policy-map Nope is not configured (known: In-1, In-2)']);
  t.is(bad.input, undefined, 'nothing planned for a line that cannot apply');
  t.deepEqual(planInterfaceConfig(['vrf forwarding blue', 'tunnel key 7'], MAPS), { errors: [] }, 'other lines are only recorded');
});

test('service policies attach, replace (a fresh bucket) and detach; the view shows counters', (t) => {
  const p: InterfacePolicy = {};
  t.deepEqual(applyServicePolicies(p, planInterfaceConfig(['service-policy input In-1'], MAPS), MAPS, 0), ['service-policy input In-1 (police cir 1000000)']);
  t.is(admitInbound(p, ipv4('1.1.1.1', '2.2.2.2', 1, 1400), 0), undefined);
  t.deepEqual(applyServicePolicies(p, planInterfaceConfig(['service-policy input In-1'], MAPS), MAPS, 5), [], 'the same policy again changes nothing');
  applyServicePolicies(p, planInterfaceConfig(['service-policy input In-2'], MAPS), MAPS, 10);
  t.is(p.input?.name, 'In-2');
  t.is(p.input?.policer.bc, 100_000);
  const view = interfacePolicyView(p) as { input: { name: string; conformed: { packets: number } } };
  t.is(view.input.name, 'In-2');
  t.is(view.input.conformed.packets, 0, 'the new policer counts from zero');
  applyServicePolicies(p, planInterfaceConfig(['no service-policy input'], MAPS), MAPS, 20);
  t.is(p.input, undefined);
  t.is(interfacePolicyView(p), undefined);
});

test('CoA template ACLs: one list per direction ordered by #N, numbered only when all entries parse', (t) => {
  let n = 2600;
  const next = () => ++n;
  const r = coaAccessLists(['ip:inacl#4=permit 1.1.1.2', 'ip:inacl#3=permit 1.1.1.1', 'ip:outacl#4=permit 1.1.1.3', 'ip:interface-config=ip mtu 1300'], 'va1', next);
  if (typeof r === 'string') return t.fail(r);
  t.is(r.in?.name, 'va1#2601');
  t.is(r.out?.name, 'va1#2602');
  t.deepEqual(r.in?.entries.map((e) => `${e.sequence} ${e.text}`), ['10 permit 1.1.1.1', '20 permit 1.1.1.2']);
  const bad = coaAccessLists(['ip:inacl#1=permit any', 'ip:outacl#1=permit tcp any any eq 22'], 'va1', next);
  t.regex(bad as string, /^outacl: .*ports and options/);
  t.is(n, 2602, 'a refused CoA takes no list number');
  const p: InterfacePolicy = { inAcl: r.in, outAcl: r.out };
  t.is(admitInbound(p, ipv4('1.1.1.1', '10.0.0.1'), 0), undefined);
  t.is(admitInbound(p, ipv4('1.1.1.9', '10.0.0.1'), 0), 'acl');
  t.is(admitOutbound(p, ipv4('1.1.1.3', '10.0.0.1'), 0), undefined);
  t.is(admitOutbound(p, ipv4('1.1.1.1', '10.0.0.1'), 0), 'acl');
});

test('ip access-group NAME in|out names one of the node\'s lists, shared by every interface; unknown names are errors', (t) => {
  const acls = namedAccessLists({ 'LAN-ONLY': ['permit 172.16.0.0 0.0.255.255'], WEB: ['permit tcp any host 192.168.10.10', 'deny ip any any'] });
  const plan = planInterfaceConfig(['ip access-group LAN-ONLY in', 'ip access-group WEB out'], MAPS, acls);
  t.deepEqual(plan, { accessIn: 'LAN-ONLY', accessOut: 'WEB', errors: [] });
  const va1: InterfacePolicy = {}, va2: InterfacePolicy = {};
  t.deepEqual(applyAccessGroups(va1, plan, acls), ['ip access-group LAN-ONLY in', 'ip access-group WEB out']);
  applyAccessGroups(va2, plan, acls);
  t.is(va1.inAcl, va2.inAcl, 'one list object: its counters add up across interfaces, as IOS shows them');
  t.is(admitInbound(va1, ipv4('172.16.9.9', '192.168.10.10'), 0), undefined);
  t.is(admitInbound(va2, ipv4('10.9.9.9', '192.168.10.10'), 0), 'acl');
  t.is(acls['LAN-ONLY']!.entries[0]!.matches, 1);
  t.is(acls['LAN-ONLY']!.implicitDenies, 1);
  t.deepEqual(planInterfaceConfig(['ip access-group NOPE in'], MAPS, acls).errors, ['access list NOPE is not configured (known: LAN-ONLY, WEB)']);
  applyAccessGroups(va1, planInterfaceConfig(['no ip access-group in'], MAPS, acls), acls);
  t.is(va1.inAcl, undefined);
  t.truthy(va1.outAcl);
  t.is(interfaceLineKey('ip access-group A in'), interfaceLineKey('ip access-group B in'));
  t.not(interfaceLineKey('ip access-group A in'), interfaceLineKey('ip access-group A out'));
  t.is(interfaceLineKey('service-policy input X'), 'service-policy input');
});

test('a named list entry that does not parse is an error naming the list and the entry', (t) => {
  const e = t.throws(() => namedAccessLists({ BAD: ['permit any', 'permit tcp any any eq 80'] }));
  t.regex(e!.message, /^access list BAD: "permit tcp any any eq 80": .*not supported/);
  t.deepEqual((e as unknown as { path: unknown }).path, ['access-lists', 'BAD', 1]);
});
