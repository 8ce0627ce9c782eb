// AUTH payload data (RFC 7296 2.15/2.16, RFC 4754, RFC 7427): signed octets, shared-key and EAP
// MACs computed by hand, signature round trips for every method with the fixture keys, the RFC 7427
// AlgorithmIdentifier bytes (cross-checked with what OpenSSL writes into certificates), the
// SIGNATURE_HASH_ALGORITHMS helpers and the choice of signature scheme.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createHmac, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthMethod, HashAlgorithm, PrfId } from '../engine/ike/constants.ts';
import {
  algorithmIdentifier, checkAuthSignature, chooseSignatureScheme, decodeSignatureHashAlgorithms, eapAuth,
  encodeSignatureHashAlgorithms, KEY_PAD, parseAlgorithmIdentifier, pskAuth, signAuth, signedOctets, verifyAuth,
  verifyPskAuth,
} from '../engine/ike/crypto/auth.ts';
import type { SignatureHash } from '../engine/ike/crypto/auth.ts';
import { loadPemCertificates, loadPemPrivateKey } from '../engine/ike/crypto/certs.ts';
import { children, readWhole, whole } from '../engine/ike/crypto/der.ts';
import { MalformedCryptoDataError, UnsupportedAlgorithmError } from '../engine/ike/crypto/errors.ts';

const PKI = new URL('./fixtures/pki/', import.meta.url);
const pkiPath = (f: string): string => new URL(f, PKI).pathname;
const key = (name: string): KeyObject => loadPemPrivateKey(readFileSync(pkiPath(`${name}.key.pem`)), { source: `${name}.key.pem` });
const cert = (name: string): X509Certificate => loadPemCertificates(readFileSync(pkiPath(`${name}.cert.pem`)), `${name}.cert.pem`)[0]!;
const h = (s: string): Buffer => Buffer.from(s, 'hex');
const octets = Buffer.from('IKE_SA_INIT bytes | nonce | prf(SK_p, IDx\')');
const flip = (b: Buffer, i = 0): Buffer => { const c = Buffer.from(b); c[i % c.length]! ^= 0x01; return c; };

test('signedOctets = RealMessage | NonceData | prf(SK_p, IDx\')', (t) => {
  const realMessage = Buffer.from('the IKE_SA_INIT request as sent');
  const peerNonce = Buffer.alloc(32, 0x4e);
  const skP = Buffer.alloc(32, 0x50);
  const id = Buffer.concat([Buffer.from([2, 0, 0, 0]), Buffer.from('hub.flexlab.test')]);
  const out = signedOctets({ realMessage, peerNonce, prfId: PrfId.HMAC_SHA2_256, skP, idPayloadBody: id });
  t.deepEqual(out, Buffer.concat([realMessage, peerNonce, createHmac('sha256', skP).update(id).digest()]));
});

test('PSK AUTH = prf(prf(secret, "Key Pad for IKEv2"), octets), computed by hand', (t) => {
  t.is(KEY_PAD.toString('hex'), Buffer.from('Key Pad for IKEv2').toString('hex'));
  t.is(KEY_PAD.length, 17); // no terminating NUL
  const secret = Buffer.from('cisco123');
  for (const [prfId, hash] of [[PrfId.HMAC_SHA1, 'sha1'], [PrfId.HMAC_SHA2_256, 'sha256'], [PrfId.HMAC_SHA2_512, 'sha512']] as const) {
    const inner = createHmac(hash, secret).update('Key Pad for IKEv2').digest();
    const expected = createHmac(hash, inner).update(octets).digest();
    const mac = pskAuth(prfId, secret, octets);
    t.deepEqual(mac, expected);
    t.true(verifyPskAuth(prfId, secret, octets, expected));
    t.false(verifyPskAuth(prfId, secret, octets, flip(expected)));
    t.false(verifyPskAuth(prfId, secret, octets, expected.subarray(1)));
    t.false(verifyPskAuth(prfId, Buffer.from('cisco124'), octets, expected));
  }
});

