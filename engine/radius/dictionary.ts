// The attribute dictionary: RFC 2865/2866/2868/2869/3162/3579/5176/6911 attributes, Cisco (vendor 9)
// and Microsoft (vendor 311, RFC 2548) vendor-specific attributes, with their data types, value
// names, and the hiding they use on the wire. Names are FreeRADIUS's (what radclient, tshark and the
// seeds' debugs print), so test fixtures and configs read the same everywhere.

import { VENDOR_CISCO, VENDOR_MICROSOFT } from './constants.ts';

export type AttrDataType =
  | 'text' // UTF-8 string (RFC 8044 "text")
  | 'octets' // opaque bytes ("string" in RFC 8044)
  | 'integer' // 32-bit unsigned
  | 'date' // 32-bit seconds since 1970
  | 'ipaddr' // 4 bytes
  | 'ipv6addr' // 16 bytes
  | 'ipv6prefix' // reserved, prefix-length, 0..16 prefix bytes (RFC 3162 2.3)
  | 'ifid'; // 8 bytes (RFC 3162 2.2)

/**
 * How a value is hidden on the wire:
 * - `user-password`: RFC 2865 5.2 (MD5 stream keyed by secret and Request Authenticator);
 * - `salted`: RFC 2868 3.5 / RFC 2548 2.4.2 (2-byte salt, length byte, MD5 stream), used by
 *   Tunnel-Password and MS-MPPE-Send/Recv-Key.
 */
export type AttrEncryption = 'user-password' | 'salted';

export interface AttrDef {
  name: string;
  /** 0 for the standard attribute space. */
  vendor: number;
  type: number;
  dataType: AttrDataType;
  encrypt?: AttrEncryption;
  /** RFC 2868 tag byte in front of the value (0x00..0x1F). */
  tagged?: boolean;
  /** Long values are split over several attributes and joined on receipt (RFC 3579 3.1: EAP-Message). */
  concat?: boolean;
  /** Value names for integer attributes. */
  values?: Record<string, number>;
}

const d = (name: string, type: number, dataType: AttrDataType, extra: Partial<AttrDef> = {}): AttrDef =>
  ({ name, vendor: 0, type, dataType, ...extra });
const v = (vendor: number, name: string, type: number, dataType: AttrDataType, extra: Partial<AttrDef> = {}): AttrDef =>
  ({ name, vendor, type, dataType, ...extra });

const SERVICE_TYPES = {
  'Login-User': 1, 'Framed-User': 2, 'Callback-Login-User': 3, 'Callback-Framed-User': 4, 'Outbound-User': 5,
  'Administrative-User': 6, 'NAS-Prompt-User': 7, 'Authenticate-Only': 8, 'Callback-NAS-Prompt': 9, 'Call-Check': 10,
  'Callback-Administrative': 11, 'Authorize-Only': 17,
};
const TUNNEL_TYPES = {
  PPTP: 1, L2F: 2, L2TP: 3, ATMP: 4, VTP: 5, AH: 6, 'IP-IP': 7, 'MIN-IP-IP': 8, ESP: 9, GRE: 10, DVS: 11, 'IP-in-IP': 12, VLAN: 13,
};
const ERROR_CAUSES = {
  'Residual-Context-Removed': 201, 'Invalid-EAP-Packet': 202, 'Unsupported-Attribute': 401, 'Missing-Attribute': 402,
  'NAS-Identification-Mismatch': 403, 'Invalid-Request': 404, 'Unsupported-Service': 405, 'Unsupported-Extension': 406,
  'Invalid-Attribute-Value': 407, 'Administratively-Prohibited': 501, 'Proxy-Request-Not-Routable': 502,
  'Session-Context-Not-Found': 503, 'Session-Context-Not-Removable': 504, 'Proxy-Processing-Error': 505,
  'Resources-Unavailable': 506, 'Request-Initiated': 507, 'Multiple-Session-Selection-Unsupported': 508,
};

