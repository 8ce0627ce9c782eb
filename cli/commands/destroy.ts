// flexlab destroy -t FILE | --name LAB | --all
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { destroyAllLabs, destroyLab } from '../../labs/lab.ts';
import { LabState } from '../../labs/state.ts';
import { topologyName } from '../../labs/topology/load.ts';
import { progress, requireRoot } from '../lab-cli.ts';

export function register(program: Command): void {
  program
    .command('destroy')
    .description('remove a lab: everything its journal records (namespaces, links, processes), then its state')
    .option('-t, --topo <file>', 'the lab named in this topology file')
    .option('--name <lab>', 'the lab with this name')
    .option('-a, --all', 'every lab under the state directory')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (opts: { topo?: string; name?: string; all?: boolean; quiet?: boolean }) => {
      requireRoot();
      const log = progress(opts.quiet);
      if (opts.all) {
        const names = await destroyAllLabs({ log });
        if (names.length === 0) log('no lab to destroy');
        return;
      }
      const name = opts.name ?? (opts.topo ? topologyName(opts.topo) : undefined);
      if (!name) {
        const labs = LabState.list();
        if (labs.length !== 1) throw new UserError(`say which lab: -t FILE, --name LAB or --all${labs.length ? ` (deployed: ${labs.join(', ')})` : ' (none is deployed)'}`);
        await destroyLab(labs[0]!, { log });
        return;
      }
      await destroyLab(name, { log });
    });
}
