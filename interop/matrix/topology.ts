// The one interop topology, and the per-cell node configurations laid onto it.
//
//   host-o --- ours ============ mid ============ charon --- host-c
//   10.1.0.10  eth2 10.1.0.1     router, or nat    eth2 10.2.0.1  10.2.0.10
//              eth1 192.0.2.1    192.0.2.254 |     eth1 198.51.100.2
//                                198.51.100.254
//
// `ours` is our daemon (flexvpn-spoke when it initiates, flexvpn-hub when it responds), `charon`
// a strongswan node, `mid` a router (or, for NAT cells, a nat node whose outside faces the
// responder, so the initiator is the one behind the NAT). The tunnel protects 10.1.0.0/24 <->
// 10.2.0.0/24; both WAN links are captured. Every cell deploys this same topology with its own
// node configs (a generated topology file, kept in the cell's directory for reproduction).

import { projectPath } from '../../engine/util/paths.ts';
import { stringify } from 'yaml';

export type Side = 'ours' | 'charon';

export const PKI_DIR = projectPath('test', 'fixtures', 'pki') + '/';
export const PSK = 'flexlab-interop-psk-0123';
export const OURS_ID = 'spoke1.flexlab.test';
export const CHARON_ID = 'hub.flexlab.test';

export const ADDR = {
  oursWan: '192.0.2.1', midOurs: '192.0.2.254', midCharon: '198.51.100.254', charonWan: '198.51.100.2',
  oursLan: '10.1.0.1', charonLan: '10.2.0.1', hostO: '10.1.0.10', hostC: '10.2.0.10',
  netO: '10.1.0.0/24', netC: '10.2.0.0/24',
};

/** What a cell changes: node configs (mutable), the middle box, the WAN MTU. */
export interface LabPlan {
  name: string;
  initiator: Side;
  /** Config block of our node (flexvpn-spoke or flexvpn-hub, see initiator). */
  ours: Record<string, unknown>;
  /** Config block of the strongswan node; its connection is `net` with child `net`. */
  charon: {
    charon: Record<string, unknown>;
    connections: { net: Record<string, unknown> & { local: Record<string, unknown>; remote: Record<string, unknown>; children: { net: Record<string, unknown> } } };
    secrets?: unknown[];
    log?: Record<string, unknown>;
  };
  mid: 'router' | 'nat';
  /** MTU of both WAN links (default 1500). */
  wanMtu?: number;
}

export function pki(name: string): { cert: string; key: string } {
  return { cert: `${PKI_DIR}${name}.cert.pem`, key: `${PKI_DIR}${name}.key.pem` };
}

/** The baseline: PSK, AES-CBC-128/SHA-256/ECP-256 IKE, AES-GCM-128 ESP, short retransmission timers. */
export function basePlan(name: string, initiator: Side): LabPlan {
  const ours: Record<string, unknown> = {
    'pre-shared-key': PSK,
    identity: { fqdn: OURS_ID },
    'match-identity-remote': [{ fqdn: CHARON_ID }],
    proposals: [{ encryption: 'aes-cbc-128', integrity: 'sha256', group: 19 }],
    'transform-sets': ['esp-gcm 128'],
    'traffic-selectors': { local: ADDR.netO, remote: ADDR.netC },
    retransmit: { timeout: 1, base: 1.5, tries: 3 },
  };
  if (initiator === 'ours') {
    Object.assign(ours, { peer: ADDR.charonWan, connect: 'manual', tunnel: { address: `${ADDR.oursLan}/32` } });
  } else {
    Object.assign(ours, { 'virtual-template': { 'interface-prefix': 'va' } });
  }
  return {
    name, initiator, mid: 'router',
    ours,
    charon: {
      charon: { retransmit_timeout: 1, retransmit_base: 1.4, retransmit_tries: 3 },
      connections: {
        net: {
          ...(initiator === 'charon' ? { remote_addrs: [ADDR.oursWan] } : {}),
          proposals: ['aes128-sha256-ecp256'],
          psk: PSK,
          keyingtries: 1,
          local: { auth: 'psk', id: CHARON_ID },
          remote: { auth: 'psk', id: OURS_ID },
          children: { net: { local_ts: [ADDR.netC], remote_ts: [ADDR.netO], esp_proposals: ['aes128gcm16'] } },
        },
      },
    },
  };
}

