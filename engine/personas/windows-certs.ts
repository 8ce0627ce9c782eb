// The certificate rules of the Windows IKEv2 client (ikev2-notes.md 3a, after strongSwan's
// "Windows certificate requirements" page and seed F-WIN-01):
//   server certificate: EKU serverAuth (IKE-intermediate alongside is harmless); the server name
//   typed in the connection in the subject CN or a dNSName SAN, an IP address too (as a dNSName,
//   an iPAddress SAN does not count); RSA or ECDSA P-256/P-384 keys only. The registry switch
//   DisableIKENameEkuCheck skips the name and EKU checks. A violation: error 13801.
//   machine certificate: one that chains to a trusted root, with clientAuth in its EKU list (a list
//   without it makes Windows skip the certificate) and a private key. None: error 13806.

import type { X509Certificate } from 'node:crypto';
import type { CertificateCredentials, PolicyViolation } from '../ike/config.ts';
import { EKU, certificateChainVerify, extendedKeyUsages } from '../ike/crypto/certs.ts';
import { win32 } from './windows-errors.ts';

/** Subject CN values of a certificate (Node prints the subject one attribute per line). */
export function subjectCommonNames(cert: X509Certificate): string[] {
  return cert.subject.split('\n').filter((l) => l.startsWith('CN=')).map((l) => l.slice(3));
}

/** subjectAltName entries of one kind ("DNS", "IP Address", "email"). */
export function sanEntries(cert: X509Certificate, kind: string): string[] {
  const san = cert.subjectAltName;
  if (!san) return [];
  return san.split(/,\s*/).filter((e) => e.startsWith(`${kind}:`)).map((e) => e.slice(kind.length + 1));
}

export interface ServerCertRules {
  /** The server name or address as typed in the VPN connection. */
  serverName: string;
  /** Registry DisableIKENameEkuCheck: skip the name and EKU checks. */
  disableNameEkuCheck?: boolean;
}

function violation(reason: string): PolicyViolation {
  return { reason, clientError: win32('ERROR_IPSEC_IKE_AUTH_FAIL') };
}

/** Windows' checks of the VPN server's certificate; undefined when it is acceptable. */
export function checkServerCertificate(leaf: X509Certificate, rules: ServerCertRules): PolicyViolation | undefined {
  const key = leaf.publicKey;
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve !== 'prime256v1' && curve !== 'secp384r1') return violation(`ECDSA key on curve ${curve ?? 'unknown'}: Windows accepts only P-256 and P-384`);
  } else if (key.asymmetricKeyType !== 'rsa') {
    return violation(`${key.asymmetricKeyType} key: Windows accepts only RSA and ECDSA P-256/P-384 server keys`);
  }
  if (rules.disableNameEkuCheck) return undefined;
  const ekus = extendedKeyUsages(leaf) ?? [];
  if (!ekus.includes(EKU.SERVER_AUTH)) {
    return violation(`no serverAuth (${EKU.SERVER_AUTH}) extended key usage${ekus.length ? ` (EKUs: ${ekus.join(', ')})` : ' (no EKU extension)'}`);
  }
  const want = rules.serverName.toLowerCase();
  const dns = sanEntries(leaf, 'DNS').map((d) => d.toLowerCase());
  const cns = subjectCommonNames(leaf).map((c) => c.toLowerCase());
  if (dns.includes(want) || cns.includes(want)) return undefined;
  const ipSan = sanEntries(leaf, 'IP Address');
  if (ipSan.some((a) => a.toLowerCase() === want)) {
    return violation(`server "${rules.serverName}" is only an iPAddress SAN; Windows needs the address as a dNSName SAN (or the subject CN)`);
  }
  return violation(`server name "${rules.serverName}" is neither the subject CN (${cns.join(', ') || 'none'}) nor a dNSName SAN (${dns.join(', ') || 'none'})`);
}

/** Whether Windows finds a usable machine certificate; the violation carries error 13806. */
export function checkMachineCertificate(creds: CertificateCredentials | undefined, trustedRoots: X509Certificate[], now: number): PolicyViolation | undefined {
  const none = (reason: string): PolicyViolation => ({ reason: `no usable machine certificate: ${reason}`, clientError: win32('ERROR_IPSEC_IKE_NO_CERT') });
  if (!creds) return none('the machine store holds none (pki.certificate)');
  const ekus = extendedKeyUsages(creds.cert);
  if (ekus && !ekus.includes(EKU.CLIENT_AUTH)) return none(`its extended key usages (${ekus.join(', ')}) lack clientAuth (${EKU.CLIENT_AUTH})`);
  const chain = certificateChainVerify(creds.cert, creds.chain, trustedRoots, new Date(now));
  if (!chain.ok) return none(`it does not chain to a trusted root: ${chain.reason}`);
  return undefined;
}
