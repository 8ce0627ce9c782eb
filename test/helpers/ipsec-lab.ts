// Helpers for lab tests with IPsec nodes: deploy a topology through the library, talk to the node
// daemons over their control sockets, wait for tunnels, run traffic and read event logs.

import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { loadTopologyFile } from '../../labs/topology/load.ts';
import { deployLab, destroyLab } from '../../labs/lab.ts';
import type { Lab } from '../../labs/lab.ts';
import { controlPathOf } from '../../engine/daemon/daemon.ts';
import { controlRequest } from '../../engine/daemon/control.ts';
import type { SessionView } from '../../reports/show.ts';
import type { LoggedEvent } from '../../engine/daemon/event-log.ts';

export async function deploy(file: string, outDir: string, opts: { name?: string; capture?: boolean } = {}): Promise<Lab> {
  const { lab } = loadTopologyFile(file, { name: opts.name });
  return deployLab(lab, { outDir: path.join(outDir, lab.name), capture: opts.capture });
}

export async function destroy(lab: Lab): Promise<void> {
  await destroyLab(lab.name).catch(() => {});
}

export function ctl<T = unknown>(lab: Lab, node: string, cmd: string, args: Record<string, unknown> = {}): Promise<T> {
  return controlRequest<T>(controlPathOf(lab.state.dir, node), cmd, args);
}

export function ikeSas(lab: Lab, node: string): Promise<SessionView[]> {
  return ctl<SessionView[]>(lab, node, 'ike-sas');
}

export async function waitFor<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs = 20_000, stepMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

/** Waits until a node has an established IKE SA with a CHILD SA and an interface. */
export function tunnelUp(lab: Lab, node: string, timeoutMs = 20_000): Promise<SessionView> {
  return waitFor(`a tunnel on ${node}`, async () => {
    const sas = await ikeSas(lab, node);
    const s = sas.find((x) => x.status === 'READY' && x.children.length > 0);
    if (!s) return undefined;
    const st = await ctl<{ tunnels: Array<{ up: boolean; ikeSaId?: number }> }>(lab, node, 'status');
    return st.tunnels.some((t) => t.up && t.ikeSaId === s.id) ? s : undefined;
  }, timeoutMs);
}

export interface PingResult {
  sent: number;
  received: number;
  loss: number;
  output: string;
}

export async function ping(lab: Lab, from: string, to: string, count = 3, extra: string[] = []): Promise<PingResult> {
  const r = await lab.run(from, ['ping', '-n', '-c', String(count), '-W', '1', ...extra, to], { timeoutMs: 60_000 });
  const m = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
  const sent = m ? Number(m[1]) : count, received = m ? Number(m[2]) : 0;
  return { sent, received, loss: sent - received, output: r.stdout };
}

export function events(lab: Lab, node: string): LoggedEvent[] {
  const f = path.join(lab.outDir, 'events', `${node}.jsonl`);
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LoggedEvent);
}

/** TCP through the tunnel: iperf3 for `seconds` from one node to another; returns Mbit/s received. */
export async function iperf(lab: Lab, client: string, server: string, serverAddr: string, seconds = 2, reverse = false): Promise<number> {
  // The one-off server (-1 -D) may not listen yet on a loaded machine: a refused client is retried
  // (bounded), with a new server only when the last one is gone.
  let last = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const running = await lab.run(server, ['pgrep', '-f', `iperf3 -s -1 -D -B ${serverAddr}`]);
    if (running.code !== 0) await lab.exec(server, ['iperf3', '-s', '-1', '-D', '-B', serverAddr]);
    await new Promise((r) => setTimeout(r, 300 + attempt * 500));
    const r = await lab.run(client, ['iperf3', '-c', serverAddr, '-t', String(seconds), '-J', ...(reverse ? ['-R'] : [])], { timeoutMs: (seconds + 30) * 1000 });
    try {
      const j = JSON.parse(r.stdout) as { error?: string; end?: { sum_received?: { bits_per_second: number } } };
      if (j.end?.sum_received) return j.end.sum_received.bits_per_second / 1e6;
      last = j.error ?? r.stdout.slice(0, 200);
    } catch {
      last = `${r.stdout.slice(0, 200)} ${r.stderr.slice(0, 200)}`;
    }
  }
  throw new Error(`iperf3 ${client} -> ${serverAddr} failed 5 times: ${last}`);
}
