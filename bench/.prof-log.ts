import { EventLog } from '../engine/daemon/event-log.ts';
import { run } from './.prof-ev.ts';
const evs: any[] = [];
run(50, (a) => { if (a.type === 'event') evs.push(a.event); });
const log = new EventLog('hub', '/tmp/prof/evlog', false);
const t0 = performance.now();
for (let r = 0; r < 13; r++) for (const e of evs) { log.write(e); if (r % 1 === 0) log.flush(); }
const t1 = performance.now();
console.error('events', evs.length * 13, 'ms', (t1 - t0).toFixed(1), 'us/event', ((t1 - t0) * 1000 / (evs.length * 13)).toFixed(1));
