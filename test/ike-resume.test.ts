// IKEv2 session resumption (RFC 5723) between two engines in memory under the virtual clock: the
// ticket asked for and granted in IKE_AUTH, IKE_SESSION_RESUME + IKE_AUTH instead of a full
// exchange (both sides derive the same keys, from SK_d of the old SA as section 5.1 says), the
// refusals (a tampered, expired or replayed ticket, another gateway key) and the client's
// fallback to IKE_SA_INIT, a gateway restart with the same ticket key, ticket refresh, and a
// tshark check that the resumed exchange decodes and decrypts.

import test from 'ava';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pair, profile, eventsOf, messages, HUB_ADDR, SPOKE_ADDR } from './helpers/ike.ts';
import type { Pair, ProfileOptions } from './helpers/ike.ts';
import { IkeEngine } from '../engine/ike/engine.ts';
import type { Ikev2Profile, IkeEngineSettings } from '../engine/ike/config.ts';
import { ExchangeType, NotifyType, PayloadType } from '../engine/ike/constants.ts';
import type { Datagram } from '../engine/ike/actions.ts';
import type { NotifyPayload } from '../engine/ike/message.ts';
import { decodeHeader } from '../engine/ike/codec/header.ts';
import { decodeMessage, encodeMessage } from '../engine/ike/codec/message.ts';
import { seededRandom } from '../engine/util/random.ts';
import { prfInfo } from '../engine/ike/crypto/prf.ts';
import { ikev2DecryptionTableLine } from '../engine/ike/keyexport.ts';
import { PcapWriter } from '../engine/pcap/index.ts';
import { tsharkIkePayloads } from './helpers/tshark.ts';
import type { SimNode } from '../engine/sim/virtual-network.ts';

const TICKET_KEY = Buffer.alloc(32, 7);

function hubProfile(o: ProfileOptions & { ticketLifetime?: number; enabled?: boolean } = {}): Ikev2Profile {
  return {
    ...profile({ identity: { type: 'fqdn', value: 'hub.flexlab.test' }, configMode: { pool: '10.0.0.0/24' }, ...o }),
    resumption: { enabled: o.enabled ?? true, ticketLifetime: o.ticketLifetime ?? 600 },
  };
}

interface ResumePairOptions {
  hub?: ProfileOptions & { ticketLifetime?: number; enabled?: boolean };
  spoke?: ProfileOptions;
  hubSettings?: Partial<IkeEngineSettings>;
  seed?: string;
}

/** A spoke with `resume` and `connect auto` facing a hub that grants tickets, sealed with TICKET_KEY. */
function resumePair(o: ResumePairOptions = {}): Pair {
  const p = pair({
    seed: o.seed ?? 'resume',
    auto: true,
    initiator: { configMode: { requestAddress: true }, ...o.spoke },
    responderProfiles: [hubProfile(o.hub)],
    responderSettings: { resumption: { ticketKey: TICKET_KEY, keySource: 'test' }, ...o.hubSettings },
  });
  p.conn.resume = true;
  p.conn.retryDelay = 1;
  return p;
}

const live = (n: SimNode) => n.engine.ikeSas().filter((s) => s.state !== 'DELETED');
const established = (n: SimNode) => live(n).filter((s) => s.status === 'READY' && s.children.length > 0);
const resumeSteps = (n: SimNode) => eventsOf(n, 'resume').map((e) => e.data?.step);
const outExchanges = (n: SimNode, from = 0) => messages(n, 'out').slice(from).filter((m) => !m.response).map((m) => `${m.exchange}:${m.messageId}`);

function ikeHeader(d: Datagram) {
  const raw = d.local.port === 500 ? d.data : d.data.subarray(4);
  return { raw, h: decodeHeader(raw) };
}

function isResumeRequest(d: Datagram): boolean {
  if (d.data.length < 28) return false;
  const { h } = ikeHeader(d);
  return h.exchangeType === ExchangeType.IKE_SESSION_RESUME && !h.response;
}

/** Cuts the hub off (both directions) until the returned function is called. */
function isolate(p: Pair): () => void {
  return p.net.addFilter((d) => (d.remote.address === HUB_ADDR || d.local.address === HUB_ADDR ? 'drop' : 'pass'));
}

