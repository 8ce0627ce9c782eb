// Builders for in-memory IKE exchange tests: profiles as an IOS engineer would configure them, and a
// pair of engines (initiator "spoke" at 192.0.2.10, responder "hub" at 192.0.2.1) on a virtual network.

import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { IkeEngine } from '../../engine/ike/engine.ts';
import type { ConnectionConfig } from '../../engine/ike/engine.ts';
import {
  defaultIkev2Policy, defaultIpsecProfile, parseTransformSet,
} from '../../engine/ike/config.ts';
import type { Ikev2Profile, IkeEngineSettings, Ikev2Proposal, TransformSet, DpdConfig, ConfigModePolicy, Identity } from '../../engine/ike/config.ts';
import { seededRandom } from '../../engine/util/random.ts';
import { VirtualNetwork } from '../../engine/sim/virtual-network.ts';
import type { SimNode } from '../../engine/sim/virtual-network.ts';

const PKI = new URL('../fixtures/pki/', import.meta.url);
export const pki = {
  cert: (name: string) => new X509Certificate(readFileSync(new URL(`${name}.cert.pem`, PKI))),
  key: (name: string) => createPrivateKey(readFileSync(new URL(`${name}.key.pem`, PKI))),
};

export interface ProfileOptions {
  name?: string;
  auth?: 'pre-share' | 'rsa' | 'ecdsa';
  authRemote?: Ikev2Profile['authRemote'];
  psk?: string;
  pskLocal?: string;
  pskRemote?: string;
  certName?: string; // fixture base name, e.g. 'hub-rsa'
  identity?: Identity;
  match?: Ikev2Profile['matchRemote'];
  proposals?: Ikev2Proposal[];
  transforms?: string[];
  pfsGroup?: number;
  lifetime?: number;
  ipsecLifetime?: number;
  dpd?: DpdConfig;
  configMode?: ConfigModePolicy;
  localTs?: Ikev2Profile['localTs'];
  remoteTs?: Ikev2Profile['remoteTs'];
  vendorIds?: Buffer[];
  eapClient?: Ikev2Profile['eapClient'];
  eapServer?: Ikev2Profile['eapServer'];
  anyconnectClient?: Ikev2Profile['anyconnectClient'];
  anyconnectServer?: Ikev2Profile['anyconnectServer'];
  aaaKeyring?: Ikev2Profile['aaaKeyring'];
  authorization?: Ikev2Profile['authorization'];
  accounting?: boolean;
  authLocal?: Ikev2Profile['authLocal'];
}

export function profile(o: ProfileOptions = {}): Ikev2Profile {
  const method = o.auth ?? 'pre-share';
  const localAuth = o.authLocal ?? (method === 'rsa' ? 'rsa-sig' : method === 'ecdsa' ? 'ecdsa-sig' : 'pre-share');
  const ipsec = defaultIpsecProfile();
  if (o.transforms) ipsec.transformSets = o.transforms.map((t, i) => parseTransformSet(`ts${i}`, t) as TransformSet);
  if (o.pfsGroup) ipsec.pfsGroup = o.pfsGroup;
  if (o.ipsecLifetime !== undefined) ipsec.lifetimeSeconds = o.ipsecLifetime;
  return {
    name: o.name ?? 'default',
    matchRemote: o.match ?? [{ type: 'any' }],
    localIdentity: o.identity,
    authLocal: localAuth,
    authRemote: o.authRemote ?? [localAuth === 'eap' ? 'rsa-sig' : localAuth],
    keyring: { name: 'kr', peers: [{ name: 'any', address: '0.0.0.0/0', preSharedKey: o.psk ?? 'cisco123', preSharedKeyLocal: o.pskLocal, preSharedKeyRemote: o.pskRemote }] },
    credentials: o.certName ? { cert: pki.cert(o.certName), chain: [], key: pki.key(o.certName) } : undefined,
    trustedCas: [pki.cert('ca')],
    policy: o.proposals ? { name: 'p', proposals: o.proposals } : defaultIkev2Policy(),
    lifetime: o.lifetime ?? 86400,
    dpd: o.dpd,
    ipsec,
    configMode: o.configMode,
    localTs: o.localTs,
    remoteTs: o.remoteTs,
    vendorIds: o.vendorIds,
    eapClient: o.eapClient,
    eapServer: o.eapServer,
    anyconnectClient: o.anyconnectClient,
    anyconnectServer: o.anyconnectServer,
    aaaKeyring: o.aaaKeyring,
    authorization: o.authorization,
    accounting: o.accounting,
  };
}

export interface PairOptions {
  initiator?: ProfileOptions;
  responder?: ProfileOptions;
  responderProfiles?: Ikev2Profile[];
  settings?: Partial<IkeEngineSettings>;
  initiatorSettings?: Partial<IkeEngineSettings>;
  responderSettings?: Partial<IkeEngineSettings>;
  seed?: string;
  auto?: boolean;
}

export interface Pair {
  net: VirtualNetwork;
  spoke: SimNode;
  hub: SimNode;
  conn: ConnectionConfig;
  initiate(): number;
  established(): boolean;
  /** Runs until both sides have an established IKE SA with a CHILD SA installed. */
  up(maxMs?: number): void;
}

export const SPOKE_ADDR = '192.0.2.10';
export const HUB_ADDR = '192.0.2.1';

export function pair(o: PairOptions = {}): Pair {
  const net = new VirtualNetwork();
  const seed = o.seed ?? 'pair';
  const iprof = profile({ identity: { type: 'fqdn', value: 'spoke1.flexlab.test' }, ...o.initiator });
  const rprofs = o.responderProfiles ?? [profile({ identity: { type: 'fqdn', value: 'hub.flexlab.test' }, ...o.responder })];
  const spokeEngine = new IkeEngine({ name: 'spoke', random: seededRandom(`${seed}-i`), profiles: [iprof], settings: { ...o.settings, ...o.initiatorSettings } });
  const hubEngine = new IkeEngine({ name: 'hub', random: seededRandom(`${seed}-r`), profiles: rprofs, settings: { ...o.settings, ...o.responderSettings } });
  const spoke = net.add('spoke', SPOKE_ADDR, spokeEngine);
  const hub = net.add('hub', HUB_ADDR, hubEngine);
  const conn: ConnectionConfig = { name: 'tunnel0', profile: iprof, local: { address: SPOKE_ADDR, port: 500 }, remote: { address: HUB_ADDR, port: 500 }, auto: o.auto };
  const p: Pair = {
    net, spoke, hub, conn,
    initiate: () => spokeEngine.initiate(conn, net.now),
    established: () => spokeEngine.ikeSas().some((s) => s.status === 'READY' && s.children.length > 0)
      && hubEngine.ikeSas().some((s) => s.status === 'READY' && s.children.length > 0),
    up(maxMs = 60_000) {
      p.initiate();
      if (!net.runUntil(p.established, maxMs)) {
        const ev = [...spoke.events, ...hub.events].filter((e) => e.type !== 'message').map((e) => `${e.time} ${e.type} ${e.text}`).join('\n');
        throw new Error(`tunnel did not come up:\n${ev}`);
      }
      net.settle(10);
    },
  };
  return p;
}

export function eventsOf(n: SimNode, type: string): Array<{ time: number; text: string; data?: Record<string, unknown> }> {
  return n.events.filter((e) => e.type === type);
}

export function messages(n: SimNode, dir?: 'in' | 'out'): Array<{ exchange: string; response: boolean; messageId: number; payloads: string; fragments: number; bytes: number }> {
  return n.events.filter((e) => e.type === 'message' && (!dir || e.data?.direction === dir)).map((e) => e.data as never);
}
