// flexlab deploy -t FILE [--name LAB] [--out DIR] [--capture] [--quiet]
import type { Command } from 'commander';
import { deployLab } from '../../labs/lab.ts';
import { loadTopologyFile } from '../../labs/topology/load.ts';
import { progress, requireRoot } from '../lab-cli.ts';

export function register(program: Command): void {
  program
    .command('deploy')
    .description('create a lab from a topology file: one network namespace per node, veth links, addresses, routes')
    .requiredOption('-t, --topo <file>', 'topology file (containerlab format plus flexlab keys)')
    .option('--name <lab>', "lab name instead of the file's name (deploy one file several times side by side)")
    .option('--out <dir>', 'output directory for logs and captures (default ./out/<lab>)')
    .option('--capture', 'capture every link to pcapng in <out>/captures')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (opts: { topo: string; name?: string; out?: string; capture?: boolean; quiet?: boolean }) => {
      const { lab: model, warnings } = loadTopologyFile(opts.topo, opts.name ? { name: opts.name } : {});
      requireRoot();
      const log = progress(opts.quiet);
      for (const w of warnings) log(`note: ${w}`);
      await deployLab(model, {
        log, handleSignals: true,
        ...(opts.out ? { outDir: opts.out } : {}),
        ...(opts.capture ? { capture: true } : {}),
      });
      log(`next: flexlab inspect --name ${model.name} | flexlab exec --name ${model.name} NODE -- CMD | flexlab destroy --name ${model.name}`);
    });
}
