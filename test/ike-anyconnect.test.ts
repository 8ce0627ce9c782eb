// AnyConnect-EAP (aggregate authentication, F-AUTH-11..13) between two in-memory engines: the
// config-auth XML sequence, the headend terminating EAP (local users or a RADIUS stand-in, never an
// EAP-Message relay), the SK_p-keyed AUTH, dual-factor with the device certificate, and the
// negative cases of the seeds (wrong password, missing vendor ID, untrusted device certificate).

import test from 'ava';
import { pair, eventsOf, messages, pki } from './helpers/ike.ts';
import type { Pair, ProfileOptions } from './helpers/ike.ts';
import { CISCO_VENDOR_IDS } from '../engine/ike/vendor-ids.ts';
import { AnyConnectServer, AnyConnectPeer, AnyConnectTlv, decodeTlvs, parseConfigAuth, buildCertsOnlyPkcs7, parseCertsOnlyPkcs7, DEFAULT_ANYCONNECT_VENDOR_TYPE } from '../engine/eap/anyconnect/index.ts';
import { decodeEap, EapType } from '../engine/eap/index.ts';
import { seededRandom } from '../engine/util/random.ts';
import type { AaaRequest } from '../engine/ike/actions.ts';


const AC_VIDS = [CISCO_VENDOR_IDS.COPYRIGHT, CISCO_VENDOR_IDS.ANYCONNECT_EAP, CISCO_VENDOR_IDS.FRAGMENTATION];
const AC_ID = { type: 'key-id' as const, value: '*$AnyConnectClient$*' };

function acPair(o: { client?: Partial<ProfileOptions>; server?: Partial<ProfileOptions>; seed?: string } = {}): Pair {
  return pair({
    seed: o.seed ?? 'ac',
    initiator: {
      authLocal: 'eap', authRemote: ['rsa-sig'], identity: AC_ID, vendorIds: AC_VIDS,
      anyconnectClient: { username: 'test', password: 'cisco123' }, configMode: { requestAddress: true }, ...o.client,
    },
    responder: {
      auth: 'rsa', certName: 'hub-rsa', identity: { type: 'fqdn', value: 'hub.flexlab.test' }, authRemote: ['anyconnect-eap'],
      match: [{ type: 'key-id', value: '*$AnyConnectClient$*' }], vendorIds: [CISCO_VENDOR_IDS.COPYRIGHT, CISCO_VENDOR_IDS.ANYCONNECT_EAP],
      anyconnectServer: { certRequest: false, aaa: 'local', users: { test: 'cisco123' } }, configMode: { pool: '192.168.10.5-192.168.10.10' }, ...o.server,
    },
  });
}

test('AnyConnect-EAP with the local user database: hello, init, auth-request, auth-reply, complete, ack, then AUTH with SK_p (R-13)', (t) => {
  const p = acPair();
  p.up();
  const [hub] = p.hub.engine.ikeSas();
  const [client] = p.spoke.engine.ikeSas();
  t.is(hub!.authSign, 'RSA');
  t.is(hub!.authVerify, 'AnyConnect-EAP');
  t.is(hub!.remoteId, '*$AnyConnectClient$*');
  t.is(hub!.remoteEapId, 'test');
  t.is(client!.authSign, 'AnyConnect-EAP');
  t.deepEqual(client!.anyconnect!.transcript, ['<hello', '>init', '<auth-request', '>auth-reply', '<complete', '>ack']);
  t.truthy(client!.anyconnect!.sessionId);
  t.regex(client!.anyconnect!.sessionToken!, /@/);
  // The hub logs what IOS logs (S3:464-523).
  const notes = eventsOf(p.hub, 'info').map((e) => e.text);
  for (const line of ["Sending AnyConnect EAP 'hello' request", "Sending AnyConnect EAP 'auth-request'", "Sending AnyConnect EAP 'VERIFY' request"]) t.true(notes.includes(line), line);
  t.truthy(notes.find((n) => /received vendor ID: CISCO\(COPYRIGHT\)/.test(n)));
  t.truthy(eventsOf(p.spoke, 'info').find((e) => /no MSK: the final AUTH is keyed by SK_pi\/SK_pr/.test(e.text)));
  const out = messages(p.spoke, 'out').filter((m) => m.exchange === 'IKE_AUTH');
  t.notRegex(out[0]!.payloads, /AUTH/, 'the first IKE_AUTH request has no AUTH');
  t.is(out.length, 5, 'init, auth-reply, ack, final AUTH: 4 EAP round trips plus the AUTH');
  t.is(hub!.assignedAddress, '192.168.10.5', 'the first pool address');
});

