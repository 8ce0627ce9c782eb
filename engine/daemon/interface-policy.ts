// What a virtual-access interface enforces beyond addresses and routes (F-SRV-03, F-POD-03):
// `service-policy input|output NAME` (a policer from the hub's policy-maps) and the template ACLs a
// CoA installs (`ip:inacl#N` / `ip:outacl#N`, applied as `ip access-group NAME in|out`). The data
// path consults the tunnel's InterfacePolicy per packet; a tunnel without one pays a single check.
//
// A CoA is validated as a whole before anything changes, so an unknown policy-map name or an entry
// that cannot be expressed gets a CoA-NAK and leaves the session as it was (seed S2:1046-1066).

import { accessListPermits, buildAccessList, parseAce, showAccessList } from './access-list.ts';
import type { AccessList } from './access-list.ts';
import { Policer } from './policer.ts';
import type { PolicerConfig } from './policer.ts';

export type PolicyMaps = Record<string, { police: PolicerConfig }>;

export interface ServicePolicy {
  name: string;
  policer: Policer;
}

export interface InterfacePolicy {
  inAcl?: AccessList;
  outAcl?: AccessList;
  input?: ServicePolicy;
  output?: ServicePolicy;
}

/** What a set of interface-config lines asks for, or why it cannot be applied. */
export interface InterfaceConfigPlan {
  mtu?: number;
  /** null: `no service-policy ...` removes it; undefined: not mentioned. */
  input?: string | null;
  output?: string | null;
  /** `ip access-group NAME in|out` naming one of the node's access lists; null: `no ip access-group`. */
  accessIn?: string | null;
  accessOut?: string | null;
  errors: string[];
}

/** The node's named access lists (`ip access-list standard|extended NAME`), shared by every VA like on IOS. */
export type AccessLists = Record<string, AccessList>;

export function planInterfaceConfig(lines: string[], maps: PolicyMaps, acls: AccessLists = {}): InterfaceConfigPlan {
  const plan: InterfaceConfigPlan = { errors: [] };
  for (const raw of lines) {
    const line = raw.trim();
    const mtu = /^ip mtu (\d+)$/.exec(line);
    if (mtu) plan.mtu = Number(mtu[1]);
    const ag = /^(no )?ip access-group(?: (\S+))? (in|out)$/.exec(line);
    if (ag) {
      const key = ag[3] === 'in' ? 'accessIn' : 'accessOut';
      if (ag[1]) plan[key] = null;
      else if (!ag[2]) plan.errors.push(`"${line}": an access list name is missing`);
      else if (!acls[ag[2]]) plan.errors.push(`access list ${ag[2]} is not configured (known: ${Object.keys(acls).join(', ') || 'none'})`);
      else plan[key] = ag[2];
      continue;
    }
    const sp = /^(no )?service-policy (input|output)(?: (\S+))?$/.exec(line);
    if (!sp) continue;
    const dir = sp[2] as 'input' | 'output';
    if (sp[1]) plan[dir] = null;
    else if (!sp[3]) plan.errors.push(`"${line}": a policy-map name is missing`);
    else if (!maps[sp[3]]) plan.errors.push(`policy-map ${sp[3]} is not configured (known: ${Object.keys(maps).join(', ') || 'none'})`);
    else plan[dir] = sp[3];
  }
  return plan;
}

/** Attaches or removes the service policies a plan names (a new policer starts with a full bucket). */
export function applyServicePolicies(p: InterfacePolicy, plan: InterfaceConfigPlan, maps: PolicyMaps, now: number): string[] {
  const out: string[] = [];
  for (const dir of ['input', 'output'] as const) {
    const name = plan[dir];
    if (name === undefined) continue;
    if (name === null) {
      if (p[dir]) out.push(`service-policy ${dir} ${p[dir]!.name} removed`);
      delete p[dir];
      continue;
    }
    if (p[dir]?.name === name) continue;
    const m = maps[name]!;
    p[dir] = { name, policer: new Policer(m.police.cir, m.police.bc, now) };
    out.push(`service-policy ${dir} ${name} (police cir ${m.police.cir})`);
  }
  return out;
}

/**
 * What a CoA line replaces among the derived lines: the same command, for access groups and
 * service policies in the same direction (`ip access-group X in` replaces `ip access-group Y in`).
 */
