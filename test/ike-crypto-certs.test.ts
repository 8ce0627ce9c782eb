// Certificates for IKE authentication, with the fixture PKI (test/fixtures/pki, made by make.sh):
// PEM loading, chain verification at an injected time (root, intermediate, unknown CA, expired,
// not-yet-valid, non-CA issuer, bad signature), identity matching for every ID type, the CERTREQ
// hash against OpenSSL's own SubjectPublicKeyInfo, key identifiers and extended key usage.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { IdType } from '../engine/ike/constants.ts';
import {
  certificateChainVerify, certMatchesIdentity, certReqHash, EKU, extendedKeyUsages, hasExtendedKeyUsage, keyIdOf,
  loadPem, loadPemCertificates, loadPemPrivateKey, splitCertReqHashes, spkiDer, subjectDer,
} from '../engine/ike/crypto/certs.ts';
import { MalformedCryptoDataError, PemError } from '../engine/ike/crypto/errors.ts';
import { ipToBytes } from '../engine/util/ip.ts';

const PKI = new URL('./fixtures/pki/', import.meta.url);
const pkiPath = (f: string): string => new URL(f, PKI).pathname;
const cert = (name: string): X509Certificate => loadPemCertificates(readFileSync(pkiPath(`${name}.cert.pem`)), `${name}.cert.pem`)[0]!;
const ca = cert('ca');
/** A moment inside the fixtures' validity, whenever make.sh ran. */
const now = new Date(Date.parse(ca.validFrom) + 86_400_000);
const LEAVES = ['hub-rsa', 'hub-ec', 'spoke1-rsa', 'spoke1-ec', 'spoke2-rsa', 'spoke2-ec', 'client1-rsa', 'client1-ec', 'hub-p384', 'hub-p521'];

test('loadPem reads certificates and a private key; errors name the source and line', (t) => {
  const both = readFileSync(pkiPath('hub-rsa.cert.pem'), 'utf8') + readFileSync(pkiPath('hub-rsa.key.pem'), 'utf8');
  const pem = loadPem(both, { source: 'hub.pem' });
  t.is(pem.certificates.length, 1);
  t.is(pem.privateKey?.asymmetricKeyType, 'rsa');
  t.true(pem.certificates[0]!.checkPrivateKey(pem.privateKey!));
  t.is(loadPemPrivateKey(readFileSync(pkiPath('hub-p521.key.pem'))).asymmetricKeyDetails?.namedCurve, 'secp521r1');

  const broken = '# comment\n\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
  const e = t.throws(() => loadPem(broken, { source: 'broken.pem' }), { instanceOf: PemError });
  t.regex(e!.message, /^broken\.pem: line 3: certificate does not parse/);
  t.throws(() => loadPem('no pem here', { source: 'x.pem' }), { instanceOf: PemError, message: /x\.pem: no PEM block/ });
  t.throws(() => loadPemCertificates(readFileSync(pkiPath('hub-ec.key.pem')), 'hub-ec.key.pem'), { instanceOf: PemError, message: /no CERTIFICATE/ });
  t.throws(() => loadPemPrivateKey(readFileSync(pkiPath('ca.cert.pem')), { source: 'ca.cert.pem' }), { instanceOf: PemError, message: /no PRIVATE KEY/ });
});

for (const name of LEAVES) {
  test(`chain OK: ${name} -> root CA`, (t) => {
    const r = certificateChainVerify(cert(name), [], [ca], now);
    t.true(r.ok, r.ok ? '' : r.reason);
    if (r.ok) t.deepEqual(r.chain.map((c) => c.subject), [cert(name).subject, ca.subject]);
    // Extra unrelated intermediates and CAs do not disturb it.
    t.true(certificateChainVerify(cert(name), [cert('rogue-ca'), cert('sub-ca')], [cert('rogue-ca'), ca], now).ok);
  });
}

test('chain through an intermediate CA', (t) => {
  const leaf = cert('spoke3-rsa');
  const r = certificateChainVerify(leaf, [cert('sub-ca')], [ca], now);
  t.true(r.ok);
  if (r.ok) t.is(r.chain.length, 3);
  const missing = certificateChainVerify(leaf, [], [ca], now);
  t.false(missing.ok);
  t.regex(missing.ok ? '' : missing.reason, /unknown CA/);
  t.true(certificateChainVerify(leaf, [], [cert('sub-ca')], now).ok, 'intermediate configured as trust anchor');
});

