// flexlab demo: the first command a newcomer runs (`make demo`). A readable list of steps: deploy
// the hub-and-spoke FlexVPN lab, show it, show its IKEv2 SAs as IOS prints them, send traffic through
// the tunnels, check the WAN capture decrypts, and destroy everything.
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
import { projectPath } from '../../engine/util/paths.ts';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { controlPathOf } from '../../engine/daemon/daemon.ts';
import { controlRequest } from '../../engine/daemon/control.ts';
import { showIkev2Sa, showSession } from '../../reports/show.ts';
import type { SessionView } from '../../reports/show.ts';

const indent = (text: string) => text.split('\n').map((l) => `    ${l}`).join('\n');
const readLines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);

export const DEMO_TOPOLOGY = projectPath('topologies', 'hub-spoke.yaml');
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
    title: 'tunnels: the spokes bring up IKEv2 SAs to the hub (connect auto)',
    async run(ctx) {
      const lab = ctx.lab!;
      const ctl = <T>(node: string, cmd: string) => controlRequest<T>(controlPathOf(lab.state.dir, node), cmd);
      const until = Date.now() + 30_000;
      const up = async (node: string) => ((await ctl<SessionView[]>(node, 'ike-sas')).some((s) => s.status === 'READY' && s.children.length > 0));
      while (Date.now() < until && !((await up('spoke1')) && (await up('spoke2')))) await new Promise((r) => setTimeout(r, 200));
      for (const node of ['spoke1', 'spoke2']) {
        const ok = await up(node);
        ctx.say(`  ${ok ? 'ok  ' : 'FAIL'} ${node}: IKE SA and CHILD SA ${ok ? 'established' : 'not established within 30 s'}`);
        if (!ok) ctx.failures.push(`tunnel of ${node}`);
      }
      ctx.say('\n  hub# show crypto ikev2 sa');
      ctx.say(indent(showIkev2Sa(await ctl<SessionView[]>('hub', 'ike-sas'))));
      ctx.say('  spoke1# show crypto session detail');
      ctx.say(indent(showSession(await ctl<SessionView[]>('spoke1', 'ike-sas'), true)));
    },
  },
  {
    title: 'traffic: hosts reach each other through the tunnels',
    async run(ctx) {
      await ping(ctx, 'host1', 'hub-host', 4, 'spoke1 LAN to hub LAN');
      await ping(ctx, 'host2', 'hub-host', 4, 'spoke2 LAN to hub LAN');
      await ping(ctx, 'host1', 'host2', 4, 'spoke1 LAN to spoke2 LAN, through the hub');
      const lab = ctx.lab!;
      await lab.exec('hub-host', ['iperf3', '-s', '-1', '-D', '-B', '192.168.10.10']);
      await new Promise((r) => setTimeout(r, 300));
      const out = await lab.run('host1', ['iperf3', '-c', '192.168.10.10', '-t', '3', '-J'], { timeoutMs: 60_000 });
      try {
        const mbps = (JSON.parse(out.stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second / 1e6;
        ctx.say(`  ok   TCP host1 -> hub-host through the tunnel (iperf3, 3 s): ${mbps.toFixed(0)} Mbit/s`);
      } catch {
        ctx.say(`  FAIL TCP host1 -> hub-host: ${out.stderr || out.stdout}`);
        ctx.failures.push('iperf3 through the tunnel');
      }
    },
  },
  {
    title: 'evidence from the wire: the WAN capture decrypts with the lab\'s key tables',
    async run(ctx) {
      const lab = ctx.lab!;
      const cap = await stopCapture(lab, 'hub-eth1--wan-eth1');
      const keys = path.join(lab.outDir, 'keys');
      const esp = readLines(path.join(keys, 'esp_sa')), ike = readLines(path.join(keys, 'ikev2_decryption_table'));
      const args = ['-r', cap.file, '-o', 'esp.enable_encryption_decode:TRUE', ...esp.flatMap((l) => ['-o', `uat:esp_sa:${l}`]), ...ike.flatMap((l) => ['-o', `uat:ikev2_decryption_table:${l}`])];
      const r = await run(['tshark', ...args, '-Y', 'esp && icmp.type == 8', '-T', 'fields', '-e', 'frame.number']);
      const n = r.stdout.split('\n').filter(Boolean).length;
      const k = await run(['tshark', ...args, '-Y', 'isakmp', '-T', 'fields', '-e', 'isakmp.exchangetype']);
      const ikeFrames = k.stdout.split('\n').filter(Boolean).length;
      ctx.say(`  ${n ? 'ok  ' : 'FAIL'} ${n} ICMP echo requests found inside ESP on hub-eth1--wan-eth1, ${ikeFrames} IKE messages decoded`);
      ctx.say(`       open it in Wireshark: ${displayPath(cap.file)} with the key tables in ${displayPath(keys)}/ (copy esp_sa and ikev2_decryption_table to ~/.config/wireshark/)`);
      if (!n) ctx.failures.push('no decrypted echo request in the WAN capture');
    },
  },
];

export function register(program: Command): void {
  program
    .command('demo')
    .description(`deploy ${displayPath(DEMO_TOPOLOGY)}, show its tunnels, prove traffic crosses them, destroy it`)
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

// The scenario runner (issue 6): a short representative scenario in a lab of its own, a fault and
// the recovery from it, with the HTML report a trainee opens next. Imported lazily so the lab
// steps above do not depend on it.
export const DEMO_SCENARIO = projectPath('scenarios', 'dpd-wan-loss.yaml');

DEMO_STEPS.push({
  title: `scenario: ${displayPath(DEMO_SCENARIO)} (WAN blackhole, DPD, reconnect), with an HTML report`,
  async run(ctx) {
    const { loadScenarios, runSuite, formatSummary } = await import('../../scenarios/suite.ts');
    const { writeHtmlReport } = await import('../../reports/html.ts');
    const { writeJunit } = await import('../../reports/junit.ts');
    const base = path.resolve(ctx.outDir ?? path.join('out', DEMO_LAB), 'scenario');
    const abort = new AbortController();
    const onSignal = () => abort.abort(new UserError('interrupted'));
    process.prependListener('SIGINT', onSignal);
    process.prependListener('SIGTERM', onSignal);
    try {
      const suite = await runSuite(loadScenarios([DEMO_SCENARIO]), { outRoot: base, signal: abort.signal, log: (l) => ctx.say(`  ${l}`) });
      ctx.say(`\n${formatSummary(suite).split('\n').map((l) => `  ${l}`).join('\n')}`);
      writeJunit(path.join(base, 'junit.xml'), suite);
      const index = writeHtmlReport(base, suite);
      ctx.say(`  HTML report: ${displayPath(index)} (open it in a browser: topology, timeline, IKE ladders, SA tables, pcaps)`);
      if (suite.failed) ctx.failures.push(`scenario ${suite.results.find((r) => r.status !== 'passed')?.name ?? ''}`);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
});
