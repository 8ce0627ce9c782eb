// The lab's events as the runner sees them: every daemon appends one JSON line per event to
// <outDir>/events/<node>.jsonl; the store tails those files (inotify through fs.watch), so waits
// wake up when something happens instead of sleeping. Files survive a daemon restart, which a
// control-socket stream would not.

import { closeSync, existsSync, mkdirSync, openSync, readSync, readdirSync, fstatSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import path from 'node:path';
import type { LoggedEvent } from '../engine/daemon/event-log.ts';

export type { LoggedEvent };

interface Tail {
  offset: number;
  partial: string;
}

export class EventStore {
  readonly events: LoggedEvent[] = [];
  private readonly tails = new Map<string, Tail>();
  private watcher?: FSWatcher;
  private waiters = new Set<() => void>();
  readonly dir: string;

  constructor(outDir: string) {
    this.dir = path.join(outDir, 'events');
  }

  start(): void {
    mkdirSync(this.dir, { recursive: true });
    try {
      this.watcher = watch(this.dir, () => this.wake());
      this.watcher.on('error', () => {});
    } catch {
      // no inotify: waits fall back to their periodic re-check
    }
    this.refresh();
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.wake();
  }

  /** Reads what was appended to the event files since the last call. */
  refresh(): void {
    if (!existsSync(this.dir)) return;
    let added = false;
    for (const f of readdirSync(this.dir)) {
      if (!f.endsWith('.jsonl')) continue;
      const file = path.join(this.dir, f);
      const t = this.tails.get(file) ?? { offset: 0, partial: '' };
      this.tails.set(file, t);
      let fd: number;
      try { fd = openSync(file, 'r'); } catch { continue; }
      try {
        const size = fstatSync(fd).size;
        if (size <= t.offset) continue;
        const buf = Buffer.alloc(size - t.offset);
        const n = readSync(fd, buf, 0, buf.length, t.offset);
        t.offset += n;
        const text = t.partial + buf.subarray(0, n).toString('utf8');
        const lines = text.split('\n');
        t.partial = lines.pop() ?? '';
        for (const l of lines) {
          if (!l.trim()) continue;
          try {
            this.events.push(JSON.parse(l) as LoggedEvent);
            added = true;
          } catch { /* a torn line: skipped */ }
        }
      } finally {
        closeSync(fd);
      }
    }
    // Several files: keep one timeline.
    if (added) this.events.sort((a, b) => a.time - b.time);
  }

  private wake(): void {
    const w = [...this.waiters];
    this.waiters.clear();
    for (const f of w) f();
  }

  /** Resolves when an event file changes, or after `maxMs` (whichever first). */
  changed(maxMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, maxMs));
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Events of a node (or all), at or after `since` (ms, wall clock). */
  select(node: string | undefined, since = 0): LoggedEvent[] {
    this.refresh();
    return this.events.filter((e) => (node === undefined || node === 'any' || e.node === node) && e.time >= since);
  }

  fileOf(node: string): string {
    return path.join(this.dir, `${node}.jsonl`);
  }
}

/** The event type as scenarios name it: the daemon's tunnel up/down lines are 'info' events. */
export function eventType(e: LoggedEvent): string {
  const ev = e.data?.['event'];
  if (e.type === 'info' && (ev === 'tunnel-up' || ev === 'tunnel-down')) return ev;
  return e.type;
}
