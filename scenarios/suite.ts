// Several scenarios (and repeats) at once: each as its own lab with a unique name, at most `jobs`
// at a time, progress lines as they go, a summary table at the end. Used by `flexlab run`, the
// demo and the tests.

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { UserError } from '../cli/errors.ts';
import type { Diagnostic } from '../labs/topology/diagnostics.ts';
import { loadScenarioFile, ScenarioError } from './load.ts';
import type { Scenario } from './model.ts';
import { runScenario } from './runner.ts';
import type { ScenarioResult } from './runner.ts';
import { formatMs } from './values.ts';

export interface SuiteOptions {
  /** Each run's output goes to <outRoot>/<scenario id>. */
  outRoot: string;
  jobs?: number;
  repeat?: number;
  keep?: boolean;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface SuiteResult {
  startedAt: string;
  durationMs: number;
  results: ScenarioResult[];
  passed: number;
  failed: number;
}

/** Loads every file first, so a typo in the last one is reported before anything runs. */
export function loadScenarios(files: string[]): Scenario[] {
  const out: Scenario[] = [];
  const diags: Diagnostic[] = [];
  const other: string[] = [];
  for (const f of files) {
    try {
      out.push(loadScenarioFile(f));
    } catch (e) {
      if (e instanceof ScenarioError) diags.push(...e.diagnostics);
      else other.push((e as Error).message);
    }
  }
  if (diags.length) throw new ScenarioError(diags);
  if (other.length) throw new UserError(other.join('\n'), 2);
  const names = new Map<string, string>();
  for (const s of out) {
    const prev = names.get(s.name);
    if (prev && prev !== s.file) throw new UserError(`two scenarios are named "${s.name}": ${prev} and ${s.file}`, 2);
    names.set(s.name, s.file);
  }
  return out;
}

/** A short lab name, unique on this machine: namespaces, sockets and interface names stay short. */
export function uniqueLabName(scenario: string): string {
  const stem = scenario.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 10).replace(/-+$/, '') || 'sc';
  return `${stem}-${randomBytes(2).toString('hex')}`;
}

export async function runSuite(scenarios: Scenario[], opts: SuiteOptions): Promise<SuiteResult> {
  const started = Date.now();
  const repeat = Math.max(1, opts.repeat ?? 1);
  const jobs = Math.max(1, opts.jobs ?? 1);
  const queue: Array<{ sc: Scenario; id: string }> = [];
  for (let r = 1; r <= repeat; r++) for (const sc of scenarios) queue.push({ sc, id: repeat > 1 ? `${sc.name}#${r}` : sc.name });
  const results: ScenarioResult[] = new Array(queue.length);
  let next = 0;
  const worker = async () => {
    while (next < queue.length) {
      const i = next++;
      const { sc, id } = queue[i]!;
      if (opts.signal?.aborted) break;
      const labName = uniqueLabName(sc.name);
      const outDir = path.resolve(opts.outRoot, id.replace(/#/g, '-'));
      opts.log?.(`[${id}] start (${sc.steps.length} steps, ${sc.displayFile})`);
      results[i] = await runScenario(sc, {
        outDir, labName, id, ...(opts.keep ? { keep: true } : {}), ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.log ? { log: opts.log } : {}),
      });
      const r = results[i]!;
      opts.log?.(`[${id}] ${r.status.toUpperCase()} in ${formatMs(r.durationMs)}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, worker));
  const done = results.filter(Boolean);
  return {
    startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, results: done,
    passed: done.filter((r) => r.status === 'passed').length, failed: done.filter((r) => r.status !== 'passed').length,
  };
}

/** The first failed step of a result, in one line. */
export function firstFailure(r: ScenarioResult): string | undefined {
  if (r.error) return r.error.split('\n')[0];
  const s = r.steps.find((x) => x.status === 'failed' || x.status === 'error');
  if (!s) return undefined;
  return `step ${s.index + 1}${s.name ? ` "${s.name}"` : ''} (${s.where}): ${s.message ?? s.status}`;
}

export function formatSummary(s: SuiteResult): string {
  const rows = s.results.map((r) => {
    const steps = r.steps.filter((x) => x.status === 'passed').length;
    return [r.id, r.status === 'passed' ? 'PASS' : r.status === 'failed' ? 'FAIL' : 'ERROR', `${steps}/${r.steps.length}`, formatMs(r.durationMs), firstFailure(r) ?? ''];
  });
  const head = ['scenario', 'result', 'steps', 'time', ''];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i < 4 ? c.padEnd(w[i]!) : c)).join('  ').trimEnd();
  return [line(head), ...rows.map(line), '', `${s.passed} passed, ${s.failed} failed, ${s.results.length} run in ${formatMs(s.durationMs)}`].join('\n');
}
