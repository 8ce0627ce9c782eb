// JSON Schema of the `config` block of a windows-client node: the settings of a Windows VPN
// connection (server name, authentication method, Set-VpnConnectionIPsecConfiguration, the Rasman
// registry values) plus the lab keys our spoke-role daemon shares with flexvpn-spoke. Built from
// the shared property tables of engine/roles/config-schema.ts, passed in (that module imports
// this one).

import { AUTHENTICATION_TRANSFORM_CONSTANTS, CIPHER_TRANSFORM_CONSTANTS, DH_GROUPS, ENCRYPTION_METHODS, INTEGRITY_CHECK_METHODS, PFS_GROUPS } from './windows-proposals.ts';

export function windowsConfigSchema(profileProperties: Record<string, object>, engineProperties: Record<string, object>, tunnel: object): object {
  const names = (o: Record<string, unknown>) => ({ enum: Object.keys(o) });
  // The virtual adapter: its name and MTU; its address always comes from the server.
  const t = (tunnel as { properties: Record<string, object> }).properties;
  const adapter = { type: 'object', properties: { interface: t.interface!, mtu: t.mtu! }, additionalProperties: false };
  return {
    type: 'object',
    required: ['server'],
    properties: {
      server: { type: 'string', description: 'the server name or address typed in the connection (checked against the server certificate)' },
      address: { type: 'string', description: 'where IKE goes (what the server name resolves to); default: server, which must then be an address' },
      'windows-version': { enum: [10, 11], description: '11 also proposes AES-GCM for IKE (default 10)' },
      authentication: { enum: ['eap-mschapv2', 'machine-certificate'], description: 'default eap-mschapv2' },
      username: { type: 'string', description: 'EAP-MSCHAPv2 user name' },
      password: { type: 'string', description: 'EAP-MSCHAPv2 password' },
      domain: { type: 'string', description: 'EAP: sent as DOMAIN\\user; with identity email the domain of user@domain' },
      identity: {
        enum: ['address', 'email', 'dn', 'cn'],
        description: 'IKE identity: address (EAP default), email = user@domain (KB975488), dn = machine certificate subject (certificate default), cn = certificate CN (KB975488)',
      },
      pki: profileProperties.pki!,
      'negotiate-dh2048-aes256': { enum: [0, 1, 2], description: 'registry Rasman\\Parameters\\NegotiateDH2048_AES256: 1 also offers AES-256/MODP-2048, 2 only that' },
      'proposal-layout': { enum: ['encr-major', 'short', 'combined'], description: 'wire layout of the default IKE list (unverified: see docs/personas.md)' },
      'ipsec-configuration': {
        type: 'object',
        description: 'Set-VpnConnectionIPsecConfiguration: one custom IKE and ESP proposal',
        required: ['encryption-method', 'integrity-check-method', 'dh-group', 'cipher-transform-constants', 'authentication-transform-constants'],
        properties: {
          'encryption-method': names(ENCRYPTION_METHODS),
          'integrity-check-method': names(INTEGRITY_CHECK_METHODS),
          'dh-group': names(DH_GROUPS),
          'cipher-transform-constants': names(CIPHER_TRANSFORM_CONSTANTS),
          'authentication-transform-constants': names(AUTHENTICATION_TRANSFORM_CONSTANTS),
          'pfs-group': names(PFS_GROUPS),
        },
        additionalProperties: false,
      },
      'fragment-size': { type: 'integer', minimum: 0, maximum: 1472, description: 'UDP payload bytes of IKE fragments (default 580; 0 = no RFC 7383, Windows before 1803)' },
      'disable-ike-name-eku-check': { type: 'boolean', description: 'registry DisableIKENameEkuCheck: skip the server name and EKU checks' },
      'refuse-rekey-behind-nat': { type: 'boolean', description: 'refuse server-initiated CHILD rekeys when behind a NAT (default true)' },
      'rekey-data-mib': { type: 'number', minimum: 0, description: 'rekey CHILD SAs after this many MiB (default 200; 0 = off)' },
      'trusted-roots': { type: 'integer', minimum: 1, maximum: 200, description: 'roots listed in CERTREQ (default 52, as in the sample capture): pki.ca plus stand-ins' },
      mobike: { type: 'boolean', description: 'send MOBIKE_SUPPORTED (default true; MOBIKE itself is not run)' },
      'initial-contact-vendor-id': { type: 'boolean', description: 'send the Vid-Initial-Contact vendor ID (default: with a machine certificate)' },
      routes: { type: 'array', items: { type: 'string' }, description: 'Add-VpnConnectionRoute prefixes' },
      'route-accept': { type: 'boolean', description: 'route the INTERNAL_IP4_SUBNET prefixes of the reply (default false: unverified whether Windows does)' },
      'classful-route': { type: 'boolean', description: 'the classful route of the virtual address (default true, as Windows)' },
      connect: { enum: ['auto', 'manual'], description: 'default auto' },
      'retry-delay': { type: 'number', minimum: 0 },
      lifetime: profileProperties.lifetime!,
      'ipsec-lifetime': profileProperties['ipsec-lifetime']!,
      dpd: profileProperties.dpd!,
      tunnel: adapter,
      retransmit: engineProperties.retransmit!,
      'nat-keepalive': engineProperties['nat-keepalive']!,
      'force-encapsulation': engineProperties['force-encapsulation']!,
      'listen-interface': engineProperties['listen-interface']!,
    },
    additionalProperties: false,
  };
}