test('the wire format: expanded EAP type 254, vendor 9, vendor type 0x44425250, XML in TLV 0', (t) => {
  const random = seededRandom('wire');
  const server = new AnyConnectServer({ certRequest: false, random, tunnelGroup: 'AnyConnect-EAP' });
  const hello = server.start();
  t.is(hello.kind, 'send');
  const pkt = decodeEap((hello as { bytes: Buffer }).bytes);
  t.is(pkt.type, EapType.Expanded);
  t.is(pkt.vendorId, 9);
  t.is(pkt.vendorType, DEFAULT_ANYCONNECT_VENDOR_TYPE);
  const tlvs = decodeTlvs(pkt.data);
  t.is(tlvs[0]!.type, AnyConnectTlv.XML);
  const doc = parseConfigAuth(tlvs[0]!.value.toString());
  t.is(doc.type, 'hello');
  t.is(doc.root['@aggregate-auth-version'], '2');
  t.is(doc.root['@client'], 'vpn');
  // A client configured for another vendor type refuses the method (the value is a setting).
  const peer = new AnyConnectPeer({ username: 'u', password: 'p', vendorType: 0x1234, groupAccess: 'https://x', header: { version: '1', deviceId: { computerName: 'c', deviceType: 'd', platformVersion: 'p', uniqueId: 'u', uniqueIdGlobal: 'g', value: 'v' }, macAddresses: ['m'] } });
  const r = peer.process((hello as { bytes: Buffer }).bytes);
  t.is(r.kind, 'failure');
  t.regex((r as { reason: string }).reason, /not AnyConnect-EAP/);
});

test('PKCS7 certificates-only container round-trips the chain', (t) => {
  const der = buildCertsOnlyPkcs7([pki.cert('client1-rsa'), pki.cert('ca')]);
  const back = parseCertsOnlyPkcs7(der);
  t.deepEqual(back.map((c) => c.fingerprint256), [pki.cert('client1-rsa').fingerprint256, pki.cert('ca').fingerprint256]);
  t.throws(() => parseCertsOnlyPkcs7(Buffer.from('3003020101', 'hex')), { message: /signedData|SEQUENCE|DER/ });
});

test('a wrong password gets no complete: EAP-Failure, no SA on either side', (t) => {
  const p = acPair({ client: { anyconnectClient: { username: 'test', password: 'wrong' } } });
  p.initiate();
  p.net.runUntil(() => false, 10_000);
  t.false(p.established());
  const hubFail = eventsOf(p.hub, 'auth-failed')[0]!;
  t.regex(hubFail.text, /login of "test" failed: wrong password/);
  t.regex(eventsOf(p.spoke, 'auth-failed')[0]!.text, /refused the credentials/);
  t.false(eventsOf(p.hub, 'info').some((e) => /VERIFY/.test(e.text)), 'no complete was sent');
  t.is(p.hub.engine.ikeSas().length, 0);
});

test('a client without the CISCO-ANYCONNECT-EAP vendor ID is refused', (t) => {
  const p = acPair({ client: { vendorIds: [CISCO_VENDOR_IDS.COPYRIGHT] } });
  p.initiate();
  p.net.runUntil(() => false, 10_000);
  t.false(p.established());
  t.regex(eventsOf(p.hub, 'auth-failed')[0]!.text, /without the CISCO-ANYCONNECT-EAP vendor ID/);
});

