// Typed expectations against the daemons' state, not regexes over text: IKE and CHILD SAs (count,
// state, algorithms, selectors, NAT, addresses), tunnels, counters, events in order with timing
// bounds, traffic (loss, longest gap, throughput), one-off reachability, and captures read by
// tshark. Each check returns what was expected, what was seen and where to look; the runner calls
// it again whenever something happens until it holds or its deadline passes.

import path from 'node:path';
import { addressPlan } from '../labs/address-plan.ts';
import type { Lab } from '../labs/lab.ts';
import { cidrContains, parseCidr } from '../engine/util/ip.ts';
import type { Cidr } from '../engine/util/ip.ts';
import type { SessionView } from '../reports/show.ts';
import { counterValue } from './daemons.ts';
import type { Daemons, NodeSnapshot, Snapshot, TunnelStatus } from './daemons.ts';
import { eventType } from './events.ts';
import type { EventStore, LoggedEvent } from './events.ts';
import type { Flow } from './flows.ts';
import { pingStats } from './flows.ts';
import type { Step } from './model.ts';
import { analyzeCapture, analyzeRadius, countFrames } from './capture-check.ts';
import { authorizationKey } from './aaa.ts';
import type { DacSession } from './aaa.ts';
import { formatMs, formatRate } from './values.ts';

export interface Outcome {
  ok: boolean;
  expected: string;
  seen: string;
  /** Files and commands that show more. */
  look: string[];
  /** Structured evidence for the JSON report. */
  detail?: unknown;
  /** The check cannot become true by waiting (bad reference, flow gone): stop waiting. */
  final?: boolean;
}

/** What expectations read: the lab, its daemons, events, flows, and the runner's bookkeeping. */
export interface CheckContext {
  lab: Lab;
  daemons: Daemons;
  events: EventStore;
  flows: Map<string, Flow>;
  /** Wall-clock start and end of each named step, and a snapshot taken as it began. */
  stepEnd: Map<string, { start: number; at: number; snapshot?: Snapshot }>;
  /** Wall-clock time the timeline started. */
  t0: number;
  /** When the lab was deployed (events of the deploy count from here). */
  deployAt: number;
  /** Wall-clock start of the step being checked. */
  stepStart: number;
  /** Snapshot of the daemons at the start of this step (for `rising`). */
  startSnapshot?: Snapshot;
  /** Stops a running capture so it can be read. */
  stopCapture(link: string): Promise<string | undefined>;
  keyDir: string;
  /** Session ids used by named radius steps (`from:STEP`). */
  dacSessions: Map<string, DacSession>;
}

type Args = Record<string, unknown>;

const n = (v: unknown) => (typeof v === 'number' ? v : Number(v));

function countOk(c: unknown, have: number): boolean {
  if (c === undefined) return have >= 1;
  if (typeof c === 'number') return have === c;
  const o = c as { min?: number; max?: number };
  return (o.min === undefined || have >= o.min) && (o.max === undefined || have <= o.max);
}

function countText(c: unknown, what: string): string {
  if (c === undefined) return `at least one ${what}`;
  if (typeof c === 'number') return `${c} ${what}${c === 1 ? '' : 's'}`;
  const o = c as { min?: number; max?: number };
  return `${[o.min !== undefined ? `at least ${o.min}` : '', o.max !== undefined ? `at most ${o.max}` : ''].filter(Boolean).join(' and ')} ${what}s`;
}

export function saLine(s: SessionView): string {
  const alg = s.encr ? `${s.encr}${s.keysize ? `-${s.keysize}` : ''}/${s.prf}/${s.hash}/DH${s.dhGroup}` : 'no algorithms yet';
  return `#${s.id} ${s.status} ${s.local.address}:${s.local.port} <-> ${s.remote.address}:${s.remote.port} ${alg} remote-id ${s.remoteId ?? '?'}${s.children.length ? `, ${s.children.length} CHILD SA${s.children.length > 1 ? 's' : ''}` : ''}`;
}

function inPrefix(addr: string | undefined, want: string): boolean {
  if (!addr) return false;
  const a = addr.replace(/\/\d+$/, '');
  if (!want.includes('/')) return a === want;
  const c = parseCidr(want);
  return typeof c !== 'string' && cidrContains(c as Cidr, a);
}

/** Where to look for a node: its event log and the daemon's log file. */
function lookFor(ctx: CheckContext, node: string): string[] {
  const out = [ctx.events.fileOf(node)];
  const log = path.join(ctx.lab.outDir, 'logs', `${node}.flexvpnd.log`);
  out.push(log);
  return out;
}

/** The SAs of `node` that face `peer` (a node: matched by SPIs when it runs our daemon, else by its addresses; or an address). */
async function peerFilter(ctx: CheckContext, peer: string | undefined): Promise<(s: SessionView) => boolean> {
  if (!peer) return () => true;
  if (/[.:]/.test(peer)) return (s) => s.remote.address === peer;
  if (ctx.daemons.has(peer)) {
    try {
      const theirs = await ctx.daemons.ikeSas(peer);
      const keys = new Set(theirs.map((s) => `${s.spiI}/${s.spiR}`));
      return (s) => keys.has(`${s.spiI}/${s.spiR}`);
    } catch {
      // the peer's daemon does not answer (killed, paused): fall back to its addresses
    }
  }
  const addrs = new Set(addressPlan(ctx.lab.model).addressesOf(peer).map((a) => a.address));
  return (s) => addrs.has(s.remote.address);
}

