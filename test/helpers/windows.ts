// The Windows client persona in memory: a windows-client node's config turned into a RoleSetup by
// engine/personas/windows.ts, its engine facing one of our hubs on the virtual network, optionally
// behind a NAT; and the decrypted content of what each side sent, for wire-level assertions.

import { fileURLToPath } from 'node:url';
import { IkeEngine } from '../../engine/ike/engine.ts';
import type { ConnectionConfig } from '../../engine/ike/engine.ts';
import type { IkeEngineSettings } from '../../engine/ike/config.ts';
import { windowsRoleSetup } from '../../engine/personas/windows.ts';
import type { RoleSetup } from '../../engine/roles/config.ts';
import { seededRandom } from '../../engine/util/random.ts';
import { VirtualNetwork } from '../../engine/sim/virtual-network.ts';
import type { SimNode } from '../../engine/sim/virtual-network.ts';
import { decodeMessage } from '../../engine/ike/codec/message.ts';
import { decodePayloads } from '../../engine/ike/codec/chain.ts';
import { openSk, openSkf } from '../../engine/ike/crypto/sk.ts';
import { PayloadType } from '../../engine/ike/constants.ts';
import type { IkeMessage, Payload } from '../../engine/ike/message.ts';
import { profile } from './ike.ts';
import type { ProfileOptions } from './ike.ts';

export const WIN_PKI = fileURLToPath(new URL('../fixtures/pki/', import.meta.url));
export const CLIENT_ADDR = '192.0.2.10';
export const HUB = '192.0.2.1';
export const NAT_ADDR = '203.0.113.5';

/** A windows-client config with the fixtures' paths; `over` replaces keys. */
export function winConfig(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    server: HUB,
    username: 'alice', password: 'alice-pass-1',
    pki: { ca: 'ca.cert.pem' },
    ...over,
  };
}

export function winSetup(config: Record<string, unknown>, address = CLIENT_ADDR): RoleSetup {
  return windowsRoleSetup({
    lab: 't', node: 'win', kind: 'windows-client', role: 'spoke', config, baseDir: WIN_PKI, stateDir: '', outDir: '',
    interfaces: [{ name: 'eth1', addresses: [{ family: 4, address, prefix: 24 }] }],
  });
}

/** Our hub as Windows expects it: vpn.flexlab.test certificate, EAP terminated locally, a pool. */
export function hubOptions(over: Partial<ProfileOptions> = {}): ProfileOptions {
  return {
    auth: 'rsa', certName: 'windows/vpn-rsa', identity: { type: 'fqdn', value: 'vpn.flexlab.test' },
    authRemote: ['eap'],
    eapServer: { mode: 'local', queryIdentity: true, timeout: 90, users: { alice: { password: 'alice-pass-1' }, 'alice@flexlab.test': { password: 'alice-pass-1' } } },
    configMode: { pool: '10.10.0.0/24', dns: ['10.0.1.53'] },
    ...over,
  };
}

export interface WinPair {
  net: VirtualNetwork;
  win: SimNode;
  hub: SimNode;
  setup: RoleSetup;
  conn: ConnectionConfig;
  initiate(): number;
  established(): boolean;
  /** Initiates and runs until both sides have an IKE SA with a CHILD SA (throws with the events otherwise). */
  up(maxMs?: number): void;
}

