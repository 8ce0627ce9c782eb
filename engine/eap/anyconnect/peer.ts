// The client side of AnyConnect-EAP (seed F-AUTH-11/13, F-AC-01): answers the headend's
// config-auth documents: hello -> init; auth-request -> auth-reply with the user's credentials (or,
// when the request carries <client-cert-request/>, init again with the device certificate chain in
// a PKCS7 TLV and a SIGN TLV); complete -> ack; then EAP-Success. The method derives no MSK, so the
// final IKE AUTH payloads are keyed by SK_pi/SK_pr (RFC 7296 2.16).

import { EapCode } from '../constants.ts';
import { EapParseError } from '../errors.ts';
import { decodeEap, encodeEap } from '../packet.ts';
import type { EapPacket } from '../packet.ts';
import { AnyConnectTlv, DEFAULT_ANYCONNECT_VENDOR_TYPE, anyConnectPacket, decodeTlvs, isAnyConnectPacket, tlvOf } from './wire.ts';
import type { AnyConnectTlvItem } from './wire.ts';
import { clientHeaderXml, configAuth, el, findFirst, has, parseConfigAuth, textOf } from './xml.ts';
import type { ClientHeader, ConfigAuthType, XmlNode } from './xml.ts';

export interface AnyConnectPeerOptions {
  username: string;
  password: string;
  vendorType?: number;
  header: ClientHeader;
  /** `<group-access>`: the URL the user connected to. */
  groupAccess: string;
  /** `<capabilities><auth-method>` entries. */
  authMethods?: string[];
  /**
   * Dual-factor (F-AUTH-13): the device certificate chain as PKCS7 and the SIGN value, computed by
   * the IKE layer (it owns the keys and the signed octets). Absent: the client has no device
   * certificate and fails a <client-cert-request/>; a string is why it cannot sign.
   */
  deviceAuth?: () => { pkcs7: Buffer; sign: Buffer } | string;
}

/** One config-auth document seen on the wire, for events, reports and scenario assertions. */
export interface ConfigAuthStep {
  dir: 'in' | 'out';
  type: ConfigAuthType;
  /** auth-request with <client-cert-request/>, or init carrying PKCS7 + SIGN. */
  clientCert?: boolean;
}

/** What the headend's `complete` carried. */
export interface AnyConnectComplete {
  sessionId: string;
  sessionToken: string;
  /** `<vpn-profile-manifest>` files (the XML profile the headend wants the client to have). */
  profiles: Array<{ uri: string; serviceType: string; hashType: string; hash: string }>;
}

export type AnyConnectPeerResult =
  | { kind: 'send'; packet: EapPacket; bytes: Buffer; note: string }
  | { kind: 'success' }
  | { kind: 'failure'; reason: string }
  | { kind: 'ignore'; reason: string };

export class AnyConnectPeer {
  readonly transcript: ConfigAuthStep[] = [];
  complete?: AnyConnectComplete;
  private readonly vendorType: number;
  private expect: ConfigAuthType[] = ['hello'];
  private acked = false;
  private last?: { identifier: number; bytes: Buffer; packet: EapPacket };
  private opaque?: XmlNode;
  private done = false;

  constructor(private readonly opts: AnyConnectPeerOptions) {
    this.vendorType = opts.vendorType ?? DEFAULT_ANYCONNECT_VENDOR_TYPE;
  }

