// `make bench`: runs every benchmark below, one after the other, each as its own process (so one
// benchmark's state never colours the next). Add a line for a new benchmark file.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHMARKS: { file: string; args?: string[] }[] = [
  { file: 'lab.bench.ts' },
  { file: 'ike-crypto.bench.ts' },
  { file: 'esp.bench.ts' },
  { file: 'ike-handshake.bench.ts' },
  { file: 'tunnel.bench.ts' },
  { file: 'interop.bench.ts' },
];

const only = process.argv.slice(2);
let failed = 0;
for (const b of BENCHMARKS) {
  if (only.length && !only.some((o) => b.file.includes(o))) continue;
  console.log(`\n== bench/${b.file} ${(b.args ?? []).join(' ')}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx/esm', fileURLToPath(new URL(b.file, import.meta.url)), ...(b.args ?? [])], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`bench/${b.file} failed (exit ${r.status ?? r.signal})`);
  }
}
process.exit(failed ? 1 : 0);
