// The lab DNS server and the FlexVPN client's split-DNS proxy, on loopback: A/AAAA answers,
// NXDOMAIN, records changed at run time, malformed queries dropped; the proxy forwards a name in a
// view's domains to that view's server and any other name to the default one (F-CLI-15, F-CFG-05).

import test from 'ava';
import { Resolver } from 'node:dns/promises';
import { DnsServer } from '../engine/dns/server.ts';
import { SplitDnsProxy } from '../engine/dns/proxy.ts';
import { DnsParseError, buildResponse, inDomain, parseQuestion } from '../engine/dns/message.ts';

function resolver(server: string, port: number): Resolver {
  const r = new Resolver({ timeout: 1000, tries: 1 });
  r.setServers([`${server}:${port}`]);
  return r;
}

test('answers A and AAAA, NXDOMAIN for unknown names, and follows record changes', async (t) => {
  const s = new DnsServer({ 'hub1.flexlab.test': ['198.51.100.1', '2001:db8::1'], 'Vpn.Flexlab.Test.': '198.51.100.17' }, { addresses: ['127.0.0.1'], port: 0 });
  await s.listen();
  t.teardown(() => s.close());
  const r = resolver('127.0.0.1', s.port);
  t.deepEqual(await r.resolve4('hub1.flexlab.test'), ['198.51.100.1']);
  t.deepEqual(await r.resolve6('hub1.flexlab.test'), ['2001:db8::1']);
  t.deepEqual(await r.resolve4('VPN.flexlab.test'), ['198.51.100.17'], 'names are case-insensitive');
  await t.throwsAsync(r.resolve4('nope.flexlab.test'), { code: 'ENOTFOUND' });
  await t.throwsAsync(r.resolve6('vpn.flexlab.test'), { code: 'ENODATA' }, 'a known name without AAAA: empty NOERROR');
  s.set('vpn.flexlab.test', ['198.51.100.33']);
  t.deepEqual(await r.resolve4('vpn.flexlab.test'), ['198.51.100.33']);
  s.set('vpn.flexlab.test', null);
  await t.throwsAsync(r.resolve4('vpn.flexlab.test'), { code: 'ENOTFOUND' });
  t.throws(() => s.set('x.test', ['not-an-ip']), { message: /not an IPv4 or IPv6 address/ });
  t.is(s.counters.nxdomain, 2);
});

test('malformed queries are counted and dropped; the question parser rejects what it cannot read', async (t) => {
  const s = new DnsServer({ 'a.test': '192.0.2.1' });
  t.is(s.answer(Buffer.from('0001', 'hex')), undefined);
  t.is(s.counters.malformed, 1);
  t.throws(() => parseQuestion(Buffer.alloc(12)), { instanceOf: DnsParseError, message: /no question/ });
  const q = Buffer.concat([Buffer.from('abcd01000001000000000000', 'hex'), Buffer.from([1, 0x61, 4, 0x74, 0x65, 0x73, 0x74, 0, 0, 1, 0, 1])]);
  const parsed = parseQuestion(q);
  t.like(parsed, { id: 0xabcd, name: 'a.test', type: 1, cls: 1, end: q.length });
  const a = s.answer(q)!;
  t.is(a.readUInt16BE(0), 0xabcd);
  t.is(a.readUInt16BE(2) & 0x8000, 0x8000, 'QR set');
  t.is(a.readUInt16BE(2) & 0x0100, 0x0100, 'RD echoed');
  t.is(a.readUInt16BE(6), 1, 'one answer');
  t.deepEqual([...a.subarray(a.length - 4)], [192, 0, 2, 1]);
  t.is(buildResponse(q, parsed, 3).readUInt16BE(2) & 0xf, 3, 'NXDOMAIN rcode');
  t.true(inDomain('srv.corp.flexlab.test', 'corp.flexlab.test.'));
  t.true(inDomain('corp.flexlab.test', 'corp.flexlab.test'));
  t.false(inDomain('xcorp.flexlab.test', 'corp.flexlab.test'));
});

test('the split-DNS proxy sends a view\'s domains to its server and the rest to the default view', async (t) => {
  // Two servers on one port number of two loopback addresses: the proxy's upstream port is shared.
  const corp = new DnsServer({ 'srv.corp.flexlab.test': '10.1.0.53' }, { addresses: ['127.0.0.61'], port: 0 });
  await corp.listen();
  t.teardown(() => corp.close());
  const isp = new DnsServer({ 'www.example.test': '192.0.2.10', 'srv.corp.flexlab.test': '203.0.113.99' }, { addresses: ['127.0.0.62'], port: corp.port });
  await isp.listen();
  t.teardown(() => isp.close());
  const proxy = new SplitDnsProxy(['127.0.0.62'], { upstreamPort: corp.port, timeoutMs: 1000 });
  await proxy.listen(['127.0.0.63'], 0);
  t.teardown(() => proxy.close());
  const r = resolver('127.0.0.63', proxy.port);
  t.deepEqual(await r.resolve4('srv.corp.flexlab.test'), ['203.0.113.99'], 'no view yet: the default server answers');
  proxy.setView({ owner: 'corp', domains: ['corp.flexlab.test'], servers: ['127.0.0.61'] });
  t.deepEqual(await r.resolve4('srv.corp.flexlab.test'), ['10.1.0.53'], 'the view sends it to the corporate server');
  t.deepEqual(await r.resolve4('www.example.test'), ['192.0.2.10']);
  t.deepEqual(proxy.route('a.b.corp.flexlab.test'), { view: 'corp', servers: ['127.0.0.61'] });
  t.true(proxy.clearView('corp'));
  t.deepEqual(await r.resolve4('srv.corp.flexlab.test'), ['203.0.113.99']);
  t.like(proxy.counters, { queries: 4, split: 1, default: 3 });
});
