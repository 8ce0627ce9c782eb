// ESP data-plane benchmarks. Not asserted anywhere; prints numbers.
//
//   npx tsx bench/esp.bench.ts                 crypto only (seal/open per suite, 1400-byte packets, one core)
//   npx tsx bench/esp.bench.ts --udp           UDP receive: node:dgram vs recvmmsg through the addon (root)
//   npx tsx bench/esp.bench.ts --tun-read      TUN read: slab views vs copied Buffers, batch 64 vs 1 (root)
//   npx tsx bench/esp.bench.ts --tunnel        iperf3 TCP through the TUN+ESP helper tunnel vs plain veth (root)
//   npx tsx bench/esp.bench.ts --all [--seconds 10] [--variants]
//
// --variants adds tunnel runs with node:dgram, copied TUN buffers and batch size 1, to show what
// batching and recvmmsg are worth. Every loop is bounded in time and count.

import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { EncrId, IntegId } from '../engine/ike/constants.ts';
import { EspSa, open, seal, type EspSaOptions } from '../engine/esp/index.ts';
import { NativeUdpSocket } from '../engine/esp/udp-socket.ts';
import { createTunnelPair } from '../test/helpers/esp-netns.ts';

const PACKET = 1400;

interface CryptoSuite { name: string; encr: EncrId; keyBytes: number; integ: IntegId; integKeyBytes: number }

export const CRYPTO_SUITES: CryptoSuite[] = [
  { name: 'AES-GCM-16-128', encr: EncrId.AES_GCM_16, keyBytes: 20, integ: IntegId.NONE, integKeyBytes: 0 },
  { name: 'AES-GCM-16-256', encr: EncrId.AES_GCM_16, keyBytes: 36, integ: IntegId.NONE, integKeyBytes: 0 },
  { name: 'AES-CBC-128/SHA1-96', encr: EncrId.AES_CBC, keyBytes: 16, integ: IntegId.HMAC_SHA1_96, integKeyBytes: 20 },
  { name: 'AES-CBC-128/SHA256-128', encr: EncrId.AES_CBC, keyBytes: 16, integ: IntegId.HMAC_SHA2_256_128, integKeyBytes: 32 },
  { name: 'AES-CBC-256/SHA256-128', encr: EncrId.AES_CBC, keyBytes: 32, integ: IntegId.HMAC_SHA2_256_128, integKeyBytes: 32 },
  { name: 'AES-CBC-256/SHA512-256', encr: EncrId.AES_CBC, keyBytes: 32, integ: IntegId.HMAC_SHA2_512_256, integKeyBytes: 64 },
  { name: 'NULL/SHA256-128', encr: EncrId.NULL, keyBytes: 0, integ: IntegId.HMAC_SHA2_256_128, integKeyBytes: 32 },
];

function innerPacket(len: number): Buffer {
  const p = randomBytes(len);
  p[0] = 0x45;
  p.writeUInt16BE(len, 2);
  return p;
}

/** Runs fn in chunks until `ms` elapsed (bounded by maxOps); returns operations per second. */
function rate(fn: (i: number) => void, ms: number, maxOps = 5_000_000): number {
  for (let i = 0; i < 2000; i++) fn(i); // warm-up
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let ops = 0;
  while (ops < maxOps) {
    for (let k = 0; k < 256; k++) fn(ops++);
    if (process.hrtime.bigint() >= deadline) break;
  }
  return ops / (Number(process.hrtime.bigint() - start) / 1e9);
}

export interface CryptoResult { suite: string; sealPps: number; openPps: number; sealGbps: number; openGbps: number }

export function benchCrypto(ms = 1000): CryptoResult[] {
  const results: CryptoResult[] = [];
  const inner = innerPacket(PACKET);
  for (const s of CRYPTO_SUITES) {
    const keys: Omit<EspSaOptions, 'direction'> = {
      spi: 0x1000, encr: s.encr, integ: s.integ, encrKey: randomBytes(s.keyBytes),
      integKey: s.integKeyBytes ? randomBytes(s.integKeyBytes) : undefined, createdAt: 0,
    };
    const out = new EspSa({ ...keys, direction: 'out' });
    const sealPps = rate(() => { if (!seal(out, inner).ok) throw new Error('seal failed'); }, ms);

    // Open a pool of distinct packets; a fresh inbound SA per pass keeps the replay check real.
    const src = new EspSa({ ...keys, direction: 'out' });
    const pool = Array.from({ length: 4096 }, () => { const r = seal(src, inner); if (!r.ok) throw new Error(r.reason); return r.packet; });
    let inb = new EspSa({ ...keys, direction: 'in' });
    const openPps = rate((i) => {
      const k = i % pool.length;
      if (k === 0) inb = new EspSa({ ...keys, direction: 'in' });
      if (!open(inb, pool[k]!).ok) throw new Error('open failed');
    }, ms);
    results.push({ suite: s.name, sealPps, openPps, sealGbps: (sealPps * PACKET * 8) / 1e9, openGbps: (openPps * PACKET * 8) / 1e9 });
  }
  return results;
}

