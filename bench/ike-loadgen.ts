// IKE load generator: one process, our sans-IO IkeEngine driving many IKE SAs (PSK + X25519, one
// CHILD SA each, a virtual IP requested) against one responder, with a bounded number in flight,
// a bounded count and a bounded time. Run inside a lab node's namespace (it binds UDP 500 and 4500
// on --local); prints one JSON line: established, failed, seconds, rate (IKE SAs per second).
// Usage: node --import tsx/esm bench/ike-loadgen.ts --local A --peer B --count N [--concurrency C]
//        [--timeout S] [--psk KEY] [--remote-id FQDN] [--ike aes128-sha256-x25519] [--esp esp-gcm 128]

import dgram from 'node:dgram';
import { IkeEngine } from '../engine/ike/engine.ts';
import type { ConnectionConfig } from '../engine/ike/engine.ts';
import { defaultIpsecProfile, parseTransformSet } from '../engine/ike/config.ts';
import type { Ikev2Profile, Ikev2Proposal, TransformSet } from '../engine/ike/config.ts';
import { tsFromCidr } from '../engine/ike/traffic-selectors.ts';

export interface LoadgenOptions {
  local: string;
  peer: string;
  count: number;
  concurrency: number;
  timeoutS: number;
  psk: string;
  remoteId?: string;
  proposal: Ikev2Proposal;
  esp: string;
  remoteTs: string;
  /** Failure reasons on stderr. */
  verbose?: boolean;
}

export interface LoadgenResult {
  established: number;
  failed: number;
  seconds: number;
  rate: number;
  retransmits: number;
}

function profile(o: LoadgenOptions, i: number, ipsec: Ikev2Profile['ipsec']): Ikev2Profile {
  return {
    name: `lg${i}`, matchRemote: o.remoteId ? [{ type: 'fqdn', value: o.remoteId }] : [{ type: 'any' }],
    localIdentity: { type: 'fqdn', value: `lg-${i}.load.flexlab.test` },
    authLocal: 'pre-share', authRemote: ['pre-share'],
    keyring: { name: 'k', peers: [{ name: 'any', address: '0.0.0.0/0', preSharedKey: o.psk }] }, trustedCas: [],
    policy: { name: 'p', proposals: [o.proposal] }, lifetime: 86400, ipsec,
    // One virtual IP per SA, so each CHILD SA has its own selectors (TSi narrowed to the address).
    configMode: { requestAddress: true },
    localTs: [tsFromCidr('0.0.0.0/0')], remoteTs: [tsFromCidr(o.remoteTs)],
  };
}

