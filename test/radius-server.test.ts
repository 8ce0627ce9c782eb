// The built-in RADIUS server core, sans-IO, driven by our own NAS client: PAP (the AAA-PSK lookup of
// R-05 with Tunnel-Password and Cisco AV pairs), group + user reply merging, CHAP, EAP pass-through
// with our EAP peer for every method (MSK from MS-MPPE keys equal to the peer's), Nak, rejects,
// State handling, accounting records, retransmissions, unknown clients; config checks.

import test from 'ava';
import { RadiusClient } from '../engine/radius/client.ts';
import type { RadiusClientAction } from '../engine/radius/client.ts';
import { RadiusCode } from '../engine/radius/constants.ts';
import { getBytes, getText } from '../engine/radius/attributes.ts';
import type { Avp } from '../engine/radius/attributes.ts';
import { RadiusServerCore } from '../engine/radius/server/core.ts';
import type { RadiusServerAction } from '../engine/radius/server/core.ts';
import { checkServerConfig, resolveServerConfig } from '../engine/radius/server/config.ts';
import type { RadiusServerConfig } from '../engine/radius/server/config.ts';
import type { RadiusMessage } from '../engine/radius/message.ts';
import { EapPeer } from '../engine/eap/peer.ts';
import { encodeEap, identityRequest } from '../engine/eap/packet.ts';
import { mskFromMppeKeys } from '../engine/eap/mschapv2-crypto.ts';
import { chapMd5 } from '../engine/eap/methods/md5.ts';
import type { Datagram } from '../engine/ike/actions.ts';
import { seededRandom } from '../engine/util/random.ts';

const NAS = { address: '172.16.1.2', port: 40000 };
const SERVER = { address: '172.16.1.3', port: 1812 };

const CONFIG: RadiusServerConfig = {
  clients: [{ address: '172.16.1.0/24', secret: 'radius_key', name: 'hub' }, { address: '172.16.1.2', secret: 'hub_only_key', name: 'hub-exact' }],
  users: {
    router1: { password: 'cisco', reply: { 'Tunnel-Password': 'pre_shared_key', 'Cisco-AVPair': ['ipsec:route-set=interface', 'ipsec:route-accept=any', 'ipsec:route-set=prefix 192.168.1.1/24'] } },
    User1: { password: 'User1-pw', groups: ['domain1'], reply: { 'Framed-IP-Address': '10.0.0.77', 'Cisco-AVPair': ['ip:interface-config=ip mtu 1200', 'ip:interface-config=tunnel key 2'], 'Session-Timeout': 600 } },
    md5only: { password: 'm', eap: ['md5'] },
  },
  groups: {
    domain1: { reply: { 'Cisco-AVPair': ['ip:interface-config=tunnel key 1', 'ip:interface-config=ip mtu 1000'], 'Session-Timeout': 3600, 'Framed-IP-Netmask': '255.255.255.0' } },
  },
  eap: { methods: ['mschapv2', 'md5', 'gtc'], 'server-name': 'flexlab-test' },
};

function setup(config: RadiusServerConfig = CONFIG) {
  const server = new RadiusServerCore(resolveServerConfig(config), { random: seededRandom('server') });
  const nas = new RadiusClient({ servers: [{ address: SERVER.address, secret: 'hub_only_key' }], local: NAS, random: seededRandom('nas') });
  let now = 0;
  /** The server's other actions (events, accounting records), in order. */
  const log: RadiusServerAction[] = [];
  /** Sends one request through both cores; returns the response (or undefined if the server stayed silent). */
  const ask = (code: RadiusCode, attributes: Avp[]): RadiusMessage | undefined => {
    nas.send({ code, attributes }, now);
    for (let i = 0; i < 4; i++) {
      for (const a of nas.pollActions()) {
        if (a.type === 'send') server.handleDatagram({ local: { ...SERVER, port: code === RadiusCode.AccountingRequest ? 1813 : 1812 }, remote: NAS, data: a.datagram.data }, ++now);
        if (a.type === 'response') return a.response;
      }
      for (const a of server.pollActions()) {
        if (a.type === 'send') nas.handleDatagram({ local: NAS, remote: a.datagram.local, data: a.datagram.data }, ++now);
        else log.push(a);
      }
    }
    const pending = nas.pollActions().filter((a: RadiusClientAction) => a.type === 'response');
    return pending.length ? (pending[0] as Extract<RadiusClientAction, { type: 'response' }>).response : undefined;
  };
  return { server, nas, ask, log };
}

