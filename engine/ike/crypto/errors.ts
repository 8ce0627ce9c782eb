// Typed errors of the IKE cryptography. The protocol core catches these and turns them into a
// counter + log line (or the notify RFC 7296 asks for); none of them should ever escape as a crash.
// Raw OpenSSL exceptions are always wrapped into one of these.

export abstract class IkeCryptoError extends Error {
  /** Stable short identifier for counters and logs ("icv-mismatch", "bad-pad-length"...). */
  abstract readonly kind: string;
  constructor(readonly reason: string, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A transform id, key length or key type this implementation cannot use. A configuration or
 *  negotiation bug, not a bad packet. */
export class UnsupportedAlgorithmError extends IkeCryptoError {
  readonly kind = 'unsupported-algorithm';
  constructor(what: string) {
    super(what, `unsupported algorithm: ${what}`);
  }
}

/** A peer's KE payload data is unusable (wrong length, point not on the curve, y out of range,
 *  all-zero X25519 result). The caller answers INVALID_SYNTAX (IKE_SA_INIT) or fails the SA. */
export class KeyExchangeError extends IkeCryptoError {
  readonly kind = 'key-exchange';
  constructor(readonly group: number, reason: string) {
    super(reason, `key exchange (group ${group}): ${reason}`);
  }
}

/** The SK/SKF payload could not be authenticated: ICV or AEAD tag mismatch, or too short to
 *  even hold IV and ICV. Unauthenticated input: drop silently and count (RFC 7296 2.21.2). */
export class IntegrityError extends IkeCryptoError {
  readonly kind = 'integrity';
  constructor(reason: string) {
    super(reason, `integrity check failed: ${reason}`);
  }
}

/** The SK/SKF payload was authentic but its decrypted content is malformed (pad length larger
 *  than the data, ciphertext not a multiple of the block size, lengths inconsistent). */
export class DecryptError extends IkeCryptoError {
  readonly kind = 'decrypt';
  constructor(reason: string) {
    super(reason, `decryption failed: ${reason}`);
  }
}

/** Malformed bytes inside a crypto-bearing field (AUTH data of method 14, a hash list notify,
 *  a certificate's DER). */
export class MalformedCryptoDataError extends IkeCryptoError {
  readonly kind = 'malformed';
  constructor(reason: string) {
    super(reason, `malformed data: ${reason}`);
  }
}

/** A PEM file or block that does not parse (certificate or private key); names the source. */
export class PemError extends IkeCryptoError {
  readonly kind = 'pem';
  constructor(readonly source: string, reason: string) {
    super(reason, `${source}: ${reason}`);
  }
}
