// flexlab graph -t FILE [--format mermaid|dot]
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { renderGraph } from '../../labs/graph.ts';
import type { GraphFormat } from '../../labs/graph.ts';
import { loadTopologyFile } from '../../labs/topology/load.ts';
import { labFromOptions } from '../lab-cli.ts';

export function register(program: Command): void {
  program
    .command('graph')
    .description('print the topology as Mermaid or Graphviz DOT text')
    .option('-t, --topo <file>', 'topology file (default: the deployed lab)')
    .option('--name <lab>', 'a deployed lab')
    .option('-f, --format <format>', 'mermaid or dot', 'mermaid')
    .action((opts: { topo?: string; name?: string; format: string }) => {
      if (opts.format !== 'mermaid' && opts.format !== 'dot') throw new UserError(`--format must be mermaid or dot, got "${opts.format}"`);
      const model = opts.topo && !opts.name ? loadTopologyFile(opts.topo).lab : labFromOptions(opts).model;
      process.stdout.write(renderGraph(model, opts.format as GraphFormat));
    });
}
