// FreeRADIUS 3.2 (packaged) as a lab node: a third-party RADIUS server for the AAA interop. A
// private copy of /etc/freeradius/3.0 in the lab output gets clients, users and EAP settings from
// the node's config block (interop/freeradius/config.ts); `freeradius -X` runs under the
// supervisor (debug log = <out>/logs/<node>.freeradius.log), ready at "Ready to process requests".
// Accounting requests go to <out>/freeradius/<node>/accounting.detail.

import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeContext, NodeKind } from './types.ts';
import {
  checkFreeradiusConfig, freeradiusConfigSchema, renderClients, renderDetail, renderEap, renderUsers,
} from '../../interop/freeradius/config.ts';
import type { FreeradiusConfig } from '../../interop/freeradius/config.ts';

export const SYSTEM_RADDB = '/etc/freeradius/3.0';

export interface FreeradiusPaths {
  dir: string;
  raddb: string;
  logDir: string;
  detail: string;
  runDir: string;
  /** The supervisor's log of `freeradius -X`. */
  log: string;
}

export function freeradiusPaths(stateDir: string, outDir: string, node: string): FreeradiusPaths {
  const dir = join(outDir, 'freeradius', node);
  return {
    dir, raddb: join(dir, 'raddb'), logDir: join(dir, 'log'), detail: join(dir, 'accounting.detail'),
    runDir: join(stateDir, `${node}.freeradius`), log: join(outDir, 'logs', `${node}.freeradius.log`),
  };
}

/** Writes the private configuration tree (a copy of Debian's, then our files over it). */
export function writeFreeradiusTree(p: FreeradiusPaths, cfg: FreeradiusConfig): void {
  rmSync(p.raddb, { recursive: true, force: true });
  for (const d of [p.dir, p.logDir, p.runDir]) mkdirSync(d, { recursive: true });
  cpSync(SYSTEM_RADDB, p.raddb, { recursive: true, verbatimSymlinks: true });
  const conf = join(p.raddb, 'radiusd.conf');
  let text = readFileSync(conf, 'utf8');
  const set = (key: string, value: string) => {
    text = text.replace(new RegExp(`^${key}\\s*=.*$`, 'm'), `${key} = ${value}`);
  };
  set('raddbdir', p.raddb);
  set('logdir', p.logDir);
  set('radacctdir', p.logDir);
  set('run_dir', p.runDir);
  // Root in a lab namespace: no switch to the freerad user, so no chown of the private tree.
  text = text.replace(/^(\s*)(user|group) = freerad\s*$/gm, '$1# $2 = freerad (flexlab: runs as root in the lab)');
  writeFileSync(conf, text);
  writeFileSync(join(p.raddb, 'clients.conf'), renderClients(cfg));
  // `users` is a link to mods-config/files/authorize: write the target.
  writeFileSync(join(p.raddb, 'mods-config', 'files', 'authorize'), renderUsers(cfg));
  rmSync(join(p.raddb, 'mods-enabled', 'eap'), { force: true });
  writeFileSync(join(p.raddb, 'mods-enabled', 'eap'), renderEap(cfg));
  rmSync(join(p.raddb, 'mods-enabled', 'detail'), { force: true });
  writeFileSync(join(p.raddb, 'mods-enabled', 'detail'), renderDetail(p.detail));
  // PEAP/TTLS live there; without TLS it would only fail to load.
  rmSync(join(p.raddb, 'sites-enabled', 'inner-tunnel'), { force: true });
  if (cfg.ports) {
    const site = join(p.raddb, 'sites-enabled', 'default');
    let s = readFileSync(site, 'utf8');
    rmSync(site, { force: true });
    // Each listen section says "type = auth|acct" before its "port = 0".
    s = s.replace(/(type = (auth|acct)\b[\s\S]*?\bport = )0/g, (_m, pre: string, type: string) =>
      `${pre}${(type === 'auth' ? cfg.ports!.auth : cfg.ports!.acct) ?? 0}`);
    writeFileSync(site, s);
  }
}

export const freeradius: NodeKind = {
  name: 'freeradius',
  description: 'FreeRADIUS 3.2 with clients, users (reply AV-pairs) and EAP-MD5/MSCHAPv2 from the config block',
  configSchema: freeradiusConfigSchema,
  validate: (node) => checkFreeradiusConfig(node),
  // Before the IPsec nodes that use it.
  startOrder: 40,
  async start(ctx: NodeContext) {
    const p = freeradiusPaths(ctx.stateDir, ctx.outDir, ctx.node.name);
    writeFreeradiusTree(p, ctx.node.config as unknown as FreeradiusConfig);
    const proc = await ctx.spawn('freeradius', ['freeradius', '-X', '-d', p.raddb], { ready: /Ready to process requests/, readyTimeoutMs: 20_000 });
    ctx.log(`FreeRADIUS up (pid ${proc.pid}), log ${p.log}`);
  },
};
