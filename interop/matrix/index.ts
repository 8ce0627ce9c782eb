// The interop matrix: our daemon against strongSwan's charon, one row per feature, one column per
// initiator. `runMatrix` runs the selected cells (each its own short-lived lab) and writes
// interop.md and interop.json into the output directory. Used by `flexlab interop`, `make interop`
// (everything) and the `make test` share (test/interop-matrix.test.ts, the quick cells).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../../cli/errors.ts';
import { mapLimit } from '../../labs/command.ts';
import { FEATURES } from './features.ts';
import { runCell } from './cell.ts';
import type { CellResult, FeatureRow } from './cell.ts';
import type { Side } from './topology.ts';
import { renderJson, renderMarkdown } from './report.ts';

export { FEATURES } from './features.ts';
export type { CellResult, FeatureRow } from './cell.ts';

export interface MatrixOptions {
  outDir: string;
  /** Only these rows (ids). */
  rows?: string[];
  /** Only the cells marked quick (the `make test` share). */
  quick?: boolean;
  /** Only this column. */
  initiator?: Side;
  /** Lab name prefix (default "iop"); tests use their own so runs can overlap. */
  prefix?: string;
  /** Cells run at once (default 1: the throughput and DPD timings are steadier alone). */
  parallel?: number;
  log?: (line: string) => void;
}

export interface MatrixResult {
  startedAt: string;
  durationMs: number;
  cells: CellResult[];
  passed: number;
  failed: number;
  markdown: string;
  json: string;
}

export function selectCells(opts: Pick<MatrixOptions, 'rows' | 'quick' | 'initiator'>): Array<{ row: FeatureRow; initiator: Side }> {
  const unknown = (opts.rows ?? []).filter((r) => !FEATURES.some((f) => f.id === r));
  if (unknown.length) throw new UserError(`unknown interop row${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; rows: ${FEATURES.map((f) => f.id).join(', ')}`);
  const out: Array<{ row: FeatureRow; initiator: Side }> = [];
  for (const row of FEATURES) {
    if (opts.rows?.length && !opts.rows.includes(row.id)) continue;
    for (const side of row.columns ?? ['ours', 'charon']) {
      if (opts.initiator && side !== opts.initiator) continue;
      if (opts.quick && !(row.quick ?? []).includes(side)) continue;
      out.push({ row, initiator: side });
    }
  }
  return out;
}

export async function runMatrix(opts: MatrixOptions): Promise<MatrixResult> {
  const outDir = resolve(opts.outDir);
  mkdirSync(outDir, { recursive: true });
  const log = opts.log ?? (() => {});
  const cells = selectCells(opts);
  if (!cells.length) throw new UserError('no interop cell selected');
  const started = Date.now();
  const startedAt = new Date().toISOString();
  log(`interop matrix: ${cells.length} cells, output ${outDir}`);
  const results = await mapLimit(cells, Math.max(1, opts.parallel ?? 1), async ({ row, initiator }) => {
    log(`${row.id} / ${initiator} initiates ...`);
    const r = await runCell(row, initiator, { outDir, prefix: opts.prefix ?? 'iop', log });
    log(`${row.id} / ${initiator} initiates: ${r.status.toUpperCase()} (${(r.durationMs / 1000).toFixed(1)} s)${r.reason ? `: ${r.reason}` : ''}`);
    return r;
  });
  const res = {
    startedAt, durationMs: Date.now() - started, cells: results,
    passed: results.filter((r) => r.status === 'pass').length, failed: results.filter((r) => r.status === 'fail').length,
  };
  const markdown = renderMarkdown(res, FEATURES);
  const json = renderJson(res);
  writeFileSync(join(outDir, 'interop.md'), markdown);
  writeFileSync(join(outDir, 'interop.json'), json);
  return { ...res, markdown, json };
}
