// JUnit XML from scenario results validates against the Apache Ant JUnit schema CI systems read
// (test/fixtures/junit/JUnit.xsd, checked with xmllint): passes, failures with their evidence,
// errors, and text that needs escaping.

import test from 'ava';
import { junitXml, xmlEscape } from '../reports/junit.ts';
import type { ScenarioResult } from '../scenarios/runner.ts';
import type { SuiteResult } from '../scenarios/suite.ts';
import { validateJunit } from './helpers/junit.ts';

function result(id: string, status: ScenarioResult['status'], extra: Partial<ScenarioResult> = {}): ScenarioResult {
  return {
    name: id, id, file: `/x/${id}.yaml`, features: [], topologyFile: '/x/t.yaml', labName: `${id}-0001`,
    lab: { name: 'l', nodes: [], links: [] }, outDir: `/out/${id}`, status, startedAt: '2026-01-02T03:04:05.678Z', t0: 0,
    deployMs: 1000, durationMs: 12_345, snapshots: [], flows: [], faults: [], captures: [], keyFiles: [], eventFiles: [], logFiles: [],
    events: [], kept: false,
    steps: [
      { index: 0, kind: 'expect:ike-sa', title: 'spoke1 has an IKE SA', where: `scenarios/${id}.yaml:12`, status: 'passed', start: 10, end: 20, message: 'ok' },
      ...(status === 'failed' ? [{
        index: 1, name: 'dead', kind: 'expect:events', title: 'events dpd-timeout <& "quoted"> \u0007bell', where: `scenarios/${id}.yaml:20`,
        status: 'failed' as const, start: 30, end: 8030, expected: 'dpd-timeout@spoke1 (not after +8.50 s)', seen: 'no dpd-timeout & nothing else < >',
        look: ['/out/x/events/spoke1.jsonl'], message: 'expected dpd-timeout; seen nothing',
      }] : []),
    ],
    ...extra,
  };
}

test('a suite with a pass, a failure (special characters included) and an error validates', async (t) => {
  const suite: SuiteResult = {
    startedAt: '2026-01-02T03:04:05.678Z', durationMs: 30_000, passed: 1, failed: 2,
    results: [result('ok-one', 'passed'), result('bad-one', 'failed'), result('broken-one', 'error', { error: 'deploy failed: <ip> "netns" & more' })],
  };
  const xml = junitXml(suite);
  const v = await validateJunit(xml);
  t.true(v.ok, v.output);
  t.regex(xml, /<testsuite package="flexlab\.scenarios" id="0" name="flexlab scenarios" timestamp="2026-01-02T03:04:05" hostname="[^"]+" tests="3" failures="1" errors="1" time="30\.000">/);
  t.regex(xml, /<testcase name="ok-one" classname="scenarios\.ok-one" time="12\.345"\/>/);
  t.regex(xml, /<failure message="expected dpd-timeout; seen nothing" type="ExpectationFailed">step 2 "dead" at scenarios\/bad-one\.yaml:20/);
  t.regex(xml, /  expected: dpd-timeout@spoke1 \(not after \+8\.50 s\)\n  seen: {5}no dpd-timeout &amp; nothing else &lt; &gt;\n  look at: {2}\/out\/x\/events\/spoke1\.jsonl/);
  t.regex(xml, /<error message="deploy failed: &lt;ip&gt; &quot;netns&quot; &amp; more" type="ScenarioError">/);
  t.false(xml.includes('\u0007'), 'characters XML cannot carry are dropped');
});

test('the schema check is real: a report missing what the schema requires does not validate', async (t) => {
  const bad = junitXml({ startedAt: '2026-01-02T03:04:05.678Z', durationMs: 1, passed: 1, failed: 0, results: [result('a', 'passed')] }).replace(/ hostname="[^"]*"/, '');
  const v = await validateJunit(bad);
  t.false(v.ok);
  t.regex(v.output, /hostname/);
});

test('xmlEscape', (t) => {
  t.is(xmlEscape(`<a href="x">&'</a>\u0000`), '&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
});
