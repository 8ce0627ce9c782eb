// flexlab demo: the first command a newcomer runs (`make demo`). A readable list of steps; later
// issues add theirs (tunnels up, a scenario, a report) to DEMO_STEPS.
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { addressPlan } from '../../labs/address-plan.ts';
import { stopCapture } from '../../labs/captures.ts';
import { run } from '../../labs/command.ts';
import { formatInspection, inspectLab } from '../../labs/inspect.ts';
import { deployLab, destroyLab } from '../../labs/lab.ts';
import type { Lab } from '../../labs/lab.ts';
import { LabState } from '../../labs/state.ts';
import { displayPath, loadTopologyFile } from '../../labs/topology/load.ts';
import { requireRoot } from '../lab-cli.ts';

export const DEMO_TOPOLOGY = fileURLToPath(new URL('../../topologies/hub-spoke.yaml', import.meta.url));
export const DEMO_LAB = 'demo';

export interface DemoContext {
  lab?: Lab;
  outDir?: string;
  say: (line: string) => void;
  /** Failed checks; the demo exits non-zero if any. */
  failures: string[];
}

export interface DemoStep {
  title: string;
  run(ctx: DemoContext): Promise<void>;
}

/** Pings `to` from `from` and says how it went. */
async function ping(ctx: DemoContext, from: string, to: string, family: 4 | 6, what: string): Promise<void> {
  const lab = ctx.lab!;
  const addr = addressPlan(lab.model).primaryAddress(to, family)!;
  const r = await lab.run(from, ['ping', '-c', '3', '-i', '0.2', '-W', '2', addr]);
  const stats = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
  const rtt = /= [\d.]+\/([\d.]+)\//.exec(r.stdout);
  const ok = r.code === 0;
  ctx.say(`  ${ok ? 'ok  ' : 'FAIL'} ${from} -> ${to} (${addr}), ${what}: ${stats ? `${stats[2]}/${stats[1]} replies` : 'no replies'}${rtt ? `, avg rtt ${rtt[1]} ms` : ''}`);
  if (!ok) ctx.failures.push(`${from} -> ${to} ${addr}`);
}

export const DEMO_STEPS: DemoStep[] = [
  {
    title: `deploy ${displayPath(DEMO_TOPOLOGY)} as lab "${DEMO_LAB}"`,
    async run(ctx) {
      if (LabState.tryOpen(DEMO_LAB)) {
        ctx.say(`  a lab named "${DEMO_LAB}" is left from an earlier run: destroying it first`);
        await destroyLab(DEMO_LAB);
      }
      const { lab: model } = loadTopologyFile(DEMO_TOPOLOGY, { name: DEMO_LAB });
      ctx.lab = await deployLab(model, { log: ctx.say, handleSignals: true, capture: true, ...(ctx.outDir ? { outDir: ctx.outDir } : {}) });
    },
  },
  {
    title: 'inspect: what was built',
    async run(ctx) {
      ctx.say(formatInspection(await inspectLab(ctx.lab!)));
    },
  },
  {
    title: 'traffic: hosts reach each other across the WAN router',
    async run(ctx) {
      await ping(ctx, 'host1', 'hub-host', 4, 'spoke1 LAN to hub LAN, IPv4');
      await ping(ctx, 'host2', 'hub-host', 4, 'spoke2 LAN to hub LAN, IPv4');
      await ping(ctx, 'host1', 'host2', 4, 'spoke1 LAN to spoke2 LAN, IPv4');
      await ping(ctx, 'host1', 'hub-host', 6, 'spoke1 LAN to hub LAN, IPv6');
      // Independent evidence from the wire: the hub's WAN link capture, decoded by tshark.
      const cap = await stopCapture(ctx.lab!, 'hub-eth1--wan-eth1');
      const r = await run(['tshark', '-r', cap.file, '-Y', 'icmp.type == 8 || icmpv6.type == 128', '-T', 'fields', '-e', 'frame.number']);
      const n = r.stdout.split('\n').filter(Boolean).length;
      ctx.say(`  ${n ? 'ok  ' : 'FAIL'} ${n} echo requests crossed the WAN link hub-eth1--wan-eth1 (capture ${displayPath(cap.file)}, open it in Wireshark)`);
      if (!n) ctx.failures.push('no echo request in the WAN capture');
    },
  },
];

export function register(program: Command): void {
  program
    .command('demo')
    .description(`deploy ${displayPath(DEMO_TOPOLOGY)}, show it, prove traffic crosses it, destroy it`)
    .option('--out <dir>', 'output directory (default ./out/demo)')
    .option('--keep', 'leave the lab running at the end (flexlab destroy --name demo removes it)')
    .action(async (opts: { out?: string; keep?: boolean }) => {
      requireRoot();
      const ctx: DemoContext = { say: (line) => console.log(line), failures: [], ...(opts.out ? { outDir: opts.out } : {}) };
      // Ctrl-C after the deploy (which handles its own) still leaves nothing behind.
      const onSignal = (sig: NodeJS.Signals) => {
        if (!ctx.lab) return;
        ctx.say(`\n${sig}: destroying lab "${ctx.lab.name}"`);
        void destroyLab(ctx.lab.name, { log: ctx.say }).finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        for (const [i, step] of DEMO_STEPS.entries()) {
          ctx.say(`\n== ${i + 1}/${DEMO_STEPS.length + (opts.keep ? 0 : 1)}  ${step.title}`);
          await step.run(ctx);
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        if (ctx.lab && !opts.keep) {
          ctx.say(`\n== ${DEMO_STEPS.length + 1}/${DEMO_STEPS.length + 1}  destroy: nothing is left behind`);
          await destroyLab(ctx.lab.name, { log: ctx.say });
        } else if (ctx.lab) {
          ctx.say(`\nlab "${ctx.lab.name}" is still running: flexlab inspect --name ${ctx.lab.name}; flexlab destroy --name ${ctx.lab.name}`);
        }
      }
      if (ctx.failures.length) throw new UserError(`demo failed: no traffic for ${ctx.failures.join(', ')}`);
      ctx.say('\ndemo ok');
    });
}
