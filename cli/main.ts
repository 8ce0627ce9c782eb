// The `flexlab` command line. Each verb lives in its own module under cli/commands/ and registers
// itself on the program, so adding a verb never touches the others.

import { Command } from 'commander';
import { commands } from './commands/index.ts';

const program = new Command();
program
  .name('flexlab')
  .description('Network simulation and conformance lab for FlexVPN-style IKEv2/IPsec topologies')
  .showHelpAfterError()
  .enablePositionalOptions();

for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Errors the user can act on are printed without a stack trace.
  const e = err as Error & { userError?: boolean; exitCode?: number };
  console.error(e.userError ? e.message : e.stack ?? String(e));
  process.exit(e.exitCode ?? 1);
}
