// The built-in server and the DAS on real UDP sockets (loopback only), against FreeRADIUS's own
// clients: radtest (PAP, CHAP, MS-CHAP, EAP-MD5 through radeapclient) checks our Access-Accept,
// its Message-Authenticator and the hidden Tunnel-Password; radclient sends accounting that lands in
// the JSON-lines log, and Disconnect/CoA requests that our DAS answers (radclient verifies our
// Response Authenticator). `flexlab radius disconnect` talks to the same DAS.

import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '../labs/command.ts';
import { resolveServerConfig } from '../engine/radius/server/config.ts';
import { runRadiusServer } from '../engine/radius/server/udp.ts';
import type { RunningRadiusServer } from '../engine/radius/server/udp.ts';
import { DynamicAuthServer, IOS_NO_MATCHING_SESSION } from '../engine/radius/das.ts';
import type { DaeAction } from '../engine/radius/das.ts';
import { UdpShell, radiusRequest } from '../engine/radius/udp.ts';
import { RadiusCode } from '../engine/radius/constants.ts';
import { getText } from '../engine/radius/attributes.ts';
import { CLI } from './helpers/lab.ts';

const SECRET = 'udp-test-secret';
const dir = mkdtempSync(path.join(tmpdir(), 'flexlab-radius-udp-'));
const acctLog = path.join(dir, 'accounting.jsonl');
let server: RunningRadiusServer;
let auth = 0, acct = 0;
const logLines: string[] = [];

test.before(async () => {
  server = await runRadiusServer(resolveServerConfig({
    clients: [{ address: '127.0.0.0/8', secret: SECRET }],
    users: {
      alice: { password: 'alice-pw', groups: ['staff'], eap: ['md5', 'mschapv2'], reply: { 'Framed-IP-Address': '10.9.9.9', 'Cisco-AVPair': ['ipsec:route-set=prefix 192.168.1.1/24'] } },
      router1: { password: 'cisco', reply: { 'Tunnel-Password': 'pre_shared_key', 'Cisco-AVPair': 'ipsec:route-accept=any' } },
    },
    groups: { staff: { reply: { 'Cisco-AVPair': 'ipsec:dns-servers=10.0.0.53', 'Session-Timeout': 3600 } } },
    listen: '127.0.0.1', 'auth-port': 0 as unknown as number, 'acct-port': 0 as unknown as number,
    accounting: { log: acctLog },
  }), { log: (l) => logLines.push(l) });
  [auth, acct] = server.endpoints.map((e) => e.port) as [number, number];
});

test.after.always(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const radtest = (args: string[]) => run(['radtest', ...args], { timeoutMs: 20_000 });

test('radtest PAP: Access-Accept with the group and user reply attributes', async (t) => {
  const r = await radtest(['alice', 'alice-pw', `127.0.0.1:${auth}`, '0', SECRET]);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /Received Access-Accept/);
  t.regex(r.stdout, /Cisco-AVPair = "ipsec:dns-servers=10.0.0.53"/);
  t.regex(r.stdout, /Session-Timeout = 3600/);
  t.regex(r.stdout, /Framed-IP-Address = 10.9.9.9/);
  t.regex(r.stdout, /Cisco-AVPair = "ipsec:route-set=prefix 192.168.1.1\/24"/);
  const bad = await radtest(['alice', 'wrong', `127.0.0.1:${auth}`, '0', SECRET]);
  t.regex(bad.stdout, /Received Access-Reject/);
});

test('radtest reveals our Tunnel-Password (RFC 2868 salt encryption) as the AAA-PSK of R-05', async (t) => {
  const r = await radtest(['router1', 'cisco', `127.0.0.1:${auth}`, '0', SECRET]);
  t.regex(r.stdout, /Received Access-Accept/);
  t.regex(r.stdout, /Tunnel-Password:0 = "pre_shared_key"/);
});

test('radtest CHAP and MS-CHAP; radeapclient EAP-MD5 (proposed first: the user lists md5 first)', async (t) => {
  for (const type of ['chap', 'mschap', 'eap-md5']) {
    const ok = await radtest(['-t', type, 'alice', 'alice-pw', `127.0.0.1:${auth}`, '0', SECRET]);
    t.regex(ok.stdout, /Received Access-Accept/, `${type}: ${ok.stdout}${ok.stderr}`);
    const bad = await radtest(['-t', type, 'alice', 'wrong', `127.0.0.1:${auth}`, '0', SECRET]);
    t.regex(bad.stdout, /Received Access-Reject/, `${type} with a wrong password`);
  }
});

