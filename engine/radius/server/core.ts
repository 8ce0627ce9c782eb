// The built-in RADIUS server, sans-IO: datagrams and `now` in, actions out (datagrams to send,
// accounting records, events), like the IKE core. It authenticates with PAP (RFC 2865 5.2), CHAP
// (5.3), MS-CHAP v1/v2 in RADIUS attributes (RFC 2548, what `radtest -t mschap` sends) and EAP
// (RFC 3579: EAP-Message, Message-Authenticator, State across Access-Challenge rounds) with the
// EAP server methods MD5, MSCHAPv2 (MS-MPPE-Recv/Send-Key in the Access-Accept, as FreeRADIUS) and
// GTC. Accepts carry the user's reply attributes after its groups'. Accounting-Requests are
// recorded (JSON lines through the shell) and answered. Retransmitted requests get the cached answer.

import type { Datagram } from '../../ike/actions.ts';
import { SansIoCore } from '../../util/sans-io-core.ts';
import { cidrContains, ipFamily } from '../../util/ip.ts';
import type { RandomSource } from '../../util/random.ts';
import { cryptoRandom } from '../../util/random.ts';
import { EapServer } from '../../eap/server.ts';
import type { EapServerResult } from '../../eap/server.ts';
import type { EapMethodName } from '../../eap/constants.ts';
import { chapMd5 } from '../../eap/methods/md5.ts';
import {
  authenticatorResponseText, challengeResponse, generateAuthenticatorResponse, generateNtResponse, mschapV2Keys, ntPasswordHash,
  verifyNtResponse,
} from '../../eap/mschapv2-crypto.ts';
import { RadiusCode, radiusCodeName } from '../constants.ts';
import type { Avp } from '../attributes.ts';
import { formatAvp, getBytes, getNumber, getText } from '../attributes.ts';
import { auditSessionId } from '../cisco.ts';
import { attrByName, valueName } from '../dictionary.ts';
import { isRadiusParseError } from '../errors.ts';
import { decodeRequest, encodeResponse } from '../message.ts';
import type { RadiusMessage } from '../message.ts';
import { replyAvps } from './config.ts';
import type { ResolvedClient, ResolvedServerConfig } from './config.ts';

export interface AccountingRecord {
  /** ISO time and epoch ms the request was received. */
  time: string;
  ts: number;
  /** The NAS (RADIUS client) that sent it. */
  client: string;
  status: string;
  userName?: string;
  acctSessionId?: string;
  auditSessionId?: string;
  /** Every attribute: name -> value (a list when repeated; bytes as hex). */
  attributes: Record<string, unknown>;
}

export interface RadiusServerEvent {
  time: number;
  type: 'access-accept' | 'access-reject' | 'access-challenge' | 'accounting' | 'drop' | 'duplicate' | 'eap' | 'status';
  text: string;
  data?: Record<string, unknown>;
}

export type RadiusServerAction =
  | { type: 'send'; datagram: Datagram }
  | { type: 'accounting'; record: AccountingRecord }
  | { type: 'event'; event: RadiusServerEvent };

interface EapConversation {
  server: EapServer;
  client: string;
  /** The User-Name of the first Access-Request, for logs. */
  userName?: string;
}

export interface RadiusServerCoreOptions {
  random?: RandomSource;
  /** How long answers are kept for retransmissions (default 10 s, RFC 5080 2.2.2). */
  duplicateCacheMs?: number;
}

export class RadiusServerCore extends SansIoCore<RadiusServerAction> {
  readonly counters = new Map<string, number>();
  /** Accounting records received so far (the shell also writes them to the log). */
  readonly accounting: AccountingRecord[] = [];
  private readonly conversations = new Map<string, EapConversation>(); // State hex -> conversation
  private readonly answered = new Map<string, Buffer>();
  private readonly random: RandomSource;

  constructor(readonly config: ResolvedServerConfig, private readonly opts: RadiusServerCoreOptions = {}) {
    super();
    this.random = opts.random ?? cryptoRandom;
  }

  /** Number of unfinished EAP conversations (for tests and status). */
  get eapConversations(): number {
    return this.conversations.size;
  }

