// engine/pcap: what PcapWriter writes, tshark reads with good IP/UDP checksums and the same
// addresses, ports, lengths and times (every link type, pcap and pcapng, IPv4/IPv6, fragmented);
// what tcpdump and editcap write (Linux cooked v2 from `tcpdump -i any`, pcapng, nanosecond pcap,
// big-endian pcap), our reader turns into the same datagrams tshark shows.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  classifyUdp, ikeDatagrams, internetChecksum, PcapFormatError, PcapWriter, readCapture, readCaptureFile, udpDatagrams,
  type LinkTypeName, type UdpDatagram,
} from '../engine/pcap/index.ts';
import { tsharkFields } from './helpers/tshark.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');

function tmp(t: import('ava').ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'flexlab-pcap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('internet checksum: RFC 1071 section 3 example', (t) => {
  // 0001 + f203 + f4f5 + f6f7 = 2ddf0 -> ddf2, complemented 220d
  t.is(internetChecksum(Buffer.from('0001f203f4f5f6f7', 'hex')), 0x220d);
});

const T0 = 1_700_000_000_123.456; // ms since the epoch, to the microsecond
const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));

interface Written { ts: number; src: string; dst: string; sport: number; dport: number; payload: Buffer; frames: number }

/** One capture with IPv4/IPv6, small and IP-fragmented datagrams, the non-ESP marker. */
function writeSample(w: PcapWriter): Written[] {
  const out: Written[] = [];
  const add = (d: Omit<Written, 'frames'> & { fragmentMtu?: number }, marked = false) => {
    const frames = marked ? w.writeNonEspMarked(d) : w.writeUdp(d);
    out.push({ ...d, payload: marked ? Buffer.concat([Buffer.alloc(4), d.payload]) : d.payload, frames });
  };
  add({ ts: T0, src: '192.0.2.1', dst: '192.0.2.2', sport: 500, dport: 500, payload: bytes(300, 1) });
  add({ ts: T0 + 1.5, src: '2001:db8::1', dst: '2001:db8::2', sport: 4500, dport: 4500, payload: bytes(200, 2) }, true);
  add({ ts: T0 + 2, src: '192.0.2.1', dst: '192.0.2.2', sport: 4500, dport: 4500, payload: bytes(1500, 3), fragmentMtu: 576 }, true);
  add({ ts: T0 + 3.25, src: '2001:db8::2', dst: '2001:db8::1', sport: 500, dport: 500, payload: bytes(3000, 4), fragmentMtu: 1280 });
  add({ ts: T0 + 4, src: '198.51.100.7', dst: '192.0.2.2', sport: 61234, dport: 4500, payload: Buffer.from([0xff]) });
  return out;
}

const LINKS: LinkTypeName[] = ['raw', 'ethernet', 'linux-sll', 'linux-sll2'];

for (const format of ['pcap', 'pcapng'] as const) {
  for (const linkType of LINKS) {
    test(`writer ${format}/${linkType}: tshark agrees on every datagram, checksums good; our reader reads it back`, async (t) => {
      const file = join(tmp(t), `w.${format}`);
      const w = new PcapWriter({ format, linkType });
      const written = writeSample(w);
      w.writeFile(file);
      t.is(w.frameCount, written.reduce((n, d) => n + d.frames, 0));
      t.deepEqual(written.map((d) => d.frames), [1, 1, 3, 3, 1]);

      const rows = await tsharkFields(file, [
        'frame.number', 'frame.time_epoch', 'ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'udp.srcport', 'udp.dstport', 'udp.length',
        'udp.checksum.status', 'ip.checksum.status', '_ws.malformed', '_ws.expert.message',
      ], { filter: 'udp', args: ['-o', 'udp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE'] });
      t.is(rows.length, written.length, 'one UDP datagram per write (fragments reassembled)');
      let frame = 0;
      for (const [i, r] of rows.entries()) {
        const d = written[i]!;
        frame += d.frames;
        const at = `datagram ${i + 1}`;
        t.is(Number(r['frame.number']![0]), frame, `${at}: shown at its last fragment`);
        t.is(r['frame.time_epoch']![0], (d.ts / 1000).toFixed(6) + '000', `${at} time`);
        t.is((r['ip.src'] ?? r['ipv6.src'])![0], d.src, at);
        t.is((r['ip.dst'] ?? r['ipv6.dst'])![0], d.dst, at);
        t.deepEqual([r['udp.srcport']![0], r['udp.dstport']![0]], [String(d.sport), String(d.dport)], at);
        t.is(Number(r['udp.length']![0]), 8 + d.payload.length, at);
        t.deepEqual(r['udp.checksum.status'], ['1'], `${at}: UDP checksum good`);
        if (d.src.includes('.')) t.deepEqual(r['ip.checksum.status'], ['1'], `${at}: IPv4 header checksum good`);
        t.deepEqual(r['_ws.malformed'] ?? [], [], at);
      }

      const cap = readCaptureFile(file);
      t.is(cap.format, format);
      const ds = udpDatagrams(cap.records);
      t.deepEqual(ds.map((d) => ({ src: d.src, dst: d.dst, sport: d.sport, dport: d.dport, payload: d.payload, ts: d.ts, ok: d.checksumOk })),
        written.map((d) => ({ src: d.src, dst: d.dst, sport: d.sport, dport: d.dport, payload: d.payload, ts: d.ts, ok: true })));
      t.deepEqual(ds[2]!.frames, [3, 4, 5]);
      t.deepEqual(ikeDatagrams(ds).map((d) => [d.frame, d.nonEspMarker, d.ike.length]), [[1, false, 300], [2, true, 200], [5, true, 1500], [8, false, 3000]]);
      t.is(classifyUdp(ds[4]!).kind, 'nat-keepalive');
    });
  }
}

