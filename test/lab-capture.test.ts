// Per-link captures: on deploy (link `capture: true`), on request (library and CLI), pcapng that
// holds the traffic that crossed the link, and the tcpdump fallback.

import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { run } from '../labs/command.ts';
import { listCaptures, startCapture, stopCapture } from '../labs/captures.ts';
import { deployLab, destroyLab } from '../labs/lab.ts';
import type { Lab } from '../labs/lab.ts';
import { loadTopologyFile } from '../labs/topology/load.ts';
import { cleanupAll, cli, fixture, isolate, pings, topology } from './helpers/lab.ts';

const dirs = isolate('lab-capture');
let lab: Lab;

test.before(async () => {
  const { lab: model } = loadTopologyFile(fixture('hub-spoke-routed.yaml'), { name: 'tcap' });
  model.links.find((l) => l.id === 'hub-eth2--hub-host-eth1')!.capture = true;
  lab = await deployLab(model, { outDir: path.join(dirs.outDir, 'tcap') });
});
test.after.always(async () => {
  await destroyLab('tcap').catch(() => {});
  await cleanupAll(dirs);
});

async function icmpRequests(file: string, dst: string): Promise<number> {
  const r = await run(['tshark', '-r', file, '-Y', `icmp.type == 8 && ip.dst == ${dst}`, '-T', 'fields', '-e', 'frame.number']);
  return r.stdout.split('\n').filter(Boolean).length;
}

test.serial('a link with `capture: true` is captured from deploy on; the pcapng holds the pings that crossed it', async (t) => {
  const caps = listCaptures(lab);
  t.deepEqual(caps.map((c) => [c.link, c.running]), [['hub-eth2--hub-host-eth1', true]]);
  const file = caps[0]!.file;
  t.is(file, path.join(dirs.outDir, 'tcap', 'captures', 'hub-eth2--hub-host-eth1.pcapng'));
  t.true(await pings(lab, 'host1', '192.168.10.10', 5));
  await stopCapture(lab, 'hub-eth2--hub-host-eth1');
  t.is(readFileSync(file).readUInt32LE(0), 0x0a0d0d0a, 'pcapng section header block');
  t.is(await icmpRequests(file, '192.168.10.10'), 5);
  t.false(listCaptures(lab)[0]!.running);
});

test.serial('capture on request: start returns once the capture listens, so the very next packet is in the file', async (t) => {
  const c = await startCapture(lab, 'spoke1:eth2');
  t.is(c.id, 'spoke1-eth2--host1-eth1');
  t.is(c.node, 'spoke1');
  await t.throwsAsync(startCapture(lab, 'spoke1--host1'), { message: /already being captured/ });
  // One ping, sent right after start returned.
  t.true(await pings(lab, 'host1', '172.16.1.1', 1));
  await stopCapture(lab, c.id);
  t.is(await icmpRequests(c.file, '172.16.1.1'), 1);
});

test.serial('a running capture can be read live (pcap); stopping it leaves only the pcapng', async (t) => {
  const c = await startCapture(lab, 'spoke2--host2');
  t.true(c.live.endsWith('spoke2-eth2--host2-eth1.pcap'));
  t.true(await pings(lab, 'host2', '172.16.2.1', 3));
  t.is(readFileSync(c.live).readUInt32LE(0), 0xa1b2c3d4, 'pcap magic while running');
  t.is(await icmpRequests(c.live, '172.16.2.1'), 3, 'packets are in the live file at once');
  const done = await stopCapture(lab, c.id);
  t.is(done.file, c.file);
  t.false(existsSync(c.live));
  t.is(await icmpRequests(c.file, '172.16.2.1'), 3);
});

test.serial('capture start/list/stop through the CLI', async (t) => {
  const s = await cli(['capture', 'start', 'hub--wan', '--name', 'tcap']);
  t.is(s.code, 0, s.stderr);
  t.regex(s.stdout, /capturing hub-eth1--wan-eth1 on hub:eth1 -> .*hub-eth1--wan-eth1\.pcapng/);
  t.true(await pings(lab, 'host1', '192.168.10.10', 2));
  const l = await cli(['capture', 'list', '--name', 'tcap']);
  t.regex(l.stdout, /hub-eth1--wan-eth1 {2}running/);
  const x = await cli(['capture', 'stop', '--all', '--name', 'tcap']);
  t.regex(x.stdout, /stopped hub-eth1--wan-eth1/);
  const file = path.join(dirs.outDir, 'tcap', 'captures', 'hub-eth1--wan-eth1.pcapng');
  t.true(existsSync(file));
  t.is(await icmpRequests(file, '192.168.10.10'), 2);
});
