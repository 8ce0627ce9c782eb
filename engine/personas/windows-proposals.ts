// What the Windows IKEv2 client proposes (ikev2-notes.md 3a). strongSwan's Windows page gives the
// sets: IKE 3des-aes128-aes192-aes256-sha1-sha256-sha384-modp1024 (Windows 11 adds
// aes128gcm16-aes256gcm16 with PRF sha1/sha256/sha384), ESP aes256-aes128-3des-des-null-sha1 without
// PFS; the registry value NegotiateDH2048_AES256 (1 = also offer AES-256 with MODP-2048, 2 = only
// aes256-sha1-sha256-sha384-modp2048); Set-VpnConnectionIPsecConfiguration replaces everything with
// one proposal. How the sets are laid out in SA payload proposals is not documented; the default
// layout ("encr-major", one proposal per cipher and hash, PRF = the hash) is what responders logged
// from Windows 10 in field reports (trailofbits/algo#9 2016, hwdsl2/setup-ipsec-vpn#106 2017 and
// #670 2019); "short" is a 6-proposal variant logged once (quericy/one-key-ikev2-vpn#124), and
// "combined" one proposal holding every transform (the strongSwan notation). The GCM proposals'
// place (after the CBC ones) and the ESP layout (one proposal per cipher) are unverified.

import { DhGroup } from '../ike/constants.ts';
import { parseTransformSet } from '../ike/config.ts';
import type { Ikev2Proposal, TransformSet } from '../ike/config.ts';

export type ProposalLayout = 'encr-major' | 'short' | 'combined';

/** Set-VpnConnectionIPsecConfiguration parameters (Microsoft's value names). */
export interface IpsecConfiguration {
  encryptionMethod: string;
  integrityCheckMethod: string;
  dhGroup: string;
  cipherTransformConstants: string;
  authenticationTransformConstants: string;
  pfsGroup: string;
}

export interface WindowsProposalOptions {
  /** 10 or 11 (11 also offers AES-GCM for IKE). */
  version: 10 | 11;
  /** HKLM\SYSTEM\CurrentControlSet\Services\Rasman\Parameters\NegotiateDH2048_AES256. */
  negotiateDh2048Aes256: 0 | 1 | 2;
  layout: ProposalLayout;
  /** Set-VpnConnectionIPsecConfiguration: one custom proposal for IKE and one for ESP. */
  custom?: IpsecConfiguration;
}

const CBC_CIPHERS = ['3des', 'aes-cbc-128', 'aes-cbc-192', 'aes-cbc-256'];
const GCM_CIPHERS = ['aes-gcm-128', 'aes-gcm-256'];
const HASHES = ['sha1', 'sha256', 'sha384'];

/** Microsoft value names -> our words; a name missing here is one the lab cannot run. */
export const ENCRYPTION_METHODS: Record<string, string | null> = {
  DES: null, DES3: '3des', AES128: 'aes-cbc-128', AES192: 'aes-cbc-192', AES256: 'aes-cbc-256', GCMAES128: 'aes-gcm-128', GCMAES256: 'aes-gcm-256',
};
export const INTEGRITY_CHECK_METHODS: Record<string, string> = { MD5: 'md5', SHA1: 'sha1', SHA256: 'sha256', SHA384: 'sha384' };
export const DH_GROUPS: Record<string, number | null> = {
  None: null, Group1: null, Group2: DhGroup.MODP_1024, Group14: DhGroup.MODP_2048, ECP256: DhGroup.ECP_256, ECP384: DhGroup.ECP_384, Group24: null,
};
export const CIPHER_TRANSFORM_CONSTANTS: Record<string, string | null> = {
  DES: null, DES3: 'esp-3des', AES128: 'esp-aes 128', AES192: 'esp-aes 192', AES256: 'esp-aes 256',
  GCMAES128: 'esp-gcm 128', GCMAES192: 'esp-gcm 192', GCMAES256: 'esp-gcm 256', None: 'esp-null',
};
export const AUTHENTICATION_TRANSFORM_CONSTANTS: Record<string, string | null> = {
  MD596: 'esp-md5-hmac', SHA196: 'esp-sha-hmac', SHA256128: 'esp-sha256-hmac', GCMAES128: '', GCMAES192: '', GCMAES256: '', None: '',
};
export const PFS_GROUPS: Record<string, number | 'main-mode' | null | undefined> = {
  None: undefined, PFS1: null, PFS2: DhGroup.MODP_1024, PFS2048: DhGroup.MODP_2048, ECP256: DhGroup.ECP_256, ECP384: DhGroup.ECP_384, PFSMM: 'main-mode', PFS24: null,
};

function suite(encr: string, hash: string, group: number): Ikev2Proposal {
  const aead = encr.startsWith('aes-gcm');
  return { name: `${encr}-${hash}-${group}`, encryption: [encr], integrity: aead ? [] : [hash], prf: [hash], group: [group] };
}

