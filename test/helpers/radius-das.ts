// A small RFC 5176 DAS for lab tests, run inside a node: `node --import tsx/esm radius-das.ts
// ADDR PORT CLIENT SECRET AUDIT-ID...`. It ACKs a Disconnect/CoA whose audit-session-id (or
// User-Name) is one of the given ids, NAKs the rest the way the seed's IOS does (Reply-Message
// "No Matching Session", Error-Cause 404), and prints one line per request.

import { DynamicAuthServer, IOS_NO_MATCHING_SESSION } from '../../engine/radius/das.ts';
import type { DaeAction } from '../../engine/radius/das.ts';
import { UdpShell } from '../../engine/radius/udp.ts';

const [address, port, client, secret, ...known] = process.argv.slice(2) as [string, string, string, string, ...string[]];
const das = new DynamicAuthServer({ clients: [{ address: client, secret }], local: { address, port: Number(port) } });
const shell = new UdpShell<DaeAction>(das, [{ address, port: Number(port) }], (a) => {
  if (a.type === 'event') {
    console.log(`event ${a.event.type}: ${a.event.text}`);
    return;
  }
  if (a.type !== 'request') return;
  const s = a.request.session;
  const hit = known.includes(s.auditSessionId ?? '') || known.includes(s.userName ?? '');
  console.log(`request ${a.request.kind} audit=${s.auditSessionId ?? '-'} user=${s.userName ?? '-'} changes=${a.request.changes.map((c) => String(c.value)).join('|')} -> ${hit ? 'ACK' : 'NAK'}`);
  shell.input(() => (hit ? das.ack(a.request.handle) : das.nak(a.request.handle, IOS_NO_MATCHING_SESSION.errorCause, { replyMessage: IOS_NO_MATCHING_SESSION.replyMessage })));
});
const [ep] = await shell.start();
console.log(`das listening on ${ep!.address}:${ep!.port}`);
process.on('SIGTERM', () => void shell.stop().then(() => process.exit(0)));
