// Configuration objects of the IKEv2 core, named as an IOS engineer knows them (proposal, policy,
// keyring, profile, IPsec transform set, IPsec profile), and the IOS "smart defaults" exactly as
// seed-features.md F-CORE-12 lists them. The YAML `config` block of a node is mapped onto these
// by engine/roles/config.ts; the core only sees these normalized objects.

import type { KeyObject, X509Certificate } from 'node:crypto';
import { DhGroup, EncrId, IntegId, PrfId } from './constants.ts';
import type { TrafficSelector } from './message.ts';

/** `crypto ikev2 proposal NAME` */
export interface Ikev2Proposal {
  name: string;
  /** IOS names: aes-cbc-128|192|256, aes-gcm-128|256, 3des. */
  encryption: string[];
  /** IOS names: md5, sha1, sha256, sha384, sha512. Empty for AEAD-only proposals. */
  integrity: string[];
  /** PRFs; IOS derives them from the integrity list when not given (required for AEAD). */
  prf?: string[];
  group: number[];
}

/** `crypto ikev2 policy NAME` */
export interface Ikev2Policy {
  name: string;
  proposals: Ikev2Proposal[];
}

export interface KeyringPeer {
  name: string;
  /** `address A M`: peers whose address falls in this prefix (0.0.0.0/0 = any). */
  address?: string;
  /** `identity ...`: peers presenting this identity. */
  identity?: Identity;
  /** `pre-shared-key K`, or asymmetric `pre-shared-key local K1` / `remote K2` (F-AUTH-02). */
  preSharedKey?: string;
  preSharedKeyLocal?: string;
  preSharedKeyRemote?: string;
}

/** `crypto ikev2 keyring NAME` */
export interface Keyring {
  name: string;
  peers: KeyringPeer[];
}

export type IdentityType = 'address' | 'fqdn' | 'email' | 'key-id' | 'dn';

export interface Identity {
  type: IdentityType;
  value: string;
}

/** `match identity remote ...` criterion; `any` matches every identity. */
export type IdentityMatch = { type: 'any' } | { type: IdentityType; value: string; /** address: prefix length */ prefix?: number; /** fqdn/email: match as a domain suffix */ domain?: boolean };

export type LocalAuthMethod = 'pre-share' | 'rsa-sig' | 'ecdsa-sig' | 'eap';
export type RemoteAuthMethod = 'pre-share' | 'rsa-sig' | 'ecdsa-sig' | 'eap' | 'anyconnect-eap';

export interface DpdConfig {
  /** Seconds without inbound protected traffic before a liveness check is sent. */
  interval: number;
  /** Retransmissions of the check before the peer is declared dead. */
  retries: number;
  /** Seconds between retransmissions of the check (default: interval). */
  retryInterval?: number;
  /** periodic: probe when nothing was received for `interval`; on-demand: only when we sent traffic and got none back. */
  mode: 'periodic' | 'on-demand';
}

export interface CertificateCredentials {
  cert: X509Certificate;
  chain: X509Certificate[];
  key: KeyObject;
}

/** What a responder hands out and a client asks for in the configuration payload. */
export interface ConfigModePolicy {
  /** Client side: ask for an inner address (INTERNAL_IP4_ADDRESS). */
  requestAddress?: boolean;
  requestAddress6?: boolean;
  /** Client side: subnets we announce (IOS `route set access-list` on the client). */
  announceSubnets?: string[];
  /** Server side: address pool (`ip local pool`), as a CIDR or "first-last" range. */
  pool?: string;
  pool6?: string;
  /** Server side: the hub's own tunnel address announced as a /32 route (`route set interface`). */
  routeSetInterface?: string;
  /** Server side: prefixes pushed to clients (`route set access-list` / `route set remote`). */
  routeSet?: string[];
  dns?: string[];
  nbns?: string[];
  defaultDomain?: string;
  splitDns?: string[];
  /** Server side: accept routes announced by clients (`route accept any`). */
  routeAccept?: boolean;
  /**
   * Server side, a dual-stack request with one family's pool exhausted: IOS FlexVPN terminates
   * the session (F-AUTHZ-01, F-CFG-03; the default), the ASA brings it up with the family that is
   * left and tells the client nothing (F-ASA-02).
   */
  poolExhaustion?: 'terminate' | 'continue';
}

