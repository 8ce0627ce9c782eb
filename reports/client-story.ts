// The FlexVPN client's failover as a readable sequence for the HTML report: for every node whose
// client role made decisions, its decisions (trigger seen, peer chosen and why, list changes,
// track changes, routes refused) interleaved with the IKE events that explain them (DPD timeout,
// failures, establishment, tunnel up/down) and the scenario's faults, in time order.

import type { LoggedEvent } from '../engine/daemon/event-log.ts';
import { eventType } from '../scenarios/events.ts';
import type { ScenarioResult } from '../scenarios/runner.ts';
import { esc } from './topology-svg.ts';

const CONTEXT = new Set(['dpd-timeout', 'timeout', 'auth-failed', 'ike-failed', 'ike-established', 'ike-deleted', 'tunnel-up', 'tunnel-down']);
const LABEL: Record<string, string> = {
  'client-trigger': 'trigger', 'client-peer-selected': 'peer selected', 'client-peer-skipped': 'peer skipped', 'client-list': 'gateway list',
  'client-state': 'state', 'client-route': 'route', track: 'track',
};

const NOWRAP = ' style="white-space:nowrap"';

export function isClientDecision(e: LoggedEvent): boolean {
  return e.type.startsWith('client-') || e.type === 'track';
}

/** The section's HTML, or '' when no client made a decision. */
export function clientStoryHtml(r: ScenarioResult, secs: (ms: number) => string): string {
  const nodes = new Set(r.events.filter(isClientDecision).map((e) => e.node));
  if (!nodes.size) return '';
  // What happens while the lab is torn down (servers deleting their SAs as they stop) is not the story.
  const end = r.t0 + Math.max(0, ...r.steps.map((s) => s.end ?? 0));
  const rows: Array<{ t: number; html: string }> = [];
  for (const e of r.events) {
    if (!nodes.has(e.node) || e.time > end) continue;
    const type = eventType(e);
    const decision = isClientDecision(e);
    if (!decision && !CONTEXT.has(type)) continue;
    const cls = decision ? (type === 'client-trigger' ? 'st-failed' : '') : 'muted';
    rows.push({ t: e.time - r.t0, html: `<tr class="${cls}"><td${NOWRAP}>${esc(secs(e.time - r.t0))}</td><td>${esc(e.node)}</td><td${NOWRAP}>${esc(LABEL[type] ?? type)}</td><td>${esc(e.text)}</td></tr>` });
  }
  for (const f of r.faults) {
    rows.push({ t: f.from, html: `<tr class="st-error"><td${NOWRAP}>${esc(secs(f.from))}</td><td>scenario</td><td>fault</td><td>${esc(f.title)}</td></tr>` });
    if (f.to !== undefined) rows.push({ t: f.to, html: `<tr class="st-error"><td${NOWRAP}>${esc(secs(f.to))}</td><td>scenario</td><td>fault over</td><td>${esc(f.title)}</td></tr>` });
  }
  rows.sort((a, b) => a.t - b.t);
  return `<h2>FlexVPN client decisions</h2><p class="muted small">What each FlexVPN client decided and why (triggers in red), with the faults and the IKE events behind them (grey), in time order.</p>`
    + `<table class="story"><thead><tr><th>at</th><th>node</th><th>what</th><th>event</th></tr></thead><tbody>${rows.map((x) => x.html).join('')}</tbody></table>`;
}
