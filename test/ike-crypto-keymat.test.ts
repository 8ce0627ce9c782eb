// Key material of IKE and CHILD SAs against the NIST CAVP SP 800-135 IKEv2 vectors
// (ikev2-notes.md section 2.1): Vector A (HMAC-SHA-1; SKEYSEED, DKM, child DKM with and without
// PFS, rekey SKEYSEED) and Vector B (HMAC-SHA-256, 128-byte g^ir).

import test from 'ava';
import { EncrId, IntegId, PrfId } from '../engine/ike/constants.ts';
import { deriveChildSaKeys, deriveIkeSaKeys } from '../engine/ike/crypto/keymat.ts';
import type { IkeSaKeys } from '../engine/ike/crypto/keymat.ts';
import { prfPlus } from '../engine/ike/crypto/prf.ts';
import { UnsupportedAlgorithmError } from '../engine/ike/crypto/errors.ts';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Vector A: libreswan programs/cavp/test.acvp.ikev2.run (CAVP IKEv2, SHA-1).
const A = {
  ni: h('32b50d5f4a3763f3'),
  nr: h('9206a04b26564cb1'),
  gir: h('4b2c1f971981a8ad8d0abeafabf38cf75fc8349c148142465ed9c8b516b8be52'),
  girNew: h('863f3c9d06efd39d2b907b97f8699e5dd5251ef64a2a176f36ee40c87d4f9330'),
  spiI: h('34c9e7c188868785'),
  spiR: h('3ff77d760d2b2199'),
  skeyseed: 'a9a7b222b59f8f48645f28a1db5b5f5d7479cba7',
  dkm: h(`a14293677cc80ff8f9cc0eee30d895da9d8f405666e30ef0dfcb63c634a46002a2a63080e514a062768b76606f9fa5e9
          92204fc5a670bde3f10d6b027113936a5c55b648a194ae587b0088d52204b702c979fa280870d2ed41efa9c549fd1119
          8af1670b143d384bd275c5f594cf266b05ebadca855e4249520a441a81157435a7a56cc4`),
  dkmChild: h(`8059e3ee8810e6c3a91bc8bcd2a7a41151b8d0e6ae239c7b38093ad85ef4c5811a8e7b5d1cdabd9560b2d5e092d1f24e
               2d4b85eccdf0ad0dc9abd94b51ee71814ca6dbc8bb51b6309f5b9545c7eb35cf5580b1e521a8fe20754a2d883ba0c2cf
               285f524aea6545b33106bc03e614296d319d41d4b50b3f510b1c0a22f3e664994d234cb4`),
  dkmChildPfs: h(`bb43244c1860ad65ee1e211ffe8bb3661750c8f89cb9f547df7f4fa61d37301628190e38c66232eab4b3ab14c400a519
                  7dd3730ed4820a8a10394d51e1c0400052f63ebd36b0e7ef53aaed31eba4a5080d7d4b5666023a8bbb5ffb7857240f9a
                  05884d1b7d2f933708450b7b3288f1fc863ab49fa901227cffc06e27899c7054d56fd74c`),
  skeyseedRekey: '63e81194946ebd05df7df5ebf5d8750056bf1f1d',
};

// Vector B: strongSwan kdf_prf.c prf_sha256_1 chained into kdf_prf_plus.c prf_plus_sha256_1.
const B = {
  gir: h(`42968e5d0ccc3cfc5a3e4bc1bba370cea1fae0d54c49ccba34b2bee804beeb2e9e8c57a4e01bd45102cf2433aacc6cfe
          c06792f363e5170e6aa6650274e906648e449d27a8f00b5b44261982c9835c748a751ec5138eaacc5e025661339538a6
          1bf418e454699e19c32db8d9ce5dd86b220f1e89afc5872e68be36cb1a0c8866`),
  ni: h('ed80dc79912c32a9'),
  nr: h('35fb6d1a3feac078'),
  spiI: h('47c1858efc932ea4'),
  spiR: h('606fd05609624002'),
  skeyseed: '37fde90b81d63692620f67367b62092e3efdc6a03509137d731004767ff35010',
  dkm: h(`63d018a08f7a29daa7d1f92cb63f45fa39bbaf5e5f1a78139613bb891e3e6bf9d0448f7c74e05b4c1a25c0b61e62c875
          e852f287e192d4ae536112db5197216400bd5e123470efc15f53161865fe8b19a1416518a157d651ecd2caddab6a9eae
          6a27a55af088218d5156edaa9789f934d9836ed43edffda553822202ff9f7d4860ca72e0`),
};