const attrs = (m: RadiusMessage | undefined) => (m?.attributes ?? []).filter((a) => a.name !== 'Message-Authenticator').map((a) => `${a.name}${a.tag !== undefined ? `:${a.tag}` : ''}=${Buffer.isBuffer(a.value) ? 'bytes' : a.value}`);

test('R-05: PAP lookup of router1 returns the symmetric key and the AV pairs', (t) => {
  const { ask } = setup();
  const r = ask(RadiusCode.AccessRequest, [
    { name: 'User-Name', value: 'router1' }, { name: 'User-Password', value: 'cisco' }, { name: 'Service-Type', value: 'Outbound-User' },
    { name: 'Calling-Station-Id', value: '172.16.1.1' }, { name: 'Cisco-AVPair', value: 'audit-session-id=L2L4AC1G102ZO2L4AC1G101ZI1F401F4ZN34' },
  ]);
  t.is(r?.code, RadiusCode.AccessAccept);
  t.deepEqual(attrs(r), [
    'Tunnel-Password:0=pre_shared_key', 'Cisco-AVPair=ipsec:route-set=interface', 'Cisco-AVPair=ipsec:route-accept=any',
    'Cisco-AVPair=ipsec:route-set=prefix 192.168.1.1/24',
  ]);
  t.is(r?.attributes[0]?.name, 'Message-Authenticator');
});

test('F-AUTHZ-04 material: group attributes first, then the user\'s; user values replace the group\'s except AV pairs', (t) => {
  const { ask } = setup();
  const r = ask(RadiusCode.AccessRequest, [{ name: 'User-Name', value: 'User1' }, { name: 'User-Password', value: 'User1-pw' }]);
  t.deepEqual(attrs(r), [
    'Cisco-AVPair=ip:interface-config=tunnel key 1', 'Cisco-AVPair=ip:interface-config=ip mtu 1000', 'Framed-IP-Netmask=255.255.255.0',
    'Framed-IP-Address=10.0.0.77', 'Cisco-AVPair=ip:interface-config=ip mtu 1200', 'Cisco-AVPair=ip:interface-config=tunnel key 2', 'Session-Timeout=600',
  ]);
});

test('wrong password, unknown user, no credentials: Access-Reject with a logged reason', (t) => {
  const { ask, server, log } = setup();
  t.is(ask(RadiusCode.AccessRequest, [{ name: 'User-Name', value: 'router1' }, { name: 'User-Password', value: 'nope' }])?.code, RadiusCode.AccessReject);
  t.is(ask(RadiusCode.AccessRequest, [{ name: 'User-Name', value: 'ghost' }, { name: 'User-Password', value: 'x' }])?.code, RadiusCode.AccessReject);
  t.is(ask(RadiusCode.AccessRequest, [{ name: 'User-Name', value: 'router1' }])?.code, RadiusCode.AccessReject);
  const reasons = log.filter((a) => a.type === 'event' && a.event.type === 'access-reject').map((a) => (a as { event: { data?: { reason?: string } } }).event.data?.reason);
  t.deepEqual(reasons, ['PAP: wrong password', 'unknown user', 'no password, CHAP, MS-CHAP or EAP in the request']);
  t.is(server.counters.get('access-reject'), 3);
});

