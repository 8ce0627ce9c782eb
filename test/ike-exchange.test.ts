// Two sans-IO engines talking in memory under a virtual clock: authentication methods, DH groups,
// cipher suites, proposals, NAT detection, cookies and INVALID_KE_PAYLOAD.

import test from 'ava';
import { pair, profile, eventsOf, messages, HUB_ADDR, SPOKE_ADDR } from './helpers/ike.ts';
import type { Ikev2Proposal } from '../engine/ike/config.ts';
import { EncrId, IntegId } from '../engine/ike/constants.ts';
import type { Datagram } from '../engine/ike/actions.ts';

function childKeysMatch(t: import('ava').ExecutionContext, p: ReturnType<typeof pair>): void {
  const [ci] = [...p.spoke.installed.values()];
  const [cr] = [...p.hub.installed.values()];
  t.truthy(ci && cr, 'both sides installed a CHILD SA');
  t.is(ci!.spiOut, cr!.spiIn, 'initiator sends on the SPI the responder receives on');
  t.is(ci!.spiIn, cr!.spiOut);
  t.deepEqual(ci!.keysOut, cr!.keysIn, 'initiator->responder keys agree');
  t.deepEqual(ci!.keysIn, cr!.keysOut, 'responder->initiator keys agree');
}

test('PSK with smart defaults on both ends negotiates AES-CBC-256/SHA512/group 5 (F-CORE-12)', (t) => {
  const p = pair();
  p.up();
  const [i] = p.spoke.engine.ikeSas();
  const [r] = p.hub.engine.ikeSas();
  for (const sa of [i!, r!]) {
    t.is(sa.status, 'READY');
    t.is(sa.encr, 'AES-CBC');
    t.is(sa.keysize, 256);
    t.is(sa.prf, 'SHA512');
    t.is(sa.hash, 'SHA512');
    t.is(sa.dhGroup, 5);
    t.is(sa.authSign, 'PSK');
    t.is(sa.authVerify, 'PSK');
  }
  t.is(r!.remoteId, 'spoke1.flexlab.test');
  t.is(i!.remoteId, 'hub.flexlab.test');
  t.true(i!.initiator);
  t.false(r!.initiator);
  t.is(i!.spiI, r!.spiI);
  t.is(i!.spiR, r!.spiR);
  // Smart-default transform set: esp-aes (128) esp-sha-hmac.
  t.is(i!.children[0]!.suite, 'esp-aes esp-sha-hmac');
  t.is(r!.children[0]!.suite, 'esp-aes esp-sha-hmac');
  childKeysMatch(t, p);
  // IKE_AUTH goes 4500 -> 4500 after the float (forced UDP encapsulation).
  t.is(i!.local.port, 4500);
  t.is(i!.remote.port, 4500);
  t.deepEqual(messages(p.spoke, 'out').map((m) => `${m.exchange}:${m.messageId}`), ['IKE_SA_INIT:0', 'IKE_AUTH:1']);
  // The responder's final IKE_AUTH response carries the IOS-like notifies (F-CORE-08/09).
  const resp = messages(p.hub, 'out').find((m) => m.exchange === 'IKE_AUTH')!;
  t.regex(resp.payloads, /^IDr AUTH SA TSi TSr .*NOTIFY\(ESP_TFC_PADDING_NOT_SUPPORTED\) NOTIFY\(NON_FIRST_FRAGMENTS_ALSO\) NOTIFY\(SET_WINDOW_SIZE\)/);
  t.is(r!.remoteWindow, 5);
});

test('asymmetric pre-shared keys (F-AUTH-02) work and a wrong key fails with AUTHENTICATION_FAILED', (t) => {
  const ok = pair({ initiator: { pskLocal: 'spoke-key', pskRemote: 'hub-key' }, responder: { pskLocal: 'hub-key', pskRemote: 'spoke-key' } });
  ok.up();
  t.true(ok.established());

  const bad = pair({ initiator: { psk: 'right' }, responder: { psk: 'wrong' } });
  bad.initiate();
  bad.net.runUntil(() => false, 10_000);
  t.false(bad.established());
  t.is(eventsOf(bad.hub, 'auth-failed').length, 1);
  t.regex(eventsOf(bad.hub, 'auth-failed')[0]!.text, /pre-shared key AUTH payload does not verify/);
  t.is(eventsOf(bad.spoke, 'auth-failed').length, 1, 'initiator learns of the failure from the AUTHENTICATION_FAILED notify');
  t.is(bad.spoke.engine.ikeSas().length, 0, 'no SA left on the initiator');
  t.is(bad.hub.engine.ikeSas().length, 0, 'no SA left on the responder');
});

