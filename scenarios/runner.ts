// Runs one scenario: deploys its lab under a unique name, plays the timeline (actions at their
// times, expectations waited for with deadlines, woken by the daemons' events instead of fixed
// sleeps), takes SA snapshots around faults, and always tears the lab down (unless asked to keep a
// failed one), whatever happens: a failed step, an exception, the scenario deadline, Ctrl-C.

import { projectPath } from '../engine/util/paths.ts';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../cli/errors.ts';
import { addressPlan } from '../labs/address-plan.ts';
import { listCaptures, startCapture, stopCapture } from '../labs/captures.ts';
import { activeFaults, applyFault, clearFault, linkUp } from '../labs/faults.ts';
import type { FaultSpec } from '../labs/faults.ts';
import { getKind } from '../labs/kinds/index.ts';
import { deployLab, destroyLab } from '../labs/lab.ts';
import type { Lab } from '../labs/lab.ts';
import type { LabModel } from '../labs/model.ts';
import { isRunning, stopProcess } from '../labs/supervisor.ts';
import { Daemons } from './daemons.ts';
import type { Snapshot } from './daemons.ts';
import { EventStore } from './events.ts';
import type { LoggedEvent } from './events.ts';
import {
  checkCapture, checkChildSa, checkCounter, checkEvents, checkIkeSa, checkReach, checkTraffic, checkTunnel,
} from './expectations.ts';
import type { CheckContext, Outcome } from './expectations.ts';
import { Flow } from './flows.ts';
import type { FlowResult, FlowSpec } from './flows.ts';
import { labModelFor } from './load.ts';
import { displayPath } from '../labs/topology/load.ts';
import { FAULT_KINDS } from './model.ts';
import { runClientStep } from './client.ts';
import type { Scenario, Step } from './model.ts';
import { formatMs } from './values.ts';
import { checkAccounting, checkResolver, dacDefaults, nasAddress, resolveSessionRef, sendDae } from './aaa.ts';
import { checkShow, SHOW_VIEWS } from './show-check.ts';
import type { DacSession } from './aaa.ts';

export type StepStatus = 'passed' | 'failed' | 'error' | 'skipped';

export interface StepResult {
  index: number;
  name?: string;
  kind: string;
  title: string;
  description?: string;
  where: string;
  status: StepStatus;
  /** Start and end, ms from the start of the timeline. */
  start?: number;
  end?: number;
  /** One line: what happened (actions) or why it failed. */
  message?: string;
  expected?: string;
  seen?: string;
  look?: string[];
  detail?: unknown;
}

export interface FaultInterval {
  step: number;
  id: string;
  title: string;
  from: number;
  to?: number;
}

export interface ScenarioResult {
  name: string;
  /** name, or name#N with --repeat. */
  id: string;
  file: string;
  description?: string;
  features: string[];
  topologyFile: string;
  labName: string;
  lab: LabModel;
  outDir: string;
  status: 'passed' | 'failed' | 'error';
  startedAt: string;
  /** Wall clock of the timeline's start; event times minus t0 are timeline times. */
  t0: number;
  deployMs: number;
  durationMs: number;
  steps: StepResult[];
  snapshots: Snapshot[];
  flows: FlowResult[];
  faults: FaultInterval[];
  captures: string[];
  keyFiles: string[];
  eventFiles: string[];
  logFiles: string[];
  events: LoggedEvent[];
  /** The lab was left running for inspection (--keep after a failure). */
  kept: boolean;
  error?: string;
}

export interface RunOptions {
  /** Output directory of this run (lab logs, captures, keys, events). */
  outDir: string;
  labName: string;
  id?: string;
  /** Leave the lab running after a failure. */
  keep?: boolean;
  signal?: AbortSignal;
  /** Progress lines. */
  log?: (line: string) => void;
}

const BURST_TOOL = projectPath('scenarios', 'tools', 'ike-init-burst.ts');
const TSX = import.meta.resolve('tsx/esm');