  process(input: Buffer): AnyConnectPeerResult {
    let p: EapPacket;
    try {
      p = decodeEap(input);
    } catch (e) {
      if (e instanceof EapParseError) return { kind: 'ignore', reason: e.message };
      throw e;
    }
    if (this.done) return { kind: 'ignore', reason: 'EAP packet after the method finished' };
    if (p.code === EapCode.Success) {
      this.done = true;
      return this.acked ? { kind: 'success' } : { kind: 'failure', reason: 'EAP-Success before the AnyConnect exchange completed' };
    }
    if (p.code === EapCode.Failure) {
      this.done = true;
      return { kind: 'failure', reason: this.expect.includes('complete') && this.transcript.some((s) => s.type === 'auth-reply') ? 'EAP-Failure after auth-reply: the headend refused the credentials' : 'EAP-Failure from the headend' };
    }
    if (p.code !== EapCode.Request) return { kind: 'ignore', reason: 'a peer takes Requests only' };
    if (this.last && this.last.identifier === p.identifier) return { kind: 'send', packet: this.last.packet, bytes: this.last.bytes, note: 'retransmitted response' };
    if (!isAnyConnectPacket(p, this.vendorType)) {
      return { kind: 'failure', reason: `the headend proposed EAP type ${p.type}${p.vendorId !== undefined ? ` (vendor ${p.vendorId}, vendor type 0x${(p.vendorType ?? 0).toString(16)})` : ''}, not AnyConnect-EAP (vendor 9, type 0x${this.vendorType.toString(16)})` };
    }
    let tlvs: AnyConnectTlvItem[];
    let doc: ReturnType<typeof parseConfigAuth>;
    try {
      tlvs = decodeTlvs(p.data);
      const xml = tlvOf(tlvs, AnyConnectTlv.XML);
      if (!xml) return { kind: 'failure', reason: 'AnyConnect-EAP request without an XML TLV' };
      doc = parseConfigAuth(xml.toString('utf8'));
    } catch (e) {
      return { kind: 'failure', reason: `AnyConnect-EAP request unreadable: ${(e as Error).message}` };
    }
    const certRequest = doc.type === 'auth-request' && has(doc.root, 'client-cert-request');
    this.transcript.push({ dir: 'in', type: doc.type, ...(certRequest ? { clientCert: true } : {}) });
    if (doc.error !== undefined) return { kind: 'failure', reason: `headend error: ${doc.error}` };
    if (!this.expect.includes(doc.type)) return { kind: 'failure', reason: `unexpected config-auth "${doc.type}" (expected ${this.expect.join(' or ')})` };
    const opaque = findFirst(doc.root, 'opaque');
    if (opaque && typeof opaque === 'object') this.opaque = opaqueNode(opaque as Record<string, unknown>);
    switch (doc.type) {
      case 'hello':
        this.expect = ['auth-request'];
        return this.respond(p.identifier, 'init', this.initBody(), [], 'init');
      case 'auth-request': {
        if (certRequest) {
          if (!this.opts.deviceAuth) return { kind: 'failure', reason: 'the headend asked for a device certificate (client-cert-request) and this client has none' };
          const d = this.opts.deviceAuth();
          if (typeof d === 'string') return { kind: 'failure', reason: `cannot answer client-cert-request: ${d}` };
          this.expect = ['auth-request'];
          return this.respond(p.identifier, 'init', this.initBody(), [{ type: AnyConnectTlv.PKCS7, value: d.pkcs7 }, { type: AnyConnectTlv.SIGN, value: d.sign }], 'init with device certificate (PKCS7 + SIGN)', true);
        }
        this.expect = ['complete'];
        const body = [
          el('session-id'), el('session-token'),
          this.opaque,
          el('auth', undefined, el('username', undefined, this.opts.username), el('password', undefined, this.opts.password)),
        ].filter((x): x is XmlNode => !!x);
        return this.respond(p.identifier, 'auth-reply', [...clientHeaderXml(this.opts.header), ...body], [], `auth-reply for user "${this.opts.username}"`);
      }
      case 'complete': {
        this.complete = {
          sessionId: textOf(findFirst(doc.root, 'session-id')),
          sessionToken: textOf(findFirst(doc.root, 'session-token')),
          profiles: manifestFiles(doc.root),
        };
        this.expect = [];
        this.acked = true;
        return this.respond(p.identifier, 'ack', clientHeaderXml(this.opts.header), [], 'ack');
      }
      default:
        return { kind: 'failure', reason: `config-auth "${doc.type}" is not sent by a headend` };
    }
  }

  private initBody(): XmlNode[] {
    return [
      ...clientHeaderXml(this.opts.header),
      ...(this.opaque ? [this.opaque] : []),
      el('group-access', undefined, this.opts.groupAccess),
      el('capabilities', undefined, ...(this.opts.authMethods ?? ['multiple-cert', 'single-sign-on']).map((m) => el('auth-method', undefined, m))),
    ];
  }

  private respond(identifier: number, type: ConfigAuthType, body: XmlNode[], extra: AnyConnectTlvItem[], note: string, clientCert = false): AnyConnectPeerResult {
    const tlvs: AnyConnectTlvItem[] = [{ type: AnyConnectTlv.XML, value: Buffer.from(configAuth(type, body), 'utf8') }, ...extra];
    const packet = anyConnectPacket(EapCode.Response, identifier, tlvs, this.vendorType);
    const bytes = encodeEap(packet);
    this.last = { identifier, bytes, packet };
    this.transcript.push({ dir: 'out', type, ...(clientCert ? { clientCert: true } : {}) });
    return { kind: 'send', packet, bytes, note };
  }
}

/** Re-renders a parsed <opaque> so the client echoes it unchanged (the headend checks it). */
function opaqueNode(o: Record<string, unknown>): XmlNode {
  const attrs: Record<string, string> = {};
  const children: XmlNode[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (k.startsWith('@')) attrs[k.slice(1)] = String(v);
    else if (k !== '#text') for (const item of Array.isArray(v) ? v : [v]) children.push(typeof item === 'object' && item ? { ...opaqueNode(item as Record<string, unknown>), name: k } : { name: k, text: String(item) });
  }
  return { name: 'opaque', attrs, ...(children.length ? { children } : {}) };
}

function manifestFiles(root: Record<string, unknown>): AnyConnectComplete['profiles'] {
  const manifest = findFirst(root, 'vpn-profile-manifest');
  const vpn = findFirst(manifest, 'vpn');
  const files = vpn && typeof vpn === 'object' ? (vpn as Record<string, unknown>).file : undefined;
  return (Array.isArray(files) ? files : files ? [files] : []).map((f) => {
    const o = f as Record<string, unknown>;
    const hash = o.hash as Record<string, unknown> | string | undefined;
    return {
      uri: textOf(o.uri), serviceType: String(o['@service-type'] ?? ''),
      hashType: typeof hash === 'object' && hash ? String(hash['@type'] ?? '') : '', hash: textOf(hash),
    };
  });
}
