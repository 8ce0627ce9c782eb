// JSON Schema of the `config` block of our IPsec node kinds (flexvpn-hub, flexvpn-spoke, and the
// clients built on them). Keys read like the IOS objects they stand for; everything is optional and
// the IOS smart defaults fill the gaps (F-CORE-12). The lab loader validates with it, so a typo is
// reported with file, line and path like any other topology error.

import { clientConfigSchema } from './client-schema.ts';

const identity = {
  type: 'object',
  description: 'An IKE identity: exactly one of address, fqdn, email, key-id, dn.',
  properties: {
    address: { type: 'string' }, fqdn: { type: 'string' }, email: { type: 'string' }, 'key-id': { type: 'string' }, dn: { type: 'string' },
  },
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
};

const identityMatch = {
  description: '`match identity remote`: "any", or one identity (with `domain: true` for fqdn/email suffix matching).',
  oneOf: [
    { const: 'any' },
    {
      type: 'object',
      properties: {
        address: { type: 'string' }, fqdn: { type: 'string' }, email: { type: 'string' }, 'key-id': { type: 'string' }, dn: { type: 'string' },
        domain: { type: 'boolean' },
      },
      additionalProperties: false,
      minProperties: 1,
    },
  ],
};

const authMethod = { enum: ['pre-share', 'rsa-sig', 'ecdsa-sig', 'eap'] };
const remoteAuthMethod = { enum: ['pre-share', 'rsa-sig', 'ecdsa-sig', 'eap', 'anyconnect-eap'] };

const ikeAlgorithms = {
  encryption: { enum: ['aes-cbc-128', 'aes-cbc-192', 'aes-cbc-256', 'aes-gcm-128', 'aes-gcm-256', '3des'] },
  integrity: { enum: ['md5', 'sha1', 'sha256', 'sha384', 'sha512'] },
  group: { enum: [2, 5, 14, 15, 16, 19, 20, 21, 31] },
};

const listOf = (item: object) => ({ oneOf: [item, { type: 'array', items: item, minItems: 1 }] });

