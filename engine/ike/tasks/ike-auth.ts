// IKE_AUTH (RFC 7296 1.2, 2.15, 2.16): identities, certificates and AUTH payloads; profile
// selection by the peer's identity on the responder (`match identity remote`, F-CORE-11);
// INITIAL_CONTACT; EAP as the initiator's method (F-AUTH-05) and on the responder, either
// terminated locally or relayed to RADIUS (pass-through, F-AUTH-06), with the final AUTH keyed by
// the MSK of key-generating methods or by SK_pi/SK_pr otherwise (F-AUTH-07); pre-shared keys
// fetched from RADIUS (keyring aaa, F-AUTH-09).

import { Buffer } from 'node:buffer';
import { X509Certificate } from 'node:crypto';
import { AuthMethod, CertEncoding, NotifyType, PayloadType, enumName } from '../constants.ts';
import type { Ikev2Profile, RemoteAuthMethod } from '../config.ts';
import type { AuthPayload, IdPayload, Payload } from '../message.ts';
import type { ExchangeContext, Task, TaskResult } from '../sa/task.ts';
import { AGAIN, DONE, afterResponse, failed } from '../sa/task.ts';
import { auth as authPayload, certs as certPayloads, eap as eapPayload, firstError, idi, idr, mkNotify, notify } from '../payload-util.ts';
import { identityMatches, identityToPayload, payloadToIdentity } from '../identity.ts';
import { authenticatorFor } from '../auth/index.ts';
import type { Authenticator } from '../auth/authenticator.ts';
import { octetsFor } from '../auth/authenticator.ts';
import { certReqHash } from '../crypto/certs.ts';
import { eapAuth } from '../crypto/auth.ts';
import type { IkeSa } from '../sa/ike-sa.ts';
import type { AaaResult } from '../actions.ts';
import { EapPeer, EapServer, EapCode, EapType, decodeEap, encodeEap, failurePacket, identityRequest, identityResponse, successPacket } from '../../eap/index.ts';
import { fromRadius, mangleName } from '../../aaa/authorization.ts';
import { AnyConnectPeer, AnyConnectServer, buildCertsOnlyPkcs7 } from '../../eap/anyconnect/index.ts';
import type { AnyConnectServerStep } from '../../eap/anyconnect/index.ts';
import { CISCO_VENDOR_IDS } from '../vendor-ids.ts';
import { classicMethodFor, signAuth, verifyAuth, verifyPskAuth } from '../crypto/auth.ts';
import { certificateChainVerify } from '../crypto/certs.ts';
import { timingSafeEqual } from 'node:crypto';

/** Our IDi/IDr payload: the configured identity, else the local IP address (IOS default). */
export function localIdPayload(sa: IkeSa, type: PayloadType.IDi | PayloadType.IDr): IdPayload {
  const id = sa.profile?.localIdentity ?? { type: 'address' as const, value: sa.local.address };
  sa.localId = id;
  const body = identityToPayload(id);
  return { type, idType: body.idType, data: body.data };
}

function certReqPayload(profile: Ikev2Profile | undefined): Payload[] {
  if (!profile || !profile.trustedCas.length) return [];
  if (!profile.authRemote.some((m) => m === 'rsa-sig' || m === 'ecdsa-sig')) return [];
  return [{ type: PayloadType.CERTREQ, encoding: CertEncoding.X509_SIGNATURE, data: Buffer.concat([...profile.trustedCas.map(certReqHash), ...profile.certReqExtraHashes ?? []]) }];
}

/** Which of the allowed remote methods an AUTH payload (and the peer's certificate) stands for. */
function remoteMethodOf(method: number, received: Payload[], allowed: RemoteAuthMethod[]): RemoteAuthMethod | undefined {
  if (method === AuthMethod.PSK) return allowed.find((m) => m === 'pre-share');
  let ec = method === AuthMethod.ECDSA_SHA256_P256 || method === AuthMethod.ECDSA_SHA384_P384 || method === AuthMethod.ECDSA_SHA512_P521;
  if (method === AuthMethod.DIGITAL_SIGNATURE) {
    const c = certPayloads(received)[0];
    try {
      ec = !!c && new X509Certificate(c.data).publicKey.asymmetricKeyType === 'ec';
    } catch {
      ec = false;
    }
  }
  return allowed.find((m) => m === (ec ? 'ecdsa-sig' : 'rsa-sig'));
}

/** The AUTH of the EAP case: shared-key MAC keyed by the MSK, or SK_pi/SK_pr without one (RFC 7296 2.16). */
function eapAuthPayload(sa: IkeSa, fromInitiator: boolean, id: { idType: number; data: Buffer }, msk: Buffer | undefined): AuthPayload {
  const key = msk ?? (fromInitiator ? sa.keys!.skPi : sa.keys!.skPr);
  return { type: PayloadType.AUTH, method: AuthMethod.PSK, data: eapAuth(sa.suite!.prf, key, octetsFor(sa, fromInitiator, id.idType, id.data)) };
}

