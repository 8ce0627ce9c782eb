// RFC 5723 configuration of the node kinds and what the daemon keeps on disk: `resumption` on a
// hub (tickets granted, the key source), `resume` on a spoke, the ticket key file in the state
// directory (created once, read back after a restart, refused when damaged) and the used-ticket
// list, and the schema's checks. No namespaces: pure functions and a temporary directory.

import test from 'ava';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { buildRoleSetup } from '../engine/roles/config.ts';
import type { DaemonInput } from '../engine/roles/config.ts';
import { kindConfigSchema } from '../engine/roles/config-schema.ts';
import { ResumptionStore } from '../engine/daemon/resumption-store.ts';
import { IkeEngine } from '../engine/ike/engine.ts';
import type { IkeEngineSettings } from '../engine/ike/config.ts';
import { keyMaterialFromSecret, sealTicket, ticketKey } from '../engine/ike/resumption/ticket.ts';
import type { TicketState } from '../engine/ike/resumption/ticket.ts';
import { profile } from './helpers/ike.ts';

function input(role: 'hub' | 'spoke', config: Record<string, unknown>): DaemonInput {
  return {
    lab: 'test', node: role, kind: `flexvpn-${role}`, role, config, baseDir: process.cwd(), stateDir: '', outDir: '',
    interfaces: [{ name: 'eth1', addresses: [{ family: 4, address: role === 'hub' ? '198.51.100.1' : '198.51.100.2', prefix: 24 }] }],
  };
}

function tmp(t: import('ava').ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'flexlab-resume-state-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('hub `resumption` and spoke `resume` become the engine options', (t) => {
  const hub = buildRoleSetup(input('hub', { 'pre-shared-key': 'k', resumption: { 'ticket-lifetime': 900 } }));
  t.deepEqual(hub.profiles[0]!.resumption, { enabled: true, ticketLifetime: 900 });
  t.deepEqual(hub.settings.resumption, { keySource: 'state file' });
  const secret = buildRoleSetup(input('hub', { 'pre-shared-key': 'k', resumption: { 'ticket-key': 'correct horse battery staple' } }));
  t.is(secret.settings.resumption?.keySource, 'secret');
  t.deepEqual(secret.settings.resumption?.ticketKey, keyMaterialFromSecret('correct horse battery staple'));
  t.deepEqual(buildRoleSetup(input('hub', { 'pre-shared-key': 'k', resumption: { 'ticket-key': 'memory' } })).settings.resumption, { keySource: 'memory' });
  t.is(buildRoleSetup(input('hub', { 'pre-shared-key': 'k' })).profiles[0]!.resumption, undefined);
  // One profile of several grants tickets: the node still gets a persistent key.
  const multi = buildRoleSetup(input('hub', { 'pre-shared-key': 'k', profiles: [{ name: 'a' }, { name: 'b', resumption: { enabled: true } }] }));
  t.deepEqual(multi.profiles.map((p) => p.resumption?.enabled ?? false), [false, true]);
  t.deepEqual(multi.settings.resumption, { keySource: 'state file' });

  const spoke = buildRoleSetup(input('spoke', { 'pre-shared-key': 'k', peer: '198.51.100.1', resume: true, 'resume-timeout': 7 }));
  t.true(spoke.connection!.resume);
  t.is(spoke.connection!.resumeTimeout, 7);
  t.falsy(buildRoleSetup(input('spoke', { 'pre-shared-key': 'k', peer: '198.51.100.1' })).connection!.resume);

  const ajv = new Ajv({ allErrors: true });
  const hubOk = ajv.compile(kindConfigSchema('hub'));
  t.true(hubOk({ resumption: { enabled: true, 'ticket-lifetime': 60, 'ticket-key': 'state' } }));
  t.false(hubOk({ resumption: { 'ticket-lifetime': 0 } }), 'a zero lifetime is refused');
  t.false(hubOk({ resumption: { lifetime: 60 } }), 'an unknown key is refused');
  const spokeOk = ajv.compile(kindConfigSchema('spoke'));
  t.true(spokeOk({ peer: '198.51.100.1', resume: true, 'resume-timeout': 5 }));
  t.false(spokeOk({ peer: '198.51.100.1', resume: 'yes' }));
});

