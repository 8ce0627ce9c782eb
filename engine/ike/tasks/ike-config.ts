// The configuration payload in IKE_AUTH (RFC 7296 3.15, F-CFG-01..07): a client asks for an inner
// address, DNS and routes and announces its own subnets; the server answers from its pool and its
// authorization policy (route set / route accept, as IOS FlexVPN does).

import { CfgAttr, CfgType, NotifyType, PayloadType } from '../constants.ts';
import type { CpAttribute, CpPayload } from '../message.ts';
import type { ExchangeContext, Task, TaskResult } from '../sa/task.ts';
import { DONE, afterResponse } from '../sa/task.ts';
import { cp as cpPayload, mkNotify } from '../payload-util.ts';
import { bytesToIp, ipFamily, ipToBytes, parseCidr } from '../../util/ip.ts';
import type { ConfigAssigned, ConfigReceived } from '../sa/ike-sa.ts';

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

export function decodeConfig(attrs: CpAttribute[]): ConfigReceived {
  const r: ConfigReceived = { dns: [], nbns: [], subnets: [], splitDns: [], other: [] };
  for (const a of attrs) {
    const v = a.value;
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
      default: if (v.length) r.other.push({ type: a.type, value: v.toString('hex') });
    }
  }
  return r;
}

export class ConfigTask implements Task {
  readonly name = 'ike-config';
  private reply?: CpPayload;
  private failure?: string;

  buildRequest(x: ExchangeContext): void {
    const policy = x.sa.profile?.configMode;
    if (!policy) return;
    const attrs: CpAttribute[] = [];
    if (policy.requestAddress) attrs.push(attr(CfgAttr.INTERNAL_IP4_ADDRESS), attr(CfgAttr.INTERNAL_IP4_NETMASK), attr(CfgAttr.INTERNAL_IP4_DNS), attr(CfgAttr.INTERNAL_IP4_NBNS));
    if (policy.requestAddress6) attrs.push(attr(CfgAttr.INTERNAL_IP6_ADDRESS), attr(CfgAttr.INTERNAL_IP6_DNS));
    // IOS FlexVPN clients announce their networks as subnets in the request (`route set access-list`).
    for (const s of policy.announceSubnets ?? []) attrs.push(subnetAttr(s));
    if (policy.requestAddress || policy.requestAddress6) attrs.push(attr(CfgAttr.INTERNAL_IP4_SUBNET), attr(CfgAttr.INTERNAL_DNS_DOMAIN));
    if (!attrs.length) return;
    x.out.push({ type: PayloadType.CP, cfgType: CfgType.CFG_REQUEST, attributes: attrs });
  }

  processResponse(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    const c = cpPayload(x.received);
    if (!c || c.cfgType !== CfgType.CFG_REPLY) {
      if (sa.profile?.configMode?.requestAddress && sa.authenticated) {
        sa.emit('info', 'responder sent no configuration reply: no inner address assigned');
      }
      return DONE;
    }
    sa.configReceived = decodeConfig(c.attributes);
    const r = sa.configReceived;
    sa.emit('config-received', `configuration received: ${[r.address4 && `address ${r.address4}`, r.address6 && `address ${r.address6}`, r.dns.length && `DNS ${r.dns.join(',')}`, r.subnets.length && `routes ${r.subnets.join(',')}`, r.defaultDomain && `domain ${r.defaultDomain}`].filter(Boolean).join(', ') || 'no attributes'}`, { ...r });
    return DONE;
  }

