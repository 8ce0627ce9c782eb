import { run } from './.prof-ev.ts';
const r = run(100);
const t = (r.resp as any).timers; console.log('resp heap', t.heap.length, 'live', t.live.size, [...t.live.keys()].slice(0, 12));
const i = (r.init as any).timers; console.log('init heap', i.heap.length, 'live', i.live.size, [...i.live.keys()].slice(0, 8));
