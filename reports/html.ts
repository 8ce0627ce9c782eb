// The HTML report people read: an index of the runs, and per scenario run one self-contained page
// (inline CSS, JS and SVG; opens from disk, fetches nothing): the result and the failed
// expectations first, the topology as a picture, the timeline (steps, faults, traffic, key events),
// a ladder diagram per IKE SA with payload lists, the SA tables before and after each fault (the
// IOS show views), every event, and links to the pcaps and Wireshark key tables.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LoggedEvent } from '../engine/daemon/event-log.ts';
import type { NodeSnapshot, Snapshot } from '../scenarios/daemons.ts';
import { eventType } from '../scenarios/events.ts';
import type { ScenarioResult, StepResult } from '../scenarios/runner.ts';
import { firstFailure } from '../scenarios/suite.ts';
import type { SuiteResult } from '../scenarios/suite.ts';
import { formatMs, formatRate } from '../scenarios/values.ts';
import { buildLadders, ladderSvg } from './ladder.ts';
import { showIkev2Sa, showIpsecSa, showSession } from './show.ts';
import { showAccessLists, showPolicyMapInterface } from './interface-show.ts';
import { esc, topologySvg } from './topology-svg.ts';
import { clientStoryHtml } from './client-story.ts';

const CSS = `
:root { --ok:#1a7f37; --bad:#cf222e; --err:#9a6700; --mute:#57606a; --line:#d0d7de; --bg:#f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color:#24292f; margin:0; background:#fff; }
header { padding:18px 28px; border-bottom:1px solid var(--line); background:var(--bg); }
main { padding:8px 28px 40px; max-width:1400px; }
h1 { font-size:22px; margin:0 0 6px; } h2 { font-size:18px; margin:28px 0 10px; border-bottom:1px solid var(--line); padding-bottom:4px; }
h3 { font-size:15px; margin:16px 0 6px; }
.badge { display:inline-block; padding:2px 10px; border-radius:12px; color:#fff; font-weight:600; font-size:13px; vertical-align:middle; }
.passed { background:var(--ok); } .failed { background:var(--bad); } .error { background:var(--err); } .skipped { background:#8c959f; }
.meta { color:var(--mute); } .meta code { color:#24292f; }
table { border-collapse:collapse; margin:6px 0 12px; } th, td { border:1px solid var(--line); padding:4px 8px; text-align:left; vertical-align:top; }
th { background:var(--bg); } td.num { text-align:right; font-variant-numeric:tabular-nums; }
tr.st-failed td, tr.st-error td { background:#ffebe9; } tr.st-skipped td { color:#8c959f; }
.failures { border:2px solid var(--bad); background:#fff5f5; border-radius:8px; padding:10px 16px; margin:16px 0; }
.failures h2 { border:0; margin-top:4px; color:var(--bad); }
.failure { margin:8px 0 14px; } .failure dt { font-weight:600; color:var(--mute); float:left; width:90px; clear:left; } .failure dd { margin:0 0 4px 96px; }
pre { background:var(--bg); border:1px solid var(--line); padding:8px 10px; overflow:auto; font-size:12px; line-height:1.35; }
details { margin:6px 0; } summary { cursor:pointer; font-weight:600; }
svg text { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
svg.topology .link { stroke:#8c959f; stroke-width:2.5; } svg.topology .link.faulty { stroke:var(--bad); stroke-dasharray:6 4; }
svg.topology .ifname { font-size:10px; fill:var(--mute); text-anchor:middle; } svg.topology .subnet { font-size:11px; fill:#0550ae; text-anchor:middle; }
svg.topology .nodename { font-size:13px; font-weight:700; text-anchor:middle; } svg.topology .kind { font-size:10.5px; fill:var(--mute); text-anchor:middle; }
svg.ladder .lane { font-size:14px; font-weight:700; text-anchor:middle; } svg.ladder .lanesub { font-size:11px; fill:var(--mute); text-anchor:middle; }
svg.ladder .laneline { stroke:#8c959f; stroke-width:2; } svg.ladder .time { font-size:11px; fill:var(--mute); font-variant-numeric:tabular-nums; }
svg.ladder .msg line { stroke:#24292f; stroke-width:1.4; } svg.ladder .msg.resp line { stroke:#0550ae; }
svg.ladder .msg.lost line { stroke:var(--bad); stroke-dasharray:5 3; } svg.ladder .mlabel { font-size:12px; font-weight:600; text-anchor:middle; }
svg.ladder .payloads { font-size:10.5px; fill:#57606a; text-anchor:middle; font-family: ui-monospace, Menlo, Consolas, monospace; }
svg.ladder .note text { font-size:11.5px; fill:#6639ba; } svg.ladder .note.bad text { fill:var(--bad); } svg.ladder .note.good text { fill:var(--ok); }
svg.timeline .axis { stroke:#8c959f; } svg.timeline .tick { font-size:10px; fill:var(--mute); text-anchor:middle; }
svg.timeline .lanelabel { font-size:11.5px; fill:#24292f; text-anchor:end; } svg.timeline .fault { fill:#cf222e; fill-opacity:0.10; stroke:#cf222e; stroke-opacity:0.4; }
svg.timeline .faultlabel { font-size:10.5px; fill:var(--bad); }
svg.timeline .reply { fill:var(--ok); } svg.timeline .lost { fill:var(--bad); } svg.timeline .gap { fill:none; stroke:var(--bad); stroke-width:1.5; }
svg.timeline .st-passed { fill:var(--ok); } svg.timeline .st-failed, svg.timeline .st-error { fill:var(--bad); } svg.timeline .st-skipped { fill:#8c959f; }
svg.timeline .wait { fill:#0969da; fill-opacity:0.18; } svg.timeline .steplabel { font-size:9.5px; fill:#fff; text-anchor:middle; font-weight:700; }
svg.timeline .ev { font-size:12px; text-anchor:middle; } svg.timeline .ev.bad { fill:var(--bad); } svg.timeline .ev.good { fill:var(--ok); } svg.timeline .ev.info { fill:#6639ba; }
.filters { margin:6px 0; } .filters input, .filters select { font:inherit; padding:2px 6px; margin-right:8px; }
table.events td { font-size:12.5px; } table.events td.t { white-space:nowrap; font-variant-numeric:tabular-nums; }
.muted { color:var(--mute); } .small { font-size:12px; }
a { color:#0969da; }
`;

