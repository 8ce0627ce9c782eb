// The hub daemon's AAA shell: it turns the IKE core's `aaa-request` and `accounting` actions into
// RADIUS (the NAS side, F-SRV-08: retransmission, failover) and answers RADIUS dynamic
// authorization (RFC 5176 Disconnect and CoA on UDP 3799, F-POD-01..03) by deleting or changing
// sessions. Attribute choice follows what the seeds' debugs show (section 13.5).

import type { AaaRequest, AaaResult, AccountingRecord } from '../ike/actions.ts';
import type { IkeEngine } from '../ike/engine.ts';
import type { IkeSa } from '../ike/sa/ike-sa.ts';
import { RadiusClient, DynamicAuthServer, IOS_NO_MATCHING_SESSION, RadiusCode, ciscoAvPair, getAttrs, getBytes, mskFromMppeKeys, formatAvp } from '../radius/index.ts';
import type { Avp, RadiusClientAction, RadiusServerEntry, DaeAction, DaeRequest } from '../radius/index.ts';
import { UdpShell } from '../radius/udp.ts';
import { fromRadius, mergeAuthorization, sourced } from '../aaa/authorization.ts';
import type { EventLog } from './event-log.ts';

/** RFC 5176 3.5 Error-Cause 407: the request carried an attribute value that cannot be applied. */
const COA_INVALID_ATTRIBUTE_VALUE = 407;

export interface AaaConfig {
  servers: RadiusServerEntry[];
  timeoutMs?: number;
  retries?: number;
  /** NAS-IP-Address (default: the daemon's address). */
  nasIp?: string;
  nasIdentifier?: string;
  /** RFC 5176 dynamic authorization server (`aaa server radius dynamic-author`). */
  dae?: { port: number; clients: Array<{ address: string; secret: string }> };
}

export interface SessionCounters {
  inOctets: number;
  outOctets: number;
  inPackets: number;
  outPackets: number;
}

const TERMINATE_CAUSE: Array<[RegExp, string]> = [
  [/RADIUS Disconnect|cleared|terminated by command/i, 'Admin-Reset'],
  [/dpd|retransmit-timeout|timeout/i, 'Lost-Carrier'],
  [/deleted by peer/i, 'User-Request'],
  [/lifetime/i, 'Session-Timeout'],
  [/daemon stopping/i, 'Admin-Reboot'],
];

export class AaaLayer {
  private client?: RadiusClient;
  private shell?: UdpShell<RadiusClientAction>;
  private das?: DynamicAuthServer;
  private dasShell?: UdpShell<DaeAction>;
  private readonly pending = new Map<number, AaaRequest>(); // RADIUS handle -> IKE request
  private readonly accountingHandles = new Set<number>();

  constructor(
    private readonly cfg: AaaConfig,
    private readonly localAddress: string,
    private readonly engine: IkeEngine,
    private readonly log: EventLog,
    private readonly counters: (ikeSaId: number, childIds: number[]) => SessionCounters,
    private readonly pump: () => void,
    private readonly applyCoa: (sa: IkeSa, changes: Avp[]) => string[] | { error: string },
  ) {}

  async start(): Promise<void> {
    if (this.cfg.servers.length) {
      this.client = new RadiusClient({ servers: this.cfg.servers, timeoutMs: this.cfg.timeoutMs ?? 5000, retries: this.cfg.retries ?? 2 });
      // Any local address: the kernel picks the source facing the RADIUS server.
      this.shell = new UdpShell(this.client, [{ address: '0.0.0.0', port: 0 }], (a) => this.clientAction(a), (m) => this.log.info('info', `RADIUS: ${m}`, undefined, 'aaa'));
      await this.shell.start();
    }
    if (this.cfg.dae) {
      this.das = new DynamicAuthServer({ clients: this.cfg.dae.clients, local: { address: '0.0.0.0', port: this.cfg.dae.port } });
      this.dasShell = new UdpShell(this.das, [{ address: '0.0.0.0', port: this.cfg.dae.port }], (a) => this.daeAction(a), (m) => this.log.info('info', `DAE: ${m}`, undefined, 'aaa'));
      await this.dasShell.start();
      this.log.info('info', `dynamic authorization (RFC 5176) listening on port ${this.cfg.dae.port}`, undefined, 'aaa');
    }
  }

