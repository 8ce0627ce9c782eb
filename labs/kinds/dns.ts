// A lab DNS server (the `dns` role of seed-features.md, F-CLI-12): authoritative A/AAAA records
// from the node's config, answered on UDP 53; a scenario (`dns: {node, name, address | remove}`) or
// `flexlab dns NODE NAME ADDR` changes them while it runs, so a FQDN peer can move or stop
// resolving. The supervisor runs `flexlab dns-server --config FILE` in the node's namespace; its
// control socket is <stateDir>/<node>.dns.sock.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KindIssue, NodeContext, NodeKind } from './types.ts';
import { projectPath } from '../../engine/util/paths.ts';
import { ipFamily } from '../../engine/util/ip.ts';

const CLI = projectPath('bin', 'flexlab.js');

export interface DnsNodeConfig {
  records?: Record<string, string | string[]>;
  ttl?: number;
}

export function dnsControlPath(stateDir: string, node: string): string {
  return join(stateDir, `${node}.dns.sock`);
}

export const dns: NodeKind = {
  name: 'dns',
  description: 'authoritative DNS server (A/AAAA records from its config, changeable at run time)',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      records: {
        type: 'object',
        description: 'name: address, or a list of IPv4/IPv6 addresses',
        additionalProperties: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
      },
      ttl: { type: 'integer', minimum: 0, description: 'TTL of the answers in seconds (default 5)' },
    },
  },
  // Before the IPsec nodes (60, 70): clients resolve their peers as they start.
  startOrder: 40,
  validate(node): KindIssue[] {
    const issues: KindIssue[] = [];
    for (const [name, v] of Object.entries((node.config as DnsNodeConfig).records ?? {})) {
      (Array.isArray(v) ? v : [v]).forEach((a, i) => {
        if (!ipFamily(a)) issues.push({ path: ['config', 'records', name, ...(Array.isArray(v) ? [i] : [])], message: `"${a}" is not an IPv4 or IPv6 address` });
      });
    }
    return issues;
  },
  async start(ctx: NodeContext) {
    const cfg = ctx.node.config as DnsNodeConfig;
    const file = join(ctx.stateDir, `${ctx.node.name}.dns.json`);
    writeFileSync(file, JSON.stringify({ records: cfg.records ?? {}, ttl: cfg.ttl ?? 5, control: dnsControlPath(ctx.stateDir, ctx.node.name) }, null, 2));
    await ctx.spawn('dns', [process.execPath, CLI, 'dns-server', '--config', file], { ready: /dns server listening/, readyTimeoutMs: 15_000 });
    ctx.log(`${ctx.node.name}: dns server up (${Object.keys(cfg.records ?? {}).length} names)`);
  },
};
