// Deploying the shipped topologies on real namespaces: traffic crosses them, nothing touches the
// host namespace, and destroy leaves the host exactly as it was.

import test from 'ava';
import { existsSync } from 'node:fs';
import { addressPlan } from '../labs/address-plan.ts';
import { inspectLab } from '../labs/inspect.ts';
import { deployLab, destroyLab, openLab } from '../labs/lab.ts';
import { loadTopologyFile } from '../labs/topology/load.ts';
import { cleanupAll, fixture, isolate, netnsInodes, pings, snapshot, topology } from './helpers/lab.ts';

const dirs = isolate('lab-deploy');
test.after.always(() => cleanupAll(dirs));

test('hub-spoke: hosts reach each other across the WAN router (IPv4 and IPv6); destroy leaves the host as before', async (t) => {
  const name = 'tdep-hs';
  const before = await snapshot([name]);
  const { lab: model } = loadTopologyFile(fixture('hub-spoke-routed.yaml'), { name });
  const lab = await deployLab(model, { outDir: `${dirs.outDir}/${name}` });
  t.teardown(() => destroyLab(name).catch(() => {}));

  const inodes = netnsInodes(model.nodes.map((n) => n.netns));
  t.is(inodes.size, 7);
  const during = await snapshot([name], inodes);
  t.deepEqual(during.netns, model.nodes.map((n) => n.netns).sort());
  t.deepEqual(during.hostLinks, before.hostLinks, 'no lab interface in the host namespace');
  t.deepEqual(during.state, [name]);

  const plan = addressPlan(model);
  const checks: [string, string, 4 | 6][] = [
    ['host1', 'hub-host', 4], ['host2', 'hub-host', 4], ['host1', 'host2', 4], ['hub-host', 'host2', 4],
    ['host1', 'hub-host', 6], ['host2', 'host1', 6],
  ];
  const results = await Promise.all(checks.map(async ([from, to, fam]) =>
    [`${from}->${to}/v${fam}`, await pings(lab, from, plan.primaryAddress(to, fam)!)] as const));
  t.deepEqual(results.filter(([, ok]) => !ok).map(([k]) => k), [], 'every ping answered');

  // The path really goes through the WAN router: TTL drops by 3 (spoke1, wan, hub).
  const ttl = /ttl=(\d+)/.exec(await lab.exec('host1', ['ping', '-c', '1', '-W', '2', plan.primaryAddress('hub-host')!]));
  t.is(Number(ttl?.[1]), 61);

  const info = await inspectLab(openLab(name));
  t.is(info.status, 'deployed');
  t.deepEqual(info.nodes.find((n) => n.name === 'wan')!.interfaces.map((i) => `${i.name} ${i.state} ${i.addresses[0]}`),
    ['eth1 UP 198.51.100.254/24', 'eth2 UP 203.0.113.14/28', 'eth3 UP 203.0.113.30/28']);

  await destroyLab(name);
  const after = await snapshot([name], inodes);
  t.deepEqual(after, before);
});

test('nat-client: the client reaches the server through the nat and wan routers; the hub sees the outside address', async (t) => {
  const name = 'tdep-nc';
  const { lab: model } = loadTopologyFile(topology('nat-client.yaml'), { name });
  const before = await snapshot([name]);
  const lab = await deployLab(model, { outDir: `${dirs.outDir}/${name}` });
  t.teardown(() => destroyLab(name).catch(() => {}));

  t.true(await pings(lab, 'client', '10.0.1.1'), 'client -> server');
  t.true(await pings(lab, 'client', '10.0.0.1'), "client -> hub's loopback100");
  // The nat masqueraded the client's pings behind its outside address, with random ports.
  const masq = await lab.exec('nat', ['iptables', '-t', 'nat', '-L', 'POSTROUTING', '-v', '-x', '-n']);
  t.regex(masq, /MASQUERADE .* random-fully/);
  t.regex(masq, /^\s*[1-9]\d*\s+\d+\s+MASQUERADE/m, 'packets were masqueraded');
  const mappings = await lab.exec('nat', ['conntrack', '-L', '-p', 'icmp']);
  t.regex(mappings, /src=10\.10\.10\.100 dst=10\.0\.1\.1 .* src=10\.0\.1\.1 dst=192\.0\.2\.100/);
  // Inbound connections from the outside are blocked.
  t.false(await pings(lab, 'server', '10.10.10.100', 1));

  await destroyLab(name);
  t.deepEqual(await snapshot([name]), before);
});

test('a plain containerlab file deploys and runs: exec-assigned addresses, inherited env, sysctls', async (t) => {
  const name = 'tdep-clab';
  const { lab: model } = loadTopologyFile(fixture('clab-plain.clab.yml'), { name });
  const lab = await deployLab(model, { outDir: `${dirs.outDir}/${name}` });
  t.teardown(() => destroyLab(name).catch(() => {}));
  t.true(await pings(lab, 'r1', '10.0.12.2'), 'addresses from exec');
  t.true(await pings(lab, 'pc1', '10.0.12.2'), 'route from exec, forwarding from sysctls');
  t.true(await pings(lab, 'pc1', '10.0.13.1'), 'brief-form link addresses');
  t.is((await lab.exec('pc1', ['sh', '-c', 'echo $LAB_ROLE'])).trim(), 'client');
  t.is((await lab.exec('r2', ['ip', '-j', 'link', 'show', 'eth2'])).match(/"mtu":(\d+)/)?.[1], '1400');
  await destroyLab(name);
  t.false(existsSync(`/run/netns/flx-${name}-r1`));
});

test('a deploy that fails half way removes what it created', async (t) => {
  const name = 'tdep-fail';
  const { lab: model } = loadTopologyFile(fixture('clab-plain.clab.yml'), { name });
  model.nodes[2]!.exec = ['ip addr add 10.0.99.1/24 dev eth1', 'false'];
  const before = await snapshot([name]);
  const lines: string[] = [];
  await t.throwsAsync(deployLab(model, { outDir: `${dirs.outDir}/${name}`, log: (l) => lines.push(l) }), { message: /exec on node pc1 failed \(exit code 1\): false/ });
  t.true(lines.some((l) => l.startsWith('deploy failed')));
  t.deepEqual(await snapshot([name]), before);
});
