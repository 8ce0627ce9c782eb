// The Windows built-in IKEv2 client ("Agile VPN", RasMan) as a persona of our spoke role
// (ikev2-notes.md 3a, seed F-WIN-01): a windows-client node's config (a Windows VPN connection)
// becomes a spoke RoleSetup whose profile and engine settings carry Windows' behaviour through
// named knobs of the IKE core — its proposals, vendor IDs, identity, CP request, IKE_AUTH shape,
// certificate rules and error numbers, fragment size, rekey refusal behind NAT, volume rekeys and
// routing (no routes from narrowed selectors, a classful route for the virtual address).

import { createHash } from 'node:crypto';
import { CfgAttr, NotifyType } from '../ike/constants.ts';
import type { Identity } from '../ike/config.ts';
import { MICROSOFT_VENDOR_IDS } from '../ike/vendor-ids.ts';
import { subjectDer } from '../ike/crypto/certs.ts';
import { dnToString } from '../ike/codec/dn.ts';
import { ipFamily } from '../util/ip.ts';
import { buildProfile, engineSettings, localAddressOf } from '../roles/config.ts';
import type { DaemonInput, RoleSetup } from '../roles/config.ts';
import { WindowsConfigError, windowsEspProposals, windowsIkeProposals } from './windows-proposals.ts';
import type { IpsecConfiguration, ProposalLayout } from './windows-proposals.ts';
import { checkMachineCertificate, checkServerCertificate, subjectCommonNames } from './windows-certs.ts';
import { WIN32, msNotifyStatus, windowsErrorOf } from './windows-errors.ts';

export { WindowsConfigError } from './windows-proposals.ts';

/** What Windows asks for in its CFG_REQUEST, in its order (ikev2-notes 3a). */
export const WINDOWS_CONFIG_REQUEST = [
  CfgAttr.INTERNAL_IP4_ADDRESS, CfgAttr.INTERNAL_IP4_DNS, CfgAttr.INTERNAL_IP4_NBNS, CfgAttr.MS_INTERNAL_IP4_SERVER,
  CfgAttr.INTERNAL_IP6_ADDRESS, CfgAttr.INTERNAL_IP6_DNS, CfgAttr.MS_INTERNAL_IP6_SERVER,
];

/** IKE fragments: 580-byte UDP datagrams (ikev2-notes 3a). */
export const WINDOWS_FRAGMENT_SIZE = 580;
/** Windows rekeys CHILD SAs itself after ~200 MiB (strongSwan's Windows page). */
export const WINDOWS_REKEY_MIB = 200;
/** Roots in the CERTREQ of the sample capture ("52 unknown CAs"). */
export const WINDOWS_TRUSTED_ROOTS = 52;
/**
 * Lifetimes: Windows' defaults for the RAS IKEv2 client are not documented in our sources; these
 * are the Windows IPsec defaults (main mode 480 min, quick mode 60 min), unverified for IKEv2.
 */
export const WINDOWS_IKE_LIFETIME = 28_800;
export const WINDOWS_CHILD_LIFETIME = 3_600;

export type WindowsAuth = 'eap-mschapv2' | 'machine-certificate';

/** Facts about the persona for `flexlab show NODE status`. */
export interface WindowsPersonaFacts {
  persona: 'windows';
  server: string;
  authentication: WindowsAuth;
  identity: string;
  proposals: string;
  fragmentSize: number;
  refuseRekeyBehindNat: boolean;
  rekeyDataMib: number;
}

type Cfg = Record<string, unknown>;

function str(cfg: Cfg, key: string): string | undefined {
  return cfg[key] as string | undefined;
}

/** The vendor IDs of IKE_SA_INIT in the logged order (ikev2-notes 3a). */
export function windowsVendorIds(initialContact: boolean): Buffer[] {
  const v = MICROSOFT_VENDOR_IDS;
  return [v.MS_NT5_ISAKMPOAKLEY_V9, v.MS_NEGOTIATION_DISCOVERY, ...(initialContact ? [v.VID_INITIAL_CONTACT] : []), v.WINDOWS_KEY_MODS];
}

