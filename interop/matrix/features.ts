// The rows of the interop matrix (issue 5): one feature each, run with ours initiating and with
// charon initiating. The baseline every cell starts from (PSK, AES-CBC-128/SHA-256/ECP-256,
// ESP AES-GCM-128) is in topology.ts; a row changes the configs, then exercises and inspects.

import { sleep } from '../../labs/command.ts';
import { applyFault, clearFault } from '../../labs/faults.ts';
import type { CaptureVerdict, JudgedFrame } from '../judge.ts';
import { ikeFrames } from '../judge.ts';
import { ADDR, useCertificates, WAN_LINKS } from './topology.ts';
import type { LabPlan, Side } from './topology.ts';
import type { Cell, FeatureRow, PairState } from './cell.ts';
import { CellFailure, waitFor } from './cell.ts';

const COOKIE = 16390;
const REKEY_SA = 16393;
const PT = { SA: 33, KE: 34, CERT: 37, AUTH: 39, NONCE: 40, DELETE: 42, TSI: 44, SK: 46, SKF: 53 };

/** A check of a cell: throws the reason the cell fails with. */
function must(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new CellFailure(msg);
}

const wanAddress = (s: Side) => (s === 'ours' ? ADDR.oursWan : ADDR.charonWan);

function both(v: { ours: CaptureVerdict; charon: CaptureVerdict }): JudgedFrame[] {
  return [...v.ours.frames, ...v.charon.frames];
}

/** Decrypted payload types of a protected frame (what follows the SK/SKF payload). */
function inner(f: JudgedFrame): number[] {
  const i = f.payloads.findIndex((p) => p === PT.SK || p === PT.SKF);
  return i < 0 ? [] : f.payloads.slice(i + 1);
}

function setProposals(p: LabPlan, ours: Record<string, unknown>, transformSet: string, charonIke: string, charonEsp: string): void {
  p.ours['proposals'] = [ours];
  p.ours['transform-sets'] = [transformSet];
  p.charon.connections.net['proposals'] = [charonIke];
  p.charon.connections.net.children.net['esp_proposals'] = [charonEsp];
}

function expectSuite(c: Cell, s: PairState, want: { encr: string; keysize?: number; prf: string; hash: string; dh: number; esp: string }): void {
  for (const side of [s.ours, s.charon]) {
    const who = side === s.ours ? 'ours' : 'charon';
    must(side.encr === want.encr && side.keysize === want.keysize && side.prf === want.prf && side.hash === want.hash && side.dhGroup === want.dh,
      `${who} negotiated IKE ${side.encr}-${side.keysize}/${side.prf}/${side.hash}/group ${side.dhGroup}, expected ${want.encr}-${want.keysize}/${want.prf}/${want.hash}/group ${want.dh}`);
    must(side.children[0]!.suite === want.esp, `${who} negotiated ESP "${side.children[0]!.suite}", expected "${want.esp}"`);
  }
  c.pass(`negotiated on both sides: IKE ${want.encr}${want.keysize ? `-${want.keysize}` : ''}/PRF ${want.prf}/${want.hash}/group ${want.dh}, ESP ${want.esp}`);
}

async function expectAuth(c: Cell, label: 'PSK' | 'RSA' | 'ECDSA'): Promise<void> {
  const s = await c.established();
  must(s.ours.authSign === label && s.ours.authVerify === label, `ours authenticated with ${s.ours.authSign}/${s.ours.authVerify}, expected ${label}`);
  const log = c.charonLog();
  const ok = label === 'PSK' ? /authentication of '.*' with pre-shared key successful/ : label === 'RSA' ? /authentication of '.*' with RSA\S* successful/ : /authentication of '.*' with ECDSA\S* successful/;
  must(ok.test(log), `charon's log (${log.length} bytes) does not show a successful ${label} authentication of the peer`);
  c.pass(`authentication ${label} both ways (ours: sign ${s.ours.authSign}, verify ${s.ours.authVerify}; charon: "${(ok.exec(log)?.[0] ?? '').slice(0, 80)}")`);
}