  async stop(): Promise<void> {
    await this.shell?.stop();
    await this.dasShell?.stop();
  }

  // ------------------------------------------------------------------------------- NAS side

  private common(ctx: AaaRequest['context']): Avp[] {
    return [
      { name: 'NAS-IP-Address', value: this.cfg.nasIp ?? this.localAddress },
      ...(this.cfg.nasIdentifier ? [{ name: 'NAS-Identifier', value: this.cfg.nasIdentifier }] : []),
      { name: 'Calling-Station-Id', value: ctx.peer.address },
      ciscoAvPair('', 'isakmp-phase1-id', ctx.phase1Id),
      ciscoAvPair('', 'audit-session-id', ctx.auditSessionId),
    ];
  }

  /** An IKE exchange waits for RADIUS. */
  request(req: AaaRequest): void {
    if (!this.client || !this.shell) {
      this.engine.aaaResult({ requestId: req.requestId, outcome: 'timeout', reason: 'no RADIUS server configured (aaa radius servers)' }, Date.now());
      this.pump();
      return;
    }
    let attributes: Avp[];
    if (req.kind === 'eap') {
      // EAP pass-through (F-AUTH-06, S2:239-260): Service-Type Login, EAP-Message, State.
      attributes = [
        { name: 'User-Name', value: req.userName },
        { name: 'Service-Type', value: 'Login-User' },
        ciscoAvPair('', 'service-type', 'Login'),
        ...this.common(req.context),
        { name: 'EAP-Message', value: req.eapMessage },
        ...(req.state ? [{ name: 'State', value: req.state }] : []),
      ];
    } else if (req.kind === 'login') {
      // AnyConnect-EAP credentials (F-AUTH-11): the headend terminates EAP and checks the password
      // with a PAP-style Access-Request (the seeds show no attributes; Service-Type Login is ours).
      attributes = [
        { name: 'User-Name', value: req.userName },
        { name: 'User-Password', value: req.password },
        { name: 'Service-Type', value: 'Login-User' },
        ...this.common(req.context),
      ];
    } else {
      // AAA-based PSK and authorization (F-AUTH-09, S2:485-510): Service-Type Outbound.
      attributes = [
        { name: 'User-Name', value: req.userName },
        { name: 'User-Password', value: req.password ?? 'cisco' },
        { name: 'Service-Type', value: 'Outbound-User' },
        ...this.common(req.context),
      ];
    }
    this.shell.input((now) => {
      const handle = this.client!.send({ code: RadiusCode.AccessRequest, attributes }, now);
      this.pending.set(handle, req);
    });
    this.log.info('info', `[IKEv2 -> AAA] ${req.kind === 'eap' ? 'EAP authentication' : req.kind === 'login' ? 'AnyConnect-EAP login' : `${req.purpose} authorization`} request for "${req.userName}" sent`, { kind: req.kind, userName: req.userName, ikeSaId: req.ikeSaId }, 'aaa');
  }

