// flexlab validate -t FILE: check a topology without deploying it: the file's shape, each node's
// kind config (schemas, and each kind's own rules such as the IOS restrictions on EAP and
// reconnect, F-AUTH-14). Every problem is reported with file, line and path.
import type { Command } from 'commander';
import { loadTopologyFile } from '../../labs/topology/load.ts';

export function register(program: Command): void {
  program
    .command('validate')
    .description('check a topology file (shape, node configs, kind rules) without deploying it')
    .requiredOption('-t, --topo <file>', 'topology file')
    .action((opts: { topo: string }) => {
      const { lab } = loadTopologyFile(opts.topo);
      console.log(`${opts.topo}: lab ${lab.name} is valid (${lab.nodes.length} nodes, ${lab.links.length} links)`);
    });
}
