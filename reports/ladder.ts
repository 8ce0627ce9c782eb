// Ladder diagrams of IKE SAs from the daemons' 'message' events: for each IKE SA (its initiator
// SPI), the initiator on the left, the responder on the right, one arrow per message with its
// exchange, message id and payload list; a message one side sent and the other never received is
// drawn lost; the SA's other events (established, CHILD SA installed, DPD timeout, deleted) are
// notes on the lane of the node that logged them.

import type { LoggedEvent } from '../engine/daemon/event-log.ts';
import { esc } from './topology-svg.ts';

export interface LadderMessage {
  exchange: string;
  messageId: number;
  response: boolean;
  /** Which lane sent it. */
  fromInitiator: boolean;
  sentAt?: number;
  receivedAt?: number;
  payloads: string;
  encrypted: boolean;
  bytes?: number;
  fragments?: number;
  /** Sent and never received by the other side (only known when both sides log). */
  lost: boolean;
}

export interface LadderNote {
  at: number;
  initiatorSide: boolean;
  type: string;
  text: string;
}

export interface Ladder {
  spiI: string;
  initiator: string;
  responder: string;
  messages: LadderMessage[];
  notes: LadderNote[];
  /** Both ends' logs were available. */
  bothSides: boolean;
  firstAt: number;
  established: boolean;
  exchanges: Set<string>;
}

interface MsgData {
  direction: 'in' | 'out';
  exchange: string;
  response: boolean;
  messageId: number;
  payloads: string;
  encrypted: boolean;
  bytes?: number;
  fragments?: number;
  spiI: string;
  initiator?: boolean;
  stateless?: boolean;
}

const NOTE_TYPES = new Set(['ike-established', 'ike-rekeyed', 'ike-deleted', 'ike-failed', 'auth-failed', 'child-installed', 'child-rekeyed', 'child-deleted',
  'dpd-timeout', 'retransmit', 'timeout', 'cookie-demanded', 'nat-detected', 'peer-address-changed', 'fragmented', 'reassembled', 'collision', 'config-assigned', 'config-received']);

export interface LadderSet {
  ladders: Ladder[];
  /** Stateless answers (cookie demands, rejections) not tied to an SA. */
  stateless: number;
  /** IKE SAs that never got past IKE_SA_INIT on one side only (spoofed or abandoned requests). */
  halfOpen: number;
}

export function buildLadders(events: LoggedEvent[]): LadderSet {
  const groups = new Map<string, { events: LoggedEvent[]; nodes: Set<string> }>();
  /** node|ikeSaId -> spiI, to attach the SA's other events. */
  const saSpi = new Map<string, string>();
  let stateless = 0;
  for (const e of events) {
    if (e.type !== 'message' || !e.data) continue;
    const d = e.data as unknown as MsgData;
    if (d.stateless) { stateless++; continue; }
    if (!d.spiI) continue;
    let g = groups.get(d.spiI);
    if (!g) groups.set(d.spiI, g = { events: [], nodes: new Set() });
    g.events.push(e);
    g.nodes.add(e.node);
    if (e.ikeSaId !== undefined) saSpi.set(`${e.node}|${e.ikeSaId}`, d.spiI);
  }
  const ladders: Ladder[] = [];
  let halfOpen = 0;
  for (const [spiI, g] of groups) {
    const msgs = g.events.map((e) => ({ e, d: e.data as unknown as MsgData }));
    const initNode = msgs.find((m) => m.d.initiator === true)?.e.node;
    const respNode = msgs.find((m) => m.d.initiator === false)?.e.node;
    const peerOf = (m: { e: LoggedEvent }) => m.e.peer?.replace(/:\d+$/, '') ?? '?';
    const initiator = initNode ?? peerOf(msgs.find((m) => m.e.node === respNode) ?? msgs[0]!);
    const responder = respNode ?? peerOf(msgs.find((m) => m.e.node === initNode) ?? msgs[0]!);
    const exchanges = new Set(msgs.map((m) => m.d.exchange));
    if (exchanges.size === 1 && exchanges.has('IKE_SA_INIT') && g.nodes.size === 1 && respNode) { halfOpen++; continue; }
    const bothSides = !!initNode && !!respNode;
    // Pair each send with the matching receive on the other side, in order (retransmissions too).
    const received = msgs.filter((m) => m.d.direction === 'in');
    const used = new Set<LoggedEvent>();
    const out: LadderMessage[] = [];
    for (const m of msgs) {
      const fromInitiator = m.e.node === initNode ? m.d.direction === 'out' : m.e.node === respNode ? m.d.direction === 'in' : m.d.direction === 'out';
      if (m.d.direction === 'in' && bothSides) continue; // drawn with its send
      const base = { exchange: m.d.exchange, messageId: m.d.messageId, response: m.d.response, fromInitiator, payloads: m.d.payloads, encrypted: m.d.encrypted,
        ...(m.d.bytes !== undefined ? { bytes: m.d.bytes } : {}), ...(m.d.fragments !== undefined ? { fragments: m.d.fragments } : {}) };
      if (m.d.direction === 'in') { out.push({ ...base, receivedAt: m.e.time, lost: false }); continue; }
      const rx = bothSides ? received.find((r) => !used.has(r.e) && r.e.node !== m.e.node && r.d.exchange === m.d.exchange && r.d.messageId === m.d.messageId
        && r.d.response === m.d.response && r.e.time >= m.e.time - 100) : undefined;
      if (rx) used.add(rx.e);
      out.push({ ...base, sentAt: m.e.time, ...(rx ? { receivedAt: rx.e.time } : {}), lost: bothSides && !rx });
    }
    const notes: LadderNote[] = [];
    for (const e of events) {
      if (!NOTE_TYPES.has(e.type) || e.ikeSaId === undefined) continue;
      if (saSpi.get(`${e.node}|${e.ikeSaId}`) !== spiI) continue;
      notes.push({ at: e.time, initiatorSide: e.node === initNode, type: e.type, text: e.text });
    }
    const t = (x: LadderMessage) => x.sentAt ?? x.receivedAt ?? 0;
    out.sort((a, b) => t(a) - t(b));
    ladders.push({
      spiI, initiator, responder, messages: out, notes, bothSides, exchanges,
      firstAt: Math.min(...out.map(t)), established: notes.some((n) => n.type === 'ike-established') || exchanges.has('IKE_AUTH'),
    });
  }
  ladders.sort((a, b) => a.firstAt - b.firstAt);
  return { ladders, stateless, halfOpen };
}

