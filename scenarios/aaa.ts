// The AAA side of scenarios (issue 7): RFC 5176 Disconnect/CoA requests sent from a lab node (the
// DAC, normally the RADIUS server) to a hub's dynamic authorization server, the accounting records
// a RADIUS node wrote (the built-in server's JSON lines, FreeRADIUS's detail file), and the
// resolver state a client keeps for the DNS servers and split-DNS domains it was given.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../cli/errors.ts';
import { projectPath } from '../engine/util/paths.ts';
import { cidrContains, parseCidr } from '../engine/util/ip.ts';
import type { Cidr } from '../engine/util/ip.ts';
import { addressPlan } from '../labs/address-plan.ts';
import type { Lab } from '../labs/lab.ts';
import type { LabModel } from '../labs/model.ts';
import { radiusAccountingLog, radiusNodeConfig } from '../labs/kinds/radius.ts';
import { freeradiusPaths } from '../labs/kinds/freeradius.ts';
import { parseDetail } from '../interop/freeradius/config.ts';
import { readAccountingLog } from '../engine/radius/server/udp.ts';
import { RADIUS_DAE_PORT } from '../engine/radius/constants.ts';
import type { SessionView } from '../reports/show.ts';
import type { Daemons } from './daemons.ts';
import type { CheckContext, Outcome } from './expectations.ts';

const CLI = projectPath('bin', 'flexlab.js');

/** The ids a `radius` step used, kept under its name so later steps can name the same session. */
export interface DacSession {
  auditSessionId?: string;
  acctSessionId?: string;
}

/** "from:NODE" / "from:STEP" references, or a literal value. */
export interface SessionRefContext {
  lab: Lab;
  daemons: Daemons;
  dacSessions: Map<string, DacSession>;
}

/** Does an IKE SA belong to `user` (AAA user name, EAP identity or IKE identity)? */
function sessionOfUser(s: SessionView, user: string): boolean {
  return [s.aaa?.userName, s.remoteEapId, s.remoteId].includes(user);
}

/**
 * Resolves `from:NODE` (the live session on that node's daemon, chosen by user or peer) or
 * `from:STEP` (the id a named radius step used); anything else is the value itself. Returns a
 * string to fail the step with when it cannot be resolved.
 */
export async function resolveSessionRef(ctx: SessionRefContext, ref: string, key: keyof DacSession, select: { user?: string; peer?: string }): Promise<{ value: string } | { error: string }> {
  const m = /^from:(.+)$/.exec(ref);
  if (!m) return { value: ref };
  const name = m[1]!;
  const saved = ctx.dacSessions.get(name);
  if (saved) return saved[key] ? { value: saved[key]! } : { error: `step "${name}" used no ${key === 'auditSessionId' ? 'audit-session-id' : 'session-id'}` };
  if (!ctx.daemons.has(name)) return { error: `"${ref}": ${name} is neither a named radius step before this one nor a node running our daemon` };
  let sas: SessionView[];
  try {
    sas = (await ctx.daemons.ikeSas(name)).filter((s) => s.status === 'READY');
  } catch (e) {
    return { error: `the daemon of ${name} does not answer: ${(e as Error).message}` };
  }
  const peerAddrs = select.peer ? new Set(/[.:]/.test(select.peer) ? [select.peer] : addressPlan(ctx.lab.model).addressesOf(select.peer).map((a) => a.address)) : undefined;
  const list = sas.filter((s) => (!select.user || sessionOfUser(s, select.user)) && (!peerAddrs || peerAddrs.has(s.remote.address)));
  const what = [select.user ? `user "${select.user}"` : '', select.peer ? `peer ${select.peer}` : ''].filter(Boolean).join(' and ') || 'any peer';
  if (list.length !== 1) {
    const seen = sas.map((s) => `#${s.id} ${s.remoteId ?? '?'}${s.remoteEapId ? ` (EAP ${s.remoteEapId})` : ''} user ${s.aaa?.userName ?? '?'}`).join('; ') || 'none';
    return { error: `${name} has ${list.length} READY sessions of ${what} (need exactly one; sessions: ${seen})` };
  }
  const v = key === 'auditSessionId' ? list[0]!.aaa?.auditSessionId : list[0]!.aaa?.accountingSessionId;
  return v ? { value: v } : { error: `the session of ${what} on ${name} has no ${key === 'auditSessionId' ? 'audit-session-id' : 'accounting session id'} (no AAA on that profile?)` };
}