test('a wrong secret gets no answer at all (radclient: no reply)', async (t) => {
  const r = await run(['radclient', '-x', '-r', '1', '-t', '1', `127.0.0.1:${auth}`, 'auth', 'wrong-secret'], { input: 'User-Name = "alice"\nUser-Password = "alice-pw"\nMessage-Authenticator = 0x00\n', timeoutMs: 10_000 });
  t.regex(r.stdout + r.stderr, /No reply from server/);
  t.true((server.core.counters.get('drop.bad-message-authenticator') ?? 0) >= 1);
});

test('radclient accounting Start/Stop is answered and lands in the JSON-lines log', async (t) => {
  const send = (status: string, extra = '') => run(['radclient', `127.0.0.1:${acct}`, 'acct', SECRET], {
    input: `User-Name = "router1.domain1"\nAcct-Status-Type = ${status}\nAcct-Session-Id = "udp-0007"\nCisco-AVPair = "audit-session-id=UDPTEST1"\n${extra}`, timeoutMs: 10_000,
  });
  t.regex((await send('Start')).stdout, /Received Accounting-Response/);
  t.regex((await send('Stop', 'Acct-Session-Time = 34\nAcct-Input-Octets = 13020\nAcct-Output-Octets = 17640\n')).stdout, /Received Accounting-Response/);
  const records = readFileSync(acctLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r['acctSessionId'] === 'udp-0007');
  t.deepEqual(records.map((r) => [r['status'], r['userName'], r['auditSessionId']]), [['Start', 'router1.domain1', 'UDPTEST1'], ['Stop', 'router1.domain1', 'UDPTEST1']]);
  t.is((records[1]!['attributes'] as Record<string, unknown>)['Acct-Output-Octets'], 17640);
});

test('our client against our server over UDP: Status-Server and an Access-Request', async (t) => {
  const opts = { servers: [{ address: '127.0.0.1', authPort: auth, acctPort: acct, secret: SECRET }], timeoutMs: 1000, retries: 1 };
  const r = await radiusRequest(opts, { code: RadiusCode.AccessRequest, attributes: [{ name: 'User-Name', value: 'alice' }, { name: 'User-Password', value: 'alice-pw' }] });
  t.is(r.type, 'response');
  if (r.type === 'response') t.is(getText(r.response.attributes, 'Framed-IP-Address'), '10.9.9.9');
  const s = await radiusRequest(opts, { code: RadiusCode.StatusServer, attributes: [] });
  t.is(s.type === 'response' ? s.response.code : undefined, RadiusCode.AccessAccept);
});

/** A DAS on loopback that ACKs sessions it knows (by User-Name or audit-session-id) and NAKs the rest the IOS way. */
async function startDas(known: { user?: string; audit?: string }[]) {
  const das = new DynamicAuthServer({ clients: [{ address: '127.0.0.1', secret: 'dae-secret' }], local: { address: '127.0.0.1', port: 0 } });
  const seen: string[] = [];
  const shell = new UdpShell<DaeAction>(das, [{ address: '127.0.0.1', port: 0 }], (a) => {
    if (a.type !== 'request') return;
    const s = a.request.session;
    seen.push(`${a.request.kind} ${s.userName ?? ''} ${s.auditSessionId ?? ''} ${a.request.changes.map((c) => String(c.value)).join(',')}`.trim());
    const hit = known.some((k) => (k.user !== undefined && k.user === s.userName) || (k.audit !== undefined && k.audit === s.auditSessionId));
    shell.input(() => (hit ? das.ack(a.request.handle) : das.nak(a.request.handle, IOS_NO_MATCHING_SESSION.errorCause, { replyMessage: IOS_NO_MATCHING_SESSION.replyMessage })));
  });
  const [ep] = await shell.start();
  return { port: ep!.port, seen, stop: () => shell.stop() };
}