const NOTE_MARK: Record<string, string> = {
  'ike-established': '✔', 'child-installed': '✔', 'ike-rekeyed': '↻', 'child-rekeyed': '↻', 'ike-deleted': '✖', 'child-deleted': '✖',
  'dpd-timeout': '✖', 'auth-failed': '✖', 'ike-failed': '✖', timeout: '✖', retransmit: '↺',
};

/** One ladder as SVG; times are shown from `t0`. */
export function ladderSvg(l: Ladder, t0: number, maxRows = 160): string {
  type Row = { at: number; msg?: LadderMessage; note?: LadderNote };
  let rows: Row[] = [
    ...l.messages.map((m) => ({ at: m.sentAt ?? m.receivedAt ?? 0, msg: m })),
    ...l.notes.map((n) => ({ at: n.at, note: n })),
  ].sort((a, b) => a.at - b.at);
  const cut = rows.length > maxRows ? rows.length - maxRows : 0;
  if (cut) rows = rows.slice(0, maxRows);
  const W = 1000, left = 200, right = 800, top = 46, rowH = 30;
  const H = top + rows.length * rowH + 20 + (cut ? 20 : 0);
  const s: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" class="ladder" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">`];
  s.push(`<text x="${left}" y="16" class="lane">${esc(l.initiator)}</text><text x="${left}" y="32" class="lanesub">initiator</text>`);
  s.push(`<text x="${right}" y="16" class="lane">${esc(l.responder)}</text><text x="${right}" y="32" class="lanesub">responder</text>`);
  s.push(`<line x1="${left}" y1="${top - 6}" x2="${left}" y2="${H - 10}" class="laneline"/><line x1="${right}" y1="${top - 6}" x2="${right}" y2="${H - 10}" class="laneline"/>`);
  rows.forEach((r, i) => {
    const y = top + i * rowH + 18;
    const dt = (r.at - t0) / 1000;
    s.push(`<text x="8" y="${y + 4}" class="time">${dt < 0 ? '−' : '+'}${Math.abs(dt).toFixed(3)} s</text>`);
    if (r.msg) {
      const m = r.msg;
      const [x1, x2] = m.fromInitiator ? [left, right] : [right, left];
      const xEnd = m.lost ? (x1 + x2) / 2 : x2;
      const label = `${m.exchange} ${m.response ? 'response' : 'request'} #${m.messageId}${m.fragments && m.fragments > 1 ? ` (${m.fragments} fragments)` : ''}`;
      const payloads = m.encrypted ? `SK{ ${m.payloads} }` : m.payloads;
      const full = `${label}: ${payloads}${m.bytes ? ` (${m.bytes} bytes)` : ''}${m.lost ? ' — never received' : ''}`;
      s.push(`<g class="msg${m.lost ? ' lost' : ''}${m.response ? ' resp' : ''}"><title>${esc(full)}</title>`);
      s.push(`<line x1="${x1}" y1="${y}" x2="${xEnd}" y2="${y}" marker-end="url(#${m.lost ? 'x' : 'arrow'})"/>`);
      s.push(`<text x="${(left + right) / 2}" y="${y - 5}" class="mlabel">${esc(label)}</text>`);
      const short = payloads.length > 95 ? `${payloads.slice(0, 92)}...` : payloads;
      s.push(`<text x="${(left + right) / 2}" y="${y + 11}" class="payloads">${esc(short)}</text></g>`);
    } else if (r.note) {
      const n = r.note;
      const x = n.initiatorSide ? left - 8 : right + 8;
      const anchor = n.initiatorSide ? 'end' : 'start';
      const text = `${NOTE_MARK[n.type] ?? '•'} ${n.type}`;
      s.push(`<g class="note ${/deleted|timeout|failed/.test(n.type) ? 'bad' : /established|installed/.test(n.type) ? 'good' : ''}"><title>${esc(n.text)}</title><text x="${x}" y="${y + 4}" text-anchor="${anchor}">${esc(text)}</text></g>`);
    }
  });
  if (cut) s.push(`<text x="${(left + right) / 2}" y="${H - 8}" class="payloads">… ${cut} more rows not drawn (see the events table)</text>`);
  // Arrow heads (#arrow, #x) are defined once per page by the HTML report.
  s.push('</svg>');
  return s.join('\n');
}