for (const [label, i, r, method] of [
  ['RSA certificates (RFC 7427 digital signature)', 'spoke1-rsa', 'hub-rsa', 'RSA'],
  ['ECDSA P-256 certificates (RFC 7427 digital signature)', 'spoke1-ec', 'hub-ec', 'ECDSA'],
] as const) {
  test(`${label}`, (t) => {
    const auth = method === 'RSA' ? 'rsa' : 'ecdsa';
    const p = pair({
      initiator: { auth, certName: i, identity: { type: 'fqdn', value: 'spoke1.flexlab.test' } },
      responder: { auth, certName: r, identity: { type: 'fqdn', value: 'hub.flexlab.test' } },
    });
    p.up();
    const [sa] = p.hub.engine.ikeSas();
    t.is(sa!.authSign, method);
    t.is(sa!.authVerify, method);
    const auth1 = messages(p.spoke, 'out').find((m) => m.exchange === 'IKE_AUTH')!;
    t.regex(auth1.payloads, /^IDi CERT NOTIFY\(INITIAL_CONTACT\) CERTREQ AUTH /);
    childKeysMatch(t, p);
  });
}

test('signature methods without RFC 7427: RSA method 1 and ECDSA method 9 when the peer sends no SIGNATURE_HASH_ALGORITHMS', (t) => {
  for (const [auth, i, r, expect] of [['rsa', 'spoke1-rsa', 'hub-rsa', 'RSA'], ['ecdsa', 'spoke1-ec', 'hub-ec', 'ECDSA']] as const) {
    const p = pair({
      initiator: { auth, certName: i, identity: { type: 'fqdn', value: 'spoke1.flexlab.test' } },
      responder: { auth, certName: r, identity: { type: 'fqdn', value: 'hub.flexlab.test' } },
    });
    // Strip SIGNATURE_HASH_ALGORITHMS from IKE_SA_INIT by making the hub think the spoke lacks it.
    p.initiate();
    p.net.runUntil(() => p.hub.engine.ikeSas().length > 0, 1000);
    for (const e of [p.spoke.engine, p.hub.engine]) for (const v of e.ikeSas()) e.ikeSa(v.id)!.peerSignatureHashes = [];
    t.true(p.net.runUntil(p.established, 10_000));
    const sa = p.hub.engine.ikeSas()[0]!;
    t.is(sa.authVerify, expect);
  }
});

test('a certificate from an unknown CA, an expired one, and a name the certificate does not vouch for are rejected', (t) => {
  for (const [certName, identity, why] of [
    ['rogue-rsa', 'spoke1.flexlab.test', /rejected/],
    ['expired-rsa', 'spoke1.flexlab.test', /rejected/],
    ['spoke2-rsa', 'spoke1.flexlab.test', /not vouched for/],
  ] as const) {
    const p = pair({
      initiator: { auth: 'rsa', certName, identity: { type: 'fqdn', value: identity } },
      responder: { auth: 'rsa', certName: 'hub-rsa', identity: { type: 'fqdn', value: 'hub.flexlab.test' } },
    });
    p.initiate();
    p.net.runUntil(() => false, 10_000);
    t.false(p.established(), certName);
    const failedEv = eventsOf(p.hub, 'auth-failed');
    t.is(failedEv.length, 1, certName);
    t.regex(failedEv[0]!.text, why, certName);
  }
});

test('profile selection by identity (F-CORE-11): the first matching profile with an acceptable method wins; no match fails', (t) => {
  const profiles = [
    profile({ name: 'by-domain', match: [{ type: 'fqdn', value: 'other.test', domain: true }], psk: 'a', identity: { type: 'fqdn', value: 'hub.flexlab.test' } }),
    profile({ name: 'flexlab', match: [{ type: 'fqdn', value: 'flexlab.test', domain: true }], psk: 'cisco123', identity: { type: 'fqdn', value: 'hub.flexlab.test' } }),
    profile({ name: 'catch-all', match: [{ type: 'any' }], psk: 'b' }),
  ];
  const p = pair({ responderProfiles: profiles });
  p.up();
  t.is(p.hub.engine.ikeSas()[0]!.profile, 'flexlab');

  const q = pair({ responderProfiles: [profiles[0]!], seed: 'nomatch' });
  q.initiate();
  q.net.runUntil(() => false, 5000);
  t.regex(eventsOf(q.hub, 'auth-failed')[0]!.text, /no IKEv2 profile matches identity fqdn "spoke1.flexlab.test"/);
});

