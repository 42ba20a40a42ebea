/**
 * A tiny seeded pseudo-random generator (mulberry32) for the allocator's agent shuffle, the
 * random sorter and the framework SDK's backoff jitter. The whole state is one 32-bit integer, so
 * a cycle can copy it, run, and hand the advanced state back: the same seed always yields the same
 * sequence.
 */
export class Rng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  get state(): number {
    return this.s;
  }

  clone(): Rng {
    return new Rng(this.s);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  nextInt(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const x = xs[i];
      xs[i] = xs[j];
      xs[j] = x;
    }
    return xs;
  }
}
