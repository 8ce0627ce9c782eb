// Small lookups over a decoded payload list, used by every task.

import { Buffer } from 'node:buffer';
import { NotifyType, PayloadType, isErrorNotify } from './constants.ts';
import type {
  AuthPayload, CertPayload, CertReqPayload, CpPayload, DeletePayload, EapPayload, IdPayload, KePayload,
  NoncePayload, NotifyPayload, Payload, SaPayload, TsPayload, VendorIdPayload,
} from './message.ts';

export function find<T extends Payload>(payloads: Payload[], type: PayloadType): T | undefined {
  return payloads.find((p) => p.type === type) as T | undefined;
}

export function findAll<T extends Payload>(payloads: Payload[], type: PayloadType): T[] {
  return payloads.filter((p) => p.type === type) as T[];
}

export const sa = (p: Payload[]) => find<SaPayload>(p, PayloadType.SA);
export const ke = (p: Payload[]) => find<KePayload>(p, PayloadType.KE);
export const nonce = (p: Payload[]) => find<NoncePayload>(p, PayloadType.NONCE);
export const idi = (p: Payload[]) => find<IdPayload>(p, PayloadType.IDi);
export const idr = (p: Payload[]) => find<IdPayload>(p, PayloadType.IDr);
export const auth = (p: Payload[]) => find<AuthPayload>(p, PayloadType.AUTH);
export const certs = (p: Payload[]) => findAll<CertPayload>(p, PayloadType.CERT);
export const certReqs = (p: Payload[]) => findAll<CertReqPayload>(p, PayloadType.CERTREQ);
export const tsi = (p: Payload[]) => find<TsPayload>(p, PayloadType.TSi);
export const tsr = (p: Payload[]) => find<TsPayload>(p, PayloadType.TSr);
export const cp = (p: Payload[]) => find<CpPayload>(p, PayloadType.CP);
export const eap = (p: Payload[]) => find<EapPayload>(p, PayloadType.EAP);
export const deletes = (p: Payload[]) => findAll<DeletePayload>(p, PayloadType.DELETE);
export const vendorIds = (p: Payload[]) => findAll<VendorIdPayload>(p, PayloadType.VENDOR_ID);

export function notifies(p: Payload[]): NotifyPayload[] {
  return findAll<NotifyPayload>(p, PayloadType.NOTIFY);
}

export function notify(p: Payload[], t: NotifyType | number): NotifyPayload | undefined {
  return notifies(p).find((n) => n.notifyType === t);
}

export function firstError(p: Payload[]): NotifyPayload | undefined {
  return notifies(p).find((n) => isErrorNotify(n.notifyType));
}

export function mkNotify(t: NotifyType | number, data: Buffer = Buffer.alloc(0), protocolId = 0, spi: Buffer = Buffer.alloc(0)): NotifyPayload {
  return { type: PayloadType.NOTIFY, protocolId, spi, notifyType: t, data };
}

export function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
}

export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

export function spiToNumber(b: Buffer): number {
  return b.length === 4 ? b.readUInt32BE(0) : 0;
}