const GROUPS = [2, 5, 14, 15, 16, 19, 20, 21, 31];
for (const g of GROUPS) {
  test(`DH group ${g}`, (t) => {
    const proposals: Ikev2Proposal[] = [{ name: 'p', encryption: ['aes-cbc-128'], integrity: ['sha256'], group: [g] }];
    const p = pair({ initiator: { proposals }, responder: { proposals }, seed: `g${g}` });
    p.up();
    t.is(p.hub.engine.ikeSas()[0]!.dhGroup, g);
    t.deepEqual(p.spoke.keys[0]!.skEi, p.hub.keys[0]!.skEi);
    t.deepEqual(p.spoke.keys[0]!.skAr, p.hub.keys[0]!.skAr);
  });
}

const SUITES: Array<[string, Ikev2Proposal, string]> = [
  ['AES-CBC-128/SHA1', { name: 's', encryption: ['aes-cbc-128'], integrity: ['sha1'], group: [14] }, 'esp-aes esp-sha-hmac'],
  ['AES-CBC-192/SHA256', { name: 's', encryption: ['aes-cbc-192'], integrity: ['sha256'], group: [14] }, 'esp-aes 192 esp-sha256-hmac'],
  ['AES-CBC-256/SHA384', { name: 's', encryption: ['aes-cbc-256'], integrity: ['sha384'], group: [14] }, 'esp-aes 256 esp-sha384-hmac'],
  ['AES-CBC-256/SHA512', { name: 's', encryption: ['aes-cbc-256'], integrity: ['sha512'], group: [14] }, 'esp-aes 256 esp-sha512-hmac'],
  ['AES-GCM-128/PRF-SHA256', { name: 's', encryption: ['aes-gcm-128'], integrity: [], prf: ['sha256'], group: [19] }, 'esp-gcm 128'],
  ['AES-GCM-256/PRF-SHA384', { name: 's', encryption: ['aes-gcm-256'], integrity: [], prf: ['sha384'], group: [20] }, 'esp-gcm 256'],
  ['3DES/SHA1 (Windows-style)', { name: 's', encryption: ['3des'], integrity: ['sha1'], group: [2] }, 'esp-3des esp-sha-hmac'],
];
for (const [label, prop, esp] of SUITES) {
  test(`cipher suite ${label} for IKE, ${esp} for ESP`, (t) => {
    const p = pair({ initiator: { proposals: [prop], transforms: [esp] }, responder: { proposals: [prop], transforms: [esp] }, seed: label });
    p.up();
    const sa = p.hub.engine.ikeSas()[0]!;
    t.is(sa.suite!.encr, prop.encryption[0]!.startsWith('aes-gcm') ? EncrId.AES_GCM_16 : prop.encryption[0] === '3des' ? EncrId.TRIPLE_DES : EncrId.AES_CBC);
    if (prop.encryption[0]!.startsWith('aes-gcm')) t.is(sa.suite!.integ, IntegId.NONE);
    t.is(sa.children[0]!.suite, esp);
    childKeysMatch(t, p);
  });
}

test('proposal selection follows the initiator order among mutually supported transforms', (t) => {
  const initiator: Ikev2Proposal = { name: 'i', encryption: ['aes-cbc-128', 'aes-cbc-256'], integrity: ['sha256', 'sha512'], group: [14, 19] };
  const responder: Ikev2Proposal = { name: 'r', encryption: ['aes-cbc-256', 'aes-cbc-128'], integrity: ['sha512', 'sha256'], group: [19, 14] };
  const p = pair({ initiator: { proposals: [initiator] }, responder: { proposals: [responder] } });
  p.up();
  const sa = p.hub.engine.ikeSas()[0]!;
  t.is(sa.keysize, 128);
  t.is(sa.hash, 'SHA256');
  t.is(sa.dhGroup, 14);
});

