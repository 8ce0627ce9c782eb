// Running one charon per lab node (../shared/interop/README.md section 5): its configuration
// files, the command that gives it a private /run inside `ip netns exec`'s private mount
// namespace (the pid file path /var/run/charon.pid is compiled in, so two charons cannot share
// /run), readiness (the vici socket answers), loading swanctl.conf, and a stop that waits.

import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sleep } from '../../labs/command.ts';
import type { StrongswanConfig } from './config.ts';
import type { StrongswanPaths } from './paths.ts';
import { renderStrongswanConf, renderSwanctlConf } from './render.ts';
import { swanctl, swanctlOk } from './swanctl.ts';

export const CHARON_BIN = '/usr/lib/ipsec/charon';

/** Writes strongswan.conf, swanctl.conf and the credential files; creates the private /run. */
export function writeCharonFiles(paths: StrongswanPaths, cfg: StrongswanConfig, baseDir: string, node: string): void {
  for (const dir of [paths.runDir, paths.confDir, dirname(paths.log), paths.keyDir]) mkdirSync(dir, { recursive: true });
  rmSync(paths.swanctlDir, { recursive: true, force: true });
  for (const sub of ['x509', 'x509ca', 'private']) mkdirSync(join(paths.swanctlDir, sub), { recursive: true });
  writeFileSync(paths.conf, renderStrongswanConf(cfg, paths, node));
  const sw = renderSwanctlConf(cfg, baseDir, node);
  writeFileSync(join(paths.swanctlDir, 'swanctl.conf'), sw.text, { mode: 0o600 });
  for (const f of sw.files) copyFileSync(f.src, join(paths.swanctlDir, f.dest));
  rmSync(paths.pidFile, { force: true });
  rmSync(paths.vici, { force: true });
}

/**
 * Paths charon itself opens must not lie under /run: inside its mount namespace /run is the
 * node's private run directory. Returns a message for the user, or undefined when all is well.
 */
export function hiddenByPrivateRun(paths: StrongswanPaths): string | undefined {
  for (const p of [paths.conf, paths.log, paths.keyLog]) {
    let real = p;
    try { real = realpathSync(dirname(p)); } catch { /* not created yet */ }
    if (real === '/run' || real.startsWith('/run/') || real === '/var/run' || real.startsWith('/var/run/')) {
      return `${p} is under /run, which charon cannot see (it runs with a private /run); deploy with an output directory elsewhere (--out DIR)`;
    }
  }
  return undefined;
}

/** argv run inside the node's namespace (by `ip netns exec`, which unshares the mount namespace). */
export function charonArgv(paths: StrongswanPaths): string[] {
  return ['sh', '-c', 'mount --bind "$1" /run && exec "$2"', 'charon-run', paths.runDir, CHARON_BIN];
}

/** Waits until charon answers on its vici socket; `alive` tells whether the process still runs. */
export async function waitForCharon(paths: StrongswanPaths, alive: () => boolean, timeoutMs = 15_000, signal?: AbortSignal): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    signal?.throwIfAborted();
    if (existsSync(paths.vici)) {
      const r = await swanctl(paths, ['--stats'], 5000);
      if (r.code === 0) return;
      last = (r.stderr || r.stdout).trim().split('\n').pop() ?? '';
    }
    if (!alive()) throw new Error(`charon exited during start-up: ${tailOf(paths.log)}`);
    await sleep(50);
  }
  throw new Error(`charon did not answer on ${paths.vici} within ${timeoutMs / 1000} s (${last || 'no socket'}): ${tailOf(paths.log)}`);
}

export async function loadAll(paths: StrongswanPaths): Promise<string> {
  return swanctlOk(paths, ['--load-all', '--noprompt']);
}

function tailOf(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-6).join(' | ');
  } catch {
    return '(no log)';
  }
}

export function charonPid(paths: StrongswanPaths): number | undefined {
  try {
    const pid = Number(readFileSync(paths.pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    // A stale pid file must not make us signal an unrelated process.
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'charon' ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * SIGTERM and wait (README section 5): a charon with thousands of SAs needs seconds to exit, and a
 * new one started before it has cannot bind its ports. Bounded by `timeoutMs`.
 */
export async function stopCharon(paths: StrongswanPaths, timeoutMs = 60_000): Promise<boolean> {
  const pid = charonPid(paths);
  if (pid === undefined) return true;
  try { process.kill(pid, 'SIGTERM'); } catch { return true; }
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!existsSync(`/proc/${pid}`) || isZombie(pid)) return true;
    await sleep(50);
  }
  return false;
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}
