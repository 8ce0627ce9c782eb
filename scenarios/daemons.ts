// The runner's view of the lab's IPsec daemons, through their control sockets: IKE SAs (with
// per-CHILD counters), status (tunnels), counters, and snapshots of all of them at a moment (the
// SA tables the report shows before and after each fault).

import { existsSync } from 'node:fs';
import { controlRequest } from '../engine/daemon/control.ts';
import { controlPathOf } from '../engine/daemon/daemon.ts';
import type { Lab } from '../labs/lab.ts';
import type { SessionView } from '../reports/show.ts';

interface PolicerView { name: string; cir: number; bc: number; conformed: { packets: number; bytes: number }; exceeded: { packets: number; bytes: number } }

export interface TunnelStatus {
  interface: string;
  up: boolean;
  ikeSaId?: number;
  addresses: string[];
  routes: string[];
  peer: string;
  /** Hub: the virtual-access interface's configuration from AAA (interface-config, CoA). */
  derivedConfig?: string[];
  /** Hub: ACLs a CoA put on it (ip:inacl#N / ip:outacl#N). */
  acls?: string[];
  /** Hub: what the data path enforces on it (service policies, access groups, with counters). */
  policy?: {
    input?: PolicerView;
    output?: PolicerView;
    inAcl?: { name: string; show: string[] };
    outAcl?: { name: string; show: string[] };
  };
}

export interface DaemonStatus {
  node: string;
  role: string;
  pid: number;
  localAddress: string;
  tunnels: TunnelStatus[];
  connections?: unknown;
  /** Client: DNS servers and split-DNS domains from the configuration reply. */
  resolver?: { interface: string; servers: string[]; nbns: string[]; defaultDomain?: string; splitDomains: string[] };
}

export interface DaemonCounters {
  ike: Record<string, number>;
  esp: Record<string, number>;
  udp4500?: Record<string, number>;
  tunnels?: Record<string, Record<string, number>>;
}

export interface NodeSnapshot {
  node: string;
  ikeSas: SessionView[];
  status?: DaemonStatus;
  counters?: DaemonCounters;
  /** Why the daemon did not answer (killed, paused...). */
  error?: string;
}

export interface Snapshot {
  label: string;
  /** Index of the step it was taken at (before or after it), if any. */
  step?: number;
  phase: 'before' | 'after' | 'label' | 'end' | 'step';
  /** Wall clock (ms) and time from the start of the timeline. */
  at: number;
  t: number;
  nodes: NodeSnapshot[];
}

export class Daemons {
  /** Pause-safe: a SIGSTOPped daemon does not answer, so requests here give up quickly. */
  readonly timeoutMs = 1500;

  constructor(private readonly lab: Lab) {}

  socket(node: string): string {
    return controlPathOf(this.lab.state.dir, node);
  }

  /** Nodes running our daemon (those with a control socket). */
  nodes(): string[] {
    return this.lab.model.nodes.map((n) => n.name).filter((n) => existsSync(this.socket(n)));
  }

  has(node: string): boolean {
    return existsSync(this.socket(node));
  }

  request<T>(node: string, cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    return controlRequest<T>(this.socket(node), cmd, args, this.timeoutMs);
  }

  ikeSas(node: string): Promise<SessionView[]> {
    return this.request<SessionView[]>(node, 'ike-sas');
  }

  status(node: string): Promise<DaemonStatus> {
    return this.request<DaemonStatus>(node, 'status');
  }

  counters(node: string): Promise<DaemonCounters> {
    return this.request<DaemonCounters>(node, 'counters');
  }

  async snapshotNode(node: string): Promise<NodeSnapshot> {
    try {
      const [ikeSas, status, counters] = await Promise.all([this.ikeSas(node), this.status(node), this.counters(node)]);
      return { node, ikeSas, status, counters };
    } catch (e) {
      return { node, ikeSas: [], error: (e as Error).message };
    }
  }

  async snapshot(label: string, phase: Snapshot['phase'], t0: number, step?: number): Promise<Snapshot> {
    const at = Date.now();
    const nodes = await Promise.all(this.nodes().map((n) => this.snapshotNode(n)));
    return { label, phase, at, t: at - t0, nodes, ...(step !== undefined ? { step } : {}) };
  }
}

/** A counter's value in a node snapshot: ike.x, esp.x, udp4500.x, child.x (summed over CHILD SAs). */
export function counterValue(s: NodeSnapshot, name: string, childFilter?: (sa: SessionView) => boolean): number | undefined {
  const dot = name.indexOf('.');
  const group = name.slice(0, dot);
  const key = name.slice(dot + 1);
  if (group === 'child') {
    let sum = 0;
    for (const sa of s.ikeSas) {
      if (childFilter && !childFilter(sa)) continue;
      for (const c of sa.children) sum += Number((c.counters as unknown as Record<string, number> | undefined)?.[key] ?? 0);
    }
    return sum;
  }
  if (!s.counters) return undefined;
  const table = (s.counters as unknown as Record<string, Record<string, number> | undefined>)[group];
  if (!table) return undefined;
  return table[key] ?? 0;
}
