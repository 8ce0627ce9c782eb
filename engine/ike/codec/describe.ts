// Human-readable forms of messages and payloads for logs, events and reports: short payload lists
// as IOS debug output and Wireshark show them ("SA KE N NOTIFY(NAT_DETECTION_SOURCE_IP)"),
// identities as text and back, one-line message summaries. Nothing here throws on odd input that
// came off the wire: unknown values print as numbers, undecodable data as #hex.

import { Buffer } from 'node:buffer';
import {
  DhGroup, EncrId, EsnId, enumName, ExchangeType, IdType, IntegId, NotifyType, PAYLOAD_SHORT_NAMES, PayloadType,
  PrfId, ProtocolId, TransformType,
} from '../constants.ts';
import type { IkeMessage, Payload, Transform } from '../message.ts';
import { isUnknown } from '../message.ts';
import { bytesToIp, ipFamily, ipToBytes } from '../../util/ip.ts';
import { dnFromString, dnToString } from './dn.ts';
import { IkeEncodeError } from './errors.ts';

export { dnFromString, dnToString, parseDn, isDerDn } from './dn.ts';

export function notifyName(type: number): string {
  return enumName(NotifyType, type);
}

export function exchangeName(type: number): string {
  return enumName(ExchangeType, type);
}

/** Short name of one payload: "SA", "N" (nonce), "NOTIFY(COOKIE)", "SKF(2/4)", "UNKNOWN(132)". */
export function payloadShortName(p: Payload): string {
  if (isUnknown(p)) return `UNKNOWN(${p.type})`;
  const base = PAYLOAD_SHORT_NAMES[p.type] ?? String(p.type);
  switch (p.type) {
    case PayloadType.NOTIFY: return `${base}(${notifyName(p.notifyType)})`;
    case PayloadType.SKF: return `${base}(${p.fragmentNumber}/${p.totalFragments})`;
    default: return base;
  }
}

/** "SA KE N VID NOTIFY(NAT_DETECTION_SOURCE_IP)". */
export function payloadList(payloads: Payload[]): string {
  return payloads.map(payloadShortName).join(' ');
}

// ---- identities ---------------------------------------------------------------------------------

function printable(b: Buffer): boolean {
  for (const c of b) if (c < 0x20 || c > 0x7e) return false;
  return true;
}

/**
 * Identification data as text: addresses, FQDN, e-mail, DN ("C=CH, O=x, CN=a"); a KEY_ID that is
 * printable ASCII as is, otherwise "#" + hex (as strongSwan's "@#..." form); anything that does
 * not decode as "#" + hex. idFromString reverses it.
 */
export function idToString(id: { idType: number; data: Buffer }): string {
  const { idType, data } = id;
  switch (idType) {
    case IdType.ID_IPV4_ADDR: case IdType.ID_IPV6_ADDR:
      if (data.length === (idType === IdType.ID_IPV4_ADDR ? 4 : 16)) return bytesToIp(data);
      break;
    case IdType.ID_FQDN: case IdType.ID_RFC822_ADDR:
      if (printable(data)) return data.toString('latin1');
      break;
    case IdType.ID_KEY_ID:
      if (printable(data) && data.length > 0 && data[0] !== 0x23 /* # */) return data.toString('latin1');
      break;
    case IdType.ID_DER_ASN1_DN:
      try {
        return dnToString(data);
      } catch {
        break;
      }
    case IdType.ID_NULL:
      if (data.length === 0) return '';
      break;
  }
  return '#' + data.toString('hex');
}

/** Text -> identification data for the ID type. Throws IkeEncodeError when the text does not fit. */
export function idFromString(idType: number, text: string): Buffer {
  if (text.startsWith('#') && idType !== IdType.ID_IPV4_ADDR && idType !== IdType.ID_IPV6_ADDR) {
    const hex = text.slice(1);
    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new IkeEncodeError(`"${text}" is not #hex`);
    return Buffer.from(hex, 'hex');
  }
  switch (idType) {
    case IdType.ID_IPV4_ADDR: case IdType.ID_IPV6_ADDR: {
      const fam = idType === IdType.ID_IPV4_ADDR ? 4 : 6;
      if (ipFamily(text) !== fam) throw new IkeEncodeError(`"${text}" is not an IPv${fam} address`);
      return ipToBytes(text);
    }
    case IdType.ID_FQDN: case IdType.ID_RFC822_ADDR: case IdType.ID_KEY_ID:
      if (text === '') throw new IkeEncodeError(`empty identity of type ${enumName(IdType, idType)}`);
      return Buffer.from(text, idType === IdType.ID_KEY_ID ? 'utf8' : 'latin1');
    case IdType.ID_DER_ASN1_DN:
      try {
        return dnFromString(text);
      } catch (e) {
        throw new IkeEncodeError(`distinguished name "${text}": ${(e as Error).message}`);
      }
    case IdType.ID_NULL:
      return Buffer.alloc(0);
    default:
      throw new IkeEncodeError(`no text form for ID type ${idType}; use #hex`);
  }
}