function eapAuthValid(sa: IkeSa, fromInitiator: boolean, id: { idType: number; data: Buffer }, msk: Buffer | undefined, got: AuthPayload): boolean {
  if (got.method !== AuthMethod.PSK) return false;
  const want = eapAuthPayload(sa, fromInitiator, id, msk).data;
  return want.length === got.data.length && timingSafeEqual(want, got.data);
}

/**
 * The octets the AnyConnect SIGN TLV signs: the initiator's signed octets computed with the
 * private identity type 201 and "*$AnyConnectClient$*" (strongSwan PR #577, EAP_ANY_OCTET_ID),
 * whatever IDi the client sent.
 */
function anyConnectSignOctets(sa: IkeSa): Buffer {
  return octetsFor(sa, true, 201, Buffer.from('*$AnyConnectClient$*', 'utf8'));
}

/** The initiator's persona rules for the responder's certificate (Ikev2Profile.serverCertPolicy). */
function serverCertRefused(x: ExchangeContext): TaskResult | undefined {
  const policy = x.sa.profile?.serverCertPolicy;
  const [first, ...rest] = certPayloads(x.received).filter((c) => c.encoding === CertEncoding.X509_SIGNATURE);
  if (!policy || !first) return undefined;
  let leaf: X509Certificate;
  let chain: X509Certificate[];
  try {
    leaf = new X509Certificate(first.data);
    chain = rest.map((c) => new X509Certificate(c.data));
  } catch (e) {
    return failed(`responder certificate does not parse: ${(e as Error).message}`, true, NotifyType.AUTHENTICATION_FAILED);
  }
  const v = policy(leaf, chain);
  if (!v) return undefined;
  return failed(`server certificate "${leaf.subject.replace(/\n/g, ', ')}" refused: ${v.reason}`, true, NotifyType.AUTHENTICATION_FAILED, undefined, v.clientError);
}

type EapResponderState =
  | { kind: 'none' }
  /** Next request must carry an EAP Response for this conversation. */
  | { kind: 'eap'; outEap: Buffer }
  /** EAP succeeded: the next request must carry the initiator's AUTH. */
  | { kind: 'await-auth'; outEap: Buffer; msk?: Buffer }
  | { kind: 'failed'; outEap: Buffer; reason: string };

export class IkeAuthTask implements Task {
  readonly name = 'ike-auth';
  private local?: Authenticator;
  private round = 0;
  // initiator EAP
  private peer?: EapPeer;
  private phase: 'init' | 'eap' | 'auth' = 'init';
  private pendingEap?: Buffer;
  private msk?: Buffer;
  private myId?: IdPayload;
  private theirId?: IdPayload;
  // responder EAP
  private eap: EapResponderState = { kind: 'none' };
  private eapServer?: EapServer;
  private radiusState?: Buffer;
  private eapIdentity?: string;
  private pendingAaa?: 'eap' | 'psk' | 'login';
  // AnyConnect-EAP
  private acPeer?: AnyConnectPeer;
  private acServer?: AnyConnectServer;

  // ========================================================================== initiator

  buildRequest(x: ExchangeContext): void {
    const sa = x.sa;
    this.round++;
    const profile = sa.profile!;
    if (this.phase === 'eap') {
      x.out.push({ type: PayloadType.EAP, data: this.pendingEap! });
      return;
    }
    if (this.phase === 'auth') {
      x.out.push(eapAuthPayload(sa, true, this.myId!, this.msk));
      return;
    }
    // A client persona that finds no usable certificate of its own gives up before sending.
    const unusable = profile.clientCertPolicy?.(profile.credentials, profile.trustedCas, x.now);
    if (unusable) {
      x.shared.abortExchange = failed(unusable.reason, true, NotifyType.AUTHENTICATION_FAILED, undefined, unusable.clientError);
      return;
    }
    this.local = authenticatorFor(profile.authLocal);
    const id = localIdPayload(sa, PayloadType.IDi);
    this.myId = id;
    x.out.push(id);
    if (this.local?.buildCredentials) x.out.push(...this.local.buildCredentials(x));
    if (sa.initialContact && profile.sendInitialContact !== false) x.out.push(mkNotify(NotifyType.INITIAL_CONTACT));
    x.out.push(...certReqPayload(profile));
    const extra = (profile.ikeAuthNotifies ?? []).map((n) => mkNotify(n));
    if (profile.authLocal === 'eap') {
      x.out.push(...extra);
      return; // no AUTH: the responder starts EAP (RFC 7296 2.16)
    }
    const a = this.local!.buildAuth(x, octetsFor(sa, true, id.idType, id.data));
    if (typeof a === 'string') {
      x.shared.localAuthError = a;
      return;
    }
    sa.authLocalMethod = this.local!.display;
    x.out.push(a, ...extra);
  }

