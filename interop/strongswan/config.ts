// The `config` block of a `strongswan` node: swanctl.conf written as YAML (connections with
// local/remote auth rounds, proposals, children, secrets, pools) plus the few strongswan.conf
// settings a lab needs (retransmission, fragment size, DoS/cookie limits, RADIUS, logging). Keys
// keep swanctl's spelling (local_addrs, esp_proposals, dpd_delay...) so a swanctl.conf converts
// line by line. JSON Schema for the topology loader, defaults, and the checks a schema cannot make.

import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { LabModel, NodeModel } from '../../labs/model.ts';
import type { KindIssue } from '../../labs/kinds/types.ts';

export type TimeValue = number | string;

export interface AuthRound {
  /** psk | pubkey | eap-mschapv2 | eap-md5 | eap-radius | eap-identity ... (swanctl `auth`). */
  auth: string;
  id?: string;
  /** Local: own certificate files (PEM), copied to swanctl/x509. */
  certs?: string[];
  /** Local: the private key of `certs` (PEM), copied to swanctl/private. */
  key?: string;
  /** Remote: CA certificates the peer must chain to, copied to swanctl/x509ca. */
  cacerts?: string[];
  eap_id?: string;
}

export interface ChildConfig {
  local_ts?: string[];
  remote_ts?: string[];
  esp_proposals?: string[];
  mode?: 'tunnel' | 'transport';
  start_action?: 'none' | 'trap' | 'start';
  dpd_action?: 'clear' | 'trap' | 'restart';
  close_action?: 'none' | 'trap' | 'start';
  rekey_time?: TimeValue;
  life_time?: TimeValue;
  rand_time?: TimeValue;
  rekey_bytes?: number;
  rekey_packets?: number;
  inactivity?: TimeValue;
}

export interface ConnectionConfig {
  local_addrs?: string[];
  remote_addrs?: string[];
  local_port?: number;
  remote_port?: number;
  proposals?: string[];
  /** Shortcut: a `secrets { ike-<conn> }` entry for the local and remote ids. */
  psk?: string;
  local: AuthRound;
  remote: AuthRound;
  dpd_delay?: TimeValue;
  dpd_timeout?: TimeValue;
  fragmentation?: 'yes' | 'no' | 'accept' | 'force';
  send_cert?: 'always' | 'ifasked' | 'never';
  send_certreq?: boolean;
  mobike?: boolean;
  encap?: boolean;
  keyingtries?: number;
  unique?: 'no' | 'never' | 'keep' | 'replace';
  rekey_time?: TimeValue;
  reauth_time?: TimeValue;
  over_time?: TimeValue;
  rand_time?: TimeValue;
  pools?: string[];
  vips?: string[];
  children: Record<string, ChildConfig>;
}

export interface SecretConfig {
  type?: 'ike' | 'eap' | 'xauth';
  id?: string[];
  secret: string;
}

export interface PoolConfig {
  addrs: string;
  dns?: string[];
  nbns?: string[];
  split_include?: string[];
}

/** strongswan.conf `charon { ... }` settings a lab may set (names as strongswan.conf spells them). */
export interface CharonSettings {
  fragment_size?: number;
  retransmit_timeout?: number;
  retransmit_base?: number;
  retransmit_tries?: number;
  retransmit_jitter?: number;
  cookie_threshold?: number;
  cookie_threshold_ip?: number;
  block_threshold?: number;
  init_limit_half_open?: number;
  dos_protection?: boolean;
  half_open_timeout?: number;
  ikesa_table_size?: number;
  ikesa_table_segments?: number;
  make_before_break?: boolean;
  keep_alive?: number;
  threads?: number;
}

export interface RadiusConfig {
  servers: Array<{ address: string; secret: string; auth_port?: number; acct_port?: number }>;
  accounting?: boolean;
  accounting_requires_vip?: boolean;
  dae?: { listen?: string; port?: number; secret: string };
}

export interface LogConfig {
  /** Levels of the main log (charon's stdout, <out>/logs/<node>.charon.log): -1..4 per subsystem. */
  levels?: Record<string, number>;
  /** A level-4 IKE/CHD log with the key material, turned into key tables (default true). */
  keys?: boolean;
}