test('CHAP (RFC 2865 5.3) with a CHAP-Challenge', (t) => {
  const { ask } = setup();
  const challenge = Buffer.alloc(16, 7);
  const ok = ask(RadiusCode.AccessRequest, [
    { name: 'User-Name', value: 'router1' }, { name: 'CHAP-Challenge', value: challenge },
    { name: 'CHAP-Password', value: Buffer.concat([Buffer.from([5]), chapMd5(5, 'cisco', challenge)]) },
  ]);
  t.is(ok?.code, RadiusCode.AccessAccept);
  const bad = ask(RadiusCode.AccessRequest, [
    { name: 'User-Name', value: 'router1' }, { name: 'CHAP-Challenge', value: challenge },
    { name: 'CHAP-Password', value: Buffer.concat([Buffer.from([5]), chapMd5(5, 'wrong', challenge)]) },
  ]);
  t.is(bad?.code, RadiusCode.AccessReject);
});

/** EAP pass-through as the hub does it: EAP-Identity itself, then relay with State (F-AUTH-06). */
function eapThroughRadius(ask: ReturnType<typeof setup>['ask'], peer: EapPeer, userName: string) {
  const codes: string[] = [];
  let eapOut = peer.process(encodeEap(identityRequest(0)));
  let state: Buffer | undefined;
  for (let i = 0; i < 10; i++) {
    if (eapOut.kind !== 'send') throw new Error(`peer: ${eapOut.kind}`);
    const r = ask(RadiusCode.AccessRequest, [
      { name: 'User-Name', value: userName }, { name: 'Service-Type', value: 'Login-User' }, { name: 'EAP-Message', value: eapOut.bytes },
      ...(state ? [{ name: 'State', value: state }] : []),
    ]);
    if (!r) throw new Error('no answer');
    codes.push(RadiusCode[r.code]);
    state = getBytes(r.attributes, 'State');
    const eapIn = getBytes(r.attributes, 'EAP-Message')!;
    const result = peer.process(eapIn);
    if (r.code !== RadiusCode.AccessChallenge) return { codes, accept: r, peerResult: result };
    eapOut = result;
  }
  throw new Error('did not finish');
}

for (const method of ['mschapv2', 'md5', 'gtc'] as const) {
  test(`EAP-${method} through RADIUS: Access-Challenge rounds, Access-Accept with EAP-Success${method === 'mschapv2' ? ' and the MSK' : ''}`, (t) => {
    const { ask, server } = setup({ ...CONFIG, eap: { methods: [method] } });
    const peer = new EapPeer({ identity: 'User1', password: 'User1-pw', random: seededRandom('peer') });
    const { codes, accept, peerResult } = eapThroughRadius(ask, peer, 'User1');
    t.deepEqual(codes, method === 'mschapv2' ? ['AccessChallenge', 'AccessChallenge', 'AccessAccept'] : ['AccessChallenge', 'AccessAccept']);
    t.is(peerResult.kind, 'success');
    t.is(getText(accept.attributes, 'User-Name'), 'User1');
    t.true(attrs(accept).includes('Framed-IP-Address=10.0.0.77'), 'the user\'s reply attributes come with the Accept');
    const recv = getBytes(accept.attributes, 'MS-MPPE-Recv-Key');
    const send = getBytes(accept.attributes, 'MS-MPPE-Send-Key');
    if (method === 'mschapv2') {
      if (peerResult.kind !== 'success') return;
      t.deepEqual(mskFromMppeKeys(recv!, send!), peerResult.msk, 'NAS MSK from MS-MPPE keys = peer MSK');
    } else {
      t.is(recv, undefined);
      t.is(send, undefined);
    }
    t.is(server.eapConversations, 0, 'conversation state released');
  });
}

test('EAP: the peer Naks MSCHAPv2 and gets GTC; a user limited to MD5 gets MD5', (t) => {
  const { ask } = setup();
  const peer = new EapPeer({ identity: 'User1', password: 'User1-pw', methods: ['gtc'] });
  const r = eapThroughRadius(ask, peer, 'User1');
  t.is(r.peerResult.kind, 'success');
  t.deepEqual(peer.naksSent, [[6]]);
  const p2 = new EapPeer({ identity: 'md5only', password: 'm' });
  const r2 = eapThroughRadius(ask, p2, 'md5only');
  t.is(r2.peerResult.kind, 'success');
  t.is(p2.methodName, 'md5');
});

