// `show: {node, view, match, absent}`: the IOS-style text of `flexlab show NODE VIEW` must match
// regular expressions (golden fields from the seed documents) and must not match others. The text
// goes into the report, so a trainee sees the same output the document shows.

import type { CheckContext, Outcome } from './expectations.ts';
import { showIkev2Sa, showIpsecSa, showReconnectStats, showSession } from '../reports/show.ts';
import type { SessionView } from '../reports/show.ts';
import { showAccessLists, showIpInterfaceAccess, showPolicyMapInterface } from '../reports/interface-show.ts';
import { parseConntrack, showNatTranslations } from '../reports/nat-show.ts';

export const SHOW_VIEWS = ['ikev2 sa', 'ikev2 sa detail', 'ipsec sa', 'session', 'session detail', 'ikev2 stats reconnect', 'ip access-lists', 'ip interface', 'policy-map interface', 'ip nat translations'] as const;

type Args = Record<string, unknown>;

export async function showText(ctx: CheckContext, node: string, view: string): Promise<string> {
  if (view === 'ikev2 stats reconnect') return showReconnectStats(await ctx.daemons.request(node, 'reconnect'));
  if (view === 'ip nat translations') return showNatTranslations(parseConntrack(await ctx.lab.exec(node, ['conntrack', '-L', '--src-nat'])));
  if (view === 'ip access-lists' || view === 'ip interface' || view === 'policy-map interface') {
    const { tunnels } = await ctx.daemons.status(node);
    return view === 'ip access-lists' ? showAccessLists(tunnels) : view === 'ip interface' ? showIpInterfaceAccess(tunnels) : showPolicyMapInterface(tunnels);
  }
  const sas = await ctx.daemons.request<SessionView[]>(node, 'ike-sas');
  switch (view) {
    case 'ikev2 sa': return showIkev2Sa(sas, false);
    case 'ikev2 sa detail': return showIkev2Sa(sas, true);
    case 'ipsec sa': return showIpsecSa(sas);
    case 'session': return showSession(sas, false);
    default: return showSession(sas, true);
  }
}

export async function checkShow(ctx: CheckContext, a: Args): Promise<Outcome> {
  const node = String(a['node']);
  const view = String(a['view']);
  const match = (a['match'] as string[] | undefined) ?? [];
  const absent = (a['absent'] as string[] | undefined) ?? [];
  const text = await showText(ctx, node, view);
  const missing = match.filter((re) => !new RegExp(re, 'm').test(text));
  const present = absent.filter((re) => new RegExp(re, 'm').test(text));
  const expected = `show ${view} on ${node}${match.length ? ` shows ${match.length} expected line(s)` : ''}${absent.length ? `${match.length ? ' and' : ''} none of ${absent.length} pattern(s)` : ''}`;
  const seen = missing.length || present.length
    ? [missing.length ? `missing: ${missing.map((m) => `/${m}/`).join(', ')}` : '', present.length ? `present: ${present.map((m) => `/${m}/`).join(', ')}` : ''].filter(Boolean).join('; ')
    : 'all expected lines present';
  return { ok: !missing.length && !present.length, expected, seen, look: [`flexlab show ${node} ${view}`], detail: { text } };
}
