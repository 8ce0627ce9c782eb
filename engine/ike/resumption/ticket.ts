// RFC 5723 tickets "by value" (section 6, ticket handling, and the example format of Appendix A.1): the gateway
// puts the state it needs to resume an IKE SA into the ticket itself, encrypted and authenticated
// with a key only it holds, and keeps nothing per client. The ticket is opaque to the client.
//
// Our format (version 1), all integers big-endian:
//
//   format_version (1) = 1 | reserved (3) = 0 | key_id (8) | IV (12) | ciphertext | ICV (16)
//
// AES-256-GCM (Node's crypto) with the first 24 octets as additional authenticated data, so a
// changed version or key id fails the ICV as much as a changed ciphertext does. key_id names the
// ticket protection key (a key rotation or another gateway's key is refused before decrypting).
// The plaintext is a JSON object (TicketState below, binary fields in hex): the identities as
// they were in the ID payloads, SK_d and the algorithms of the IKE SA, the profile, the expiry,
// a random ticket id for one-time use, and the session facts a resumed SA takes over (assigned
// inner addresses, EAP identity, attributes received while authenticating).

import { Buffer } from 'node:buffer';
import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import type { IkeSuite } from '../proposals.ts';
import type { AuthorizationAttributes } from '../../aaa/authorization.ts';

export const TICKET_FORMAT_VERSION = 1;
const HEADER_LENGTH = 24; // version, reserved, key id, IV
const IV_LENGTH = 12;
const ICV_LENGTH = 16;

/** What the gateway keeps of an IKE SA in a ticket. */
export interface TicketState {
  /** Random ticket identity (16 octets, hex): a ticket is accepted once (replay protection, RFC 5723 security considerations). */
  id: string;
  /** Issue and absolute expiry time, milliseconds since the epoch of the engine clock. */
  issued: number;
  expires: number;
  /** The IKEv2 profile that authenticated the peer: it must still exist and allow resumption. */
  profile: string;
  /** Algorithms of the IKE SA: the resumed SA uses the same ones (RFC 5723 5.1). */
  suite: IkeSuite;
  /** SK_d of the IKE SA the ticket was issued for. */
  skD: Buffer;
  /** IDi and IDr as the ID payloads carried them; the resumed IKE_AUTH must repeat them (4.3.3). */
  idi: { idType: number; data: Buffer };
  idr: { idType: number; data: Buffer };
  /** How both sides authenticated originally ("PSK", "RSA", "EAP", ...), for show output. */
  authInitiator?: string;
  authResponder?: string;
  remoteEapId?: string;
  aaaUserName?: string;
  /** SPIs of the IKE SA the ticket was issued for (hex), for logs. */
  spiI: string;
  spiR: string;
  /** Inner addresses the session had: handed out again on resumption when still free. */
  address4?: string;
  address6?: string;
  /** Attributes received while authenticating (RADIUS Access-Accept), without any password. */
  implicit?: AuthorizationAttributes;
  peerFlexvpn?: boolean;
}

/** The ticket protection key and the name it is known by in tickets. */
export interface TicketKey {
  /** 32 octets: the AES-256-GCM key. */
  encryption: Buffer;
  /** 8 octets, derived from the key: tells which key sealed a ticket. */
  id: Buffer;
}

/** Derives the sealing key and its id from 32 octets of key material (random or from a secret). */
export function ticketKey(material: Buffer): TicketKey {
  const encryption = createHmac('sha256', material).update('flexlab RFC 5723 ticket encryption').digest();
  const id = createHmac('sha256', material).update('flexlab RFC 5723 key id').digest().subarray(0, 8);
  return { encryption, id: Buffer.from(id) };
}

/** Key material from a configured secret (HKDF-SHA256): gateways sharing it accept each other's tickets. */
export function keyMaterialFromSecret(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('flexlab RFC 5723'), Buffer.from('ticket key material'), 32));
}

