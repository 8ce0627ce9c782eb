// Key exchange (KE payload) for every supported group: known answers (RFC 5903/5114 ECP, RFC 7748
// and RFC 8031 X25519, strongSwan's MODP vectors), both sides agreeing, IKE encodings and lengths,
// and rejection of unusable peer values with a typed KeyExchangeError.

import test from 'ava';
import { getDiffieHellman } from 'node:crypto';
import { DhGroup } from '../engine/ike/constants.ts';
import { createKeyExchange, keyExchangeDataLength, SUPPORTED_KE_GROUPS } from '../engine/ike/crypto/dh.ts';
import { KeyExchangeError, UnsupportedAlgorithmError } from '../engine/ike/crypto/errors.ts';
import { seededRandom } from '../engine/util/random.ts';
import type { RandomSource } from '../engine/util/random.ts';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** A RandomSource that hands out the given bytes in order and fails when they run out. */
function queueRandom(...chunks: Buffer[]): RandomSource {
  let pool = Buffer.concat(chunks);
  return {
    bytes(n) {
      if (n > pool.length) throw new Error(`queueRandom: ${n} bytes asked, ${pool.length} left`);
      const out = Buffer.from(pool.subarray(0, n));
      pool = pool.subarray(n);
      return out;
    },
  };
}

// RFC 5903 section 8 / RFC 5114 ECP vectors in IKE encoding (x | y, shared = x) and RFC 7748/8031
// X25519 (strongSwan ecp.c, curve25519.c); `seed` is the initiator then the responder private key.
const DH_KAT = [
  { name: 'ecp256', group: 19, seed:
    '814264145f2f56f2e96a8e337a1284993faf432a5abce59e867b7291d507a3af2ce1788ec197e096db95a200cc0ab26a' +
    '19ce6bccad562b8eee1b593761cf7f41', pubI:
    '2af502f3be8952f2c9b5a8d4160d09e97165be50bc42ae4a5e8d3b4ba83aeb15eb0faf4ca986c4d38681a0f9872d79d5' +
    '6795bd4bff6e6de3c0f5015ece5efd85', pubR:
    'b120de4aa36492795346e8de6c2c8646ae06aaea279fa775b3ab0715f6ce51b09f1b7eece20d7b5ed8ec685fa3f071d8' +
    '3727027092a8411385c34dde5708b2b6', shared: 'dd0f5396219d1ea393310412d19a08f1f5811e9dc8ec8eea7f80d21c820c2788' },
  { name: 'ecp384', group: 20, seed:
    'd27335ea71664af244dd14e9fd1260715dfd8a7965571c48d709ee7a7962a156d706a90cbcb5df2986f05feadb9376f1' +
    '52d1791fdb4b70f89c0f00d456c2f7023b6125262c36a7df1f80231121cce3d39be52e00c194a4132c4a6c768bcd94d2', pubI:
    '793148f1787634d5da4c6d9074417d05e057ab62f82054d10ee6b0403d6279547e6a8ea9d1fd77427d016fe27a8b8c66' +
    'c6c41294331d23e6f480f4fb4cd40504c947392e94f4c3f06b8f398bb29e42368f7a685923de3b67baced214a1a1d128', pubR:
    '5cd42ab9c41b5347f74b8d4efb708b3d5b36db65915359b44abc17647b6b9999789d72a84865ae2f223f12b5a1abc120' +
    'e171458feaa939aaa3a8bfac46b404bd8f6d5b348c0fa4d80ceca16356ca933240bde8723415a8ece035b0edf36755de', shared: '5ea1fc4af7256d2055981b110575e0a8cae53160137d904c59d926eb1b8456e427aa8a4540884c37de159a58028abc0e' },
  { name: 'ecp521', group: 21, seed:
    '0113f82da825735e3d97276683b2b74277bad27335ea71664af2430cc4f33459b9669ee78b3ffb9b8683015d344dcbfe' +
    'f6fb9af4c6c470be254516cd3c1a1fb4736200cee3480d8645a17d249f2776d28bae616952d1791fdb4b70f7c3378732' +
    'aa1b22928448bcd1dc2496d435b01048066ebe4f72903c361b1a9dc1193dc2c9d0891b96', pubI:
    '01ebb34dd75721abf8adc9dbed17889cbb9765d90a7c60f2cef007bb0f2b26e14881fd4442e689d61cb2dd046ee30e3f' +
    'fd20f9a45bbdf6413d583a2dbf59924fd35c00f6b632d194c0388e22d8437e558c552ae195adfd153f92d74908351b2f' +
    '8c4eda94edb0916d1b53c020b5eecaed1a5fc38a233e4830587bb2ee3489b3b42a5a86a4', pubR:
    '010ebfafc6e85e08d24bfffcc1a4511db0e634beeb1b6dec8c5939ae44766201af6200430ba97c8ac6a0e9f08b33ce7e' +
    '9feeb5ba4ee5e0d81510c24295b8a08d023500a4a6ec300df9e257b0372b5e7abfef093436719a77887ebb0b18cf8099' +
    'b9f4212b6e30a1419c18e029d36863cc9d448f4dba4d2a0e60711be572915fbd4fef2695', shared:
    '00cdea89621cfa46b132f9e4cfe2261cde2d4368eb5656634c7cc98c7a00cde54ed1866a0dd3e6126c9d2f845daff82c' +
    'eb1da08f5d87521bb0ebeca77911169c20cc' },
  { name: 'curve25519_1', group: 31, seed:
    '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a5dab087e624a8a4b79e17f8b83800ee6' +
    '6f3bb1292618b6fd1c2f8b27ff88e0eb', pubI: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a', pubR: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f', shared: '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742' },
  { name: 'curve25519_2', group: 31, seed:
    '751fb4308655b476b6789b7325f9ea8cddd16a58533ff6d9e60009464a5f9d940a54645253290d60ddadd0e030bacd9e' +
    '5501efdc220755a1e978f1b839a05688', pubI: '48d5ddd4061257ba166fa3f9bbdb74f1a4e81c089384fa77f790709f0dfbc766', pubR: '0be7c1f5aad87d7e448662673298a443478b859745179eaf564c79c0ef6eee25', shared: 'c74950607a12327f3204d94b6825bfb068b7f8319a9e3708ed3d43ce8130c950' },
];

