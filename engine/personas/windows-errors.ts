// The Win32 error numbers a Windows IKEv2 client reports (winerror.h, the ERROR_IPSEC_IKE_* block),
// and which of our failures map to which. The numbers are Microsoft's; which failure Windows
// reports with which number comes from the strongSwan Windows pages and field reports
// (ikev2-notes.md 3a): a mapping marked `verified: false` is our best guess, listed as unverified
// in docs/personas.md.

import { NotifyType } from '../ike/constants.ts';
import type { ClientError } from '../ike/config.ts';

/** Win32 errors used by the persona (values from winerror.h). */
export const WIN32 = {
  ERROR_IPSEC_IKE_AUTH_FAIL: 13801, // "IKE authentication credentials are unacceptable"
  ERROR_IPSEC_IKE_TIMED_OUT: 13805,
  ERROR_IPSEC_IKE_NO_CERT: 13806, // "IKE failed to find valid machine certificate"
  ERROR_IPSEC_IKE_ERROR: 13816,
  ERROR_IPSEC_IKE_INVALID_SITUATION: 13863,
  ERROR_IPSEC_IKE_POLICY_MATCH: 13868, // "Policy match error"
} as const;

export type Win32Name = keyof typeof WIN32;

export function win32(name: Win32Name): ClientError {
  return { system: 'Windows', code: WIN32[name], name };
}

/** Microsoft's MS_NOTIFY_STATUS (12345) body: the Win32 error, 32 bits, network byte order. */
export function msNotifyStatus(code: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(code);
  return b;
}

/**
 * The error Windows shows for a failed IKE SA of ours, from the responder's notify:
 * NO_PROPOSAL_CHOSEN -> 13868 ERROR_IPSEC_IKE_POLICY_MATCH (the well-known "policy match error"
 * against servers without MODP-1024), AUTHENTICATION_FAILED -> 13801 ERROR_IPSEC_IKE_AUTH_FAIL.
 * Failures we detect ourselves (certificate rules, no machine certificate) carry their own error.
 * Anything else is left unmapped rather than guessed.
 */
export function windowsErrorOf(f: { notify?: number; reason: string; exchange: string }): ClientError | undefined {
  switch (f.notify) {
    case NotifyType.NO_PROPOSAL_CHOSEN: return win32('ERROR_IPSEC_IKE_POLICY_MATCH');
    case NotifyType.AUTHENTICATION_FAILED: return win32('ERROR_IPSEC_IKE_AUTH_FAIL');
    default: return undefined;
  }
}
