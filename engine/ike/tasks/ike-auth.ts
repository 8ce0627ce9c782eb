// IKE_AUTH (RFC 7296 1.2, 2.15): identities, certificates and AUTH payloads; profile selection by
// the peer's identity on the responder (`match identity remote`, F-CORE-11); INITIAL_CONTACT.
// EAP (initiator without AUTH) is a multi-round continuation handled by an EAP authenticator.

import { X509Certificate } from 'node:crypto';
import { AuthMethod, CertEncoding, NotifyType, PayloadType, enumName } from '../constants.ts';
import type { Ikev2Profile, RemoteAuthMethod } from '../config.ts';
import type { IdPayload, Payload } from '../message.ts';
import type { ExchangeContext, Task, TaskResult } from '../sa/task.ts';
import { DONE, afterResponse, failed } from '../sa/task.ts';
import { auth as authPayload, certs as certPayloads, firstError, idi, idr, mkNotify, notify } from '../payload-util.ts';
import { identityMatches, identityToPayload, payloadToIdentity } from '../identity.ts';
import { authenticatorFor } from '../auth/index.ts';
import type { Authenticator } from '../auth/authenticator.ts';
import { octetsFor } from '../auth/authenticator.ts';
import { certReqHash } from '../crypto/certs.ts';
import type { IkeSa } from '../sa/ike-sa.ts';

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
  return [{ type: PayloadType.CERTREQ, encoding: CertEncoding.X509_SIGNATURE, data: Buffer.concat(profile.trustedCas.map(certReqHash)) }];
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

export class IkeAuthTask implements Task {
  readonly name = 'ike-auth';
  private local?: Authenticator;
  private round = 0;

  // ----- initiator -----

  buildRequest(x: ExchangeContext): void {
    const sa = x.sa;
    this.round++;
    const profile = sa.profile!;
    this.local = authenticatorFor(profile.authLocal);
    const id = localIdPayload(sa, PayloadType.IDi);
    x.out.push(id);
    if (this.local?.buildCredentials) x.out.push(...this.local.buildCredentials(x));
    if (sa.initialContact) x.out.push(mkNotify(NotifyType.INITIAL_CONTACT));
    x.out.push(...certReqPayload(profile));
    if (profile.authLocal === 'eap') return; // no AUTH: the responder starts EAP (RFC 7296 2.16)
    const a = this.local!.buildAuth(x, octetsFor(sa, true, id.idType, id.data));
    if (typeof a === 'string') {
      x.shared.localAuthError = a;
      return;
    }
    sa.authLocalMethod = this.local!.display;
    x.out.push(a);
  }

  processResponse(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    const err = firstError(x.received);
    if (err && !x.received.some((p) => p.type === PayloadType.AUTH)) {
      return failed(`responder refused authentication: ${enumName(NotifyType, err.notifyType)}`, true, err.notifyType);
    }
    const idPayload = idr(x.received);
    const auth = authPayload(x.received);
    if (idPayload) sa.remoteId = payloadToIdentity(idPayload);
    if (!auth) {
      if (x.received.some((p) => p.type === PayloadType.EAP)) return failed('responder wants EAP but this profile does not use it', true, NotifyType.AUTHENTICATION_FAILED);
      return failed('IKE_AUTH response carries no AUTH payload', true, NotifyType.AUTHENTICATION_FAILED);
    }
    if (!idPayload) return failed('IKE_AUTH response carries no IDr', true, NotifyType.INVALID_SYNTAX);
    const profile = sa.profile!;
    const method = remoteMethodOf(auth.method, x.received, profile.authRemote);
    if (!method) return failed(`responder authenticated with AUTH method ${enumName(AuthMethod, auth.method)}, profile ${profile.name} allows ${profile.authRemote.join(', ')}`, true, NotifyType.AUTHENTICATION_FAILED);
    const verifier = authenticatorFor(method)!;
    const problem = verifier.verify(x, auth, octetsFor(sa, false, idPayload.idType, idPayload.data));
    if (problem) return failed(`authentication of responder ${sa.remoteId?.value} failed: ${problem}`, true, NotifyType.AUTHENTICATION_FAILED);
    sa.authRemoteMethod = verifier.display;
    sa.authenticated = true;
    this.establish(x);
    return DONE;
  }

  // ----- responder -----

  processRequest(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    this.round++;
    const idPayload = idi(x.received);
    if (!idPayload) return failed('IKE_AUTH request carries no IDi', true, NotifyType.AUTHENTICATION_FAILED);
    sa.remoteId = payloadToIdentity(idPayload);
    const auth = authPayload(x.received);
    // Profile selection (F-CORE-11): the first profile whose `match identity remote` matches and
    // which accepts the method the initiator uses.
    const candidates = x.core.profiles.filter((p) => p.matchRemote.some((m) => identityMatches(m, sa.remoteId!)));
    const profile = candidates.find((p) => (auth ? !!remoteMethodOf(auth.method, x.received, p.authRemote) : p.authRemote.includes('eap')));
    if (!profile) {
      const why = candidates.length
        ? `profile ${candidates.map((p) => p.name).join(', ')} does not accept ${auth ? `AUTH method ${enumName(AuthMethod, auth.method)}` : 'EAP'}`
        : `no IKEv2 profile matches identity ${sa.remoteId.type} "${sa.remoteId.value}"`;
      return failed(`authentication of ${sa.remoteId.value} failed: ${why}`, true, NotifyType.AUTHENTICATION_FAILED);
    }
    sa.profile = profile;
    sa.name = profile.name;
    sa.emit('info', `peer identity ${sa.remoteId.type} "${sa.remoteId.value}" selected profile ${profile.name}`, { profile: profile.name, identity: sa.remoteId });
    if (!auth) {
      return failed(`${sa.remoteId.value} asked for EAP, which profile ${profile.name} cannot do`, true, NotifyType.AUTHENTICATION_FAILED);
    }
    const method = remoteMethodOf(auth.method, x.received, profile.authRemote)!;
    const verifier = authenticatorFor(method);
    if (!verifier) return failed(`no authenticator for ${method}`, true, NotifyType.AUTHENTICATION_FAILED);
    const problem = verifier.verify(x, auth, octetsFor(sa, true, idPayload.idType, idPayload.data));
    if (problem) return failed(`authentication of ${sa.remoteId.value} failed: ${problem}`, true, NotifyType.AUTHENTICATION_FAILED);
    sa.authRemoteMethod = verifier.display;
    this.local = authenticatorFor(profile.authLocal);
    if (!this.local) return failed(`profile ${profile.name}: local method ${profile.authLocal} cannot authenticate a responder`, true, NotifyType.AUTHENTICATION_FAILED);
    sa.authenticated = true;
    if (notify(x.received, NotifyType.INITIAL_CONTACT)) this.initialContact(x);
    return DONE;
  }

  buildResponse(x: ExchangeContext): void {
    const sa = x.sa;
    if (!sa.authenticated || !this.local) return;
    const id = localIdPayload(sa, PayloadType.IDr);
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
    this.establish(x);
  }

  private establish(x: ExchangeContext): void {
    const sa = x.sa;
    sa.state = 'ESTABLISHED';
    sa.establishedAt = x.now;
    x.core.counter('ike-established');
    sa.emit('ike-established', `IKE SA ${sa.name} established with ${sa.peer}: ${sa.localId?.value} <-> ${sa.remoteId?.value}, auth ${sa.authLocalMethod}/${sa.authRemoteMethod}`, {
      localId: sa.localId?.value, remoteId: sa.remoteId?.value, authSign: sa.authLocalMethod, authVerify: sa.authRemoteMethod,
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