const JS = `
(function () {
  var input = document.getElementById('ev-filter'), sel = document.getElementById('ev-node'), chk = document.getElementById('ev-messages');
  function apply() {
    if (!input) return;
    var q = input.value.toLowerCase(), node = sel.value, showMsg = chk.checked, shown = 0;
    var rows = document.querySelectorAll('table.events tbody tr');
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i], ok = (!node || r.getAttribute('data-node') === node) && (showMsg || r.getAttribute('data-type') !== 'message')
        && (!q || r.textContent.toLowerCase().indexOf(q) >= 0);
      r.style.display = ok ? '' : 'none'; if (ok) shown++;
    }
    var c = document.getElementById('ev-count'); if (c) c.textContent = shown + ' shown';
  }
  if (input) { input.addEventListener('input', apply); sel.addEventListener('change', apply); chk.addEventListener('change', apply); apply(); }
  var b = document.getElementById('expand-all');
  if (b) b.addEventListener('click', function () {
    var d = document.querySelectorAll('details'), open = b.getAttribute('data-open') !== '1';
    for (var i = 0; i < d.length; i++) d[i].open = open;
    b.setAttribute('data-open', open ? '1' : '0'); b.textContent = open ? 'collapse all' : 'expand all';
  });
  document.body.setAttribute('data-ready', '1');
})();
`;