test('no common proposal: NO_PROPOSAL_CHOSEN, no state on the responder', (t) => {
  const p = pair({
    initiator: { proposals: [{ name: 'i', encryption: ['aes-cbc-128'], integrity: ['sha1'], group: [2] }] },
    responder: { proposals: [{ name: 'r', encryption: ['aes-gcm-256'], integrity: [], prf: ['sha384'], group: [20] }] },
  });
  p.initiate();
  p.net.runUntil(() => false, 5000);
  t.false(p.established());
  t.is(p.hub.engine.ikeSas().length, 0);
  t.is(p.hub.engine.counterSnapshot()['ike-sa-init-rejected.NO_PROPOSAL_CHOSEN'], 1);
  t.regex(eventsOf(p.spoke, 'ike-failed')[0]!.text, /NO_PROPOSAL_CHOSEN/);
});

test('INVALID_KE_PAYLOAD: the initiator retries with the group the responder asks for', (t) => {
  const p = pair({
    initiator: { proposals: [{ name: 'i', encryption: ['aes-cbc-256'], integrity: ['sha256'], group: [19, 14] }] },
    responder: { proposals: [{ name: 'r', encryption: ['aes-cbc-256'], integrity: ['sha256'], group: [14] }] },
  });
  p.up();
  t.is(p.hub.engine.ikeSas()[0]!.dhGroup, 14);
  t.is(eventsOf(p.spoke, 'invalid-ke').length, 1);
  t.is(p.hub.engine.counterSnapshot()['ike-sa-init-rejected.INVALID_KE_PAYLOAD'], 1);
  const inits = messages(p.spoke, 'out').filter((m) => m.exchange === 'IKE_SA_INIT');
  t.is(inits.length, 2);
  t.true(inits.every((m) => m.messageId === 0));
});

test('cookies: above the half-open threshold the responder demands one statelessly and the initiator echoes it', (t) => {
  const p = pair({ responderSettings: { cookieThreshold: 0 } });
  p.up();
  t.is(p.hub.engine.counterSnapshot()['cookies-demanded'], 1);
  t.is(p.hub.engine.counterSnapshot()['cookies-accepted'], 1);
  t.is(eventsOf(p.spoke, 'cookie-received').length, 1);
  const inits = messages(p.spoke, 'out').filter((m) => m.exchange === 'IKE_SA_INIT');
  t.is(inits.length, 2);
  t.regex(inits[1]!.payloads, /^NOTIFY\(COOKIE\) SA KE N/, 'the cookie is the first payload of the repeated request');
  t.is(p.hub.engine.ikeSas().length, 1, 'only one SA was created on the responder');
});

test('cookies: a spoofed IKE_SA_INIT burst creates half-open SAs up to the threshold, then costs the responder nothing', (t) => {
  const p = pair({ responderSettings: { cookieThreshold: 5, halfOpenTimeout: 30 } });
  // 50 spoofed initiators that never answer: forge their IKE_SA_INIT by replaying the spoke's first message with new SPIs.
  p.initiate();
  p.net.flush();
  const first = p.spoke.sent[0]!;
  const forged: Datagram[] = [];
  for (let i = 0; i < 50; i++) {
    const data = Buffer.from(first.data);
    data.writeUInt32BE(0x10000000 + i, 0); // another SPIi
    forged.push({ local: { address: `198.51.100.${i + 1}`, port: 500 }, remote: first.remote, data });
  }
  for (const d of forged) p.hub.engine.handleDatagram({ local: d.remote, remote: d.local, data: d.data }, p.net.now);
  p.net.flush();
  t.is(p.hub.engine.halfOpenCount, 5, 'state only up to the threshold');
  t.is(p.hub.engine.counterSnapshot()['cookies-demanded'], 45);
  // The real spoke still connects: its retransmission gets a cookie demand, it echoes the cookie.
  t.true(p.net.runUntil(p.established, 30_000));
});

