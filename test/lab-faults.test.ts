// Faults on a running lab: each one has the effect on traffic it promises, and clearing it gives the
// traffic back. NAT rebinding is observed on a capture: the same inner flow leaves with a new port.

import test from 'ava';
import { readFileSync } from 'node:fs';
import { run } from '../labs/command.ts';
import { startCapture, stopCapture } from '../labs/captures.ts';
import { activeFaults, applyFault, clearFault, clearFaults, linkUp } from '../labs/faults.ts';
import { deployLab, destroyLab } from '../labs/lab.ts';
import type { Lab } from '../labs/lab.ts';
import { loadTopologyFile } from '../labs/topology/load.ts';
import { cleanupAll, cli, fixture, isolate, pingCount, pings, topology } from './helpers/lab.ts';

const dirs = isolate('lab-faults');
let hs: Lab;
let nc: Lab;

test.before(async () => {
  [hs, nc] = await Promise.all([
    deployLab(loadTopologyFile(fixture('hub-spoke-routed.yaml'), { name: 'tf-hs' }).lab, { outDir: `${dirs.outDir}/tf-hs` }),
    deployLab(loadTopologyFile(topology('nat-client.yaml'), { name: 'tf-nc' }).lab, { outDir: `${dirs.outDir}/tf-nc` }),
  ]);
});
test.after.always(async () => {
  await Promise.all([destroyLab('tf-hs').catch(() => {}), destroyLab('tf-nc').catch(() => {})]);
  await cleanupAll(dirs);
});

const HUB_HOST = '192.168.10.10';

async function rxPackets(lab: Lab, node: string, ifname: string): Promise<number> {
  const j = JSON.parse(await lab.exec(node, ['ip', '-j', '-s', 'link', 'show', ifname])) as { stats64: { rx: { packets: number } } }[];
  return j[0]!.stats64.rx.packets;
}

async function linkInfo(lab: Lab, node: string, ifname: string): Promise<{ mtu: number; flags: string[] }> {
  return (JSON.parse(await lab.exec(node, ['ip', '-j', 'link', 'show', ifname])) as { mtu: number; flags: string[] }[])[0]!;
}

test.serial('blackhole (both directions) stops traffic across the link; clearing it restores traffic', async (t) => {
  t.true(await pings(hs, 'host1', HUB_HOST));
  const f = await applyFault(hs, { type: 'blackhole', link: 'hub--wan' });
  t.regex(f.description, /blackhole on hub-eth1--wan-eth1 \(both directions\)/);
  t.is(await pingCount(t, hs, 'host1', HUB_HOST), 0);
  t.regex(await hs.exec('hub', ['nft', 'list', 'tables']), new RegExp(`table inet flx_${f.id}`));
  await clearFault(hs, f.id);
  t.true(await pings(hs, 'host1', HUB_HOST));
  t.notRegex(await hs.exec('hub', ['nft', 'list', 'tables']), /flx_/);
  t.deepEqual(activeFaults(hs), []);
});

test.serial('blackhole one way: what hub sends is dropped, what it receives still arrives', async (t) => {
  const f = await applyFault(hs, { type: 'blackhole', link: 'hub-eth1--wan-eth1', from: 'hub' });
  const rx = await rxPackets(hs, 'hub', 'eth1');
  t.is(await pingCount(t, hs, 'wan', '198.51.100.1', ['-c', '3', '-i', '0.2', '-W', '1']), 0, 'no replies come back');
  t.true((await rxPackets(hs, 'hub', 'eth1')) - rx >= 3, 'the requests reached hub');
  // Nothing in the other direction is blocked at hub's end.
  t.notRegex(await hs.exec('hub', ['nft', 'list', 'tables']), /flx_/);
  t.regex(await hs.exec('wan', ['nft', 'list', 'tables']), new RegExp(`flx_${f.id}`));
  await clearFault(hs, f.id);
  t.true(await pings(hs, 'wan', '198.51.100.1'));
});

