// X.509 certificates for IKE authentication: PEM loading, chain verification against configured
// CAs at an injected time, identity matching (ID payload vs subject/subjectAltName), the CERTREQ
// hash (RFC 7296 section 3.7) and extended key usage. Node's X509Certificate does the signature
// checks and name matching; der.ts only locates byte ranges Node does not expose.

import { Buffer } from 'node:buffer';
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { bytesToIp } from '../../util/ip.ts';
import { IdType } from '../constants.ts';
import { children, content, readElement, readWhole, TAG, whole } from './der.ts';
import type { DerElement } from './der.ts';
import { MalformedCryptoDataError, PemError } from './errors.ts';

// ---- PEM -------------------------------------------------------------------------------------------

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

export interface PemContents {
  certificates: X509Certificate[];
  /** The first private key block, if any. */
  privateKey?: KeyObject;
}

/**
 * Parses a PEM text holding certificates and/or one private key (PKCS#8, traditional RSA/EC, or
 * encrypted PKCS#8 with `passphrase`). `source` names the file in error messages.
 */
export function loadPem(pem: string | Buffer, opts: { source?: string; passphrase?: string } = {}): PemContents {
  const source = opts.source ?? 'PEM input';
  const text = typeof pem === 'string' ? pem : pem.toString('utf8');
  const out: PemContents = { certificates: [] };
  let n = 0;
  for (const m of text.matchAll(PEM_BLOCK)) {
    n++;
    const label = m[1]!;
    const line = text.slice(0, m.index).split('\n').length;
    if (label === 'CERTIFICATE') {
      try {
        out.certificates.push(new X509Certificate(m[0]));
      } catch (e) {
        throw new PemError(source, `line ${line}: certificate does not parse (${(e as Error).message})`);
      }
    } else if (/PRIVATE KEY$/.test(label)) {
      if (out.privateKey) continue;
      try {
        out.privateKey = createPrivateKey({ key: m[0], format: 'pem', ...(opts.passphrase !== undefined ? { passphrase: opts.passphrase } : {}) });
      } catch (e) {
        throw new PemError(source, `line ${line}: ${label} does not parse (${(e as Error).message})`);
      }
    }
  }
  if (n === 0) throw new PemError(source, 'no PEM block (-----BEGIN ...-----) found');
  return out;
}

export function loadPemCertificates(pem: string | Buffer, source?: string): X509Certificate[] {
  const { certificates } = loadPem(pem, source !== undefined ? { source } : {});
  if (certificates.length === 0) throw new PemError(source ?? 'PEM input', 'no CERTIFICATE block found');
  return certificates;
}

export function loadPemPrivateKey(pem: string | Buffer, opts: { source?: string; passphrase?: string } = {}): KeyObject {
  const { privateKey } = loadPem(pem, opts);
  if (!privateKey) throw new PemError(opts.source ?? 'PEM input', 'no PRIVATE KEY block found');
  return privateKey;
}

// ---- DER views Node does not offer ----------------------------------------------------------------

interface TbsParts {
  subject: DerElement;
  spki: DerElement;
  extensions: DerElement[];
}

function tbsParts(der: Buffer): TbsParts {
  const cert = readWhole(der);
  const [tbs] = children(der, cert);
  if (cert.tag !== TAG.SEQUENCE || !tbs || tbs.tag !== TAG.SEQUENCE) throw new MalformedCryptoDataError('certificate: not a SEQUENCE');
  const f = children(der, tbs);
  // TBSCertificate (RFC 5280 4.1): [0] version?, serial, signature, issuer, validity, subject, spki, ..., [3] extensions?
  const o = f[0]?.tag === TAG.context(0) ? 1 : 0;
  const subject = f[o + 4];
  const spki = f[o + 5];
  if (!subject || !spki || subject.tag !== TAG.SEQUENCE || spki.tag !== TAG.SEQUENCE) {
    throw new MalformedCryptoDataError('certificate: subject or subjectPublicKeyInfo missing');
  }
  const extWrapper = f.slice(o + 6).find((e) => e.tag === TAG.context(3));
  let extensions: DerElement[] = [];
  if (extWrapper) {
    const [seq] = children(der, extWrapper);
    if (seq) extensions = children(der, seq);
  }
  return { subject, spki, extensions };
}

/** DER of the subject Name: the bytes an ID_DER_ASN1_DN identity carries. */
export function subjectDer(cert: X509Certificate): Buffer {
  const raw = cert.raw;
  return Buffer.from(whole(raw, tbsParts(raw).subject));
}

