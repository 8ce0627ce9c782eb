// Failover times of FlexVPN clients in a scenario run (`flexlab run ... --json FILE`), for the
// notes: for each step that disturbs the lab (a fault, a track or DNS change, a clear) and each
// client node, how long until the client's first trigger, until its next peer selection and until
// a tunnel came up again, and the longest silence of each ping flow across that step.
//   npx tsx scenarios/tools/failover-times.ts out/run.json [scenario-name...]

import { readFileSync } from 'node:fs';
import type { LoggedEvent } from '../../engine/daemon/event-log.ts';
import { eventType } from '../events.ts';
import type { ScenarioResult } from '../runner.ts';

const DISTURBING = new Set(['blackhole', 'link-down', 'restore', 'daemon', 'clear', 'track', 'dns', 'client', 'loss']);
const s = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`);

function main(): void {
  const [file, ...names] = process.argv.slice(2);
  if (!file) {
    console.error('usage: failover-times.ts RUN.json [scenario...]');
    process.exit(2);
  }
  const run = JSON.parse(readFileSync(file, 'utf8')) as { results: ScenarioResult[] };
  for (const r of run.results) {
    if (names.length && !names.includes(r.name)) continue;
    const clients = [...new Set(r.events.filter((e) => e.type.startsWith('client-')).map((e) => e.node))];
    console.log(`${r.name} (${r.status})`);
    const steps = r.steps.filter((st) => DISTURBING.has(st.kind) && st.start !== undefined);
    // What happens while the lab is torn down is not a failover.
    const end = r.t0 + Math.max(0, ...r.steps.map((st) => st.end ?? 0));
    steps.forEach((st, i) => {
      const from = r.t0 + st.start!;
      const until = i + 1 < steps.length ? r.t0 + steps[i + 1]!.start! : end;
      const within = (e: LoggedEvent) => e.time >= from && e.time < until;
      const parts: string[] = [];
      for (const node of clients) {
        const ev = r.events.filter((e) => e.node === node && within(e));
        const trigger = ev.find((e) => e.type === 'client-trigger');
        const chosen = ev.find((e) => e.type === 'client-peer-selected' && (!trigger || e.time >= trigger.time));
        const up = ev.find((e) => eventType(e) === 'tunnel-up' && (!chosen || e.time >= chosen.time));
        if (!trigger && !up) continue;
        parts.push(`${node}: trigger ${trigger ? `${String(trigger.data?.['trigger'])} +${s(trigger.time - from)}` : '-'}, peer ${chosen ? `${String(chosen.data?.['peer'])} +${s(chosen.time - from)}` : '-'}, tunnel up +${s(up ? up.time - from : undefined)}`);
      }
      for (const f of r.flows) {
        // The longest silence between two replies from the last one before the step to the next step.
        const rep = (f.replies ?? []).map((x) => x.t).sort((a, b) => a - b);
        const before = rep.filter((t) => t <= from).at(-1);
        const inside = rep.filter((t) => t > from && t < until);
        if (before === undefined || !inside.length) continue;
        const times = [before, ...inside];
        const gap = Math.max(...times.slice(1).map((t, k) => t - times[k]!));
        if (gap > 3 * (f.intervalMs ?? 100)) parts.push(`flow ${f.name}: longest silence ${s(gap)}`);
      }
      console.log(`  +${s(st.start)} ${st.title}${parts.length ? `\n    ${parts.join('\n    ')}` : ''}`);
    });
  }
}

main();
