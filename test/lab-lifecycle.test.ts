// The CLI life of a lab: deploy, inspect, exec, graph, destroy; two labs side by side; the same lab
// twice; and deploys that die half way (SIGKILL, then destroy --all) or are interrupted (SIGINT).

import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { run, sleep } from '../labs/command.ts';
import { openLab } from '../labs/lab.ts';
import { CLI, cleanupAll, cli, fixture, isolate, netnsInodes, pings, snapshot, topology } from './helpers/lab.ts';

const dirs = isolate('lab-lifecycle');
test.after.always(() => cleanupAll(dirs));

const out = (name: string) => path.join(dirs.outDir, name);

test('deploy, inspect --json, exec, graph and destroy through the CLI', async (t) => {
  const name = 'tlc-cli';
  t.teardown(() => cli(['destroy', '--name', name]));
  const before = await snapshot([name]);
  const d = await cli(['deploy', '-t', fixture('hub-spoke-routed.yaml'), '--name', name, '--out', out(name)]);
  t.is(d.code, 0, d.stderr);
  t.regex(d.stdout, /namespaces: 7 created/);
  t.regex(d.stdout, /lab "tlc-cli" deployed in \d+ ms/);

  const q = await cli(['inspect', '--name', name, '--json']);
  t.is(q.code, 0, q.stderr);
  const info = JSON.parse(q.stdout) as { name: string; status: string; nodes: { name: string; kind: string; netns: string; interfaces: { name: string; addresses: string[] }[] }[] };
  t.is(info.name, name);
  t.is(info.status, 'deployed');
  const spoke2 = info.nodes.find((n) => n.name === 'spoke2')!;
  t.is(spoke2.kind, 'router');
  t.is(spoke2.netns, `flx-${name}-spoke2`);
  t.deepEqual(info.nodes.find((n) => n.name === 'host1')!.interfaces[0]!.addresses, ['172.16.1.10/24', '2001:db8:1::10/64']);
  const text = await cli(['inspect', '--name', name]);
  t.regex(text.stdout, /hub-host\s+host\s+flx-tlc-cli-hub-host\s+eth1\s+UP\s+1500\s+192\.168\.10\.10\/24/);

  const e = await cli(['exec', '--name', name, 'host1', '--', 'ping', '-c', '1', '-W', '2', '192.168.10.10']);
  t.is(e.code, 0, e.stderr);
  t.regex(e.stdout, /1 received/);
  const fail = await cli(['exec', '--name', name, 'host1', '--', 'sh', '-c', 'exit 3']);
  t.is(fail.code, 3, 'exec passes the exit code through');
  const typo = await cli(['exec', '--name', name, 'hots1', '--', 'true']);
  t.is(typo.code, 1);
  t.regex(typo.stderr, /has no node "hots1" \(did you mean "host1"\?\)/);

  const g = await cli(['graph', '--name', name, '--format', 'dot']);
  t.regex(g.stdout, /^graph "tlc-cli" \{/);
  const gm = await cli(['graph', '-t', topology('nat-client.yaml')]);
  t.regex(gm.stdout, /graph LR/);

  const x = await cli(['destroy', '--name', name]);
  t.is(x.code, 0, x.stderr);
  t.regex(x.stdout, /lab "tlc-cli" destroyed: 7 namespaces, 6 links, 0 processes/);
  t.deepEqual(await snapshot([name]), before);
  const again = await cli(['inspect', '--name', name]);
  t.is(again.code, 1);
  t.regex(again.stderr, /no lab named "tlc-cli" is deployed/);
});

test('the same lab name twice: the second deploy fails clearly and the first is untouched', async (t) => {
  const name = 'tlc-twice';
  t.teardown(() => cli(['destroy', '--name', name]));
  const first = await cli(['deploy', '-t', topology('nat-client.yaml'), '--name', name, '--out', out(name), '-q']);
  t.is(first.code, 0, first.stderr);
  t.is(first.stdout, '', '--quiet prints nothing');
  const second = await cli(['deploy', '-t', topology('nat-client.yaml'), '--name', name, '--out', out(name)]);
  t.is(second.code, 1);
  t.regex(second.stderr, /lab "tlc-twice" already exists \(deployed .* from .*nat-client\.yaml\): destroy it first \(flexlab destroy --name tlc-twice\), or deploy under another name \(--name\)/);
  t.true(await pings(openLab(name), 'client', '10.0.1.1'), 'the first lab still works');
});

test('two labs from one topology file run side by side; destroying one leaves the other working', async (t) => {
  const [a, b] = ['tlc-side1', 'tlc-side2'];
  t.teardown(() => Promise.all([cli(['destroy', '--name', a]), cli(['destroy', '--name', b])]));
  const [ra, rb] = await Promise.all([
    cli(['deploy', '-t', fixture('hub-spoke-routed.yaml'), '--name', a, '--out', out(a), '-q']),
    cli(['deploy', '-t', fixture('hub-spoke-routed.yaml'), '--name', b, '--out', out(b), '-q']),
  ]);
  t.is(ra.code, 0, ra.stderr);
  t.is(rb.code, 0, rb.stderr);
  const [la, lb] = [openLab(a), openLab(b)];
  t.true(await pings(la, 'host1', '172.16.2.10'));
  t.true(await pings(lb, 'host1', '172.16.2.10'));
  // Same addresses, different namespaces: each lab is its own world.
  t.not(la.node('host1').netns, lb.node('host1').netns);
  const plural = await cli(['inspect']);
  t.regex(plural.stderr, /labs are deployed \(.*tlc-side1, tlc-side2.*\): choose one with --name/);
  t.is((await cli(['destroy', '--name', a])).code, 0);
  t.deepEqual((await snapshot([a])).netns, []);
  t.is((await snapshot([b])).netns.length, 7);
  t.true(await pings(lb, 'host2', '192.168.10.10'));
});

/** Starts a CLI deploy of slow-deploy.yaml and waits until its `sleep 30` runs inside node b. */
async function startSlowDeploy(name: string, stateDir = dirs.stateDir) {
  const child = spawn(process.execPath, [CLI, 'deploy', '-t', fixture('slow-deploy.yaml'), '--name', name, '--out', out(name)], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true', FLEXLAB_STATE_DIR: stateDir },
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => { output += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { output += b.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? -1 : null))));
  const ns = `flx-${name}-b`;
  for (let i = 0; i < 300; i++) {
    if (existsSync(`/run/netns/${ns}`)) {
      const pids = await run(['ip', 'netns', 'pids', ns]);
      const cmds = pids.stdout.split('\n').filter(Boolean).map((p) => { try { return readFileSync(`/proc/${p}/cmdline`, 'utf8'); } catch { return ''; } });
      if (cmds.some((c) => c.startsWith('sleep'))) return { child, exited, output: () => output };
    }
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`deploy never reached its exec step: ${output}`);
}