async function sasOf(ctx: CheckContext, node: string): Promise<SessionView[] | string> {
  if (!ctx.daemons.has(node)) return `node "${node}" runs no IPsec daemon (no control socket ${ctx.daemons.socket(node)})`;
  try {
    return await ctx.daemons.ikeSas(node);
  } catch (e) {
    return `the daemon of ${node} does not answer: ${(e as Error).message}`;
  }
}

const IKE_PROPS: Array<[string, keyof SessionView | ((s: SessionView) => unknown)]> = [
  ['encr', 'encr'], ['keysize', 'keysize'], ['prf', 'prf'], ['hash', 'hash'], ['dh-group', 'dhGroup'],
  ['auth-sign', 'authSign'], ['auth-verify', 'authVerify'], ['local-id', 'localId'], ['initiator', 'initiator'],
  ['fragmentation', (s) => s.fragmentation.configured && s.fragmentation.peerSupports],
  ['remote-eap-id', 'remoteEapId'], ['aaa-user', (s) => s.aaa?.userName],
];

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Authorization attributes of an SA against `authorization: {ATTR: {value, source, absent}}`. */
function authorizationWrong(s: SessionView, want: Record<string, { value?: unknown; source?: string; absent?: boolean }>): string[] {
  const wrong: string[] = [];
  for (const [name, w] of Object.entries(want)) {
    const got = s.aaa?.authorization?.[authorizationKey(name) ?? name];
    if (w.absent) {
      if (got) wrong.push(`SA #${s.id} authorization ${name} is ${JSON.stringify(got.value)} (${got.source})`);
      continue;
    }
    if (!got) { wrong.push(`SA #${s.id} has no authorization ${name}`); continue; }
    if (w.value !== undefined && !sameJson(got.value, w.value)) wrong.push(`SA #${s.id} authorization ${name} ${JSON.stringify(got.value)} (${got.source})`);
    if (w.source !== undefined && !new RegExp(w.source).test(got.source)) wrong.push(`SA #${s.id} authorization ${name} from "${got.source}"`);
  }
  return wrong;
}

/** The configuration an SA assigned (hub) or received (client), keyed as scenarios write it. */
function configView(s: SessionView, side: 'assigned' | 'received'): Record<string, unknown> {
  if (side === 'received') {
    const r = s.receivedConfig;
    return r ? { address: r.address4, address6: r.address6, dns: r.dns, wins: r.nbns, routes: r.subnets, 'split-dns': r.splitDns, domain: r.defaultDomain, banner: r.banner, 'backup-gateways': r.backupGateways } : {};
  }
  const a = s.assignedConfig;
  const p = a?.pushed ?? {};
  return a ? {
    address: a.address4, address6: a.address6, dns: p['dns']?.value, wins: p['wins']?.value, routes: p['routes']?.value, 'split-dns': p['splitDns']?.value,
    domain: p['defaultDomain']?.value, banner: p['banner']?.value, 'backup-gateways': p['backupGateways']?.value, 'accepted-routes': a.peerSubnets,
  } : {};
}

const ORDERED = new Set(['dns', 'wins', 'backup-gateways']);

function configWrong(s: SessionView, side: 'assigned' | 'received', want: Record<string, unknown>): string[] {
  const v = configView(s, side);
  const wrong: string[] = [];
  for (const [k, w] of Object.entries(want)) {
    const got = v[k];
    if (k === 'address' || k === 'address6') {
      const ok = w === 'none' ? got === undefined : inPrefix(got as string | undefined, String(w));
      if (!ok) wrong.push(`SA #${s.id} config-${side} ${k} ${String(got ?? 'none')}`);
    } else if (Array.isArray(w)) {
      const list = ((got as string[] | undefined) ?? []).map(String);
      const ok = ORDERED.has(k) ? sameJson(list, w.map(String)) : sameSet(list, w.map(String));
      if (!ok) wrong.push(`SA #${s.id} config-${side} ${k} [${list.join(', ')}]`);
    } else if ((w === 'none' ? undefined : String(w)) !== (got === undefined ? undefined : String(got))) {
      wrong.push(`SA #${s.id} config-${side} ${k} ${got === undefined ? 'not sent' : JSON.stringify(got)}`);
    }
  }
  return wrong;
}

