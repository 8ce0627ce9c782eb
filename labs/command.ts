// Running the system tools the lab is built from (ip, iptables, nft, tc, conntrack...). Every call
// passes an argv array, never a shell string, so node and interface names cannot inject anything.

import { spawn } from 'node:child_process';

export interface RunOptions {
  /** Text written to the command's stdin (for `ip -batch -`). */
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

export interface RunResult {
  argv: string[];
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A command that ran and failed: the message names the command and what it printed. */
export class CommandError extends Error {
  constructor(readonly result: RunResult) {
    const why = result.signal ? `killed by ${result.signal}` : `exit code ${result.code}`;
    const out = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-8).join('\n  ');
    super(`command failed (${why}): ${formatArgv(result.argv)}${out ? `\n  ${out}` : ''}`);
  }
}

export function formatArgv(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * Runs a command to completion and returns what it printed, whatever its exit code. The command
 * gets its own process group, so a timeout or an abort kills everything it started (a shell's
 * children would otherwise keep its output pipes open).
 */
export function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      resolve({ argv, code: -1, signal: 'SIGKILL', stdout: '', stderr: 'aborted before it started' });
      return;
    }
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: systemEnv(opts.env ?? process.env),
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const killGroup = () => {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    };
    const timer = opts.timeoutMs ? setTimeout(killGroup, opts.timeoutMs) : undefined;
    opts.signal?.addEventListener('abort', killGroup, { once: true });
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', killGroup);
      reject(e.code === 'ENOENT' ? new Error(`${argv[0]} is not installed (run \`make deps\`)`) : e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', killGroup);
      resolve({ argv, code: code ?? -1, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => { /* the command exited before reading all input: its exit code tells */ });
      child.stdin!.end(opts.input);
    }
  });
}

/**
 * The environment for system tools: npm scripts and npx put node_modules/.bin first on PATH, where
 * packages may ship commands named like system tools (@vercel/nft installs an `nft`).
 */
export function systemEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const path = (env['PATH'] ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
    .split(':').filter((d) => d && !d.includes('node_modules')).join(':');
  return { ...env, PATH: path };
}

/** Runs a command and returns its stdout; throws a CommandError when it fails. */
export async function runOk(argv: string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.code !== 0) throw new CommandError(r);
  return r.stdout;
}

/** Runs `fn` over items with at most `limit` running at once; results keep the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < items.length && failed === undefined) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed !== undefined) throw failed;
  return results;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
