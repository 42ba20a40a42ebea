/**
 * Summary statistics for benchmark samples. Pure. Percentiles use the nearest-rank method: the
 * p-th percentile of n samples is the ceil(p/100 * n)-th smallest (p in (0, 100]); an empty sample
 * gives NaN, so a figure that was never measured cannot pass for zero.
 */

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0 || !(p > 0 && p <= 100)) return NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function sum(samples: readonly number[]): number {
  let s = 0;
  for (const x of samples) s += x;
  return s;
}

/** Milliseconds between two process.hrtime.bigint() readings. */
export function msBetween(from: bigint, to: bigint): number {
  return Number(to - from) / 1e6;
}
