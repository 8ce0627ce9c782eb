// Deploy and destroy time of lab topologies on the netns backend (not asserted; prints numbers):
// topologies/hub-spoke.yaml and a generated hub with N spokes (default 200), each beside a
// reference that builds the same namespaces, links, addresses and routes with one `ip` command per
// operation, one after the other (what a shell script would do), so the ratio says what batching
// and parallel node set-up are worth.
//
// Run (root): npx tsx bench/lab.bench.ts [--spokes 200] [--rounds 3]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOk } from '../labs/command.ts';
import { deployLab, destroyLab } from '../labs/lab.ts';
import type { LabModel } from '../labs/model.ts';
import { loadTopologyFile, parseTopology } from '../labs/topology/load.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A hub router with one /24 per spoke on eth<i>; each spoke routes everything to the hub. */
export function hubWithSpokes(name: string, spokes: number): string {
  const lines = [`name: ${name}`, 'topology:', '  nodes:', '    hub:', '      kind: router', '      interfaces:'];
  for (let i = 1; i <= spokes; i++) lines.push(`        eth${i}: { ipv4: 10.${100 + (i >> 8)}.${i & 255}.1/24 }`);
  for (let i = 1; i <= spokes; i++) {
    lines.push(`    spoke${i}:`, '      kind: router', '      interfaces:', `        eth1: { ipv4: 10.${100 + (i >> 8)}.${i & 255}.2/24 }`,
      '      routes:', `        - { dst: default, via: 10.${100 + (i >> 8)}.${i & 255}.1 }`);
  }
  lines.push('  links:');
  for (let i = 1; i <= spokes; i++) lines.push(`    - endpoints: ["hub:eth${i}", "spoke${i}:eth1"]`);
  return lines.join('\n') + '\n';
}

interface Times { load: number; deploy: number; destroy: number }

async function ours(load: () => LabModel, outDir: string): Promise<Times> {
  let t = performance.now();
  const model = load();
  const loadMs = performance.now() - t;
  t = performance.now();
  const lab = await deployLab(model, { outDir });
  const deploy = performance.now() - t;
  // Proof that it is real: the last spoke answers the hub.
  const last = model.nodes.at(-1)!;
  const peer = last.interfaces[0]!.peer;
  if (peer) {
    const addr = last.interfaces[0]!.addresses[0]!.address;
    await lab.exec(peer.node, ['ping', '-c', '1', '-W', '2', addr]);
  }
  t = performance.now();
  await destroyLab(model.name);
  return { load: loadMs, deploy, destroy: performance.now() - t };
}

/** The same lab, one `ip` command per operation, sequentially. */
async function reference(model: LabModel): Promise<Times> {
  const ns = (node: string) => `ref-${model.nodes.find((n) => n.name === node)!.netns}`;
  let t = performance.now();
  for (const n of model.nodes) await runOk(['ip', 'netns', 'add', ns(n.name)]);
  for (const l of model.links) {
    await runOk(['ip', 'link', 'add', l.a.interface, 'netns', ns(l.a.node), 'type', 'veth', 'peer', 'name', l.b.interface, 'netns', ns(l.b.node)]);
  }
  for (const n of model.nodes) {
    const inNs = (...argv: string[]) => runOk(['ip', '-n', ns(n.name), ...argv]);
    if (n.kind === 'router') await runOk(['ip', 'netns', 'exec', ns(n.name), 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    await inNs('link', 'set', 'lo', 'up');
    for (const i of n.interfaces) {
      await inNs('link', 'set', i.name, 'up');
      for (const a of i.addresses) await inNs('addr', 'add', a.cidr, 'dev', i.name);
    }
    for (const r of n.routes) await inNs('route', 'add', r.dst, ...(r.via ? ['via', r.via] : []), ...(r.dev ? ['dev', r.dev] : []));
  }
  const deploy = performance.now() - t;
  t = performance.now();
  for (const n of model.nodes) await runOk(['ip', 'netns', 'del', ns(n.name)]);
  return { load: 0, deploy, destroy: performance.now() - t };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(0)} ms`.padStart(9);

async function main(argv: string[]): Promise<void> {
  const arg = (flag: string, def: number) => (argv.includes(flag) ? Number(argv[argv.indexOf(flag) + 1]) : def);
  const spokes = Math.min(arg('--spokes', 200), 1000);
  const rounds = Math.min(arg('--rounds', 3), 20);
  const base = mkdtempSync(path.join(tmpdir(), 'flexlab-bench-'));
  process.env['FLEXLAB_STATE_DIR'] = path.join(base, 'state');
  try {
    const cases: { name: string; load: () => LabModel }[] = [
      { name: 'hub-spoke.yaml (7 nodes, 6 links)', load: () => loadTopologyFile(path.join(ROOT, 'topologies', 'hub-spoke.yaml'), { name: 'bench-hs' }).lab },
      { name: `hub + ${spokes} spokes (${spokes + 1} nodes, ${spokes} links)`, load: () => parseTopology(hubWithSpokes('bench-hub', spokes), 'generated.yaml').lab },
    ];
    console.log(`lab deploy/destroy, netns backend, median of ${rounds} rounds (${process.platform}, Node ${process.version})`);
    console.log(`${'topology'.padEnd(40)}${'load'.padStart(9)}${'deploy'.padStart(9)}${'destroy'.padStart(9)}   reference deploy/destroy (one ip command per step)   ratio`);
    for (const c of cases) {
      const runs: Times[] = [];
      for (let i = 0; i < rounds; i++) runs.push(await ours(c.load, path.join(base, 'out')));
      const ref = await reference(c.load());
      const m = { load: median(runs.map((r) => r.load)), deploy: median(runs.map((r) => r.deploy)), destroy: median(runs.map((r) => r.destroy)) };
      console.log(`${c.name.padEnd(40)}${ms(m.load)}${ms(m.deploy)}${ms(m.destroy)}   ${ms(ref.deploy)} /${ms(ref.destroy)}${' '.repeat(28)}${(ref.deploy / m.deploy).toFixed(1).padStart(5)}x`);
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
}