/** The hub deletes the spoke's IKE SA: the spoke (connect auto) comes back after its retry delay. */
function hubDeletes(p: Pair): number {
  const before = messages(p.spoke, 'out').length;
  p.hub.engine.deleteIke(established(p.hub)[0]!.id, p.net.now, 'test');
  return before;
}

test('a ticket is asked for in IKE_AUTH and granted with its lifetime (RFC 5723 4.1, 4.2)', (t) => {
  const p = resumePair();
  p.up();
  const req = messages(p.spoke, 'out').find((m) => m.exchange === 'IKE_AUTH')!;
  t.regex(req.payloads, /NOTIFY\(TICKET_REQUEST\)/);
  const resp = messages(p.hub, 'out').find((m) => m.exchange === 'IKE_AUTH')!;
  t.regex(resp.payloads, /NOTIFY\(TICKET_LT_OPAQUE\)/);
  const granted = eventsOf(p.hub, 'resume').find((e) => e.data?.step === 'ticket-granted')!;
  t.is(granted.data?.lifetime, 600);
  const got = eventsOf(p.spoke, 'resume').find((e) => e.data?.step === 'ticket-received')!;
  t.is(got.data?.lifetime, 600);
  t.is(got.data?.octets, granted.data?.octets);
  t.is(p.spoke.engine.counterSnapshot()['resume.tickets-received'], 1);
  t.is(p.hub.engine.counterSnapshot()['resume.tickets-granted'], 1);
  const [i] = established(p.spoke);
  t.deepEqual(i!.resumption?.ticket?.lifetime, 600);
  t.false(i!.resumption!.resumed);
  const view = p.spoke.engine.resumption.ticketView('tunnel0', p.net.now)!;
  t.is(view.gateway, HUB_ADDR);
  t.is(view.lifetime, 600);

  // A hub profile without resumption answers TICKET_NACK; a spoke that does not ask gets nothing.
  const q = resumePair({ hub: { enabled: false }, seed: 'nack' });
  q.up();
  t.regex(messages(q.hub, 'out').find((m) => m.exchange === 'IKE_AUTH')!.payloads, /NOTIFY\(TICKET_NACK\)/);
  t.deepEqual(resumeSteps(q.spoke), ['ticket-refused']);
  const r = resumePair({ seed: 'noask' });
  r.conn.resume = false;
  r.up();
  t.notRegex(messages(r.hub, 'out').find((m) => m.exchange === 'IKE_AUTH')!.payloads, /TICKET/);
  t.deepEqual(resumeSteps(r.hub), []);
});

