// flexlab exec [--name LAB] NODE -- CMD...
import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { systemEnv } from '../../labs/command.ts';
import { UserError } from '../errors.ts';
import { labFromOptions } from '../lab-cli.ts';

export function register(program: Command): void {
  program
    .command('exec')
    .description('run a command inside a node (its network namespace), e.g. flexlab exec host1 -- ping -c3 192.168.10.10')
    .option('--name <lab>', 'lab name (optional when one lab is deployed)')
    .argument('<node>', 'node name')
    .argument('<cmd...>', 'command and its arguments (after --)')
    .passThroughOptions()
    .action((node: string, args: string[], opts: { name?: string }) => {
      // Options after NODE pass through untouched (so `-c 3` belongs to ping), "--" included.
      const cmd = args[0] === '--' ? args.slice(1) : args;
      if (cmd.length === 0) throw new UserError('no command given: flexlab exec NODE -- CMD...');
      const lab = labFromOptions(opts);
      const argv = lab.backend.execArgv(lab.node(node), cmd);
      const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'inherit', env: systemEnv({ ...process.env, ...lab.node(node).env }) });
      if (r.error) throw r.error;
      process.exitCode = r.status ?? (r.signal ? 128 : 1);
    });
}