export const profileProperties: Record<string, object> = {
  identity: { ...identity, description: '`identity local`: default the address of the IKE interface' },
  'match-identity-remote': { type: 'array', items: identityMatch, minItems: 1, description: 'default: any' },
  authentication: {
    type: 'object',
    properties: { local: authMethod, remote: listOf(remoteAuthMethod) },
    additionalProperties: false,
    description: 'default: pre-share both ways (rsa-sig when a certificate is configured)',
  },
  'pre-shared-key': { type: 'string', description: 'a keyring with one entry for any peer' },
  keyring: {
    type: 'array',
    items: {
      type: 'object',
      properties: {
        name: { type: 'string' }, address: { type: 'string' }, identity,
        'pre-shared-key': { type: 'string' }, local: { type: 'string' }, remote: { type: 'string' },
      },
      additionalProperties: false,
    },
  },
  pki: {
    type: 'object',
    description: 'PEM files, relative to the topology file',
    properties: {
      certificate: { type: 'string' }, key: { type: 'string' },
      chain: { type: 'array', items: { type: 'string' } }, ca: listOf({ type: 'string' }),
    },
    additionalProperties: false,
  },
  proposals: {
    type: 'array',
    description: '`crypto ikev2 proposal` objects, in preference order (default: the smart default proposal)',
    items: {
      type: 'object',
      required: ['encryption', 'group'],
      properties: {
        name: { type: 'string' },
        encryption: listOf(ikeAlgorithms.encryption), integrity: listOf(ikeAlgorithms.integrity),
        prf: listOf(ikeAlgorithms.integrity), group: listOf(ikeAlgorithms.group),
      },
      additionalProperties: false,
    },
  },
  'transform-sets': {
    type: 'array',
    description: '`crypto ipsec transform-set` objects (default: esp-aes esp-sha-hmac)',
    items: {
      oneOf: [
        { type: 'string', description: 'e.g. "esp-aes 256 esp-sha256-hmac" or "esp-gcm 256"' },
        { type: 'object', required: ['esp'], properties: { name: { type: 'string' }, esp: { type: 'string' }, mode: { enum: ['tunnel', 'transport'] } }, additionalProperties: false },
      ],
    },
  },
  pfs: { enum: [2, 5, 14, 15, 16, 19, 20, 21, 31], description: '`set pfs groupN` for CHILD SA rekeys' },
  lifetime: { type: 'integer', minimum: 0, description: 'IKE SA lifetime in seconds (default 86400)' },
  'ipsec-lifetime': {
    type: 'object',
    properties: { seconds: { type: 'integer', minimum: 0 }, kilobytes: { type: 'integer', minimum: 0 } },
    additionalProperties: false,
  },
  'replay-window': { type: 'integer', minimum: 0, maximum: 4096 },
  dpd: {
    type: 'object',
    required: ['interval'],
    properties: {
      interval: { type: 'number', exclusiveMinimum: 0 }, retries: { type: 'integer', minimum: 1 },
      'retry-interval': { type: 'number', exclusiveMinimum: 0 }, mode: { enum: ['periodic', 'on-demand'] },
    },
    additionalProperties: false,
  },
  'traffic-selectors': {
    type: 'object',
    description: 'what the CHILD SA protects (default any/any: routing decides, as with an IPsec VTI)',
    properties: { local: listOf({ type: 'string' }), remote: listOf({ type: 'string' }) },
    additionalProperties: false,
  },
  'vendor-ids': { type: 'array', items: { type: 'string' }, description: 'hex, or text in quotes' },
  eap: {
    type: 'object',
    description: 'EAP: on an initiator its credentials (authentication local eap); on a hub where EAP ends (authentication remote eap)',
    properties: {
      identity: { type: 'string' }, password: { type: 'string' },
      methods: { type: 'array', items: { enum: ['mschapv2', 'md5', 'gtc'] } },
      mode: { enum: ['radius', 'local'], description: 'hub: relay to RADIUS (pass-through) or terminate locally' },
      'query-identity': { type: 'boolean' },
      timeout: { type: 'integer', minimum: 45, maximum: 180, description: 'seconds to wait for each EAP response (default 90)' },
      users: { type: 'object', additionalProperties: { type: 'object', required: ['password'], properties: { password: { type: 'string' }, methods: { type: 'array', items: { enum: ['mschapv2', 'md5', 'gtc'] } } }, additionalProperties: false } },
    },
    additionalProperties: false,
  },
  'keyring-aaa': {
    type: 'object',
    description: '`keyring aaa LIST [name-mangler N] [password PW]`: pre-shared keys from RADIUS',
    properties: { 'name-mangler': nameMangler(), password: { type: 'string' } },
    additionalProperties: false,
  },
  authorization: {
    type: 'object',
    description: '`aaa authorization group|user ...`',
    properties: {
      group: { type: 'object', required: ['source'], properties: { source: { enum: ['local', 'radius'] }, policy: { type: 'string' }, 'name-mangler': nameMangler() }, additionalProperties: false },
      user: { type: 'object', required: ['source'], properties: { source: { enum: ['local', 'radius', 'cached'] }, policy: { type: 'string' }, 'name-mangler': nameMangler() }, additionalProperties: false },
      override: { type: 'boolean' },
    },
    additionalProperties: false,
  },
  accounting: {
    description: '`aaa accounting ... start-stop`: RADIUS accounting for the sessions (true), with `interim-interval` seconds between Interim-Updates (`aaa accounting update periodic`)',
    oneOf: [{ type: 'boolean' }, { type: 'object', properties: { 'interim-interval': { type: 'integer', minimum: 1 } }, additionalProperties: false }],
  },
  resumption: {
    type: 'object',
    description: 'responder (hub): grant RFC 5723 session resumption tickets to peers that ask (`resume: true` on the client)',
    properties: {
      enabled: { type: 'boolean', description: 'default true when the block is present' },
      'ticket-lifetime': { type: 'integer', minimum: 1, description: 'seconds (default 3600), never more than the IKE SA `lifetime`' },
      'ticket-key': {
        type: 'string', minLength: 1,
        description: 'node-wide: "state" (default) a random key kept in the node\'s state directory, tickets survive a daemon restart; "memory" a new key at each start; any other text a secret the key is derived from (gateways sharing it accept each other\'s tickets)',
      },
    },
    additionalProperties: false,
  },
  anyconnect: {
    type: 'object',
    description: 'AnyConnect-EAP on the headend (`authentication remote anyconnect-eap aggregate [cert-request]`)',
    properties: {
      'cert-request': { type: 'boolean', description: 'dual-factor: device certificate, then user credentials' },
      aaa: { enum: ['local', 'radius'], description: '`aaa authentication anyconnect-eap LIST`: local users or RADIUS (default local when users are given)' },
      users: { type: 'object', additionalProperties: { type: 'string' }, description: '`username NAME password PW`' },
      'vendor-type': { type: 'integer', minimum: 0, maximum: 4294967295, description: 'EAP vendor type (default 0x44425250 = 1145197136, unconfirmed)' },
      'require-vendor-id': { type: 'boolean', description: 'refuse clients without the CISCO-ANYCONNECT-EAP vendor ID (default true)' },
      profile: { type: 'object', required: ['file'], properties: { name: { type: 'string' }, file: { type: 'string' } }, additionalProperties: false, description: '`anyconnect profile`: the client XML profile announced in complete' },
    },
    additionalProperties: false,
  },
  reconnect: {
    description: '`reconnect [timeout N]` (Cisco auto-reconnect): true, or timeout (s, IOS 600-86400, default 1800) and the dpd-interval handed to clients (default 30)',
    oneOf: [
      { type: 'boolean' },
      { type: 'object', properties: { timeout: { type: 'integer', minimum: 5, maximum: 86400 }, 'dpd-interval': { type: 'integer', minimum: 1, maximum: 3600 } }, additionalProperties: false },
    ],
  },
};

