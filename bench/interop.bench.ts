// Ours beside strongSwan, in the same run (issue 5), printed as ratios:
//  1. TCP throughput (iperf3, S seconds per run, R runs interleaved; median and min-max) host to host
//     through our tunnel (flexvpn-spoke -> flexvpn-hub), through charon-to-charon (kernel-libipsec),
//     and over a plain veth. Same IKE and ESP suite on both tunnels (X25519, AES-GCM-128).
//  2. IKE responder set-up rate: our load generator (bench/ike-loadgen.ts: one process, our sans-IO
//     engine, PSK + X25519, one CHILD SA and one virtual IP per IKE SA, bounded in count, concurrency
//     and time) against our hub daemon and against charon as responder, same proposal: IKE SAs per
//     second, and the responder's RSS growth per established SA. charon's DoS limits are raised for it
//     (README section 12: per-IP half-open limit 5, cookie thresholds) and its IKE_SA table hashed.
// Usage: npx tsx bench/interop.bench.ts [--runs 3] [--seconds 10] [--count 500] [--concurrency 20] [--only tcp|setup]

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { loadTopologyFile } from '../labs/topology/load.ts';
import { deployLab, destroyLab } from '../labs/lab.ts';
import type { Lab } from '../labs/lab.ts';
import { sleep } from '../labs/command.ts';
import { controlRequest } from '../engine/daemon/control.ts';
import { controlPathOf } from '../engine/daemon/daemon.ts';
import type { SessionView } from '../reports/show.ts';
import { labStrongswanPaths, strongswanSessions } from '../interop/strongswan/sessions.ts';
import { swanctlOk } from '../interop/strongswan/swanctl.ts';
import { charonPid } from '../interop/strongswan/charon.ts';
import type { LoadgenResult } from './ike-loadgen.ts';

const LOADGEN = fileURLToPath(new URL('ike-loadgen.ts', import.meta.url));
const PSK = 'flexlab-bench-psk-0123';

export interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export interface SetupRate {
  established: number;
  failed: number;
  seconds: number;
  rate: number;
  rssBeforeKb: number;
  rssAfterKb: number;
  rssPerSaKb: number;
}

export interface InteropBenchResult {
  tcp?: { ours: Stats; charon: Stats; veth: Stats; seconds: number };
  setup?: { ours: SetupRate; charon: SetupRate; count: number; concurrency: number };
}

export interface InteropBenchOptions {
  runs?: number;
  seconds?: number;
  count?: number;
  concurrency?: number;
  only?: 'tcp' | 'setup';
  log?: (line: string) => void;
}

const stats = (xs: number[]): Stats => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s.at(-1)!, runs: xs };
};

async function deployYaml(doc: object, tag: string): Promise<{ lab: Lab; dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), `flexlab-bench-${tag}-`));
  const file = path.join(dir, 'topology.yaml');
  writeFileSync(file, stringify(doc));
  const lab = await deployLab(loadTopologyFile(file).lab, { outDir: path.join(dir, 'out') });
  return { lab, dir };
}

const ours = (lab: Lab, node: string) => controlRequest<SessionView[]>(controlPathOf(lab.state.dir, node), 'ike-sas');