export function winPair(o: { client?: Record<string, unknown>; hub?: Partial<ProfileOptions>; hubSettings?: Partial<IkeEngineSettings>; nat?: boolean; seed?: string } = {}): WinPair {
  const net = new VirtualNetwork();
  const setup = winSetup(winConfig(o.client));
  const seed = o.seed ?? 'win';
  const winEngine = new IkeEngine({ name: 'win', random: seededRandom(`${seed}-w`), profiles: setup.profiles, settings: setup.settings, now: net.now });
  // The hub announces IKE fragmentation like `crypto ikev2 fragmentation mtu 1400`.
  const hubEngine = new IkeEngine({ name: 'hub', random: seededRandom(`${seed}-h`), profiles: [profile(hubOptions(o.hub))], settings: { fragmentationMtu: 1400, ...o.hubSettings }, now: net.now });
  const win = net.add('win', CLIENT_ADDR, winEngine);
  const hub = net.add('hub', HUB, hubEngine);
  if (o.nat) {
    // A NAPT: the client's 192.0.2.10:X leaves as 203.0.113.5:natPort, answers are translated back.
    const map = new Map<number, number>();
    let natPort = 40000;
    net.addFilter((d) => {
      if (d.local.address === CLIENT_ADDR) {
        if (!map.has(d.local.port)) map.set(d.local.port, natPort++);
        return { ...d, local: { address: NAT_ADDR, port: map.get(d.local.port)! } };
      }
      if (d.remote.address === NAT_ADDR) {
        const inner = [...map].find(([, v]) => v === d.remote.port);
        return inner ? { ...d, remote: { address: CLIENT_ADDR, port: inner[0] } } : 'drop';
      }
      return 'pass';
    });
  }
  const conn = setup.connection!;
  const p: WinPair = {
    net, win, hub, setup, conn,
    initiate: () => winEngine.initiate(conn, net.now),
    established: () => winEngine.ikeSas().some((s) => s.status === 'READY' && s.children.length > 0)
      && hubEngine.ikeSas().some((s) => s.status === 'READY' && s.children.length > 0),
    up(maxMs = 60_000) {
      p.initiate();
      if (!net.runUntil(p.established, maxMs)) {
        const ev = [...win.events, ...hub.events].filter((e) => e.type !== 'message').map((e) => `${e.time} ${e.type} ${e.text}`).join('\n');
        throw new Error(`tunnel did not come up:\n${ev}`);
      }
      net.settle(10);
    },
  };
  return p;
}

export interface SentMessage {
  exchange: number;
  messageId: number;
  response: boolean;
  payloads: Payload[];
  /** UDP payload sizes of the datagrams that carried it (non-ESP marker included). */
  datagrams: number[];
}

/**
 * What a node sent, decrypted with its own IKE keys and reassembled (IKE_SA_INIT in the clear).
 * Only messages of the node's first IKE SA.
 */
export function sentMessages(n: SimNode): SentMessage[] {
  const keys = n.keys[0];
  const out = new Map<string, SentMessage & { parts: Map<number, Buffer>; total: number; first: number }>();
  const done: SentMessage[] = [];
  for (const d of n.sent) {
    if (d.data.length < 28) continue; // NAT keepalives
    const raw = d.local.port === 500 ? d.data : d.data.subarray(4);
    let msg: IkeMessage;
    try {
      msg = decodeMessage(raw);
    } catch {
      continue;
    }
    const h = msg.header;
    if (!msg.payloads.length || (h.nextPayload !== PayloadType.SK && h.nextPayload !== PayloadType.SKF)) {
      done.push({ exchange: h.exchangeType, messageId: h.messageId, response: h.response, payloads: msg.payloads, datagrams: [d.data.length] });
      continue;
    }
    if (!keys || !keys.spiI.equals(h.spiI)) continue;
    const fromInitiator = h.initiator;
    const k = { encrKey: fromInitiator ? keys.skEi : keys.skEr, integKey: fromInitiator ? keys.skAi : keys.skAr };
    const suite = { encr: keys.suite.encr, encrKeyBits: keys.suite.encrKeyBits, integ: keys.suite.integ };
    const id = `${h.exchangeType}/${h.messageId}/${h.response}`;
    if (h.nextPayload === PayloadType.SK) {
      const r = openSk(suite, k, raw, 28);
      done.push({ exchange: h.exchangeType, messageId: h.messageId, response: h.response, payloads: decodePayloads(r.innerFirstPayload, r.plaintext, { inner: true }), datagrams: [d.data.length] });
      continue;
    }
    const f = openSkf(suite, k, raw, 28);
    let set = out.get(id);
    if (!set || set.total !== f.totalFragments) {
      set = { exchange: h.exchangeType, messageId: h.messageId, response: h.response, payloads: [], datagrams: [], parts: new Map(), total: f.totalFragments, first: 0 };
      out.set(id, set);
    }
    if (set.parts.has(f.fragmentNumber)) continue; // a retransmission
    if (f.fragmentNumber === 1) set.first = f.innerFirstPayload;
    set.parts.set(f.fragmentNumber, f.plaintext);
    set.datagrams.push(d.data.length);
    if (set.parts.size === set.total) {
      const all = Buffer.concat([...Array(set.total).keys()].map((i) => set!.parts.get(i + 1)!));
      done.push({ exchange: set.exchange, messageId: set.messageId, response: set.response, payloads: decodePayloads(set.first, all, { inner: true }), datagrams: set.datagrams });
      out.delete(id);
    }
  }
  return done;
}