export async function checkIkeSa(ctx: CheckContext, a: Args): Promise<Outcome> {
  const node = String(a['node']);
  const look = lookFor(ctx, node);
  const sas = await sasOf(ctx, node);
  const status = (a['status'] as string | undefined) ?? 'READY';
  const what = `${status === 'any' ? '' : `${status} `}IKE SA`;
  const towards = a['peer'] ? ` towards ${String(a['peer'])}` : '';
  const expected = `${node}: ${countText(a['count'], what)}${towards}`;
  if (typeof sas === 'string') return { ok: false, expected, seen: sas, look };
  const facing = await peerFilter(ctx, a['peer'] as string | undefined);
  const list = sas.filter((s) => facing(s) && (status === 'any' || s.status === status) && (a['remote-id'] === undefined || s.remoteId === a['remote-id']));
  const seenAll = sas.length ? sas.map(saLine).join('; ') : 'no IKE SA at all';
  if (!countOk(a['count'], list.length)) {
    return { ok: false, expected, seen: `${list.length} matching: ${seenAll}`, look, detail: sas };
  }
  const wrong: string[] = [];
  const want: string[] = [];
  for (const [key, get] of IKE_PROPS) {
    if (a[key] === undefined) continue;
    want.push(`${key} ${JSON.stringify(a[key])}`);
    for (const s of list) {
      const v = typeof get === 'function' ? get(s) : s[get];
      if (v !== a[key]) wrong.push(`SA #${s.id} ${key} ${JSON.stringify(v)}`);
    }
  }
  const nat = a['nat'] as { local?: boolean; remote?: boolean } | undefined;
  if (nat) {
    want.push(`NAT ${JSON.stringify(nat)}`);
    for (const s of list) {
      if (nat.local !== undefined && s.nat.local !== nat.local) wrong.push(`SA #${s.id} nat.local ${s.nat.local}`);
      if (nat.remote !== undefined && s.nat.remote !== nat.remote) wrong.push(`SA #${s.id} nat.remote ${s.nat.remote}`);
    }
  }
  if (a['assigned-address'] !== undefined) {
    const w = String(a['assigned-address']);
    want.push(`assigned address ${w}`);
    for (const s of list) {
      const got = s.assignedAddress ?? s.receivedConfig?.address4 ?? s.assignedConfig?.address4;
      if (!inPrefix(got, w)) wrong.push(`SA #${s.id} assigned address ${got ?? 'none'}`);
    }
  }
  const port = a['remote-port'] as { not?: number[]; is?: number } | undefined;
  if (port) {
    want.push(`remote port ${port.is !== undefined ? port.is : `not ${port.not?.join('/')}`}`);
    for (const s of list) {
      if (port.is !== undefined && s.remote.port !== port.is) wrong.push(`SA #${s.id} remote port ${s.remote.port}`);
      if (port.not?.includes(s.remote.port)) wrong.push(`SA #${s.id} remote port ${s.remote.port}`);
    }
  }
  if (a['children'] !== undefined) {
    want.push(countText(a['children'], 'CHILD SA'));
    for (const s of list) if (!countOk(a['children'], s.children.length)) wrong.push(`SA #${s.id} has ${s.children.length} CHILD SAs`);
  }
  const authz = a['authorization'] as Record<string, { value?: unknown; source?: string; absent?: boolean }> | undefined;
  if (authz) {
    want.push(`authorization ${JSON.stringify(authz)}`);
    for (const s of list) wrong.push(...authorizationWrong(s, authz));
  }
  for (const side of ['assigned', 'received'] as const) {
    const c = a[`config-${side}`] as Record<string, unknown> | undefined;
    if (!c) continue;
    want.push(`config-${side} ${JSON.stringify(c)}`);
    for (const s of list) wrong.push(...configWrong(s, side, c));
  }
  const exp = want.length ? `${expected} with ${want.join(', ')}` : expected;
  return wrong.length ? { ok: false, expected: exp, seen: `${wrong.join('; ')} (${seenAll})`, look, detail: list } : { ok: true, expected: exp, seen: list.map(saLine).join('; ') || 'none', look, detail: list };
}

