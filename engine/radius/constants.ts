// RADIUS numbers: packet codes (RFC 2865 section 3, RFC 2866, RFC 5176 section 2.3), ports, vendor
// ids, and the enumerated values the NAS and the built-in server use by name. Attribute numbers and
// types live in dictionary.ts.

export enum RadiusCode {
  AccessRequest = 1,
  AccessAccept = 2,
  AccessReject = 3,
  AccountingRequest = 4,
  AccountingResponse = 5,
  AccessChallenge = 11,
  StatusServer = 12,
  StatusClient = 13,
  DisconnectRequest = 40,
  DisconnectAck = 41,
  DisconnectNak = 42,
  CoaRequest = 43,
  CoaAck = 44,
  CoaNak = 45,
}

const codeNames: Record<number, string> = {
  1: 'Access-Request', 2: 'Access-Accept', 3: 'Access-Reject', 4: 'Accounting-Request', 5: 'Accounting-Response',
  11: 'Access-Challenge', 12: 'Status-Server', 13: 'Status-Client', 40: 'Disconnect-Request', 41: 'Disconnect-ACK',
  42: 'Disconnect-NAK', 43: 'CoA-Request', 44: 'CoA-ACK', 45: 'CoA-NAK',
};

export function radiusCodeName(c: number): string {
  return codeNames[c] ?? `Code-${c}`;
}

export function isKnownCode(c: number): c is RadiusCode {
  return c in codeNames;
}

/** Codes whose Request Authenticator is an MD5 over the packet (RFC 2866 3, RFC 5176 2.3), not random. */
export function hasComputedRequestAuthenticator(code: number): boolean {
  return code === RadiusCode.AccountingRequest || code === RadiusCode.DisconnectRequest || code === RadiusCode.CoaRequest;
}

export function isRequestCode(code: number): boolean {
  return code === RadiusCode.AccessRequest || code === RadiusCode.AccountingRequest || code === RadiusCode.StatusServer
    || code === RadiusCode.DisconnectRequest || code === RadiusCode.CoaRequest;
}

/** The responses a request code may get. */
export function responseCodesFor(code: number): number[] {
  switch (code) {
    case RadiusCode.AccessRequest: return [RadiusCode.AccessAccept, RadiusCode.AccessReject, RadiusCode.AccessChallenge];
    case RadiusCode.AccountingRequest: return [RadiusCode.AccountingResponse];
    case RadiusCode.StatusServer: return [RadiusCode.AccessAccept, RadiusCode.AccountingResponse];
    case RadiusCode.DisconnectRequest: return [RadiusCode.DisconnectAck, RadiusCode.DisconnectNak];
    case RadiusCode.CoaRequest: return [RadiusCode.CoaAck, RadiusCode.CoaNak];
    default: return [];
  }
}

export const RADIUS_AUTH_PORT = 1812;
export const RADIUS_ACCT_PORT = 1813;
/** RFC 5176 section 3.1 (the seed's IOS example uses 1700 via `port`). */
export const RADIUS_DAE_PORT = 3799;
/** RFC 2865 section 3: 20..4096 octets. */
export const RADIUS_MIN_LENGTH = 20;
export const RADIUS_MAX_LENGTH = 4096;

export const VENDOR_CISCO = 9;
export const VENDOR_MICROSOFT = 311;

/** RFC 2865 5.6 */
export enum ServiceType {
  Login = 1,
  Framed = 2,
  CallbackLogin = 3,
  CallbackFramed = 4,
  Outbound = 5,
  Administrative = 6,
  NasPrompt = 7,
  AuthenticateOnly = 8,
  CallbackNasPrompt = 9,
  CallCheck = 10,
  CallbackAdministrative = 11,
  AuthorizeOnly = 17, // RFC 5176 3.1
}

/** RFC 2866 5.1 */
export enum AcctStatusType {
  Start = 1,
  Stop = 2,
  InterimUpdate = 3,
  AccountingOn = 7,
  AccountingOff = 8,
}

/** RFC 2866 5.10 */
export enum AcctTerminateCause {
  UserRequest = 1,
  LostCarrier = 2,
  LostService = 3,
  IdleTimeout = 4,
  SessionTimeout = 5,
  AdminReset = 6,
  AdminReboot = 7,
  PortError = 8,
  NasError = 9,
  NasRequest = 10,
  NasReboot = 11,
  PortUnneeded = 12,
  PortPreempted = 13,
  PortSuspended = 14,
  ServiceUnavailable = 15,
  Callback = 16,
  UserError = 17,
  HostRequest = 18,
}

/**
 * RFC 5176 section 3.5 Error-Cause values. The seed's IOS DAS answers a Disconnect-Request for an
 * unknown session with 404 Invalid Request (0x194) and Reply-Message "No Matching Session"
 * (S2:1036-1044), where RFC 5176 would suggest 503 Session Context Not Found.
 */
export enum ErrorCause {
  ResidualSessionContextRemoved = 201,
  InvalidEapPacket = 202,
  UnsupportedAttribute = 401,
  MissingAttribute = 402,
  NasIdentificationMismatch = 403,
  InvalidRequest = 404,
  UnsupportedService = 405,
  UnsupportedExtension = 406,
  InvalidAttributeValue = 407,
  AdministrativelyProhibited = 501,
  RequestNotRoutable = 502,
  SessionContextNotFound = 503,
  SessionContextNotRemovable = 504,
  OtherProxyProcessingError = 505,
  ResourcesUnavailable = 506,
  RequestInitiated = 507,
  MultipleSessionSelectionUnsupported = 508,
}
