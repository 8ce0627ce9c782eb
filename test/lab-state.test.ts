// The lab journal and state directory, without namespaces: what destroy will remove is what the
// journal says, whatever order and state it was left in.

import test from 'ava';
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { foldJournal, isSameProcess, LabState, processStartTime } from '../labs/state.ts';
import type { LabModel } from '../labs/model.ts';
import { cleanupAll, isolate } from './helpers/lab.ts';

const dirs = isolate('lab-state');
test.after.always(() => cleanupAll(dirs));

const model = (name: string): LabModel => ({ name, nodes: [], links: [] });

test('the journal folds into what may exist: foreign namespaces, stopped processes and cleared faults drop out', (t) => {
  const v = foldJournal([
    { t: 'lab', name: 'x', at: 'now' },
    { t: 'netns', name: 'flx-x-a' },
    { t: 'netns', name: 'flx-x-b' },
    { t: 'netns-foreign', name: 'flx-x-b' },
    { t: 'link', id: 'a-eth1--b-eth1', a: { netns: 'flx-x-a', ifname: 'eth1' }, b: { netns: 'flx-x-b', ifname: 'eth1' } },
    { t: 'process', id: 'a/p', node: 'a', netns: 'flx-x-a', argv: ['sleep', '1'], log: '/l' },
    { t: 'process', id: 'a/q', node: 'a', netns: 'flx-x-a', argv: ['sleep', '1'], log: '/l' },
    { t: 'process-started', id: 'a/p', pid: 42, startTime: 7 },
    { t: 'process-stopped', id: 'a/p' },
    { t: 'fault', id: 'f1', spec: {}, undo: [] },
    { t: 'fault', id: 'f2', spec: {}, undo: [] },
    { t: 'fault-cleared', id: 'f1' },
  ]);
  t.deepEqual(v.netns, ['flx-x-a']);
  t.is(v.links.length, 1);
  t.true(v.processes.get('a/p')!.stopped);
  t.is(v.processes.get('a/p')!.pid, 42);
  t.false(v.processes.get('a/q')!.stopped);
  t.is(v.processes.get('a/q')!.pid, undefined, 'recorded before it started: no pid yet');
  t.deepEqual([...v.faults.values()].filter((f) => !f.cleared).map((f) => f.id), ['f2']);
  t.false(v.deployed);
});

test('a journal line torn by a crash is ignored; entries are on disk when append returns', (t) => {
  const s = LabState.create(model('st-torn'), { backend: 'netns', outDir: '/tmp/x' });
  t.teardown(() => s.remove());
  s.append({ t: 'netns', name: 'flx-st-torn-a' });
  appendFileSync(s.journalPath, '{"t":"netns","na');
  t.deepEqual(s.view().netns, ['flx-st-torn-a']);
  t.regex(readFileSync(s.journalPath, 'utf8'), /^\{"t":"lab","name":"st-torn"/);
  t.is(s.meta().deployPid, process.pid);
  t.deepEqual(s.model(), model('st-torn'));
});

test('one lab name, one state directory: a second create fails and says who holds the name', (t) => {
  const s = LabState.create(model('st-lock'), { backend: 'netns', outDir: '/tmp/x', file: '/t/hub-spoke.yaml' });
  t.teardown(() => s.remove());
  t.throws(() => LabState.create(model('st-lock'), { backend: 'netns', outDir: '/tmp/y' }), {
    message: /lab "st-lock" already exists \(deployed .* from \/t\/hub-spoke\.yaml\): destroy it first/,
  });
  t.deepEqual(LabState.list().filter((n) => n.startsWith('st-')), ['st-lock']);
  t.is(LabState.resolve('st-lock').dir, path.join(dirs.stateDir, 'st-lock'));
  t.throws(() => LabState.open('st-none'), { message: /no lab named "st-none" is deployed \(deployed: .*st-lock.*\)/ });
});

test('processes are identified by pid and start time, so a reused pid is never taken for ours', (t) => {
  const mine = processStartTime(process.pid);
  t.true(typeof mine === 'number' && mine > 0);
  t.true(isSameProcess(process.pid, mine));
  t.false(isSameProcess(process.pid, mine! + 1));
  t.false(isSameProcess(2 ** 22 + 12345, undefined));
});