test('EAP wrong password: Access-Reject carrying EAP-Failure', (t) => {
  const { ask } = setup();
  const peer = new EapPeer({ identity: 'User1', password: 'bad', random: seededRandom('x') });
  const { codes, accept, peerResult } = eapThroughRadius(ask, peer, 'User1');
  t.deepEqual(codes, ['AccessChallenge', 'AccessChallenge', 'AccessReject']);
  t.is(getBytes(accept.attributes, 'EAP-Message')?.[0], 4);
  t.is(peerResult.kind, 'failure');
});

test('EAP with an unknown State is rejected; conversations expire after the EAP timeout', (t) => {
  const { ask, server } = setup();
  const peer = new EapPeer({ identity: 'User1', password: 'User1-pw' });
  const id = peer.process(encodeEap(identityRequest(0)));
  if (id.kind !== 'send') return t.fail();
  const r = ask(RadiusCode.AccessRequest, [{ name: 'User-Name', value: 'User1' }, { name: 'EAP-Message', value: id.bytes }, { name: 'State', value: Buffer.alloc(16, 1) }]);
  t.is(r?.code, RadiusCode.AccessReject);
  t.is(server.counters.get('eap.unknown-state'), 1);
  const c = ask(RadiusCode.AccessRequest, [{ name: 'User-Name', value: 'User1' }, { name: 'EAP-Message', value: id.bytes }]);
  t.is(c?.code, RadiusCode.AccessChallenge);
  t.is(server.eapConversations, 1);
  server.handleTimeout(31_000);
  t.is(server.eapConversations, 0);
  t.is(server.counters.get('eap.expired'), 1);
});

test('accounting Start and Stop are recorded with their attributes and answered', (t) => {
  const { ask, server, log } = setup();
  const common: Avp[] = [
    { name: 'Acct-Session-Id', value: '00000007' }, { name: 'User-Name', value: 'router1.domain1' }, { name: 'Calling-Station-Id', value: '172.16.1.1' },
    { name: 'NAS-IP-Address', value: '172.16.1.2' }, { name: 'Cisco-AVPair', value: 'audit-session-id=L2L4AC1G102ZO2L4AC1G101ZI1F401F4ZN34' },
    { name: 'Cisco-AVPair', value: 'isakmp-initator-ip=172.16.1.1' },
  ];
  t.is(ask(RadiusCode.AccountingRequest, [{ name: 'Acct-Status-Type', value: 'Start' }, ...common, { name: 'Acct-Authentic', value: 'Local' }, { name: 'Acct-Delay-Time', value: 0 }])?.code, RadiusCode.AccountingResponse);
  t.is(ask(RadiusCode.AccountingRequest, [{ name: 'Acct-Status-Type', value: 'Stop' }, ...common,
    { name: 'Acct-Session-Time', value: 34 }, { name: 'Acct-Input-Octets', value: 13020 }, { name: 'Acct-Output-Octets', value: 17640 },
    { name: 'Acct-Input-Packets', value: 105 }, { name: 'Acct-Output-Packets', value: 105 }, { name: 'Acct-Terminate-Cause', value: 0 }])?.code, RadiusCode.AccountingResponse);
  const recs = server.accounting;
  t.deepEqual(recs.map((r) => [r.status, r.userName, r.acctSessionId, r.auditSessionId, r.client]), [
    ['Start', 'router1.domain1', '00000007', 'L2L4AC1G102ZO2L4AC1G101ZI1F401F4ZN34', 'hub-exact'],
    ['Stop', 'router1.domain1', '00000007', 'L2L4AC1G102ZO2L4AC1G101ZI1F401F4ZN34', 'hub-exact'],
  ]);
  t.is(recs[1]!.attributes['Acct-Input-Octets'], 13020);
  t.is(recs[1]!.attributes['Acct-Terminate-Cause'], 0);
  t.deepEqual(recs[0]!.attributes['Cisco-AVPair'], ['audit-session-id=L2L4AC1G102ZO2L4AC1G101ZI1F401F4ZN34', 'isakmp-initator-ip=172.16.1.1']);
  t.is(recs[0]!.attributes['Acct-Authentic'], 'Local');
  const actions = log.filter((a) => a.type === 'accounting');
  t.is(actions.length, 2, 'each record also goes to the shell for the log');
});

