// The native addon in a real namespace: a TUN device created through setns, batched reads (many
// packets per JS callback), batched writes into the TUN reaching a native UDP socket read with
// recvmmsg, namespace switching, and errors that name what failed.

import test from 'ava';
import { randomBytes } from 'node:crypto';
import { readlinkSync, statSync } from 'node:fs';
import { execa } from 'execa';
import { TunDevice, configureTun } from '../engine/esp/tun.ts';
import { NativeUdpSocket, type DatagramBatch } from '../engine/esp/udp-socket.ts';
import { NativeAddonMissingError, loadNative, netnsOpenTun, tunClose, tunStartReader, tunStopReader, withNetns } from '../engine/native/addon.ts';
import { internetChecksum } from '../engine/esp/index.ts';

async function namespace(t: { teardown(fn: () => unknown): void }): Promise<{ name: string; path: string }> {
  const name = `fxnat-${randomBytes(3).toString('hex')}`;
  await execa('ip', ['netns', 'add', name]);
  t.teardown(() => execa('ip', ['netns', 'del', name], { reject: false }));
  await execa('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return { name, path: `/run/netns/${name}` };
}

/** IPv4/UDP packet src -> dst:dport with a valid header checksum (UDP checksum 0 = none). */
function udpPacket(src: number[], dst: number[], sport: number, dport: number, payload: Buffer): Buffer {
  const p = Buffer.alloc(28 + payload.length);
  p[0] = 0x45;
  p.writeUInt16BE(p.length, 2);
  p[8] = 64;
  p[9] = 17;
  Buffer.from(src).copy(p, 12);
  Buffer.from(dst).copy(p, 16);
  p.writeUInt16BE(internetChecksum(p, 0, 20), 10);
  p.writeUInt16BE(sport, 20);
  p.writeUInt16BE(dport, 22);
  p.writeUInt16BE(8 + payload.length, 24);
  payload.copy(p, 28);
  return p;
}

for (const copyMode of [false, true]) {
  test.serial(`TUN in another namespace: bursts arrive in batches, writeBatch reaches a recvmmsg socket (${copyMode ? 'copy' : 'slab'} mode)`, async (t) => {
    const ns = await namespace(t);
    const tun = TunDevice.open('fxtun0', { netns: ns.path, maxPackets: 64, maxPacketSize: 1600, copyMode });
    t.teardown(() => tun.close());
    t.is(tun.name, 'fxtun0');
    await configureTun(tun.name, { addresses: ['10.77.0.1/24'], mtu: 1500, netnsName: ns.name });

    const sock = NativeUdpSocket.open('10.77.0.1', 0, { netns: ns.path, maxPackets: 32 });
    t.teardown(() => sock.close());

    // 300 datagrams sent while this thread does not yield: they queue in the TUN and must come out
    // in far fewer than 300 callbacks.
    const got: Buffer[] = [];
    const done = new Promise<void>((resolve) => tun.on('packets', (ps) => {
      // Only our datagrams: the kernel also sends IPv6 router solicitations into a fresh device.
      got.push(...ps.filter((p) => p[0]! >> 4 === 4 && p.readUInt16BE(22) === 9999).map((p) => Buffer.from(p)));
      if (got.length >= 300) resolve();
    }));
    await new Promise((r) => setTimeout(r, 50)); // the reader starts with the listener
    for (let i = 0; i < 300; i++) {
      const payload = Buffer.alloc(100 + i);
      payload.writeUInt32BE(i, 0);
      t.true(sock.send(payload, '10.77.0.2', 9999) > 0);
    }
    await done;
    t.is(got.length, 300);
    t.true(tun.stats.rxBatches <= 300 / 8, `batches ${tun.stats.rxBatches} for 300 packets`);
    for (let i = 0; i < 300; i++) {
      const p = got[i]!;
      t.is(p.readUInt16BE(2), 28 + 100 + i);
      t.is(p.readUInt32BE(28), i, 'packets in order, intact (slabs are not overwritten)');
    }

    // Packets written into the TUN are delivered by the kernel to the socket, read by recvmmsg.
    const port = sock.localPort;
    const received: { data: Buffer; from: string; port: number }[] = [];
    const allIn = new Promise<void>((resolve) => sock.on('batch', (b: DatagramBatch) => {
      for (let i = 0; i < b.count; i++) received.push({ data: Buffer.from(b.data(i)), from: b.address(i), port: b.port(i) });
      if (received.length >= 200) resolve();
    }));
    await new Promise((r) => setTimeout(r, 50));
    const burst = Array.from({ length: 200 }, (_, i) => udpPacket([10, 77, 0, 2], [10, 77, 0, 1], 40000 + (i % 3), port, Buffer.from(`datagram ${i}`)));
    t.is(tun.writeBatch(burst), 200);
    await allIn;
    t.is(received.length, 200);
    t.true(sock.stats.rxBatches < 200, `UDP batches ${sock.stats.rxBatches}`);
    t.is(received[7]!.data.toString(), 'datagram 7');
    t.is(received[7]!.from, '10.77.0.2');
    t.is(received[7]!.port, 40001);
  });
}

test.serial('setns/withNetns switch only for the duration; errors carry errno codes', async (t) => {
  const ns = await namespace(t);
  const native = loadNative();
  const before = readlinkSync('/proc/thread-self/ns/net');
  const inside = withNetns(ns.path, () => readlinkSync('/proc/thread-self/ns/net'));
  t.not(inside, before);
  t.is(inside, `net:[${statSync(ns.path).ino}]`);
  t.is(readlinkSync('/proc/thread-self/ns/net'), before);
  t.throws(() => withNetns(ns.path, () => { throw new Error('boom'); }), { message: 'boom' });
  t.is(readlinkSync('/proc/thread-self/ns/net'), before, 'restored after an exception');

  t.throws(() => native.netnsOpenTun('/run/netns/fx-no-such-ns', 'x0'), { code: 'ENOENT', message: /fx-no-such-ns/ });
  t.throws(() => native.tunOpen('a-name-that-is-far-too-long'), { instanceOf: RangeError });
  t.throws(() => native.udpOpen('203.0.113.77', 4500, { netns: ns.path }), { code: 'EADDRNOTAVAIL', message: /udpOpen\(203\.0\.113\.77, 4500\).*bind/ });
  t.is(readlinkSync('/proc/thread-self/ns/net'), before);
});

test.serial('functional API: netnsOpenTun, tunStartReader gets a ping, tunStopReader, tunClose', async (t) => {
  const ns = await namespace(t);
  const { fd, name } = netnsOpenTun(ns.path, 'fxfn0');
  let closed = false;
  t.teardown(() => { if (!closed) tunClose(fd); });
  await configureTun(name, { addresses: ['10.78.0.1/24'], netnsName: ns.name });
  const echo = new Promise<Buffer>((resolve) => {
    const handle = tunStartReader(fd, (packets) => {
      const icmp = packets.find((p) => p[0]! >> 4 === 4 && p[9] === 1);
      if (icmp) { tunStopReader(handle); resolve(Buffer.from(icmp)); }
    });
  });
  await execa('ip', ['netns', 'exec', ns.name, 'ping', '-c', '1', '-W', '1', '10.78.0.9'], { reject: false });
  const p = await echo;
  t.is(p[20], 8, 'ICMP echo request');
  t.is(p.subarray(16, 20).join('.'), '10.78.0.9');
  t.is(tunClose(fd), 0);
  closed = true;
});

test('a missing addon is reported with the command that builds it', (t) => {
  const e = t.throws(() => loadNative('/nonexistent/flexlab_native.node'), { instanceOf: NativeAddonMissingError });
  t.regex(e!.message, /\/nonexistent\/flexlab_native\.node is not built: run `make native`/);
});