function childLine(s: SessionView, c: SessionView['children'][number]): string {
  return `CHILD #${c.id} (IKE SA #${s.id}) ${c.state} ${c.suite} ${c.mode} in ${c.spiIn} out ${c.spiOut} TS ${c.localTs.join(',')} === ${c.remoteTs.join(',')}`;
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

export async function checkChildSa(ctx: CheckContext, a: Args): Promise<Outcome> {
  const node = String(a['node']);
  const look = lookFor(ctx, node);
  const sas = await sasOf(ctx, node);
  const expected = `${node}: ${countText(a['count'], 'CHILD SA')}${a['peer'] ? ` towards ${String(a['peer'])}` : ''}`;
  if (typeof sas === 'string') return { ok: false, expected, seen: sas, look };
  const facing = await peerFilter(ctx, a['peer'] as string | undefined);
  const pairs = sas.filter((s) => facing(s) && s.status !== 'DELETE').flatMap((s) => s.children.map((c) => ({ s, c })))
    .filter(({ c }) => a['state'] === undefined || c.state === a['state']);
  const seenAll = pairs.map(({ s, c }) => childLine(s, c)).join('; ') || 'no CHILD SA';
  if (!countOk(a['count'], pairs.length)) return { ok: false, expected, seen: `${pairs.length}: ${seenAll}`, look, detail: pairs.map((p) => p.c) };
  const wrong: string[] = [];
  const want: string[] = [];
  const prop = (key: string, get: (c: SessionView['children'][number]) => unknown) => {
    if (a[key] === undefined) return;
    want.push(`${key} ${JSON.stringify(a[key])}`);
    for (const { c } of pairs) if (get(c) !== a[key]) wrong.push(`CHILD #${c.id} ${key} ${JSON.stringify(get(c))}`);
  };
  prop('suite', (c) => c.suite);
  prop('mode', (c) => c.mode);
  prop('pfs-group', (c) => c.pfsGroup);
  for (const key of ['local-ts', 'remote-ts'] as const) {
    if (a[key] === undefined) continue;
    const w = a[key] as string[];
    want.push(`${key} ${w.join(', ')}`);
    for (const { c } of pairs) {
      const got = key === 'local-ts' ? c.localTs : c.remoteTs;
      if (!sameSet(got, w)) wrong.push(`CHILD #${c.id} ${key} ${got.join(', ')}`);
    }
  }
  const since = a['new-spis-since'] as string | undefined;
  if (since) {
    const ref = ctx.stepEnd.get(since)?.snapshot?.nodes.find((x) => x.node === node);
    want.push(`new SPIs since "${since}"`);
    if (!ref) wrong.push(`no snapshot of ${node} from the start of step "${since}"`);
    else {
      const old = new Set(ref.ikeSas.flatMap((s) => s.children.flatMap((c) => [c.spiIn, c.spiOut])));
      for (const { c } of pairs) if (old.has(c.spiIn) || old.has(c.spiOut)) wrong.push(`CHILD #${c.id} still has SPIs ${c.spiIn}/${c.spiOut} from step "${since}"`);
    }
  }
  const exp = want.length ? `${expected} with ${want.join(', ')}` : expected;
  return wrong.length ? { ok: false, expected: exp, seen: `${wrong.join('; ')} (${seenAll})`, look } : { ok: true, expected: exp, seen: seenAll, look };
}

/** What the node's kernel says about an interface: its MTU and the routes through it. */
async function kernelView(ctx: CheckContext, node: string, ifname: string): Promise<{ mtu?: number; routes: string[] }> {
  const json = async (argv: string[]) => {
    const r = await ctx.lab.run(node, argv, { timeoutMs: 5000 });
    try { return r.code === 0 ? JSON.parse(r.stdout || '[]') as Array<Record<string, unknown>> : []; } catch { return []; }
  };
  const [link, r4, r6] = await Promise.all([json(['ip', '-j', 'link', 'show', 'dev', ifname]), json(['ip', '-j', 'route', 'show', 'dev', ifname]), json(['ip', '-j', '-6', 'route', 'show', 'dev', ifname])]);
  const prefix = (dst: string, six: boolean) => (dst === 'default' ? (six ? '::/0' : '0.0.0.0/0') : dst.includes('/') ? dst : `${dst}/${six ? 128 : 32}`);
  return {
    ...(typeof link[0]?.['mtu'] === 'number' ? { mtu: link[0]['mtu'] } : {}),
    routes: [...r4.map((r) => prefix(String(r['dst']), false)), ...r6.filter((r) => !String(r['dst']).startsWith('fe80:')).map((r) => prefix(String(r['dst']), true))],
  };
}

export async function checkTunnel(ctx: CheckContext, a: Args): Promise<Outcome> {
  const node = String(a['node']);
  const look = lookFor(ctx, node);
  const up = a['up'] !== false;
  const derived = a['derived-config'] as string[] | undefined;
  const extra = [a['mtu'] !== undefined ? `MTU ${String(a['mtu'])} in the kernel` : '', derived ? `derived config exactly [${derived.join('; ')}]` : '',
    a['acls'] ? `ACLs ${(a['acls'] as string[]).join(', ')}` : '',
    a['service-policy'] ? `service-policy ${JSON.stringify(a['service-policy'])}` : '', a['access-group'] ? `access-group ${JSON.stringify(a['access-group'])}` : ''].filter(Boolean);
  const expected = `${node}: tunnel${a['interface'] ? ` ${String(a['interface'])}` : ''}${a['peer'] ? ` of peer ${String(a['peer'])}` : ''} ${up ? 'up' : 'down'}${a['address'] ? ` with an address in ${String(a['address'])}` : ''}${a['routes'] ? ` carrying ${(a['routes'] as string[]).join(', ')} (daemon and kernel)` : ''}${extra.length ? `, ${extra.join(', ')}` : ''}`;
  let st;
  try { st = await ctx.daemons.status(node); } catch (e) { return { ok: false, expected, seen: `the daemon of ${node} does not answer: ${(e as Error).message}`, look }; }
  const peerAddrs = a['peer'] === undefined ? undefined : new Set(/[.:]/.test(String(a['peer'])) ? [String(a['peer'])] : addressPlan(ctx.lab.model).addressesOf(String(a['peer'])).map((x) => x.address));
  const tunnels = st.tunnels.filter((t) => (a['interface'] === undefined || t.interface === a['interface']) && (!peerAddrs || peerAddrs.has(t.peer.replace(/^\[?(.*?)\]?:\d+$/, '$1'))));
  const kernel = new Map<string, Awaited<ReturnType<typeof kernelView>>>();
  if (a['mtu'] !== undefined || a['routes'] !== undefined) for (const t of tunnels) if (t.up) kernel.set(t.interface, await kernelView(ctx, node, t.interface));
  const line = (t: (typeof tunnels)[number]) => {
    const k = kernel.get(t.interface);
    return `${t.interface} ${t.up ? 'up' : 'down'} addresses ${t.addresses.join(',') || 'none'} routes ${t.routes.join(',') || 'none'}${k ? ` (kernel: mtu ${k.mtu ?? '?'}, routes ${k.routes.join(',') || 'none'})` : ''}${t.derivedConfig?.length ? ` derived config [${t.derivedConfig.join('; ')}]` : ''}${t.acls?.length ? ` ACLs ${t.acls.join(', ')}` : ''}${policyLine(t.policy)}`;
  };
  const seen = tunnels.map(line).join('; ') || `no tunnel interface${a['peer'] ? ` of ${String(a['peer'])}` : ''}`;
  if (!up) return { ok: tunnels.every((t) => !t.up), expected, seen, look };
  const good = tunnels.filter((t) => {
    const k = kernel.get(t.interface);
    return t.up && (a['address'] === undefined || t.addresses.some((x) => inPrefix(x, String(a['address']))))
      && (a['routes'] === undefined || (a['routes'] as string[]).every((r) => t.routes.includes(r) && !!k?.routes.includes(r)))
      && (a['mtu'] === undefined || k?.mtu === n(a['mtu']))
      && (derived === undefined || sameSet(t.derivedConfig ?? [], derived))
      && (a['acls'] === undefined || (a['acls'] as string[]).every((x) => (t.acls ?? []).includes(x)))
      && policyMatches(t.policy, a['service-policy'] as Record<string, string | null> | undefined, a['access-group'] as Record<string, string | null> | undefined);
  });
  return { ok: good.length > 0, expected, seen, look };
}

/** service-policy {input, output}: the policy-map name (null: none); access-group {in, out}: a regex on the list name (null: none). */
function policyMatches(p: TunnelStatus['policy'], sp?: Record<string, string | null>, ag?: Record<string, string | null>): boolean {
  for (const [dir, want] of Object.entries(sp ?? {})) {
    const have = p?.[dir as 'input' | 'output']?.name;
    if (want === null ? have !== undefined : have !== want) return false;
  }
  for (const [dir, want] of Object.entries(ag ?? {})) {
    const have = p?.[dir === 'in' ? 'inAcl' : 'outAcl']?.name;
    if (want === null ? have !== undefined : have === undefined || !new RegExp(want).test(have)) return false;
  }
  return true;
}

function policyLine(p: TunnelStatus['policy']): string {
  if (!p) return '';
  const parts = [p.input && `service-policy input ${p.input.name}`, p.output && `service-policy output ${p.output.name}`,
    p.inAcl && `ip access-group ${p.inAcl.name} in`, p.outAcl && `ip access-group ${p.outAcl.name} out`].filter(Boolean);
  return parts.length ? ` [${parts.join('; ')}]` : '';
}

export async function checkCounter(ctx: CheckContext, a: Args): Promise<Outcome> {
  const node = String(a['node']);
  const name = String(a['name']);
  const look = lookFor(ctx, node);
  const snap = await ctx.daemons.snapshotNode(node);
  const filter = a['peer'] ? await peerFilter(ctx, String(a['peer'])) : undefined;
  const now = counterValue(snap, name, filter);
  const since = a['since'] as string | undefined;
  let base: number | undefined;
  let baseWhat = '';
  const from = (s: NodeSnapshot | undefined) => (s ? counterValue(s, name, filter) ?? 0 : undefined);
  if (since) {
    base = from(ctx.stepEnd.get(since)?.snapshot?.nodes.find((x) => x.node === node));
    baseWhat = ` since "${since}"`;
  } else if (a['rising'] !== undefined) {
    base = from(ctx.startSnapshot?.nodes.find((x) => x.node === node));
    baseWhat = ' during this step';
  }
  const rel: string[] = [];
  if (a['rising'] === true) rel.push('rises');
  if (a['rising'] === false) rel.push('does not change');
  for (const k of ['equal', 'at-least', 'at-most']) if (a[k] !== undefined) rel.push(`${k} ${String(a[k])}`);
  const expected = `${node} counter ${name}${baseWhat ? ` (increase${baseWhat})` : ''} ${rel.join(', ')}`;
  if (now === undefined) return { ok: false, expected, seen: snap.error ? `the daemon of ${node} does not answer: ${snap.error}` : `no counter ${name} (have: ${Object.keys(snap.counters ?? {}).map((g) => `${g}.*`).join(', ')})`, look };
  if ((since || a['rising'] !== undefined) && base === undefined) return { ok: false, expected, seen: `no value of ${name} on ${node} to compare with${baseWhat}`, look, final: true };
  const v = base !== undefined ? now - base : now;
  let ok = true;
  if (a['rising'] === true && !(v > 0)) ok = false;
  if (a['rising'] === false && v !== 0) ok = false;
  if (a['equal'] !== undefined && v !== n(a['equal'])) ok = false;
  if (a['at-least'] !== undefined && v < n(a['at-least'])) ok = false;
  if (a['at-most'] !== undefined && v > n(a['at-most'])) ok = false;
  const seen = base !== undefined ? `${name} went from ${base} to ${now} (+${v})` : `${name} = ${now}`;
  return { ok, expected, seen, look };
}

interface EventMatch {
  type: string;
  node?: string;
  /** Addresses the event's peer must have (from `peer:`, a node name or an address). */
  peerAddrs?: string[];
  peer?: string;
  text?: string;
  data?: Record<string, unknown>;
  'not-beforeMs'?: number;
  'not-afterMs'?: number;
  'after-previous-minMs'?: number;
  'after-previous-maxMs'?: number;
}

function matches(e: LoggedEvent, m: EventMatch, defNode: string | undefined): boolean {
  const node = m.node ?? defNode;
  if (node && node !== 'any' && e.node !== node) return false;
  if (eventType(e) !== m.type) return false;
  if (m.peerAddrs && !m.peerAddrs.includes((e.peer ?? '').replace(/^\[?(.*?)\]?:\d+$/, '$1'))) return false;
  if (m.text && !new RegExp(m.text).test(e.text)) return false;
  if (m.data) {
    for (const [k, v] of Object.entries(m.data)) if (JSON.stringify(e.data?.[k]) !== JSON.stringify(v)) return false;
  }
  return true;
}

function describeMatch(m: EventMatch, defNode: string | undefined): string {
  const node = m.node ?? defNode;
  const bounds = [m['not-beforeMs'] !== undefined ? `not before +${formatMs(m['not-beforeMs'])}` : '', m['not-afterMs'] !== undefined ? `not after +${formatMs(m['not-afterMs'])}` : '',
    m['after-previous-minMs'] !== undefined ? `at least ${formatMs(m['after-previous-minMs'])} after the previous one` : '',
    m['after-previous-maxMs'] !== undefined ? `at most ${formatMs(m['after-previous-maxMs'])} after the previous one` : ''].filter(Boolean).join(', ');
  return `${m.type}${node && node !== 'any' ? `@${node}` : ''}${m.peer ? ` with ${m.peer}` : ''}${m.text ? ` /${m.text}/` : ''}${m.data ? ` ${JSON.stringify(m.data)}` : ''}${bounds ? ` (${bounds})` : ''}`;
}

const evLine = (e: LoggedEvent, ref: number) => `${eventType(e)}@${e.node} +${formatMs(e.time - ref)}`;

export function checkEvents(ctx: CheckContext, a: Args): Outcome {
  const defNode = a['node'] as string | undefined;
  const since = a['since'] as string | undefined;
  const ref = since ? ctx.stepEnd.get(since)?.start : ctx.deployAt;
  const plan = addressPlan(ctx.lab.model);
  const withPeers = (list: EventMatch[] | undefined) => (list ?? []).map((m) => (m.peer === undefined ? m
    : { ...m, peerAddrs: /[.:]/.test(m.peer) ? [m.peer] : plan.addressesOf(m.peer).map((x) => x.address) }));
  const seq = withPeers(a['sequence'] as EventMatch[] | undefined);
  const absent = withPeers(a['absent'] as EventMatch[] | undefined);
  const nodes = new Set([defNode, ...seq.map((m) => m.node), ...absent.map((m) => m.node)].filter((x): x is string => !!x && x !== 'any'));
  const look = [...nodes].map((x) => ctx.events.fileOf(x));
  const refText = since ? `when step "${since}" began` : 'the deploy';
  const expected = [seq.length ? `in order: ${seq.map((m) => describeMatch(m, defNode)).join(' -> ')}` : '', absent.length ? `never: ${absent.map((m) => describeMatch(m, defNode)).join(', ')}` : ''].filter(Boolean).join('; ') + ` (times from ${refText})`;
  if (ref === undefined) return { ok: false, expected, seen: `step "${since}" has not run`, look, final: true };
  const all = ctx.events.select(undefined, ref);
  const relevant = all.filter((e) => nodes.size === 0 || nodes.has(e.node));
  let cursor = 0;
  let prevAt: number | undefined;
  let prev: { index: number; node: string } | undefined;
  const used = new Set<LoggedEvent>();
  const found: string[] = [];
  for (const m of seq) {
    let hit: LoggedEvent | undefined;
    // "After the previous one" is judged by time across nodes (two daemons can log causally
    // ordered events in the same millisecond, in either order in the merged list) and by log
    // order within one node.
    let start = cursor;
    if (prevAt !== undefined) while (start > 0 && relevant[start - 1]!.time >= prevAt) start--;
    for (let i = start; i < relevant.length; i++) {
      const e = relevant[i]!;
      if (used.has(e) || (prev && e.node === prev.node && i <= prev.index)) continue;
      if (matches(e, m, defNode)) { hit = e; cursor = i + 1; prev = { index: i, node: e.node }; used.add(e); break; }
    }
    if (!hit) {
      const after = relevant.slice(cursor).filter((e) => eventType(e) !== 'message').slice(0, 12).map((e) => evLine(e, ref));
      return {
        ok: false, expected,
        seen: `${found.length ? `${found.join(' -> ')}, then ` : ''}no ${describeMatch(m, defNode)}${after.length ? `; events after that: ${after.join(', ')}${relevant.length - cursor > 12 ? ', ...' : ''}` : '; no other event after that'}`,
        look,
      };
    }
    const dt = hit.time - ref;
    if ((m['not-beforeMs'] !== undefined && dt < m['not-beforeMs']) || (m['not-afterMs'] !== undefined && dt > m['not-afterMs'])) {
      return { ok: false, expected, seen: `${found.length ? `${found.join(' -> ')} -> ` : ''}${evLine(hit, ref)}: outside its time bounds ("${hit.text}")`, look, final: true };
    }
    if (prevAt !== undefined) {
      const gap = hit.time - prevAt;
      if ((m['after-previous-minMs'] !== undefined && gap < m['after-previous-minMs']) || (m['after-previous-maxMs'] !== undefined && gap > m['after-previous-maxMs'])) {
        return { ok: false, expected, seen: `${found.join(' -> ')} -> ${evLine(hit, ref)}: ${formatMs(gap)} after the previous one ("${hit.text}")`, look, final: true };
      }
    }
    prevAt = hit.time;
    found.push(evLine(hit, ref));
  }
  for (const m of absent) {
    const hit = relevant.find((e) => matches(e, m, defNode));
    if (hit) return { ok: false, expected, seen: `${evLine(hit, ref)}: "${hit.text}"`, look, final: true };
  }
  return { ok: true, expected, seen: found.join(' -> ') || 'none of the forbidden events', look };
}

export async function checkTraffic(ctx: CheckContext, a: Args, deadline: number, signal?: AbortSignal): Promise<Outcome> {
  const flow = ctx.flows.get(String(a['flow']));
  const expectedParts = [a['maxLossPct'] !== undefined ? `loss at most ${String(a['maxLossPct'])}%` : '', a['max-lost'] !== undefined ? `at most ${String(a['max-lost'])} lost` : '',
    a['maxGapMs'] !== undefined ? `longest gap at most ${formatMs(n(a['maxGapMs']))}` : '', a['min-received'] !== undefined ? `at least ${String(a['min-received'])} replies` : '',
    a['minBps'] !== undefined ? `throughput at least ${formatRate(n(a['minBps']))}` : '', a['maxBps'] !== undefined ? `throughput at most ${formatRate(n(a['maxBps']))}` : ''].filter(Boolean);
  const expected = `traffic "${String(a['flow'])}": ${expectedParts.join(', ')}`;
  if (!flow) return { ok: false, expected, seen: `no flow "${String(a['flow'])}" was started`, look: [], final: true };
  const look = [flow.result.log];
  const since = a['since'] ? ctx.stepEnd.get(String(a['since']))?.start : undefined;
  if (flow.spec.type === 'tcp') {
    // Throughput is known when iperf3 ends: wait for it (up to the deadline).
    const ends = flow.result.startedAt + (flow.spec.durationMs ?? 5000) + 15_000;
    if (flow.running && !(await flow.finished(Math.max(deadline, ends), signal))) return { ok: false, expected, seen: 'the TCP flow is still running', look };
    const r = flow.refresh();
    if (r.error || r.bps === undefined) return { ok: false, expected, seen: `iperf3 failed: ${r.error ?? 'no result'}`, look, final: true };
    const ok = (a['minBps'] === undefined || r.bps >= n(a['minBps'])) && (a['maxBps'] === undefined || r.bps <= n(a['maxBps']));
    return { ok, expected, seen: `${formatRate(r.bps)}${r.retransmits !== undefined ? `, ${r.retransmits} TCP retransmissions` : ''}`, look, detail: { bps: r.bps }, final: true };
  }
  const r = flow.refresh();
  const s = pingStats(r, since ?? 0);
  let ok = true;
  if (a['maxLossPct'] !== undefined && s.lossPct > n(a['maxLossPct'])) ok = false;
  if (a['max-lost'] !== undefined && s.lost > n(a['max-lost'])) ok = false;
  if (a['maxGapMs'] !== undefined && s.longestGapMs > n(a['maxGapMs'])) ok = false;
  if (a['min-received'] !== undefined && s.received < n(a['min-received'])) ok = false;
  const gap = s.gapFrom !== undefined ? ` from +${formatMs(s.gapFrom - ctx.t0)} to +${formatMs(s.gapTo! - ctx.t0)}` : '';
  const seen = `${s.sent} sent, ${s.received} replies, ${s.lost} lost (${s.lossPct.toFixed(1)}%)${s.lostSeqs.length ? ` [icmp_seq ${compactSeqs(s.lostSeqs)}]` : ''}, longest gap ${formatMs(s.longestGapMs)}${gap}${flow.running ? ' (still running)' : ''}`;
  return { ok, expected, seen, look, detail: s };
}

function compactSeqs(seqs: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < seqs.length; i++) {
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1] === seqs[j]! + 1) j++;
    out.push(i === j ? `${seqs[i]}` : `${seqs[i]}-${seqs[j]}`);
    i = j;
    if (out.length >= 10) { out.push('...'); break; }
  }
  return out.join(',');
}

