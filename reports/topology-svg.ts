// The lab as a picture (SVG, no layout engine needed): the graph's centre in the middle, its
// branches to the left (those with a hub) and the right, one column per hop; boxes coloured by
// kind, links labelled with interfaces and subnets, captured links linked to their pcap.

import { addressPlan } from '../labs/address-plan.ts';
import type { LabModel, LinkModel } from '../labs/model.ts';

export interface TopologySvgOptions {
  /** Link id -> href of its capture file. */
  captures?: Map<string, string>;
  /** Link ids to draw as faulty (a fault was applied to them). */
  faulty?: Set<string>;
}

const KIND_COLOUR: Record<string, string> = {
  'flexvpn-hub': '#1f6feb', 'flexvpn-spoke': '#2da44e', strongswan: '#bf3989', router: '#6e7781', nat: '#bc4c00',
  host: '#8250df', linux: '#57606a', radius: '#9a6700', freeradius: '#9a6700',
};

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

interface Placed {
  name: string;
  col: number;
  row: number;
}

/** Columns (hops from the centre, negative to the left) and rows for every node. */
export function layout(lab: LabModel): Placed[] {
  const names = lab.nodes.map((n) => n.name);
  const adj = new Map(names.map((n) => [n, [] as string[]]));
  for (const l of lab.links) {
    if (l.a.node === l.b.node) continue;
    adj.get(l.a.node)?.push(l.b.node);
    adj.get(l.b.node)?.push(l.a.node);
  }
  const bfs = (start: string) => {
    const d = new Map([[start, 0]]);
    const q = [start];
    while (q.length) {
      const x = q.shift()!;
      for (const y of adj.get(x) ?? []) if (!d.has(y)) { d.set(y, d.get(x)! + 1); q.push(y); }
    }
    return d;
  };
  const placed: Placed[] = [];
  const done = new Set<string>();
  let rowBase = 0;
  // One component at a time (most labs have one).
  for (const seed of names) {
    if (done.has(seed)) continue;
    const comp = [...bfs(seed).keys()];
    // Centre: the node with the smallest eccentricity, most links on a tie.
    let centre = comp[0]!;
    let best = Infinity;
    for (const c of comp) {
      const ecc = Math.max(...bfs(c).values());
      const score = ecc * 100 - (adj.get(c)?.length ?? 0);
      if (score < best) { best = score; centre = c; }
    }
    const kind = (n: string) => lab.nodes.find((x) => x.name === n)?.kind ?? '';
    // Branches of the centre: each neighbour with what is reached through it first.
    const owner = new Map<string, string>([[centre, centre]]);
    const depth = new Map<string, number>([[centre, 0]]);
    const q: string[] = [];
    for (const nb of adj.get(centre) ?? []) if (!owner.has(nb)) { owner.set(nb, nb); depth.set(nb, 1); q.push(nb); }
    while (q.length) {
      const x = q.shift()!;
      for (const y of adj.get(x) ?? []) if (!owner.has(y)) { owner.set(y, owner.get(x)!); depth.set(y, depth.get(x)! + 1); q.push(y); }
    }
    const branches = [...new Set([...owner.values()].filter((b) => b !== centre))];
    const members = (b: string) => comp.filter((n) => owner.get(n) === b);
    const hasHub = (b: string) => members(b).some((n) => /hub|server|radius/.test(kind(n)) || /^hub/.test(n));
    const left: string[] = [];
    const right: string[] = [];
    let nl = 0, nr = 0;
    for (const b of [...branches].sort((x, y) => Number(hasHub(y)) - Number(hasHub(x)))) {
      if (hasHub(b) && !left.some(hasHub)) { left.push(b); nl += members(b).length; continue; }
      if (nr <= nl) { right.push(b); nr += members(b).length; } else { left.push(b); nl += members(b).length; }
    }
    const rowsUsed = new Map<number, number>();
    placed.push({ name: centre, col: 0, row: rowBase });
    done.add(centre);
    for (const [side, list] of [[-1, left], [1, right]] as const) {
      for (const b of list) {
        // Depth-first so a branch's nodes line up in rows.
        const order: string[] = [];
        const visit = (x: string) => {
          if (order.includes(x)) return;
          order.push(x);
          for (const y of adj.get(x) ?? []) if (owner.get(y) === b && depth.get(y) === depth.get(x)! + 1) visit(y);
        };
        visit(b);
        for (const n of members(b)) if (!order.includes(n)) order.push(n);
        // A branch starts below everything already on its side, so its nodes line up in rows.
        const sideCols = [...rowsUsed.keys()].filter((c) => Math.sign(c) === side);
        const base = Math.max(0, ...sideCols.map((c) => rowsUsed.get(c)!));
        const inBranch = new Map<number, number>();
        for (const n of order) {
          const col = side * depth.get(n)!;
          const k = inBranch.get(col) ?? 0;
          inBranch.set(col, k + 1);
          rowsUsed.set(col, base + k + 1);
          placed.push({ name: n, col, row: rowBase + base + k });
          done.add(n);
        }
      }
    }
    rowBase = Math.max(...placed.map((p) => p.row)) + 1;
  }
  return placed;
}

