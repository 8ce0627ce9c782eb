// A deliberately broken variant of each kind of expectation (test/fixtures/scenarios/
// broken-expectations.yaml) fails with a clear message: what was expected, what was seen, where to
// look; the run goes on past failures (continue-on-failure); the JUnit and HTML reports show the
// failures; `flexlab run` exits 1 for a failing scenario and 2 for an invalid file; Ctrl-C tears
// the lab down.

import test from 'ava';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeHtmlReport, scenarioPageDir } from '../reports/html.ts';
import { junitXml } from '../reports/junit.ts';
import type { StepResult } from '../scenarios/runner.ts';
import { loadScenarios, runSuite } from '../scenarios/suite.ts';
import type { SuiteResult } from '../scenarios/suite.ts';
import { CLI, cleanupAll, cli, isolate, snapshot } from './helpers/lab.ts';
import { withPage } from './helpers/browser.ts';
import { validateJunit } from './helpers/junit.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BROKEN = path.join(ROOT, 'test', 'fixtures', 'scenarios', 'broken-expectations.yaml');
const dirs = isolate('scen-broken');
let suite: SuiteResult;
let steps: StepResult[];

test.before(async () => {
  suite = await runSuite(loadScenarios([BROKEN]), { outRoot: path.join(dirs.outDir, 'run') });
  steps = suite.results[0]!.steps;
});
test.after.always(() => cleanupAll(dirs));

/** The step written on `line` of the fixture. */
function at(line: number): StepResult {
  const s = steps.find((x) => x.where.endsWith(`broken-expectations.yaml:${line}`));
  if (!s) throw new Error(`no step on line ${line}: ${steps.map((x) => x.where).join(' ')}`);
  return s;
}

function failed(t: import('ava').ExecutionContext, line: number, expected: RegExp, seen: RegExp, look?: RegExp): void {
  const s = at(line);
  t.is(s.status, 'failed', `${s.title}: ${s.message}`);
  t.regex(s.expected ?? '', expected, s.title);
  t.regex(s.seen ?? '', seen, s.title);
  if (look) t.true((s.look ?? []).some((l) => look.test(l)), `${s.title}: look at ${(s.look ?? []).join(', ')}`);
}

test('the scenario fails as a whole but runs every step (continue-on-failure)', (t) => {
  t.is(suite.results[0]!.status, 'failed');
  t.true(steps.every((s) => s.status !== 'skipped'), steps.filter((s) => s.status === 'skipped').map((s) => s.title).join(', '));
  t.is(at(11).status, 'passed');
});

