// The flexvpn-client kind's configuration: a topology with client blocks loads into the role's
// objects (peers by sequence, tracks, connect modes, per-block profiles over the node's), and
// mistakes are reported with file, line and path, or with the block and peer they concern.

import test from 'ava';
import { parseTopology } from '../labs/topology/load.ts';
import { TopologyError } from '../labs/topology/diagnostics.ts';
import { buildRoleSetup } from '../engine/roles/config.ts';
import type { DaemonInput } from '../engine/roles/config.ts';

const topo = (config: string) => `name: cfg
topology:
  nodes:
    client:
      kind: flexvpn-client
      config:
${config.split('\n').map((l) => `        ${l}`).join('\n')}
      interfaces:
        eth1: { ipv4: 203.0.113.1/28 }
        eth2: { ipv4: 172.16.1.1/24, type: dummy }
    wan:
      kind: router
      interfaces:
        eth1: { ipv4: 203.0.113.14/28 }
  links:
    - endpoints: ["client:eth1", "wan:eth1"]
`;

function input(config: Record<string, unknown>): DaemonInput {
  return {
    lab: 'cfg', node: 'client', kind: 'flexvpn-client', role: 'client', config, baseDir: '.', stateDir: '', outDir: '',
    interfaces: [{ name: 'eth1', addresses: [{ family: 4, address: '203.0.113.1', prefix: 28 }] }, { name: 'eth2', addresses: [{ family: 4, address: '172.16.1.1', prefix: 24 }] }],
  };
}

const GOOD = `pre-shared-key: cisco123
identity: { fqdn: client.flexlab.test }
name-servers: [203.0.113.33]
tracks:
  1: { probe: { address: 198.51.100.1, interface: eth1, interval: 0.5 } }
  5: { state: down }
clients:
  - name: flex
    peers:
      - { seq: 2, name: hub4, address: 198.51.100.49 }
      - { seq: 1, name: hub1, address: 198.51.100.1, track: 1 }
      - { seq: 3, fqdn: VPN.flexlab.test }
    peer-reactivate: true
    backup-group: 1
    nat: true
  - name: backup
    identity: { fqdn: backup.flexlab.test }
    peers: [{ seq: 1, address: 198.51.100.33, track: { object: 5, state: down } }]
    connect: { track: 5, state: down }
    tunnel: { interface: tun9, mtu: 1380 }
    default-route: false`;

test('a client configuration becomes the role\'s blocks, tracks and profiles', (t) => {
  const { lab } = parseTopology(topo(GOOD), 'cfg.yaml');
  const setup = buildRoleSetup(input(lab.nodes.find((n) => n.name === 'client')!.config));
  t.is(setup.role, 'client');
  t.is(setup.localAddress, '203.0.113.1');
  const c = setup.client!;
  t.deepEqual(c.nameServers, ['203.0.113.33']);
  t.true(c.dnsProxy);
  t.deepEqual(c.tracks.map((x) => [x.id, x.state, x.probe?.interval, x.probe?.threshold]), [['1', undefined, 0.5, 3], ['5', 'down', undefined, undefined]]);
  const [flex, backup] = c.blocks;
  t.deepEqual(flex!.role.peers.map((p) => p.seq), [2, 1, 3], 'kept as written; the role sorts by sequence');
  t.deepEqual(flex!.role.peers[1]!.track, { id: '1', state: 'up' });
  t.is(flex!.role.peers[2]!.fqdn, 'vpn.flexlab.test');
  t.deepEqual(flex!.role.connect, { mode: 'auto' });
  t.true(flex!.role.reactivate);
  t.is(flex!.role.backupGroup, '1');
  t.like(flex!, { nat: true, routeMetric: 10, acceptDefault: true, tunnel: { interface: 'tunnel0', address: 'negotiated', mtu: 1400 } });
  t.is(flex!.role.profile.localIdentity?.value, 'client.flexlab.test');
  t.true(flex!.role.profile.vendorIds?.some((v) => v.toString() === 'FLEXVPN-SUPPORTED'), 'a FlexVPN client says so');
  t.true(flex!.role.profile.configMode?.requestAddress);
  t.deepEqual(backup!.role.connect, { mode: 'track', track: '5', state: 'down' });
  t.is(backup!.role.profile.localIdentity?.value, 'backup.flexlab.test', 'the block\'s identity wins over the node\'s');
  t.like(backup!, { routeMetric: 20, acceptDefault: false, tunnel: { interface: 'tun9', mtu: 1380 } });
});

test('schema mistakes come with file, line and path', (t) => {
  const bad = GOOD.replace('peer-reactivate: true', 'peer-reactivat: true').replace('connect: { track: 5, state: down }', 'connect: sometimes');
  const e = t.throws(() => parseTopology(topo(bad), 'cfg.yaml'), { instanceOf: TopologyError });
  t.regex(e.message, /cfg\.yaml:\d+:\d+: topology\.nodes\.client\.config\.clients\[0\]\.peer-reactivat: unknown key "peer-reactivat" \(did you mean "peer-reactivate"\?\)/);
  t.regex(e.message, /cfg\.yaml:\d+:\d+: topology\.nodes\.client\.config\.clients\[1\]\.connect/);
});

test('what the schema cannot say: undefined tracks, duplicate sequences and tunnels, unresolvable names', (t) => {
  const cfg = (clients: unknown[], extra: Record<string, unknown> = {}) => input({ 'pre-shared-key': 'k', tracks: { 1: {} }, clients, ...extra });
  const err = (c: DaemonInput) => t.throws(() => buildRoleSetup(c))!.message;
  t.regex(err(cfg([{ name: 'a', peers: [{ seq: 1, address: '198.51.100.1', track: 7 }] }])), /clients\[0\] \(a\)\.peers\[0\]: track 7 is not defined in tracks/);
  t.regex(err(cfg([{ name: 'a', peers: [{ seq: 1, address: '198.51.100.1' }, { seq: 1, address: '198.51.100.2' }] }])), /peers\[1\]: sequence number 1 is used twice/);
  t.regex(err(cfg([{ name: 'a', peers: [{ seq: 1, address: '198.51.100.1' }] }, { name: 'b', peers: [{ seq: 1, address: '198.51.100.2' }], tunnel: { interface: 'tunnel0' } }])), /tunnel interface tunnel0 is already the tunnel of another client/);
  t.regex(err(cfg([{ name: 'a', peers: [{ seq: 1, fqdn: 'vpn.test' }] }])), /fqdn vpn\.test needs name-servers \(or a hosts entry\)/);
  t.notThrows(() => buildRoleSetup(cfg([{ name: 'a', peers: [{ seq: 1, fqdn: 'vpn.test' }] }], { hosts: { 'vpn.test': '198.51.100.1' } })));
  t.regex(err(cfg([{ name: 'a', peers: [{ seq: 1, address: 'hub1' }] }])), /"hub1" is not an IP address \(use fqdn: for a name\)/);
  t.regex(err(cfg([{ name: 'a', connect: { track: 9 }, peers: [{ seq: 1, address: '198.51.100.1' }] }])), /clients\[0\] \(a\)\.connect: track 9 is not defined/);
  t.regex(err(cfg([{ name: 'a', inside: ['eth7'], peers: [{ seq: 1, address: '198.51.100.1' }] }])), /inside interface eth7 does not exist/);
});