export async function checkReach(ctx: CheckContext, a: Args): Promise<Outcome> {
  const from = String(a['from']);
  const to = String(a['to']);
  const plan = addressPlan(ctx.lab.model);
  const fam = (a['family'] as 4 | 6 | undefined) ?? 4;
  const addr = /[.:]/.test(to) ? to : plan.primaryAddress(to, fam);
  const count = (a['count'] as number | undefined) ?? 3;
  const reachable = a['reachable'] !== false;
  const maxLost = (a['max-lost'] as number | undefined) ?? 0;
  const req = `${count} echo request${count === 1 ? '' : 's'}`;
  const expected = reachable ? `${from} reaches ${to} (${addr}): ${req}, at most ${maxLost} lost` : `${from} cannot reach ${to} (${addr}): no reply to ${req}`;
  if (!addr) return { ok: false, expected, seen: `${to} has no IPv${fam} address`, look: [], final: true };
  const r = await ctx.lab.run(from, ['ping', '-n', '-c', String(count), '-i', '0.2', '-W', '1', addr], { timeoutMs: 30_000 });
  const m = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
  const got = m ? Number(m[2]) : 0;
  const ok = reachable ? count - got <= maxLost : got === 0;
  return { ok, expected, seen: `${got} of ${count} replies${r.stderr.trim() ? ` (${r.stderr.trim().split('\n')[0]})` : ''}`, look: [] };
}

