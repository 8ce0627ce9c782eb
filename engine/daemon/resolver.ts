// A client's resolver state from the configuration reply (F-CFG-04/05): the DNS servers, WINS
// servers, default domain and split-DNS domains it was given. The lab has no DNS proxy; the daemon
// records them in <outDir>/dns/<node>.json (what a resolver would be configured with: queries for
// the split domains go to these servers through the tunnel) and removes the file when the tunnel
// goes down. `status` shows the same object.

import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigReceived } from '../ike/sa/ike-sa.ts';

export interface ResolverState {
  node: string;
  interface: string;
  servers: string[];
  nbns: string[];
  defaultDomain?: string;
  splitDomains: string[];
}

export function resolverPath(outDir: string, node: string): string {
  return join(outDir, 'dns', `${node}.json`);
}

/** The resolver state for a configuration reply, or undefined when it names no server or domain. */
export function resolverState(node: string, ifname: string, r: ConfigReceived | undefined): ResolverState | undefined {
  if (!r || (!r.dns.length && !r.splitDns.length && !r.defaultDomain && !r.nbns.length)) return undefined;
  return { node, interface: ifname, servers: [...r.dns], nbns: [...r.nbns], ...(r.defaultDomain ? { defaultDomain: r.defaultDomain } : {}), splitDomains: [...r.splitDns] };
}

/** Writes (atomically: readers never see half a file) or removes the node's resolver file. */
export function writeResolver(outDir: string, node: string, state: ResolverState | undefined): void {
  const file = resolverPath(outDir, node);
  try {
    if (!state) {
      rmSync(file, { force: true });
      return;
    }
    mkdirSync(join(outDir, 'dns'), { recursive: true });
    writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n');
    renameSync(`${file}.tmp`, file);
  } catch {
    // An unwritable output directory must not take the tunnel down with it.
  }
}