const MARKERS = '<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>'
  + '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#24292f"/></marker>'
  + '<marker id="x" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="10" markerHeight="10"><path d="M 0 0 L 10 10 M 10 0 L 0 10" stroke="#cf222e" stroke-width="2"/></marker>'
  + '</defs></svg>';

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><link rel="icon" href="data:,"><style>${CSS}</style></head>
<body>${MARKERS}${body}<script>${JS}</script></body></html>
`;
}

const badge = (status: string) => `<span class="badge ${esc(status)}">${esc(status.toUpperCase())}</span>`;
const rel = (from: string, file: string) => path.relative(from, file).split(path.sep).join('/');
const secs = (ms: number) => `${ms < 0 ? '−' : '+'}${(Math.abs(ms) / 1000).toFixed(2)} s`;

export function scenarioPageDir(reportDir: string, r: ScenarioResult): string {
  return path.join(path.resolve(reportDir), r.id.replace(/[^A-Za-z0-9._-]/g, '-'));
}

/** Writes index.html and one page per scenario run; returns the index's path. */
export function writeHtmlReport(reportDir: string, s: SuiteResult): string {
  const dir = path.resolve(reportDir);
  mkdirSync(dir, { recursive: true });
  const rows = s.results.map((r) => {
    const pageDir = scenarioPageDir(dir, r);
    mkdirSync(pageDir, { recursive: true });
    writeFileSync(path.join(pageDir, 'index.html'), scenarioHtml(r, pageDir));
    const f = firstFailure(r);
    return `<tr class="st-${r.status}"><td><a href="${esc(rel(dir, path.join(pageDir, 'index.html')))}">${esc(r.id)}</a></td><td>${badge(r.status)}</td>`
      + `<td class="num">${r.steps.filter((x) => x.status === 'passed').length}/${r.steps.length}</td><td class="num">${esc(formatMs(r.durationMs))}</td>`
      + `<td>${esc(r.features.join(', '))}</td><td class="small">${f ? esc(f) : ''}</td></tr>`;
  });
  const status = s.failed ? 'failed' : 'passed';
  const body = `<header><h1>flexlab scenarios ${badge(status)}</h1><div class="meta">${s.passed} passed, ${s.failed} failed of ${s.results.length}, `
    + `in ${esc(formatMs(s.durationMs))}, started ${esc(s.startedAt)}</div></header><main>`
    + `<table><thead><tr><th>scenario</th><th>result</th><th>steps</th><th>time</th><th>features</th><th>first failure</th></tr></thead><tbody>${rows.join('')}</tbody></table></main>`;
  const index = path.join(dir, 'index.html');
  writeFileSync(index, page('flexlab scenarios', body));
  return index;
}

function failuresBox(r: ScenarioResult, pageDir: string): string {
  const bad = r.steps.filter((x) => x.status === 'failed' || x.status === 'error');
  if (!bad.length && !r.error) return '';
  const items = bad.map((s) => `<dl class="failure" id="fail-${s.index}"><dt>step</dt><dd><b>${s.index + 1}${s.name ? ` “${esc(s.name)}”` : ''}</b>: ${esc(s.title)} <span class="muted">(${esc(s.where)})</span></dd>`
    + (s.expected ? `<dt>expected</dt><dd>${esc(s.expected)}</dd><dt>seen</dt><dd>${esc(s.seen ?? '')}</dd>` : `<dt>${s.status}</dt><dd>${esc(s.message ?? '')}</dd>`)
    + (s.look?.length ? `<dt>look at</dt><dd>${s.look.map((l) => `<a href="${esc(rel(pageDir, l))}">${esc(path.basename(l))}</a>`).join(', ')}</dd>` : '')
    + '</dl>');
  if (r.error) items.push(`<dl class="failure"><dt>error</dt><dd>${esc(r.error)}</dd></dl>`);
  return `<section class="failures" id="failures"><h2>What failed</h2>${items.join('')}</section>`;
}

function stepsTable(r: ScenarioResult): string {
  const row = (s: StepResult) => `<tr class="st-${s.status}"><td class="num">${s.index + 1}</td><td class="num">${s.start !== undefined ? esc(secs(s.start)) : ''}</td>`
    + `<td class="num">${s.start !== undefined && s.end !== undefined ? esc(formatMs(s.end - s.start)) : ''}</td><td>${badge(s.status)}</td>`
    + `<td>${s.name ? `<b>${esc(s.name)}</b>: ` : ''}${esc(s.title)}${s.description ? `<div class="muted small">${esc(s.description)}</div>` : ''}</td>`
    + `<td class="small">${esc(s.message ?? '')}</td></tr>`;
  return `<table class="steps"><thead><tr><th>#</th><th>at</th><th>took</th><th>result</th><th>step</th><th>outcome</th></tr></thead><tbody>${r.steps.map(row).join('')}</tbody></table>`;
}

