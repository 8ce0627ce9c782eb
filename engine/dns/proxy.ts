// The FlexVPN client's split-DNS proxy (S0 "Split DNS Support", F-CLI-15, F-CFG-05): the split-DNS
// domains a server pushed become a "DNS view" of the client; a query from an inside host whose name
// falls in a view's domains is forwarded to that view's DNS servers (the tunnel's, reached through
// it), every other query to the default view (`ip name-server`, the ISP's). It listens on the
// inside interfaces' addresses, relays answers as they come, and keeps no cache.

import dgram from 'node:dgram';
import { ipFamily } from '../util/ip.ts';
import { DnsParseError, inDomain, parseQuestion } from './message.ts';

export interface DnsView {
  /** Who installed it (the client block). */
  owner: string;
  domains: string[];
  servers: string[];
}

export interface ProxyCounters {
  queries: number;
  split: number;
  default: number;
  unanswered: number;
  malformed: number;
}

export class SplitDnsProxy {
  private readonly views = new Map<string, DnsView>();
  private readonly sockets: dgram.Socket[] = [];
  readonly counters: ProxyCounters = { queries: 0, split: 0, default: 0, unanswered: 0, malformed: 0 };
  /** Last queries and where they went, for show output. */
  readonly recent: Array<{ time: number; name: string; view: string; server?: string }> = [];

  constructor(
    private readonly defaultServers: string[],
    /** defaultSource: the address default-view queries leave from (the outside one, never a tunnel). */
    private readonly opts: { timeoutMs?: number; log?: (line: string) => void; defaultSource?: string; upstreamPort?: number } = {},
  ) {}

  setView(view: DnsView): void {
    this.views.set(view.owner, { ...view, domains: view.domains.map((d) => d.toLowerCase().replace(/^\.+|\.+$/g, '')) });
  }

  clearView(owner: string): boolean {
    return this.views.delete(owner);
  }

  listViews(): DnsView[] {
    return [...this.views.values()];
  }

  /** The view a name falls in (the longest matching domain wins), else the default view. */
  route(name: string): { view: string; servers: string[] } {
    let best: { view: string; servers: string[]; len: number } | undefined;
    for (const v of this.views.values()) {
      for (const d of v.domains) {
        if (inDomain(name, d) && (!best || d.length > best.len) && v.servers.length) best = { view: v.owner, servers: v.servers, len: d.length };
      }
    }
    return best ? { view: best.view, servers: best.servers } : { view: 'default', servers: this.defaultServers };
  }

  get listening(): boolean {
    return this.sockets.length > 0;
  }

  /** The port bound (listen with port 0 picks one, for tests). */
  get port(): number {
    return this.sockets[0]?.address().port ?? 0;
  }

  async listen(addresses: string[], port = 53): Promise<void> {
    for (const address of addresses) {
      const sock = dgram.createSocket({ type: ipFamily(address) === 6 ? 'udp6' : 'udp4' });
      sock.on('message', (msg, rinfo) => this.query(sock, msg, rinfo));
      sock.on('error', (e) => this.opts.log?.(`DNS proxy on ${address}: ${e.message}`));
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(port, address, () => {
          sock.off('error', reject);
          resolve();
        });
      });
      this.sockets.push(sock);
    }
  }

  close(): void {
    for (const s of this.sockets) s.close();
    this.sockets.length = 0;
  }

  private query(sock: dgram.Socket, msg: Buffer, from: dgram.RemoteInfo): void {
    this.counters.queries++;
    let name: string;
    try {
      name = parseQuestion(msg).name;
    } catch (e) {
      if (!(e instanceof DnsParseError)) throw e;
      this.counters.malformed++;
      return;
    }
    const r = this.route(name);
    if (r.view === 'default') this.counters.default++;
    else this.counters.split++;
    const server = r.servers[0];
    this.recent.push({ time: Date.now(), name, view: r.view, ...(server ? { server } : {}) });
    if (this.recent.length > 50) this.recent.shift();
    if (!server) {
      this.counters.unanswered++;
      return;
    }
    this.opts.log?.(`DNS ${name} from ${from.address}: view ${r.view}, forwarded to ${server}`);
    // One socket per query: the upstream answer comes back to it, and goes out to the asker.
    const up = dgram.createSocket({ type: ipFamily(server) === 6 ? 'udp6' : 'udp4' });
    let open = true;
    const done = () => {
      if (!open) return;
      open = false;
      clearTimeout(timer);
      up.close();
    };
    const timer = setTimeout(() => {
      this.counters.unanswered++;
      done();
    }, this.opts.timeoutMs ?? 3000);
    up.on('error', done);
    up.on('message', (answer) => {
      done();
      sock.send(answer, from.port, from.address);
    });
    const src = r.view === 'default' ? this.opts.defaultSource : undefined;
    const port = this.opts.upstreamPort ?? 53;
    if (src && ipFamily(src) === ipFamily(server)) up.bind(0, src, () => up.send(msg, port, server));
    else up.send(msg, port, server);
  }
}
