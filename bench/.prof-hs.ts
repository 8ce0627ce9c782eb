import { handshakes } from './ike-handshake.bench.ts';
console.log(handshakes(31, 5));
