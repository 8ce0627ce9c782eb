// The shared strongSwan sample captures decrypted and decoded by our own code, with the samples'
// own Wireshark key tables (ikev2_decryption_table, esp_sa): every SK payload opened with openSk,
// every set of SKF fragments opened and reassembled (RFC 7383), the inner payload chains decoded
// by our codec, and the result compared frame by frame with tshark reading the same capture with
// the same keys (payload types in tree order including the decrypted ones, notify types). ESP
// packets open with our ESP code to the same inner ICMP tshark shows. A second, independent check
// of the parser (test/ike-samples.test.ts compares the plaintext part; ike-crypto-interop.test.ts
// derives the keys from the level-4 log but walks the inner payloads by hand).

import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMessage, decodePayloads, encryptedDataOffset } from '../engine/ike/codec/index.ts';
import { PayloadType } from '../engine/ike/constants.ts';
import { openSk, openSkf } from '../engine/ike/crypto/sk.ts';
import type { Payload } from '../engine/ike/message.ts';
import { isUnknown } from '../engine/ike/message.ts';
import { classifyUdp, ikeDatagrams, readCaptureFile, udpDatagrams } from '../engine/pcap/index.ts';
import { EspSa, open as espOpen } from '../engine/esp/index.ts';
import { parseEspSaLine, parseIkev2DecryptionTableLine } from '../interop/keytables.ts';
import type { IkeKeyRecord } from '../interop/keytables.ts';
import { tsharkFields, tsharkIkePayloads, tsharkStylePayloadTypes } from './helpers/tshark.ts';

const DIR = join(import.meta.dirname, 'fixtures', 'interop-samples');

/** Captures that come with key tables: capture file, key directory. */
const KEYED: Array<[string, string]> = [
  ['psk-aescbc-gcm/capture.pcap', 'psk-aescbc-gcm'],
  ['psk-ikegcm/capture.pcap', 'psk-ikegcm'],
  ['cert-frag576/capture.pcap', 'cert-frag576'],
  ['savekeys-rekey/capture.pcap', 'savekeys-rekey/fixed-for-wireshark-4.0'],
];

