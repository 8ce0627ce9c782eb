// EAP peer and server sessions against each other (sans-IO, seeded randomness): every method, the
// Nak to a supported method (F-AUTH-05), wrong passwords, a server that does not know the password
// (MSCHAPv2 mutual authentication), premature EAP-Success, Notification, duplicate Requests, and the
// MSK agreement of key-generating methods (F-AUTH-07).

import test from 'ava';
import { EapCode, EapType } from '../engine/eap/constants.ts';
import type { EapMethodName } from '../engine/eap/constants.ts';
import { decodeEap, encodeEap, identityRequest } from '../engine/eap/packet.ts';
import { EapPeer } from '../engine/eap/peer.ts';
import type { EapPeerResult } from '../engine/eap/peer.ts';
import { EapServer } from '../engine/eap/server.ts';
import type { EapServerResult } from '../engine/eap/server.ts';
import { MsChapV2OpCode, decodeMsChapV2, encodeMsChapV2 } from '../engine/eap/mschapv2-packet.ts';
import { seededRandom } from '../engine/util/random.ts';

interface Run {
  peer: EapPeerResult;
  server: EapServerResult;
  /** Each packet as "S:Request/MD5-Challenge" / "P:Response/Nak", in order. */
  trace: string[];
}

const typeName = (b: Buffer) => {
  const p = decodeEap(b);
  const code = ['', 'Request', 'Response', 'Success', 'Failure'][p.code];
  return p.type === undefined ? code : `${code}/${p.type}`;
};

function converse(peer: EapPeer, server: EapServer, first?: EapServerResult): Run {
  const trace: string[] = [];
  let s = first ?? server.start();
  let p: EapPeerResult = { kind: 'ignore', reason: 'not started' };
  for (let i = 0; i < 20; i++) {
    if (s.kind === 'ignore') return { peer: p, server: s, trace };
    trace.push(`S:${typeName(s.bytes)}`);
    p = peer.process(s.bytes);
    if (p.kind !== 'send') return { peer: p, server: s, trace };
    trace.push(`P:${typeName(p.bytes)}`);
    s = server.process(p.bytes);
  }
  throw new Error('conversation did not end');
}

const users: Record<string, { password: string; methods?: EapMethodName[] }> = {
  carol: { password: 'carol-pass-123' },
  dave: { password: 'dave-pass-456', methods: ['md5'] },
};

function pair(opts: { serverMethods?: EapMethodName[]; peerMethods?: EapMethodName[]; identity?: string; password?: string; seed?: string } = {}) {
  const identity = opts.identity ?? 'carol';
  const peer = new EapPeer({ identity, password: opts.password ?? users[identity]?.password ?? 'x', ...(opts.peerMethods ? { methods: opts.peerMethods } : {}), random: seededRandom(`${opts.seed ?? 's'}-peer`) });
  const server = new EapServer({ methods: opts.serverMethods ?? ['mschapv2', 'md5', 'gtc'], lookup: (id) => users[id], random: seededRandom(`${opts.seed ?? 's'}-server`), serverName: 'flexlab-test' });
  return { peer, server };
}

for (const method of ['mschapv2', 'md5', 'gtc'] as const) {
  test(`${method}: identity, method rounds, EAP-Success on both sides`, (t) => {
    const { peer, server } = pair({ serverMethods: [method] });
    const r = converse(peer, server);
    t.is(r.server.kind, 'success');
    t.is(r.peer.kind, 'success');
    if (r.server.kind !== 'success' || r.peer.kind !== 'success') return;
    t.is(r.server.identity, 'carol');
    t.is(r.server.method, method);
    t.is(r.peer.method, method);
    if (method === 'mschapv2') {
      // Key-generating: both ends hold the same 64-byte MSK.
      t.is(r.server.msk?.length, 64);
      t.deepEqual(r.peer.msk, r.server.msk);
      t.deepEqual(r.trace, ['S:Request/1', 'P:Response/1', 'S:Request/26', 'P:Response/26', 'S:Request/26', 'P:Response/26', 'S:Success']);
    } else {
      t.is(r.server.msk, undefined);
      t.is(r.peer.msk, undefined);
      t.deepEqual(r.trace, ['S:Request/1', 'P:Response/1', `S:Request/${method === 'md5' ? 4 : 6}`, `P:Response/${method === 'md5' ? 4 : 6}`, 'S:Success']);
    }
  });

  test(`${method}: a wrong password ends in EAP-Failure on both sides`, (t) => {
    const { peer, server } = pair({ serverMethods: [method], password: 'not-the-password' });
    const r = converse(peer, server);
    t.is(r.server.kind, 'failure');
    t.is(r.peer.kind, 'failure');
    t.is(r.trace.at(-1), 'S:Failure');
  });
}

test('F-AUTH-05: the peer Naks an unsupported method and lists its own; the server switches', (t) => {
  const { peer, server } = pair({ serverMethods: ['md5', 'gtc', 'mschapv2'], peerMethods: ['mschapv2', 'gtc'] });
  const r = converse(peer, server);
  t.is(r.server.kind, 'success');
  t.is(r.peer.kind, 'success');
  t.deepEqual(peer.naksSent, [[EapType.MsChapV2, EapType.Gtc]]);
  t.deepEqual(r.trace.slice(0, 5), ['S:Request/1', 'P:Response/1', 'S:Request/4', 'P:Response/3', 'S:Request/26']);
  t.is(server.methodName, 'mschapv2');
});

