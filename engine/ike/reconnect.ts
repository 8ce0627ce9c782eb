// Cisco IKEv2 auto-reconnect (seed F-RC-01, F-RC-02, F-CFG-10; S2:1296-1451), the hub's side:
// a session granted reconnect gets a session-id and a session-token in its configuration reply;
// when smart DPD finds the client unreachable the session is kept INACTIVE (its authorization and
// its address preserved) for the reconnect timeout; the client comes back with a fresh IKE SA that
// authenticates with PSK, IDi = session-id (key-id) and PSK = session-token, and gets its session
// back without any AAA round trip. A user disconnect (the client's Delete), a `clear`, a reboot or
// the timeout end the session for good.
//
// The attribute numbers were in a figure missing from the seeds (S2 Table 9-1): the defaults below
// are lab-defined (the private-use numbers after Cisco's Unity block) and every one is a setting.

import type { Identity } from './config.ts';
import type { SourcedAttributes } from '../aaa/authorization.ts';
import type { ConfigAssigned } from './sa/ike-sa.ts';

/** CP attribute types of the reconnect attributes (lab-defined defaults, see above). */
export interface ReconnectAttributeTypes {
  sessionId: number;
  sessionToken: number;
  dpdInterval: number;
  cleanupInterval: number;
}

export const DEFAULT_RECONNECT_ATTRIBUTES: ReconnectAttributeTypes = { sessionId: 28683, sessionToken: 28684, dpdInterval: 28685, cleanupInterval: 28686 };

/** `reconnect [timeout N]` in an IKEv2 profile (hub side). */
export interface ReconnectConfig {
  /** Seconds an inactive session is kept (IOS 600-86400, default 1800; the lab allows less). */
  timeout: number;
  /** dpd-interval handed to clients: they probe at this period; smart DPD waits twice as long. */
  dpdInterval: number;
}

/** What a client keeps from the configuration reply. */
export interface ReconnectGrant {
  sessionId: string;
  sessionToken: string;
  dpdInterval: number;
  cleanupInterval: number;
}

export interface ReconnectSession extends ReconnectGrant {
  profile: string;
  remoteId: Identity;
  remoteEapId?: string;
  /** Authorization as first computed: restored as is on reconnect (no AAA round trip). */
  authorization?: SourcedAttributes;
  assigned?: ConfigAssigned;
  authVerify?: string;
  state: 'active' | 'inactive';
  ikeSaId?: number;
  createdAt: number;
  inactiveSince?: number;
  expiresAt?: number;
  reconnects: number;
}

export interface ReconnectStats {
  /** Total incoming reconnect connection */
  incoming: number;
  /** Success reconnect connection */
  success: number;
  /** Failed reconnect connection */
  failed: number;
}

/** The hub's table of reconnect-capable sessions. */
export class ReconnectSessions {
  readonly sessions = new Map<string, ReconnectSession>();
  readonly stats: ReconnectStats = { incoming: 0, success: 0, failed: 0 };

  constructor(private readonly random: { bytes(n: number): Buffer }) {}

  /** A new session-id (decimal, as IOS session ids are) and a 32-byte token (hex). */
  create(s: Omit<ReconnectSession, 'sessionId' | 'sessionToken' | 'state' | 'reconnects'>): ReconnectSession {
    let id: string;
    do id = String(this.random.bytes(4).readUInt32BE(0) % 1_000_000_000); while (this.sessions.has(id));
    const session: ReconnectSession = { ...s, sessionId: id, sessionToken: this.random.bytes(32).toString('hex'), state: 'active', reconnects: 0 };
    this.sessions.set(id, session);
    return session;
  }

  get(id: string): ReconnectSession | undefined {
    return this.sessions.get(id);
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  counts(): { active: number; inactive: number } {
    let active = 0, inactive = 0;
    for (const s of this.sessions.values()) s.state === 'active' ? active++ : inactive++;
    return { active, inactive };
  }

  view(now: number): Array<Omit<ReconnectSession, 'sessionToken' | 'authorization'> & { remaining?: number }> {
    return [...this.sessions.values()].map(({ sessionToken: _t, authorization: _a, ...rest }) => ({
      ...rest, ...(rest.expiresAt ? { remaining: Math.max(0, Math.round((rest.expiresAt - now) / 1000)) } : {}),
    }));
  }
}