class ScenarioRun {
  lab?: Lab;
  daemons?: Daemons;
  readonly events: EventStore;
  readonly flows = new Map<string, Flow>();
  /** Named steps: wall-clock start and end, and the daemons' state as the step began. */
  readonly stepEnd = new Map<string, { start: number; at: number; snapshot?: Snapshot }>();
  readonly faultOf = new Map<string, string>();
  readonly faults: FaultInterval[] = [];
  readonly snapshots: Snapshot[] = [];
  readonly results: StepResult[] = [];
  /** Session ids each named radius step used (`from:STEP`). */
  readonly dacSessions = new Map<string, DacSession>();
  t0 = Date.now();
  deployAt = Date.now();
  deployMs = 0;
  private flowPort = 5201;
  private burstAddrs = 0;
  readonly deadline: number;

  constructor(readonly sc: Scenario, readonly opts: RunOptions, readonly signal: AbortSignal) {
    this.events = new EventStore(opts.outDir);
    this.deadline = Date.now() + sc.timeoutMs;
  }

  log(line: string): void {
    this.opts.log?.(line);
  }

  get t(): number {
    return Date.now() - this.t0;
  }

  async deploy(): Promise<void> {
    if (this.lab) throw new UserError('the lab is already deployed');
    const model = labModelFor(this.sc, this.opts.labName);
    rmSync(this.opts.outDir, { recursive: true, force: true });
    const started = Date.now();
    this.deployAt = started;
    this.events.start();
    this.lab = await deployLab(model, { outDir: this.opts.outDir, signal: this.signal });
    this.daemons = new Daemons(this.lab);
    this.deployMs = Date.now() - started;
  }

  async destroy(): Promise<void> {
    if (!this.lab) return;
    for (const f of this.flows.values()) await f.stop().catch(() => {});
    await destroyLab(this.lab.name).catch((e: Error) => this.log(`  destroy: ${e.message.split('\n')[0]}`));
    this.lab = undefined;
    this.daemons = undefined;
  }

  requireLab(): Lab {
    if (!this.lab) throw new UserError('the lab is not deployed (a destroy step came before, or a deploy step is missing)');
    return this.lab;
  }

  async snapshot(label: string, phase: Snapshot['phase'], step?: number): Promise<Snapshot | undefined> {
    if (!this.daemons) return undefined;
    const s = await this.daemons.snapshot(label, phase, this.t0, step);
    return s;
  }

  context(stepStart: number, startSnapshot?: Snapshot): CheckContext {
    const lab = this.requireLab();
    return {
      lab, daemons: this.daemons!, events: this.events, flows: this.flows, stepEnd: this.stepEnd, t0: this.t0,
      deployAt: this.deployAt, stepStart, ...(startSnapshot ? { startSnapshot } : {}), keyDir: path.join(lab.outDir, 'keys'), dacSessions: this.dacSessions,
      stopCapture: async (link) => {
        const cap = listCaptures(lab).filter((c) => c.link === link).at(-1);
        if (!cap) return undefined;
        if (cap.stopped) return existsSync(cap.file) ? cap.file : cap.live;
        const r = await stopCapture(lab, link);
        return r.file;
      },
    };
  }

  // ----------------------------------------------------------------------------------- actions