// strongSwan's self-generated MODP vectors (test_vectors/modp.c; 32-byte exponents like ours).
const MODP_KAT = [
  { name: 'modp1024', group: 2, seed:
    'e53c205da0d8e4bfb4174944320fc6e4ea66fe44e3c931ac5da1450aea47ebcf7f9af721eb7cd2a900a36e399ebc5c65' +
    'eecce6629c8e1c5a7ff33293645fd3e3',
    pubI:
    '66617c9bbe91ee9900d806415b7384ecb0b6b80a39bd5b070396ee32375a8f68376b352b97baf32f95c4d18c06ab96bf' +
    'e3f3752df1e3c55741b6f4244117eebda1015983c6ba008fe89fe51cf4c9692592ebf742436c393df61a60ccc64fd790' +
    '7a6d26267c0f1556230c3e332b2e11d118a6982589793a2f6d66b86676bae47a',
    pubR:
    '7b9010609ebf2c497017458afaab4202885d25de7b5e5ce9b05bd442a3e97b52cea760d7dbcb21dd71d80cd4347caa9e' +
    'dfbc2df4c1cdc1669b8ad244eb345b331d875492883df04a3d0b1a8b8927d50991fe03e7357eb6bdfce3d8c684c9861b' +
    'c5ce03962ffb87bf05dabd5a3727994ddee5d3c6ecc589859991b93255761fd5',
    shared:
    '95790f5c46ae7ca1a471dd786aa8e444073ecec9695d004620cd7c9d3609a6973c89a230750935638b86d1e65b27b784' +
    '8881f9013abd036280d1862bb03ca60ba90b70f9ae7edf71ff80f5a7eefbe26729b5bbb1bb1feb0d240e53c9d74b4fe9' +
    'd262b53bd5d8a7383f90f01e359647d04802d74a4f753b294a96503f2605d3f1' },
  { name: 'modp1536', group: 5, seed:
    '22d9dcc73079936a858c07aa85ed07b3d1e8b670e7caafa192837696070fef29323474de7788e0036b309549560b000d' +
    '81f82fdb6978f3c03b701680de6e2810',
    pubI:
    '3d7d1dd1bca7137a642373d5d9b86ef995849ea51cb6cd51a6b93e83b34f967dbf7d66bc7ce5d958bf01902b60f1c307' +
    '6cfe147beb45f08397cff4c3a8027caae184788ef3eb0dd56e14c6dd2ce954e3d5cc80db84deb534ce382445e7a441db' +
    '971230020a1a45ca0070d694f093c716d80768336e61b56ff78b350939fe4e9e032c85bb5881c4c8d7dbd530a6fc5013' +
    '00f7e9e65bffb983348ad05cc56e2c19f597a99fb968914be9b57acf9111e75b576a613767157657900dcf22f4200c3d',
    pubR:
    'd63258d554353d6b2bcc0b5353fa8000b3a354a2411d7f17abca691de8227cd7d43e7fef8b3ee7a0a91a663d30c54f3c' +
    '5f4b95c9fe38c6cf1939b4802bb6f0a951128fdc391d90fa8b40484f45b6da02c76cf91b4331c4cf7851e550a2d1c025' +
    '531403e0403af472b38341dc562be98d1aa280494d6264316a6f774ce0eed40157b637c54e69503becb8f0d757b286e4' +
    'd843c224219a923f73ab578315af445afad9569df25acfca3a9f7c93d303f4ef2432bf62ce525c8a56babd2ffb543832',
    shared:
    '6e3df6e252ba1153ca45e9a8bbe548337b69572aff4e61b46ec986b870a863d3853ab9a54d9c632a0948ce8c65f1a29b' +
    '067a1451198dab9f24776e86425a06bdaa9f26dce9e89e368d0e16702774015a1430aaa1e833227f9dea7a5818ce4743' +
    '20b39ce867ca79a49b31e6abcea6c8daff00b8064e2a757372d40d58a592e7a2deb1f9a0d9abab1fc0812ee1ffa62a20' +
    'ff68ce4d02acb84a1a033d03e4f05e97a4fad89ec23aee349e264efa61ae59e9381b1e5b7aa5d09ab66b74997cbaed20' },
];

