// One cell of the interop matrix: deploy the interop topology with the row's configs, bring the
// tunnel up from the column's side, check both sides' SA state agrees, carry ping and TCP both
// ways, run the row's exercise (rekey, DPD, delete, NAT rebinding...), destroy, and judge both WAN
// captures with tshark and the key tables. Every wait is bounded; a failure carries its reason.

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadTopologyFile } from '../../labs/topology/load.ts';
import { deployLab, destroyLab } from '../../labs/lab.ts';
import type { Lab } from '../../labs/lab.ts';
import { sleep } from '../../labs/command.ts';
import { LabState } from '../../labs/state.ts';
import { controlPathOf } from '../../engine/daemon/daemon.ts';
import { controlRequest } from '../../engine/daemon/control.ts';
import type { LoggedEvent } from '../../engine/daemon/event-log.ts';
import type { SessionView } from '../../reports/show.ts';
import { labStrongswanPaths, strongswanSessions } from '../strongswan/sessions.ts';
import { swanctlOk } from '../strongswan/swanctl.ts';
import { judgeCapture } from '../judge.ts';
import type { CaptureVerdict } from '../judge.ts';
import { readKeyTables } from '../tshark.ts';
import type { KeyTables } from '../tshark.ts';
import { ADDR, basePlan, topologyYaml, WAN_LINKS } from './topology.ts';
import type { LabPlan, Side } from './topology.ts';

export class CellFailure extends Error {}

/** A row of the matrix: one feature, exercised with ours and with charon initiating. */
export interface FeatureRow {
  id: string;
  title: string;
  /** What a column means for this row (default: who initiates the tunnel). */
  columnNote?: string;
  /** Columns that apply (default both). */
  columns?: Side[];
  /** Cells run by `make test` (the representative part); the rest run in `make interop`. */
  quick?: Side[];
  configure?(p: LabPlan): void;
  /** After the tunnel is up and baseline traffic passed. */
  exercise?(c: Cell): Promise<void>;
  /** Checks on the judged captures (after destroy). */
  inspect?(c: Cell, captures: { ours: CaptureVerdict; charon: CaptureVerdict }): void;
}

export interface PairState {
  ours: SessionView;
  charon: SessionView;
}

export interface CellResult {
  row: string;
  title: string;
  initiator: Side;
  status: 'pass' | 'fail';
  reason?: string;
  durationMs: number;
  /** What was verified, in order. */
  checks: string[];
  notes: string[];
  /** Paths relative to the matrix output directory. */
  links: {
    dir: string;
    topology: string;
    captures: string[];
    keys: { ours: string; charon: string };
    logs: string[];
  };
  captures: Array<{ file: string; counts: CaptureVerdict['counts']; problems: string[] }>;
}

export async function waitFor<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs: number, stepMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(stepMs);
  }
  throw new CellFailure(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (${(last as Error).message.split('\n')[0]})` : ''}`);
}

export class Cell {
  readonly checks: string[] = [];
  readonly notes: string[] = [];
  readonly oursNode = 'ours';
  readonly charonNode = 'charon';
  private iperfServer = false;

  constructor(readonly lab: Lab, readonly plan: LabPlan, readonly dir: string, private readonly logLine: (s: string) => void) {}

  get initiator(): Side {
    return this.plan.initiator;
  }

  get responder(): Side {
    return this.plan.initiator === 'ours' ? 'charon' : 'ours';
  }

  log(s: string): void {
    this.logLine(`  ${this.plan.name}: ${s}`);
  }

  expect(cond: unknown, msg: string): asserts cond {
    if (!cond) throw new CellFailure(msg);
  }

  pass(msg: string): void {
    this.checks.push(msg);
    this.log(`ok: ${msg}`);
  }

  // ------------------------------------------------------------------------------ our daemon

