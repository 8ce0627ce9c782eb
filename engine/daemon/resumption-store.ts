// What a daemon keeps on disk for RFC 5723 session resumption, so a gateway restart does not void
// the tickets it issued (the "resumption after a hub restart"):
//
// - the ticket protection key (`resumption.ticket-key: state`, the default): 32 random octets in
//   <stateDir>/<node>.resume-key, created on the first start (mode 0600) and read on every later
//   one. A random key rather than one derived from the configuration: a topology file is shared and
//   printed, and a typed secret has little entropy; the state directory lives as long as the lab.
//   A configured secret (`ticket-key: <text>`) is for gateways that must accept each other's tickets;
//   `memory` is libreswan's behaviour (a fresh key at each start: tickets die with the daemon).
// - the tickets accepted and not yet expired, <stateDir>/<node>.resume-used.json, so that one
//   accepted before the restart is still refused as a replay after it (one-time use).

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { IkeEngineSettings } from '../ike/config.ts';
import type { IkeEvent } from '../ike/actions.ts';
import type { IkeEngine } from '../ike/engine.ts';

export class ResumptionStore {
  private constructor(readonly keyFile: string | undefined, readonly usedFile: string) {}

  /**
   * Fills `settings.resumption` (the key, the used tickets) from the node's state directory when the
   * node grants tickets with a key that outlives the daemon. Returns undefined otherwise.
   */
  static open(stateDir: string, node: string, settings: Partial<IkeEngineSettings>): ResumptionStore | undefined {
    const r = settings.resumption;
    if (!r || r.keySource === 'memory') return undefined;
    let keyFile: string | undefined;
    if (r.keySource === 'state file' && !r.ticketKey) {
      keyFile = join(stateDir, `${node}.resume-key`);
      r.ticketKey = readOrCreateKey(keyFile);
    }
    const store = new ResumptionStore(keyFile, join(stateDir, `${node}.resume-used.json`));
    r.usedTickets = store.readUsed();
    return store;
  }

  private readUsed(): Array<{ id: string; expires: number }> {
    if (!existsSync(this.usedFile)) return [];
    try {
      const list = JSON.parse(readFileSync(this.usedFile, 'utf8')) as Array<{ id: string; expires: number }>;
      return list.filter((u) => typeof u.id === 'string' && typeof u.expires === 'number');
    } catch {
      return []; // a torn file: at worst one old ticket could be presented once more
    }
  }

  /** After a ticket was accepted: rewrite the list (atomically: write, then rename). */
  onEvent(e: IkeEvent, engine: IkeEngine): void {
    if (e.type !== 'resume' || e.data?.step !== 'accepted') return;
    const tmp = `${this.usedFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(engine.resumption.usedTickets(e.time)), { mode: 0o600 });
    renameSync(tmp, this.usedFile);
  }
}

function readOrCreateKey(file: string): Buffer {
  if (existsSync(file)) {
    const hex = readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/i.test(hex)) throw new Error(`${file}: not a resumption ticket key (64 hex digits expected); remove it to have a new one made`);
    return Buffer.from(hex, 'hex');
  }
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600 });
  return key;
}
