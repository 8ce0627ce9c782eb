// Port 4500 framing (RFC 3948), Wireshark esp_sa lines, and the inner-packet helpers (header
// parsing, ICMP "fragmentation needed" / ICMPv6 "packet too big", TCP MSS clamping).

import test from 'ava';
import { EncrId, IntegId } from '../engine/ike/constants.ts';
import {
  EspSa, classifyUdp4500, clampTcpMss, espSaLine, espSaLineFor, icmpFragmentationNeeded, icmpv6PacketTooBig,
  internetChecksum, ipDst, ipSrc, natKeepalive, parseIpHeader, stripNonEspMarker, withNonEspMarker,
} from '../engine/esp/index.ts';
import { ipPacket } from './helpers/esp-forge.ts';

test('port 4500 datagrams: keepalive, marked IKE, ESP, and junk', (t) => {
  t.is(classifyUdp4500(natKeepalive()), 'keepalive');
  t.deepEqual([...natKeepalive()], [0xff]);
  const ike = Buffer.alloc(28, 0x11);
  const marked = withNonEspMarker(ike);
  t.is(marked.length, 32);
  t.is(marked.readUInt32BE(0), 0);
  t.is(classifyUdp4500(marked), 'ike');
  t.true(stripNonEspMarker(marked).equals(ike));
  t.is(classifyUdp4500(Buffer.from('0000123400000001aabbccdd', 'hex')), 'esp');
  t.is(classifyUdp4500(Buffer.from([0xfe])), 'invalid');
  t.is(classifyUdp4500(Buffer.alloc(0)), 'invalid');
  t.is(classifyUdp4500(Buffer.from('00000000aabbcc', 'hex')), 'invalid', 'too short for either');
  t.is(classifyUdp4500(Buffer.alloc(20)), 'invalid', 'a marker followed by less than an IKE header');
});

test('esp_sa lines use the exact names tshark 4.0 accepts', (t) => {
  t.is(espSaLine({
    src: '192.0.2.1', dst: '192.0.2.2', spi: 0x97f47796, encr: EncrId.AES_GCM_16,
    encrKey: Buffer.from('a572f80f678665deba63cf27281165ae2329928e', 'hex'), integ: IntegId.NONE,
  }), '"IPv4","192.0.2.1","192.0.2.2","0x97f47796","AES-GCM with 16 octet ICV [RFC4106]","0xa572f80f678665deba63cf27281165ae2329928e","NULL","0x"');
  t.is(espSaLine({
    src: '2001:db8::1', dst: '2001:db8::2', spi: 0x1234, encr: EncrId.AES_CBC, encrKey: Buffer.alloc(32, 1),
    integ: IntegId.HMAC_SHA2_256_128, integKey: Buffer.alloc(32, 2),
  }), `"IPv6","2001:db8::1","2001:db8::2","0x00001234","AES-CBC [RFC3602]","0x${'01'.repeat(32)}","HMAC-SHA-256-128 [RFC4868]","0x${'02'.repeat(32)}"`);
  const names = [
    [IntegId.HMAC_SHA1_96, 20, 'HMAC-SHA-1-96 [RFC2404]'], [IntegId.HMAC_SHA2_384_192, 48, 'HMAC-SHA-384-192 [RFC4868]'],
    [IntegId.HMAC_SHA2_512_256, 64, 'HMAC-SHA-512-256 [RFC4868]'],
  ] as const;
  for (const [integ, len, name] of names) {
    const sa = new EspSa({ spi: 0x999, direction: 'in', encr: EncrId.NULL, integ, encrKey: Buffer.alloc(0), integKey: Buffer.alloc(len, 7), createdAt: 0 });
    t.is(espSaLineFor(sa, '10.0.0.1', '10.0.0.2'), `"IPv4","10.0.0.1","10.0.0.2","0x00000999","NULL","0x","${name}","0x${'07'.repeat(len)}"`);
  }
  t.throws(() => espSaLine({ src: '10.0.0.1', dst: '2001:db8::1', spi: 1, encr: EncrId.NULL, encrKey: Buffer.alloc(0), integ: IntegId.HMAC_SHA1_96 }), { message: /one family/ });
  t.throws(() => espSaLine({ src: '10.0.0.1', dst: '10.0.0.2', spi: 1, encr: EncrId.CHACHA20_POLY1305, encrKey: Buffer.alloc(36), integ: 0 }), { message: /no name/ });
});