function nameMangler(): object {
  return {
    type: 'object', description: '`crypto ikev2 name-mangler`: one rule',
    properties: { fqdn: { enum: ['hostname', 'domain', 'all'] }, email: { enum: ['username', 'domain', 'all'] }, dn: { type: 'string' }, eap: { enum: ['prefix', 'suffix', 'all'] }, delimiter: { type: 'string' } },
    additionalProperties: false, minProperties: 1,
  };
}

const authorizationPolicy = {
  type: 'object',
  description: '`crypto ikev2 authorization policy`',
  properties: {
    pool: { type: 'string' }, 'pool-ipv6': { type: 'string' }, netmask: { type: 'string' },
    dns: listOf({ type: 'string' }), wins: listOf({ type: 'string' }),
    'route-set': { type: 'array', items: { type: 'string' } }, 'route-set-interface': { type: 'boolean' }, 'route-accept': { type: 'boolean' },
    'interface-config': { type: 'array', items: { type: 'string' } }, banner: { type: 'string' }, 'default-domain': { type: 'string' },
    'split-dns': { type: 'array', items: { type: 'string' } }, 'backup-gateways': { type: 'array', items: { type: 'string' } },
    'flow-limit': { type: 'integer', minimum: 1 },
  },
  additionalProperties: false,
};

export const engineProperties: Record<string, object> = {
  fragmentation: {
    type: 'object', properties: { mtu: { type: 'integer', minimum: 68, maximum: 65535 } }, additionalProperties: false,
    description: '`crypto ikev2 fragmentation mtu N` (RFC 7383)',
  },
  window: { type: 'integer', minimum: 1, maximum: 64 },
  'nat-keepalive': { type: 'number', minimum: 0 },
  'cookie-threshold': { type: 'integer', minimum: 0 },
  retransmit: {
    type: 'object',
    properties: { timeout: { type: 'number', exclusiveMinimum: 0 }, base: { type: 'number', minimum: 1 }, tries: { type: 'integer', minimum: 0 } },
    additionalProperties: false,
  },
  'force-encapsulation': { type: 'boolean', description: 'fake NAT detection so ESP always runs in UDP 4500 (default true: no kernel ESP here)' },
  'listen-interface': { type: 'string', description: 'interface whose address IKE uses (default: the first interface with an address)' },
  aaa: {
    type: 'object',
    description: 'RADIUS servers (failover in order), accounting and dynamic authorization (RFC 5176)',
    properties: {
      radius: { type: 'array', items: { type: 'object', required: ['address', 'secret'], properties: { address: { type: 'string' }, secret: { type: 'string' }, 'auth-port': { type: 'integer' }, 'acct-port': { type: 'integer' }, name: { type: 'string' } }, additionalProperties: false } },
      timeout: { type: 'number', exclusiveMinimum: 0, description: 'seconds (default 5)' },
      retries: { type: 'integer', minimum: 0 },
      'dynamic-author': { type: 'object', required: ['clients'], properties: { port: { type: 'integer' }, clients: { type: 'array', items: { type: 'object', required: ['address', 'secret'], properties: { address: { type: 'string' }, secret: { type: 'string' } }, additionalProperties: false } } }, additionalProperties: false },
      'nas-identifier': { type: 'string' },
    },
    additionalProperties: false,
  },
  'authorization-policies': { type: 'object', additionalProperties: authorizationPolicy },
  pools: { type: 'object', additionalProperties: { type: 'string' }, description: '`ip local pool NAME ...`: a prefix or "first-last"' },
};

const tunnel = {
  type: 'object',
  properties: {
    interface: { type: 'string', maxLength: 15 },
    address: { type: 'string', description: '"negotiated" (config mode) or an address/prefix' },
    ipv6: { type: 'boolean', description: 'also ask for an IPv6 address (dual stack, INTERNAL_IP6_ADDRESS)' },
    mtu: { type: 'integer', minimum: 576, maximum: 9000 },
  },
  additionalProperties: false,
};

