// Failures injected into a running lab, as a library (the scenario runner) and behind
// `flexlab fault`. Each fault is journaled with the commands that undo it, so `clearFault` and
// destroy remove exactly it. Wire faults act where a real wire would: drops and loss on the
// receiving end's ingress (before conntrack), rate limits on the sending end's egress queue.
//
// Not available: delay and jitter. They need netem, which this kernel lacks; they will come from a
// userspace impaired wire. `flexlab fault --help` says so.

import { UserError } from '../cli/errors.ts';
import { getInterface, getNode, resolveLink } from './model.ts';
import type { LabModel, LinkModel } from './model.ts';
import type { Lab } from './lab.ts';
import { natConfig, natRebind } from './kinds/nat.ts';
import type { FaultRecord, UndoStep } from './state.ts';

export type FaultSpec =
  /** Both ends administratively down (the peer sees no carrier). Undo brings them up, routes back. */
  | { type: 'link-down'; link: string }
  /** Every IP packet on the link dropped; `from` limits it to what that node sends. */
  | { type: 'blackhole'; link: string; from?: string }
  /** Each packet dropped with probability percent/100 (iptables statistic match). */
  | { type: 'loss'; link: string; percent: number; from?: string }
  /** Token-bucket rate limit (tc tbf) on the sending side(s). */
  | { type: 'rate'; link: string; kbit: number; from?: string; burstBytes?: number; latencyMs?: number }
  /** A new MTU on the link's interfaces (both, or only `node`'s). */
  | { type: 'mtu'; link: string; mtu: number; node?: string }
  /** A NAT node forgets its mappings: the next packet of each flow gets a new outer port. */
  | { type: 'nat-rebind'; node: string; method?: 'auto' | 'conntrack' | 'link-bounce' };

export interface AppliedFault {
  id: string;
  spec: FaultSpec;
  /** One line saying what was done. */
  description: string;
}

export const DELAY_UNAVAILABLE =
  'delay and jitter are not available: they need the kernel netem qdisc, which this kernel lacks; ' +
  'they will come from a userspace impaired wire in a later release';

interface End {
  node: string;
  ifname: string;
}

/** The ends that receive (`role: 'rx'`) or send (`'tx'`) the traffic a `from` filter selects. */
function ends(model: LabModel, link: LinkModel, from: string | undefined, role: 'rx' | 'tx'): End[] {
  const a = { node: link.a.node, ifname: link.a.interface };
  const b = { node: link.b.node, ifname: link.b.interface };
  if (from === undefined) return [a, b];
  getNode(model, from);
  if (from !== a.node && from !== b.node) throw new UserError(`node "${from}" is not an end of link ${link.id} (its ends: ${a.node}, ${b.node})`);
  const sender = from === a.node ? a : b;
  const receiver = from === a.node ? b : a;
  return [role === 'tx' ? sender : receiver];
}

function nextId(lab: Lab): string {
  const used = new Set(lab.state.view().faults.keys());
  let n = used.size + 1;
  while (used.has(`f${n}`)) n++;
  return `f${n}`;
}

const ND_TYPES = 'nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert';