  processResponse(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    const profile = sa.profile!;
    const err = firstError(x.received);
    if (err && !x.received.some((p) => p.type === PayloadType.AUTH || p.type === PayloadType.EAP)) {
      return failed(`responder refused authentication: ${enumName(NotifyType, err.notifyType)}`, true, err.notifyType);
    }
    if (this.phase === 'eap') {
      const e = eapPayload(x.received);
      if (!e) return failed('IKE_AUTH response carries no EAP payload during EAP', true, NotifyType.AUTHENTICATION_FAILED);
      return this.eapStep(x, e.data);
    }
    if (this.phase === 'auth') {
      const auth = authPayload(x.received);
      if (!auth) return failed('final IKE_AUTH response carries no AUTH payload', true, NotifyType.AUTHENTICATION_FAILED);
      if (!eapAuthValid(sa, false, this.theirId!, this.msk, auth)) {
        return failed(`responder's final AUTH does not verify with the ${this.msk ? 'EAP MSK' : 'SK_pr'} key`, true, NotifyType.AUTHENTICATION_FAILED);
      }
      sa.authenticated = true;
      this.establish(x);
      return DONE;
    }
    const idPayload = idr(x.received);
    const auth = authPayload(x.received);
    if (idPayload) sa.remoteId = payloadToIdentity(idPayload);
    if (!auth) {
      if (x.received.some((p) => p.type === PayloadType.EAP)) return failed('responder wants EAP but this profile does not use it', true, NotifyType.AUTHENTICATION_FAILED);
      return failed('IKE_AUTH response carries no AUTH payload', true, NotifyType.AUTHENTICATION_FAILED);
    }
    if (!idPayload) return failed('IKE_AUTH response carries no IDr', true, NotifyType.INVALID_SYNTAX);
    this.theirId = idPayload;
    const method = remoteMethodOf(auth.method, x.received, profile.authRemote);
    if (!method) return failed(`responder authenticated with AUTH method ${enumName(AuthMethod, auth.method)}, profile ${profile.name} allows ${profile.authRemote.join(', ')}`, true, NotifyType.AUTHENTICATION_FAILED);
    const verifier = authenticatorFor(method)!;
    const problem = verifier.verify(x, auth, octetsFor(sa, false, idPayload.idType, idPayload.data));
    if (problem) return failed(`authentication of responder ${sa.remoteId?.value} failed: ${problem}`, true, NotifyType.AUTHENTICATION_FAILED);
    const refused = serverCertRefused(x);
    if (refused) return refused;
    sa.authRemoteMethod = verifier.display;
    if (profile.authLocal === 'eap') {
      const e = eapPayload(x.received);
      if (!e) return failed('responder authenticated but started no EAP', true, NotifyType.AUTHENTICATION_FAILED);
      if (profile.anyconnectClient) {
        this.acPeer = this.anyConnectPeer(x);
        return this.eapStep(x, e.data);
      }
      const c = profile.eapClient;
      if (!c) return failed(`profile ${profile.name} has no EAP credentials (authentication local eap)`, true, NotifyType.AUTHENTICATION_FAILED);
      this.peer = new EapPeer({ identity: c.identity ?? sa.localId?.value ?? sa.local.address, password: c.password, methods: c.methods, random: x.core.random, requireIdentityRequest: c.requireIdentityRequest });
      return this.eapStep(x, e.data);
    }
    sa.authenticated = true;
    this.establish(x);
    return DONE;
  }

  private anyConnectPeer(x: ExchangeContext): AnyConnectPeer {
    const sa = x.sa;
    const c = sa.profile!.anyconnectClient!;
    const creds = sa.profile!.credentials;
    return new AnyConnectPeer({
      username: c.username, password: c.password, vendorType: c.vendorType,
      groupAccess: c.groupAccess ?? `https://${sa.remote.address}`,
      header: {
        version: c.version ?? '4.10.07073',
        deviceId: {
          computerName: c.computerName ?? 'flexlab-client', deviceType: c.deviceType ?? 'flexlab', platformVersion: c.platformVersion ?? '10.0.19045',
          uniqueId: c.uniqueId ?? sa.local.address, uniqueIdGlobal: c.uniqueId ?? sa.local.address, value: 'win',
        },
        macAddresses: [c.macAddress ?? '02-00-00-00-00-01'],
      },
      deviceAuth: creds
        ? () => {
          try {
            return { pkcs7: buildCertsOnlyPkcs7([creds.cert, ...creds.chain]), sign: signAuth(classicMethodFor(creds.key), creds.key, anyConnectSignOctets(sa)) };
          } catch (e) {
            return (e as Error).message;
          }
        }
        : undefined,
    });
  }

