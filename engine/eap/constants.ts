// EAP numbers (RFC 3748 section 4 and IANA "Extensible Authentication Protocol (EAP) Registry").

export enum EapCode {
  Request = 1,
  Response = 2,
  Success = 3,
  Failure = 4,
}

export enum EapType {
  Identity = 1,
  Notification = 2,
  Nak = 3, // legacy Nak, Response only (RFC 3748 5.3.1)
  Md5Challenge = 4,
  Otp = 5,
  Gtc = 6,
  Tls = 13,
  Ttls = 21,
  Peap = 25,
  MsChapV2 = 26,
  Expanded = 254, // RFC 3748 5.7
  Experimental = 255,
}

/** Vendor-Id 0 (IETF) in an expanded type, with Vendor-Type 3: the expanded Nak (RFC 3748 5.3.2). */
export const EXPANDED_NAK_VENDOR_TYPE = 3;

const codeNames: Record<number, string> = { 1: 'Request', 2: 'Response', 3: 'Success', 4: 'Failure' };
const typeNames: Record<number, string> = {
  1: 'Identity', 2: 'Notification', 3: 'Nak', 4: 'MD5-Challenge', 5: 'OTP', 6: 'GTC', 13: 'TLS', 21: 'TTLS',
  25: 'PEAP', 26: 'MSCHAPv2', 254: 'Expanded', 255: 'Experimental',
};

export function eapCodeName(c: number): string {
  return codeNames[c] ?? `Code-${c}`;
}

export function eapTypeName(t: number): string {
  return typeNames[t] ?? `Type-${t}`;
}

/** The methods this project implements on both sides, by their configuration names. */
export type EapMethodName = 'md5' | 'mschapv2' | 'gtc';

export const EAP_METHOD_TYPES: Record<EapMethodName, EapType> = {
  md5: EapType.Md5Challenge,
  mschapv2: EapType.MsChapV2,
  gtc: EapType.Gtc,
};

export function eapMethodName(t: number): EapMethodName | undefined {
  for (const [n, v] of Object.entries(EAP_METHOD_TYPES)) if (v === t) return n as EapMethodName;
  return undefined;
}

export const ALL_EAP_METHODS: readonly EapMethodName[] = ['mschapv2', 'md5', 'gtc'];
