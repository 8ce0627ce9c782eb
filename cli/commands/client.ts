// The FlexVPN client's exec commands on a lab node:
//   flexlab client NODE connect [NAME]      crypto ikev2 client flexvpn connect NAME
//   flexlab client NODE disconnect [NAME]   clear crypto ikev2 client flexvpn connect NAME
//   flexlab track NODE OBJECT up|down       sets a stub track object (what a scenario's `track:` does)
// `flexlab show NODE client` shows the result.

import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { controlRequest } from '../../engine/daemon/control.ts';
import { nodeControlPath } from './show.ts';

export function register(program: Command): void {
  program
    .command('client')
    .description('connect or disconnect the FlexVPN client blocks of a flexvpn-client node')
    .argument('<node>', 'node name')
    .argument('<action>', 'connect or disconnect')
    .argument('[client]', 'client block name (default: every block)')
    .option('--name <lab>', 'lab name')
    .action(async (node: string, action: string, client: string | undefined, opts: { name?: string }) => {
      if (action !== 'connect' && action !== 'disconnect') throw new UserError(`unknown action "${action}": connect or disconnect`);
      const r = await controlRequest<string[]>(await nodeControlPath(opts, node), `client-${action}`, client ? { client } : {});
      console.log(r.join('\n'));
    });

  program
    .command('track')
    .description('set a stub track object of a flexvpn-client node up or down')
    .argument('<node>', 'node name')
    .argument('<object>', 'track object number or name')
    .argument('<state>', 'up or down')
    .option('--name <lab>', 'lab name')
    .action(async (node: string, object: string, state: string, opts: { name?: string }) => {
      if (state !== 'up' && state !== 'down') throw new UserError(`state must be up or down, got "${state}"`);
      const r = await controlRequest<{ changed: boolean }>(await nodeControlPath(opts, node), 'track', { object, state });
      console.log(`track ${object} ${state}${r.changed ? '' : ' (unchanged)'}`);
    });
}
