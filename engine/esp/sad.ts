// Security Association Database and a minimal Security Policy Database (RFC 4301 section 4.4).
// Inbound: SAs by SPI. Outbound: SPD entries with traffic selectors that name the SA to use.
// Common case fast path: one tunnel per TUN interface, where the interface already is the policy;
// the daemon keeps the SpdEntry of that interface and calls seal(inner, entry) without any lookup.
// A CHILD_SA rekey swaps entry.outSa in one assignment (switchOutbound) while the old inbound SA
// stays installed until removed, so no packet in flight is lost (RFC 7296 section 2.8).

import type { TrafficSelector } from '../ike/message.ts';
import { TsType } from '../ike/constants.ts';
import { ipToBytes } from '../util/ip.ts';
import { keepBytes } from '../util/keep-bytes.ts';
import { newDropCounters, type DropCounters, type DropReason, type EspSa, type EspSaEvent } from './sa.ts';
import { seal as sealWith } from './encap.ts';
import { espSpi, open as openWith } from './decap.ts';
import { dropped, type Dropped, type OpenResult, type SealResult } from './result.ts';

/** Selector compiled for byte comparisons against packet headers. */
interface CompiledSelector {
  version: 4 | 6;
  protocol: number;
  startPort: number;
  endPort: number;
  start: Buffer;
  end: Buffer;
}

export interface SpdEntryInit {
  /** Free text for logs and show output (for example the tunnel interface name). */
  name?: string;
  localTs: TrafficSelector[];
  remoteTs: TrafficSelector[];
  outSa?: EspSa;
}

export class SpdEntry {
  readonly name: string;
  readonly localTs: readonly TrafficSelector[];
  readonly remoteTs: readonly TrafficSelector[];
  /** The SA outbound packets of this policy use now; replaced as a whole on rekey. */
  outSa: EspSa | undefined;
  /** @internal */ readonly local: CompiledSelector[];
  /** @internal */ readonly remote: CompiledSelector[];
  /**
   * @internal IP versions whose every packet this entry allows both ways (an any/any selector on
   * each side): the outbound fast path skips the per-packet check for them.
   */
  readonly openVersions: ReadonlySet<number>;

  constructor(init: SpdEntryInit) {
    this.name = init.name ?? '';
    this.localTs = init.localTs;
    this.remoteTs = init.remoteTs;
    this.outSa = init.outSa;
    this.local = init.localTs.map(compileSelector);
    this.remote = init.remoteTs.map(compileSelector);
    this.openVersions = new Set([4, 6].filter((v) => this.local.some((c) => coversAll(c, v)) && this.remote.some((c) => coversAll(c, v))));
  }

  /** Whether an outbound packet (src local, dst remote) falls under this policy. */
  matchesOutbound(inner: Buffer): boolean {
    return matchPacket(inner, this.local, this.remote);
  }

  /** Whether an inbound inner packet (src remote, dst local) is allowed by this policy. */
  matchesInbound(inner: Buffer): boolean {
    if (this.local.length === 0 && this.remote.length === 0) return true; // names a tunnel, no selectors
    return matchPacket(inner, this.remote, this.local);
  }
}

export type SadOpenResult =
  /** `policy`: the entry given to addInbound (how the daemon finds the tunnel/TUN of the SA). */
  | { readonly ok: true; readonly inner: Buffer; readonly nextHeader: number; readonly sa: EspSa; readonly policy: SpdEntry | undefined }
  | (Dropped & { readonly sa?: EspSa });

export type SadSealResult = { readonly ok: true; readonly packet: Buffer; readonly sa: EspSa } | (Dropped & { readonly sa?: EspSa });

export class SecurityAssociationDatabase {
  /** Drops that belong to no SA: unknown SPI, no policy, policy mismatch. */
  readonly drops: DropCounters = newDropCounters();
  private readonly inboundBySpi = new Map<number, EspSa>();
  private readonly inboundPolicy = new Map<number, SpdEntry>();
  private readonly policies: SpdEntry[] = [];
  private readonly events: EspSaEvent[] = [];
  private readonly sink = (e: EspSaEvent): void => {
    this.events.push(e);
  };

