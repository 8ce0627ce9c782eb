// The AnyConnect client profile (the XML a headend pushes and the client reads, seed S3:166-226,
// S2:350-381, F-AC-01): the server list (HostName, HostAddress, PrimaryProtocol IPsec with
// StandardAuthenticationOnly / AuthMethodDuringIKENegotiation / IKEIdentity) and the auto-reconnect
// settings of ClientInitialization (F-RC-03). Errors carry the file and line.

import { createHash } from 'node:crypto';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export type AnyConnectAuthMethod = 'EAP-AnyConnect' | 'EAP-MSCHAPv2' | 'EAP-MD5' | 'EAP-GTC' | 'IKE-RSA' | 'IKE-ECDSA' | 'IKE-PSK';
export const ANYCONNECT_AUTH_METHODS: readonly AnyConnectAuthMethod[] = ['EAP-AnyConnect', 'EAP-MSCHAPv2', 'EAP-MD5', 'EAP-GTC', 'IKE-RSA', 'IKE-ECDSA', 'IKE-PSK'];

export interface AnyConnectHostEntry {
  hostName: string;
  hostAddress: string;
  primaryProtocol: 'IPsec' | 'SSL';
  standardAuthenticationOnly: boolean;
  /** Default EAP-AnyConnect (what an IOS headend needs without StandardAuthenticationOnly). */
  authMethod: AnyConnectAuthMethod;
  /** `<IKEIdentity>`: default `*$AnyConnectClient$*`. */
  ikeIdentity?: string;
}

export interface AnyConnectProfile {
  hosts: AnyConnectHostEntry[];
  autoReconnect: { enabled: boolean; behavior: 'DisconnectOnSuspend' | 'ReconnectAfterResume'; userControllable: boolean };
  /** `<BypassDownloader>`: the client does not fetch profile updates (IOS cannot serve them). */
  bypassDownloader?: boolean;
  /** SHA-1 of the file (upper-case hex), compared with the headend's vpn-profile-manifest. */
  sha1: string;
}

export class AnyConnectProfileError extends Error {}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', textNodeName: '#text', parseTagValue: false, trimValues: true, ignoreDeclaration: true });

const text = (v: unknown): string => (typeof v === 'string' ? v : v && typeof v === 'object' && '#text' in v ? String((v as Record<string, unknown>)['#text']) : '').trim();
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function parseAnyConnectProfile(xml: string, file = 'profile'): AnyConnectProfile {
  const v = XMLValidator.validate(xml);
  if (v !== true) throw new AnyConnectProfileError(`${file}:${v.err.line}:${v.err.col}: ${v.err.msg}`);
  const doc = parser.parse(xml) as Record<string, unknown>;
  const root = doc.AnyConnectProfile as Record<string, unknown> | undefined;
  if (!root) throw new AnyConnectProfileError(`${file}: the root element must be <AnyConnectProfile>`);
  const init = (root.ClientInitialization ?? {}) as Record<string, unknown>;
  const ar = init.AutoReconnect;
  const arObj = (ar && typeof ar === 'object' ? ar : {}) as Record<string, unknown>;
  const behavior = text(arObj.AutoReconnectBehavior) || 'DisconnectOnSuspend';
  if (behavior !== 'DisconnectOnSuspend' && behavior !== 'ReconnectAfterResume') {
    throw new AnyConnectProfileError(`${file}: AutoReconnectBehavior "${behavior}" is neither DisconnectOnSuspend nor ReconnectAfterResume`);
  }
  const servers = (root.ServerList ?? {}) as Record<string, unknown>;
  const hosts = list(servers.HostEntry as Record<string, unknown> | Array<Record<string, unknown>> | undefined).map((h, i): AnyConnectHostEntry => {
    const name = text(h.HostName);
    const address = text(h.HostAddress) || name;
    if (!address) throw new AnyConnectProfileError(`${file}: ServerList/HostEntry[${i + 1}] has neither HostAddress nor HostName`);
    const pp = h.PrimaryProtocol;
    const ppObj = (pp && typeof pp === 'object' ? pp : {}) as Record<string, unknown>;
    const proto = text(pp) || 'SSL';
    const sao = ppObj.StandardAuthenticationOnly;
    const saoObj = (sao && typeof sao === 'object' ? sao : {}) as Record<string, unknown>;
    const method = (text(saoObj.AuthMethodDuringIKENegotiation) || 'EAP-AnyConnect') as AnyConnectAuthMethod;
    if (!ANYCONNECT_AUTH_METHODS.includes(method)) throw new AnyConnectProfileError(`${file}: HostEntry "${name || address}": AuthMethodDuringIKENegotiation "${method}" is none of ${ANYCONNECT_AUTH_METHODS.join(', ')}`);
    const ikeId = text(saoObj.IKEIdentity);
    return {
      hostName: name || address, hostAddress: address, primaryProtocol: proto === 'IPsec' ? 'IPsec' : 'SSL',
      standardAuthenticationOnly: text(sao) === 'true', authMethod: method, ...(ikeId ? { ikeIdentity: ikeId } : {}),
    };
  });
  const bypass = text(init.BypassDownloader);
  return {
    hosts,
    autoReconnect: { enabled: text(ar) !== 'false', behavior, userControllable: String(arObj['@UserControllable'] ?? 'false') === 'true' },
    ...(bypass ? { bypassDownloader: bypass === 'true' } : {}),
    sha1: createHash('sha1').update(xml).digest('hex').toUpperCase(),
  };
}