async function waitUp(what: string, f: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await f().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${what} did not come up within ${ms / 1000} s`);
}

async function iperf(lab: Lab, client: string, server: string, addr: string, seconds: number): Promise<number> {
  await lab.exec(server, ['iperf3', '-s', '-1', '-D', '-B', addr]);
  await sleep(300);
  const out = await lab.exec(client, ['iperf3', '-c', addr, '-t', String(seconds), '-J'], { timeoutMs: (seconds + 30) * 1000 });
  return (JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second / 1e6;
}

// ------------------------------------------------------------------------------- throughput

export function tcpTopology(): object {
  const host = (addr: string, gw: string) => ({ kind: 'host', interfaces: { eth1: { ipv4: addr } }, routes: [{ dst: 'default', via: gw }] });
  const oursCommon = {
    'pre-shared-key': PSK, proposals: [{ encryption: 'aes-cbc-128', integrity: 'sha256', group: 31 }], 'transform-sets': ['esp-gcm 128'],
  };
  const conn = (local: string, remote: string, remoteAddr?: string) => ({
    ...(remoteAddr ? { remote_addrs: [remoteAddr] } : {}), proposals: ['aes128-sha256-x25519'], psk: PSK,
    local: { auth: 'psk', id: `${local}.bench.flexlab.test` }, remote: { auth: 'psk', id: `${remote}.bench.flexlab.test` },
    children: { net: { local_ts: [local === 'c1' ? '10.21.0.0/24' : '10.22.0.0/24'], remote_ts: [local === 'c1' ? '10.22.0.0/24' : '10.21.0.0/24'], esp_proposals: ['aes128gcm16'] } },
  });
  return {
    name: 'bench-iop',
    topology: {
      nodes: {
        o1: {
          kind: 'flexvpn-spoke',
          config: { ...oursCommon, peer: '192.0.2.2', identity: { fqdn: 'o1.bench.flexlab.test' }, 'traffic-selectors': { local: '10.11.0.0/24', remote: '10.12.0.0/24' }, tunnel: { address: '10.11.0.1/32' } },
          interfaces: { eth1: { ipv4: '192.0.2.1/24' }, eth2: { ipv4: '10.11.0.1/24' } },
        },
        o2: {
          kind: 'flexvpn-hub',
          config: { ...oursCommon, identity: { fqdn: 'o2.bench.flexlab.test' }, 'traffic-selectors': { local: '10.12.0.0/24', remote: '10.11.0.0/24' } },
          interfaces: { eth1: { ipv4: '192.0.2.2/24' }, eth2: { ipv4: '10.12.0.1/24' } },
        },
        c1: { kind: 'strongswan', config: { connections: { net: conn('c1', 'c2', '198.51.100.2') }, log: { keys: false } }, interfaces: { eth1: { ipv4: '198.51.100.1/24' }, eth2: { ipv4: '10.21.0.1/24' } } },
        c2: { kind: 'strongswan', config: { connections: { net: conn('c2', 'c1') }, log: { keys: false } }, interfaces: { eth1: { ipv4: '198.51.100.2/24' }, eth2: { ipv4: '10.22.0.1/24' } } },
        ho1: host('10.11.0.10/24', '10.11.0.1'), ho2: host('10.12.0.10/24', '10.12.0.1'),
        hc1: host('10.21.0.10/24', '10.21.0.1'), hc2: host('10.22.0.10/24', '10.22.0.1'),
        v1: { kind: 'host', interfaces: { eth1: { ipv4: '203.0.113.1/24' } } }, v2: { kind: 'host', interfaces: { eth1: { ipv4: '203.0.113.2/24' } } },
      },
      links: [
        { endpoints: ['o1:eth1', 'o2:eth1'] }, { endpoints: ['o1:eth2', 'ho1:eth1'] }, { endpoints: ['o2:eth2', 'ho2:eth1'] },
        { endpoints: ['c1:eth1', 'c2:eth1'] }, { endpoints: ['c1:eth2', 'hc1:eth1'] }, { endpoints: ['c2:eth2', 'hc2:eth1'] },
        { endpoints: ['v1:eth1', 'v2:eth1'] },
      ],
    },
  };
}

export async function benchThroughput(runs: number, seconds: number, log: (l: string) => void): Promise<NonNullable<InteropBenchResult['tcp']>> {
  const { lab, dir } = await deployYaml(tcpTopology(), 'tcp');
  try {
    await swanctlOk(labStrongswanPaths(lab, 'c1'), ['--initiate', '--child', 'net', '--timeout', '20'], 30_000);
    await waitUp('our tunnel', async () => (await ours(lab, 'o1')).some((s) => s.status === 'READY' && s.children.length > 0));
    await waitUp('the charon tunnel', async () => (await strongswanSessions(lab, 'c2')).some((s) => s.status === 'READY' && s.children.length > 0));
    const suite = { ours: (await ours(lab, 'o1'))[0]!.children[0]!.suite, charon: (await strongswanSessions(lab, 'c1'))[0]!.children[0]!.suite };
    log(`  tunnels up: ours ${suite.ours}, charon ${suite.charon}; ${runs} runs of ${seconds} s each, interleaved`);
    const o: number[] = [], c: number[] = [], v: number[] = [];
    for (let i = 0; i < runs; i++) {
      o.push(await iperf(lab, 'ho1', 'ho2', '10.12.0.10', seconds));
      c.push(await iperf(lab, 'hc1', 'hc2', '10.22.0.10', seconds));
      v.push(await iperf(lab, 'v1', 'v2', '203.0.113.2', seconds));
      log(`  run ${i + 1}: ours ${o.at(-1)!.toFixed(0)}, charon ${c.at(-1)!.toFixed(0)}, veth ${v.at(-1)!.toFixed(0)} Mbit/s`);
    }
    return { ours: stats(o), charon: stats(c), veth: stats(v), seconds };
  } finally {
    await destroyLab(lab.name).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------- set-up rate

export function setupTopology(): object {
  const proposal = 'aes128-sha256-x25519';
  return {
    name: 'bench-iks',
    topology: {
      nodes: {
        lg: { kind: 'host', interfaces: { eth1: { ipv4: '192.0.2.10/24' }, eth2: { ipv4: '198.51.100.10/24' } } },
        hub: {
          kind: 'flexvpn-hub',
          config: {
            'pre-shared-key': PSK, identity: { fqdn: 'hub.load.flexlab.test' }, pool: '10.128.0.0/16',
            proposals: [{ encryption: 'aes-cbc-128', integrity: 'sha256', group: 31 }], 'transform-sets': ['esp-gcm 128'],
            'traffic-selectors': { local: '10.2.0.0/24' }, 'cookie-threshold': 1000000,
          },
          interfaces: { eth1: { ipv4: '192.0.2.1/24' }, lan: { type: 'dummy', ipv4: '10.2.0.1/24' } },
        },
        charon: {
          kind: 'strongswan',
          config: {
            // README section 12: all load comes from one IP; lift the per-IP half-open limit and the
            // cookie thresholds, and hash the IKE_SA table (the default size 1 is a linked list).
            charon: { dos_protection: false, block_threshold: 100000, cookie_threshold: 100000, cookie_threshold_ip: 100000, ikesa_table_size: 4096, ikesa_table_segments: 16 },
            log: { levels: { default: 0, ike: 0, cfg: 0, knl: 0, net: 0, esp: 0, enc: 0, chd: 0 }, keys: false },
            pools: { lt: { addrs: '10.128.0.0/16' } },
            connections: {
              lt: {
                proposals: [proposal], psk: PSK, local: { auth: 'psk', id: 'hub.load.flexlab.test' }, remote: { auth: 'psk', id: '%any' },
                pools: ['lt'], children: { lt: { local_ts: ['10.3.0.0/24'], esp_proposals: ['aes128gcm16'] } },
              },
            },
          },
          interfaces: { eth1: { ipv4: '198.51.100.1/24' }, lan: { type: 'dummy', ipv4: '10.3.0.1/24' } },
        },
      },
      links: [{ endpoints: ['lg:eth1', 'hub:eth1'] }, { endpoints: ['lg:eth2', 'charon:eth1'] }],
    },
  };
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function loadgen(lab: Lab, local: string, peer: string, remoteTs: string, count: number, concurrency: number, timeoutS: number): Promise<LoadgenResult> {
  const out = await lab.exec('lg', [process.execPath, '--import', 'tsx/esm', LOADGEN, '--local', local, '--peer', peer, '--remote-ts', remoteTs, '--count', String(count),
    '--concurrency', String(concurrency), '--timeout', String(timeoutS), '--psk', PSK, '--remote-id', 'hub.load.flexlab.test'], { timeoutMs: (timeoutS + 60) * 1000 });
  return JSON.parse(out.trim().split('\n').pop()!) as LoadgenResult;
}

export async function benchSetupRate(count: number, concurrency: number, log: (l: string) => void): Promise<NonNullable<InteropBenchResult['setup']>> {
  const { lab, dir } = await deployYaml(setupTopology(), 'setup');
  try {
    const measure = async (name: string, pid: number, local: string, peer: string, remoteTs: string): Promise<SetupRate> => {
      await sleep(500);
      const before = rssKb(pid);
      const r = await loadgen(lab, local, peer, remoteTs, count, concurrency, 120);
      await sleep(500);
      const after = rssKb(pid);
      log(`  ${name}: ${r.established} IKE SAs established (${r.failed} failed, ${r.retransmits} retransmissions) in ${r.seconds.toFixed(2)} s = ${r.rate.toFixed(0)}/s; RSS ${(before / 1024).toFixed(1)} -> ${(after / 1024).toFixed(1)} MB`);
      return { ...r, rssBeforeKb: before, rssAfterKb: after, rssPerSaKb: r.established ? (after - before) / r.established : 0 };
    };
    const hubPid = (await controlRequest<{ pid: number }>(controlPathOf(lab.state.dir, 'hub'), 'status')).pid;
    const oursRate = await measure('our hub', hubPid, '192.0.2.10', '192.0.2.1', '10.2.0.0/24');
    const cPid = charonPid(labStrongswanPaths(lab, 'charon'));
    if (!cPid) throw new Error('no charon pid');
    const charonRate = await measure('charon', cPid, '198.51.100.10', '198.51.100.1', '10.3.0.0/24');
    return { ours: oursRate, charon: charonRate, count, concurrency };
  } finally {
    // charon with hundreds of SAs takes a while to stop; the kind waits for it (bounded).
    await destroyLab(lab.name).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------- report

const f0 = (n: number) => n.toFixed(0);
const ratio = (a: number, b: number) => (b ? `${(a / b).toFixed(2)}x` : 'n/a');

export function formatInteropBench(r: InteropBenchResult): string {
  const lines: string[] = [];
  if (r.tcp) {
    const t = r.tcp;
    lines.push(`TCP throughput, iperf3 ${t.seconds} s x ${t.ours.runs.length} runs (Mbit/s, median [min-max]):`);
    for (const [k, s] of [['our tunnel', t.ours], ['charon-charon (libipsec)', t.charon], ['plain veth', t.veth]] as const) {
      lines.push(`  ${k.padEnd(26)} ${f0(s.median).padStart(7)} [${f0(s.min)}-${f0(s.max)}]`);
    }
    lines.push(`  ratios: ours/charon ${ratio(t.ours.median, t.charon.median)}, ours/veth ${ratio(t.ours.median, t.veth.median)}, charon/veth ${ratio(t.charon.median, t.veth.median)}`);
  }
  if (r.setup) {
    const s = r.setup;
    lines.push(`IKE responder set-up rate, ${s.count} IKE SAs (PSK, X25519, 1 CHILD + 1 virtual IP each), ${s.concurrency} in flight, one load generator:`);
    for (const [k, x] of [['our hub daemon', s.ours], ['charon', s.charon]] as const) {
      lines.push(`  ${k.padEnd(16)} ${f0(x.rate).padStart(5)} IKE SA/s (${x.established} in ${x.seconds.toFixed(2)} s, ${x.failed} failed), RSS +${(x.rssPerSaKb).toFixed(1)} kB per SA`);
    }
    lines.push(`  ratios: set-up rate ours/charon ${ratio(s.ours.rate, s.charon.rate)}, memory per SA ours/charon ${ratio(s.ours.rssPerSaKb, s.charon.rssPerSaKb)}`);
  }
  return lines.join('\n');
}

export async function benchInterop(opts: InteropBenchOptions = {}): Promise<InteropBenchResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const r: InteropBenchResult = {};
  if (opts.only !== 'setup') r.tcp = await benchThroughput(opts.runs ?? 3, opts.seconds ?? 10, log);
  if (opts.only !== 'tcp') r.setup = await benchSetupRate(opts.count ?? 500, opts.concurrency ?? 20, log);
  return r;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (n: string) => {
    const i = process.argv.indexOf(`--${n}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const num = (n: string) => (arg(n) !== undefined ? Number(arg(n)) : undefined);
  const only = arg('only');
  const r = await benchInterop({ runs: num('runs'), seconds: num('seconds'), count: num('count'), concurrency: num('concurrency'), only: only === 'tcp' || only === 'setup' ? only : undefined });
  console.log(formatInteropBench(r));
}
