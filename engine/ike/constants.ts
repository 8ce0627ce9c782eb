// IANA numbers of IKEv2 (RFC 7296 section 3 and the IKEv2 parameters registry), with the names
// RFC 7296 gives them. Everything that is put on or read off the wire refers to these tables.

export const IKE_PORT = 500;
export const NAT_T_PORT = 4500;

export enum ExchangeType {
  IKE_SA_INIT = 34,
  IKE_AUTH = 35,
  CREATE_CHILD_SA = 36,
  INFORMATIONAL = 37,
  IKE_SESSION_RESUME = 38, // RFC 5723
  IKE_INTERMEDIATE = 43, // RFC 9242
}

export enum PayloadType {
  NONE = 0,
  SA = 33,
  KE = 34,
  IDi = 35,
  IDr = 36,
  CERT = 37,
  CERTREQ = 38,
  AUTH = 39,
  NONCE = 40,
  NOTIFY = 41,
  DELETE = 42,
  VENDOR_ID = 43,
  TSi = 44,
  TSr = 45,
  SK = 46,
  CP = 47,
  EAP = 48,
  GSPM = 49,
  SKF = 53, // RFC 7383 Encrypted Fragment
}

/** Short names as IOS debug output and Wireshark print payload lists. */
export const PAYLOAD_SHORT_NAMES: Record<number, string> = {
  33: 'SA', 34: 'KE', 35: 'IDi', 36: 'IDr', 37: 'CERT', 38: 'CERTREQ', 39: 'AUTH', 40: 'N',
  41: 'NOTIFY', 42: 'DELETE', 43: 'VID', 44: 'TSi', 45: 'TSr', 46: 'SK', 47: 'CFG', 48: 'EAP', 49: 'GSPM', 53: 'SKF',
};

export enum NotifyType {
  // Errors (RFC 7296 section 3.10.1), < 16384
  UNSUPPORTED_CRITICAL_PAYLOAD = 1,
  INVALID_IKE_SPI = 4,
  INVALID_MAJOR_VERSION = 5,
  INVALID_SYNTAX = 7,
  INVALID_MESSAGE_ID = 9,
  INVALID_SPI = 11,
  NO_PROPOSAL_CHOSEN = 14,
  INVALID_KE_PAYLOAD = 17,
  AUTHENTICATION_FAILED = 24,
  SINGLE_PAIR_REQUIRED = 34,
  NO_ADDITIONAL_SAS = 35,
  INTERNAL_ADDRESS_FAILURE = 36,
  FAILED_CP_REQUIRED = 37,
  TS_UNACCEPTABLE = 38,
  INVALID_SELECTORS = 39,
  UNACCEPTABLE_ADDRESSES = 40,
  UNEXPECTED_NAT_DETECTED = 41,
  USE_ASSIGNED_HoA = 42,
  TEMPORARY_FAILURE = 43,
  CHILD_SA_NOT_FOUND = 44,
  INVALID_GROUP_ID = 45,
  AUTHORIZATION_FAILED = 46,
  STATE_NOT_FOUND = 47,
  // Status types, >= 16384
  INITIAL_CONTACT = 16384,
  SET_WINDOW_SIZE = 16385,
  ADDITIONAL_TS_POSSIBLE = 16386,
  IPCOMP_SUPPORTED = 16387,
  NAT_DETECTION_SOURCE_IP = 16388,
  NAT_DETECTION_DESTINATION_IP = 16389,
  COOKIE = 16390,
  USE_TRANSPORT_MODE = 16391,
  HTTP_CERT_LOOKUP_SUPPORTED = 16392,
  REKEY_SA = 16393,
  ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
  NON_FIRST_FRAGMENTS_ALSO = 16395,
  MOBIKE_SUPPORTED = 16396,
  ADDITIONAL_IP4_ADDRESS = 16397,
  ADDITIONAL_IP6_ADDRESS = 16398,
  NO_ADDITIONAL_ADDRESSES = 16399,
  UPDATE_SA_ADDRESSES = 16400,
  COOKIE2 = 16401,
  NO_NATS_ALLOWED = 16402,
  AUTH_LIFETIME = 16403,
  MULTIPLE_AUTH_SUPPORTED = 16404,
  ANOTHER_AUTH_FOLLOWS = 16405,
  REDIRECT_SUPPORTED = 16406,
  REDIRECT = 16407,
  REDIRECTED_FROM = 16408,
  TICKET_LT_OPAQUE = 16409,
  TICKET_REQUEST = 16410,
  TICKET_ACK = 16411,
  TICKET_NACK = 16412,
  TICKET_OPAQUE = 16413,
  LINK_ID = 16414,
  USE_WESP_MODE = 16415,
  ROHC_SUPPORTED = 16416,
  EAP_ONLY_AUTHENTICATION = 16417,
  CHILDLESS_IKEV2_SUPPORTED = 16418,
  QUICK_CRASH_DETECTION = 16419,
  IKEV2_MESSAGE_ID_SYNC_SUPPORTED = 16420,
  IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED = 16421,
  IKEV2_MESSAGE_ID_SYNC = 16422,
  IPSEC_REPLAY_COUNTER_SYNC = 16423,
  SECURE_PASSWORD_METHODS = 16424,
  PSK_PERSIST = 16425,
  PSK_CONFIRM = 16426,
  ERX_SUPPORTED = 16427,
  IFOM_CAPABILITY = 16428,
  SENDER_REQUEST_ID = 16429,
  IKEV2_FRAGMENTATION_SUPPORTED = 16430,
  SIGNATURE_HASH_ALGORITHMS = 16431,
  // Private use seen in the field
  MS_NOTIFY_STATUS = 12345, // Microsoft: a 32-bit Win32 error code (sits in the error range)
  CISCO_DELETE_REASON = 40960, // private-use status: our code for Cisco's DELETE_REASON (value unconfirmed)
}