const concatKeys = (k: IkeSaKeys): Buffer => Buffer.concat([k.skD, k.skAi, k.skAr, k.skEi, k.skEr, k.skPi, k.skPr]);

test('Vector A: SKEYSEED and the seven IKE SA keys (SHA-1 PRF, AES-CBC-128, HMAC-SHA1-96 = 1056 bits)', (t) => {
  const k = deriveIkeSaKeys({
    prf: PrfId.HMAC_SHA1, encr: EncrId.AES_CBC, encrKeyBits: 128, integ: IntegId.HMAC_SHA1_96,
    nonceI: A.ni, nonceR: A.nr, spiI: A.spiI, spiR: A.spiR, sharedSecret: A.gir,
  });
  t.is(k.skeyseed.toString('hex'), A.skeyseed);
  t.deepEqual(concatKeys(k), A.dkm); // 20 + 20 + 20 + 16 + 16 + 20 + 20 = 132 bytes
  // Order and lengths of RFC 7296 2.14: SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr.
  t.deepEqual(k.skD, A.dkm.subarray(0, 20));
  t.deepEqual(k.skAi, A.dkm.subarray(20, 40));
  t.deepEqual(k.skAr, A.dkm.subarray(40, 60));
  t.deepEqual(k.skEi, A.dkm.subarray(60, 76));
  t.deepEqual(k.skEr, A.dkm.subarray(76, 92));
  t.deepEqual(k.skPi, A.dkm.subarray(92, 112));
  t.deepEqual(k.skPr, A.dkm.subarray(112, 132));
});

test('Vector A: CHILD SA keymat without PFS', (t) => {
  const skD = A.dkm.subarray(0, 20);
  t.deepEqual(prfPlus(PrfId.HMAC_SHA1, skD, Buffer.concat([A.ni, A.nr]), 132), A.dkmChild);
  const c = deriveChildSaKeys({
    skD, prf: PrfId.HMAC_SHA1, encr: EncrId.AES_CBC, encrKeyBits: 128, integ: IntegId.HMAC_SHA1_96, nonceI: A.ni, nonceR: A.nr,
  });
  // i->r encryption, i->r integrity, r->i encryption, r->i integrity (RFC 7296 2.17).
  t.deepEqual(c.initiatorToResponder.encrKey, A.dkmChild.subarray(0, 16));
  t.deepEqual(c.initiatorToResponder.integKey, A.dkmChild.subarray(16, 36));
  t.deepEqual(c.responderToInitiator.encrKey, A.dkmChild.subarray(36, 52));
  t.deepEqual(c.responderToInitiator.integKey, A.dkmChild.subarray(52, 72));
});

test('Vector A: CHILD SA keymat with PFS (g^ir new first in the seed)', (t) => {
  const skD = A.dkm.subarray(0, 20);
  t.deepEqual(prfPlus(PrfId.HMAC_SHA1, skD, Buffer.concat([A.girNew, A.ni, A.nr]), 132), A.dkmChildPfs);
  const c = deriveChildSaKeys({
    skD, prf: PrfId.HMAC_SHA1, encr: EncrId.AES_GCM_16, encrKeyBits: 256, integ: IntegId.NONE,
    nonceI: A.ni, nonceR: A.nr, sharedSecret: A.girNew,
  });
  // AEAD: 32-byte key + 4-byte salt per direction, no integrity key (RFC 4106 8.1).
  t.deepEqual(c.initiatorToResponder.encrKey, A.dkmChildPfs.subarray(0, 36));
  t.is(c.initiatorToResponder.integKey.length, 0);
  t.deepEqual(c.responderToInitiator.encrKey, A.dkmChildPfs.subarray(36, 72));
  t.is(c.responderToInitiator.integKey.length, 0);
});

