// Real IKEv2 captures (strongSwan, libreswan) read with engine/pcap and decoded with our codec,
// checked against tshark as the independent decoder: the same frames carry IKE, and each message's
// header and plaintext payload chain (SA substructures included) equal what tshark lists. SK/SKF
// stay opaque here. Every message also re-encodes to the identical bytes.

import test from 'ava';
import { join } from 'node:path';
import { decodeMessage, encodeMessage, exchangeName, payloadList } from '../engine/ike/codec/index.ts';
import { PayloadType } from '../engine/ike/constants.ts';
import { isUnknown } from '../engine/ike/message.ts';
import { ikeDatagrams, readCaptureFile, udpDatagrams } from '../engine/pcap/index.ts';
import { tsharkIkePayloads, tsharkStylePayloadTypes } from './helpers/tshark.ts';

const DIR = join(import.meta.dirname, 'fixtures', 'interop-samples');

const SA_INIT_REQ = 'SA KE N NOTIFY(NAT_DETECTION_SOURCE_IP) NOTIFY(NAT_DETECTION_DESTINATION_IP) '
  + 'NOTIFY(IKEV2_FRAGMENTATION_SUPPORTED) NOTIFY(SIGNATURE_HASH_ALGORITHMS) NOTIFY(REDIRECT_SUPPORTED)';
const SA_INIT_RESP_SS = 'SA KE N NOTIFY(NAT_DETECTION_SOURCE_IP) NOTIFY(NAT_DETECTION_DESTINATION_IP) '
  + 'NOTIFY(IKEV2_FRAGMENTATION_SUPPORTED) NOTIFY(SIGNATURE_HASH_ALGORITHMS) NOTIFY(CHILDLESS_IKEV2_SUPPORTED) NOTIFY(MULTIPLE_AUTH_SUPPORTED)';
const SA_INIT_RESP_CERTREQ = SA_INIT_RESP_SS.replace('DESTINATION_IP) ', 'DESTINATION_IP) CERTREQ ');

/** Hand-written from ../shared/interop/README.md section 9: frame, exchange, direction, payloads. */
const SAMPLES: Record<string, string[]> = {
  'psk-aescbc-gcm/capture.pcap': [
    `1 IKE_SA_INIT request [${SA_INIT_REQ}]`, `2 IKE_SA_INIT response [${SA_INIT_RESP_SS}]`,
    '3 IKE_AUTH request [SK]', '4 IKE_AUTH response [SK]', '9 INFORMATIONAL request [SK]', '10 INFORMATIONAL response [SK]',
  ],
  'psk-ikegcm/capture.pcap': [
    `1 IKE_SA_INIT request [${SA_INIT_REQ}]`, `2 IKE_SA_INIT response [${SA_INIT_RESP_CERTREQ}]`,
    '3 IKE_AUTH request [SK]', '4 IKE_AUTH response [SK]', '9 INFORMATIONAL request [SK]', '10 INFORMATIONAL response [SK]',
  ],
  'cert-frag576/capture.pcap': [
    `1 IKE_SA_INIT request [${SA_INIT_REQ}]`, `2 IKE_SA_INIT response [${SA_INIT_RESP_CERTREQ}]`,
    ...[1, 2, 3, 4].map((n) => `${n + 2} IKE_AUTH request [SKF(${n}/4)]`),
    ...[1, 2, 3, 4].map((n) => `${n + 6} IKE_AUTH response [SKF(${n}/4)]`),
  ],
  'cert-frag576/capture-fs1280-ipfrag.pcap': [
    `1 IKE_SA_INIT request [${SA_INIT_REQ}]`, `2 IKE_SA_INIT response [${SA_INIT_RESP_CERTREQ}]`,
    '5 IKE_AUTH request [SKF(1/2)]', '7 IKE_AUTH request [SKF(2/2)]', '10 IKE_AUTH response [SKF(1/2)]', '12 IKE_AUTH response [SKF(2/2)]',
  ],
  'libreswan-ike-only/capture.pcap': [
    `1 IKE_SA_INIT request [${SA_INIT_REQ}]`,
    '2 IKE_SA_INIT response [SA KE N NOTIFY(IKEV2_FRAGMENTATION_SUPPORTED) NOTIFY(NAT_DETECTION_SOURCE_IP) NOTIFY(NAT_DETECTION_DESTINATION_IP) NOTIFY(CHILDLESS_IKEV2_SUPPORTED)]',
    '3 IKE_AUTH request [SK]', '4 IKE_AUTH response [SK]',
  ],
  'savekeys-rekey/capture.pcap': [
    `1 IKE_SA_INIT request [${SA_INIT_REQ}]`, `2 IKE_SA_INIT response [${SA_INIT_RESP_CERTREQ}]`,
    '3 IKE_AUTH request [SKF(1/2)]', '4 IKE_AUTH request [SKF(2/2)]', '5 IKE_AUTH response [SKF(1/2)]', '6 IKE_AUTH response [SKF(2/2)]',
    `7 IKE_SA_INIT request [${SA_INIT_REQ}]`, `8 IKE_SA_INIT response [${SA_INIT_RESP_CERTREQ}]`,
    '9 IKE_AUTH request [SK]', '10 IKE_AUTH response [SK]', '13 CREATE_CHILD_SA request [SK]', '14 CREATE_CHILD_SA response [SK]',
    '15 INFORMATIONAL request [SK]', '16 INFORMATIONAL response [SK]',
  ],
};

