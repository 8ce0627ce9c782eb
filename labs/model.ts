// The validated lab model: what a topology file means once loaded, with inherited settings merged,
// link addresses moved onto their interfaces, and names resolved. Plain data (JSON-serialisable):
// the lab state keeps a copy, so `exec`, `fault` and `inspect` work without the topology file.

import { UserError } from '../cli/errors.ts';
import { didYouMean } from './topology/diagnostics.ts';

export interface LabModel {
  name: string;
  /** Absolute path of the topology file, when loaded from one. */
  file?: string;
  nodes: NodeModel[];
  links: LinkModel[];
}

export interface NodeModel {
  name: string;
  /** Name in the kind registry (labs/kinds/index.ts). */
  kind: string;
  /** The node's network namespace: flx-<lab>-<node>. */
  netns: string;
  group?: string;
  /** Interfaces in creation order: link endpoints first (in link order), then standalone ones. */
  interfaces: InterfaceModel[];
  routes: RouteModel[];
  /** Kind-specific settings, validated by the kind's configSchema and completed by its defaults(). */
  config: Record<string, unknown>;
  /** sysctl settings from the topology (the kind's own come from NodeKind.sysctls). */
  sysctls: Record<string, string>;
  /** Commands run inside the node after it has started (containerlab's `exec`), through `sh -c`. */
  exec: string[];
  /** Environment of `exec` commands and of supervised processes. */
  env: Record<string, string>;
  labels: Record<string, string>;
  image?: string;
}

export type InterfaceType = 'veth' | 'dummy' | 'loopback';

export interface InterfaceModel {
  name: string;
  type: InterfaceType;
  addresses: InterfaceAddress[];
  /** Interface MTU if set, else the link's MTU, else unset (kernel default 1500). */
  mtu?: number;
  mac?: string;
  /** The link this interface is an endpoint of (veth only). */
  link?: string;
  peer?: Endpoint;
}

export interface InterfaceAddress {
  family: 4 | 6;
  /** Canonical address, without prefix. */
  address: string;
  prefix: number;
  /** "10.0.0.1/24" */
  cidr: string;
  /** The connected subnet, "10.0.0.0/24". */
  subnet: string;
}

export interface RouteModel {
  family: 4 | 6;
  /** Canonical network prefix: "0.0.0.0/0", "172.16.1.0/24", "::/0". */
  dst: string;
  via?: string;
  dev?: string;
  metric?: number;
}

export interface Endpoint {
  node: string;
  interface: string;
}

export interface LinkModel {
  /** `hub-eth1--wan-eth1`: names capture files and identifies the link in faults. */
  id: string;
  a: Endpoint;
  b: Endpoint;
  mtu?: number;
  /** Capture this link from deploy on. */
  capture: boolean;
}

export function linkId(a: Endpoint, b: Endpoint): string {
  return `${a.node}-${a.interface}--${b.node}-${b.interface}`;
}

export function endpointText(e: Endpoint): string {
  return `${e.node}:${e.interface}`;
}

export function getNode(lab: LabModel, name: string): NodeModel {
  const node = lab.nodes.find((n) => n.name === name);
  if (!node) throw new UserError(`lab "${lab.name}" has no node "${name}"${didYouMean(name, lab.nodes.map((n) => n.name))}`);
  return node;
}

export function getInterface(node: NodeModel, name: string): InterfaceModel {
  const iface = node.interfaces.find((i) => i.name === name);
  if (!iface) throw new UserError(`node "${node.name}" has no interface "${name}"${didYouMean(name, node.interfaces.map((i) => i.name))}`);
  return iface;
}

/**
 * Finds a link by its id (`hub-eth1--wan-eth1`), by one of its endpoints (`hub:eth1`), by its two
 * nodes (`hub--wan` or `hub-wan` when only one link joins them) or by its index in topology.links.
 */
export function resolveLink(lab: LabModel, ref: string): LinkModel {
  const byId = lab.links.find((l) => l.id === ref);
  if (byId) return byId;
  if (/^\d+$/.test(ref) && lab.links[Number(ref)]) return lab.links[Number(ref)]!;
  if (ref.includes(':')) {
    const hit = lab.links.find((l) => endpointText(l.a) === ref || endpointText(l.b) === ref);
    if (hit) return hit;
  }
  for (const sep of ['--', '-']) {
    const candidates = lab.links.filter((l) =>
      [`${l.a.node}${sep}${l.b.node}`, `${l.b.node}${sep}${l.a.node}`].includes(ref));
    if (candidates.length === 1) return candidates[0]!;
    if (candidates.length > 1) {
      throw new UserError(`"${ref}" matches ${candidates.length} links (${candidates.map((l) => l.id).join(', ')}); name one by its id`);
    }
  }
  throw new UserError(`lab "${lab.name}" has no link "${ref}"${didYouMean(ref, lab.links.map((l) => l.id))}; links: ${lab.links.map((l) => l.id).join(', ')}`);
}
