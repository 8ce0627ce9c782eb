// The configuration payload in IKE_AUTH (RFC 7296 3.15, F-CFG-01..07): a client asks for an inner
// address, DNS and routes and announces its own subnets; the server answers from its pool and its
// authorization policy (route set / route accept, as IOS FlexVPN does).

import { Buffer } from 'node:buffer';
import { CfgAttr, CfgType, ExchangeType, NotifyType, PayloadType } from '../constants.ts';
import type { CpAttribute, CpPayload } from '../message.ts';
import type { ExchangeContext, Task, TaskResult } from '../sa/task.ts';
import { DONE, afterResponse } from '../sa/task.ts';
import { sourced, values } from '../../aaa/authorization.ts';
import { configModeAttributes } from './authorization.ts';
import { cp as cpPayload, mkNotify } from '../payload-util.ts';
import { bytesToIp, ipFamily, ipToBytes, parseCidr } from '../../util/ip.ts';
import type { ConfigAssigned, ConfigReceived } from '../sa/ike-sa.ts';
import { DEFAULT_RECONNECT_ATTRIBUTES } from '../reconnect.ts';
import type { ReconnectAttributeTypes } from '../reconnect.ts';
import { IkeDeleteTask } from './ike-delete.ts';

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

const attr = (type: number, value: Buffer = Buffer.alloc(0)): CpAttribute => ({ type, value });

function prefixToMask(prefix: number): string {
  const v = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (v >>> s) & 255).join('.');
}

function maskToPrefix(mask: Buffer): number {
  let n = 0;
  for (const b of mask) for (let i = 7; i >= 0; i--) if (b & (1 << i)) n++;
  return n;
}

/** INTERNAL_IP4_SUBNET (8 bytes: address, mask) or INTERNAL_IP6_SUBNET (17 bytes) for a prefix. */
export function subnetAttr(cidr: string): CpAttribute {
  const c = parseCidr(cidr);
  if (typeof c === 'string') throw new Error(c);
  if (c.family === 4) return attr(CfgAttr.INTERNAL_IP4_SUBNET, Buffer.concat([ipToBytes(c.network), ipToBytes(prefixToMask(c.prefix))]));
  return attr(CfgAttr.INTERNAL_IP6_SUBNET, Buffer.concat([ipToBytes(c.network), Buffer.from([c.prefix])]));
}

export function decodeConfig(attrs: CpAttribute[], rc: ReconnectAttributeTypes = DEFAULT_RECONNECT_ATTRIBUTES): ConfigReceived {
  const r: ConfigReceived = { dns: [], nbns: [], subnets: [], splitDns: [], backupGateways: [], other: [] };
  for (const a of attrs) {
    const v = a.value;
    // Reconnect attributes (lab-defined types, values: ASCII strings and 32-bit seconds).
    if (v.length && (a.type === rc.sessionId || a.type === rc.sessionToken || a.type === rc.dpdInterval || a.type === rc.cleanupInterval)) {
      r.reconnect ??= {};
      if (a.type === rc.sessionId) r.reconnect.sessionId = v.toString('ascii');
      else if (a.type === rc.sessionToken) r.reconnect.sessionToken = v.toString('ascii');
      else if (v.length === 4) r.reconnect[a.type === rc.dpdInterval ? 'dpdInterval' : 'cleanupInterval'] = v.readUInt32BE(0);
      continue;
    }
    switch (a.type) {
      case CfgAttr.INTERNAL_IP4_ADDRESS: if (v.length === 4) r.address4 = bytesToIp(v); break;
      case CfgAttr.INTERNAL_IP4_NETMASK: if (v.length === 4) r.netmask4 = bytesToIp(v); break;
      case CfgAttr.INTERNAL_IP6_ADDRESS: if (v.length === 17) r.address6 = `${bytesToIp(v.subarray(0, 16))}/${v[16]}`; break;
      case CfgAttr.INTERNAL_IP4_DNS: if (v.length === 4) r.dns.push(bytesToIp(v)); break;
      case CfgAttr.INTERNAL_IP6_DNS: if (v.length === 16) r.dns.push(bytesToIp(v)); break;
      case CfgAttr.INTERNAL_IP4_NBNS: if (v.length === 4) r.nbns.push(bytesToIp(v)); break;
      case CfgAttr.INTERNAL_IP4_SUBNET: if (v.length === 8) r.subnets.push(`${bytesToIp(v.subarray(0, 4))}/${maskToPrefix(v.subarray(4))}`); break;
      case CfgAttr.INTERNAL_IP6_SUBNET: if (v.length === 17) r.subnets.push(`${bytesToIp(v.subarray(0, 16))}/${v[16]}`); break;
      case CfgAttr.INTERNAL_DNS_DOMAIN: if (v.length) r.splitDns.push(v.toString('ascii')); break;
      case CfgAttr.CISCO_DEF_DOMAIN: if (v.length) r.defaultDomain = v.toString('ascii'); break;
      case CfgAttr.CISCO_SPLIT_DNS: if (v.length) r.splitDns.push(...v.toString('ascii').split(/[,\s]+/).filter(Boolean)); break;
      case CfgAttr.CISCO_BANNER: if (v.length) r.banner = v.toString('utf8'); break;
      case CfgAttr.CISCO_BACKUP_SERVERS: if (v.length) r.backupGateways = v.toString('ascii').split(/[,\s]+/).filter(Boolean); break;
      default: if (v.length) r.other.push({ type: a.type, value: v.toString('hex') });
    }
  }
  return r;
}

