// A single-rate policer as an IOS `police cir BPS [bc BYTES]` in a policy-map's class-default
// (F-POD-03 QoS on a virtual-access interface). Token bucket: the bucket holds up to bc bytes and
// fills at cir/8 bytes per second; a packet that finds enough tokens conforms (transmitted), one
// that does not exceeds (dropped). The kernel has no ingress policer usable here and the packets
// already pass through our data path, so both directions are policed there.

export interface PolicerConfig {
  /** Committed information rate, bit/s. */
  cir: number;
  /** Committed burst, bytes (IOS default: cir/32, i.e. 250 ms of traffic, at least 1500). */
  bc?: number;
}

export class Policer {
  readonly bc: number;
  private tokens: number;
  private last: number;
  conformed = { packets: 0, bytes: 0 };
  exceeded = { packets: 0, bytes: 0 };

  constructor(readonly cir: number, bc: number | undefined, now: number) {
    this.bc = bc ?? Math.max(1500, Math.floor(cir / 32));
    this.tokens = this.bc;
    this.last = now;
  }

  /** True when a packet of `bytes` conforms at time `now` (ms). */
  admit(bytes: number, now: number): boolean {
    if (now > this.last) {
      this.tokens = Math.min(this.bc, this.tokens + ((now - this.last) * this.cir) / 8000);
      this.last = now;
    }
    if (this.tokens >= bytes) {
      this.tokens -= bytes;
      this.conformed.packets++;
      this.conformed.bytes += bytes;
      return true;
    }
    this.exceeded.packets++;
    this.exceeded.bytes += bytes;
    return false;
  }
}
