// Good topology files: the shipped ones, a plain containerlab file, inheritance, the model the
// loader produces, the shipped JSON Schema, the kind registry, the address plan and the graph.

import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { addressPlan } from '../labs/address-plan.ts';
import { renderGraph } from '../labs/graph.ts';
import { kinds } from '../labs/kinds/index.ts';
import { getNode, resolveLink } from '../labs/model.ts';
import { loadTopologyFile, parseTopology } from '../labs/topology/load.ts';
import { topologySchema } from '../labs/topology/schema.ts';
import { fixture, ROOT, topology } from './helpers/lab.ts';

test('hub-spoke.yaml: nodes, kinds, the R-17 LANs, IPv4 and IPv6, routes', (t) => {
  const { lab, warnings } = loadTopologyFile(fixture('hub-spoke-routed.yaml'));
  t.deepEqual(warnings, []);
  t.is(lab.name, 'hub-spoke');
  t.deepEqual(lab.nodes.map((n) => `${n.name}:${n.kind}`), ['hub:router', 'spoke1:router', 'spoke2:router', 'wan:router', 'hub-host:host', 'host1:host', 'host2:host']);
  t.is(getNode(lab, 'hub').netns, 'flx-hub-spoke-hub');
  const plan = addressPlan(lab);
  t.is(plan.subnetOf('192.168.10.10')?.subnet, '192.168.10.0/24');
  t.is(plan.subnetOf('172.16.1.10')?.subnet, '172.16.1.0/24');
  t.is(plan.subnetOf('172.16.2.10')?.subnet, '172.16.2.0/24');
  t.is(plan.primaryAddress('hub-host', 6), '2001:db8:10::10');
  t.deepEqual(getNode(lab, 'host1').routes, [
    { family: 4, dst: '0.0.0.0/0', via: '172.16.1.1' },
    { family: 6, dst: '::/0', via: '2001:db8:1::1' },
  ]);
  t.deepEqual(lab.links.map((l) => l.id), [
    'hub-eth1--wan-eth1', 'spoke1-eth1--wan-eth2', 'spoke2-eth1--wan-eth3',
    'hub-eth2--hub-host-eth1', 'spoke1-eth2--host1-eth1', 'spoke2-eth2--host2-eth1',
  ]);
  // Interfaces carry their link and peer; link order is kept.
  const wan = getNode(lab, 'wan');
  t.deepEqual(wan.interfaces.map((i) => `${i.name}>${i.peer?.node}`), ['eth1>hub', 'eth2>spoke1', 'eth3>spoke2']);
});

test('nat-client.yaml: the R-13 headend address, a nat node with defaults, a standalone loopback', (t) => {
  const { lab } = loadTopologyFile(topology('nat-client.yaml'));
  const nat = getNode(lab, 'nat');
  t.deepEqual(nat.config, { outside: 'eth1', 'random-ports': true, 'block-inbound': true });
  t.is(addressPlan(lab).owner('192.0.2.1')?.node, 'hub');
  t.is(addressPlan(lab).owner('192.0.2.100')?.node, 'nat');
  const lo = getNode(lab, 'hub').interfaces.find((i) => i.name === 'loopback100')!;
  t.is(lo.type, 'dummy');
  t.is(lo.addresses[0]!.cidr, '10.0.0.1/32');
});

test('a plain containerlab topology loads: linux kind, image/binds/mgmt accepted with notes, defaults/kinds/groups inherited', (t) => {
  const { lab, warnings } = loadTopologyFile(fixture('clab-plain.clab.yml'));
  t.true(warnings.some((w) => w.startsWith('"image" is a container setting')));
  t.true(warnings.some((w) => w.startsWith('"mgmt" is a containerlab setting')));
  const r1 = getNode(lab, 'r1');
  t.is(r1.kind, 'linux');
  t.is(r1.image, 'frrouting/frr:v8.4.1');
  t.deepEqual(r1.exec, ['ip addr add 10.0.12.1/24 dev eth1']);
  t.is(r1.env['LAB_ROLE'], 'router', 'env from topology.kinds.linux');
  const pc1 = getNode(lab, 'pc1');
  t.is(pc1.kind, 'linux', 'kind from topology.defaults');
  t.is(pc1.image, 'alpine:3.20', 'image from topology.defaults');
  t.is(pc1.env['LAB_ROLE'], 'client', 'group settings beat kinds and defaults');
  t.deepEqual(pc1.labels, { role: 'client' });
  t.is(getNode(lab, 'r2').sysctls['net.ipv4.ip_forward'], '1');
  // Extended veth endpoints and brief-form ipv4 lists put addresses on the interfaces.
  t.deepEqual(pc1.interfaces.map((i) => [i.name, i.addresses.map((a) => a.cidr), i.mtu]), [
    ['eth1', ['10.0.23.10/24'], 1400],
    ['eth2', ['10.0.13.10/24'], undefined],
  ]);
});

