// Helpers shared by the lab verbs (deploy, destroy, inspect, exec, graph, fault, capture, demo).

import { openLab } from '../labs/lab.ts';
import type { Lab } from '../labs/lab.ts';
import { topologyName } from '../labs/topology/load.ts';
import { UserError } from './errors.ts';

/** Progress printer: lines to stdout unless quiet. */
export function progress(quiet: boolean | undefined): (line: string) => void {
  return quiet ? () => {} : (line) => console.log(line);
}

/**
 * The lab a verb acts on: --name, else the lab named in -t FILE, else the only one deployed.
 */
export function labFromOptions(opts: { name?: string; topo?: string }): Lab {
  if (opts.name) return openLab(opts.name);
  if (opts.topo) return openLab(topologyName(opts.topo));
  return openLab();
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new UserError('flexlab needs root to create network namespaces (run it with sudo)');
}
