// Wire check by an independent decoder: hand-built unencrypted IKE messages (IKE_SA_INIT request
// and responses with SA, KE, Nonce, NAT-D, fragmentation, signature hashes, vendor IDs, CERTREQ,
// INVALID_KE_PAYLOAD and COOKIE; and plaintext chains of every other payload kind) are encoded
// with our codec, written with PcapWriter (UDP 500, and 4500 behind the non-ESP marker, IPv4 and
// IPv6), and dissected by tshark. tshark must report nothing malformed and no expert warnings, and
// every field value it decodes must equal what the model says.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpPayload, encodeMessage, idFromString, parseDn } from '../engine/ike/codec/index.ts';
import {
  AuthMethod, CertEncoding, CfgAttr, CfgType, DhGroup, EncrId, EsnId, ExchangeType, IdType, IntegId, NotifyType, PayloadType as P,
  PrfId, ProtocolId, TransformType, TsType,
} from '../engine/ike/constants.ts';
import type { IkeHeader, IkeMessage, Payload } from '../engine/ike/message.ts';
import { isUnknown } from '../engine/ike/message.ts';
import { PcapWriter } from '../engine/pcap/index.ts';
import { bytesToIp } from '../engine/util/ip.ts';
import { tsharkFields, tsharkIkePayloads, tsharkStylePayloadTypes } from './helpers/tshark.ts';

const SPI_I = Buffer.from('8a1c5e0f33d2b7a1', 'hex');
const SPI_R = Buffer.from('51c0ffee7700aa42', 'hex');
const none = Buffer.alloc(0);

const header = (over: Partial<IkeHeader>): IkeHeader => ({
  spiI: SPI_I, spiR: Buffer.alloc(8), nextPayload: 0, majorVersion: 2, minorVersion: 0, exchangeType: ExchangeType.IKE_SA_INIT,
  initiator: true, response: false, version: false, messageId: 0, length: 0, ...over,
});
const notify = (notifyType: number, data = none, protocolId = 0, spi = none): Payload => ({ type: P.NOTIFY, protocolId, spi, notifyType, data });
const ikeProposal = (num: number, encr: number, keyLength: number | undefined, prf: number, integ: number | undefined, dh: number) => ({
  num, protocolId: ProtocolId.IKE, spi: none, transforms: [
    { type: TransformType.ENCR, id: encr, ...(keyLength ? { keyLength } : {}) },
    { type: TransformType.PRF, id: prf },
    ...(integ !== undefined ? [{ type: TransformType.INTEG, id: integ }] : []),
    { type: TransformType.DH, id: dh },
  ],
});
const fill = (n: number, b: number) => Buffer.alloc(n, b);

/** A real X.509 certificate for the CERT payload, so tshark's X.509 dissector runs on it too. */
function makeCert(dir: string): Buffer {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'),
    '-out', join(dir, 'c.der'), '-outform', 'DER', '-days', '1', '-subj', '/CN=hub.pr.test'], { stdio: 'ignore' });
  return readFileSync(join(dir, 'c.der'));
}

interface Frame { msg: IkeMessage; v6?: boolean; natT?: boolean }

