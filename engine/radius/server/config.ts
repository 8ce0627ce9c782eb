// Configuration of the built-in RADIUS server (node kind `radius`, `flexlab radius-server`): clients
// (NAS address or prefix + secret), users (password, groups, allowed EAP methods, reply attributes),
// groups (reply attributes, EAP methods), EAP settings, accounting log, DAE defaults. The JSON schema
// gives the lab loader its line-numbered errors; `checkServerConfig` adds what a schema cannot say
// (prefixes, attribute names and values, group references), located by path.

import { ALL_EAP_METHODS } from '../../eap/constants.ts';
import type { EapMethodName } from '../../eap/constants.ts';
import { parseCidr } from '../../util/ip.ts';
import type { Cidr } from '../../util/ip.ts';
import { RADIUS_ACCT_PORT, RADIUS_AUTH_PORT, RADIUS_DAE_PORT } from '../constants.ts';
import type { Avp } from '../attributes.ts';
import { encodeAttributes } from '../attributes.ts';
import { attrByName, attributeNames } from '../dictionary.ts';
import { RadiusEncodeError } from '../errors.ts';

/** Attribute name -> value, or a list of values (one attribute each), e.g. "Cisco-AVPair": ["ipsec:route-set=prefix 10.0.0.0/8"]. */
export type ReplyAttributes = Record<string, string | number | (string | number)[]>;

export interface RadiusUserConfig {
  password?: string;
  groups?: string[];
  /** EAP methods this user may use (default: the group's, else the server's). */
  eap?: EapMethodName[];
  reply?: ReplyAttributes;
}

export interface RadiusGroupConfig {
  eap?: EapMethodName[];
  reply?: ReplyAttributes;
}

export interface RadiusClientConfig {
  /** NAS address or prefix ("10.0.0.1", "10.0.0.0/24", "::/0"). */
  address: string;
  secret: string;
  name?: string;
}

export interface RadiusServerConfig {
  clients: RadiusClientConfig[];
  users?: Record<string, RadiusUserConfig>;
  groups?: Record<string, RadiusGroupConfig>;
  eap?: {
    /** Methods offered, in order of preference (default mschapv2, md5, gtc). */
    methods?: EapMethodName[];
    /** Name in MD5/MSCHAPv2 challenges (default "flexlab-radius"). */
    'server-name'?: string;
    /** Seconds an unfinished EAP conversation is kept (default 30). */
    timeout?: number;
  };
  /** Accounting: record Start/Interim-Update/Stop (default on); `log` is the JSON-lines file. */
  accounting?: boolean | { enabled?: boolean; log?: string };
  /** Defaults for the CoA/Disconnect client (`flexlab radius disconnect|coa`). */
  dae?: { secret?: string; port?: number };
  /** Address to listen on (default all, IPv4 and IPv6). */
  listen?: string;
  'auth-port'?: number;
  'acct-port'?: number;
}

const EAP_METHOD_SCHEMA = { type: 'string', enum: [...ALL_EAP_METHODS] };
const REPLY_SCHEMA = {
  type: 'object',
  description: 'Reply attributes by name (FreeRADIUS dictionary names); a list gives one attribute per value.',
  additionalProperties: {
    anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'number' }] } }],
  },
};

export const radiusServerConfigSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['clients'],
  properties: {
    clients: {
      type: 'array',
      minItems: 1,
      description: 'RADIUS clients (NASes): address or prefix and shared secret.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['address', 'secret'],
        properties: {
          address: { type: 'string', description: 'NAS address or prefix, e.g. 10.0.0.2 or 10.0.0.0/24.' },
          secret: { type: 'string', minLength: 1 },
          name: { type: 'string' },
        },
      },
    },
    users: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          password: { type: 'string' },
          groups: { type: 'array', items: { type: 'string' } },
          eap: { type: 'array', items: EAP_METHOD_SCHEMA },
          reply: REPLY_SCHEMA,
        },
      },
    },
    groups: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: { eap: { type: 'array', items: EAP_METHOD_SCHEMA }, reply: REPLY_SCHEMA },
      },
    },
    eap: {
      type: 'object',
      additionalProperties: false,
      properties: {
        methods: { type: 'array', minItems: 1, items: EAP_METHOD_SCHEMA },
        'server-name': { type: 'string' },
        timeout: { type: 'number', minimum: 1 },
      },
    },
    accounting: {
      anyOf: [
        { type: 'boolean' },
        { type: 'object', additionalProperties: false, properties: { enabled: { type: 'boolean' }, log: { type: 'string' } } },
      ],
    },
    dae: {
      type: 'object',
      additionalProperties: false,
      properties: { secret: { type: 'string' }, port: { type: 'integer', minimum: 1, maximum: 65535 } },
    },
    listen: { type: 'string' },
    'auth-port': { type: 'integer', minimum: 1, maximum: 65535 },
    'acct-port': { type: 'integer', minimum: 1, maximum: 65535 },
  },
} as const;

export interface ConfigIssue {
  path: (string | number)[];
  message: string;
}

