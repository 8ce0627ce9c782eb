// The state of a lab's strongswan node for `flexlab show`, the interop matrix and tests: charon's
// SAs in our daemon's SessionView shape (interop/strongswan/swanctl.ts), found from the lab handle.

import { dirname } from 'node:path';
import type { Lab } from '../../labs/lab.ts';
import type { SessionView } from '../../reports/show.ts';
import type { StrongswanConfig } from './config.ts';
import { strongswanPaths } from './paths.ts';
import type { StrongswanPaths } from './paths.ts';
import { listSas, toSessionViews } from './swanctl.ts';

export function labStrongswanPaths(lab: Lab, node: string): StrongswanPaths {
  return strongswanPaths(lab.state.dir, lab.outDir, lab.node(node).name);
}

export async function strongswanSessions(lab: Lab, node: string): Promise<SessionView[]> {
  const n = lab.node(node);
  const baseDir = lab.model.file ? dirname(lab.model.file) : process.cwd();
  return toSessionViews(await listSas(labStrongswanPaths(lab, node)), n.config as unknown as StrongswanConfig, baseDir);
}
