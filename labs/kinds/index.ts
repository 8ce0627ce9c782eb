// The kind registry. Adding a kind: write labs/kinds/<kind>.ts exporting a NodeKind, add it here.

import { UserError } from '../../cli/errors.ts';
import { didYouMean } from '../topology/diagnostics.ts';
import type { NodeKind } from './types.ts';
import { host } from './host.ts';
import { linux } from './linux.ts';
import { nat } from './nat.ts';
import { router } from './router.ts';
import { flexvpnHub } from './flexvpn-hub.ts';
import { flexvpnSpoke } from './flexvpn-spoke.ts';
import { radius } from './radius.ts';
import { strongswan } from './strongswan.ts';
import { freeradius } from './freeradius.ts';

export type { NodeKind, NodeContext, KindIssue } from './types.ts';

export const kinds: ReadonlyMap<string, NodeKind> = new Map(
  [host, router, nat, linux, flexvpnHub, flexvpnSpoke, strongswan, radius, freeradius].map((k) => [k.name, k]),
);

export function getKind(name: string): NodeKind {
  const k = kinds.get(name);
  if (!k) throw new UserError(`unknown node kind "${name}"${didYouMean(name, kinds.keys())}; known kinds: ${[...kinds.keys()].join(', ')}`);
  return k;
}