/** Reply attributes as Avps, in the order written (lists in list order). */
export function replyAvps(reply: ReplyAttributes | undefined): Avp[] {
  const out: Avp[] = [];
  for (const [name, v] of Object.entries(reply ?? {})) {
    const def = attrByName(name);
    const canonical = def?.name ?? name;
    for (const value of Array.isArray(v) ? v : [v]) out.push({ name: canonical, value: typeof value === 'number' ? value : coerce(def?.dataType, value) });
  }
  return out;
}

function coerce(dataType: string | undefined, value: string): string | number {
  return (dataType === 'integer' || dataType === 'date') && /^\d+$/.test(value) ? Number(value) : value;
}

/** Semantic checks the schema cannot express. */
export function checkServerConfig(c: RadiusServerConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (!Array.isArray(c.clients) || c.clients.length === 0) return [{ path: ['clients'], message: 'at least one client (NAS address or prefix and secret) is needed' }];
  c.clients.forEach((cl, i) => {
    if (typeof parseCidr(prefixOf(cl.address)) === 'string') issues.push({ path: ['clients', i, 'address'], message: `"${cl.address}" is not an IP address or prefix` });
  });
  const groups = c.groups ?? {};
  const checkReply = (reply: ReplyAttributes | undefined, path: (string | number)[]) => {
    for (const [name, v] of Object.entries(reply ?? {})) {
      if (!attrByName(name)) {
        issues.push({ path: [...path, name], message: `unknown RADIUS attribute "${name}"${suggest(name)}` });
        continue;
      }
      try {
        encodeAttributes(replyAvps({ [name]: v }), { secret: Buffer.from('x'), authenticator: Buffer.alloc(16) });
      } catch (e) {
        if (!(e instanceof RadiusEncodeError)) throw e;
        issues.push({ path: [...path, name], message: e.message });
      }
    }
  };
  for (const [name, u] of Object.entries(c.users ?? {})) {
    (u.groups ?? []).forEach((g, i) => {
      if (!(g in groups)) issues.push({ path: ['users', name, 'groups', i], message: `group "${g}" is not defined under groups` });
    });
    checkReply(u.reply, ['users', name, 'reply']);
  }
  for (const [name, g] of Object.entries(groups)) checkReply(g.reply, ['groups', name, 'reply']);
  return issues;
}

function suggest(name: string): string {
  const norm = (x: string) => x.toLowerCase().replace(/[-_ ]/g, '');
  let best: string | undefined;
  let bestD = 3;
  for (const n of attributeNames()) {
    const d = editDistance(norm(name), norm(n));
    if (d < bestD) [best, bestD] = [n, d];
  }
  return best ? ` (did you mean "${best}"?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** "10.0.0.1" -> "10.0.0.1/32", "::1" -> "::1/128", prefixes unchanged. */
export function prefixOf(address: string): string {
  if (address.includes('/')) return address;
  return address.includes(':') ? `${address}/128` : `${address}/32`;
}

export interface ResolvedClient {
  prefix: Cidr;
  secret: string;
  name: string;
}

export interface ResolvedServerConfig {
  clients: ResolvedClient[];
  users: Record<string, RadiusUserConfig>;
  groups: Record<string, RadiusGroupConfig>;
  eapMethods: EapMethodName[];
  serverName: string;
  eapTimeoutMs: number;
  accounting: boolean;
  accountingLog?: string;
  daeSecret?: string;
  daePort: number;
  listen?: string;
  authPort: number;
  acctPort: number;
}

/** Validated config -> what the server core uses. Throws an Error listing the issues. */
export function resolveServerConfig(c: RadiusServerConfig): ResolvedServerConfig {
  const issues = checkServerConfig(c);
  if (issues.length) throw new Error(issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
  const acct = c.accounting;
  const acctObj = typeof acct === 'object' ? acct : undefined;
  return {
    clients: c.clients.map((cl) => ({ prefix: parseCidr(prefixOf(cl.address)) as Cidr, secret: cl.secret, name: cl.name ?? cl.address })),
    users: c.users ?? {},
    groups: c.groups ?? {},
    eapMethods: c.eap?.methods?.length ? [...c.eap.methods] : [...ALL_EAP_METHODS],
    serverName: c.eap?.['server-name'] ?? 'flexlab-radius',
    eapTimeoutMs: (c.eap?.timeout ?? 30) * 1000,
    accounting: acct === undefined ? true : typeof acct === 'boolean' ? acct : acct.enabled ?? true,
    ...(acctObj?.log ? { accountingLog: acctObj.log } : {}),
    ...(c.dae?.secret ? { daeSecret: c.dae.secret } : {}),
    daePort: c.dae?.port ?? RADIUS_DAE_PORT,
    ...(c.listen ? { listen: c.listen } : {}),
    authPort: c['auth-port'] ?? RADIUS_AUTH_PORT,
    acctPort: c['acct-port'] ?? RADIUS_ACCT_PORT,
  };
}