/** ESP proposal of an IPsec transform set, in IANA terms. */
export interface EspTransform {
  encr: EncrId;
  encrKeyBits?: number;
  integ: IntegId; // NONE for AEAD
}

/** `crypto ipsec transform-set NAME esp-... mode ...` */
export interface TransformSet {
  name: string;
  esp: EspTransform;
  mode: 'tunnel' | 'transport';
  /** The IOS text form, for show output ("esp-aes esp-sha-hmac"). */
  text: string;
}

/** `crypto ipsec profile NAME` */
export interface IpsecProfile {
  name: string;
  transformSets: TransformSet[];
  pfsGroup?: DhGroup;
  lifetimeSeconds: number;
  lifetimeKilobytes: number;
  replayWindow: number;
  /**
   * Rekey (soft volume lifetime) after this many bytes through a CHILD SA, independently of the
   * kilobyte lifetime (whose soft limit is 90 %). The Windows persona rekeys itself after ~200 MiB.
   */
  rekeyAfterBytes?: number;
}

/** `authentication local eap` credentials (`crypto eap credentials PROFILE`, F-AUTH-05). */
export interface EapClientConfig {
  /** EAP identity; default: the local IKE identity (used when the server sends no Identity request). */
  identity?: string;
  password: string;
  /** Methods in order of preference (what a Nak asks for): mschapv2, md5, gtc. */
  methods?: Array<'mschapv2' | 'md5' | 'gtc'>;
  /**
   * Fail unless the server's first EAP request is an Identity request (the Windows client expects
   * one, so the hub needs `query-identity`: seed F-WIN-01).
   */
  requireIdentityRequest?: boolean;
}

/** `authentication remote eap [query-identity] [timeout N]` with where EAP is terminated (F-AUTH-06). */
export interface EapServerConfig {
  /** `radius`: pass-through to the AAA server (EAP-Message relay); `local`: our own EAP server. */
  mode: 'radius' | 'local';
  /** Ask the peer for its EAP identity (else the IKE identity is sent to RADIUS as the EAP identity). */
  queryIdentity: boolean;
  /** Seconds to wait for each EAP response of the peer (IOS default 90, range 45-180). */
  timeout: number;
  /** Local mode: methods offered and the user database. */
  methods?: Array<'mschapv2' | 'md5' | 'gtc'>;
  users?: Record<string, { password: string; methods?: Array<'mschapv2' | 'md5' | 'gtc'> }>;
}

/**
 * `authentication remote anyconnect-eap aggregate [cert-request]` with `aaa authentication
 * anyconnect-eap LIST` (F-AUTH-11..13): AnyConnect-EAP terminated on the headend.
 */
export interface AnyConnectServerConfig {
  /** Dual-factor: ask for the device certificate before the user's credentials. */
  certRequest: boolean;
  /** Where passwords are checked: the local `username` database or RADIUS (PAP-style Access-Request). */
  aaa: 'local' | 'radius';
  users?: Record<string, string>;
  /** EAP Vendor-Type (default 0x44425250, unconfirmed by a capture: configurable). */
  vendorType?: number;
  /** Refuse a peer that did not send the CISCO-ANYCONNECT-EAP vendor ID (default true). */
  requireVendorId?: boolean;
  /** `anyconnect profile NAME`: announced in `complete` (vpn-profile-manifest). */
  profiles?: Array<{ uri: string; serviceType: string; hashType: string; hash: string }>;
}

/** The AnyConnect client's side of AnyConnect-EAP (F-AC-01): credentials and what init says. */
export interface AnyConnectClientConfig {
  username: string;
  password: string;
  vendorType?: number;
  /** `<group-access>` URL (default https://HOST). */
  groupAccess?: string;
  computerName?: string;
  deviceType?: string;
  platformVersion?: string;
  uniqueId?: string;
  macAddress?: string;
  version?: string;
  /** SHA-1 of the client's own XML profile: compared with the headend's vpn-profile-manifest. */
  localProfileSha1?: string;
}

