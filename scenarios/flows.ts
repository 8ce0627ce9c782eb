// Traffic flows between lab nodes: a ping stream with a timestamp on every reply (iputils ping -D
// -O), so loss and the longest gap across a fault can be measured, and a TCP flow with iperf3 for
// throughput. Each runs as a supervised process of the lab (destroy stops it whatever happens);
// its output is in <outDir>/logs/<node>.flow-<name>.log.

import { readFileSync } from 'node:fs';
import { addressPlan } from '../labs/address-plan.ts';
import type { Lab } from '../labs/lab.ts';
import { sleep } from '../labs/command.ts';
import { isRunning, stopProcess } from '../labs/supervisor.ts';
import type { SupervisedProcess } from '../labs/supervisor.ts';
import { UserError } from '../cli/errors.ts';

export interface FlowSpec {
  name: string;
  type: 'ping' | 'tcp';
  from: string;
  /** A node name or an address. */
  to: string;
  family?: 4 | 6;
  intervalMs?: number;
  size?: number;
  durationMs?: number;
  reverse?: boolean;
  bitrate?: string;
}

export interface PingReply {
  seq: number;
  /** Wall clock (ms) the reply arrived. */
  t: number;
  rttMs: number;
}

export interface PingStats {
  sent: number;
  received: number;
  lost: number;
  lossPct: number;
  longestGapMs: number;
  /** Where the longest gap is (wall clock ms). */
  gapFrom?: number;
  gapTo?: number;
  /** Sequence numbers without a reply. */
  lostSeqs: number[];
}

export interface FlowResult {
  name: string;
  type: 'ping' | 'tcp';
  from: string;
  to: string;
  address: string;
  startedAt: number;
  stoppedAt?: number;
  log: string;
  intervalMs?: number;
  /** ping */
  replies?: PingReply[];
  transmitted?: number;
  stats?: PingStats;
  /** tcp: bits per second received, and iperf3's error if it failed. */
  bps?: number;
  retransmits?: number;
  error?: string;
}

function resolveTarget(lab: Lab, to: string, family?: 4 | 6): { node?: string; address: string } {
  const plan = addressPlan(lab.model);
  if (/[.:]/.test(to)) return { ...(plan.owner(to) ? { node: plan.owner(to)!.node } : {}), address: to };
  const address = plan.primaryAddress(to, family ?? 4) ?? plan.primaryAddress(to, family === 4 ? 6 : 4);
  if (!address) throw new UserError(`node "${to}" has no ${family ? `IPv${family} ` : ''}address to send traffic to`);
  return { node: to, address };
}

/** Parses ping -D -O output: replies with their arrival time, and the summary if it is there. */
export function parsePingOutput(text: string): { replies: PingReply[]; maxSeq: number; transmitted?: number; received?: number } {
  const replies: PingReply[] = [];
  let maxSeq = 0;
  for (const line of text.split('\n')) {
    const r = /^\[(\d+\.\d+)\] .*icmp_seq=(\d+).*time=([\d.]+) ms/.exec(line);
    if (r) {
      const seq = Number(r[2]);
      replies.push({ seq, t: Math.round(Number(r[1]) * 1000), rttMs: Number(r[3]) });
      maxSeq = Math.max(maxSeq, seq);
      continue;
    }
    const n = /^\[(\d+\.\d+)\] no answer yet for icmp_seq=(\d+)/.exec(line);
    if (n) maxSeq = Math.max(maxSeq, Number(n[2]));
  }
  const s = /(\d+) packets transmitted, (\d+) received/.exec(text);
  return { replies, maxSeq, ...(s ? { transmitted: Number(s[1]), received: Number(s[2]) } : {}) };
}

/**
 * Loss and the longest silence of a ping stream, over what was sent from `since` on (wall clock
 * ms; default the start). The longest gap is measured between consecutive replies, starting at the
 * last reply before `since` and ending at the stop of the flow (or `now` while it runs), so an
 * outage that is still going on counts.
 */
export function pingStats(f: FlowResult, since = 0, now = Date.now()): PingStats {
  const interval = f.intervalMs ?? 50;
  const replies = [...(f.replies ?? [])].sort((a, b) => a.t - b.t);
  const end = f.stoppedAt ?? now;
  // Echo request n left at about start + (n-1)*interval; requests of the last second may still be
  // answered while the flow runs, so they are not judged yet.
  const sentAt = (seq: number) => f.startedAt + (seq - 1) * interval;
  const total = f.transmitted ?? 0;
  const answered = new Set(replies.map((r) => r.seq));
  const judged: number[] = [];
  for (let seq = 1; seq <= total; seq++) {
    const t = sentAt(seq);
    if (t < since) continue;
    if (f.stoppedAt === undefined && t > now - 1000) continue;
    // Stopping interrupts the last requests' wait for their replies: not lost, just not waited for.
    if (f.stoppedAt !== undefined && t > f.stoppedAt - 250 && !answered.has(seq)) continue;
    judged.push(seq);
  }
  const lostSeqs = judged.filter((s) => !answered.has(s));
  const received = judged.length - lostSeqs.length;
  let last = [...replies].reverse().find((r) => r.t < since)?.t ?? Math.max(f.startedAt, since);
  let longest = 0;
  let gapFrom: number | undefined;
  let gapTo: number | undefined;
  for (const r of replies) {
    if (r.t < since) continue;
    if (r.t - last > longest) { longest = r.t - last; gapFrom = last; gapTo = r.t; }
    last = r.t;
  }
  if (end - last > longest) { longest = end - last; gapFrom = last; gapTo = end; }
  return {
    sent: judged.length, received, lost: lostSeqs.length,
    lossPct: judged.length ? (100 * lostSeqs.length) / judged.length : 0,
    longestGapMs: longest, lostSeqs, ...(gapFrom !== undefined ? { gapFrom, gapTo: gapTo! } : {}),
  };
}

