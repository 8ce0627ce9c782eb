// The lab's addressing seen as a whole: which subnets exist, who sits on each, who owns an address.
// Used by inspect, graph, the demo and tests to find addresses by node instead of hard-coding them.

import { cidrContains, parseCidr } from '../engine/util/ip.ts';
import type { Cidr } from '../engine/util/ip.ts';
import type { InterfaceAddress, LabModel } from './model.ts';

export interface SubnetMember {
  node: string;
  interface: string;
  address: string;
}

export interface Subnet {
  /** "192.168.10.0/24" */
  subnet: string;
  family: 4 | 6;
  members: SubnetMember[];
  /** The link that carries it, when it is a link subnet. */
  link?: string;
}

export interface AddressPlan {
  subnets: Subnet[];
  /** Which node interface holds this address. */
  owner(address: string): SubnetMember | undefined;
  /** A node's addresses, lo and standalone interfaces included. */
  addressesOf(node: string, family?: 4 | 6): (InterfaceAddress & { interface: string })[];
  /** The first address of a node in the given family (for pings and the like). */
  primaryAddress(node: string, family?: 4 | 6): string | undefined;
  /** The subnet an address falls in, if it is one of the lab's. */
  subnetOf(address: string): Subnet | undefined;
}

export function addressPlan(lab: LabModel): AddressPlan {
  const bySubnet = new Map<string, Subnet>();
  const owners = new Map<string, SubnetMember>();
  for (const node of lab.nodes) {
    for (const iface of node.interfaces) {
      for (const a of iface.addresses) {
        const m: SubnetMember = { node: node.name, interface: iface.name, address: a.address };
        owners.set(a.address, m);
        let s = bySubnet.get(a.subnet);
        if (!s) {
          s = { subnet: a.subnet, family: a.family, members: [], ...(iface.link ? { link: iface.link } : {}) };
          bySubnet.set(a.subnet, s);
        }
        s.members.push(m);
      }
    }
  }
  const subnets = [...bySubnet.values()];
  return {
    subnets,
    owner: (address) => owners.get(address) ?? owners.get((parseCidr(`${address}/${address.includes(':') ? 128 : 32}`) as Cidr).address),
    addressesOf(nodeName, family) {
      const node = lab.nodes.find((n) => n.name === nodeName);
      return (node?.interfaces ?? []).flatMap((i) => i.addresses.filter((a) => !family || a.family === family).map((a) => ({ ...a, interface: i.name })));
    },
    primaryAddress(nodeName, family = 4) {
      return this.addressesOf(nodeName, family)[0]?.address;
    },
    subnetOf(address) {
      return subnets.find((s) => cidrContains(parseCidr(s.subnet) as Cidr, address));
    },
  };
}