export class ConfigTask implements Task {
  readonly name = 'ike-config';
  private reply?: CpPayload;
  private failure?: string;
  private sent = false;

  buildRequest(x: ExchangeContext): void {
    if (this.sent) return;
    this.sent = true;
    const policy = x.sa.profile?.configMode;
    if (!policy) return;
    const attrs: CpAttribute[] = [];
    const exact = x.sa.profile?.configRequest;
    if (exact) {
      // A persona's own list, in its wire order (Windows: ADDR DNS NBNS SRV ADDR6 DNS6 SRV6).
      for (const t of exact) attrs.push(attr(t));
      for (const s of policy.announceSubnets ?? []) attrs.push(subnetAttr(s));
    } else {
      if (policy.requestAddress) attrs.push(attr(CfgAttr.INTERNAL_IP4_ADDRESS), attr(CfgAttr.INTERNAL_IP4_NETMASK), attr(CfgAttr.INTERNAL_IP4_DNS), attr(CfgAttr.INTERNAL_IP4_NBNS));
      if (policy.requestAddress6) attrs.push(attr(CfgAttr.INTERNAL_IP6_ADDRESS), attr(CfgAttr.INTERNAL_IP6_DNS));
      // IOS FlexVPN clients announce their networks as subnets in the request (`route set access-list`).
      for (const s of policy.announceSubnets ?? []) attrs.push(subnetAttr(s));
      if (policy.requestAddress || policy.requestAddress6) attrs.push(attr(CfgAttr.INTERNAL_IP4_SUBNET), attr(CfgAttr.INTERNAL_DNS_DOMAIN));
    }
    // An auto-reconnect capable client lists the reconnect attributes (F-RC-01: no VID negotiation).
    if (x.sa.profile?.reconnectClient) {
      const rc = x.core.settings.reconnectAttributes ?? DEFAULT_RECONNECT_ATTRIBUTES;
      attrs.push(attr(rc.sessionId), attr(rc.sessionToken), attr(rc.dpdInterval), attr(rc.cleanupInterval));
    }
    if (!attrs.length) return;
    x.out.push({ type: PayloadType.CP, cfgType: CfgType.CFG_REQUEST, attributes: attrs });
  }