  handleDatagram(d: Datagram, now: number): void {
    this.now = now;
    const from = `${d.remote.address}:${d.remote.port}`;
    const client = this.clientFor(d.remote.address);
    if (!client) return this.drop('unknown-client', `request from ${from}, not a configured client`);
    let req: RadiusMessage;
    try {
      req = decodeRequest(d.data, client.secret);
    } catch (e) {
      if (!isRadiusParseError(e)) throw e;
      return this.drop(e.code.toLowerCase().replace(/_/g, '-'), `from ${from} (${client.name}): ${e.message}`);
    }
    const dupKey = `${d.remote.address}|${d.remote.port}|${req.identifier}|${req.authenticator.toString('hex')}`;
    const cached = this.answered.get(dupKey);
    if (cached) {
      this.count('duplicates');
      this.event('duplicate', `retransmitted ${radiusCodeName(req.code)} id ${req.identifier} from ${from}: cached answer sent`);
      this.actions.push({ type: 'send', datagram: { local: d.local, remote: d.remote, data: cached } });
      return;
    }
    let answer: { code: RadiusCode; attributes: Avp[] } | undefined;
    switch (req.code) {
      case RadiusCode.AccessRequest:
        answer = this.access(req, client);
        break;
      case RadiusCode.AccountingRequest:
        answer = this.accountingRequest(req, client);
        break;
      case RadiusCode.StatusServer:
        // RFC 5997: alive. Answered on the auth port with Access-Accept.
        this.count('status-server');
        this.event('status', `Status-Server from ${from}`);
        answer = { code: d.local.port === this.config.acctPort ? RadiusCode.AccountingResponse : RadiusCode.AccessAccept, attributes: [] };
        break;
      default:
        return this.drop('unexpected-code', `${radiusCodeName(req.code)} from ${from}`);
    }
    if (!answer) return;
    const bytes = encodeResponse(answer, req, { secret: client.secret, random: this.random });
    this.answered.set(dupKey, bytes);
    this.timers.set(`dup:${dupKey}`, now + (this.opts.duplicateCacheMs ?? 10_000), () => this.answered.delete(dupKey));
    this.actions.push({ type: 'send', datagram: { local: d.local, remote: d.remote, data: bytes } });
  }

  // ============================================================ Access-Request

  private access(req: RadiusMessage, client: ResolvedClient): { code: RadiusCode; attributes: Avp[] } | undefined {
    const userName = getText(req.attributes, 'User-Name');
    const eap = getBytes(req.attributes, 'EAP-Message');
    if (eap) return this.eap(req, client, eap, userName);
    if (userName === undefined) return this.reject(client, '(none)', 'no User-Name');
    const user = this.config.users[userName];
    const password = getText(req.attributes, 'User-Password');
    const chap = getBytes(req.attributes, 'CHAP-Password');
    const ms1 = getBytes(req.attributes, 'MS-CHAP-Response');
    const ms2 = getBytes(req.attributes, 'MS-CHAP2-Response');
    if (!user || user.password === undefined) return this.reject(client, userName, user ? 'user has no password' : 'unknown user');
    if (password !== undefined) {
      return password === user.password ? this.accept(client, userName, 'PAP') : this.reject(client, userName, 'PAP: wrong password');
    }
    if (chap) {
      // RFC 2865 5.3: CHAP-Password = CHAP ident + MD5(ident + password + challenge); the challenge is
      // CHAP-Challenge or else the Request Authenticator.
      const challenge = getBytes(req.attributes, 'CHAP-Challenge') ?? req.authenticator;
      if (chap.length !== 17) return this.reject(client, userName, `CHAP-Password of ${chap.length} bytes`);
      const ok = chapMd5(chap[0]!, user.password, challenge).equals(chap.subarray(1));
      return ok ? this.accept(client, userName, 'CHAP') : this.reject(client, userName, 'CHAP: wrong password');
    }
    const msChallenge = getBytes(req.attributes, 'MS-CHAP-Challenge');
    if (ms2 && msChallenge) return this.msChapV2(client, userName, user.password, msChallenge, ms2);
    if (ms1 && msChallenge) {
      // RFC 2548 2.1.3 / RFC 2433: Ident, Flags, LM-Response(24), NT-Response(24); Flags 1 = use NT.
      if (ms1.length !== 50 || msChallenge.length !== 8) return this.reject(client, userName, 'MS-CHAP: bad attribute sizes');
      const ok = verifyNtResponse(challengeResponse(msChallenge, ntPasswordHash(user.password)), ms1.subarray(26, 50));
      return ok ? this.accept(client, userName, 'MS-CHAP') : this.reject(client, userName, 'MS-CHAP: wrong password');
    }
    return this.reject(client, userName, 'no password, CHAP, MS-CHAP or EAP in the request');
  }

