// Certificate authentication: RSA (AUTH method 1, PKCS#1 v1.5 with SHA-1), ECDSA (methods 9-11,
// RFC 4754) and Digital Signature (method 14, RFC 7427) when the peer announced
// SIGNATURE_HASH_ALGORITHMS. The peer's chain is checked against the profile's trusted CAs and its
// identity must be vouched for by the certificate.

import { X509Certificate } from 'node:crypto';
import { AuthMethod, CertEncoding, HashAlgorithm, PayloadType } from '../constants.ts';
import type { AuthPayload, CertPayload, Payload } from '../message.ts';
import type { ExchangeContext } from '../sa/task.ts';
import type { Authenticator } from './authenticator.ts';
import { signAuth, verifyAuth } from '../crypto/auth.ts';
import { certificateChainVerify, certMatchesIdentity } from '../crypto/certs.ts';
import { certs as certPayloads } from '../payload-util.ts';

export class PubkeyAuthenticator implements Authenticator {
  constructor(readonly display: 'RSA' | 'ECDSA') {}

  buildCredentials(x: ExchangeContext): Payload[] {
    const c = x.sa.profile?.credentials;
    if (!c) return [];
    return [c.cert, ...c.chain].map((cert): CertPayload => ({ type: PayloadType.CERT, encoding: CertEncoding.X509_SIGNATURE, data: cert.raw }));
  }

  buildAuth(x: ExchangeContext, octets: Buffer): AuthPayload | string {
    const c = x.sa.profile?.credentials;
    if (!c) return `profile ${x.sa.profile?.name} has no certificate and key for ${this.display} authentication`;
    const keyType = c.key.asymmetricKeyType;
    const peerHashes = x.sa.peerSignatureHashes;
    let method: AuthMethod;
    let hash: 'sha1' | 'sha256' | 'sha384' | 'sha512' = 'sha256';
    if (peerHashes.includes(HashAlgorithm.SHA2_256)) {
      method = AuthMethod.DIGITAL_SIGNATURE;
    } else if (keyType === 'rsa') {
      method = AuthMethod.RSA_SIG;
      hash = 'sha1';
    } else {
      const curve = c.key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') method = AuthMethod.ECDSA_SHA256_P256;
      else if (curve === 'secp384r1') { method = AuthMethod.ECDSA_SHA384_P384; hash = 'sha384'; }
      else if (curve === 'secp521r1') { method = AuthMethod.ECDSA_SHA512_P521; hash = 'sha512'; }
      else return `key type ${keyType}/${curve} cannot sign without RFC 7427 support from the peer`;
    }
    try {
      return { type: PayloadType.AUTH, method, data: signAuth(method, c.key, octets, { hash }) };
    } catch (e) {
      return `signing failed: ${(e as Error).message}`;
    }
  }

  verify(x: ExchangeContext, auth: AuthPayload, octets: Buffer): string | undefined {
    const sa = x.sa;
    const profile = sa.profile!;
    if (![AuthMethod.RSA_SIG, AuthMethod.DIGITAL_SIGNATURE, AuthMethod.ECDSA_SHA256_P256, AuthMethod.ECDSA_SHA384_P384, AuthMethod.ECDSA_SHA512_P521].includes(auth.method as AuthMethod)) {
      return `peer used AUTH method ${auth.method}, profile expects a signature`;
    }
    const received = certPayloads(x.received).filter((c) => c.encoding === CertEncoding.X509_SIGNATURE);
    if (!received.length) return 'peer sent no X.509 certificate';
    let chain: X509Certificate[];
    try {
      chain = received.map((c) => new X509Certificate(c.data));
    } catch (e) {
      return `peer certificate does not parse: ${(e as Error).message}`;
    }
    const [leaf, ...intermediates] = chain as [X509Certificate, ...X509Certificate[]];
    const v = certificateChainVerify(leaf, intermediates, profile.trustedCas, new Date(x.now));
    if (!v.ok) return `peer certificate "${leaf.subject.replace(/\n/g, ', ')}" rejected: ${v.reason}`;
    const id = sa.initiator ? x.received.find((p) => p.type === PayloadType.IDr) : x.received.find((p) => p.type === PayloadType.IDi);
    if (id && 'idType' in id && !certMatchesIdentity(leaf, id.idType, id.data)) {
      return `peer identity is not vouched for by its certificate (subject ${leaf.subject.replace(/\n/g, ', ')}, SAN ${leaf.subjectAltName ?? 'none'})`;
    }
    const keyType = leaf.publicKey.asymmetricKeyType;
    if (this.display === 'ECDSA' && keyType !== 'ec') return `profile expects ECDSA but the peer certificate has a ${keyType} key`;
    if (this.display === 'RSA' && keyType !== 'rsa' && keyType !== 'rsa-pss') return `profile expects RSA but the peer certificate has a ${keyType} key`;
    try {
      if (!verifyAuth(auth.method, leaf, octets, auth.data)) return 'signature in AUTH payload does not verify';
    } catch (e) {
      return `signature in AUTH payload does not verify: ${(e as Error).message}`;
    }
    return undefined;
  }
}
