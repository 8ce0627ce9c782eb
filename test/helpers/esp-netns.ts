// Two namespaces joined by a veth pair, each running test/helpers/esp-tunnel-peer.ts, for the TUN
// tunnel test and the ESP benchmark. Everything created is removed by destroy() (deleting a
// namespace removes its veth end and TUN device; the peer processes are killed first).

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { PeerConfig, PeerSaConfig } from './esp-tunnel-peer.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PEER = fileURLToPath(new URL('./esp-tunnel-peer.ts', import.meta.url));

export interface PeerStats {
  cpuPercent: number;
  udp?: { rxDatagrams: number; rxBatches: number; rxTruncated: number; txDatagrams: number; txDrops: number };
  sealed: number;
  opened: number;
  dropped: Record<string, number>;
  nonEsp: number;
  sendDrops: number;
  tun: { rxPackets: number; rxBatches: number; txPackets: number; txDrops: number };
  inSa: { packets: number; drops: Record<string, number> };
  sadDrops: Record<string, number>;
}

export interface TunnelPair {
  id: string;
  nsA: string;
  nsB: string;
  vethA: string;
  outerA: string;
  outerB: string;
  innerA: string;
  innerB: string;
  /** SA sealed by A (= opened by B) and the reverse. */
  saAB: PeerSaConfig;
  saBA: PeerSaConfig;
  startPeers(opts: { udp: 'native' | 'dgram'; batch?: number; copyMode?: boolean; mtu?: number; nodeArgs?: string[] }): Promise<void>;
  /** SIGTERM both peers; returns their final counters. */
  stopPeers(): Promise<{ a: PeerStats; b: PeerStats }>;
  destroy(): Promise<void>;
}

export async function createTunnelPair(sa: { encr: number; integ: number; encrKeyLength: number; integKeyLength: number }): Promise<TunnelPair> {
  const id = randomBytes(3).toString('hex');
  const nsA = `fxesp-a-${id}`, nsB = `fxesp-b-${id}`;
  const vethA = `fxva${id}`, vethB = `fxvb${id}`;
  const outerA = '192.0.2.1', outerB = '192.0.2.2';
  const innerA = '10.201.0.1', innerB = '10.201.0.2';
  const key = (n: number) => randomBytes(n).toString('hex');
  const mk = (spi: number): PeerSaConfig => ({
    spi, encr: sa.encr, integ: sa.integ, encrKey: key(sa.encrKeyLength),
    integKey: sa.integKeyLength ? key(sa.integKeyLength) : undefined,
  });
  const saAB = mk(0xa0000000 + randomBytes(2).readUInt16BE()), saBA = mk(0xb0000000 + randomBytes(2).readUInt16BE());
  const children: ChildProcess[] = [];
  let made = false;

  const destroy = async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    if (made) {
      await execa('ip', ['netns', 'del', nsA], { reject: false });
      await execa('ip', ['netns', 'del', nsB], { reject: false });
    }
  };

  try {
    made = true;
    await execa('ip', ['netns', 'add', nsA]);
    await execa('ip', ['netns', 'add', nsB]);
    await execa('ip', ['link', 'add', vethA, 'netns', nsA, 'type', 'veth', 'peer', 'name', vethB, 'netns', nsB]);
    for (const [ns, dev, addr] of [[nsA, vethA, outerA], [nsB, vethB, outerB]] as const) {
      await execa('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      await execa('ip', ['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev]);
      await execa('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
  } catch (e) {
    await destroy();
    throw e;
  }

  const peers: { proc: ChildProcess; out: string[] }[] = [];
  const startPeer = (ns: string, cfg: PeerConfig, nodeArgs: string[] = []) => new Promise<void>((resolve, reject) => {
    const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, ...nodeArgs, '--import', 'tsx/esm', PEER, JSON.stringify(cfg)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(proc);
    const rec = { proc, out: [] as string[] };
    peers.push(rec);
    let stderr = '';
    let buf = '';
    proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === 'READY') resolve();
        else rec.out.push(line);
      }
    });
    proc.on('exit', (code) => reject(new Error(`tunnel peer in ${ns} exited with ${code} before READY: ${stderr}`)));
    setTimeout(() => reject(new Error(`tunnel peer in ${ns} not ready after 20 s: ${stderr}`)), 20_000).unref();
  });

  return {
    id, nsA, nsB, vethA, outerA, outerB, innerA, innerB, saAB, saBA, destroy,
    async startPeers(o) {
      const mtu = o.mtu ?? 1400;
      const base = { mtu, udp: o.udp, batch: o.batch, copyMode: o.copyMode };
      await Promise.all([
        startPeer(nsA, { ...base, tun: `fxt${id}`, tunAddress: `${innerA}/32`, routes: [`${innerB}/32`], local: outerA, remote: outerB, out: saAB, in: saBA }, o.nodeArgs),
        startPeer(nsB, { ...base, tun: `fxt${id}`, tunAddress: `${innerB}/32`, routes: [`${innerA}/32`], local: outerB, remote: outerA, out: saBA, in: saAB }, o.nodeArgs),
      ]);
    },
    async stopPeers() {
      const stats = await Promise.all(peers.map(({ proc, out }) => new Promise<PeerStats>((resolve, reject) => {
        proc.removeAllListeners('exit');
        proc.on('close', () => {
          try { resolve(JSON.parse(out.at(-1) ?? '') as PeerStats); } catch { reject(new Error(`peer printed no counters: ${out.join('\n')}`)); }
        });
        proc.kill('SIGTERM');
      })));
      peers.length = 0;
      return { a: stats[0]!, b: stats[1]! };
    },
  };
}