const lines = (f: string) => readFileSync(f, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
const notifiesOf = (ps: Payload[]) => ps.flatMap((p) => (!isUnknown(p) && p.type === PayloadType.NOTIFY ? [p.notifyType] : []));

interface OurFrame {
  frame: number;
  payloads: number[];
  notifies: number[];
  /** SK decrypted here, or the SKF set completed here. */
  decrypted: boolean;
}

/** Our reading of every IKE frame of a capture, with the decryption keys of `keys`. */
function decodeWithKeys(file: string, keys: IkeKeyRecord[]): OurFrame[] {
  const cap = readCaptureFile(file);
  const out: OurFrame[] = [];
  const fragments = new Map<string, Array<{ n: number; total: number; first: number; plaintext: Buffer }>>();
  for (const d of ikeDatagrams(udpDatagrams(cap.records))) {
    const m = decodeMessage(d.ike);
    const outer = m.payloads;
    const last = outer.at(-1);
    const frame: OurFrame = { frame: d.frame, payloads: tsharkStylePayloadTypes(outer), notifies: notifiesOf(outer), decrypted: false };
    out.push(frame);
    if (!last || isUnknown(last) || (last.type !== PayloadType.SK && last.type !== PayloadType.SKF)) continue;
    const spiI = m.header.spiI.toString('hex'), spiR = m.header.spiR.toString('hex');
    const k = keys.find((x) => x.spiI === spiI && x.spiR === spiR);
    if (!k) throw new Error(`frame ${d.frame}: no key for IKE SA ${spiI}/${spiR}`);
    // Keys follow the original roles (I flag), not request/response (RFC 7296 2.14).
    const sk = m.header.initiator ? { encrKey: k.skEi, integKey: k.skAi } : { encrKey: k.skEr, integKey: k.skAr };
    const keysOf = { encrKey: sk.encrKey, ...(sk.integKey.length ? { integKey: sk.integKey } : {}) };
    const dataOffset = encryptedDataOffset(m)!;
    if (last.type === PayloadType.SK) {
      const opened = openSk(k.suite, keysOf, d.ike, dataOffset - 4);
      const inner = decodePayloads(opened.innerFirstPayload, opened.plaintext);
      frame.payloads.push(...tsharkStylePayloadTypes(inner));
      frame.notifies.push(...notifiesOf(inner));
      frame.decrypted = true;
      continue;
    }
    const opened = openSkf(k.suite, keysOf, d.ike, dataOffset - 8);
    const key = `${spiI}|${spiR}|${m.header.messageId}|${m.header.response}`;
    const set = fragments.get(key) ?? [];
    fragments.set(key, set);
    set.push({ n: opened.fragmentNumber, total: opened.totalFragments, first: opened.innerFirstPayload, plaintext: opened.plaintext });
    if (set.length === opened.totalFragments) {
      // RFC 7383 2.6: reassembled in fragment order; the first fragment names the first inner payload.
      const ordered = [...set].sort((a, b) => a.n - b.n);
      const inner = decodePayloads(ordered[0]!.first, Buffer.concat(ordered.map((x) => x.plaintext)));
      frame.payloads.push(...tsharkStylePayloadTypes(inner));
      frame.notifies.push(...notifiesOf(inner));
      frame.decrypted = true;
    }
  }
  return out;
}

for (const [file, keyDir] of KEYED) {
  test(`${file}: every SK/SKF payload decrypts with the sample's key table and decodes like tshark reads it`, async (t) => {
    const path = join(DIR, file);
    const ikev2 = lines(join(DIR, keyDir, 'ikev2_decryption_table'));
    const esp = lines(join(DIR, keyDir, 'esp_sa'));
    const ours = decodeWithKeys(path, ikev2.map(parseIkev2DecryptionTableLine));
    const shark = await tsharkIkePayloads(path, { ikev2, esp });
    t.deepEqual(shark.map((f) => f.frame), ours.map((f) => f.frame), 'the same frames carry IKE');
    for (const [i, s] of shark.entries()) {
      const o = ours[i]!;
      t.false(s.malformed, `frame ${s.frame}: tshark says malformed`);
      t.deepEqual(o.payloads, s.payloads, `frame ${s.frame}: payload types, decrypted ones included`);
      t.deepEqual(o.notifies, s.notifyTypes, `frame ${s.frame}: notify types`);
    }
    const protectedFrames = ours.filter((f) => f.payloads.includes(PayloadType.SK) || f.payloads.includes(PayloadType.SKF));
    t.true(protectedFrames.length >= 2);
    t.true(protectedFrames.filter((f) => f.payloads.includes(PayloadType.SK)).every((f) => f.decrypted), 'every SK payload opened');
    const skfSets = ours.filter((f) => f.payloads.includes(PayloadType.SKF) && f.decrypted);
    if (file.startsWith('cert-frag576')) t.is(skfSets.length, 2, 'both fragmented IKE_AUTH messages reassembled');
  });

  test(`${file}: every ESP packet opens with the sample's esp_sa keys to the ICMP tshark sees`, async (t) => {
    const path = join(DIR, file);
    const espLines = lines(join(DIR, keyDir, 'esp_sa'));
    const sas = new Map(espLines.map(parseEspSaLine).map((r) => [r.spi, new EspSa({
      spi: r.spi, direction: 'in', encr: r.encr, encrKey: r.encrKey, integ: r.integ, integKey: r.integKey, replayWindow: 0, createdAt: 0,
    })]));
    const ours = new Map<number, number>();
    for (const d of udpDatagrams(readCaptureFile(path).records)) {
      if (classifyUdp(d).kind !== 'esp') continue;
      const sa = sas.get(d.payload.readUInt32BE(0));
      if (!sa) return t.fail(`frame ${d.frame}: no esp_sa line for SPI ${d.payload.readUInt32BE(0).toString(16)}`);
      const r = espOpen(sa, d.payload);
      if (!r.ok) return t.fail(`frame ${d.frame}: ESP dropped (${r.reason})`);
      t.is(r.nextHeader, 4, `frame ${d.frame}: IPv4 inside`);
      t.is(r.inner[9], 1, `frame ${d.frame}: ICMP inside`);
      ours.set(d.frame, r.inner[(r.inner[0]! & 0x0f) * 4]!);
    }
    const rows = await tsharkFields(path, ['frame.number', 'icmp.type'], { uat: { ikev2: lines(join(DIR, keyDir, 'ikev2_decryption_table')), esp: espLines }, filter: 'esp' });
    t.true(rows.length >= 4);
    t.deepEqual([...ours.keys()], rows.map((r) => Number(r['frame.number']![0])), 'the same frames carry ESP');
    t.deepEqual([...ours.values()], rows.map((r) => Number(r['icmp.type']![0])), 'the same ICMP types inside');
  });
}
