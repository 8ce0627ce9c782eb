// How many IKEv2 handshakes (IKE_SA_INIT + IKE_AUTH with one CHILD SA) two in-memory sans-IO
// engines complete per second on one core, for PSK + X25519 and PSK + MODP-2048, next to the raw
// cost of the DH operations alone (the reference: the handshake cannot beat its own key exchange).
// Usage: npx tsx bench/ike-handshake.bench.ts [SECONDS per case, default 3]

import { createDiffieHellmanGroup, generateKeyPairSync, diffieHellman } from 'node:crypto';
import { IkeEngine } from '../engine/ike/engine.ts';
import type { ConnectionConfig } from '../engine/ike/engine.ts';
import { defaultIpsecProfile } from '../engine/ike/config.ts';
import type { Ikev2Profile } from '../engine/ike/config.ts';
import type { Datagram } from '../engine/ike/actions.ts';

function profile(group: number): Ikev2Profile {
  return {
    name: 'bench', matchRemote: [{ type: 'any' }], localIdentity: undefined, authLocal: 'pre-share', authRemote: ['pre-share'],
    keyring: { name: 'k', peers: [{ name: 'any', address: '0.0.0.0/0', preSharedKey: 'bench-psk' }] }, trustedCas: [],
    policy: { name: 'p', proposals: [{ name: 'p', encryption: ['aes-gcm-128'], integrity: [], prf: ['sha256'], group: [group] }] },
    lifetime: 86400, ipsec: { ...defaultIpsecProfile(), transformSets: [{ name: 't', esp: { encr: 20, encrKeyBits: 128, integ: 0 }, mode: 'tunnel', text: 'esp-gcm 128' }] },
  };
}

/** Runs handshakes back to back for `seconds`; returns handshakes per second. */
export function handshakes(group: number, seconds: number): { rate: number; count: number; perHandshakeMs: number } {
  const p = profile(group);
  const init = new IkeEngine({ name: 'i', profiles: [p], settings: { cookieThreshold: 1e9 } });
  const resp = new IkeEngine({ name: 'r', profiles: [p], settings: { cookieThreshold: 1e9 } });
  let now = Date.now();
  let established = 0;
  const deliver = (from: IkeEngine, to: IkeEngine): boolean => {
    let moved = false;
    for (const a of from.pollActions()) {
      if (a.type === 'send') {
        const d: Datagram = a.datagram;
        to.handleDatagram({ local: d.remote, remote: d.local, data: d.data }, now);
        moved = true;
      } else if (a.type === 'install-child' && from === init) established++;
    }
    return moved;
  };
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(seconds * 1e9);
  let n = 0;
  while (process.hrtime.bigint() < deadline && n < 1_000_000) {
    const conn: ConnectionConfig = { name: `c${n}`, profile: p, local: { address: '192.0.2.10', port: 500 }, remote: { address: '192.0.2.1', port: 500 } };
    const id = init.initiate(conn, now);
    for (let i = 0; i < 10 && (deliver(init, resp) || deliver(resp, init)); i++) { /* exchange until quiet */ }
    // Delete locally so state does not grow without bound (no exchange: not part of the cost).
    init.ikeSa(id)?.destroy('bench', now);
    for (const v of resp.ikeSas()) resp.ikeSa(v.id)?.destroy('bench', now);
    init.pollActions();
    resp.pollActions();
    n++;
    now += 1;
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  return { rate: established / secs, count: established, perHandshakeMs: (secs * 1000) / Math.max(1, established) };
}

/** The reference: one handshake needs two key generations and two shared-secret computations. */
export function dhOnly(group: number, seconds: number): number {
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(seconds * 1e9);
  let n = 0;
  while (process.hrtime.bigint() < deadline) {
    if (group === 31) {
      const a = generateKeyPairSync('x25519'), b = generateKeyPairSync('x25519');
      diffieHellman({ privateKey: a.privateKey, publicKey: b.publicKey });
      diffieHellman({ privateKey: b.privateKey, publicKey: a.publicKey });
    } else {
      const a = createDiffieHellmanGroup('modp14'), b = createDiffieHellmanGroup('modp14');
      const pa = a.generateKeys(), pb = b.generateKeys();
      a.computeSecret(pb);
      b.computeSecret(pa);
    }
    n++;
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = Number(process.argv[2] ?? 3);
  console.log('IKEv2 handshakes between two in-memory engines, one core (IKE_SA_INIT + IKE_AUTH + 1 CHILD SA, PSK, AES-GCM-128)');
  console.log('case                 handshakes/s   ms/handshake   DH-only/s   handshake/DH-only');
  for (const [label, group] of [['PSK + X25519', 31], ['PSK + MODP-2048', 14]] as const) {
    const h = handshakes(group, seconds);
    const ref = dhOnly(group, Math.max(1, seconds / 2));
    console.log(`${label.padEnd(20)} ${h.rate.toFixed(0).padStart(12)}   ${h.perHandshakeMs.toFixed(3).padStart(12)}   ${ref.toFixed(0).padStart(9)}   ${(h.rate / ref).toFixed(2).padStart(17)}`);
  }
}
