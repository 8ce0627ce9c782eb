// MS-CHAPv2 known answers: RFC 2759 section 9.2 (NT hash, challenge hash, NT-Response,
// authenticator response), RFC 3079 section 3.5 (MasterKey, start keys), and the FreeRADIUS 3.2.1
// EAP-MSCHAPv2 exchange of the interop sample capture (user carol / carol-pass-123): our peer and
// server computations reproduce its NT-Response, its "S=" message and the MS-MPPE keys it sent.

import test from 'ava';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  authenticatorResponseText, challengeHash, generateAuthenticatorResponse, generateNtResponse, getAsymmetricStartKey, getMasterKey,
  hashNtPasswordHash, mschapUserName, mschapV2Keys, mskFromMppeKeys, ntPasswordHash,
} from '../engine/eap/mschapv2-crypto.ts';
import { MsChapV2OpCode, decodeMsChapV2, encodeMsChapV2, parseFailureMessage, parseSuccessMessage } from '../engine/eap/mschapv2-packet.ts';
import { decodeEap } from '../engine/eap/packet.ts';
import { readCaptureFile, udpDatagrams } from '../engine/pcap/index.ts';
import { decodeRequest, decodeResponse } from '../engine/radius/message.ts';
import { getBytes } from '../engine/radius/attributes.ts';
import type { RadiusMessage } from '../engine/radius/message.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 2759 section 9.2
const USER = 'User';
const PASSWORD = 'clientPass';
const AUTH_CHALLENGE = h('5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28');
const PEER_CHALLENGE = h('21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E');

test('RFC 2759 9.2: ChallengeHash, NtPasswordHash, NT-Response, AuthenticatorResponse', (t) => {
  t.is(challengeHash(PEER_CHALLENGE, AUTH_CHALLENGE, USER).toString('hex'), 'd02e4386bce91226');
  t.is(ntPasswordHash(PASSWORD).toString('hex'), '44ebba8d5312b8d611474411f56989ae');
  t.is(hashNtPasswordHash(ntPasswordHash(PASSWORD)).toString('hex'), '41c00c584bd2d91c4017a2a12fa59f3f');
  const nt = generateNtResponse(AUTH_CHALLENGE, PEER_CHALLENGE, USER, PASSWORD);
  t.is(nt.toString('hex'), '82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df');
  t.is(authenticatorResponseText(generateAuthenticatorResponse(PASSWORD, nt, PEER_CHALLENGE, AUTH_CHALLENGE, USER)),
    'S=407A5589115FD0D6209F510FE9C04566932CDA56');
});

test('RFC 3079 3.5: MasterKey and the 128-bit send start key; the MSK layout', (t) => {
  const nt = h('82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF');
  const master = getMasterKey(h('41C00C584BD2D91C4017A2A12FA59F3F'), nt);
  t.is(master.toString('hex'), 'fdece3717a8c838cb388e527ae3cdd31');
  // RFC 3079 3.5.3 SendStartKey128 (IsSend, IsServer); 3.5.1 gives its first 8 bytes for 40-bit keys.
  t.is(getAsymmetricStartKey(master, 16, true, true).toString('hex'), '8b7cdc149b993a1ba118cb153f56dccb');
  t.is(getAsymmetricStartKey(master, 8, true, true).toString('hex'), '8b7cdc149b993a1b');
  // The client's send key is the server's receive key.
  t.deepEqual(getAsymmetricStartKey(master, 16, true, false), getAsymmetricStartKey(master, 16, false, true));
  const k = mschapV2Keys(PASSWORD, nt);
  t.deepEqual(k.masterSendKey, getAsymmetricStartKey(master, 16, true, true));
  t.is(k.msk.length, 64);
  t.deepEqual(k.msk, Buffer.concat([k.masterReceiveKey, k.masterSendKey, Buffer.alloc(32)]));
  t.deepEqual(mskFromMppeKeys(k.masterReceiveKey, k.masterSendKey), k.msk);
});

test('user names lose a Windows domain in ChallengeHash only', (t) => {
  t.is(mschapUserName('CORP\\carol'), 'carol');
  t.is(mschapUserName('carol@example.com'), 'carol@example.com');
  t.deepEqual(challengeHash(PEER_CHALLENGE, AUTH_CHALLENGE, 'DOMAIN\\User'), challengeHash(PEER_CHALLENGE, AUTH_CHALLENGE, USER));
});