function certsInAuth(c: Cell, v: { ours: CaptureVerdict; charon: CaptureVerdict }): void {
  const auth = ikeFrames(v.ours, 35).filter((f) => inner(f).length);
  for (const resp of [false, true]) {
    const f = auth.find((x) => x.response === resp);
    must(f && inner(f).includes(PT.CERT) && inner(f).includes(PT.AUTH), `IKE_AUTH ${resp ? 'response' : 'request'} decrypted by tshark carries no CERT+AUTH (${f ? inner(f).join(',') : 'not found'})`);
  }
  c.pass('capture: both IKE_AUTH messages decrypt to CERT and AUTH payloads');
}

// ------------------------------------------------------------------------------ rekey

async function rekey(c: Cell, side: Side, kind: 'child' | 'ike'): Promise<void> {
  if (side === 'ours') {
    const r = await c.ctl<{ rekeyed: number[] }>('rekey', kind === 'child' ? { child: true } : {});
    must(r.rekeyed.length === 1, `ours refused to start the ${kind} rekey (${JSON.stringify(r)})`);
  } else {
    await c.swanctl(['--rekey', kind === 'child' ? '--child' : '--ike', 'net'], 20_000);
  }
}

async function rekeyUnderTraffic(c: Cell, kind: 'child' | 'ike'): Promise<void> {
  const before = await c.established();
  const seenChild = new Set([before.ours.children[0]!.spiIn]);
  const seenIke = new Set([before.ours.spiI + before.ours.spiR]);
  // 0.02 s apart: 400 echo requests over 8 s while both sides rekey.
  const pinger = c.ping('host-o', 400, ['-i', '0.02']);
  await sleep(1000);
  const spis: string[] = [];
  for (const side of [c.initiator, c.responder]) {
    const t = Date.now();
    await rekey(c, side, kind);
    const now = await c.established(`the ${kind === 'child' ? 'CHILD' : 'IKE'} rekey by ${side}`, 15_000, (p) =>
      kind === 'child' ? !seenChild.has(p.ours.children[0]!.spiIn) && p.ours.children.length === 1 : !seenIke.has(p.ours.spiI + p.ours.spiR));
    seenChild.add(now.ours.children[0]!.spiIn);
    seenIke.add(now.ours.spiI + now.ours.spiR);
    spis.push(kind === 'child' ? `${now.ours.children[0]!.spiIn}/${now.ours.children[0]!.spiOut}` : `${now.ours.spiI}/${now.ours.spiR}`);
    c.pass(`${kind === 'child' ? 'CHILD' : 'IKE'} rekey initiated by ${side} done in ${Date.now() - t} ms: both sides on ${kind === 'child' ? 'CHILD SPIs' : 'IKE SPIs'} ${spis.at(-1)}`);
    await sleep(1500);
  }
  const r = await pinger;
  const lost = r.sent - r.received;
  must(lost <= 3, `${lost} of ${r.sent} echo requests lost during the two rekeys`);
  c.pass(`continuous ping during both rekeys: ${r.received}/${r.sent} replies`);
  if (kind === 'ike') {
    const after = await c.established();
    must(after.ours.children[0]!.spiIn === before.ours.children[0]!.spiIn, 'the CHILD SA did not move to the new IKE SA unchanged');
    must(after.charon.children.length === 1 && after.ours.children.length === 1, 'more than one CHILD SA after the IKE rekeys');
    // The new IKE SA is usable: a liveness check over it is answered.
    const sent = await c.ctl<{ sent: number[] }>('dpd', { ikeSaId: after.ours.id });
    must(sent.sent.length === 1, 'ours could not send an INFORMATIONAL on the new IKE SA');
    await waitFor('the answer to an INFORMATIONAL on the rekeyed IKE SA', async () => c.events().find((e) => e.type === 'dpd-ok' && e.ikeSaId === after.ours.id), 5000);
    c.pass('CHILD SA moved unchanged to the new IKE SA; an INFORMATIONAL on the new IKE SA is answered');
  }
  await c.traffic(`after the ${kind === 'child' ? 'CHILD' : 'IKE'} rekeys`);
}