for (const v of [...DH_KAT, ...MODP_KAT]) {
  test(`known answer ${v.name} (group ${v.group})`, (t) => {
    const seed = h(v.seed);
    const half = seed.length / 2;
    const i = createKeyExchange(v.group, queueRandom(seed.subarray(0, half)));
    const r = createKeyExchange(v.group, queueRandom(seed.subarray(half)));
    t.is(i.publicValue.toString('hex'), v.pubI);
    t.is(r.publicValue.toString('hex'), v.pubR);
    t.is(i.computeSharedSecret(h(v.pubR)).toString('hex'), v.shared);
    t.is(r.computeSharedSecret(h(v.pubI)).toString('hex'), v.shared);
  });
}

const SECRET_LENGTH: Record<number, number> = { 2: 128, 5: 192, 14: 256, 15: 384, 16: 512, 19: 32, 20: 48, 21: 66, 31: 32 };
const PUBLIC_LENGTH: Record<number, number> = { 2: 128, 5: 192, 14: 256, 15: 384, 16: 512, 19: 64, 20: 96, 21: 132, 31: 32 };

for (const group of SUPPORTED_KE_GROUPS) {
  test(`group ${group}: both sides compute the same secret, lengths per RFC`, (t) => {
    const i = createKeyExchange(group, seededRandom(`i-${group}`));
    const r = createKeyExchange(group, seededRandom(`r-${group}`));
    t.is(i.group, group);
    t.is(i.publicValue.length, PUBLIC_LENGTH[group]!);
    t.is(keyExchangeDataLength(group), PUBLIC_LENGTH[group]!);
    const si = i.computeSharedSecret(r.publicValue);
    const sr = r.computeSharedSecret(i.publicValue);
    t.deepEqual(si, sr);
    t.is(si.length, SECRET_LENGTH[group]!);
    t.notDeepEqual(i.publicValue, r.publicValue);
    // Deterministic: the same random source gives the same public value.
    t.deepEqual(createKeyExchange(group, seededRandom(`i-${group}`)).publicValue, i.publicValue);
  });

  test(`group ${group}: peer values of the wrong length are rejected`, (t) => {
    const ke = createKeyExchange(group, seededRandom(`len-${group}`));
    const len = PUBLIC_LENGTH[group]!;
    for (const bad of [Buffer.alloc(0), Buffer.alloc(len - 1, 5), Buffer.alloc(len + 1, 5), Buffer.alloc(len + 1, 0)]) {
      const e = t.throws(() => ke.computeSharedSecret(bad), { instanceOf: KeyExchangeError });
      t.is(e?.group, group);
    }
  });
}

