// Sans-IO RADIUS: codec and dictionary (RFC 2865/2866/2868/2869/3579/5176, Cisco and Microsoft
// VSAs), the NAS client (retransmission, failover), the dynamic authorization server (DAS) and
// client (DAC) helpers, and the built-in server core; udp.ts and server/udp.ts are the I/O shells.

export * from './constants.ts';
export { RadiusParseError, RadiusEncodeError, isRadiusParseError, type RadiusParseErrorCode } from './errors.ts';
export { ATTRIBUTES, attrByName, attrByCode, valueName, type AttrDef, type AttrDataType } from './dictionary.ts';
export { decodeRawPacket, encodeRawPacket, type RawAttribute, type RawPacket } from './packet.ts';
export {
  decodeAttributes, encodeAttributes, formatAvp, getAttr, getAttrs, getBytes, getNumber, getText, type Avp, type AvpValue,
} from './attributes.ts';
export { hideUserPassword, revealUserPassword, hideSalted, revealSalted } from './hiding.ts';
export {
  decodeRequest, decodeResponse, decodeUnverified, describeMessage, encodeRequest, encodeResponse, type RadiusMessage, type Secret,
} from './message.ts';
export { auditSessionId, ciscoAvPair, ciscoAvPairs, ciscoValues, formatCiscoAvPair, parseCiscoAvPair, type CiscoAvPair } from './cisco.ts';
export {
  RadiusClient, type RadiusClientAction, type RadiusClientEvent, type RadiusClientOptions, type RadiusRequestInput, type RadiusServerEntry,
} from './client.ts';
export {
  DynamicAuthServer, IOS_NO_MATCHING_SESSION, sessionSelector, type DaeAction, type DaeClientEntry, type DaeRequest, type DaeSessionSelector,
  type DynamicAuthServerOptions,
} from './das.ts';
export { coaRequest, daeOutcome, disconnectRequest, targetAttributes, type DaeOutcome, type DaeTarget } from './dac.ts';
export { mskFromMppeKeys } from '../eap/mschapv2-crypto.ts';
