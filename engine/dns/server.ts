// A minimal authoritative DNS server for labs (the `dns` node kind): A and AAAA records from its
// configuration, changeable while it runs (a scenario makes a name fail to resolve, or move), on
// UDP port 53. Unknown names get NXDOMAIN; a known name without a record of the asked type gets an
// empty NOERROR answer; other opcodes NOTIMP; malformed queries are counted and dropped.

import dgram from 'node:dgram';
import { ipFamily } from '../util/ip.ts';
import { DnsParseError, DnsRcode, DnsType, buildResponse, parseQuestion } from './message.ts';

export interface DnsServerOptions {
  /** Addresses to listen on (default every IPv4 address: 0.0.0.0). */
  addresses?: string[];
  port?: number;
  ttl?: number;
  /** One line per query (for the node's log). */
  log?: (line: string) => void;
}

const normalize = (name: string) => name.toLowerCase().replace(/\.+$/, '');

export class DnsServer {
  private readonly records = new Map<string, string[]>();
  private readonly sockets: dgram.Socket[] = [];
  readonly counters = { queries: 0, answered: 0, nxdomain: 0, malformed: 0, notimp: 0 };

  constructor(records: Record<string, string | string[]>, private readonly opts: DnsServerOptions = {}) {
    for (const [name, v] of Object.entries(records)) this.set(name, Array.isArray(v) ? v : [v]);
  }

  /** Sets a name's addresses; `null` removes the name (NXDOMAIN from now on). */
  set(name: string, addresses: string[] | null): void {
    const n = normalize(name);
    if (addresses === null) {
      this.records.delete(n);
      return;
    }
    for (const a of addresses) if (!ipFamily(a)) throw new Error(`"${a}" is not an IPv4 or IPv6 address (record ${n})`);
    this.records.set(n, [...addresses]);
  }

  lookup(name: string): string[] | undefined {
    return this.records.get(normalize(name));
  }

  all(): Record<string, string[]> {
    return Object.fromEntries([...this.records].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** The answer to one query, or undefined to drop it. */
  answer(query: Buffer): Buffer | undefined {
    this.counters.queries++;
    let q;
    try {
      q = parseQuestion(query);
    } catch (e) {
      if (!(e instanceof DnsParseError)) throw e;
      this.counters.malformed++;
      return undefined;
    }
    if (q.flags & 0x8000) {
      this.counters.malformed++;
      return undefined; // a response, not a query
    }
    if (q.opcode !== 0) {
      this.counters.notimp++;
      return buildResponse(query, q, DnsRcode.NOTIMP);
    }
    const addrs = this.records.get(q.name);
    const ttl = this.opts.ttl ?? 5;
    if (!addrs) {
      this.counters.nxdomain++;
      this.opts.log?.(`query ${q.name} type ${q.type}: NXDOMAIN`);
      return buildResponse(query, q, DnsRcode.NXDOMAIN);
    }
    const want = q.type === DnsType.A ? [4] : q.type === DnsType.AAAA ? [6] : q.type === DnsType.ANY ? [4, 6] : [];
    const answers = addrs.filter((a) => want.includes(ipFamily(a))).map((a) => ({ type: ipFamily(a) === 6 ? DnsType.AAAA : DnsType.A, address: a, ttl }));
    this.counters.answered++;
    this.opts.log?.(`query ${q.name} type ${q.type}: ${answers.map((a) => a.address).join(', ') || 'no record of that type'}`);
    return buildResponse(query, q, DnsRcode.NOERROR, answers);
  }

  async listen(): Promise<void> {
    const addresses = this.opts.addresses?.length ? this.opts.addresses : ['0.0.0.0'];
    for (const address of addresses) {
      const sock = dgram.createSocket({ type: ipFamily(address) === 6 ? 'udp6' : 'udp4' });
      sock.on('message', (msg, rinfo) => {
        const r = this.answer(msg);
        if (r) sock.send(r, rinfo.port, rinfo.address);
      });
      sock.on('error', (e) => this.opts.log?.(`UDP ${address}: ${e.message}`));
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(this.opts.port ?? 53, address, () => {
          sock.off('error', reject);
          resolve();
        });
      });
      this.sockets.push(sock);
    }
  }

  /** The port actually bound (port 0 picks one, for tests). */
  get port(): number {
    return this.sockets[0]?.address().port ?? 0;
  }

  close(): void {
    for (const s of this.sockets) s.close();
    this.sockets.length = 0;
  }
}
