// Where a daemon writes what happened: one JSON line per event (for reports and scenario
// assertions), one human line per event on stdout (the node's log file), and the Wireshark key
// tables of the lab (ikev2_decryption_table, esp_sa) so every capture opens decrypted.

import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { IkeEvent } from '../ike/actions.ts';

export interface LoggedEvent extends IkeEvent {
  node: string;
  /** 'ike' for the IKE core, 'esp' for the data plane, 'daemon' for the shell. */
  source: string;
}

/** How many of the latest events `recent` keeps. */
const RECENT_EVENTS = 2000;

/** Logs with lines not yet written, flushed at exit too (process.exit skips pending microtasks). */
const unflushed = new Set<EventLog>();
let exitHook = false;

export class EventLog {
  readonly eventsPath: string;
  readonly keyDir: string;
  private listeners = new Set<(e: LoggedEvent) => void>();
  /**
   * The latest events in a ring: dropping the oldest from the front of a 2000-entry array (splice)
   * cost more per event than logging it.
   */
  private readonly ring: LoggedEvent[] = [];
  /** Index of the oldest event once the ring is full. */
  private ringStart = 0;
  /** Per key table: what was read of it so far, and a digest of every line in it (see lineDigest). */
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
    // Not `{ ...e, node, source }`: V8 gives each object built that way a hidden class of its own
    // (a map per event: 3x slower to build and stringify, and ~0.5 kB each in `recent`). Same keys,
    // same order.
    const le = Object.assign({}, e) as LoggedEvent;
    le.node = this.node;
    le.source = source;
    this.pendingEvents += JSON.stringify(le) + '\n';
    // stdout is the node's log file: written as is (console.log formats and checks colours per call).
    if (!this.quiet) this.pendingOut += `${this.isoTime(e.time)} ${this.node} [${e.type}] ${e.text}\n`;
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
    if (this.ring.length < RECENT_EVENTS) {
      this.ring.push(le);
    } else {
      this.ring[this.ringStart] = le;
      this.ringStart = (this.ringStart + 1) % RECENT_EVENTS;
    }
    for (const l of this.listeners) l(le);
  }

  /** ISO time of an event; the events of one input share their time, so the last one is kept. */
  private isoTime(ms: number): string {
    if (ms !== this.lastIso.ms) this.lastIso = { ms, text: new Date(ms).toISOString() };
    return this.lastIso.text;
  }

  private lastIso = { ms: NaN, text: '' };

  /** The most recent events (at most 2000), oldest first, for `flexlab show NODE events` and new stream subscribers. */
  get recent(): LoggedEvent[] {
    return [...this.ring.slice(this.ringStart), ...this.ring.slice(0, this.ringStart)];
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
      for (const l of parts) seen.lines.add(lineDigest(l));
    }
    const digests = lines.map(lineDigest);
    const fresh = lines.filter((_, i) => !seen.lines.has(digests[i]!));
    if (fresh.length) {
      writeSync(fd, fresh.join('\n') + '\n');
      for (const d of digests) seen.lines.add(d);
      seen.offset = fstatSync(fd).size;
    }
  }
}

/**
 * What the key tables remember of a line: a 16-byte digest instead of the ~150-300 character line
 * (a hub keeps one per key line it ever saw, three per session). Not a security use.
 */
function lineDigest(line: string): string {
  return createHash('md5').update(line).digest('base64');
}