export class Flow {
  readonly result: FlowResult;
  private proc?: SupervisedProcess;
  private server?: SupervisedProcess;
  private done?: Promise<void>;
  private readonly serverNode: string | undefined;

  constructor(private readonly lab: Lab, readonly spec: FlowSpec, private readonly port: number) {
    const target = resolveTarget(lab, spec.to, spec.family);
    this.result = {
      name: spec.name, type: spec.type, from: spec.from, to: spec.to, address: target.address, startedAt: 0, log: '',
      ...(spec.type === 'ping' ? { intervalMs: spec.intervalMs ?? 50, replies: [], transmitted: 0 } : {}),
    };
    this.serverNode = target.node;
  }

  get running(): boolean {
    if (!this.proc) return false;
    const rec = this.lab.state.view().processes.get(this.proc.id);
    return !!rec && isRunning(rec);
  }

  async start(): Promise<void> {
    const s = this.spec;
    const fam = this.result.address.includes(':') ? '-6' : '-4';
    if (s.type === 'ping') {
      const argv = ['ping', '-n', '-D', '-O', fam, '-i', String((s.intervalMs ?? 50) / 1000), '-W', '1'];
      if (s.size !== undefined) argv.push('-s', String(s.size));
      if (s.durationMs) argv.push('-w', String(Math.ceil(s.durationMs / 1000)));
      argv.push(this.result.address);
      this.result.startedAt = Date.now();
      this.proc = await this.lab.spawn(s.from, `flow-${s.name}`, argv);
    } else {
      if (!this.serverNode) throw new UserError(`traffic flow "${s.name}": ${s.to} is not an address of a lab node, so there is nowhere to run the iperf3 server`);
      this.server = await this.lab.spawn(this.serverNode, `flow-${s.name}-server`, ['iperf3', '-s', '-1', '--forceflush', '-B', this.result.address, '-p', String(this.port)], { ready: /Server listening/ });
      const argv = ['iperf3', '-c', this.result.address, '-p', String(this.port), '-t', String(Math.max(1, Math.round((s.durationMs ?? 5000) / 1000))), '-J', '--connect-timeout', '5000'];
      if (s.reverse) argv.push('-R');
      if (s.bitrate) argv.push('-b', s.bitrate);
      this.result.startedAt = Date.now();
      this.proc = await this.lab.spawn(s.from, `flow-${s.name}`, argv);
    }
    this.result.log = this.proc.log;
  }

  /** Reads what the flow printed so far into the result. */
  refresh(): FlowResult {
    if (!this.proc) return this.result;
    let text = '';
    try { text = readFileSync(this.proc.log, 'utf8'); } catch { return this.result; }
    if (this.spec.type === 'ping') {
      const p = parsePingOutput(text);
      this.result.replies = p.replies;
      this.result.transmitted = p.transmitted ?? p.maxSeq;
      if (p.transmitted !== undefined && this.result.stoppedAt === undefined) this.result.stoppedAt = Date.now();
      this.result.stats = pingStats(this.result);
    } else if (!this.running) {
      this.parseIperf(text);
    }
    return this.result;
  }

  private parseIperf(text: string): void {
    const start = text.indexOf('{');
    if (start < 0) { this.result.error = text.trim().split('\n').slice(-3).join(' ') || 'iperf3 printed nothing'; return; }
    try {
      const j = JSON.parse(text.slice(start)) as { error?: string; end?: { sum_received?: { bits_per_second: number }; sum_sent?: { retransmits?: number } } };
      if (j.error) this.result.error = j.error;
      if (j.end?.sum_received) this.result.bps = j.end.sum_received.bits_per_second;
      if (j.end?.sum_sent?.retransmits !== undefined) this.result.retransmits = j.end.sum_sent.retransmits;
    } catch (e) {
      this.result.error = `cannot read iperf3's JSON output: ${(e as Error).message}`;
    }
  }

  /** Waits until the flow ends by itself (iperf3 after its duration), up to a deadline. */
  async finished(deadline: number, signal?: AbortSignal): Promise<boolean> {
    while (this.running) {
      if (Date.now() > deadline || signal?.aborted) return false;
      await sleep(50);
    }
    this.result.stoppedAt ??= Date.now();
    this.refresh();
    return true;
  }

  /** Stops the flow: SIGINT, so ping prints its summary; SIGTERM/KILL if it does not go. */
  async stop(): Promise<FlowResult> {
    if (this.done) { await this.done; return this.result; }
    this.done = (async () => {
      if (this.proc) {
        const rec = this.lab.state.view().processes.get(this.proc.id);
        if (rec && isRunning(rec)) {
          try { process.kill(this.proc.pid, 'SIGINT'); } catch { /* gone */ }
          const until = Date.now() + 2000;
          while (isRunning(rec) && Date.now() < until) await sleep(20);
          await stopProcess(this.lab.state, rec, 500);
        }
      }
      if (this.server) {
        const rec = this.lab.state.view().processes.get(this.server.id);
        if (rec && isRunning(rec)) await stopProcess(this.lab.state, rec, 500);
      }
      this.result.stoppedAt ??= Date.now();
      this.refresh();
    })();
    await this.done;
    return this.result;
  }
}
