// `flexlab radius-server --config FILE`: runs the built-in RADIUS server in the current network
// namespace (the `radius` node kind starts it through the supervisor; by hand, a YAML or JSON file
// with the node's config block is enough).
//
// `flexlab radius disconnect|coa [--name LAB] [NODE] --nas ADDR[:PORT] [--secret S] [--user NAME]
//  [--session-id ID] [--audit-session-id ID] [--attr NAME=VALUE]...`: sends a Disconnect-Request or
// CoA-Request (RFC 5176) to a NAS and prints the ACK/NAK. With NODE it is sent from inside that node
// (a `radius` node's `dae.secret` and `dae.port` are the defaults). Exit code 0 for an ACK, 2 for a
// NAK, 3 when no valid answer came.

import { projectPath } from '../../engine/util/paths.ts';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import YAML from 'yaml';
import { UserError } from '../errors.ts';
import { labFromOptions } from '../lab-cli.ts';
import { systemEnv } from '../../labs/command.ts';
import { radiusNodeConfig } from '../../labs/kinds/radius.ts';
import { ipFamily } from '../../engine/util/ip.ts';
import { RADIUS_DAE_PORT } from '../../engine/radius/constants.ts';
import type { Avp } from '../../engine/radius/attributes.ts';
import { formatAvp } from '../../engine/radius/attributes.ts';
import { attrByName } from '../../engine/radius/dictionary.ts';
import { coaRequest, daeOutcome, disconnectRequest } from '../../engine/radius/dac.ts';
import type { DaeTarget } from '../../engine/radius/dac.ts';
import { radiusRequest } from '../../engine/radius/udp.ts';
import { radiusServerConfigSchema, resolveServerConfig } from '../../engine/radius/server/config.ts';
import { validateKindConfig } from '../../labs/topology/schema.ts';
import type { RadiusServerConfig } from '../../engine/radius/server/config.ts';
import { runRadiusServer } from '../../engine/radius/server/udp.ts';

const CLI = projectPath('bin', 'flexlab.js');

interface DaeOptions {
  name?: string;
  nas: string;
  secret?: string;
  user?: string;
  sessionId?: string;
  auditSessionId?: string;
  auditProtocol?: string;
  framedIp?: string;
  callingStationId?: string;
  attr: string[];
  timeout: string;
  retries: string;
  json?: boolean;
  here?: boolean;
  daePort?: string;
}

/** "Name=value" or "Name:tag=value"; the value may contain "=" (Cisco AV pairs do). */
export function parseAttrOption(text: string): Avp {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UserError(`--attr "${text}": expected NAME=VALUE, e.g. Cisco-AVPair=ip:interface-config=ip mtu 1200`);
  const [name, tag] = text.slice(0, eq).trim().split(':') as [string, string | undefined];
  const def = attrByName(name);
  if (!def) throw new UserError(`--attr "${text}": unknown RADIUS attribute "${name}"`);
  const raw = text.slice(eq + 1);
  const value = (def.dataType === 'integer' || def.dataType === 'date') && /^\d+$/.test(raw) ? Number(raw)
    : def.dataType === 'octets' && /^0x[0-9a-f]*$/i.test(raw) ? Buffer.from(raw.slice(2), 'hex') : raw;
  return { name: def.name, value, ...(tag !== undefined ? { tag: Number(tag) } : {}) };
}

function parseNas(text: string, defaultPort: number): { address: string; port: number } {
  const m = /^\[(.+)\]:(\d+)$/.exec(text) ?? (ipFamily(text) ? null : /^([^:]+):(\d+)$/.exec(text));
  const address = m ? m[1]! : text;
  if (!ipFamily(address)) throw new UserError(`--nas "${text}": expected an IP address, optionally with :PORT`);
  return { address, port: m ? Number(m[2]) : defaultPort };
}

async function sendDae(kind: 'disconnect' | 'coa', node: string | undefined, opts: DaeOptions): Promise<void> {
  let secret = opts.secret;
  let port = RADIUS_DAE_PORT;
  if (node && !opts.here) {
    const lab = labFromOptions(opts);
    const n = lab.node(node);
    if (n.kind === 'radius') {
      const dae = radiusNodeConfig(n).dae;
      secret ??= dae?.secret;
      if (dae?.port) port = dae.port;
    }
    if (!secret) throw new UserError(`no --secret given and node "${node}" has no dae.secret`);
    // Run this same command inside the node's namespace.
    const inner = [process.execPath, CLI, 'radius', kind, ...innerArgs({ ...opts, secret, daePort: String(port) }), '--here'];
    const argv = lab.backend.execArgv(n, inner);
    const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'inherit', env: systemEnv({ ...process.env, ...n.env }) });
    if (r.error) throw r.error;
    process.exitCode = r.status ?? 1;
    return;
  }
  if (!secret) throw new UserError('--secret is required (the DAS shared secret)');
  const nas = parseNas(opts.nas, Number(opts.daePort ?? port));
  const target: DaeTarget = {
    ...(opts.user !== undefined ? { userName: opts.user } : {}),
    ...(opts.sessionId !== undefined ? { acctSessionId: opts.sessionId } : {}),
    ...(opts.auditSessionId !== undefined ? { auditSessionId: opts.auditSessionId } : {}),
    ...(opts.auditProtocol !== undefined ? { auditSessionIdProtocol: opts.auditProtocol } : {}),
    ...(opts.framedIp !== undefined ? { framedIpAddress: opts.framedIp } : {}),
    ...(opts.callingStationId !== undefined ? { callingStationId: opts.callingStationId } : {}),
  };
  const attrs = opts.attr.map(parseAttrOption);
  if (!Object.keys(target).length && !attrs.length) {
    throw new UserError('name the session: --user, --session-id, --audit-session-id, --framed-ip, --calling-station-id or --attr');
  }
  const input = kind === 'disconnect' ? disconnectRequest(target, attrs) : coaRequest(target, attrs);
  const result = await radiusRequest({
    servers: [{ address: nas.address, daePort: nas.port, secret }],
    timeoutMs: Number(opts.timeout), retries: Number(opts.retries),
  }, input, (line) => { if (!opts.json) console.error(line); });
  if (result.type === 'timeout') {
    if (opts.json) console.log(JSON.stringify({ ack: false, timeout: true, attempts: result.attempts }));
    else console.log(`no valid answer from ${nas.address}:${nas.port} after ${result.attempts} tries`);
    process.exitCode = 3;
    return;
  }
  const o = daeOutcome(result.response);
  if (opts.json) {
    console.log(JSON.stringify({ ...o, rttMs: result.rttMs, attributes: result.response.attributes.map(formatAvp) }));
  } else {
    const extra = result.response.attributes.map(formatAvp).join(' ');
    console.log(`${o.code} from ${nas.address}:${nas.port}${o.errorCause !== undefined ? ` Error-Cause=${o.errorCause} (${o.errorCauseName ?? '?'})` : ''}${extra ? `: ${extra}` : ''}`);
  }
  process.exitCode = o.ack ? 0 : 2;
}