export interface StrongswanConfig {
  connections: Record<string, ConnectionConfig>;
  secrets?: SecretConfig[];
  pools?: Record<string, PoolConfig>;
  charon?: CharonSettings;
  radius?: RadiusConfig;
  log?: LogConfig;
  /** Interface whose first IPv4 address is the default local_addrs (default: the first interface). */
  'listen-interface'?: string;
}

// ----------------------------------------------------------------------------------------- schema

const strList = { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }] };
const time = {
  oneOf: [{ type: 'number', minimum: 0 }, { type: 'string', pattern: '^\\d+(\\.\\d+)?[smhd]?$' }],
  description: 'seconds, or a number with s/m/h/d as in swanctl.conf',
};

const authRound = {
  type: 'object',
  required: ['auth'],
  additionalProperties: false,
  properties: {
    auth: { type: 'string', pattern: '^(psk|pubkey|rsa|ecdsa|eap(-[a-z0-9]+)?|xauth(-[a-z]+)?)(-[a-z0-9_]+)*$', description: 'psk, pubkey, eap-mschapv2, eap-md5, eap-radius, ...' },
    id: { type: 'string', description: 'IKE identity: address, FQDN, user@FQDN or a DN' },
    certs: { ...strList, description: 'own certificates (PEM files relative to the topology file)' },
    key: { type: 'string', description: 'private key of the own certificate (PEM)' },
    cacerts: { ...strList, description: 'CA certificates the peer must chain to' },
    eap_id: { type: 'string' },
  },
};

const child = {
  type: 'object',
  additionalProperties: false,
  properties: {
    local_ts: strList, remote_ts: strList, esp_proposals: strList,
    mode: { enum: ['tunnel', 'transport'] },
    start_action: { enum: ['none', 'trap', 'start'] },
    dpd_action: { enum: ['clear', 'trap', 'restart'] },
    close_action: { enum: ['none', 'trap', 'start'] },
    rekey_time: time, life_time: time, rand_time: time, inactivity: time,
    rekey_bytes: { type: 'integer', minimum: 0 }, rekey_packets: { type: 'integer', minimum: 0 },
  },
};

const connection = {
  type: 'object',
  required: ['local', 'remote', 'children'],
  additionalProperties: false,
  properties: {
    local_addrs: strList, remote_addrs: strList,
    local_port: { type: 'integer', minimum: 1, maximum: 65535 }, remote_port: { type: 'integer', minimum: 1, maximum: 65535 },
    proposals: { ...strList, description: 'IKE proposals in swanctl syntax, e.g. aes256-sha256-modp2048' },
    psk: { type: 'string', description: 'pre-shared key for this connection (a secrets entry for its ids)' },
    local: authRound, remote: authRound,
    dpd_delay: time, dpd_timeout: time,
    fragmentation: { enum: ['yes', 'no', 'accept', 'force', true, false] },
    send_cert: { enum: ['always', 'ifasked', 'never'] },
    send_certreq: { type: 'boolean' }, mobike: { type: 'boolean' }, encap: { type: 'boolean' },
    keyingtries: { type: 'integer', minimum: 0 },
    unique: { enum: ['no', 'never', 'keep', 'replace'] },
    rekey_time: time, reauth_time: time, over_time: time, rand_time: time,
    pools: strList, vips: strList,
    children: { type: 'object', minProperties: 1, additionalProperties: child, propertyNames: { pattern: '^[A-Za-z0-9_.-]+$' } },
  },
};

