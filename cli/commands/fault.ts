// flexlab fault link-down|link-up|blackhole|loss|rate|mtu|nat-rebind|clear|list ...
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { activeFaults, applyFault, clearFault, clearFaults, DELAY_UNAVAILABLE, describeFault, linkUp } from '../../labs/faults.ts';
import type { FaultSpec } from '../../labs/faults.ts';
import { labFromOptions, requireRoot } from '../lab-cli.ts';

const LINK_HELP = 'link id (hub-eth1--wan-eth1), an endpoint (hub:eth1), two nodes (hub--wan) or an index';

function num(what: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n)) throw new UserError(`${what} must be a number, got "${text}"`);
  return n;
}

export function register(program: Command): void {
  const fault = program
    .command('fault')
    .description('inject failures into a running lab (each recorded; `fault clear` or destroy removes it)')
    .addHelpText('after', `
Faults act like a broken wire: drops and loss on the receiving end, rate limits on the sending end.
Not available: delay and jitter. They need the kernel's netem qdisc, which this kernel lacks; they
will come from a userspace impaired wire in a later release.

Examples:
  flexlab fault blackhole hub--wan --from hub     # drop what hub sends toward wan
  flexlab fault loss spoke1:eth1 20               # 20% loss both ways
  flexlab fault rate hub--wan 512                 # 512 kbit/s each way
  flexlab fault mtu hub--wan 1280
  flexlab fault nat-rebind nat                    # next packet of every flow gets a new outer port
  flexlab fault list ; flexlab fault clear f1 ; flexlab fault clear --all`);

  const apply = async (opts: { name?: string }, spec: FaultSpec) => {
    requireRoot();
    const lab = labFromOptions(opts);
    const f = await applyFault(lab, spec);
    console.log(`${f.id}: ${f.description}`);
  };
  const sub = (name: string, description: string) =>
    fault.command(name).description(description).option('--name <lab>', 'lab name (optional when one lab is deployed)');

  sub('link-down', 'take both ends of a link down').argument('<link>', LINK_HELP)
    .action((link: string, o: { name?: string }) => apply(o, { type: 'link-down', link }));
  sub('link-up', 'bring a link up again (clears its link-down faults, restores routes)').argument('<link>', LINK_HELP)
    .action(async (link: string, o: { name?: string }) => { requireRoot(); await linkUp(labFromOptions(o), link); console.log(`link ${link} up`); });
  sub('blackhole', 'drop every IP packet on a link (both ways, or only what --from sends)').argument('<link>', LINK_HELP)
    .option('--from <node>', 'only traffic sent by this end')
    .action((link: string, o: { name?: string; from?: string }) => apply(o, { type: 'blackhole', link, ...(o.from ? { from: o.from } : {}) }));
  sub('loss', 'drop packets at random (iptables statistic)').argument('<link>', LINK_HELP).argument('<percent>', 'loss in percent (0-100]')
    .option('--from <node>', 'only traffic sent by this end')
    .action((link: string, pct: string, o: { name?: string; from?: string }) => apply(o, { type: 'loss', link, percent: num('percent', pct), ...(o.from ? { from: o.from } : {}) }));
  sub('rate', 'limit a link to a rate (tc tbf)').argument('<link>', LINK_HELP).argument('<kbit>', 'kbit/s')
    .option('--from <node>', 'only traffic sent by this end')
    .action((link: string, kbit: string, o: { name?: string; from?: string }) => apply(o, { type: 'rate', link, kbit: num('rate', kbit), ...(o.from ? { from: o.from } : {}) }));
  sub('mtu', "change the MTU of a link's interfaces").argument('<link>', LINK_HELP).argument('<mtu>', 'bytes')
    .option('--node <node>', 'only this end')
    .action((link: string, mtu: string, o: { name?: string; node?: string }) => apply(o, { type: 'mtu', link, mtu: num('mtu', mtu), ...(o.node ? { node: o.node } : {}) }));
  sub('nat-rebind', 'make a nat node forget its mappings (flows get new outer ports)').argument('<node>', 'a node of kind nat')
    .option('--method <method>', 'auto, conntrack or link-bounce', 'auto')
    .action((node: string, o: { name?: string; method: string }) => {
      if (!['auto', 'conntrack', 'link-bounce'].includes(o.method)) throw new UserError(`--method must be auto, conntrack or link-bounce`);
      return apply(o, { type: 'nat-rebind', node, method: o.method as 'auto' });
    });
  for (const name of ['delay', 'jitter']) {
    fault.command(name, { hidden: true }).allowUnknownOption().allowExcessArguments()
      .action(() => { throw new UserError(DELAY_UNAVAILABLE); });
  }
  sub('clear', 'undo a fault by id, all faults of a link (--link) or every fault (--all)').argument('[id]', 'fault id (from `fault list`)')
    .option('--link <link>', LINK_HELP).option('-a, --all', 'every active fault')
    .action(async (id: string | undefined, o: { name?: string; link?: string; all?: boolean }) => {
      requireRoot();
      const lab = labFromOptions(o);
      if (id) { await clearFault(lab, id); console.log(`${id} cleared`); return; }
      if (!o.link && !o.all) throw new UserError('say which fault: an id, --link LINK or --all');
      const n = await clearFaults(lab, o.link ? { link: o.link } : {});
      console.log(`${n} fault${n === 1 ? '' : 's'} cleared`);
    });
  sub('list', 'list active faults').option('--json', 'machine-readable output')
    .action((o: { name?: string; json?: boolean }) => {
      const faults = activeFaults(labFromOptions(o));
      if (o.json) console.log(JSON.stringify(faults, null, 2));
      else console.log(faults.length ? faults.map((f) => `${f.id}  ${describeFault(f)}`).join('\n') : 'no active faults');
    });
}