test('a deploy killed with SIGKILL half way, then `destroy --all`, leaves nothing', async (t) => {
  const name = 'tlc-kill';
  // A state root of its own: `destroy --all` must not take the other tests' labs with it.
  const stateDir = path.join(dirs.stateDir, '..', 'state-kill');
  const before = await snapshot([name], new Set(), stateDir);
  const { child, exited } = await startSlowDeploy(name, stateDir);
  t.teardown(() => cli(['destroy', '--all'], { stateDir }));
  const inodes = netnsInodes([`flx-${name}-a`, `flx-${name}-b`]);
  const journal = readFileSync(path.join(stateDir, name, 'journal.jsonl'), 'utf8');
  t.regex(journal, /"t":"netns","name":"flx-tlc-kill-a"/, 'namespaces were journaled');
  t.regex(journal, /"t":"process-started","id":"a\/capture-eth1"/, 'the capture process was journaled');
  t.notRegex(journal, /"t":"deployed"/);
  child.kill('SIGKILL');
  await exited;

  const half = await snapshot([name], inodes, stateDir);
  t.is(half.netns.length, 2, 'the killed deploy left its namespaces');
  t.true(half.processes.some((p) => p.includes('tcpdump')), 'and its capture process');
  t.true(half.processes.some((p) => p.includes('sleep 30')), 'and the exec command');

  const d = await cli(['destroy', '--all'], { stateDir });
  t.is(d.code, 0, d.stderr);
  t.regex(d.stdout, /lab "tlc-kill" destroyed: 2 namespaces, 1 links, 1 processes/);
  t.deepEqual(await snapshot([name], inodes, stateDir), before);
  t.false(existsSync(path.join(stateDir, name)));
  t.true(existsSync(path.join(out(name), 'captures', 'a-eth1--b-eth1.pcapng')), 'results stay in the output directory');
});

test('Ctrl-C (SIGINT) during deploy tears down what was created and exits 130', async (t) => {
  const name = 'tlc-int';
  const before = await snapshot([name]);
  const { child, exited, output } = await startSlowDeploy(name);
  const inodes = netnsInodes([`flx-${name}-a`, `flx-${name}-b`]);
  child.kill('SIGINT');
  t.is(await exited, 130, output());
  t.regex(output(), /SIGINT: stopping the deploy and removing what it created/);
  t.regex(output(), /deploy interrupted by SIGINT; everything it created was removed/);
  t.deepEqual(await snapshot([name], inodes), before);
});

test('destroy of a lab whose deploy is still running stops that deploy first', async (t) => {
  const name = 'tlc-race';
  const before = await snapshot([name]);
  const { exited } = await startSlowDeploy(name);
  const inodes = netnsInodes([`flx-${name}-a`, `flx-${name}-b`]);
  const d = await cli(['destroy', '--name', name]);
  t.is(d.code, 0, d.stderr);
  t.regex(d.stdout, /stopping deploy in progress \(pid \d+\)/);
  t.is(await exited, -1, 'the deploying process was killed');
  t.deepEqual(await snapshot([name], inodes), before);
});
