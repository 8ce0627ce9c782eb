// A lab's life: deploy (state, backend, captures, kinds, exec), the handle the CLI, the scenario
// runner and tests use on a deployed lab, and destroy (from the journal, whatever state it is in).

import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../cli/errors.ts';
import { NetnsBackend } from './backends/netns.ts';
import type { Backend, DestroyReport } from './backends/types.ts';
import type { RunOptions, RunResult } from './command.ts';
import { mapLimit, sleep } from './command.ts';
import { getKind, kinds } from './kinds/index.ts';
import type { NodeContext } from './kinds/index.ts';
import { getNode } from './model.ts';
import type { LabModel, NodeModel } from './model.ts';
import { finishCapture, startCapture } from './captures.ts';
import { isSameProcess, LabState } from './state.ts';
import type { JournalEntry } from './state.ts';
import { isRunning } from './supervisor.ts';
import type { SpawnOptions, SupervisedProcess } from './supervisor.ts';

export function createBackend(name = 'netns'): Backend {
  if (name === 'netns') return new NetnsBackend();
  throw new UserError(`unknown backend "${name}" (available: netns)`);
}

export interface DeployOptions {
  /** Output directory for logs and captures (default ./out/<lab>). */
  outDir?: string;
  /** Capture every link, not only those with `capture: true`. */
  capture?: boolean;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Aborting it tears the lab down. */
  signal?: AbortSignal;
  /** Tear down on SIGINT/SIGTERM (the CLI sets this; a library caller owns its signals). */
  handleSignals?: boolean;
  backend?: Backend;
}

/** A deployed lab: its model and state, and commands inside its nodes. */
export class Lab {
  constructor(readonly model: LabModel, readonly state: LabState, readonly backend: Backend, readonly outDir: string) {}

  get name(): string {
    return this.model.name;
  }

  node(name: string): NodeModel {
    return getNode(this.model, name);
  }

  /** Runs a command inside a node; returns stdout, throws a readable error on failure. */
  exec(node: string, argv: string[], opts?: RunOptions): Promise<string> {
    return this.backend.exec(this.node(node), argv, opts).catch((e: Error) => {
      throw Object.assign(new Error(`[${this.name}/${node}] ${e.message}`), { cause: e });
    });
  }

  /** Runs a command inside a node; returns its exit code and output whatever they are. */
  run(node: string, argv: string[], opts?: RunOptions): Promise<RunResult> {
    return this.backend.run(this.node(node), argv, opts);
  }

  spawn(node: string, name: string, argv: string[], opts?: SpawnOptions): Promise<SupervisedProcess> {
    const n = this.node(node);
    return this.backend.spawn(this.state, n, name, argv, path.join(this.outDir, 'logs', `${n.name}.${name}.log`), opts);
  }

  context(node: NodeModel, log: (line: string) => void = () => {}, signal: AbortSignal = new AbortController().signal): NodeContext {
    return {
      lab: this.model,
      node,
      netns: node.netns,
      stateDir: this.state.dir,
      outDir: this.outDir,
      signal,
      exec: (argv, opts) => this.exec(node.name, argv, opts),
      spawn: (name, argv, opts) => this.spawn(node.name, name, argv, opts),
      log: (msg) => log(`${node.name}: ${msg}`),
    };
  }
}

/** The deployed lab `name` (or the only one deployed). */
export function openLab(name?: string): Lab {
  const state = LabState.resolve(name);
  const meta = state.meta();
  return new Lab(state.model(), state, createBackend(meta.backend), meta.outDir);
}

