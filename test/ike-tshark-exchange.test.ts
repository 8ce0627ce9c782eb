// Wire check by an independent decoder: a full exchange between two engines (certificates, IKE
// fragmentation at 576 bytes, a CHILD rekey, an IKE rekey, DPD and delete) is written to a pcap and
// opened by tshark with our exported ikev2_decryption_table. tshark must find no malformed packet
// and decrypt every SK/SKF payload to exactly the payload list we sent.

import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pair } from './helpers/ike.ts';
import { tsharkIkePayloads, tsharkStylePayloadTypes } from './helpers/tshark.ts';
import { PcapWriter } from '../engine/pcap/index.ts';
import { ikev2DecryptionTableLine } from '../engine/ike/keyexport.ts';
import { decodeHeader } from '../engine/ike/codec/header.ts';
import { decodeMessage } from '../engine/ike/codec/message.ts';
import { decodePayloads } from '../engine/ike/codec/chain.ts';
import { openSk, openSkf } from '../engine/ike/crypto/sk.ts';
import { PayloadType } from '../engine/ike/constants.ts';
import type { Payload } from '../engine/ike/message.ts';

test('tshark decodes and decrypts every message of a full exchange to the payloads we sent', async (t) => {
  const p = pair({
    settings: { fragmentationMtu: 576 },
    initiator: { auth: 'rsa', certName: 'spoke1-rsa', identity: { type: 'fqdn', value: 'spoke1.flexlab.test' }, pfsGroup: 19,
      proposals: [{ name: 'p', encryption: ['aes-cbc-256'], integrity: ['sha256'], group: [14] }] },
    responder: { auth: 'rsa', certName: 'hub-rsa', identity: { type: 'fqdn', value: 'hub.flexlab.test' }, pfsGroup: 19,
      proposals: [{ name: 'p', encryption: ['aes-cbc-256'], integrity: ['sha256'], group: [14] }] },
  });
  p.up();
  const spokeSa = () => p.spoke.engine.ikeSas().find((s) => s.state === 'ESTABLISHED')!;
  p.spoke.engine.rekeyChild(spokeSa().children[0]!.id, p.net.now);
  p.net.settle(100);
  p.hub.engine.rekeyIke(p.hub.engine.ikeSas().find((s) => s.state === 'ESTABLISHED')!.id, p.net.now);
  p.net.settle(100);
  p.spoke.engine.dpd(spokeSa().id, p.net.now);
  p.net.settle(100);
  p.spoke.engine.deleteIke(spokeSa().id, p.net.now);
  p.net.settle(100);

  // Our own view of every message: decrypt with the exported keys, reassemble fragments.
  const keys = p.spoke.keys;
  const expected: number[][] = [];
  const pending = new Map<string, { parts: Map<number, Buffer>; total: number; first: number }>();
  const w = new PcapWriter();
  for (const { time, d } of p.net.wire) {
    w.writeUdp({ ts: time, src: d.local.address, dst: d.remote.address, sport: d.local.port, dport: d.remote.port, payload: d.data });
    const raw = d.local.port === 500 ? d.data : d.data.subarray(4);
    const h = decodeHeader(raw);
    const k = keys.find((x) => x.spiI.equals(h.spiI) && x.spiR.equals(h.spiR));
    if (h.nextPayload !== PayloadType.SK && h.nextPayload !== PayloadType.SKF) {
      expected.push(tsharkStylePayloadTypes(decodeMessage(raw).payloads));
      continue;
    }
    t.truthy(k, 'keys exported for every IKE SA on the wire');
    const suite = { encr: k!.suite.encr, encrKeyBits: k!.suite.encrKeyBits, integ: k!.suite.integ };
    const dirKeys = h.initiator ? { encrKey: k!.skEi, integKey: k!.skAi } : { encrKey: k!.skEr, integKey: k!.skAr };
    if (h.nextPayload === PayloadType.SK) {
      const o = openSk(suite, dirKeys, raw, 28);
      expected.push([PayloadType.SK, ...tsharkStylePayloadTypes(decodePayloads(o.innerFirstPayload, o.plaintext))]);
      continue;
    }
    const f = openSkf(suite, dirKeys, raw, 28);
    const key = `${h.spiI.toString('hex')}/${h.messageId}/${h.response}`;
    const set = pending.get(key) ?? { parts: new Map(), total: f.totalFragments, first: 0 };
    pending.set(key, set);
    set.parts.set(f.fragmentNumber, f.plaintext);
    if (f.fragmentNumber === 1) set.first = f.innerFirstPayload;
    if (set.parts.size < set.total) {
      expected.push([PayloadType.SKF]);
      continue;
    }
    const all = Buffer.concat([...Array(set.total).keys()].map((i) => set.parts.get(i + 1)!));
    const payloads: Payload[] = decodePayloads(set.first, all);
    expected.push([PayloadType.SKF, ...tsharkStylePayloadTypes(payloads)]);
    pending.delete(key);
  }
  const dir = mkdtempSync(join(tmpdir(), 'flexlab-ike-wire-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pcap = join(dir, 'exchange.pcap');
  w.writeFile(pcap);
  const table = keys.map(ikev2DecryptionTableLine);
  writeFileSync(join(dir, 'ikev2_decryption_table'), table.join('\n') + '\n');

  const frames = await tsharkIkePayloads(pcap, { ikev2: table });
  t.is(frames.length, expected.length, 'every IKE datagram is an ISAKMP frame for tshark');
  let fragments = 0, encrypted = 0;
  frames.forEach((f, i) => {
    t.false(f.malformed, `frame ${f.frame} is not malformed`);
    t.deepEqual(f.expert.filter((e) => e.severity === 'error' || e.severity === 'warn'), [], `frame ${f.frame}: no expert warnings`);
    t.deepEqual(f.payloads, expected[i], `frame ${f.frame}: tshark's payload list equals ours`);
    if (f.fragNumber.length) fragments++;
    if (expected[i]![0] === PayloadType.SK || expected[i]![0] === PayloadType.SKF) encrypted++;
  });
  t.true(fragments >= 6, `IKE_AUTH was fragmented (${fragments} fragment frames)`);
  t.true(encrypted >= 10);
  t.true(keys.length >= 2, 'the IKE rekey exported a second key line');
});