// --- UDP receive: dgram vs recvmmsg -------------------------------------------------------------

export interface UdpRxResult { receiver: string; pps: number; cpuUsPerDatagram: number }

/**
 * Receiver capacity: with the event loop blocked, this thread queues QUEUED datagrams into the
 * receiving socket (loopback of a scratch namespace, 256 MiB receive buffer), then times the drain
 * by node:dgram (one JS callback per datagram; the socket fd is opened by the addon and handed to
 * dgram with bind({ fd })) and by the addon's recvmmsg reader (one callback per 64).
 */
export async function benchUdpReceive(rounds = 5): Promise<UdpRxResult[]> {
  const QUEUED = 16384;
  const { loadNative } = await import('../engine/native/addon.ts');
  const native = loadNative();
  const name = `fxbu-${randomBytes(3).toString('hex')}`;
  const ns = `/run/netns/${name}`;
  const results: UdpRxResult[] = [];
  await execa('ip', ['netns', 'add', name]);
  try {
    await execa('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    const payloads = Array.from({ length: 64 }, () => randomBytes(PACKET));
    const sender = NativeUdpSocket.open('127.0.0.1', 0, { netns: ns, sndbuf: 64 << 20 });
    for (const receiver of ['node:dgram', 'recvmmsg (addon, 64 per read)'] as const) {
      let best: UdpRxResult | undefined;
      for (let round = 0; round < rounds; round++) {
        let got = 0;
        let done: () => void = () => {};
        const finished = new Promise<void>((resolve) => { done = resolve; setTimeout(resolve, 5000).unref(); });
        let close: () => void;
        let port: number;
        if (receiver === 'node:dgram') {
          const fd = native.udpOpen('127.0.0.1', 0, { netns: ns, rcvbuf: 256 << 20 });
          port = native.udpLocalPort(fd);
          const s = dgram.createSocket('udp4');
          s.on('message', () => { if (++got >= QUEUED) done(); });
          s.bind({ fd });
          close = () => s.close();
        } else {
          const s = NativeUdpSocket.open('127.0.0.1', 0, { netns: ns, rcvbuf: 256 << 20, maxPackets: 64, maxPacketSize: 2048 });
          port = s.localPort;
          s.on('batch', (b) => { got += b.count; if (got >= QUEUED) done(); });
          close = () => s.close();
        }
        await new Promise((r) => setTimeout(r, 50));
        // Synchronous: nobody reads while these are queued.
        let queued = 0;
        for (let i = 0; i < QUEUED / 64; i++) queued += sender.sendBatch(payloads, '127.0.0.1', port);
        const cpu0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        await finished;
        const secs = Number(process.hrtime.bigint() - t0) / 1e9;
        const cpu = process.cpuUsage(cpu0);
        close();
        if (queued < QUEUED) throw new Error(`only ${queued} datagrams could be queued`);
        const r = { receiver, pps: got / secs, cpuUsPerDatagram: (cpu.user + cpu.system) / Math.max(1, got) };
        if (!best || r.pps > best.pps) best = r;
      }
      results.push(best!);
    }
    sender.close();
  } finally {
    await execa('ip', ['netns', 'del', name], { reject: false });
  }
  return results;
}

// --- TUN read: slab vs copied Buffers, batch 64 vs 1 ---------------------------------------------

export interface TunRxResult { reader: string; pps: number; cpuUsPerPacket: number; packetsPerCallback: number }

/**
 * Reader capacity: with the reader not yet running, this thread queues QUEUED packets into the TUN
 * (UDP sent to an address routed into it; the device queue is made long enough), then starts the
 * reader and times how long it takes to drain them. Every read batch is full, so this is what one
 * core can take out of a TUN, without the sender competing for the CPU.
 */
export async function benchTunRead(rounds = 5): Promise<TunRxResult[]> {
  const { TunDevice, configureTun } = await import('../engine/esp/tun.ts');
  const QUEUED = 16384;
  const name = `fxbt-${randomBytes(3).toString('hex')}`;
  const ns = `/run/netns/${name}`;
  const results: TunRxResult[] = [];
  await execa('ip', ['netns', 'add', name]);
  try {
    await execa('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    const variants = [
      { reader: 'slab views, 64 per read', maxPackets: 64, copyMode: false },
      { reader: 'copied Buffers, 64 per read', maxPackets: 64, copyMode: true },
      { reader: 'slab views, 1 per read', maxPackets: 1, copyMode: false },
    ];
    const payloads = Array.from({ length: 64 }, () => randomBytes(PACKET - 28));
    for (const v of variants) {
      let best: TunRxResult | undefined;
      for (let round = 0; round < rounds; round++) {
        const tun = TunDevice.open('fxbt0', { netns: ns, maxPackets: v.maxPackets, maxPacketSize: 1600, copyMode: v.copyMode });
        await configureTun('fxbt0', { addresses: ['10.79.0.1/24'], mtu: 1500, netnsName: name });
        await execa('ip', ['-n', name, 'link', 'set', 'fxbt0', 'txqueuelen', String(QUEUED + 1000)]);
        const sock = NativeUdpSocket.open('10.79.0.1', 0, { netns: ns, sndbuf: 256 << 20 });
        await new Promise((r) => setTimeout(r, 100)); // let IPv6 autoconfiguration noise pass
        let queued = 0;
        for (let i = 0; i < QUEUED / 64 && queued < QUEUED; i++) queued += sock.sendBatch(payloads, '10.79.0.2', 9);
        let got = 0;
        const cpu0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        let t1 = t0;
        let cpu = cpu0;
        await new Promise<void>((resolve) => {
          tun.on('packets', (ps) => {
            got += ps.length;
            if (got >= queued) { t1 = process.hrtime.bigint(); cpu = process.cpuUsage(cpu0); resolve(); }
          });
          setTimeout(resolve, 5000).unref();
        });
        const secs = Number(t1 - t0) / 1e9;
        const r = {
          reader: v.reader, pps: got / secs, cpuUsPerPacket: (cpu.user + cpu.system) / Math.max(1, got),
          packetsPerCallback: got / Math.max(1, tun.stats.rxBatches),
        };
        if (!best || r.pps > best.pps) best = r;
        sock.close();
        tun.close();
        await execa('ip', ['-n', name, 'link', 'del', 'fxbt0'], { reject: false });
      }
      results.push(best!);
    }
  } finally {
    await execa('ip', ['netns', 'del', name], { reject: false });
  }
  return results;
}

// --- Tunnel throughput ----------------------------------------------------------------------------

export interface TunnelResult { name: string; mbps: number; retransmits: number; detail?: string }

async function iperf(nsServer: string, nsClient: string, address: string, seconds: number): Promise<{ mbps: number; retransmits: number }> {
  const server = execa('ip', ['netns', 'exec', nsServer, 'iperf3', '-s', '-1', '-B', address], { reject: false });
  await new Promise((r) => setTimeout(r, 400));
  const c = await execa('ip', ['netns', 'exec', nsClient, 'iperf3', '-c', address, '-t', String(seconds), '-J'], { reject: false, timeout: (seconds + 30) * 1000 });
  await server;
  const j = JSON.parse(c.stdout || '{}') as { end?: { sum_received?: { bits_per_second: number }; sum_sent?: { retransmits?: number } }; error?: string };
  if (!j.end?.sum_received) throw new Error(`iperf3 failed: ${j.error ?? c.stderr}`);
  return { mbps: j.end.sum_received.bits_per_second / 1e6, retransmits: j.end.sum_sent?.retransmits ?? 0 };
}

export async function benchTunnel(seconds = 10, variants = false): Promise<TunnelResult[]> {
  const pair = await createTunnelPair({ encr: EncrId.AES_GCM_16, integ: IntegId.NONE, encrKeyLength: 20, integKeyLength: 0 });
  const results: TunnelResult[] = [];
  try {
    const runs: { name: string; udp: 'native' | 'dgram'; batch?: number; copyMode?: boolean }[] = [
      { name: 'tunnel AES-GCM-128, TUN slab batches + recvmmsg/sendmmsg', udp: 'native' },
    ];
    if (variants) {
      runs.push(
        { name: 'tunnel AES-GCM-128, TUN batches (copied Buffers) + recvmmsg', udp: 'native', copyMode: true },
        { name: 'tunnel AES-GCM-128, TUN slab batches + node:dgram', udp: 'dgram' },
        { name: 'tunnel AES-GCM-128, batch size 1 (TUN and recvmmsg)', udp: 'native', batch: 1 },
      );
    }
    for (const r of runs) {
      await pair.startPeers({ udp: r.udp, batch: r.batch, copyMode: r.copyMode });
      const m = await iperf(pair.nsB, pair.nsA, pair.innerB, seconds);
      const { a, b } = await pair.stopPeers();
      const per = (x: { rxPackets?: number; rxDatagrams?: number; rxBatches: number } | undefined) =>
        x ? fmt((x.rxPackets ?? x.rxDatagrams ?? 0) / Math.max(1, x.rxBatches), 1) : '-';
      const detail = `peer CPU A ${fmt(a.cpuPercent, 0)}% B ${fmt(b.cpuPercent, 0)}%; packets per read: TUN A ${per(a.tun)}, UDP B ${per(b.udp)}; ` +
        `drops A ${JSON.stringify(a.dropped)} send ${a.sendDrops}, B ${JSON.stringify(b.dropped)} send ${b.sendDrops}`;
      results.push({ name: r.name, ...m, detail });
    }
    const veth = await iperf(pair.nsB, pair.nsA, pair.outerB, seconds);
    results.push({ name: 'plain veth (same namespaces, same run)', ...veth });
  } finally {
    await pair.destroy();
  }
  return results;
}

// --- CLI --------------------------------------------------------------------------------------------

const fmt = (n: number, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main(argv: string[]): Promise<void> {
  const has = (f: string) => argv.includes(f);
  const secIdx = argv.indexOf('--seconds');
  const seconds = secIdx >= 0 ? Number(argv[secIdx + 1]) : 10;
  const all = has('--all');
  const onlyIo = has('--udp') || has('--tunnel') || has('--tun-read');
  if (all || !onlyIo) {
    console.log(`ESP crypto, ${PACKET}-byte inner packets, one core (Node ${process.version})`);
    console.log('suite'.padEnd(26) + 'seal pkt/s'.padStart(12) + 'Gbit/s'.padStart(8) + 'open pkt/s'.padStart(12) + 'Gbit/s'.padStart(8));
    for (const r of benchCrypto()) {
      console.log(r.suite.padEnd(26) + fmt(r.sealPps / 1000, 1).padStart(11) + 'k' + fmt(r.sealGbps, 2).padStart(8) + fmt(r.openPps / 1000, 1).padStart(11) + 'k' + fmt(r.openGbps, 2).padStart(8));
    }
  }
  if (all || has('--udp')) {
    console.log('\nUDP receive: drain 16384 queued 1400-byte datagrams (best of 5)');
    for (const r of await benchUdpReceive()) {
      console.log(`${r.receiver.padEnd(30)} ${fmt(r.pps / 1000)}k datagrams/s, receiver CPU ${fmt(r.cpuUsPerDatagram, 2)} µs/datagram`);
    }
  }
  if (all || has('--tun-read')) {
    console.log('\nTUN read: drain 16384 queued 1400-byte packets (best of 5)');
    for (const r of await benchTunRead()) {
      console.log(`${r.reader.padEnd(30)} ${fmt(r.pps / 1000)}k packets/s, reader CPU ${fmt(r.cpuUsPerPacket, 2)} µs/packet, ${fmt(r.packetsPerCallback)} packets per JS callback`);
    }
  }
  if (all || has('--tunnel')) {
    console.log(`\nTCP throughput, iperf3 ${seconds} s, A -> B`);
    const res = await benchTunnel(seconds, has('--variants'));
    const veth = res.at(-1)!.mbps;
    for (const r of res) {
      console.log(`${r.name.padEnd(62)} ${fmt(r.mbps, 0).padStart(7)} Mbit/s  ratio ${fmt(r.mbps / veth, 3)}  retransmits ${r.retransmits}`);
      if (r.detail) console.log(`    ${r.detail}`);
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
}
