// Maps the `config` block of an IPsec node (validated against config-schema.ts) onto the IKE core's
// objects: profiles, keyrings, proposals, transform sets, engine settings, and the role's own
// parameters (a spoke's tunnel interface and peer, a hub's virtual template and pool).

import { namedAccessLists, planInterfaceConfig } from '../daemon/interface-policy.ts';
import { hubNatRules } from './hub-nat.ts';
import type { PolicyMaps } from '../daemon/interface-policy.ts';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { X509Certificate } from 'node:crypto';
import {
  DEFAULT_IKE_LIFETIME, defaultIkev2Policy, defaultIpsecProfile, parseTransformSet,
} from '../ike/config.ts';
import type {
  ConfigModePolicy, DpdConfig, EapClientConfig, EapServerConfig, Identity, IdentityMatch, Ikev2Profile, Ikev2Proposal, IkeEngineSettings, Keyring,
  LocalAuthMethod, RemoteAuthMethod, TransformSet,
} from '../ike/config.ts';
import { normalizePrefix } from '../aaa/authorization.ts';
import type { AuthorizationAttributes, NameMangler } from '../aaa/authorization.ts';
import type { AaaConfig } from '../daemon/aaa.ts';
import type { ConnectionConfig } from '../ike/engine.ts';
import { loadPemCertificates, loadPemPrivateKey } from '../ike/crypto/certs.ts';
import { createHash } from 'node:crypto';
import { tsFromCidr } from '../ike/traffic-selectors.ts';
import { ipFamily } from '../util/ip.ts';
import { buildClientSetup } from './client-config.ts';
import { windowsRoleSetup } from '../personas/windows.ts';
import { anyconnectRoleSetup } from '../personas/anyconnect.ts';
import type { ClientRoleSetup } from './client-config.ts';
import { resumeOptions, resumptionPolicy, resumptionSettings } from './resumption-config.ts';

/** What the lab hands a daemon: the node, its kind's role and config, and where things live. */
export interface DaemonInput {
  lab: string;
  node: string;
  kind: string;
  role: 'hub' | 'spoke' | 'client';
  config: Record<string, unknown>;
  /** Directory of the topology file (relative PKI paths are resolved from it). */
  baseDir: string;
  stateDir: string;
  outDir: string;
  interfaces: Array<{ name: string; addresses: Array<{ family: 4 | 6; address: string; prefix: number }> }>;
}

export interface TunnelSetup {
  interface: string;
  /** "negotiated" (from the configuration reply) or "address/prefix". */
  address: string;
  mtu: number;
  routeAccept: boolean;
  routes: string[];
  /**
   * Route the CHILD SA's narrowed remote selectors into the tunnel (default true). The Windows
   * persona does not: Windows makes no routes from traffic selectors (ikev2-notes 3a).
   */
  routesFromSelectors?: boolean;
  /** Also route the classful network of the virtual address (what Windows installs). */
  classfulRoute?: boolean;
}

export interface TemplateSetup {
  prefix: string;
  address?: string;
  mtu: number;
  routeAccept: boolean;
  /** `interface-config` lines of the template itself, applied to every VA before AAA's. */
  interfaceConfig?: string[];
  /** `policy-map NAME / class class-default / police cir BPS [bc BYTES]`, by name. */
  policyMaps?: PolicyMaps;
  /** `ip access-list standard|extended NAME` entries, by name (for `ip access-group NAME in|out`). */
  accessLists?: Record<string, string[]>;
}

export interface RoleSetup {
  role: 'hub' | 'spoke' | 'client';
  profiles: Ikev2Profile[];
  settings: Partial<IkeEngineSettings>;
  localAddress: string;
  connection?: ConnectionConfig;
  tunnel?: TunnelSetup;
  template?: TemplateSetup;
  aaa?: AaaConfig;
  /** flexvpn-client: the client blocks, track objects and name resolution (engine/roles/client-config.ts). */
  client?: ClientRoleSetup;
  /** A remote-access client kind: our spoke role with this persona (engine/personas/*). */
  persona?: 'anyconnect' | 'windows';
  /** What a client does after a suspend (AnyConnect AutoReconnectBehavior, F-RC-03). */
  resumeBehavior?: 'DisconnectOnSuspend' | 'ReconnectAfterResume';
  /** A roaming client: follow a change of the node's own address and reconnect (AnyConnect). */
  followLocalAddress?: boolean;
  /** What the persona emulates, for `flexlab show NODE status`. */
  personaFacts?: Record<string, unknown>;
}

