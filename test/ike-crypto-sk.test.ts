// SK / SKF payload protection: cipher known answers (RFC 3602 AES-CBC, NIST 3DES, McGrew-Viega GCM,
// RFC 4868 truncated HMAC ICVs), the SK layout checked against an independent construction, round
// trips for every suite, tamper and truncation detection, and the fragment (SKF) variant.

import test from 'ava';
import { createCipheriv, createHmac } from 'node:crypto';
import { integAlgorithm } from '../engine/crypto/algorithms.ts';
import { EncrId, IntegId, PayloadType } from '../engine/ike/constants.ts';
import { cbcDecrypt, cbcEncrypt, computeIcv, gcmOpen, gcmSeal } from '../engine/ike/crypto/cipher.ts';
import { DecryptError, IntegrityError, UnsupportedAlgorithmError } from '../engine/ike/crypto/errors.ts';
import { maxSkfChunk, openSk, openSkf, sealedLength, sealSk, sealSkf, skOverhead } from '../engine/ike/crypto/sk.ts';
import type { SkKeys, SkSuite } from '../engine/ike/crypto/sk.ts';
import { resolveEncr } from '../engine/ike/crypto/transforms.ts';
import { seededRandom } from '../engine/util/random.ts';
import type { RandomSource } from '../engine/util/random.ts';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const fixed = (b: Buffer): RandomSource => ({ bytes: (n) => { if (n !== b.length) throw new Error(`asked ${n}, have ${b.length}`); return Buffer.from(b); } });

// RFC 4868 section 2.7.2 authenticator test cases (strongSwan test_vectors/sha2_hmac.c).
const RFC4868_ICV = [
  { case: 1, integ: IntegId.HMAC_SHA2_256_128, key: '0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b', data: '4869205468657265', icv: '198a607eb44bfbc69903a0f1cf2bbdc5' },
  { case: 1, integ: IntegId.HMAC_SHA2_384_192, key: '0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b', data: '4869205468657265', icv: 'b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973' },
  { case: 1, integ: IntegId.HMAC_SHA2_512_256, key:
    '0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b' +
    '0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b', data: '4869205468657265', icv: '637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8' },
  { case: 2, integ: IntegId.HMAC_SHA2_256_128, key: '4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665', data: '7768617420646f2079612077616e7420666f72206e6f7468696e673f', icv: '167f928588c5cc2eef8e3093caa0e87c' },
  { case: 2, integ: IntegId.HMAC_SHA2_384_192, key: '4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665', data: '7768617420646f2079612077616e7420666f72206e6f7468696e673f', icv: '2c7353974f1842fd66d53c452ca42122b28c0b594cfb184d' },
  { case: 2, integ: IntegId.HMAC_SHA2_512_256, key:
    '4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665' +
    '4a6566654a6566654a6566654a656665', data: '7768617420646f2079612077616e7420666f72206e6f7468696e673f', icv: 'cb370917ae8a7ce28cfd1d8f4705d6141c173b2a9362c15df235dfb251b15454' },
  { case: 3, integ: IntegId.HMAC_SHA2_256_128, key: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', data:
    'dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd' +
    'dddd', icv: 'cdcb1220d1ecccea91e53aba3092f962' },
  { case: 3, integ: IntegId.HMAC_SHA2_384_192, key: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', data:
    'dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd' +
    'dddd', icv: '809f439be00274321d4a538652164b53554a508184a0c316' },
  { case: 3, integ: IntegId.HMAC_SHA2_512_256, key:
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' +
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', data:
    'dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd' +
    'dddd', icv: '2ee7acd783624ca9398710f3ee05ae41b9f9b0510c87e49e586cc9bf961733d8' },
];

