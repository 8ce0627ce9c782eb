// The FlexVPN client role's decisions in memory (virtual network, virtual clock): the gateway list
// with the downloaded backup list (F-CLI-04), each re-selection trigger (F-CLI-05), possible peers
// and track objects (F-CLI-06), peer reactivate (F-CLI-07), backup groups (F-CLI-09), FQDN peers
// (F-CLI-12) and the connect modes (F-CLI-02/03).

import test from 'ava';
import { ClientLab } from './helpers/flexvpn-client.ts';
import type { HubSpec } from './helpers/flexvpn-client.ts';
import { TrackTable } from '../engine/roles/track.ts';

const HUB = (n: number) => `198.51.100.${n}`;
const FOUR: HubSpec[] = [
  { name: 'hub1', address: HUB(1), backupGateways: [HUB(2), HUB(3)] },
  { name: 'hub2', address: HUB(2) },
  { name: 'hub3', address: HUB(3), backupGateways: [HUB(4)] },
  { name: 'hub4', address: HUB(4), backupGateways: [HUB(2)] },
];
const STATIC_1_4 = [{ seq: 1, name: 'hub1', address: HUB(1) }, { seq: 2, name: 'hub4', address: HUB(4) }];

const listOf = (lab: ClientLab, name: string) => lab.view(name).list.map((g) => `${g.name}${g.origin === 'downloaded' ? '*' : ''}`);

test('the downloaded backup gateway list is inserted after the peer it came from (F-CLI-04, F-CFG-07)', (t) => {
  const lab = new ClientLab({ hubs: FOUR, clients: [{ name: 'flex', peers: STATIC_1_4 }] });
  lab.start();
  t.true(lab.waitConnected('flex', 'hub1'));
  lab.advance(10);
  t.deepEqual(listOf(lab, 'flex'), ['hub1', HUB(2) + '*', HUB(3) + '*', 'hub4']);
  const ev = lab.decisionsOf('flex', 'client-list');
  t.is(ev.length, 1);
  t.is(ev[0]!.data?.['change'], 'inserted');
  t.regex(ev[0]!.text, /downloaded from 1 hub1 \(198\.51\.100\.2, 198\.51\.100\.3\) inserted after it/);
  t.deepEqual(lab.view('flex').downloaded, { from: 'hub1', gateways: [HUB(2), HUB(3)] });
});

test('failover follows the list hub1 -> hub2 -> hub3 -> hub4; the exhausted downloaded list is deleted and hub4\'s replaces it (F-CLI-04/05)', (t) => {
  const lab = new ClientLab({ hubs: FOUR, clients: [{ name: 'flex', peers: STATIC_1_4 }] });
  lab.start();
  t.true(lab.waitConnected('flex', 'hub1'));
  lab.kill('hub1');
  t.true(lab.waitConnected('flex', 'hub2'));
  t.deepEqual(lab.triggers('flex').slice(-1), ['liveness'], 'DPD declared hub1 dead');
  // hub2 is in the downloaded list: the list stays (hub2 sends none anyway).
  t.deepEqual(listOf(lab, 'flex'), ['hub1', HUB(2) + '*', HUB(3) + '*', 'hub4']);
  lab.kill('hub2');
  t.true(lab.waitConnected('flex', 'hub3'));
  lab.advance(10);
  // hub3 is a downloaded peer: its own list is not used.
  t.deepEqual(listOf(lab, 'flex'), ['hub1', HUB(2) + '*', HUB(3) + '*', 'hub4']);
  t.is(lab.decisionsOf('flex', 'client-list').at(-1)!.data?.['change'], 'kept');
  lab.kill('hub3');
  t.true(lab.waitConnected('flex', 'hub4'));
  t.deepEqual(lab.selections('flex'), ['hub1', 'hub2', 'hub3', 'hub4']);
  const changes = lab.decisionsOf('flex', 'client-list').map((e) => e.data?.['change']);
  t.deepEqual(changes, ['inserted', 'kept', 'deleted', 'inserted']);
  const deleted = lab.decisionsOf('flex', 'client-list').find((e) => e.data?.['change'] === 'deleted')!;
  t.deepEqual(deleted.data?.['list'], ['hub1', 'hub4'], 'the list right after the deletion is the static list');
  lab.advance(10);
  t.deepEqual(listOf(lab, 'flex'), ['hub1', 'hub4', HUB(2) + '*']);
});