test('ike-sa: a wrong algorithm and a wrong count', (t) => {
  failed(t, 19, /spoke1: at least one READY IKE SA towards hub with encr "AES-GCM"/, /SA #\d+ encr "AES-CBC" \(#\d+ READY 203\.0\.113\.1:4500 <-> 198\.51\.100\.1:4500 AES-CBC-256\/SHA512\/SHA512\/DH5/, /events\/spoke1\.jsonl$/);
  failed(t, 21, /hub: 3 READY IKE SAs/, /^2 matching: (?=.*remote-id spoke1\.flexlab\.test)(?=.*remote-id spoke2\.flexlab\.test)/, /logs\/hub\.flexvpnd\.log$/);
});

test('child-sa: a wrong transform set, and no rekey where one was expected', (t) => {
  failed(t, 23, /suite "esp-gcm 256"/, /CHILD #\d+ suite "esp-aes esp-sha-hmac"/);
  failed(t, 25, /new SPIs since "steady"/, /CHILD #\d+ still has SPIs [0-9a-f]{8}\/[0-9a-f]{8} from step "steady"/);
});

test('tunnel: an address outside the pool', (t) => {
  failed(t, 27, /spoke1: tunnel up with an address in 10\.9\.9\.0\/24/, /tunnel0 up addresses 10\.0\.0\.\d+\/32/);
});

test('counter: at least, and rising (which waits for its deadline)', (t) => {
  failed(t, 29, /hub counter esp\.integrity at-least 1/, /esp\.integrity = 0/);
  failed(t, 31, /hub counter ike\.cookies-demanded \(increase during this step\) rises/, /after waiting 1\.\d+ s: ike\.cookies-demanded went from 0 to 0 \(\+0\)/);
  const s = at(31);
  t.true(s.end! - s.start! >= 1000, 'waited for its within');
});

test('events: missing, out of its time bounds, and present when it must be absent', (t) => {
  failed(t, 34, /in order: dpd-timeout@spoke1 \(times from when step "up" began\)/, /after waiting 1\.\d+ s: no dpd-timeout@spoke1/, /events\/spoke1\.jsonl$/);
  failed(t, 37, /ike-established@spoke1 \(not before \+100\.0 s\) \(times from the deploy\)/, /ike-established@spoke1 \+[\d.]+ (ms|s): outside its time bounds \("IKE SA tunnel0 established/);
  failed(t, 39, /never: ike-established@hub/, /ike-established@hub \+[\d.]+ (ms|s): "IKE SA default established with 203\.0\.113\./);
});

test('reach: a host that answers when it must not', (t) => {
  failed(t, 41, /host1 cannot reach hub-host \(192\.168\.10\.10\): no reply to 2 echo requests/, /2 of 2 replies/);
});

test('traffic: the gap and loss across a blackhole, and an impossible throughput', (t) => {
  failed(t, 53, /traffic "p": at most 2 lost, longest gap at most 500 ms/, /\d+ sent, \d+ replies, \d+ lost \([\d.]+%\) \[icmp_seq \d+-\d+[\d,-]*\], longest gap \d+\.\d+ s from \+[\d.]+ s to \+[\d.]+ s/, /host2\.flow-p\.log$/);
  failed(t, 56, /throughput at least 100\.00 Gbit\/s/, /^\d+(\.\d+)? [MG]bit\/s/);
});

test('capture: IKE fragments where there are none', (t) => {
  failed(t, 58, /capture of spoke1-eth1--wan-eth2: IKE fragments/, /no IKE fragment \(\d+ frames: \d+ IKE messages \(0 fragment frames/, /spoke1-eth1--wan-eth2\.pcapng$/);
});

test('exec: an unexpected exit code', (t) => {
  failed(t, 60, /exit code 0/, /exit code 3/);
});

test('JUnit carries the evidence and validates; the HTML report highlights every failure', async (t) => {
  const xml = junitXml(suite);
  t.true((await validateJunit(xml)).ok);
  t.regex(xml, /<failure message="expected spoke1: at least one READY IKE SA towards hub with encr &quot;AES-GCM&quot;/);
  t.regex(xml, /look at: {2}\S+events\/spoke1\.jsonl/);
  const reportDir = path.join(dirs.outDir, 'run');
  writeHtmlReport(reportDir, suite);
  const file = path.join(scenarioPageDir(reportDir, suite.results[0]!), 'index.html');
  const r = await withPage(file, async (p, seen) => ({
    ...seen,
    badge: await p.locator('header .badge').first().innerText(),
    failures: await p.locator('#failures dl.failure').count(),
    failedRows: await p.locator('table.steps tr.st-failed').count(),
    box: await p.locator('#failures').isVisible(),
    text: await p.locator('#failures').innerText(),
  }));
  t.deepEqual(r.errors, []);
  t.is(r.badge, 'FAILED');
  t.true(r.box);
  const nFailed = steps.filter((s) => s.status === 'failed').length;
  t.is(r.failures, nFailed);
  t.is(r.failedRows, nFailed);
  t.regex(r.text, /expected\s+spoke1: at least one READY IKE SA towards hub with encr "AES-GCM"/);
});

test('flexlab run: exit 2 with line numbers for an invalid file, 1 for a failing scenario', async (t) => {
  const bad = await cli(['run', path.join(ROOT, 'test', 'fixtures', 'scenarios', 'bad-steps.yaml')], { timeoutMs: 60_000 });
  t.is(bad.code, 2, bad.stdout + bad.stderr);
  t.regex(bad.stderr, /test\/fixtures\/scenarios\/bad-steps\.yaml:\d+:\d+: steps\[\d\]\.expect\.ike-sa\.cuont: unknown key "cuont" \(did you mean "count"\?\)/);
  const fail = await cli(['run', path.join(ROOT, 'test', 'fixtures', 'scenarios', 'unreachable.yaml'), '--junit', path.join(dirs.outDir, 'u.xml'), '--out', path.join(dirs.outDir, 'cli')], { timeoutMs: 60_000 });
  t.is(fail.code, 1, fail.stdout + fail.stderr);
  t.regex(fail.stdout, /unreachable +FAIL +1\/2/);
  t.regex(fail.stdout, /0 passed, 1 failed, 1 run in/);
});

test('Ctrl-C during a run tears the lab down and exits 130', async (t) => {
  const child = spawn(process.execPath, [CLI, 'run', path.join(ROOT, 'scenarios', 'dpd-wan-loss.yaml'), '--out', path.join(dirs.outDir, 'sigint')],
    { env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let lab = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no blackhole step within 60 s:\n${out}`)), 60_000);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      lab = /as lab (\S+)/.exec(out)?.[1] ?? lab;
      if (/wan-down: blackhole .*: ok/.test(out)) { clearTimeout(timer); resolve(); }
    });
    child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
  });
  t.truthy(lab);
  child.kill('SIGINT');
  const code = await exited;
  t.is(code, 130, out);
  t.regex(out, /SIGINT: stopping; every lab is being torn down/);
  const left = await snapshot([lab]);
  t.deepEqual(left.netns, []);
  t.deepEqual(left.processes, []);
  t.deepEqual(left.state, []);
});