type Cfg = Record<string, unknown>;

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function toIdentity(v: unknown): Identity | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const [[type, value]] = Object.entries(v as Record<string, string>) as [[string, string]];
  return { type: type as Identity['type'], value };
}

function toMatch(v: unknown): IdentityMatch {
  if (v === 'any' || v === undefined) return { type: 'any' };
  const o = { ...(v as Record<string, unknown>) };
  const domain = o.domain === true;
  delete o.domain;
  const id = toIdentity(o)!;
  return { ...id, domain };
}

function readPem(baseDir: string, file: string): string {
  const path = isAbsolute(file) ? file : resolve(baseDir, file);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
}

function proposals(cfg: Cfg): Ikev2Proposal[] | undefined {
  const list = cfg.proposals as Array<Record<string, unknown>> | undefined;
  if (!list?.length) return undefined;
  return list.map((p, i) => ({
    name: (p.name as string) ?? `proposal${i + 1}`,
    encryption: asList(p.encryption as string | string[]),
    integrity: asList(p.integrity as string | string[]),
    prf: p.prf ? asList(p.prf as string | string[]) : undefined,
    group: asList(p.group as number | number[]),
  }));
}

function transformSets(cfg: Cfg): TransformSet[] | undefined {
  const list = cfg['transform-sets'] as Array<string | Record<string, string>> | undefined;
  if (!list?.length) return undefined;
  return list.map((t, i) => {
    const o = typeof t === 'string' ? { esp: t } : t;
    const ts = parseTransformSet(o.name ?? `ts${i + 1}`, o.esp!, (o.mode as 'tunnel' | 'transport') ?? 'tunnel');
    if (typeof ts === 'string') throw new Error(ts);
    return ts;
  });
}