  private eapStep(x: ExchangeContext, data: Buffer): TaskResult {
    const sa = x.sa;
    if (this.acPeer) {
      const r = this.acPeer.process(data);
      const transcript = this.acPeer.transcript.map((t) => `${t.dir === 'in' ? '<' : '>'}${t.type}${t.clientCert ? '+cert' : ''}`);
      switch (r.kind) {
        case 'send':
          this.pendingEap = r.bytes;
          this.phase = 'eap';
          sa.emit('info', `AnyConnect-EAP: ${r.note}`, { anyconnect: r.note, transcript });
          return AGAIN;
        case 'success':
          this.phase = 'auth';
          sa.authLocalMethod = 'AnyConnect-EAP';
          sa.anyconnect = { sessionId: this.acPeer.complete?.sessionId, sessionToken: this.acPeer.complete?.sessionToken, profiles: this.acPeer.complete?.profiles ?? [], transcript };
          sa.emit('info', 'AnyConnect-EAP succeeded (no MSK: the final AUTH is keyed by SK_pi/SK_pr)', { method: 'anyconnect-eap', transcript, profiles: this.acPeer.complete?.profiles });
          for (const f of this.acPeer.complete?.profiles ?? []) {
            // Profile delivery (F-AC-01): IOS cannot serve the file (BypassDownloader), so the client
            // only compares the announced hash with its own profile.
            const mine = sa.profile!.anyconnectClient?.localProfileSha1;
            const same = mine !== undefined && mine === f.hash.toUpperCase();
            sa.emit('info', `headend announces profile ${f.uri} (${f.hashType} ${f.hash}): ${mine === undefined ? 'this client has no local profile' : same ? 'the local profile is up to date' : 'differs from the local profile (not downloaded: BypassDownloader)'}`,
              { profileManifest: f, upToDate: same });
          }
          return AGAIN;
        case 'failure':
          return failed(`AnyConnect-EAP authentication failed: ${r.reason}`, true, NotifyType.AUTHENTICATION_FAILED);
        case 'ignore':
          return failed(`AnyConnect-EAP packet discarded (${r.reason}) and nothing left to answer`, true, NotifyType.AUTHENTICATION_FAILED);
      }
    }
    const r = this.peer!.process(data);
    switch (r.kind) {
      case 'send':
        this.pendingEap = r.bytes;
        this.phase = 'eap';
        sa.emit('info', `EAP: ${r.note}`, { eap: r.note });
        return AGAIN;
      case 'success':
        this.msk = r.msk;
        this.phase = 'auth';
        sa.authLocalMethod = 'EAP';
        sa.emit('info', `EAP ${r.method ?? ''} succeeded${r.msk ? ' (MSK derived: it keys the final AUTH)' : ' (no MSK: the final AUTH is keyed by SK_pi/SK_pr)'}`, { method: r.method, msk: !!r.msk });
        return AGAIN;
      case 'failure':
        return failed(`EAP authentication failed: ${r.reason}`, true, NotifyType.AUTHENTICATION_FAILED);
      case 'ignore':
        return failed(`EAP packet discarded (${r.reason}) and nothing left to answer`, true, NotifyType.AUTHENTICATION_FAILED);
    }
  }

  // ========================================================================== responder

  processRequest(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    const aaa = x.shared.aaaResult as AaaResult | undefined;
    if (aaa) delete x.shared.aaaResult;
    else this.round++; // a resumed request (AAA answer) is the same round
    if (this.pendingAaa === 'psk') return this.afterPskLookup(x, aaa!);
    if (this.pendingAaa === 'eap') return this.afterRadiusEap(x, aaa!);
    if (this.pendingAaa === 'login') return this.afterRadiusLogin(x, aaa!);
    if (this.eap.kind !== 'none') return this.continueEap(x);

    const idPayload = idi(x.received);
    if (!idPayload) return failed('IKE_AUTH request carries no IDi', true, NotifyType.AUTHENTICATION_FAILED);
    this.theirId = idPayload;
    sa.remoteId = payloadToIdentity(idPayload);
    const auth = authPayload(x.received);
    // Profile selection (F-CORE-11): the first profile whose `match identity remote` matches and
    // which accepts the method the initiator uses.
    const candidates = x.core.profiles.filter((p) => p.matchRemote.some((m) => identityMatches(m, sa.remoteId!)));
    // Cisco auto-reconnect (F-RC-01): PSK with IDi = a session-id the hub granted, PSK = its token.
    if (auth?.method === AuthMethod.PSK && sa.remoteId.type === 'key-id' && x.core.profiles.some((p) => p.reconnect)
      && !candidates.some((p) => p.authRemote.includes('pre-share'))) {
      return this.reconnectAuth(x, auth);
    }
    const acVid = sa.peerVendorIds.some((v) => v.equals(CISCO_VENDOR_IDS.ANYCONNECT_EAP));
    const profile = candidates.find((p) => (auth ? !!remoteMethodOf(auth.method, x.received, p.authRemote) : p.authRemote.includes('eap') || p.authRemote.includes('anyconnect-eap')));
    if (!profile) {
      const why = candidates.length
        ? `profile ${candidates.map((p) => p.name).join(', ')} does not accept ${auth ? `AUTH method ${enumName(AuthMethod, auth.method)}` : 'EAP'}`
        : `no IKEv2 profile matches identity ${sa.remoteId.type} "${sa.remoteId.value}"`;
      return failed(`authentication of ${sa.remoteId.value} failed: ${why}`, true, NotifyType.AUTHENTICATION_FAILED);
    }
    sa.profile = profile;
    sa.name = profile.name;
    sa.emit('info', `peer identity ${sa.remoteId.type} "${sa.remoteId.value}" selected profile ${profile.name}`, { profile: profile.name, identity: sa.remoteId });
    this.local = authenticatorFor(profile.authLocal);
    if (!this.local) return failed(`profile ${profile.name}: local method ${profile.authLocal} cannot authenticate a responder`, true, NotifyType.AUTHENTICATION_FAILED);
    if (!auth) {
      // AnyConnect-EAP when the profile offers it and the client announced it (or plain EAP is not offered).
      if (profile.authRemote.includes('anyconnect-eap') && (acVid || !profile.authRemote.includes('eap'))) return this.startAnyConnect(x, acVid);
      return this.startEap(x);
    }
    if (auth.method === AuthMethod.PSK && profile.aaaKeyring && !sa.aaaPsk) {
      // keyring aaa: fetch the key for the (mangled) peer identity before verifying (F-AUTH-09).
      const userName = mangleName(sa.remoteId, profile.aaaKeyring.nameMangler);
      sa.emit('info', `fetching the pre-shared key of "${userName}" from AAA`, { userName });
      this.pendingAaa = 'psk';
      x.core.requestAaa(sa, { kind: 'authorize', purpose: 'psk', userName, password: profile.aaaKeyring.password ?? 'cisco' });
      return { status: 'defer' };
    }
    return this.verifyInitiatorAuth(x, auth);
  }