  private msChapV2(client: ResolvedClient, userName: string, password: string, challenge: Buffer, resp: Buffer): { code: RadiusCode; attributes: Avp[] } {
    // RFC 2548 2.3.2: Ident, Flags, Peer-Challenge(16), Reserved(8), Response(24).
    if (resp.length !== 50 || challenge.length !== 16) return this.reject(client, userName, 'MS-CHAPv2: bad attribute sizes');
    const ident = resp[0]!;
    const peerChallenge = resp.subarray(2, 18);
    const nt = resp.subarray(26, 50);
    const hash = ntPasswordHash(password);
    if (!verifyNtResponse(generateNtResponse(challenge, peerChallenge, userName, hash), nt)) return this.reject(client, userName, 'MS-CHAPv2: wrong password');
    const auth = authenticatorResponseText(generateAuthenticatorResponse(hash, nt, peerChallenge, challenge, userName));
    const keys = mschapV2Keys(hash, nt);
    const a = this.accept(client, userName, 'MS-CHAPv2');
    a.attributes.push(
      { name: 'MS-CHAP2-Success', value: Buffer.concat([Buffer.from([ident]), Buffer.from(auth, 'ascii')]) },
      { name: 'MS-MPPE-Recv-Key', value: keys.masterReceiveKey },
      { name: 'MS-MPPE-Send-Key', value: keys.masterSendKey },
    );
    return a;
  }

  private eap(req: RadiusMessage, client: ResolvedClient, eap: Buffer, userName: string | undefined): { code: RadiusCode; attributes: Avp[] } | undefined {
    const state = getBytes(req.attributes, 'State');
    let conv: EapConversation | undefined;
    if (state) {
      conv = this.conversations.get(state.toString('hex'));
      if (!conv) {
        // RFC 2865 5.24 leaves this to the server: an unknown or expired State ends the conversation.
        this.count('eap.unknown-state');
        return this.reject(client, userName ?? '(none)', 'EAP: unknown or expired State', [{ name: 'EAP-Message', value: Buffer.from([4, eap[1] ?? 0, 0, 4]) }]);
      }
      this.conversations.delete(state.toString('hex'));
      this.timers.cancel(`eap:${state.toString('hex')}`);
    } else {
      conv = {
        client: client.name,
        ...(userName !== undefined ? { userName } : {}),
        server: new EapServer({
          methods: this.config.eapMethods,
          serverName: this.config.serverName,
          random: this.random,
          lookup: (identity) => {
            const u = this.config.users[identity];
            if (!u || u.password === undefined) return undefined;
            const methods = u.eap ?? (u.groups ?? []).map((g) => this.config.groups[g]?.eap).find((m) => m !== undefined);
            return { password: u.password, ...(methods ? { methods: methods as EapMethodName[] } : {}) };
          },
        }),
      };
    }
    const r: EapServerResult = conv.server.process(eap);
    switch (r.kind) {
      case 'ignore':
        // RFC 3579 2.6.2: an EAP packet the server cannot use ends the conversation with a Reject.
        this.count('eap.discarded');
        this.event('eap', `EAP packet from ${client.name} discarded: ${r.reason}`);
        return this.reject(client, userName ?? '(none)', `EAP: ${r.reason}`);
      case 'send': {
        const newState = Buffer.from(this.random.bytes(16));
        const key = newState.toString('hex');
        this.conversations.set(key, conv);
        this.timers.set(`eap:${key}`, this.now + this.config.eapTimeoutMs, () => {
          this.conversations.delete(key);
          this.count('eap.expired');
        });
        this.count('access-challenge');
        this.event('access-challenge', `Access-Challenge to ${client.name} for "${conv.server.identity ?? userName ?? ''}": ${r.note}`);
        return { code: RadiusCode.AccessChallenge, attributes: [{ name: 'EAP-Message', value: r.bytes }, { name: 'State', value: newState }] };
      }
      case 'success': {
        const a = this.accept(client, r.identity, `EAP-${r.method.toUpperCase()}`);
        a.attributes.push({ name: 'EAP-Message', value: r.bytes });
        if (r.msk) {
          // RFC 2548 2.4.2/2.4.3; the NAS rebuilds the MSK as Recv | Send | zeros (mskFromMppeKeys).
          a.attributes.push({ name: 'MS-MPPE-Recv-Key', value: r.msk.subarray(0, 16) }, { name: 'MS-MPPE-Send-Key', value: r.msk.subarray(16, 32) });
        }
        // The authenticated identity, which the NAS uses for authorization (F-AUTH-06).
        a.attributes.push({ name: 'User-Name', value: r.identity });
        return a;
      }
      case 'failure':
        return this.reject(client, r.identity ?? userName ?? '(none)', `EAP${r.method ? `-${r.method.toUpperCase()}` : ''}: ${r.reason}`, [{ name: 'EAP-Message', value: r.bytes }]);
    }
  }

