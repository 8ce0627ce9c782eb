// A received EAP packet that does not parse raises EapParseError and nothing else. RFC 3748
// section 4 says such packets are silently discarded: the caller counts them and logs a line.

export type EapParseErrorCode =
  | 'TRUNCATED' // fewer bytes than the header or a length field needs
  | 'BAD_LENGTH' // the Length field is below the minimum for the code
  | 'BAD_CODE' // a Code outside 1..4
  | 'BAD_TYPE_DATA' // method data that does not parse (MD5 value size, MSCHAPv2 lengths...)
  | 'UNEXPECTED'; // a well-formed packet that the method cannot take in its state

export class EapParseError extends Error {
  override readonly name = 'EapParseError';
  constructor(readonly code: EapParseErrorCode, message: string) {
    super(`${code}: ${message}`);
  }
}

export function isEapParseError(e: unknown): e is EapParseError {
  return e instanceof EapParseError;
}
