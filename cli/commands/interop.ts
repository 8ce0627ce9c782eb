// `flexlab interop`: the interop matrix, our daemon against strongSwan's charon, one row per feature
// in both roles (interop/matrix). Writes interop.md and interop.json into --out (default
// out/interop); exits non-zero when a cell fails.
//   flexlab interop                      every cell (make interop)
//   flexlab interop --quick              the representative part make test runs
//   flexlab interop --only psk,dpd --initiator charon

import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { requireRoot } from '../lab-cli.ts';
import { FEATURES, runMatrix } from '../../interop/matrix/index.ts';

export function register(program: Command): void {
  program
    .command('interop')
    .description('run the interop matrix against strongSwan (charon) and write interop.md / interop.json')
    .option('--out <dir>', 'output directory', 'out/interop')
    .option('--only <rows>', `comma-separated rows: ${FEATURES.map((f) => f.id).join(', ')}`)
    .option('--initiator <side>', 'only the cells where this side initiates: ours or charon')
    .option('--quick', 'only the representative cells make test runs')
    .option('--parallel <n>', 'cells run at once', '1')
    .option('--prefix <name>', 'lab name prefix', 'iop')
    .option('-q, --quiet', 'only the summary')
    .action(async (opts: { out: string; only?: string; initiator?: string; quick?: boolean; parallel: string; prefix: string; quiet?: boolean }) => {
      requireRoot();
      if (opts.initiator && opts.initiator !== 'ours' && opts.initiator !== 'charon') throw new UserError(`--initiator must be ours or charon, not "${opts.initiator}"`);
      const parallel = Number(opts.parallel);
      if (!Number.isInteger(parallel) || parallel < 1 || parallel > 8) throw new UserError(`--parallel must be an integer from 1 to 8, not "${opts.parallel}"`);
      const r = await runMatrix({
        outDir: opts.out, rows: opts.only?.split(',').map((s) => s.trim()).filter(Boolean), quick: opts.quick,
        initiator: opts.initiator as 'ours' | 'charon' | undefined, parallel, prefix: opts.prefix,
        log: opts.quiet ? (l) => { if (!l.startsWith('  ')) console.log(l); } : (l) => console.log(l),
      });
      console.log(`\ninterop: ${r.passed} passed, ${r.failed} failed of ${r.cells.length} cells in ${(r.durationMs / 1000).toFixed(0)} s; report ${opts.out}/interop.md`);
      if (r.failed) process.exitCode = 1;
    });
}
