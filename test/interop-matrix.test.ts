// The interop matrix's `make test` share: the cells marked quick (about half, every row at least
// once, each side initiating), our daemon against strongSwan's charon in real labs. Every cell must
// pass: tunnel up from the column's side, SA state agreeing on both sides, ping and TCP both ways,
// the row's exercise, and both captures decrypting cleanly in tshark. `make interop` runs them all.

import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isolate, cleanupAll } from './helpers/lab.ts';
import { FEATURES, runMatrix, selectCells } from '../interop/matrix/index.ts';
import type { MatrixResult } from '../interop/matrix/index.ts';

const dirs = isolate('iop');
let result: MatrixResult;

test.before(async () => {
  result = await runMatrix({ outDir: path.join(dirs.outDir, 'interop'), quick: true, prefix: `t${process.pid % 10000}` });
});

test.after.always(async () => {
  await cleanupAll(dirs);
});

test('the quick selection covers every row and both initiators', (t) => {
  const cells = selectCells({ quick: true });
  t.deepEqual([...new Set(cells.map((c) => c.row.id))].sort(), FEATURES.map((f) => f.id).sort());
  t.true(cells.some((c) => c.initiator === 'ours') && cells.some((c) => c.initiator === 'charon'));
  t.is(result.cells.length, cells.length);
});

for (const { row, initiator } of selectCells({ quick: true })) {
  test(`${row.title}, ${initiator} initiates`, (t) => {
    const cell = result.cells.find((c) => c.row === row.id && c.initiator === initiator)!;
    t.is(cell.status, 'pass', cell.reason);
    t.true(cell.checks.length >= 4, 'tunnel, traffic, counters, capture checks recorded');
    t.true(cell.captures.length === 2 && cell.captures.every((c) => c.problems.length === 0 && c.counts.decryptedEsp === c.counts.esp && c.counts.esp > 0));
    t.true(cell.captures.every((c) => c.counts.protectedIke > 0 && c.counts.decryptedIke === c.counts.protectedIke));
  });
}

test('interop.md and interop.json are written with one line per cell', (t) => {
  const dir = path.join(dirs.outDir, 'interop');
  const md = readFileSync(path.join(dir, 'interop.md'), 'utf8');
  t.regex(md, /\| feature \| ours initiates \| charon initiates \|/);
  t.regex(md, /\| PSK \| \*\*pass\*\*/);
  const json = JSON.parse(readFileSync(path.join(dir, 'interop.json'), 'utf8')) as { cells: Array<{ result: string; links: { captures: string[] } }> };
  t.is(json.cells.length, result.cells.length);
  for (const c of json.cells) for (const f of c.links.captures) t.true(existsSync(path.join(dir, f)), f);
});
