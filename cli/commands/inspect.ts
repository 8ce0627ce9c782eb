// flexlab inspect [--name LAB] [--json] [--all]
import type { Command } from 'commander';
import { formatInspection, inspectLab } from '../../labs/inspect.ts';
import { openLab } from '../../labs/lab.ts';
import { LabState } from '../../labs/state.ts';
import { labFromOptions } from '../lab-cli.ts';

export function register(program: Command): void {
  program
    .command('inspect')
    .description('show a deployed lab: nodes, kinds, interfaces, addresses, processes, captures, faults')
    .option('--name <lab>', 'lab name (optional when one lab is deployed)')
    .option('-t, --topo <file>', 'the lab named in this topology file')
    .option('-a, --all', 'every deployed lab')
    .option('--json', 'machine-readable output')
    .action(async (opts: { name?: string; topo?: string; all?: boolean; json?: boolean }) => {
      const labs = opts.all ? LabState.list().map((n) => openLab(n)) : [labFromOptions(opts)];
      const result = await Promise.all(labs.map(inspectLab));
      if (opts.json) console.log(JSON.stringify(opts.all ? result : result[0], null, 2));
      else console.log(result.map(formatInspection).join('\n\n'));
    });
}
