// Throughput through one of our tunnels next to plain veth, in the same lab and the same run:
// iperf3 TCP (10 s per run, median of N runs) host1 -> spoke1 ==ESP== hub -> hub-host, against
// iperf3 TCP over a plain veth link of the same lab; and packets per second (iperf3 UDP, 64-byte
// payloads, bounded to a few seconds) through the tunnel and over veth.
// Usage: npx tsx bench/tunnel.bench.ts [--runs N] [--seconds S] [--esp "esp-gcm 256"]

import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { loadTopologyFile } from '../labs/topology/load.ts';
import { deployLab, destroyLab } from '../labs/lab.ts';
import type { Lab } from '../labs/lab.ts';
import { controlRequest } from '../engine/daemon/control.ts';
import { controlPathOf } from '../engine/daemon/daemon.ts';
import type { SessionView } from '../reports/show.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function iperfTcp(lab: Lab, client: string, server: string, addr: string, seconds: number): Promise<number> {
  await lab.exec(server, ['iperf3', '-s', '-1', '-D', '-B', addr]);
  await new Promise((r) => setTimeout(r, 300));
  const out = await lab.exec(client, ['iperf3', '-c', addr, '-t', String(seconds), '-J'], { timeoutMs: (seconds + 30) * 1000 });
  return (JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second / 1e6;
}

async function iperfPps(lab: Lab, client: string, server: string, addr: string, seconds: number): Promise<{ pps: number; loss: number }> {
  await lab.exec(server, ['iperf3', '-s', '-1', '-D', '-B', addr]);
  await new Promise((r) => setTimeout(r, 300));
  // 64-byte UDP payloads at up to 2 Gbit/s offered: bounded in time, the receiver counts what arrived.
  const out = await lab.exec(client, ['iperf3', '-c', addr, '-u', '-l', '64', '-b', '2G', '-t', String(seconds), '-J'], { timeoutMs: (seconds + 30) * 1000 });
  const j = JSON.parse(out) as { end: { sum: { packets: number; lost_packets: number; seconds: number } } };
  const s = j.end.sum;
  return { pps: (s.packets - s.lost_packets) / s.seconds, loss: s.packets ? s.lost_packets / s.packets : 0 };
}

export async function benchTunnel(opts: { runs: number; seconds: number; esp?: string }): Promise<void> {
  const topo = YAML.parse(readFileSync(fileURLToPath(new URL('../topologies/hub-spoke.yaml', import.meta.url)), 'utf8')) as {
    name: string; topology: { nodes: Record<string, { config?: Record<string, unknown> }> };
  };
  topo.name = 'bench-tun';
  if (opts.esp) for (const n of ['hub', 'spoke1', 'spoke2']) topo.topology.nodes[n]!.config!['transform-sets'] = [opts.esp];
  const dir = mkdtempSync(path.join(tmpdir(), 'flexlab-bench-'));
  const file = path.join(dir, 'bench.yaml');
  writeFileSync(file, YAML.stringify(topo));
  const lab = await deployLab(loadTopologyFile(file).lab, { outDir: path.join(dir, 'out') });
  try {
    const ctl = (node: string) => controlRequest<SessionView[]>(controlPathOf(lab.state.dir, node), 'ike-sas');
    for (let i = 0; i < 200 && !(await ctl('spoke1')).some((s) => s.status === 'READY' && s.children.length); i++) await new Promise((r) => setTimeout(r, 100));
    const suite = (await ctl('spoke1'))[0]?.children[0]?.suite ?? '?';
    const tun: number[] = [], veth: number[] = [];
    for (let i = 0; i < opts.runs; i++) {
      tun.push(await iperfTcp(lab, 'host1', 'hub-host', '192.168.10.10', opts.seconds));
      veth.push(await iperfTcp(lab, 'spoke1', 'wan', '203.0.113.14', opts.seconds));
    }
    const ppsTun = await iperfPps(lab, 'host1', 'hub-host', '192.168.10.10', 3);
    const ppsVeth = await iperfPps(lab, 'spoke1', 'wan', '203.0.113.14', 3);
    const spread = (xs: number[]) => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`;
    console.log(`TCP throughput, iperf3 ${opts.seconds} s x ${opts.runs} runs (median, range), ESP ${suite}:`);
    console.log(`  our tunnel (host1 -> spoke1 => hub -> hub-host)   ${median(tun).toFixed(0).padStart(7)} Mbit/s   (${spread(tun)})`);
    console.log(`  plain veth (spoke1 -> wan)                        ${median(veth).toFixed(0).padStart(7)} Mbit/s   (${spread(veth)})`);
    console.log(`  ratio tunnel/veth                                 ${(median(tun) / median(veth)).toFixed(3).padStart(7)}`);
    console.log('Packets per second, iperf3 UDP 64-byte payloads, 3 s (received):');
    console.log(`  our tunnel   ${ppsTun.pps.toFixed(0).padStart(9)} pkt/s  (loss ${(ppsTun.loss * 100).toFixed(1)} % of what iperf3 offered)`);
    console.log(`  plain veth   ${ppsVeth.pps.toFixed(0).padStart(9)} pkt/s  (loss ${(ppsVeth.loss * 100).toFixed(1)} %)`);
    console.log(`  ratio        ${(ppsTun.pps / ppsVeth.pps).toFixed(3).padStart(9)}`);
  } finally {
    await destroyLab(lab.name);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchTunnel({ runs: Number(arg('runs', '3')), seconds: Number(arg('seconds', '10')), esp: process.argv.includes('--esp') ? arg('esp', '') : undefined });
}