/** The default list for one DH group in the given layout. */
function defaultList(version: 10 | 11, layout: ProposalLayout, group: number): Ikev2Proposal[] {
  const gcm = version === 11 ? GCM_CIPHERS : [];
  if (layout === 'combined') {
    const out: Ikev2Proposal[] = [{ name: `windows-cbc-${group}`, encryption: [...CBC_CIPHERS], integrity: [...HASHES], prf: [...HASHES], group: [group] }];
    if (gcm.length) out.push({ name: `windows-gcm-${group}`, encryption: [...gcm], integrity: [], prf: [...HASHES], group: [group] });
    return out;
  }
  if (layout === 'short') {
    return [...HASHES.flatMap((h) => ['3des', 'aes-cbc-256'].map((e) => suite(e, h, group))), ...gcm.flatMap((e) => HASHES.map((h) => suite(e, h, group)))];
  }
  return [...CBC_CIPHERS, ...gcm].flatMap((e) => HASHES.map((h) => suite(e, h, group)));
}

/** AES-256-CBC with every hash and MODP-2048 (NegotiateDH2048_AES256). */
function dh2048Aes256(): Ikev2Proposal[] {
  return HASHES.map((h) => suite('aes-cbc-256', h, DhGroup.MODP_2048));
}

/** Thrown for a Set-VpnConnectionIPsecConfiguration value the lab cannot run; `path` is the config key. */
export class WindowsConfigError extends Error {
  constructor(message: string, readonly path: string[]) {
    super(message);
  }
}

function customIke(c: IpsecConfiguration): Ikev2Proposal {
  const encr = ENCRYPTION_METHODS[c.encryptionMethod];
  if (!encr) throw new WindowsConfigError(`EncryptionMethod ${c.encryptionMethod} cannot be run in the lab (Node has no single DES)`, ['ipsec-configuration', 'encryption-method']);
  const hash = INTEGRITY_CHECK_METHODS[c.integrityCheckMethod]!;
  const group = DH_GROUPS[c.dhGroup];
  if (!group) throw new WindowsConfigError(`DHGroup ${c.dhGroup} is not usable for IKE here (use Group2, Group14, ECP256 or ECP384)`, ['ipsec-configuration', 'dh-group']);
  return { ...suite(encr, hash, group), name: 'windows-custom' };
}

function customEsp(c: IpsecConfiguration): TransformSet {
  const cipher = CIPHER_TRANSFORM_CONSTANTS[c.cipherTransformConstants];
  if (cipher === null || cipher === undefined) throw new WindowsConfigError(`CipherTransformConstants ${c.cipherTransformConstants} cannot be run in the lab`, ['ipsec-configuration', 'cipher-transform-constants']);
  const auth = AUTHENTICATION_TRANSFORM_CONSTANTS[c.authenticationTransformConstants]!;
  const gcm = cipher.startsWith('esp-gcm');
  if (gcm !== c.authenticationTransformConstants.startsWith('GCMAES') && !(gcm && c.authenticationTransformConstants === 'None')) {
    throw new WindowsConfigError(`CipherTransformConstants ${c.cipherTransformConstants} and AuthenticationTransformConstants ${c.authenticationTransformConstants} do not go together (GCM needs the GCM constant in both)`, ['ipsec-configuration', 'authentication-transform-constants']);
  }
  if (!gcm && !auth && cipher !== 'esp-null') {
    throw new WindowsConfigError(`AuthenticationTransformConstants None leaves ${c.cipherTransformConstants} without integrity`, ['ipsec-configuration', 'authentication-transform-constants']);
  }
  if (cipher === 'esp-null' && !auth) throw new WindowsConfigError('CipherTransformConstants None with AuthenticationTransformConstants None protects nothing', ['ipsec-configuration', 'cipher-transform-constants']);
  const ts = parseTransformSet('windows-custom', `${cipher}${auth ? ` ${auth}` : ''}`, 'tunnel');
  if (typeof ts === 'string') throw new WindowsConfigError(ts, ['ipsec-configuration']);
  return ts;
}

/** The IKE proposals, in wire order. */
export function windowsIkeProposals(o: WindowsProposalOptions): Ikev2Proposal[] {
  if (o.custom) return [customIke(o.custom)];
  if (o.negotiateDh2048Aes256 === 2) return dh2048Aes256();
  const list = defaultList(o.version, o.layout, DhGroup.MODP_1024);
  return o.negotiateDh2048Aes256 === 1 ? [...dh2048Aes256(), ...list] : list;
}

/** The ESP transform sets (one proposal each, in order) and the PFS group of CHILD rekeys. */
export function windowsEspProposals(o: WindowsProposalOptions): { transformSets: TransformSet[]; pfsGroup?: number } {
  if (o.custom) {
    const pfs = PFS_GROUPS[o.custom.pfsGroup];
    if (pfs === null) throw new WindowsConfigError(`PfsGroup ${o.custom.pfsGroup} cannot be run in the lab`, ['ipsec-configuration', 'pfs-group']);
    const group = pfs === 'main-mode' ? DH_GROUPS[o.custom.dhGroup] ?? undefined : pfs;
    return { transformSets: [customEsp(o.custom)], pfsGroup: group };
  }
  // aes256-aes128-3des-des-null-sha1: single DES is left out (Node's OpenSSL 3 has no des-cbc).
  const sets = ['esp-aes 256 esp-sha-hmac', 'esp-aes 128 esp-sha-hmac', 'esp-3des esp-sha-hmac', 'esp-null esp-sha-hmac'];
  return { transformSets: sets.map((t, i) => parseTransformSet(`windows${i + 1}`, t, 'tunnel') as TransformSet) };
}
