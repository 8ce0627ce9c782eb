// Where a `strongswan` node keeps its things. Runtime (private /run with charon's pid file and vici
// socket) under the lab state directory; configuration, logs and key tables under the lab output.

import { join } from 'node:path';

export interface StrongswanPaths {
  /** Bind-mounted over /run inside charon's mount namespace (pid file, vici socket). */
  runDir: string;
  /** The vici socket as the host sees it (swanctl, flexlab show). */
  vici: string;
  /** The same socket as charon sees it. */
  viciInside: string;
  /** charon's own pid file (/var/run/charon.pid inside). */
  pidFile: string;
  confDir: string;
  /** strongswan.conf (STRONGSWAN_CONF for charon and swanctl). */
  conf: string;
  /** SWANCTL_DIR: swanctl.conf, x509/, x509ca/, private/. */
  swanctlDir: string;
  /** charon's stdout log (the supervisor's log of process "charon"). */
  log: string;
  /** Level-4 IKE/CHD log with the key material. */
  keyLog: string;
  /** Wireshark key tables made from keyLog. */
  keyDir: string;
}

export function strongswanPaths(stateDir: string, outDir: string, node: string): StrongswanPaths {
  const runDir = join(stateDir, `${node}.charon`);
  const confDir = join(outDir, 'strongswan', node);
  return {
    runDir,
    vici: join(runDir, 'charon.vici'),
    viciInside: '/run/charon.vici',
    pidFile: join(runDir, 'charon.pid'),
    confDir,
    conf: join(confDir, 'strongswan.conf'),
    swanctlDir: join(confDir, 'swanctl'),
    log: join(outDir, 'logs', `${node}.charon.log`),
    keyLog: join(outDir, 'logs', `${node}.charon-keys.log`),
    keyDir: join(outDir, 'keys', `charon-${node}`),
  };
}