  // --- inbound ---------------------------------------------------------------------------------

  /**
   * Installs an inbound SA. With `policy`, decapsulated packets must match its selectors
   * (reversed: source in remoteTs, destination in localTs), else 'policy-mismatch'; an entry with
   * no selectors checks nothing and only names the tunnel (returned by open()).
   */
  addInbound(sa: EspSa, policy?: SpdEntry): void {
    if (sa.direction !== 'in') throw new Error(`SA ${hex(sa.spi)} is outbound; addInbound takes inbound SAs`);
    if (this.inboundBySpi.has(sa.spi)) throw new Error(`inbound SPI ${hex(sa.spi)} is already installed`);
    sa.eventSink = this.sink;
    this.inboundBySpi.set(sa.spi, sa);
    if (policy) this.inboundPolicy.set(sa.spi, policy);
  }

  removeInbound(spi: number): EspSa | undefined {
    const sa = this.inboundBySpi.get(spi);
    this.inboundBySpi.delete(spi);
    this.inboundPolicy.delete(spi);
    return sa;
  }

  inbound(spi: number): EspSa | undefined {
    return this.inboundBySpi.get(spi);
  }

  get inboundSas(): IterableIterator<EspSa> {
    return this.inboundBySpi.values();
  }

  /** Looks up the SA by SPI and opens the packet (an ESP packet with the UDP header removed). */
  open(packet: Buffer): SadOpenResult {
    const sa = this.inboundBySpi.get(espSpi(packet));
    if (!sa) return this.drop('unknown-spi');
    const r: OpenResult = openWith(sa, packet);
    if (!r.ok) return r;
    const policy = this.inboundPolicy.get(sa.spi);
    if (policy && !policy.matchesInbound(r.inner)) {
      // Counted on the SA too: it authenticated the packet, the peer sent something it may not.
      sa.drops['policy-mismatch']++;
      return { ok: false, reason: 'policy-mismatch', sa };
    }
    return { ok: true, inner: r.inner, nextHeader: r.nextHeader, sa, policy };
  }

  // --- outbound --------------------------------------------------------------------------------

  /** Adds a policy (searched in insertion order by lookupOutbound). */
  addPolicy(init: SpdEntryInit | SpdEntry): SpdEntry {
    const entry = init instanceof SpdEntry ? init : new SpdEntry(init);
    if (entry.outSa) this.adoptOutbound(entry.outSa);
    this.policies.push(entry);
    return entry;
  }

  removePolicy(entry: SpdEntry): boolean {
    const i = this.policies.indexOf(entry);
    if (i < 0) return false;
    this.policies.splice(i, 1);
    return true;
  }

  get policyEntries(): readonly SpdEntry[] {
    return this.policies;
  }

  /** Slow path: the first policy whose selectors match the packet. */
  lookupOutbound(inner: Buffer): SpdEntry | undefined {
    for (const p of this.policies) if (p.matchesOutbound(inner)) return p;
    return undefined;
  }

  /**
   * Seals an outbound packet. With `entry` (the fast path: the TUN interface the packet came
   * from names its tunnel) only that entry's selectors are checked; without, the SPD is searched.
   */
  seal(inner: Buffer, entry?: SpdEntry): SadSealResult {
    const e = entry ?? this.lookupOutbound(inner);
    const sa = e?.outSa;
    if (!sa) return this.drop('no-policy');
    // The fast path still honours narrowed selectors (RFC 4301 5.1): a hub whose CHILD SA covers
    // one client address must not send the interface's other traffic (IPv6 neighbour discovery,
    // multicast) into it, where the client would drop it as a policy mismatch.
    if (entry && (entry.local.length || entry.remote.length) && !entry.openVersions.has(inner[0]! >> 4) && !entry.matchesOutbound(inner)) return this.drop('policy-mismatch');
    const r: SealResult = sealWith(sa, inner);
    if (!r.ok) return r;
    return { ok: true, packet: r.packet, sa };
  }