/** DER of the SubjectPublicKeyInfo element exactly as in the certificate. */
export function spkiDer(cert: X509Certificate): Buffer {
  const raw = cert.raw;
  return Buffer.from(whole(raw, tbsParts(raw).spki));
}

/** CERTREQ Certification Authority entry: SHA-1 of the CA's SubjectPublicKeyInfo (RFC 7296 3.7). */
export function certReqHash(caCert: X509Certificate): Buffer {
  return createHash('sha1').update(spkiDer(caCert)).digest();
}

/** Splits CERTREQ data (X.509 Signature encoding) into its 20-byte hashes; a ragged tail is malformed. */
export function splitCertReqHashes(data: Buffer): Buffer[] {
  if (data.length % 20 !== 0) throw new MalformedCryptoDataError(`CERTREQ data of ${data.length} bytes is not a list of SHA-1 hashes`);
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += 20) out.push(Buffer.from(data.subarray(i, i + 20)));
  return out;
}

const OID_SUBJECT_KEY_IDENTIFIER = '551d0e'; // 2.5.29.14

/**
 * Key identifier of a certificate: its subjectKeyIdentifier extension, or when absent the SHA-1 of
 * the subjectPublicKey BIT STRING (RFC 5280 4.2.1.2 method 1, what OpenSSL and strongSwan use).
 */
export function keyIdOf(cert: X509Certificate): Buffer {
  const raw = cert.raw;
  const { spki, extensions } = tbsParts(raw);
  for (const ext of extensions) {
    const [oid, ...rest] = children(raw, ext);
    if (oid?.tag === TAG.OID && content(raw, oid).toString('hex') === OID_SUBJECT_KEY_IDENTIFIER) {
      const value = rest[rest.length - 1]!; // extnValue OCTET STRING wrapping the KeyIdentifier OCTET STRING
      const inner = readElement(raw, value.contentStart, value.end);
      if (inner.tag === TAG.OCTET_STRING) return Buffer.from(content(raw, inner));
    }
  }
  return createHash('sha1').update(subjectPublicKeyBits(raw, spki)).digest();
}

function subjectPublicKeyBits(raw: Buffer, spki: DerElement): Buffer {
  const bits = children(raw, spki)[1];
  if (!bits || bits.tag !== TAG.BIT_STRING) throw new MalformedCryptoDataError('subjectPublicKeyInfo: BIT STRING missing');
  return content(raw, bits).subarray(1); // skip the unused-bits octet
}

// ---- extended key usage ------------------------------------------------------------------------------

export const EKU = {
  SERVER_AUTH: '1.3.6.1.5.5.7.3.1',
  CLIENT_AUTH: '1.3.6.1.5.5.7.3.2',
  IPSEC_IKE: '1.3.6.1.5.5.7.3.17', // RFC 4945 5.1.3.12
  IKE_INTERMEDIATE: '1.3.6.1.5.5.8.2.2', // Microsoft/legacy "IP security IKE intermediate"
} as const;

/** The certificate's extended key usage OIDs, or undefined when it has no EKU extension
 *  (which RFC 5280 4.2.1.12 reads as "any purpose"). */
export function extendedKeyUsages(cert: X509Certificate): string[] | undefined {
  // Node 20 calls the EKU list `keyUsage` (renamed extKeyUsage in later releases).
  const c = cert as X509Certificate & { extKeyUsage?: string[] };
  return c.extKeyUsage ?? c.keyUsage;
}

export function hasExtendedKeyUsage(cert: X509Certificate, oid: string): boolean {
  return extendedKeyUsages(cert)?.includes(oid) ?? false;
}

// ---- identity -----------------------------------------------------------------------------------------

/**
 * Whether the certificate proves the identity of an ID payload: FQDN / RFC822 / IPv4 / IPv6
 * against subjectAltName dNSName / rfc822Name / iPAddress (exact, case-insensitive names, no
 * wildcard expansion), DER DN byte for byte against the subject, KEY_ID against the key identifier
 * or the SHA-1 of the public key. Other ID types never match.
 */