/** Where authorization attributes come from (F-AUTHZ-02). */
export interface AuthorizationConfig {
  /** `aaa authorization group ... list (local POLICY | radius) [name-mangler]` */
  group?: { source: 'local' | 'radius'; policy?: string; nameMangler?: import('../aaa/authorization.ts').NameMangler };
  /** `aaa authorization user ... {list (local|radius) [name-mangler] | cached}` */
  user?: { source: 'local' | 'radius' | 'cached'; policy?: string; nameMangler?: import('../aaa/authorization.ts').NameMangler };
  /** `aaa authorization group override`: group attributes win over user ones. */
  override?: boolean;
}

/** `crypto ikev2 profile NAME` */
export interface Ikev2Profile {
  name: string;
  matchRemote: IdentityMatch[];
  /** `identity local ...`; default: the local IP address. */
  localIdentity?: Identity;
  authLocal: LocalAuthMethod;
  authRemote: RemoteAuthMethod[];
  keyring?: Keyring;
  credentials?: CertificateCredentials;
  trustedCas: X509Certificate[];
  policy: Ikev2Policy;
  /** IKE SA lifetime in seconds (`lifetime`, default 86400). */
  lifetime: number;
  dpd?: DpdConfig;
  ipsec: IpsecProfile;
  configMode?: ConfigModePolicy;
  /** Traffic selectors we propose (initiator) or accept (responder); default any/any. */
  localTs?: TrafficSelector[];
  remoteTs?: TrafficSelector[];
  /** Vendor ID payloads sent in IKE_SA_INIT (personas add theirs). */
  vendorIds?: Buffer[];
  /** Accept NAT-T (always used here: ESP only runs UDP-encapsulated). */
  natKeepalive?: number;
  eapClient?: EapClientConfig;
  eapServer?: EapServerConfig;
  /** `authentication local eap` with AnyConnect-EAP (the anyconnect-client persona). */
  anyconnectClient?: AnyConnectClientConfig;
  anyconnectServer?: AnyConnectServerConfig;
  /** Hub: `reconnect [timeout N]` (F-RC-01): grant session-id/token, keep sessions inactive. */
  reconnect?: import('./reconnect.ts').ReconnectConfig;
  /** Client: ask for the reconnect attributes and reconnect with them after losing the hub. */
  reconnectClient?: boolean;
  /** `keyring aaa LIST [name-mangler N] [password PW]`: pre-shared keys fetched from RADIUS (F-AUTH-09). */
  aaaKeyring?: { nameMangler?: import('../aaa/authorization.ts').NameMangler; password?: string };
  authorization?: AuthorizationConfig;
  /** `aaa accounting {psk|eap|cert} LIST`: RADIUS accounting Start/Stop for the sessions of this profile. */
  accounting?: boolean;
  /** `aaa accounting update periodic N`: an Interim-Update every N seconds (minutes in IOS). */
  accountingInterim?: number;
  /** Responder: grant RFC 5723 session resumption tickets to peers that ask (engine/ike/resumption/). */
  resumption?: import('./resumption/service.ts').ResumptionPolicy;

  // Client persona behaviour (engine/personas/*): named knobs, each neutral when unset.
  /**
   * Exact configuration attribute types to ask for in the CFG_REQUEST, in wire order (e.g. the
   * Windows client: ADDR DNS NBNS 23456 ADDR6 DNS6 23457). Replaces the list derived from
   * `configMode.requestAddress`/`requestAddress6`; announced subnets are still added.
   */
  configRequest?: number[];
  /**
   * More CA key hashes (20 bytes each) for our CERTREQ besides the trusted CAs: a Windows client
   * announces its whole root store (52 roots in the sample capture), which is why its IKE_AUTH
   * request needs fragmentation.
   */
  certReqExtraHashes?: Buffer[];
  /** Status notifies added to the first IKE_AUTH request after AUTH (Windows: MOBIKE_SUPPORTED). */
  ikeAuthNotifies?: number[];
  /** Send INITIAL_CONTACT in the first IKE_AUTH (default true; Windows sends a vendor ID instead). */
  sendInitialContact?: boolean;
  /** Add ESP_TFC_PADDING_NOT_SUPPORTED and NON_FIRST_FRAGMENTS_ALSO to CHILD SA payloads (default true). */
  childStatusNotifies?: boolean;
  /** Send SIGNATURE_HASH_ALGORITHMS (RFC 7427) in IKE_SA_INIT as initiator (default true). */
  signatureHashNotify?: boolean;
  /**
   * Initiator: rules the client applies to the responder's certificate after the signature checked
   * out (Windows: serverAuth EKU, the typed name in CN or a dNSName SAN, RSA or P-256/P-384 keys).
   * A violation fails IKE_AUTH with the client's own error.
   */
  serverCertPolicy?: (leaf: X509Certificate, chain: X509Certificate[]) => PolicyViolation | undefined;
  /**
   * Initiator: whether the client finds a usable certificate of its own before its first IKE_AUTH
   * request (Windows: error 13806 when none is). A violation aborts the exchange unsent.
   */
  clientCertPolicy?: (credentials: CertificateCredentials | undefined, trustedCas: X509Certificate[], now: number) => PolicyViolation | undefined;
  /** The client's own error for a failure of one of its IKE SAs (Windows: a Win32 error number). */
  clientErrorOf?: (failure: { notify?: number; reason: string; exchange: string }) => ClientError | undefined;
  /**
   * When the peer deletes our last CHILD SA but keeps the IKE SA, create a new one at once
   * (what strongSwan's HA code expects of a NATed Windows client after deleting its CHILD SA).
   */
  recreateChildAfterPeerDelete?: boolean;
}