test('streaming writer appends to a file as frames come', (t) => {
  const file = join(tmp(t), 's.pcapng');
  const w = new PcapWriter({ format: 'pcapng', linkType: 'ethernet', path: file });
  w.writeUdp({ ts: T0, src: '10.0.0.1', dst: '10.0.0.2', sport: 500, dport: 500, payload: bytes(40, 9) });
  const partial = readCaptureFile(file);
  t.is(partial.records.length, 1);
  w.writeUdp({ ts: T0 + 1, src: '10.0.0.2', dst: '10.0.0.1', sport: 500, dport: 500, payload: bytes(50, 9) });
  w.close();
  t.deepEqual(udpDatagrams(readCaptureFile(file).records).map((d) => d.payload.length), [40, 50]);
  t.throws(() => w.toBuffer());
});

/** Our datagrams vs tshark's view of the same file: frame, addresses, ports, UDP length, time. */
async function compareWithTshark(t: import('ava').ExecutionContext, file: string, ds: UdpDatagram[]): Promise<void> {
  const rows = await tsharkFields(file, [
    'frame.number', 'frame.time_epoch', 'ip.src', 'ipv6.src', 'udp.srcport', 'udp.dstport', 'udp.length',
  ], { filter: 'udp' });
  t.deepEqual(ds.map((d) => [d.frame, d.src, d.sport, d.dport, d.payload.length + 8]),
    rows.map((r) => [Number(r['frame.number']![0]), (r['ip.src'] ?? r['ipv6.src'])![0], Number(r['udp.srcport']![0]), Number(r['udp.dstport']![0]), Number(r['udp.length']![0])]));
  t.deepEqual(ds.map((d) => d.tsNs), rows.map((r) => BigInt(r['frame.time_epoch']![0]!.replace('.', ''))));
}

const SLL2 = join(FIXTURES, 'pcap', 'sll2-any-lo.pcap');

test('tcpdump -i any capture (Linux cooked v2): fragments reassembled, IKE/ESP/keepalive told apart, as tshark sees it', async (t) => {
  const cap = readCaptureFile(SLL2);
  t.is(cap.records[0]!.linkType, 276);
  const ds = udpDatagrams(cap.records);
  t.deepEqual(ds.map((d) => [d.frame, d.frames.length, d.family, d.dport, d.payload.length]), [
    [1, 1, 4, 500, 500], [4, 3, 4, 4500, 3059], [5, 1, 4, 4500, 1], [6, 1, 4, 4500, 72], [7, 1, 6, 500, 472], [10, 3, 6, 4500, 2559],
  ]);
  t.deepEqual(ds.map((d) => classifyUdp(d).kind), ['ike', 'ike', 'nat-keepalive', 'esp', 'ike', 'ike']);
  // Reassembled datagrams carry correct checksums (loopback's partial checksums are only in unfragmented ones).
  t.true(ds[1]!.checksumOk);
  t.true(ds[5]!.checksumOk);
  await compareWithTshark(t, SLL2, ds);
});

test('pcapng and nanosecond pcap written by editcap read to the same datagrams and times', async (t) => {
  const dir = tmp(t);
  const base = udpDatagrams(readCaptureFile(SLL2).records);
  for (const [fmt, name] of [['pcapng', 'x.pcapng'], ['nsecpcap', 'x.nsec.pcap']] as const) {
    const file = join(dir, name);
    execFileSync('editcap', ['-F', fmt, SLL2, file]);
    const cap = readCaptureFile(file);
    t.is(cap.format, fmt === 'pcapng' ? 'pcapng' : 'pcap');
    const ds = udpDatagrams(cap.records);
    t.deepEqual(ds, base, fmt);
    await compareWithTshark(t, file, ds);
  }
});