test('resumption: IKE_SESSION_RESUME + IKE_AUTH, no IKE_SA_INIT, both sides derive the same keys from the old SK_d (RFC 5723 5.1)', (t) => {
  const p = resumePair();
  p.up();
  const oldHub = p.hub.engine.ikeSa(established(p.hub)[0]!.id)!;
  const oldSkD = Buffer.from(oldHub.keys!.skD);
  const oldAddress = established(p.hub)[0]!.assignedAddress!;
  const prfId = oldHub.suite!.prf;
  // Another client takes the next pool address meanwhile: the resumed session still gets its own.
  p.hub.engine.pools.all()[0]!.allocate('other', undefined);
  const from = hubDeletes(p);
  t.true(p.net.runUntil(() => established(p.spoke).length === 1 && established(p.hub).length === 1, 30_000));
  p.net.settle(10);

  t.deepEqual(outExchanges(p.spoke, from).filter((x) => !x.startsWith('INFORMATIONAL')), ['IKE_SESSION_RESUME:0', 'IKE_AUTH:1'], 'no IKE_SA_INIT for this reconnect');
  const resumeReq = messages(p.spoke, 'out').find((m) => m.exchange === 'IKE_SESSION_RESUME')!;
  t.regex(resumeReq.payloads, /^N NOTIFY\(TICKET_OPAQUE\) NOTIFY\(NAT_DETECTION_SOURCE_IP\) NOTIFY\(NAT_DETECTION_DESTINATION_IP\)/);
  const resumeResp = messages(p.hub, 'out').find((m) => m.exchange === 'IKE_SESSION_RESUME')!;
  t.regex(resumeResp.payloads, /^N NOTIFY\(NAT_DETECTION_SOURCE_IP\)/);
  const auth = messages(p.spoke, 'out').filter((m) => m.exchange === 'IKE_AUTH').at(-1)!;
  t.regex(auth.payloads, /^IDi IDr NOTIFY\(INITIAL_CONTACT\) AUTH CFG SA TSi TSr /);
  t.notRegex(auth.payloads, /CERT|EAP/);
  t.regex(auth.payloads, /NOTIFY\(TICKET_REQUEST\)/, 'the resumed IKE_AUTH asks for the next ticket');

  const [i] = established(p.spoke), [r] = established(p.hub);
  t.is(i!.spiI, r!.spiI);
  t.is(i!.spiR, r!.spiR);
  t.true(i!.resumption!.resumed);
  t.true(r!.resumption!.resumed);
  t.is(r!.resumption!.resumedFrom, `${oldHub.spiI.toString('hex')}_i ${oldHub.spiR.toString('hex')}_r`);
  t.is(r!.authVerify, 'PSK', 'the original authentication is remembered for show');
  t.is(r!.remoteId, 'spoke1.flexlab.test');
  t.is(i!.remoteId, 'hub.flexlab.test');
  t.is(r!.assignedAddress, oldAddress, 'the same inner address again');
  t.is(i!.receivedConfig?.address4, oldAddress);

  // Same keys on both sides, and SKEYSEED = prf(SK_d(old), "Resumption" | Ni | Nr).
  const si = p.spoke.engine.ikeSa(i!.id)!, sr = p.hub.engine.ikeSa(r!.id)!;
  for (const k of ['skD', 'skAi', 'skAr', 'skEi', 'skEr', 'skPi', 'skPr', 'skeyseed'] as const) t.deepEqual(si.keys![k], sr.keys![k], k);
  const expected = createHmac(prfInfo(prfId).hash, oldSkD).update(Buffer.concat([Buffer.from('Resumption'), si.nonceI!, si.nonceR!])).digest();
  t.deepEqual(si.keys!.skeyseed, expected);
  t.notDeepEqual(si.keys!.skD, oldSkD);
  const ci = [...p.spoke.installed.values()].at(-1)!, cr = [...p.hub.installed.values()].at(-1)!;
  t.is(ci.spiOut, cr.spiIn);
  t.deepEqual(ci.keysOut, cr.keysIn);
  t.deepEqual(ci.keysIn, cr.keysOut);

  t.deepEqual(resumeSteps(p.spoke).slice(1), ['attempt', 'resumed', 'ticket-received']);
  t.deepEqual(resumeSteps(p.hub).slice(1), ['accepted', 'resumed', 'ticket-granted']);
  t.true(eventsOf(p.hub, 'ike-established').at(-1)!.data?.resumed === true);
  t.is(p.hub.engine.counterSnapshot()['resume.accepted'], 1);
  t.is(p.spoke.engine.counterSnapshot()['resume.resumed'], 1);
  // The resumed SA works: a liveness check is answered, and it rekeys (DH of the ticket's suite).
  t.true(p.spoke.engine.dpd(i!.id, p.net.now));
  p.net.settle(100);
  t.is(established(p.spoke).length, 1);
  t.true(p.spoke.engine.rekeyIke(i!.id, p.net.now));
  p.net.settle(100);
  const [ni] = established(p.spoke), [nr] = established(p.hub);
  t.not(ni!.spiI, i!.spiI);
  t.is(ni!.spiI, nr!.spiI);
  t.deepEqual(p.spoke.keys.at(-1)!.skEi, p.hub.keys.at(-1)!.skEi);
  t.is(ni!.children.length, 1);
});