export function isErrorNotify(t: number): boolean {
  return t > 0 && t < 16384;
}

export enum TransformType {
  ENCR = 1,
  PRF = 2,
  INTEG = 3,
  DH = 4, // "Key Exchange Method" since RFC 9370
  ESN = 5,
}

export enum EncrId {
  DES_IV64 = 1,
  DES = 2,
  TRIPLE_DES = 3,
  NULL = 11,
  AES_CBC = 12,
  AES_CTR = 13,
  AES_CCM_8 = 14,
  AES_CCM_12 = 15,
  AES_CCM_16 = 16,
  AES_GCM_8 = 18,
  AES_GCM_12 = 19,
  AES_GCM_16 = 20,
  NULL_AUTH_AES_GMAC = 21,
  CHACHA20_POLY1305 = 28,
}

export enum PrfId {
  HMAC_MD5 = 1,
  HMAC_SHA1 = 2,
  AES128_XCBC = 4,
  HMAC_SHA2_256 = 5,
  HMAC_SHA2_384 = 6,
  HMAC_SHA2_512 = 7,
  AES128_CMAC = 8,
}

export enum IntegId {
  NONE = 0,
  HMAC_MD5_96 = 1,
  HMAC_SHA1_96 = 2,
  AES_XCBC_96 = 5,
  AES_CMAC_96 = 8,
  HMAC_SHA2_256_128 = 12,
  HMAC_SHA2_384_192 = 13,
  HMAC_SHA2_512_256 = 14,
}

export enum DhGroup {
  NONE = 0,
  MODP_768 = 1,
  MODP_1024 = 2,
  MODP_1536 = 5,
  MODP_2048 = 14,
  MODP_3072 = 15,
  MODP_4096 = 16,
  MODP_6144 = 17,
  MODP_8192 = 18,
  ECP_256 = 19,
  ECP_384 = 20,
  ECP_521 = 21,
  CURVE25519 = 31,
  CURVE448 = 32,
}

export enum EsnId {
  NO_ESN = 0,
  ESN = 1,
}

/** Transform attribute type Key Length (RFC 7296 section 3.3.5), always TV format. */
export const ATTR_KEY_LENGTH = 14;

export enum ProtocolId {
  IKE = 1,
  AH = 2,
  ESP = 3,
}

