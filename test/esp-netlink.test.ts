// Interface configuration without `ip`: the addon's rtnetlink and ioctl calls in a namespace the
// test makes (addresses v4/v6, routes replace/del, MTU, up/down, errors that name the operation and
// carry the errno name, the cached socket following the thread's namespace), then the data plane's
// configure/down/setMtu built on them. Every result is read back with `ip -j`.

import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import {
  linkSetDown, linkSetMtu, linkSetUp, loadNative, netlinkAddress, netlinkRoute, netnsOpenTun, tunClose, withNetns,
} from '../engine/native/addon.ts';
import type { NetlinkError } from '../engine/native/addon.ts';
import { DataPlane } from '../engine/daemon/dataplane.ts';
import type { Tunnel } from '../engine/daemon/dataplane.ts';
import { EventLog } from '../engine/daemon/event-log.ts';
import type { NativeUdpSocket } from '../engine/esp/udp-socket.ts';

interface Ns {
  name: string;
  path: string;
}

async function namespace(t: { teardown(fn: () => unknown): void }): Promise<Ns> {
  const name = `fxnl-${randomBytes(3).toString('hex')}`;
  await execa('ip', ['netns', 'add', name]);
  t.teardown(() => execa('ip', ['netns', 'del', name], { reject: false }));
  await execa('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return { name, path: `/run/netns/${name}` };
}

/** A TUN device in the namespace (down), closed by teardown. Its link-local IPv6 address is ignored below. */
function tun(t: { teardown(fn: () => unknown): void }, ns: Ns, name: string): void {
  const { fd } = netnsOpenTun(ns.path, name);
  t.teardown(() => tunClose(fd));
}

interface JAddr { ifname: string; mtu: number; flags: string[]; addr_info: Array<{ family: string; local: string; prefixlen: number; scope: string; nodad?: boolean }> }
interface JRoute { dst: string; dev: string; protocol: string; scope?: string }

async function addrs(ns: Ns, dev: string): Promise<{ link: JAddr; global: string[]; nodad: string[] }> {
  const r = await execa('ip', ['-n', ns.name, '-j', 'addr', 'show', 'dev', dev]);
  const link = (JSON.parse(r.stdout) as JAddr[])[0]!;
  const global = link.addr_info.filter((a) => a.scope === 'global');
  return { link, global: global.map((a) => `${a.local}/${a.prefixlen}`).sort(), nodad: global.filter((a) => a.nodad).map((a) => a.local) };
}

/** Routes of the main table via `dev` that the test put there (protocol static). */
async function staticRoutes(ns: Ns, dev: string): Promise<JRoute[]> {
  const out: JRoute[] = [];
  for (const fam of ['-4', '-6']) {
    const r = await execa('ip', ['-n', ns.name, '-j', fam, 'route', 'show', 'table', 'main', 'dev', dev]);
    for (const x of JSON.parse(r.stdout) as Array<Omit<JRoute, 'dev'>>) if (x.protocol === 'static') out.push({ ...x, dev });
  }
  return out.sort((a, b) => a.dst.localeCompare(b.dst));
}

function caught(fn: () => void): NetlinkError {
  try {
    fn();
  } catch (e) {
    return e as NetlinkError;
  }
  throw new Error('expected an exception');
}

test('addresses v4 and v6: add, replace, del, exactly what was asked', async (t) => {
  const ns = await namespace(t);
  tun(t, ns, 'fxva1');
  withNetns(ns.path, () => {
    linkSetUp('fxva1', 1400);
    netlinkAddress('replace', 'fxva1', '10.77.0.1/32');
    netlinkAddress('replace', 'fxva1', '10.77.0.1/32'); // replace is idempotent
    netlinkAddress('add', 'fxva1', '10.78.0.1/24');
    netlinkAddress('replace', 'fxva1', '2001:db8:77::1/128');
    netlinkAddress('add', 'fxva1', '2001:db8:78::1/64');
  });
  let a = await addrs(ns, 'fxva1');
  t.deepEqual(a.global, ['10.77.0.1/32', '10.78.0.1/24', '2001:db8:77::1/128', '2001:db8:78::1/64']);
  t.deepEqual(a.nodad.sort(), ['2001:db8:77::1', '2001:db8:78::1'], 'IPv6 addresses skip DAD (usable at once)');
  t.is(a.link.mtu, 1400);
  t.true(a.link.flags.includes('UP'));

  // add of an existing address: EEXIST, and the message names the operation, address and device.
  const e = caught(() => withNetns(ns.path, () => netlinkAddress('add', 'fxva1', '10.78.0.1/24')));
  t.is(e.code, 'EEXIST');
  t.is(e.errno, -17);
  t.is(e.syscall, 'RTM_NEWADDR');
  t.regex(e.message, /^RTM_NEWADDR 10\.78\.0\.1\/24 dev fxva1: File exists/);

  withNetns(ns.path, () => {
    netlinkAddress('del', 'fxva1', '10.78.0.1/24');
    netlinkAddress('del', 'fxva1', '2001:db8:78::1/64');
  });
  a = await addrs(ns, 'fxva1');
  t.deepEqual(a.global, ['10.77.0.1/32', '2001:db8:77::1/128']);
  const gone = caught(() => withNetns(ns.path, () => netlinkAddress('del', 'fxva1', '10.78.0.1/24')));
  t.is(gone.code, 'EADDRNOTAVAIL');
  t.regex(gone.message, /^RTM_DELADDR 10\.78\.0\.1\/24 dev fxva1: /);
});

test('routes v4 and v6: replace (twice), add, del; main table, scope link, proto static', async (t) => {
  const ns = await namespace(t);
  tun(t, ns, 'fxva2');
  withNetns(ns.path, () => {
    linkSetUp('fxva2', 1400);
    netlinkRoute('replace', 'fxva2', '10.128.0.5/32');
    netlinkRoute('replace', 'fxva2', '10.128.0.5/32');
    netlinkRoute('replace', 'fxva2', '10.9.0.0/16');
    netlinkRoute('add', 'fxva2', '2001:db8:1::5/128');
    netlinkRoute('replace', 'fxva2', '2001:db8:2::/48');
  });
  const r = await staticRoutes(ns, 'fxva2');
  t.deepEqual(r.map((x) => x.dst), ['10.128.0.5', '10.9.0.0/16', '2001:db8:1::5', '2001:db8:2::/48']);
  t.true(r.filter((x) => !x.dst.includes(':')).every((x) => x.scope === 'link'), JSON.stringify(r));

  const dup = caught(() => withNetns(ns.path, () => netlinkRoute('add', 'fxva2', '2001:db8:1::5/128')));
  t.is(dup.code, 'EEXIST');
  t.regex(dup.message, /^RTM_NEWROUTE 2001:db8:1::5\/128 dev fxva2: File exists/);

  withNetns(ns.path, () => {
    netlinkRoute('del', 'fxva2', '10.9.0.0/16');
    netlinkRoute('del', 'fxva2', '2001:db8:1::5/128');
  });
  t.deepEqual((await staticRoutes(ns, 'fxva2')).map((x) => x.dst), ['10.128.0.5', '2001:db8:2::/48']);
  const gone = caught(() => withNetns(ns.path, () => netlinkRoute('del', 'fxva2', '10.9.0.0/16')));
  t.is(gone.code, 'ESRCH');
  t.is(gone.syscall, 'RTM_DELROUTE');
});

test('errors: missing device (ENODEV), device down (kernel message), bad prefix, bad arguments', async (t) => {
  const ns = await namespace(t);
  tun(t, ns, 'fxva3');
  const missing = caught(() => withNetns(ns.path, () => netlinkRoute('replace', 'fxnosuch0', '10.9.0.0/24')));
  t.is(missing.code, 'ENODEV');
  t.is(missing.errno, -19);
  t.is(missing.message, 'RTM_NEWROUTE 10.9.0.0/24 dev fxnosuch0: No such device');
  t.is(caught(() => withNetns(ns.path, () => netlinkAddress('replace', 'fxnosuch0', '10.9.0.1/32'))).code, 'ENODEV');

  // fxva3 is down: the kernel refuses the route and says why (extended ack).
  const down = caught(() => withNetns(ns.path, () => netlinkRoute('replace', 'fxva3', '10.9.0.0/24')));
  t.is(down.code, 'ENETDOWN');
  t.regex(down.message, /^RTM_NEWROUTE 10\.9\.0\.0\/24 dev fxva3: Network is down \(.+\)$/);

  withNetns(ns.path, () => linkSetUp('fxva3'));
  const hostBits = caught(() => withNetns(ns.path, () => netlinkRoute('replace', 'fxva3', '10.9.0.1/24')));
  t.is(hostBits.code, 'EINVAL');
  t.regex(hostBits.message, /Invalid argument/);

  t.throws(() => withNetns(ns.path, () => netlinkRoute('replace', 'fxva3', '10.9.0.0/33')), { instanceOf: TypeError, message: /not an IPv4 or IPv6 address\/prefix: "10\.9\.0\.0\/33"/ });
  t.throws(() => withNetns(ns.path, () => netlinkAddress('replace', 'fxva3', 'nonsense')), { instanceOf: TypeError });
  t.throws(() => netlinkAddress('flush' as 'add', 'fxva3', '10.0.0.1'), { instanceOf: TypeError, message: /op must be/ });
  t.deepEqual(await staticRoutes(ns, 'fxva3'), [], 'nothing was installed by the failed calls');
});

test('MTU and down by ioctl', async (t) => {
  const ns = await namespace(t);
  tun(t, ns, 'fxva4');
  withNetns(ns.path, () => {
    linkSetUp('fxva4', 1300);
    linkSetMtu('fxva4', 1280);
  });
  let a = await addrs(ns, 'fxva4');
  t.is(a.link.mtu, 1280);
  t.true(a.link.flags.includes('UP'));
  withNetns(ns.path, () => linkSetDown('fxva4'));
  a = await addrs(ns, 'fxva4');
  t.false(a.link.flags.includes('UP'));
  const e = caught(() => withNetns(ns.path, () => linkSetMtu('fxnosuch0', 1280)));
  t.is(e.code, 'ENODEV');
  t.regex(e.message, /linkSetMtu\(fxnosuch0\)/);
});

// Serial: the socket count is per thread, and the other tests of this file share the thread.
test.serial('the kept socket follows the thread: each namespace gets its own routes', async (t) => {
  const [a, b] = await Promise.all([namespace(t), namespace(t)]);
  tun(t, a, 'fxva5');
  const before = loadNative().netlinkSocketStats().opened;
  withNetns(a.path, () => {
    linkSetUp('fxva5');
    netlinkRoute('replace', 'fxva5', '10.55.0.0/24');
    netlinkRoute('replace', 'fxva5', '10.56.0.0/24'); // same socket
  });
  // fxva5 exists only in a: a socket left over from a would find it.
  const e = caught(() => withNetns(b.path, () => netlinkRoute('replace', 'fxva5', '10.57.0.0/24')));
  t.is(e.code, 'ENODEV');
  withNetns(a.path, () => netlinkRoute('replace', 'fxva5', '10.57.0.0/24'));
  t.deepEqual((await staticRoutes(a, 'fxva5')).map((x) => x.dst), ['10.55.0.0/24', '10.56.0.0/24', '10.57.0.0/24']);
  t.is(loadNative().netlinkSocketStats().opened - before, 3, 'one socket per namespace visit, kept within it');
});

test('DataPlane.configure/setMtu/down: wanted addresses and routes only, failures logged', async (t) => {
  const ns = await namespace(t);
  const outDir = mkdtempSync(join(tmpdir(), 'fxnl-'));
  t.teardown(() => rmSync(outDir, { recursive: true, force: true }));
  const log = new EventLog('nltest', outDir, true);
  t.teardown(() => log.close());
  const lines: string[] = [];
  log.subscribe((e) => lines.push(e.text));
  const udp = { on: () => udp } as unknown as NativeUdpSocket;
  const dp = new DataPlane(udp, log, { onLifetime: () => {}, onIke: () => {} });
  t.teardown(() => dp.closeAll());
  const ep = { address: '192.0.2.1', port: 4500 };
  // configure() does all its work before its first await (there is none): the calls run inside
  // withNetns, which wants a synchronous function.
  const inNs = (f: () => void) => withNetns(ns.path, f);
  let tn!: Tunnel;
  inNs(() => {
    tn = dp.tunnel({ key: 'spoke', ifname: 'fxtu0', mtu: 1400, persistent: true }, ep, ep);
    void dp.configure(tn, ['10.60.0.1/32', '2001:db8:60::1/128'], ['10.61.0.0/24', '10.62.0.1/24', '2001:db8:61::/64']);
  });
  t.true(tn.up);
  let a = await addrs(ns, 'fxtu0');
  t.deepEqual(a.global, ['10.60.0.1/32', '2001:db8:60::1/128']);
  t.deepEqual((await staticRoutes(ns, 'fxtu0')).map((x) => x.dst), ['10.61.0.0/24', '2001:db8:61::/64']);
  t.true(lines.some((l) => /^configuring fxtu0 failed: RTM_NEWROUTE 10\.62\.0\.1\/24 dev fxtu0: Invalid argument/.test(l)), lines.join('\n'));

  // Reconfigure: what is no longer wanted goes, the rest stays or comes.
  inNs(() => {
    void dp.configure(tn, ['10.60.0.2/32'], ['10.61.0.0/24', '10.63.0.0/24']);
    void dp.setMtu(tn, 1300);
  });
  a = await addrs(ns, 'fxtu0');
  t.deepEqual(a.global, ['10.60.0.2/32']);
  t.is(a.link.mtu, 1300);
  t.deepEqual((await staticRoutes(ns, 'fxtu0')).map((x) => x.dst), ['10.61.0.0/24', '10.63.0.0/24']);
  t.deepEqual(tn.routes, ['10.61.0.0/24', '10.63.0.0/24']);

  // A failing MTU is logged, not thrown.
  inNs(() => void dp.setMtu(tn, 10));
  t.true(lines.some((l) => l.startsWith('cannot set mtu 10 on fxtu0: ')), lines.join('\n'));

  // down() on a persistent tunnel: no addresses, link down, no routes (the kernel drops them).
  inNs(() => void dp.down(tn));
  a = await addrs(ns, 'fxtu0');
  t.deepEqual(a.global, []);
  t.false(a.link.flags.includes('UP'));
  t.deepEqual(await staticRoutes(ns, 'fxtu0'), []);
  t.false(tn.up);

  // ... and up again.
  inNs(() => void dp.configure(tn, ['10.60.0.1/32'], ['10.61.0.0/24']));
  a = await addrs(ns, 'fxtu0');
  t.deepEqual(a.global, ['10.60.0.1/32']);
  t.true(a.link.flags.includes('UP'));
  t.deepEqual((await staticRoutes(ns, 'fxtu0')).map((x) => x.dst), ['10.61.0.0/24']);
});