  accounting(rec: AccountingRecord): void {
    if (!this.client || !this.shell) return;
    const now = Date.now();
    const c = this.counters(rec.ikeSaId, rec.childIds);
    const attributes: Avp[] = [
      { name: 'Acct-Status-Type', value: rec.status === 'start' ? 'Start' : rec.status === 'stop' ? 'Stop' : 'Interim-Update' },
      { name: 'Acct-Session-Id', value: rec.sessionId },
      { name: 'User-Name', value: rec.userName },
      { name: 'Acct-Authentic', value: 'Local' },
      { name: 'Acct-Delay-Time', value: 0 },
      ...this.common(rec.context),
      ciscoAvPair('', 'isakmp-initator-ip', rec.context.peer.address), // sic: Cisco's own spelling (seed errata 13)
      ...(rec.framedIp ? [{ name: 'Framed-IP-Address', value: rec.framedIp }] : []),
    ];
    if (rec.status !== 'start') {
      attributes.push(
        { name: 'Acct-Session-Time', value: Math.floor((now - rec.startedAt) / 1000) },
        { name: 'Acct-Input-Octets', value: c.inOctets }, { name: 'Acct-Output-Octets', value: c.outOctets },
        { name: 'Acct-Input-Packets', value: c.inPackets }, { name: 'Acct-Output-Packets', value: c.outPackets },
      );
    }
    if (rec.status === 'stop') {
      const cause = TERMINATE_CAUSE.find(([re]) => re.test(rec.terminateCause ?? ''))?.[1] ?? 'NAS-Request';
      attributes.push({ name: 'Acct-Terminate-Cause', value: cause });
    }
    this.shell.input((t) => this.accountingHandles.add(this.client!.send({ code: RadiusCode.AccountingRequest, attributes }, t)));
    this.log.info('info', `accounting ${rec.status} for "${rec.userName}" (session ${rec.sessionId})${rec.status === 'stop' ? `: ${c.inOctets}/${c.outOctets} octets, ${c.inPackets}/${c.outPackets} packets` : ''}`, { ...rec, counters: c }, 'aaa');
  }