test("containerlab's brief link form with per-endpoint ipv4/ipv6 lists, mtu and vars loads", (t) => {
  const text = [
    'name: clab2',
    'topology:',
    '  kinds:',
    '    linux: { image: alpine }',
    '  nodes:',
    '    a: { kind: linux, cmd: sleep infinity, ports: ["80:80"], env: { X: 1 } }',
    '    b: { kind: linux, startup-delay: 3, labels: { x: y } }',
    '  links:',
    '    - endpoints: ["a:eth1", "b:eth1"]',
    '      ipv4: [192.168.0.1/30, 192.168.0.2/30]',
    '      ipv6: ["2001:db8::1/64", "2001:db8::2/64"]',
    '      mtu: 9000',
    '      vars: { foo: bar }',
  ].join('\n');
  const { lab } = parseTopology(text, 'clab2.yml');
  t.deepEqual(getNode(lab, 'b').interfaces[0]!.addresses.map((a) => a.cidr), ['192.168.0.2/30', '2001:db8::2/64']);
  t.is(lab.links[0]!.mtu, 9000);
});

test('--name overrides the lab name, and the namespaces follow it', (t) => {
  const { lab } = loadTopologyFile(fixture('hub-spoke-routed.yaml'), { name: 'x1' });
  t.is(lab.name, 'x1');
  t.is(getNode(lab, 'spoke1').netns, 'flx-x1-spoke1');
  t.throws(() => loadTopologyFile(fixture('hub-spoke-routed.yaml'), { name: 'no/slash' }), { message: /lab name "no\/slash" is not valid/ });
});

test('links resolve by id, endpoint, node pair or index; ambiguity and typos are explained', (t) => {
  const { lab } = loadTopologyFile(fixture('hub-spoke-routed.yaml'));
  t.is(resolveLink(lab, 'hub-eth1--wan-eth1').id, 'hub-eth1--wan-eth1');
  t.is(resolveLink(lab, 'wan:eth2').id, 'spoke1-eth1--wan-eth2');
  t.is(resolveLink(lab, 'wan--hub').id, 'hub-eth1--wan-eth1');
  t.is(resolveLink(lab, 'spoke2-host2').id, 'spoke2-eth2--host2-eth1');
  t.is(resolveLink(lab, '0').id, 'hub-eth1--wan-eth1');
  t.throws(() => resolveLink(lab, 'hub-eth1--wan-eth9'), { message: /no link "hub-eth1--wan-eth9" \(did you mean "hub-eth1--wan-eth1"\?\)/ });
});

test('the shipped JSON Schema is a valid draft-07 schema and accepts the shipped topologies', async (t) => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(topologySchema());
  for (const f of readdirSync(path.join(ROOT, 'topologies')).filter((x) => x.endsWith('.yaml'))) {
    const text = readFileSync(path.join(ROOT, 'topologies', f), 'utf8');
    t.regex(text.split('\n')[0]!, /yaml-language-server: \$schema=\.\.\/schemas\/topology\.schema\.json/, `${f} names the schema for editors`);
    t.notThrows(() => loadTopologyFile(path.join(ROOT, 'topologies', f)), f);
    t.true(validate((await import('yaml')).parse(text)), `${f}: ${JSON.stringify(validate.errors)}`);
  }
  t.false(validate({ name: 'x', topology: { nodes: {} }, bogus: 1 }));
});

test('kind registry: every NodeKind exported from labs/kinds/*.ts is registered under its name, and each is complete', async (t) => {
  const files = readdirSync(path.join(ROOT, 'labs', 'kinds')).filter((f) => f.endsWith('.ts') && !['index.ts', 'types.ts'].includes(f));
  const exported: string[] = [];
  for (const f of files) {
    const mod = await import(path.join(ROOT, 'labs', 'kinds', f)) as Record<string, unknown>;
    for (const v of Object.values(mod)) {
      const k = v as { name?: unknown; start?: unknown; description?: unknown };
      if (k && typeof k === 'object' && typeof k.name === 'string' && typeof k.start === 'function' && typeof k.description === 'string') {
        exported.push(k.name);
        t.is(kinds.get(k.name), v as never, `${f} exports kind ${k.name}: registered in labs/kinds/index.ts`);
      }
    }
  }
  for (const name of ['host', 'router', 'nat', 'linux']) t.true(exported.includes(name), name);
  t.deepEqual([...kinds.keys()].filter((k) => !exported.includes(k)), [], 'every registered kind comes from its own file');
  for (const k of kinds.values()) {
    if (k.configSchema) t.notThrows(() => new Ajv({ strict: false }).compile(k.configSchema!), k.name);
  }
});

test('graph: Mermaid and DOT name every node and link with interfaces and addresses', (t) => {
  const { lab } = loadTopologyFile(fixture('hub-spoke-routed.yaml'));
  const mermaid = renderGraph(lab, 'mermaid');
  t.regex(mermaid, /^%% lab hub-spoke\ngraph LR\n/);
  t.regex(mermaid, /n_hub\["<b>hub<\/b><br\/>router"\]/);
  t.regex(mermaid, /n_hub ---\|"eth1 198\.51\.100\.1\/24 2001:db8:100::1\/64 — eth1 198\.51\.100\.254\/24 2001:db8:100::fe\/64"\| n_wan/);
  t.is(mermaid.split('\n').filter((l) => l.includes('---|')).length, 6);
  const dot = renderGraph(lab, 'dot');
  t.regex(dot, /^graph "hub-spoke" \{/);
  t.regex(dot, /"spoke1" -- "host1" \[taillabel="eth2\\n172\.16\.1\.1\/24\\n2001:db8:1::1\/64", headlabel="eth1\\n172\.16\.1\.10\/24\\n2001:db8:1::10\/64", label="172\.16\.1\.0\/24\\n2001:db8:1::\/64"\];/);
  t.regex(dot, /\}\n$/);
});