test('IP header parsing: addresses, protocol, ports, DF; errors for non-IP and short packets', (t) => {
  const v4 = ipPacket(4, 60);
  v4.writeUInt16BE(0x4000, 6);
  const h4 = parseIpHeader(v4);
  if (typeof h4 === 'string') return t.fail(h4);
  t.like(h4, { version: 4, headerLength: 20, totalLength: 60, protocol: 17, srcPort: 1234, dstPort: 5678, dontFragment: true });
  t.is(ipSrc(h4), '10.1.0.1');
  t.is(ipDst(h4), '10.2.0.1');
  const h6 = parseIpHeader(ipPacket(6, 100));
  if (typeof h6 === 'string') return t.fail(h6);
  t.like(h6, { version: 6, totalLength: 100, protocol: 17, srcPort: 1234 });
  t.is(ipDst(h6), '2001:db8:0:1::1');
  const frag = ipPacket(4, 60);
  frag.writeUInt16BE(0x0010, 6); // fragment offset 16: no ports visible
  t.like(parseIpHeader(frag), { srcPort: -1, dstPort: -1 });
  t.regex(parseIpHeader(Buffer.from([0x20, 0, 0])) as string, /not an IP packet/);
  t.regex(parseIpHeader(Buffer.alloc(10, 0x45)) as string, /shorter than its header/);
  const lying = ipPacket(4, 60);
  lying.writeUInt16BE(200, 2);
  t.regex(parseIpHeader(lying) as string, /total length 200/);
});

test('ICMP fragmentation needed: valid checksums, quotes the header, only for DF packets', (t) => {
  const big = ipPacket(4, 1500);
  big.writeUInt16BE(0x4000, 6);
  const icmp = icmpFragmentationNeeded(big, 1400, '10.9.9.9');
  if (!icmp) return t.fail();
  const h = parseIpHeader(icmp);
  if (typeof h === 'string') return t.fail(h);
  t.is(ipSrc(h), '10.9.9.9');
  t.is(ipDst(h), '10.1.0.1');
  t.is(h.protocol, 1);
  t.is(internetChecksum(icmp, 0, 20), 0, 'IPv4 header checksum');
  t.is(internetChecksum(icmp, 20), 0, 'ICMP checksum');
  t.is(icmp[20], 3);
  t.is(icmp[21], 4);
  t.is(icmp.readUInt16BE(26), 1400);
  t.true(icmp.subarray(28).equals(big.subarray(0, 28)));
  t.is(icmpFragmentationNeeded(ipPacket(4, 1500), 1400, '10.9.9.9'), undefined, 'DF clear: fragment instead');
});

test('ICMPv6 packet too big: checksum over the pseudo-header, MTU, quote within 1280 bytes', (t) => {
  const big = ipPacket(6, 1500);
  const icmp = icmpv6PacketTooBig(big, 1280, '2001:db8::ff');
  if (!icmp) return t.fail();
  t.true(icmp.length <= 1280);
  t.is(icmp[40], 2);
  t.is(icmp.readUInt32BE(44), 1280);
  // Independent check: sum of pseudo-header + ICMPv6 message must fold to 0xffff.
  const pseudo = Buffer.alloc(40);
  icmp.copy(pseudo, 0, 8, 40);
  pseudo.writeUInt32BE(icmp.length - 40, 32);
  pseudo[39] = 58;
  t.is(internetChecksum(Buffer.concat([pseudo, icmp.subarray(40)])), 0);
  const h = parseIpHeader(icmp);
  t.true(typeof h !== 'string' && ipDst(h) === '2001:db8::1');
});

function tcpChecksumOk(p: Buffer): boolean {
  const tcpLen = p.readUInt16BE(2) - 20;
  const pseudo = Buffer.alloc(12);
  p.copy(pseudo, 0, 12, 20);
  pseudo[9] = 6;
  pseudo.writeUInt16BE(tcpLen, 10);
  return internetChecksum(Buffer.concat([pseudo, p.subarray(20)])) === 0;
}

test('TCP MSS clamping lowers the MSS of a SYN and keeps the checksum valid', (t) => {
  const syn = Buffer.from(
    '4500003c000040004006' + '0000' + '0a010001' + '0a020001' +
    '04d2' + '0050' + '00000001' + '00000000' + 'a002' + 'faf0' + '0000' + '0000' +
    '020405b4' + '0402080a' + '000000010000000001030307', 'hex');
  const fixTcp = () => {
    syn.writeUInt16BE(0, 36);
    const pseudo = Buffer.alloc(12);
    syn.copy(pseudo, 0, 12, 20);
    pseudo[9] = 6;
    pseudo.writeUInt16BE(syn.length - 20, 10);
    syn.writeUInt16BE(internetChecksum(Buffer.concat([pseudo, syn.subarray(20)])), 36);
  };
  fixTcp();
  t.true(tcpChecksumOk(syn));
  t.true(clampTcpMss(syn, 1360));
  t.is(syn.readUInt16BE(42), 1360);
  t.true(tcpChecksumOk(syn));
  t.false(clampTcpMss(syn, 1400), 'never raises the MSS');
  const ack = Buffer.from(syn);
  ack[33] = 0x10;
  t.false(clampTcpMss(ack, 1000), 'only SYNs carry MSS');
});