export enum AuthMethod {
  RSA_SIG = 1, // RSA digital signature, PKCS#1 v1.5 with SHA-1
  PSK = 2, // Shared Key Message Integrity Code
  DSS_SIG = 3,
  ECDSA_SHA256_P256 = 9, // RFC 4754
  ECDSA_SHA384_P384 = 10,
  ECDSA_SHA512_P521 = 11,
  GSPM = 12,
  NULL = 13, // RFC 7619
  DIGITAL_SIGNATURE = 14, // RFC 7427
}

/** SIGNATURE_HASH_ALGORITHMS values (RFC 7427 section 4). */
export enum HashAlgorithm {
  SHA1 = 1,
  SHA2_256 = 2,
  SHA2_384 = 3,
  SHA2_512 = 4,
  IDENTITY = 5,
}

export enum IdType {
  ID_IPV4_ADDR = 1,
  ID_FQDN = 2,
  ID_RFC822_ADDR = 3,
  ID_IPV6_ADDR = 5,
  ID_DER_ASN1_DN = 9,
  ID_DER_ASN1_GN = 10,
  ID_KEY_ID = 11,
  ID_NULL = 13, // RFC 7619 (NULL authentication)
}

export enum CertEncoding {
  PKCS7_X509 = 1,
  PGP = 2,
  DNS_SIGNED_KEY = 3,
  X509_SIGNATURE = 4, // X.509 Certificate - Signature (DER)
  KERBEROS = 6,
  CRL = 7,
  ARL = 8,
  SPKI = 9,
  X509_ATTRIBUTE = 10,
  RAW_RSA_KEY = 11,
  HASH_URL_X509_CERT = 12,
  HASH_URL_X509_BUNDLE = 13,
  RAW_PUBLIC_KEY = 15, // RFC 7670
}

export enum TsType {
  TS_IPV4_ADDR_RANGE = 7,
  TS_IPV6_ADDR_RANGE = 8,
}

export enum CfgType {
  CFG_REQUEST = 1,
  CFG_REPLY = 2,
  CFG_SET = 3,
  CFG_ACK = 4,
}

export enum CfgAttr {
  INTERNAL_IP4_ADDRESS = 1,
  INTERNAL_IP4_NETMASK = 2,
  INTERNAL_IP4_DNS = 3,
  INTERNAL_IP4_NBNS = 4,
  INTERNAL_ADDRESS_EXPIRY = 5,
  INTERNAL_IP4_DHCP = 6,
  APPLICATION_VERSION = 7,
  INTERNAL_IP6_ADDRESS = 8,
  INTERNAL_IP6_DNS = 10,
  INTERNAL_IP6_DHCP = 12,
  INTERNAL_IP4_SUBNET = 13,
  SUPPORTED_ATTRIBUTES = 14,
  INTERNAL_IP6_SUBNET = 15,
  P_CSCF_IP4_ADDRESS = 20, // RFC 7651
  P_CSCF_IP6_ADDRESS = 21,
  INTERNAL_DNS_DOMAIN = 25, // RFC 8598
  INTERNAL_DNSSEC_TA = 26,
  // Microsoft private (MS-IKEE)
  MS_INTERNAL_IP4_SERVER = 23456,
  MS_INTERNAL_IP6_SERVER = 23457,
  // Cisco Unity numbers; their reuse in IKEv2 by IOS is not confirmed by a capture, so the
  // table that maps names to numbers is data (engine/ike/cp-attributes.ts), not code.
  CISCO_BANNER = 28672,
  CISCO_SAVE_PASSWD = 28673,
  CISCO_DEF_DOMAIN = 28674,
  CISCO_SPLIT_DNS = 28675,
  CISCO_SPLIT_INCLUDE = 28676,
  CISCO_NATT_PORT = 28677,
  CISCO_SPLIT_EXCLUDE = 28678,
  CISCO_PFS = 28679,
  CISCO_FW_TYPE = 28680,
  CISCO_BACKUP_SERVERS = 28681,
  CISCO_DDNS_HOSTNAME = 28682,
}

/** IP protocol numbers used in traffic selectors. 0 = any. */
export const IPPROTO_ANY = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_GRE = 47;

export function enumName(e: Record<string, string | number>, v: number): string {
  const n = (e as Record<number, string>)[v];
  return typeof n === 'string' ? n : String(v);
}