  processRequest(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    const c = cpPayload(x.received);
    if (!c || c.cfgType !== CfgType.CFG_REQUEST || !sa.authenticated) return DONE;
    const policy = sa.profile?.configMode ?? {};
    const req = decodeConfig(c.attributes.filter((a) => a.value.length));
    const wants = new Set(c.attributes.map((a) => a.type));
    const assigned: ConfigAssigned = { peerSubnets: [], pushed: {} };
    const out: CpAttribute[] = [];
    const owner = `${sa.remoteId?.value ?? sa.remote.address}#${sa.id}`;
    if (wants.has(CfgAttr.INTERNAL_IP4_ADDRESS) && policy.pool) {
      const pool = x.core.pools.get(`${sa.profile!.name}/v4`, policy.pool);
      if (policy.routeSetInterface) pool.reserve(policy.routeSetInterface, 'route set interface');
      const a = pool.allocate(owner);
      if (a) {
        assigned.address4 = a;
        assigned.pool = pool.name;
        out.push(attr(CfgAttr.INTERNAL_IP4_ADDRESS, ipToBytes(a)), attr(CfgAttr.INTERNAL_IP4_NETMASK, ipToBytes('255.255.255.255')));
        assigned.pushed.address = { value: a, source: `pool ${policy.pool}` };
      } else {
        x.core.counter('pool-exhausted');
        sa.emit('info', `IPv4 pool ${policy.pool} exhausted (${pool.size} addresses in use)`, { pool: policy.pool });
      }
    }
    if (wants.has(CfgAttr.INTERNAL_IP6_ADDRESS) && policy.pool6) {
      const pool = x.core.pools.get(`${sa.profile!.name}/v6`, policy.pool6);
      const a = pool.allocate(owner);
      if (a) {
        assigned.address6 = a;
        assigned.pool6 = pool.name;
        out.push(attr(CfgAttr.INTERNAL_IP6_ADDRESS, Buffer.concat([ipToBytes(a), Buffer.from([128])])));
        assigned.pushed.address6 = { value: a, source: `pool ${policy.pool6}` };
      }
    }
    const askedAddress = wants.has(CfgAttr.INTERNAL_IP4_ADDRESS) || wants.has(CfgAttr.INTERNAL_IP6_ADDRESS);
    if (askedAddress && (policy.pool || policy.pool6) && !assigned.address4 && !assigned.address6) {
      // RFC 7296 3.15.4: no address can be assigned -> INTERNAL_ADDRESS_FAILURE, no CHILD SA.
      this.failure = 'address pool exhausted';
      x.shared.childBlocked = NotifyType.INTERNAL_ADDRESS_FAILURE;
      return DONE;
    }
    for (const d of policy.dns ?? []) out.push(attr(ipFamily(d) === 6 ? CfgAttr.INTERNAL_IP6_DNS : CfgAttr.INTERNAL_IP4_DNS, ipToBytes(d)));
    if (policy.dns?.length) assigned.pushed.dns = { value: policy.dns, source: 'authorization policy' };
    for (const n of policy.nbns ?? []) out.push(attr(CfgAttr.INTERNAL_IP4_NBNS, ipToBytes(n)));
    const routes = [...(policy.routeSetInterface ? [`${policy.routeSetInterface}/32`] : []), ...(policy.routeSet ?? [])];
    for (const r of routes) out.push(subnetAttr(r));
    if (routes.length) assigned.pushed.routes = { value: routes, source: 'authorization policy' };
    if (policy.defaultDomain) {
      out.push(attr(CfgAttr.CISCO_DEF_DOMAIN, Buffer.from(policy.defaultDomain, 'ascii')));
      assigned.pushed.defaultDomain = { value: policy.defaultDomain, source: 'authorization policy' };
    }
    for (const d of policy.splitDns ?? []) out.push(attr(CfgAttr.INTERNAL_DNS_DOMAIN, Buffer.from(d, 'ascii')));
    if (policy.routeAccept !== false) assigned.peerSubnets = req.subnets;
    sa.configAssigned = assigned;
    this.reply = { type: PayloadType.CP, cfgType: CfgType.CFG_REPLY, attributes: out };
    return DONE;
  }

  buildResponse(x: ExchangeContext): void {
    const sa = x.sa;
    if (this.failure) {
      x.out.push(mkNotify(NotifyType.INTERNAL_ADDRESS_FAILURE));
      sa.emit('config-assigned', `no address for ${sa.remoteId?.value}: ${this.failure}`, { failure: this.failure });
      return;
    }
    if (!this.reply || !sa.authenticated) return;
    x.out.push(this.reply);
    const a = sa.configAssigned!;
    afterResponse(x, () => sa.emit('config-assigned', `assigned ${[a.address4, a.address6].filter(Boolean).join(' and ') || 'no address'} to ${sa.remoteId?.value}${a.peerSubnets.length ? `, accepted routes ${a.peerSubnets.join(',')}` : ''}`, { ...a }));
  }
}