export function runLoadgen(o: LoadgenOptions): Promise<LoadgenResult> {
  const ts = parseTransformSet('lg', o.esp, 'tunnel');
  if (typeof ts === 'string') throw new Error(ts);
  const ipsec = { ...defaultIpsecProfile(), transformSets: [ts as TransformSet] };
  const engine = new IkeEngine({ name: 'loadgen', settings: { window: 1, retransmitTimeout: 2, retransmitTries: 3, forceEncap: false } });
  const sockets = new Map<number, dgram.Socket>();
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  let next = 0;
  let inflight = 0;
  let established = 0;
  let failed = 0;
  const done = new Set<number>();
  const start = performance.now();

  return new Promise<LoadgenResult>((resolve, reject) => {
    const finish = () => {
      clearTimeout(timer);
      clearTimeout(deadline);
      for (const s of sockets.values()) s.close();
      const seconds = (performance.now() - start) / 1000;
      resolve({ established, failed, seconds, rate: established / seconds, retransmits: engine.counterSnapshot()['retransmits'] ?? 0 });
    };
    const deadline = setTimeout(finish, o.timeoutS * 1000);
    const settle = (ikeSaId: number, ok: boolean) => {
      if (done.has(ikeSaId)) return;
      done.add(ikeSaId);
      inflight--;
      if (ok) established++;
      else failed++;
      if (established + failed >= o.count) return finish();
      launch();
    };
    const launch = () => {
      while (inflight < o.concurrency && next < o.count) {
        const i = next++;
        const conn: ConnectionConfig = {
          name: `lg${i}`, profile: profile(o, i, ipsec), local: { address: o.local, port: 500 }, remote: { address: o.peer, port: 500 }, auto: false,
        };
        inflight++;
        engine.initiate(conn, Date.now());
      }
      pump();
    };
    const pump = () => {
      for (let round = 0; round < 1000; round++) {
        const actions = engine.pollActions();
        if (!actions.length) break;
        for (const a of actions) {
          if (a.type === 'send') sockets.get(a.datagram.local.port)?.send(a.datagram.data, a.datagram.remote.port, a.datagram.remote.address);
          else if (a.type === 'install-child') settle(a.child.ikeSaId, true);
          else if (a.type === 'event' && (a.event.type === 'ike-failed' || a.event.type === 'auth-failed' || a.event.type === 'timeout' || a.event.type === 'child-failed') && a.event.ikeSaId !== undefined) {
            if (o.verbose) console.error(`IKE SA ${a.event.ikeSaId}: ${a.event.type}: ${a.event.text}`);
            settle(a.event.ikeSaId, false);
          }
        }
      }
      const t = engine.pollTimeout();
      if (t === undefined || t === timerAt) return;
      clearTimeout(timer);
      timerAt = t;
      timer = setTimeout(() => {
        timerAt = Infinity;
        engine.handleTimeout(Date.now());
        pump();
      }, Math.max(0, t - Date.now()));
    };
    let bound = 0;
    for (const port of [500, 4500]) {
      const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
      s.on('message', (data, r) => {
        engine.handleDatagram({ local: { address: o.local, port }, remote: { address: r.address, port: r.port }, data }, Date.now());
        pump();
      });
      s.on('error', reject);
      s.bind(port, o.local, () => {
        if (++bound === 2) launch();
      });
      sockets.set(port, s);
    }
  });
}

function arg(name: string, dflt?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && process.argv[i + 1] !== undefined) return process.argv[i + 1]!;
  if (dflt === undefined) throw new Error(`--${name} is required`);
  return dflt;
}

/** "aes128-sha256-x25519" (swanctl words) -> our proposal object. */
export function proposalFrom(text: string): Ikev2Proposal {
  const [enc, integ, group] = text.split('-') as [string, string, string];
  const encryption = ({ aes128: 'aes-cbc-128', aes256: 'aes-cbc-256', aes128gcm16: 'aes-gcm-128', aes256gcm16: 'aes-gcm-256' } as Record<string, string>)[enc];
  const groupId = ({ x25519: 31, modp2048: 14, ecp256: 19 } as Record<string, number>)[group];
  if (!encryption || groupId === undefined) throw new Error(`unsupported proposal ${text}`);
  const hash = integ.replace(/^prf/, '');
  return encryption.includes('gcm')
    ? { name: 'lg', encryption: [encryption], integrity: [], prf: [hash], group: [groupId] }
    : { name: 'lg', encryption: [encryption], integrity: [hash], group: [groupId] };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runLoadgen({
    local: arg('local'), peer: arg('peer'), count: Number(arg('count', '200')), concurrency: Number(arg('concurrency', '20')),
    timeoutS: Number(arg('timeout', '60')), psk: arg('psk', 'flexlab-load-psk'), remoteId: process.argv.includes('--remote-id') ? arg('remote-id') : undefined,
    proposal: proposalFrom(arg('ike', 'aes128-sha256-x25519')), esp: arg('esp', 'esp-gcm 128'), remoteTs: arg('remote-ts', '10.2.0.0/24'), verbose: process.argv.includes('--verbose'),
  });
  console.log(JSON.stringify(r));
  process.exit(0);
}