test('big-endian classic pcap and a capture cut short', (t) => {
  const le = readFileSync(join(FIXTURES, 'interop-samples', 'psk-aescbc-gcm', 'capture.pcap'));
  const base = readCapture(le);
  // Rewrite every 32-bit header field in big-endian order (the 16-bit version fields as 16-bit).
  const be = Buffer.from(le);
  be.writeUInt32BE(le.readUInt32LE(0), 0);
  be.writeUInt16BE(le.readUInt16LE(4), 4);
  be.writeUInt16BE(le.readUInt16LE(6), 6);
  for (const o of [8, 12, 16, 20]) be.writeUInt32BE(le.readUInt32LE(o), o);
  for (let p = 24; p < le.length;) {
    const incl = le.readUInt32LE(p + 8);
    for (const o of [0, 4, 8, 12]) be.writeUInt32BE(le.readUInt32LE(p + o), p + o);
    p += 16 + incl;
  }
  t.deepEqual(readCapture(be), base);

  const cut = readCapture(le.subarray(0, le.length - 10));
  t.true(cut.truncated);
  t.is(cut.records.length, base.records.length - 1);
  t.throws(() => readCapture(Buffer.from('not a capture file')), { instanceOf: PcapFormatError });
});

test('interop sample: ESP-in-UDP and IKE on 4500 told apart as tshark does', async (t) => {
  const file = join(FIXTURES, 'interop-samples', 'psk-aescbc-gcm', 'capture.pcap');
  const ds = udpDatagrams(readCaptureFile(file).records);
  const rows = await tsharkFields(file, ['frame.number', 'esp.spi', 'isakmp.ispi'], { filter: 'udp' });
  t.deepEqual(ds.map((d) => classifyUdp(d).kind),
    rows.map((r) => (r['esp.spi'] ? 'esp' : r['isakmp.ispi'] ? 'ike' : 'other')));
  t.deepEqual(ds.map((d) => classifyUdp(d).kind), ['ike', 'ike', 'ike', 'ike', 'esp', 'esp', 'esp', 'esp', 'ike', 'ike']);
});

test('pcapng written by hand: big-endian section, two interfaces, nanosecond and power-of-two resolutions', (t) => {
  // SHB (big-endian) + IDB 0 (RAW, tsresol 9) + IDB 1 (Ethernet, tsresol 2^-10) + one EPB on each
  const w = new PcapWriter({ linkType: 'raw' });
  w.writeUdp({ ts: 0, src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, payload: Buffer.from('a') });
  const ip = readCapture(w.toBuffer()).records[0]!.data;
  const eth = Buffer.concat([Buffer.alloc(12), Buffer.from('0800', 'hex'), ip]);
  const block = (type: number, body: Buffer) => {
    const pad = Buffer.alloc((4 - (body.length % 4)) % 4);
    const len = 12 + body.length + pad.length;
    const b = Buffer.alloc(len);
    b.writeUInt32BE(type, 0);
    b.writeUInt32BE(len, 4);
    Buffer.concat([body, pad]).copy(b, 8);
    b.writeUInt32BE(len, len - 4);
    return b;
  };
  const shbBody = Buffer.alloc(16);
  shbBody.writeUInt32BE(0x1a2b3c4d, 0);
  shbBody.writeUInt16BE(1, 4);
  shbBody.writeBigInt64BE(-1n, 8);
  const idb = (link: number, res: number) => {
    const b = Buffer.alloc(20);
    b.writeUInt16BE(link, 0);
    b.writeUInt32BE(0, 4);
    b.writeUInt16BE(9, 8);
    b.writeUInt16BE(1, 10);
    b[12] = res;
    return b; // options: tsresol + end-of-options
  };
  const epb = (ifId: number, ticks: bigint, data: Buffer) => {
    const b = Buffer.alloc(20);
    b.writeUInt32BE(ifId, 0);
    b.writeUInt32BE(Number(ticks >> 32n), 4);
    b.writeUInt32BE(Number(ticks & 0xffffffffn), 8);
    b.writeUInt32BE(data.length, 12);
    b.writeUInt32BE(data.length, 16);
    return Buffer.concat([b, data]);
  };
  const file = Buffer.concat([
    block(0x0a0d0d0a, shbBody), block(1, idb(101, 9)), block(1, idb(1, 0x8a)),
    block(6, epb(0, 1_700_000_000_123_456_789n, ip)), block(6, epb(1, 3n * 1024n + 512n, eth)),
  ]);
  const cap = readCapture(file);
  t.deepEqual(cap.records.map((r) => [r.linkType, r.interfaceId, r.tsNs]), [[101, 0, 1_700_000_000_123_456_789n], [1, 1, 3_500_000_000n]]);
  t.deepEqual(udpDatagrams(cap.records).map((d) => d.payload.toString()), ['a', 'a']);
  // the same bytes as tshark reads them
  const dir = tmp(t);
  writeFileSync(join(dir, 'h.pcapng'), file);
  t.is(execFileSync('capinfos', ['-c', '-M', join(dir, 'h.pcapng')], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().match(/Number of packets:\s+(\d+)/)?.[1], '2');
});
