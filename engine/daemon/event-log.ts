// Where a daemon writes what happened: one JSON line per event (for reports and scenario
// assertions), one human line per event on stdout (the node's log file), and the Wireshark key
// tables of the lab (ikev2_decryption_table, esp_sa) so every capture opens decrypted.

import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { IkeEvent } from '../ike/actions.ts';

export interface LoggedEvent extends IkeEvent {
  node: string;
  /** 'ike' for the IKE core, 'esp' for the data plane, 'daemon' for the shell. */
  source: string;
}

/** Logs with lines not yet written, flushed at exit too (process.exit skips pending microtasks). */
const unflushed = new Set<EventLog>();
let exitHook = false;

export class EventLog {
  readonly eventsPath: string;
  readonly keyDir: string;
  private listeners = new Set<(e: LoggedEvent) => void>();
  /** The most recent events, for `flexlab show NODE events` and new stream subscribers. */
  readonly recent: LoggedEvent[] = [];
  private readonly keyTables = new Map<string, { fd: number; offset: number; lines: Set<string>; partial: string }>();
  /**
   * The events file, opened once (O_APPEND): a hub writes about ten events per session, and an
   * open/write/close per event (appendFileSync) was a visible share of its set-up time.
   */
  private eventsFd?: number;
  /** Lines for the events file and stdout not written yet (see flush). */
  private pendingEvents = '';
  private pendingOut = '';

  constructor(readonly node: string, outDir: string, private readonly quiet = false) {
    mkdirSync(join(outDir, 'events'), { recursive: true });
    this.keyDir = join(outDir, 'keys');
    mkdirSync(this.keyDir, { recursive: true });
    this.eventsPath = join(outDir, 'events', `${node}.jsonl`);
  }

  write(e: IkeEvent, source = 'ike'): void {
    const le: LoggedEvent = { ...e, node: this.node, source };
    this.pendingEvents += JSON.stringify(le) + '\n';
    // stdout is the node's log file: written as is (console.log formats and checks colours per call).
    if (!this.quiet) this.pendingOut += `${new Date(e.time).toISOString()} ${this.node} [${e.type}] ${e.text}\n`;
    if (!unflushed.has(this)) {
      unflushed.add(this);
      queueMicrotask(() => this.flush());
      if (!exitHook) {
        exitHook = true;
        process.on('exit', () => {
          for (const l of unflushed) l.flush();
        });
      }
    }
    this.recent.push(le);
    if (this.recent.length > 2000) this.recent.splice(0, this.recent.length - 2000);
    for (const l of this.listeners) l(le);
  }

  /**
   * Writes the pending lines: one write per file for all the events of one I/O callback (one IKE
   * datagram makes about ten on a hub). It runs as a microtask, so before any other callback: a
   * reader (scenario tails, `show`) sees the lines as soon as the callback that made them is done.
   */
  flush(): void {
    unflushed.delete(this);
    if (this.pendingEvents) {
      const lines = this.pendingEvents;
      this.pendingEvents = '';
      this.eventsFd ??= openSync(this.eventsPath, 'a');
      writeSync(this.eventsFd, lines);
    }
    if (this.pendingOut) {
      const lines = this.pendingOut;
      this.pendingOut = '';
      process.stdout.write(lines);
    }
  }

  /** Writes what is pending and closes the files (a daemon's exit does this by itself). */
  close(): void {
    this.flush();
    if (this.eventsFd !== undefined) closeSync(this.eventsFd);
    this.eventsFd = undefined;
    for (const t of this.keyTables.values()) closeSync(t.fd);
    this.keyTables.clear();
  }

  info(type: IkeEvent['type'], text: string, data?: Record<string, unknown>, source = 'daemon'): void {
    this.write({ time: Date.now(), type, text, data }, source);
  }

  subscribe(l: (e: LoggedEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Appends lines to a key table (kept open, O_APPEND: lines of several daemons do not interleave). */
  appendKeys(file: 'ikev2_decryption_table' | 'esp_sa', lines: string[]): void {
    // Both ends of a tunnel know its keys; the first daemon to write a line wins. Wireshark would
    // cope with duplicates, people reading the table should not have to. Only what was appended
    // since the last look is read: a hub with thousands of sessions would otherwise reread the
    // whole table for each one.
    let seen = this.keyTables.get(file);
    if (!seen) this.keyTables.set(file, (seen = { fd: openSync(join(this.keyDir, file), 'a+'), offset: 0, lines: new Set(), partial: '' }));
    const fd = seen.fd;
    const size = fstatSync(fd).size;
    if (size > seen.offset) {
      const buf = Buffer.alloc(size - seen.offset);
      readSync(fd, buf, 0, buf.length, seen.offset);
      seen.offset = size;
      const parts = (seen.partial + buf.toString('utf8')).split('\n');
      seen.partial = parts.pop() ?? '';
      for (const l of parts) seen.lines.add(l);
    }
    const fresh = lines.filter((l) => !seen.lines.has(l));
    if (fresh.length) {
      writeSync(fd, fresh.join('\n') + '\n');
      for (const l of fresh) seen.lines.add(l);
      seen.offset = fstatSync(fd).size;
    }
  }
}
