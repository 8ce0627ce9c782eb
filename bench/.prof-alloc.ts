import { Session } from 'node:inspector';
import { run } from './.prof-ev.ts';
const s = new Session(); s.connect();
const post = (m: string, p?: object) => new Promise<any>((res, rej) => s.post(m, p ?? {}, (e, r) => (e ? rej(e) : res(r))));
run(1500); // warm
(globalThis as any).gc?.();
const m0 = process.memoryUsage();
await post('HeapProfiler.enable');
await post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
const N = 1000;
const r = run(N);
const prof = (await post('HeapProfiler.stopSampling')).profile;
(globalThis as any).gc?.();
const m1 = process.memoryUsage();
console.log('retained heapUsed per SA (both engines)', ((m1.heapUsed - m0.heapUsed) / N).toFixed(0), 'external', ((m1.external - m0.external) / N).toFixed(0), 'arrayBuffers', ((m1.arrayBuffers - m0.arrayBuffers)/N).toFixed(0));
const self = new Map<string, number>(); const incl = new Map<string, number>(); let total = 0;
const walk = (n: any, stack: string[]) => {
  const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/^.*\/work\/main\//, '')}`;
  self.set(k, (self.get(k) ?? 0) + n.selfSize); total += n.selfSize;
  const st = stack.includes(k) ? stack : [...stack, k];
  for (const x of st) incl.set(x, (incl.get(x) ?? 0) + n.selfSize);
  for (const c of n.children) walk(c, st);
};
walk(prof.head, []);
console.log('allocated per SA (both sides):', (total / N).toFixed(0));
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log((v / N).toFixed(0).padStart(7), k);
console.log('--- inclusive');
for (const [k, v] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, 60)) console.log((v / N).toFixed(0).padStart(7), k);
void r;
