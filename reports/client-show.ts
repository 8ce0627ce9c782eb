// `flexlab show NODE client`: the FlexVPN client blocks of a node the way an engineer wants to read
// them (IOS has `show crypto ikev2 client flexvpn`): per block the connect mode and state, the
// active peer, the gateway list (static and downloaded entries in order, with sequence, origin and
// possible/track state), the tunnel, the last decisions; then the track objects, the default route
// and the split-DNS views.

export interface ClientShowData {
  clients: Array<{
    name: string;
    connect: string;
    active: boolean;
    phase: string;
    reactivate: boolean;
    backupGroup?: string;
    peer?: { name: string; address?: string; origin: string; since?: number };
    ikeSaId?: number;
    attempts: number;
    list: Array<{
      index: number; seq?: number; name: string; address?: string; fqdn?: string; resolved?: string; origin: string; from?: string;
      track?: { id: string; want: string; state?: string }; possible: boolean; active: boolean; lastResult?: string;
    }>;
    downloaded?: { from: string; gateways: string[] };
    decisions: Array<{ time: number; type: string; text: string }>;
    tunnel?: { interface: string; up: boolean; addresses: string[]; routes: string[]; metric: number; nat: boolean };
  }>;
  tracks: Array<{ id: string; type: string; state: string; since: number; changes: number; description?: string; probe?: { address: string; interface?: string; interval: number; timeout: number; threshold: number; sent: number; ok: number; failed: number; lastRttMs?: number } }>;
  defaultRoute?: Record<string, { client: string; interface?: string }>;
  dns?: { listening: boolean; default: string[]; views: Array<{ owner: string; domains: string[]; servers: string[] }>; counters: Record<string, number> };
}

const ago = (t: number, now: number) => `${Math.max(0, (now - t) / 1000).toFixed(1)} s`;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export function showClient(d: ClientShowData, now = Date.now(), decisions = 8): string {
  const out: string[] = [];
  for (const c of d.clients) {
    out.push(`FlexVPN client ${c.name}`);
    out.push(`  connect ${c.connect}${c.reactivate ? ', peer reactivate' : ''}${c.backupGroup ? `, backup group ${c.backupGroup}` : ''}; ${c.active ? 'active' : 'inactive'}, ${c.phase.toUpperCase()}`);
    if (c.peer) out.push(`  peer: ${c.peer.name}${c.peer.address && c.peer.address !== c.peer.name ? ` (${c.peer.address})` : ''}, ${c.peer.origin}${c.peer.since !== undefined ? `, connected for ${ago(c.peer.since, now)}` : ''}${c.ikeSaId !== undefined ? `, IKE SA ${c.ikeSaId}` : ''}`);
    else out.push('  peer: none');
    if (c.tunnel) {
      out.push(`  tunnel ${c.tunnel.interface}: ${c.tunnel.up ? 'up' : 'down'}${c.tunnel.addresses.length ? `, ${c.tunnel.addresses.join(' ')}` : ''}${c.tunnel.routes.length ? `, routes ${c.tunnel.routes.join(' ')} (metric ${c.tunnel.metric})` : ''}${c.tunnel.nat ? ', ip nat outside' : ''}`);
    }
    out.push(`  gateway list${c.downloaded ? ` (downloaded from ${c.downloaded.from}: ${c.downloaded.gateways.join(', ')})` : ''}:`);
    const rows = [['', 'seq', 'peer', 'address', 'origin', 'track', 'possible', 'last result']];
    for (const g of c.list) {
      rows.push([
        g.active ? '*' : '', g.seq !== undefined ? String(g.seq) : '-', g.name,
        g.address ?? (g.fqdn ? `${g.fqdn}${g.resolved ? ` -> ${g.resolved}` : ''}` : ''),
        g.origin === 'downloaded' ? `downloaded (${g.from ?? '?'})` : 'static',
        g.track ? `${g.track.id} ${g.track.want} (${g.track.state ?? '?'})` : '-', g.possible ? 'yes' : 'no', g.lastResult ?? '',
      ]);
    }
    out.push(table(rows).split('\n').map((l) => `    ${l}`).join('\n'));
    if (c.decisions.length) {
      out.push(`  last decisions:`);
      for (const e of c.decisions.slice(-decisions)) out.push(`    -${ago(e.time, now).padStart(8)}  ${e.text}`);
    }
    out.push('');
  }
  if (d.tracks.length) {
    out.push('Track objects');
    const rows = [['object', 'type', 'state', 'since', 'changes', 'probe']];
    for (const t of d.tracks) {
      const p = t.probe;
      rows.push([t.id, t.type, t.state.toUpperCase(), ago(t.since, now), String(t.changes),
        p ? `icmp-echo ${p.address}${p.interface ? ` via ${p.interface}` : ''} every ${p.interval} s, timeout ${p.timeout} s, down after ${p.threshold}: ${p.ok}/${p.sent} ok${p.lastRttMs !== undefined ? `, rtt ${p.lastRttMs} ms` : ''}` : '-']);
    }
    out.push(table(rows).split('\n').map((l) => `  ${l}`).join('\n'));
    out.push('');
  }
  const def = Object.entries(d.defaultRoute ?? {});
  out.push(`Default route through a tunnel: ${def.length ? def.map(([f, h]) => `${f} via ${h.interface} (client ${h.client})`).join(', ') : 'none'}`);
  if (d.dns) {
    out.push(`Split-DNS proxy: ${d.dns.listening ? 'listening on the inside interfaces' : 'not listening'}; default view -> ${d.dns.default.join(', ') || 'none'}; ${d.dns.counters['queries'] ?? 0} queries (${d.dns.counters['split'] ?? 0} split, ${d.dns.counters['default'] ?? 0} default)`);
    for (const v of d.dns.views) out.push(`  view ${v.owner}: ${v.domains.join(', ')} -> ${v.servers.join(', ')}`);
  }
  return out.join('\n');
}