function frames(cert: Buffer): Frame[] {
  return [
    { msg: { header: header({}), payloads: [
      { type: P.SA, proposals: [
        ikeProposal(1, EncrId.AES_CBC, 256, PrfId.HMAC_SHA2_256, IntegId.HMAC_SHA2_256_128, DhGroup.MODP_2048),
        ikeProposal(2, EncrId.AES_GCM_16, 256, PrfId.HMAC_SHA2_384, undefined, DhGroup.ECP_384),
      ] },
      { type: P.KE, group: DhGroup.MODP_2048, data: fill(256, 0xab) },
      { type: P.NONCE, data: fill(32, 0xcd) },
      notify(NotifyType.NAT_DETECTION_SOURCE_IP, fill(20, 0x51)),
      notify(NotifyType.NAT_DETECTION_DESTINATION_IP, fill(20, 0xd1)),
      notify(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED),
      notify(NotifyType.SIGNATURE_HASH_ALGORITHMS, Buffer.from('000200030004', 'hex')),
      notify(NotifyType.REDIRECT_SUPPORTED),
      { type: P.VENDOR_ID, data: Buffer.from('CISCO-DELETE-REASON') },
      { type: P.VENDOR_ID, data: Buffer.from('FLEXVPN-SUPPORTED') },
    ] } },
    { msg: { header: header({ spiR: SPI_R, initiator: false, response: true }), payloads: [
      { type: P.SA, proposals: [ikeProposal(1, EncrId.AES_CBC, 256, PrfId.HMAC_SHA2_256, IntegId.HMAC_SHA2_256_128, DhGroup.MODP_2048)] },
      { type: P.KE, group: DhGroup.MODP_2048, data: fill(256, 0xba) },
      { type: P.NONCE, data: fill(48, 0xdc) },
      notify(NotifyType.NAT_DETECTION_SOURCE_IP, fill(20, 0x52)),
      notify(NotifyType.NAT_DETECTION_DESTINATION_IP, fill(20, 0xd2)),
      { type: P.CERTREQ, encoding: CertEncoding.X509_SIGNATURE, data: Buffer.concat([fill(20, 0x11), fill(20, 0x22)]) },
      notify(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED),
      notify(NotifyType.MULTIPLE_AUTH_SUPPORTED),
      { type: P.VENDOR_ID, data: Buffer.from('FLEXVPN-SUPPORTED') },
    ] } },
    { msg: { header: header({ initiator: false, response: true }), payloads: [notify(NotifyType.INVALID_KE_PAYLOAD, Buffer.from('0013', 'hex'))] } },
    { msg: { header: header({}), payloads: [
      notify(NotifyType.COOKIE, fill(32, 0xc0)),
      { type: P.SA, proposals: [ikeProposal(1, EncrId.AES_GCM_16, 128, PrfId.HMAC_SHA2_256, undefined, DhGroup.ECP_256)] },
      { type: P.KE, group: DhGroup.ECP_256, data: fill(64, 0x19) },
      { type: P.NONCE, data: fill(32, 0xcd) },
    ] } },
    // Plaintext chains of the other payload kinds (in real life inside SK), over 4500 with the marker.
    { natT: true, msg: { header: header({ spiR: SPI_R, exchangeType: ExchangeType.IKE_AUTH, messageId: 1 }), payloads: [
      { type: P.IDi, idType: IdType.ID_DER_ASN1_DN, data: idFromString(IdType.ID_DER_ASN1_DN, 'C=CH, O=Flex Lab, CN=spoke1.pr.test') },
      { type: P.IDr, idType: IdType.ID_FQDN, data: Buffer.from('hub.pr.test') },
      { type: P.AUTH, method: AuthMethod.PSK, data: fill(32, 0xaa) },
      cpPayload(CfgType.CFG_REQUEST, [
        { kind: 'ip4', type: CfgAttr.INTERNAL_IP4_ADDRESS }, { kind: 'ip6-prefix', type: CfgAttr.INTERNAL_IP6_ADDRESS },
        { kind: 'ip4', type: CfgAttr.INTERNAL_IP4_DNS },
      ]),
      notify(NotifyType.INITIAL_CONTACT),
      { type: P.SA, proposals: [{ num: 1, protocolId: ProtocolId.ESP, spi: Buffer.from('c1a2b3d4', 'hex'), transforms: [
        { type: TransformType.ENCR, id: EncrId.AES_GCM_16, keyLength: 128 },
        { type: TransformType.ESN, id: EsnId.ESN }, { type: TransformType.ESN, id: EsnId.NO_ESN },
      ] }] },
      { type: P.TSi, selectors: [
        { tsType: TsType.TS_IPV4_ADDR_RANGE, ipProtocol: 0, startPort: 0, endPort: 65535, startAddr: '0.0.0.0', endAddr: '255.255.255.255' },
        { tsType: TsType.TS_IPV6_ADDR_RANGE, ipProtocol: 6, startPort: 443, endPort: 443, startAddr: '2001:db8::', endAddr: '2001:db8::ffff' },
      ] },
      { type: P.TSr, selectors: [{ tsType: TsType.TS_IPV4_ADDR_RANGE, ipProtocol: 17, startPort: 53, endPort: 53, startAddr: '10.0.0.0', endAddr: '10.255.255.255' }] },
      notify(NotifyType.ESP_TFC_PADDING_NOT_SUPPORTED),
      notify(NotifyType.NON_FIRST_FRAGMENTS_ALSO),
    ] } },
    { natT: true, msg: { header: header({ spiR: SPI_R, exchangeType: ExchangeType.IKE_AUTH, initiator: false, response: true, messageId: 1 }), payloads: [
      { type: P.IDr, idType: IdType.ID_FQDN, data: Buffer.from('hub.pr.test') },
      { type: P.CERT, encoding: CertEncoding.X509_SIGNATURE, data: cert },
      { type: P.AUTH, method: AuthMethod.DIGITAL_SIGNATURE, data: fill(72, 0x5a) },
      cpPayload(CfgType.CFG_REPLY, [
        { kind: 'ip4', type: CfgAttr.INTERNAL_IP4_ADDRESS, address: '10.10.0.5' },
        { kind: 'ip6-prefix', type: CfgAttr.INTERNAL_IP6_ADDRESS, address: '2001:db8:a::5', prefixLength: 64 },
        { kind: 'ip4-subnet', type: CfgAttr.INTERNAL_IP4_SUBNET, address: '10.0.0.0', netmask: '255.0.0.0' },
      ]),
      notify(NotifyType.SET_WINDOW_SIZE, Buffer.from('00000005', 'hex')),
      { type: P.EAP, data: Buffer.from('0101000501', 'hex') }, // EAP Request/Identity
    ] } },
    { v6: true, msg: { header: header({ spiR: SPI_R, exchangeType: ExchangeType.INFORMATIONAL, messageId: 2 }), payloads: [
      { type: P.DELETE, protocolId: ProtocolId.ESP, spiSize: 4, spis: [Buffer.from('11223344', 'hex'), Buffer.from('55667788', 'hex')] },
      notify(NotifyType.REKEY_SA, none, ProtocolId.ESP, Buffer.from('c0ffee01', 'hex')),
      { type: P.IDi, idType: IdType.ID_RFC822_ADDR, data: Buffer.from('a-psk@pr.test') },
      { type: P.IDr, idType: IdType.ID_IPV6_ADDR, data: Buffer.from('20010db8000000000000000000000002', 'hex') },
      { type: P.VENDOR_ID, data: fill(16, 0x77), critical: true },
    ] } },
    { v6: true, msg: { header: header({ spiR: SPI_R, exchangeType: ExchangeType.INFORMATIONAL, messageId: 3 }), payloads: [
      { type: P.DELETE, protocolId: ProtocolId.IKE, spiSize: 0, spis: [] },
      { type: P.IDi, idType: IdType.ID_IPV4_ADDR, data: Buffer.from('c0000201', 'hex') },
      { type: P.IDr, idType: IdType.ID_KEY_ID, data: Buffer.from('spoke-key') },
    ] } },
  ];
}