// RFC 3602 section 4 cases 1-3 (AES-128-CBC) and NIST AES-192/256 CBC (strongSwan aes_cbc.c 4-6).
const AES_CBC = [
  { name: 'aes_cbc1', key: '06a9214036b8a15b512e03d534120006', iv: '3dafba429d9eb430b422da802c9fac41', plain: '53696e676c6520626c6f636b206d7367', cipher: 'e353779c1079aeb82708942dbe77181a' },
  { name: 'aes_cbc2', key: 'c286696d887c9aa0611bbb3e2025a45a', iv: '562e17996d093d28ddb3ba695a2e6f58', plain: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', cipher: 'd296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1' },
  { name: 'aes_cbc3', key: '56e47a38c5598974bc46903dba290349', iv: '8ce82eefbea0da3c44699ed7db51b7d9', plain:
    'a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf' +
    'd0d1d2d3d4d5d6d7d8d9dadbdcdddedf', cipher:
    'c30e32ffedc0774e6aff6af0869f71aa0f3af07a9a31a9c684db207eb0ef8e4e35907aa632c3ffdf868bb7b29d3d46ad' +
    '83ce9f9a102ee99d49a53e87f4c3da55' },
  { name: 'aes_cbc4', key: '2b7e151628aed2a6abf7158809cf4f3c', iv: '000102030405060708090a0b0c0d0e0f', plain:
    '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52ef' +
    'f69f2445df4f9b17ad2b417be66c3710', cipher:
    '7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e22229516' +
    '3ff1caa1681fac09120eca307586e1a7' },
  { name: 'aes_cbc5', key: '8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b', iv: '000102030405060708090a0b0c0d0e0f', plain:
    '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52ef' +
    'f69f2445df4f9b17ad2b417be66c3710', cipher:
    '4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a571b242012fb7ae07fa9baac3df102e0' +
    '08b0e27988598881d920a9e64f5615cd' },
  { name: 'aes_cbc6', key: '603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4', iv: '000102030405060708090a0b0c0d0e0f', plain:
    '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52ef' +
    'f69f2445df4f9b17ad2b417be66c3710', cipher:
    'f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461' +
    'b2eb05e2c39be9fcda6c19078c6a9d1b' },
];

// NIST 3DES MMT examples (strongSwan 3des_cbc.c).
const TDES_CBC = [
  { name: 'des3_cbc1', key: '627f460e08104a1043cd265d5840eaf1313edf97df2a8a8c', iv: '8e29f75ea77e5475', plain: '326a494cd33fe756', cipher: 'b22b8d66de970692' },
  { name: 'des3_cbc2', key: '37ae5ebf46dff2dc0754b94f31cbb3855e7fd36dc870bfae', iv: '3d1de3cc132e3b65', plain: '84401f78fe6c10876d8ea23094ea5309', cipher: '7b1f7c7e3b1c948ebd04a75ffba7d2f5' },
];

// McGrew-Viega GCM test cases that fit the 12-byte nonce (salt = last 4 key bytes, 8-byte IV);
// cipher = ciphertext | ICV (strongSwan aes_gcm.c, cases 1-4, 7-10, 13-16).
const GCM = [
  { name: 'aes_gcm1', bits: 128, icv: 16, key: '0000000000000000000000000000000000000000', iv: '0000000000000000', aad: '', plain: '', cipher: '58e2fccefa7e3061367f1d57a4e7455a' },
  { name: 'aes_gcm2', bits: 128, icv: 16, key: '0000000000000000000000000000000000000000', iv: '0000000000000000', aad: '', plain: '00000000000000000000000000000000', cipher: '0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf' },
  { name: 'aes_gcm3_1', bits: 128, icv: 8, key: 'feffe9928665731c6d6a8f9467308308cafebabe', iv: 'facedbaddecaf888', aad: '', plain:
    'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525' +
    'b16aedf5aa0de657ba637b391aafd255', cipher:
    '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa05' +
    '1ba30b396a0aac973d58e091473f59854d5c2af327cd64a6' },
  { name: 'aes_gcm3_2', bits: 128, icv: 12, key: 'feffe9928665731c6d6a8f9467308308cafebabe', iv: 'facedbaddecaf888', aad: '', plain:
    'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525' +
    'b16aedf5aa0de657ba637b391aafd255', cipher:
    '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa05' +
    '1ba30b396a0aac973d58e091473f59854d5c2af327cd64a62cf35abd' },
  { name: 'aes_gcm3_3', bits: 128, icv: 16, key: 'feffe9928665731c6d6a8f9467308308cafebabe', iv: 'facedbaddecaf888', aad: '', plain:
    'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525' +
    'b16aedf5aa0de657ba637b391aafd255', cipher:
    '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa05' +
    '1ba30b396a0aac973d58e091473f59854d5c2af327cd64a62cf35abd2ba6fab4' },
  { name: 'aes_gcm4', bits: 128, icv: 16, key: 'feffe9928665731c6d6a8f9467308308cafebabe', iv: 'facedbaddecaf888', aad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2', plain:
    'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525' +
    'b16aedf5aa0de657ba637b39', cipher:
    '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa05' +
    '1ba30b396a0aac973d58e0915bc94fbc3221a5db94fae95ae7121a47' },
  { name: 'aes_gcm7', bits: 192, icv: 16, key: '00000000000000000000000000000000000000000000000000000000', iv: '0000000000000000', aad: '', plain: '', cipher: 'cd33b28ac773f74ba00ed1f312572435' },
  { name: 'aes_gcm8', bits: 192, icv: 16, key: '00000000000000000000000000000000000000000000000000000000', iv: '0000000000000000', aad: '', plain: '00000000000000000000000000000000', cipher: '98e7247c07f0fe411c267e4384b0f6002ff58d80033927ab8ef4d4587514f0fb' },
  { name: 'aes_gcm9', bits: 192, icv: 16, key: 'feffe9928665731c6d6a8f9467308308feffe9928665731ccafebabe', iv: 'facedbaddecaf888', aad: '', plain:
    'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525' +
    'b16aedf5aa0de657ba637b391aafd255', cipher:
    '3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c7d773d00c144c525ac619d18c84a3f47' +
    '18e2448b2fe324d9ccda2710acade2569924a7c8587336bfb118024db8674a14' },
  { name: 'aes_gcm10', bits: 192, icv: 16, key: 'feffe9928665731c6d6a8f9467308308feffe9928665731ccafebabe', iv: 'facedbaddecaf888', aad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2', plain:
    'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525' +
    'b16aedf5aa0de657ba637b39', cipher:
    '3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c7d773d00c144c525ac619d18c84a3f47' +
    '18e2448b2fe324d9ccda27102519498e80f1478f37ba55bd6d27618c' },
  { name: 'aes_gcm13', bits: 256, icv: 16, key: '000000000000000000000000000000000000000000000000000000000000000000000000', iv: '0000000000000000', aad: '', plain: '', cipher: '530f8afbc74536b9a963b4f1c4cb738b' },
  { name: 'aes_gcm14', bits: 256, icv: 16, key: '000000000000000000000000000000000000000000000000000000000000000000000000', iv: '0000000000000000', aad: '', plain: '00000000000000000000000000000000', cipher: 'cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919' },
  { name: 'aes_gcm15', bits: 256, icv: 16, key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308cafebabe', iv: 'facedbaddecaf888', aad: '', plain:
    'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525' +
    'b16aedf5aa0de657ba637b391aafd255', cipher:
    '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838' +
    'c5f61e6393ba7a0abcc9f662898015adb094dac5d93471bdec1a502270e3cc6c' },
  { name: 'aes_gcm16', bits: 256, icv: 16, key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308cafebabe', iv: 'facedbaddecaf888', aad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2', plain:
    'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525' +
    'b16aedf5aa0de657ba637b39', cipher:
    '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838' +
    'c5f61e6393ba7a0abcc9f66276fc6ece0f4e1768cddf8853bb2d551b' },
];

for (const v of AES_CBC) {
  test(`AES-CBC known answer ${v.name}`, (t) => {
    const bits = h(v.key).length * 8;
    t.is(cbcEncrypt(`aes-${bits}-cbc`, h(v.key), h(v.iv), h(v.plain)).toString('hex'), v.cipher);
    t.is(cbcDecrypt(`aes-${bits}-cbc`, h(v.key), h(v.iv), h(v.cipher)).toString('hex'), v.plain);
  });
}

for (const v of TDES_CBC) {
  test(`3DES-CBC known answer ${v.name}`, (t) => {
    t.is(cbcEncrypt('des-ede3-cbc', h(v.key), h(v.iv), h(v.plain)).toString('hex'), v.cipher);
    t.is(cbcDecrypt('des-ede3-cbc', h(v.key), h(v.iv), h(v.cipher)).toString('hex'), v.plain);
  });
}

for (const v of GCM) {
  test(`AES-GCM known answer ${v.name} (AES-${v.bits}, ICV ${v.icv})`, (t) => {
    const cipher = `aes-${v.bits}-gcm`;
    t.is(gcmSeal(cipher, h(v.key), h(v.iv), h(v.aad), h(v.plain), v.icv).toString('hex'), v.cipher);
    t.is(gcmOpen(cipher, h(v.key), h(v.iv), h(v.aad), h(v.cipher), v.icv).toString('hex'), v.plain);
    const bad = h(v.cipher);
    bad[bad.length - 1]! ^= 0x80;
    t.throws(() => gcmOpen(cipher, h(v.key), h(v.iv), h(v.aad), bad, v.icv), { instanceOf: IntegrityError });
  });
}

for (const v of RFC4868_ICV) {
  test(`RFC 4868 authenticator test case ${v.case}, ${IntegId[v.integ]}`, (t) => {
    t.is(computeIcv(integAlgorithm(v.integ)!, h(v.key), h(v.data)).toString('hex'), v.icv);
  });
}

test('RFC 2404 HMAC-SHA-1-96 test case 1', (t) => {
  // RFC 2404 section 5 (the RFC 2202 case, truncated to 96 bits).
  const icv = computeIcv(integAlgorithm(IntegId.HMAC_SHA1_96)!, Buffer.alloc(20, 0x0b), Buffer.from('Hi There'));
  t.is(icv.toString('hex'), 'b617318655057264e28bc0b6');
});

// ---- the SK payload ---------------------------------------------------------------------------------

const INTEGS = [IntegId.HMAC_SHA1_96, IntegId.HMAC_SHA2_256_128, IntegId.HMAC_SHA2_384_192, IntegId.HMAC_SHA2_512_256];
const SUITES: SkSuite[] = [
  ...[128, 192, 256].flatMap((bits) => INTEGS.map((integ) => ({ encr: EncrId.AES_CBC, encrKeyBits: bits, integ }))),
  ...INTEGS.map((integ) => ({ encr: EncrId.TRIPLE_DES, integ })),
  ...[EncrId.AES_GCM_16, EncrId.AES_GCM_12, EncrId.AES_GCM_8].flatMap((encr) => [128, 192, 256].map((bits) => ({ encr, encrKeyBits: bits, integ: IntegId.NONE }))),
];

const suiteName = (s: SkSuite): string => `${EncrId[s.encr]}-${s.encrKeyBits ?? 'default'}${s.integ ? `+${IntegId[s.integ]}` : ''}`;

function keysFor(s: SkSuite, seed: string): SkKeys {
  const r = seededRandom(seed);
  const e = resolveEncr(s.encr, s.encrKeyBits);
  const integ = integAlgorithm(s.integ);
  return { encrKey: r.bytes(e.keyMaterialLength), ...(integ ? { integKey: r.bytes(integ.keyLength) } : {}) };
}

/** An IKE header: SPIs, Next Payload (overwritten by sealSk), version 2.0, IKE_AUTH, I flag, MID 1. */
function ikeHeader(): Buffer {
  const b = Buffer.alloc(28);
  h('0102030405060708').copy(b, 0);
  h('1112131415161718').copy(b, 8);
  b[16] = 0;
  b[17] = 0x20;
  b[18] = 35;
  b[19] = 0x08;
  b.writeUInt32BE(1, 20);
  b.writeUInt32BE(0xdeadbeef, 24); // garbage length: sealSk must patch it
  return b;
}

test('SK layout (AES-CBC-128 + HMAC-SHA2-256-128) equals an independent construction byte for byte', (t) => {
  const suite = { encr: EncrId.AES_CBC, encrKeyBits: 128, integ: IntegId.HMAC_SHA2_256_128 };
  const keys = { encrKey: h('000102030405060708090a0b0c0d0e0f'), integKey: Buffer.alloc(32, 0x42) };
  const iv = h('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf');
  const inner = Buffer.from('twenty inner bytes!!'); // 20 bytes -> 11 padding + pad length = 32
  const msg = sealSk(suite, keys, ikeHeader(), PayloadType.IDi, inner, fixed(iv));

  const total = 28 + 4 + 16 + 32 + 16;
  const header = ikeHeader();
  header[16] = 46;
  header.writeUInt32BE(total, 24);
  const skHeader = h('23000000'); // Next Payload IDi (35), not critical
  skHeader.writeUInt16BE(total - 28, 2);
  const plain = Buffer.concat([inner, Buffer.alloc(11), Buffer.of(11)]);
  const c = createCipheriv('aes-128-cbc', keys.encrKey, iv).setAutoPadding(false);
  const ct = Buffer.concat([c.update(plain), c.final()]);
  const signed = Buffer.concat([header, skHeader, iv, ct]);
  const icv = createHmac('sha256', keys.integKey).update(signed).digest().subarray(0, 16);
  t.deepEqual(msg, Buffer.concat([signed, icv]));
  t.is(msg.length, sealedLength(suite, inner.length));

  const opened = openSk(suite, keys, msg, 28);
  t.is(opened.innerFirstPayload, PayloadType.IDi);
  t.deepEqual(opened.plaintext, inner);
});

test('SK layout (AES-GCM-16-256) equals an independent RFC 5282 construction byte for byte', (t) => {
  const suite = { encr: EncrId.AES_GCM_16, encrKeyBits: 256, integ: IntegId.NONE };
  const key = Buffer.alloc(32, 0x33);
  const salt = h('cafebabe');
  const keys = { encrKey: Buffer.concat([key, salt]) };
  const iv = h('0001020304050607');
  const inner = Buffer.from('some payloads');
  const msg = sealSk(suite, keys, ikeHeader(), PayloadType.NOTIFY, inner, fixed(iv));

  const total = 28 + 4 + 8 + inner.length + 1 + 16; // no padding, only the pad length octet
  const aad = ikeHeader();
  aad[16] = 46;
  aad.writeUInt32BE(total, 24);
  const skHeader = h('29000000');
  skHeader.writeUInt16BE(total - 28, 2);
  const c = createCipheriv('aes-256-gcm', key, Buffer.concat([salt, iv]), { authTagLength: 16 });
  c.setAAD(Buffer.concat([aad, skHeader]));
  const ct = Buffer.concat([c.update(Buffer.concat([inner, Buffer.of(0)])), c.final()]);
  t.deepEqual(msg, Buffer.concat([aad, skHeader, iv, ct, c.getAuthTag()]));
  t.deepEqual(openSk(suite, keys, msg, 28).plaintext, inner);
});

for (const suite of SUITES) {
  test(`SK round trip and tamper detection: ${suiteName(suite)}`, (t) => {
    const keys = keysFor(suite, suiteName(suite));
    const random = seededRandom(`iv-${suiteName(suite)}`);
    for (const len of [0, 1, 7, 8, 15, 16, 17, 300]) {
      const inner = seededRandom(`inner-${len}`).bytes(len);
      const msg = sealSk(suite, keys, ikeHeader(), PayloadType.AUTH, inner, random);
      t.is(msg[16], PayloadType.SK);
      t.is(msg.readUInt32BE(24), msg.length);
      t.is(msg.readUInt16BE(30), msg.length - 28);
      t.is(msg[28], PayloadType.AUTH);
      t.is(msg.length, sealedLength(suite, len));
      t.true(msg.length <= len + skOverhead(suite)); // overhead counts the IKE header too
      t.deepEqual(msg.subarray(0, 16), ikeHeader().subarray(0, 16)); // SPIs untouched
      const opened = openSk(suite, keys, msg, 28);
      t.is(opened.innerFirstPayload, PayloadType.AUTH);
      t.deepEqual(opened.plaintext, inner);
    }

    // Flip every bit of one message: each must fail authentication, never decrypt to garbage.
    const msg = sealSk(suite, keys, ikeHeader(), PayloadType.AUTH, Buffer.from('payload bytes to protect'), random);
    let failures = 0;
    for (let bit = 0; bit < msg.length * 8; bit++) {
      const bad = Buffer.from(msg);
      bad[bit >> 3]! ^= 0x80 >> (bit & 7);
      try {
        openSk(suite, keys, bad, 28);
      } catch (e) {
        if (e instanceof IntegrityError) failures++;
      }
    }
    t.is(failures, msg.length * 8);

    // Truncated input: every shorter prefix is a typed error.
    for (let cut = 1; cut < msg.length; cut++) {
      t.throws(() => openSk(suite, keys, msg.subarray(0, msg.length - cut), 28), { instanceOf: IntegrityError });
    }
    // Wrong key material.
    const other = keysFor(suite, 'other keys');
    t.throws(() => openSk(suite, other, msg, 28), { instanceOf: IntegrityError });
  });
}

test('sealSk is deterministic given the random source', (t) => {
  const suite = SUITES[0]!;
  const keys = keysFor(suite, 'det');
  const a = sealSk(suite, keys, ikeHeader(), 35, Buffer.from('x'), seededRandom('same'));
  const b = sealSk(suite, keys, ikeHeader(), 35, Buffer.from('x'), seededRandom('same'));
  t.deepEqual(a, b);
});

test('authentic but malformed content is a DecryptError (pad length, SK length field)', (t) => {
  const suite = { encr: EncrId.AES_CBC, encrKeyBits: 128, integ: IntegId.HMAC_SHA1_96 };
  const keys = keysFor(suite, 'malformed');
  const integ = integAlgorithm(suite.integ)!;
  const iv = Buffer.alloc(16, 9);
  const build = (plain: Buffer, lengthDelta = 0): Buffer => {
    const ct = cbcEncrypt('aes-128-cbc', keys.encrKey, iv, plain);
    const total = 28 + 4 + 16 + ct.length + 12;
    const hdr = ikeHeader();
    hdr[16] = 46;
    hdr.writeUInt32BE(total, 24);
    const sk = Buffer.from([33, 0, 0, 0]);
    sk.writeUInt16BE(total - 28 + lengthDelta, 2);
    const body = Buffer.concat([hdr, sk, iv, ct]);
    return Buffer.concat([body, computeIcv(integ, keys.integKey!, body)]);
  };
  const goodPlain = Buffer.concat([Buffer.alloc(15, 1), Buffer.of(0)]);
  t.deepEqual(openSk(suite, keys, build(goodPlain), 28).plaintext, Buffer.alloc(15, 1));
  t.is(openSk(suite, keys, build(goodPlain), 28).innerFirstPayload, 33);
  const badPad = Buffer.concat([Buffer.alloc(15, 1), Buffer.of(16)]); // pad length 16 > 15 bytes
  t.throws(() => openSk(suite, keys, build(badPad), 28), { instanceOf: DecryptError, message: /pad length/ });
  t.throws(() => openSk(suite, keys, build(goodPlain, -4), 28), { instanceOf: DecryptError, message: /payload length/ });
  // An authentic ciphertext that is not a whole number of blocks.
  const hdr = ikeHeader();
  const odd = Buffer.concat([hdr, Buffer.from([33, 0, 0, 0]), iv, Buffer.alloc(20)]);
  odd[16] = 46;
  odd.writeUInt32BE(odd.length + 12, 24);
  odd.writeUInt16BE(odd.length + 12 - 28, 30);
  const oddMsg = Buffer.concat([odd, computeIcv(integ, keys.integKey!, odd)]);
  t.throws(() => openSk(suite, keys, oddMsg, 28), { instanceOf: DecryptError, message: /multiple of/ });
});

test('bad arguments: key lengths, header length, unsupported suites', (t) => {
  const suite = { encr: EncrId.AES_CBC, encrKeyBits: 256, integ: IntegId.HMAC_SHA2_256_128 };
  const keys = keysFor(suite, 'args');
  t.throws(() => sealSk(suite, { encrKey: keys.encrKey.subarray(1), integKey: keys.integKey! }, ikeHeader(), 35, Buffer.alloc(1), seededRandom('a')), { instanceOf: RangeError });
  t.throws(() => sealSk(suite, { encrKey: keys.encrKey }, ikeHeader(), 35, Buffer.alloc(1), seededRandom('a')), { instanceOf: RangeError });
  t.throws(() => sealSk(suite, keys, Buffer.alloc(27), 35, Buffer.alloc(1), seededRandom('a')), { instanceOf: RangeError });
  t.throws(() => sealSk(suite, keys, ikeHeader(), 256, Buffer.alloc(1), seededRandom('a')), { instanceOf: RangeError });
  t.throws(() => sealSk({ encr: EncrId.NULL, integ: IntegId.HMAC_SHA1_96 }, keys, ikeHeader(), 35, Buffer.alloc(1), seededRandom('a')), { instanceOf: UnsupportedAlgorithmError });
  t.throws(() => sealSk({ encr: EncrId.AES_CTR, integ: IntegId.HMAC_SHA1_96 }, keys, ikeHeader(), 35, Buffer.alloc(1), seededRandom('a')), { instanceOf: UnsupportedAlgorithmError });
  t.throws(() => sealSk(suite, keys, ikeHeader(), 35, Buffer.alloc(65535), seededRandom('a')), { instanceOf: RangeError, message: /65535/ });
  t.throws(() => openSk(suite, keys, Buffer.alloc(100), 10), { instanceOf: RangeError }); // offset inside the IKE header
  t.throws(() => openSk(suite, keys, Buffer.alloc(20), 28), { instanceOf: IntegrityError, message: /truncated/ });
  t.throws(() => openSk(suite, keys, Buffer.alloc(60), 28), { instanceOf: IntegrityError, message: /truncated/ });
});

// ---- SKF (RFC 7383) ----------------------------------------------------------------------------------

for (const suite of SUITES) {
  test(`SKF round trip of a fragmented message: ${suiteName(suite)}`, (t) => {
    const keys = keysFor(suite, `skf-${suiteName(suite)}`);
    const random = seededRandom(`skf-iv-${suiteName(suite)}`);
    const inner = seededRandom('fragmented').bytes(1500);
    const limit = 548; // 576 - IPv4 20 - UDP 8
    const chunk = maxSkfChunk(suite, limit);
    t.true(chunk > 0);
    const total = Math.ceil(inner.length / chunk);
    const frags: Buffer[] = [];
    for (let n = 1; n <= total; n++) {
      const part = inner.subarray((n - 1) * chunk, n * chunk);
      const f = sealSkf(suite, keys, ikeHeader(), n === 1 ? PayloadType.IDi : 0, n, total, part, random);
      t.true(f.length <= limit);
      t.is(f.length, sealedLength(suite, part.length, 'skf'));
      t.is(f[16], PayloadType.SKF);
      t.is(f.readUInt16BE(32), n);
      t.is(f.readUInt16BE(34), total);
      frags.push(f);
    }
    // The chunk size is the largest that fits: one byte more overflows the limit.
    t.true(sealedLength(suite, chunk + 1, 'skf') > limit);
    t.true(sealedLength(suite, chunk, 'skf') <= limit);
    t.true(skOverhead(suite, 'skf') >= sealedLength(suite, chunk, 'skf') - chunk);

    const parts = frags.map((f) => openSkf(suite, keys, f, 28));
    t.is(parts[0]!.innerFirstPayload, PayloadType.IDi);
    t.true(parts.slice(1).every((p) => p.innerFirstPayload === 0));
    t.deepEqual(parts.map((p) => p.fragmentNumber), [...Array(total).keys()].map((i) => i + 1));
    t.true(parts.every((p) => p.totalFragments === total));
    t.deepEqual(Buffer.concat(parts.map((p) => p.plaintext)), inner);

    // Fragment Number and Total Fragments are authenticated (in the ICV / AEAD associated data).
    for (const off of [32, 33, 34, 35]) {
      const bad = Buffer.from(frags[0]!);
      bad[off]! ^= 1;
      t.throws(() => openSkf(suite, keys, bad, 28), { instanceOf: IntegrityError });
    }
  });
}

test('SKF argument checks and fragment number validation after authentication', (t) => {
  const suite = { encr: EncrId.AES_CBC, encrKeyBits: 128, integ: IntegId.HMAC_SHA2_256_128 };
  const keys = keysFor(suite, 'skf-args');
  const r = seededRandom('skf-args');
  t.throws(() => sealSkf(suite, keys, ikeHeader(), 0, 0, 1, Buffer.alloc(1), r), { instanceOf: RangeError });
  t.throws(() => sealSkf(suite, keys, ikeHeader(), 0, 3, 2, Buffer.alloc(1), r), { instanceOf: RangeError });
  t.throws(() => sealSkf(suite, keys, ikeHeader(), 35, 2, 2, Buffer.alloc(1), r), { instanceOf: RangeError, message: /fragment 1/ });
  // Build an authentic fragment claiming 3 of 2 by patching and re-MACing.
  const f = sealSkf(suite, keys, ikeHeader(), 0, 2, 2, Buffer.alloc(10), r);
  f.writeUInt16BE(3, 32);
  const icvAt = f.length - 16;
  createHmac('sha256', keys.integKey!).update(f.subarray(0, icvAt)).digest().subarray(0, 16).copy(f, icvAt);
  t.throws(() => openSkf(suite, keys, f, 28), { instanceOf: DecryptError, message: /fragment 3 of 2/ });
});
