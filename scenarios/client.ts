// Scenario actions for FlexVPN clients and what they depend on:
//   track: {node, object, state}            sets a stub track object (flexvpn-client node)
//   client: {node, do: connect|disconnect, client?}   crypto ikev2 client flexvpn connect / clear ... connect
//   dns: {node, name, address | remove: true}  changes a record of a `dns` node
// The loader checks them (checkClientStep), the runner performs them (runClientStep); a track set
// down opens a band on the report's timeline that its setting up closes.

import type { Lab } from '../labs/lab.ts';
import type { LabModel } from '../labs/model.ts';
import type { JsonPath } from '../labs/topology/diagnostics.ts';
import { controlRequest } from '../engine/daemon/control.ts';
import { dnsControlPath } from '../labs/kinds/dns.ts';
import { ipFamily } from '../engine/util/ip.ts';
import type { Daemons } from './daemons.ts';

export const CLIENT_ACTIONS = ['track', 'client', 'dns'] as const;

type Raw = Record<string, unknown>;

export interface StepCheck {
  lab: LabModel;
  node(p: JsonPath, name: unknown): string;
  err(p: JsonPath, message: string): void;
}

/** Checks a client action against the lab; returns its arguments and one line saying what it does. */
export function checkClientStep(kind: string, o: Raw, p: JsonPath, c: StepCheck): { args: Raw; title: string } {
  const node = c.node([...p, 'node'], o['node']);
  const n = c.lab.nodes.find((x) => x.name === node);
  switch (kind) {
    case 'track': {
      if (n && n.kind !== 'flexvpn-client') c.err([...p, 'node'], `node "${node}" is a ${n.kind}; track objects live on flexvpn-client nodes`);
      const tracks = (n?.config as { tracks?: Record<string, { probe?: unknown }> } | undefined)?.tracks ?? {};
      const object = String(o['object']);
      if (n?.kind === 'flexvpn-client' && !tracks[object]) c.err([...p, 'object'], `${node} has no track object ${object} (configured: ${Object.keys(tracks).join(', ') || 'none'})`);
      else if (tracks[object]?.probe) c.err([...p, 'object'], `track ${object} of ${node} follows a reachability probe; only stub objects are set by a scenario (break the probed path instead)`);
      return { args: { node, object, state: o['state'] }, title: `track ${object} on ${node} goes ${String(o['state'])}` };
    }
    case 'client': {
      // Remote-access clients (anyconnect-client, windows-client) connect and disconnect too: the user's buttons.
      const ra = n?.kind === 'anyconnect-client' || n?.kind === 'windows-client';
      if (n && n.kind !== 'flexvpn-client' && !ra) c.err([...p, 'node'], `node "${node}" is a ${n.kind}, not a flexvpn-client, anyconnect-client or windows-client`);
      if (ra) {
        if (o['client'] !== undefined) c.err([...p, 'client'], `${node} is a ${n!.kind}: it has one connection, no client blocks`);
        return { args: { node, do: o['do'] }, title: `${node}: the user ${o['do'] === 'connect' ? 'connects' : 'disconnects'}` };
      }
      const blocks = ((n?.config as { clients?: Array<{ name: string }> } | undefined)?.clients ?? []).map((b) => b.name);
      if (o['client'] !== undefined && n?.kind === 'flexvpn-client' && !blocks.includes(String(o['client']))) c.err([...p, 'client'], `${node} has no client "${String(o['client'])}" (configured: ${blocks.join(', ')})`);
      const which = o['client'] !== undefined ? ` ${String(o['client'])}` : '';
      return {
        args: { node, do: o['do'], ...(o['client'] !== undefined ? { client: String(o['client']) } : {}) },
        title: o['do'] === 'connect' ? `${node}: crypto ikev2 client flexvpn connect${which}` : `${node}: clear crypto ikev2 client flexvpn connect${which}`,
      };
    }
    case 'dns': {
      if (n && n.kind !== 'dns') c.err([...p, 'node'], `node "${node}" is a ${n.kind}, not a dns node`);
      const addrs = o['address'] === undefined ? [] : (Array.isArray(o['address']) ? o['address'] : [o['address']]).map(String);
      addrs.forEach((a, i) => { if (!ipFamily(a)) c.err([...p, 'address', ...(Array.isArray(o['address']) ? [i] : [])], `"${a}" is not an IPv4 or IPv6 address`); });
      if (!addrs.length && o['remove'] !== true) c.err(p, 'give the new address(es), or remove: true');
      const name = String(o['name']);
      return {
        args: { node, name, ...(o['remove'] === true ? { remove: true } : { addresses: addrs }) },
        title: o['remove'] === true ? `${node}: DNS name ${name} removed (NXDOMAIN)` : `${node}: DNS name ${name} -> ${addrs.join(', ')}`,
      };
    }
    default: throw new Error(`not a client action: ${kind}`);
  }
}

export interface ClientStepResult {
  message: string;
  /** A timeline band: opened by a track going down, closed by it coming back. */
  band?: { key: string; open: boolean; title?: string };
}

export async function runClientStep(kind: string, a: Raw, lab: Lab, daemons: Daemons): Promise<ClientStepResult> {
  const node = String(a['node']);
  switch (kind) {
    case 'track': {
      const r = await daemons.request<{ changed: boolean }>(node, 'track', { object: a['object'], state: a['state'] });
      const key = `track:${node}:${String(a['object'])}`;
      return {
        message: `track ${String(a['object'])} ${String(a['state'])}${r.changed ? '' : ' (it already was)'}`,
        band: a['state'] === 'down' ? { key, open: true, title: `track ${String(a['object'])} down on ${node}` } : { key, open: false },
      };
    }
    case 'client': {
      const r = await daemons.request<string[]>(node, a['do'] === 'connect' ? 'client-connect' : 'client-disconnect', a['client'] !== undefined ? { client: a['client'] } : {});
      return { message: r.join('; ') };
    }
    case 'dns': {
      const r = await controlRequest<{ name: string; addresses: string[] | null }>(dnsControlPath(lab.state.dir, node), 'set', { name: a['name'], addresses: a['remove'] ? null : a['addresses'] }, 3000);
      return { message: r.addresses ? `${r.name} -> ${r.addresses.join(', ')}` : `${r.name} removed` };
    }
    default: throw new Error(`not a client action: ${kind}`);
  }
}