/** One `crypto ikev2 profile` from a config object (the node's top level or an entry of `profiles`). */
export function buildProfile(name: string, cfg: Cfg, baseDir: string, extra: { configMode?: ConfigModePolicy; anyconnectClient?: import('../ike/config.ts').AnyConnectClientConfig } = {}): Ikev2Profile {
  const pki = cfg.pki as Record<string, unknown> | undefined;
  let credentials: Ikev2Profile['credentials'];
  const trustedCas: X509Certificate[] = [];
  if (pki) {
    for (const f of asList(pki.ca as string | string[])) trustedCas.push(...loadPemCertificates(readPem(baseDir, f), f));
    if (pki.certificate) {
      const [cert] = loadPemCertificates(readPem(baseDir, pki.certificate as string), pki.certificate as string);
      if (!pki.key) throw new Error(`pki.certificate ${pki.certificate} needs pki.key`);
      const key = loadPemPrivateKey(readPem(baseDir, pki.key as string), { source: pki.key as string });
      const chain = asList(pki.chain as string[] | undefined).flatMap((f) => loadPemCertificates(readPem(baseDir, f), f));
      credentials = { cert: cert!, chain, key };
    }
  }
  const auth = cfg.authentication as { local?: LocalAuthMethod; remote?: RemoteAuthMethod | RemoteAuthMethod[] } | undefined;
  const certMethod: LocalAuthMethod | undefined = credentials ? (credentials.key.asymmetricKeyType === 'ec' ? 'ecdsa-sig' : 'rsa-sig') : undefined;
  const authLocal = auth?.local ?? certMethod ?? 'pre-share';
  const authRemote = auth?.remote ? asList(auth.remote) : [authLocal === 'eap' ? 'pre-share' : authLocal as RemoteAuthMethod];
  let keyring: Keyring | undefined;
  const kr = cfg.keyring as Array<Record<string, unknown>> | undefined;
  if (kr?.length) {
    keyring = {
      name: `${name}-keyring`,
      peers: kr.map((e, i) => ({
        name: (e.name as string) ?? `peer${i + 1}`,
        address: e.address as string | undefined,
        identity: toIdentity(e.identity),
        preSharedKey: e['pre-shared-key'] as string | undefined,
        preSharedKeyLocal: e.local as string | undefined,
        preSharedKeyRemote: e.remote as string | undefined,
      })),
    };
  } else if (cfg['pre-shared-key'] !== undefined) {
    keyring = { name: `${name}-keyring`, peers: [{ name: 'any', address: '0.0.0.0/0', preSharedKey: cfg['pre-shared-key'] as string }, { name: 'any6', address: '::/0', preSharedKey: cfg['pre-shared-key'] as string }] };
  }
  if ((authLocal === 'pre-share' || authRemote.includes('pre-share')) && !keyring && !cfg['keyring-aaa']) {
    throw new Error(`profile ${name}: pre-shared key authentication needs "pre-shared-key" or "keyring"`);
  }
  if ((authLocal === 'rsa-sig' || authLocal === 'ecdsa-sig') && !credentials) {
    throw new Error(`profile ${name}: ${authLocal} authentication needs pki.certificate and pki.key`);
  }
  if (authRemote.some((m) => m === 'rsa-sig' || m === 'ecdsa-sig') && !trustedCas.length) {
    throw new Error(`profile ${name}: verifying certificates needs pki.ca`);
  }
  const ipsec = defaultIpsecProfile();
  const sets = transformSets(cfg);
  if (sets) ipsec.transformSets = sets;
  if (cfg.pfs) ipsec.pfsGroup = cfg.pfs as number;
  const il = cfg['ipsec-lifetime'] as { seconds?: number; kilobytes?: number } | undefined;
  if (il?.seconds !== undefined) ipsec.lifetimeSeconds = il.seconds;
  if (il?.kilobytes !== undefined) ipsec.lifetimeKilobytes = il.kilobytes;
  if (cfg['replay-window'] !== undefined) ipsec.replayWindow = cfg['replay-window'] as number;
  const d = cfg.dpd as Record<string, unknown> | undefined;
  const dpd: DpdConfig | undefined = d ? {
    interval: d.interval as number, retries: (d.retries as number) ?? 3,
    retryInterval: d['retry-interval'] as number | undefined, mode: (d.mode as DpdConfig['mode']) ?? 'periodic',
  } : undefined;
  const props = proposals(cfg);
  const ts = cfg['traffic-selectors'] as { local?: string | string[]; remote?: string | string[] } | undefined;
  const eap = cfg.eap as Record<string, unknown> | undefined;
  const mangler = (m: unknown) => m as NameMangler | undefined;
  const authz = cfg.authorization as Record<string, Record<string, unknown> | boolean> | undefined;
  const kaaa = cfg['keyring-aaa'] as Record<string, unknown> | undefined;
  if (authLocal === 'eap' && !eap?.password && !extra.anyconnectClient) throw new Error(`profile ${name}: authentication local eap needs eap.password (and eap.identity)`);
  // F-AUTH-14: the IOS validation rules of the EAP and reconnect commands.
  if ((authRemote.includes('eap') || authRemote.includes('anyconnect-eap')) && !credentials) {
    throw new Error(`profile ${name}: For remote auth method to be EAP, the local auth method must be certificate-based (set pki.certificate and pki.key)`);
  }
  const ac = cfg.anyconnect as Record<string, unknown> | undefined;
  if (authRemote.includes('anyconnect-eap') && !ac) throw new Error(`profile ${name}: authentication remote anyconnect-eap needs an "anyconnect" block (aaa authentication anyconnect-eap)`);
  const rc = cfg.reconnect as { timeout?: number; 'dpd-interval'?: number } | boolean | undefined;
  if (rc && (keyring || authLocal === 'pre-share' || authRemote.includes('pre-share') || kaaa)) {
    throw new Error(`profile ${name}: Reconnect can not be configured if either Keyring, PSK authentication or PSK authorization enabled in profile.`);
  }
  const acProfile = ac?.profile as { name?: string; file: string } | undefined;
  return {
    name,
    matchRemote: cfg['match-identity-remote'] ? (cfg['match-identity-remote'] as unknown[]).map(toMatch) : [{ type: 'any' }],
    localIdentity: toIdentity(cfg.identity),
    authLocal, authRemote, keyring, credentials, trustedCas,
    policy: props ? { name: `${name}-policy`, proposals: props } : defaultIkev2Policy(),
    lifetime: (cfg.lifetime as number | undefined) ?? DEFAULT_IKE_LIFETIME,
    dpd, ipsec,
    configMode: extra.configMode,
    localTs: ts?.local ? asList(ts.local).map((c) => tsFromCidr(c)) : undefined,
    remoteTs: ts?.remote ? asList(ts.remote).map((c) => tsFromCidr(c)) : undefined,
    vendorIds: (cfg['vendor-ids'] as string[] | undefined)?.map((v) => (/^[0-9a-f]+$/i.test(v) && v.length % 2 === 0 ? Buffer.from(v, 'hex') : Buffer.from(v.replace(/^"|"$/g, '')))),
    eapClient: authLocal === 'eap' && eap ? { identity: eap.identity as string | undefined, password: eap.password as string, methods: eap.methods as EapClientConfig['methods'] } : undefined,
    eapServer: authRemote.includes('eap') ? {
      mode: (eap?.mode as 'radius' | 'local' | undefined) ?? (eap?.users ? 'local' : 'radius'),
      queryIdentity: (eap?.['query-identity'] as boolean | undefined) ?? true,
      timeout: (eap?.timeout as number | undefined) ?? 90,
      methods: eap?.methods as EapServerConfig['methods'],
      users: eap?.users as EapServerConfig['users'],
    } : undefined,
    aaaKeyring: kaaa ? { nameMangler: mangler(kaaa['name-mangler']), password: kaaa.password as string | undefined } : undefined,
    authorization: authz ? {
      group: authz.group && typeof authz.group === 'object' ? { source: authz.group.source as 'local' | 'radius', policy: authz.group.policy as string | undefined, nameMangler: mangler(authz.group['name-mangler']) } : undefined,
      user: authz.user && typeof authz.user === 'object' ? { source: authz.user.source as 'local' | 'radius' | 'cached', policy: authz.user.policy as string | undefined, nameMangler: mangler(authz.user['name-mangler']) } : undefined,
      override: authz.override === true,
    } : undefined,
    accounting: cfg.accounting === true || (typeof cfg.accounting === 'object' && cfg.accounting !== null),
    accountingInterim: typeof cfg.accounting === 'object' && cfg.accounting !== null ? (cfg.accounting as { 'interim-interval'?: number })['interim-interval'] : undefined,
    resumption: resumptionPolicy(cfg.resumption),
    anyconnectServer: authRemote.includes('anyconnect-eap') && ac ? {
      certRequest: ac['cert-request'] === true,
      aaa: (ac.aaa as 'local' | 'radius' | undefined) ?? (ac.users ? 'local' : 'radius'),
      users: ac.users as Record<string, string> | undefined,
      vendorType: ac['vendor-type'] as number | undefined,
      requireVendorId: ac['require-vendor-id'] as boolean | undefined,
      profiles: acProfile ? [anyconnectProfileManifest(baseDir, acProfile)] : undefined,
    } : undefined,
    anyconnectClient: extra.anyconnectClient,
    reconnect: rc ? { timeout: (typeof rc === 'object' ? rc.timeout : undefined) ?? 1800, dpdInterval: (typeof rc === 'object' ? rc['dpd-interval'] : undefined) ?? 30 } : undefined,
  };
}