/** The address of `nas` the DAC reaches it on: one in a subnet they share, else its first address. */
export function nasAddress(model: LabModel, dac: string, nas: string): string | undefined {
  if (/[.:]/.test(nas)) return nas;
  const plan = addressPlan(model);
  const mine = plan.addressesOf(dac);
  for (const a of plan.addressesOf(nas)) {
    const c = parseCidr(a.subnet);
    if (typeof c !== 'string' && mine.some((x) => x.subnet === a.subnet || cidrContains(c as Cidr, x.address))) return a.address;
  }
  return plan.primaryAddress(nas, 4) ?? plan.primaryAddress(nas, 6);
}

export interface DacOutcome {
  ack?: boolean;
  timeout?: boolean;
  code?: string;
  errorCause?: number;
  errorCauseName?: string;
  replyMessage?: string;
  rttMs?: number;
  attributes?: string[];
}

export interface DacRequest {
  kind: 'disconnect' | 'coa';
  node: string;
  nas: string;
  port: number;
  secret: string;
  target: { user?: string; auditSessionId?: string; acctSessionId?: string; framedIp?: string };
  attributes: Array<[string, string]>;
  timeoutMs: number;
}

/** The DAE secret and port of a DAC node: given in the step, else a `radius` node's `dae` block. */
export function dacDefaults(lab: Lab, node: string, secret?: string, port?: number): { secret: string; port: number } {
  const n = lab.node(node);
  const dae = n.kind === 'radius' ? radiusNodeConfig(n).dae : undefined;
  const s = secret ?? dae?.secret;
  if (!s) throw new UserError(`radius step: give "secret" (node ${node} is a ${n.kind} without dae.secret)`);
  return { secret: s, port: port ?? dae?.port ?? RADIUS_DAE_PORT };
}

/**
 * Sends a Disconnect-Request or CoA-Request from inside the DAC node's namespace (so its source
 * address is the one the hub lists as a dynamic-author client), with `flexlab radius ... --here`.
 */