  private clientAction(a: RadiusClientAction): void {
    if (a.type === 'send') return; // the shell sends
    if (a.type === 'event') {
      if (a.event.type !== 'sent') this.log.info(a.event.type === 'drop' ? 'drop' : 'info', `RADIUS: ${a.event.text}`, a.event.data, 'aaa');
      return;
    }
    if (this.accountingHandles.delete(a.handle)) {
      if (a.type === 'timeout') this.log.info('info', `RADIUS accounting not answered by ${a.servers.join(', ')}`, undefined, 'aaa');
      return;
    }
    const req = this.pending.get(a.handle);
    this.pending.delete(a.handle);
    if (!req) return;
    let result: AaaResult;
    if (a.type === 'timeout') {
      result = { requestId: req.requestId, outcome: 'timeout', reason: `no answer from ${a.servers.join(', ')} after ${a.attempts} tries` };
    } else {
      const m = a.response;
      const eapParts = getAttrs(m.attributes, 'EAP-Message');
      const eapMessage = eapParts.length ? Buffer.concat(eapParts.map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v))))) : undefined;
      const recv = getBytes(m.attributes, 'MS-MPPE-Recv-Key'), send = getBytes(m.attributes, 'MS-MPPE-Send-Key');
      const outcome = m.code === RadiusCode.AccessChallenge ? 'challenge' : m.code === RadiusCode.AccessAccept ? 'accept' : 'reject';
      result = {
        requestId: req.requestId, outcome, eapMessage, state: getBytes(m.attributes, 'State'),
        msk: recv && send ? mskFromMppeKeys(recv, send) : undefined,
        attributes: m.attributes.filter((x) => !['EAP-Message', 'Message-Authenticator', 'State', 'MS-MPPE-Recv-Key', 'MS-MPPE-Send-Key'].includes(x.name))
          .map((x) => ({ name: x.name === 'Cisco-AVPair' ? 'cisco-avpair' : x.name, value: Buffer.isBuffer(x.value) ? x.value.toString('hex') : String(x.value) })),
        server: a.server,
      };
      this.log.info('info', `[AAA -> IKEv2] ${outcome === 'challenge' ? 'Access-Challenge' : outcome === 'accept' ? 'Access-Accept' : 'Access-Reject'} from ${a.server} for "${req.userName}" (${a.rttMs} ms)`, { outcome, server: a.server, attributes: result.attributes?.map((x) => (/password/i.test(x.name) || /password/i.test(x.value.split('=')[0] ?? '') ? { name: x.name, value: '*****' } : x)) }, 'aaa');
    }
    this.engine.aaaResult(result, Date.now());
    this.pump();
  }

  // ------------------------------------------------------------------------------- DAS side

  /** The session a Disconnect/CoA names: by audit-session-id, Acct-Session-Id, User-Name or address. */
  private findSessions(r: DaeRequest): IkeSa[] {
    const s = r.session;
    const all = this.engine.ikeSas().map((v) => this.engine.ikeSa(v.id)!).filter((sa) => sa && sa.isEstablished);
    return all.filter((sa) =>
      (s.auditSessionId === undefined || sa.auditSessionId === s.auditSessionId)
      && (s.acctSessionId === undefined || sa.accountingSessionId === s.acctSessionId)
      && (s.userName === undefined || [sa.aaaUserName, sa.remoteEapId, sa.remoteId?.value].includes(s.userName))
      && (s.framedIpAddress === undefined || sa.configAssigned?.address4 === s.framedIpAddress)
      && (s.callingStationId === undefined || sa.remote.address === s.callingStationId)
      && (s.auditSessionId !== undefined || s.acctSessionId !== undefined || s.userName !== undefined || s.framedIpAddress !== undefined || s.callingStationId !== undefined));
  }

  private daeAction(a: DaeAction): void {
    if (a.type === 'event') {
      this.log.info(a.event.type === 'drop' ? 'drop' : 'info', `DAE: ${a.event.text}`, a.event.data, 'aaa');
      return;
    }
    if (a.type !== 'request') return;
    const r = a.request;
    const sessions = this.findSessions(r);
    const what = r.kind === 'disconnect' ? 'POD' : 'COA';
    if (!sessions.length) {
      // R-09: a repeated PoD (the session is gone) gets NAK "No Matching Session", Error-Cause 404.
      this.log.info('info', `${what}: no session matches ${JSON.stringify(r.session)}: sending NAK`, { kind: r.kind, selector: r.session }, 'aaa');
      this.dasShell!.input(() => this.das!.nak(r.handle, IOS_NO_MATCHING_SESSION.errorCause, { replyMessage: IOS_NO_MATCHING_SESSION.replyMessage }));
      return;
    }
    const now = Date.now();
    if (r.kind === 'disconnect') {
      for (const sa of sessions) {
        this.log.info('info', `POD: deleting the session of "${sa.aaaUserName ?? sa.remoteId?.value}" (audit-session-id ${sa.auditSessionId})`, { ikeSaId: sa.id }, 'aaa');
        this.engine.deleteIke(sa.id, now, 'RADIUS Disconnect-Request');
      }
      this.dasShell!.input(() => this.das!.ack(r.handle));
    } else {
      const applied: string[] = [];
      for (const sa of sessions) {
        const result = this.applyCoa(sa, r.changes);
        if (!Array.isArray(result)) {
          // F-POD-03: attributes that cannot be applied get a CoA-NAK and change nothing. IOS's
          // Error-Cause for this case is not in the seeds: 407 (Invalid Attribute Value, RFC 5176 3.5).
          this.log.info('info', `COA: cannot apply ${r.changes.map(formatAvp).join(', ')}: ${result.error}: sending NAK`, { changes: r.changes.map(formatAvp), reason: result.error }, 'aaa');
          this.dasShell!.input(() => this.das!.nak(r.handle, COA_INVALID_ATTRIBUTE_VALUE, { replyMessage: result.error.slice(0, 240) }));
          return;
        }
        // CoA: the new attributes join the session's authorization as the latest user attributes.
        const attrs = fromRadius(r.changes.map((x) => ({ name: x.name === 'Cisco-AVPair' ? 'cisco-avpair' : x.name, value: String(x.value) })));
        sa.authorization = mergeAuthorization({ group: sa.authorization, user: sourced(attrs, 'CoA') });
        applied.push(...result);
      }
      this.log.info('info', `COA: applied ${r.changes.map(formatAvp).join(', ')} to ${sessions.length} session(s)${applied.length ? `: ${applied.join('; ')}` : ''}`, { changes: r.changes.map(formatAvp) }, 'aaa');
      this.dasShell!.input(() => this.das!.ack(r.handle));
    }
    this.pump();
  }
}