function inspectRekey(c: Cell, v: { ours: CaptureVerdict; charon: CaptureVerdict }, kind: 'child' | 'ike'): void {
  const reqs = ikeFrames(v.ours, 36, false);
  const resps = ikeFrames(v.ours, 36, true);
  must(reqs.length >= 2 && resps.length >= 2, `capture has ${reqs.length} CREATE_CHILD_SA requests and ${resps.length} responses, expected 2 each`);
  const senders = new Set(reqs.map((f) => f.src));
  must(senders.has(ADDR.oursWan) && senders.has(ADDR.charonWan), `CREATE_CHILD_SA requests only from ${[...senders].join(', ')}`);
  for (const f of reqs) {
    const p = inner(f);
    if (kind === 'child') must(f.notifies.includes(REKEY_SA) && p.includes(PT.TSI), `frame ${f.frame}: CHILD rekey request without N(REKEY_SA)/TS (${p.join(',')})`);
    else must(p.includes(PT.SA) && p.includes(PT.KE) && p.includes(PT.NONCE) && !p.includes(PT.TSI), `frame ${f.frame}: IKE rekey request is not SA+Ni+KE (${p.join(',')})`);
  }
  c.pass(`capture: ${reqs.length} CREATE_CHILD_SA requests (from both sides) decrypted, ${kind === 'child' ? 'each with N(REKEY_SA)' : 'each SA+Ni+KE without TS'}`);
}

// ------------------------------------------------------------------------------ rows