  processResponse(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    const c = cpPayload(x.received);
    // With EAP the reply comes in the last IKE_AUTH response.
    if (!sa.authenticated && !c) return { status: 'again' };
    if (!c || c.cfgType !== CfgType.CFG_REPLY) {
      if (sa.profile?.configMode?.requestAddress && sa.authenticated) {
        sa.emit('info', 'responder sent no configuration reply: no inner address assigned');
      }
      return DONE;
    }
    sa.configReceived = decodeConfig(c.attributes, x.core.settings.reconnectAttributes);
    const r = sa.configReceived;
    if (r.reconnect?.sessionId && r.reconnect.sessionToken) x.core.reconnectGranted(sa, r.reconnect, x.now);
    sa.emit('config-received', `configuration received: ${[r.address4 && `address ${r.address4}`, r.address6 && `address ${r.address6}`, r.dns.length && `DNS ${r.dns.join(',')}`, r.subnets.length && `routes ${r.subnets.join(',')}`, r.defaultDomain && `domain ${r.defaultDomain}`].filter(Boolean).join(', ') || 'no attributes'}`, { ...r });
    return DONE;
  }

  private request?: CpPayload;

  processRequest(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    // In EAP rounds the CP of the first request is answered in the last response.
    this.request ??= cpPayload(x.received);
    const c = this.request;
    if (!sa.authenticated) return { status: 'again' };
    if (!c || c.cfgType !== CfgType.CFG_REQUEST) return DONE;
    const policy = sa.profile?.configMode ?? {};
    const auth = sa.authorization ?? sourced(configModeAttributes(sa.profile?.configMode), 'local policy');
    const a = values(auth);
    const src = (k: keyof typeof auth) => auth[k]?.source ?? 'local policy';
    const rc = x.core.settings.reconnectAttributes ?? DEFAULT_RECONNECT_ATTRIBUTES;
    const req = decodeConfig(c.attributes.filter((x2) => x2.value.length), rc);
    const wants = new Set(c.attributes.map((x2) => x2.type));
    const assigned: ConfigAssigned = { peerSubnets: [], pushed: {} };
    const out: CpAttribute[] = [];
    const owner = `${sa.remoteId?.value ?? sa.remote.address}#${sa.id}`;
    const pools = x.core.settings.pools ?? {};
    // One pool per name or inline range, shared by every profile that names it.
    const poolOf = (spec: string, family: string) => x.core.pools.get(pools[spec] ? spec : `${family}:${spec}`, pools[spec] ?? spec);
    if (wants.has(CfgAttr.INTERNAL_IP4_ADDRESS)) {
      if (a.address) {
        assigned.address4 = a.address;
        assigned.pushed.address = { value: a.address, source: src('address') };
      } else if (a.pool) {
        const pool = poolOf(a.pool, 'v4');
        if (policy.routeSetInterface) pool.reserve(policy.routeSetInterface, 'route set interface');
        // A reconnected session gets back the address kept for it while it was inactive.
        const kept = sa.reconnectRestore?.assigned?.address4;
        if (kept) pool.release(kept);
        // A resumed session (RFC 5723) asks for its former address, given when still free.
        const addr = pool.allocate(owner, kept ?? sa.resumption?.resumed?.state?.address4);
        if (addr) {
          assigned.address4 = addr;
          assigned.pool = pool.name;
          assigned.pushed.address = { value: addr, source: `${src('pool')} (pool ${a.pool})` };
        } else {
          x.core.counter('pool-exhausted');
          sa.emit('info', `IPv4 pool ${a.pool} exhausted (${pool.inUse} of ${pool.size} addresses in use)`, { pool: a.pool, family: 4 });
        }
      }
      if (assigned.address4) {
        out.push(attr(CfgAttr.INTERNAL_IP4_ADDRESS, ipToBytes(assigned.address4)), attr(CfgAttr.INTERNAL_IP4_NETMASK, ipToBytes(a.netmask ?? '255.255.255.255')));
      }
    }
    if (wants.has(CfgAttr.INTERNAL_IP6_ADDRESS)) {
      if (a.address6) {
        assigned.address6 = a.address6.split('/')[0];
      } else if (a.pool6) {
        const pool = poolOf(a.pool6, 'v6');
        const addr = pool.allocate(owner, sa.resumption?.resumed?.state?.address6);
        if (addr) {
          assigned.address6 = addr;
          assigned.pool6 = pool.name;
        } else {
          x.core.counter('pool6-exhausted');
          sa.emit('info', `IPv6 pool ${a.pool6} exhausted (${pool.inUse} of ${pool.size} addresses in use)`, { pool: a.pool6, family: 6 });
        }
      }
      if (assigned.address6) {
        out.push(attr(CfgAttr.INTERNAL_IP6_ADDRESS, Buffer.concat([ipToBytes(assigned.address6), Buffer.from([a.prefixLen6 ?? 128])])));
        assigned.pushed.address6 = { value: assigned.address6, source: a.address6 ? src('address6') : `${src('pool6')} (pool ${a.pool6})` };
      }
    }
    const askedAddress = wants.has(CfgAttr.INTERNAL_IP4_ADDRESS) || wants.has(CfgAttr.INTERNAL_IP6_ADDRESS);
    // A family asked for, with a pool for it, but no address from it.
    const missing4 = wants.has(CfgAttr.INTERNAL_IP4_ADDRESS) && !!(a.pool || a.address) && !assigned.address4;
    const missing6 = wants.has(CfgAttr.INTERNAL_IP6_ADDRESS) && !!(a.pool6 || a.address6) && !assigned.address6;
    const partial = (missing4 || missing6) && !!(assigned.address4 || assigned.address6);
    if (partial && (policy.poolExhaustion ?? 'terminate') === 'terminate') {
      // IOS (F-AUTHZ-01 step 3, F-CFG-03): a dual-stack session ends if either address cannot be
      // allocated; the address of the other family goes back to its pool.
      if (assigned.address4 && a.pool && !a.address) poolOf(a.pool, 'v4').release(assigned.address4);
      if (assigned.address6 && a.pool6 && !a.address6) poolOf(a.pool6, 'v6').release(assigned.address6);
      this.failure = `IPv${missing4 ? 4 : 6} address pool exhausted (dual stack requested; pool-exhaustion terminate)`;
      sa.addressFailure = this.failure;
      x.shared.childBlocked = NotifyType.INTERNAL_ADDRESS_FAILURE;
      return DONE;
    }
    if (askedAddress && (a.pool || a.pool6 || a.address || a.address6) && !assigned.address4 && !assigned.address6) {
      // RFC 7296 3.15.4: no address can be assigned -> INTERNAL_ADDRESS_FAILURE, no CHILD SA.
      // With one family left and pool-exhaustion continue (the ASA), the session still comes up.
      this.failure = 'address pool exhausted';
      sa.addressFailure = this.failure;
      x.shared.childBlocked = NotifyType.INTERNAL_ADDRESS_FAILURE;
      return DONE;
    }
    const push = (key: string, value: unknown, source: string) => { assigned.pushed[key] = { value, source }; };
    for (const d of a.dns ?? []) out.push(attr(ipFamily(d) === 6 ? CfgAttr.INTERNAL_IP6_DNS : CfgAttr.INTERNAL_IP4_DNS, ipToBytes(d)));
    for (const d of a.dns6 ?? []) out.push(attr(CfgAttr.INTERNAL_IP6_DNS, ipToBytes(d)));
    if (a.dns?.length) push('dns', a.dns, src('dns'));
    for (const n of a.wins ?? []) out.push(attr(CfgAttr.INTERNAL_IP4_NBNS, ipToBytes(n)));
    if (a.wins?.length) push('wins', a.wins, src('wins'));
    const routes = [
      ...(a.routeSetInterface && policy.routeSetInterface ? [`${policy.routeSetInterface}/32`] : []),
      ...(a.routeSetPrefixes ?? []),
    ];
    for (const r of routes) out.push(subnetAttr(r));
    if (routes.length) push('routes', routes, [a.routeSetInterface ? src('routeSetInterface') : undefined, a.routeSetPrefixes ? src('routeSetPrefixes') : undefined].filter(Boolean).join(', '));
    // Cisco Unity attributes only for Cisco clients (F-CFG-01/08); split DNS as RFC 8598 for others.
    const cisco = sa.peerFlexvpn || sa.peerVendorIds.some((v) => v.toString('latin1').startsWith('CISCO'));
    if (a.defaultDomain && cisco) {
      out.push(attr(CfgAttr.CISCO_DEF_DOMAIN, Buffer.from(a.defaultDomain, 'ascii')));
      push('defaultDomain', a.defaultDomain, src('defaultDomain'));
    }
    if (a.splitDns?.length) {
      if (cisco) out.push(attr(CfgAttr.CISCO_SPLIT_DNS, Buffer.from(a.splitDns.join(','), 'ascii')));
      else for (const d of a.splitDns) out.push(attr(CfgAttr.INTERNAL_DNS_DOMAIN, Buffer.from(d, 'ascii')));
      push('splitDns', a.splitDns, src('splitDns'));
    }
    if (cisco && a.banner) {
      out.push(attr(CfgAttr.CISCO_BANNER, Buffer.from(a.banner, 'utf8')));
      push('banner', a.banner, src('banner'));
    }
    if (cisco && a.backupGateways?.length) {
      out.push(attr(CfgAttr.CISCO_BACKUP_SERVERS, Buffer.from(a.backupGateways.join(','), 'ascii')));
      push('backupGateways', a.backupGateways, src('backupGateways'));
    }
    if (a.routeAccept !== false) assigned.peerSubnets = req.subnets;
    if (a.interfaceConfig?.length) push('interfaceConfig', a.interfaceConfig, src('interfaceConfig'));
    sa.configAssigned = assigned;
    // Auto-reconnect (F-RC-01): grant only a session authenticated by EAP or a certificate.
    if (wants.has(rc.sessionId) && sa.profile?.reconnect) {
      const g = x.core.reconnectGrant(sa, x.now);
      if (g) {
        out.push(attr(rc.sessionId, Buffer.from(g.sessionId, 'ascii')), attr(rc.sessionToken, Buffer.from(g.sessionToken, 'ascii')),
          attr(rc.dpdInterval, u32(g.dpdInterval)), attr(rc.cleanupInterval, u32(g.cleanupInterval)));
        push('reconnect', { sessionId: g.sessionId, dpdInterval: g.dpdInterval, cleanupInterval: g.cleanupInterval }, `profile ${sa.profile.name} reconnect`);
      }
    }
    this.reply = { type: PayloadType.CP, cfgType: CfgType.CFG_REPLY, attributes: out };
    return DONE;
  }

  buildResponse(x: ExchangeContext): void {
    const sa = x.sa;
    if (this.failure) {
      x.out.push(mkNotify(NotifyType.INTERNAL_ADDRESS_FAILURE));
      sa.emit('config-assigned', `no address for ${sa.remoteId?.value}: ${this.failure}`, { failure: this.failure });
      // F-AUTHZ-01 step 3: an allocation failure terminates the session (RFC 7296 3.15.4 would
      // allow a childless IKE SA; the FlexVPN server does not keep one).
      const reason = `no address: ${this.failure}`;
      afterResponse(x, () => sa.queueExchange(ExchangeType.INFORMATIONAL, [new IkeDeleteTask(reason)], x.now));
      return;
    }
    if (!this.reply || !sa.authenticated) return;
    x.out.push(this.reply);
    const a = sa.configAssigned!;
    afterResponse(x, () => sa.emit('config-assigned', `assigned ${[a.address4, a.address6].filter(Boolean).join(' and ') || 'no address'} to ${sa.remoteId?.value}${a.peerSubnets.length ? `, accepted routes ${a.peerSubnets.join(',')}` : ''}`, { ...a }));
  }
}