export const strongswanConfigSchema: object = {
  type: 'object',
  required: ['connections'],
  additionalProperties: false,
  properties: {
    connections: { type: 'object', minProperties: 1, additionalProperties: connection, propertyNames: { pattern: '^[A-Za-z0-9_.-]+$' } },
    secrets: {
      type: 'array',
      items: {
        type: 'object', required: ['secret'], additionalProperties: false,
        properties: { type: { enum: ['ike', 'eap', 'xauth'] }, id: strList, secret: { type: 'string' } },
      },
    },
    pools: {
      type: 'object',
      additionalProperties: {
        type: 'object', required: ['addrs'], additionalProperties: false,
        properties: { addrs: { type: 'string' }, dns: strList, nbns: strList, split_include: strList },
      },
    },
    charon: {
      type: 'object',
      additionalProperties: false,
      description: 'strongswan.conf charon.* settings',
      properties: {
        fragment_size: { type: 'integer', minimum: 0, maximum: 65535 },
        retransmit_timeout: { type: 'number', exclusiveMinimum: 0 },
        retransmit_base: { type: 'number', minimum: 1 },
        retransmit_tries: { type: 'integer', minimum: 0 },
        retransmit_jitter: { type: 'integer', minimum: 0, maximum: 100 },
        cookie_threshold: { type: 'integer', minimum: 0 },
        cookie_threshold_ip: { type: 'integer', minimum: 0 },
        block_threshold: { type: 'integer', minimum: 0 },
        init_limit_half_open: { type: 'integer', minimum: 0 },
        dos_protection: { type: 'boolean' },
        half_open_timeout: { type: 'integer', minimum: 1 },
        ikesa_table_size: { type: 'integer', minimum: 1 },
        ikesa_table_segments: { type: 'integer', minimum: 1 },
        make_before_break: { type: 'boolean' },
        keep_alive: { type: 'integer', minimum: 0 },
        threads: { type: 'integer', minimum: 4, maximum: 256 },
      },
    },
    radius: {
      type: 'object',
      required: ['servers'],
      additionalProperties: false,
      description: 'eap-radius plugin: RADIUS servers for auth = eap-radius',
      properties: {
        servers: {
          type: 'array', minItems: 1,
          items: {
            type: 'object', required: ['address', 'secret'], additionalProperties: false,
            properties: {
              address: { type: 'string' }, secret: { type: 'string' },
              auth_port: { type: 'integer', minimum: 1, maximum: 65535 }, acct_port: { type: 'integer', minimum: 1, maximum: 65535 },
            },
          },
        },
        accounting: { type: 'boolean' },
        accounting_requires_vip: { type: 'boolean' },
        dae: {
          type: 'object', required: ['secret'], additionalProperties: false,
          properties: { listen: { type: 'string' }, port: { type: 'integer', minimum: 1, maximum: 65535 }, secret: { type: 'string' } },
        },
      },
    },
    log: {
      type: 'object',
      additionalProperties: false,
      properties: {
        levels: { type: 'object', additionalProperties: { type: 'integer', minimum: -1, maximum: 4 }, propertyNames: { enum: ['default', 'dmn', 'mgr', 'ike', 'chd', 'job', 'cfg', 'knl', 'net', 'asn', 'enc', 'tnc', 'imc', 'imv', 'pts', 'tls', 'esp', 'lib'] } },
        keys: { type: 'boolean', description: 'level-4 key log turned into Wireshark key tables (default true)' },
      },
    },
    'listen-interface': { type: 'string' },
  },
};

// ----------------------------------------------------------------------------------------- defaults

const asList = (v: unknown): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v.map(String) : [String(v)]);

/** The node's own address IKE runs on: listen-interface, else the first interface with IPv4. */
export function nodeLocalAddress(node: NodeModel, cfg: StrongswanConfig): string | undefined {
  const want = cfg['listen-interface'];
  const ifs = want ? node.interfaces.filter((i) => i.name === want) : node.interfaces.filter((i) => i.name !== 'lo');
  for (const i of ifs) for (const a of i.addresses) if (a.family === 4) return a.address;
  for (const i of ifs) for (const a of i.addresses) return a.address;
  return undefined;
}