  ctl<T = unknown>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    return controlRequest<T>(controlPathOf(this.lab.state.dir, this.oursNode), cmd, args, 10_000);
  }

  async oursSas(): Promise<SessionView[]> {
    return (await this.ctl<SessionView[]>('ike-sas')).filter((s) => s.state !== 'DELETED');
  }

  events(): LoggedEvent[] {
    const f = join(this.lab.outDir, 'events', `${this.oursNode}.jsonl`);
    if (!existsSync(f)) return [];
    return readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LoggedEvent);
  }

  // ------------------------------------------------------------------------------ charon

  swanctl(args: string[], timeoutMs = 30_000): Promise<string> {
    return swanctlOk(labStrongswanPaths(this.lab, this.charonNode), args, timeoutMs);
  }

  charonSas(): Promise<SessionView[]> {
    return strongswanSessions(this.lab, this.charonNode);
  }

  charonLog(): string {
    const p = labStrongswanPaths(this.lab, this.charonNode).log;
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  }

  // ------------------------------------------------------------------------------ tunnel

  /** Brings the tunnel up from `side` (default the column's initiator). */
  async initiate(side: Side = this.initiator): Promise<void> {
    if (side === 'ours') {
      await this.ctl('initiate');
    } else {
      try {
        await this.swanctl(['--initiate', '--child', 'net', '--timeout', '20'], 30_000);
      } catch (e) {
        const lines = (e as Error).message.split(' | ').filter((l) => /\[(IKE|CFG|ENC|CHD)\]/.test(l) && /fail|no |invalid|received .*notify|unacceptable|not |error/i.test(l));
        throw new CellFailure(`charon could not initiate: ${lines.slice(-4).join('; ') || (e as Error).message.slice(0, 400)}`);
      }
    }
  }

  /** Both sides have the same established IKE SA with one installed CHILD SA (SPIs cross-checked). */
  async established(what = 'the tunnel', timeoutMs = 20_000, accept: (p: PairState) => boolean = () => true): Promise<PairState> {
    let lastView = '';
    try {
      return await waitFor(`${what} on both sides`, async () => {
        const [ours, charon] = await Promise.all([this.oursSas(), this.charonSas()]);
        lastView = `ours: ${ours.map((s) => `${s.id}:${s.status}/${s.children.length}`).join(',') || 'none'}; charon: ${charon.map((s) => `${s.id}:${s.state}/${s.children.map((c) => c.state).join('+')}`).join(',') || 'none'}`;
        for (const o of ours.filter((s) => s.status === 'READY' && s.children.length)) {
          const c = charon.find((s) => s.state === 'ESTABLISHED' && s.spiI === o.spiI && s.spiR === o.spiR);
          if (!c) continue;
          const oc = o.children[0]!;
          const cc = c.children.find((x) => x.state === 'INSTALLED' && x.spiIn === oc.spiOut && x.spiOut === oc.spiIn);
          if (!cc) continue;
          const pair = { ours: o, charon: { ...c, children: [cc, ...c.children.filter((x) => x !== cc)] } };
          if (!accept(pair)) continue;
          // Our daemon configures the tunnel interface (addresses, routes) just after the install.
          const st = await this.ctl<{ tunnels: Array<{ up: boolean; ikeSaId?: number }> }>('status');
          if (st.tunnels.some((t) => t.up && t.ikeSaId === o.id)) return pair;
        }
        return undefined;
      }, timeoutMs, 150);
    } catch (e) {
      throw new CellFailure(`${(e as Error).message}; last state ${lastView}`);
    }
  }

  /** The SA state of both sides agrees on algorithms and identities. */
  checkAgreement(p: PairState): void {
    const o = p.ours, c = p.charon;
    this.expect(o.initiator === (this.initiator === 'ours') && c.initiator === (this.initiator === 'charon'),
      `IKE roles: ours initiator=${o.initiator}, charon initiator=${c.initiator}, expected ${this.initiator} to be the initiator`);
    for (const k of ['encr', 'keysize', 'prf', 'hash', 'dhGroup'] as const) {
      this.expect(o[k] === c[k], `IKE ${k} differs: ours ${o[k]}, charon ${c[k]}`);
    }
    this.expect(o.children[0]!.suite === c.children[0]!.suite, `ESP suite differs: ours "${o.children[0]!.suite}", charon "${c.children[0]!.suite}"`);
    this.expect(o.remoteId === c.localId && c.remoteId === o.localId, `identities: ours ${o.localId}->${o.remoteId}, charon ${c.localId}->${c.remoteId}`);
  }

  async ping(from: 'host-o' | 'host-c', count = 3, extra: string[] = []): Promise<{ sent: number; received: number; output: string }> {
    const to = from === 'host-o' ? ADDR.hostC : ADDR.hostO;
    const r = await this.lab.run(from, ['ping', '-n', '-c', String(count), '-i', '0.2', '-W', '1', ...extra, to], { timeoutMs: 120_000 });
    const m = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
    return { sent: m ? Number(m[1]) : count, received: m ? Number(m[2]) : 0, output: r.stdout };
  }

  /**
   * TCP through the tunnel: `bytes` from host-o to host-c (or back with reverse); Mbit/s received.
   * A fixed volume, not a duration: the captures stay small enough for tshark to judge quickly.
   */
  async tcp(reverse: boolean, bytes = '2M'): Promise<number> {
    if (!this.iperfServer) {
      await this.lab.exec('host-c', ['iperf3', '-s', '-D', '-B', ADDR.hostC]);
      this.iperfServer = true;
      await sleep(200);
    }
    let last = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await this.lab.run('host-o', ['iperf3', '-c', ADDR.hostC, '-n', bytes, '-J', '--connect-timeout', '3000', ...(reverse ? ['-R'] : [])], { timeoutMs: 30_000 });
      try {
        const j = JSON.parse(r.stdout) as { end?: { sum_received?: { bits_per_second: number; bytes: number } }; error?: string };
        if (j.end?.sum_received && j.end.sum_received.bytes > 0) return j.end.sum_received.bits_per_second / 1e6;
        last = j.error ?? 'no bytes received';
      } catch {
        last = (r.stderr || r.stdout).trim().split('\n').pop() ?? `exit ${r.code}`;
      }
      await sleep(300);
    }
    throw new CellFailure(`TCP ${reverse ? 'host-c -> host-o' : 'host-o -> host-c'} through the tunnel failed: ${last}`);
  }

  /** Ping both ways and TCP both ways through the tunnel. */
  async traffic(label: string): Promise<void> {
    for (const from of ['host-o', 'host-c'] as const) {
      const r = await this.ping(from, 3);
      this.expect(r.received === r.sent, `${label}: ping ${from === 'host-o' ? 'ours side -> charon side' : 'charon side -> ours side'} ${r.received}/${r.sent} replies`);
    }
    const up = await this.tcp(false);
    const down = await this.tcp(true);
    this.pass(`${label}: ping both ways 3/3, TCP ${up.toFixed(0)} Mbit/s ours->charon and ${down.toFixed(0)} Mbit/s charon->ours`);
  }

  /** Counters of both sides saw the traffic (ESP really went through both data planes). */
  async countersMoved(): Promise<void> {
    const p = await this.established('the tunnel', 5000);
    const oc = p.ours.children[0]!.counters, cc = p.charon.children[0]!.counters;
    this.expect(oc && oc.packetsIn > 0 && oc.packetsOut > 0, `ours' CHILD SA counters did not move: ${JSON.stringify(oc)}`);
    this.expect(cc && cc.packetsIn > 0 && cc.packetsOut > 0, `charon's CHILD SA counters did not move: ${JSON.stringify(cc)}`);
    this.pass(`CHILD SA counters: ours in/out ${oc.packetsIn}/${oc.packetsOut} packets, charon in/out ${cc.packetsIn}/${cc.packetsOut}`);
  }
}

