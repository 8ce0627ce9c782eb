// Our daemons in a real lab (hub and two spokes, pre-shared keys, smart defaults): tunnels carry
// ping and TCP both ways, show state matches, a capture decrypts with the exported keys, replayed
// and tampered ESP is dropped and counted, a CHILD rekey under ping loses at most one packet, and
// DPD declares a blackholed peer dead within interval x retries (+ one interval); connect auto
// brings the tunnel back.

import test from 'ava';
import { createSocket } from 'node:dgram';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fixture, isolate, cleanupAll } from './helpers/lab.ts';
import { deploy, destroy, ctl, ikeSas, tunnelUp, ping, events, iperf, waitFor } from './helpers/ipsec-lab.ts';
import { applyFault, clearFault } from '../labs/faults.ts';
import { startCapture, stopCapture } from '../labs/captures.ts';
import { tsharkFields } from './helpers/tshark.ts';
import { readCaptureFile, udpDatagrams } from '../engine/pcap/index.ts';
import type { Lab } from '../labs/lab.ts';
import { run } from '../labs/command.ts';

const dirs = isolate('dpsk');
let lab: Lab;

test.before(async () => {
  lab = await deploy(fixture('flexvpn-psk.yaml'), dirs.outDir);
  await Promise.all([tunnelUp(lab, 'spoke1'), tunnelUp(lab, 'spoke2')]);
});

test.after.always(async () => {
  if (lab) await destroy(lab);
  await cleanupAll(dirs);
});

test.serial('tunnels up with smart defaults; ping and TCP both ways between the hosts behind spokes and hub', async (t) => {
  const [s1] = await ikeSas(lab, 'spoke1');
  t.is(s1!.encr, 'AES-CBC');
  t.is(s1!.keysize, 256);
  t.is(s1!.prf, 'SHA512');
  t.is(s1!.hash, 'SHA512');
  t.is(s1!.dhGroup, 5);
  t.is(s1!.children[0]!.suite, 'esp-aes esp-sha-hmac');
  t.deepEqual(s1!.children[0]!.localTs, ['0.0.0.0/0', '::/0']);
  t.truthy(s1!.receivedConfig?.address4?.startsWith('10.0.0.'));
  const hub = await ikeSas(lab, 'hub');
  t.is(hub.length, 2);
  t.deepEqual(hub.map((s) => s.remoteId).sort(), ['spoke1.flexlab.test', 'spoke2.flexlab.test']);
  t.true(hub.every((s) => s.interface?.startsWith('va')), 'a virtual-access interface per session');

  for (const [from, to] of [['host1', '192.168.10.10'], ['hub-host', '172.16.1.10'], ['host1', '172.16.2.10'], ['host2', '172.16.1.10']] as const) {
    const r = await ping(lab, from, to, 3);
    t.is(r.received, 3, `${from} -> ${to}\n${r.output}`);
  }
  const up = await iperf(lab, 'host1', 'host2', '172.16.2.10', 1);
  const down = await iperf(lab, 'host1', 'host2', '172.16.2.10', 1, true);
  t.true(up > 1, `TCP host1 -> host2 through two tunnels: ${up.toFixed(0)} Mbit/s`);
  t.true(down > 1, `TCP host2 -> host1: ${down.toFixed(0)} Mbit/s`);
});

