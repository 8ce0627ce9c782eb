import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadTopologyFile } from '../labs/topology/load.ts';
import { deployLab, destroyLab } from '../labs/lab.ts';
import { sleep } from '../labs/command.ts';
import { controlRequest } from '../engine/daemon/control.ts';
import { controlPathOf } from '../engine/daemon/daemon.ts';
import { setupTopology } from '../bench/interop.bench.ts';

const snap = process.argv.includes('--snap');
const count = Number(process.env.COUNT ?? 500);
const doc = setupTopology() as any;
delete doc.topology.nodes.charon; delete doc.topology.nodes.lg.interfaces.eth2;
doc.topology.links = doc.topology.links.filter((l: any) => !l.endpoints.some((e: string) => e.startsWith('charon')));
doc.name = 'bench-mem';
const dir = mkdtempSync(path.join(tmpdir(), 'flexlab-mem-'));
writeFileSync(path.join(dir, 't.yaml'), stringify(doc));
const lab = await deployLab(loadTopologyFile(path.join(dir, 't.yaml')).lab, { outDir: path.join(dir, 'out') });
const smaps = (pid: number) => { const out: Record<string, number> = {}; let cur = ''; for (const l of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) { const m = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(l); if (m) { const [a, b] = l.split(' ')[0]!.split('-').map((x) => parseInt(x, 16)); const sz = (b! - a!) / 1024; cur = m[1] || (sz === 256 ? 'anon256k' : sz < 1024 ? 'anon<1M' : sz <= 65536 ? 'anon1-64M' : 'anonbig'); continue; } const r = /^Rss:\s+(\d+)/.exec(l); if (r) out[cur] = (out[cur] ?? 0) + Number(r[1]); } return Object.fromEntries(Object.entries(out).filter(([, v]) => v > 500).sort((x, y) => y[1] - x[1])); };
const rss = (pid: number) => JSON.stringify(smaps(pid)) + ' ' + readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').split('\n').filter((l) => /^(Rss|Anonymous|Private_Dirty)/.test(l)).join(' ').replace(/\s+/g, ' ');
try {
  const pid = (await controlRequest<{ pid: number }>(controlPathOf(lab.state.dir, 'hub'), 'status')).pid;
  await sleep(500);
  if (snap) { process.kill(pid, 'SIGUSR2'); await sleep(4000); }
  console.log('before', rss(pid));
  const out = await lab.exec('lg', [process.execPath, '--import', 'tsx/esm', '/work/main/bench/ike-loadgen.ts', '--local', '192.0.2.10', '--peer', '192.0.2.1', '--remote-ts', '10.2.0.0/24', '--count', String(count),
    '--concurrency', '20', '--timeout', '120', '--psk', 'flexlab-bench-psk-0123', '--remote-id', 'hub.load.flexlab.test'], { timeoutMs: 180000 });
  console.log(out.trim().split('\n').pop());
  await sleep(500);
  console.log('after ', rss(pid));
  if (process.env.TWICE) { const o2 = await lab.exec('lg', [process.execPath, '--import', 'tsx/esm', '/work/main/bench/ike-loadgen.ts', '--local', '192.0.2.10', '--peer', '192.0.2.1', '--remote-ts', '10.2.0.0/24', '--count', String(count),
    '--concurrency', '20', '--timeout', '120', '--psk', 'flexlab-bench-psk-0123', '--remote-id', 'hub.load.flexlab.test'], { timeoutMs: 180000 }); console.log('second', o2.trim().split('\n').pop()); await sleep(500); console.log('after2', rss(pid)); }
  if (snap) { process.kill(pid, 'SIGUSR2'); await sleep(6000); }
  await sleep(3000);
  console.log('after3s', rss(pid));
  const c = await controlRequest<any>(controlPathOf(lab.state.dir, 'hub'), 'counters'); console.log(JSON.stringify(c.esp), JSON.stringify(Object.values(c.tunnels).slice(0,3)));
  if (process.env.KEEP) await sleep(Number(process.env.KEEP));
} finally {
  await destroyLab(lab.name).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}
