// The topology as a picture: Mermaid (renders in GitHub, GitLab and the HTML report) or Graphviz DOT.

import { addressPlan } from './address-plan.ts';
import type { LabModel, NodeModel } from './model.ts';

export type GraphFormat = 'mermaid' | 'dot';

function addrs(node: NodeModel, ifname: string): string[] {
  return node.interfaces.find((i) => i.name === ifname)?.addresses.map((a) => a.cidr) ?? [];
}

function standalone(node: NodeModel): string[] {
  return node.interfaces.filter((i) => i.type !== 'veth' && i.addresses.length).map((i) => `${i.name} ${i.addresses.map((a) => a.cidr).join(' ')}`);
}

export function renderGraph(lab: LabModel, format: GraphFormat = 'mermaid'): string {
  return format === 'dot' ? toDot(lab) : toMermaid(lab);
}

function toMermaid(lab: LabModel): string {
  const id = (name: string) => `n_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const esc = (s: string) => s.replace(/"/g, '#quot;');
  const out = [`%% lab ${lab.name}`, 'graph LR'];
  for (const n of lab.nodes) {
    const extra = standalone(n).map((s) => `<br/>${esc(s)}`).join('');
    out.push(`  ${id(n.name)}["<b>${esc(n.name)}</b><br/>${esc(n.kind)}${extra}"]`);
  }
  const node = (name: string) => lab.nodes.find((x) => x.name === name)!;
  for (const l of lab.links) {
    const a = [l.a.interface, ...addrs(node(l.a.node), l.a.interface)].join(' ');
    const b = [l.b.interface, ...addrs(node(l.b.node), l.b.interface)].join(' ');
    out.push(`  ${id(l.a.node)} ---|"${esc(a)} — ${esc(b)}${l.mtu ? ` (mtu ${l.mtu})` : ''}"| ${id(l.b.node)}`);
  }
  return out.join('\n') + '\n';
}

function toDot(lab: LabModel): string {
  const q = (s: string) => JSON.stringify(s);
  const plan = addressPlan(lab);
  const out = [`graph ${q(lab.name)} {`, '  graph [rankdir=LR];', '  node [shape=box, style=rounded, fontname="Helvetica"];', '  edge [fontname="Helvetica", fontsize=10];'];
  for (const n of lab.nodes) out.push(`  ${q(n.name)} [label=${q([n.name, n.kind, ...standalone(n)].join('\n'))}];`);
  const node = (name: string) => lab.nodes.find((x) => x.name === name)!;
  for (const l of lab.links) {
    const subnets = plan.subnets.filter((s) => s.link === l.id).map((s) => s.subnet);
    const attrs = [
      `taillabel=${q([l.a.interface, ...addrs(node(l.a.node), l.a.interface)].join('\n'))}`,
      `headlabel=${q([l.b.interface, ...addrs(node(l.b.node), l.b.interface)].join('\n'))}`,
      ...(subnets.length || l.mtu ? [`label=${q([...subnets, ...(l.mtu ? [`mtu ${l.mtu}`] : [])].join('\n'))}`] : []),
    ];
    out.push(`  ${q(l.a.node)} -- ${q(l.b.node)} [${attrs.join(', ')}];`);
  }
  out.push('}');
  return out.join('\n') + '\n';
}