function innerArgs(o: DaeOptions): string[] {
  const out = ['--nas', o.nas, '--secret', o.secret!, '--timeout', o.timeout, '--retries', o.retries];
  const opt = (flag: string, v: string | undefined) => { if (v !== undefined) out.push(flag, v); };
  opt('--user', o.user);
  opt('--session-id', o.sessionId);
  opt('--audit-session-id', o.auditSessionId);
  opt('--audit-protocol', o.auditProtocol);
  opt('--framed-ip', o.framedIp);
  opt('--calling-station-id', o.callingStationId);
  opt('--dae-port', o.daePort);
  for (const a of o.attr) out.push('--attr', a);
  if (o.json) out.push('--json');
  return out;
}

function loadConfig(file: string): RadiusServerConfig {
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`${file}: ${(e as Error).message}`);
  }
  const obj = raw as Record<string, unknown> | null;
  if (!obj || typeof obj !== 'object') throw new UserError(`${file}: expected a map with clients, users, groups...`);
  // A file holding a whole node entry ({kind, config}) works too.
  const config = (obj['config'] && typeof obj['config'] === 'object' ? obj['config'] : obj) as RadiusServerConfig;
  const issues = validateKindConfig('radius', radiusServerConfigSchema, config);
  if (issues.length) throw new UserError(issues.map((i) => `${file}: ${i.path.join('.') || '(top)'}: ${i.message}`).join('\n'));
  return config;
}

export function register(program: Command): void {
  program
    .command('radius-server')
    .description('run the built-in RADIUS server (PAP/CHAP/EAP, accounting) in the current network namespace')
    .requiredOption('-c, --config <file>', 'server configuration (YAML or JSON): clients, users, groups, eap, accounting, dae')
    .option('--accounting-log <file>', 'JSON-lines accounting log (overrides accounting.log)')
    .action(async (opts: { config: string; accountingLog?: string }) => {
      let server;
      try {
        const config = resolveServerConfig(loadConfig(opts.config));
        server = await runRadiusServer(config, { log: (l) => console.log(l), ...(opts.accountingLog ? { accountingLog: opts.accountingLog } : {}) });
      } catch (e) {
        if (e instanceof UserError) throw e;
        throw new UserError(`${opts.config}: ${(e as Error).message}`);
      }
      const stop = () => void server.stop().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      await new Promise(() => {}); // runs until signalled
    });

  const radius = program.command('radius').description('RADIUS tools: send a Disconnect-Request or CoA-Request (RFC 5176) to a NAS');
  for (const kind of ['disconnect', 'coa'] as const) {
    radius
      .command(kind)
      .description(kind === 'disconnect' ? 'send a Disconnect-Request (PoD) and print the ACK/NAK' : 'send a CoA-Request with --attr changes and print the ACK/NAK')
      .argument('[node]', 'lab node to send from (default: the current namespace)')
      .requiredOption('--nas <addr[:port]>', `the NAS (DAS) address, port ${RADIUS_DAE_PORT} by default`)
      .option('--name <lab>', 'lab name (with NODE; default: the only deployed lab)')
      .option('--secret <secret>', "shared secret with the DAS (default: the radius node's dae.secret)")
      .option('--user <name>', 'User-Name of the session')
      .option('--session-id <id>', 'Acct-Session-Id of the session')
      .option('--audit-session-id <id>', 'Cisco AV pair audit-session-id of the session')
      .option('--audit-protocol <p>', 'protocol prefix of that AV pair ("ip" gives ip:audit-session-id=...)')
      .option('--framed-ip <addr>', 'Framed-IP-Address of the session')
      .option('--calling-station-id <id>', 'Calling-Station-Id of the session')
      .option('--attr <name=value>', 'extra attribute, repeatable (e.g. "Cisco-AVPair=ip:interface-config=ip mtu 1200")', (v: string, acc: string[]) => [...acc, v], [] as string[])
      .option('--timeout <ms>', 'wait per try', '3000')
      .option('--retries <n>', 'retransmissions', '2')
      .option('--dae-port <port>', 'default port when --nas has none')
      .option('--json', 'print the outcome as JSON')
      .option('--here', 'send from the current namespace even when NODE is given')
      .action((node: string | undefined, opts: DaeOptions) => sendDae(kind, node, opts));
  }
}
