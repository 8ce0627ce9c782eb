// Maps the `config` block of a `flexvpn-client` node (engine/roles/client-schema.ts) onto the
// FlexVPN client role (engine/roles/flexvpn-client.ts), its track objects and each client block's
// tunnel interface and route handling. Each block gets its own IKE profile: the node's profile keys
// with the block's own on top (identity, keys, PKI, EAP, DPD...).

import type { ClientConfig, ClientPeerConfig, ConnectMode } from './flexvpn-client.ts';
import type { TrackConfig, TrackState } from './track.ts';
import type { DaemonInput, RoleSetup } from './config.ts';
import { buildProfile, engineSettings, localAddressOf } from './config.ts';
import { ipFamily } from '../util/ip.ts';

export interface ClientBlockSetup {
  /** The role's view of the block. */
  role: ClientConfig;
  tunnel: { interface: string; address: string; mtu: number };
  routeAccept: boolean;
  /** Accept a pushed default route (only one tunnel of the node carries one, F-CLI-10). */
  acceptDefault: boolean;
  routes: string[];
  routeMetric: number;
  nat: boolean;
  inside: string[];
}

export interface ClientRoleSetup {
  blocks: ClientBlockSetup[];
  tracks: TrackConfig[];
  nameServers: string[];
  hosts: Record<string, string[]>;
  dnsProxy: boolean;
  /** The interface IKE runs on (the tunnel source). */
  sourceInterface?: string;
}

type Cfg = Record<string, unknown>;

const PROFILE_KEYS_NOT_INHERITED = new Set(['clients', 'tracks', 'name-servers', 'hosts', 'dns-proxy']);
const BLOCK_KEYS = new Set(['name', 'peers', 'connect', 'peer-reactivate', 'backup-group', 'retry-delay', 'tunnel', 'route-set', 'route-accept',
  'default-route', 'routes', 'route-metric', 'nat', 'inside']);

function trackRef(v: unknown): { id: string; state: TrackState } | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'object' && v !== null) {
    const o = v as { object: string | number; state?: TrackState };
    return { id: String(o.object), state: o.state ?? 'up' };
  }
  return { id: String(v), state: 'up' };
}

function connectMode(v: unknown): ConnectMode {
  if (v === undefined || v === 'auto') return { mode: 'auto' };
  if (v === 'manual') return { mode: 'manual' };
  const o = v as { track: string | number; state?: TrackState };
  return { mode: 'track', track: String(o.track), state: o.state ?? 'up' };
}

/** Track objects of the node config (`tracks: {N: {...}}`). */
export function trackConfigs(cfg: Cfg): TrackConfig[] {
  const t = (cfg.tracks as Record<string, Cfg> | undefined) ?? {};
  return Object.entries(t).map(([id, o]) => {
    const p = o.probe as Cfg | undefined;
    return {
      id,
      ...(o.state ? { state: o.state as TrackState } : {}),
      ...(o.description ? { description: o.description as string } : {}),
      ...(p ? {
        probe: {
          address: p.address as string, ...(p.interface ? { interface: p.interface as string } : {}),
          interval: (p.interval as number | undefined) ?? 1, timeout: (p.timeout as number | undefined) ?? 1,
          threshold: (p.threshold as number | undefined) ?? 3, upThreshold: (p['up-threshold'] as number | undefined) ?? 1,
        },
      } : {}),
    };
  });
}

