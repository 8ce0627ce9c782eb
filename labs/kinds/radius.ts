// The built-in RADIUS server as a node (issue 7, "zero-setup default"): users and groups from the node
// config, PAP/CHAP/MS-CHAP and EAP-MD5/MSCHAPv2/GTC, Cisco AV-pair replies, an accounting log of JSON
// lines, and defaults for `flexlab radius disconnect|coa` sent from this node. The supervisor runs
// `flexlab radius-server --config FILE` inside the node's namespace.

import { projectPath } from '../../engine/util/paths.ts';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KindIssue, NodeContext, NodeKind } from './types.ts';
import type { NodeModel } from '../model.ts';
import { checkServerConfig, radiusServerConfigSchema } from '../../engine/radius/server/config.ts';
import type { RadiusServerConfig } from '../../engine/radius/server/config.ts';

const CLI = projectPath('bin', 'flexlab.js');

export function radiusNodeConfig(node: NodeModel): RadiusServerConfig {
  return node.config as unknown as RadiusServerConfig;
}

/** Where a radius node's accounting records go: `<outDir>/<node>.accounting.jsonl` unless configured. */
export function radiusAccountingLog(outDir: string, node: NodeModel): string | undefined {
  const a = radiusNodeConfig(node).accounting;
  if (a === false || (typeof a === 'object' && a.enabled === false)) return undefined;
  const configured = typeof a === 'object' ? a.log : undefined;
  return configured ? path.resolve(outDir, configured) : path.join(outDir, `${node.name}.accounting.jsonl`);
}

export const radius: NodeKind = {
  name: 'radius',
  description: 'built-in RADIUS server: PAP/CHAP/EAP (MD5, MSCHAPv2, GTC), Cisco AV pairs, accounting log, CoA/Disconnect client',
  configSchema: radiusServerConfigSchema,
  // Before the hubs (60), which send it requests as soon as their first session comes up.
  startOrder: 40,
  validate(node): KindIssue[] {
    return checkServerConfig(radiusNodeConfig(node)).map((i) => ({ path: ['config', ...i.path], message: i.message }));
  },
  async start(ctx: NodeContext) {
    const config = radiusNodeConfig(ctx.node);
    const log = radiusAccountingLog(ctx.outDir, ctx.node);
    const file = path.join(ctx.stateDir, `${ctx.node.name}.radius.json`);
    const resolved: RadiusServerConfig = {
      ...config,
      accounting: log ? { enabled: true, log } : false,
    };
    writeFileSync(file, JSON.stringify(resolved, null, 2));
    await ctx.spawn('radius', [process.execPath, CLI, 'radius-server', '--config', file], { ready: /radius server listening on/, readyTimeoutMs: 15_000 });
    ctx.log(`${ctx.node.name}: radius server up${log ? `, accounting to ${log}` : ''}`);
  },
};