test('EAP AUTH uses the same formula keyed with the MSK (or SK_p)', (t) => {
  const msk = Buffer.alloc(64, 0x6d);
  const expected = createHmac('sha256', createHmac('sha256', msk).update('Key Pad for IKEv2').digest()).update(octets).digest();
  t.deepEqual(eapAuth(PrfId.HMAC_SHA2_256, msk, octets), expected);
});

// ---- signatures ----------------------------------------------------------------------------------

interface Case { title: string; method: AuthMethod; signer: string; other: string; opts?: { hash?: SignatureHash; pss?: boolean }; sigLength?: number; algId?: string }

const CASES: Case[] = [
  { title: 'method 1 RSA PKCS#1 v1.5 SHA-1', method: AuthMethod.RSA_SIG, signer: 'hub-rsa', other: 'spoke1-rsa', sigLength: 256 },
  { title: 'method 9 ECDSA P-256 SHA-256 (r|s)', method: AuthMethod.ECDSA_SHA256_P256, signer: 'hub-ec', other: 'spoke1-ec', sigLength: 64 },
  { title: 'method 10 ECDSA P-384 SHA-384 (r|s)', method: AuthMethod.ECDSA_SHA384_P384, signer: 'hub-p384', other: 'hub-p521', sigLength: 96 },
  { title: 'method 11 ECDSA P-521 SHA-512 (r|s)', method: AuthMethod.ECDSA_SHA512_P521, signer: 'hub-p521', other: 'hub-p384', sigLength: 132 },
  ...(['sha256', 'sha384', 'sha512'] as const).flatMap((hash) => [
    { title: `method 14 ${hash}WithRSAEncryption`, method: AuthMethod.DIGITAL_SIGNATURE, signer: 'spoke2-rsa', other: 'client1-rsa', opts: { hash }, sigLength: 256 },
    { title: `method 14 RSASSA-PSS ${hash}`, method: AuthMethod.DIGITAL_SIGNATURE, signer: 'client1-rsa', other: 'hub-rsa', opts: { hash, pss: true }, sigLength: 256 },
    { title: `method 14 ecdsa-with-${hash} (P-256)`, method: AuthMethod.DIGITAL_SIGNATURE, signer: 'client1-ec', other: 'spoke2-ec', opts: { hash } },
  ]),
  { title: 'method 14 ECDSA P-384 default hash', method: AuthMethod.DIGITAL_SIGNATURE, signer: 'hub-p384', other: 'hub-ec', algId: '300a06082a8648ce3d040303' },
  { title: 'method 14 ECDSA P-521 default hash', method: AuthMethod.DIGITAL_SIGNATURE, signer: 'hub-p521', other: 'hub-ec', algId: '300a06082a8648ce3d040304' },
  { title: 'method 14 RSA default (sha256WithRSAEncryption)', method: AuthMethod.DIGITAL_SIGNATURE, signer: 'hub-rsa', other: 'spoke1-rsa', algId: '300d06092a864886f70d01010b0500' },
];

for (const c of CASES) {
  test(`sign/verify ${c.title}`, (t) => {
    const auth = signAuth(c.method, key(c.signer), octets, c.opts);
    let sig = auth;
    if (c.method === AuthMethod.DIGITAL_SIGNATURE) {
      const algId = auth.subarray(1, 1 + auth[0]!);
      sig = auth.subarray(1 + auth[0]!);
      if (c.algId) t.is(algId.toString('hex'), c.algId);
      if (c.opts?.hash) {
        const scheme = parseAlgorithmIdentifier(algId);
        t.is(scheme.hash, c.opts.hash);
        t.is(scheme.pss, c.opts.pss === true);
      }
      // ECDSA under method 14 is a DER Ecdsa-Sig-Value (SEQUENCE of two INTEGERs).
      if (c.signer.includes('ec') || c.signer.includes('p3') || c.signer.includes('p5')) t.is(sig[0], 0x30);
    }
    if (c.sigLength) t.is(sig.length, c.sigLength);
    t.true(verifyAuth(c.method, cert(c.signer), octets, auth)); // with the certificate
    t.true(verifyAuth(c.method, cert(c.signer).publicKey, octets, auth)); // with the bare key
    const ok = checkAuthSignature(c.method, cert(c.signer), octets, auth);
    t.true(ok.ok);
    t.false(verifyAuth(c.method, cert(c.signer), flip(octets, 5), auth), 'other octets');
    t.false(verifyAuth(c.method, cert(c.signer), octets, flip(auth, auth.length - 3)), 'flipped signature bit');
    t.false(verifyAuth(c.method, cert(c.other), octets, auth), 'wrong key');
    t.false(verifyAuth(c.method, cert(c.signer), octets, auth.subarray(0, auth.length - 1)), 'truncated');
  });
}