test('a retransmitted request gets the cached answer without a second EAP round or record', (t) => {
  const server = new RadiusServerCore(resolveServerConfig(CONFIG), { random: seededRandom('s') });
  const nas = new RadiusClient({ servers: [{ address: SERVER.address, secret: 'hub_only_key' }], local: NAS, random: seededRandom('n') });
  nas.send({ code: RadiusCode.AccountingRequest, attributes: [{ name: 'Acct-Status-Type', value: 'Start' }, { name: 'Acct-Session-Id', value: 'x' }] }, 0);
  const d = nas.pollActions().find((a) => a.type === 'send') as { datagram: Datagram };
  server.handleDatagram({ local: SERVER, remote: NAS, data: d.datagram.data }, 1);
  server.handleDatagram({ local: SERVER, remote: NAS, data: d.datagram.data }, 2);
  const sent = server.pollActions().filter((a) => a.type === 'send') as { datagram: Datagram }[];
  t.is(sent.length, 2);
  t.deepEqual(sent[0]!.datagram.data, sent[1]!.datagram.data);
  t.is(server.accounting.length, 1);
  t.is(server.counters.get('duplicates'), 1);
});

test('requests from unknown clients or with the wrong secret are dropped; the most specific client prefix wins', (t) => {
  const server = new RadiusServerCore(resolveServerConfig(CONFIG));
  const other = new RadiusClient({ servers: [{ address: SERVER.address, secret: 'radius_key' }], local: NAS });
  other.send({ code: RadiusCode.AccessRequest, attributes: [{ name: 'User-Name', value: 'router1' }, { name: 'User-Password', value: 'cisco' }] }, 0);
  const data = (other.pollActions().find((a) => a.type === 'send') as { datagram: Datagram }).datagram.data;
  // 172.16.1.2 is configured exactly with hub_only_key: radius_key (the /24's) does not verify.
  server.handleDatagram({ local: SERVER, remote: NAS, data }, 1);
  // 172.16.1.9 falls under the /24 with radius_key: accepted.
  server.handleDatagram({ local: SERVER, remote: { address: '172.16.1.9', port: 1 }, data }, 2);
  // 10.0.0.1 is nobody.
  server.handleDatagram({ local: SERVER, remote: { address: '10.0.0.1', port: 1 }, data }, 3);
  const sent = server.pollActions().filter((a) => a.type === 'send') as { datagram: Datagram }[];
  t.deepEqual(sent.map((s) => s.datagram.remote.address), ['172.16.1.9']);
  t.is(server.counters.get('drop.bad-message-authenticator'), 1);
  t.is(server.counters.get('drop.unknown-client'), 1);
});

test('config checks: prefixes, attribute names (with a suggestion) and values, group references', (t) => {
  const issues = checkServerConfig({
    clients: [{ address: '10.0.0.300', secret: 'x' }],
    users: {
      a: { password: 'p', groups: ['nogroup'], reply: { 'Framed-IP-Adress': '1.2.3.4', 'Framed-IP-Address': 'not-an-ip' } },
    },
    groups: { g: { reply: { 'Cisco-AVPair': 'x'.repeat(300) } } },
  });
  t.deepEqual(issues.map((i) => `${i.path.join('.')}: ${i.message}`), [
    'clients.0.address: "10.0.0.300" is not an IP address or prefix',
    'users.a.groups.0: group "nogroup" is not defined under groups',
    'users.a.reply.Framed-IP-Adress: unknown RADIUS attribute "Framed-IP-Adress" (did you mean "Framed-IP-Address"?)',
    'users.a.reply.Framed-IP-Address: Framed-IP-Address: "not-an-ip" is not an IPv4 address',
    'groups.g.reply.Cisco-AVPair: Cisco-AVPair: value of 300 bytes exceeds 247 (VSA)',
  ]);
});
