// The headend side of AnyConnect-EAP (seed F-AUTH-11..13): terminated on the hub, never relayed
// to RADIUS as EAP. hello -> init -> [auth-request + client-cert-request -> init with PKCS7/SIGN]
// -> auth-request -> auth-reply (username/password) -> complete -> ack -> EAP-Success.
// The checks that need the IKE SA or AAA (the device certificate's chain and SIGN, the user's
// password) are handed back to the caller as steps; it answers with deviceChecked() or
// credentialsChecked(), possibly later (a RADIUS round trip).

import type { X509Certificate } from 'node:crypto';
import { EapCode } from '../constants.ts';
import { EapParseError } from '../errors.ts';
import { decodeEap, encodeEap, failurePacket, successPacket } from '../packet.ts';
import type { EapPacket } from '../packet.ts';
import type { RandomSource } from '../../util/random.ts';
import { AnyConnectTlv, DEFAULT_ANYCONNECT_VENDOR_TYPE, anyConnectPacket, decodeTlvs, isAnyConnectPacket, tlvOf } from './wire.ts';
import { parseCertsOnlyPkcs7 } from './pkcs7.ts';
import { configAuth, el, findFirst, parseConfigAuth, textOf } from './xml.ts';
import type { ConfigAuthType, XmlNode } from './xml.ts';
import type { ConfigAuthStep } from './peer.ts';

export interface AnyConnectServerOptions {
  vendorType?: number;
  /** `authentication remote anyconnect-eap aggregate cert-request`: dual-factor (F-AUTH-13). */
  certRequest: boolean;
  random: RandomSource;
  /** `<opaque><tunnel-group>`: the IKEv2 profile name. */
  tunnelGroup: string;
  /** Files announced in `complete` (`anyconnect profile NAME`): the client records them. */
  profiles?: Array<{ uri: string; serviceType: string; hashType: string; hash: string }>;
}

export type AnyConnectServerStep =
  | { kind: 'send'; bytes: Buffer; note: string; type: ConfigAuthType }
  /** The init carried PKCS7 + SIGN: verify the chain and the signature, then call deviceChecked(). */
  | { kind: 'verify-device'; certs: X509Certificate[]; sign: Buffer }
  /** auth-reply: check the credentials (local database or AAA), then call credentialsChecked(). */
  | { kind: 'check-credentials'; username: string; password: string }
  | { kind: 'success'; bytes: Buffer; username: string }
  | { kind: 'failure'; bytes: Buffer; reason: string }
  | { kind: 'ignore'; reason: string };

export class AnyConnectServer {
  readonly transcript: ConfigAuthStep[] = [];
  /** The session id and token given in `complete`. */
  sessionId?: string;
  sessionToken?: string;
  username?: string;
  deviceCertificate?: X509Certificate;
  private readonly vendorType: number;
  private identifier: number;
  private expect: ConfigAuthType = 'init';
  private deviceDone = false;
  private readonly opaque: XmlNode;

  constructor(private readonly opts: AnyConnectServerOptions) {
    this.vendorType = opts.vendorType ?? DEFAULT_ANYCONNECT_VENDOR_TYPE;
    this.identifier = opts.random.bytes(1)[0]!;
    this.opaque = el('opaque', { 'is-for': 'sg' }, el('tunnel-group', undefined, opts.tunnelGroup), el('config-hash', undefined, opts.random.bytes(8).toString('hex')));
  }

  /** The first request: hello. */
  start(): AnyConnectServerStep {
    return this.request('hello', [], `Sending AnyConnect EAP 'hello' request`);
  }

