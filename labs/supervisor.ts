// Long-running processes of a lab (node daemons, captures): each in its own session and process
// group, output to a log file, recorded in the journal before it starts and with its pid and start
// time as soon as it has one. They outlive the deploying CLI; destroy (from any process) stops them.

import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sleep, systemEnv } from './command.ts';
import { isSameProcess, processStartTime } from './state.ts';
import type { LabState, ProcessRecord } from './state.ts';

export interface SpawnOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Wait until the log shows this before returning (e.g. /listening on/). */
  ready?: RegExp;
  /** How long to wait for `ready` (default 10 s). */
  readyTimeoutMs?: number;
}

export interface SupervisedProcess {
  /** `<node>/<name>`, unique in the lab. */
  id: string;
  node: string;
  netns: string;
  pid: number;
  argv: string[];
  log: string;
}

export interface SpawnRequest {
  id: string;
  node: string;
  netns: string;
  /** What the journal shows (the command as run inside the node). */
  argv: string[];
  /** What is executed (argv wrapped by the backend, e.g. `ip netns exec NS ...`). */
  exec: string[];
  log: string;
}

export async function spawnSupervised(state: LabState, req: SpawnRequest, opts: SpawnOptions = {}): Promise<SupervisedProcess> {
  const existing = state.view().processes.get(req.id);
  if (existing && !existing.stopped && existing.pid && isSameProcess(existing.pid, existing.startTime)) {
    throw new Error(`process ${req.id} is already running (pid ${existing.pid})`);
  }
  mkdirSync(path.dirname(req.log), { recursive: true });
  state.append({ t: 'process', id: req.id, node: req.node, netns: req.netns, argv: req.argv, log: req.log });
  const logFd = openSync(req.log, 'a');
  const logStart = readSize(req.log);
  let child;
  try {
    // detached: setsid(), so the process and its children form one group destroy can signal at once.
    child = spawn(req.exec[0]!, req.exec.slice(1), {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: systemEnv({ ...process.env, ...opts.env }),
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
  } finally {
    closeSync(logFd);
  }
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid!));
    child.once('error', reject);
  });
  state.append({ t: 'process-started', id: req.id, pid, startTime: processStartTime(pid) ?? 0 });
  let exited: number | null | undefined;
  child.once('exit', (code) => { exited = code; });
  child.unref();

  if (opts.ready) {
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 10_000);
    for (;;) {
      const text = readFrom(req.log, logStart);
      if (opts.ready.test(text)) break;
      if (exited !== undefined) {
        state.append({ t: 'process-stopped', id: req.id });
        throw new Error(`${req.id} exited (code ${exited}) before it was ready: ${tail(text)}`);
      }
      if (Date.now() > deadline) {
        await stopProcess(state, { id: req.id, node: req.node, netns: req.netns, argv: req.argv, log: req.log, pid, stopped: false });
        throw new Error(`${req.id} was not ready after ${opts.readyTimeoutMs ?? 10_000} ms (waiting for ${opts.ready}): ${tail(text)}`);
      }
      await sleep(20);
    }
  }
  return { id: req.id, node: req.node, netns: req.netns, pid, argv: req.argv, log: req.log };
}

/** True while the recorded process runs (and is the same process, not a reused pid). */
export function isRunning(p: ProcessRecord): boolean {
  return !p.stopped && p.pid !== undefined && isSameProcess(p.pid, p.startTime);
}

/**
 * Stops a supervised process: SIGTERM to its process group, SIGKILL after `graceMs`. Checks the
 * start time before each signal so a reused pid is never hit.
 */
export async function stopProcess(state: LabState | undefined, p: ProcessRecord, graceMs = 2000): Promise<void> {
  if (p.pid !== undefined && isSameProcess(p.pid, p.startTime)) {
    signalGroup(p.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && isSameProcess(p.pid, p.startTime) && !isZombie(p.pid)) await sleep(20);
    if (isSameProcess(p.pid, p.startTime)) signalGroup(p.pid, 'SIGKILL');
  }
  state?.append({ t: 'process-stopped', id: p.id });
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try { process.kill(pid, sig); } catch { /* already gone */ }
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

function readSize(file: string): number {
  try { return readFileSync(file).length; } catch { return 0; }
}

function readFrom(file: string, offset: number): string {
  try { return readFileSync(file).subarray(offset).toString(); } catch { return ''; }
}

function tail(text: string): string {
  const t = text.trim().split('\n').slice(-5).join(' | ');
  return t || '(no output)';
}