export async function deployLab(model: LabModel, opts: DeployOptions = {}): Promise<Lab> {
  const log = opts.log ?? (() => {});
  const backend = opts.backend ?? createBackend();
  const outDir = path.resolve(opts.outDir ?? path.join('out', model.name));
  const started = Date.now();
  const state = LabState.create(model, { ...(model.file ? { file: model.file } : {}), backend: backend.name, outDir });
  const lab = new Lab(model, state, backend, outDir);

  const abort = new AbortController();
  const onAbort = () => abort.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort);
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = sig;
    log(`${sig}: stopping the deploy and removing what it created`);
    abort.abort(new UserError(`deploy interrupted by ${sig}; everything it created was removed`, sig === 'SIGINT' ? 130 : 143));
  };
  if (opts.handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  const signal = abort.signal;

  try {
    mkdirSync(path.join(outDir, 'logs'), { recursive: true });
    log(`deploying lab "${model.name}": ${model.nodes.length} nodes, ${model.links.length} links (backend ${backend.name}, state ${state.dir}, output ${outDir})`);
    await backend.deploy(model, state, { signal, progress: (m) => log(`  ${m}`) });

    const toCapture = model.links.filter((l) => l.capture || opts.capture);
    if (toCapture.length) {
      await mapLimit(toCapture, 4, (l) => startCapture(lab, l));
      log(`  captures: ${toCapture.length} started in ${path.join(outDir, 'captures')}`);
    }
    signal.throwIfAborted();

    let t = Date.now();
    const orders = [...new Set(model.nodes.map((n) => getKind(n.kind).startOrder ?? 50))].sort((a, b) => a - b);
    for (const order of orders) {
      const group = model.nodes.filter((n) => (getKind(n.kind).startOrder ?? 50) === order);
      signal.throwIfAborted();
      state.append(...group.map((node): JournalEntry => ({ t: 'node-start', node: node.name })));
      await mapLimit(group, 8, async (node) => {
        signal.throwIfAborted();
        await getKind(node.kind).start(lab.context(node, log, signal));
      });
    }
    log(`  kinds: ${model.nodes.length} nodes started (${Date.now() - t} ms)`);

    t = Date.now();
    const withExec = model.nodes.filter((n) => n.exec.length);
    for (const node of withExec) {
      for (const cmd of node.exec) {
        signal.throwIfAborted();
        const r = await backend.run(node, ['sh', '-c', cmd], { signal });
        if (signal.aborted) break;
        if (r.code !== 0) throw new Error(`exec on node ${node.name} failed (exit code ${r.code}): ${cmd}\n  ${(r.stderr || r.stdout).trim()}`);
        const out = r.stdout.trim();
        log(`  ${node.name}$ ${cmd}${out ? `\n    ${out.split('\n').join('\n    ')}` : ''}`);
      }
    }
    signal.throwIfAborted();
    if (withExec.length) log(`  exec: commands run on ${withExec.length} nodes (${Date.now() - t} ms)`);

    state.append({ t: 'deployed', at: new Date().toISOString() });
    state.releaseDeployLock();
    log(`lab "${model.name}" deployed in ${Date.now() - started} ms`);
    return lab;
  } catch (err) {
    if (!interrupted) log(`deploy failed: ${(err as Error).message.split('\n')[0]}; removing what was created`);
    await destroyState(state, { log, backend });
    if (signal.aborted && signal.reason instanceof Error) throw signal.reason;
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (opts.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

export interface DestroyOptions {
  log?: (line: string) => void;
  backend?: Backend;
}

export async function destroyLab(name: string, opts: DestroyOptions = {}): Promise<DestroyReport> {
  return destroyState(LabState.open(name), opts);
}

/** Destroys every lab under the state root; returns the names destroyed. */
export async function destroyAllLabs(opts: DestroyOptions = {}): Promise<string[]> {
  const names = LabState.list();
  for (const name of names) {
    const s = LabState.tryOpen(name);
    if (s) await destroyState(s, opts);
  }
  return names;
}

/**
 * Removes what a lab's journal records, newest first, and then its state directory. Works on a
 * lab in any state: fully deployed, half deployed by a process that was killed, or being deployed
 * right now by another process (which is stopped first, so it creates nothing more).
 */
export async function destroyState(state: LabState, opts: DestroyOptions = {}): Promise<DestroyReport> {
  const log = opts.log ?? (() => {});
  const t = Date.now();
  await stopDeployer(state, log);
  const meta = state.metaOrUndefined();
  const backend = opts.backend ?? createBackend(meta?.backend ?? 'netns');
  const view = state.view();

  let model: LabModel | undefined;
  try { model = state.model(); } catch { /* half-written state: the journal is enough */ }
  if (model && meta) {
    const lab = new Lab(model, state, backend, meta.outDir);
    for (const name of [...view.nodesStarted].reverse()) {
      const node = model.nodes.find((n) => n.name === name);
      const kind = node && kinds.get(node.kind);
      if (!node || !kind?.stop) continue;
      try {
        await kind.stop(lab.context(node, log));
      } catch (e) {
        log(`  ${name}: stop failed (${(e as Error).message.split('\n')[0]}); removing it anyway`);
      }
    }
  }
  // Captures first, gently: their files are results, and become pcapng when they stop.
  const running = [...view.captures.values()].filter((c) => !c.stopped);
  const stopped = running.filter((c) => { const p = view.processes.get(c.process); return p && isRunning(p); }).length;
  await Promise.all(running.map((c) =>
    finishCapture(state, c).catch((e: Error) => log(`  capture ${c.id}: ${e.message.split('\n')[0]}`))));
  const report = await backend.destroy(state.view(), state);
  report.processes += stopped;
  if (report.failures.length) {
    throw new Error(`lab "${state.name}" was not fully destroyed (state kept in ${state.dir}):\n  ${report.failures.join('\n  ')}`);
  }
  state.remove();
  log(`lab "${state.name}" destroyed: ${report.namespaces} namespaces, ${report.links} links, ${report.processes} processes (${Date.now() - t} ms)`);
  return report;
}

/** Stops a deploy of this lab still running in another process (and its child commands). */
async function stopDeployer(state: LabState, log: (line: string) => void): Promise<void> {
  const lock = state.lockInfo();
  if (!lock || lock.pid === process.pid || !isSameProcess(lock.pid, lock.startTime)) return;
  log(`  stopping deploy in progress (pid ${lock.pid})`);
  const victims = [lock.pid, ...descendants(lock.pid)];
  for (const pid of victims) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  for (let i = 0; i < 100 && isSameProcess(lock.pid, lock.startTime); i++) await sleep(20);
}

function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid)!.push(Number(e));
    } catch { /* exited */ }
  }
  const out: number[] = [];
  const walk = (p: number) => { for (const c of children.get(p) ?? []) { out.push(c); walk(c); } };
  walk(pid);
  return out;
}