  async act(step: Step): Promise<string | undefined> {
    const a = step.args;
    const lab = step.kind === 'deploy' ? undefined : this.requireLab();
    const fault = async (spec: FaultSpec) => {
      const f = await applyFault(lab!, spec);
      if (step.name) this.faultOf.set(step.name, f.id);
      this.faults.push({ step: step.index, id: f.id, title: f.description, from: this.t, ...(spec.type === 'nat-rebind' ? { to: this.t } : {}) });
      return `${f.id}: ${f.description}`;
    };
    switch (step.kind) {
      case 'deploy': await this.deploy(); return `lab ${this.opts.labName} deployed in ${formatMs(this.deployMs)}`;
      case 'destroy': await this.destroy(); return 'lab destroyed';
      case 'link-down': return fault({ type: 'link-down', link: String(a['link']) });
      case 'link-up': {
        await linkUp(lab!, String(a['link']));
        this.closeFaults((f) => /link .* down/.test(f.title) && f.title.includes(String(a['link'])));
        return `link ${String(a['link'])} up`;
      }
      case 'blackhole': return fault({ type: 'blackhole', link: String(a['link']), ...(a['from'] ? { from: String(a['from']) } : {}) });
      case 'loss': return fault({ type: 'loss', link: String(a['link']), percent: Number(a['percent']), ...(a['from'] ? { from: String(a['from']) } : {}) });
      case 'rate': return fault({ type: 'rate', link: String(a['link']), kbit: Number(a['kbit']), ...(a['from'] ? { from: String(a['from']) } : {}) });
      case 'mtu': return fault({ type: 'mtu', link: String(a['link']), mtu: Number(a['mtu']), ...(a['node'] ? { node: String(a['node']) } : {}) });
      case 'nat-rebind': return fault({ type: 'nat-rebind', node: String(a['node']), ...(a['method'] ? { method: a['method'] as 'auto' } : {}) });
      case 'restore': {
        const ref = String(a['step']);
        if (ref === 'all') {
          const list = activeFaults(lab!);
          for (const f of [...list].reverse()) await clearFault(lab!, f.id);
          this.closeFaults(() => true);
          return `${list.length} fault${list.length === 1 ? '' : 's'} cleared`;
        }
        const id = this.faultOf.get(ref);
        if (!id) throw new UserError(`step "${ref}" applied no fault that could be undone`);
        await clearFault(lab!, id);
        this.closeFaults((f) => f.id === id);
        return `${id} cleared`;
      }
      case 'daemon': return this.daemonAction(lab!, String(a['node']), String(a['do']));
      case 'clear':
      case 'terminate':
      case 'dpd':
      case 'initiate':
      case 'rekey': return this.ikeCommand(step);
      case 'start-traffic': {
        const spec: FlowSpec = {
          name: String(a['name']), type: a['type'] === 'tcp' ? 'tcp' : 'ping', from: String(a['from']), to: String(a['to']),
          ...(a['family'] ? { family: a['family'] as 4 | 6 } : {}), ...(a['intervalMs'] !== undefined ? { intervalMs: Number(a['intervalMs']) } : {}),
          ...(a['size'] !== undefined ? { size: Number(a['size']) } : {}), ...(a['durationMs'] !== undefined ? { durationMs: Number(a['durationMs']) } : {}),
          ...(a['reverse'] ? { reverse: true } : {}), ...(a['bitrate'] ? { bitrate: String(a['bitrate']) } : {}),
        };
        const flow = new Flow(lab!, spec, this.flowPort++);
        this.flows.set(spec.name, flow);
        await flow.start();
        return `${spec.type === 'ping' ? 'ping' : 'iperf3'} to ${flow.result.address} started (output ${displayPath(flow.result.log)})`;
      }
      case 'stop-traffic': {
        const flow = this.flows.get(String(a['flow']));
        if (!flow) throw new UserError(`no traffic flow "${String(a['flow'])}"`);
        const r = await flow.stop();
        return r.type === 'ping' && r.stats ? `${r.stats.sent} sent, ${r.stats.received} replies, longest gap ${formatMs(r.stats.longestGapMs)}` : r.bps !== undefined ? `${(r.bps / 1e6).toFixed(1)} Mbit/s` : 'stopped';
      }
      case 'exec': {
        const argv = Array.isArray(a['cmd']) ? (a['cmd'] as string[]) : ['sh', '-c', String(a['cmd'])];
        const r = await lab!.run(String(a['node']), argv, { timeoutMs: Number(a['timeoutMs'] ?? 30_000), signal: this.signal });
        const want = (a['exit'] as number | undefined) ?? 0;
        const out = (r.stdout + r.stderr).trim();
        if (r.code !== want) throw new StepFailure({ expected: `exit code ${want}`, seen: `exit code ${r.code}${out ? `: ${out.split('\n').slice(-3).join(' | ')}` : ''}`, look: [] });
        if (typeof a['stdout'] === 'string' && !new RegExp(a['stdout']).test(r.stdout)) {
          throw new StepFailure({ expected: `output matching /${a['stdout']}/`, seen: r.stdout.trim().split('\n').slice(-5).join(' | ') || '(nothing)', look: [] });
        }
        return out ? out.split('\n').slice(-2).join(' | ') : `exit code ${r.code}`;
      }
      case 'capture-start': { const c = await startCapture(lab!, String(a['link'])); return `capturing to ${displayPath(c.live)}`; }
      case 'capture-stop': { const c = await stopCapture(lab!, String(a['link'])); return `capture in ${displayPath(c.file)}`; }
      case 'wait': await this.sleepUntil(Date.now() + Number(a['ms'])); return undefined;
      case 'snapshot': {
        const s = await this.snapshot(String(a['label']), 'label', step.index);
        if (s) this.snapshots.push(s);
        return `${s?.nodes.length ?? 0} nodes`;
      }
      case 'note': return undefined;
      case 'ike-init-burst': return this.burst(lab!, step);
      case 'track':
      case 'client':
      case 'dns': {
        const r = await runClientStep(step.kind, a, lab!, this.daemons!);
        const band = r.band;
        if (band?.open && !this.faults.some((f) => f.id === band.key && f.to === undefined)) this.faults.push({ step: step.index, id: band.key, title: band.title!, from: this.t });
        if (band && !band.open) this.closeFaults((f) => f.id === band.key);
        return r.message;
      }
      case 'radius': return this.radius(lab!, step);
      default: throw new UserError(`step kind "${step.kind}" is not implemented`);
    }
  }

