// Shared by the lab tests: a private state root per test file, the CLI as a subprocess, and a
// snapshot of what a lab could leave behind on the host.

import { mkdtempSync, readdirSync, readlinkSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { run } from '../../labs/command.ts';
import type { RunResult } from '../../labs/command.ts';
import { destroyAllLabs } from '../../labs/lab.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = path.join(ROOT, 'bin', 'flexlab.js');
export const topology = (name: string) => path.join(ROOT, 'topologies', name);
export const fixture = (name: string) => path.join(ROOT, 'test', 'fixtures', 'topologies', name);

/**
 * Points FLEXLAB_STATE_DIR at a fresh temp dir for this test file (each ava file runs in its own
 * process) and gives a temp output dir. Call at the top of a test file.
 */
export function isolate(tag: string): { stateDir: string; outDir: string } {
  const base = mkdtempSync(path.join(tmpdir(), `flexlab-${tag}-`));
  const stateDir = path.join(base, 'state');
  const outDir = path.join(base, 'out');
  process.env['FLEXLAB_STATE_DIR'] = stateDir;
  return { stateDir, outDir };
}

/** Destroys every lab of this file's state root and removes its temp dirs (t.teardown / after.always). */
export async function cleanupAll(dirs: { stateDir: string }): Promise<void> {
  await destroyAllLabs().catch(() => {});
  rmSync(path.dirname(dirs.stateDir), { recursive: true, force: true });
}

/** Runs the flexlab CLI with this file's state root. */
export function cli(args: string[], opts: { timeoutMs?: number; stateDir?: string } = {}): Promise<RunResult> {
  const env = { ...process.env, CI: 'true', ...(opts.stateDir ? { FLEXLAB_STATE_DIR: opts.stateDir } : {}) };
  return run([process.execPath, CLI, ...args], { env, timeoutMs: opts.timeoutMs ?? 60_000 });
}

export interface HostSnapshot {
  /** Namespaces of these labs. */
  netns: string[];
  /** veth, bridge and dummy interfaces of the host namespace (what a lab could leak there). */
  hostLinks: string[];
  /** Processes inside the given namespaces (by inode) or naming the labs' namespaces on their command line. */
  processes: string[];
  /** These labs' entries in the state root. */
  state: string[];
}

/** What labs named `labs` (and nothing else, so test files can run side by side) left on the host. */
export async function snapshot(labs: string[], netnsInodes: Set<number> = new Set(), stateDir = process.env['FLEXLAB_STATE_DIR']!): Promise<HostSnapshot> {
  const prefixes = labs.map((l) => `flx-${l}-`);
  const ns = await run(['ip', 'netns', 'list']);
  const netns = ns.stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n && prefixes.some((p) => n.startsWith(p))).sort();
  const hostLinks: string[] = [];
  for (const type of ['veth', 'bridge', 'dummy']) {
    const r = await run(['ip', '-o', 'link', 'show', 'type', type]);
    hostLinks.push(...r.stdout.split('\n').filter(Boolean).map((l) => l.split(':')[1]!.trim()));
  }
  const processes: string[] = [];
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    if (Number(pid) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/net`));
      const inLab = m && netnsInodes.has(Number(m[1]));
      // A CLI started by a test mentions the prefix in its args too: only count what runs inside.
      const mentions = prefixes.some((p) => cmd.includes(p)) && !cmd.includes('flexlab.js') && !cmd.startsWith('ip netns list');
      if (inLab || mentions) processes.push(`${pid} ${cmd}`);
    } catch { /* exited */ }
  }
  let state: string[] = [];
  try { state = readdirSync(stateDir).filter((n) => labs.includes(n)).sort(); } catch { /* not created yet */ }
  return { netns, hostLinks: hostLinks.sort(), processes: processes.sort(), state };
}

/** Inodes of the given namespaces, to find processes inside them later (even after the name is gone). */
export function netnsInodes(names: string[]): Set<number> {
  const out = new Set<number>();
  for (const n of names) {
    try { out.add(statSync(`/run/netns/${n}`).ino); } catch { /* gone */ }
  }
  return out;
}

/** Pings and returns how many replies came back. */
export async function pingCount(t: ExecutionContext | undefined, lab: { run: (node: string, argv: string[]) => Promise<RunResult> },
  from: string, to: string, args: string[] = ['-c', '3', '-i', '0.2', '-W', '1']): Promise<number> {
  const r = await lab.run(from, ['ping', '-n', ...args, to]);
  const m = /(\d+) received/.exec(r.stdout);
  t?.log?.(`ping ${from} -> ${to}: ${m ? m[1] : 0} replies`);
  return m ? Number(m[1]) : 0;
}

export async function pings(lab: { run: (node: string, argv: string[]) => Promise<RunResult> }, from: string, to: string, count = 2): Promise<boolean> {
  const r = await lab.run(from, ['ping', '-n', '-c', String(count), '-i', '0.2', '-W', '2', to]);
  return r.code === 0;
}
