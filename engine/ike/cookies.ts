// Anti-clogging cookies (RFC 7296 section 2.6). The responder keeps no state for a cookie: it is
// <version> | SHA-256(Ni | IPi | SPIi | secret), and the secret is rotated so old cookies expire.

import { Buffer } from 'node:buffer';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RandomSource } from '../util/random.ts';
import { ipToBytes } from '../util/ip.ts';

export class CookieJar {
  private secrets: Array<{ version: number; secret: Buffer; since: number }> = [];

  constructor(private readonly random: RandomSource, private readonly rotateMs = 120_000) {}

  private current(now: number): { version: number; secret: Buffer } {
    const cur = this.secrets[0];
    if (cur && now - cur.since < this.rotateMs) return cur;
    const next = { version: ((cur?.version ?? 0) + 1) & 0xffffffff, secret: this.random.bytes(32), since: now };
    this.secrets.unshift(next);
    this.secrets.length = Math.min(this.secrets.length, 2); // the previous secret stays valid once
    return next;
  }

  private compute(version: number, secret: Buffer, nonceI: Buffer, addr: string, spiI: Buffer): Buffer {
    const v = Buffer.alloc(4);
    v.writeUInt32BE(version);
    const h = createHash('sha256').update(nonceI).update(ipToBytes(addr)).update(spiI).update(secret).digest();
    return Buffer.concat([v, h]);
  }

  make(nonceI: Buffer, addr: string, spiI: Buffer, now: number): Buffer {
    const c = this.current(now);
    return this.compute(c.version, c.secret, nonceI, addr, spiI);
  }

  verify(cookie: Buffer, nonceI: Buffer, addr: string, spiI: Buffer, now: number): boolean {
    this.current(now);
    if (cookie.length !== 36) return false;
    const version = cookie.readUInt32BE(0);
    const s = this.secrets.find((x) => x.version === version);
    if (!s) return false;
    return timingSafeEqual(cookie, this.compute(version, s.secret, nonceI, addr, spiI));
  }
}
