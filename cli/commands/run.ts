// flexlab run FILE... : runs scenarios (each in a lab of its own), prints progress and a summary,
// writes JUnit/JSON/HTML reports, and exits 0 only when every scenario passed (1: some failed,
// 2: a scenario file is invalid, 130: interrupted). Ctrl-C tears every lab down.

import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { requireRoot } from '../lab-cli.ts';
import { loadScenarios, formatSummary, runSuite } from '../../scenarios/suite.ts';
import { writeJunit } from '../../reports/junit.ts';
import { writeJsonReport } from '../../reports/json.ts';
import { writeHtmlReport } from '../../reports/html.ts';

function positiveInt(what: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UserError(`${what} must be a whole number of at least 1, got "${v}"`);
    return n;
  };
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run scenario files: deploy each lab, play its timeline of faults, traffic and expectations, report')
    .argument('<files...>', 'scenario files (scenarios/*.yaml)')
    .option('--junit <file>', 'write a JUnit XML report (one testcase per scenario run)')
    .option('--json <file>', 'write the full results as JSON')
    .option('--report <dir>', 'write an HTML report (index.html) and keep each run\'s captures, keys and logs under it')
    .option('--out <dir>', 'where each run\'s lab output goes (default: the report directory, else ./out/run)')
    .option('--keep', 'leave the lab of a failed scenario running, for flexlab inspect/exec/show')
    .option('-j, --jobs <n>', 'scenarios run in parallel, each in its own lab', positiveInt('--jobs'), 1)
    .option('--repeat <n>', 'run every scenario n times', positiveInt('--repeat'), 1)
    .option('-q, --quiet', 'only the summary')
    .addHelpText('after', `
Examples:
  flexlab run scenarios/dpd-wan-loss.yaml
  flexlab run scenarios/*.yaml --jobs 2 --junit out/junit.xml --report out/report
  flexlab run scenarios/rekey-under-traffic.yaml --repeat 5 --keep`)
    .action(async (files: string[], opts: { junit?: string; json?: string; report?: string; out?: string; keep?: boolean; jobs: number; repeat: number; quiet?: boolean }) => {
      const scenarios = loadScenarios(files);
      requireRoot();
      const outRoot = path.resolve(opts.out ?? opts.report ?? path.join('out', 'run'));
      const abort = new AbortController();
      let interrupted: NodeJS.Signals | undefined;
      const onSignal = (sig: NodeJS.Signals) => {
        if (interrupted) return;
        interrupted = sig;
        console.error(`\n${sig}: stopping; every lab is being torn down`);
        abort.abort(new UserError(`interrupted by ${sig}`, sig === 'SIGINT' ? 130 : 143));
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let suite;
      try {
        suite = await runSuite(scenarios, {
          outRoot, jobs: opts.jobs, repeat: opts.repeat, signal: abort.signal,
          ...(opts.keep ? { keep: true } : {}), ...(opts.quiet ? {} : { log: (l: string) => console.log(l) }),
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      console.log(`\n${formatSummary(suite)}`);
      if (opts.junit) { writeJunit(opts.junit, suite); console.log(`JUnit: ${opts.junit}`); }
      if (opts.json) { writeJsonReport(opts.json, suite); console.log(`JSON: ${opts.json}`); }
      if (opts.report) {
        const index = writeHtmlReport(opts.report, suite);
        console.log(`HTML report: ${index}`);
      }
      if (interrupted) throw new UserError(`interrupted by ${interrupted}; labs destroyed`, interrupted === 'SIGINT' ? 130 : 143);
      if (suite.failed) process.exitCode = 1;
    });
}