/** Normalises lists given as single strings, fills local_addrs and defaults (in place). */
export function applyDefaults(node: NodeModel): void {
  const cfg = node.config as unknown as StrongswanConfig;
  for (const c of Object.values(cfg.connections ?? {})) {
    c.local_addrs = asList(c.local_addrs) ?? (nodeLocalAddress(node, cfg) ? [nodeLocalAddress(node, cfg)!] : undefined);
    c.remote_addrs = asList(c.remote_addrs);
    c.proposals = asList(c.proposals);
    c.pools = asList(c.pools);
    c.vips = asList(c.vips);
    for (const r of [c.local, c.remote]) {
      r.certs = asList(r.certs);
      r.cacerts = asList(r.cacerts);
    }
    if (typeof c.fragmentation === 'boolean') c.fragmentation = c.fragmentation ? 'yes' : 'no';
    for (const ch of Object.values(c.children ?? {})) {
      ch.local_ts = asList(ch.local_ts);
      ch.remote_ts = asList(ch.remote_ts);
      ch.esp_proposals = asList(ch.esp_proposals);
      ch.start_action ??= 'none';
    }
  }
  for (const s of cfg.secrets ?? []) s.id = asList(s.id);
  for (const p of Object.values(cfg.pools ?? {})) {
    p.dns = asList(p.dns);
    p.nbns = asList(p.nbns);
    p.split_include = asList(p.split_include);
  }
}

export function baseDirOf(lab: Pick<LabModel, 'file'>): string {
  return lab.file ? dirname(lab.file) : process.cwd();
}

export function resolveFile(baseDir: string, file: string): string {
  return isAbsolute(file) ? file : resolve(baseDir, file);
}

/** What the schema cannot say: files exist, auth rounds have what they need, pools exist. */
export function checkConfig(node: NodeModel, lab: LabModel): KindIssue[] {
  const cfg = node.config as unknown as StrongswanConfig;
  const issues: KindIssue[] = [];
  const base = baseDirOf(lab);
  const file = (p: (string | number)[], f: string) => {
    if (!existsSync(resolveFile(base, f))) issues.push({ path: p, message: `file ${resolveFile(base, f)} does not exist` });
  };
  if (cfg['listen-interface'] && !node.interfaces.some((i) => i.name === cfg['listen-interface'])) {
    issues.push({ path: ['config', 'listen-interface'], message: `interface "${cfg['listen-interface']}" is not an interface of node "${node.name}"` });
  }
  if (!nodeLocalAddress(node, cfg)) issues.push({ path: ['config'], message: `node "${node.name}" has no interface address for charon to use` });
  for (const [name, c] of Object.entries(cfg.connections ?? {})) {
    const at = ['config', 'connections', name];
    for (const [side, r] of [['local', c.local], ['remote', c.remote]] as const) {
      (r.certs ?? []).forEach((f, i) => file([...at, side, 'certs', i], f));
      (r.cacerts ?? []).forEach((f, i) => file([...at, side, 'cacerts', i], f));
      if (r.key) file([...at, side, 'key'], r.key);
      if (side === 'remote' && (r.certs?.length || r.key)) issues.push({ path: [...at, side], message: 'certs and key belong to the local side; the remote side takes cacerts' });
    }
    if (c.local.auth === 'pubkey' && !c.local.certs?.length) issues.push({ path: [...at, 'local', 'certs'], message: 'auth = pubkey needs certs (and key) on the local side' });
    if (c.local.certs?.length && !c.local.key) issues.push({ path: [...at, 'local', 'key'], message: 'local certs need their private key (key: FILE)' });
    const usesPsk = c.local.auth === 'psk' || c.remote.auth === 'psk';
    if (usesPsk && c.psk === undefined && !(cfg.secrets ?? []).some((s) => (s.type ?? 'ike') === 'ike')) {
      issues.push({ path: [...at], message: 'auth = psk needs a pre-shared key: psk: "..." on the connection or an ike entry under secrets' });
    }
    for (const p of c.pools ?? []) {
      if (!cfg.pools?.[p]) issues.push({ path: [...at, 'pools'], message: `pool "${p}" is not defined under config.pools` });
    }
    if ((c.remote.auth === 'eap-radius' || c.local.auth === 'eap-radius') && !cfg.radius) {
      issues.push({ path: [...at, 'remote', 'auth'], message: 'auth = eap-radius needs config.radius (servers)' });
    }
  }
  return issues;
}