export async function sendDae(lab: Lab, r: DacRequest, signal?: AbortSignal): Promise<DacOutcome> {
  const argv = [process.execPath, CLI, 'radius', r.kind, '--here', '--json', '--nas', r.nas, '--dae-port', String(r.port), '--secret', r.secret,
    '--timeout', String(r.timeoutMs), '--retries', '1'];
  if (r.target.user !== undefined) argv.push('--user', r.target.user);
  if (r.target.auditSessionId !== undefined) argv.push('--audit-session-id', r.target.auditSessionId);
  if (r.target.acctSessionId !== undefined) argv.push('--session-id', r.target.acctSessionId);
  if (r.target.framedIp !== undefined) argv.push('--framed-ip', r.target.framedIp);
  for (const [k, v] of r.attributes) argv.push('--attr', `${k}=${v}`);
  const res = await lab.run(r.node, argv, { timeoutMs: r.timeoutMs * 2 + 15_000, ...(signal ? { signal } : {}) });
  const last = res.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as DacOutcome;
  } catch {
    throw new UserError(`flexlab radius ${r.kind} in ${r.node} failed (exit code ${res.code}): ${(res.stderr || res.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  }
}

// ------------------------------------------------------------------------------- accounting

/** One accounting request as a RADIUS node recorded it, whichever server it is. */
export interface AccountingEntry {
  /** Epoch ms the server received it (FreeRADIUS: whole seconds). */
  ts: number;
  status: string;
  userName?: string;
  auditSessionId?: string;
  /** Every attribute: name -> its values as text. */
  attributes: Record<string, string[]>;
}

/** The file a RADIUS node writes its accounting to, and a reader for it. */
export function accountingSource(lab: Lab, node: string): { file: string; read: () => AccountingEntry[] } {
  const n = lab.node(node);
  if (n.kind === 'radius') {
    const file = radiusAccountingLog(lab.outDir, n);
    if (!file) throw new UserError(`radius node ${node} has accounting turned off (config.accounting)`);
    return {
      file,
      read: () => readAccountingLog(file).map((r) => {
        const attributes: Record<string, string[]> = {};
        for (const [k, v] of Object.entries(r.attributes)) attributes[k] = (Array.isArray(v) ? v : [v]).map(String);
        return { ts: r.ts, status: r.status, ...(r.userName !== undefined ? { userName: r.userName } : {}), ...(r.auditSessionId !== undefined ? { auditSessionId: r.auditSessionId } : {}), attributes };
      }),
    };
  }
  if (n.kind === 'freeradius') {
    const file = freeradiusPaths(lab.state.dir, lab.outDir, node).detail;
    return {
      file,
      read: () => {
        if (!existsSync(file)) return [];
        return parseDetail(readFileSync(file, 'utf8')).map((r) => {
          const a = r.attributes;
          // The detail writer adds "Timestamp = <epoch s>"; the header is the fallback.
          const ts = a['Timestamp']?.[0] ? Number(a['Timestamp'][0]) * 1000 : Date.parse(r.time);
          const audit = (a['Cisco-AVPair'] ?? []).map((v) => /(?:^|:)audit-session-id=(.*)$/.exec(v)?.[1]).find((v) => v !== undefined);
          return { ts, status: a['Acct-Status-Type']?.[0] ?? 'unknown', ...(a['User-Name']?.[0] !== undefined ? { userName: a['User-Name'][0] } : {}), ...(audit !== undefined ? { auditSessionId: audit } : {}), attributes: a };
        });
      },
    };
  }
  throw new UserError(`node ${node} is a ${n.kind}, not a radius or freeradius node`);
}

export const ACCOUNTING_STATUS: Record<string, string> = { start: 'Start', stop: 'Stop', interim: 'Interim-Update' };

export function accountingLine(e: AccountingEntry, t0: number): string {
  const a = e.attributes;
  const n = (k: string) => a[k]?.[0];
  const counters = n('Acct-Input-Octets') !== undefined ? ` in ${n('Acct-Input-Octets')}/${n('Acct-Input-Packets') ?? '?'} out ${n('Acct-Output-Octets')}/${n('Acct-Output-Packets') ?? '?'} (octets/packets)` : '';
  return `${e.status} "${e.userName ?? ''}" +${((e.ts - t0) / 1000).toFixed(1)}s${e.auditSessionId ? ` audit ${e.auditSessionId}` : ''}${counters}${n('Acct-Terminate-Cause') ? ` cause ${n('Acct-Terminate-Cause')}` : ''}`;
}

// ------------------------------------------------------------------------------- resolver

/** What a client's daemon wrote for its resolver (see engine/daemon/resolver.ts). */
export interface ResolverFile {
  node: string;
  interface: string;
  servers: string[];
  nbns: string[];
  defaultDomain?: string;
  splitDomains: string[];
}

export function resolverFile(outDir: string, node: string): string {
  return path.join(outDir, 'dns', `${node}.json`);
}

export function readResolver(outDir: string, node: string): ResolverFile | undefined {
  const f = resolverFile(outDir, node);
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as ResolverFile;
  } catch {
    return undefined; // being rewritten: the next check reads it
  }
}

// ------------------------------------------------------------------------------- authorization

/** Authorization attribute names (engine/aaa/authorization.ts), as the IKE SA view keys them. */
export const AUTHORIZATION_KEYS = [
  'pool', 'pool6', 'address', 'netmask', 'address6', 'prefixLen6', 'dns', 'dns6', 'wins', 'routeSetInterface', 'routeSetPrefixes',
  'routeSetLocal', 'routeAccept', 'interfaceConfig', 'flowLimit', 'banner', 'defaultDomain', 'splitDns', 'backupGateways', 'pfs',
  'includeLocalLan', 'configurationUrl', 'configurationVersion', 'sessionTimeout', 'tunnelPassword', 'passwordLocal', 'passwordRemote', 'other',
] as const;

const AUTHORIZATION_ALIASES: Record<string, string> = {
  'pool-ipv6': 'pool6', 'ipv6-pool': 'pool6', 'route-set': 'routeSetPrefixes', 'route-set-interface': 'routeSetInterface', 'route-set-local': 'routeSetLocal',
};

/** "interface-config" or "interfaceConfig" -> "interfaceConfig"; undefined for an unknown name. */
export function authorizationKey(name: string): string | undefined {
  const k = AUTHORIZATION_ALIASES[name] ?? name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return (AUTHORIZATION_KEYS as readonly string[]).includes(k) ? k : undefined;
}

// ------------------------------------------------------------------------------- expectations

type Args = Record<string, unknown>;

function countOk(c: unknown, have: number): boolean {
  if (c === undefined) return have >= 1;
  if (typeof c === 'number') return have === c;
  const o = c as { min?: number; max?: number };
  return (o.min === undefined || have >= o.min) && (o.max === undefined || have <= o.max);
}

/** `accounting: {...}`: records a RADIUS node wrote, filtered, counted and checked. */
export async function checkAccounting(ctx: CheckContext, a: Args): Promise<Outcome> {
  const node = String(a['node']);
  const status = (a['status'] as string | undefined) ?? 'any';
  const src = accountingSource(ctx.lab, node);
  const look = [src.file];
  const parts = [a['user'] !== undefined ? `for "${String(a['user'])}"` : '', a['audit-session-id'] !== undefined ? `audit-session-id ${String(a['audit-session-id'])}` : '',
    a['since'] !== undefined ? `since step "${String(a['since'])}"` : ''].filter(Boolean);
  const c = a['count'];
  const countWhat = c === undefined ? 'at least one' : typeof c === 'number' ? String(c) : [(c as { min?: number }).min !== undefined ? `at least ${(c as { min: number }).min}` : '', (c as { max?: number }).max !== undefined ? `at most ${(c as { max: number }).max}` : ''].filter(Boolean).join(' and ');
  const checks = [a['min-octets'] !== undefined ? `at least ${String(a['min-octets'])} octets in and out` : '', a['min-packets'] !== undefined ? `at least ${String(a['min-packets'])} packets in and out` : '',
    a['terminate-cause'] !== undefined ? `Acct-Terminate-Cause ${String(a['terminate-cause'])}` : '', a['attributes'] ? `attributes ${JSON.stringify(a['attributes'])}` : ''].filter(Boolean);
  const expected = `${node}: ${countWhat} accounting ${status === 'any' ? 'record' : ACCOUNTING_STATUS[status]}${parts.length ? ` ${parts.join(', ')}` : ''}${checks.length ? `, each with ${checks.join(', ')}` : ''}`;
  let audit: string | undefined;
  if (a['audit-session-id'] !== undefined) {
    const r = await resolveSessionRef(ctx, String(a['audit-session-id']), 'auditSessionId', { ...(a['user'] !== undefined ? { user: String(a['user']) } : {}) });
    if ('error' in r) return { ok: false, expected, seen: r.error, look };
    audit = r.value;
  }
  const since = a['since'] !== undefined ? ctx.stepEnd.get(String(a['since']))?.start : undefined;
  if (a['since'] !== undefined && since === undefined) return { ok: false, expected, seen: `step "${String(a['since'])}" has not run`, look, final: true };
  const all = src.read();
  // FreeRADIUS stamps whole seconds: a record of the same second as the step counts.
  const after = since === undefined ? 0 : ctx.lab.node(node).kind === 'freeradius' ? Math.floor(since / 1000) * 1000 : since;
  const list = all.filter((e) => e.ts >= after && (status === 'any' || e.status === ACCOUNTING_STATUS[status])
    && (a['user'] === undefined || e.userName === a['user']) && (audit === undefined || e.auditSessionId === audit));
  const lines = (l: AccountingEntry[]) => l.map((e) => accountingLine(e, ctx.t0)).join('; ') || 'none';
  if (!countOk(c, list.length)) return { ok: false, expected, seen: `${list.length} matching (all records: ${lines(all.slice(-8))})`, look, detail: all };
  const wrong: string[] = [];
  const num = (e: AccountingEntry, k: string) => Number(e.attributes[k]?.[0] ?? NaN);
  for (const e of list) {
    for (const [key, dirs] of [['min-octets', ['Acct-Input-Octets', 'Acct-Output-Octets']], ['min-packets', ['Acct-Input-Packets', 'Acct-Output-Packets']]] as const) {
      if (a[key] === undefined) continue;
      for (const d of dirs) if (!(num(e, d) >= Number(a[key]))) wrong.push(`${d} ${e.attributes[d]?.[0] ?? 'missing'}`);
    }
    if (a['terminate-cause'] !== undefined && e.attributes['Acct-Terminate-Cause']?.[0] !== a['terminate-cause']) wrong.push(`Acct-Terminate-Cause ${e.attributes['Acct-Terminate-Cause']?.[0] ?? 'missing'}`);
    for (const [k, re] of Object.entries((a['attributes'] as Record<string, string | number> | undefined) ?? {})) {
      if (!(e.attributes[k] ?? []).some((v) => new RegExp(String(re)).test(v))) wrong.push(`${k} ${JSON.stringify(e.attributes[k] ?? 'missing')}`);
    }
  }
  return wrong.length ? { ok: false, expected, seen: `${wrong.join('; ')} (${lines(list)})`, look, detail: list } : { ok: true, expected, seen: lines(list), look, detail: list };
}

/** `resolver: {...}`: the DNS state a client recorded from its configuration reply. */
export function checkResolver(ctx: CheckContext, a: Args): Outcome {
  const node = String(a['node']);
  const file = resolverFile(ctx.lab.outDir, node);
  const present = a['present'] !== false;
  const want = [a['servers'] ? `DNS servers ${(a['servers'] as string[]).join(', ')}` : '', a['split-dns'] ? `split-DNS domains ${(a['split-dns'] as string[]).join(', ')}` : '',
    a['default-domain'] !== undefined ? `default domain ${String(a['default-domain'])}` : '', a['interface'] !== undefined ? `through ${String(a['interface'])}` : ''].filter(Boolean);
  const expected = present ? `${node} records resolver state${want.length ? `: ${want.join(', ')}` : ''}` : `${node} has no resolver state`;
  const r = readResolver(ctx.lab.outDir, node);
  const seen = r ? `servers ${r.servers.join(', ') || 'none'}, split DNS ${r.splitDomains.join(', ') || 'none'}, domain ${r.defaultDomain ?? 'none'}, via ${r.interface}` : `no ${file}`;
  if (!present) return { ok: !r, expected, seen, look: [file] };
  if (!r) return { ok: false, expected, seen, look: [file] };
  const same = (x: string[], y: string[], ordered: boolean) => x.length === y.length && (ordered ? x.every((v, i) => v === y[i]) : x.every((v) => y.includes(v)));
  const ok = (!a['servers'] || same(r.servers, a['servers'] as string[], true)) && (!a['split-dns'] || same(r.splitDomains, a['split-dns'] as string[], false))
    && (a['default-domain'] === undefined || r.defaultDomain === a['default-domain']) && (a['interface'] === undefined || r.interface === a['interface']);
  return { ok, expected, seen, look: [file], detail: r };
}
