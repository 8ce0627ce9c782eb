// JSON Schema of the `flexvpn-client` kind's config: the node-wide IKE profile settings (identity,
// keys, PKI, EAP, DPD, proposals... as for a spoke), name servers and host entries, track objects,
// and one or more `crypto ikev2 client flexvpn NAME` blocks, each with its peers, connect mode,
// peer reactivate, backup group, tunnel interface and route/NAT handling, and its own profile
// overrides (a block's keys win over the node's).

const trackRef = {
  description: '`track N [up|down]`: an object number/name, or {object, state} (state default up)',
  oneOf: [
    { type: ['string', 'integer'] },
    { type: 'object', required: ['object'], properties: { object: { type: ['string', 'integer'] }, state: { enum: ['up', 'down'] } }, additionalProperties: false },
  ],
};

const peer = {
  type: 'object',
  description: '`peer SEQ {ADDRESS | fqdn NAME [ipv6]} [track N [up|down]]`',
  required: ['seq'],
  properties: {
    seq: { type: 'integer', minimum: 1, description: 'sequence number: lower is preferred' },
    name: { type: 'string', description: 'label in events and show output (default the address or name)' },
    address: { type: 'string', description: 'IPv4 or IPv6 address of the server' },
    fqdn: { type: 'string', description: 'a name resolved at each selection (name-servers or hosts)' },
    ipv6: { type: 'boolean', description: 'resolve the name to an IPv6 address (AAAA)' },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    track: trackRef,
  },
  additionalProperties: false,
  oneOf: [{ required: ['address'] }, { required: ['fqdn'] }],
};

const connect = {
  description: '`connect auto | manual | track N [up|down]` (default auto)',
  oneOf: [
    { enum: ['auto', 'manual'] },
    { type: 'object', required: ['track'], properties: { track: { type: ['string', 'integer'] }, state: { enum: ['up', 'down'] } }, additionalProperties: false },
  ],
};

const probe = {
  type: 'object',
  description: 'reachability probe (IP SLA icmp-echo + track reachability)',
  required: ['address'],
  properties: {
    address: { type: 'string' },
    interface: { type: 'string', description: 'source interface of the echo requests' },
    interval: { type: 'number', exclusiveMinimum: 0, description: 'seconds between probes (default 1)' },
    timeout: { type: 'number', exclusiveMinimum: 0, description: 'seconds to wait for a reply (default 1)' },
    threshold: { type: 'integer', minimum: 1, description: 'consecutive failures before the object goes down (default 3)' },
    'up-threshold': { type: 'integer', minimum: 1, description: 'consecutive successes before it comes back up (default 1)' },
  },
  additionalProperties: false,
};

const track = {
  type: 'object',
  description: 'a stub object set by scenarios (`state`), or one that follows a probe',
  properties: {
    state: { enum: ['up', 'down'], description: 'initial state (default up)' },
    description: { type: 'string' },
    probe,
  },
  additionalProperties: false,
};

export function clientConfigSchema(profileProperties: Record<string, object>, engineProperties: Record<string, object>, tunnel: object): object {
  const block = {
    type: 'object',
    description: '`crypto ikev2 client flexvpn NAME`',
    required: ['name', 'peers'],
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' },
      peers: { type: 'array', items: peer, minItems: 1 },
      connect,
      'peer-reactivate': { type: 'boolean', description: '`peer reactivate`: return to the highest-priority possible peer when its track recovers' },
      'backup-group': { type: ['string', 'integer'], description: '`backup group N|default`: skip a peer another client of the group has a session with' },
      'retry-delay': { type: 'number', minimum: 0, description: 'seconds between two passes over the gateway list (default 2)' },
      tunnel: { ...tunnel, description: '`client connect TunnelN`: the tunnel interface (address negotiated by default)' },
      'route-set': { type: 'array', items: { type: 'string' }, description: 'subnets announced to the server (CFG_REQUEST)' },
      'route-accept': { type: 'boolean', description: 'install the routes the server pushes (default true)' },
      'default-route': { type: 'boolean', description: 'accept a pushed default route (default true; only one tunnel of the node carries one)' },
      routes: { type: 'array', items: { type: 'string' }, description: 'prefixes routed into the tunnel in any case' },
      'route-metric': { type: 'integer', minimum: 0, description: 'metric of the routes on this tunnel (default 10 + 10 per block)' },
      nat: { type: 'boolean', description: '`ip nat outside` on the tunnel: inside hosts are translated to the tunnel address (F-CLI-14)' },
      inside: { type: 'array', items: { type: 'string' }, description: '`client inside IF`: interfaces with the split-DNS view (default: all but tunnels and the IKE interface)' },
      ...profileProperties,
    },
    additionalProperties: false,
  };
  return {
    type: 'object',
    required: ['clients'],
    properties: {
      ...profileProperties,
      ...engineProperties,
      clients: { type: 'array', items: block, minItems: 1 },
      tracks: { type: 'object', additionalProperties: track, description: '`track N ...` objects by number or name' },
      'name-servers': { type: 'array', items: { type: 'string' }, description: '`ip name-server`: resolves FQDN peers; the default DNS view of the split-DNS proxy' },
      hosts: { type: 'object', additionalProperties: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }, description: '`ip host NAME ADDRESS`: names resolved without DNS' },
      'dns-proxy': { type: 'boolean', description: 'answer DNS on the inside interfaces, forwarding split-DNS domains to the tunnel DNS servers (default true when name-servers are set)' },
    },
    additionalProperties: false,
  };
}
