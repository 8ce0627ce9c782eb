// RFC 5176 dynamic authorization, sans-IO: our DAC (RadiusClient + dac.ts) against our DAS (das.ts);
// the seed's PoD ACK and NAK (R-09: Reply-Message "No Matching Session", Error-Cause 0x194); CoA
// attribute extraction; drops for unknown clients and wrong secrets; retransmissions
// answered from the cache; and radclient's captured Disconnect-Request answered byte for byte.

import test from 'ava';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RadiusClient } from '../engine/radius/client.ts';
import type { RadiusClientAction } from '../engine/radius/client.ts';
import { ErrorCause, RadiusCode } from '../engine/radius/constants.ts';
import { coaRequest, daeOutcome, disconnectRequest } from '../engine/radius/dac.ts';
import { DynamicAuthServer, IOS_NO_MATCHING_SESSION } from '../engine/radius/das.ts';
import type { DaeAction, DaeRequest } from '../engine/radius/das.ts';
import { decodeRawPacket } from '../engine/radius/packet.ts';
import type { Datagram } from '../engine/ike/actions.ts';
import { readCaptureFile, udpDatagrams } from '../engine/pcap/index.ts';
import { seededRandom } from '../engine/util/random.ts';

const AUDIT = 'L2L4AC1G102ZO2L4AC1G101ZI1F401F4ZN34';
const DAC = { address: '172.16.1.3', port: 1700 };
const NAS = { address: '172.16.1.2', port: 1700 };

function setup() {
  const das = new DynamicAuthServer({ clients: [{ address: DAC.address, secret: 'dae_key', name: 'radius' }], local: NAS });
  const dac = new RadiusClient({ servers: [{ address: NAS.address, daePort: NAS.port, secret: 'dae_key' }], local: DAC, random: seededRandom('dac'), timeoutMs: 2000, retries: 1 });
  return { das, dac };
}

const sends = (a: (RadiusClientAction | DaeAction)[]) => a.filter((x): x is { type: 'send'; datagram: Datagram } & typeof x => x.type === 'send').map((x) => (x as { datagram: Datagram }).datagram);
const requests = (a: DaeAction[]) => a.filter((x): x is Extract<DaeAction, { type: 'request' }> => x.type === 'request').map((x) => x.request);

/** DAC -> DAS -> (application) -> DAS -> DAC; returns the DAS request and the DAC result. */
function exchange(das: DynamicAuthServer, dac: RadiusClient, input: ReturnType<typeof disconnectRequest>, decide: (r: DaeRequest) => void) {
  dac.send(input, 0);
  const [out] = sends(dac.pollActions());
  das.handleDatagram({ local: NAS, remote: DAC, data: out!.data }, 1);
  const [req] = requests(das.pollActions());
  decide(req!);
  const [back] = sends(das.pollActions());
  dac.handleDatagram({ local: DAC, remote: NAS, data: back!.data }, 2);
  const result = dac.pollActions().find((a) => a.type === 'response');
  return { req: req!, result: result as Extract<RadiusClientAction, { type: 'response' }>, responseBytes: back!.data };
}

test('R-09: PoD by audit-session-id gets Disconnect-ACK', (t) => {
  const { das, dac } = setup();
  const { req, result } = exchange(das, dac, disconnectRequest({ auditSessionId: AUDIT }), (r) => das.ack(r.handle));
  t.is(req.kind, 'disconnect');
  t.is(req.session.auditSessionId, AUDIT);
  t.is(req.client, 'radius');
  t.deepEqual(req.changes, []);
  t.deepEqual(daeOutcome(result.response), { ack: true, code: 'Disconnect-ACK' });
  t.is(das.counters.get('acks'), 1);
});

test('R-09: a stale id gets the seed NAK: Reply-Message "No Matching Session", Error-Cause 404 (0x194)', (t) => {
  const { das, dac } = setup();
  const { result, responseBytes } = exchange(das, dac, disconnectRequest({ auditSessionId: AUDIT }),
    (r) => das.nak(r.handle, IOS_NO_MATCHING_SESSION.errorCause, { replyMessage: IOS_NO_MATCHING_SESSION.replyMessage }));
  t.deepEqual(daeOutcome(result.response), {
    ack: false, code: 'Disconnect-NAK', errorCause: 404, errorCauseName: 'Invalid-Request', replyMessage: 'No Matching Session',
  });
  // The attribute bytes of the seed's debug (S2:1042-1043): "18 21 4E6F...6F6E" and "101 6 00000194".
  const raw = decodeRawPacket(responseBytes).attributes;
  t.deepEqual(raw.map((a) => [a.type, a.value.length + 2, a.value.toString('hex').toUpperCase()]), [
    [18, 21, '4E6F204D61746368696E672053657373696F6E'],
    [101, 6, '00000194'],
  ]);
  t.is(ErrorCause.InvalidRequest, 0x194);
});