/** How a client persona reports a failure: its own error system, number and name. */
export interface ClientError {
  /** e.g. "Windows" (the text reads "Windows error 13801 ERROR_IPSEC_IKE_AUTH_FAIL"). */
  system: string;
  code: number;
  name: string;
}

/** A persona rule broken, with the client's error for it. */
export interface PolicyViolation {
  reason: string;
  clientError?: ClientError;
}

// ---------------------------------------------------------------------------------------------
// Algorithm names (IOS CLI words) -> IANA ids

export const IKE_ENCRYPTION_NAMES: Record<string, { id: EncrId; bits?: number }> = {
  'aes-cbc-128': { id: EncrId.AES_CBC, bits: 128 },
  'aes-cbc-192': { id: EncrId.AES_CBC, bits: 192 },
  'aes-cbc-256': { id: EncrId.AES_CBC, bits: 256 },
  'aes-gcm-128': { id: EncrId.AES_GCM_16, bits: 128 },
  'aes-gcm-256': { id: EncrId.AES_GCM_16, bits: 256 },
  '3des': { id: EncrId.TRIPLE_DES },
};

export const IKE_INTEGRITY_NAMES: Record<string, IntegId> = {
  md5: IntegId.HMAC_MD5_96,
  sha1: IntegId.HMAC_SHA1_96,
  sha256: IntegId.HMAC_SHA2_256_128,
  sha384: IntegId.HMAC_SHA2_384_192,
  sha512: IntegId.HMAC_SHA2_512_256,
};

export const IKE_PRF_NAMES: Record<string, PrfId> = {
  md5: PrfId.HMAC_MD5,
  sha1: PrfId.HMAC_SHA1,
  sha256: PrfId.HMAC_SHA2_256,
  sha384: PrfId.HMAC_SHA2_384,
  sha512: PrfId.HMAC_SHA2_512,
};

/** ESP transform words of `crypto ipsec transform-set`. */
export const ESP_ENCRYPTION_NAMES: Record<string, { id: EncrId; bits?: number; aead?: boolean }> = {
  'esp-aes': { id: EncrId.AES_CBC, bits: 128 },
  'esp-aes-128': { id: EncrId.AES_CBC, bits: 128 },
  'esp-aes-192': { id: EncrId.AES_CBC, bits: 192 },
  'esp-aes-256': { id: EncrId.AES_CBC, bits: 256 },
  'esp-gcm': { id: EncrId.AES_GCM_16, bits: 128, aead: true },
  'esp-gcm-128': { id: EncrId.AES_GCM_16, bits: 128, aead: true },
  'esp-gcm-256': { id: EncrId.AES_GCM_16, bits: 256, aead: true },
  'esp-3des': { id: EncrId.TRIPLE_DES },
  'esp-null': { id: EncrId.NULL },
};

export const ESP_INTEGRITY_NAMES: Record<string, IntegId> = {
  'esp-md5-hmac': IntegId.HMAC_MD5_96,
  'esp-sha-hmac': IntegId.HMAC_SHA1_96,
  'esp-sha256-hmac': IntegId.HMAC_SHA2_256_128,
  'esp-sha384-hmac': IntegId.HMAC_SHA2_384_192,
  'esp-sha512-hmac': IntegId.HMAC_SHA2_512_256,
  'esp-none': IntegId.NONE,
};