/** Certificate authentication on both sides (RSA or ECDSA test PKI, CA = the fixtures' root). */
export function useCertificates(p: LabPlan, kind: 'rsa' | 'ec'): void {
  const mine = pki(`spoke1-${kind}`);
  const theirs = pki(`hub-${kind}`);
  delete p.ours['pre-shared-key'];
  p.ours['pki'] = { certificate: mine.cert, key: mine.key, ca: `${PKI_DIR}ca.cert.pem` };
  p.ours['authentication'] = { local: kind === 'rsa' ? 'rsa-sig' : 'ecdsa-sig', remote: kind === 'rsa' ? 'rsa-sig' : 'ecdsa-sig' };
  const c = p.charon.connections.net;
  delete c.psk;
  c['send_cert'] = 'always';
  c.local = { auth: 'pubkey', id: CHARON_ID, certs: [theirs.cert], key: theirs.key };
  c.remote = { auth: 'pubkey', id: OURS_ID, cacerts: [`${PKI_DIR}ca.cert.pem`] };
}

/** The topology file of a cell. */
export function topologyYaml(p: LabPlan): string {
  const oursKind = p.initiator === 'ours' ? 'flexvpn-spoke' : 'flexvpn-hub';
  const natOutside = p.initiator === 'ours' ? 'eth2' : 'eth1';
  const mtu = p.wanMtu ? { mtu: p.wanMtu } : {};
  const doc = {
    name: p.name,
    topology: {
      nodes: {
        ours: {
          kind: oursKind, config: p.ours,
          interfaces: { eth1: { ipv4: `${ADDR.oursWan}/24` }, eth2: { ipv4: `${ADDR.oursLan}/24` } },
          routes: [{ dst: 'default', via: ADDR.midOurs }],
        },
        mid: {
          kind: p.mid,
          ...(p.mid === 'nat' ? { config: { outside: natOutside } } : {}),
          interfaces: { eth1: { ipv4: `${ADDR.midOurs}/24` }, eth2: { ipv4: `${ADDR.midCharon}/24` } },
        },
        charon: {
          kind: 'strongswan', config: p.charon,
          interfaces: { eth1: { ipv4: `${ADDR.charonWan}/24` }, eth2: { ipv4: `${ADDR.charonLan}/24` } },
          routes: [{ dst: 'default', via: ADDR.midCharon }],
        },
        'host-o': { kind: 'host', interfaces: { eth1: { ipv4: `${ADDR.hostO}/24` } }, routes: [{ dst: 'default', via: ADDR.oursLan }] },
        'host-c': { kind: 'host', interfaces: { eth1: { ipv4: `${ADDR.hostC}/24` } }, routes: [{ dst: 'default', via: ADDR.charonLan }] },
      },
      links: [
        { endpoints: ['ours:eth1', 'mid:eth1'], capture: true, ...mtu },
        { endpoints: ['charon:eth1', 'mid:eth2'], capture: true, ...mtu },
        { endpoints: ['ours:eth2', 'host-o:eth1'] },
        { endpoints: ['charon:eth2', 'host-c:eth1'] },
      ],
    },
  };
  return `# Interop cell ${p.name}: generated by flexlab interop (interop/matrix/topology.ts).\n${stringify(doc, { lineWidth: 0 })}`;
}

/** Link ids of the two WAN links (their captures are judged). */
export const WAN_LINKS = { ours: 'ours-eth1--mid-eth1', charon: 'charon-eth1--mid-eth2' };