test('the ticket key is created once in the state directory (0600) and read back after a restart', (t) => {
  const dir = tmp(t);
  const s1: Partial<IkeEngineSettings> = { resumption: { keySource: 'state file' } };
  const store = ResumptionStore.open(dir, 'hub', s1)!;
  t.truthy(store);
  t.is(s1.resumption!.ticketKey!.length, 32);
  t.is(statSync(join(dir, 'hub.resume-key')).mode & 0o777, 0o600);
  const s2: Partial<IkeEngineSettings> = { resumption: { keySource: 'state file' } };
  ResumptionStore.open(dir, 'hub', s2);
  t.deepEqual(s2.resumption!.ticketKey, s1.resumption!.ticketKey, 'the same key after a restart');
  // Two engines with that key name it the same way (a ticket of one opens with the other).
  const keyId = (s: Partial<IkeEngineSettings>) => new IkeEngine({ settings: s }).resumption.keyInfo();
  t.deepEqual(keyId(s1), keyId(s2));
  t.is(keyId(s1).source, 'state file');
  // memory: nothing on disk, a random key per engine.
  t.is(ResumptionStore.open(dir, 'other', { resumption: { keySource: 'memory' } }), undefined);
  t.not(new IkeEngine({}).resumption.keyInfo().keyId, new IkeEngine({}).resumption.keyInfo().keyId);
  // A damaged key file is an error that says what to do.
  writeFileSync(join(dir, 'bad.resume-key'), 'not a key\n');
  const e = t.throws(() => ResumptionStore.open(dir, 'bad', { resumption: { keySource: 'state file' } }));
  t.regex(e!.message, /bad\.resume-key: not a resumption ticket key .*remove it/);
});

test('the tickets accepted are written to the state directory and handed to the next engine', (t) => {
  const dir = tmp(t);
  const settings: Partial<IkeEngineSettings> = { resumption: { keySource: 'state file' } };
  const store = ResumptionStore.open(dir, 'hub', settings)!;
  const profiles = [{ ...profile({ name: 'default' }), resumption: { enabled: true, ticketLifetime: 60 } }];
  const engine = new IkeEngine({ settings, profiles });
  const now = Date.UTC(2026, 0, 1);
  const state: TicketState = {
    id: 'aa'.repeat(16), issued: now, expires: now + 60_000, profile: 'default', suite: { encr: 12, encrKeyBits: 256, prf: 7, integ: 14, dh: 5 },
    skD: Buffer.alloc(64, 1), idi: { idType: 2, data: Buffer.from('spoke') }, idr: { idType: 2, data: Buffer.from('hub') }, spiI: '00', spiR: '00',
  };
  const ticket = sealTicket(state, ticketKey(settings.resumption!.ticketKey!), Buffer.alloc(12, 3));
  t.false('reason' in engine.resumption.accept(ticket, 'spoke', now));
  for (const a of engine.pollActions()) if (a.type === 'event') store.onEvent(a.event, engine);
  // The next daemon start: the list is read back, the ticket is a replay for the new engine.
  const next: Partial<IkeEngineSettings> = { resumption: { keySource: 'state file' } };
  ResumptionStore.open(dir, 'hub', next);
  t.deepEqual(next.resumption!.usedTickets, [{ id: 'aa'.repeat(16), expires: now + 60_000 }]);
  const again = new IkeEngine({ settings: next, profiles }).resumption.accept(ticket, 'spoke', now + 1000);
  t.is('reason' in again && again.reason, 'replayed');
  t.deepEqual(new IkeEngine({ settings: next, profiles }).resumption.usedTickets(now + 60_000), [], 'expired entries are forgotten');
});
