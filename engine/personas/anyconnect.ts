// The Cisco AnyConnect (Secure Client) IKEv2 client as a persona of our spoke role (seed F-AC-01,
// F-AUTH-11..13, F-RC-01..03; ikev2-notes.md 3b): an anyconnect-client node's config — its XML
// profile (server list, auth method, IKE identity, auto-reconnect), the user's credentials and an
// optional device certificate — becomes a spoke RoleSetup: Cisco vendor IDs, IKE window 1, key-id
// `*$AnyConnectClient$*`, AnyConnect-EAP or a standard EAP method, the reconnect attributes in its
// configuration request, the DPD the headend asks for, and the server certificate checks the
// client makes (EKU serverAuth, the host address in the certificate's names).

import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { X509Certificate } from 'node:crypto';
import type { PolicyViolation } from '../ike/config.ts';
import { CISCO_VENDOR_IDS } from '../ike/vendor-ids.ts';
import { EKU, extendedKeyUsages } from '../ike/crypto/certs.ts';
import { ipFamily } from '../util/ip.ts';
import { buildProfile, engineSettings, localAddressOf } from '../roles/config.ts';
import type { DaemonInput, RoleSetup } from '../roles/config.ts';
import { parseAnyConnectProfile } from './anyconnect-profile.ts';
import type { AnyConnectAuthMethod, AnyConnectHostEntry, AnyConnectProfile } from './anyconnect-profile.ts';
import { sanEntries, subjectCommonNames } from './windows-certs.ts';

export const ANYCONNECT_DEFAULT_IKE_ID = '*$AnyConnectClient$*';

/** The vendor IDs AnyConnect sends in IKE_SA_INIT (F-AC-01; strongSwan PR #577 "Vendor IDs"). */
export function anyconnectVendorIds(): Buffer[] {
  const v = CISCO_VENDOR_IDS;
  return [v.DELETE_REASON, v.COPYRIGHT, v.FRAGMENTATION, v.ANYCONNECT_EAP];
}

/**
 * What the client proposes when the node config gives no list. AnyConnect's real lists are not in
 * our sources (ikev2-notes 3b): these are modern suites with a fallback to AES-CBC/SHA-1/MODP,
 * so any IOS smart default or seed configuration finds a match. Unverified; override with
 * `proposals` / `transform-sets`.
 */
export const ANYCONNECT_IKE_PROPOSALS = [
  { name: 'ac-aead', encryption: ['aes-gcm-256', 'aes-gcm-128'], prf: ['sha512', 'sha384', 'sha256'], group: [21, 20, 19, 14] },
  { name: 'ac-cbc', encryption: ['aes-cbc-256', 'aes-cbc-192', 'aes-cbc-128'], integrity: ['sha512', 'sha384', 'sha256', 'sha1'], group: [21, 20, 19, 14, 5] },
];
export const ANYCONNECT_TRANSFORM_SETS = ['esp-gcm 256', 'esp-gcm 128', 'esp-aes 256 esp-sha256-hmac', 'esp-aes 256 esp-sha-hmac', 'esp-aes esp-sha256-hmac', 'esp-aes esp-sha-hmac'];

export class AnyConnectConfigError extends Error {
  constructor(message: string, readonly path: string[] = []) {
    super(message);
  }
}

/**
 * The client's checks of the headend certificate (F-AC-01: "the server cert needs a SAN with the
 * server IP or FQDN" and Server Authentication in its EKU). An IP address may be an iPAddress or a
 * dNSName SAN; the CN counts only without SANs.
 */
export function checkHeadendCertificate(leaf: X509Certificate, hostAddress: string, strict = true): PolicyViolation | undefined {
  const ekus = extendedKeyUsages(leaf);
  if (strict && ekus && !ekus.includes(EKU.SERVER_AUTH)) {
    return { reason: `the headend certificate's extended key usage (${ekus.join(', ')}) lacks Server Authentication`, clientError: { system: 'AnyConnect', code: 0, name: 'Certificate Validation Failure' } };
  }
  const want = hostAddress.toLowerCase();
  const dns = sanEntries(leaf, 'DNS').map((d) => d.toLowerCase());
  const ips = sanEntries(leaf, 'IP Address');
  const names = [...dns, ...ips];
  const matches = (n: string) => n === want || (n.startsWith('*.') && want.endsWith(n.slice(1)) && !want.slice(0, -n.length + 1).includes('.'));
  const ok = names.length ? names.some(matches) : subjectCommonNames(leaf).some((c) => matches(c.toLowerCase()));
  if (!ok) {
    return {
      reason: `the headend certificate names (${names.length ? names.join(', ') : `CN ${subjectCommonNames(leaf).join(', ')}`}) do not include "${hostAddress}"`,
      clientError: { system: 'AnyConnect', code: 0, name: 'Certificate Validation Failure' },
    };
  }
  return undefined;
}

