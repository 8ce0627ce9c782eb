// Virtual timers of the sans-IO core. The shell asks `next()` for the earliest deadline, sleeps (or
// advances a virtual clock) until then, and calls `fire(now)`. A binary heap with lazy deletion
// keeps this cheap with thousands of SAs.

interface Entry {
  at: number;
  key: string;
  gen: number;
}

export class Timers {
  private heap: Entry[] = [];
  private live = new Map<string, { at: number; gen: number; fn: (now: number) => void }>();
  private gen = 0;

  /** Arms (or re-arms) the timer `key` to run `fn` at `at` (ms). */
  set(key: string, at: number, fn: (now: number) => void): void {
    const gen = ++this.gen;
    this.live.set(key, { at, gen, fn });
    this.push({ at, key, gen });
  }

  cancel(key: string): void {
    this.live.delete(key);
  }

  /** Cancels every timer whose key starts with `prefix` (all timers of one SA). */
  cancelPrefix(prefix: string): void {
    for (const k of this.live.keys()) if (k.startsWith(prefix)) this.live.delete(k);
  }

  has(key: string): boolean {
    return this.live.has(key);
  }

  at(key: string): number | undefined {
    return this.live.get(key)?.at;
  }

  next(): number | undefined {
    while (this.heap.length) {
      const top = this.heap[0]!;
      const l = this.live.get(top.key);
      if (l && l.gen === top.gen) return top.at;
      this.pop();
    }
    return undefined;
  }

  /** Runs every timer due at `now`, earliest first. Timers armed while firing run if due. */
  fire(now: number): void {
    for (let guard = 0; guard < 100000; guard++) {
      const at = this.next();
      if (at === undefined || at > now) return;
      const top = this.pop()!;
      const l = this.live.get(top.key)!;
      this.live.delete(top.key);
      l.fn(now);
    }
  }

  get size(): number {
    return this.live.size;
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= e.at) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (!h.length || !last) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      const cur = m === i ? last : h[m]!;
      let best = cur;
      if (l < h.length && h[l]!.at < best.at) { m = l; best = h[l]!; }
      if (r < h.length && h[r]!.at < best.at) { m = r; best = h[r]!; }
      if (m === i) break;
      h[i] = h[m]!;
      i = m;
    }
    h[i] = last;
    return top;
  }
}