export async function applyFault(lab: Lab, spec: FaultSpec): Promise<AppliedFault> {
  const id = nextId(lab);
  const m = lab.model;
  const steps: { node: string; argv: string[]; input?: string }[] = [];
  const undo: UndoStep[] = [];
  let description: string;

  switch (spec.type) {
    case 'link-down': {
      const l = resolveLink(m, spec.link);
      for (const e of ends(m, l, undefined, 'rx')) {
        steps.push({ node: e.node, argv: ['ip', 'link', 'set', 'dev', e.ifname, 'down'] });
        undo.push({ node: e.node, argv: ['ip', 'link', 'set', 'dev', e.ifname, 'up'], restore: e.ifname });
      }
      description = `link ${l.id} down`;
      break;
    }
    case 'blackhole': {
      const l = resolveLink(m, spec.link);
      // A table of its own per fault: clearing deletes it whole. ARP is not IP and passes; IPv6
      // neighbour discovery is let through too, so a one-way blackhole stays one-way.
      const table = `flx_${id}`;
      for (const e of ends(m, l, spec.from, 'rx')) {
        const rules = [
          `table inet ${table} {`,
          '  chain ingress {',
          '    type filter hook prerouting priority -400; policy accept;',
          `    iifname "${e.ifname}" icmpv6 type { ${ND_TYPES} } accept`,
          `    iifname "${e.ifname}" drop`,
          '  }',
          '}',
        ].join('\n');
        steps.push({ node: e.node, argv: ['nft', '-f', '-'], input: rules + '\n' });
        undo.push({ node: e.node, argv: ['nft', 'delete', 'table', 'inet', table] });
      }
      description = `blackhole on ${l.id}${spec.from ? ` for traffic from ${spec.from}` : ' (both directions)'}`;
      break;
    }
    case 'loss': {
      const l = resolveLink(m, spec.link);
      if (!(spec.percent > 0 && spec.percent <= 100)) throw new UserError(`loss must be a percentage above 0 and at most 100, got ${spec.percent}`);
      const p = (spec.percent / 100).toFixed(6);
      for (const e of ends(m, l, spec.from, 'rx')) {
        for (const tool of ['iptables', 'ip6tables']) {
          const rule = ['PREROUTING', '-i', e.ifname, '-m', 'statistic', '--mode', 'random', '--probability', p,
            '-m', 'comment', '--comment', `flexlab-${id}`, '-j', 'DROP'];
          steps.push({ node: e.node, argv: [tool, '-w', '-t', 'raw', '-A', ...rule] });
          undo.push({ node: e.node, argv: [tool, '-w', '-t', 'raw', '-D', ...rule] });
        }
      }
      description = `${spec.percent}% loss on ${l.id}${spec.from ? ` for traffic from ${spec.from}` : ' (both directions)'}`;
      break;
    }
    case 'rate': {
      const l = resolveLink(m, spec.link);
      if (!(spec.kbit > 0)) throw new UserError(`rate must be a positive number of kbit/s, got ${spec.kbit}`);
      // Bucket: at least two full frames, or 10 ms worth of traffic (so HZ-granular refills keep up).
      const burst = spec.burstBytes ?? Math.max(3028, Math.ceil((spec.kbit * 1000) / 8 / 100));
      for (const e of ends(m, l, spec.from, 'tx')) {
        steps.push({ node: e.node, argv: ['tc', 'qdisc', 'replace', 'dev', e.ifname, 'root', 'tbf', 'rate', `${spec.kbit}kbit`, 'burst', String(burst), 'latency', `${spec.latencyMs ?? 50}ms`] });
        undo.push({ node: e.node, argv: ['tc', 'qdisc', 'del', 'dev', e.ifname, 'root'] });
      }
      description = `rate limit ${spec.kbit} kbit/s on ${l.id}${spec.from ? ` for traffic from ${spec.from}` : ' (both directions)'}`;
      break;
    }
    case 'mtu': {
      const l = resolveLink(m, spec.link);
      if (!(Number.isInteger(spec.mtu) && spec.mtu >= 68 && spec.mtu <= 65535)) throw new UserError(`MTU must be an integer from 68 to 65535, got ${spec.mtu}`);
      let list = ends(m, l, undefined, 'rx');
      if (spec.node) {
        list = list.filter((e) => e.node === spec.node);
        if (!list.length) throw new UserError(`node "${spec.node}" is not an end of link ${l.id}`);
      }
      for (const e of list) {
        const before = getInterface(getNode(m, e.node), e.ifname).mtu ?? 1500;
        steps.push({ node: e.node, argv: ['ip', 'link', 'set', 'dev', e.ifname, 'mtu', String(spec.mtu)] });
        undo.push({ node: e.node, argv: ['ip', 'link', 'set', 'dev', e.ifname, 'mtu', String(before)] });
      }
      description = `MTU ${spec.mtu} on ${list.map((e) => `${e.node}:${e.ifname}`).join(', ')}`;
      break;
    }
    case 'nat-rebind': {
      const node = getNode(m, spec.node);
      if (node.kind !== 'nat') throw new UserError(`node "${spec.node}" is a ${node.kind}, not a nat node`);
      lab.state.append({ t: 'fault', id, spec, undo: [] });
      const method = await natRebind((argv) => lab.exec(node.name, argv), node, spec.method);
      if (method === 'link-bounce') await lab.backend.restoreInterface(node, natConfig(node).outside);
      lab.state.append({ t: 'fault-cleared', id });
      return { id, spec, description: `NAT mappings of ${node.name} flushed (${method === 'conntrack' ? 'conntrack -F' : `outside interface ${natConfig(node).outside} bounced`})` };
    }
    default:
      throw new UserError(`unknown fault type "${(spec as { type: string }).type}"`);
  }

  // Journaled before it is applied: if applying fails half way, clearing undoes what was done
  // (undo steps tolerate what was never applied).
  lab.state.append({ t: 'fault', id, spec, undo });
  try {
    for (const s of steps) await lab.exec(s.node, s.argv, s.input !== undefined ? { input: s.input } : {});
  } catch (e) {
    await clearFault(lab, id).catch(() => {});
    throw e;
  }
  return { id, spec, description };
}

