// One direction of an ESP CHILD_SA (RFC 4303): keys, algorithm, sequence numbers or replay window,
// counters and byte/packet lifetimes. Tunnel mode only, always UDP-encapsulated (RFC 3948) by the
// caller. No I/O and no clock: time-based lifetimes are the IKE core's timers; this object only
// counts and reports each lifetime crossing once as an event that the daemon turns into a rekey or
// delete.

import { createSecretKey, type KeyObject } from 'node:crypto';
import { EncrId, IntegId } from '../ike/constants.ts';
import { encrAlgorithm, integAlgorithm, type EncrAlgorithm, type IntegAlgorithm } from '../crypto/algorithms.ts';
import { cryptoRandom, type RandomSource } from '../util/random.ts';
import { keepBytes } from '../util/keep-bytes.ts';
import { MAX_REPLAY_WINDOW, ReplayWindow } from './replay-window.ts';

/** Why a packet was not sealed or not delivered. Every drop increments `sa.drops[reason]`. */
export type DropReason =
  | 'unknown-spi' // inbound SPI not in the SAD (counted by the SAD)
  | 'truncated' // shorter than SPI + seq + IV + minimal trailer + ICV
  | 'malformed' // ciphertext not a multiple of the cipher block, or inner length inconsistent
  | 'integrity' // ICV (HMAC or AEAD tag) did not verify
  | 'replay' // sequence number already received
  | 'too-old' // sequence number left of the replay window
  | 'decrypt' // cipher refused the data
  | 'bad-padding' // pad length beyond the payload, or padding bytes not 1, 2, 3... (RFC 4303 2.4)
  | 'bad-next-header' // not IPv4 (4) / IPv6 (41) in tunnel mode, or does not match the inner version
  | 'dummy' // next header 59: a dummy packet (RFC 4303 2.6), dropped quietly but counted
  | 'lifetime-expired' // hard byte/packet lifetime reached
  | 'seq-exhausted' // outbound sequence number would wrap (no ESN, RFC 4303 3.3.3)
  | 'not-ip' // outbound packet is not IPv4/IPv6
  | 'no-policy' // no SPD entry (or no SA) for an outbound packet (counted by the SAD)
  | 'policy-mismatch'; // inner packet outside the SA's traffic selectors (RFC 4301 5.2)

export const DROP_REASONS: readonly DropReason[] = [
  'unknown-spi', 'truncated', 'malformed', 'integrity', 'replay', 'too-old', 'decrypt', 'bad-padding',
  'bad-next-header', 'dummy', 'lifetime-expired', 'seq-exhausted', 'not-ip', 'no-policy', 'policy-mismatch',
];

export type DropCounters = Record<DropReason, number>;

export function newDropCounters(): DropCounters {
  const c = {} as DropCounters;
  for (const r of DROP_REASONS) c[r] = 0;
  return c;
}

export interface EspLifetime {
  softBytes?: number;
  hardBytes?: number;
  softPackets?: number;
  hardPackets?: number;
}

export type LifetimeCause = 'bytes' | 'packets' | 'seq';

export interface EspSaEvent {
  type: 'soft-expired' | 'hard-expired';
  spi: number;
  direction: 'in' | 'out';
  cause: LifetimeCause;
}

export interface EspSaOptions {
  spi: number;
  direction: 'in' | 'out';
  /** IANA ENCR id (RFC 7296 3.3.2): AES_GCM_16/12/8, AES_CBC, 3DES (RFC 2451), NULL. */
  encr: number;
  /** Key length in bits; checked against the key material when given. */
  encrKeyBits?: number;
  /** IANA INTEG id; IntegId.NONE with AEAD. */
  integ: number;
  /** Encryption key material; AEAD: key followed by the 4-byte salt (RFC 4106 section 8.1). */
  encrKey: Buffer;
  integKey?: Buffer;
  /** Inbound anti-replay window in packets: default 64, 0 disables the check, at most 4096. */
  replayWindow?: number;
  lifetime?: EspLifetime;
  /** Creation time (ms) as the caller's clock says; kept for show output and time lifetimes. */
  createdAt: number;
  /** Outbound: the last sequence number already sent (default 0); lets a test start near 2^32. */
  lastSeq?: number;
  /** Outbound: sequence number from which `rekeyNeeded` is raised (default 2^32 - 2^16). */
  seqSoftLimit?: number;
  /** Source of CBC IVs (drawn in blocks). Default: the OS generator. GCM uses a counter. */
  random?: RandomSource;
}