const EV_GLYPH: Record<string, [string, string]> = {
  'ike-established': ['●', 'good'], 'child-installed': ['▲', 'good'], 'child-rekeyed': ['◆', 'info'], 'ike-rekeyed': ['◆', 'info'],
  'dpd-timeout': ['✖', 'bad'], 'ike-deleted': ['■', 'bad'], 'auth-failed': ['✖', 'bad'], 'ike-failed': ['✖', 'bad'], 'tunnel-down': ['▼', 'bad'],
  'tunnel-up': ['▲', 'good'], 'cookie-demanded': ['c', 'info'], 'peer-address-changed': ['⇄', 'info'], 'retransmit': ['↺', 'info'],
  // FlexVPN client decisions (reports/client-story.ts lists them in full).
  'client-trigger': ['!', 'bad'], 'client-peer-selected': ['➜', 'info'], 'client-peer-skipped': ['↷', 'info'], 'client-list': ['≡', 'info'],
  'client-route': ['↗', 'info'], track: ['◐', 'info'],
};

function timelineSvg(r: ScenarioResult): string {
  const t0 = r.t0;
  const ipsecNodes = [...new Set(r.events.map((e) => e.node))].sort();
  const flows = r.flows.filter((f) => f.type === 'ping');
  const lastStep = Math.max(0, ...r.steps.map((s) => s.end ?? 0));
  const lastFlow = Math.max(0, ...r.flows.map((f) => (f.stoppedAt ?? 0) - t0));
  const end = Math.max(lastStep, lastFlow, 1000);
  const start = Math.min(0, ...r.events.filter((e) => e.type !== 'message').map((e) => e.time - t0).filter((x) => x > -60_000));
  const W = 1100, L = 150, R = 20, laneH = 28;
  const lanes = ['steps', ...flows.map((f) => `ping ${f.name}`), ...ipsecNodes];
  const H = 30 + lanes.length * laneH + 24;
  const x = (t: number) => L + ((t - start) / (end - start)) * (W - L - R);
  const s: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">`];
  for (const f of r.faults) {
    const x1 = x(f.from), x2 = x(f.to ?? end);
    s.push(`<rect class="fault" x="${x1}" y="14" width="${Math.max(2, x2 - x1)}" height="${H - 38}"><title>${esc(f.title)} (${esc(secs(f.from))} – ${f.to !== undefined ? esc(secs(f.to)) : 'end'})</title></rect>`);
    s.push(`<text class="faultlabel" x="${x1 + 3}" y="11">${esc(f.title.length > 40 ? `${f.title.slice(0, 38)}…` : f.title)}</text>`);
  }
  lanes.forEach((name, i) => {
    const y = 30 + i * laneH + laneH / 2;
    s.push(`<text class="lanelabel" x="${L - 8}" y="${y + 4}">${esc(name)}</text><line class="axis" x1="${L}" x2="${W - R}" y1="${y}" y2="${y}" stroke-opacity="0.25"/>`);
  });
  // steps
  const ys = 30 + laneH / 2;
  for (const st of r.steps) {
    if (st.start === undefined) continue;
    const x1 = x(st.start), x2 = x(st.end ?? st.start);
    if (x2 - x1 > 3) s.push(`<rect class="wait" x="${x1}" y="${ys - 7}" width="${x2 - x1}" height="14"/>`);
    s.push(`<g><title>${esc(`${st.index + 1}. ${st.title} — ${st.status}${st.message ? `: ${st.message}` : ''}`)}</title><circle class="st-${st.status}" cx="${x1}" cy="${ys}" r="7"/>`
      + `<text class="steplabel" x="${x1}" y="${ys + 3.5}">${st.index + 1}</text></g>`);
  }
  // flows: a dot per reply, a red mark per lost request, the longest gap boxed
  flows.forEach((f, i) => {
    const y = 30 + (i + 1) * laneH + laneH / 2;
    const step = Math.max(1, Math.ceil((f.replies?.length ?? 0) / 1500));
    (f.replies ?? []).forEach((rep, k) => { if (k % step === 0) s.push(`<rect class="reply" x="${x(rep.t - t0)}" y="${y - 4}" width="1.5" height="8"/>`); });
    const interval = f.intervalMs ?? 50;
    for (const seq of f.stats?.lostSeqs ?? []) s.push(`<rect class="lost" x="${x(f.startedAt + (seq - 1) * interval - t0)}" y="${y - 8}" width="1.5" height="16"/>`);
    if (f.stats?.gapFrom !== undefined && f.stats.longestGapMs > 3 * interval) {
      const gx1 = x(f.stats.gapFrom - t0), gx2 = x(f.stats.gapTo! - t0);
      s.push(`<rect class="gap" x="${gx1}" y="${y - 10}" width="${Math.max(2, gx2 - gx1)}" height="20"><title>longest gap ${esc(formatMs(f.stats.longestGapMs))}</title></rect>`);
    }
  });
  // key events per node
  ipsecNodes.forEach((node, i) => {
    const y = 30 + (1 + flows.length + i) * laneH + laneH / 2;
    for (const e of r.events) {
      if (e.node !== node) continue;
      const g = EV_GLYPH[eventType(e)];
      if (!g) continue;
      s.push(`<text class="ev ${g[1]}" x="${x(e.time - t0)}" y="${y + 4}"><title>${esc(`${secs(e.time - t0)} ${eventType(e)}: ${e.text}`)}</title>${g[0]}</text>`);
    }
  });
  // axis
  const yAxis = H - 20;
  s.push(`<line class="axis" x1="${L}" x2="${W - R}" y1="${yAxis}" y2="${yAxis}"/>`);
  const span = end - start;
  const tick = [500, 1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000].find((t) => span / t <= 14) ?? 120_000;
  for (let t = Math.ceil(start / tick) * tick; t <= end; t += tick) s.push(`<line class="axis" x1="${x(t)}" x2="${x(t)}" y1="${yAxis}" y2="${yAxis + 4}"/><text class="tick" x="${x(t)}" y="${yAxis + 15}">${t / 1000} s</text>`);
  s.push('</svg>');
  return s.join('\n');
}