test('MODP public value is g^x mod p zero-padded to the prime length; secret is y^x mod p', (t) => {
  const modPow = (b: bigint, e: bigint, m: bigint): bigint => {
    let r = 1n;
    for (b %= m; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
    return r;
  };
  const big = (b: Buffer): bigint => BigInt(`0x${b.toString('hex')}`);
  const pad = (v: bigint, len: number): string => v.toString(16).padStart(len * 2, '0');
  const p = getDiffieHellman('modp14').getPrime();
  const P = big(p);
  // A small exponent makes g^x shorter than the prime, so the zero padding is exercised.
  const x = h('00'.repeat(31) + '05');
  const y = h('11'.repeat(32));
  const i = createKeyExchange(DhGroup.MODP_2048, queueRandom(x));
  const r = createKeyExchange(DhGroup.MODP_2048, queueRandom(y));
  t.is(i.publicValue.toString('hex'), pad(modPow(2n, 5n, P), 256));
  t.is(i.publicValue[0], 0);
  t.is(i.computeSharedSecret(r.publicValue).toString('hex'), pad(modPow(big(r.publicValue), 5n, P), 256));
});

test('MODP peer values outside 1 < y < p-1 are rejected', (t) => {
  const ke = createKeyExchange(DhGroup.MODP_2048, seededRandom('range'));
  const p = getDiffieHellman('modp14').getPrime();
  const pMinus1 = Buffer.from(p);
  pMinus1[pMinus1.length - 1]! -= 1;
  const one = Buffer.alloc(256);
  one[255] = 1;
  for (const bad of [Buffer.alloc(256), one, pMinus1, p, Buffer.alloc(256, 0xff)]) {
    t.throws(() => ke.computeSharedSecret(bad), { instanceOf: KeyExchangeError, message: /out of range/ });
  }
  const two = Buffer.alloc(256);
  two[255] = 2;
  t.is(ke.computeSharedSecret(two).length, 256);
});

for (const group of [DhGroup.ECP_256, DhGroup.ECP_384, DhGroup.ECP_521]) {
  test(`ECP group ${group}: points not on the curve are rejected`, (t) => {
    const ke = createKeyExchange(group, seededRandom(`curve-${group}`));
    const peer = Buffer.from(createKeyExchange(group, seededRandom(`peer-${group}`)).publicValue);
    peer[peer.length - 1]! ^= 1; // y no longer matches x
    t.throws(() => ke.computeSharedSecret(peer), { instanceOf: KeyExchangeError, message: /not a point on the curve/ });
    t.throws(() => ke.computeSharedSecret(Buffer.alloc(peer.length)), { instanceOf: KeyExchangeError });
    t.throws(() => ke.computeSharedSecret(Buffer.alloc(peer.length, 0xff)), { instanceOf: KeyExchangeError });
  });
}

test('ECP private keys outside [1, n-1] are drawn again from the same source', (t) => {
  // 66 bytes of 0xff mask to 0x01ff..ff, above the P-521 order; the next draw is the RFC 5114 key.
  const v = DH_KAT.find((x) => x.name === 'ecp521')!;
  const seed = h(v.seed);
  const ke = createKeyExchange(DhGroup.ECP_521, queueRandom(Buffer.alloc(66, 0xff), seed.subarray(0, 66)));
  t.is(ke.publicValue.toString('hex'), v.pubI);
  const v256 = DH_KAT.find((x) => x.name === 'ecp256')!;
  const ke256 = createKeyExchange(DhGroup.ECP_256, queueRandom(Buffer.alloc(32), h(v256.seed).subarray(0, 32)));
  t.is(ke256.publicValue.toString('hex'), v256.pubI);
});

test('X25519 low-order peer values (all-zero shared secret) are rejected (RFC 8031 section 2)', (t) => {
  const ke = createKeyExchange(DhGroup.CURVE25519, seededRandom('x25519'));
  const one = Buffer.alloc(32);
  one[0] = 1;
  for (const bad of [Buffer.alloc(32), one]) {
    t.throws(() => ke.computeSharedSecret(bad), { instanceOf: KeyExchangeError, message: /all zero/ });
  }
});

test('unsupported groups are a typed error', (t) => {
  for (const g of [DhGroup.MODP_768, DhGroup.MODP_6144, DhGroup.CURVE448, 99]) {
    t.throws(() => createKeyExchange(g, seededRandom('x')), { instanceOf: UnsupportedAlgorithmError });
  }
});