test('connecting to a static peer outside the downloaded list replaces that list with its own (F-CLI-04)', (t) => {
  const lab = new ClientLab({
    hubs: FOUR, tracks: [{ id: '1' }],
    clients: [{ name: 'flex', reactivate: true, peers: [{ seq: 1, name: 'hub1', address: HUB(1), track: { id: '1', state: 'up' } }, { seq: 2, name: 'hub4', address: HUB(4) }] }],
  });
  lab.start();
  t.true(lab.waitConnected('flex', 'hub1'));
  lab.setTrack('1', 'down');
  // hub1 no longer possible: next entry is hub1's downloaded hub2.
  t.true(lab.waitConnected('flex', 'hub2'));
  lab.kill('hub2');
  lab.kill('hub3');
  t.true(lab.waitConnected('flex', 'hub4'));
  lab.advance(10);
  t.deepEqual(listOf(lab, 'flex'), ['hub1', 'hub4', HUB(2) + '*']);
  lab.revive('hub2');
  lab.setTrack('1', 'up');
  t.true(lab.waitConnected('flex', 'hub1'));
  lab.advance(10);
  const last = lab.decisionsOf('flex', 'client-list').at(-1)!;
  t.is(last.data?.['change'], 'replaced');
  t.is(last.data?.['replacedFrom'], 'hub4');
  t.deepEqual(listOf(lab, 'flex'), ['hub1', HUB(2) + '*', HUB(3) + '*', 'hub4']);
});

test('each trigger moves the client to the next possible peer (F-CLI-05)', (t) => {
  const two: HubSpec[] = [{ name: 'hub1', address: HUB(1) }, { name: 'hub2', address: HUB(2) }];
  const peers = [{ seq: 1, name: 'hub1', address: HUB(1) }, { seq: 2, name: 'hub2', address: HUB(2) }];

  // IKE negotiation failure: authentication (wrong key on hub1 only).
  {
    const lab = new ClientLab({ hubs: [{ ...two[0]!, psk: 'wrong' }, two[1]!], clients: [{ name: 'c', peers }] });
    lab.start();
    t.true(lab.waitConnected('c', 'hub2'), 'auth failure: hub2');
    t.deepEqual(lab.triggers('c'), ['activate', 'auth']);
    t.regex(lab.decisionsOf('c', 'client-trigger')[1]!.text, /IKE negotiation with 1 hub1 .* failed/);
  }
  // IKE negotiation failure: no answer at all.
  {
    const lab = new ClientLab({ hubs: two, clients: [{ name: 'c', peers }] });
    lab.kill('hub1');
    lab.start();
    t.true(lab.waitConnected('c', 'hub2'), 'timeout: hub2');
    t.deepEqual(lab.triggers('c'), ['activate', 'ike-timeout']);
  }
  // Liveness (DPD) failure of the connected peer.
  {
    const lab = new ClientLab({ hubs: two, clients: [{ name: 'c', peers }] });
    lab.start();
    t.true(lab.waitConnected('c', 'hub1'));
    const at = lab.net.now;
    lab.kill('hub1');
    t.true(lab.waitConnected('c', 'hub2'), 'DPD: hub2');
    t.deepEqual(lab.triggers('c', at), ['liveness']);
  }
  // The SA cleared on the primary (the hub deletes it).
  {
    const lab = new ClientLab({ hubs: two, clients: [{ name: 'c', peers }] });
    lab.start();
    t.true(lab.waitConnected('c', 'hub1'));
    const at = lab.net.now;
    const hub1 = lab.hub('hub1').engine;
    for (const s of hub1.ikeSas()) hub1.deleteIke(s.id, lab.net.now, 'cleared');
    t.true(lab.waitConnected('c', 'hub2'), 'clear on hub1: hub2');
    t.deepEqual(lab.triggers('c', at), ['peer-cleared']);
  }
  // Name resolution failure: the FQDN peer is skipped.
  {
    const lab = new ClientLab({ hubs: two, names: { 'vpn.flexlab.test': null }, clients: [{ name: 'c', peers: [{ seq: 1, fqdn: 'vpn.flexlab.test' }, peers[1]!] }] });
    lab.start();
    t.true(lab.waitConnected('c', 'hub2'), 'NXDOMAIN: hub2');
    t.deepEqual(lab.triggers('c'), ['activate', 'dns']);
    t.regex(lab.decisionsOf('c', 'client-trigger')[1]!.text, /name resolution of vpn\.flexlab\.test .* failed: vpn\.flexlab\.test: NXDOMAIN/);
  }
  // The peer's track object goes down.
  {
    const lab = new ClientLab({ hubs: two, tracks: [{ id: '1' }], clients: [{ name: 'c', peers: [{ ...peers[0]!, track: { id: '1', state: 'up' } }, peers[1]!] }] });
    lab.start();
    t.true(lab.waitConnected('c', 'hub1'));
    const at = lab.net.now;
    lab.setTrack('1', 'down');
    t.true(lab.waitConnected('c', 'hub2'), 'track down: hub2');
    t.deepEqual(lab.triggers('c', at), ['track-down']);
    // hub1's SA was let go (deleted in the background).
    t.true(lab.runUntil(() => !lab.hub('hub1').engine.ikeSas().some((s) => s.status === 'READY')));
  }
});