  process(input: Buffer): AnyConnectServerStep {
    let p: EapPacket;
    try {
      p = decodeEap(input);
    } catch (e) {
      if (e instanceof EapParseError) return { kind: 'ignore', reason: e.message };
      throw e;
    }
    if (p.code !== EapCode.Response) return { kind: 'ignore', reason: 'a server takes Responses only' };
    if (p.identifier !== this.identifier) return { kind: 'ignore', reason: `EAP identifier ${p.identifier}, expected ${this.identifier}` };
    if (!isAnyConnectPacket(p, this.vendorType)) return this.fail(`the client answered with EAP type ${p.type}${p.vendorId !== undefined ? ` (vendor ${p.vendorId})` : ''}, not AnyConnect-EAP`);
    let tlvs;
    let doc;
    try {
      tlvs = decodeTlvs(p.data);
      const xml = tlvOf(tlvs, AnyConnectTlv.XML);
      if (!xml) return this.fail('AnyConnect-EAP response without an XML TLV');
      doc = parseConfigAuth(xml.toString('utf8'));
    } catch (e) {
      return this.fail(`AnyConnect-EAP response unreadable: ${(e as Error).message}`);
    }
    const pkcs7 = tlvOf(tlvs, AnyConnectTlv.PKCS7);
    const sign = tlvOf(tlvs, AnyConnectTlv.SIGN);
    this.transcript.push({ dir: 'in', type: doc.type, ...(pkcs7 && sign ? { clientCert: true } : {}) });
    if (doc.error !== undefined) return this.fail(`client error: ${doc.error}`);
    if (doc.type !== this.expect) return this.fail(`unexpected config-auth "${doc.type}" (expected ${this.expect})`);
    switch (doc.type) {
      case 'init':
        if (pkcs7 && sign && this.opts.certRequest && !this.deviceDone) {
          let certs: X509Certificate[];
          try {
            certs = parseCertsOnlyPkcs7(pkcs7);
          } catch (e) {
            return this.fail(`device certificate unreadable: ${(e as Error).message}`);
          }
          if (!certs.length) return this.fail('device certificate PKCS7 carries no certificate');
          this.deviceCertificate = certs[0];
          return { kind: 'verify-device', certs, sign };
        }
        if (this.opts.certRequest && !this.deviceDone) {
          // Dual-factor: ask for the device certificate before the user's credentials (F-AUTH-13).
          return this.request('auth-request', [this.opaque, el('client-cert-request')], `Sending AnyConnect EAP 'auth-request' with client-cert-request`, true);
        }
        return this.credentialRequest();
      case 'auth-reply': {
        const auth = findFirst(doc.root, 'auth');
        const username = textOf(findFirst(auth, 'username'));
        const password = textOf(findFirst(auth, 'password'));
        if (!username) return this.fail('auth-reply carries no username');
        const opaque = findFirst(doc.root, 'opaque');
        const tg = textOf(findFirst(opaque, 'tunnel-group'));
        if (tg !== this.opts.tunnelGroup) return this.fail(`auth-reply echoes tunnel-group "${tg}", expected "${this.opts.tunnelGroup}"`);
        this.username = username;
        return { kind: 'check-credentials', username, password };
      }
      case 'ack':
        return { kind: 'success', bytes: encodeEap(successPacket(this.identifier)), username: this.username ?? '' };
      default:
        return this.fail(`config-auth "${doc.type}" is not sent by a client`);
    }
  }

  /** The device certificate and SIGN check result (`undefined` = valid, else why not). */
  deviceChecked(problem: string | undefined): AnyConnectServerStep {
    if (problem) return this.fail(`device certificate authentication failed: ${problem}`);
    this.deviceDone = true;
    return this.credentialRequest();
  }

  /** The credential check result; `undefined` = accepted. */
  credentialsChecked(problem: string | undefined): AnyConnectServerStep {
    if (problem) return this.fail(`login of "${this.username}" failed: ${problem}`);
    this.sessionId = String(this.opts.random.bytes(4).readUInt32BE(0));
    this.sessionToken = `${this.opts.random.bytes(3).toString('hex').toUpperCase()}@${this.sessionId}@${this.opts.random.bytes(2).toString('hex').toUpperCase()}@${this.opts.random.bytes(20).toString('hex').toUpperCase()}`;
    const files = this.opts.profiles ?? [];
    const body = [
      el('session-id', undefined, this.sessionId),
      el('session-token', undefined, this.sessionToken),
      el('auth', { id: 'success' }, el('message', { id: '0', param1: '', param2: '' })),
      el('capabilities', undefined, el('crypto-supported', undefined, 'ssl-dhe')),
      el('config', { vpn: 'private' },
        files.length ? el('vpn-profile-manifest', undefined, el('vpn', { rev: '1.0' }, ...files.map((f) => el('file', { type: 'profile', 'service-type': f.serviceType },
          el('uri', undefined, f.uri), el('hash', { type: f.hashType }, f.hash))))) : undefined),
    ];
    this.expect = 'ack';
    // IOS logs the complete message as its 'VERIFY' request (S3:523).
    return this.request('complete', body, `Sending AnyConnect EAP 'VERIFY' request`);
  }

  private credentialRequest(): AnyConnectServerStep {
    this.expect = 'auth-reply';
    const form = el('auth', { id: 'main' },
      el('message', undefined, 'Please enter your username and password.'),
      el('form', undefined,
        el('input', { type: 'text', name: 'username', label: 'Username:' }),
        el('input', { type: 'password', name: 'password', label: 'Password:' })));
    return this.request('auth-request', [this.opaque, form], `Sending AnyConnect EAP 'auth-request'`);
  }

  private request(type: ConfigAuthType, body: XmlNode[], note: string, clientCert = false): AnyConnectServerStep {
    if (type === 'auth-request' && clientCert) this.expect = 'init';
    this.identifier = (this.identifier + 1) & 0xff;
    const xml = Buffer.from(configAuth(type, body), 'utf8');
    const bytes = encodeEap(anyConnectPacket(EapCode.Request, this.identifier, [{ type: AnyConnectTlv.XML, value: xml }], this.vendorType));
    this.transcript.push({ dir: 'out', type, ...(clientCert ? { clientCert: true } : {}) });
    return { kind: 'send', bytes, note, type };
  }

  private fail(reason: string): AnyConnectServerStep {
    // Lab-defined (the seeds show no failure XML): EAP-Failure, the reason goes to the event log.
    return { kind: 'failure', bytes: encodeEap(failurePacket(this.identifier)), reason };
  }
}