  private verifyInitiatorAuth(x: ExchangeContext, auth: AuthPayload): TaskResult {
    const sa = x.sa;
    const profile = sa.profile!;
    const method = remoteMethodOf(auth.method, x.received, profile.authRemote)!;
    const verifier = authenticatorFor(method);
    if (!verifier) return failed(`no authenticator for ${method}`, true, NotifyType.AUTHENTICATION_FAILED);
    const problem = verifier.verify(x, auth, octetsFor(sa, true, this.theirId!.idType, this.theirId!.data));
    if (problem) return failed(`authentication of ${sa.remoteId!.value} failed: ${problem}`, true, NotifyType.AUTHENTICATION_FAILED);
    sa.authRemoteMethod = verifier.display;
    sa.authenticated = true;
    if (notify(x.received, NotifyType.INITIAL_CONTACT)) this.initialContact(x);
    return DONE;
  }

  private reconnectAuth(x: ExchangeContext, auth: AuthPayload): TaskResult {
    const sa = x.sa;
    const rs = x.core.reconnectSessions;
    const id = sa.remoteId!.value;
    rs.stats.incoming++;
    const s = rs.get(id);
    const reject = (why: string) => {
      rs.stats.failed++;
      x.core.counter('reconnect-failed');
      sa.emit('reconnect', `reconnect of session ${id} from ${sa.peer} rejected: ${why}`, { reconnect: 'rejected', sessionId: id });
      return failed(`reconnect of session ${id} rejected: ${why}`, true, NotifyType.AUTHENTICATION_FAILED);
    };
    if (!s) return reject('no such session (never granted, expired, cleared or ended by the user)');
    const profile = x.core.profiles.find((p) => p.name === s.profile);
    if (!profile) return reject(`profile ${s.profile} no longer exists`);
    if (!verifyPskAuth(sa.suite!.prf, Buffer.from(s.sessionToken, 'ascii'), octetsFor(sa, true, this.theirId!.idType, this.theirId!.data), auth.data)) return reject('wrong session token');
    sa.profile = profile;
    sa.name = profile.name;
    this.local = authenticatorFor(profile.authLocal);
    if (!this.local) return reject(`profile ${profile.name}: local method ${profile.authLocal} cannot authenticate a responder`);
    sa.reconnected = true;
    sa.reconnectSessionId = s.sessionId;
    sa.reconnectRestore = s;
    sa.remoteEapId = s.remoteEapId;
    sa.authRemoteMethod = 'PSK';
    sa.authenticated = true;
    x.core.reconnectResumed(s, sa, x.now);
    rs.stats.success++;
    x.core.counter('reconnect-success');
    sa.emit('reconnect', `session ${s.sessionId} of ${s.remoteEapId ?? s.remoteId.value} reconnected from ${sa.peer} (reconnect ${s.reconnects}); authorization restored without AAA`, { reconnect: 'reconnected', sessionId: s.sessionId });
    return DONE;
  }

  private afterPskLookup(x: ExchangeContext, r: AaaResult): TaskResult {
    const sa = x.sa;
    this.pendingAaa = undefined;
    if (r.outcome !== 'accept') return failed(`AAA refused the pre-shared key lookup for ${sa.remoteId?.value} (${r.outcome}${r.reason ? `: ${r.reason}` : ''})`, true, NotifyType.AUTHENTICATION_FAILED);
    const attrs = fromRadius(r.attributes ?? []);
    if (!attrs.tunnelPassword && !attrs.passwordLocal && !attrs.passwordRemote) return failed(`AAA returned no pre-shared key for ${sa.remoteId?.value}`, true, NotifyType.AUTHENTICATION_FAILED);
    sa.aaaPsk = { symmetric: attrs.tunnelPassword, local: attrs.passwordLocal, remote: attrs.passwordRemote };
    sa.implicitAttributes = attrs;
    sa.emit('info', `received ${attrs.tunnelPassword ? 'a symmetric' : 'an asymmetric'} pre-shared key from the AAA server${r.server ? ` ${r.server}` : ''}`, { server: r.server });
    return this.verifyInitiatorAuth(x, authPayload(x.received)!);
  }

