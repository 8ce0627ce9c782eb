// A lab's on-disk state: /run/flexlab/<lab>/ (FLEXLAB_STATE_DIR overrides the root). Its journal
// records every namespace, link, process, fault and capture BEFORE it is created, with an fsync, so
// `destroy` can remove exactly what a lab made even after the deploying process was killed.
//
//   meta.json     name, topology file, backend, output directory, who deployed it and when
//   model.json    the validated LabModel (exec, fault, inspect work without the topology file)
//   journal.jsonl one JournalEntry per line, append-only
//   deploy.lock   pid and start time of a deploy in progress

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../cli/errors.ts';
import type { LabModel } from './model.ts';
import { NAME_PATTERN } from './names.ts';

export function stateRoot(): string {
  return process.env['FLEXLAB_STATE_DIR'] || '/run/flexlab';
}

export interface LabMeta {
  name: string;
  file?: string;
  backend: string;
  outDir: string;
  createdAt: string;
  deployPid: number;
}

export interface LinkEnd {
  netns: string;
  ifname: string;
}

export type JournalEntry =
  | { t: 'lab'; name: string; at: string }
  | { t: 'netns'; name: string }
  /** A journaled namespace turned out to exist already when created: not ours, never remove it. */
  | { t: 'netns-foreign'; name: string }
  | { t: 'link'; id: string; a: LinkEnd; b: LinkEnd }
  | { t: 'node-start'; node: string }
  | { t: 'process'; id: string; node: string; netns: string; argv: string[]; log: string }
  | { t: 'process-started'; id: string; pid: number; startTime: number }
  | { t: 'process-stopped'; id: string }
  | { t: 'fault'; id: string; spec: unknown; undo: UndoStep[] }
  | { t: 'fault-cleared'; id: string }
  | { t: 'capture'; id: string; link: string; node: string; ifname: string; file: string; live: string; process: string }
  | { t: 'capture-stopped'; id: string }
  | { t: 'deployed'; at: string };

/** A command that reverts part of a fault, run inside a node's namespace. */
export interface UndoStep {
  node: string;
  argv: string[];
  /** After running argv, bring this interface back to its model state (addresses, routes). */
  restore?: string;
}

export interface ProcessRecord {
  id: string;
  node: string;
  netns: string;
  argv: string[];
  log: string;
  pid?: number;
  startTime?: number;
  stopped: boolean;
}

export interface FaultRecord {
  id: string;
  spec: unknown;
  undo: UndoStep[];
  cleared: boolean;
}

export interface CaptureRecord {
  id: string;
  link: string;
  node: string;
  ifname: string;
  /** The pcapng written when the capture stops. */
  file: string;
  /** The pcap the capture writes while it runs. */
  live: string;
  process: string;
  stopped: boolean;
}

/** The journal folded into what exists (or may exist) now. */
export interface JournalView {
  netns: string[];
  links: { id: string; a: LinkEnd; b: LinkEnd }[];
  nodesStarted: string[];
  processes: Map<string, ProcessRecord>;
  faults: Map<string, FaultRecord>;
  captures: Map<string, CaptureRecord>;
  deployed: boolean;
}

export function foldJournal(entries: JournalEntry[]): JournalView {
  const v: JournalView = { netns: [], links: [], nodesStarted: [], processes: new Map(), faults: new Map(), captures: new Map(), deployed: false };
  for (const e of entries) {
    switch (e.t) {
      case 'netns': if (!v.netns.includes(e.name)) v.netns.push(e.name); break;
      case 'netns-foreign': v.netns = v.netns.filter((n) => n !== e.name); break;
      case 'link': v.links.push({ id: e.id, a: e.a, b: e.b }); break;
      case 'node-start': v.nodesStarted.push(e.node); break;
      case 'process': v.processes.set(e.id, { id: e.id, node: e.node, netns: e.netns, argv: e.argv, log: e.log, stopped: false }); break;
      case 'process-started': {
        const p = v.processes.get(e.id);
        if (p) { p.pid = e.pid; p.startTime = e.startTime; p.stopped = false; }
        break;
      }
      case 'process-stopped': { const p = v.processes.get(e.id); if (p) p.stopped = true; break; }
      case 'fault': v.faults.set(e.id, { id: e.id, spec: e.spec, undo: e.undo, cleared: false }); break;
      case 'fault-cleared': { const f = v.faults.get(e.id); if (f) f.cleared = true; break; }
      case 'capture': v.captures.set(e.id, { id: e.id, link: e.link, node: e.node, ifname: e.ifname, file: e.file, live: e.live, process: e.process, stopped: false }); break;
      case 'capture-stopped': { const c = v.captures.get(e.id); if (c) c.stopped = true; break; }
      case 'deployed': v.deployed = true; break;
      case 'lab': break;
    }
  }
  return v;
}

/** Start time of a process in clock ticks since boot (/proc/<pid>/stat field 22), or undefined. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: fields after it follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

/** True if `pid` runs and is the same process that was recorded (pids are reused). */
export function isSameProcess(pid: number, startTime: number | undefined): boolean {
  const now = processStartTime(pid);
  return now !== undefined && (startTime === undefined || now === startTime);
}

export class LabState {
  readonly journalPath: string;

