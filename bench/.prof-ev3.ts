import { run } from './.prof-ev.ts';
const r = run(Number(process.argv[2] ?? 4000));
console.log(r.est, (r.ms / r.est).toFixed(3), 'ms/SA');
