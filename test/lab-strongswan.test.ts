// The strongswan kind in a lab: charon starts under the supervisor with its private /run and vici
// socket, `flexlab show charon ikev2 sa|ipsec sa|session [--json]` reads its SAs in the same shape
// as our daemon's, charon's log is in the lab output, and destroy stops it (SIGTERM, waited for)
// and leaves key tables from its level-4 log that decrypt the capture.

import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, isolate, cleanupAll, cli } from './helpers/lab.ts';
import { deploy, ctl, ikeSas, tunnelUp, waitFor } from './helpers/ipsec-lab.ts';
import { destroyLab } from '../labs/lab.ts';
import type { Lab } from '../labs/lab.ts';
import type { SessionView } from '../reports/show.ts';
import { labStrongswanPaths, strongswanSessions } from '../interop/strongswan/sessions.ts';
import { charonPid } from '../interop/strongswan/charon.ts';
import { judgeCapture } from '../interop/judge.ts';
import { readKeyTables } from '../interop/tshark.ts';

const dirs = isolate('ssw');
const name = `ssw${process.pid % 10000}`;
let lab: Lab | undefined;

test.after.always(async () => {
  if (lab) await destroyLab(lab.name).catch(() => {});
  await cleanupAll(dirs);
});

test.serial('charon runs in its node, our spoke reaches it, show reads both sides alike, destroy stops charon and leaves its key tables', async (t) => {
  lab = await deploy(fixture('strongswan-psk.yaml'), dirs.outDir, { name, capture: true });
  const paths = labStrongswanPaths(lab, 'charon');
  const pid = charonPid(paths);
  t.truthy(pid, 'charon wrote its pid file into its private /run');
  t.false(existsSync('/run/charon.pid') && readFileSync('/run/charon.pid', 'utf8').trim() === String(pid), 'the host /run is untouched');
  await ctl(lab, 'ours', 'initiate');
  // Our spoke's tunnel interface and routes are configured just after the CHILD SA is installed.
  await tunnelUp(lab, 'ours', 15_000);
  const [charonSa] = await waitFor('the SA on charon', async () => {
    const s = await strongswanSessions(lab!, 'charon');
    return s.some((x) => x.status === 'READY' && x.children.length) ? s : undefined;
  }, 15_000);
  const ping = await lab.run('lan1', ['ping', '-n', '-c', '3', '-i', '0.2', '-W', '1', '10.2.0.10'], { timeoutMs: 20_000 });
  t.regex(ping.stdout, /3 received/);
  const [oursSa] = await ikeSas(lab, 'ours');
  t.is(charonSa!.spiI, oursSa!.spiI);
  t.is(charonSa!.children[0]!.spiIn, oursSa!.children[0]!.spiOut);

  const text = await cli(['show', '--name', name, 'charon', 'crypto', 'ikev2', 'sa', 'detail'], { stateDir: dirs.stateDir });
  t.is(text.code, 0, text.stderr);
  t.regex(text.stdout, /Encr: AES-CBC, keysize: 256, PRF: SHA256, Hash: SHA256, DH Grp:14, Auth sign: PSK, Auth verify: PSK/);
  t.regex(text.stdout, /Remote id: ours\.flexlab\.test/);
  const json = await cli(['show', '--name', name, 'charon', 'ipsec', 'sa', '--json'], { stateDir: dirs.stateDir });
  const children = JSON.parse(json.stdout) as SessionView['children'];
  t.is(children.length, 1);
  t.is(children[0]!.suite, 'esp-aes 256 esp-sha256-hmac');
  t.true(children[0]!.counters!.packetsIn >= 3);
  const session = await cli(['show', '--name', name, 'charon', 'session', 'detail'], { stateDir: dirs.stateDir });
  t.regex(session.stdout, /Session status: UP-ACTIVE/);
  t.regex(readFileSync(paths.log, 'utf8'), /CHILD_SA net\{1\} established/, 'charon logs into the lab output');

  await destroyLab(name);
  const outDir = lab.outDir;
  lab = undefined;
  t.false(existsSync(`/proc/${pid}`), 'charon exited');
  const tables = readKeyTables(paths.keyDir);
  t.is(tables.ikev2.length, 1);
  t.is(tables.esp.length, 2);
  const cap = path.join(outDir, 'captures', 'ours-eth1--mid-eth1.pcapng');
  const v = await judgeCapture(cap, tables);
  t.deepEqual(v.problems, [], 'charon\'s own key tables decrypt the capture');
  t.true(v.counts.esp >= 6 && v.counts.protectedIke >= 2);
});
