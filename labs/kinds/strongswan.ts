// strongSwan's charon (5.9, packaged) as a lab node: a third-party IKEv2 peer for interop. Its
// strongswan.conf and swanctl.conf are generated from the node's `config` block (a swanctl.conf in
// YAML: interop/strongswan/config.ts), charon runs under the supervisor with a private /run and its
// own vici socket, ESP goes through kernel-libipsec (this kernel has no XFRM ESP). Logs:
// <out>/logs/<node>.charon.log; key log and tables: <out>/logs/<node>.charon-keys.log, <out>/keys/charon-<node>/.

import type { NodeKind, NodeContext } from './types.ts';
import { forwardingSysctls } from './router.ts';
import { applyDefaults, baseDirOf, checkConfig, strongswanConfigSchema } from '../../interop/strongswan/config.ts';
import type { StrongswanConfig } from '../../interop/strongswan/config.ts';
import { strongswanPaths } from '../../interop/strongswan/paths.ts';
import { charonArgv, hiddenByPrivateRun, loadAll, stopCharon, waitForCharon, writeCharonFiles } from '../../interop/strongswan/charon.ts';
import { knownIkeSpis, writeCharonKeyTables } from '../../interop/strongswan/keylog.ts';

export const strongswan: NodeKind = {
  name: 'strongswan',
  description: "strongSwan's charon (kernel-libipsec), configured by a swanctl-like config block",
  configSchema: strongswanConfigSchema,
  defaults: applyDefaults,
  validate: checkConfig,
  // It routes the LANs behind it into ipsec0.
  sysctls: () => ({ ...forwardingSysctls }),
  // With our hubs: responders first, so an initiator finds them listening.
  startOrder: 60,
  async start(ctx: NodeContext) {
    const paths = strongswanPaths(ctx.stateDir, ctx.outDir, ctx.node.name);
    const cfg = ctx.node.config as unknown as StrongswanConfig;
    writeCharonFiles(paths, cfg, baseDirOf(ctx.lab), ctx.node.name);
    const hidden = hiddenByPrivateRun(paths);
    if (hidden) throw new Error(`${ctx.node.name}: ${hidden}`);
    const proc = await ctx.spawn('charon', charonArgv(paths), { env: { STRONGSWAN_CONF: paths.conf } });
    await waitForCharon(paths, () => processAlive(proc.pid), 15_000, ctx.signal);
    await loadAll(paths);
    ctx.log(`charon up (pid ${proc.pid}), ${Object.keys(cfg.connections).length} connection(s) loaded`);
  },
  async stop(ctx: NodeContext) {
    const paths = strongswanPaths(ctx.stateDir, ctx.outDir, ctx.node.name);
    // SPIs of IKE SAs made by rekeys are only known to charon itself: ask before it goes.
    const spis = await knownIkeSpis(paths).catch(() => new Map<number, { spiI: string; spiR: string }>());
    const stopped = await stopCharon(paths);
    if (!stopped) ctx.log('charon did not exit within 60 s of SIGTERM; destroy kills it');
    // The key tables are complete once charon has stopped writing its log.
    try {
      writeCharonKeyTables(paths, spis);
    } catch (e) {
      ctx.log(`key tables from ${paths.keyLog} not written: ${(e as Error).message}`);
    }
  },
};

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
