// What `flexlab inspect` shows: the lab's nodes with their live interfaces and addresses, its links,
// processes, captures and active faults. One data structure (printed as JSON with --json) and a
// plain-text rendering of it.

import path from 'node:path';
import { describeFault } from './faults.ts';
import type { Lab } from './lab.ts';
import { endpointText } from './model.ts';
import { isRunning } from './supervisor.ts';

export interface InspectInterface {
  name: string;
  /** Operational state from the kernel (UP, DOWN, LOWERLAYERDOWN...), or "missing". */
  state: string;
  mtu?: number;
  /** Addresses configured now (global scope). */
  addresses: string[];
  /** The other end, for link endpoints. */
  peer?: string;
}

export interface LabInspection {
  name: string;
  file?: string;
  backend: string;
  stateDir: string;
  outDir: string;
  createdAt: string;
  /** deployed | deploying | incomplete (a deploy that did not finish and is not running). */
  status: 'deployed' | 'deploying' | 'incomplete';
  nodes: {
    name: string;
    kind: string;
    netns: string;
    exists: boolean;
    interfaces: InspectInterface[];
    routes: string[];
  }[];
  links: { id: string; a: string; b: string; mtu?: number; capture?: string }[];
  processes: { id: string; pid?: number; running: boolean; argv: string[]; log: string }[];
  faults: { id: string; description: string; spec: unknown }[];
}

export async function inspectLab(lab: Lab): Promise<LabInspection> {
  const meta = lab.state.meta();
  const view = lab.state.view();
  const live = await lab.backend.status(lab.model);
  const captures = new Map([...view.captures.values()].filter((c) => !c.stopped).map((c) => [c.link, c.file]));
  return {
    name: lab.name,
    ...(meta.file ? { file: meta.file } : {}),
    backend: meta.backend,
    stateDir: lab.state.dir,
    outDir: meta.outDir,
    createdAt: meta.createdAt,
    status: view.deployed ? 'deployed' : lab.state.deployInProgress() ? 'deploying' : 'incomplete',
    nodes: lab.model.nodes.map((n) => {
      const st = live.get(n.name);
      const ifaces = n.interfaces.map((i): InspectInterface => {
        const now = st?.interfaces.find((x) => x.name === i.name);
        return {
          name: i.name,
          state: now ? now.state : 'missing',
          ...(now ? { mtu: now.mtu } : {}),
          addresses: now ? now.addresses : [],
          ...(i.peer ? { peer: endpointText(i.peer) } : {}),
        };
      });
      return {
        name: n.name,
        kind: n.kind,
        netns: n.netns,
        exists: st?.exists ?? false,
        interfaces: ifaces,
        routes: n.routes.map((r) => `${r.dst}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''}`),
      };
    }),
    links: lab.model.links.map((l) => ({
      id: l.id, a: endpointText(l.a), b: endpointText(l.b),
      ...(l.mtu ? { mtu: l.mtu } : {}),
      ...(captures.has(l.id) ? { capture: captures.get(l.id)! } : {}),
    })),
    processes: [...view.processes.values()].map((p) => ({
      id: p.id, ...(p.pid !== undefined ? { pid: p.pid } : {}), running: isRunning(p), argv: p.argv, log: p.log,
    })),
    faults: [...view.faults.values()].filter((f) => !f.cleared).map((f) => ({ id: f.id, description: describeFault(f), spec: f.spec })),
  };
}

function table(rows: string[][], indent = '  '): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => indent + r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd());
}

const rel = (p: string) => {
  const r = path.relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
};

export function formatInspection(i: LabInspection): string {
  const out: string[] = [];
  out.push(`lab ${i.name}: ${i.status}, ${i.nodes.length} nodes, ${i.links.length} links (backend ${i.backend}, since ${i.createdAt})`);
  if (i.file) out.push(`  topology ${rel(i.file)}`);
  out.push(`  state    ${i.stateDir}`, `  output   ${rel(i.outDir)}`, '');
  const rows: string[][] = [['NODE', 'KIND', 'NAMESPACE', 'INTERFACE', 'STATE', 'MTU', 'ADDRESSES', 'PEER']];
  for (const n of i.nodes) {
    if (!n.exists) { rows.push([n.name, n.kind, n.netns, '-', 'MISSING', '', '', '']); continue; }
    n.interfaces.forEach((f, k) => rows.push([
      k === 0 ? n.name : '', k === 0 ? n.kind : '', k === 0 ? n.netns : '',
      f.name, f.state, f.mtu !== undefined ? String(f.mtu) : '', f.addresses.join(' ') || '-', f.peer ?? '',
    ]));
    if (n.interfaces.length === 0) rows.push([n.name, n.kind, n.netns, '-', '', '', '', '']);
  }
  out.push(...table(rows));
  const running = i.processes.filter((p) => p.running);
  if (i.processes.length) {
    out.push('', `processes (${running.length} running):`);
    out.push(...table(i.processes.map((p) => [p.id, p.pid !== undefined ? `pid ${p.pid}` : 'no pid', p.running ? 'running' : 'exited', rel(p.log)])));
  }
  const caps = i.links.filter((l) => l.capture);
  if (caps.length) {
    out.push('', 'captures:');
    out.push(...table(caps.map((l) => [l.id, rel(l.capture!)])));
  }
  if (i.faults.length) {
    out.push('', 'faults:');
    out.push(...table(i.faults.map((f) => [f.id, f.description])));
  }
  return out.join('\n');
}