function flowsTable(r: ScenarioResult, pageDir: string): string {
  if (!r.flows.length) return '';
  const rows = r.flows.map((f) => {
    const res = f.type === 'ping' && f.stats
      ? `${f.stats.sent} sent, ${f.stats.received} replies, ${f.stats.lost} lost (${f.stats.lossPct.toFixed(1)} %), longest gap ${formatMs(f.stats.longestGapMs)}`
      : f.bps !== undefined ? `${formatRate(f.bps)}${f.retransmits !== undefined ? `, ${f.retransmits} retransmissions` : ''}` : esc(f.error ?? '');
    return `<tr><td>${esc(f.name)}</td><td>${f.type === 'ping' ? `ping every ${formatMs(f.intervalMs ?? 50)}` : 'TCP (iperf3)'}</td><td>${esc(f.from)} → ${esc(f.to)} (${esc(f.address)})</td>`
      + `<td>${esc(res)}</td><td><a href="${esc(rel(pageDir, f.log))}">output</a></td></tr>`;
  });
  return `<h3>Traffic</h3><table><thead><tr><th>flow</th><th>kind</th><th>path</th><th>result</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function snapshotSection(snaps: Snapshot[], r: ScenarioResult): string {
  if (!snaps.length) return '<p class="muted">No IPsec node in this lab.</p>';
  const phaseText: Record<string, string> = { before: 'before', after: 'right after', label: 'snapshot', end: 'at the end', step: 'at' };
  return snaps.map((sn, i) => {
    const title = `${secs(sn.t)} — ${sn.phase === 'before' || sn.phase === 'after' ? `${phaseText[sn.phase]} step ${(sn.step ?? 0) + 1}: ${sn.label.replace(/^(before|after) /, '')}` : sn.label}`;
    const nodes = sn.nodes.map((n) => {
      const count = n.ikeSas.length;
      const text = n.error ? `the daemon does not answer: ${n.error}`
        : `${n.node}# show crypto ikev2 sa detail\n${showIkev2Sa(n.ikeSas, true)}\n${n.node}# show crypto ipsec sa\n${showIpsecSa(n.ikeSas) || '(none)'}\n\n${n.node}# show crypto session detail\n${showSession(n.ikeSas, true, sn.at)}${policyViews(n)}`;
      return `<details><summary>${esc(n.node)} <span class="muted">— ${n.error ? 'not answering' : `${count} IKE SA${count === 1 ? '' : 's'}, ${n.ikeSas.reduce((k, s) => k + s.children.length, 0)} CHILD SAs`}</span></summary><pre>${esc(text)}</pre></details>`;
    }).join('');
    return `<details class="snapshot"${i === 0 && r.snapshots.length < 3 ? ' open' : ''}><summary>${esc(title)}</summary><div style="margin-left:16px">${nodes}</div></details>`;
  }).join('');
}