  /** The initiator sent no AUTH: it wants EAP (RFC 7296 2.16). */
  private startEap(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    const profile = sa.profile!;
    const cfg = profile.eapServer;
    if (!cfg) return failed(`${sa.remoteId!.value} asked for EAP, which profile ${profile.name} cannot do`, true, NotifyType.AUTHENTICATION_FAILED);
    const ipIdentity = sa.remoteId!.type === 'address';
    if (ipIdentity && !cfg.queryIdentity) {
      // An IP address cannot be an EAP identity without query-identity (F-CORE-11, S0:35).
      return failed(`${sa.remoteId!.value}: an IP address identity cannot be used as EAP identity without query-identity`, true, NotifyType.AUTHENTICATION_FAILED);
    }
    sa.authRemoteMethod = 'EAP';
    if (cfg.mode === 'local') {
      this.eapServer = new EapServer({
        methods: cfg.methods ?? ['mschapv2', 'md5', 'gtc'], random: x.core.random, serverName: sa.localId?.value ?? 'flexlab',
        lookup: (name) => cfg.users?.[name],
      });
      const r = cfg.queryIdentity ? this.eapServer.start() : this.eapServer.process(identityResponse(0, sa.remoteId!.value));
      return this.localEapResult(x, r);
    }
    if (cfg.queryIdentity) {
      this.eap = { kind: 'eap', outEap: encodeEap(identityRequest(x.core.random.bytes(1)[0]!)) };
      return AGAIN;
    }
    // Without query-identity, the IKE identity is sent to RADIUS as the EAP identity (S2:125).
    this.eapIdentity = sa.remoteId!.value;
    return this.toRadius(x, encodeEap(identityResponse(0, this.eapIdentity)));
  }

  private continueEap(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    x.core.disarmEapTimeout(sa);
    if (this.eap.kind === 'await-auth') {
      const auth = authPayload(x.received);
      if (!auth) return failed('after EAP success the initiator sent no AUTH', true, NotifyType.AUTHENTICATION_FAILED);
      if (!eapAuthValid(sa, true, this.theirId!, this.eap.msk, auth)) {
        return failed(`AUTH of ${sa.remoteEapId ?? sa.remoteId?.value} after EAP does not verify with the ${this.eap.msk ? 'MSK' : 'SK_pi key'}`, true, NotifyType.AUTHENTICATION_FAILED);
      }
      this.msk = this.eap.msk;
      sa.authenticated = true;
      if (notify(x.received, NotifyType.INITIAL_CONTACT)) this.initialContact(x);
      return DONE;
    }
    const e = eapPayload(x.received);
    if (!e) return failed('IKE_AUTH request without EAP payload during EAP', true, NotifyType.AUTHENTICATION_FAILED);
    if (this.acServer) return this.anyConnectStep(x, this.acServer.process(e.data));
    if (this.eapServer) return this.localEapResult(x, this.eapServer.process(e.data));
    try {
      const p = decodeEap(e.data);
      if (p.code === EapCode.Response && p.type === EapType.Identity) this.eapIdentity = p.data.toString('utf8');
    } catch {
      // relayed unmodified: the AAA server judges it
    }
    return this.toRadius(x, e.data);
  }

  private localEapResult(x: ExchangeContext, r: ReturnType<EapServer['process']>): TaskResult {
    const sa = x.sa;
    switch (r.kind) {
      case 'send':
        this.eap = { kind: 'eap', outEap: r.bytes };
        return AGAIN;
      case 'success':
        sa.remoteEapId = r.identity;
        this.eap = { kind: 'await-auth', outEap: r.bytes, msk: r.msk };
        sa.emit('info', `EAP ${r.method} succeeded for "${r.identity}" (local EAP server)`, { method: r.method, identity: r.identity, msk: !!r.msk });
        return AGAIN;
      case 'failure':
        this.eap = { kind: 'failed', outEap: r.bytes, reason: r.reason };
        return AGAIN;
      case 'ignore':
        return failed(`EAP response discarded: ${r.reason}`, true, NotifyType.AUTHENTICATION_FAILED);
    }
  }