export const ATTRIBUTES: readonly AttrDef[] = [
  d('User-Name', 1, 'text'),
  d('User-Password', 2, 'text', { encrypt: 'user-password' }),
  d('CHAP-Password', 3, 'octets'),
  d('NAS-IP-Address', 4, 'ipaddr'),
  d('NAS-Port', 5, 'integer'),
  d('Service-Type', 6, 'integer', { values: SERVICE_TYPES }),
  d('Framed-Protocol', 7, 'integer', { values: { PPP: 1, SLIP: 2, ARAP: 3, 'Gandalf-SLML': 4, 'Xylogics-IPX-SLIP': 5, 'X.75-Synchronous': 6 } }),
  d('Framed-IP-Address', 8, 'ipaddr'),
  d('Framed-IP-Netmask', 9, 'ipaddr'),
  d('Framed-Routing', 10, 'integer'),
  d('Filter-Id', 11, 'text'),
  d('Framed-MTU', 12, 'integer'),
  d('Framed-Compression', 13, 'integer'),
  d('Login-IP-Host', 14, 'ipaddr'),
  d('Reply-Message', 18, 'text'),
  d('Framed-Route', 22, 'text'),
  d('State', 24, 'octets'),
  d('Class', 25, 'octets'),
  d('Session-Timeout', 27, 'integer'),
  d('Idle-Timeout', 28, 'integer'),
  d('Termination-Action', 29, 'integer', { values: { Default: 0, 'RADIUS-Request': 1 } }),
  d('Called-Station-Id', 30, 'text'),
  d('Calling-Station-Id', 31, 'text'),
  d('NAS-Identifier', 32, 'text'),
  d('Proxy-State', 33, 'octets'),
  d('Acct-Status-Type', 40, 'integer', { values: { Start: 1, Stop: 2, 'Interim-Update': 3, 'Accounting-On': 7, 'Accounting-Off': 8 } }),
  d('Acct-Delay-Time', 41, 'integer'),
  d('Acct-Input-Octets', 42, 'integer'),
  d('Acct-Output-Octets', 43, 'integer'),
  d('Acct-Session-Id', 44, 'text'),
  d('Acct-Authentic', 45, 'integer', { values: { RADIUS: 1, Local: 2, Remote: 3, Diameter: 4 } }),
  d('Acct-Session-Time', 46, 'integer'),
  d('Acct-Input-Packets', 47, 'integer'),
  d('Acct-Output-Packets', 48, 'integer'),
  d('Acct-Terminate-Cause', 49, 'integer', {
    values: {
      'User-Request': 1, 'Lost-Carrier': 2, 'Lost-Service': 3, 'Idle-Timeout': 4, 'Session-Timeout': 5, 'Admin-Reset': 6,
      'Admin-Reboot': 7, 'Port-Error': 8, 'NAS-Error': 9, 'NAS-Request': 10, 'NAS-Reboot': 11, 'Port-Unneeded': 12,
      'Port-Preempted': 13, 'Port-Suspended': 14, 'Service-Unavailable': 15, Callback: 16, 'User-Error': 17, 'Host-Request': 18,
    },
  }),
  d('Acct-Multi-Session-Id', 50, 'text'),
  d('Acct-Link-Count', 51, 'integer'),
  d('Acct-Input-Gigawords', 52, 'integer'),
  d('Acct-Output-Gigawords', 53, 'integer'),
  d('Event-Timestamp', 55, 'date'),
  d('CHAP-Challenge', 60, 'octets'),
  d('NAS-Port-Type', 61, 'integer', { values: { Async: 0, Sync: 1, 'ISDN-Sync': 2, Virtual: 5, Ethernet: 15, 'Wireless-802.11': 19 } }),
  d('Port-Limit', 62, 'integer'),
  d('Tunnel-Type', 64, 'integer', { tagged: true, values: TUNNEL_TYPES }),
  d('Tunnel-Medium-Type', 65, 'integer', { tagged: true, values: { IPv4: 1, IPv6: 2 } }),
  d('Tunnel-Client-Endpoint', 66, 'text', { tagged: true }),
  d('Tunnel-Server-Endpoint', 67, 'text', { tagged: true }),
  d('Tunnel-Password', 69, 'text', { tagged: true, encrypt: 'salted' }),
  d('Connect-Info', 77, 'text'),
  d('EAP-Message', 79, 'octets', { concat: true }),
  d('Message-Authenticator', 80, 'octets'),
  d('Tunnel-Private-Group-Id', 81, 'text', { tagged: true }),
  d('Tunnel-Assignment-Id', 82, 'text', { tagged: true }),
  d('Acct-Interim-Interval', 85, 'integer'),
  d('NAS-Port-Id', 87, 'text'),
  d('Framed-Pool', 88, 'text'),
  d('Chargeable-User-Identity', 89, 'octets'),
  d('NAS-IPv6-Address', 95, 'ipv6addr'),
  d('Framed-Interface-Id', 96, 'ifid'),
  d('Framed-IPv6-Prefix', 97, 'ipv6prefix'),
  d('Login-IPv6-Host', 98, 'ipv6addr'),
  d('Framed-IPv6-Route', 99, 'text'),
  d('Framed-IPv6-Pool', 100, 'text'),
  d('Error-Cause', 101, 'integer', { values: ERROR_CAUSES }),
  d('Delegated-IPv6-Prefix', 123, 'ipv6prefix'),
  d('Framed-IPv6-Address', 168, 'ipv6addr'),
  d('DNS-Server-IPv6-Address', 169, 'ipv6addr'),

  // Cisco (dictionary.cisco). The AV pair "protocol:attribute=value" carries every ipsec: and ip:
  // attribute of the seeds' appendix (seed-features.md section 13); see cisco.ts.
  v(VENDOR_CISCO, 'Cisco-AVPair', 1, 'text'),
  v(VENDOR_CISCO, 'Cisco-NAS-Port', 2, 'text'),
  v(VENDOR_CISCO, 'Cisco-Disconnect-Cause', 195, 'integer'),

  // Microsoft (RFC 2548).
  v(VENDOR_MICROSOFT, 'MS-CHAP-Response', 1, 'octets'),
  v(VENDOR_MICROSOFT, 'MS-CHAP-Error', 2, 'text'),
  v(VENDOR_MICROSOFT, 'MS-MPPE-Encryption-Policy', 7, 'integer', { values: { 'Encryption-Allowed': 1, 'Encryption-Required': 2 } }),
  v(VENDOR_MICROSOFT, 'MS-MPPE-Encryption-Types', 8, 'integer', { values: { 'RC4-40or128-bit-Allowed': 6, 'RC4-40bit-Allowed': 2, 'RC4-128bit-Allowed': 4 } }),
  v(VENDOR_MICROSOFT, 'MS-CHAP-Domain', 10, 'text'),
  v(VENDOR_MICROSOFT, 'MS-CHAP-Challenge', 11, 'octets'),
  v(VENDOR_MICROSOFT, 'MS-MPPE-Send-Key', 16, 'octets', { encrypt: 'salted' }),
  v(VENDOR_MICROSOFT, 'MS-MPPE-Recv-Key', 17, 'octets', { encrypt: 'salted' }),
  v(VENDOR_MICROSOFT, 'MS-CHAP2-Response', 25, 'octets'),
  v(VENDOR_MICROSOFT, 'MS-CHAP2-Success', 26, 'octets'),
  v(VENDOR_MICROSOFT, 'MS-Primary-DNS-Server', 28, 'ipaddr'),
  v(VENDOR_MICROSOFT, 'MS-Secondary-DNS-Server', 29, 'ipaddr'),
  v(VENDOR_MICROSOFT, 'MS-Primary-NBNS-Server', 30, 'ipaddr'),
  v(VENDOR_MICROSOFT, 'MS-Secondary-NBNS-Server', 31, 'ipaddr'),
];