test('an IKE identity not matching the profile is refused', (t) => {
  const p = acPair({ client: { identity: { type: 'key-id', value: 'Other-IKE-ID' } } });
  p.initiate();
  p.net.runUntil(() => false, 10_000);
  t.false(p.established());
  t.regex(eventsOf(p.hub, 'auth-failed')[0]!.text, /no IKEv2 profile matches identity key-id "Other-IKE-ID"/);
});

test('AnyConnect-EAP with RADIUS: a PAP-style login request, no EAP-Message relayed; reply attributes cached (R-14)', (t) => {
  const p = acPair({
    client: { identity: { type: 'key-id', value: 'AnyConnect-IKE-ID' }, anyconnectClient: { username: 'user@example.com', password: 'radius-pw' } },
    server: { match: [{ type: 'key-id', value: 'AnyConnect-IKE-ID' }], anyconnectServer: { certRequest: false, aaa: 'radius' }, authorization: { user: { source: 'cached' } } },
  });
  const seen: AaaRequest[] = [];
  p.hub.aaa = (req) => {
    seen.push(req);
    if (req.kind !== 'login') return undefined;
    const ok = req.userName === 'user@example.com' && req.password === 'radius-pw';
    return { requestId: req.requestId, outcome: ok ? 'accept' : 'reject', attributes: ok ? [{ name: 'cisco-avpair', value: 'ipsec:dns-servers=10.0.1.1' }] : [], server: '192.0.2.3' };
  };
  p.up();
  t.deepEqual(seen.map((r) => r.kind), ['login']);
  t.false(seen.some((r) => r.kind === 'eap'), 'no EAP pass-through');
  const [hub] = p.hub.engine.ikeSas();
  t.is(hub!.remoteId, 'AnyConnect-IKE-ID');
  t.is(hub!.remoteEapId, 'user@example.com');
  t.deepEqual(p.spoke.engine.ikeSas()[0]!.receivedConfig?.dns, ['10.0.1.1'], 'cached user attributes reach the client');
});

test('dual-factor: client-cert-request, init with PKCS7 and SIGN, then the credentials (R-15)', (t) => {
  const p = acPair({
    client: { certName: 'client1-rsa' },
    server: { anyconnectServer: { certRequest: true, aaa: 'local', users: { test: 'cisco123' } } },
  });
  p.up();
  const [client] = p.spoke.engine.ikeSas();
  t.deepEqual(client!.anyconnect!.transcript, ['<hello', '>init', '<auth-request+cert', '>init+cert', '<auth-request', '>auth-reply', '<complete', '>ack']);
  t.truthy(eventsOf(p.hub, 'info').find((e) => /device certificate ".*client1.*" verified/.test(e.text)));
  t.is(p.hub.engine.ikeSas()[0]!.remoteEapId, 'test');
});

test('dual-factor: an untrusted device certificate stops the exchange before the credential auth-request', (t) => {
  const p = acPair({
    client: { certName: 'rogue-rsa' },
    server: { anyconnectServer: { certRequest: true, aaa: 'local', users: { test: 'cisco123' } } },
  });
  p.initiate();
  p.net.runUntil(() => false, 10_000);
  t.false(p.established());
  t.regex(eventsOf(p.hub, 'auth-failed')[0]!.text, /device certificate authentication failed/);
  const authRequests = eventsOf(p.hub, 'info').filter((e) => e.text === "Sending AnyConnect EAP 'auth-request'");
  t.is(authRequests.length, 0, 'no credential request was sent');
});

test('dual-factor: a client with no device certificate fails the client-cert-request', (t) => {
  const p = acPair({ server: { anyconnectServer: { certRequest: true, aaa: 'local', users: { test: 'cisco123' } } } });
  p.initiate();
  p.net.runUntil(() => false, 10_000);
  t.false(p.established());
  t.regex(eventsOf(p.spoke, 'auth-failed')[0]!.text, /client-cert-request.*has none/);
});