/**
 * Parses a transform-set line such as "esp-aes 256 esp-sha256-hmac" or "esp-gcm 256".
 * Returns an error message for bad input.
 */
export function parseTransformSet(name: string, text: string, mode: 'tunnel' | 'transport' = 'tunnel'): TransformSet | string {
  const words = text.trim().split(/\s+/);
  let encr: { id: EncrId; bits?: number; aead?: boolean } | undefined;
  let integ: IntegId = IntegId.NONE;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (ESP_ENCRYPTION_NAMES[w]) {
      if (encr) return `transform set "${name}": more than one encryption transform ("${text}")`;
      encr = { ...ESP_ENCRYPTION_NAMES[w]! };
      const next = words[i + 1];
      if (next && /^\d+$/.test(next)) {
        const bits = Number(next);
        if (![128, 192, 256].includes(bits)) return `transform set "${name}": key size ${bits} is not 128, 192 or 256`;
        encr.bits = bits;
        i++;
      }
    } else if (w in ESP_INTEGRITY_NAMES) {
      integ = ESP_INTEGRITY_NAMES[w]!;
    } else {
      return `transform set "${name}": unknown transform "${w}" (expected one of ${[...Object.keys(ESP_ENCRYPTION_NAMES), ...Object.keys(ESP_INTEGRITY_NAMES)].join(', ')})`;
    }
  }
  if (!encr) return `transform set "${name}": no encryption transform in "${text}"`;
  if (encr.aead && integ !== IntegId.NONE) return `transform set "${name}": ${words[0]} is an AEAD cipher and takes no integrity transform`;
  if (!encr.aead && integ === IntegId.NONE && encr.id !== EncrId.NULL) return `transform set "${name}": "${text}" has no integrity transform (add esp-sha-hmac or esp-sha256-hmac)`;
  return { name, esp: { encr: encr.id, encrKeyBits: encr.bits, integ }, mode, text: words.join(' ') };
}

// ---------------------------------------------------------------------------------------------
// Smart defaults (F-CORE-12). These are the objects IOS has built in; a profile that names no
// proposal, policy or IPsec profile uses them.

export function defaultIkev2Proposal(): Ikev2Proposal {
  return {
    name: 'default',
    encryption: ['aes-cbc-256', 'aes-cbc-192', 'aes-cbc-128'],
    integrity: ['sha512', 'sha384', 'sha256', 'sha1', 'md5'],
    group: [5, 2],
  };
}

export function defaultIkev2Policy(): Ikev2Policy {
  return { name: 'default', proposals: [defaultIkev2Proposal()] };
}

/** `crypto ipsec transform-set default esp-aes 128 esp-sha-hmac`, mode transport. */
export function defaultTransformSet(): TransformSet {
  return {
    name: 'default', esp: { encr: EncrId.AES_CBC, encrKeyBits: 128, integ: IntegId.HMAC_SHA1_96 },
    mode: 'transport', text: 'esp-aes esp-sha-hmac',
  };
}

export const DEFAULT_IKE_LIFETIME = 86400;
export const DEFAULT_IPSEC_LIFETIME_SECONDS = 3600;
export const DEFAULT_IPSEC_LIFETIME_KB = 4608000;
export const DEFAULT_REPLAY_WINDOW = 64;
export const DEFAULT_LOCAL_WINDOW = 5; // IOS advertises 5 (S3:550)

export function defaultIpsecProfile(): IpsecProfile {
  return {
    name: 'default', transformSets: [defaultTransformSet()],
    lifetimeSeconds: DEFAULT_IPSEC_LIFETIME_SECONDS, lifetimeKilobytes: DEFAULT_IPSEC_LIFETIME_KB,
    replayWindow: DEFAULT_REPLAY_WINDOW,
  };
}

/** `crypto ikev2 authorization policy default`: route set interface, route accept any. */
export function defaultAuthorizationPolicy(): ConfigModePolicy {
  return { routeAccept: true };
}