  /** AnyConnect-EAP on the headend (F-AUTH-11..13): terminated here, passwords via local users or RADIUS. */
  private startAnyConnect(x: ExchangeContext, vid: boolean): TaskResult {
    const sa = x.sa;
    const profile = sa.profile!;
    const cfg = profile.anyconnectServer;
    if (!cfg) return failed(`profile ${profile.name} allows anyconnect-eap but has no AnyConnect-EAP settings (aaa authentication anyconnect-eap)`, true, NotifyType.AUTHENTICATION_FAILED);
    if (!vid && cfg.requireVendorId !== false) {
      return failed(`${sa.remoteId!.value} wants EAP without the CISCO-ANYCONNECT-EAP vendor ID; profile ${profile.name} only does AnyConnect-EAP`, true, NotifyType.AUTHENTICATION_FAILED);
    }
    if (!profile.credentials) return failed(`profile ${profile.name}: AnyConnect-EAP needs a certificate-based local method (authentication local rsa-sig)`, true, NotifyType.AUTHENTICATION_FAILED);
    sa.authRemoteMethod = 'AnyConnect-EAP';
    this.acServer = new AnyConnectServer({ vendorType: cfg.vendorType, certRequest: cfg.certRequest, random: x.core.random, tunnelGroup: profile.name, profiles: cfg.profiles });
    return this.anyConnectStep(x, this.acServer.start());
  }

  private anyConnectStep(x: ExchangeContext, step: AnyConnectServerStep): TaskResult {
    const sa = x.sa;
    const server = this.acServer!;
    switch (step.kind) {
      case 'send':
        sa.emit('info', step.note, { anyconnect: step.type, transcript: server.transcript.map((t) => `${t.dir === 'in' ? '<' : '>'}${t.type}${t.clientCert ? '+cert' : ''}`) });
        this.eap = { kind: 'eap', outEap: step.bytes };
        return AGAIN;
      case 'verify-device':
        return this.anyConnectStep(x, server.deviceChecked(this.verifyDevice(x, step.certs, step.sign)));
      case 'check-credentials': {
        const cfg = sa.profile!.anyconnectServer!;
        sa.remoteEapId = step.username;
        if (cfg.aaa === 'radius') {
          this.pendingAaa = 'login';
          x.core.requestAaa(sa, { kind: 'login', userName: step.username, password: step.password });
          return { status: 'defer' };
        }
        const stored = cfg.users?.[step.username];
        const ok = stored !== undefined && stored.length === step.password.length && timingSafeEqual(Buffer.from(stored), Buffer.from(step.password));
        return this.anyConnectStep(x, server.credentialsChecked(ok ? undefined : stored === undefined ? 'no such user in the local database' : 'wrong password'));
      }
      case 'success':
        sa.remoteEapId = step.username;
        this.eap = { kind: 'await-auth', outEap: step.bytes };
        sa.emit('info', `AnyConnect-EAP succeeded for "${step.username}" (no MSK: the final AUTH is keyed by SK_pi/SK_pr)`, { method: 'anyconnect-eap', identity: step.username, sessionId: server.sessionId });
        return AGAIN;
      case 'failure':
        this.eap = { kind: 'failed', outEap: step.bytes, reason: step.reason };
        return AGAIN;
      case 'ignore':
        return failed(`AnyConnect-EAP response discarded: ${step.reason}`, true, NotifyType.AUTHENTICATION_FAILED);
    }
  }

  /** Dual-factor: the device chain must lead to a trusted CA and SIGN verify with its key. */
  private verifyDevice(x: ExchangeContext, certs: X509Certificate[], sign: Buffer): string | undefined {
    const sa = x.sa;
    const [leaf, ...rest] = certs as [X509Certificate, ...X509Certificate[]];
    const v = certificateChainVerify(leaf, rest, sa.profile!.trustedCas, new Date(x.now));
    if (!v.ok) return `device certificate "${leaf.subject.replace(/\n/g, ', ')}" rejected: ${v.reason}`;
    let ok = false;
    try {
      ok = verifyAuth(classicMethodFor(leaf.publicKey), leaf, anyConnectSignOctets(sa), sign);
    } catch (e) {
      return `SIGN does not verify: ${(e as Error).message}`;
    }
    if (!ok) return 'SIGN does not verify with the device certificate';
    sa.emit('info', `AnyConnect-EAP device certificate "${leaf.subject.replace(/\n/g, ', ')}" verified`, { deviceCert: leaf.subject });
    return undefined;
  }

  private afterRadiusLogin(x: ExchangeContext, r: AaaResult): TaskResult {
    const sa = x.sa;
    this.pendingAaa = undefined;
    if (r.outcome === 'accept') sa.implicitAttributes = fromRadius(r.attributes ?? []);
    const problem = r.outcome === 'accept' ? undefined : r.outcome === 'reject' ? `RADIUS rejected it${r.server ? ` (${r.server})` : ''}` : `no answer from the RADIUS servers${r.reason ? ` (${r.reason})` : ''}`;
    return this.anyConnectStep(x, this.acServer!.credentialsChecked(problem));
  }

  private toRadius(x: ExchangeContext, eapMessage: Buffer): TaskResult {
    const sa = x.sa;
    this.pendingAaa = 'eap';
    x.core.requestAaa(sa, { kind: 'eap', userName: this.eapIdentity ?? sa.remoteId!.value, eapMessage, state: this.radiusState });
    return { status: 'defer' };
  }