for (const [file, expected] of Object.entries(SAMPLES)) {
  test(`${file}: IKE messages decode, re-encode byte for byte and match tshark`, async (t) => {
    const path = join(DIR, file);
    const cap = readCaptureFile(path);
    t.false(cap.truncated);
    const ike = ikeDatagrams(udpDatagrams(cap.records));
    const messages = ike.map((d) => ({ d, m: decodeMessage(d.ike) }));

    const summary = messages.map(({ d, m }) =>
      `${d.frame} ${exchangeName(m.header.exchangeType)} ${m.header.response ? 'response' : 'request'} [${payloadList(m.payloads)}]`);
    t.deepEqual(summary, expected);

    for (const { d, m } of messages) {
      t.true(encodeMessage(m).equals(d.ike), `frame ${d.frame} re-encodes identically`);
      // Port 4500 carries IKE only behind the non-ESP marker; 500 never has it.
      t.is(d.nonEspMarker, d.dport === 4500, `frame ${d.frame} marker`);
    }

    const shark = await tsharkIkePayloads(path);
    t.deepEqual(shark.map((f) => f.frame), messages.map(({ d }) => d.frame), 'tshark sees IKE in the same frames');
    for (const [i, f] of shark.entries()) {
      const { d, m } = messages[i]!;
      const at = `frame ${d.frame}`;
      t.false(f.malformed, at);
      t.deepEqual(f.payloads, tsharkStylePayloadTypes(m.payloads), `${at} payload types`);
      t.deepEqual(f.exchangeTypes, [m.header.exchangeType], `${at} exchange`);
      t.deepEqual(f.spiI, [m.header.spiI.toString('hex')], `${at} SPIi`);
      t.deepEqual(f.spiR, [m.header.spiR.toString('hex')], `${at} SPIr`);
      const notifies = m.payloads.flatMap((p) => (!isUnknown(p) && p.type === PayloadType.NOTIFY ? [p.notifyType] : []));
      t.deepEqual(f.notifyTypes, notifies, `${at} notify types`);
      const skf = m.payloads.flatMap((p) => (!isUnknown(p) && p.type === PayloadType.SKF ? [p] : []));
      t.deepEqual(f.fragNumber, skf.map((p) => p.fragmentNumber), `${at} fragment number`);
      t.deepEqual(f.fragTotal, skf.map((p) => p.totalFragments), `${at} fragment total`);
    }
  });
}

test('IKE_SA_INIT values of the psk-aescbc-gcm request: two proposals, MODP-2048 KE, 32-byte nonce', (t) => {
  const cap = readCaptureFile(join(DIR, 'psk-aescbc-gcm/capture.pcap'));
  const [first] = ikeDatagrams(udpDatagrams(cap.records));
  const m = decodeMessage(first!.ike);
  const sa = m.payloads[0]!;
  if (isUnknown(sa) || sa.type !== PayloadType.SA) return t.fail('first payload is not SA');
  t.deepEqual(sa.proposals.map((p) => p.transforms.map((x) => [x.type, x.id, x.keyLength])), [
    [[1, 12, 256], [3, 12, undefined], [2, 5, undefined], [4, 14, undefined]],
    [[1, 20, 128], [2, 5, undefined], [4, 31, undefined]],
  ]);
  const ke = m.payloads[1]!;
  t.true(!isUnknown(ke) && ke.type === PayloadType.KE && ke.group === 14 && ke.data.length === 256);
  const nonce = m.payloads[2]!;
  t.true(!isUnknown(nonce) && nonce.type === PayloadType.NONCE && nonce.data.length === 32);
  t.is(m.header.spiI.toString('hex'), '9ec52c6b1c836da6');
  t.is(m.header.length, 500);
});