export const spokeProperties: Record<string, object> = {
  peer: { type: 'string', description: 'the hub address (`peer 1 ADDRESS`)' },
  'peer-port': { type: 'integer', minimum: 1, maximum: 65535 },
  connect: { enum: ['auto', 'manual'], description: 'default auto' },
  'retry-delay': { type: 'number', minimum: 0 },
  resume: { type: 'boolean', description: 'RFC 5723: ask the hub for a resumption ticket and reconnect with IKE_SESSION_RESUME (full exchange if refused)' },
  'resume-timeout': { type: 'number', exclusiveMinimum: 0, description: 'seconds without an answer to IKE_SESSION_RESUME before the full exchange (default 10)' },
  tunnel,
  'route-set': { type: 'array', items: { type: 'string' }, description: 'subnets announced to the hub (`route set access-list`)' },
  'route-accept': { type: 'boolean', description: 'install routes the hub pushes (default true)' },
  routes: { type: 'array', items: { type: 'string' }, description: 'prefixes routed into the tunnel in any case' },
};

export const hubProperties: Record<string, object> = {
  'virtual-template': {
    type: 'object',
    properties: {
      'interface-prefix': { type: 'string', maxLength: 10 },
      address: { type: 'string', description: 'the hub tunnel address (`ip unnumbered` source), pushed as /32 with route set interface' },
      mtu: { type: 'integer', minimum: 576, maximum: 9000 },
      'interface-config': { type: 'array', items: { type: 'string' }, description: 'interface commands of the template, applied to every virtual-access before AAA interface-config (ip mtu N, service-policy input|output NAME, ip access-group NAME in|out)' },
    },
    additionalProperties: false,
  },
  nat: {
    type: 'object',
    description: 'ip nat inside source list LIST interface OUTSIDE overload: traffic of `ip nat inside` interfaces (the virtual-template) leaving OUTSIDE is translated to its address (F-SRV-09)',
    properties: { outside: { type: 'string', description: 'the `ip nat outside` interface' }, 'source-list': { type: 'string', description: 'a name under access-lists (which sources are translated)' } },
    required: ['outside', 'source-list'],
    additionalProperties: false,
  },
  'access-lists': {
    type: 'object',
    description: 'IPv4 access lists by name (ip access-list standard|extended NAME): entries such as "permit 10.1.0.0 0.0.255.255" or "deny icmp any host 192.168.10.10", for ip access-group NAME in|out in interface-config',
    additionalProperties: { type: 'array', minItems: 1, items: { type: 'string' } },
  },
  'policy-maps': {
    type: 'object',
    description: 'QoS policy-maps by name (class class-default / police cir BPS [bc BYTES]), for service-policy lines on virtual-access interfaces and in CoA',
    additionalProperties: {
      type: 'object',
      properties: {
        police: {
          type: 'object',
          properties: { cir: { type: 'integer', minimum: 8000, description: 'committed rate, bit/s' }, bc: { type: 'integer', minimum: 64, description: 'committed burst, bytes (default cir/32)' } },
          required: ['cir'],
          additionalProperties: false,
        },
      },
      required: ['police'],
      additionalProperties: false,
    },
  },
  pool: { type: 'string', description: '`ip local pool`: a prefix or "first-last"' },
  'pool-ipv6': { type: 'string' },
  'pool-exhaustion': { enum: ['terminate', 'continue'], description: 'a dual-stack request with one pool exhausted: terminate the session (IOS, default) or continue with the family left (the ASA, F-ASA-02)' },
  'route-set': { type: 'array', items: { type: 'string' }, description: 'prefixes pushed to clients' },
  'route-set-interface': { type: 'boolean', description: 'push the hub tunnel address as a /32 (default true)' },
  'route-accept': { type: 'boolean', description: 'install routes announced by clients (default true)' },
  dns: listOf({ type: 'string' }),
  wins: listOf({ type: 'string' }),
  'default-domain': { type: 'string' },
  'split-dns': { type: 'array', items: { type: 'string' } },
  profiles: {
    type: 'array',
    description: 'several `crypto ikev2 profile` objects, matched by the peer identity in order',
    items: { type: 'object', properties: { name: { type: 'string' }, ...profileProperties }, additionalProperties: false },
  },
};

export function kindConfigSchema(role: 'hub' | 'spoke' | 'client'): object {
  if (role === 'client') return clientConfigSchema(profileProperties, engineProperties, tunnel);
  return {
    type: 'object',
    properties: { ...profileProperties, ...engineProperties, ...(role === 'hub' ? hubProperties : spokeProperties) },
    additionalProperties: false,
    ...(role === 'spoke' ? { required: ['peer'] } : {}),
  };
}