const PASSWORD_KEYS = /password/i;

function toJson(s: TicketState): string {
  const implicit = s.implicit ? Object.fromEntries(Object.entries(s.implicit).filter(([k]) => !PASSWORD_KEYS.test(k))) : undefined;
  return JSON.stringify({
    ...s, skD: s.skD.toString('hex'),
    idi: { idType: s.idi.idType, data: s.idi.data.toString('hex') }, idr: { idType: s.idr.idType, data: s.idr.data.toString('hex') },
    implicit,
  });
}

function fromJson(text: string): TicketState | string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return 'ticket contents are not valid';
  }
  const id = (v: unknown) => {
    const x = v as { idType?: unknown; data?: unknown } | undefined;
    return x && typeof x.idType === 'number' && typeof x.data === 'string' ? { idType: x.idType, data: Buffer.from(x.data, 'hex') } : undefined;
  };
  const idi = id(o.idi), idr = id(o.idr);
  const suite = o.suite as IkeSuite | undefined;
  if (typeof o.id !== 'string' || typeof o.expires !== 'number' || typeof o.issued !== 'number' || typeof o.profile !== 'string'
    || typeof o.skD !== 'string' || !idi || !idr || !suite || typeof suite.prf !== 'number' || typeof suite.encr !== 'number') {
    return 'ticket contents are incomplete';
  }
  return { ...(o as unknown as TicketState), skD: Buffer.from(o.skD, 'hex'), idi, idr };
}

/** Encrypts and authenticates a ticket; `iv` must be fresh (12 random octets). */
export function sealTicket(state: TicketState, key: TicketKey, iv: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH);
  header[0] = TICKET_FORMAT_VERSION;
  key.id.copy(header, 4);
  iv.copy(header, 12, 0, IV_LENGTH);
  const c = createCipheriv('aes-256-gcm', key.encryption, iv.subarray(0, IV_LENGTH), { authTagLength: ICV_LENGTH });
  c.setAAD(header);
  const body = Buffer.concat([c.update(toJson(state), 'utf8'), c.final()]);
  return Buffer.concat([header, body, c.getAuthTag()]);
}

/** Why a ticket is refused, as counters name it. */
export type TicketRejection = 'malformed' | 'version' | 'unknown-key' | 'integrity' | 'contents' | 'expired' | 'replayed' | 'profile';

/** Decrypts and checks a ticket; returns its state, or why it cannot be used. */
export function openTicket(ticket: Buffer, key: TicketKey): TicketState | { reason: TicketRejection; text: string } {
  if (ticket.length < HEADER_LENGTH + ICV_LENGTH + 2) return { reason: 'malformed', text: `ticket of ${ticket.length} octets is too short` };
  if (ticket[0] !== TICKET_FORMAT_VERSION) return { reason: 'version', text: `ticket format version ${ticket[0]} (we issue ${TICKET_FORMAT_VERSION})` };
  const header = ticket.subarray(0, HEADER_LENGTH);
  if (!header.subarray(4, 12).equals(key.id)) return { reason: 'unknown-key', text: `ticket sealed with key ${header.subarray(4, 12).toString('hex')}, ours is ${key.id.toString('hex')}` };
  const iv = header.subarray(12, 24);
  const body = ticket.subarray(HEADER_LENGTH, ticket.length - ICV_LENGTH);
  const d = createDecipheriv('aes-256-gcm', key.encryption, iv, { authTagLength: ICV_LENGTH });
  d.setAAD(header);
  d.setAuthTag(ticket.subarray(ticket.length - ICV_LENGTH));
  let plain: Buffer;
  try {
    plain = Buffer.concat([d.update(body), d.final()]);
  } catch {
    return { reason: 'integrity', text: 'ticket does not authenticate (altered, or sealed with another key)' };
  }
  const s = fromJson(plain.toString('utf8'));
  return typeof s === 'string' ? { reason: 'contents', text: s } : s;
}