  private closeFaults(pred: (f: FaultInterval) => boolean): void {
    for (const f of this.faults) if (f.to === undefined && pred(f)) f.to = this.t;
  }

  private async daemonAction(lab: Lab, node: string, what: string): Promise<string> {
    const n = lab.node(node);
    const procs = [...lab.state.view().processes.values()].filter((p) => p.node === node && !/^capture-|^flow-|^burst/.test(p.id.split('/')[1] ?? ''));
    const proc = procs.reverse().find((p) => !p.stopped) ?? procs[0];
    const alive = proc && isRunning(proc);
    switch (what) {
      case 'kill':
      case 'stop': {
        if (!proc || !alive) throw new UserError(`no running daemon on ${node}`);
        if (what === 'kill') {
          try { process.kill(-proc.pid!, 'SIGKILL'); } catch { process.kill(proc.pid!, 'SIGKILL'); }
        }
        await stopProcess(lab.state, proc, 3000);
        return `${proc.id} (pid ${proc.pid}) ${what === 'kill' ? 'killed: its peers are not told' : 'stopped: its IKE SAs were deleted'}`;
      }
      case 'pause':
      case 'resume': {
        if (!proc || !alive) throw new UserError(`no running daemon on ${node}`);
        process.kill(proc.pid!, what === 'pause' ? 'SIGSTOP' : 'SIGCONT');
        return `${proc.id} (pid ${proc.pid}) ${what === 'pause' ? 'paused (SIGSTOP): a silent peer' : 'resumed'}`;
      }
      case 'start':
      case 'restart': {
        if (proc && alive) {
          if (what === 'start') throw new UserError(`the daemon of ${node} is already running (pid ${proc.pid})`);
          try { process.kill(proc.pid!, 'SIGCONT'); } catch { /* not paused */ }
          await stopProcess(lab.state, proc, 3000);
        }
        await getKind(n.kind).start(lab.context(n, (l) => this.log(`  ${l}`), this.signal));
        return `the daemon of ${node} ${what === 'start' ? 'started' : 'restarted'}`;
      }
      default: throw new UserError(`unknown daemon action "${what}"`);
    }
  }

