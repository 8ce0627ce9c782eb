// Real namespaces, real TUN devices, real UDP 4500: two throwaway peers (test/helpers/esp-tunnel-
// peer.ts) tunnel ping through EspSa seal/open. tshark, given our esp_sa lines, must decode the
// captured ESP-in-UDP to the ICMP we sent; replayed and tampered ESP sent by the test is dropped and
// counted by the receiver.

import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { EncrId, IntegId } from '../engine/ike/constants.ts';
import { EspSa, espSaLine, seal } from '../engine/esp/index.ts';
import { loadNative } from '../engine/native/addon.ts';
import { createTunnelPair } from './helpers/esp-netns.ts';
import type { PeerSaConfig } from './helpers/esp-tunnel-peer.ts';

const suites = [
  { name: 'AES-GCM-16-128, native UDP (recvmmsg/sendmmsg)', encr: EncrId.AES_GCM_16, integ: IntegId.NONE, encrKeyLength: 20, integKeyLength: 0, udp: 'native' as const },
  { name: 'AES-CBC-256 + HMAC-SHA-256-128, node:dgram', encr: EncrId.AES_CBC, integ: IntegId.HMAC_SHA2_256_128, encrKeyLength: 32, integKeyLength: 32, udp: 'dgram' as const },
];

function keyLine(sa: PeerSaConfig, src: string, dst: string): string {
  return espSaLine({
    src, dst, spi: sa.spi, encr: sa.encr, encrKey: Buffer.from(sa.encrKey, 'hex'), integ: sa.integ,
    integKey: sa.integKey ? Buffer.from(sa.integKey, 'hex') : undefined,
  });
}

function senderSa(sa: PeerSaConfig, lastSeq: number): EspSa {
  return new EspSa({
    spi: sa.spi, direction: 'out', encr: sa.encr, integ: sa.integ, encrKey: Buffer.from(sa.encrKey, 'hex'),
    integKey: sa.integKey ? Buffer.from(sa.integKey, 'hex') : undefined, createdAt: 0, lastSeq,
  });
}

for (const s of suites) {
  test.serial(`tunnel through TUN + ESP-in-UDP: ping, tshark decrypts, replay and tamper dropped (${s.name})`, async (t) => {
    const pair = await createTunnelPair(s);
    const dir = mkdtempSync(join(tmpdir(), 'fxesp-'));
    t.teardown(async () => {
      await pair.destroy();
      rmSync(dir, { recursive: true, force: true });
    });
    await pair.startPeers({ udp: s.udp });

    // Capture the veth in A while pinging B's inner address from A.
    const pcap = join(dir, 'wan.pcap');
    const dump = spawn('ip', ['netns', 'exec', pair.nsA, 'tcpdump', '-i', pair.vethA, '-U', '-n', '-w', pcap, 'udp port 4500'], { stdio: ['ignore', 'ignore', 'pipe'] });
    t.teardown(() => { if (dump.exitCode === null) dump.kill('SIGKILL'); });
    await new Promise<void>((resolve, reject) => {
      let err = '';
      dump.stderr!.on('data', (d: Buffer) => { err += d.toString(); if (err.includes('listening on')) resolve(); });
      dump.on('exit', (c) => reject(new Error(`tcpdump exited ${c}: ${err}`)));
    });

    const ping = await execa('ip', ['netns', 'exec', pair.nsA, 'ping', '-c', '5', '-i', '0.2', '-W', '2', pair.innerB], { reject: false });
    t.is(ping.exitCode, 0, ping.stdout + ping.stderr);
    t.regex(ping.stdout, /5 packets transmitted, 5 received/);

    await new Promise((r) => setTimeout(r, 200)); // let tcpdump write the last packets
    dump.kill('SIGTERM');
    await new Promise((r) => dump.once('exit', r));

    // Replay the first captured ESP packet of A (B answered every ping, so B has seen it) and send a
    // tampered fresh one, from a socket the test opens in A's namespace through the addon (setns
    // around socket()).
    const fromA = await execa('tshark', ['-r', pcap, '-Y', `ip.src == ${pair.outerA} && udp.srcport == 4500`, '-T', 'fields', '-e', 'udp.payload']);
    const first = fromA.stdout.split('\n')[0]!.trim();
    t.regex(first, /^[0-9a-f]{32,}$/);
    const native = loadNative();
    const fd = native.udpOpen(pair.outerA, 0, { netns: `/run/netns/${pair.nsA}` });
    t.teardown(() => { native.closeFd(fd); });
    const echo = Buffer.from('4500001c0000400040010000' + '0ac90001' + '0ac90002' + '0800f7ff00000000', 'hex');
    const tampered = seal(senderSa(pair.saAB, 100_000), echo);
    if (!tampered.ok) return t.fail('could not seal the test packet');
    tampered.packet[tampered.packet.length - 1]! ^= 0x80;
    t.true(native.udpSend(fd, Buffer.from(first, 'hex'), pair.outerB, 4500) > 0);
    t.true(native.udpSend(fd, tampered.packet, pair.outerB, 4500) > 0);
    await new Promise((r) => setTimeout(r, 300));

    const stats = await pair.stopPeers();

    t.true(stats.a.sealed >= 5 && stats.b.opened >= 5, JSON.stringify(stats));
    t.true(stats.b.sealed >= 5 && stats.a.opened >= 5, JSON.stringify(stats));
    t.is(stats.b.inSa.drops.replay, 1, JSON.stringify(stats.b));
    t.is(stats.b.inSa.drops.integrity, 1, JSON.stringify(stats.b));

    // tshark with our esp_sa lines (one per direction) must show the inner ICMP.
    t.true(statSync(pcap).size > 0);
    const lines = [keyLine(pair.saAB, pair.outerA, pair.outerB), keyLine(pair.saBA, pair.outerB, pair.outerA)];
    const ts = await execa('tshark', [
      '-r', pcap, '-o', 'esp.enable_encryption_decode:TRUE',
      ...lines.flatMap((l) => ['-o', `uat:esp_sa:${l}`]),
      '-Y', 'icmp', '-T', 'fields', '-e', 'esp.spi', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'icmp.type',
    ], { env: { HOME: dir } });
    const rows = ts.stdout.trim().split('\n').filter(Boolean).map((l) => l.split('\t'));
    const requests = rows.filter((r) => r[3] === '8' && r[1]?.includes(pair.innerA) && r[2]?.includes(pair.innerB));
    const replies = rows.filter((r) => r[3] === '0' && r[1]?.includes(pair.innerB) && r[2]?.includes(pair.innerA));
    t.true(requests.length >= 5, ts.stdout + ts.stderr);
    t.true(replies.length >= 5, ts.stdout + ts.stderr);
  });
}