  private constructor(readonly name: string, readonly dir: string) {
    this.journalPath = path.join(dir, 'journal.jsonl');
  }

  static dirOf(name: string): string {
    return path.join(stateRoot(), name);
  }

  /**
   * Creates the state directory of a new lab: mkdir is atomic, so of two deploys of the same lab
   * name exactly one gets here; the other is told who holds the name.
   */
  static create(lab: LabModel, meta: Omit<LabMeta, 'name' | 'createdAt' | 'deployPid'>): LabState {
    mkdirSync(stateRoot(), { recursive: true, mode: 0o755 });
    const dir = LabState.dirOf(lab.name);
    try {
      mkdirSync(dir, { mode: 0o755 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const other = LabState.tryOpen(lab.name);
      const m = other?.metaOrUndefined();
      const busy = other?.deployInProgress();
      throw new UserError(`lab "${lab.name}" already exists${m ? ` (deployed ${m.createdAt} from ${m.file ?? 'a model'})` : ''}` +
        `${busy ? `; pid ${busy} is deploying it now` : ''}: destroy it first (flexlab destroy --name ${lab.name}), or deploy under another name (--name)`);
    }
    const s = new LabState(lab.name, dir);
    const full: LabMeta = { ...meta, name: lab.name, createdAt: new Date().toISOString(), deployPid: process.pid };
    writeDurable(path.join(dir, 'deploy.lock'), JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid) }));
    writeDurable(path.join(dir, 'meta.json'), JSON.stringify(full, null, 2));
    writeDurable(path.join(dir, 'model.json'), JSON.stringify(lab, null, 2));
    s.append({ t: 'lab', name: lab.name, at: full.createdAt });
    return s;
  }

  static tryOpen(name: string): LabState | undefined {
    if (!NAME_PATTERN.test(name)) return undefined;
    const dir = LabState.dirOf(name);
    return existsSync(dir) ? new LabState(name, dir) : undefined;
  }

  static open(name: string): LabState {
    const s = LabState.tryOpen(name);
    if (!s) {
      const labs = LabState.list();
      throw new UserError(`no lab named "${name}" is deployed${labs.length ? ` (deployed: ${labs.join(', ')})` : ''}`);
    }
    return s;
  }

  /** The one lab to act on: the named one, or the only one deployed. */
  static resolve(name?: string): LabState {
    if (name) return LabState.open(name);
    const labs = LabState.list();
    if (labs.length === 1) return LabState.open(labs[0]!);
    throw new UserError(labs.length === 0 ? 'no lab is deployed' : `${labs.length} labs are deployed (${labs.join(', ')}): choose one with --name`);
  }

  static list(): string[] {
    try {
      return readdirSync(stateRoot(), { withFileTypes: true })
        .filter((d) => d.isDirectory() && NAME_PATTERN.test(d.name))
        .map((d) => d.name)
        .sort();
    } catch {
      return [];
    }
  }

  /** Appends entries with one write and an fsync: on disk before the caller creates anything. */
  append(...entries: JournalEntry[]): void {
    if (entries.length === 0) return;
    const fd = openSync(this.journalPath, 'a');
    try {
      writeSync(fd, entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Journal entries; a last line cut short by a crash is ignored. */
  entries(): JournalEntry[] {
    let text = '';
    try {
      text = readFileSync(this.journalPath, 'utf8');
    } catch {
      return [];
    }
    const out: JournalEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as JournalEntry);
      } catch { /* torn write */ }
    }
    return out;
  }

  view(): JournalView {
    return foldJournal(this.entries());
  }

  meta(): LabMeta {
    const m = this.metaOrUndefined();
    if (!m) throw new UserError(`lab "${this.name}": state is incomplete (no meta.json in ${this.dir}); flexlab destroy --name ${this.name} removes it`);
    return m;
  }

  metaOrUndefined(): LabMeta | undefined {
    try {
      return JSON.parse(readFileSync(path.join(this.dir, 'meta.json'), 'utf8')) as LabMeta;
    } catch {
      return undefined;
    }
  }

  model(): LabModel {
    try {
      return JSON.parse(readFileSync(path.join(this.dir, 'model.json'), 'utf8')) as LabModel;
    } catch {
      throw new UserError(`lab "${this.name}": state is incomplete (no model.json in ${this.dir}); flexlab destroy --name ${this.name} removes it`);
    }
  }

  /** Pid of a deploy still running for this lab, if any. */
  deployInProgress(): number | undefined {
    try {
      const lock = JSON.parse(readFileSync(path.join(this.dir, 'deploy.lock'), 'utf8')) as { pid: number; startTime?: number };
      return lock.pid !== process.pid && isSameProcess(lock.pid, lock.startTime) ? lock.pid : undefined;
    } catch {
      return undefined;
    }
  }

  lockInfo(): { pid: number; startTime?: number } | undefined {
    try {
      return JSON.parse(readFileSync(path.join(this.dir, 'deploy.lock'), 'utf8')) as { pid: number; startTime?: number };
    } catch {
      return undefined;
    }
  }

  releaseDeployLock(): void {
    rmSync(path.join(this.dir, 'deploy.lock'), { force: true });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function writeDurable(file: string, text: string): void {
  writeFileSync(file, text);
  const fd = openSync(file, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}
