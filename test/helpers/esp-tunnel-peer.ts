// Throwaway tunnel endpoint for test/esp-tun.test.ts and bench/esp.bench.ts: a TUN device and a
// UDP 4500 socket joined by EspSa seal/open with fixed keys (no IKE). Run inside a namespace:
//   ip netns exec NS node --import tsx/esm test/helpers/esp-tunnel-peer.ts '<json PeerConfig>'
// Prints "READY" once the TUN is configured and the socket bound; on SIGTERM prints one JSON line
// of counters and exits.

import dgram from 'node:dgram';
import { EspSa, SecurityAssociationDatabase, classifyUdp4500 } from '../../engine/esp/index.ts';
import { TunDevice, configureTun } from '../../engine/esp/tun.ts';
import { NativeUdpSocket } from '../../engine/esp/udp-socket.ts';

export interface PeerSaConfig {
  spi: number;
  encr: number;
  integ: number;
  encrKey: string; // hex
  integKey?: string; // hex
}

export interface PeerConfig {
  tun: string;
  tunAddress: string; // CIDR
  routes: string[];
  mtu: number;
  local: string; // outer address to bind
  remote: string; // outer address of the peer
  port?: number;
  out: PeerSaConfig;
  in: PeerSaConfig;
  /** 'native': recvmmsg/sendmmsg through the addon; 'dgram': node:dgram, one callback per datagram. */
  udp: 'native' | 'dgram';
  /** Read batch size for TUN and native UDP (default 64). */
  batch?: number;
  /** TUN reader delivers copied Buffers (measurement of the alternative). */
  copyMode?: boolean;
}

const cfg = JSON.parse(process.argv[2] ?? '') as PeerConfig;
const port = cfg.port ?? 4500;
const mkSa = (c: PeerSaConfig, direction: 'in' | 'out') => new EspSa({
  spi: c.spi, direction, encr: c.encr, integ: c.integ, encrKey: Buffer.from(c.encrKey, 'hex'),
  integKey: c.integKey ? Buffer.from(c.integKey, 'hex') : undefined, createdAt: Date.now(), replayWindow: 1024,
});

const sad = new SecurityAssociationDatabase();
const inSa = mkSa(cfg.in, 'in');
sad.addInbound(inSa);
// One tunnel per TUN device: the device is the policy, so the entry is used directly (fast path).
const entry = sad.addPolicy({ name: cfg.tun, localTs: [], remoteTs: [], outSa: mkSa(cfg.out, 'out') });

const tun = TunDevice.open(cfg.tun, { maxPackets: cfg.batch ?? 64, maxPacketSize: cfg.mtu + 64, copyMode: cfg.copyMode });
await configureTun(tun.name, { addresses: [cfg.tunAddress], mtu: cfg.mtu, routes: cfg.routes });

const counters = { sealed: 0, opened: 0, dropped: {} as Record<string, number>, nonEsp: 0, sendDrops: 0 };
const countDrop = (reason: string) => { counters.dropped[reason] = (counters.dropped[reason] ?? 0) + 1; };
const MAX_DGRAM_QUEUE = 256; // bound userspace queues (interop README section 12)

let sendBatch: (packets: Buffer[]) => void;
let closeUdp: () => void;
let udpStatsOf: () => unknown = () => undefined;

function openInbound(datagrams: Iterable<Buffer>): void {
  const inner: Buffer[] = [];
  for (const d of datagrams) {
    if (classifyUdp4500(d) !== 'esp') { counters.nonEsp++; continue; }
    const r = sad.open(d);
    if (r.ok) inner.push(r.inner);
    else countDrop(r.reason);
  }
  if (inner.length) {
    counters.opened += inner.length;
    tun.writeBatch(inner);
  }
}

if (cfg.udp === 'native') {
  const sock = NativeUdpSocket.open(cfg.local, port, { maxPackets: cfg.batch ?? 64, maxPacketSize: cfg.mtu + 256, rcvbuf: 4 << 20, sndbuf: 4 << 20 });
  sock.on('batch', (b) => {
    const list: Buffer[] = new Array(b.count);
    for (let i = 0; i < b.count; i++) list[i] = b.data(i);
    openInbound(list);
  });
  sendBatch = (packets) => {
    const n = sock.sendBatch(packets, cfg.remote, port);
    counters.sendDrops += packets.length - n;
  };
  closeUdp = () => sock.close();
  udpStatsOf = () => sock.stats;
} else {
  const sock = dgram.createSocket({ type: cfg.remote.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  await new Promise<void>((resolve) => sock.bind(port, cfg.local, resolve));
  sock.on('message', (msg) => openInbound([msg]));
  sendBatch = (packets) => {
    for (const p of packets) {
      if (sock.getSendQueueCount() > MAX_DGRAM_QUEUE) { counters.sendDrops++; continue; }
      sock.send(p, port, cfg.remote);
    }
  };
  closeUdp = () => sock.close();
}

tun.on('packets', (packets) => {
  const out: Buffer[] = [];
  for (const p of packets) {
    const r = sad.seal(p, entry);
    if (r.ok) out.push(r.packet);
    else countDrop(r.reason);
  }
  counters.sealed += out.length;
  if (out.length) sendBatch(out);
});

const started = process.hrtime.bigint();
const cpuAtStart = process.cpuUsage();
process.on('SIGTERM', () => {
  const cpu = process.cpuUsage(cpuAtStart);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const udpStats = udpStatsOf();
  process.stdout.write(JSON.stringify({ ...counters, cpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100, udp: udpStats, tun: tun.stats, inSa: { packets: inSa.packets, drops: inSa.drops }, sadDrops: sad.drops }) + '\n');
  tun.close();
  closeUdp();
  process.exit(0);
});

process.stdout.write('READY\n');