test('unknown CA', (t) => {
  for (const intermediates of [[], [cert('rogue-ca')]]) {
    const r = certificateChainVerify(cert('rogue-rsa'), intermediates, [ca], now);
    t.false(r.ok);
    t.regex(r.ok ? '' : r.reason, /spoke1\.flexlab\.test.*unknown CA/);
  }
  t.true(certificateChainVerify(cert('rogue-rsa'), [], [cert('rogue-ca')], now).ok);
});

test('expired and not-yet-valid certificates (injected time)', (t) => {
  const expired = certificateChainVerify(cert('expired-rsa'), [], [ca], now);
  t.false(expired.ok);
  t.regex(expired.ok ? '' : expired.reason, /expired\.flexlab\.test.*expired at 2021-01-01T00:00:00/);
  // At a time when the expired certificate was valid, the root was not yet.
  const early = certificateChainVerify(cert('expired-rsa'), [], [ca], new Date('2020-06-01T00:00:00Z'));
  t.false(early.ok);
  t.regex(early.ok ? '' : early.reason, /trusted CA .*not valid before/);
  const future = certificateChainVerify(cert('hub-rsa'), [], [ca], new Date(Date.parse(ca.validTo) + 1000));
  t.false(future.ok);
  t.regex(future.ok ? '' : future.reason, /expired/);
  const past = certificateChainVerify(cert('hub-rsa'), [], [ca], new Date(Date.parse(ca.validFrom) - 1000));
  t.false(past.ok);
  t.regex(past.ok ? '' : past.reason, /not valid before/);
});

test('an end-entity certificate cannot act as an issuer (basicConstraints)', (t) => {
  const r = certificateChainVerify(cert('notca-rsa'), [cert('hub-rsa')], [ca], now);
  t.false(r.ok);
  t.regex(r.ok ? '' : r.reason, /hub\.flexlab\.test.*may not sign certificates/);
});

test('a certificate whose signature was altered does not chain', (t) => {
  const raw = Buffer.from(cert('spoke1-rsa').raw);
  raw[raw.length - 10]! ^= 0x01; // inside the signature BIT STRING
  const tampered = new X509Certificate(raw);
  const r = certificateChainVerify(tampered, [], [ca], now);
  t.false(r.ok);
  t.regex(r.ok ? '' : r.reason, /does not verify/);
});

test('identity matching: FQDN, RFC822, IPv4, IPv6 against subjectAltName', (t) => {
  const hub = cert('hub-rsa');
  const fqdn = (s: string): Buffer => Buffer.from(s, 'ascii');
  t.true(certMatchesIdentity(hub, IdType.ID_FQDN, fqdn('hub.flexlab.test')));
  t.true(certMatchesIdentity(hub, IdType.ID_FQDN, fqdn('HUB.Flexlab.TEST')));
  t.false(certMatchesIdentity(hub, IdType.ID_FQDN, fqdn('spoke1.flexlab.test')));
  t.false(certMatchesIdentity(hub, IdType.ID_FQDN, fqdn('x.hub.flexlab.test')));
  t.false(certMatchesIdentity(hub, IdType.ID_FQDN, fqdn('flexlab.test')));
  t.false(certMatchesIdentity(hub, IdType.ID_RFC822_ADDR, fqdn('hub@flexlab.test')));

  for (const name of ['client1-rsa', 'client1-ec']) {
    const c = cert(name);
    t.true(certMatchesIdentity(c, IdType.ID_RFC822_ADDR, fqdn('client1@flexlab.test')));
    t.false(certMatchesIdentity(c, IdType.ID_RFC822_ADDR, fqdn('client2@flexlab.test')));
    t.true(certMatchesIdentity(c, IdType.ID_IPV4_ADDR, ipToBytes('192.0.2.101')));
    t.false(certMatchesIdentity(c, IdType.ID_IPV4_ADDR, ipToBytes('192.0.2.102')));
    t.true(certMatchesIdentity(c, IdType.ID_IPV6_ADDR, ipToBytes('2001:db8::101')));
    t.false(certMatchesIdentity(c, IdType.ID_IPV6_ADDR, ipToBytes('2001:db8::102')));
    t.false(certMatchesIdentity(c, IdType.ID_IPV4_ADDR, Buffer.alloc(3)), 'malformed address length');
  }
  t.false(certMatchesIdentity(hub, IdType.ID_IPV4_ADDR, ipToBytes('192.0.2.101')));
  t.false(certMatchesIdentity(hub, IdType.ID_DER_ASN1_GN, Buffer.alloc(4)));
});

