// The freeradius kind: FreeRADIUS 3.2 in a node, configured from the topology. A NAS host
// authenticates users with radtest (PAP, MS-CHAP) and gets Access-Accept with the configured reply
// attributes (Cisco AV-pairs, Framed-IP-Address), a rejected user gets Access-Reject with its
// Reply-Message, and an Accounting-Request lands in the detail log. Plus the generated files.

import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, isolate, cleanupAll } from './helpers/lab.ts';
import { deploy, destroy } from './helpers/ipsec-lab.ts';
import type { Lab } from '../labs/lab.ts';
import { freeradiusPaths } from '../labs/kinds/freeradius.ts';
import { parseDetail, renderUsers } from '../interop/freeradius/config.ts';
import { parseTopology } from '../labs/topology/load.ts';
import { TopologyError } from '../labs/topology/diagnostics.ts';

const dirs = isolate('frad');
let lab: Lab;

test.before(async () => {
  lab = await deploy(fixture('freeradius.yaml'), dirs.outDir, { name: `frad${process.pid % 10000}` });
});

test.after.always(async () => {
  if (lab) await destroy(lab);
  await cleanupAll(dirs);
});

const radtest = (type: string, user: string, pass: string, secret = 'pr-radius-secret') =>
  lab.run('nas', ['radtest', '-t', type, user, pass, '198.19.0.2', '0', secret], { timeoutMs: 30_000 });

test.serial('MS-CHAP user: Access-Accept with both Cisco AV-pairs and Session-Timeout', async (t) => {
  const r = await radtest('mschap', 'carol', 'carol-pass-123');
  t.regex(r.stdout, /Received Access-Accept/, r.stdout + r.stderr);
  t.regex(r.stdout, /Cisco-AVPair = "ipsec:route-set=prefix 10\.10\.0\.0\/16"/);
  t.regex(r.stdout, /Cisco-AVPair = "ip:interface-config=ip mtu 1400"/);
  t.regex(r.stdout, /Session-Timeout = 3600/);
  t.regex(r.stdout, /MS-CHAP-MPPE-Keys/, 'MS-CHAP really ran (MPPE keys in the reply)');
});

test.serial('PAP user: Access-Accept with Framed-IP-Address; wrong password and rejected user: Access-Reject', async (t) => {
  const ok = await radtest('pap', 'dave', 'dave-pass-456');
  t.regex(ok.stdout, /Received Access-Accept/, ok.stdout + ok.stderr);
  t.regex(ok.stdout, /Framed-IP-Address = 10\.0\.0\.42/);
  const wrong = await radtest('pap', 'dave', 'not-his-password');
  t.regex(wrong.stdout, /Received Access-Reject/);
  const mallory = await radtest('pap', 'mallory', 'whatever');
  t.regex(mallory.stdout, /Received Access-Reject/);
  t.regex(mallory.stdout, /Reply-Message = "go away"/);
  // A NAS with the wrong secret gets no answer at all (the server drops it).
  const badSecret = await lab.run('nas', ['radtest', '-t', 'pap', '-r', '1', 'dave', 'dave-pass-456', '198.19.0.2', '0', 'wrong-secret'], { timeoutMs: 30_000 });
  t.notRegex(badSecret.stdout, /Received Access-Accept/);
});

test.serial('an Accounting-Request Start is acknowledged and written to the detail log', async (t) => {
  const req = 'User-Name = "carol"\nAcct-Status-Type = Start\nAcct-Session-Id = "0000002A"\nFramed-IP-Address = 10.0.0.5\n';
  const r = await lab.run('nas', ['radclient', '-x', '198.19.0.2:1813', 'acct', 'pr-radius-secret'], { input: req, timeoutMs: 30_000 });
  t.regex(r.stdout, /Received Accounting-Response/, r.stdout + r.stderr);
  const p = freeradiusPaths(lab.state.dir, lab.outDir, 'radius');
  t.true(existsSync(p.detail));
  const recs = parseDetail(readFileSync(p.detail, 'utf8'));
  const start = recs.find((x) => x.attributes['Acct-Session-Id']?.[0] === '0000002A');
  t.truthy(start, 'the record is in the detail file');
  t.deepEqual(start!.attributes['Acct-Status-Type'], ['Start']);
  t.deepEqual(start!.attributes['Framed-IP-Address'], ['10.0.0.5']);
  t.regex(readFileSync(path.join(lab.outDir, 'logs', 'radius.freeradius.log'), 'utf8'), /Ready to process requests/);
});

test('users file: check items on the first line, every reply value on its own line, quotes escaped', (t) => {
  const text = renderUsers({
    clients: [{ address: '127.0.0.1', secret: 's' }],
    users: [{ name: 'u1', password: 'p"w', check: { 'NAS-IP-Address': '10.0.0.1' }, reply: { 'Cisco-AVPair': ['a=1', 'b=2'], 'Session-Timeout': 60 } }],
  });
  t.true(text.includes('u1\tCleartext-Password := "p\\"w", NAS-IP-Address := "10.0.0.1"\n\tCisco-AVPair += "a=1",\n\tCisco-AVPair += "b=2",\n\tSession-Timeout += "60"\n'), text);
});

test('config errors are located in the topology file', (t) => {
  const yaml = [
    'name: badrad',
    'topology:',
    '  nodes:',
    '    r:',
    '      kind: freeradius',
    '      config:',
    '        clients: [{ address: 10.0.0.1 }]',
    '        users: [{ name: a, password: x }, { name: a, password: y }]',
  ].join('\n');
  const e = t.throws(() => parseTopology(yaml, 'bad.yaml'), { instanceOf: TopologyError });
  t.regex(e!.message, /bad\.yaml:7:\d+: .*clients\[0\].*secret/);
});