test('Success and Failure message parsing (RFC 2759 sections 5 and 6)', (t) => {
  const s = parseSuccessMessage('S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Access granted');
  t.is(s.authResponse?.toString('hex'), '407a5589115fd0d6209f510fe9c04566932cda56');
  t.is(s.message, 'Access granted');
  t.is(parseSuccessMessage('S=short').authResponse, undefined);
  const f = parseFailureMessage('E=691 R=0 C=00112233445566778899AABBCCDDEEFF V=3 M=Authentication failed');
  t.is(f.error, 691);
  t.false(f.retry);
  t.is(f.challenge?.toString('hex'), '00112233445566778899aabbccddeeff');
  t.is(f.version, 3);
  t.is(f.message, 'Authentication failed');
});

const capture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/interop-samples/eap-radius-dae/radius-eap-mschapv2.pcap');

function captureMessages(): { request: RadiusMessage; response: RadiusMessage }[] {
  const out: { request: RadiusMessage; response: RadiusMessage }[] = [];
  const pending = new Map<number, RadiusMessage>();
  for (const d of udpDatagrams(readCaptureFile(capture).records)) {
    if (d.dport === 1812 || d.dport === 1813) pending.set(d.payload[1]!, decodeRequest(d.payload, 'pr-radius-secret'));
    else {
      const request = pending.get(d.payload[1]!)!;
      out.push({ request, response: decodeResponse(d.payload, request, 'pr-radius-secret') });
    }
  }
  return out;
}

test('FreeRADIUS sample: NT-Response, "S=" and MS-MPPE keys all match our computation for carol', (t) => {
  const pairs = captureMessages();
  const eap = (m: RadiusMessage) => decodeEap(getBytes(m.attributes, 'EAP-Message')!);
  const challenge = decodeMsChapV2(eap(pairs[0]!.response).data);
  const response = decodeMsChapV2(eap(pairs[1]!.request).data);
  const success = decodeMsChapV2(eap(pairs[1]!.response).data);
  if (challenge.opcode !== MsChapV2OpCode.Challenge || response.opcode !== MsChapV2OpCode.Response || success.opcode !== MsChapV2OpCode.Success) {
    return t.fail('unexpected MSCHAPv2 opcodes in the sample');
  }
  t.is(challenge.name, 'freeradius-3.2.1');
  t.is(response.name, 'carol');
  // The peer (strongSwan) answered the server challenge with exactly what RFC 2759 gives for the password.
  t.deepEqual(generateNtResponse(challenge.challenge, response.peerChallenge, 'carol', 'carol-pass-123'), response.ntResponse);
  // FreeRADIUS's authenticator response is ours.
  t.is(success.message, authenticatorResponseText(generateAuthenticatorResponse('carol-pass-123', response.ntResponse, response.peerChallenge, challenge.challenge, 'carol')));
  // And the keys in the Access-Accept (decrypted with the secret and the request authenticator).
  const accept = pairs[2]!.response;
  const keys = mschapV2Keys('carol-pass-123', response.ntResponse);
  t.deepEqual(getBytes(accept.attributes, 'MS-MPPE-Recv-Key'), keys.masterReceiveKey);
  t.deepEqual(getBytes(accept.attributes, 'MS-MPPE-Send-Key'), keys.masterSendKey);
  t.deepEqual(mskFromMppeKeys(getBytes(accept.attributes, 'MS-MPPE-Recv-Key')!, getBytes(accept.attributes, 'MS-MPPE-Send-Key')!), keys.msk);
});

test('EAP-MSCHAPv2 packets of the sample re-encode byte for byte', (t) => {
  const pairs = captureMessages();
  const all = [pairs[0]!.response, pairs[1]!.request, pairs[1]!.response, pairs[2]!.request].map((m) => decodeEap(getBytes(m.attributes, 'EAP-Message')!));
  for (const p of all) t.deepEqual(encodeMsChapV2(decodeMsChapV2(p.data)), p.data);
  const successResponse = decodeMsChapV2(all[3]!.data);
  t.deepEqual(successResponse, { opcode: MsChapV2OpCode.Success });
});