test.serial('show state: counters rise with traffic; the text views read like IOS', async (t) => {
  const before = (await ikeSas(lab, 'spoke1'))[0]!.children[0]!.counters!;
  await ping(lab, 'host1', '192.168.10.10', 5);
  const after = (await ikeSas(lab, 'spoke1'))[0]!.children[0]!.counters!;
  t.true(after.packetsOut >= before.packetsOut + 5);
  t.true(after.packetsIn >= before.packetsIn + 5);
  const cli = (args: string[]) => run([process.execPath, path.join(process.cwd(), 'bin/flexlab.js'), ...args], { env: { ...process.env }, timeoutMs: 30_000 });
  const text = await cli(['show', '--name', lab.name, 'hub', 'crypto', 'ikev2', 'sa', 'detail']);
  t.is(text.code, 0, text.stderr);
  t.regex(text.stdout, /Encr: AES-CBC, keysize: 256, PRF: SHA512, Hash: SHA512, DH Grp:5, Auth sign: PSK, Auth verify: PSK/);
  t.regex(text.stdout, /Remote id: spoke1\.flexlab\.test/);
  t.regex(text.stdout, /Local window: +5/);
  t.regex(text.stdout, /DPD configured for 2 seconds, retry 3/);
  const session = await cli(['show', '--name', lab.name, 'spoke1', 'session', 'detail']);
  t.regex(session.stdout, /Session status: UP-ACTIVE/);
  t.regex(session.stdout, /Inbound: +#pkts dec'ed \d+ drop 0 life \(KB\/Sec\) \d+\/\d+/);
  const ipsec = await cli(['show', '--name', lab.name, 'spoke1', 'ipsec', 'sa', '--json']);
  const children = JSON.parse(ipsec.stdout) as Array<{ spiIn: string }>;
  t.is(children.length, 1);
});

test.serial('a capture of the WAN link decrypts with the exported key tables to the ICMP we sent', async (t) => {
  const link = lab.model.links.find((l) => l.a.node === 'spoke1' || l.b.node === 'spoke1' && l.a.node === 'wan')!;
  const wanLink = lab.model.links.find((l) => [l.a.node, l.b.node].includes('spoke1') && [l.a.node, l.b.node].includes('wan'))!;
  void link;
  await startCapture(lab, wanLink);
  await ping(lab, 'host1', '192.168.10.10', 4);
  const cap = await stopCapture(lab, wanLink);
  const keyDir = path.join(lab.outDir, 'keys');
  const esp = readFileSync(path.join(keyDir, 'esp_sa'), 'utf8').split('\n').filter(Boolean);
  const ikev2 = readFileSync(path.join(keyDir, 'ikev2_decryption_table'), 'utf8').split('\n').filter(Boolean);
  const rows = await tsharkFields(cap.file, ['frame.number', 'esp.spi', 'icmp.type', 'ip.src', 'ip.dst', '_ws.malformed'], { uat: { esp, ikev2 }, filter: 'esp' });
  const decrypted = rows.filter((r) => r['icmp.type']);
  t.true(rows.length >= 8, `ESP frames captured: ${rows.length}`);
  t.is(decrypted.length, rows.length, 'every ESP frame decrypts to ICMP');
  t.true(decrypted.some((r) => r['icmp.type']!.includes('8') && r['ip.src']!.includes('172.16.1.10') && r['ip.dst']!.includes('192.168.10.10')), 'the echo requests host1 sent are inside');
  t.false(rows.some((r) => r['_ws.malformed']?.length));
});

test.serial('replayed and tampered ESP packets are dropped and counted', async (t) => {
  const wanLink = lab.model.links.find((l) => [l.a.node, l.b.node].includes('spoke1') && [l.a.node, l.b.node].includes('wan'))!;
  await startCapture(lab, wanLink);
  await ping(lab, 'host1', '192.168.10.10', 2);
  const cap = await stopCapture(lab, wanLink);
  const espToHub = udpDatagrams(readCaptureFile(cap.file).records).filter((d) => d.dst === '198.51.100.1' && d.dport === 4500 && d.payload.length > 40 && d.payload.readUInt32BE(0) !== 0);
  t.true(espToHub.length >= 2);
  const before = await ctl<{ esp: Record<string, number> }>(lab, 'hub', 'counters');
  // Inject from the wan router (the hub matches ESP by SPI, not by source).
  const replay = espToHub[0]!.payload;
  // A fresh sequence number passes the replay pre-check; the ICV (which covers it) does not verify.
  const tampered = Buffer.from(espToHub[1]!.payload);
  tampered.writeUInt32BE(tampered.readUInt32BE(4) + 1000, 4);
  const script = `
    const s = require('dgram').createSocket('udp4');
    const pkts = ${JSON.stringify([replay.toString('hex'), tampered.toString('hex')])};
    let n = 0; for (const p of pkts) s.send(Buffer.from(p, 'hex'), 4500, '198.51.100.1', () => { if (++n === pkts.length) s.close(); });`;
  await lab.exec('wan', [process.execPath, '-e', script]);
  let last: { esp: Record<string, number> } | undefined;
  const after = await waitFor('drop counters', async () => {
    const c = last = await ctl<{ esp: Record<string, number> }>(lab, 'hub', 'counters');
    return (c.esp.replay ?? 0) > (before.esp.replay ?? 0) && (c.esp.integrity ?? 0) > (before.esp.integrity ?? 0) ? c : undefined;
  }, 5000).catch((e: Error) => {
    throw new Error(`${e.message}: before ${JSON.stringify(before.esp)}, now ${JSON.stringify(last?.esp)}`);
  });
  t.is(after.esp.replay! - (before.esp.replay ?? 0), 1, 'the replayed packet is counted as a replay');
  t.is(after.esp.integrity! - (before.esp.integrity ?? 0), 1, 'the tampered packet fails its ICV');
  t.truthy(events(lab, 'hub').find((e) => e.type === 'drop' && /replay/.test(e.text)), 'and a log line says so');
});

test.serial('a CHILD rekey under continuous ping loses at most one packet', async (t) => {
  const before = (await ikeSas(lab, 'spoke1'))[0]!.children[0]!;
  const pinger = ping(lab, 'host1', '192.168.10.10', 100, ['-i', '0.02']);
  await new Promise((r) => setTimeout(r, 600));
  await ctl(lab, 'spoke1', 'rekey', { child: true });
  const r = await pinger;
  const after = (await ikeSas(lab, 'spoke1'))[0]!.children;
  t.is(after.length, 1);
  t.not(after[0]!.spiIn, before.spiIn, 'new SPIs');
  t.true(r.loss <= 1, `lost ${r.loss} of ${r.sent}`);
  t.truthy(events(lab, 'spoke1').find((e) => e.type === 'child-rekeyed'));
});

test.serial('DPD: a blackholed WAN link makes both sides declare the peer dead after interval x retries, and connect auto restores the tunnel', async (t) => {
  const link = lab.model.links.find((l) => [l.a.node, l.b.node].includes('spoke2') && [l.a.node, l.b.node].includes('wan'))!;
  const hubSa = (await ikeSas(lab, 'hub')).find((s) => s.remoteId === 'spoke2.flexlab.test')!;
  const spokeSa = (await ikeSas(lab, 'spoke2'))[0]!;
  const fault = await applyFault(lab, { type: 'blackhole', link: link.id });
  const at = Date.now();
  const dead = (node: string, id: number) => waitFor(`dpd-timeout on ${node}`, async () =>
    events(lab, node).find((e) => e.type === 'dpd-timeout' && e.ikeSaId === id && e.time >= at), 20_000, 50);
  const [es, eh] = await Promise.all([dead('spoke2', spokeSa.id), dead('hub', hubSa.id)]);
  const interval = 2000, retries = 3;
  for (const [who, e] of [['spoke2', es], ['hub', eh]] as const) {
    const took = e.time - at;
    t.true(took >= interval * retries - 250 && took <= interval * (retries + 1) + 500, `${who} declared the peer dead after ${took} ms (expected ${interval * retries}..${interval * (retries + 1)})`);
  }
  t.false((await ikeSas(lab, 'hub')).some((s) => s.id === hubSa.id), 'hub removed the session');
  t.false((await ikeSas(lab, 'spoke2')).some((s) => s.id === spokeSa.id && s.status === 'READY'));
  await clearFault(lab, fault.id);
  const back = await tunnelUp(lab, 'spoke2', 30_000);
  t.not(back.id, spokeSa.id);
  t.is((await ping(lab, 'host2', '192.168.10.10', 3)).received, 3, 'traffic flows again');
});