type Cfg = Record<string, unknown>;

function readProfile(input: DaemonInput, file: string): AnyConnectProfile {
  const path = isAbsolute(file) ? file : resolve(input.baseDir, file);
  let xml: string;
  try {
    xml = readFileSync(path, 'utf8');
  } catch (e) {
    throw new AnyConnectConfigError(`cannot read the AnyConnect profile ${path}: ${(e as Error).message}`, ['profile']);
  }
  return parseAnyConnectProfile(xml, path);
}

/** Facts about the persona for `flexlab show NODE status`. */
export interface AnyConnectPersonaFacts {
  persona: 'anyconnect';
  host: string;
  address: string;
  authMethod: AnyConnectAuthMethod;
  ikeIdentity: string;
  autoReconnect: boolean;
  autoReconnectBehavior: string;
  profileSha1?: string;
}

/** The anyconnect-client kind's config -> our spoke role with the AnyConnect persona. */
export function anyconnectRoleSetup(input: DaemonInput): RoleSetup {
  const cfg = input.config;
  const profileXml = cfg.profile ? readProfile(input, cfg.profile as string) : undefined;
  let host: AnyConnectHostEntry | undefined;
  const wanted = cfg.host as string | undefined;
  if (profileXml) {
    host = wanted ? profileXml.hosts.find((h) => h.hostName === wanted || h.hostAddress === wanted) : profileXml.hosts[0];
    if (!host) throw new AnyConnectConfigError(`the profile has no HostEntry ${wanted ? `named "${wanted}"` : ''} (hosts: ${profileXml.hosts.map((h) => h.hostName).join(', ') || 'none'})`, ['host']);
    if (host.primaryProtocol !== 'IPsec') throw new AnyConnectConfigError(`HostEntry "${host.hostName}" has PrimaryProtocol ${host.primaryProtocol}: without IPsec AnyConnect tries SSL, not IKEv2 (F-AC-01)`, ['profile']);
  }
  const hostAddress = host?.hostAddress ?? (cfg.server as string | undefined);
  if (!hostAddress) throw new AnyConnectConfigError('give the headend: "profile" (with a ServerList HostEntry) or "server"', ['server']);
  const address = (cfg.address as string | undefined) ?? (ipFamily(hostAddress) ? hostAddress : undefined);
  if (!address) throw new AnyConnectConfigError(`headend "${hostAddress}" is a name: give the address it resolves to in "address"`, ['address']);
  const method = ((cfg['auth-method'] as AnyConnectAuthMethod | undefined) ?? host?.authMethod ?? 'EAP-AnyConnect');
  const ikeIdentity = (cfg['ike-identity'] as string | undefined) ?? host?.ikeIdentity ?? ANYCONNECT_DEFAULT_IKE_ID;
  const pki = cfg.pki as Record<string, unknown> | undefined;
  if (!pki?.ca) throw new AnyConnectConfigError('the headend certificate is checked against pki.ca', ['pki']);
  const username = cfg.username as string | undefined;
  const password = cfg.password as string | undefined;
  const eap = method.startsWith('EAP-');
  if (eap && (!username || password === undefined)) throw new AnyConnectConfigError(`${method} needs username and password`, ['username']);
  if ((method === 'IKE-RSA' || method === 'IKE-ECDSA') && (!pki.certificate || !pki.key)) throw new AnyConnectConfigError(`${method} needs pki.certificate and pki.key`, ['pki']);

  const profileCfg: Cfg = {
    pki, identity: { 'key-id': ikeIdentity },
    proposals: cfg.proposals ?? ANYCONNECT_IKE_PROPOSALS,
    'transform-sets': cfg['transform-sets'] ?? ANYCONNECT_TRANSFORM_SETS,
    ...(cfg.dpd ? { dpd: cfg.dpd } : {}),
    ...(cfg.lifetime ? { lifetime: cfg.lifetime } : {}),
  };
  const standard: Record<string, 'mschapv2' | 'md5' | 'gtc'> = { 'EAP-MSCHAPv2': 'mschapv2', 'EAP-MD5': 'md5', 'EAP-GTC': 'gtc' };
  if (eap) {
    profileCfg.authentication = { local: 'eap', remote: ['rsa-sig', 'ecdsa-sig'] };
    profileCfg.eap = { identity: username, password, ...(standard[method] ? { methods: [standard[method]] } : {}) };
  } else if (method === 'IKE-PSK') {
    profileCfg.authentication = { local: 'pre-share', remote: ['rsa-sig', 'ecdsa-sig'] };
    profileCfg['pre-shared-key'] = cfg['pre-shared-key'];
  } else {
    profileCfg.authentication = { remote: ['rsa-sig', 'ecdsa-sig'] };
  }
  const profile = buildProfile('anyconnect', profileCfg, input.baseDir, { configMode: { requestAddress: true, requestAddress6: cfg.ipv6 === true, announceSubnets: [] } });
  if (method === 'EAP-AnyConnect') {
    profile.anyconnectClient = {
      username: username!, password: password!, vendorType: cfg['vendor-type'] as number | undefined,
      groupAccess: `https://${host?.hostAddress ?? hostAddress}`, computerName: input.node,
      localProfileSha1: profileXml?.sha1,
    };
  }
  profile.vendorIds = (cfg['vendor-ids'] as string[] | undefined)?.map((v) => Buffer.from(v)) ?? anyconnectVendorIds();
  const autoReconnect = (cfg['auto-reconnect'] as boolean | undefined) ?? profileXml?.autoReconnect.enabled ?? true;
  profile.reconnectClient = autoReconnect;
  const strictEku = cfg['strict-certificate-trust'] !== false;
  profile.serverCertPolicy = (leaf) => checkHeadendCertificate(leaf, host?.hostAddress ?? hostAddress, strictEku);

  const settings = engineSettings(cfg);
  settings.window = 1; // F-AC-01: AnyConnect advertises an IKE window of 1
  settings.fragmentationMtu ??= 1400; // it sends the FRAGMENTATION vendor ID and fragments large IKE_AUTH messages
  // F-AC-01: a random NAT-T source port (seed R-13 shows 50899); `nat-t-port: 4500` for the standard one.
  settings.natTLocalPort = (cfg['nat-t-port'] as number | undefined) ?? 49152 + (Number.parseInt(input.node.replace(/\W/g, '').slice(-6), 36) % 16000 || 1);
  const localAddress = localAddressOf(input, ipFamily(address) === 6 ? 6 : 4);
  const t = (cfg.tunnel as Record<string, unknown> | undefined) ?? {};
  const ifname = (t.interface as string | undefined) ?? 'cscotun0';
  const facts: AnyConnectPersonaFacts = {
    persona: 'anyconnect', host: host?.hostName ?? hostAddress, address, authMethod: method, ikeIdentity, autoReconnect,
    autoReconnectBehavior: (cfg['auto-reconnect-behavior'] as string | undefined) ?? profileXml?.autoReconnect.behavior ?? 'DisconnectOnSuspend',
    ...(profileXml ? { profileSha1: profileXml.sha1 } : {}),
  };
  return {
    role: 'spoke', persona: 'anyconnect', personaFacts: { ...facts }, profiles: [profile], settings, localAddress, followLocalAddress: true,
    resumeBehavior: autoReconnect ? facts.autoReconnectBehavior as 'DisconnectOnSuspend' | 'ReconnectAfterResume' : 'DisconnectOnSuspend',
    connection: {
      name: ifname, profile,
      local: { address: localAddress, port: 500 }, remote: { address, port: 500 },
      auto: (cfg.connect ?? 'auto') === 'auto', retryDelay: (cfg['retry-delay'] as number | undefined) ?? 2,
    },
    tunnel: {
      interface: ifname, address: 'negotiated', mtu: (t.mtu as number | undefined) ?? 1400,
      routeAccept: true, routes: (cfg.routes as string[] | undefined) ?? [],
    },
  };
}
