// Micro-benchmark of the IKE cryptography on one core (not asserted): DH per side (keygen + derive),
// key derivation, PSK AUTH, signatures, and SK protection of a 300-byte payload.
// Run: npx tsx bench/ike-crypto.bench.ts [seconds-per-case, default 1]

import { readFileSync } from 'node:fs';
import { AuthMethod, EncrId, IntegId, PrfId } from '../engine/ike/constants.ts';
import { pskAuth, signAuth, signedOctets, verifyAuth } from '../engine/ike/crypto/auth.ts';
import { loadPemCertificates, loadPemPrivateKey } from '../engine/ike/crypto/certs.ts';
import { createKeyExchange } from '../engine/ike/crypto/dh.ts';
import { deriveIkeSaKeys } from '../engine/ike/crypto/keymat.ts';
import { openSk, sealSk } from '../engine/ike/crypto/sk.ts';
import type { SkSuite } from '../engine/ike/crypto/sk.ts';
import { cryptoRandom } from '../engine/util/random.ts';

const seconds = Number(process.argv[2] ?? 1);
const MAX_ITERATIONS = 5_000_000; // bound on every loop, whatever the clock says

function bench(name: string, fn: () => void): void {
  for (let i = 0; i < 20; i++) fn(); // warm-up
  const deadline = performance.now() + seconds * 1000;
  let n = 0;
  const start = performance.now();
  while (n < MAX_ITERATIONS && performance.now() < deadline) {
    for (let i = 0; i < 10; i++) fn();
    n += 10;
  }
  const elapsed = (performance.now() - start) / 1000;
  const rate = n / elapsed;
  console.log(`${name.padEnd(58)} ${rate.toFixed(0).padStart(9)} ops/s  ${(1e6 / rate).toFixed(1).padStart(8)} µs/op`);
}

const peerX = createKeyExchange(31, cryptoRandom).publicValue;
const peerModp = createKeyExchange(14, cryptoRandom).publicValue;
const peerP256 = createKeyExchange(19, cryptoRandom).publicValue;
bench('X25519 keygen + derive (one side)', () => { createKeyExchange(31, cryptoRandom).computeSharedSecret(peerX); });
bench('ECP-256 keygen + derive (one side)', () => { createKeyExchange(19, cryptoRandom).computeSharedSecret(peerP256); });
bench('MODP-2048 keygen + derive (one side)', () => { createKeyExchange(14, cryptoRandom).computeSharedSecret(peerModp); });

const nonce = cryptoRandom.bytes(32);
const gir = cryptoRandom.bytes(256);
const spi = cryptoRandom.bytes(8);
bench('deriveIkeSaKeys (PRF-SHA256, AES-CBC-256, SHA2-256-128)', () => {
  deriveIkeSaKeys({ prf: PrfId.HMAC_SHA2_256, encr: EncrId.AES_CBC, encrKeyBits: 256, integ: IntegId.HMAC_SHA2_256_128, nonceI: nonce, nonceR: nonce, spiI: spi, spiR: spi, sharedSecret: gir });
});

const realMessage = cryptoRandom.bytes(500);
const skP = cryptoRandom.bytes(32);
const id = Buffer.concat([Buffer.from([2, 0, 0, 0]), Buffer.from('hub.flexlab.test')]);
bench('PSK AUTH (signedOctets + pskAuth, PRF-SHA256, 500-byte message)', () => {
  pskAuth(PrfId.HMAC_SHA2_256, Buffer.from('cisco123'), signedOctets({ realMessage, peerNonce: nonce, prfId: PrfId.HMAC_SHA2_256, skP, idPayloadBody: id }));
});

const pki = (f: string): Buffer => readFileSync(new URL(`../test/fixtures/pki/${f}`, import.meta.url));
const rsaKey = loadPemPrivateKey(pki('hub-rsa.key.pem'));
const rsaCert = loadPemCertificates(pki('hub-rsa.cert.pem'))[0]!;
const ecKey = loadPemPrivateKey(pki('hub-ec.key.pem'));
const ecCert = loadPemCertificates(pki('hub-ec.cert.pem'))[0]!;
const octets = cryptoRandom.bytes(600);
const rsaAuth = signAuth(AuthMethod.DIGITAL_SIGNATURE, rsaKey, octets);
const ecAuth = signAuth(AuthMethod.DIGITAL_SIGNATURE, ecKey, octets);
bench('RSA-2048 sign (method 14, sha256WithRSAEncryption)', () => { signAuth(AuthMethod.DIGITAL_SIGNATURE, rsaKey, octets); });
bench('RSA-2048 verify (method 14)', () => { verifyAuth(AuthMethod.DIGITAL_SIGNATURE, rsaCert, octets, rsaAuth); });
bench('ECDSA P-256 sign (method 14)', () => { signAuth(AuthMethod.DIGITAL_SIGNATURE, ecKey, octets); });
bench('ECDSA P-256 verify (method 14)', () => { verifyAuth(AuthMethod.DIGITAL_SIGNATURE, ecCert, octets, ecAuth); });

const header = Buffer.alloc(28);
header[17] = 0x20;
header[18] = 35;
const inner = cryptoRandom.bytes(300);
const suites: Array<[string, SkSuite, { encrKey: Buffer; integKey?: Buffer }]> = [
  ['AES-CBC-256 + HMAC-SHA2-256-128', { encr: EncrId.AES_CBC, encrKeyBits: 256, integ: IntegId.HMAC_SHA2_256_128 }, { encrKey: cryptoRandom.bytes(32), integKey: cryptoRandom.bytes(32) }],
  ['AES-GCM-16-256', { encr: EncrId.AES_GCM_16, encrKeyBits: 256, integ: IntegId.NONE }, { encrKey: cryptoRandom.bytes(36) }],
];
for (const [name, suite, keys] of suites) {
  const msg = sealSk(suite, keys, header, 35, inner, cryptoRandom);
  bench(`sealSk 300 B, ${name}`, () => { sealSk(suite, keys, header, 35, inner, cryptoRandom); });
  bench(`openSk 300 B, ${name}`, () => { openSk(suite, keys, msg, 28); });
}