test('Vector A: IKE SA rekey SKEYSEED = prf_old(SK_d old, g^ir new | Ni | Nr)', (t) => {
  const k = deriveIkeSaKeys({
    prf: PrfId.HMAC_SHA2_256, encr: EncrId.AES_CBC, encrKeyBits: 256, integ: IntegId.HMAC_SHA2_256_128,
    nonceI: A.ni, nonceR: A.nr, spiI: A.spiI, spiR: A.spiR, sharedSecret: A.girNew,
    oldSkD: A.dkm.subarray(0, 20), oldPrf: PrfId.HMAC_SHA1,
  });
  t.is(k.skeyseed.toString('hex'), A.skeyseedRekey);
  // The new SA's keys come from the new PRF (SHA-256 here) keyed with that SKEYSEED.
  const expected = prfPlus(PrfId.HMAC_SHA2_256, k.skeyseed, Buffer.concat([A.ni, A.nr, A.spiI, A.spiR]), 32 * 3 + 32 * 2 + 32 * 2);
  t.deepEqual(concatKeys(k), expected);
  t.is(k.skD.length, 32);
  t.is(k.skAi.length, 32);
  t.is(k.skEi.length, 32);
});

test('Vector B: SHA-256 SKEYSEED and prf+ (AES-GCM-16-128: SK_e with salt, no SK_a)', (t) => {
  const k = deriveIkeSaKeys({
    prf: PrfId.HMAC_SHA2_256, encr: EncrId.AES_GCM_16, encrKeyBits: 128, integ: IntegId.NONE,
    nonceI: B.ni, nonceR: B.nr, spiI: B.spiI, spiR: B.spiR, sharedSecret: B.gir,
  });
  t.is(k.skeyseed.toString('hex'), B.skeyseed);
  t.is(k.skAi.length, 0);
  t.is(k.skAr.length, 0);
  t.is(k.skEi.length, 20);
  const all = concatKeys(k);
  t.is(all.length, 3 * 32 + 2 * 20);
  t.deepEqual(all.subarray(0, B.dkm.length), B.dkm); // the vector gives the first 132 bytes
});

test('suite errors are typed', (t) => {
  const base = { prf: PrfId.HMAC_SHA2_256, nonceI: B.ni, nonceR: B.nr, spiI: B.spiI, spiR: B.spiR, sharedSecret: B.gir };
  t.throws(() => deriveIkeSaKeys({ ...base, encr: EncrId.AES_GCM_16, integ: IntegId.HMAC_SHA2_256_128 }), { instanceOf: UnsupportedAlgorithmError, message: /AEAD/ });
  t.throws(() => deriveIkeSaKeys({ ...base, encr: EncrId.AES_CBC, integ: IntegId.NONE }), { instanceOf: UnsupportedAlgorithmError, message: /needs an integrity/ });
  t.throws(() => deriveIkeSaKeys({ ...base, encr: EncrId.AES_CBC, encrKeyBits: 100, integ: IntegId.HMAC_SHA1_96 }), { instanceOf: UnsupportedAlgorithmError });
  t.throws(() => deriveIkeSaKeys({ ...base, encr: EncrId.CHACHA20_POLY1305, integ: IntegId.NONE }), { instanceOf: UnsupportedAlgorithmError });
  t.throws(() => deriveIkeSaKeys({ ...base, prf: PrfId.AES128_XCBC, encr: EncrId.AES_CBC, integ: IntegId.HMAC_SHA1_96 }), { instanceOf: UnsupportedAlgorithmError });
});

test('default key length: AES-CBC without Key Length takes 128 bits, 3DES 192', (t) => {
  const base = { prf: PrfId.HMAC_SHA1, nonceI: A.ni, nonceR: A.nr, spiI: A.spiI, spiR: A.spiR, sharedSecret: A.gir };
  t.is(deriveIkeSaKeys({ ...base, encr: EncrId.AES_CBC, integ: IntegId.HMAC_SHA1_96 }).skEi.length, 16);
  t.is(deriveIkeSaKeys({ ...base, encr: EncrId.TRIPLE_DES, integ: IntegId.HMAC_SHA2_512_256 }).skEr.length, 24);
  t.is(deriveIkeSaKeys({ ...base, encr: EncrId.TRIPLE_DES, integ: IntegId.HMAC_SHA2_512_256 }).skAr.length, 64);
});
