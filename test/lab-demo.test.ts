// `flexlab demo` (what `make demo` runs): deploys the FlexVPN hub-spoke lab, shows its SAs, proves
// traffic crosses the tunnels (pings, iperf3, the decrypted WAN capture), destroys it, leaves nothing.

import test from 'ava';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { cleanupAll, cli, isolate, snapshot } from './helpers/lab.ts';

const dirs = isolate('lab-demo');
test.after.always(() => cleanupAll(dirs));

test('the demo runs its steps, proves traffic crosses the lab, and leaves the host as before', async (t) => {
  const before = await snapshot(['demo']);
  const r = await cli(['demo', '--out', path.join(dirs.outDir, 'demo')], { timeoutMs: 120_000 });
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /== 1\/7 {2}deploy topologies\/hub-spoke\.yaml as lab "demo"/);
  t.regex(r.stdout, /NODE\s+KIND\s+NAMESPACE/);
  t.regex(r.stdout, /ok {3}spoke1: IKE SA and CHILD SA established/);
  t.regex(r.stdout, /Encr: AES-CBC, keysize: 256, PRF: SHA512, Hash: SHA512, DH Grp:5, Auth sign: PSK, Auth verify: PSK/);
  t.regex(r.stdout, /Session status: UP-ACTIVE/);
  t.regex(r.stdout, /ok {3}host1 -> hub-host \(192\.168\.10\.10\), spoke1 LAN to hub LAN: 3\/3 replies/);
  t.regex(r.stdout, /ok {3}host1 -> host2 \(172\.16\.2\.10\), spoke1 LAN to spoke2 LAN, through the hub: 3\/3 replies/);
  t.regex(r.stdout, /ok {3}TCP host1 -> hub-host through the tunnel \(iperf3, 3 s\): \d+ Mbit\/s/);
  t.regex(r.stdout, /ok {3}(\d+) ICMP echo requests found inside ESP on hub-eth1--wan-eth1/);
  t.regex(r.stdout, /lab "demo" destroyed: 7 namespaces, 6 links/);
  t.regex(r.stdout, /dpd-wan-loss +PASS/);
  t.regex(r.stdout, /HTML report: .*scenario\/index\.html/);
  t.regex(r.stdout, /\ndemo ok\n$/);
  t.deepEqual(await snapshot(['demo']), before);
  t.true(existsSync(path.join(dirs.outDir, 'demo', 'captures', 'hub-eth1--wan-eth1.pcapng')));
});