const FIELDS = [
  'isakmp.exchangetype', 'isakmp.ispi', 'isakmp.rspi', 'isakmp.messageid', 'isakmp.flag_i', 'isakmp.flag_r', 'isakmp.length',
  'isakmp.typepayload', 'isakmp.criticalpayload',
  'isakmp.prop.number', 'isakmp.prop.protoid', 'isakmp.spisize', 'isakmp.spi', 'isakmp.prop.transforms', 'isakmp.tf.type',
  'isakmp.tf.id.encr', 'isakmp.tf.id.prf', 'isakmp.tf.id.integ', 'isakmp.tf.id.dh', 'isakmp.tf.id.esn', 'isakmp.ike2.attr.key_length',
  'isakmp.key_exchange.dh_group', 'isakmp.key_exchange.data', 'isakmp.nonce',
  'isakmp.notify.protoid', 'isakmp.notify.msgtype', 'isakmp.notify.data', 'isakmp.notify.data.signature_hash_algorithms',
  'isakmp.notify.data.accepted_dh_group', 'isakmp.vid_bytes', 'isakmp.certreq.type', 'isakmp.ike.certreq.authority', 'isakmp.cert.encoding',
  'isakmp.id.type', 'isakmp.id.data.fqdn', 'isakmp.id.data.user_fqdn', 'isakmp.id.data.ipv4_addr', 'isakmp.id.data.ipv6_addr',
  'isakmp.id.data.key_id', 'x509sat.CountryName', 'isakmp.auth.method', 'isakmp.auth.data',
  'isakmp.cfg.type', 'isakmp.cfg.attr.type', 'isakmp.cfg.attr.internal_ip4_address', 'isakmp.cfg.attr.internal_ip6_address',
  'isakmp.cfg.attr.internal_ip6_address.prefix', 'isakmp.cfg.attr.internal_ip4_subnet_ip', 'isakmp.cfg.attr.internal_ip4_subnet_netmask',
  'isakmp.ts.number', 'isakmp.ts.type', 'isakmp.ts.protoid', 'isakmp.ts.start_port', 'isakmp.ts.end_port', 'isakmp.ts.start_ipv4',
  'isakmp.ts.end_ipv4', 'isakmp.ts.start_ipv6', 'isakmp.ts.end_ipv6', 'isakmp.delete.protoid', 'isakmp.spinum', 'isakmp.delete.spi',
  'eap.code', 'eap.id', 'eap.type',
];

