// ESP anti-replay window (RFC 4303 section 3.4.3 and Appendix A2), kept as a ring of 32-bit words in
// the style of RFC 6479: sliding the window forward clears whole words instead of shifting a bitmap,
// so the cost of a packet does not grow with the window size (1024 or 4096 cost the same as 64).

export type ReplayVerdict = 'ok' | 'replay' | 'too-old';

export const MAX_REPLAY_WINDOW = 4096;

export class ReplayWindow {
  /** Number of sequence numbers below and including `top` that are tracked. */
  readonly size: number;
  /** Highest sequence number accepted so far (0 = none yet; ESP numbers start at 1). */
  top = 0;
  private readonly words: Uint32Array;
  private readonly wordMask: number;

  constructor(size = 64) {
    if (!Number.isInteger(size) || size < 1 || size > MAX_REPLAY_WINDOW) {
      throw new RangeError(`replay window must be an integer from 1 to ${MAX_REPLAY_WINDOW}, got ${size}`);
    }
    this.size = size;
    // One spare word so that the oldest in-window number keeps its bit while the ring has advanced
    // into a new word (RFC 6479 section 2); a power of two makes the ring index a mask.
    let n = 1;
    while (n < Math.ceil(size / 32) + 1) n <<= 1;
    this.words = new Uint32Array(n);
    this.wordMask = n - 1;
  }

  /** Verdict for `seq` without changing the window (run before the ICV check to drop cheaply). */
  check(seq: number): ReplayVerdict {
    if (seq === 0) return 'too-old'; // never sent: the first packet of an SA carries 1 (RFC 4303 3.3.3)
    if (seq > this.top) return 'ok';
    if (this.top - seq >= this.size) return 'too-old';
    const bit = 1 << (seq & 31);
    return (this.words[(seq >>> 5) & this.wordMask]! & bit) !== 0 ? 'replay' : 'ok';
  }

  /**
   * Marks `seq` as received. Call only after the ICV verified (RFC 4303 3.4.3), and after check()
   * said 'ok' for it: a forged packet must not be able to move the window.
   */
  accept(seq: number): void {
    if (seq > this.top) {
      const oldWord = this.top >>> 5;
      const newWord = seq >>> 5;
      const advance = newWord - oldWord;
      if (advance > this.wordMask) {
        this.words.fill(0);
      } else {
        for (let w = oldWord + 1; w <= newWord; w++) this.words[w & this.wordMask] = 0;
      }
      this.top = seq;
    }
    const i = (seq >>> 5) & this.wordMask;
    this.words[i] = this.words[i]! | (1 << (seq & 31));
  }

  /** check() then accept() in one step, for callers that verified integrity already. */
  checkAndAccept(seq: number): ReplayVerdict {
    const v = this.check(seq);
    if (v === 'ok') this.accept(seq);
    return v;
  }
}