export const FEATURES: FeatureRow[] = [
  {
    id: 'psk', title: 'PSK', quick: ['ours', 'charon'],
    exercise: (c) => expectAuth(c, 'PSK'),
  },
  {
    id: 'rsa', title: 'RSA certificates', quick: ['ours'],
    configure: (p) => useCertificates(p, 'rsa'),
    exercise: (c) => expectAuth(c, 'RSA'),
    inspect: certsInAuth,
  },
  {
    id: 'ecdsa', title: 'ECDSA certificates', quick: ['charon'],
    configure: (p) => useCertificates(p, 'ec'),
    exercise: (c) => expectAuth(c, 'ECDSA'),
    inspect: certsInAuth,
  },
  {
    id: 'cbc-modp2048', title: 'AES-CBC-256 / SHA-256 / MODP-2048', quick: ['charon'],
    configure: (p) => setProposals(p, { encryption: 'aes-cbc-256', integrity: 'sha256', group: 14 }, 'esp-aes 256 esp-sha256-hmac', 'aes256-sha256-modp2048', 'aes256-sha256'),
    exercise: async (c) => expectSuite(c, await c.established(), { encr: 'AES-CBC', keysize: 256, prf: 'SHA256', hash: 'SHA256', dh: 14, esp: 'esp-aes 256 esp-sha256-hmac' }),
  },
  {
    id: 'gcm-x25519', title: 'AES-GCM-16 / X25519', quick: ['ours'],
    configure: (p) => setProposals(p, { encryption: 'aes-gcm-256', prf: 'sha256', group: 31 }, 'esp-gcm 256', 'aes256gcm16-prfsha256-x25519', 'aes256gcm16'),
    exercise: async (c) => expectSuite(c, await c.established(), { encr: 'AES-GCM', keysize: 256, prf: 'SHA256', hash: 'None', dh: 31, esp: 'esp-gcm 256' }),
  },
  {
    id: 'frag576', title: 'IKE fragmentation, certificates, 576-byte MTU', quick: ['charon'],
    configure: (p) => {
      useCertificates(p, 'rsa');
      p.wanMtu = 576;
      p.ours['fragmentation'] = { mtu: 576 };
      p.charon.charon['fragment_size'] = 576;
    },
    exercise: (c) => expectAuth(c, 'RSA'),
    inspect: (c, v) => {
      const frags = ikeFrames(v.ours).filter((f) => f.payloads.includes(PT.SKF));
      for (const [who, addr] of [['ours', ADDR.oursWan], ['charon', ADDR.charonWan]] as const) {
        const mine = frags.filter((f) => f.src === addr);
        must(mine.length >= 2 && mine.every((f) => (f.fragTotal ?? 0) >= 2), `${who} sent ${mine.length} IKE fragments (SKF), expected its IKE_AUTH in 2 or more`);
        const last = mine.find((f) => f.fragNumber === f.fragTotal);
        must(last && inner(last).includes(PT.AUTH), `tshark did not reassemble ${who}'s fragmented IKE_AUTH to its AUTH payload`);
      }
      c.pass(`capture: IKE_AUTH fragmented both ways (${frags.length} SKF payloads, ${frags.filter((f) => f.src === ADDR.oursWan).length} from ours), reassembled and decrypted by tshark`);
    },
  },
  {
    id: 'nat-t', title: 'NAT-T through a NAT node', quick: ['ours'],
    columnNote: 'the initiator is behind the NAT',
    configure: (p) => {
      p.mid = 'nat';
    },
    exercise: async (c) => {
      const s = await c.established();
      if (c.initiator === 'ours') {
        must(s.ours.nat.local, `ours does not see itself behind a NAT (nat ${JSON.stringify(s.ours.nat)})`);
        must(s.charon.remote.address === ADDR.midCharon && s.charon.remote.port !== 4500, `charon sees ours at ${s.charon.remote.address}:${s.charon.remote.port}, expected the NAT's ${ADDR.midCharon} with a translated port`);
        c.pass(`NAT detected by ours (behind it); charon sees ours at ${s.charon.remote.address}:${s.charon.remote.port}`);
      } else {
        must(s.charon.nat.local, 'charon does not see itself behind a NAT');
        must(s.ours.remote.address === ADDR.midOurs && s.ours.remote.port !== 4500, `ours sees charon at ${s.ours.remote.address}:${s.ours.remote.port}, expected the NAT's ${ADDR.midOurs} with a translated port`);
        c.pass(`NAT detected by charon (behind it); ours sees charon at ${s.ours.remote.address}:${s.ours.remote.port}`);
      }
    },
    inspect: (c, v) => {
      const outside = c.initiator === 'ours' ? v.charon : v.ours;
      const natAddr = c.initiator === 'ours' ? ADDR.midCharon : ADDR.midOurs;
      const esp = outside.frames.filter((f) => f.kind === 'esp' && (f.src === natAddr || f.dst === natAddr));
      must(esp.length > 0, 'no ESP-in-UDP through the NAT in the outside capture');
      c.pass(`capture outside the NAT: ${esp.length} ESP-in-UDP packets to/from ${natAddr}, all decrypted`);
    },
  },
  {
    id: 'nat-rebind', title: 'NAT rebinding mid-session', quick: ['charon'],
    columnNote: 'the initiator is behind the NAT, which forgets its mappings while traffic flows',
    configure: (p) => {
      p.mid = 'nat';
      p.ours['dpd'] = { interval: 2, retries: 3 };
      p.charon.connections.net['dpd_delay'] = 2;
    },
    exercise: async (c) => {
      const before = await c.established();
      const viewOfInitiator = (p: PairState) => (c.initiator === 'ours' ? p.charon.remote : p.ours.remote);
      const old = viewOfInitiator(before);
      await applyFault(c.lab, { type: 'nat-rebind', node: 'mid' });
      const t0 = Date.now();
      const host = c.initiator === 'ours' ? 'host-o' : 'host-c';
      let streak = 0;
      let recovered: number | undefined;
      while (Date.now() - t0 < 30_000) {
        const r = await c.ping(host, 1);
        streak = r.received ? streak + 1 : 0;
        if (streak === 3) {
          recovered = Date.now() - t0;
          break;
        }
      }
      if (recovered === undefined) throw new CellFailure('traffic from behind the NAT did not recover within 30 s of the rebinding');
      const after = await c.established('the same IKE SA after the rebinding', 5000);
      must(after.ours.spiI === before.ours.spiI && after.ours.spiR === before.ours.spiR, 'a new IKE SA replaced the old one (the rebinding was not followed)');
      const now = viewOfInitiator(after);
      must(now.port !== old.port, `the responder still sends to ${now.address}:${now.port} (the old mapping)`);
      c.pass(`NAT rebinding: the responder followed the initiator from port ${old.port} to ${now.port} on the same IKE SA; traffic back after ${(recovered / 1000).toFixed(1)} s`);
      await c.traffic('after the rebinding');
    },
  },
  {
    id: 'child-rekey', title: 'CHILD rekey under traffic', quick: ['ours'],
    columnNote: 'the initiator rekeys first, then the responder',
    exercise: (c) => rekeyUnderTraffic(c, 'child'),
    inspect: (c, v) => inspectRekey(c, v, 'child'),
  },
  {
    id: 'ike-rekey', title: 'IKE rekey under traffic', quick: ['charon'],
    columnNote: 'the initiator rekeys first, then the responder',
    exercise: (c) => rekeyUnderTraffic(c, 'ike'),
    inspect: (c, v) => inspectRekey(c, v, 'ike'),
  },
  {
    id: 'dpd', title: 'DPD: silenced peer detected and cleared', quick: ['ours'],
    columnNote: 'the initiator detects; the responder is silenced',
    configure: (p) => {
      p.ours['dpd'] = { interval: 2, retries: 3 };
      p.charon.connections.net['dpd_delay'] = 2;
      p.charon.connections.net.children.net['dpd_action'] = 'clear';
    },
    exercise: async (c) => {
      const before = await c.established();
      const silenced = c.responder;
      const fault = await applyFault(c.lab, { type: 'blackhole', link: silenced === 'charon' ? WAN_LINKS.charon : WAN_LINKS.ours, from: silenced });
      const t0 = Date.now();
      let took: number;
      if (c.initiator === 'ours') {
        const e = await waitFor('ours to declare charon dead (dpd-timeout)', async () =>
          c.events().find((x) => x.type === 'dpd-timeout' && x.ikeSaId === before.ours.id), 25_000, 100);
        took = e.time - t0;
        await waitFor('ours to clear the dead IKE SA', async () => !(await c.oursSas()).some((s) => s.id === before.ours.id), 5000);
      } else {
        await waitFor('charon to declare ours dead and clear its IKE SA', async () =>
          !(await c.charonSas()).some((s) => s.spiI === before.charon.spiI), 30_000, 100);
        took = Date.now() - t0;
        must(/giving up after \d+ retransmits/.test(c.charonLog()), 'charon removed the SA but its log does not say it gave up on retransmits (DPD)');
      }
      c.pass(`${c.initiator} declared the silenced ${silenced} dead and cleared the IKE SA ${(took / 1000).toFixed(1)} s after the silence began`);
      await clearFault(c.lab, fault.id);
      await c.initiate();
      await c.established('a new tunnel after DPD', 20_000, (p) => p.ours.spiI !== before.ours.spiI);
      await c.traffic('a new tunnel after DPD');
    },
    inspect: (c, v) => {
      const detector = wanAddress(c.initiator);
      const empties = ikeFrames(v.ours, 37, false).filter((f) => f.src === detector && inner(f).length === 0);
      must(empties.length >= 2, `capture shows ${empties.length} empty INFORMATIONAL requests (DPD) from ${c.initiator}, expected retransmissions`);
      c.pass(`capture: ${empties.length} DPD requests (empty INFORMATIONAL) from ${c.initiator}, decrypted`);
    },
  },
  {
    id: 'delete', title: 'Delete', quick: ['charon'],
    columnNote: 'the initiator deletes the IKE SA',
    exercise: async (c) => {
      const before = await c.established();
      if (c.initiator === 'ours') await c.ctl('terminate');
      else await c.swanctl(['--terminate', '--ike', 'net', '--timeout', '10'], 15_000);
      await waitFor('both sides to remove the IKE SA', async () => {
        const [o, ch] = await Promise.all([c.oursSas(), c.charonSas()]);
        return !o.some((s) => s.spiI === before.ours.spiI) && !ch.some((s) => s.spiI === before.ours.spiI);
      }, 10_000);
      const ping = await c.ping('host-o', 2);
      must(ping.received === 0, 'traffic still passes after the delete');
      c.pass(`${c.initiator} deleted the IKE SA; both sides removed it and its CHILD SA; no traffic passes`);
    },
    inspect: (c, v) => {
      const del = ikeFrames(v.ours, 37, false).find((f) => f.src === wanAddress(c.initiator) && inner(f).includes(PT.DELETE));
      must(del, `no INFORMATIONAL request with a Delete payload from ${c.initiator} in the capture`);
      const resp = ikeFrames(v.ours, 37, true).find((f) => f.src === wanAddress(c.responder) && f.frame > del.frame);
      must(resp, 'the Delete request was not answered');
      c.pass(`capture: INFORMATIONAL [D] from ${c.initiator} (frame ${del.frame}) answered (frame ${resp.frame}), both decrypted`);
    },
  },
  {
    id: 'cookie', title: 'Cookies: ours as responder demands one', quick: ['charon'], columns: ['charon'],
    columnNote: 'only charon initiating applies (ours is the responder that demands the cookie)',
    configure: (p) => {
      p.ours['cookie-threshold'] = 0;
    },
    exercise: async (c) => {
      const k = await c.ctl<{ ike: Record<string, number> }>('counters');
      must((k.ike['cookies-demanded'] ?? 0) >= 1 && (k.ike['cookies-accepted'] ?? 0) >= 1, `ours' counters: ${JSON.stringify(k.ike)}`);
      c.pass(`ours demanded ${k.ike['cookies-demanded']} cookie(s) and accepted ${k.ike['cookies-accepted']} from charon`);
    },
    inspect: (c, v) => {
      const init = ikeFrames(v.ours, 34);
      const demand = init.find((f) => f.response && f.notifies.length === 1 && f.notifies[0] === COOKIE);
      must(demand, 'no IKE_SA_INIT response carrying only N(COOKIE) in the capture');
      const retry = init.find((f) => !f.response && f.frame > demand.frame && f.notifies.includes(COOKIE));
      must(retry, 'charon did not repeat its IKE_SA_INIT with the cookie');
      c.pass(`capture: IKE_SA_INIT answered with N(COOKIE) (frame ${demand.frame}), repeated with it (frame ${retry.frame})`);
    },
  },
  {
    id: 'windows', title: 'Windows-style proposal (3DES/AES, SHA1, MODP-1024)', quick: ['ours'],
    configure: (p) => {
      p.ours['proposals'] = [{ encryption: ['3des', 'aes-cbc-256'], integrity: ['sha1'], group: [2] }];
      p.ours['transform-sets'] = ['esp-3des esp-sha-hmac', 'esp-aes 256 esp-sha-hmac'];
      p.charon.connections.net['proposals'] = ['3des-sha1-modp1024', 'aes256-sha1-modp1024'];
      p.charon.connections.net.children.net['esp_proposals'] = ['3des-sha1', 'aes256-sha1'];
    },
    exercise: async (c) => expectSuite(c, await c.established(), { encr: '3DES', prf: 'SHA1', hash: 'SHA96', dh: 2, esp: 'esp-3des esp-sha-hmac' }),
  },
];

export function featureById(id: string): FeatureRow | undefined {
  return FEATURES.find((f) => f.id === id);
}