test('a Nak naming nothing the user may use ends in EAP-Failure', (t) => {
  const { peer, server } = pair({ identity: 'dave', serverMethods: ['md5', 'mschapv2'], peerMethods: ['mschapv2'] });
  const r = converse(peer, server);
  t.is(r.server.kind, 'failure');
  if (r.server.kind === 'failure') t.regex(r.server.reason, /Nak'd md5 asking for MSCHAPv2; none of them is allowed/);
  t.is(r.peer.kind, 'failure');
});

test('an unknown identity is refused at once', (t) => {
  const { peer, server } = pair({ identity: 'mallory' });
  const r = converse(peer, server);
  t.is(r.server.kind, 'failure');
  if (r.server.kind === 'failure') t.is(r.server.reason, 'unknown user "mallory"');
});

test('pass-through start: the server begins from a relayed Response/Identity', (t) => {
  const { peer, server } = pair({ serverMethods: ['mschapv2'] });
  // The NAS asked for the identity itself (IKE_AUTH), then relays the answer (RFC 3579 2.1).
  const id = peer.process(encodeEap(identityRequest(0)));
  if (id.kind !== 'send') return t.fail();
  const first = server.process(id.bytes);
  t.is(first.kind, 'send');
  if (first.kind === 'send') t.is(first.packet.identifier, 1, 'next identifier after the NAS\'s');
  const r = converse(peer, server, first);
  t.is(r.server.kind, 'success');
  t.is(r.peer.kind, 'success');
});

test('MSCHAPv2 mutual authentication: a server with the wrong password cannot make the peer accept', (t) => {
  const peer = new EapPeer({ identity: 'carol', password: 'carol-pass-123', random: seededRandom('p') });
  const server = new EapServer({ methods: ['mschapv2'], lookup: () => ({ password: 'carol-pass-123' }), random: seededRandom('s') });
  let s = server.start();
  let p = peer.process((s as { bytes: Buffer }).bytes); // identity
  s = server.process((p as { bytes: Buffer }).bytes); // challenge
  p = peer.process((s as { bytes: Buffer }).bytes); // response
  s = server.process((p as { bytes: Buffer }).bytes); // success request "S=..."
  if (s.kind !== 'send') return t.fail();
  // A man in the middle forges the Success message with a wrong authenticator response.
  const forged = { ...s.packet, data: encodeMsChapV2({ opcode: MsChapV2OpCode.Success, msId: (decodeMsChapV2(s.packet.data) as { msId: number }).msId, message: `S=${'0'.repeat(40)}` }) };
  const r = peer.process(encodeEap(forged));
  t.is(r.kind, 'failure');
  if (r.kind === 'failure') t.regex(r.reason, /authenticator response/);
  // And an EAP-Success after that is not accepted either.
  t.is(peer.process(Buffer.from([3, forged.identifier, 0, 4])).kind, 'ignore');
});

test('EAP-Success before the method completed is refused by the peer', (t) => {
  const peer = new EapPeer({ identity: 'carol', password: 'x', methods: ['mschapv2'] });
  t.is(peer.process(encodeEap(identityRequest(5))).kind, 'send');
  const r = peer.process(Buffer.from([EapCode.Success, 6, 0, 4]));
  t.is(r.kind, 'failure');
  if (r.kind === 'failure') t.is(r.reason, 'EAP-Success without any authentication method');
});

test('Notification is answered; a duplicate Request gets the same Response; junk is ignored', (t) => {
  const peer = new EapPeer({ identity: 'carol', password: 'x' });
  const n = peer.process(encodeEap({ code: EapCode.Request, identifier: 9, type: EapType.Notification, data: Buffer.from('hello') }));
  t.is(n.kind, 'send');
  if (n.kind === 'send') t.deepEqual(n.bytes, Buffer.from([2, 9, 0, 5, 2]));
  const a = peer.process(encodeEap(identityRequest(10)));
  const b = peer.process(encodeEap(identityRequest(10)));
  if (a.kind !== 'send' || b.kind !== 'send') return t.fail();
  t.deepEqual(a.bytes, b.bytes);
  t.is(b.note, 'retransmitted Response');
  t.is(peer.process(Buffer.from([1, 2, 0])).kind, 'ignore');
  t.is(peer.process(Buffer.from([2, 11, 0, 5, 1])).kind, 'ignore', 'a Response is not for a peer');
});

test('the server ignores a Response that does not answer its outstanding Request', (t) => {
  const { peer, server } = pair({ serverMethods: ['md5'] });
  const s = server.start();
  if (s.kind !== 'send') return t.fail();
  const p = peer.process(s.bytes);
  if (p.kind !== 'send') return t.fail();
  const wrong = Buffer.from(p.bytes);
  wrong[1] = (wrong[1]! + 1) & 0xff;
  t.is(server.process(wrong).kind, 'ignore');
  t.is(server.process(p.bytes).kind, 'send', 'the right one still works');
});