test('a tampered ticket gets TICKET_NACK and the client falls back to a full exchange at once', (t) => {
  const p = resumePair();
  p.up();
  p.net.addFilter((d) => {
    if (!isResumeRequest(d)) return 'pass';
    const { raw } = ikeHeader(d);
    const m = decodeMessage(raw);
    const n = m.payloads.find((x) => x.type === PayloadType.NOTIFY && (x as NotifyPayload).notifyType === NotifyType.TICKET_OPAQUE) as NotifyPayload;
    n.data = Buffer.from(n.data);
    n.data.writeUInt8(n.data[40]! ^ 0x01, 40);
    const out = encodeMessage(m);
    return { ...d, data: d.local.port === 500 ? out : Buffer.concat([Buffer.alloc(4), out]) };
  });
  const from = hubDeletes(p);
  t.true(p.net.runUntil(() => established(p.spoke).length === 1 && established(p.hub).length === 1, 30_000));
  t.deepEqual(outExchanges(p.spoke, from).filter((x) => !x.startsWith('INFORMATIONAL')), ['IKE_SESSION_RESUME:0', 'IKE_SA_INIT:0', 'IKE_AUTH:1']);
  t.regex(messages(p.hub, 'out').find((m) => m.exchange === 'IKE_SESSION_RESUME')!.payloads, /^NOTIFY\(TICKET_NACK\)$/);
  const refused = eventsOf(p.hub, 'resume').find((e) => e.data?.step === 'refused')!;
  t.is(refused.data?.reason, 'integrity');
  t.deepEqual(resumeSteps(p.spoke).slice(1, 4), ['attempt', 'refused', 'fallback']);
  const nack = eventsOf(p.spoke, 'resume').find((e) => e.data?.step === 'refused')!;
  const full = eventsOf(p.spoke, 'ike-initiate').at(-1)!;
  t.is(full.time, nack.time, 'the full exchange starts at once, not after the retry delay');
  t.is(p.hub.engine.counterSnapshot()['resume.refused.integrity'], 1);
  t.is(p.spoke.engine.counterSnapshot()['resume.fallbacks'], 1);
  t.false(established(p.spoke)[0]!.resumption?.resumed ?? false);
  t.truthy(established(p.spoke)[0]!.resumption?.ticket, 'the full exchange brought a new ticket');
});