  private afterRadiusEap(x: ExchangeContext, r: AaaResult): TaskResult {
    const sa = x.sa;
    this.pendingAaa = undefined;
    switch (r.outcome) {
      case 'challenge':
        this.radiusState = r.state;
        if (!r.eapMessage) return failed('Access-Challenge without EAP-Message', true, NotifyType.AUTHENTICATION_FAILED);
        this.eap = { kind: 'eap', outEap: r.eapMessage };
        return AGAIN;
      case 'accept': {
        sa.remoteEapId = r.attributes?.find((a) => a.name === 'User-Name')?.value ?? this.eapIdentity;
        sa.implicitAttributes = fromRadius(r.attributes ?? []);
        const success = r.eapMessage ?? encodeEap(successPacket(0));
        this.eap = { kind: 'await-auth', outEap: success, msk: r.msk };
        sa.emit('info', `RADIUS accepted "${sa.remoteEapId}"${r.server ? ` (${r.server})` : ''}${r.msk ? ', MSK received' : ', no MSK (non key-generating method)'}`, { userName: sa.remoteEapId, msk: !!r.msk, server: r.server });
        return AGAIN;
      }
      case 'reject':
        this.eap = { kind: 'failed', outEap: r.eapMessage ?? encodeEap(failurePacket(0)), reason: `RADIUS rejected "${this.eapIdentity ?? sa.remoteId?.value}"` };
        return AGAIN;
      case 'timeout':
        return failed(`no answer from the RADIUS servers${r.reason ? ` (${r.reason})` : ''}`, true, NotifyType.AUTHENTICATION_FAILED);
    }
  }

  buildResponse(x: ExchangeContext): void {
    const sa = x.sa;
    if (this.round === 1 && this.local && (sa.authenticated || this.eap.kind !== 'none')) {
      const id = localIdPayload(sa, PayloadType.IDr);
      this.myId = id;
      x.out.push(id);
      if (this.local.buildCredentials) x.out.push(...this.local.buildCredentials(x));
      const a = this.local.buildAuth(x, octetsFor(sa, false, id.idType, id.data));
      if (typeof a === 'string') {
        // Our own credentials are unusable: say so and give up (the peer sees AUTHENTICATION_FAILED).
        x.out.length = 0;
        x.out.push(mkNotify(NotifyType.AUTHENTICATION_FAILED));
        sa.emit('auth-failed', `cannot authenticate ourselves: ${a}`);
        afterResponse(x, () => sa.destroy(a, x.now));
        return;
      }
      sa.authLocalMethod = this.local.display;
      x.out.push(a);
    }
    if (this.eap.kind === 'eap' || this.eap.kind === 'await-auth' || this.eap.kind === 'failed') {
      if (!sa.authenticated) {
        x.out.push({ type: PayloadType.EAP, data: this.eap.outEap });
        if (this.eap.kind === 'failed') {
          const reason = this.eap.reason;
          sa.emit('auth-failed', `EAP authentication of ${sa.remoteId?.value} failed: ${reason}`);
          afterResponse(x, () => sa.destroy(reason, x.now));
        } else {
          afterResponse(x, () => x.core.armEapTimeout(sa, x.now));
        }
        return;
      }
      // The final response: our AUTH keyed by the MSK (or SK_pr), then CP, SA, TS from the other tasks.
      x.out.push(eapAuthPayload(sa, false, this.myId!, this.msk));
    }
    if (sa.authenticated) this.establish(x);
  }

  private establish(x: ExchangeContext): void {
    const sa = x.sa;
    if (sa.state === 'ESTABLISHED') return;
    sa.state = 'ESTABLISHED';
    sa.establishedAt = x.now;
    x.core.counter('ike-established');
    sa.emit('ike-established', `IKE SA ${sa.name} established with ${sa.peer}: ${sa.localId?.value} <-> ${sa.remoteId?.value}${sa.remoteEapId ? ` (EAP ${sa.remoteEapId})` : ''}, auth ${sa.authLocalMethod}/${sa.authRemoteMethod}`, {
      localId: sa.localId?.value, remoteId: sa.remoteId?.value, remoteEapId: sa.remoteEapId, authSign: sa.authLocalMethod, authVerify: sa.authRemoteMethod,
      initiator: sa.initiator, spiI: sa.spiI.toString('hex'), spiR: sa.spiR.toString('hex'),
    });
    x.core.established(sa, x.now);
  }

  /** RFC 7296 2.4: INITIAL_CONTACT means the peer holds no other SA with us; old ones are stale. */
  private initialContact(x: ExchangeContext): void {
    for (const other of x.core.ikeSasByRemoteId(x.sa)) {
      if (other === x.sa || other.state === 'DELETED') continue;
      x.sa.emit('info', `INITIAL_CONTACT from ${x.sa.remoteId?.value}: removing stale IKE SA ${other.localSpi.toString('hex')}`, { stale: other.id });
      other.destroy('replaced after INITIAL_CONTACT', x.now);
    }
  }
}