test('RSA-PSS under method 14 uses salt = hash length and MGF1 with the same hash', (t) => {
  const auth = signAuth(AuthMethod.DIGITAL_SIGNATURE, key('hub-rsa'), octets, { pss: true });
  const algId = auth.subarray(1, 1 + auth[0]!);
  // strongSwan's rsa_pss_params_build output for SHA-256 (test_signature_params.c), which is
  // RFC 7427 A.4.3 without the trailerField (errata 4562).
  t.is(algId.toString('hex'),
    '304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120');
  t.deepEqual(parseAlgorithmIdentifier(algId), { key: 'rsa', hash: 'sha256', pss: true, saltLength: 32 });
  // The same signature with RFC 7427 A.4.3 as printed (trailerField 1 present) also verifies.
  const rfcForm = h('304606092a864886f70d01010a3039a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120a303020101');
  const sig = auth.subarray(1 + auth[0]!);
  t.true(verifyAuth(AuthMethod.DIGITAL_SIGNATURE, cert('hub-rsa'), octets, Buffer.concat([Buffer.of(rfcForm.length), rfcForm, sig])));
  // Parameters that change the scheme make the same signature fail.
  const salt20 = h('304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020114');
  t.false(verifyAuth(AuthMethod.DIGITAL_SIGNATURE, cert('hub-rsa'), octets, Buffer.concat([Buffer.of(salt20.length), salt20, sig])));
});

test('RSASSA-PSS parameter parsing (strongSwan test_signature_params cases)', (t) => {
  t.deepEqual(parseAlgorithmIdentifier(h('300d06092a864886f70d01010a3000')), { key: 'rsa', hash: 'sha1', pss: true, saltLength: 20 });
  t.deepEqual(parseAlgorithmIdentifier(h('300b06092a864886f70d01010a')), { key: 'rsa', hash: 'sha1', pss: true, saltLength: 20 });
  t.deepEqual(
    parseAlgorithmIdentifier(h('304106092a864886f70d01010a3034a00f300d06096086480165030402030500a11c301a06092a864886f70d010108300d06096086480165030402030500a203020140')),
    { key: 'rsa', hash: 'sha512', pss: true, saltLength: 64 },
  );
  t.deepEqual(
    parseAlgorithmIdentifier(h('304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020100')),
    { key: 'rsa', hash: 'sha256', pss: true, saltLength: 0 },
  );
  // Only the hash given: MGF1 stays SHA-1, which Node cannot combine with a SHA-256 hash.
  t.throws(() => parseAlgorithmIdentifier(h('301e06092a864886f70d01010a3011a00f300d06096086480165030402010500')), { instanceOf: UnsupportedAlgorithmError });
  // Unknown hash OID, bad trailer, trailing garbage.
  t.throws(() => parseAlgorithmIdentifier(h('301e06092a864886f70d01010a3011a00f300d06096086480165030402000500')), { instanceOf: UnsupportedAlgorithmError });
  t.throws(() => parseAlgorithmIdentifier(h('301206092a864886f70d01010a3005a303020102')), { instanceOf: MalformedCryptoDataError });
  t.throws(() => parseAlgorithmIdentifier(h('300d06092a864886f70d01010b050000')), { instanceOf: MalformedCryptoDataError });
  t.throws(() => parseAlgorithmIdentifier(h('300506032b6570')), { instanceOf: UnsupportedAlgorithmError }); // Ed25519
});

