// Scenario files: the library loads; a bad file is answered with file:line:col, the JSON path and
// what was expected, every problem at once, before anything runs; ${vars} and durations work.

import test from 'ava';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile, parseScenario, ScenarioError } from '../scenarios/load.ts';
import { evalExpr, parseDuration, substitute } from '../scenarios/values.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const here = path.join(ROOT, 'scenarios', 'test-inline.yaml');

/** Parses `text` as if it were scenarios/test-inline.yaml and returns the error message. */
function errorOf(text: string): string {
  try {
    parseScenario(text, here);
  } catch (e) {
    if (e instanceof ScenarioError) return e.message;
    throw e;
  }
  throw new Error('expected a ScenarioError');
}

const HEAD = `name: t
topology: ../topologies/flexvpn-psk.yaml
steps:
`;

test('every library scenario loads, names its seed features, and uses a topology under topologies/', (t) => {
  const files = readdirSync(path.join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml'));
  t.true(files.length >= 10, `library: ${files.join(', ')}`);
  for (const f of files) {
    const sc = loadScenarioFile(path.join(ROOT, 'scenarios', f));
    t.true(sc.features.length > 0, `${f} lists its seed features`);
    t.true(sc.steps.length > 0);
    t.true(sc.topologyFile.includes(`${path.sep}topologies${path.sep}`) || sc.topologyFile === sc.file, `${f}: ${sc.topologyFile}`);
  }
});

test('YAML syntax errors and duplicate keys are located', (t) => {
  t.regex(errorOf(`${HEAD}  - expect: { ike-sa: { node: hub }\n`), /scenarios\/test-inline\.yaml:5:1: YAML syntax: Flow map .* must .* end with a \}/);
  const m = errorOf(`${HEAD}  - wait: 1s\n    wait: 2s\n`);
  t.regex(m, /test-inline\.yaml:5:5: steps\[0\]\.wait: duplicate key "wait" \(first defined on line 4\)/);
});

test('unknown keys get a did-you-mean, at the line of the key', (t) => {
  const m = errorOf(`${HEAD}  - name: a\n    blackhole: { link: spoke1--wan }\n  - expect: { ike-sa: { node: hub, cuont: 2 } }\n  - expect: { ike_sa: { node: hub } }\n`);
  t.regex(m, /test-inline\.yaml:6:36: steps\[1\]\.expect\.ike-sa\.cuont: unknown key "cuont" \(did you mean "count"\?\)/);
  t.regex(m, /test-inline\.yaml:7:15: steps\[2\]\.expect\.ike_sa: unknown key "ike_sa" \(did you mean "ike-sa"\?\)/);
  t.regex(m, /2 errors in scenario; nothing was run/);
});

test('nodes, links, step and flow names must exist; one action per step', (t) => {
  const m = errorOf(`${HEAD}  - blackhole: { link: spoke9--wan }
  - expect: { ike-sa: { node: spoke3 } }
  - restore: nothing
  - stop-traffic: lan
  - wait: 1s
    note: two things
  - expect: { counter: { node: hub, name: child.packetsIn, since: later, at-least: 1 } }
  - name: later
    note: x
`);
  t.regex(m, /:4:\d+: steps\[0\]\.blackhole\.link: lab "flexvpn-psk" has no link "spoke9--wan"/);
  t.regex(m, /:5:\d+: steps\[1\]\.expect\.ike-sa\.node: lab "flexvpn-psk" has no node "spoke3" \(did you mean "spoke1"\?\)/);
  t.regex(m, /:6:\d+: steps\[2\]\.restore: no step named "nothing" before this one/);
  t.regex(m, /:7:\d+: steps\[3\]\.stop-traffic: no traffic flow "lan" is started before this step/);
  t.regex(m, /:8:\d+: steps\[4\]: a step does one thing; this one has "wait" and "note"/);
  t.regex(m, /:10:\d+: .*since: no step named "later" before this one/);
});

