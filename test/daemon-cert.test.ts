// Our daemons in a real lab with certificates: RSA hub and spoke1, ECDSA spoke2, AES-GCM for IKE
// and ESP, ECP-384. Tunnels come up, traffic passes both ways, show state says RSA/ECDSA.

import test from 'ava';
import { fixture, isolate, cleanupAll } from './helpers/lab.ts';
import { deploy, destroy, ikeSas, tunnelUp, ping, iperf } from './helpers/ipsec-lab.ts';
import type { Lab } from '../labs/lab.ts';

const dirs = isolate('dcert');
let lab: Lab;

test.before(async () => {
  lab = await deploy(fixture('flexvpn-cert.yaml'), dirs.outDir);
  await Promise.all([tunnelUp(lab, 'spoke1'), tunnelUp(lab, 'spoke2')]);
});

test.after.always(async () => {
  if (lab) await destroy(lab);
  await cleanupAll(dirs);
});

test.serial('certificate authentication (RSA and ECDSA) with AES-GCM carries ping and TCP both ways', async (t) => {
  const hub = await ikeSas(lab, 'hub');
  const s1 = hub.find((s) => s.remoteId === 'spoke1.flexlab.test')!;
  const s2 = hub.find((s) => s.remoteId === 'spoke2.flexlab.test')!;
  t.is(s1.authSign, 'RSA');
  t.is(s1.authVerify, 'RSA');
  t.is(s2.authVerify, 'ECDSA');
  t.is(s1.encr, 'AES-GCM');
  t.is(s1.keysize, 256);
  t.is(s1.prf, 'SHA384');
  t.is(s1.dhGroup, 20);
  t.is(s1.children[0]!.suite, 'esp-gcm 256');
  for (const [from, to] of [['host1', '192.168.10.10'], ['hub-host', '172.16.2.10'], ['host2', '172.16.1.10']] as const) {
    t.is((await ping(lab, from, to, 3)).received, 3, `${from} -> ${to}`);
  }
  t.true(await iperf(lab, 'host2', 'hub-host', '192.168.10.10', 1) > 1);
  const [spoke2] = await ikeSas(lab, 'spoke2');
  t.is(spoke2!.authSign, 'ECDSA');
  t.is(spoke2!.authVerify, 'RSA');
});
