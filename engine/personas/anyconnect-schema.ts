// JSON Schema of the `config` block of an anyconnect-client node: the client's XML profile and
// host choice, the user's credentials, the device certificate (pki), overrides of what the profile
// says, and the lab keys our spoke-role daemon shares with flexvpn-spoke. Built from the shared
// property tables of engine/roles/config-schema.ts, passed in.

import { ANYCONNECT_AUTH_METHODS } from './anyconnect-profile.ts';

export function anyconnectConfigSchema(profileProperties: Record<string, object>, engineProperties: Record<string, object>, tunnel: object): object {
  const t = (tunnel as { properties: Record<string, object> }).properties;
  return {
    type: 'object',
    properties: {
      profile: { type: 'string', description: 'the AnyConnect client profile (XML), relative to the topology file' },
      host: { type: 'string', description: 'HostName (or HostAddress) of the profile\'s ServerList entry to connect to (default: the first)' },
      server: { type: 'string', description: 'the headend name or address when there is no profile' },
      address: { type: 'string', description: 'where IKE goes when the host address is a name' },
      username: { type: 'string' },
      password: { type: 'string' },
      'auth-method': { enum: [...ANYCONNECT_AUTH_METHODS], description: 'overrides AuthMethodDuringIKENegotiation (default EAP-AnyConnect)' },
      'ike-identity': { type: 'string', description: 'overrides IKEIdentity (default *$AnyConnectClient$*)' },
      'pre-shared-key': { type: 'string', description: 'IKE-PSK only' },
      pki: profileProperties.pki!,
      'auto-reconnect': { type: 'boolean', description: 'overrides the profile\'s AutoReconnect (default true)' },
      'auto-reconnect-behavior': { enum: ['DisconnectOnSuspend', 'ReconnectAfterResume'], description: 'overrides AutoReconnectBehavior' },
      'vendor-type': { type: 'integer', minimum: 0, maximum: 4294967295, description: 'AnyConnect-EAP vendor type (default 0x44425250, unconfirmed)' },
      'vendor-ids': { type: 'array', items: { type: 'string' }, description: 'replaces the Cisco vendor IDs sent in IKE_SA_INIT (text)' },
      'strict-certificate-trust': { type: 'boolean', description: 'require Server Authentication in the headend certificate EKU (default true)' },
      ipv6: { type: 'boolean', description: 'also ask for an IPv6 address' },
      'nat-t-port': { type: 'integer', minimum: 1024, maximum: 65535, description: 'local UDP port after the NAT-T float (default: a port in 49152-65151 derived from the node name; AnyConnect picks a random one)' },
      connect: { enum: ['auto', 'manual'] },
      'retry-delay': { type: 'number', minimum: 0 },
      routes: { type: 'array', items: { type: 'string' } },
      tunnel: { type: 'object', properties: { interface: t.interface!, mtu: t.mtu! }, additionalProperties: false },
      proposals: profileProperties.proposals!,
      'transform-sets': profileProperties['transform-sets']!,
      dpd: profileProperties.dpd!,
      lifetime: profileProperties.lifetime!,
      ...engineProperties,
    },
    additionalProperties: false,
  };
}
