// The daemon's control socket: a Unix socket in the lab's state directory speaking JSON lines.
// A request is {"id":1,"cmd":"ike-sas","args":{...}}; the answer {"id":1,"ok":true,"result":...}.
// {"cmd":"events","args":{"follow":true}} streams {"event":{...}} lines until the client leaves.
// Path-name sockets work across network namespaces, so the CLI in the host reaches every node.

import net from 'node:net';
import { existsSync, unlinkSync } from 'node:fs';

export type Handler = (args: Record<string, unknown>) => unknown | Promise<unknown>;

export interface ControlRequest {
  id?: number;
  cmd: string;
  args?: Record<string, unknown>;
}

export class ControlServer {
  private server?: net.Server;
  private readonly handlers = new Map<string, Handler>();
  private readonly streams = new Set<(line: string) => void>();

  constructor(readonly path: string) {}

  on(cmd: string, h: Handler): this {
    this.handlers.set(cmd, h);
    return this;
  }

  /** Whether a client follows the event stream (callers can skip building what nobody reads). */
  get streaming(): boolean {
    return this.streams.size > 0;
  }

  /** Sends a line to every client following the event stream. */
  broadcast(obj: unknown): void {
    if (!this.streams.size) return;
    const line = JSON.stringify(obj) + '\n';
    for (const s of this.streams) s(line);
  }

  async listen(): Promise<void> {
    if (existsSync(this.path)) unlinkSync(this.path);
    this.server = net.createServer((sock) => this.client(sock));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.path, () => resolve());
    });
  }

  close(): void {
    this.server?.close();
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }

  private client(sock: net.Socket): void {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => {});
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line) void this.request(sock, line);
      }
    });
  }

  private async request(sock: net.Socket, line: string): Promise<void> {
    let req: ControlRequest;
    try {
      req = JSON.parse(line) as ControlRequest;
    } catch {
      sock.write(JSON.stringify({ ok: false, error: 'request is not JSON' }) + '\n');
      return;
    }
    if (req.cmd === 'events' && req.args?.follow) {
      const send = (l: string) => sock.write(l);
      this.streams.add(send);
      sock.on('close', () => this.streams.delete(send));
    }
    const h = this.handlers.get(req.cmd);
    if (!h) {
      sock.write(JSON.stringify({ id: req.id, ok: false, error: `unknown command "${req.cmd}" (known: ${[...this.handlers.keys()].join(', ')})` }) + '\n');
      return;
    }
    try {
      const result = await h(req.args ?? {});
      sock.write(JSON.stringify({ id: req.id, ok: true, result }) + '\n');
    } catch (e) {
      sock.write(JSON.stringify({ id: req.id, ok: false, error: (e as Error).message }) + '\n');
    }
  }
}

/** One request to a daemon; rejects with the daemon's error text. */
export async function controlRequest<T = unknown>(path: string, cmd: string, args: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const sock = net.createConnection(path);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer from ${path} to "${cmd}" within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot reach the daemon at ${path}: ${e.message}`));
    });
    sock.on('connect', () => sock.write(JSON.stringify({ id: 1, cmd, args }) + '\n'));
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const i = buf.indexOf('\n');
      if (i < 0) return;
      clearTimeout(timer);
      sock.end();
      const res = JSON.parse(buf.slice(0, i)) as { ok: boolean; result?: T; error?: string };
      if (res.ok) resolve(res.result as T);
      else reject(new Error(res.error));
    });
  });
}

/** Follows the event stream; returns a function that stops following. */
export function followEvents(path: string, onEvent: (e: Record<string, unknown>) => void, onError?: (e: Error) => void): () => void {
  const sock = net.createConnection(path);
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('error', (e) => onError?.(e));
  sock.on('connect', () => sock.write(JSON.stringify({ id: 1, cmd: 'events', args: { follow: true } }) + '\n'));
  sock.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        const o = JSON.parse(line) as { event?: Record<string, unknown> };
        if (o.event) onEvent(o.event);
      } catch {
        // ignore a partial line
      }
    }
  });
  return () => sock.destroy();
}
