// The IKEv2 wire codec in one import: `import { decodeMessage, encodeMessage } from './codec/index.ts'`.

export { ByteReader } from './bytes.ts';
export { IkeEncodeError, IkeParseError, isIkeParseError, type ParseErrorCode } from './errors.ts';
export { decodeHeader, encodeHeader, IKE_HEADER_LENGTH } from './header.ts';
export {
  decodePayloads, encodePayloadBody, encodePayloads, GENERIC_HEADER_LENGTH, isEncryptedPayloadType, isKnownPayloadType,
  SINGLE_PAYLOADS, type DecodeContext,
} from './chain.ts';
export { decodeMessage, encodeMessage, encryptedDataOffset, IKE_MAJOR_VERSION } from './message.ts';
export {
  cfgAttributeFromRaw, cfgAttributes, cfgAttributeToRaw, cpPayload, netmaskToPrefix, prefixToNetmask,
  type CfgAttribute, type Ip4AttrType, type Ip6AttrType, type Ip6PrefixAttrType, type TextAttrType,
} from './cp.ts';
export { KE_DATA_LENGTH } from './ke.ts';
export { NONCE_MAX, NONCE_MIN } from './nonce.ts';
export { idDataProblem } from './id.ts';
export { dnFromString, dnToString, isDerDn, parseDn, type DnAttribute, type Rdn } from './dn.ts';
export {
  describeMessage, describePayload, exchangeName, idFromString, idToString, notifyName, payloadList, payloadShortName,
  transformName,
} from './describe.ts';
