// Runs the built-in RADIUS server on UDP: auth and acct ports on IPv4 (and IPv6 when the node has
// it), accounting records appended to a JSON-lines file (one object per line, readable by tests and
// scenarios while the server runs), events to a log function.

import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Endpoint } from '../../ike/actions.ts';
import { ipFamily } from '../../util/ip.ts';
import { UdpShell } from '../udp.ts';
import type { SocketSpec } from '../udp.ts';
import { RadiusServerCore } from './core.ts';
import type { AccountingRecord, RadiusServerAction, RadiusServerCoreOptions } from './core.ts';
import type { ResolvedServerConfig } from './config.ts';

export interface RunningRadiusServer {
  core: RadiusServerCore;
  endpoints: Endpoint[];
  stop(): Promise<void>;
}

export async function runRadiusServer(config: ResolvedServerConfig, opts: RadiusServerCoreOptions & {
  log?: (line: string) => void;
  /** Overrides config.accountingLog. */
  accountingLog?: string;
} = {}): Promise<RunningRadiusServer> {
  const log = opts.log ?? (() => {});
  const core = new RadiusServerCore(config, opts);
  const acctLog = opts.accountingLog ?? config.accountingLog;
  if (acctLog) mkdirSync(path.dirname(acctLog), { recursive: true });
  const specs: SocketSpec[] = [];
  const listen = config.listen ? [config.listen] : ['0.0.0.0', '::'];
  for (const address of listen) {
    for (const port of [config.authPort, config.acctPort]) specs.push({ address, port });
  }
  let shell = new UdpShell<RadiusServerAction>(core, specs, onAction, log);
  let endpoints: Endpoint[];
  try {
    endpoints = await shell.start();
  } catch (e) {
    // A node without IPv6 (disable_ipv6) cannot bind "::": serve IPv4 only.
    if (config.listen || !specs.some((s) => ipFamily(s.address) === 6)) throw e;
    await shell.stop();
    shell = new UdpShell<RadiusServerAction>(core, specs.filter((s) => ipFamily(s.address) !== 6), onAction, log);
    endpoints = await shell.start();
  }
  log(`radius server listening on ${endpoints.map((e) => `${e.address}:${e.port}`).join(', ')}${acctLog ? `; accounting log ${acctLog}` : ''}`);

  function onAction(a: RadiusServerAction): void {
    if (a.type === 'event') log(`${new Date(a.event.time).toISOString()} ${a.event.type}: ${a.event.text}`);
    else if (a.type === 'accounting' && acctLog) appendFileSync(acctLog, `${JSON.stringify(a.record)}\n`);
  }

  return { core, endpoints, stop: () => shell.stop() };
}

/** The records of a JSON-lines accounting log (what tests and scenarios read); [] if it does not exist yet. */
export function readAccountingLog(file: string): AccountingRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as AccountingRecord);
}