test('vars: an unknown variable is reported where it is used, before anything else', (t) => {
  const m = errorOf(`name: t
topology: ../topologies/flexvpn-psk.yaml
vars: { interval: 2 }
steps:
  - expect: { events: { node: hub, sequence: [{ type: dpd-timeout, not-after: "\${interval * retries}s" }] } }
`);
  t.regex(m, /test-inline\.yaml:5:79: steps\[0\]\.expect\.events\.sequence\[0\]\.not-after: in \$\{interval \* retries\}: unknown variable "retries" \(vars: interval\)/);
  t.regex(m, /1 error in scenario/);
});

test('durations, percentages and timing keys: errors say what was expected', (t) => {
  const m = errorOf(`${HEAD}  - wait: 2 hours
  - loss: { link: hub--wan, percent: 150 }
  - wait: 1s
    within: 2s
  - expect: { reach: { from: host1, to: hub-host } }
    at: never+1s
`);
  t.regex(m, /:4:11: steps\[0\]\.wait: "2 hours" is not a duration \(write 2s, 500ms, 1\.5m or a number of seconds\)/);
  t.regex(m, /:5:\d+: steps\[1\]\.loss\.percent: loss must be above 0 and at most 100 %, got 150/);
  t.regex(m, /:7:5: steps\[2\]\.within: "within" applies to expectations; this step is an action \(wait\)/);
  t.regex(m, /:9:\d+: steps\[3\]\.at: no step named "never" before this one/);
});

test('an inline topology is validated and its errors point into the scenario file', (t) => {
  const m = errorOf(`name: t
topology:
  topology:
    nodes:
      a: { kind: host, interfaces: { eth1: { ipv4: 10.0.0.1/24 } } }
      b: { kind: hots }
    links:
      - endpoints: ["a:eth1", "c:eth1"]
steps:
  - note: hi
`);
  t.regex(m, /test-inline\.yaml:6:\d+: topology\.topology\.nodes\.b\.kind: unknown kind "hots" \(did you mean "host"\?\)/);
  t.regex(m, /test-inline\.yaml:8:\d+: topology\.topology\.links\[0\]\.endpoints\[1\]: .*"c"/);
});

test('a scenario with an inline topology loads; vars become numbers and durations milliseconds', (t) => {
  const sc = parseScenario(`name: inline
vars: { interval: 2, retries: 3 }
topology:
  topology:
    nodes:
      a: { kind: host, interfaces: { eth1: { ipv4: 10.0.0.1/24 } } }
      b: { kind: host, interfaces: { eth1: { ipv4: 10.0.0.2/24 } } }
    links:
      - endpoints: ["a:eth1", "b:eth1"]
capture: [a--b]
steps:
  - name: first
    note: start
  - expect: { reach: { from: a, to: b, count: "\${retries}" } }
    within: "\${interval * retries + 0.5}s"
  - wait: 250ms
    at: first+1s
`, here);
  t.is(sc.lab.name, 'inline');
  t.deepEqual(sc.capture, ['a-eth1--b-eth1']);
  t.is(sc.steps[1]!.withinMs, 6500);
  t.is(sc.steps[1]!.args['count'], 3);
  t.deepEqual(sc.steps[2]!.at, { ms: 1000, step: 'first' });
  t.is(sc.steps[2]!.args['ms'], 250);
});

test('expressions and durations', (t) => {
  t.is(evalExpr('interval * (retries + 1) - 0.5', { interval: 2, retries: 3 }), 7.5);
  t.is(substitute('${a * 2}s', { a: 1.5 }), '3s');
  t.is(substitute('${a}', { a: 4 }), 4);
  t.throws(() => evalExpr('process.exit()', {}), { message: /unknown variable "process"/ });
  t.is(parseDuration('250ms'), 250);
  t.is(parseDuration(1.5), 1500);
  t.is(parseDuration('1.5m'), 90_000);
  t.regex(String(parseDuration('soon')), /is not a duration/);
});