test('a resumed IKE_AUTH with another IDi than the ticket\'s fails AUTHENTICATION_FAILED; the client falls back (RFC 5723 4.3.3)', (t) => {
  const p = resumePair({ seed: 'idi' });
  p.up();
  // The client's ticket now claims another identity (what a stolen ticket used by someone else would).
  p.spoke.engine.resumption.ticketFor('tunnel0', HUB_ADDR, p.net.now)!.localId = { type: 'fqdn', value: 'mallory.flexlab.test' };
  const from = hubDeletes(p);
  t.true(p.net.runUntil(() => established(p.spoke).length === 1 && established(p.hub).length === 1, 30_000));
  t.deepEqual(outExchanges(p.spoke, from).filter((x) => !x.startsWith('INFORMATIONAL')), ['IKE_SESSION_RESUME:0', 'IKE_AUTH:1', 'IKE_SA_INIT:0', 'IKE_AUTH:1']);
  t.regex(eventsOf(p.hub, 'auth-failed').at(-1)!.text, /IDi fqdn "mallory.flexlab.test" differs from the ticket's "spoke1.flexlab.test"/);
  t.true(resumeSteps(p.spoke).includes('fallback'));
  t.is(established(p.hub)[0]!.remoteId, 'spoke1.flexlab.test');
  t.false(established(p.hub)[0]!.resumption?.resumed ?? false);
});

test('an expired ticket: the client drops it itself; the gateway refuses one presented late', (t) => {
  const p = resumePair({ hub: { ticketLifetime: 60 } });
  let ticket: Buffer | undefined;
  p.net.addFilter((d) => {
    if (isResumeRequest(d)) ticket ??= (decodeMessage(ikeHeader(d).raw).payloads.find((x) => x.type === PayloadType.NOTIFY && (x as NotifyPayload).notifyType === NotifyType.TICKET_OPAQUE) as NotifyPayload).data;
    return 'pass';
  });
  p.up();
  // The ticket lifetime is capped by the IKE SA lifetime (RFC 5723 6.2).
  const q = resumePair({ hub: { ticketLifetime: 600, lifetime: 120 }, seed: 'cap' });
  q.up();
  t.is(eventsOf(q.spoke, 'resume').find((e) => e.data?.step === 'ticket-received')!.data?.lifetime, 120);

  // The spoke leaves (no SA left to refresh the ticket on) and comes back past the lifetime:
  // a full exchange, nothing resumed.
  p.spoke.engine.releaseConnection('tunnel0', p.net.now, 'test: leaving');
  p.net.settle(100);
  p.net.advance(61_000);
  const from = messages(p.spoke, 'out').length;
  p.initiate();
  t.true(p.net.runUntil(() => established(p.spoke).length === 1 && established(p.hub).length === 1, 30_000));
  t.deepEqual(outExchanges(p.spoke, from).filter((x) => !x.startsWith('INFORMATIONAL')), ['IKE_SA_INIT:0', 'IKE_AUTH:1']);
  t.true(resumeSteps(p.spoke).includes('ticket-expired'));

  // The gateway's own check: resume in time, keep the presented ticket, show it again too late.
  const from2 = hubDeletes(p);
  t.true(p.net.runUntil(() => established(p.spoke).length === 1 && established(p.hub).length === 1, 30_000));
  t.true(outExchanges(p.spoke, from2).includes('IKE_SESSION_RESUME:0'));
  t.truthy(ticket);
  const fresh = new IkeEngine({ name: 'hub2', random: seededRandom('hub2'), profiles: [hubProfile({ ticketLifetime: 60 })], settings: { resumption: { ticketKey: TICKET_KEY } } });
  const late = fresh.resumption.accept(ticket!, `${SPOKE_ADDR}:500`, p.net.now + 61_000);
  t.is('reason' in late && late.reason, 'expired');
  const inTime = fresh.resumption.accept(ticket!, `${SPOKE_ADDR}:500`, p.net.now);
  t.false('reason' in inTime, 'a restarted gateway without the used-ticket list accepts it in time');
});

test('a replayed ticket is refused, also by a restarted gateway that kept the used-ticket list', (t) => {
  const p = resumePair();
  const captured: Datagram[] = [];
  p.net.addFilter((d) => {
    if (isResumeRequest(d)) captured.push(d);
    return 'pass';
  });
  p.up();
  hubDeletes(p);
  t.true(p.net.runUntil(() => established(p.spoke).length === 1 && established(p.hub).some((s) => s.resumption?.resumed), 30_000));
  t.is(captured.length, 1);
  // The same request again (an attacker replaying it), and with another SPIi.
  const replay = (d: Datagram, spi?: Buffer) => {
    const { raw } = ikeHeader(d);
    const m = decodeMessage(raw);
    if (spi) m.header.spiI = spi;
    const data = encodeMessage(m);
    const sentBefore = p.hub.sent.length;
    p.hub.engine.handleDatagram({ local: d.remote, remote: d.local, data: d.local.port === 500 ? data : Buffer.concat([Buffer.alloc(4), data]) }, p.net.now);
    p.net.flush();
    return p.hub.sent.slice(sentBefore);
  };
  for (const spi of [undefined, Buffer.from('0102030405060708', 'hex')]) {
    const answers = replay(captured[0]!, spi);
    t.is(answers.length, 1);
    const m = decodeMessage(ikeHeader(answers[0]!).raw);
    t.deepEqual(m.payloads.map((x) => (x as NotifyPayload).notifyType), [NotifyType.TICKET_NACK]);
  }
  t.is(p.hub.engine.counterSnapshot()['resume.refused.replayed'], 2);
  t.is(established(p.hub).length, 1, 'nothing was created for the replays');

  // A restarted gateway given the used list (what the daemon keeps in its state directory).
  const used = p.hub.engine.resumption.usedTickets(p.net.now);
  t.is(used.length, 1);
  const restarted = new IkeEngine({ name: 'hub', random: seededRandom('hub-r2'), profiles: [hubProfile()], settings: { resumption: { ticketKey: TICKET_KEY, usedTickets: used } } });
  const ticket = (decodeMessage(ikeHeader(captured[0]!).raw).payloads.find((x) => x.type === PayloadType.NOTIFY && (x as NotifyPayload).notifyType === NotifyType.TICKET_OPAQUE) as NotifyPayload).data;
  const r = restarted.resumption.accept(ticket, 'x', p.net.now);
  t.is('reason' in r && r.reason, 'replayed');
});

test('gateway restart: a new engine with the same ticket key resumes the session; with another key the client falls back', (t) => {
  for (const [label, key, resumed] of [['same key', TICKET_KEY, true], ['other key', Buffer.alloc(32, 9), false]] as const) {
    const p = resumePair({ spoke: { dpd: { interval: 5, retries: 2, mode: 'periodic' } }, seed: label });
    p.up();
    const address = established(p.spoke)[0]!.receivedConfig!.address4;
    // The hub goes away with all its state; a new instance comes up at the same address.
    p.net.nodes.splice(p.net.nodes.indexOf(p.hub), 1);
    const hub2 = p.net.add('hub', HUB_ADDR, new IkeEngine({ name: 'hub', random: seededRandom(`${label}-hub2`), profiles: [hubProfile()], settings: { resumption: { ticketKey: key } } }));
    const from = messages(p.spoke, 'out').length;
    t.true(p.net.runUntil(() => established(p.spoke).length === 1 && established(hub2).length === 1, 60_000), label);
    const sent = outExchanges(p.spoke, from).filter((x) => !x.startsWith('INFORMATIONAL'));
    t.true(eventsOf(p.spoke, 'dpd-timeout').length >= 1, `${label}: the spoke found the old hub gone`);
    if (resumed) {
      t.deepEqual(sent, ['IKE_SESSION_RESUME:0', 'IKE_AUTH:1'], label);
      t.true(established(hub2)[0]!.resumption!.resumed);
      t.is(established(hub2)[0]!.assignedAddress, address, 'same inner address after the restart');
    } else {
      t.deepEqual(sent, ['IKE_SESSION_RESUME:0', 'IKE_SA_INIT:0', 'IKE_AUTH:1'], label);
      t.is(eventsOf(hub2, 'resume').find((e) => e.data?.step === 'refused')!.data?.reason, 'unknown-key');
      t.deepEqual(resumeSteps(p.spoke).filter((s) => s === 'refused' || s === 'fallback'), ['refused', 'fallback']);
    }
  }
});

test('no answer to IKE_SESSION_RESUME: after the resume timeout the client falls back to IKE_SA_INIT', (t) => {
  const p = resumePair();
  p.conn.resumeTimeout = 4;
  p.up();
  const restore = isolate(p);
  const from = messages(p.spoke, 'out').length;
  // The spoke loses its SA (as after a DPD timeout) while the hub is unreachable.
  p.spoke.engine.ikeSa(established(p.spoke)[0]!.id)!.destroy('test: peer lost', p.net.now);
  const lost = p.net.now;
  p.net.advance(6_000);
  const attempt = eventsOf(p.spoke, 'resume').find((e) => e.data?.step === 'attempt')!;
  const fallback = eventsOf(p.spoke, 'resume').find((e) => e.data?.step === 'fallback')!;
  t.truthy(attempt);
  t.truthy(fallback);
  t.true(fallback.time - attempt.time >= 4000 && fallback.time - attempt.time < 4500, `fallback after the 4 s resume timeout (${fallback.time - attempt.time} ms)`);
  t.true(attempt.time > lost);
  restore();
  t.true(p.net.runUntil(() => established(p.spoke).length === 1 && established(p.hub).length === 1, 60_000));
  const sent = outExchanges(p.spoke, from).filter((x) => !x.startsWith('INFORMATIONAL'));
  t.is(sent[0], 'IKE_SESSION_RESUME:0');
  t.true(sent.includes('IKE_SA_INIT:0'));
  t.false(established(p.spoke)[0]!.resumption?.resumed ?? false);
});

test('a session authenticated with EAP resumes without EAP; the ticket is refreshed before it runs out', (t) => {
  const users = { alice: { password: 'alice-pass-1' } };
  const p = resumePair({
    seed: 'eap',
    spoke: { authLocal: 'eap', authRemote: ['rsa-sig'], identity: { type: 'email', value: 'alice@flexlab.test' }, eapClient: { identity: 'alice', password: 'alice-pass-1' } },
    hub: { auth: 'rsa', certName: 'hub-rsa', authRemote: ['eap'], eapServer: { mode: 'local', queryIdentity: true, timeout: 90, users }, ticketLifetime: 100 },
  });
  p.up();
  t.is(established(p.hub)[0]!.remoteEapId, 'alice');
  t.is(eventsOf(p.spoke, 'resume').filter((e) => e.data?.step === 'ticket-received').length, 1, 'the ticket comes in the last IKE_AUTH response, after EAP');
  // Refresh at 80 % of the lifetime: an INFORMATIONAL with TICKET_REQUEST.
  p.net.advance(81_000);
  t.is(eventsOf(p.spoke, 'resume').filter((e) => e.data?.step === 'ticket-refreshed').length, 1);
  const info = messages(p.spoke, 'out').filter((m) => m.exchange === 'INFORMATIONAL' && !m.response).at(-1)!;
  t.is(info.payloads, 'NOTIFY(TICKET_REQUEST)');
  // The refreshed ticket is good after the first one's lifetime.
  p.net.advance(40_000);
  const from = hubDeletes(p);
  t.true(p.net.runUntil(() => established(p.spoke).length === 1 && established(p.hub).length === 1, 30_000));
  const sent = messages(p.spoke, 'out').slice(from).filter((m) => !m.response && m.exchange !== 'INFORMATIONAL');
  t.deepEqual(sent.map((m) => m.exchange), ['IKE_SESSION_RESUME', 'IKE_AUTH']);
  t.notRegex(sent[1]!.payloads, /EAP|CERT/);
  const r = established(p.hub)[0]!;
  t.true(r.resumption!.resumed);
  t.is(r.remoteEapId, 'alice', 'the EAP identity comes back from the ticket');
  t.is(r.authVerify, 'EAP');
  t.is(r.authSign, 'RSA');
});

test('tshark decodes IKE_SESSION_RESUME and decrypts the resumed IKE_AUTH with the exported keys', async (t) => {
  const p = resumePair();
  p.up();
  hubDeletes(p);
  t.true(p.net.runUntil(() => established(p.spoke).some((s) => s.resumption?.resumed) && established(p.hub).length === 1, 30_000));
  p.net.settle(100);
  const w = new PcapWriter();
  for (const { time, d } of p.net.wire) w.writeUdp({ ts: time, src: d.local.address, dst: d.remote.address, sport: d.local.port, dport: d.remote.port, payload: d.data });
  const dir = mkdtempSync(join(tmpdir(), 'flexlab-ike-resume-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pcap = join(dir, 'resume.pcap');
  w.writeFile(pcap);
  const table = p.spoke.keys.map(ikev2DecryptionTableLine);
  const frames = await tsharkIkePayloads(pcap, { ikev2: table });
  t.is(frames.length, p.net.wire.length);
  for (const f of frames) t.false(f.malformed, `frame ${f.frame} is not malformed`);
  // Frames of the resumed SA: IKE_SESSION_RESUME request/response (clear), then IKE_AUTH (decrypted).
  const idx = p.net.wire.findIndex(({ d }) => isResumeRequest(d));
  t.true(idx >= 0);
  t.deepEqual(frames[idx]!.payloads, [PayloadType.NONCE, PayloadType.NOTIFY, PayloadType.NOTIFY, PayloadType.NOTIFY]);
  t.deepEqual(frames[idx + 1]!.payloads, [PayloadType.NONCE, PayloadType.NOTIFY, PayloadType.NOTIFY]);
  const authReq = frames[idx + 2]!;
  t.is(authReq.payloads[0], PayloadType.SK);
  t.deepEqual(authReq.payloads.slice(1, 5), [PayloadType.IDi, PayloadType.IDr, PayloadType.NOTIFY, PayloadType.AUTH], 'tshark decrypted the resumed IKE_AUTH');
});