const TF_FIELD: Record<number, string> = {
  [TransformType.ENCR]: 'isakmp.tf.id.encr', [TransformType.PRF]: 'isakmp.tf.id.prf', [TransformType.INTEG]: 'isakmp.tf.id.integ',
  [TransformType.DH]: 'isakmp.tf.id.dh', [TransformType.ESN]: 'isakmp.tf.id.esn',
};

/** What tshark should show for a message, computed from the model (tree order, tshark's formats). */
function expectedFields(msg: IkeMessage, length: number): Record<string, string[]> {
  const f: Record<string, string[]> = {};
  const add = (k: string, v: string | number) => (f[k] ??= []).push(String(v));
  const h = msg.header;
  add('isakmp.exchangetype', h.exchangeType);
  add('isakmp.ispi', h.spiI.toString('hex'));
  add('isakmp.rspi', h.spiR.toString('hex'));
  add('isakmp.messageid', '0x' + h.messageId.toString(16).padStart(8, '0'));
  add('isakmp.flag_i', h.initiator ? 1 : 0);
  add('isakmp.flag_r', h.response ? 1 : 0);
  add('isakmp.length', length);
  for (const t of tsharkStylePayloadTypes(msg.payloads)) add('isakmp.typepayload', t);
  for (const p of msg.payloads) {
    add('isakmp.criticalpayload', p.critical ? 1 : 0);
    if (isUnknown(p)) continue;
    switch (p.type) {
      case P.SA:
        for (const pr of p.proposals) {
          add('isakmp.prop.number', pr.num);
          add('isakmp.prop.protoid', pr.protocolId);
          add('isakmp.spisize', pr.spi.length);
          if (pr.spi.length) add('isakmp.spi', pr.spi.toString('hex'));
          add('isakmp.prop.transforms', pr.transforms.length);
          for (const tr of pr.transforms) {
            add('isakmp.tf.type', tr.type);
            add(TF_FIELD[tr.type]!, tr.id);
            if (tr.keyLength !== undefined) add('isakmp.ike2.attr.key_length', tr.keyLength);
          }
        }
        break;
      case P.KE:
        add('isakmp.key_exchange.dh_group', p.group);
        add('isakmp.key_exchange.data', p.data.toString('hex'));
        break;
      case P.NONCE: add('isakmp.nonce', p.data.toString('hex')); break;
      case P.NOTIFY:
        add('isakmp.notify.protoid', p.protocolId);
        add('isakmp.spisize', p.spi.length);
        add('isakmp.notify.msgtype', p.notifyType);
        if (p.spi.length) add('isakmp.spi', p.spi.toString('hex'));
        add('isakmp.notify.data', p.data.length ? p.data.toString('hex') : '<MISSING>');
        if (p.notifyType === NotifyType.SIGNATURE_HASH_ALGORITHMS) {
          for (let i = 0; i < p.data.length; i += 2) add('isakmp.notify.data.signature_hash_algorithms', p.data.readUInt16BE(i));
        }
        if (p.notifyType === NotifyType.INVALID_KE_PAYLOAD) add('isakmp.notify.data.accepted_dh_group', p.data.readUInt16BE(0));
        break;
      case P.VENDOR_ID: add('isakmp.vid_bytes', p.data.toString('hex')); break;
      case P.CERTREQ:
        add('isakmp.certreq.type', p.encoding);
        for (let i = 0; i < p.data.length; i += 20) add('isakmp.ike.certreq.authority', p.data.subarray(i, i + 20).toString('hex'));
        break;
      case P.CERT: add('isakmp.cert.encoding', p.encoding); break;
      case P.IDi: case P.IDr:
        add('isakmp.id.type', p.idType);
        if (p.idType === IdType.ID_FQDN) add('isakmp.id.data.fqdn', p.data.toString());
        if (p.idType === IdType.ID_RFC822_ADDR) add('isakmp.id.data.user_fqdn', p.data.toString());
        if (p.idType === IdType.ID_IPV4_ADDR) add('isakmp.id.data.ipv4_addr', [...p.data].join('.'));
        if (p.idType === IdType.ID_IPV6_ADDR) add('isakmp.id.data.ipv6_addr', bytesToIp(p.data));
        if (p.idType === IdType.ID_KEY_ID) add('isakmp.id.data.key_id', p.data.toString('hex'));
        if (p.idType === IdType.ID_DER_ASN1_DN) {
          for (const rdn of parseDn(p.data)!) if (rdn[0]!.oid === '2.5.4.6') add('x509sat.CountryName', rdn[0]!.value!);
        }
        break;
      case P.AUTH:
        add('isakmp.auth.method', p.method);
        add('isakmp.auth.data', p.data.toString('hex'));
        break;
      case P.CP:
        add('isakmp.cfg.type', p.cfgType);
        for (const a of p.attributes) {
          add('isakmp.cfg.attr.type', a.type);
          if (!a.value.length) continue;
          if (a.type === CfgAttr.INTERNAL_IP4_ADDRESS) add('isakmp.cfg.attr.internal_ip4_address', [...a.value].join('.'));
          if (a.type === CfgAttr.INTERNAL_IP6_ADDRESS) {
            add('isakmp.cfg.attr.internal_ip6_address', bytesToIp(a.value.subarray(0, 16)));
            add('isakmp.cfg.attr.internal_ip6_address.prefix', a.value[16]!);
          }
          if (a.type === CfgAttr.INTERNAL_IP4_SUBNET) {
            add('isakmp.cfg.attr.internal_ip4_subnet_ip', [...a.value.subarray(0, 4)].join('.'));
            add('isakmp.cfg.attr.internal_ip4_subnet_netmask', [...a.value.subarray(4)].join('.'));
          }
        }
        break;
      case P.TSi: case P.TSr:
        add('isakmp.ts.number', p.selectors.length);
        for (const s of p.selectors) {
          add('isakmp.ts.type', s.tsType);
          add('isakmp.ts.protoid', s.ipProtocol);
          add('isakmp.ts.start_port', s.startPort);
          add('isakmp.ts.end_port', s.endPort);
          const v = s.tsType === TsType.TS_IPV4_ADDR_RANGE ? 'ipv4' : 'ipv6';
          add(`isakmp.ts.start_${v}`, s.startAddr);
          add(`isakmp.ts.end_${v}`, s.endAddr);
        }
        break;
      case P.DELETE:
        add('isakmp.delete.protoid', p.protocolId);
        add('isakmp.spisize', p.spiSize);
        add('isakmp.spinum', p.spis.length);
        for (const s of p.spis) add('isakmp.delete.spi', s.toString('hex'));
        break;
      case P.EAP:
        add('eap.code', p.data[0]!);
        add('eap.id', p.data[1]!);
        if (p.data.length > 4) add('eap.type', p.data[4]!);
        break;
    }
  }
  return f;
}