test('AlgorithmIdentifiers match the DER OpenSSL writes into certificates it signs', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ike-crypto-auth-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sigAlgOf = (pem: Buffer): Buffer => {
    const raw = new X509Certificate(pem).raw;
    return Buffer.from(whole(raw, children(raw, readWhole(raw))[1]!));
  };
  const selfSigned = (keyName: string, args: string[]): Buffer => execFileSync('openssl', [
    'req', '-x509', '-new', '-key', pkiPath(`${keyName}.key.pem`), '-subj', '/CN=algid', '-days', '1', ...args,
  ], { cwd: dir });
  for (const hash of ['sha256', 'sha384', 'sha512'] as const) {
    t.deepEqual(sigAlgOf(selfSigned('hub-rsa', [`-${hash}`])), algorithmIdentifier('rsa', hash), `RSA ${hash}`);
    t.deepEqual(sigAlgOf(selfSigned('hub-ec', [`-${hash}`])), algorithmIdentifier('ec', hash), `ECDSA ${hash}`);
    // OpenSSL writes PSS hash AlgorithmIdentifiers without the NULL parameter; parsing must agree.
    const pss = sigAlgOf(selfSigned('hub-rsa', [`-${hash}`, '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest']));
    t.deepEqual(parseAlgorithmIdentifier(pss), { key: 'rsa', hash, pss: true, saltLength: { sha256: 32, sha384: 48, sha512: 64 }[hash] });
  }
});

