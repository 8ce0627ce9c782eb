// MD4 for the MS-CHAPv2 NT hash: the RFC 1320 appendix A.5 vectors, and agreement with OpenSSL's
// MD4 (a Node child started with --openssl-legacy-provider) on generated inputs of every length
// around the 64-byte block and 56-byte padding boundaries.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { md4, md4Rfc1320, nodeHasMd4 } from '../engine/eap/md4.ts';

const RFC1320: [string, string][] = [
  ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
  ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
  ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
  ['message digest', 'd9130a8164549fe818874806e1c7014b'],
  ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
  ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
  ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', 'e33b4ddc9c38f2199c3e7b164fcc0536'],
];

test('RFC 1320 A.5 test suite, through md4() and the fallback transform', (t) => {
  for (const [input, hex] of RFC1320) {
    t.is(md4Rfc1320(Buffer.from(input)).toString('hex'), hex, JSON.stringify(input));
    t.is(md4(Buffer.from(input)).toString('hex'), hex, JSON.stringify(input));
  }
});

test('Node 20 offers MD4 only with the OpenSSL legacy provider; otherwise the fallback runs', (t) => {
  const legacy = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)].includes('--openssl-legacy-provider');
  t.is(nodeHasMd4(), legacy);
});

test('agrees with OpenSSL MD4 (legacy provider) on generated inputs', (t) => {
  const inputs = [
    ...Array.from({ length: 140 }, (_, n) => Buffer.alloc(n, n & 0xff)),
    ...fc.sample(fc.uint8Array({ minLength: 0, maxLength: 600 }), { numRuns: 200, seed: 1320 }).map((a) => Buffer.from(a)),
  ];
  const script = `const c=require('crypto');let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{console.log(JSON.stringify(JSON.parse(s).map(h=>c.createHash('md4').update(Buffer.from(h,'hex')).digest('hex'))))})`;
  const out = execFileSync(process.execPath, ['--openssl-legacy-provider', '-e', script], { input: JSON.stringify(inputs.map((b) => b.toString('hex'))), encoding: 'utf8' });
  const openssl = JSON.parse(out) as string[];
  t.is(openssl.length, inputs.length);
  const mismatches = inputs.filter((b, i) => md4Rfc1320(b).toString('hex') !== openssl[i]).map((b) => b.length);
  t.deepEqual(mismatches, []);
});