export async function checkCapture(ctx: CheckContext, a: Args): Promise<Outcome> {
  const link = String(a['link']);
  const parts: string[] = [];
  if (a['ike-fragments'] !== undefined) parts.push(a['ike-fragments'] === false ? 'no IKE fragments' : `IKE fragments (${a['ike-fragments'] === true ? 'at least one frame' : countText(a['ike-fragments'], 'frame')})`);
  if (a['decrypts']) parts.push('every encrypted IKE message and ESP packet decrypts, nothing malformed');
  if (a['esp'] !== undefined) parts.push(countText(a['esp'], 'ESP packet'));
  if (a['ike'] !== undefined) parts.push(countText(a['ike'], `${String(a['exchange'] ?? 'IKE')} message`));
  if (a['nat-t']) parts.push('ESP in UDP 4500 and IKE on 4500 after IKE_SA_INIT');
  const rad = a['radius'] as { secret: string; 'dae-secret'?: string; codes?: string[]; attributes?: string[] } | undefined;
  if (rad) parts.push(`RADIUS decoded by tshark with the shared secret: nothing malformed, no expert error, valid authenticators${rad.codes ? `, codes ${rad.codes.join(', ')}` : ''}${rad.attributes ? `, attributes ${rad.attributes.join(', ')}` : ''}`);
  const frames = (a['frames'] as Array<{ filter: string; count?: unknown }> | undefined) ?? [];
  for (const f of frames) parts.push(`${countText(f.count, 'frame')} matching "${f.filter}"`);
  const expected = `capture of ${link}: ${parts.join('; ')}`;
  const file = await ctx.stopCapture(link);
  if (!file) return { ok: false, expected, seen: `link ${link} was never captured (list it under capture: or add a capture-start step)`, look: [], final: true };
  const look = [file, path.join(ctx.keyDir, 'ikev2_decryption_table'), path.join(ctx.keyDir, 'esp_sa')];
  if (rad) {
    let r;
    try {
      r = await analyzeRadius(file, rad.secret, rad.attributes ?? [], rad['dae-secret']);
    } catch (e) {
      return { ok: false, expected, seen: `tshark could not read it: ${(e as Error).message.split('\n').filter((l) => l.trim()).slice(-1)[0] ?? ''}`, look: [file], final: true };
    }
    const wrongR: string[] = [];
    if (!r.packets) wrongR.push('no RADIUS packet');
    if (r.malformed.length) wrongR.push(`${r.malformed.length} malformed (first: ${r.malformed[0]})`);
    if (r.errors.length) wrongR.push(`${r.errors.length} expert errors (first: ${r.errors[0]})`);
    if (r.badAuthenticators.length) wrongR.push(`invalid authenticators in frames ${r.badAuthenticators.slice(0, 5).join(', ')}`);
    for (const c of rad.codes ?? []) if (!r.codes[c]) wrongR.push(`no ${c}`);
    for (const x of rad.attributes ?? []) if (!r.attributes.includes(x)) wrongR.push(`no ${x} attribute`);
    const seenR = `${r.packets} RADIUS packets (${Object.entries(r.codes).map(([k, v]) => `${v} ${k}`).join(', ')}), ${r.validAuthenticators} authenticators checked valid`;
    if (wrongR.length || (!a['decrypts'] && a['esp'] === undefined && a['ike'] === undefined && !a['nat-t'] && a['ike-fragments'] === undefined)) {
      return { ok: !wrongR.length, expected, seen: wrongR.length ? `${wrongR.join('; ')} (${seenR})` : seenR, look: [file], detail: r, final: true };
    }
  }
  if (frames.length) {
    // Any Wireshark display filter, counted (with the lab's keys, so decrypted fields filter too).
    const wrongF: string[] = [], seenF: string[] = [];
    for (const f of frames) {
      let have: number;
      try {
        have = await countFrames(file, f.filter, ctx.keyDir);
      } catch (e) {
        return { ok: false, expected, seen: `tshark refused the filter "${f.filter}": ${(e as Error).message.split('\n').filter((l) => l.trim()).slice(-1)[0] ?? ''}`, look: [file], final: true };
      }
      seenF.push(`${have} frame${have === 1 ? '' : 's'} match "${f.filter}"`);
      if (!countOk(f.count, have)) wrongF.push(`${have} frames match "${f.filter}"`);
    }
    if (wrongF.length || (!a['decrypts'] && a['esp'] === undefined && a['ike'] === undefined && !a['nat-t'] && a['ike-fragments'] === undefined)) {
      return { ok: !wrongF.length, expected, seen: wrongF.length ? wrongF.join('; ') : seenF.join('; '), look: [file], final: true };
    }
  }
  let c;
  try {
    c = await analyzeCapture(file, ctx.keyDir, a['exchange'] as string | undefined);
  } catch (e) {
    return { ok: false, expected, seen: `tshark could not read it: ${(e as Error).message.split('\n')[0]}`, look, final: true };
  }
  const wrong: string[] = [];
  if (a['ike-fragments'] === false && c.ikeFragmentFrames > 0) wrong.push(`${c.ikeFragmentFrames} IKE fragment frames`);
  if (a['ike-fragments'] === true && c.ikeFragmentFrames === 0) wrong.push('no IKE fragment');
  if (a['ike-fragments'] !== undefined && typeof a['ike-fragments'] !== 'boolean' && !countOk(a['ike-fragments'], c.ikeFragmentFrames)) wrong.push(`${c.ikeFragmentFrames} IKE fragment frames`);
  if (a['decrypts']) {
    if (c.espFrames - c.espDecrypted > 0) wrong.push(`${c.espFrames - c.espDecrypted} of ${c.espFrames} ESP packets did not decrypt (first: frame ${c.espUndecrypted[0]})`);
    if (c.ikeEncrypted - c.ikeDecrypted > 0) wrong.push(`${c.ikeEncrypted - c.ikeDecrypted} of ${c.ikeEncrypted} encrypted IKE messages did not decrypt (first: frame ${c.ikeUndecrypted[0]})`);
    if (c.malformed.length) wrong.push(`${c.malformed.length} malformed frames (first: ${c.malformed[0]})`);
  }
  if (a['esp'] !== undefined && !countOk(a['esp'], c.espFrames)) wrong.push(`${c.espFrames} ESP packets`);
  if (a['ike'] !== undefined && !countOk(a['ike'], c.ikeMessages)) wrong.push(`${c.ikeMessages} ${String(a['exchange'] ?? 'IKE')} messages`);
  if (a['nat-t']) {
    if (c.espNotEncapsulated) wrong.push(`${c.espNotEncapsulated} ESP packets not in UDP 4500`);
    if (c.ikeOn500AfterInit) wrong.push(`${c.ikeOn500AfterInit} IKE messages after IKE_SA_INIT still on port 500`);
    if (!c.espFrames) wrong.push('no ESP packet at all');
  }
  const seen = `${c.frames} frames: ${c.ikeMessages} ${a['exchange'] ? `${String(a['exchange'])} ` : ''}IKE messages (${c.ikeFragmentFrames} fragment frames, ${c.ikeDecrypted}/${c.ikeEncrypted} encrypted ones decrypted), ${c.espFrames} ESP packets (${c.espDecrypted} decrypted)`;
  return { ok: !wrong.length, expected, seen: wrong.length ? `${wrong.join('; ')} (${seen})` : seen, look, detail: c, final: true };
}

export type { Step };
