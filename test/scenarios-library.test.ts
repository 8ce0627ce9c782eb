// The scenario library (scenarios/*.yaml) through the runner library, two labs at a time, as
// `flexlab run scenarios/*.yaml --jobs 2` does: every scenario passes; DPD declares the peer dead
// in interval x retries; the JUnit report validates against the Ant JUnit schema; the HTML report
// renders in headless chromium with the result, the pictures and no console error; nothing is
// left on the host.

import test from 'ava';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeHtmlReport, scenarioPageDir } from '../reports/html.ts';
import { junitXml } from '../reports/junit.ts';
import { eventType } from '../scenarios/events.ts';
import { firstFailure, formatSummary, loadScenarios, runSuite } from '../scenarios/suite.ts';
import type { SuiteResult } from '../scenarios/suite.ts';
import { cleanupAll, isolate, snapshot } from './helpers/lab.ts';
import { withPage } from './helpers/browser.ts';
import { validateJunit } from './helpers/junit.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FILES = readdirSync(path.join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml')).sort().map((f) => path.join(ROOT, 'scenarios', f));
const dirs = isolate('scen-lib');
let suite: SuiteResult;
let reportIndex: string;

/** Scenarios that failed once and passed when run again alone, with the first failure. */
const flaky = new Map<string, string>();

test.before(async () => {
  const scenarios = loadScenarios(FILES);
  suite = await runSuite(scenarios, { outRoot: path.join(dirs.outDir, 'run'), jobs: 2 });
  // A lab runs in real time on a shared 2-core machine: a scenario that fails is run once more,
  // alone. Passing then makes it a flake, reported (test log and the end of `make test`), not
  // hidden; failing twice is a failure.
  for (const [i, r] of suite.results.entries()) {
    if (r.status === 'passed') continue;
    const again = await runSuite(scenarios.filter((sc) => sc.name === r.name), { outRoot: path.join(dirs.outDir, 'run'), jobs: 1 });
    const r2 = again.results[0];
    if (r2?.status !== 'passed') continue;
    flaky.set(r.name, firstFailure(r) ?? r.status);
    suite.results[i] = r2;
  }
  suite.passed = suite.results.filter((r) => r.status === 'passed').length;
  suite.failed = suite.results.length - suite.passed;
  if (flaky.size) {
    mkdirSync(path.join(ROOT, 'out'), { recursive: true });
    appendFileSync(path.join(ROOT, 'out', 'test-flaky.txt'), [...flaky].map(([n, f]) => `scenario ${n} failed once, passed when run again alone: ${f}\n`).join(''));
  }
  reportIndex = writeHtmlReport(path.join(dirs.outDir, 'run'), suite);
});

test.after.always(() => cleanupAll(dirs));

const byName = (name: string) => suite.results.find((r) => r.name === name);

for (const file of FILES) {
  const name = path.basename(file, '.yaml');
  test(`library scenario ${name} passes`, (t) => {
    const r = byName(name);
    t.truthy(r, `${name} ran`);
    const evidence = r!.steps.filter((s) => s.status !== 'passed').map((s) => `${s.index + 1} ${s.status}: ${s.title}\n  ${s.message ?? ''}`).join('\n');
    // CI shows only the tail of the output: `make test` prints this file last, so the failing
    // scenario and its first failed step are visible there.
    if (r!.status !== 'passed') {
      mkdirSync(path.join(ROOT, 'out'), { recursive: true });
      appendFileSync(path.join(ROOT, 'out', 'test-failures.txt'), `scenario ${name}: ${firstFailure(r!) ?? r!.status}\n${evidence}\n\n`);
    }
    t.is(r!.status, 'passed', `${firstFailure(r!) ?? ''}\n${evidence}\noutput: ${r!.outDir}`);
    t.true(r!.steps.every((s) => s.status === 'passed'));
    t.log(`${name}: ${(r!.durationMs / 1000).toFixed(1)} s${flaky.has(name) ? ` (FLAKY: the first run failed: ${flaky.get(name)})` : ''}`);
  });
}