export function interfaceLineKey(line: string): string {
  const w = line.trim().split(/\s+/);
  if (w[0] === 'ip' && w[1] === 'access-group') return `ip access-group ${w[w.length - 1]}`;
  return w.slice(0, 2).join(' ');
}

/** Builds the node's named lists; an entry that does not parse throws, naming list and entry. */
export function namedAccessLists(cfg: Record<string, string[]>): AccessLists {
  const out: AccessLists = {};
  for (const [name, lines] of Object.entries(cfg)) {
    lines.forEach((l, i) => {
      const e = parseAce(l, 10);
      if (typeof e === 'string') throw Object.assign(new Error(`access list ${name}: ${e}`), { path: ['access-lists', name, i] });
    });
    out[name] = buildAccessList(name, lines.map((l, i) => [i + 1, l])) as AccessList;
  }
  return out;
}

/** Applies the access groups a plan names (the node's shared lists). */
export function applyAccessGroups(p: InterfacePolicy, plan: InterfaceConfigPlan, acls: AccessLists): string[] {
  const out: string[] = [];
  for (const [key, field, dir] of [['accessIn', 'inAcl', 'in'], ['accessOut', 'outAcl', 'out']] as const) {
    const name = plan[key];
    if (name === undefined) continue;
    if (name === null) delete p[field];
    else p[field] = acls[name]!;
    out.push(name === null ? `no ip access-group ${dir}` : `ip access-group ${name} ${dir}`);
  }
  return out;
}

/**
 * The template ACLs of a CoA: every `ip:inacl#N=ENTRY` forms one inbound list, every
 * `ip:outacl#N=ENTRY` one outbound list, named `<interface>#<number>` like IOS's
 * `Virtual-Access1#2601` (the numbering is the router's own; ours counts up from 2601).
 */
export function coaAccessLists(avpairs: string[], ifname: string, nextNumber: () => number): { in?: AccessList; out?: AccessList } | string {
  const by: Record<'in' | 'out', Array<[number, string]>> = { in: [], out: [] };
  for (const l of avpairs) {
    const m = /^ip:(in|out)acl#(\d+)=(.*)$/.exec(l);
    if (m) by[m[1] as 'in' | 'out'].push([Number(m[2]), m[3]!]);
  }
  const result: { in?: AccessList; out?: AccessList } = {};
  for (const dir of ['in', 'out'] as const) {
    if (!by[dir].length) continue;
    const acl = buildAccessList('', by[dir]);
    if (typeof acl === 'string') return `${dir}acl: ${acl}`;
    result[dir] = acl;
  }
  // Numbers are taken only once the whole CoA is known to apply.
  for (const dir of ['in', 'out'] as const) if (result[dir]) result[dir]!.name = `${ifname}#${nextNumber()}`;
  return result;
}

/** The inbound checks (decrypted packet about to enter the interface): ACL, then policer. */
export function admitInbound(p: InterfacePolicy, packet: Buffer, now: number): 'acl' | 'police' | undefined {
  if (p.inAcl && !accessListPermits(p.inAcl, packet)) return 'acl';
  if (p.input && !p.input.policer.admit(packet.length, now)) return 'police';
  return undefined;
}

/** The outbound checks (packet routed out of the interface, before encryption). */
export function admitOutbound(p: InterfacePolicy, packet: Buffer, now: number): 'acl' | 'police' | undefined {
  if (p.outAcl && !accessListPermits(p.outAcl, packet)) return 'acl';
  if (p.output && !p.output.policer.admit(packet.length, now)) return 'police';
  return undefined;
}

/** A JSON view for status/show: access groups, lists with match counts, policers with counters. */
export function interfacePolicyView(p: InterfacePolicy | undefined): Record<string, unknown> | undefined {
  if (!p || (!p.inAcl && !p.outAcl && !p.input && !p.output)) return undefined;
  const acl = (a?: AccessList) => a && { name: a.name, entries: a.entries.map((e) => ({ sequence: e.sequence, text: e.text, matches: e.matches })), implicitDenies: a.implicitDenies, show: showAccessList(a) };
  const sp = (s?: ServicePolicy) => s && { name: s.name, cir: s.policer.cir, bc: s.policer.bc, conformed: { ...s.policer.conformed }, exceeded: { ...s.policer.exceeded } };
  return { inAcl: acl(p.inAcl), outAcl: acl(p.outAcl), input: sp(p.input), output: sp(p.output) };
}
