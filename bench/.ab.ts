// A/B: cold 500 SAs then warm 2000, CPU time per SA (user+sys), hub-like responder + loadgen-like initiator in one process
import { run } from './.prof-ev.ts';
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
let c0 = cpu(); const a = run(500); const cold = (cpu() - c0) / 500;
c0 = cpu(); const b = run(2000); const warm = (cpu() - c0) / 2000;
console.log(JSON.stringify({ cold: +cold.toFixed(3), warm: +warm.toFixed(3), est: a.est + b.est }));
