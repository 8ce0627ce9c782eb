// `flexlab demo` (what `make demo` runs): deploys hub-spoke, shows it, proves traffic crosses the
// WAN router (pings and the WAN capture), destroys it, and leaves nothing.

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
  t.regex(r.stdout, /== 1\/4 {2}deploy topologies\/hub-spoke\.yaml as lab "demo"/);
  t.regex(r.stdout, /NODE\s+KIND\s+NAMESPACE/);
  t.regex(r.stdout, /ok {3}host1 -> hub-host \(192\.168\.10\.10\), spoke1 LAN to hub LAN, IPv4: 3\/3 replies/);
  t.regex(r.stdout, /ok {3}host1 -> hub-host \(2001:db8:10::10\), spoke1 LAN to hub LAN, IPv6: 3\/3 replies/);
  t.regex(r.stdout, /ok {3}9 echo requests crossed the WAN link hub-eth1--wan-eth1/);
  t.regex(r.stdout, /lab "demo" destroyed: 7 namespaces, 6 links/);
  t.regex(r.stdout, /\ndemo ok\n$/);
  t.deepEqual(await snapshot(['demo']), before);
  t.true(existsSync(path.join(dirs.outDir, 'demo', 'captures', 'hub-eth1--wan-eth1.pcapng')));
});
