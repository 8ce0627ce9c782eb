// The `radius` node kind in a deployed lab: the supervisor runs `flexlab radius-server` in the node;
// FreeRADIUS's radtest/radclient in a NAS stand-in get Access-Accepts with the reply attributes
// (IPv4 and IPv6) and accounting Start/Stop lands in the node's JSON-lines log; `flexlab radius
// disconnect|coa NODE` sent from the radius node is answered by a DAS running in the other node.
// Plus located config errors from the lab loader.

import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deployLab, destroyLab } from '../labs/lab.ts';
import { loadTopologyFile, parseTopology } from '../labs/topology/load.ts';
import { TopologyError } from '../labs/topology/diagnostics.ts';
import { radiusAccountingLog } from '../labs/kinds/radius.ts';
import { readAccountingLog } from '../engine/radius/server/udp.ts';
import { ROOT, cleanupAll, cli, fixture, isolate } from './helpers/lab.ts';

const dirs = isolate('radius-lab');
test.after.always(() => cleanupAll(dirs));

test('radius node: radtest/radclient from the NAS, accounting log, Disconnect and CoA to a DAS', async (t) => {
  const name = 'trad-lab';
  const { lab: model } = loadTopologyFile(fixture('radius-lab.yaml'), { name });
  const outDir = `${dirs.outDir}/${name}`;
  const lab = await deployLab(model, { outDir });
  t.teardown(() => destroyLab(name).catch(() => {}));

  // PAP, the AAA-PSK lookup of R-05: key and AV pairs come back.
  const pap = await lab.run('nas', ['radtest', 'router1', 'cisco', '10.77.0.1', '0', 'lab-radius-key']);
  t.regex(pap.stdout, /Received Access-Accept/, pap.stdout + pap.stderr);
  t.regex(pap.stdout, /Tunnel-Password:0 = "pre_shared_key"/);
  t.regex(pap.stdout, /Cisco-AVPair = "ipsec:route-set=prefix 192.168.1.1\/24"/);
  // Over IPv6, User1 with the domain1 group merged in.
  const v6 = await lab.run('nas', ['radclient', '-x', '[2001:db8:77::1]:1812', 'auth', 'lab-radius-key'], { input: 'User-Name = "User1"\nUser-Password = "User1-pw"\n' });
  t.regex(v6.stdout, /Received Access-Accept/, v6.stdout + v6.stderr);
  t.regex(v6.stdout, /Cisco-AVPair = "ip:interface-config=tunnel key 1"[\s\S]*Session-Timeout = 3600[\s\S]*Framed-IP-Address = 10.0.0.77[\s\S]*Cisco-AVPair = "ip:interface-config=ip mtu 1200"/);
  // EAP-MD5 through radeapclient (User1 lists md5 first).
  const eap = await lab.run('nas', ['radtest', '-t', 'eap-md5', 'User1', 'User1-pw', '10.77.0.1', '0', 'lab-radius-key']);
  t.regex(eap.stdout, /Received Access-Accept/);
  const reject = await lab.run('nas', ['radtest', 'router1', 'wrong', '10.77.0.1', '0', 'lab-radius-key']);
  t.regex(reject.stdout, /Received Access-Reject/);

  // Accounting Start and Stop (R-06 attributes) end up in the node's log.
  const acct = (status: string, extra: string) => lab.run('nas', ['radclient', '10.77.0.1:1813', 'acct', 'lab-radius-key'], {
    input: `Acct-Status-Type = ${status}\nAcct-Session-Id = "00000007"\nUser-Name = "router1.domain1"\nCalling-Station-Id = "172.16.1.1"\nCisco-AVPair = "audit-session-id=AUDIT-LAB-1"\n${extra}`,
  });
  t.regex((await acct('Start', 'Acct-Authentic = Local\n')).stdout, /Received Accounting-Response/);
  t.regex((await acct('Stop', 'Acct-Session-Time = 34\nAcct-Input-Octets = 13020\nAcct-Output-Octets = 17640\nAcct-Input-Packets = 105\nAcct-Output-Packets = 105\n')).stdout, /Received Accounting-Response/);
  const logFile = radiusAccountingLog(outDir, lab.node('radius'))!;
  t.is(logFile, path.join(outDir, 'radius.accounting.jsonl'));
  const records = readAccountingLog(logFile);
  t.deepEqual(records.map((r) => [r.status, r.client, r.acctSessionId, r.auditSessionId]), [
    ['Start', 'nas', '00000007', 'AUDIT-LAB-1'], ['Stop', 'nas', '00000007', 'AUDIT-LAB-1'],
  ]);
  t.like(records[1]!.attributes, { 'Acct-Input-Octets': 13020, 'Acct-Output-Octets': 17640, 'Acct-Session-Time': 34 });

  // A DAS in the NAS node on the port the radius node's dae config names (1700, as in the seed).
  await lab.spawn('nas', 'das', [process.execPath, '--import', 'tsx/esm', path.join(ROOT, 'test/helpers/radius-das.ts'), '10.77.0.2', '1700', '10.77.0.1', 'lab-dae-key', 'AUDIT-LAB-1'],
    { cwd: ROOT, ready: /das listening on/, readyTimeoutMs: 20_000 });
  // Secret and port come from the radius node's config (dae.secret, dae.port).
  const ack = await cli(['radius', 'disconnect', '--name', name, 'radius', '--nas', '10.77.0.2', '--audit-session-id', 'AUDIT-LAB-1']);
  t.is(ack.code, 0, ack.stdout + ack.stderr);
  t.regex(ack.stdout, /^Disconnect-ACK from 10\.77\.0\.2:1700/m);
  const nak = await cli(['radius', 'disconnect', '--name', name, 'radius', '--nas', '10.77.0.2', '--audit-session-id', 'AUDIT-LAB-1-STALE']);
  t.is(nak.code, 2);
  t.regex(nak.stdout, /^Disconnect-NAK from 10\.77\.0\.2:1700 Error-Cause=404 \(Invalid-Request\): Reply-Message="No Matching Session" Error-Cause=Invalid-Request/m);
  const coa = await cli(['radius', 'coa', '--name', name, 'radius', '--nas', '10.77.0.2', '--audit-session-id', 'AUDIT-LAB-1', '--audit-protocol', 'ip',
    '--attr', 'Cisco-AVPair=ip:interface-config=service-policy input Input-QoS-policy-2']);
  t.is(coa.code, 0, coa.stdout + coa.stderr);
  t.regex(coa.stdout, /^CoA-ACK from 10\.77\.0\.2:1700/m);
  const dasLog = readFileSync(path.join(outDir, 'logs', 'nas.das.log'), 'utf8');
  t.deepEqual(dasLog.split('\n').filter((l) => l.startsWith('request ')), [
    'request disconnect audit=AUDIT-LAB-1 user=- changes= -> ACK',
    'request disconnect audit=AUDIT-LAB-1-STALE user=- changes= -> NAK',
    'request coa audit=AUDIT-LAB-1 user=- changes=ip:interface-config=service-policy input Input-QoS-policy-2 -> ACK',
  ]);
  // The server's own log tells what it did.
  const serverLog = readFileSync(path.join(outDir, 'logs', 'radius.radius.log'), 'utf8');
  t.regex(serverLog, /access-accept: Access-Accept to nas for "router1" \(PAP\)/);
  t.regex(serverLog, /access-accept: Access-Accept to nas-v6 for "User1" \(PAP\)/);
  t.regex(serverLog, /access-reject: Access-Reject to nas for "router1": PAP: wrong password/);
});