test('identity matching: ID_DER_ASN1_DN is the subject DER, byte for byte', (t) => {
  const tlv = (tag: number, ...parts: Buffer[]): Buffer => { const c = Buffer.concat(parts); return Buffer.concat([Buffer.of(tag, c.length), c]); };
  const rdn = (oid: number, type: number, value: string): Buffer => tlv(0x31, tlv(0x30, tlv(0x06, Buffer.of(0x55, 0x04, oid)), tlv(type, Buffer.from(value))));
  // /C=ZZ/O=flexlab-test/CN=hub.flexlab.test as OpenSSL encodes it (PrintableString C, UTF8String O and CN).
  const dn = tlv(0x30, rdn(6, 0x13, 'ZZ'), rdn(10, 0x0c, 'flexlab-test'), rdn(3, 0x0c, 'hub.flexlab.test'));
  t.deepEqual(subjectDer(cert('hub-rsa')), dn);
  t.true(certMatchesIdentity(cert('hub-rsa'), IdType.ID_DER_ASN1_DN, dn));
  t.true(certMatchesIdentity(cert('hub-ec'), IdType.ID_DER_ASN1_DN, dn));
  t.false(certMatchesIdentity(cert('spoke1-rsa'), IdType.ID_DER_ASN1_DN, dn));
  t.false(certMatchesIdentity(cert('hub-rsa'), IdType.ID_DER_ASN1_DN, dn.subarray(0, dn.length - 1)));
});

test('CERTREQ hash = SHA-1 of the DER SubjectPublicKeyInfo, as OpenSSL computes it', (t) => {
  for (const name of ['ca', 'sub-ca', 'hub-ec', 'hub-p521']) {
    const pub = execFileSync('openssl', ['x509', '-in', pkiPath(`${name}.cert.pem`), '-noout', '-pubkey']);
    const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: pub });
    t.is(certReqHash(cert(name)).toString('hex'), createHash('sha1').update(der).digest('hex'), name);
    t.deepEqual(spkiDer(cert(name)), der);
  }
  const list = Buffer.concat([certReqHash(ca), certReqHash(cert('sub-ca'))]);
  t.deepEqual(splitCertReqHashes(list), [certReqHash(ca), certReqHash(cert('sub-ca'))]);
  t.throws(() => splitCertReqHashes(list.subarray(1)), { instanceOf: MalformedCryptoDataError });
});

test('key identifier: the subjectKeyIdentifier OpenSSL wrote; matches ID_KEY_ID', (t) => {
  for (const name of ['hub-rsa', 'client1-ec', 'ca']) {
    const text = execFileSync('openssl', ['x509', '-in', pkiPath(`${name}.cert.pem`), '-noout', '-ext', 'subjectKeyIdentifier'], { encoding: 'utf8' });
    const ski = /([0-9A-F]{2}(?::[0-9A-F]{2}){19})/.exec(text)![1]!.replace(/:/g, '').toLowerCase();
    t.is(keyIdOf(cert(name)).toString('hex'), ski, name);
    t.true(certMatchesIdentity(cert(name), IdType.ID_KEY_ID, Buffer.from(ski, 'hex')));
  }
  t.false(certMatchesIdentity(cert('hub-rsa'), IdType.ID_KEY_ID, keyIdOf(cert('hub-ec'))));
});

test('extended key usage', (t) => {
  const hub = cert('hub-rsa');
  t.deepEqual(extendedKeyUsages(hub), [EKU.SERVER_AUTH, EKU.CLIENT_AUTH]);
  t.true(hasExtendedKeyUsage(hub, EKU.SERVER_AUTH));
  t.true(hasExtendedKeyUsage(cert('client1-ec'), EKU.CLIENT_AUTH));
  t.false(hasExtendedKeyUsage(hub, EKU.IPSEC_IKE));
  t.is(extendedKeyUsages(ca), undefined); // no EKU extension at all
  t.false(hasExtendedKeyUsage(ca, EKU.SERVER_AUTH));
});
