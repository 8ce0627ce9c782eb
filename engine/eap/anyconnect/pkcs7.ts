// The PKCS7 TLV of AnyConnect-EAP dual-factor authentication (F-AUTH-13): a "degenerate"
// certificates-only SignedData (RFC 2315 9.1; RFC 5652 5.1) carrying the device certificate first,
// then its chain. Only the few DER shapes needed here are written and read.

import { X509Certificate } from 'node:crypto';

const OID_SIGNED_DATA = Buffer.from('06092a864886f70d010702', 'hex'); // 1.2.840.113549.1.7.2
const OID_DATA = Buffer.from('06092a864886f70d010701', 'hex'); // 1.2.840.113549.1.7.1

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.of(tag), len(body.length), body]);
}

/** SignedData { version 1, digestAlgorithms {}, contentInfo { data }, certificates [0] {...}, signerInfos {} }. */
export function buildCertsOnlyPkcs7(certs: readonly X509Certificate[]): Buffer {
  const signedData = tlv(0x30,
    tlv(0x02, Buffer.of(1)),
    tlv(0x31),
    tlv(0x30, OID_DATA),
    tlv(0xa0, ...certs.map((c) => c.raw)),
    tlv(0x31));
  return tlv(0x30, OID_SIGNED_DATA, tlv(0xa0, signedData));
}

interface Der {
  tag: number;
  start: number;
  body: Buffer;
  end: number;
}

function readDer(buf: Buffer, off: number): Der {
  if (off + 2 > buf.length) throw new Error('DER element truncated');
  const tag = buf[off]!;
  let l = buf[off + 1]!;
  let p = off + 2;
  if (l & 0x80) {
    const n = l & 0x7f;
    if (n === 0 || n > 4 || p + n > buf.length) throw new Error('unsupported DER length');
    l = 0;
    for (let i = 0; i < n; i++) l = l * 256 + buf[p + i]!;
    p += n;
  }
  if (p + l > buf.length) throw new Error(`DER element of ${l} bytes runs past the end`);
  return { tag, start: off, body: buf.subarray(p, p + l), end: p + l };
}

function children(body: Buffer): Der[] {
  const out: Der[] = [];
  for (let off = 0; off < body.length;) {
    const d = readDer(body, off);
    out.push(d);
    off = d.end;
  }
  return out;
}

/** The certificates of a SignedData, in order; throws with a reason when it is not one. */
export function parseCertsOnlyPkcs7(der: Buffer): X509Certificate[] {
  const top = readDer(der, 0);
  if (top.tag !== 0x30) throw new Error('PKCS7 is not a SEQUENCE');
  const [oid, explicit] = children(top.body);
  if (!oid || oid.tag !== 0x06 || !top.body.subarray(oid.start, oid.end).equals(OID_SIGNED_DATA)) throw new Error('PKCS7 content type is not signedData');
  if (!explicit || explicit.tag !== 0xa0) throw new Error('PKCS7 signedData content missing');
  const [sd] = children(explicit.body);
  if (!sd || sd.tag !== 0x30) throw new Error('SignedData is not a SEQUENCE');
  const parts = children(sd.body);
  const version = parts[0];
  if (!version || version.tag !== 0x02 || version.body[0] !== 1) throw new Error(`SignedData version ${version?.body[0] ?? '?'} (expected 1)`);
  const certSet = parts.find((p) => p.tag === 0xa0);
  if (!certSet) throw new Error('SignedData carries no certificates');
  return children(certSet.body).map((c) => new X509Certificate(Buffer.from(certSet.body.subarray(c.start, c.end))));
}