test('R-10/R-11: a CoA carries its changes apart from the session identification', (t) => {
  const { das, dac } = setup();
  const changes = [
    { name: 'Cisco-AVPair', value: 'ip:interface-config=service-policy input Input-QoS-policy-2' },
    { name: 'Cisco-AVPair', value: 'ip:interface-config=service-policy output Output-QoS-policy-2' },
    { name: 'Cisco-AVPair', value: 'ip:inacl#3=permit 1.1.1.1' },
  ];
  const { req, result } = exchange(das, dac, coaRequest({ auditSessionId: AUDIT, auditSessionIdProtocol: 'ip' }, changes), (r) => das.ack(r.handle));
  t.is(req.kind, 'coa');
  t.is(req.session.auditSessionId, AUDIT);
  t.deepEqual(req.changes, changes);
  t.is(result.response.code, RadiusCode.CoaAck);
});

test('NAK without a reason defaults to 503 Session Context Not Found (RFC 5176)', (t) => {
  const { das, dac } = setup();
  const { result } = exchange(das, dac, coaRequest({ userName: 'carol' }, [{ name: 'Session-Timeout', value: 60 }]), (r) => das.nak(r.handle));
  t.deepEqual(daeOutcome(result.response), { ack: false, code: 'CoA-NAK', errorCause: 503, errorCauseName: 'Session-Context-Not-Found' });
});

test('unknown clients and wrong secrets are dropped silently, counted with a reason', (t) => {
  const { das, dac } = setup();
  dac.send(disconnectRequest({ userName: 'carol' }), 0);
  const [d] = sends(dac.pollActions());
  das.handleDatagram({ local: NAS, remote: { address: '10.9.9.9', port: 1700 }, data: d!.data }, 1);
  const wrong = new RadiusClient({ servers: [{ address: NAS.address, daePort: NAS.port, secret: 'not_the_key' }], local: DAC });
  wrong.send(disconnectRequest({ userName: 'carol' }), 0);
  das.handleDatagram({ local: NAS, remote: DAC, data: sends(wrong.pollActions())[0]!.data }, 1);
  const out = das.pollActions();
  t.deepEqual(sends(out), []);
  t.deepEqual(requests(out), []);
  t.is(das.counters.get('drop.unknown-client'), 1);
  t.is(das.counters.get('drop.bad-authenticator'), 1);
});

test('a retransmitted request is not acted on twice; once answered, it gets the same answer', (t) => {
  const { das, dac } = setup();
  dac.send(disconnectRequest({ auditSessionId: AUDIT }), 0);
  const [d] = sends(dac.pollActions());
  das.handleDatagram({ local: NAS, remote: DAC, data: d!.data }, 1);
  const [req] = requests(das.pollActions());
  das.handleDatagram({ local: NAS, remote: DAC, data: d!.data }, 2);
  t.deepEqual(das.pollActions().filter((a) => a.type !== 'event'), [], 'pending: nothing yet');
  das.ack(req!.handle);
  const [first] = sends(das.pollActions());
  das.handleDatagram({ local: NAS, remote: DAC, data: d!.data }, 3);
  const again = das.pollActions();
  t.deepEqual(requests(again), []);
  t.deepEqual(sends(again)[0]!.data, first!.data);
  t.is(das.counters.get('duplicates'), 2);
  // After the cache time a new request with the same id is a new request.
  das.handleTimeout(40_000);
  das.handleDatagram({ local: NAS, remote: DAC, data: d!.data }, 40_001);
  t.is(requests(das.pollActions()).length, 1);
});

test("radclient's captured Disconnect-Request (pr-dae-secret) is accepted and our ACK is the captured one", (t) => {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/interop-samples/eap-radius-dae/dae-disconnect.pcap');
  const [req, ack] = udpDatagrams(readCaptureFile(file).records);
  const das = new DynamicAuthServer({ clients: [{ address: '198.19.0.2', secret: 'pr-dae-secret' }], local: { address: '198.19.0.1', port: 3799 } });
  das.handleDatagram({ local: { address: '198.19.0.1', port: 3799 }, remote: { address: req!.src, port: req!.sport }, data: req!.payload }, 0);
  const [r] = requests(das.pollActions());
  t.deepEqual(r!.session, { userName: 'carol' });
  das.ack(r!.handle);
  const [out] = sends(das.pollActions());
  t.deepEqual(out!.data, ack!.payload);
  t.deepEqual(out!.remote, { address: '198.19.0.2', port: req!.sport });
});
