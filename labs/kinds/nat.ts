// A NAT router (NAPT, RFC 3022 section 2.2): forwards, and masquerades everything leaving its
// `outside` interface. Source ports are randomised (--random-fully), as on the carrier-grade and
// home NATs IKEv2 NAT traversal has to cope with, so a forgotten mapping comes back on a new port.

import type { NodeKind, NodeContext, KindIssue } from './types.ts';
import type { NodeModel } from '../model.ts';
import { forwardingSysctls } from './router.ts';
import { didYouMean } from '../topology/diagnostics.ts';

export interface NatConfig {
  /** The interface toward the outside world: masquerade happens there. */
  outside: string;
  /** Random source ports for every new mapping (iptables --random-fully). Default true. */
  'random-ports': boolean;
  /** Drop connections opened from the outside, like a home router. Default true. */
  'block-inbound': boolean;
}

export function natConfig(node: NodeModel): NatConfig {
  return node.config as unknown as NatConfig;
}

export const nat: NodeKind = {
  name: 'nat',
  description: 'router that masquerades behind its outside interface, random source ports',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['outside'],
    properties: {
      outside: { type: 'string', description: 'Interface toward the outside; traffic leaving it is masqueraded.' },
      'random-ports': { type: 'boolean', description: 'Random source port for every new mapping (default true).' },
      'block-inbound': { type: 'boolean', description: 'Drop connections opened from the outside (default true).' },
    },
  },
  defaults(node) {
    node.config['random-ports'] ??= true;
    node.config['block-inbound'] ??= true;
  },
  validate(node): KindIssue[] {
    const { outside } = natConfig(node);
    const names = node.interfaces.map((i) => i.name);
    return names.includes(outside) ? [] : [{
      path: ['config', 'outside'],
      message: `interface "${outside}" is not an interface of node "${node.name}"${didYouMean(outside, names)}`,
    }];
  },
  sysctls: () => ({ ...forwardingSysctls }),
  async start(ctx: NodeContext) {
    const c = natConfig(ctx.node);
    const v4 = ['*nat', `-A POSTROUTING -o ${c.outside} -j MASQUERADE${c['random-ports'] ? ' --random-fully' : ''}`, 'COMMIT'];
    const filter = c['block-inbound']
      ? ['*filter',
         `-A FORWARD -i ${c.outside} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
         `-A FORWARD -i ${c.outside} -j DROP`, 'COMMIT']
      : [];
    await ctx.exec(['iptables-restore', '--noflush'], { input: [...v4, ...filter, ''].join('\n') });
    if (filter.length) await ctx.exec(['ip6tables-restore', '--noflush'], { input: [...filter, ''].join('\n') });
  },
};

/**
 * Makes the NAT forget its mappings, so the next packet of every flow gets a new outer port (a
 * "NAT rebinding", as when a home router reboots or a carrier NAT times out). Flushes conntrack;
 * without the conntrack tool, bounces the outside interface, which makes the kernel drop every
 * mapping masqueraded through it (nf_nat_masquerade's netdevice notifier) — the caller restores
 * the interface's routes afterwards.
 */
export async function natRebind(exec: (argv: string[]) => Promise<string>, node: NodeModel,
  method: 'auto' | 'conntrack' | 'link-bounce' = 'auto'): Promise<'conntrack' | 'link-bounce'> {
  if (method !== 'link-bounce') {
    try {
      await exec(['conntrack', '-F']);
      return 'conntrack';
    } catch (e) {
      if (method === 'conntrack') throw e;
    }
  }
  const { outside } = natConfig(node);
  await exec(['ip', 'link', 'set', outside, 'down']);
  await exec(['ip', 'link', 'set', outside, 'up']);
  return 'link-bounce';
}