test('the whole library: wall time, and every lab is gone', async (t) => {
  t.log(`\n${formatSummary(suite)}`);
  t.is(suite.results.length, FILES.length);
  const labs = suite.results.map((r) => r.labName);
  const left = await snapshot(labs);
  t.deepEqual(left.netns, [], 'no namespace left');
  t.deepEqual(left.processes, [], 'no process left');
  t.deepEqual(left.state, [], 'no lab state left');
});

test('DPD: each side declares the silent peer dead interval x retries after its first unanswered probe', (t) => {
  const r = byName('dpd-wan-loss')!;
  const interval = 2000, retries = 3;
  const fault = r.faults[0]!;
  const faultAt = r.t0 + fault.from;
  for (const node of ['spoke1', 'hub']) {
    // The hub also talks to spoke2: only its events about spoke1 count.
    const after = r.events.filter((e) => e.node === node && e.time >= faultAt && (node !== 'hub' || e.peer?.startsWith('203.0.113.1:')));
    const probe = after.find((e) => eventType(e) === 'dpd-sent');
    const dead = after.find((e) => eventType(e) === 'dpd-timeout');
    t.truthy(probe && dead, `${node}: dpd-sent and dpd-timeout after the blackhole`);
    const detect = dead!.time - faultAt;
    const declare = dead!.time - probe!.time;
    t.log(`${node}: dead ${(detect / 1000).toFixed(2)} s after the blackhole, ${(declare / 1000).toFixed(2)} s after the first unanswered probe (interval x retries = ${interval * retries / 1000} s)`);
    t.true(Math.abs(declare - interval * retries) <= 500, `${node}: ${declare} ms from probe to dead`);
    t.true(detect <= interval * (retries + 1) + 600, `${node}: ${detect} ms from blackhole to dead`);
  }
  t.log(`dpd-wan-loss wall time ${(r.durationMs / 1000).toFixed(1)} s (deploy ${(r.deployMs / 1000).toFixed(1)} s)`);
});

test('the JUnit report of the library validates against the Ant JUnit schema', async (t) => {
  const xml = junitXml(suite);
  const v = await validateJunit(xml);
  t.true(v.ok, v.output);
  t.is((xml.match(/<testcase /g) ?? []).length, FILES.length);
});

