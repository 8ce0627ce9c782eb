// The daemon's event log: JSON lines in the shape `{ ...event, node, source }`, the latest 2000
// events in order (a ring, for `show events`), and key tables where each line appears once even when
// several daemons append the same keys.

import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog } from '../engine/daemon/event-log.ts';
import type { IkeEvent } from '../engine/ike/actions.ts';

function tempDir(t: import('ava').ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'flexlab-evlog-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('events are written as JSON lines with node and source after the event fields', (t) => {
  const dir = tempDir(t);
  const log = new EventLog('hub1', dir, true);
  const events: IkeEvent[] = [
    { time: 1700000000000, type: 'message', text: 'received IKE_SA_INIT', ikeSaId: 1, peer: '192.0.2.10:500', data: { exchange: 'IKE_SA_INIT', bytes: 208 } },
    { time: 1700000000001, type: 'info', text: 'no data', childSaId: undefined },
    { time: 1700000000002, type: 'child-installed', text: 'CHILD SA', ikeSaId: 1, childSaId: 3, data: { localTs: ['10.0.0.0/24'] } },
  ];
  for (const e of events) log.write(e);
  log.info('info', 'from the daemon', { interface: 'Virtual-Access1' });
  log.close();
  const lines = readFileSync(log.eventsPath, 'utf8').trim().split('\n');
  t.is(lines.length, 4);
  events.forEach((e, i) => t.is(lines[i], JSON.stringify({ ...e, node: 'hub1', source: 'ike' })));
  t.like(JSON.parse(lines[3]!), { type: 'info', text: 'from the daemon', data: { interface: 'Virtual-Access1' }, node: 'hub1', source: 'daemon' });
});

test('recent holds the latest 2000 events, oldest first', (t) => {
  const log = new EventLog('hub2', tempDir(t), true);
  for (let i = 0; i < 1500; i++) log.write({ time: i, type: 'info', text: `e${i}` });
  t.is(log.recent.length, 1500);
  t.is(log.recent[0]!.text, 'e0');
  for (let i = 1500; i < 4321; i++) log.write({ time: i, type: 'info', text: `e${i}` });
  const r = log.recent;
  t.is(r.length, 2000);
  t.is(r[0]!.text, 'e2321');
  t.is(r[1999]!.text, 'e4320');
  t.true(r.every((e, i) => i === 0 || e.time === r[i - 1]!.time + 1), 'in order');
  log.close();
});

test('key tables keep one copy of each line across daemons sharing them', (t) => {
  const dir = tempDir(t);
  const a = new EventLog('spoke', dir, true);
  const b = new EventLog('hub', dir, true);
  const l1 = '"192.0.2.10","192.0.2.1","0x11111111","AES-GCM-16 [RFC4106]","0x00","NULL",""';
  const l2 = '"192.0.2.1","192.0.2.10","0x22222222","AES-GCM-16 [RFC4106]","0x01","NULL",""';
  const l3 = '"192.0.2.1","192.0.2.10","0x33333333","AES-GCM-16 [RFC4106]","0x02","NULL",""';
  a.appendKeys('esp_sa', [l1, l2]);
  b.appendKeys('esp_sa', [l2, l1]); // the other end of the same tunnel: nothing new
  b.appendKeys('esp_sa', [l3]);
  a.appendKeys('esp_sa', [l3, l1]); // a sees b's line in the file
  a.appendKeys('esp_sa', [l2]);
  a.close();
  b.close();
  t.deepEqual(readFileSync(join(dir, 'keys', 'esp_sa'), 'utf8').split('\n'), [l1, l2, l3, '']);
});