export interface EspSaSnapshot {
  spi: string;
  direction: 'in' | 'out';
  /** "AES-GCM-128", "AES-CBC-256", "NULL". */
  encryption: string;
  /** IOS-style integrity name ("SHA256"), null for AEAD. */
  integrity: string | null;
  packets: number;
  bytes: number;
  /** Only the reasons that occurred. */
  drops: Partial<DropCounters>;
  /** Outbound: last sent; inbound: highest received. */
  seq: number;
  replayWindow: number;
  createdAt: number;
  lifetime: EspLifetime;
  rekeyNeeded: boolean;
  hardExpired: boolean;
}

export class EspSaConfigError extends Error {
  override name = 'EspSaConfigError';
}

export const SEQ_MAX = 0xffffffff;
export const DEFAULT_SEQ_SOFT_LIMIT = 2 ** 32 - 2 ** 16;
const IV_POOL_BYTES = 4096;

export class EspSa {
  readonly spi: number;
  readonly direction: 'in' | 'out';
  readonly encr: EncrAlgorithm;
  readonly encrKeyBits: number;
  readonly integ: IntegAlgorithm | undefined;
  /** Raw keys, kept for key export (Wireshark esp_sa) and show detail. */
  readonly encrKey: Buffer;
  readonly integKey: Buffer | undefined;
  readonly createdAt: number;
  readonly lifetime: Readonly<EspLifetime>;

  // Hot-path state, read by encap/decap; treat as internal.
  readonly cipherName: string;
  readonly cipherKey: KeyObject | undefined;
  readonly hmacName: string | undefined;
  readonly hmacKey: KeyObject | undefined;
  /** AEAD: salt || IV, the IV part rewritten per packet (createCipheriv copies it). */
  readonly nonce: Buffer;
  readonly ivLength: number;
  readonly icvLength: number;
  /** Payload + trailer is padded to a multiple of this (cipher block, at least 4; RFC 4303 2.4). */
  readonly alignment: number;
  readonly replay: ReplayWindow | undefined;

  /** Outbound: last sequence number sent. Inbound: highest received (from the window). */
  seq: number;
  readonly seqSoftLimit: number;
  packets = 0;
  bytes = 0;
  readonly drops: DropCounters = newDropCounters();
  softExpired = false;
  hardExpired = false;
  /** Where lifetime events go; the SAD points this at its own queue. */
  eventSink: (e: EspSaEvent) => void;

  private readonly pending: EspSaEvent[] = [];
  private readonly softBytes: number;
  private readonly hardBytes: number;
  private readonly softPackets: number;
  private readonly hardPackets: number;
  /** Cheapest possible per-packet test: the nearest limit not yet crossed. */
  private byteAlarm: number;
  private packetAlarm: number;
  private readonly random: RandomSource;
  private ivPool: Buffer = Buffer.alloc(0);
  private ivPoolOffset = 0;