test('the HTML report renders in chromium: result, topology, timeline, ladders, SA tables; no console error, no request', async (t) => {
  t.true(existsSync(reportIndex));
  const index = await withPage(reportIndex, async (page, seen) => ({
    ...seen, title: await page.title(), rows: await page.locator('tbody tr').count(), text: await page.locator('body').innerText(),
  }));
  t.deepEqual(index.errors, []);
  t.deepEqual(index.requests, []);
  t.is(index.rows, FILES.length);
  t.regex(index.text, /flexlab scenarios\s+PASSED/);

  const r = byName('dpd-wan-loss')!;
  const file = path.join(scenarioPageDir(path.join(dirs.outDir, 'run'), r), 'index.html');
  const html = readFileSync(file, 'utf8');
  t.false(/(src|href)="https?:/.test(html), 'no link to the network');
  const page = await withPage(file, async (p, seen) => ({
    ...seen,
    title: await p.title(),
    ready: await p.locator('body').getAttribute('data-ready'),
    badge: await p.locator('header .badge').first().innerText(),
    nodes: await p.locator('svg.topology g.node').count(),
    faultyLinks: await p.locator('svg.topology line.faulty').count(),
    ladders: await p.locator('svg.ladder').count(),
    arrows: await p.locator('svg.ladder g.msg').count(),
    lost: await p.locator('svg.ladder g.msg.lost').count(),
    faultBands: await p.locator('svg.timeline rect.fault').count(),
    snapshots: await p.locator('details.snapshot').count(),
    pcapLinks: await p.locator('a[href$=".pcapng"]').count(),
    failures: await p.locator('#failures').count(),
    closedText: await p.locator('main').innerText(),
    // The SA tables are folded; the page's own button opens every section.
    text: await p.locator('#expand-all').click().then(() => p.locator('main').innerText()),
    ladderBox: await p.locator('svg.ladder').first().boundingBox(),
  }));
  t.deepEqual(page.errors, []);
  t.deepEqual(page.requests, []);
  t.is(page.ready, '1', 'the inline script ran');
  t.is(page.title, 'dpd-wan-loss: passed');
  t.is(page.badge, 'PASSED');
  t.is(page.nodes, 7);
  t.is(page.faultyLinks, 1, 'the blackholed link is drawn as faulty');
  t.true(page.ladders >= 2, `${page.ladders} ladders`);
  t.true(page.arrows >= 8);
  t.true(page.lost >= 2, 'the unanswered liveness checks are drawn lost');
  t.is(page.faultBands, 1);
  t.true(page.snapshots >= 4, 'SA tables before and after the fault and its restore');
  t.true(page.pcapLinks >= 1);
  t.is(page.failures, 0);
  t.true((page.ladderBox?.height ?? 0) > 100, 'the ladder has a size on screen');
  t.regex(page.text, /IKE_SA_INIT request #0/);
  t.notRegex(page.closedText, /Encr: AES-CBC/);
  t.regex(page.text, /hub# show crypto ikev2 sa detail/);
  t.regex(page.text, /Encr: AES-CBC, keysize: 256, PRF: SHA512, Hash: SHA512, DH Grp:5/);
});

test('FlexVPN client: the failover follows the gateway list within the DPD bound, and the report tells it step by step', async (t) => {
  const r = byName('client-backup-list')!;
  const interval = 1000, retries = 3;
  const chosen = r.events.filter((e) => e.node === 'client' && e.type === 'client-peer-selected' && e.time <= r.t0 + r.steps.at(-1)!.end!).map((e) => String(e.data?.['address']));
  t.deepEqual(chosen, ['198.51.100.1', '198.51.100.17', '198.51.100.33', '198.51.100.49'], 'hub1 -> hub2 -> hub3 (downloaded) -> hub4');
  for (const f of r.faults) {
    const trigger = r.events.find((e) => e.node === 'client' && e.type === 'client-trigger' && e.time >= r.t0 + f.from);
    const detect = trigger!.time - (r.t0 + f.from);
    t.log(`${f.title}: client moved on ${(detect / 1000).toFixed(2)} s after the fault (bound interval x (retries + 1) + 0.5 s = ${(interval * (retries + 1) + 500) / 1000} s)`);
    t.true(detect <= interval * (retries + 1) + 500, `${detect} ms`);
  }
  const file = path.join(scenarioPageDir(path.join(dirs.outDir, 'run'), r), 'index.html');
  const page = await withPage(file, async (p, seen) => ({
    ...seen,
    story: await p.locator('table.story tbody tr').allInnerTexts(),
    glyphs: await p.locator('svg.timeline text.ev').allTextContents(),
  }));
  t.deepEqual(page.errors, []);
  const story = page.story.join('\n');
  t.regex(story, /fault\s+blackhole on hub1[\s\S]*trigger\s+flex: peer 1 hub1 \(198\.51\.100\.1\) stopped answering liveness checks \(DPD\)[\s\S]*peer selected\s+flex: peer 198\.51\.100\.17 \(downloaded\) selected/);
  t.regex(story, /gateway list\s+flex: every peer of the list downloaded from hub1 \(198\.51\.100\.17, 198\.51\.100\.33\) failed: the downloaded list is deleted/);
  // Each mark is its glyph after a <title> with the event's text.
  t.true(page.glyphs.some((g) => g.endsWith('➜') && /peer 198\.51\.100\.17 \(downloaded\) selected/.test(g)), 'peer selections are marked on the timeline');
  t.true(page.glyphs.some((g) => g.endsWith('!') && /stopped answering liveness checks/.test(g)), 'triggers are marked on the timeline');
});