/**
 * `crypto vpn anyconnect profile NAME FILE` + `anyconnect profile NAME`: what `complete` announces
 * (vpn-profile-manifest: the URI the client would fetch the XML from, and its SHA-1).
 */
function anyconnectProfileManifest(baseDir: string, p: { name?: string; file: string }): { uri: string; serviceType: string; hashType: string; hash: string } {
  const xml = readPem(baseDir, p.file);
  const base = (p.name ?? p.file.replace(/^.*\//, '').replace(/\.xml$/i, ''));
  return { uri: `/CACHE/stc/profiles/${base}.xml`, serviceType: 'user', hashType: 'sha1', hash: createHash('sha1').update(xml).digest('hex').toUpperCase() };
}

/** `crypto ikev2 authorization policy` objects of the node (the local AAA database). */
function authorizationPolicies(cfg: Cfg): Record<string, AuthorizationAttributes> | undefined {
  const list = cfg['authorization-policies'] as Record<string, Record<string, unknown>> | undefined;
  if (!list) return undefined;
  const out: Record<string, AuthorizationAttributes> = {};
  for (const [name, p] of Object.entries(list)) {
    out[name] = {
      pool: p.pool as string | undefined, pool6: p['pool-ipv6'] as string | undefined, netmask: p.netmask as string | undefined,
      dns: p.dns === undefined ? undefined : asList(p.dns as string | string[]), wins: p.wins === undefined ? undefined : asList(p.wins as string | string[]),
      routeSetPrefixes: (p['route-set'] as string[] | undefined)?.map(normalizePrefix), routeSetInterface: p['route-set-interface'] as boolean | undefined,
      routeAccept: p['route-accept'] === false ? false : {}, interfaceConfig: p['interface-config'] as string[] | undefined,
      banner: p.banner as string | undefined, defaultDomain: p['default-domain'] as string | undefined, splitDns: p['split-dns'] as string[] | undefined,
      backupGateways: p['backup-gateways'] as string[] | undefined, flowLimit: p['flow-limit'] as number | undefined,
    };
  }
  return out;
}

/** RADIUS servers, accounting and dynamic authorization of a hub. */
function aaaConfig(cfg: Cfg, localAddress: string): AaaConfig | undefined {
  const a = cfg.aaa as Record<string, unknown> | undefined;
  if (!a) return undefined;
  const servers = (a.radius as Array<Record<string, unknown>> | undefined ?? []).map((r) => ({
    name: r.name as string | undefined, address: r.address as string, secret: r.secret as string,
    authPort: r['auth-port'] as number | undefined, acctPort: r['acct-port'] as number | undefined,
  }));
  const dae = a['dynamic-author'] as { port?: number; clients: Array<{ address: string; secret: string }> } | undefined;
  return {
    servers, timeoutMs: a.timeout !== undefined ? (a.timeout as number) * 1000 : undefined, retries: a.retries as number | undefined,
    nasIp: localAddress, nasIdentifier: a['nas-identifier'] as string | undefined,
    dae: dae ? { port: dae.port ?? 3799, clients: dae.clients } : undefined,
  };
}

export function engineSettings(cfg: Cfg): Partial<IkeEngineSettings> {
  const s: Partial<IkeEngineSettings> = {};
  const f = cfg.fragmentation as { mtu?: number } | undefined;
  if (f?.mtu) s.fragmentationMtu = f.mtu;
  if (cfg.window !== undefined) s.window = cfg.window as number;
  if (cfg['nat-keepalive'] !== undefined) s.natKeepalive = cfg['nat-keepalive'] as number;
  if (cfg['cookie-threshold'] !== undefined) s.cookieThreshold = cfg['cookie-threshold'] as number;
  if (cfg['force-encapsulation'] !== undefined) s.forceEncap = cfg['force-encapsulation'] as boolean;
  const r = cfg.retransmit as { timeout?: number; base?: number; tries?: number } | undefined;
  if (r?.timeout !== undefined) s.retransmitTimeout = r.timeout;
  if (r?.base !== undefined) s.retransmitBase = r.base;
  if (r?.tries !== undefined) s.retransmitTries = r.tries;
  const policies = authorizationPolicies(cfg);
  if (policies) s.authorizationPolicies = policies;
  if (cfg.pools) s.pools = cfg.pools as Record<string, string>;
  const resumption = resumptionSettings(cfg.resumption);
  if (resumption) s.resumption = resumption;
  return s;
}

/** The address IKE runs on: `listen-interface`, else the first interface with an IPv4 address. */
export function localAddressOf(input: DaemonInput, family: 4 | 6 = 4): string {
  const want = input.config['listen-interface'] as string | undefined;
  const ifs = want ? input.interfaces.filter((i) => i.name === want) : input.interfaces.filter((i) => i.name !== 'lo');
  if (want && !ifs.length) throw new Error(`listen-interface ${want} does not exist on node ${input.node}`);
  for (const i of ifs) for (const a of i.addresses) if (a.family === family) return a.address;
  for (const i of ifs) for (const a of i.addresses) return a.address;
  throw new Error(`node ${input.node} has no interface address to run IKE on`);
}

export function buildRoleSetup(input: DaemonInput): RoleSetup {
  if (input.kind === 'windows-client') return windowsRoleSetup(input);
  if (input.kind === 'anyconnect-client') return anyconnectRoleSetup(input);
  if (input.role === 'client') return buildClientSetup(input);
  const cfg = input.config;
  const settings = engineSettings(cfg);
  if (input.role === 'spoke') {
    const peer = cfg.peer as string;
    const localAddress = localAddressOf(input, ipFamily(peer) === 6 ? 6 : 4);
    const t = (cfg.tunnel as Record<string, unknown> | undefined) ?? {};
    const negotiated = (t.address as string | undefined) ?? 'negotiated';
    const profile = buildProfile('default', cfg, input.baseDir, {
      configMode: {
        requestAddress: negotiated === 'negotiated',
        requestAddress6: negotiated === 'negotiated' && t.ipv6 === true,
        announceSubnets: (cfg['route-set'] as string[] | undefined) ?? [],
      },
    });
    // A FlexVPN spoke says so, which keeps the hub from narrowing selectors to its address.
    profile.vendorIds ??= [Buffer.from('FLEXVPN-SUPPORTED')];
    return {
      role: 'spoke', profiles: [profile], settings, localAddress,
      connection: {
        name: (t.interface as string | undefined) ?? 'tunnel0', profile,
        local: { address: localAddress, port: 500 }, remote: { address: peer, port: (cfg['peer-port'] as number | undefined) ?? 500 },
        auto: (cfg.connect ?? 'auto') === 'auto', retryDelay: (cfg['retry-delay'] as number | undefined) ?? 2,
        ...resumeOptions(cfg),
      },
      tunnel: {
        interface: (t.interface as string | undefined) ?? 'tunnel0', address: negotiated, mtu: (t.mtu as number | undefined) ?? 1400,
        routeAccept: cfg['route-accept'] !== false, routes: (cfg.routes as string[] | undefined) ?? [],
      },
    };
  }
  const vt = (cfg['virtual-template'] as Record<string, unknown> | undefined) ?? {};
  const address = vt.address as string | undefined;
  const configMode: ConfigModePolicy = {
    pool: cfg.pool as string | undefined,
    pool6: cfg['pool-ipv6'] as string | undefined,
    routeSet: cfg['route-set'] as string[] | undefined,
    routeSetInterface: cfg['route-set-interface'] !== false ? address?.split('/')[0] : undefined,
    routeAccept: cfg['route-accept'] !== false,
    dns: asList(cfg.dns as string | string[] | undefined),
    nbns: asList(cfg.wins as string | string[] | undefined),
    defaultDomain: cfg['default-domain'] as string | undefined,
    splitDns: cfg['split-dns'] as string[] | undefined,
    poolExhaustion: cfg['pool-exhaustion'] as 'terminate' | 'continue' | undefined,
  };
  const base = { ...cfg };
  delete base.profiles;
  const list = cfg.profiles as Array<Record<string, unknown>> | undefined;
  const profiles = list?.length
    ? list.map((p, i) => buildProfile((p.name as string) ?? `profile${i + 1}`, { ...base, ...p }, input.baseDir, { configMode }))
    : [buildProfile('default', cfg, input.baseDir, { configMode })];
  // A profile granting resumption tickets on its own still gets a key that survives restarts.
  if (!settings.resumption && profiles.some((p) => p.resumption?.enabled)) settings.resumption = { keySource: 'state file' };
  const localAddress = localAddressOf(input);
  checkInterfacePolicies(cfg, vt);
  hubNatRules(cfg, input.interfaces.map((i) => i.name)); // throws a located error for a bad nat block
  return {
    role: 'hub', profiles, settings, localAddress, aaa: aaaConfig(cfg, localAddress),
    template: {
      prefix: (vt['interface-prefix'] as string | undefined) ?? 'va', address, mtu: (vt.mtu as number | undefined) ?? 1400,
      routeAccept: cfg['route-accept'] !== false,
      interfaceConfig: vt['interface-config'] as string[] | undefined,
      policyMaps: policyMapsOf(cfg['policy-maps'] as Record<string, { police: { cir: number; bc?: number } }> | undefined),
      accessLists: cfg['access-lists'] as Record<string, string[]> | undefined,
    },
  };
}

/** `policy-maps: { NAME: { police: { cir: 2000000, bc: 8000 } } }` (cir in bit/s, bc in bytes). */
function policyMapsOf(cfg: Record<string, { police: { cir: number; bc?: number } }> | undefined): PolicyMaps | undefined {
  if (!cfg) return undefined;
  return Object.fromEntries(Object.entries(cfg).map(([name, m]) => [name, { police: { cir: m.police.cir, bc: m.police.bc } }]));
}

/**
 * The hub's access lists parse, and the template's interface-config names policy-maps and access
 * lists that exist (a CoA is checked when it arrives; the template is checked when the lab loads).
 */
function checkInterfacePolicies(cfg: Cfg, vt: Record<string, unknown>): void {
  const acls = namedAccessLists((cfg['access-lists'] as Record<string, string[]> | undefined) ?? {});
  const maps = policyMapsOf(cfg['policy-maps'] as Record<string, { police: { cir: number; bc?: number } }> | undefined) ?? {};
  ((vt['interface-config'] as string[] | undefined) ?? []).forEach((line, i) => {
    const e = planInterfaceConfig([line], maps, acls).errors[0];
    if (e) throw Object.assign(new Error(e), { path: ['virtual-template', 'interface-config', i] });
  });
}