  constructor(o: EspSaOptions) {
    if (!Number.isInteger(o.spi) || o.spi < 256 || o.spi > SEQ_MAX) {
      // SPIs 1-255 are reserved by IANA, 0 is local use (RFC 4303 2.1).
      throw new EspSaConfigError(`SPI must be an integer from 256 to 2^32-1, got ${o.spi}`);
    }
    if (o.direction !== 'in' && o.direction !== 'out') throw new EspSaConfigError(`direction must be "in" or "out", got ${String(o.direction)}`);
    const encr = encrAlgorithm(o.encr);
    // 3DES-CBC (RFC 2451) because IKE negotiates it for `esp-3des` (Windows-style peers); it takes
    // the same CBC path as AES with an 8-byte block and IV.
    const supportedEncr = [EncrId.AES_GCM_16, EncrId.AES_GCM_12, EncrId.AES_GCM_8, EncrId.AES_CBC, EncrId.TRIPLE_DES, EncrId.NULL];
    if (!encr || !supportedEncr.includes(o.encr)) throw new EspSaConfigError(`ESP encryption transform ${o.encr} is not supported (AES-GCM-16/12/8, AES-CBC, 3DES, NULL)`);
    const keyBytes = o.encrKey.length - encr.saltLength;
    const bits = keyBytes * 8;
    if (!encr.keyLengths.includes(bits)) {
      throw new EspSaConfigError(`${encr.name} needs ${encr.keyLengths.map((b) => b / 8 + encr.saltLength).join(', ')} bytes of key material, got ${o.encrKey.length}`);
    }
    if (o.encrKeyBits !== undefined && o.encrKeyBits !== bits) {
      throw new EspSaConfigError(`${encr.name}: key length ${o.encrKeyBits} bits does not match ${o.encrKey.length} bytes of key material`);
    }
    let integ: IntegAlgorithm | undefined;
    if (o.integ !== IntegId.NONE) {
      integ = integAlgorithm(o.integ);
      if (!integ) throw new EspSaConfigError(`ESP integrity transform ${o.integ} is not supported`);
      if (encr.aead) throw new EspSaConfigError(`${encr.name} is a combined-mode cipher: integrity must be NONE (RFC 4106 section 6)`);
      if (!o.integKey || o.integKey.length !== integ.keyLength) {
        throw new EspSaConfigError(`${integ.name} needs a ${integ.keyLength}-byte integrity key, got ${o.integKey?.length ?? 'none'}`);
      }
    } else if (!encr.aead && o.encr === EncrId.NULL) {
      throw new EspSaConfigError('NULL encryption without integrity protects nothing (RFC 4303 section 3.2)');
    }
    const window = o.replayWindow ?? 64;
    if (!Number.isInteger(window) || window < 0 || window > MAX_REPLAY_WINDOW) {
      throw new EspSaConfigError(`replay window must be an integer from 0 to ${MAX_REPLAY_WINDOW}, got ${window}`);
    }
    const lastSeq = o.lastSeq ?? 0;
    if (!Number.isInteger(lastSeq) || lastSeq < 0 || lastSeq > SEQ_MAX) throw new EspSaConfigError(`lastSeq out of range: ${lastSeq}`);

    this.spi = o.spi >>> 0;
    this.direction = o.direction;
    this.encr = encr;
    this.encrKeyBits = bits;
    this.integ = integ;
    // Kept for the SA's life: copies that pin no shared pool slab (util/keep-bytes.ts).
    this.encrKey = keepBytes(o.encrKey);
    this.integKey = integ ? keepBytes(o.integKey!) : undefined;
    this.createdAt = o.createdAt;
    this.lifetime = { ...o.lifetime };

    this.cipherName = encr.ciphers[bits]!;
    this.cipherKey = keyBytes > 0 ? createSecretKey(this.encrKey.subarray(0, keyBytes)) : undefined;
    this.hmacName = integ?.hmac;
    this.hmacKey = integ ? createSecretKey(this.integKey!) : undefined;
    this.nonce = Buffer.alloc(encr.saltLength + encr.ivLength);
    this.encrKey.copy(this.nonce, 0, keyBytes);
    this.ivLength = encr.ivLength;
    this.icvLength = encr.aead ? encr.icvLength : integ?.icvLength ?? 0;
    this.alignment = Math.max(4, encr.aead ? 4 : encr.blockSize);
    this.replay = o.direction === 'in' && window > 0 ? new ReplayWindow(window) : undefined;
    this.seq = lastSeq;
    this.seqSoftLimit = o.seqSoftLimit ?? DEFAULT_SEQ_SOFT_LIMIT;
    this.random = o.random ?? cryptoRandom;

    const lt = o.lifetime ?? {};
    this.softBytes = positiveOr(lt.softBytes);
    this.hardBytes = positiveOr(lt.hardBytes);
    this.softPackets = positiveOr(lt.softPackets);
    this.hardPackets = positiveOr(lt.hardPackets);
    this.byteAlarm = Math.min(this.softBytes, this.hardBytes);
    this.packetAlarm = Math.min(this.softPackets, this.hardPackets);
    this.eventSink = (e) => this.pending.push(e);
  }