test('FQDN peers are resolved at each selection: a moved name is followed (F-CLI-12)', (t) => {
  const hubs: HubSpec[] = [{ name: 'hub1', address: HUB(1) }, { name: 'hub2', address: HUB(2) }, { name: 'hub3', address: HUB(3) }];
  const lab = new ClientLab({ hubs, names: { 'vpn.flexlab.test': HUB(1) }, clients: [{ name: 'c', peers: [{ seq: 1, fqdn: 'vpn.flexlab.test' }, { seq: 2, name: 'hub2', address: HUB(2) }] }] });
  lab.start();
  t.true(lab.waitConnected('c', 'hub1'));
  t.is(lab.view('c').list[0]!.resolved, HUB(1));
  lab.names.set('vpn.flexlab.test', HUB(3));
  lab.kill('hub1');
  t.true(lab.waitConnected('c', 'hub2'));
  // hub2 goes too: the pass wraps around and resolves the name again.
  lab.kill('hub2');
  t.true(lab.waitConnected('c', 'hub3'));
  t.is(lab.view('c').list[0]!.resolved, HUB(3));
  t.regex(lab.decisionsOf('c', 'client-peer-selected').at(-1)!.text, /vpn\.flexlab\.test resolved to 198\.51\.100\.3/);
});

test('possible peers: a peer whose track is down is skipped, downloaded peers are always possible (F-CLI-06)', (t) => {
  const lab = new ClientLab({
    hubs: FOUR, tracks: [{ id: '10', state: 'down' }],
    clients: [{ name: 'c', peers: [{ seq: 1, name: 'hub1', address: HUB(1), track: { id: '10', state: 'up' } }, { seq: 2, name: 'hub4', address: HUB(4) }] }],
  });
  lab.start();
  t.true(lab.waitConnected('c', 'hub4'));
  const skipped = lab.decisionsOf('c', 'client-peer-skipped');
  t.is(skipped.length, 1);
  t.is(skipped[0]!.data?.['reason'], 'not-possible');
  t.regex(skipped[0]!.text, /track 10 is down \(wants up\)/);
  const v = lab.view('c');
  t.false(v.list[0]!.possible);
  t.true(v.list.slice(1).every((g) => g.possible));
  // A peer tracked "down" is possible while the object is down.
  const lab2 = new ClientLab({ hubs: FOUR, tracks: [{ id: '10', state: 'down' }], clients: [{ name: 'c', peers: [{ seq: 1, name: 'hub1', address: HUB(1), track: { id: '10', state: 'down' } }] }] });
  lab2.start();
  t.true(lab2.waitConnected('c', 'hub1'));
});

