// Text renderers of a daemon's state in the shape of the IOS commands the Cisco documents print
// (seed-features.md section 17): `show crypto ikev2 sa [detail]`, `show crypto ipsec sa`,
// `show crypto session [detail]`. The structured state (`--json`) is what tests assert on; these
// are for people comparing with the documents.

import type { IkeSaView, ChildSaView } from '../engine/ike/sa/ike-sa.ts';
import { EncrId, IntegId } from '../engine/ike/constants.ts';

export interface ChildCounters {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  dropsIn: number;
  dropsOut: number;
  interface: string;
  outboundActive: boolean;
}

export type SessionView = IkeSaView & { interface?: string; children: Array<ChildSaView & { counters?: ChildCounters }> };

const pad = (s: string | number, n: number) => String(s).padEnd(n);

function hms(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return [h, m, r].map((x) => String(x).padStart(2, '0')).join(':');
}

function ep(e: { address: string; port: number }): string {
  return `${e.address}/${e.port}`;
}

function algLine(s: SessionView): string {
  const keysize = s.keysize !== undefined ? `, keysize: ${s.keysize}` : '';
  return `Encr: ${s.encr ?? '?'}${keysize}, PRF: ${s.prf ?? '?'}, Hash: ${s.hash ?? '?'}, DH Grp:${s.dhGroup ?? '?'}, Auth sign: ${s.authSign ?? '?'}, Auth verify: ${s.authVerify ?? '?'}`;
}

