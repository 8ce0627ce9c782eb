// interop.md (a table people read: feature x initiator, with the reason of every failure and links
// to each cell's captures, key tables and logs) and interop.json (the same, for tools).

import type { CellResult, FeatureRow } from './cell.ts';
import type { Side } from './topology.ts';

export interface MatrixSummary {
  startedAt: string;
  durationMs: number;
  cells: CellResult[];
  passed: number;
  failed: number;
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function cellText(r: CellResult | undefined): string {
  if (!r) return '—';
  const cap = r.links.captures[0];
  const link = cap ? ` ([pcap](${cap}), [details](${r.links.dir}/cell.json))` : ` ([details](${r.links.dir}/cell.json))`;
  return r.status === 'pass' ? `**pass**${link}` : `**FAIL**: ${esc(r.reason ?? 'unknown')}${link}`;
}

export function renderMarkdown(m: MatrixSummary, features: FeatureRow[]): string {
  const lines: string[] = [
    '# Interop matrix: flexlab vs strongSwan charon',
    '',
    `Run ${m.startedAt}, ${(m.durationMs / 1000).toFixed(0)} s: **${m.passed} passed, ${m.failed} failed** of ${m.cells.length} cells.`,
    '',
    'Each cell is its own lab (interop/matrix/topology.ts): `host-o — ours — mid — charon — host-c`, a tunnel',
    '10.1.0.0/24 <-> 10.2.0.0/24 brought up by the column\'s side, checked on both sides\' SA state (SPIs,',
    'algorithms, identities agree), carrying ping and TCP both ways, then the row\'s exercise. Both WAN',
    'captures are opened by tshark with the key tables: no malformed frame, every SK/SKF payload and every',
    'ESP packet decrypted, or the cell fails. "ours" is flexlab\'s daemon (flexvpn-spoke as initiator,',
    'flexvpn-hub as responder), "charon" strongSwan 5.9.8 with kernel-libipsec.',
    '',
    '| feature | ours initiates | charon initiates |',
    '|---|---|---|',
  ];
  const find = (row: string, side: Side) => m.cells.find((c) => c.row === row && c.initiator === side);
  for (const f of features) {
    const o = find(f.id, 'ours'), c = find(f.id, 'charon');
    if (!o && !c) continue;
    const title = f.columnNote ? `${f.title} <br><sub>${esc(f.columnNote)}</sub>` : f.title;
    const na = (side: Side) => ((f.columns ?? ['ours', 'charon']).includes(side) ? 'not run' : 'n/a');
    lines.push(`| ${title} | ${o ? cellText(o) : na('ours')} | ${c ? cellText(c) : na('charon')} |`);
  }
  lines.push('', '## Cells', '');
  for (const r of m.cells) {
    lines.push(`### ${r.title} — ${r.initiator} initiates: ${r.status === 'pass' ? 'pass' : 'FAIL'} (${(r.durationMs / 1000).toFixed(1)} s)`, '');
    if (r.reason) lines.push(`Reason: ${r.reason}`, '');
    for (const c of r.checks) lines.push(`- ${c}`);
    for (const n of r.notes) lines.push(`- note: ${n}`);
    lines.push('', `Files: [topology](${r.links.topology}), captures ${r.links.captures.map((c) => `[${c.split('/').pop()}](${c})`).join(', ') || 'none'}, ` +
      `keys [ours](${r.links.keys.ours}) [charon](${r.links.keys.charon}), logs ${r.links.logs.map((l) => `[${l.split('/').pop()}](${l})`).join(', ')}`, '');
  }
  return lines.join('\n') + '\n';
}

export function renderJson(m: MatrixSummary): string {
  return JSON.stringify({
    startedAt: m.startedAt, durationMs: m.durationMs, passed: m.passed, failed: m.failed,
    cells: m.cells.map((r) => ({
      feature: r.row, title: r.title, initiator: r.initiator, result: r.status, reason: r.reason ?? null,
      durationMs: r.durationMs, checks: r.checks, notes: r.notes,
      captures: r.captures, links: r.links,
    })),
  }, null, 2) + '\n';
}