  /**
   * Makes `sa` the outbound SA of `entry` in one step and returns the one it replaces. Packets sealed
   * before the call used the old SA, packets after it use the new one; nothing is in between.
   */
  switchOutbound(entry: SpdEntry, sa: EspSa): EspSa | undefined {
    this.adoptOutbound(sa);
    const old = entry.outSa;
    entry.outSa = sa;
    return old;
  }

  /** Lifetime events of all installed SAs since the last call. */
  drainEvents(): EspSaEvent[] {
    return this.events.splice(0);
  }

  private adoptOutbound(sa: EspSa): void {
    if (sa.direction !== 'out') throw new Error(`SA ${hex(sa.spi)} is inbound; policies take outbound SAs`);
    sa.eventSink = this.sink;
  }

  private drop(reason: DropReason): Dropped {
    this.drops[reason]++;
    return dropped(reason);
  }
}

function hex(spi: number): string {
  return '0x' + spi.toString(16).padStart(8, '0');
}

function compileSelector(ts: TrafficSelector): CompiledSelector {
  const version = ts.tsType === TsType.TS_IPV6_ADDR_RANGE ? 6 : 4;
  const start = keepBytes(ipToBytes(ts.startAddr));
  const end = keepBytes(ipToBytes(ts.endAddr));
  if (start.length !== (version === 4 ? 4 : 16) || end.length !== start.length) {
    throw new Error(`traffic selector ${ts.startAddr}-${ts.endAddr} does not match its type ${ts.tsType}`);
  }
  return { version, protocol: ts.ipProtocol, startPort: ts.startPort, endPort: ts.endPort, start, end };
}

/** A selector of IP version `v` that every packet of that version falls in (any protocol, port, address). */
function coversAll(c: CompiledSelector, v: number): boolean {
  return c.version === v && c.protocol === 0 && c.startPort === 0 && c.endPort === 0xffff
    && c.start.every((b) => b === 0) && c.end.every((b) => b === 0xff);
}

/**
 * Source in `srcSel`, destination in `dstSel`, protocol and ports within range. Ports that are not
 * visible (non-first fragment, unknown protocol) match only selectors covering every port
 * (RFC 4301 4.4.1.1 OPAQUE handling).
 */
function matchPacket(p: Buffer, srcSel: CompiledSelector[], dstSel: CompiledSelector[]): boolean {
  if (p.length < 20) return false;
  const version = p[0]! >> 4;
  let srcOff: number, dstOff: number, alen: number, protocol: number, l4: number, firstFragment: boolean;
  if (version === 4) {
    srcOff = 12; dstOff = 16; alen = 4; protocol = p[9]!; l4 = (p[0]! & 0x0f) * 4;
    firstFragment = (p.readUInt16BE(6) & 0x1fff) === 0;
  } else if (version === 6) {
    if (p.length < 40) return false;
    srcOff = 8; dstOff = 24; alen = 16; protocol = p[6]!; l4 = 40; firstFragment = true;
  } else {
    return false;
  }
  let sport = -1, dport = -1;
  if (firstFragment && p.length >= l4 + 4) {
    if (protocol === 6 || protocol === 17 || protocol === 132) {
      sport = p.readUInt16BE(l4);
      dport = p.readUInt16BE(l4 + 2);
    } else if (protocol === 1 || protocol === 58) {
      sport = dport = p.readUInt16BE(l4);
    }
  }
  return matchOne(p, version, srcOff, alen, protocol, sport, srcSel) && matchOne(p, version, dstOff, alen, protocol, dport, dstSel);
}

function matchOne(p: Buffer, version: number, off: number, alen: number, protocol: number, port: number, sels: CompiledSelector[]): boolean {
  for (const s of sels) {
    if (s.version !== version) continue;
    if (s.protocol !== 0 && s.protocol !== protocol) continue;
    if (port < 0 ? !(s.startPort === 0 && s.endPort === 65535) : port < s.startPort || port > s.endPort) continue;
    if (s.start.compare(p, off, off + alen) > 0) continue;
    if (s.end.compare(p, off, off + alen) < 0) continue;
    return true;
  }
  return false;
}