test('radclient Disconnect/CoA against our DAS: ACK for a known session, the seed NAK otherwise', async (t) => {
  const das = await startDas([{ user: 'carol' }, { audit: 'AUDIT-1' }]);
  t.teardown(() => das.stop());
  const rc = (kind: string, input: string, secret = 'dae-secret') => run(['radclient', '-x', '-r', '1', '-t', '2', `127.0.0.1:${das.port}`, kind, secret], { input, timeoutMs: 10_000 });
  t.regex((await rc('disconnect', 'User-Name = "carol"\n')).stdout, /Received Disconnect-ACK/);
  const nak = await rc('disconnect', 'User-Name = "nobody"\n');
  t.regex(nak.stdout, /Received Disconnect-NAK/);
  t.regex(nak.stdout, /Reply-Message = "No Matching Session"/);
  t.regex(nak.stdout, /Error-Cause = Invalid-Request/);
  t.regex((await rc('coa', 'Cisco-AVPair = "ip:audit-session-id=AUDIT-1"\nCisco-AVPair = "ip:interface-config=ip mtu 1200"\n')).stdout, /Received CoA-ACK/);
  t.regex((await rc('disconnect', 'User-Name = "carol"\n', 'wrong')).stdout + '', /No reply from server/);
  t.deepEqual(das.seen, ['disconnect carol', 'disconnect nobody', 'coa  AUDIT-1 ip:interface-config=ip mtu 1200']);
});

test('flexlab radius disconnect|coa (current namespace): exit 0 on ACK, 2 on NAK, 3 without answer', async (t) => {
  const das = await startDas([{ audit: 'AUDIT-2' }]);
  t.teardown(() => das.stop());
  const cli = (args: string[]) => run([process.execPath, CLI, 'radius', ...args], { timeoutMs: 30_000 });
  const ack = await cli(['disconnect', '--nas', `127.0.0.1:${das.port}`, '--secret', 'dae-secret', '--audit-session-id', 'AUDIT-2']);
  t.is(ack.code, 0, ack.stderr);
  t.regex(ack.stdout, /^Disconnect-ACK from 127\.0\.0\.1:\d+/);
  const nak = await cli(['disconnect', '--nas', `127.0.0.1:${das.port}`, '--secret', 'dae-secret', '--audit-session-id', 'STALE', '--json']);
  t.is(nak.code, 2);
  t.like(JSON.parse(nak.stdout), { ack: false, code: 'Disconnect-NAK', errorCause: 404, errorCauseName: 'Invalid-Request', replyMessage: 'No Matching Session' });
  const coa = await cli(['coa', '--nas', `127.0.0.1:${das.port}`, '--secret', 'dae-secret', '--audit-session-id', 'AUDIT-2', '--audit-protocol', 'ip',
    '--attr', 'Cisco-AVPair=ip:inacl#3=permit 1.1.1.1']);
  t.is(coa.code, 0);
  t.regex(coa.stdout, /^CoA-ACK/);
  const silent = await cli(['disconnect', '--nas', `127.0.0.1:${das.port}`, '--secret', 'wrong', '--user', 'x', '--timeout', '300', '--retries', '1']);
  t.is(silent.code, 3);
  t.regex(silent.stdout, /no valid answer from 127\.0\.0\.1:\d+ after 2 tries/);
  t.deepEqual(das.seen, ['disconnect  AUDIT-2', 'disconnect  STALE', 'coa  AUDIT-2 ip:inacl#3=permit 1.1.1.1']);
  const usage = await cli(['disconnect', '--nas', '127.0.0.1', '--secret', 's']);
  t.is(usage.code, 1);
  t.regex(usage.stderr, /name the session/);
});

test('flexlab radius-server refuses a bad config with the key paths, before binding anything', async (t) => {
  const file = path.join(dir, 'bad.yaml');
  writeFileSync(file, 'clients:\n  - { address: 10.0.0.1 }\nusers: { a: { pasword: x } }\n');
  const r = await run([process.execPath, CLI, 'radius-server', '--config', file], { timeoutMs: 20_000 });
  t.is(r.code, 1);
  t.deepEqual(r.stderr.trim().split('\n'), [
    `${file}: clients.0: missing required key "secret"`,
    `${file}: users.a.pasword: unknown key "pasword" (did you mean "password"?)`,
  ]);
});