test('malformed or mismatched AUTH data never throws, it fails with a reason', (t) => {
  const c = cert('hub-rsa');
  for (const data of [Buffer.alloc(0), Buffer.of(40, 1, 2), Buffer.of(3, 0x30, 0x01, 0x00, 1, 2, 3), Buffer.of(7, ...h('300506032b6570'), 9)]) {
    const r = checkAuthSignature(AuthMethod.DIGITAL_SIGNATURE, c, octets, data);
    t.false(r.ok);
    t.false(verifyAuth(AuthMethod.DIGITAL_SIGNATURE, c, octets, data));
  }
  // An ECDSA AlgorithmIdentifier with an RSA certificate.
  const ecAuth = signAuth(AuthMethod.DIGITAL_SIGNATURE, key('hub-ec'), octets);
  const mismatch = checkAuthSignature(AuthMethod.DIGITAL_SIGNATURE, c, octets, ecAuth);
  t.false(mismatch.ok);
  t.regex(mismatch.ok ? '' : mismatch.reason, /EC signature but the peer's key is rsa/);
  // Classic methods with the wrong key type or curve.
  t.false(verifyAuth(AuthMethod.ECDSA_SHA256_P256, c, octets, Buffer.alloc(64)));
  t.false(verifyAuth(AuthMethod.ECDSA_SHA384_P384, cert('hub-ec'), octets, Buffer.alloc(96)));
  t.false(verifyAuth(AuthMethod.PSK, c, octets, Buffer.alloc(32)));
  t.false(verifyAuth(AuthMethod.ECDSA_SHA256_P256, cert('hub-ec'), octets, Buffer.alloc(64, 0xff)));
});

test('signing with a key that does not fit the method is a typed error', (t) => {
  t.throws(() => signAuth(AuthMethod.ECDSA_SHA256_P256, key('hub-rsa'), octets), { instanceOf: UnsupportedAlgorithmError });
  t.throws(() => signAuth(AuthMethod.ECDSA_SHA256_P256, key('hub-p384'), octets), { instanceOf: UnsupportedAlgorithmError });
  t.throws(() => signAuth(AuthMethod.RSA_SIG, key('hub-ec'), octets), { instanceOf: UnsupportedAlgorithmError });
  t.throws(() => signAuth(AuthMethod.RSA_SIG, key('hub-rsa'), octets, { hash: 'sha256' }), { instanceOf: UnsupportedAlgorithmError });
  t.throws(() => signAuth(AuthMethod.DIGITAL_SIGNATURE, key('hub-ec'), octets, { pss: true }), { instanceOf: UnsupportedAlgorithmError });
  t.throws(() => signAuth(AuthMethod.PSK, key('hub-rsa'), octets), { instanceOf: UnsupportedAlgorithmError });
});

test('SIGNATURE_HASH_ALGORITHMS notification data', (t) => {
  const data = encodeSignatureHashAlgorithms([HashAlgorithm.SHA2_256, HashAlgorithm.SHA2_384, HashAlgorithm.SHA2_512, HashAlgorithm.IDENTITY]);
  t.is(data.toString('hex'), '0002000300040005');
  t.deepEqual(decodeSignatureHashAlgorithms(data), [2, 3, 4, 5]);
  t.deepEqual(decodeSignatureHashAlgorithms(Buffer.alloc(0)), []);
  t.throws(() => decodeSignatureHashAlgorithms(Buffer.of(0, 2, 0)), { instanceOf: MalformedCryptoDataError });
});

test('choosing the signature scheme from the key and the peer\'s hash list', (t) => {
  const rsa = key('hub-rsa');
  const all = [HashAlgorithm.SHA2_256, HashAlgorithm.SHA2_384, HashAlgorithm.SHA2_512];
  t.like(chooseSignatureScheme(rsa, all), { method: AuthMethod.DIGITAL_SIGNATURE, hash: 'sha256', pss: false });
  t.deepEqual(chooseSignatureScheme(rsa, all).algorithmIdentifier, algorithmIdentifier('rsa', 'sha256'));
  t.like(chooseSignatureScheme(rsa, [HashAlgorithm.SHA2_512]), { method: AuthMethod.DIGITAL_SIGNATURE, hash: 'sha512' });
  t.like(chooseSignatureScheme(rsa, all, { pss: true }), { method: AuthMethod.DIGITAL_SIGNATURE, hash: 'sha256', pss: true });
  t.like(chooseSignatureScheme(rsa, undefined), { method: AuthMethod.RSA_SIG, hash: 'sha1' });
  t.like(chooseSignatureScheme(rsa, [HashAlgorithm.IDENTITY]), { method: AuthMethod.RSA_SIG });
  t.like(chooseSignatureScheme(key('hub-ec'), all), { method: AuthMethod.DIGITAL_SIGNATURE, hash: 'sha256' });
  t.like(chooseSignatureScheme(key('hub-p384'), all), { method: AuthMethod.DIGITAL_SIGNATURE, hash: 'sha384' });
  t.like(chooseSignatureScheme(key('hub-p384'), [HashAlgorithm.SHA2_256]), { method: AuthMethod.DIGITAL_SIGNATURE, hash: 'sha256' });
  t.like(chooseSignatureScheme(key('hub-p521'), all), { method: AuthMethod.DIGITAL_SIGNATURE, hash: 'sha512' });
  t.like(chooseSignatureScheme(key('hub-ec'), []), { method: AuthMethod.ECDSA_SHA256_P256 });
  t.like(chooseSignatureScheme(key('hub-p384'), undefined), { method: AuthMethod.ECDSA_SHA384_P384 });
  t.like(chooseSignatureScheme(key('hub-p521'), undefined), { method: AuthMethod.ECDSA_SHA512_P521 });
  // The choice signs and verifies.
  const choice = chooseSignatureScheme(key('hub-p384'), [HashAlgorithm.SHA2_512]);
  const auth = signAuth(choice.method, key('hub-p384'), octets, { hash: choice.hash });
  t.deepEqual(auth.subarray(1, 1 + auth[0]!), choice.algorithmIdentifier);
  t.true(verifyAuth(choice.method, cert('hub-p384'), octets, auth));
});
