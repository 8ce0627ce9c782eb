// Vendor ID payload values seen from FlexVPN, AnyConnect and Windows peers (ikev2-notes.md 3a-3c).
// The Cisco strings are plain ASCII as strongSwan and libreswan list them; their exact bytes are
// not confirmed by an IOS capture, so personas may override them in configuration.

import { Buffer } from 'node:buffer';

const ascii = (s: string) => Buffer.from(s, 'ascii');

export const CISCO_VENDOR_IDS = {
  FLEXVPN_SUPPORTED: ascii('FLEXVPN-SUPPORTED'),
  DELETE_REASON: ascii('CISCO-DELETE-REASON'),
  DYNAMIC_ROUTE: ascii('CISCO-DYNAMIC-ROUTE'),
  GRE_MODE: ascii('CISCO-GRE-MODE'),
  COPYRIGHT: ascii('CISCO(COPYRIGHT)&Copyright (c) 2009 Cisco Systems, Inc.'),
  FRAGMENTATION: Buffer.from('4048b7d56ebce88525e7de7f00d6c2d3', 'hex'),
  ANYCONNECT_EAP: ascii('CISCO-ANYCONNECT-EAP'),
  ANYCONNECT_STRAP: ascii('CISCO-ANYCONNECT-STRAP'),
  NGE_LEVEL: ascii('CISCO-NGE-LEVEL'),
};

export const MICROSOFT_VENDOR_IDS = {
  MS_NT5_ISAKMPOAKLEY_V9: Buffer.from('1e2b516905991c7d7c96fcbfb587e46100000009', 'hex'),
  MS_NEGOTIATION_DISCOVERY: Buffer.from('fb1de3cdf341b7ea16b7e5be0855f120', 'hex'),
  VID_INITIAL_CONTACT: Buffer.from('26244d38eddb61b3172a36e3d0cfb819', 'hex'),
  WINDOWS_KEY_MODS: Buffer.from('01528bbbc00696121849ab9a1c5b2a5100000002', 'hex'),
};

const NAMES: Array<[Buffer, string]> = [
  [CISCO_VENDOR_IDS.FLEXVPN_SUPPORTED, 'FLEXVPN-SUPPORTED'],
  [CISCO_VENDOR_IDS.DELETE_REASON, 'CISCO-DELETE-REASON'],
  [CISCO_VENDOR_IDS.DYNAMIC_ROUTE, 'CISCO-DYNAMIC-ROUTE'],
  [CISCO_VENDOR_IDS.GRE_MODE, 'CISCO-GRE-MODE'],
  [CISCO_VENDOR_IDS.COPYRIGHT, 'CISCO(COPYRIGHT)'],
  [CISCO_VENDOR_IDS.FRAGMENTATION, 'FRAGMENTATION'],
  [CISCO_VENDOR_IDS.ANYCONNECT_EAP, 'CISCO-ANYCONNECT-EAP'],
  [CISCO_VENDOR_IDS.ANYCONNECT_STRAP, 'CISCO-ANYCONNECT-STRAP'],
  [CISCO_VENDOR_IDS.NGE_LEVEL, 'CISCO-NGE-LEVEL'],
  [MICROSOFT_VENDOR_IDS.MS_NT5_ISAKMPOAKLEY_V9, 'MS NT5 ISAKMPOAKLEY v9'],
  [MICROSOFT_VENDOR_IDS.MS_NEGOTIATION_DISCOVERY, 'MS-Negotiation Discovery Capable'],
  [MICROSOFT_VENDOR_IDS.VID_INITIAL_CONTACT, 'Vid-Initial-Contact'],
  [MICROSOFT_VENDOR_IDS.WINDOWS_KEY_MODS, 'Windows KEY_MODS (IKEv2)'],
];

export function vendorIdName(v: Buffer): string {
  for (const [b, n] of NAMES) if (v.equals(b)) return n;
  if (v.subarray(0, 4).equals(Buffer.from('3e984048', 'hex'))) return 'Cisco IOS device';
  const text = v.toString('latin1');
  return /^[\x20-\x7e]+$/.test(text) ? `"${text}"` : v.toString('hex');
}
