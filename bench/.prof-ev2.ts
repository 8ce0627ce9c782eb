import { run } from './.prof-ev.ts';
const seen = new Set<string>();
run(2, (a) => { if (a.type === 'event') { const k = a.event.type + ': ' + a.event.text; console.log(JSON.stringify(a.event).length, k.slice(0, 200)); } });