test('tshark decodes our unencrypted IKE messages to exactly the values we encoded', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'flexlab-ike-tshark-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const list = frames(makeCert(dir));
  const w = new PcapWriter({ linkType: 'ethernet' });
  const encoded = list.map((f, i) => {
    const bytes = encodeMessage(f.msg);
    const d = {
      ts: 1_763_000_000_000 + i * 10, sport: f.natT ? 4500 : 500, dport: f.natT ? 4500 : 500, payload: bytes,
      src: f.v6 ? '2001:db8::1' : i % 2 ? '192.0.2.2' : '192.0.2.1', dst: f.v6 ? '2001:db8::2' : i % 2 ? '192.0.2.1' : '192.0.2.2',
    };
    if (f.natT) w.writeNonEspMarked(d);
    else w.writeUdp(d);
    return bytes;
  });
  const file = join(dir, 'ike.pcap');
  w.writeFile(file);

  // The reusable helper: per-frame payload lists, no malformed packet, no expert note/warning/error.
  const shark = await tsharkIkePayloads(file);
  t.deepEqual(shark.map((f) => f.frame), list.map((_, i) => i + 1));
  for (const [i, f] of shark.entries()) {
    t.false(f.malformed, `frame ${f.frame} malformed`);
    t.deepEqual(f.expert, [], `frame ${f.frame} expert info`);
    t.deepEqual(f.payloads, tsharkStylePayloadTypes(list[i]!.msg.payloads), `frame ${f.frame} payload types`);
  }

  const rows = await tsharkFields(file, ['frame.number', ...FIELDS], { filter: 'isakmp' });
  t.is(rows.length, list.length);
  for (const [i, r] of rows.entries()) {
    const want = expectedFields(list[i]!.msg, encoded[i]!.length);
    for (const field of FIELDS) t.deepEqual(r[field] ?? [], want[field] ?? [], `frame ${i + 1} ${field}`);
  }
  // The certificate went through intact: tshark's X.509 dissector finds its subject's CN.
  const certRow = await tsharkFields(file, ['x509sat.uTF8String'], { filter: 'frame.number == 6' });
  t.deepEqual(certRow[0]?.['x509sat.uTF8String'], ['hub.pr.test', 'hub.pr.test']); // issuer and subject
});