export interface CellOptions {
  /** Matrix output directory; the cell writes to <outDir>/<row>/<initiator>/. */
  outDir: string;
  /** Lab names are <prefix>-<row>-<o|c> (keep short: namespaces are flx-<lab>-<node>). */
  prefix: string;
  log: (line: string) => void;
}

function relLinks(outDir: string, paths: string[]): string[] {
  return paths.filter((p) => existsSync(p)).map((p) => relative(outDir, p));
}

export async function runCell(row: FeatureRow, initiator: Side, opts: CellOptions): Promise<CellResult> {
  const started = Date.now();
  const labName = `${opts.prefix}-${row.id}-${initiator === 'ours' ? 'o' : 'c'}`;
  const dir = join(opts.outDir, row.id, initiator === 'ours' ? 'ours-initiates' : 'charon-initiates');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const plan = basePlan(labName, initiator);
  row.configure?.(plan);
  const topoFile = join(dir, 'topology.yaml');
  writeFileSync(topoFile, topologyYaml(plan));
  const logs: string[] = [];
  const logLine = (l: string) => {
    logs.push(l);
    opts.log(l);
  };
  const result: CellResult = {
    row: row.id, title: row.title, initiator, status: 'fail', durationMs: 0, checks: [], notes: [],
    links: {
      dir: relative(opts.outDir, dir) || '.', topology: relative(opts.outDir, topoFile), captures: [],
      keys: { ours: relative(opts.outDir, join(dir, 'keys')), charon: relative(opts.outDir, join(dir, 'keys', 'charon-charon')) }, logs: [],
    },
    captures: [],
  };
  let cell: Cell | undefined;
  let lab: Lab | undefined;
  try {
    // A lab of this name left over by an interrupted run goes first.
    if (LabState.tryOpen(labName)) await destroyLab(labName).catch(() => {});
    const { lab: model } = loadTopologyFile(topoFile);
    lab = await deployLab(model, { outDir: dir });
    cell = new Cell(lab, plan, dir, logLine);
    await cell.initiate();
    const pair = await cell.established();
    cell.checkAgreement(pair);
    cell.pass(`tunnel up (${initiator} initiated): IKE ${pair.ours.encr}${pair.ours.keysize ? `-${pair.ours.keysize}` : ''}/${pair.ours.prf}/${pair.ours.hash}/group ${pair.ours.dhGroup}, ESP ${pair.ours.children[0]!.suite}; SPIs and algorithms agree on both sides`);
    await cell.traffic('after set-up');
    await cell.countersMoved();
    await row.exercise?.(cell);
    result.status = 'pass';
  } catch (e) {
    result.reason = e instanceof CellFailure ? e.message : `error: ${(e as Error).message.split('\n').slice(0, 3).join(' ')}`;
    logLine(`  ${labName}: FAIL: ${result.reason}`);
  } finally {
    if (lab) await destroyLab(lab.name, {}).catch((e: Error) => logLine(`  ${labName}: destroy: ${e.message}`));
  }

  // The captures are complete (pcapng) and charon's key tables written once the lab is gone.
  const capOurs = join(dir, 'captures', `${WAN_LINKS.ours}.pcapng`);
  const capCharon = join(dir, 'captures', `${WAN_LINKS.charon}.pcapng`);
  result.links.captures = relLinks(opts.outDir, [capOurs, capCharon]);
  result.links.logs = relLinks(opts.outDir, [
    join(dir, 'logs', 'ours.flexvpnd.log'), join(dir, 'events', 'ours.jsonl'), join(dir, 'logs', 'charon.charon.log'), join(dir, 'logs', 'charon.charon-keys.log'),
  ]);
  if (lab && existsSync(capOurs) && existsSync(capCharon)) {
    try {
      const oursKeys = readKeyTables(join(dir, 'keys'));
      const charonKeys = readKeyTables(join(dir, 'keys', 'charon-charon'));
      // Ours' tables judge both captures, except ESP on charon's side of a NAT: its outer addresses
      // are the ones charon saw, which only charon's own table (from its level-4 log) has.
      const charonSide: KeyTables = plan.mid === 'nat' ? { ikev2: oursKeys.ikev2, esp: charonKeys.esp } : oursKeys;
      const ours = await judgeCapture(capOurs, oursKeys);
      const charon = await judgeCapture(capCharon, charonSide);
      for (const [name, v] of [['ours side', ours], ['charon side', charon]] as const) {
        result.captures.push({ file: relative(opts.outDir, v.file), counts: v.counts, problems: v.problems });
        if (v.problems.length && result.status === 'pass') {
          result.status = 'fail';
          result.reason = `capture (${name}) does not decrypt cleanly: ${v.problems.slice(0, 3).join('; ')}${v.problems.length > 3 ? ` (+${v.problems.length - 3} more)` : ''}`;
        }
      }
      if (result.status === 'pass') {
        const total = (k: keyof CaptureVerdict['counts']) => ours.counts[k] + charon.counts[k];
        cell!.pass(`captures: ${total('decryptedIke')}/${total('protectedIke')} protected IKE messages and ${total('decryptedEsp')}/${total('esp')} ESP packets decrypted by tshark, none malformed`);
        try {
          row.inspect?.(cell!, { ours, charon });
        } catch (e) {
          result.status = 'fail';
          result.reason = e instanceof CellFailure ? e.message : `error: ${(e as Error).message}`;
        }
      }
    } catch (e) {
      if (result.status === 'pass') {
        result.status = 'fail';
        result.reason = `judging the captures failed: ${(e as Error).message.split('\n')[0]}`;
      }
    }
  } else if (result.status === 'pass') {
    result.status = 'fail';
    result.reason = 'the WAN captures are missing';
  }
  result.checks = cell?.checks ?? [];
  result.notes = cell?.notes ?? [];
  result.durationMs = Date.now() - started;
  writeFileSync(join(dir, 'cell.json'), JSON.stringify(result, null, 2));
  writeFileSync(join(dir, 'cell.log'), logs.join('\n') + '\n');
  return result;
}