  private async ikeCommand(step: Step): Promise<string> {
    const a = step.args;
    const node = String(a['node']);
    const d = this.daemons!;
    if (!d.has(node)) throw new UserError(`node "${node}" runs no IPsec daemon`);
    let ids: number[] | undefined;
    if (a['peer']) {
      const peer = String(a['peer']);
      const sas = await d.ikeSas(node);
      let keys: Set<string> | undefined;
      if (!/[.:]/.test(peer) && d.has(peer)) keys = new Set((await d.ikeSas(peer)).map((s) => `${s.spiI}/${s.spiR}`));
      const addrs = new Set(/[.:]/.test(peer) ? [peer] : addressPlan(this.lab!.model).addressesOf(peer).map((x) => x.address));
      ids = sas.filter((s) => (keys ? keys.has(`${s.spiI}/${s.spiR}`) : addrs.has(s.remote.address))).map((s) => s.id);
      if (!ids.length) throw new UserError(`${node} has no IKE SA towards ${peer}`);
    }
    const each = async (cmd: string, extra: Record<string, unknown> = {}) => {
      if (!ids) return [await d.request<unknown>(node, cmd, extra)];
      return Promise.all(ids.map((id) => d.request<unknown>(node, cmd, { ...extra, ikeSaId: id })));
    };
    switch (step.kind) {
      case 'clear': return `cleared ${JSON.stringify(ids ? await each('terminate') : await d.request(node, 'clear'))}`;
      case 'terminate': return `terminated ${JSON.stringify(await each('terminate'))}`;
      case 'dpd': return `liveness check ${JSON.stringify(await each('dpd'))}`;
      case 'initiate': return `initiated ${JSON.stringify(await d.request(node, 'initiate'))}`;
      case 'rekey': {
        const r = await each('rekey', a['sa'] === 'ike' ? {} : { child: true });
        const rekeyed = r.flatMap((x) => ((x as { rekeyed?: number[] }).rekeyed ?? []));
        if (!rekeyed.length) throw new StepFailure({ expected: `${node} starts a ${String(a['sa']).toUpperCase()} SA rekey`, seen: `nothing to rekey (${JSON.stringify(r)})`, look: [this.events.fileOf(node)] });
        return `rekeying ${String(a['sa']).toUpperCase()} SA${rekeyed.length > 1 ? 's' : ''} ${rekeyed.join(', ')}`;
      }
      default: throw new UserError(`unknown IKE command ${step.kind}`);
    }
  }

