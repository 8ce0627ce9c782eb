// The typed model of an IKEv2 message (RFC 7296 section 3). The codec (engine/ike/codec/) turns
// bytes into these objects and back; the exchange tasks read and build them. Nothing here does I/O
// or cryptography: an SK payload is carried as opaque bytes until engine/ike/crypto opens it.

import type {
  AuthMethod, CertEncoding, CfgType, ExchangeType, IdType, NotifyType, PayloadType, ProtocolId,
  TransformType, TsType,
} from './constants.ts';

export interface IkeHeader {
  spiI: Buffer; // 8 bytes
  spiR: Buffer; // 8 bytes, all zero in the first IKE_SA_INIT request
  nextPayload: number; // type of the first payload
  majorVersion: number; // 2
  minorVersion: number; // 0
  exchangeType: ExchangeType | number;
  /** Flags (RFC 7296 section 3.1): I = sender is the original initiator, R = this is a response. */
  initiator: boolean;
  response: boolean;
  version: boolean; // V bit: sender can speak a higher major version
  messageId: number; // unsigned 32 bit
  length: number; // whole message, header included
}

interface PayloadBase {
  /** Critical bit (RFC 7296 section 2.5); encoders set it as given, decoders report it. */
  critical?: boolean;
}

export interface Transform {
  type: TransformType | number;
  id: number;
  /** Key Length attribute in bits (AES-CBC, AES-GCM...), when present. */
  keyLength?: number;
  /** Any other attribute, kept so a proposal round-trips unchanged. */
  otherAttributes?: Array<{ type: number; value: Buffer | number }>;
}

export interface Proposal {
  num: number; // 1-based proposal number
  protocolId: ProtocolId | number;
  spi: Buffer; // empty in the first IKE_SA_INIT, 8 bytes in IKE rekey, 4 bytes for ESP/AH
  transforms: Transform[];
}

export interface SaPayload extends PayloadBase {
  type: PayloadType.SA;
  proposals: Proposal[];
}

export interface KePayload extends PayloadBase {
  type: PayloadType.KE;
  group: number;
  data: Buffer;
}

export interface IdPayload extends PayloadBase {
  type: PayloadType.IDi | PayloadType.IDr;
  idType: IdType | number;
  /** Identification data exactly as on the wire (address bytes, FQDN text, DER DN...). */
  data: Buffer;
}

export interface CertPayload extends PayloadBase {
  type: PayloadType.CERT;
  encoding: CertEncoding | number;
  data: Buffer;
}

export interface CertReqPayload extends PayloadBase {
  type: PayloadType.CERTREQ;
  encoding: CertEncoding | number;
  /** For X.509: a concatenation of 20-byte SHA-1 hashes of trusted CAs' public keys. */
  data: Buffer;
}

export interface AuthPayload extends PayloadBase {
  type: PayloadType.AUTH;
  method: AuthMethod | number;
  data: Buffer;
}

export interface NoncePayload extends PayloadBase {
  type: PayloadType.NONCE;
  data: Buffer; // 16..256 bytes
}

export interface NotifyPayload extends PayloadBase {
  type: PayloadType.NOTIFY;
  protocolId: number; // 0 when not about an SA
  spi: Buffer; // may be empty
  notifyType: NotifyType | number;
  data: Buffer;
}

export interface DeletePayload extends PayloadBase {
  type: PayloadType.DELETE;
  protocolId: ProtocolId | number;
  spiSize: number; // 0 for IKE, 4 for ESP/AH
  spis: Buffer[];
}

export interface VendorIdPayload extends PayloadBase {
  type: PayloadType.VENDOR_ID;
  data: Buffer;
}

export interface TrafficSelector {
  tsType: TsType | number; // 7 IPv4, 8 IPv6
  ipProtocol: number; // 0 = any
  startPort: number;
  endPort: number;
  /** Canonical text form ("10.0.0.0", "2001:db8::"). */
  startAddr: string;
  endAddr: string;
}

export interface TsPayload extends PayloadBase {
  type: PayloadType.TSi | PayloadType.TSr;
  selectors: TrafficSelector[];
}

/** Encrypted and Authenticated payload: IV, ciphertext (with padding) and ICV, not yet opened. */
export interface SkPayload extends PayloadBase {
  type: PayloadType.SK;
  /** The Next Payload field of SK: type of the first payload inside. */
  innerFirstPayload: number;
  data: Buffer;
}

/** RFC 7383 Encrypted Fragment payload. */
export interface SkfPayload extends PayloadBase {
  type: PayloadType.SKF;
  /** Non-zero only in fragment number 1 (RFC 7383 section 2.5). */
  innerFirstPayload: number;
  fragmentNumber: number;
  totalFragments: number;
  data: Buffer;
}

export interface CpAttribute {
  type: number; // 15-bit attribute type
  value: Buffer;
}

export interface CpPayload extends PayloadBase {
  type: PayloadType.CP;
  cfgType: CfgType | number;
  attributes: CpAttribute[];
}

export interface EapPayload extends PayloadBase {
  type: PayloadType.EAP;
  /** The whole EAP packet (code, identifier, length, type, data) as on the wire. */
  data: Buffer;
}

/** A payload type this implementation does not know; kept so it can be skipped or re-encoded. */
export interface UnknownPayload extends PayloadBase {
  type: number;
  unknown: true;
  data: Buffer;
}

export type KnownPayload =
  | SaPayload | KePayload | IdPayload | CertPayload | CertReqPayload | AuthPayload | NoncePayload
  | NotifyPayload | DeletePayload | VendorIdPayload | TsPayload | SkPayload | SkfPayload | CpPayload
  | EapPayload;

export type Payload = KnownPayload | UnknownPayload;

/** A message as the codec sees it: header plus the plaintext payload chain (SK still opaque). */
export interface IkeMessage {
  header: IkeHeader;
  payloads: Payload[];
}

export function isUnknown(p: Payload): p is UnknownPayload {
  return (p as UnknownPayload).unknown === true;
}