/** Text of the `show crypto ... default` views (F-SHOW-06). */
export function renderDefaults(): string {
  const p = defaultIkev2Proposal();
  return [
    'crypto ikev2 proposal default',
    ` encryption ${p.encryption.join(' ')}`,
    ` integrity ${p.integrity.join(' ')}`,
    ` group ${p.group.join(' ')}`,
    'crypto ikev2 policy default',
    ' match fvrf any',
    ' proposal default',
    'crypto ikev2 authorization policy default',
    ' route set interface',
    ' route accept any',
    'crypto ipsec transform-set default esp-aes esp-sha-hmac',
    ' mode transport',
    'crypto ipsec profile default',
    ' set transform-set default',
    ' set ikev2-profile default',
  ].join('\n');
}

/** Engine-wide settings (not per profile). */
export interface IkeEngineSettings {
  /** Our receive window, advertised with SET_WINDOW_SIZE (RFC 7296 2.3). */
  window: number;
  /** Half-open IKE SAs above which the responder demands cookies (RFC 7296 2.6). */
  cookieThreshold: number;
  /** Half-open SAs are dropped after this many seconds. */
  halfOpenTimeout: number;
  /** Retransmission of requests: first timeout, backoff base and number of retransmissions. */
  retransmitTimeout: number;
  retransmitBase: number;
  retransmitTries: number;
  /** Force UDP encapsulation (fake NAT detection like strongSwan): required without kernel ESP. */
  forceEncap: boolean;
  /** Seconds to keep an incomplete set of IKE fragments (RFC 7383 2.6.2). */
  fragmentReassemblyTimeout: number;
  /** Random jitter subtracted from rekey times, as a fraction of the lifetime (0.1 = up to 10%). */
  rekeyJitter: number;
  /** Rekey this many seconds (fraction) before the lifetime ends. */
  rekeyMargin: number;
  /**
   * IKE fragmentation (RFC 7383, `crypto ikev2 fragmentation mtu N`): largest IP datagram we send
   * an IKE message in; undefined = not configured (IOS default: no IKEV2_FRAGMENTATION_SUPPORTED).
   */
  fragmentationMtu?: number;
  /** Vendor IDs sent in IKE_SA_INIT when no profile is known yet (responder) or none is set. */
  vendorIds?: Buffer[];
  /** `ip local pool NAME first last`: named pools that authorization refers to (Framed-Pool). */
  pools?: Record<string, string>;
  /** `crypto ikev2 authorization policy NAME` objects: the local AAA database. */
  authorizationPolicies?: Record<string, import('../aaa/authorization.ts').AuthorizationAttributes>;
  /** Policies used by the responder to answer IKE_SA_INIT (`crypto ikev2 policy`); default: smart default. */
  policies?: Ikev2Policy[];
  /** Seconds between NAT keepalives when behind a NAT (RFC 3948 section 4; 0 = off). */
  natKeepalive: number;
  /** Delete the old IKE/CHILD SA this long after a rekey (so in-flight packets still decrypt). */
  rekeyOverlap: number;
  /**
   * As the responder of a CHILD SA rekey while we are behind a NAT, answer with this error notify
   * instead (the Windows client: MS_NOTIFY_STATUS 12345 carrying Win32 error 13863
   * ERROR_IPSEC_IKE_INVALID_SITUATION, ikev2-notes 3a). Unset: rekeys are accepted.
   */
  refuseChildRekeyBehindNat?: { notify: number; data: Buffer };
  /** Initiator: the local UDP port IKE floats to instead of 4500 (AnyConnect uses a random one, F-AC-01). */
  natTLocalPort?: number;
  /** CP attribute types of the Cisco reconnect attributes (lab-defined defaults, engine/ike/reconnect.ts). */
  reconnectAttributes?: import('./reconnect.ts').ReconnectAttributeTypes;
  /** RFC 5723: the ticket protection key and the tickets already used (kept by the daemon across restarts). */
  resumption?: import('./resumption/service.ts').ResumptionSettings;
}

export function defaultEngineSettings(): IkeEngineSettings {
  return {
    window: DEFAULT_LOCAL_WINDOW,
    cookieThreshold: 30,
    halfOpenTimeout: 30,
    retransmitTimeout: 2,
    retransmitBase: 1.8,
    retransmitTries: 5,
    forceEncap: true,
    fragmentReassemblyTimeout: 10,
    rekeyJitter: 0.05,
    rekeyMargin: 0.1,
    natKeepalive: 20,
    rekeyOverlap: 1,
  };
}