test('peer reactivate returns to the primary when its track recovers; without it the client stays (F-CLI-07)', (t) => {
  const hubs: HubSpec[] = [{ name: 'hub1', address: HUB(1) }, { name: 'hub2', address: HUB(2) }];
  for (const reactivate of [true, false]) {
    const lab = new ClientLab({
      hubs, tracks: [{ id: '1' }],
      clients: [{ name: 'c', reactivate, peers: [{ seq: 1, name: 'hub1', address: HUB(1), track: { id: '1', state: 'up' } }, { seq: 2, name: 'hub2', address: HUB(2) }] }],
    });
    lab.start();
    t.true(lab.waitConnected('c', 'hub1'));
    lab.setTrack('1', 'down');
    t.true(lab.waitConnected('c', 'hub2'));
    const at = lab.net.now;
    lab.setTrack('1', 'up');
    if (reactivate) {
      t.true(lab.waitConnected('c', 'hub1'), 'back on hub1');
      t.deepEqual(lab.triggers('c', at), ['reactivate']);
      t.regex(lab.decisionsOf('c', 'client-trigger', at)[0]!.text, /peer 1 hub1 \(seq 1\) is possible again \(track 1 up\): peer reactivate drops 2 hub2/);
      t.true(lab.runUntil(() => !lab.hubHasSa('hub2')), 'hub2 torn down');
    } else {
      lab.advance(20_000);
      t.is(lab.connectedTo('c'), 'hub2', 'stays on hub2');
      t.deepEqual(lab.triggers('c', at), []);
    }
  }
});

test('backup group: two clients of the group end up on different peers; without the group both take the first (F-CLI-09)', (t) => {
  const hubs: HubSpec[] = [{ name: 'hub1', address: HUB(1) }, { name: 'hub2', address: HUB(2) }];
  const peers = [{ seq: 1, name: 'hub1', address: HUB(1) }, { seq: 2, name: 'hub2', address: HUB(2) }];
  const grouped = new ClientLab({ hubs, clients: [{ name: 'a', peers, backupGroup: '1' }, { name: 'b', peers, backupGroup: '1' }] });
  grouped.start();
  t.true(grouped.runUntil(() => grouped.connectedTo('a') !== undefined && grouped.connectedTo('b') !== undefined));
  t.is(grouped.connectedTo('a'), 'hub1');
  t.is(grouped.connectedTo('b'), 'hub2');
  const skip = grouped.decisionsOf('b', 'client-peer-skipped')[0]!;
  t.is(skip.data?.['reason'], 'backup-group');
  t.regex(skip.text, /backup group 1: client a already has a session with 198\.51\.100\.1/);
  // a loses hub1: hub2 is taken by b, so a keeps trying hub1 and gets it back when it returns.
  grouped.kill('hub1');
  grouped.advance(15_000);
  t.is(grouped.connectedTo('b'), 'hub2');
  t.is(grouped.connectedTo('a'), undefined);
  t.true(grouped.decisionsOf('a', 'client-peer-skipped').some((e) => e.data?.['reason'] === 'backup-group'));
  grouped.revive('hub1');
  t.true(grouped.waitConnected('a', 'hub1'));

  const free = new ClientLab({ hubs, clients: [{ name: 'a', peers }, { name: 'b', peers }] });
  free.start();
  t.true(free.runUntil(() => free.connectedTo('a') !== undefined && free.connectedTo('b') !== undefined));
  t.is(free.connectedTo('a'), 'hub1');
  t.is(free.connectedTo('b'), 'hub1');
});

test('connect manual: nothing before the command, one pass over the list, no retry after a failure (F-CLI-02)', (t) => {
  const lab = new ClientLab({ hubs: [{ name: 'hub1', address: HUB(1) }], clients: [{ name: 'flex', connect: { mode: 'manual' }, peers: [{ seq: 1, name: 'hub1', address: HUB(1) }] }] });
  lab.start();
  lab.advance(10_000);
  t.is(lab.client.engine.ikeSas().length, 0, 'no attempt before the command');
  t.deepEqual(lab.role.connect('flex', lab.net.now), ['flex: connecting']);
  t.true(lab.waitConnected('flex', 'hub1'));
  lab.kill('hub1');
  t.true(lab.runUntil(() => lab.view('flex').phase === 'idle'));
  lab.revive('hub1');
  lab.advance(20_000);
  t.is(lab.view('flex').phase, 'idle', 'no automatic retry');
  t.is(lab.selections('flex').length, 1);
  lab.role.connect('flex', lab.net.now);
  t.true(lab.waitConnected('flex', 'hub1'));
  lab.role.disconnect('flex', lab.net.now);
  t.true(lab.runUntil(() => !lab.hubHasSa('hub1')), 'clear ... connect tears the tunnel down');
  t.is(lab.view('flex').phase, 'idle');
});