  /** Reply attributes: the groups' in order, then the user's; a user attribute replaces the groups' values of that name, except Cisco-AVPair, which accumulates. */
  replyFor(userName: string): Avp[] {
    const user = this.config.users[userName];
    if (!user) return [];
    const own = replyAvps(user.reply);
    const ownNames = new Set(own.map((a) => a.name).filter((n) => n !== 'Cisco-AVPair'));
    const fromGroups = (user.groups ?? []).flatMap((g) => replyAvps(this.config.groups[g]?.reply)).filter((a) => !ownNames.has(a.name));
    return [...fromGroups, ...own];
  }

  private accept(client: ResolvedClient, userName: string, how: string): { code: RadiusCode; attributes: Avp[] } {
    const attributes = this.replyFor(userName);
    this.count('access-accept');
    this.event('access-accept', `Access-Accept to ${client.name} for "${userName}" (${how})${attributes.length ? `: ${attributes.map(formatAvp).join(' ')}` : ''}`, { user: userName, method: how });
    return { code: RadiusCode.AccessAccept, attributes };
  }

  private reject(client: ResolvedClient, userName: string, reason: string, attributes: Avp[] = []): { code: RadiusCode; attributes: Avp[] } {
    this.count('access-reject');
    this.event('access-reject', `Access-Reject to ${client.name} for "${userName}": ${reason}`, { user: userName, reason });
    return { code: RadiusCode.AccessReject, attributes };
  }

  // ============================================================ accounting

  private accountingRequest(req: RadiusMessage, client: ResolvedClient): { code: RadiusCode; attributes: Avp[] } {
    const statusNum = getNumber(req.attributes, 'Acct-Status-Type');
    const status = statusNum === undefined ? 'unknown' : valueName(attrByName('Acct-Status-Type')!, statusNum) ?? String(statusNum);
    const userName = getText(req.attributes, 'User-Name');
    const acctSessionId = getText(req.attributes, 'Acct-Session-Id');
    const audit = auditSessionId(req.attributes);
    const record: AccountingRecord = {
      time: new Date(this.now).toISOString(), ts: this.now, client: client.name, status,
      ...(userName !== undefined ? { userName } : {}), ...(acctSessionId !== undefined ? { acctSessionId } : {}),
      ...(audit !== undefined ? { auditSessionId: audit } : {}),
      attributes: avpsToJson(req.attributes),
    };
    this.count(`accounting.${status.toLowerCase()}`);
    this.event('accounting', `Accounting ${status} from ${client.name} for "${userName ?? ''}" session ${acctSessionId ?? '?'}`);
    // RFC 2866 4.1: only answer what was recorded; with accounting off we still answer (the NAS
    // must not stall), but keep nothing.
    if (this.config.accounting) {
      this.accounting.push(record);
      this.actions.push({ type: 'accounting', record });
    }
    return { code: RadiusCode.AccountingResponse, attributes: [] };
  }

  // ============================================================ helpers

  private clientFor(address: string): ResolvedClient | undefined {
    const a = address.toLowerCase().startsWith('::ffff:') && ipFamily(address.slice(7)) === 4 ? address.slice(7) : address;
    const fam = ipFamily(a);
    // Most specific prefix wins.
    return this.config.clients
      .filter((c) => c.prefix.family === fam && cidrContains(c.prefix, a))
      .sort((x, y) => y.prefix.prefix - x.prefix.prefix)[0];
  }

  private drop(reason: string, text: string): void {
    this.count(`drop.${reason}`);
    this.event('drop', `dropped: ${text}`, { reason });
  }

  private count(name: string): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + 1);
  }

  private event(type: RadiusServerEvent['type'], text: string, data?: Record<string, unknown>): void {
    this.actions.push({ type: 'event', event: { time: this.now, type, text, ...(data ? { data } : {}) } });
  }
}

/** Attributes as JSON for the accounting log: name -> value, a list when repeated, bytes as hex. */
export function avpsToJson(avps: readonly Avp[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of avps) {
    if (a.name === 'Message-Authenticator') continue;
    const def = attrByName(a.name);
    let v: unknown = Buffer.isBuffer(a.value) ? a.value.toString('hex') : a.value;
    if (typeof a.value === 'number' && def?.values) v = valueName(def, a.value) ?? a.value;
    if (def?.encrypt) v = '*';
    if (a.name in out) {
      const prev = out[a.name];
      out[a.name] = Array.isArray(prev) ? [...prev, v] : [prev, v];
    } else out[a.name] = v;
  }
  return out;
}