/** What the node's virtual-access interfaces enforce (CoA QoS and ACLs), when they enforce anything. */
function policyViews(n: NodeSnapshot): string {
  const tunnels = n.status?.tunnels ?? [];
  if (!tunnels.some((t) => t.policy)) return '';
  return `\n\n${n.node}# show policy-map interface\n${showPolicyMapInterface(tunnels)}\n${n.node}# show ip access-lists\n${showAccessLists(tunnels)}`;
}

function eventsTable(events: LoggedEvent[], t0: number): string {
  const nodes = [...new Set(events.map((e) => e.node))].sort();
  const list = events.length > 5000 ? events.slice(-5000) : events;
  const rows = list.map((e) => `<tr data-node="${esc(e.node)}" data-type="${esc(e.type)}"><td class="t">${esc(secs(e.time - t0))}</td><td>${esc(e.node)}</td><td>${esc(eventType(e))}</td><td>${esc(e.text)}</td></tr>`);
  return `<div class="filters"><input id="ev-filter" type="search" placeholder="filter events"><select id="ev-node"><option value="">all nodes</option>${nodes.map((n) => `<option>${esc(n)}</option>`).join('')}</select>`
    + `<label><input id="ev-messages" type="checkbox" checked> IKE messages</label> <span id="ev-count" class="muted"></span>${events.length > list.length ? ` <span class="muted">(last 5000 of ${events.length})</span>` : ''}</div>`
    + `<table class="events"><thead><tr><th>at</th><th>node</th><th>type</th><th>event</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function scenarioHtml(r: ScenarioResult, pageDir: string): string {
  const captures = new Map<string, string>();
  for (const c of r.captures) captures.set(path.basename(c).replace(/\.pcap(ng)?$/, ''), rel(pageDir, c));
  const faulty = new Set(r.faults.map((f) => /(\S+--\S+)/.exec(f.title)?.[1]).filter((x): x is string => !!x));
  const ladders = buildLadders(r.events);
  const shownLadders = ladders.ladders.slice(0, 24);
  const ladderHtml = shownLadders.map((l, i) => {
    const ex = [...l.exchanges].join(', ');
    return `<details${i < 4 ? ' open' : ''}><summary>IKE SA ${esc(l.spiI)} — ${esc(l.initiator)} → ${esc(l.responder)} <span class="muted">(${l.messages.length} messages: ${esc(ex)}; from ${esc(secs(l.firstAt - r.t0))})</span></summary>${ladderSvg(l, r.t0)}</details>`;
  }).join('');
  const more = [ladders.ladders.length > shownLadders.length ? `${ladders.ladders.length - shownLadders.length} more IKE SAs not drawn` : '',
    ladders.halfOpen ? `${ladders.halfOpen} IKE SAs never got past a received IKE_SA_INIT (spoofed or abandoned requests)` : '',
    ladders.stateless ? `${ladders.stateless} IKE_SA_INIT messages answered without keeping state (cookie demands, rejections)` : ''].filter(Boolean);
  const files = [
    ...r.captures.map((c) => ['capture', c]), ...r.keyFiles.map((k) => ['Wireshark key table', k]),
    ...r.eventFiles.map((k) => ['event log', k]), ...r.logFiles.map((k) => ['process log', k]),
  ].map(([what, f]) => `<tr><td>${esc(what!)}</td><td><a href="${esc(rel(pageDir, f!))}">${esc(path.basename(f!))}</a></td></tr>`).join('');
  const body = `<header><h1>${esc(r.id)} ${badge(r.status)}</h1>`
    + (r.description ? `<div>${esc(r.description)}</div>` : '')
    + `<div class="meta">scenario <code>${esc(r.file)}</code> · topology <code>${esc(r.topologyFile)}</code> · lab <code>${esc(r.labName)}</code>${r.kept ? ' (kept running)' : ''}`
    + ` · started ${esc(r.startedAt)} · deploy ${esc(formatMs(r.deployMs))} · total ${esc(formatMs(r.durationMs))}`
    + `${r.features.length ? ` · features ${esc(r.features.join(', '))}` : ''} · <button id="expand-all" type="button">expand all</button></div></header><main>`
    + failuresBox(r, pageDir)
    + `<h2>Topology</h2>${topologySvg(r.lab, { captures, faulty })}`
    + `<h2>Timeline</h2><p class="muted small">Numbered circles are steps (blue bars: time spent waiting for an expectation), red bands are faults, ping replies are green ticks and lost requests red ones (the longest gap boxed); the node lanes mark IKE events (● established, ▲ CHILD SA or tunnel up, ◆ rekey, ✖ DPD timeout or failure, ■ deleted) and FlexVPN client decisions (! trigger, ➜ peer selected, ↷ peer skipped, ≡ gateway list change, ◐ track change, ↗ route).</p>`
    + timelineSvg(r) + stepsTable(r) + flowsTable(r, pageDir)
    + clientStoryHtml(r, secs)
    + `<h2>IKE SAs</h2>${ladderHtml || '<p class="muted">No IKE exchange was logged.</p>'}${more.length ? `<p class="muted">${esc(more.join('; '))}.</p>` : ''}`
    + `<h2>SA tables</h2><p class="muted small">What each IPsec node showed before and right after each fault, and at the end (the IOS show views).</p>${snapshotSection(r.snapshots, r)}`
    + `<h2>Events</h2>${eventsTable(r.events, r.t0)}`
    + `<h2>Files</h2><p class="muted small">Open a capture in Wireshark with the key tables: copy <code>ikev2_decryption_table</code> and <code>esp_sa</code> into your Wireshark profile directory (e.g. ~/.config/wireshark/), then IKE and ESP decrypt.</p>`
    + `<table><tbody>${files}</tbody></table></main>`;
  return page(`${r.id}: ${r.status}`, body);
}
