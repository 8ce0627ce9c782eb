// Typed errors of the RADIUS codec. A received packet that does not parse or does not verify raises
// RadiusParseError and nothing else: RFC 2865 says such packets are silently discarded, so the
// caller turns the error into a counter (its `code`) and a log line. RadiusEncodeError is a
// programming or configuration error on our side (a value that does not fit its attribute).

export type RadiusParseErrorCode =
  | 'TRUNCATED' // fewer bytes than the header or the Length field needs
  | 'BAD_LENGTH' // Length outside 20..4096 (RFC 2865 section 3)
  | 'BAD_CODE' // a Code this implementation does not know
  | 'BAD_ATTRIBUTE' // attribute length < 2, overrunning the packet, or a value of the wrong size for its type
  | 'BAD_AUTHENTICATOR' // Request or Response Authenticator does not verify (wrong secret, forged, not ours)
  | 'BAD_MESSAGE_AUTHENTICATOR' // Message-Authenticator HMAC does not verify, or is not 16 bytes, or appears twice
  | 'MISSING_MESSAGE_AUTHENTICATOR' // EAP-Message without Message-Authenticator (RFC 3579 3.2), or required by policy
  | 'BAD_HIDDEN_VALUE'; // a User-Password/Tunnel-Password/MPPE key that does not decrypt to a valid value

export class RadiusParseError extends Error {
  override readonly name = 'RadiusParseError';
  constructor(readonly code: RadiusParseErrorCode, message: string, readonly offset?: number) {
    super(`${code}: ${message}${offset !== undefined ? ` (offset ${offset})` : ''}`);
  }
}

export function isRadiusParseError(e: unknown): e is RadiusParseError {
  return e instanceof RadiusParseError;
}

export class RadiusEncodeError extends Error {
  override readonly name = 'RadiusEncodeError';
}