test.serial('random loss (iptables statistic): 30% each way loses about half of 100 round trips', async (t) => {
  const f = await applyFault(hs, { type: 'loss', link: 'spoke1--wan', percent: 30 });
  t.regex(await hs.exec('wan', ['iptables', '-t', 'raw', '-S', 'PREROUTING']), /-m statistic --mode random --probability 0\.(29|30)\d* .*-j DROP/);
  const got = await pingCount(t, hs, 'host1', HUB_HOST, ['-c', '100', '-i', '0.01', '-W', '1']);
  // Expected 49 (0.7 * 0.7); binomial sd 5: 20..80 is far outside chance.
  t.true(got >= 20 && got <= 80, `received ${got}`);
  await clearFault(hs, f.id);
  t.is(await pingCount(t, hs, 'host1', HUB_HOST, ['-c', '20', '-i', '0.01', '-W', '1']), 20);
  t.notRegex(await hs.exec('wan', ['iptables', '-t', 'raw', '-S', 'PREROUTING']), /statistic/);
});

test.serial('link down takes both ends down; link up brings them and their routes back', async (t) => {
  const f = await applyFault(hs, { type: 'link-down', link: 'hub-eth1--wan-eth1' });
  t.false((await linkInfo(hs, 'hub', 'eth1')).flags.includes('UP'));
  t.false((await linkInfo(hs, 'wan', 'eth1')).flags.includes('UP'));
  t.is(await pingCount(t, hs, 'host1', HUB_HOST, ['-c', '2', '-i', '0.2', '-W', '1']), 0);
  t.notRegex(await hs.exec('hub', ['ip', 'route', 'show', 'default']), /via/, 'the kernel dropped the default route with the link');
  t.is(activeFaults(hs)[0]?.id, f.id);
  await linkUp(hs, 'hub--wan');
  t.deepEqual(activeFaults(hs), []);
  t.true((await linkInfo(hs, 'hub', 'eth1')).flags.includes('UP'));
  t.regex(await hs.exec('hub', ['ip', 'route', 'show', 'default']), /default via 198\.51\.100\.254 dev eth1/);
  t.regex(await hs.exec('hub', ['ip', '-6', 'route', 'show', 'default']), /default via 2001:db8:100::fe dev eth1/);
  t.true(await pings(hs, 'host1', HUB_HOST));
  t.true(await pings(hs, 'host1', '2001:db8:10::10'));
});

test.serial('MTU change is seen by ip link and by traffic; clearing restores 1500', async (t) => {
  const f = await applyFault(hs, { type: 'mtu', link: 'hub--wan', mtu: 1280 });
  t.is((await linkInfo(hs, 'hub', 'eth1')).mtu, 1280);
  t.is((await linkInfo(hs, 'wan', 'eth1')).mtu, 1280);
  t.is(await pingCount(t, hs, 'hub', '198.51.100.254', ['-c', '1', '-W', '1', '-M', 'do', '-s', '1400']), 0);
  t.is(await pingCount(t, hs, 'hub', '198.51.100.254', ['-c', '1', '-W', '1', '-M', 'do', '-s', '1200']), 1);
  await clearFault(hs, f.id);
  t.is((await linkInfo(hs, 'hub', 'eth1')).mtu, 1500);
  t.is(await pingCount(t, hs, 'hub', '198.51.100.254', ['-c', '1', '-W', '1', '-M', 'do', '-s', '1400']), 1);
});

test.serial('rate limit (tc tbf): a burst of large packets mostly does not fit; clearing lets it through', async (t) => {
  const burst = ['-c', '40', '-i', '0.005', '-W', '1', '-s', '1400'];
  const f = await applyFault(hs, { type: 'rate', link: 'spoke1--wan', kbit: 100 });
  t.regex(await hs.exec('spoke1', ['tc', 'qdisc', 'show', 'dev', 'eth1']), /qdisc tbf .* rate 100Kbit/);
  const limited = await pingCount(t, hs, 'host1', HUB_HOST, burst);
  t.true(limited <= 15, `received ${limited} of 40 through 100 kbit/s`);
  await clearFault(hs, f.id);
  t.notRegex(await hs.exec('spoke1', ['tc', 'qdisc', 'show', 'dev', 'eth1']), /tbf/);
  t.true((await pingCount(t, hs, 'host1', HUB_HOST, burst)) >= 38);
});