export function certMatchesIdentity(cert: X509Certificate, idType: IdType | number, idData: Buffer): boolean {
  try {
    switch (idType) {
      case IdType.ID_FQDN:
        return cert.checkHost(idData.toString('latin1'), { subject: 'never', wildcards: false, partialWildcards: false }) !== undefined;
      case IdType.ID_RFC822_ADDR:
        return cert.checkEmail(idData.toString('latin1'), { subject: 'never' }) !== undefined;
      case IdType.ID_IPV4_ADDR:
        return idData.length === 4 && cert.checkIP(bytesToIp(idData)) !== undefined;
      case IdType.ID_IPV6_ADDR:
        return idData.length === 16 && cert.checkIP(bytesToIp(idData)) !== undefined;
      case IdType.ID_DER_ASN1_DN:
        return subjectDer(cert).equals(idData);
      case IdType.ID_KEY_ID: {
        const raw = cert.raw;
        const spki = tbsParts(raw).spki;
        return keyIdOf(cert).equals(idData)
          || createHash('sha1').update(subjectPublicKeyBits(raw, spki)).digest().equals(idData)
          || createHash('sha1').update(whole(raw, spki)).digest().equals(idData);
      }
      default:
        return false;
    }
  } catch {
    return false; // a name Node refuses to compare (embedded NUL, bad DER) is no match
  }
}

// ---- chain ----------------------------------------------------------------------------------------------

export type ChainResult = { ok: true; chain: X509Certificate[] } | { ok: false; reason: string };

const MAX_CHAIN_DEPTH = 8;

/**
 * Verifies leaf -> intermediates* -> one of `trustedCas` at time `now`: each certificate valid at
 * `now`, signed by the next (names checked with checkIssued, signature with verify), every issuer a
 * CA (basicConstraints cA), the anchor one of the configured CAs. `chain` runs leaf first, anchor last.
 * Revocation is not checked.
 */
export function certificateChainVerify(
  leaf: X509Certificate, intermediates: readonly X509Certificate[], trustedCas: readonly X509Certificate[], now: Date,
): ChainResult {
  const chain: X509Certificate[] = [leaf];
  const used = new Set<string>([leaf.fingerprint256]);
  let current = leaf;
  for (let depth = 0; depth < MAX_CHAIN_DEPTH; depth++) {
    const validity = checkValidity(current, now);
    if (validity) return { ok: false, reason: validity };
    if (trustedCas.some((ca) => ca.fingerprint256 === current.fingerprint256) && current.ca) return { ok: true, chain };

    let why = '';
    const anchor = trustedCas.find((ca) => {
      const r = issuedBy(current, ca);
      if (r) why ||= r;
      return r === undefined;
    });
    if (anchor) {
      const v = checkValidity(anchor, now);
      if (v) return { ok: false, reason: `trusted CA ${v}` };
      chain.push(anchor);
      return { ok: true, chain };
    }
    const next = intermediates.find((c) => {
      if (used.has(c.fingerprint256)) return false;
      const r = issuedBy(current, c);
      if (r) why ||= r;
      return r === undefined;
    });
    if (!next) {
      const detail = why
        || (current.subject === current.issuer
          ? `the chain ends at "${oneLine(current.subject)}", a root that is not among the trusted CAs`
          : `no trusted CA or intermediate issued "${oneLine(current.subject)}" (issuer "${oneLine(current.issuer)}")`);
      return { ok: false, reason: `"${oneLine(leaf.subject)}": ${detail}${why ? '' : ': unknown CA'}` };
    }
    used.add(next.fingerprint256);
    chain.push(next);
    current = next;
  }
  return { ok: false, reason: `certificate chain longer than ${MAX_CHAIN_DEPTH}` };
}

/** undefined when `issuer` issued `cert`; otherwise why not ('' when the names do not even match). */
function issuedBy(cert: X509Certificate, issuer: X509Certificate): string | undefined {
  if (cert.issuer !== issuer.subject) return '';
  const who = `"${oneLine(issuer.subject)}"`;
  // checkIssued is OpenSSL's X509_check_issued: names, authority key id, and the issuer's keyUsage.
  if (!cert.checkIssued(issuer)) return `${who} is named as issuer of "${oneLine(cert.subject)}" but may not sign certificates (keyUsage) or its key identifier differs`;
  if (!issuer.ca) return `${who} is not a CA (basicConstraints) but issued "${oneLine(cert.subject)}"`;
  let good = false;
  try {
    good = cert.verify(issuer.publicKey);
  } catch {
    good = false;
  }
  return good ? undefined : `signature of "${oneLine(cert.subject)}" does not verify with the key of ${who}`;
}

function checkValidity(cert: X509Certificate, now: Date): string | undefined {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  const name = oneLine(cert.subject);
  if (Number.isNaN(from) || Number.isNaN(to)) return `"${name}" has unreadable validity dates`;
  if (now.getTime() < from) return `"${name}" is not valid before ${new Date(from).toISOString()}`;
  if (now.getTime() > to) return `"${name}" expired at ${new Date(to).toISOString()}`;
  return undefined;
}

function oneLine(dn: string): string {
  return dn.split('\n').join(', ');
}