  get aead(): boolean {
    return this.encr.aead;
  }

  /** True once any soft limit (bytes, packets, or the sequence number) has been crossed. */
  get rekeyNeeded(): boolean {
    return this.softExpired;
  }

  /** Highest sequence number seen (inbound) or sent (outbound). */
  get highestSeq(): number {
    return this.replay ? this.replay.top : this.seq;
  }

  /** State for show output and the control API (`show crypto ipsec sa`); no key material. */
  snapshot(): EspSaSnapshot {
    return {
      spi: '0x' + this.spi.toString(16).padStart(8, '0'), direction: this.direction,
      encryption: this.encrKeyBits ? `${this.encr.name}-${this.encrKeyBits}` : this.encr.name,
      integrity: this.integ?.name ?? null, packets: this.packets, bytes: this.bytes,
      drops: Object.fromEntries(Object.entries(this.drops).filter(([, n]) => n > 0)),
      seq: this.highestSeq, replayWindow: this.replay?.size ?? 0, createdAt: this.createdAt, lifetime: { ...this.lifetime },
      rekeyNeeded: this.softExpired, hardExpired: this.hardExpired,
    };
  }

  /** Events not yet taken by the caller (when no SAD took over the sink). */
  drainEvents(): EspSaEvent[] {
    return this.pending.splice(0);
  }

  /** Counts a protected packet; called by encap/decap after success. */
  account(innerBytes: number): void {
    this.packets++;
    this.bytes += innerBytes;
    if (this.bytes >= this.byteAlarm || this.packets >= this.packetAlarm) this.checkLifetime();
  }

  /** Raises soft-expired for the sequence number once; encap calls it when seq reaches the limit. */
  seqSoftReached(): void {
    if (!this.softExpired) this.expire('soft-expired', 'seq');
  }

  seqExhausted(): void {
    if (!this.hardExpired) this.expire('hard-expired', 'seq');
  }

  /** Next CBC IV: slices a pooled random block so the OS generator is called once per 256 packets. */
  nextIv(out: Buffer, offset: number): void {
    const n = this.ivLength;
    if (this.ivPoolOffset + n > this.ivPool.length) {
      this.ivPool = this.random.bytes(IV_POOL_BYTES);
      this.ivPoolOffset = 0;
    }
    this.ivPool.copy(out, offset, this.ivPoolOffset, this.ivPoolOffset + n);
    this.ivPoolOffset += n;
  }

  private checkLifetime(): void {
    // One packet may cross both limits; report soft before hard so the daemon sees them in order.
    if (!this.softExpired && (this.bytes >= this.softBytes || this.packets >= this.softPackets ||
        this.bytes >= this.hardBytes || this.packets >= this.hardPackets)) {
      this.expire('soft-expired', this.packets >= Math.min(this.softPackets, this.hardPackets) ? 'packets' : 'bytes');
    }
    if (!this.hardExpired && (this.bytes >= this.hardBytes || this.packets >= this.hardPackets)) {
      this.expire('hard-expired', this.packets >= this.hardPackets ? 'packets' : 'bytes');
    }
    this.byteAlarm = this.hardExpired ? Infinity : this.softExpired ? this.hardBytes : Math.min(this.softBytes, this.hardBytes);
    this.packetAlarm = this.hardExpired ? Infinity : this.softExpired ? this.hardPackets : Math.min(this.softPackets, this.hardPackets);
  }

  private expire(type: EspSaEvent['type'], cause: LifetimeCause): void {
    if (type === 'soft-expired') this.softExpired = true;
    else this.hardExpired = true;
    this.eventSink({ type, spi: this.spi, direction: this.direction, cause });
  }
}

function positiveOr(v: number | undefined): number {
  if (v === undefined || v === 0) return Infinity;
  if (!(v > 0)) throw new EspSaConfigError(`lifetime limits must be positive numbers, got ${v}`);
  return v;
}
