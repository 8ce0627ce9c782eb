// The Aggregate XML documents of AnyConnect-EAP: `<config-auth client="vpn" type="…"
// aggregate-auth-version="2">` with the message types hello, init, auth-request, auth-reply,
// complete, ack (seed F-AUTH-11 steps 3-8; element names from strongSwan PR #577).
//
// Lab-defined parts (no public source shows them for IKEv2; docs/personas.md lists them): the
// credential form in auth-request and the username/password in auth-reply follow the SSL flavour
// of aggregate authentication (`<auth id="main"><form><input name="username"/>…`, as openconnect
// documents it); a failed login is answered with an `<error>` in the document and then EAP-Failure.

import { XMLParser, XMLValidator } from 'fast-xml-parser';

export type ConfigAuthType = 'hello' | 'init' | 'auth-request' | 'auth-reply' | 'complete' | 'ack';
export const CONFIG_AUTH_TYPES: readonly ConfigAuthType[] = ['hello', 'init', 'auth-request', 'auth-reply', 'complete', 'ack'];

/** A small element tree for building documents: name, attributes, text or children. */
export interface XmlNode {
  name: string;
  attrs?: Record<string, string>;
  text?: string;
  children?: XmlNode[];
}

export function el(name: string, attrs?: Record<string, string>, ...content: Array<XmlNode | string | undefined | false>): XmlNode {
  const children = content.filter((c): c is XmlNode => typeof c === 'object' && !!c);
  const text = content.find((c): c is string => typeof c === 'string');
  return { name, ...(attrs ? { attrs } : {}), ...(children.length ? { children } : {}), ...(text !== undefined ? { text } : {}) };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderXml(n: XmlNode): string {
  const attrs = Object.entries(n.attrs ?? {}).map(([k, v]) => ` ${k}="${esc(v)}"`).join('');
  const inner = (n.children ?? []).map(renderXml).join('') + (n.text !== undefined ? esc(n.text) : '');
  return inner ? `<${n.name}${attrs}>${inner}</${n.name}>` : `<${n.name}${attrs}/>`;
}

/** A whole config-auth document of `type` with `body` elements. */
export function configAuth(type: ConfigAuthType, body: XmlNode[]): string {
  const root = el('config-auth', { client: 'vpn', type, 'aggregate-auth-version': '2' }, ...body);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${renderXml(root)}`;
}

/** What the client says about itself in init/auth-reply/ack (PR #577 client header). */
export interface ClientHeader {
  version: string;
  deviceId: { computerName: string; deviceType: string; platformVersion: string; uniqueId: string; uniqueIdGlobal: string; value: string };
  macAddresses: string[];
}

export function clientHeaderXml(h: ClientHeader): XmlNode[] {
  return [
    el('version', { who: 'vpn' }, h.version),
    el('device-id', {
      'computer-name': h.deviceId.computerName, 'device-type': h.deviceId.deviceType, 'platform-version': h.deviceId.platformVersion,
      'unique-id': h.deviceId.uniqueId, 'unique-id-global': h.deviceId.uniqueIdGlobal,
    }, h.deviceId.value),
    el('mac-address-list', undefined, ...h.macAddresses.map((m, i) => el('mac-address', i === 0 ? { 'public-interface': 'true' } : undefined, m))),
  ];
}

// ---------------------------------------------------------------------------------------------- parse

/** A parsed document: the type, and the root element as plain objects (attributes prefixed "@"). */
export interface ParsedConfigAuth {
  type: ConfigAuthType;
  root: Record<string, unknown>;
  /** `<error>` text, if the document carries one. */
  error?: string;
}

const parser = new XMLParser({
  ignoreAttributes: false, attributeNamePrefix: '@', textNodeName: '#text', parseTagValue: false, parseAttributeValue: false,
  trimValues: true, ignoreDeclaration: true,
});

export class ConfigAuthError extends Error {}

export function parseConfigAuth(xml: string): ParsedConfigAuth {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new ConfigAuthError(`config-auth XML is not well-formed: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  const doc = parser.parse(xml) as Record<string, unknown>;
  const root = doc['config-auth'];
  if (!root || typeof root !== 'object') throw new ConfigAuthError('the XML has no config-auth root element');
  const r = root as Record<string, unknown>;
  const type = r['@type'] as string | undefined;
  if (!type || !CONFIG_AUTH_TYPES.includes(type as ConfigAuthType)) throw new ConfigAuthError(`config-auth type "${type ?? ''}" is none of ${CONFIG_AUTH_TYPES.join(', ')}`);
  const err = findFirst(r, 'error');
  const error = err === undefined ? undefined : textOf(err) || (typeof err === 'object' ? String((err as Record<string, unknown>)['@id'] ?? 'error') : 'error');
  return { type: type as ConfigAuthType, root: r, ...(error !== undefined ? { error } : {}) };
}

/** The text content of a parsed element (string, or `#text` of an element with attributes). */
export function textOf(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && '#text' in (v as Record<string, unknown>)) return String((v as Record<string, unknown>)['#text']);
  return '';
}

/** Depth-first search for the first element called `name`. */
export function findFirst(node: unknown, name: string): unknown {
  if (!node || typeof node !== 'object') return undefined;
  const o = node as Record<string, unknown>;
  if (name in o) return Array.isArray(o[name]) ? (o[name] as unknown[])[0] : o[name];
  for (const [k, v] of Object.entries(o)) {
    if (k.startsWith('@') || k === '#text') continue;
    for (const item of Array.isArray(v) ? v : [v]) {
      const f = findFirst(item, name);
      if (f !== undefined) return f;
    }
  }
  return undefined;
}

export function has(node: unknown, name: string): boolean {
  return findFirst(node, name) !== undefined;
}
