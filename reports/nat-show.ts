// `show ip nat translations` (F-SRV-09) from the kernel's connection tracking table of the node
// (`conntrack -L --src-nat`): one row per translated flow, IOS's four columns. For ICMP the
// echo identifier stands in for the port, as on IOS.

export interface NatTranslation {
  protocol: string;
  insideLocal: string;
  insideGlobal: string;
  outsideLocal: string;
  outsideGlobal: string;
}

/** The source-NATed flows of `conntrack -L` output (other lines are skipped). */
export function parseConntrack(text: string): NatTranslation[] {
  const out: NatTranslation[] = [];
  for (const line of text.split('\n')) {
    const proto = /^(\w+)\s+\d+\s/.exec(line)?.[1];
    if (!proto) continue;
    const all = (key: string) => [...line.matchAll(new RegExp(`\\b${key}=(\\S+)`, 'g'))].map((m) => m[1]!);
    const [src, rsrc] = all('src'), [dst, rdst] = all('dst');
    const sport = all('sport'), dport = all('dport'), id = all('id');
    if (!src || !dst || !rsrc || !rdst || rdst === src) continue; // not translated
    const port = (i: number, which: 'src' | 'dst') => (proto === 'icmp' ? id[i] : (which === 'src' ? sport : dport)[i]);
    const at = (a: string, p?: string) => (p === undefined ? a : `${a}:${p}`);
    out.push({
      protocol: proto,
      insideLocal: at(src, port(0, 'src')),
      insideGlobal: at(rdst, port(1, 'dst')),
      outsideLocal: at(dst, port(0, 'dst')),
      outsideGlobal: at(rsrc, port(1, 'src')),
    });
  }
  return out;
}

export function showNatTranslations(list: NatTranslation[]): string {
  const w = 22;
  const rows = list.map((t) => `${t.protocol.padEnd(5)}${t.insideGlobal.padEnd(w)}${t.insideLocal.padEnd(w)}${t.outsideLocal.padEnd(w)}${t.outsideGlobal}`);
  return [`${'Pro'.padEnd(5)}${'Inside global'.padEnd(w)}${'Inside local'.padEnd(w)}${'Outside local'.padEnd(w)}Outside global`, ...rows, `Total number of translations: ${list.length}`].join('\n');
}