/** `show crypto ikev2 sa [detail]` (F-SHOW-01). */
export function showIkev2Sa(sas: SessionView[], detail = false): string {
  const lines: string[] = [];
  for (const family of [4, 6] as const) {
    const list = sas.filter((s) => (s.local.address.includes(':') ? 6 : 4) === family);
    if (!list.length && family === 6) continue;
    lines.push(` IPv${family} Crypto IKEv2  SA `, '');
    lines.push(`${pad('Tunnel-id', 10)}${pad('Local', 22)}${pad('Remote', 22)}${pad('fvrf/ivrf', 21)}Status `);
    for (const s of list) {
      lines.push(`${pad(s.id, 10)}${pad(ep(s.local), 22)}${pad(ep(s.remote), 22)}${pad('none/none', 21)}${s.status}  `);
      lines.push(`      ${algLine(s)}`);
      lines.push(`      Life/Active Time: ${s.lifetime}/${s.activeTime} sec`);
      if (!detail) continue;
      lines.push(`      CE id: ${s.id}, Session-id: ${s.id}`);
      lines.push(`      Status Description: ${s.status === 'READY' ? 'Negotiation done' : s.status === 'IN-NEG' ? 'Negotiation in progress' : 'Deleting'}`);
      lines.push(`      Local spi: ${s.localSpi.toUpperCase()}       Remote spi: ${s.remoteSpi.toUpperCase()}`);
      lines.push(`      Local id: ${s.localId}`);
      lines.push(`      Remote id: ${s.remoteId ?? ''}`);
      if (s.remoteEapId) lines.push(`      Remote EAP id: ${s.remoteEapId}`);
      lines.push(`      Local req msg id:  ${pad(s.localReqMsgId, 15)}Remote req msg id:  ${s.remoteReqMsgId}`);
      lines.push(`      Local next msg id: ${pad(s.localNextMsgId, 15)}Remote next msg id: ${s.remoteNextMsgId}`);
      lines.push(`      Local req queued:  ${pad(s.localReqQueued, 15)}Remote req queued:  ${s.remoteReqQueued}`);
      lines.push(`      Local window:      ${pad(s.localWindow, 15)}Remote window:      ${s.remoteWindow}`);
      lines.push(`      DPD configured for ${s.dpd?.interval ?? 0} seconds, retry ${s.dpd?.retries ?? 0}`);
      lines.push(s.fragmentation.configured ? `      IKE fragmentation configured, MTU ${s.fragmentation.mtu}${s.fragmentation.peerSupports ? '' : ' (peer does not support it)'}.` : '      Fragmentation not configured.');
      lines.push('      Dynamic Route Update: disabled');
      lines.push('      Extended Authentication not configured.');
      if (s.nat.remote && !s.nat.local) lines.push('      NAT-T is detected outside');
      else if (s.nat.local) lines.push('      NAT-T is detected inside');
      else lines.push('      NAT-T is not detected');
      lines.push('      Cisco Trust Security SGT is disabled');
      if (s.assignedAddress) lines.push(`      Assigned host addr: ${s.assignedAddress}`);
      if (s.receivedConfig?.address4) lines.push(`      Assigned address: ${s.receivedConfig.address4}`);
      lines.push(`      Initiator of SA : ${s.initiator ? 'Yes' : 'No'}`);
      // Not an IOS line (IOS has no RFC 5723): whether the SA was resumed from a ticket.
      if (s.resumption?.resumed) lines.push(`      Session resumed (RFC 5723) from IKE SA ${s.resumption.resumedFrom}`);
      if (s.resumption?.ticket) lines.push(`      Resumption ticket: ${s.resumption.ticket.octets} bytes, lifetime ${s.resumption.ticket.lifetime} sec`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

function iosTransform(c: ChildSaView): string {
  const e = c.encr === EncrId.AES_CBC ? `esp-${c.encrKeyBits ?? 128}-aes` : c.encr === EncrId.AES_GCM_16 ? `esp-gcm ${c.encrKeyBits ?? 128}` : c.encr === EncrId.TRIPLE_DES ? 'esp-3des' : `encr-${c.encr}`;
  const i: Record<number, string> = {
    [IntegId.HMAC_SHA1_96]: 'esp-sha-hmac', [IntegId.HMAC_SHA2_256_128]: 'esp-sha256-hmac', [IntegId.HMAC_SHA2_384_192]: 'esp-sha384-hmac',
    [IntegId.HMAC_SHA2_512_256]: 'esp-sha512-hmac', [IntegId.HMAC_MD5_96]: 'esp-md5-hmac',
  };
  return c.integ ? `${e} ${i[c.integ] ?? `integ-${c.integ}`}` : e;
}

function identLine(ts: string): string {
  // "0.0.0.0/0" -> "0.0.0.0/0.0.0.0/0/0" (addr/mask/prot/port)
  const m = /^([^/]+)\/(\d+)/.exec(ts);
  if (!m || m[1]!.includes(':')) return `${ts}/0/0`;
  const prefix = Number(m[2]);
  const v = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const mask = [24, 16, 8, 0].map((s) => (v >>> s) & 255).join('.');
  return `${m[1]}/${mask}/0/0`;
}

function kbLeft(c: ChildSaView & { counters?: ChildCounters }, dir: 'in' | 'out'): number {
  const used = dir === 'in' ? c.counters?.bytesIn ?? 0 : c.counters?.bytesOut ?? 0;
  return Math.max(0, c.lifetimeKilobytes - Math.ceil(used / 1024));
}

/** `show crypto ipsec sa` (per interface, both directions, counters and remaining lifetimes). */
export function showIpsecSa(sas: SessionView[]): string {
  const lines: string[] = [];
  for (const s of sas) {
    for (const c of s.children) {
      const ifname = c.counters?.interface ?? s.interface ?? s.name;
      lines.push(`interface: ${ifname}`);
      lines.push(`    Crypto map tag: ${ifname}-head-0, local addr ${s.local.address}`, '');
      lines.push('   protected vrf: (none)');
      lines.push(`   local  ident (addr/mask/prot/port): (${c.localTs.map(identLine).join(', ')})`);
      lines.push(`   remote ident (addr/mask/prot/port): (${c.remoteTs.map(identLine).join(', ')})`);
      lines.push(`   current_peer ${s.remote.address} port ${s.remote.port}`);
      lines.push('     PERMIT, flags={origin_is_acl,}');
      const k = c.counters;
      lines.push(`    #pkts encaps: ${k?.packetsOut ?? 0}, #pkts encrypt: ${k?.packetsOut ?? 0}, #pkts digest: ${k?.packetsOut ?? 0}`);
      lines.push(`    #pkts decaps: ${k?.packetsIn ?? 0}, #pkts decrypt: ${k?.packetsIn ?? 0}, #pkts verify: ${k?.packetsIn ?? 0}`);
      lines.push(`    #send errors ${k?.dropsOut ?? 0}, #recv errors ${k?.dropsIn ?? 0}`, '');
      lines.push(`     local crypto endpt.: ${s.local.address}, remote crypto endpt.: ${s.remote.address}`);
      lines.push(`     current outbound spi: 0x${c.spiOut.toUpperCase()}(${parseInt(c.spiOut, 16)})`);
      lines.push(`     PFS (Y/N): ${c.pfsGroup ? 'Y' : 'N'}, DH group: ${c.pfsGroup ? `group${c.pfsGroup}` : 'none'}`, '');
      const settings = `{${c.mode === 'tunnel' ? 'Tunnel' : 'Transport'}${s.nat.encapsulated ? ' UDP-Encaps' : ''}, }`;
      for (const [label, spi, dir] of [['inbound', c.spiIn, 'in'], ['outbound', c.spiOut, 'out']] as const) {
        lines.push(`     ${label} esp sas:`);
        lines.push(`      spi: 0x${spi.toUpperCase()}(${parseInt(spi, 16)})`);
        lines.push(`        transform: ${iosTransform(c)} ,`);
        lines.push(`        in use settings =${settings}`);
        lines.push(`        conn id: ${c.id}, crypto map: ${ifname}-head-0`);
        lines.push(`        sa timing: remaining key lifetime (k/sec): (${kbLeft(c, dir)}/${c.remainingSeconds ?? 0})`);
        lines.push(`        IV size: ${c.encr === EncrId.AES_GCM_16 ? 8 : c.encr === EncrId.TRIPLE_DES ? 8 : 16} bytes`);
        lines.push('        replay detection support: Y');
        lines.push(`        Status: ${dir === 'out' && k && !k.outboundActive ? 'STANDBY' : 'ACTIVE'}(${c.state})`, '');
      }
    }
  }
  return lines.join('\n');
}

/** The IOS name of one of our interfaces: va3 is Virtual-Access3, tunnel0 is Tunnel0 (Linux name kept in brackets). */
export function iosInterfaceName(ifname: string): string {
  const va = /^va(\d+)$/.exec(ifname);
  if (va) return `Virtual-Access${va[1]} (${ifname})`;
  const tu = /^tunnel(\d+)$/.exec(ifname);
  if (tu) return `Tunnel${tu[1]}`;
  return ifname;
}

/**
 * The `show crypto session detail` capability letters in legend order (S2:1393): C is IKEv1 mode
 * config (never here), D DPD, N NAT-T, X extended (EAP) user authentication, F fragmentation, R a
 * reconnected session. The seeds show DNX for an EAP session, DNR after a reconnect (S2:1407,
 * S2:1435) and N for AnyConnect-EAP without DPD (S3:594).
 */
export function capabilities(s: SessionView): string {
  let c = '';
  if (s.dpd) c += 'D';
  if (s.nat.local || s.nat.remote) c += 'N';
  if (s.authVerify === 'EAP' || s.authSign === 'EAP') c += 'X';
  if (s.fragmentation.configured && s.fragmentation.peerSupports) c += 'F';
  if (s.reconnect?.reconnected) c += 'R';
  return c;
}

/** `show crypto ikev2 stats reconnect` (S2:1441-1451). */
export function showReconnectStats(r: { stats: { incoming: number; success: number; failed: number }; active: number; inactive: number }): string {
  return [
    `Total incoming reconnect connection:       ${r.stats.incoming}`,
    `Success reconnect connection:              ${r.stats.success}`,
    `Failed reconnect connection:               ${r.stats.failed}`,
    `Reconnect capable active session count:    ${r.active}`,
    `Reconnect capable inactive session count:  ${r.inactive}`,
  ].join('\n');
}

function flowLine(c: ChildSaView): string {
  const host = (t: string) => (/\/(32|128)$/.test(t) ? `host ${t.replace(/\/\d+$/, '')}` : identLine(t).split('/').slice(0, 2).join('/'));
  return `permit ip ${host(c.localTs[0] ?? '0.0.0.0/0')} ${host(c.remoteTs[0] ?? '0.0.0.0/0')}`;
}

/**
 * The session's authorization attributes with where each came from (local policy, RADIUS group,
 * RADIUS user, implicit/cached), and what was pushed to the peer; ours, IOS shows them in debugs.
 */
function sessionAttributes(s: SessionView): string[] {
  const show = (v: unknown) => (Array.isArray(v) ? v.join(', ') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
  const out: string[] = [];
  const authz = Object.entries(s.aaa?.authorization ?? {});
  if (authz.length) {
    out.push('  Session attributes (source):');
    for (const [k, a] of authz) out.push(`        ${k}: ${show(a.value)}  (${a.source})`);
  }
  const pushed = Object.entries(s.assignedConfig?.pushed ?? {});
  if (pushed.length) {
    out.push('  Pushed to the peer (source):');
    for (const [k, a] of pushed) out.push(`        ${k}: ${show(a.value)}  (${a.source})`);
  }
  return out;
}

/** `show crypto session [detail]` (F-SHOW-02). */
export function showSession(sas: SessionView[], detail = false, now = Date.now()): string {
  const lines: string[] = ['Crypto session current status', ''];
  if (detail) {
    lines.push('Code: C - IKE Configuration mode, D - Dead Peer Detection     ');
    lines.push('K - Keepalives, N - NAT-traversal, T - cTCP encapsulation     ');
    lines.push('X - IKE Extended Authentication, F - IKE Fragmentation');
    lines.push('R - IKE Auto Reconnect, U - IKE Dynamic Route Update');
    lines.push('S - SIP VPN', '');
  }
  for (const s of sas) {
    lines.push(`Interface: ${iosInterfaceName(s.interface ?? s.children[0]?.counters?.interface ?? '(none)')}`);
    if (s.profile) lines.push(`Profile: ${s.profile}`);
    if (detail) lines.push(`Uptime: ${hms((now - (s.establishedAt ?? s.createdAt)) / 1000)}`);
    lines.push(`Session status: ${s.status === 'READY' && s.children.length ? 'UP-ACTIVE' : s.status === 'READY' ? 'UP-IDLE' : 'DOWN-NEGOTIATING'}     `);
    lines.push(`Peer: ${s.remote.address} port ${s.remote.port}${detail ? ' fvrf: (none) ivrf: (none)' : ''}`);
    if (detail) {
      lines.push(`      Phase1_id: ${s.remoteId ?? ''}`);
      lines.push('      Desc: (none)');
      lines.push(`  Session ID: ${s.id}  `);
    }
    lines.push(`  IKEv2 SA: local ${ep(s.local)} remote ${ep(s.remote)} ${s.status === 'READY' ? 'Active' : 'Inactive'} `);
    if (detail) lines.push(`          Capabilities:${capabilities(s)} connid:${s.id} lifetime:${hms(s.lifetime - s.activeTime)}`);
    for (const c of s.children) {
      lines.push(`  IPSEC FLOW: ${flowLine(c)} `);
      lines.push(`        Active SAs: 2, origin: crypto-map`);
      if (detail) {
        const k = c.counters;
        lines.push(`        Inbound:  #pkts dec'ed ${k?.packetsIn ?? 0} drop ${k?.dropsIn ?? 0} life (KB/Sec) ${kbLeft(c, 'in')}/${c.remainingSeconds ?? 0}`);
        lines.push(`        Outbound: #pkts enc'ed ${k?.packetsOut ?? 0} drop ${k?.dropsOut ?? 0} life (KB/Sec) ${kbLeft(c, 'out')}/${c.remainingSeconds ?? 0}`);
      }
    }
    if (detail) lines.push(...sessionAttributes(s));
    lines.push('');
  }
  return lines.join('\n');
}

/** `show ikev2 stats resumption` (ours: IOS has no RFC 5723): the ticket key, counters, tickets held. */
export function showResumptionStats(r: import('../engine/ike/resumption/service.ts').ResumptionStats): string {
  const lines: string[] = [];
  if (r.gateway) {
    lines.push(`Ticket protection key: ${r.gateway.keyId} (${r.gateway.source})`);
    for (const p of r.gateway.profiles) lines.push(`Profile ${p.profile}: tickets granted, lifetime ${p.ticketLifetime} sec`);
    lines.push(`Used tickets remembered: ${r.gateway.usedTickets}`);
  }
  const names = Object.keys(r.counters).sort();
  for (const k of names) lines.push(`${k.padEnd(32)}${r.counters[k]}`);
  if (!names.length) lines.push('No resumption activity');
  for (const [conn, t] of Object.entries(r.tickets)) {
    lines.push(t ? `Connection ${conn}: ticket from ${t.gateway}, ${t.octets} bytes, expires in ${t.expiresIn} sec` : `Connection ${conn}: no ticket`);
  }
  return lines.join('\n');
}