export function topologySvg(lab: LabModel, opts: TopologySvgOptions = {}): string {
  const placed = layout(lab);
  const plan = addressPlan(lab);
  const minCol = Math.min(...placed.map((p) => p.col));
  const colW = 210, rowH = 120, boxW = 130, boxH = 52, padX = 40, padY = 30;
  const pos = new Map(placed.map((p) => [p.name, { x: padX + (p.col - minCol) * colW, y: padY + p.row * rowH }]));
  const width = padX * 2 + (Math.max(...placed.map((p) => p.col)) - minCol) * colW + boxW;
  const height = padY * 2 + (Math.max(...placed.map((p) => p.row)) + 1) * rowH - (rowH - boxH);
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" class="topology" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="topology of lab ${esc(lab.name)}">`];
  const centre = (n: string) => { const p = pos.get(n)!; return { x: p.x + boxW / 2, y: p.y + boxH / 2 }; };
  const linkLabel = (l: LinkModel) => plan.subnets.filter((s) => s.link === l.id && s.family === 4).map((s) => s.subnet).join(' ');
  for (const l of lab.links) {
    const a = centre(l.a.node), b = centre(l.b.node);
    const faulty = opts.faulty?.has(l.id);
    const cap = opts.captures?.get(l.id);
    const mx = (a.x + b.x) / 2, my = (a.y + b.y) / 2;
    const line = `<line x1="${a.x}" y1="${a.y}" x2="${b.x}" y2="${b.y}" class="link${faulty ? ' faulty' : ''}"><title>${esc(l.id)}${l.mtu ? ` (MTU ${l.mtu})` : ''}</title></line>`;
    out.push(line);
    // Interface names near each end, the subnet in the middle.
    for (const [e, p, q] of [[l.a, a, b], [l.b, b, a]] as const) {
      const t = 0.3;
      out.push(`<text x="${p.x + (q.x - p.x) * t}" y="${p.y + (q.y - p.y) * t - 4}" class="ifname">${esc(e.interface)}</text>`);
    }
    const label = `${linkLabel(l)}${l.mtu ? ` mtu ${l.mtu}` : ''}`;
    if (label || cap) {
      const text = `<text x="${mx}" y="${my + 14}" class="subnet">${esc(label)}${cap ? ' ⬇pcap' : ''}</text>`;
      out.push(cap ? `<a href="${esc(cap)}">${text}</a>` : text);
    }
  }
  for (const n of lab.nodes) {
    const p = pos.get(n.name)!;
    const colour = KIND_COLOUR[n.kind] ?? '#57606a';
    const addr = n.interfaces.flatMap((i) => i.addresses.filter((x) => x.family === 4).map((x) => x.address))[0] ?? '';
    out.push(`<g class="node" data-node="${esc(n.name)}"><title>${esc(`${n.name} (${n.kind})\n${n.interfaces.map((i) => `${i.name} ${i.addresses.map((x) => x.cidr).join(' ')}`).join('\n')}`)}</title>`);
    out.push(`<rect x="${p.x}" y="${p.y}" width="${boxW}" height="${boxH}" rx="9" fill="#fff" stroke="${colour}" stroke-width="2.5"/>`);
    out.push(`<rect x="${p.x}" y="${p.y}" width="8" height="${boxH}" rx="3" fill="${colour}"/>`);
    out.push(`<text x="${p.x + boxW / 2 + 4}" y="${p.y + 19}" class="nodename">${esc(n.name)}</text>`);
    out.push(`<text x="${p.x + boxW / 2 + 4}" y="${p.y + 33}" class="kind">${esc(n.kind)}</text>`);
    out.push(`<text x="${p.x + boxW / 2 + 4}" y="${p.y + 46}" class="kind">${esc(addr)}</text></g>`);
  }
  out.push('</svg>');
  return out.join('\n');
}
