// `flexlab daemon --config FILE`: runs one IPsec node's daemon in the current network namespace.
// The lab supervisor starts it inside each node with a generated JSON file; by hand, a YAML file
// with `role` and `config` (the node's config block) is enough to face any IKEv2 peer.

import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import YAML from 'yaml';
import { UserError } from '../errors.ts';
import { NodeDaemon } from '../../engine/daemon/daemon.ts';
import type { DaemonInput } from '../../engine/roles/config.ts';

function localInterfaces(): DaemonInput['interfaces'] {
  const out = execFileSync('ip', ['-j', 'addr', 'show'], { encoding: 'utf8' });
  const links = JSON.parse(out) as Array<{ ifname: string; addr_info?: Array<{ family: string; local: string; prefixlen: number; scope: string }> }>;
  return links.map((l) => ({
    name: l.ifname,
    addresses: (l.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => ({ family: a.family === 'inet6' ? 6 as const : 4 as const, address: a.local, prefix: a.prefixlen })),
  }));
}

export function register(program: Command): void {
  program
    .command('daemon')
    .description('run an IPsec node daemon (IKEv2 + ESP) in the current network namespace')
    .requiredOption('-c, --config <file>', 'daemon configuration: JSON from the lab, or YAML with role and config')
    .option('--quiet', 'no event lines on stdout')
    .action(async (opts: { config: string; quiet?: boolean }) => {
      let raw: Record<string, unknown>;
      try {
        raw = YAML.parse(readFileSync(opts.config, 'utf8')) as Record<string, unknown>;
      } catch (e) {
        throw new UserError(`${opts.config}: ${(e as Error).message}`);
      }
      const base = dirname(resolve(opts.config));
      const input: DaemonInput = {
        lab: (raw.lab as string) ?? 'standalone',
        node: (raw.node as string) ?? 'node',
        kind: (raw.kind as string) ?? `flexvpn-${raw.role}`,
        role: raw.role as 'hub' | 'spoke' | 'client',
        config: (raw.config as Record<string, unknown>) ?? {},
        baseDir: (raw.baseDir as string) ?? base,
        stateDir: (raw.stateDir as string) ?? resolve(base, 'out'),
        outDir: (raw.outDir as string) ?? resolve(base, 'out'),
        interfaces: (raw.interfaces as DaemonInput['interfaces']) ?? localInterfaces(),
      };
      if (input.role !== 'hub' && input.role !== 'spoke' && input.role !== 'client') throw new UserError(`${opts.config}: role must be "hub", "spoke" or "client"`);
      let daemon: NodeDaemon;
      try {
        daemon = new NodeDaemon(input, { quiet: opts.quiet });
        await daemon.start();
      } catch (e) {
        throw new UserError(`${input.node}: ${(e as Error).message}`);
      }
      const stop = (graceful: boolean) => {
        void daemon.stop(graceful).then(() => process.exit(0));
      };
      process.on('SIGTERM', () => stop(true));
      process.on('SIGINT', () => stop(true));
      process.on('SIGHUP', () => stop(false));
      await new Promise(() => {}); // runs until signalled
    });
}