/** Stand-in SHA-1 key hashes for the rest of the machine's root store (CERTREQ). */
function rootStoreHashes(count: number): Buffer[] {
  return Array.from({ length: Math.max(0, count) }, (_, i) => createHash('sha1').update(`flexlab windows root store ${i + 1}`).digest());
}

function ipsecConfiguration(cfg: Cfg): IpsecConfiguration | undefined {
  const c = cfg['ipsec-configuration'] as Record<string, string> | undefined;
  if (!c) return undefined;
  return {
    encryptionMethod: c['encryption-method']!, integrityCheckMethod: c['integrity-check-method']!, dhGroup: c['dh-group']!,
    cipherTransformConstants: c['cipher-transform-constants']!, authenticationTransformConstants: c['authentication-transform-constants']!,
    pfsGroup: c['pfs-group'] ?? 'None',
  };
}

/** The windows-client kind's config -> our spoke role with the Windows persona. */
export function windowsRoleSetup(input: DaemonInput): RoleSetup {
  const cfg = input.config;
  const server = str(cfg, 'server')!;
  const address = str(cfg, 'address') ?? server;
  const family = ipFamily(address);
  if (!family) throw new WindowsConfigError(`server "${server}" is a name: give the address it resolves to in "address"`, ['address']);
  const auth = (str(cfg, 'authentication') ?? 'eap-mschapv2') as WindowsAuth;
  const eap = auth === 'eap-mschapv2';
  const pki = cfg.pki as Record<string, unknown> | undefined;
  if (!pki?.ca) throw new WindowsConfigError('the machine\'s trusted roots are needed to check the server certificate: pki.ca', ['pki']);
  if (eap && (!str(cfg, 'username') || str(cfg, 'password') === undefined)) throw new WindowsConfigError('EAP-MSCHAPv2 needs username and password', ['username']);
  if (!eap && (!pki.certificate || !pki.key)) throw new WindowsConfigError('machine-certificate authentication needs pki.certificate and pki.key (the machine certificate)', ['pki']);
  const idMode = str(cfg, 'identity') ?? (eap ? 'address' : 'dn');
  if (eap && (idMode === 'dn' || idMode === 'cn')) throw new WindowsConfigError(`identity ${idMode} needs machine-certificate authentication`, ['identity']);
  if (!eap && idMode === 'email') throw new WindowsConfigError('identity email is the EAP user (KB975488); with a machine certificate use cn', ['identity']);
  const username = str(cfg, 'username') ?? '';
  const domain = str(cfg, 'domain');
  if (idMode === 'email' && !username.includes('@') && !domain) throw new WindowsConfigError('identity email (user@domain) needs a domain or a username with @', ['identity']);

  const localAddress = localAddressOf(input, family);
  const layout = (str(cfg, 'proposal-layout') ?? 'encr-major') as ProposalLayout;
  const propOpts = {
    version: ((cfg['windows-version'] as number | undefined) ?? 10) as 10 | 11,
    negotiateDh2048Aes256: ((cfg['negotiate-dh2048-aes256'] as number | undefined) ?? 0) as 0 | 1 | 2,
    layout, custom: ipsecConfiguration(cfg),
  };
  const ikeProposals = windowsIkeProposals(propOpts);
  const esp = windowsEspProposals(propOpts);

  const profileCfg: Cfg = {
    pki,
    lifetime: cfg.lifetime ?? WINDOWS_IKE_LIFETIME,
    'ipsec-lifetime': { seconds: WINDOWS_CHILD_LIFETIME, ...(cfg['ipsec-lifetime'] as object | undefined) },
    ...(cfg.dpd ? { dpd: cfg.dpd } : {}),
  };
  if (eap) {
    profileCfg.authentication = { local: 'eap', remote: ['rsa-sig', 'ecdsa-sig'] };
    profileCfg.eap = { identity: domain ? `${domain}\\${username}` : username, password: str(cfg, 'password'), methods: ['mschapv2'] };
  } else {
    profileCfg.authentication = { remote: ['rsa-sig', 'ecdsa-sig'] };
  }
  const profile = buildProfile('windows', profileCfg, input.baseDir, {
    configMode: { requestAddress: true, requestAddress6: true, announceSubnets: [] },
  });

  let identity: Identity | undefined;
  if (idMode === 'email') identity = { type: 'email', value: username.includes('@') ? username : `${username}@${domain}` };
  else if (idMode === 'dn') identity = { type: 'dn', value: dnToString(subjectDer(profile.credentials!.cert)) };
  else if (idMode === 'cn') {
    const cn = subjectCommonNames(profile.credentials!.cert)[0];
    if (!cn) throw new WindowsConfigError('identity cn: the machine certificate has no subject CN', ['identity']);
    identity = { type: cn.includes('@') ? 'email' : 'fqdn', value: cn };
  }
  profile.localIdentity = identity;
  profile.policy = { name: 'windows', proposals: ikeProposals };
  profile.ipsec.transformSets = esp.transformSets;
  profile.ipsec.pfsGroup = esp.pfsGroup;
  const mib = (cfg['rekey-data-mib'] as number | undefined) ?? WINDOWS_REKEY_MIB;
  profile.ipsec.rekeyAfterBytes = mib > 0 ? Math.round(mib * 1024 * 1024) : undefined;
  profile.vendorIds = windowsVendorIds((cfg['initial-contact-vendor-id'] as boolean | undefined) ?? !eap);
  profile.configRequest = WINDOWS_CONFIG_REQUEST;
  profile.ikeAuthNotifies = cfg.mobike === false ? [] : [NotifyType.MOBIKE_SUPPORTED];
  profile.sendInitialContact = false;
  profile.childStatusNotifies = false;
  profile.signatureHashNotify = false;
  profile.certReqExtraHashes = rootStoreHashes(((cfg['trusted-roots'] as number | undefined) ?? WINDOWS_TRUSTED_ROOTS) - profile.trustedCas.length);
  const rules = { serverName: server, disableNameEkuCheck: cfg['disable-ike-name-eku-check'] === true };
  profile.serverCertPolicy = (leaf) => checkServerCertificate(leaf, rules);
  if (!eap) profile.clientCertPolicy = checkMachineCertificate;
  profile.clientErrorOf = windowsErrorOf;
  profile.recreateChildAfterPeerDelete = true;
  if (profile.eapClient) profile.eapClient.requireIdentityRequest = true;

  const settings = engineSettings(cfg);
  const fragmentSize = (cfg['fragment-size'] as number | undefined) ?? WINDOWS_FRAGMENT_SIZE;
  // The engine setting is the IP datagram size; Windows' 580 bytes are the UDP payload.
  if (fragmentSize > 0) settings.fragmentationMtu = fragmentSize + 8 + (family === 6 ? 40 : 20);
  settings.window = 1;
  const refuse = cfg['refuse-rekey-behind-nat'] !== false;
  if (refuse) settings.refuseChildRekeyBehindNat = { notify: NotifyType.MS_NOTIFY_STATUS, data: msNotifyStatus(WIN32.ERROR_IPSEC_IKE_INVALID_SITUATION) };

  const t = (cfg.tunnel as Record<string, unknown> | undefined) ?? {};
  const ifname = (t.interface as string | undefined) ?? 'vpn0';
  const facts: WindowsPersonaFacts = {
    persona: 'windows', server, authentication: auth, identity: identity ? `${identity.type} ${identity.value}` : `address ${localAddress}`,
    proposals: propOpts.custom ? 'Set-VpnConnectionIPsecConfiguration' : `default (${layout}, Windows ${propOpts.version}, NegotiateDH2048_AES256=${propOpts.negotiateDh2048Aes256})`,
    fragmentSize, refuseRekeyBehindNat: refuse, rekeyDataMib: mib,
  };
  return {
    role: 'spoke', persona: 'windows', personaFacts: { ...facts }, profiles: [profile], settings, localAddress,
    connection: {
      name: ifname, profile,
      local: { address: localAddress, port: 500 }, remote: { address, port: 500 },
      auto: (cfg.connect ?? 'auto') === 'auto', retryDelay: (cfg['retry-delay'] as number | undefined) ?? 5,
    },
    tunnel: {
      interface: ifname, address: 'negotiated', mtu: (t.mtu as number | undefined) ?? 1400,
      routeAccept: cfg['route-accept'] === true, routes: (cfg.routes as string[] | undefined) ?? [],
      routesFromSelectors: false, classfulRoute: cfg['classful-route'] !== false,
    },
  };
}
