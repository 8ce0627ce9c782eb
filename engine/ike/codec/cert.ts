// Certificate and Certificate Request payloads (RFC 7296 sections 3.6 and 3.7): an encoding byte
// and opaque data (for CERTREQ with X.509, concatenated SHA-1 hashes of CA public keys; not
// checked here, since some peers send other forms and the CERTREQ is only a hint).

import { Buffer } from 'node:buffer';
import { PayloadType } from '../constants.ts';
import type { CertPayload, CertReqPayload } from '../message.ts';
import { type ByteReader, u8 } from './bytes.ts';

export function decodeCertBody(r: ByteReader): CertPayload {
  const encoding = r.u8('certificate encoding');
  return { type: PayloadType.CERT, encoding, data: r.rest() };
}

export function encodeCertBody(p: CertPayload): Buffer {
  return Buffer.concat([u8(p.encoding, 'certificate encoding'), p.data]);
}

export function decodeCertReqBody(r: ByteReader): CertReqPayload {
  const encoding = r.u8('certificate encoding');
  return { type: PayloadType.CERTREQ, encoding, data: r.rest() };
}

export function encodeCertReqBody(p: CertReqPayload): Buffer {
  return Buffer.concat([u8(p.encoding, 'certificate encoding'), p.data]);
}