test('a bad radius config is reported by the loader with file, line and path', (t) => {
  const yaml = [
    'name: radbad',
    'topology:',
    '  nodes:',
    '    rad:',
    '      kind: radius',
    '      config:',
    '        clients:',
    '          - { address: 10.0.0.0/33, secret: k }',
    '        users:',
    '          u1:',
    '            password: p',
    '            groups: [nogroup]',
    '            eap: [tls]',
    '            reply: { Framed-IP-Adress: 1.2.3.4 }',
    '        acounting: true',
    '',
  ].join('\n');
  const err = t.throws(() => parseTopology(yaml, '/tmp/radbad.yaml'), { instanceOf: TopologyError });
  const lines = err.message.split('\n').filter((l) => l.startsWith('/tmp/radbad.yaml') || l.startsWith('radbad.yaml') || /radbad\.yaml:\d+/.test(l));
  const text = lines.join('\n');
  t.regex(text, /radbad\.yaml:13:\d+: topology\.nodes\.rad\.config\.users\.u1\.eap\[0\]/);
  t.regex(text, /radbad\.yaml:15:\d+: topology\.nodes\.rad\.config\.acounting: unknown key "acounting" \(did you mean "accounting"\?\)/);
  // The semantic checks come once the schema is satisfied.
  const fixed = yaml.replace('eap: [tls]', 'eap: [md5]').replace('        acounting: true\n', '');
  const err2 = t.throws(() => parseTopology(fixed, '/tmp/radbad.yaml'), { instanceOf: TopologyError });
  t.regex(err2.message, /radbad\.yaml:8:\d+: topology\.nodes\.rad\.config\.clients\[0\]\.address: "10\.0\.0\.0\/33" is not an IP address or prefix/);
  t.regex(err2.message, /radbad\.yaml:12:\d+: topology\.nodes\.rad\.config\.users\.u1\.groups\[0\]: group "nogroup" is not defined under groups/);
  t.regex(err2.message, /radbad\.yaml:14:\d+: topology\.nodes\.rad\.config\.users\.u1\.reply\.Framed-IP-Adress: unknown RADIUS attribute "Framed-IP-Adress" \(did you mean "Framed-IP-Address"\?\)/);
});