test('NAT traversal through a NAT router: detection, float to 4500, and the responder follows a rebinding', (t) => {
  const p = pair({ settings: { forceEncap: false } });
  const NAT_ADDR = '203.0.113.5';
  let natPort = 40001;
  // NAT: spoke's source 192.0.2.10:X becomes 203.0.113.5:natPort; replies are translated back.
  const map = new Map<number, number>();
  p.net.addFilter((d) => {
    if (d.local.address === SPOKE_ADDR) {
      if (!map.has(d.local.port)) map.set(d.local.port, natPort++);
      return { ...d, local: { address: NAT_ADDR, port: map.get(d.local.port)! } };
    }
    if (d.remote.address === NAT_ADDR) {
      const inner = [...map].find(([, v]) => v === d.remote.port);
      return inner ? { ...d, remote: { address: SPOKE_ADDR, port: inner[0] } } : 'drop';
    }
    return 'pass';
  });
  // Delivery goes by address: make the NAT address reach the spoke.
  p.spoke.address = SPOKE_ADDR;
  const hubView = () => p.hub.engine.ikeSas()[0]!;
  p.up();
  t.true(hubView().nat.remote, 'hub sees the spoke behind a NAT');
  t.false(hubView().nat.local);
  t.true(p.spoke.engine.ikeSas()[0]!.nat.local, 'spoke knows it is behind a NAT');
  t.is(hubView().remote.address, NAT_ADDR);
  t.is(hubView().remote.port, map.get(4500)!);
  // Rebinding: the NAT forgets its mappings; the next packet from 4500 gets a new outer port.
  map.clear();
  natPort = 50001;
  const spokeSa = p.spoke.engine.ikeSas()[0]!;
  p.spoke.engine.dpd(spokeSa.id, p.net.now);
  p.net.settle(100);
  t.is(hubView().remote.port, 50001, 'the responder updated the peer port from an authenticated request');
  t.truthy(eventsOf(p.hub, 'peer-address-changed').length);
  const update = p.hub.actions.filter((a) => a.type === 'update-endpoints').at(-1);
  t.is(update?.type === 'update-endpoints' ? update.remote.port : 0, 50001, 'the data plane is told to follow');
  // NAT keepalives from the side behind the NAT (RFC 3948), every 20 s.
  const before = p.spoke.engine.counterSnapshot()['nat-keepalives-sent'] ?? 0;
  p.net.advance(61_000);
  t.true((p.spoke.engine.counterSnapshot()['nat-keepalives-sent'] ?? 0) - before >= 3);
  t.is(p.hub.engine.counterSnapshot()['nat-keepalives-sent'] ?? 0, 0);
  void HUB_ADDR;
});

test('forced UDP encapsulation (fake NAT) behind a real NAT still sends NAT keepalives; without a NAT it sends none', (t) => {
  // The daemon always forces encapsulation (no kernel ESP). Faking our NAT_DETECTION_SOURCE_IP must
  // not hide a real NAT: the peer's NAT_DETECTION_DESTINATION_IP tells us the truth (RFC 7296
  // 2.23), and the node behind the NAT keeps its mapping alive (RFC 3948 4). Found by the interop
  // matrix: an idle tunnel behind a NAT sent no keepalives at all.
  for (const behindNat of [true, false]) {
    const p = pair({ settings: { forceEncap: true } });
    if (behindNat) {
      const NAT_ADDR = '203.0.113.5';
      const map = new Map<number, number>();
      let natPort = 40001;
      p.net.addFilter((d) => {
        if (d.local.address === SPOKE_ADDR) {
          if (!map.has(d.local.port)) map.set(d.local.port, natPort++);
          return { ...d, local: { address: NAT_ADDR, port: map.get(d.local.port)! } };
        }
        if (d.remote.address === NAT_ADDR) {
          const inner = [...map].find(([, v]) => v === d.remote.port);
          return inner ? { ...d, remote: { address: SPOKE_ADDR, port: inner[0] } } : 'drop';
        }
        return 'pass';
      });
    }
    p.up();
    const spokeSa = p.spoke.engine.ikeSas()[0]!;
    t.true(spokeSa.nat.faked, 'encapsulation is forced');
    t.is(spokeSa.nat.local, behindNat, 'the real NAT is still detected');
    p.net.advance(61_000);
    const sent = p.spoke.engine.counterSnapshot()['nat-keepalives-sent'] ?? 0;
    if (behindNat) t.true(sent >= 3, `keepalives behind a NAT: ${sent}`);
    else t.is(sent, 0, 'no keepalives when only the NAT is faked');
    t.is(p.hub.engine.counterSnapshot()['nat-keepalives-sent'] ?? 0, 0, 'the side not behind a NAT sends none');
  }
});
