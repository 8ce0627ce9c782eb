// The thin I/O shell around the sans-IO RADIUS cores (client, DAS, server): UDP sockets, the wall
// clock and one timer. Datagrams received go to `handleDatagram`, the next deadline drives
// `handleTimeout`, and every `send` action goes out of the socket its `local` endpoint names.

import dgram from 'node:dgram';
import type { Datagram, Endpoint } from '../ike/actions.ts';
import { ipFamily } from '../util/ip.ts';
import { RadiusClient } from './client.ts';
import type { RadiusClientAction, RadiusClientOptions, RadiusRequestInput } from './client.ts';

export interface SansIoCore<A> {
  handleDatagram(d: Datagram, now: number): void;
  handleTimeout(now: number): void;
  pollTimeout(): number | undefined;
  pollActions(): A[];
}

export interface SocketSpec {
  /** "0.0.0.0", "::", or a specific address. */
  address: string;
  /** 0 for an ephemeral port. */
  port: number;
}

interface Bound {
  socket: dgram.Socket;
  family: 4 | 6;
  local: Endpoint;
  requested: number;
}

export class UdpShell<A extends { type: string }> {
  private bound: Bound[] = [];
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly core: SansIoCore<A>,
    private readonly specs: SocketSpec[],
    /** Every action except `send`, which the shell performs. */
    private readonly onAction: (a: A) => void,
    private readonly onError: (msg: string) => void = () => {},
  ) {}

  /** Binds every socket; rejects with the OS error (EADDRINUSE...) naming the address. */
  async start(): Promise<Endpoint[]> {
    for (const spec of this.specs) {
      const family = (ipFamily(spec.address) || 4) as 4 | 6;
      const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only: family === 6, reuseAddr: false });
      await new Promise<void>((resolve, reject) => {
        socket.once('error', (e) => reject(new Error(`cannot bind UDP ${spec.address}:${spec.port}: ${e.message}`)));
        socket.bind(spec.port, spec.address, () => resolve());
      });
      const addr = socket.address();
      const b: Bound = { socket, family, local: { address: addr.address, port: addr.port }, requested: spec.port };
      socket.on('message', (data, rinfo) => {
        if (this.stopped) return;
        this.core.handleDatagram({ local: b.local, remote: { address: rinfo.address, port: rinfo.port }, data }, Date.now());
        this.pump();
      });
      socket.on('error', (e) => this.onError(`UDP ${b.local.address}:${b.local.port}: ${e.message}`));
      this.bound.push(b);
    }
    this.pump();
    return this.bound.map((b) => b.local);
  }

  /** Runs `fn` against the core at the current time and performs what it asked for. */
  input(fn: (now: number) => void): void {
    fn(Date.now());
    this.pump();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.all(this.bound.map((b) => new Promise<void>((r) => b.socket.close(() => r()))));
    this.bound = [];
  }

  private pump(): void {
    if (this.stopped) return;
    for (const a of this.core.pollActions()) {
      if (a.type === 'send') this.send((a as unknown as { datagram: Datagram }).datagram);
      else this.onAction(a);
    }
    if (this.timer) clearTimeout(this.timer);
    const next = this.core.pollTimeout();
    if (next !== undefined) {
      this.timer = setTimeout(() => {
        if (this.stopped) return;
        this.core.handleTimeout(Date.now());
        this.pump();
      }, Math.max(0, next - Date.now()));
    }
  }

  private send(d: Datagram): void {
    const fam = ipFamily(d.remote.address) || 4;
    const b = this.bound.find((x) => x.family === fam && (x.local.port === d.local.port || d.local.port === 0 || x.requested === d.local.port))
      ?? this.bound.find((x) => x.family === fam);
    if (!b) {
      this.onError(`no IPv${fam} socket to send to ${d.remote.address}:${d.remote.port}`);
      return;
    }
    b.socket.send(d.data, d.remote.port, d.remote.address, (e) => {
      if (e) this.onError(`send to ${d.remote.address}:${d.remote.port}: ${e.message}`);
    });
  }
}

export type RadiusResult = Extract<RadiusClientAction, { type: 'response' | 'timeout' }>;

/**
 * Sends one request with a RadiusClient over UDP (ephemeral port) and resolves with its response or
 * timeout; `onEvent` sees retransmissions, failovers and drops.
 */
export async function radiusRequest(opts: RadiusClientOptions & { bind?: string }, input: RadiusRequestInput,
  onEvent: (text: string) => void = () => {}): Promise<RadiusResult> {
  const client = new RadiusClient(opts);
  const families = new Set(opts.servers.map((s) => ipFamily(s.address) || 4));
  const specs = [...families].map((f) => ({ address: opts.bind ?? (f === 6 ? '::' : '0.0.0.0'), port: 0 }));
  let done!: (r: RadiusResult) => void;
  const result = new Promise<RadiusResult>((r) => (done = r));
  const shell = new UdpShell<RadiusClientAction>(client, specs, (a) => {
    if (a.type === 'event') onEvent(a.event.text);
    else if (a.type === 'response' || a.type === 'timeout') done(a);
  }, onEvent);
  await shell.start();
  try {
    shell.input((now) => client.send(input, now));
    return await result;
  } finally {
    await shell.stop();
  }
}
