// Where a daemon writes what happened: one JSON line per event (for reports and scenario
// assertions), one human line per event on stdout (the node's log file), and the Wireshark key
// tables of the lab (ikev2_decryption_table, esp_sa) so every capture opens decrypted.

import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { IkeEvent } from '../ike/actions.ts';

export interface LoggedEvent extends IkeEvent {
  node: string;
  /** 'ike' for the IKE core, 'esp' for the data plane, 'daemon' for the shell. */
  source: string;
}

export class EventLog {
  readonly eventsPath: string;
  readonly keyDir: string;
  private listeners = new Set<(e: LoggedEvent) => void>();
  /** The most recent events, for `flexlab show NODE events` and new stream subscribers. */
  readonly recent: LoggedEvent[] = [];
  private readonly keyTables = new Map<string, { offset: number; lines: Set<string>; partial: string }>();

  constructor(readonly node: string, outDir: string, private readonly quiet = false) {
    mkdirSync(join(outDir, 'events'), { recursive: true });
    this.keyDir = join(outDir, 'keys');
    mkdirSync(this.keyDir, { recursive: true });
    this.eventsPath = join(outDir, 'events', `${node}.jsonl`);
  }

  write(e: IkeEvent, source = 'ike'): void {
    const le: LoggedEvent = { ...e, node: this.node, source };
    appendFileSync(this.eventsPath, JSON.stringify(le) + '\n');
    if (!this.quiet) console.log(`${new Date(e.time).toISOString()} ${this.node} [${e.type}] ${e.text}`);
    this.recent.push(le);
    if (this.recent.length > 2000) this.recent.splice(0, this.recent.length - 2000);
    for (const l of this.listeners) l(le);
  }

  info(type: IkeEvent['type'], text: string, data?: Record<string, unknown>, source = 'daemon'): void {
    this.write({ time: Date.now(), type, text, data }, source);
  }

  subscribe(l: (e: LoggedEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Appends lines to a key table (O_APPEND: lines of several daemons do not interleave). */
  appendKeys(file: 'ikev2_decryption_table' | 'esp_sa', lines: string[]): void {
    // Both ends of a tunnel know its keys; the first daemon to write a line wins. Wireshark would
    // cope with duplicates, people reading the table should not have to. Only what was appended
    // since the last look is read: a hub with thousands of sessions would otherwise reread the
    // whole table for each one.
    const path = join(this.keyDir, file);
    let seen = this.keyTables.get(file);
    if (!seen) this.keyTables.set(file, (seen = { offset: 0, lines: new Set(), partial: '' }));
    const fd = openSync(path, 'a+');
    try {
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
        appendFileSync(fd, fresh.join('\n') + '\n');
        for (const l of fresh) seen.lines.add(l);
        seen.offset = fstatSync(fd).size;
      }
    } finally {
      closeSync(fd);
    }
  }
}