  /** An RFC 5176 Disconnect/CoA from a lab node (the DAC) to a hub (F-POD-01..03); the answer must be the expected one. */
  private async radius(lab: Lab, step: Step): Promise<string> {
    const a = step.args;
    const node = String(a['node']);
    const kind = a['do'] === 'coa' ? 'coa' : 'disconnect';
    const { secret, port } = dacDefaults(lab, node, a['secret'] as string | undefined, a['port'] as number | undefined);
    const nas = nasAddress(lab.model, node, String(a['nas']));
    if (!nas) throw new UserError(`${String(a['nas'])} has no address`);
    const select = { ...(a['user'] !== undefined ? { user: String(a['user']) } : {}), ...(a['peer'] !== undefined ? { peer: String(a['peer']) } : {}) };
    const ctx = { lab, daemons: this.daemons!, dacSessions: this.dacSessions };
    const ids: DacSession = {};
    for (const [key, field] of [['audit-session-id', 'auditSessionId'], ['session-id', 'acctSessionId']] as const) {
      if (a[key] === undefined) continue;
      const r = await resolveSessionRef(ctx, String(a[key]), field, select);
      if ('error' in r) throw new StepFailure({ expected: `a session to name with ${key} ${String(a[key])}`, seen: r.error, look: [] });
      ids[field] = r.value;
    }
    if (step.name) this.dacSessions.set(step.name, ids);
    const attributes: Array<[string, string]> = Object.entries((a['attributes'] as Record<string, unknown> | undefined) ?? {})
      .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x): [string, string] => [k, String(x)]));
    const o = await sendDae(lab, {
      kind, node, nas, port, secret, attributes, timeoutMs: Number(a['timeoutMs'] ?? 2000),
      target: { ...(a['user'] !== undefined ? { user: String(a['user']) } : {}), ...(ids.auditSessionId ? { auditSessionId: ids.auditSessionId } : {}),
        ...(ids.acctSessionId ? { acctSessionId: ids.acctSessionId } : {}), ...(a['framed-ip'] !== undefined ? { framedIp: String(a['framed-ip']) } : {}) },
    }, this.signal);
    const want = (a['expect'] as string | undefined) ?? 'ack';
    const what = kind === 'coa' ? 'CoA' : 'Disconnect';
    const got = o.timeout ? 'no answer' : `${o.code}${o.errorCause !== undefined ? ` Error-Cause ${o.errorCause} (${o.errorCauseName ?? '?'})` : ''}${o.replyMessage !== undefined ? ` Reply-Message "${o.replyMessage}"` : ''}`;
    const look = /[.:]/.test(String(a['nas'])) ? [] : [this.events.fileOf(String(a['nas']))];
    const okKind = want === 'no-answer' ? !!o.timeout : !o.timeout && (want === 'ack') === !!o.ack;
    const wantText = want === 'no-answer' ? 'no answer' : `${what}-${want.toUpperCase()}${a['error-cause'] !== undefined ? ` Error-Cause ${String(a['error-cause'])}` : ''}${a['reply-message'] !== undefined ? ` Reply-Message /${String(a['reply-message'])}/` : ''}`;
    if (!okKind || (a['error-cause'] !== undefined && o.errorCause !== a['error-cause'])
      || (a['reply-message'] !== undefined && !new RegExp(String(a['reply-message'])).test(o.replyMessage ?? ''))) {
      throw new StepFailure({ expected: `${wantText} from ${nas}:${port}`, seen: got, look });
    }
    return `${got} from ${nas}:${port}${o.rttMs !== undefined ? ` in ${o.rttMs} ms` : ''}${ids.auditSessionId ? ` (audit-session-id ${ids.auditSessionId})` : ''}`;
  }

  private async burst(lab: Lab, step: Step): Promise<string> {
    const a = step.args;
    const from = String(a['from']);
    const to = String(a['to']);
    const plan = addressPlan(lab.model);
    const target = /[.:]/.test(to) ? to : plan.primaryAddress(to, 4);
    if (!target) throw new UserError(`${to} has no IPv4 address`);
    const sources: string[] = [];
    const nSources = Number(a['sources'] ?? 1);
    if (nSources > 1) {
      // Spoofed addresses on the sending node's loopback: the responder's answers go to its
      // default route, i.e. back to this node, and end there.
      const base = 64 + (this.burstAddrs++ % 64);
      for (let i = 0; i < nSources; i++) sources.push(`100.${base}.${Math.floor(i / 250)}.${(i % 250) + 1}`);
      await lab.exec(from, ['ip', '-batch', '-'], { input: sources.map((x) => `addr add ${x}/32 dev lo`).join('\n') + '\n' });
    }
    const argv = [process.execPath, '--import', TSX, BURST_TOOL, '--to', target, '--count', String(a['count']), '--rate', String(a['rate'] ?? 500),
      '--group', String(a['group'] ?? 5), ...(sources.length ? ['--sources', sources.join(',')] : [])];
    let out: string;
    try {
      out = await lab.exec(from, argv, { timeoutMs: 120_000, signal: this.signal });
    } finally {
      if (sources.length) await lab.run(from, ['ip', '-batch', '-'], { input: sources.map((x) => `addr del ${x}/32 dev lo`).join('\n') + '\n' });
    }
    const r = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { sent?: number; errors?: number; ms?: number };
    return `${r.sent ?? 0} IKE_SA_INIT requests sent to ${target} in ${formatMs(r.ms ?? 0)}${r.errors ? `, ${r.errors} send errors` : ''}`;
  }

  async sleepUntil(at: number): Promise<void> {
    while (Date.now() < at) {
      this.signal.throwIfAborted();
      if (Date.now() > this.deadline) throw new UserError(`scenario deadline (${formatMs(this.sc.timeoutMs)}) passed`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(at - Date.now(), 1000));
        this.signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  // ------------------------------------------------------------------------------ expectations

  async expect(step: Step): Promise<Outcome> {
    const type = step.kind.slice('expect:'.length);
    const stepStart = Date.now();
    const startSnapshot = type === 'counter' && step.args['rising'] !== undefined
      ? await this.snapshot('start', 'step', step.index) : undefined;
    const within = step.withinMs ?? this.sc.defaultWithinMs;
    const deadline = Math.min(stepStart + within, this.deadline);
    const ctx = () => this.context(stepStart, startSnapshot);
    const check = async (): Promise<Outcome> => {
      const c = ctx();
      switch (type) {
        case 'ike-sa': return checkIkeSa(c, step.args);
        case 'child-sa': return checkChildSa(c, step.args);
        case 'tunnel': return checkTunnel(c, step.args);
        case 'counter': return checkCounter(c, step.args);
        case 'events': return checkEvents(c, step.args);
        case 'traffic': return checkTraffic(c, step.args, Math.max(deadline, Date.now() + 1000), this.signal);
        case 'reach': return checkReach(c, step.args);
        case 'capture': return checkCapture(c, step.args);
        case 'accounting': return checkAccounting(c, step.args);
        case 'resolver': return checkResolver(c, step.args);
        case 'show': return checkShow(c, step.args);
        default: throw new UserError(`unknown expectation ${type}`);
      }
    };
    // Event-driven: re-check when an event file changes, and at least every 250 ms for state that
    // changes without an event (counters, flows).
    let r = await check();
    while (!r.ok && !r.final && Date.now() < deadline) {
      await this.events.changed(Math.min(250, deadline - Date.now()), this.signal);
      this.signal.throwIfAborted();
      r = await check();
    }
    if (!r.ok) {
      if (within > 0 && !r.final) r.seen = `after waiting ${formatMs(Date.now() - stepStart)}: ${r.seen}`;
      return r;
    }
    if (step.forMs) {
      const holdUntil = Math.min(Date.now() + step.forMs, this.deadline);
      while (Date.now() < holdUntil) {
        await this.events.changed(Math.min(250, holdUntil - Date.now()), this.signal);
        this.signal.throwIfAborted();
        const again = await check();
        if (!again.ok) return { ...again, seen: `held for ${formatMs(Date.now() - stepStart)}, then: ${again.seen}` };
        r = again;
      }
    }
    return r;
  }
}

/** An action whose outcome was not what it should be (an exec exit code): a failure, not an error. */
class StepFailure extends Error {
  constructor(readonly outcome: Omit<Outcome, 'ok'>) {
    super(`expected ${outcome.expected}; seen ${outcome.seen}`);
  }
}

function listFiles(dir: string, filter: (f: string) => boolean = () => true): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter(filter).sort().map((f) => path.join(dir, f));
}