export const VENDOR_NAMES: Record<number, string> = { [VENDOR_CISCO]: 'Cisco', [VENDOR_MICROSOFT]: 'Microsoft' };

const byName = new Map(ATTRIBUTES.map((a) => [a.name.toLowerCase(), a]));
const byCode = new Map(ATTRIBUTES.map((a) => [`${a.vendor}:${a.type}`, a]));

/** Vendor-Specific (RFC 2865 5.26) itself, which only the codec sees. */
export const VENDOR_SPECIFIC = 26;
export const ATTR_EAP_MESSAGE = 79;
export const ATTR_MESSAGE_AUTHENTICATOR = 80;

/** Unknown attributes keep a name that says where they came from, so they round-trip. */
export function unknownAttrName(vendor: number, type: number): string {
  return vendor === 0 ? `Attr-${type}` : `Vendor-${vendor}-Attr-${type}`;
}

/**
 * The definition for a name (case-insensitive), including "Attr-N" and "Vendor-V-Attr-N" for
 * attributes outside the dictionary (as opaque octets).
 */
export function attrByName(name: string): AttrDef | undefined {
  const known = byName.get(name.toLowerCase());
  if (known) return known;
  let m = /^Attr-(\d{1,3})$/i.exec(name);
  if (m && Number(m[1]) >= 1 && Number(m[1]) <= 255 && Number(m[1]) !== VENDOR_SPECIFIC) {
    return byCode.get(`0:${Number(m[1])}`) ?? { name: unknownAttrName(0, Number(m[1])), vendor: 0, type: Number(m[1]), dataType: 'octets' };
  }
  m = /^Vendor-(\d{1,10})-Attr-(\d{1,3})$/i.exec(name);
  if (m && Number(m[1]) > 0 && Number(m[1]) < 2 ** 32 && Number(m[2]) <= 255) {
    const vendor = Number(m[1]), type = Number(m[2]);
    return byCode.get(`${vendor}:${type}`) ?? { name: unknownAttrName(vendor, type), vendor, type, dataType: 'octets' };
  }
  return undefined;
}

export function attrByCode(vendor: number, type: number): AttrDef {
  return byCode.get(`${vendor}:${type}`) ?? { name: unknownAttrName(vendor, type), vendor, type, dataType: 'octets' };
}

export function isKnownAttr(vendor: number, type: number): boolean {
  return byCode.has(`${vendor}:${type}`);
}

/** The name of an integer value ("Start" for Acct-Status-Type 1), if the dictionary has one. */
export function valueName(def: AttrDef, value: number): string | undefined {
  if (!def.values) return undefined;
  for (const [k, n] of Object.entries(def.values)) if (n === value) return k;
  return undefined;
}

/** Known attribute names, for "did you mean" in config errors. */
export function attributeNames(): string[] {
  return ATTRIBUTES.map((a) => a.name);
}
