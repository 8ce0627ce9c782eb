// Bad topology files: every error class gets a located, actionable message, all errors of a file are
// reported together, and deploy creates nothing.

import test from 'ava';
import { readdirSync } from 'node:fs';
import { kinds } from '../labs/kinds/index.ts';
import { TopologyError } from '../labs/topology/diagnostics.ts';
import { loadTopologyFile, parseTopology } from '../labs/topology/load.ts';
import { cli, fixture, isolate, cleanupAll, snapshot } from './helpers/lab.ts';

const dirs = isolate('topology-errors');
test.after.always(() => cleanupAll(dirs));

/** The formatted error lines of a bad fixture (relative path as the user would see it). */
function errors(name: string): string[] {
  const err = (() => {
    try {
      loadTopologyFile(fixture(name));
    } catch (e) {
      return e;
    }
    throw new Error(`${name} loaded without errors`);
  })();
  if (!(err instanceof TopologyError)) throw err;
  return err.message.split('\n').slice(0, -1).map((l) => l.replace(/^.*test\/fixtures\/topologies\//, ''));
}

test('the issue example: a misspelt node in a link is located and gets a suggestion', (t) => {
  const e = errors('bad-endpoint-node.yaml');
  t.deepEqual(e, [
    'bad-endpoint-node.yaml:14:9: topology.links[2].endpoints[1]: node "spok1" is not defined (did you mean "spoke1"?)',
    'bad-endpoint-node.yaml:15:34: topology.links[3].endpoints[1]: "wan" is not in node:interface form (for example "hub:eth1")',
  ]);
});

test('unknown keys, with did-you-mean, at node, interface and link level', (t) => {
  t.deepEqual(errors('bad-unknown-key.yaml'), [
    'bad-unknown-key.yaml:6:7: topology.nodes.hub.interfacs: unknown key "interfacs" (did you mean "interfaces"?)',
    'bad-unknown-key.yaml:11:36: topology.nodes.spoke1.interfaces.eth1.mtux: unknown key "mtux" (did you mean "mtu"?)',
    'bad-unknown-key.yaml:14:7: topology.links[0].captur: unknown key "captur" (did you mean "capture"?)',
  ]);
});

test('duplicate node names (YAML duplicate keys) are errors, not silently merged', (t) => {
  t.deepEqual(errors('bad-duplicate-node.yaml'), [
    'bad-duplicate-node.yaml:8:5: topology.nodes.spoke1: duplicate node name "spoke1" (first defined on line 6)',
  ]);
});

test('an interface used by two links, or twice in one link', (t) => {
  t.deepEqual(errors('bad-interface-twice.yaml'), [
    'bad-interface-twice.yaml:9:19: topology.links[1].endpoints[0]: interface hub:eth1 is already used by topology.links[0]; an interface can be the endpoint of one link only',
    'bad-interface-twice.yaml:10:34: topology.links[2].endpoints[1]: interface spoke2:eth2 is already used by the other end of this link; an interface can be the endpoint of one link only',
  ]);
});

test('invalid CIDRs: bad address, missing prefix, prefix too long, wrong family, duplicate address', (t) => {
  t.deepEqual(errors('bad-cidr.yaml'), [
    'bad-cidr.yaml:8:17: topology.nodes.a.interfaces.eth1.ipv4: invalid address: "10.0.0.300" is not a valid IPv4 or IPv6 address',
    'bad-cidr.yaml:14:18: topology.nodes.b.interfaces.eth1.ipv4[0]: invalid address: "10.0.0.2" is not in address/prefix form (for example 10.0.0.1/24 or 2001:db8::1/64)',
    'bad-cidr.yaml:14:28: topology.nodes.b.interfaces.eth1.ipv4[1]: invalid address: prefix length /33 is longer than 32 bits for an IPv4 address',
    'bad-cidr.yaml:15:17: topology.nodes.b.interfaces.eth1.ipv6: "10.0.0.4/24" is an IPv4 address; put it under ipv4',
    'bad-cidr.yaml:19:23: topology.nodes.c.interfaces.eth1.ipv4: address 10.0.0.1 is already assigned to b:eth2',
  ]);
});

test('interface names too long or invalid for Linux', (t) => {
  t.deepEqual(errors('bad-ifname.yaml'), [
    'bad-ifname.yaml:7:9: topology.nodes.hub.interfaces.wan-uplink-primary: interface name "wan-uplink-primary" is 18 characters long; Linux allows at most 15',
    'bad-ifname.yaml:10:19: topology.links[0].endpoints[0]: interface name "wan-uplink-primary" is 18 characters long; Linux allows at most 15',
    'bad-ifname.yaml:11:31: topology.links[1].endpoints[1]: "eth/2" is not a valid Linux interface name (no \'/\', \':\' or whitespace)',
  ]);
});

test('namespace names too long', (t) => {
  t.deepEqual(errors('bad-netns-name.yaml'), [
    'bad-netns-name.yaml:5:5: topology.nodes.remote-access-client-windows-11: namespace name "flx-branch-office-regression-lab-remote-access-client-windows-11" is 64 characters long; at most 48 (shorten the lab or node name)',
  ]);
});

test('routes: unreachable gateway, host bits, family mismatch, no via/dev, unknown dev, own address', (t) => {
  t.deepEqual(errors('bad-route.yaml'), [
    'bad-route.yaml:9:32: topology.nodes.spoke1.routes[0].via: gateway 203.0.113.30 is not reachable: it is on no subnet of node "spoke1" (eth1 203.0.113.1/28)',
    'bad-route.yaml:10:18: topology.nodes.spoke1.routes[1].dst: destination "172.16.2.1/24" has host bits set (did you mean "172.16.2.0/24"?)',
    'bad-route.yaml:11:31: topology.nodes.spoke1.routes[2].via: gateway 203.0.113.14 is IPv4 but the destination ::/0 is IPv6',
    'bad-route.yaml:12:11: topology.nodes.spoke1.routes[3]: a route needs "via" (a gateway) or "dev" (an interface), or both',
    'bad-route.yaml:13:36: topology.nodes.spoke1.routes[4].dev: node "spoke1" has no interface "eth9" (did you mean "eth1"?)',
    'bad-route.yaml:14:36: topology.nodes.spoke1.routes[5].via: gateway 203.0.113.1 is an address of node "spoke1" itself',
  ]);
});

test('unknown kind, missing kind, and kind config validated by the kind (line-numbered too)', (t) => {
  t.deepEqual(errors('bad-kind.yaml'), [
    `bad-kind.yaml:5:13: topology.nodes.hub.kind: unknown kind "rotuer" (did you mean "router"?); known kinds: ${[...kinds.keys()].join(', ')}`,
    'bad-kind.yaml:9:9: topology.nodes.nat1.config: missing required key "outside" (kind nat)',
    'bad-kind.yaml:9:9: topology.nodes.nat1.config.outsid: unknown key "outsid" (did you mean "outside"?)',
    'bad-kind.yaml:14:23: topology.nodes.nat2.config.random-ports: expected true or false, got the string "yes"',
    'bad-kind.yaml:15:5: topology.nodes.pc: node "pc" has no kind (set kind here or in topology.defaults)',
  ]);
});

test("a kind's own checks run once the rest is sound (nat outside must be one of its interfaces)", (t) => {
  const text = [
    'name: natcheck',
    'topology:',
    '  nodes:',
    '    nat: { kind: nat, config: { outside: eth7 } }',
    '    pc: { kind: host }',
    '  links:',
    '    - endpoints: ["nat:eth1", "pc:eth1"]',
  ].join('\n');
  const e = t.throws(() => parseTopology(text, 'inline.yaml'), { instanceOf: TopologyError });
  t.is(e.diagnostics.length, 1);
  t.is(e.message.split('\n')[0], 'inline.yaml:4:42: topology.nodes.nat.config.outside: interface "eth7" is not an interface of node "nat" (did you mean "eth1"?)');
});

test('a hub\'s access lists parse and its template names policy-maps and lists that exist (located errors)', (t) => {
  const hub = (extra: string) => [
    'name: vacheck',
    'topology:',
    '  nodes:',
    '    hub:',
    '      kind: flexvpn-hub',
    '      config:',
    '        pre-shared-key: k',
    '        policy-maps: { Q1: { police: { cir: 1000000 } } }',
    extra,
    '      interfaces: { eth1: { ipv4: 192.0.2.1/24 } }',
    '    pc: { kind: host, interfaces: { eth1: { ipv4: 192.0.2.2/24 } } }',
    '  links:',
    '    - endpoints: ["hub:eth1", "pc:eth1"]',
  ].join('\n');
  const first = (text: string) => t.throws(() => parseTopology(text, 'inline.yaml'), { instanceOf: TopologyError }).message.split('\n')[0];
  t.is(first(hub('        virtual-template: { interface-config: [ip mtu 1400, service-policy output Q2] }')),
    'inline.yaml:9:61: topology.nodes.hub.config.virtual-template.interface-config[1]: policy-map Q2 is not configured (known: Q1)');
  t.is(first(hub('        access-lists: { WEB: [permit udp any any eq 53] }')),
    'inline.yaml:9:31: topology.nodes.hub.config.access-lists.WEB[0]: access list WEB: "permit udp any any eq 53": "eq 53" is not supported (ports and options are not modelled)');
  t.notThrows(() => parseTopology(hub('        access-lists: { WEB: [permit 10.0.0.0 0.0.0.255] }\n        virtual-template: { interface-config: [ip access-group WEB in, service-policy input Q1] }'), 'inline.yaml'));
});

test('links to the host namespace and host networking are refused', (t) => {
  t.deepEqual(errors('bad-link-type.yaml'), [
    'bad-link-type.yaml:5:37: topology.nodes.b.network-mode: network-mode "host" would put the node in the host namespace; lab nodes always get their own namespace',
    'bad-link-type.yaml:7:13: topology.links[0].type: link type "host" would connect the lab to the host\'s network; lab namespaces are never linked to the host namespace',
    'bad-link-type.yaml:9:13: topology.links[1].type: link type "vxlan" is not supported by the netns backend (only veth links)',
  ]);
});

test('YAML syntax errors are located', (t) => {
  t.deepEqual(errors('bad-syntax.yaml'), [
    'bad-syntax.yaml:5:5: YAML syntax: Flow map in block collection must be sufficiently indented and end with a }',
  ]);
});

test('all errors of a file are reported at once, with a count', (t) => {
  const e = t.throws(() => loadTopologyFile(fixture('bad-multi.yaml')), { instanceOf: TopologyError });
  t.is(e.diagnostics.length, 5);
  t.regex(e.message, /5 errors in topology; nothing was created$/);
  const lines = e.message.split('\n');
  t.true(lines.some((l) => l.includes('interface "eth3" of node "hub" is not an endpoint of any link (did you mean "eth1"?)')));
  t.true(lines.some((l) => l.includes('unknown kind "hots" (did you mean "host"?)')));
  t.true(lines.some((l) => l.includes('address 192.0.2.1 is already assigned to hub:eth1')));
  t.true(lines.some((l) => l.includes('gateway 10.0.0.1 is not reachable')));
  t.true(lines.some((l) => l.includes('topology.links[0].mtu: must be >= 68 (got 20)')));
});

test('structural errors: wrong types, too many endpoints, missing keys', (t) => {
  const text = [
    'name: shape',
    'topology:',
    '  nodes:',
    '    a: { kind: host, routes: { dst: default } }',
    '    b: { kind: host, exec: "ip a" }',
    '  links:',
    '    - endpoints: ["a:eth1", "b:eth1", "b:eth2"]',
    '    - mtu: 1400',
    '    - endpoints: ["a:eth2", 7]',
  ].join('\n');
  const e = t.throws(() => parseTopology(text, 'shape.yaml'), { instanceOf: TopologyError });
  t.deepEqual(e.message.split('\n').slice(0, -1), [
    'shape.yaml:4:30: topology.nodes.a.routes: expected a list, got a map',
    'shape.yaml:5:28: topology.nodes.b.exec: expected a list, got the string "ip a"',
    'shape.yaml:7:18: topology.links[0].endpoints: a link has exactly 2 endpoints, got 3',
    'shape.yaml:8:7: topology.links[1]: missing required key "endpoints"',
    'shape.yaml:9:29: topology.links[2].endpoints[1]: expected a string or a map, got number 7',
  ]);
});

test('every bad fixture fails and none creates anything: deploy through the CLI exits 1 and leaves no namespace', async (t) => {
  const bad = readdirSync(fixture('.')).filter((f) => f.startsWith('bad-'));
  t.true(bad.length >= 10);
  const before = await snapshot(['bad-multi', 'bad-endpoint-node']);
  // One CLI run per class would be slow; the CLI path is the same for all: check two of them.
  for (const f of ['bad-multi.yaml', 'bad-endpoint-node.yaml']) {
    const r = await cli(['deploy', '-t', fixture(f)]);
    t.is(r.code, 1, r.stderr);
    t.regex(r.stderr, /errors? in topology; nothing was created/);
    t.notRegex(r.stderr, /    at /, 'no stack trace for a user error');
  }
  for (const f of bad) t.throws(() => loadTopologyFile(fixture(f)), { instanceOf: TopologyError }, f);
  t.deepEqual(await snapshot(['bad-multi', 'bad-endpoint-node']), before);
});