/** Start time (wall clock) of a step from its timing keys. */
function dueTime(run: ScenarioRun, step: Step, prevEnd: number): number {
  if (step.at) {
    const base = step.at.step ? run.stepEnd.get(step.at.step)?.at ?? prevEnd : run.t0;
    return base + step.at.ms;
  }
  if (step.afterMs !== undefined) return prevEnd + step.afterMs;
  return prevEnd;
}

export async function runScenario(sc: Scenario, opts: RunOptions): Promise<ScenarioResult> {
  const abort = new AbortController();
  const onAbort = () => abort.abort(opts.signal?.reason);
  if (opts.signal?.aborted) abort.abort(opts.signal.reason);
  opts.signal?.addEventListener('abort', onAbort);
  const run = new ScenarioRun(sc, opts, abort.signal);
  const deadlineTimer = setTimeout(() => abort.abort(new UserError(`scenario deadline (${formatMs(sc.timeoutMs)}) passed`)), sc.timeoutMs + 5000);
  const id = opts.id ?? sc.name;
  const prefix = `[${id}]`;
  const startedAt = new Date();
  let error: string | undefined;
  let failed = false;
  let kept = false;

  try {
    if (sc.steps[0]?.kind !== 'deploy') {
      opts.log?.(`${prefix} deploy ${displayPath(sc.topologyFile)} as lab ${opts.labName}`);
      await run.deploy();
      opts.log?.(`${prefix}   deployed in ${formatMs(run.deployMs)}`);
    }
    run.t0 = Date.now();
    const first = await run.snapshot('deployed', 'label');
    if (first) run.snapshots.push(first);
    let prevEnd = run.t0;
    let skipping = false;
    for (const step of sc.steps) {
      const res: StepResult = {
        index: step.index, kind: step.kind, title: step.title, where: step.where, status: 'skipped',
        ...(step.name ? { name: step.name } : {}), ...(step.description ? { description: step.description } : {}),
      };
      run.results.push(res);
      if (skipping || abort.signal.aborted) continue;
      const label = `${prefix} ${String(step.index + 1).padStart(2)}/${sc.steps.length} ${step.name ? `${step.name}: ` : ''}${step.title}`;
      try {
        await run.sleepUntil(dueTime(run, step, prevEnd));
        const isFault = FAULT_KINDS.has(step.kind);
        // A named step can be referred to (since: NAME): what the daemons showed as it began.
        const before = isFault || step.name ? await run.snapshot(`before ${step.name ?? step.title}`, isFault ? 'before' : 'step', step.index) : undefined;
        if (before && isFault) run.snapshots.push(before);
        res.start = run.t;
        if (step.name) run.stepEnd.set(step.name, { start: Date.now(), at: Date.now(), ...(before ? { snapshot: before } : {}) });
        if (step.kind.startsWith('expect:')) {
          const o = await run.expect(step);
          res.status = o.ok ? 'passed' : 'failed';
          res.expected = o.expected;
          res.seen = o.seen;
          res.look = o.look;
          if (o.detail !== undefined) res.detail = o.detail;
          res.message = o.ok ? o.seen : `expected ${o.expected}; seen ${o.seen}`;
        } else {
          const msg = await run.act(step);
          res.status = 'passed';
          if (msg) res.message = msg;
        }
        res.end = run.t;
        if (isFault) {
          const s = await run.snapshot(`after ${step.name ?? step.title}`, 'after', step.index);
          if (s) run.snapshots.push(s);
        }
      } catch (e) {
        res.end = run.t;
        if (e instanceof StepFailure) {
          res.status = 'failed';
          res.expected = e.outcome.expected;
          res.seen = e.outcome.seen;
          res.look = e.outcome.look;
          res.message = e.message;
        } else {
          res.status = 'error';
          res.message = abort.signal.aborted ? String((abort.signal.reason as Error | undefined)?.message ?? 'interrupted') : (e as Error).message;
        }
      }
      prevEnd = Date.now();
      const ref = step.name ? run.stepEnd.get(step.name) : undefined;
      if (ref) ref.at = prevEnd;
      const took = res.start !== undefined && res.end !== undefined ? ` (${formatMs(res.end - res.start)})` : '';
      const mark = res.status === 'passed' ? 'ok  ' : res.status === 'failed' ? 'FAIL' : 'ERR ';
      const more = res.status !== 'passed' || (res.message && !step.kind.startsWith('expect:')) ? `\n${prefix}       ${res.message ?? ''}` : '';
      const look = res.status !== 'passed' && res.look?.length ? `\n${prefix}       look at: ${res.look.map(displayPath).join(', ')}` : '';
      opts.log?.(`${label}: ${mark}${took}${more}${look}`);
      if (res.status === 'error') { failed = true; skipping = true; }
      if (res.status === 'failed') {
        failed = true;
        if (!(step.continueOnFailure ?? sc.continueOnFailure)) skipping = true;
      }
    }
    if (abort.signal.aborted) error = String((abort.signal.reason as Error | undefined)?.message ?? 'interrupted');
    const last = await run.snapshot('end of scenario', 'end').catch(() => undefined);
    if (last) run.snapshots.push(last);
  } catch (e) {
    error = (e as Error).message;
    failed = true;
  } finally {
    clearTimeout(deadlineTimer);
    opts.signal?.removeEventListener('abort', onAbort);
    for (const f of run.flows.values()) await f.stop().catch(() => {});
    if (opts.keep && (failed || error) && run.lab && !abort.signal.aborted) {
      kept = true;
      opts.log?.(`${prefix} lab ${run.lab.name} kept for inspection: flexlab inspect --name ${run.lab.name}; flexlab destroy --name ${run.lab.name}`);
    } else {
      await run.destroy();
    }
    run.events.stop();
  }
  run.events.refresh();
  const durationMs = Date.now() - startedAt.getTime();
  const status: ScenarioResult['status'] = error ? 'error' : failed || run.results.some((r) => r.status !== 'passed') ? 'failed' : 'passed';
  const out = opts.outDir;
  return {
    name: sc.name, id, file: sc.file, ...(sc.description ? { description: sc.description } : {}), features: sc.features,
    topologyFile: sc.topologyFile, labName: opts.labName, lab: labModelFor(sc, opts.labName), outDir: out, status,
    startedAt: startedAt.toISOString(), t0: run.t0, deployMs: run.deployMs, durationMs,
    steps: run.results, snapshots: run.snapshots, flows: [...run.flows.values()].map((f) => f.result), faults: run.faults,
    captures: listFiles(path.join(out, 'captures'), (f) => /\.pcap(ng)?$/.test(f)),
    keyFiles: listFiles(path.join(out, 'keys')),
    eventFiles: listFiles(path.join(out, 'events'), (f) => f.endsWith('.jsonl')),
    logFiles: listFiles(path.join(out, 'logs'), (f) => f.endsWith('.log')),
    events: run.events.events,
    kept,
    ...(error ? { error } : {}),
  };
}

