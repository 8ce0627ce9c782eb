// Identification payloads IDi/IDr (RFC 7296 section 3.5). The data stays as on the wire; the
// checks here are the ones the ID type fixes: address lengths, non-empty names, and a DER DN
// that is a well-formed Name.

import { Buffer } from 'node:buffer';
import { IdType, PayloadType } from '../constants.ts';
import type { IdPayload } from '../message.ts';
import { type ByteReader, u8 } from './bytes.ts';
import { isDerDn } from './dn.ts';

export function decodeIdBody(r: ByteReader, type: PayloadType.IDi | PayloadType.IDr): IdPayload {
  const idType = r.u8('ID type');
  r.skip(3, 'reserved');
  const data = r.rest();
  const problem = idDataProblem(idType, data);
  if (problem) r.fail('BAD_ID', problem);
  return { type, idType, data };
}

/** Why `data` cannot be identification data of `idType`, or undefined when it can. */
export function idDataProblem(idType: number, data: Buffer): string | undefined {
  switch (idType) {
    case IdType.ID_IPV4_ADDR:
      return data.length === 4 ? undefined : `ID_IPV4_ADDR needs 4 bytes, got ${data.length}`;
    case IdType.ID_IPV6_ADDR:
      return data.length === 16 ? undefined : `ID_IPV6_ADDR needs 16 bytes, got ${data.length}`;
    case IdType.ID_FQDN: case IdType.ID_RFC822_ADDR: case IdType.ID_KEY_ID: case IdType.ID_DER_ASN1_GN:
      return data.length > 0 ? undefined : `ID type ${idType} with empty data`;
    case IdType.ID_DER_ASN1_DN:
      return isDerDn(data) ? undefined : 'ID_DER_ASN1_DN data is not a DER-encoded Name';
    default:
      return undefined; // ID_NULL, private types: nothing to check
  }
}

export function encodeIdBody(p: IdPayload): Buffer {
  return Buffer.concat([u8(p.idType, 'ID type'), Buffer.alloc(3), p.data]);
}
