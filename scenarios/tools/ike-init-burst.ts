// A burst of IKE_SA_INIT requests with random initiator SPIs, as a flood of spoofed half-open
// connections looks to a responder (RFC 7296 section 2.6: what anti-clogging cookies are for).
// Runs inside a lab node (the scenario step ike-init-burst starts it there); built with our codec,
// with a real DH public value (computed once) so the responder cannot reject it as malformed.
// Bounded: at most 10,000 requests, at a given rate; answers are not read.
//
//   node --import tsx/esm scenarios/tools/ike-init-burst.ts --to 198.51.100.1 --count 200 \
//        [--rate 500] [--sources 100.64.0.1,100.64.0.2] [--group 5] [--port 500]

import dgram from 'node:dgram';
import { parseArgs } from 'node:util';
import { encodeMessage } from '../../engine/ike/codec/index.ts';
import { defaultIkev2Proposal } from '../../engine/ike/config.ts';
import { ExchangeType, PayloadType } from '../../engine/ike/constants.ts';
import { createKeyExchange } from '../../engine/ike/crypto/dh.ts';
import type { IkeMessage } from '../../engine/ike/message.ts';
import { ikeProposalToWire } from '../../engine/ike/proposals.ts';
import { cryptoRandom } from '../../engine/util/random.ts';

export interface BurstOptions {
  to: string;
  count: number;
  rate: number;
  sources: string[];
  group: number;
  port: number;
}

export function ikeSaInitRequest(spiI: Buffer, group: number, kePublic: Buffer, nonce: Buffer): Buffer {
  const proposal = { ...defaultIkev2Proposal(), group: [group] };
  const msg: IkeMessage = {
    header: {
      spiI, spiR: Buffer.alloc(8), nextPayload: 0, majorVersion: 2, minorVersion: 0, exchangeType: ExchangeType.IKE_SA_INIT,
      initiator: true, response: false, version: false, messageId: 0, length: 0,
    },
    payloads: [
      { type: PayloadType.SA, proposals: [ikeProposalToWire(proposal, 1)] },
      { type: PayloadType.KE, group, data: kePublic },
      { type: PayloadType.NONCE, data: nonce },
    ],
  };
  return encodeMessage(msg);
}

export async function burst(o: BurstOptions): Promise<{ sent: number; errors: number; ms: number }> {
  const count = Math.min(Math.max(1, o.count), 10_000);
  const ke = createKeyExchange(o.group, cryptoRandom).publicValue;
  const family = o.to.includes(':') ? 'udp6' : 'udp4';
  const sockets = await Promise.all((o.sources.length ? o.sources : [undefined]).map((addr) => new Promise<dgram.Socket>((resolve, reject) => {
    const s = dgram.createSocket(family);
    s.on('error', reject);
    s.bind({ port: 0, ...(addr ? { address: addr } : {}) }, () => resolve(s));
  })));
  const started = Date.now();
  const gapMs = 1000 / Math.max(1, o.rate);
  let sent = 0;
  let errors = 0;
  for (let i = 0; i < count; i++) {
    const due = started + i * gapMs;
    const wait = due - Date.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const pkt = ikeSaInitRequest(cryptoRandom.bytes(8), o.group, ke, cryptoRandom.bytes(32));
    await new Promise<void>((resolve) => sockets[i % sockets.length]!.send(pkt, o.port, o.to, (e) => { if (e) errors++; else sent++; resolve(); }));
  }
  for (const s of sockets) s.close();
  return { sent, errors, ms: Date.now() - started };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      to: { type: 'string' }, count: { type: 'string', default: '100' }, rate: { type: 'string', default: '500' },
      sources: { type: 'string', default: '' }, group: { type: 'string', default: '5' }, port: { type: 'string', default: '500' },
    },
  });
  if (!values.to) {
    console.error('usage: ike-init-burst --to ADDRESS [--count N] [--rate PER_SECOND] [--sources A,B,...] [--group G] [--port P]');
    process.exit(2);
  }
  const r = await burst({
    to: values.to, count: Number(values.count), rate: Number(values.rate), group: Number(values.group), port: Number(values.port),
    sources: values.sources ? values.sources.split(',').filter(Boolean) : [],
  });
  console.log(JSON.stringify(r));
}
