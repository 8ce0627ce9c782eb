// Authorization on the FlexVPN server after authentication (F-AUTHZ-01..04): group, user and
// implicit (cached) authorization, from the local `crypto ikev2 authorization policy` or from
// RADIUS, merged group -> implicit -> user (or with `override` implicit -> user -> group). A failed
// authorization ends the session. The merged, sourced attributes drive the configuration reply.

import { NotifyType } from '../constants.ts';
import type { ConfigModePolicy, Ikev2Profile } from '../config.ts';
import type { AaaResult } from '../actions.ts';
import type { ExchangeContext, Task, TaskResult } from '../sa/task.ts';
import { AGAIN, DONE, failed } from '../sa/task.ts';
import { fromRadius, mangleName, mergeAuthorization, sourced, values } from '../../aaa/authorization.ts';
import type { AuthorizationAttributes, SourcedAttributes } from '../../aaa/authorization.ts';

/** The node-level settings of a hub (pool, dns, route-set...) as an authorization policy. */
export function configModeAttributes(c: ConfigModePolicy | undefined): AuthorizationAttributes {
  if (!c) return { routeAccept: {} }; // the smart-default policy: route set interface, route accept any
  return {
    pool: c.pool, pool6: c.pool6, dns: c.dns?.length ? c.dns : undefined, wins: c.nbns?.length ? c.nbns : undefined,
    routeSetInterface: c.routeSetInterface ? true : undefined, routeSetPrefixes: c.routeSet, defaultDomain: c.defaultDomain,
    splitDns: c.splitDns, routeAccept: c.routeAccept === false ? false : {},
  };
}

/** Keys (AAA pre-shared keys) stay out of logs, as in the SA view. */
const shown = (k: string, v: unknown) => (/password/i.test(k) ? '*****' : v);

function describe(a: SourcedAttributes): string {
  return Object.entries(a).map(([k, v]) => `${k}=${JSON.stringify(shown(k, v!.value))} (${v!.source})`).join(', ') || 'nothing';
}

export class AuthorizationTask implements Task {
  readonly name = 'authorization';
  private group?: SourcedAttributes;
  private user?: SourcedAttributes;
  private step: 'group' | 'user' | 'done' = 'group';
  private waiting = false;

  processRequest(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    if (!sa.authenticated) return AGAIN;
    const profile = sa.profile!;
    const cfg = profile.authorization;
    if (sa.reconnectRestore) {
      // Auto-reconnect (F-RC-01): the preserved authorization, no AAA round trip.
      sa.authorization = sa.reconnectRestore.authorization ?? sourced(configModeAttributes(profile.configMode), `local policy of profile ${profile.name}`);
      sa.aaaUserName ??= sa.remoteEapId ?? sa.remoteId?.value;
      sa.emit('info', `authorization of ${sa.aaaUserName} restored from reconnect session ${sa.reconnectRestore.sessionId} (no AAA request)`, { reconnect: sa.reconnectRestore.sessionId });
      return DONE;
    }
    const result = x.shared.aaaResult as AaaResult | undefined;
    if (result) delete x.shared.aaaResult;
    if (this.waiting) {
      this.waiting = false;
      const r = this.fromAaa(x, result!);
      if (typeof r !== 'object' || !('value' in r)) return r as TaskResult;
    }
    if (this.step === 'group') {
      if (!cfg?.group) {
        // No group authorization configured: the profile's own policy (node settings) applies.
        this.group = sourced(configModeAttributes(profile.configMode), `local policy of profile ${profile.name}`);
        this.step = 'user';
      } else if (cfg.group.source === 'local') {
        // The policy is named in the command, or derived from the peer identity by the name
        // mangler (`aaa authorization group psk list default name-mangler N`, S2:778-786).
        const name = cfg.group.policy ?? (cfg.group.nameMangler ? mangleName(sa.remoteId!, cfg.group.nameMangler) : 'default');
        this.group = this.localPolicy(x, profile, name, 'group');
        this.step = 'user';
      } else {
        return this.ask(x, 'group', mangleName(sa.remoteId!, cfg.group.nameMangler));
      }
    }
    if (this.step === 'user') {
      const u = cfg?.user;
      if (u?.source === 'cached') {
        if (sa.implicitAttributes) this.user = sourced(sa.implicitAttributes, 'implicit (attributes cached from authentication)');
      } else if (u?.source === 'local') {
        this.user = this.localPolicy(x, profile, u.policy ?? mangleName(sa.remoteId!, u.nameMangler), 'user');
      } else if (u?.source === 'radius') {
        return this.ask(x, 'user', sa.remoteEapId ?? mangleName(sa.remoteId!, u.nameMangler));
      }
      this.step = 'done';
    }
    sa.authorization = mergeAuthorization({ group: this.group, user: this.user }, cfg?.override);
    sa.aaaUserName ??= sa.remoteEapId ?? sa.remoteId?.value;
    sa.emit('info', `authorization of ${sa.aaaUserName}: ${describe(sa.authorization)}`, { attributes: Object.fromEntries(Object.entries(values(sa.authorization)).map(([k, v]) => [k, shown(k, v)])), sources: Object.fromEntries(Object.entries(sa.authorization).map(([k, v]) => [k, v!.source])) });
    return DONE;
  }

  private localPolicy(x: ExchangeContext, profile: Ikev2Profile, name: string, scope: 'group' | 'user'): SourcedAttributes {
    const policies = x.core.settings.authorizationPolicies ?? {};
    const p = policies[name];
    if (!p) {
      // A mistyped list name falls back to the default policy (S0:135).
      x.sa.emit('info', `${scope} authorization: no authorization policy "${name}", using the default`, { policy: name });
      return sourced(policies.default ?? configModeAttributes(profile.configMode), `${scope} local policy default`);
    }
    return sourced(p, `${scope} local policy ${name}`);
  }

  private ask(x: ExchangeContext, purpose: 'group' | 'user', userName: string): TaskResult {
    this.waiting = true;
    x.sa.emit('info', `${purpose} authorization of "${userName}" requested from AAA`, { userName, purpose });
    x.core.requestAaa(x.sa, { kind: 'authorize', purpose, userName, password: 'cisco' });
    return { status: 'defer' };
  }

  /** Takes the RADIUS answer of the current step; returns a failure, or `{ value }` to go on. */
  private fromAaa(x: ExchangeContext, r: AaaResult): TaskResult | { value: true } {
    const scope = this.step === 'group' ? 'group' : 'user';
    if (r.outcome !== 'accept') {
      return failed(`${scope} authorization of ${x.sa.remoteId?.value} failed: AAA answered ${r.outcome}${r.reason ? ` (${r.reason})` : ''}`, true, NotifyType.AUTHENTICATION_FAILED);
    }
    const attrs = sourced(fromRadius(r.attributes ?? []), `${scope} RADIUS${r.server ? ` ${r.server}` : ''}`);
    if (this.step === 'group') {
      this.group = attrs;
      this.step = 'user';
    } else {
      this.user = attrs;
      this.step = 'done';
    }
    return { value: true };
  }
}