test('connect auto retries forever; all peers down, then one returns (F-CLI-02)', (t) => {
  const hubs: HubSpec[] = [{ name: 'hub1', address: HUB(1) }, { name: 'hub2', address: HUB(2) }];
  const lab = new ClientLab({ hubs, clients: [{ name: 'c', peers: [{ seq: 1, name: 'hub1', address: HUB(1) }, { seq: 2, name: 'hub2', address: HUB(2) }], retryDelay: 1 }] });
  lab.start();
  t.true(lab.waitConnected('c', 'hub1'));
  lab.kill('hub1');
  lab.kill('hub2');
  lab.advance(30_000);
  const waits = lab.decisionsOf('c', 'client-state').filter((e) => e.data?.['phase'] === 'waiting');
  t.true(waits.length >= 3, `${waits.length} passes over the list`);
  t.true(lab.triggers('c').filter((x) => x === 'retry').length >= 3);
  lab.revive('hub2');
  t.true(lab.waitConnected('c', 'hub2'));
});

test('connect track: active while the object is in the state, torn down when it leaves it (F-CLI-03, F-CLI-08)', (t) => {
  const lab = new ClientLab({ hubs: [{ name: 'hub1', address: HUB(1) }], tracks: [{ id: '5' }], clients: [{ name: 'backup', connect: { mode: 'track', track: '5', state: 'down' }, peers: [{ seq: 1, name: 'hub1', address: HUB(1) }] }] });
  lab.start();
  lab.advance(5000);
  t.is(lab.client.engine.ikeSas().length, 0, 'inactive while track 5 is up');
  lab.setTrack('5', 'down');
  t.true(lab.waitConnected('backup', 'hub1'));
  t.is(lab.triggers('backup')[0], 'activate');
  lab.setTrack('5', 'up');
  t.true(lab.runUntil(() => !lab.hubHasSa('hub1')));
  t.is(lab.view('backup').phase, 'idle');
  t.is(lab.triggers('backup').at(-1), 'deactivate');
});

test('track objects follow a reachability probe with thresholds', (t) => {
  const tt = new TrackTable([{ id: '1', probe: { address: '192.0.2.1', interval: 1, timeout: 0.5, threshold: 3, upThreshold: 2 } }], 0);
  const changes: string[] = [];
  tt.subscribe((id, s) => changes.push(`${id}:${s}`));
  let now = 0;
  const round = (ok: boolean) => {
    tt.handleTimeout(now);
    const probes = tt.pollActions().filter((a) => a.type === 'probe');
    t.is(probes.length, 1);
    const p = probes[0]!;
    if (p.type === 'probe') tt.probeResult(p.probeId, ok, now + 10);
    now = tt.pollTimeout()!;
  };
  round(true);
  round(false);
  round(false);
  t.is(tt.state('1'), 'up', 'two failures: still up');
  round(false);
  t.is(tt.state('1'), 'down', 'the third failure takes it down');
  round(true);
  t.is(tt.state('1'), 'down', 'one success is not enough');
  round(true);
  t.is(tt.state('1'), 'up');
  t.deepEqual(changes, ['1:down', '1:up']);
  t.throws(() => tt.set('1', 'down', now), { message: /follows a reachability probe/ });
  const ev = tt.pollActions().filter((a) => a.type === 'event');
  t.is(ev.length, 1, 'the last change, after the last probe was sent');
  t.regex(ev[0]!.type === 'event' ? ev[0]!.event.text : '', /^%TRACK-6-STATE: 1 Down -> Up: 192\.0\.2\.1 answered 2 probes in a row$/);
  const v = tt.view()[0]!;
  t.is(v.probe?.sent, 6);
  t.is(v.probe?.failed, 3);
});