// ---- transforms and messages -------------------------------------------------------------------

const TRANSFORM_IDS: Record<number, Record<string, string | number>> = {
  [TransformType.ENCR]: EncrId, [TransformType.PRF]: PrfId, [TransformType.INTEG]: IntegId,
  [TransformType.DH]: DhGroup, [TransformType.ESN]: EsnId,
};

/** "AES_CBC_256", "HMAC_SHA2_256_128", "MODP_2048", "ENCR#99". */
export function transformName(t: Transform): string {
  const table = TRANSFORM_IDS[t.type];
  const name = table ? enumName(table, t.id) : `T${t.type}#${t.id}`;
  return t.keyLength !== undefined ? `${name}_${t.keyLength}` : name;
}

/** One line of detail for a payload, for verbose logs. */
export function describePayload(p: Payload): string {
  const name = payloadShortName(p);
  if (isUnknown(p)) return `${name} ${p.data.length} bytes`;
  switch (p.type) {
    case PayloadType.SA:
      return `${name}(${p.proposals.map((pr) => `#${pr.num} ${enumName(ProtocolId, pr.protocolId)}`
        + `${pr.spi.length ? ' spi ' + pr.spi.toString('hex') : ''}: ${pr.transforms.map(transformName).join('/')}`).join(', ')})`;
    case PayloadType.KE: return `${name}(${enumName(DhGroup, p.group)}, ${p.data.length} bytes)`;
    case PayloadType.IDi: case PayloadType.IDr:
      return `${name}(${enumName(IdType, p.idType)} ${idToString(p)})`;
    case PayloadType.NOTIFY:
      return `${name}${p.spi.length ? ` spi ${p.spi.toString('hex')}` : ''}${p.data.length ? ` data ${p.data.length} bytes` : ''}`;
    case PayloadType.DELETE:
      return `${name}(${enumName(ProtocolId, p.protocolId)}${p.spis.map((s) => ' ' + s.toString('hex')).join('')})`;
    case PayloadType.TSi: case PayloadType.TSr:
      return `${name}(${p.selectors.map((s) => `${s.startAddr}-${s.endAddr} proto ${s.ipProtocol} ports ${s.startPort}-${s.endPort}`).join(', ')})`;
    case PayloadType.NONCE: case PayloadType.VENDOR_ID: case PayloadType.EAP:
    case PayloadType.CERT: case PayloadType.CERTREQ: case PayloadType.AUTH:
    case PayloadType.SK: case PayloadType.SKF:
      return `${name} ${p.data.length} bytes`;
    case PayloadType.CP: return `${name}(type ${p.cfgType}, attributes ${p.attributes.map((a) => a.type).join(',')})`;
  }
}

/**
 * "IKE_SA_INIT request 0 [SA KE N NOTIFY(NAT_DETECTION_SOURCE_IP)] spi 9ec52c6b1c836da6_i
 * 0000000000000000_r 500 bytes"; with detail, one describePayload per payload instead of the list.
 */
export function describeMessage(msg: IkeMessage, opts: { detail?: boolean } = {}): string {
  const h = msg.header;
  const list = opts.detail ? msg.payloads.map(describePayload).join(' ') : payloadList(msg.payloads);
  return `${exchangeName(h.exchangeType)} ${h.response ? 'response' : 'request'} ${h.messageId} [${list}]`
    + ` spi ${h.spiI.toString('hex')}_i ${h.spiR.toString('hex')}_r${h.initiator ? ' (from initiator)' : ''} ${h.length} bytes`;
}