/** Undoes one fault (by id). Undo steps that find nothing to undo are fine. */
export async function clearFault(lab: Lab, id: string): Promise<FaultRecord> {
  const f = lab.state.view().faults.get(id);
  if (!f) throw new UserError(`lab "${lab.name}" has no fault "${id}"`);
  if (f.cleared) return f;
  const errors: string[] = [];
  for (const step of f.undo) {
    const node = getNode(lab.model, step.node);
    const r = await lab.run(node.name, step.argv);
    if (r.code !== 0 && !/No such|does not exist|not found|Cannot find|doesn't exist|Bad rule/i.test(r.stderr)) {
      errors.push(`${step.node}: ${step.argv.join(' ')}: ${r.stderr.trim()}`);
    }
    if (step.restore) await lab.backend.restoreInterface(node, step.restore);
  }
  if (errors.length) throw new Error(`clearing fault ${id} failed:\n  ${errors.join('\n  ')}`);
  lab.state.append({ t: 'fault-cleared', id });
  return { ...f, cleared: true };
}

/** Clears every active fault (of one link, if given). Returns how many were cleared. */
export async function clearFaults(lab: Lab, filter: { link?: string } = {}): Promise<number> {
  const linkId = filter.link ? resolveLink(lab.model, filter.link).id : undefined;
  const active = activeFaults(lab).filter((f) => {
    if (!linkId) return true;
    const spec = f.spec as { link?: string };
    return spec.link !== undefined && resolveLink(lab.model, spec.link).id === linkId;
  });
  for (const f of active.reverse()) await clearFault(lab, f.id);
  return active.length;
}

export function activeFaults(lab: Lab): FaultRecord[] {
  return [...lab.state.view().faults.values()].filter((f) => !f.cleared);
}

/** Brings a link's ends up (clearing its link-down faults), whatever put them down. */
export async function linkUp(lab: Lab, link: string): Promise<void> {
  const l = resolveLink(lab.model, link);
  for (const f of activeFaults(lab)) {
    const spec = f.spec as FaultSpec;
    if (spec.type === 'link-down' && resolveLink(lab.model, spec.link).id === l.id) await clearFault(lab, f.id);
  }
  for (const e of [l.a, l.b]) await lab.backend.restoreInterface(getNode(lab.model, e.node), e.interface);
}

export function describeFault(f: FaultRecord): string {
  const s = f.spec as FaultSpec;
  switch (s.type) {
    case 'link-down': return `link-down ${s.link}`;
    case 'blackhole': return `blackhole ${s.link}${s.from ? ` from ${s.from}` : ''}`;
    case 'loss': return `loss ${s.percent}% ${s.link}${s.from ? ` from ${s.from}` : ''}`;
    case 'rate': return `rate ${s.kbit}kbit ${s.link}${s.from ? ` from ${s.from}` : ''}`;
    case 'mtu': return `mtu ${s.mtu} ${s.link}${s.node ? ` on ${s.node}` : ''}`;
    case 'nat-rebind': return `nat-rebind ${s.node}`;
    default: return JSON.stringify(s);
  }
}
