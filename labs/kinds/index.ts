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
import { windowsClient } from './windows-client.ts';
import { anyconnectClient } from './anyconnect-client.ts';
import { flexvpnClient } from './flexvpn-client.ts';
import { dns } from './dns.ts';

export type { NodeKind, NodeContext, KindIssue } from './types.ts';

export const kinds: ReadonlyMap<string, NodeKind> = new Map(
  [host, router, nat, linux, flexvpnHub, flexvpnSpoke, flexvpnClient, dns, strongswan, radius, freeradius, windowsClient, anyconnectClient].map((k) => [k.name, k]),
);

export function getKind(name: string): NodeKind {
  const k = kinds.get(name);
  if (!k) throw new UserError(`unknown node kind "${name}"${didYouMean(name, kinds.keys())}; known kinds: ${[...kinds.keys()].join(', ')}`);
  return k;
}