test.serial('faults are listed and cleared through the CLI; delay and jitter say why they are missing', async (t) => {
  const a = await cli(['fault', 'blackhole', 'spoke2--wan', '--name', 'tf-hs', '--from', 'spoke2']);
  t.is(a.code, 0, a.stderr);
  t.regex(a.stdout, /^f\d+: blackhole on spoke2-eth1--wan-eth3 for traffic from spoke2$/m);
  const b = await cli(['fault', 'loss', 'spoke2:eth2', '10', '--name', 'tf-hs']);
  t.is(b.code, 0, b.stderr);
  const list = await cli(['fault', 'list', '--name', 'tf-hs']);
  t.regex(list.stdout, /blackhole spoke2--wan from spoke2\n.*loss 10% spoke2:eth2/);
  t.false(await pings(hs, 'host2', HUB_HOST, 1));
  const c = await cli(['fault', 'clear', '--all', '--name', 'tf-hs']);
  t.regex(c.stdout, /2 faults cleared/);
  t.true(await pings(hs, 'host2', HUB_HOST));

  const help = await cli(['fault', '--help']);
  t.regex(help.stdout, /Not available: delay and jitter\. They need the kernel's netem qdisc, which this kernel lacks/);
  const d = await cli(['fault', 'delay', 'hub--wan', '100ms', '--name', 'tf-hs']);
  t.is(d.code, 1);
  t.regex(d.stderr, /delay and jitter are not available: they need the kernel netem qdisc/);
  const bad = await cli(['fault', 'blackhole', 'hub--spoke9', '--name', 'tf-hs']);
  t.regex(bad.stderr, /has no link "hub--spoke9"/);
  await clearFaults(hs);
});

/** Sends one UDP datagram from the client, always from source port 50899, to the hub's 4500. */
async function sendFromClient(lab: Lab): Promise<void> {
  const js = "const s=require('dgram').createSocket('udp4');s.bind(50899,()=>s.send('x',4500,'192.0.2.1',()=>s.close()))";
  await lab.exec('client', [process.execPath, '-e', js]);
}

test.serial('NAT rebinding: the same UDP flow leaves the nat on a new outer port (conntrack flush, then link bounce)', async (t) => {
  const cap = await startCapture(nc, 'wan--hub');
  await sendFromClient(nc);
  await sendFromClient(nc);
  const r1 = await applyFault(nc, { type: 'nat-rebind', node: 'nat' });
  t.regex(r1.description, /NAT mappings of nat flushed \(conntrack -F\)/);
  await sendFromClient(nc);
  const r2 = await applyFault(nc, { type: 'nat-rebind', node: 'nat', method: 'link-bounce' });
  t.regex(r2.description, /outside interface eth1 bounced/);
  await sendFromClient(nc);
  t.true(await pings(nc, 'client', '10.0.1.1'), 'the nat routes again after the bounce');
  await stopCapture(nc, 'wan--hub');

  t.is(readFileSync(cap.file).readUInt32LE(0), 0x0a0d0d0a, 'pcapng section header block');
  const r = await run(['tshark', '-r', cap.file, '-Y', 'udp.dstport == 4500 && !icmp', '-T', 'fields', '-e', 'ip.src', '-e', 'udp.srcport']);
  const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
  t.is(rows.length, 4, r.stdout + r.stderr);
  t.true(rows.every(([src]) => src === '192.0.2.100'), 'the hub sees the outside address only');
  const ports = rows.map(([, port]) => Number(port));
  t.log(`outer ports: ${ports.join(', ')}`);
  t.is(ports[1], ports[0], 'same mapping while the nat remembers it');
  t.not(ports[2], ports[1], 'new port after conntrack flush');
  t.not(ports[3], ports[2], 'new port after the outside link bounced');
});