export function buildClientSetup(input: DaemonInput): RoleSetup {
  const cfg = input.config;
  const settings = engineSettings(cfg);
  const blocks = (cfg.clients as Cfg[] | undefined) ?? [];
  const tracks = trackConfigs(cfg);
  const trackIds = new Set(tracks.map((t) => t.id));
  const hostsRaw = (cfg.hosts as Record<string, string | string[]> | undefined) ?? {};
  const hosts = Object.fromEntries(Object.entries(hostsRaw).map(([k, v]) => [k.toLowerCase().replace(/\.$/, ''), Array.isArray(v) ? v : [v]]));
  const nameServers = (cfg['name-servers'] as string[] | undefined) ?? [];
  // IKE runs on one address: IPv6 when every peer is IPv6, else IPv4.
  const allPeers = blocks.flatMap((b) => (b.peers as Cfg[] | undefined) ?? []);
  const v6 = allPeers.length > 0 && allPeers.every((p) => (p.address ? ipFamily(p.address as string) === 6 : p.ipv6 === true));
  const localAddress = localAddressOf(input, v6 ? 6 : 4);
  const sourceInterface = input.interfaces.find((i) => i.addresses.some((a) => a.address === localAddress))?.name;
  const base: Cfg = Object.fromEntries(Object.entries(cfg).filter(([k]) => !PROFILE_KEYS_NOT_INHERITED.has(k)));
  const names = new Set<string>();
  const ifnames = new Set<string>();
  const out: ClientBlockSetup[] = blocks.map((b, i) => {
    const name = b.name as string;
    const where = `clients[${i}] (${name})`;
    if (names.has(name)) throw new Error(`${where}: client name "${name}" is used twice`);
    names.add(name);
    const t = (b.tunnel as Cfg | undefined) ?? {};
    const ifname = (t.interface as string | undefined) ?? `tunnel${i}`;
    if (ifnames.has(ifname)) throw new Error(`${where}: tunnel interface ${ifname} is already the tunnel of another client (each client owns one tunnel, F-CLI-01)`);
    ifnames.add(ifname);
    const seqs = new Set<number>();
    const peers: ClientPeerConfig[] = ((b.peers as Cfg[] | undefined) ?? []).map((p, k) => {
      const seq = p.seq as number;
      if (seqs.has(seq)) throw new Error(`${where}.peers[${k}]: sequence number ${seq} is used twice`);
      seqs.add(seq);
      if (p.address && !ipFamily(p.address as string)) throw new Error(`${where}.peers[${k}]: "${String(p.address)}" is not an IP address (use fqdn: for a name)`);
      const tr = trackRef(p.track);
      if (tr && !trackIds.has(tr.id)) throw new Error(`${where}.peers[${k}]: track ${tr.id} is not defined in tracks`);
      if (p.fqdn && !nameServers.length && !hosts[(p.fqdn as string).toLowerCase()]) {
        throw new Error(`${where}.peers[${k}]: fqdn ${String(p.fqdn)} needs name-servers (or a hosts entry) to be resolved`);
      }
      return {
        seq, ...(p.name ? { name: p.name as string } : {}), ...(p.address ? { address: p.address as string } : {}),
        ...(p.fqdn ? { fqdn: (p.fqdn as string).toLowerCase().replace(/\.$/, '') } : {}), ...(p.ipv6 ? { ipv6: true } : {}), ...(tr ? { track: tr } : {}),
      };
    });
    const mode = connectMode(b.connect);
    if (mode.mode === 'track' && !trackIds.has(mode.track)) throw new Error(`${where}.connect: track ${mode.track} is not defined in tracks`);
    const own: Cfg = Object.fromEntries(Object.entries(b).filter(([k]) => !BLOCK_KEYS.has(k)));
    const negotiated = (t.address as string | undefined) ?? 'negotiated';
    const profile = buildProfile(name, { ...base, ...own }, input.baseDir, {
      configMode: {
        requestAddress: negotiated === 'negotiated', requestAddress6: negotiated === 'negotiated' && t.ipv6 === true,
        announceSubnets: (b['route-set'] as string[] | undefined) ?? [],
      },
    });
    // An IOS FlexVPN client: the server sends it the Cisco attributes (backup gateways, split DNS).
    profile.vendorIds ??= [Buffer.from('FLEXVPN-SUPPORTED')];
    const port = ((b.peers as Cfg[])[0]?.port as number | undefined) ?? 500;
    return {
      role: {
        name, peers, connect: mode, reactivate: b['peer-reactivate'] === true,
        ...(b['backup-group'] !== undefined ? { backupGroup: String(b['backup-group']) } : {}),
        retryDelay: (b['retry-delay'] as number | undefined) ?? 2, port, profile,
        local: { [ipFamily(localAddress) === 6 ? 6 : 4]: localAddress },
      },
      tunnel: { interface: ifname, address: negotiated, mtu: (t.mtu as number | undefined) ?? 1400 },
      routeAccept: b['route-accept'] !== false,
      acceptDefault: b['default-route'] !== false,
      routes: (b.routes as string[] | undefined) ?? [],
      routeMetric: (b['route-metric'] as number | undefined) ?? 10 + 10 * i,
      nat: b.nat === true,
      inside: (b.inside as string[] | undefined) ?? [],
    };
  });
  for (const b of out) {
    for (const i of b.inside) if (!input.interfaces.some((x) => x.name === i)) throw new Error(`client ${b.role.name}: inside interface ${i} does not exist on node ${input.node}`);
  }
  for (const t of tracks) {
    if (t.probe?.interface && !input.interfaces.some((x) => x.name === t.probe!.interface)) throw new Error(`track ${t.id}: probe interface ${t.probe.interface} does not exist on node ${input.node}`);
  }
  return {
    role: 'client', profiles: out.map((b) => b.role.profile), settings, localAddress,
    client: { blocks: out, tracks, nameServers, hosts, dnsProxy: cfg['dns-proxy'] !== undefined ? cfg['dns-proxy'] === true : nameServers.length > 0, ...(sourceInterface ? { sourceInterface } : {}) },
  };
}
