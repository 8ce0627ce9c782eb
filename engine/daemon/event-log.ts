// Where a daemon writes what happened: one JSON line per event (for reports and scenario
// assertions), one human line per event on stdout (the node's log file), and the Wireshark key
// tables of the lab (ikev2_decryption_table, esp_sa) so every capture opens decrypted.

import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
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
    // cope with duplicates, people reading the table should not have to.
    const path = join(this.keyDir, file);
    const have = existsSync(path) ? new Set(readFileSync(path, 'utf8').split('\n')) : new Set<string>();
    const fresh = lines.filter((l) => !have.has(l));
    if (fresh.length) appendFileSync(path, fresh.join('\n') + '\n');
  }
}
