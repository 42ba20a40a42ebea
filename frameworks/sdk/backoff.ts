/**
 * Reconnection backoff: exponential with "full jitter" on the upper half. Attempt n (0-based)
 * waits a value drawn from [cap/2, cap] where cap = min(maxMs, initialMs * 2^n), so retries of
 * many drivers spread out while a single driver still backs off steadily. Randomness comes only
 * from the `RandomSource` port (seeded in tests), so the same seed gives the same delays.
 *
 * Invariants: every delay is within [min(initialMs, maxMs)/2, maxMs]; `reset()` (after a
 * successful subscription) starts over at attempt 0.
 */
import { Rng } from '../../common/rng.ts';

/** Uniform numbers in [0, 1). */
export interface RandomSource {
  next(): number;
}

export function createSeededRandom(seed: number): RandomSource {
  return new Rng(seed);
}

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
}

export interface Backoff {
  /** The delay before the next attempt; advances the attempt count. */
  nextDelayMs(): number;
  /** Attempts made since the last reset. */
  readonly attempts: number;
  reset(): void;
}

export function createBackoff(options: BackoffOptions, random: RandomSource): Backoff {
  const initial = Math.max(1, options.initialMs);
  const max = Math.max(initial, options.maxMs);
  let attempts = 0;
  return {
    get attempts() {
      return attempts;
    },
    nextDelayMs() {
      // 2^30 is far past any sane max; capping the exponent keeps the product finite.
      const cap = Math.min(max, initial * 2 ** Math.min(attempts, 30));
      attempts++;
      return Math.round(cap / 2 + random.next() * (cap / 2));
    },
    reset() {
      attempts = 0;
    },
  };
}
