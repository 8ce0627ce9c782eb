// The little of DNS (RFC 1035) the lab needs: read the question of a query, and build an
// authoritative answer with A/AAAA records (or NXDOMAIN, NOTIMP...). Used by the `dns` node kind's
// server and the FlexVPN client's split-DNS proxy (which only needs the question's name).

import { ipToBytes } from '../util/ip.ts';

export const DnsType = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, ANY: 255 } as const;
export const DnsRcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface DnsQuestion {
  id: number;
  /** Header flags of the query (RD is echoed in the answer). */
  flags: number;
  opcode: number;
  /** Lower case, no trailing dot. */
  name: string;
  type: number;
  cls: number;
  /** Offset of the end of the (first) question: the answer copies the query up to there. */
  end: number;
}

/** A malformed DNS message: the caller counts and drops it. */
export class DnsParseError extends Error {}

/** Reads the header and the first question of a DNS message (RFC 1035 4.1.1, 4.1.2). */
export function parseQuestion(msg: Buffer): DnsQuestion {
  if (msg.length < 12) throw new DnsParseError(`${msg.length} bytes: shorter than a DNS header`);
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  const qd = msg.readUInt16BE(4);
  if (qd < 1) throw new DnsParseError('no question');
  const labels: string[] = [];
  let off = 12;
  for (let guard = 0; ; guard++) {
    if (off >= msg.length || guard > 127) throw new DnsParseError('question name runs past the message');
    const len = msg[off]!;
    if (len === 0) {
      off++;
      break;
    }
    // Compression pointers do not occur in a query's first question; anything else is malformed.
    if (len > 63) throw new DnsParseError(`label length ${len} (compression in a question?)`);
    if (off + 1 + len > msg.length) throw new DnsParseError('label runs past the message');
    labels.push(msg.subarray(off + 1, off + 1 + len).toString('latin1'));
    off += 1 + len;
  }
  if (off + 4 > msg.length) throw new DnsParseError('question type/class missing');
  return { id, flags, opcode: (flags >> 11) & 0xf, name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(off), cls: msg.readUInt16BE(off + 2), end: off + 4 };
}

export interface DnsAnswer {
  type: number;
  address: string;
  ttl: number;
}

/**
 * An authoritative response to `query`: its question, then the answers, each naming the question
 * by a compression pointer to offset 12 (RFC 1035 4.1.4).
 */
export function buildResponse(query: Buffer, q: DnsQuestion, rcode: number, answers: DnsAnswer[] = []): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  // QR=1, opcode copied, AA=1, RD copied, RA=0.
  header.writeUInt16BE(0x8000 | (q.opcode << 11) | 0x0400 | (q.flags & 0x0100) | (rcode & 0xf), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  const rrs = answers.map((a) => {
    const data = ipToBytes(a.address);
    const rr = Buffer.alloc(12 + data.length);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(a.type, 2);
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(a.ttl, 6);
    rr.writeUInt16BE(data.length, 10);
    data.copy(rr, 12);
    return rr;
  });
  return Buffer.concat([header, query.subarray(12, q.end), ...rrs]);
}

/** Whether `name` is `domain` or below it (split-DNS matching). */
export function inDomain(name: string, domain: string): boolean {
  const d = domain.toLowerCase().replace(/^\.+|\.+$/g, '');
  return name === d || name.endsWith(`.${d}`);
}
