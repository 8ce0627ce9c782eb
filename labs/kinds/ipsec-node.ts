// What the IPsec node kinds share: the daemon they run (our IKEv2/ESP implementation), started by
// the supervisor inside the node's namespace with the node's config, and considered up when its
// control socket answers.

import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { NodeContext, NodeKind } from './types.ts';
import { projectPath } from '../../engine/util/paths.ts';
import { forwardingSysctls } from './router.ts';
import { kindConfigSchema } from '../../engine/roles/config-schema.ts';
import { buildRoleSetup } from '../../engine/roles/config.ts';
import { hubNatRules } from '../../engine/roles/hub-nat.ts';
import type { DaemonInput } from '../../engine/roles/config.ts';
import { controlPathOf } from '../../engine/daemon/daemon.ts';
import { controlRequest } from '../../engine/daemon/control.ts';

const CLI = projectPath('bin', 'flexlab.js');
const DAEMON_NODE_ARGS = '--max-semi-space-size=4';

export function daemonInput(ctx: NodeContext, role: 'hub' | 'spoke' | 'client'): DaemonInput {
  return {
    lab: ctx.lab.name, node: ctx.node.name, kind: ctx.node.kind, role, config: ctx.node.config,
    baseDir: ctx.lab.file ? dirname(ctx.lab.file) : process.cwd(),
    stateDir: ctx.stateDir, outDir: ctx.outDir,
    interfaces: ctx.node.interfaces.map((i) => ({ name: i.name, addresses: i.addresses.map((a) => ({ family: a.family, address: a.address, prefix: a.prefix })) })),
  };
}

async function waitForControl(path: string, ctx: NodeContext, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    if (ctx.signal.aborted) throw new Error('deploy interrupted');
    try {
      await controlRequest(path, 'status', {}, 1000);
      return;
    } catch (e) {
      last = (e as Error).message;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`the daemon of ${ctx.node.name} did not answer on ${path} within ${timeoutMs / 1000} s (${last}); see its log in ${ctx.outDir}/logs`);
}

export function ipsecKind(name: string, role: 'hub' | 'spoke' | 'client', description: string, opts: { configSchema?: object } = {}): NodeKind {
  return {
    name,
    description,
    // Persona kinds (anyconnect-client, windows-client) bring their own config schema.
    configSchema: opts.configSchema ?? kindConfigSchema(role),
    sysctls: () => ({ ...forwardingSysctls }),
    // Hubs first, so spokes find them listening (connect auto retries anyway).
    startOrder: role === 'hub' ? 60 : 70,
    validate(node, lab) {
      try {
        buildRoleSetup({ lab: lab.name, node: node.name, kind: node.kind, role, config: node.config, baseDir: lab.file ? dirname(lab.file) : process.cwd(), stateDir: '', outDir: '', interfaces: node.interfaces.map((i) => ({ name: i.name, addresses: i.addresses })) });
        return [];
      } catch (e) {
        // A persona's config error may name the key it is about (WindowsConfigError.path).
        const at = (e as { path?: unknown }).path;
        return [{ path: ['config', ...(Array.isArray(at) ? at as string[] : [])], message: (e as Error).message }];
      }
    },
    async start(ctx) {
      const input = daemonInput(ctx, role);
      // The headend's NAT for full-tunnel clients (F-SRV-09), in the node's own netfilter tables.
      const nat = role === 'hub' ? hubNatRules(ctx.node.config, ctx.node.interfaces.map((i) => i.name)) : undefined;
      if (nat) {
        await ctx.exec(['iptables-restore', '--noflush'], { input: nat.restore });
        ctx.log(`${ctx.node.name}: NAT towards ${String((ctx.node.config['nat'] as { outside: string }).outside)}${nat.inside ? '' : ' (no `ip nat inside` on the virtual-template: session traffic is not translated)'}`);
      }
      const file = join(ctx.stateDir, `${ctx.node.name}.daemon.json`);
      writeFileSync(file, JSON.stringify(input, null, 2));
      // A 4 MB young generation (V8's default grows to 16 MB) halves a hub's memory per IKE SA
      // (about 70 -> 30-37 kB at 500 SAs) at the same set-up rate and tunnel throughput
      // (bench/interop.bench.ts --only setup, bench/tunnel.bench.ts). FLEXLAB_DAEMON_NODE_ARGS
      // replaces these flags (e.g. --cpu-prof for profiling).
      const nodeArgs = (process.env.FLEXLAB_DAEMON_NODE_ARGS ?? DAEMON_NODE_ARGS).split(' ').filter(Boolean);
      await ctx.spawn('flexvpnd', [process.execPath, ...nodeArgs, CLI, 'daemon', '--config', file]);
      await waitForControl(controlPathOf(ctx.stateDir, ctx.node.name), ctx);
      ctx.log(`${ctx.node.name}: ${role} daemon up`);
    },
  };
}
