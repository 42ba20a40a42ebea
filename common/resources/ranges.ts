/**
 * Integer ranges (ports and the like) as a flat, sorted, coalesced array `[b0, e0, b1, e1, ...]`.
 * Invariants of every value this module returns: b_i <= e_i, e_i + 1 < b_{i+1} (sorted, disjoint,
 * and adjacent intervals merged, as Mesos coalesces them). Inputs are never mutated.
 */
export type FlatRanges = readonly number[];

export const EMPTY_RANGES: FlatRanges = Object.freeze([]) as FlatRanges;

/** Builds a normalised value from arbitrary (possibly overlapping, unsorted) intervals. */
export function normalizeRanges(pairs: ReadonlyArray<readonly [number, number]>): FlatRanges {
  if (pairs.length === 0) return EMPTY_RANGES;
  const sorted = [...pairs].sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const out: number[] = [];
  for (const [b, e] of sorted) {
    const n = out.length;
    if (n > 0 && b <= out[n - 1] + 1) {
      if (e > out[n - 1]) out[n - 1] = e;
    } else {
      out.push(b, e);
    }
  }
  return out;
}

export function rangesUnion(a: FlatRanges, b: FlatRanges): FlatRanges {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let lo: number;
    let hi: number;
    if (j >= b.length || (i < a.length && a[i] <= b[j])) {
      lo = a[i];
      hi = a[i + 1];
      i += 2;
    } else {
      lo = b[j];
      hi = b[j + 1];
      j += 2;
    }
    const n = out.length;
    if (n > 0 && lo <= out[n - 1] + 1) {
      if (hi > out[n - 1]) out[n - 1] = hi;
    } else {
      out.push(lo, hi);
    }
  }
  return out;
}

/** a - b (what is in a and not in b). */
export function rangesSubtract(a: FlatRanges, b: FlatRanges): FlatRanges {
  if (a.length === 0 || b.length === 0) return a;
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    let lo = a[i];
    const hi = a[i + 1];
    while (j < b.length && b[j + 1] < lo) j += 2;
    let k = j;
    while (k < b.length && b[k] <= hi && lo <= hi) {
      if (b[k] > lo) out.push(lo, b[k] - 1);
      lo = b[k + 1] + 1;
      k += 2;
    }
    if (lo <= hi) out.push(lo, hi);
  }
  return out;
}

/** Whether every value of b is in a. */
export function rangesContain(a: FlatRanges, b: FlatRanges): boolean {
  let i = 0;
  for (let j = 0; j < b.length; j += 2) {
    while (i < a.length && a[i + 1] < b[j]) i += 2;
    if (i >= a.length || a[i] > b[j] || a[i + 1] < b[j + 1]) return false;
  }
  return true;
}

export function rangesEqual(a: FlatRanges, b: FlatRanges): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Number of integers covered. */
export function rangesSize(a: FlatRanges): number {
  let n = 0;
  for (let i = 0; i < a.length; i += 2) n += a[i + 1] - a[i] + 1;
  return n;
}

export function rangesToPairs(a: FlatRanges): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < a.length; i += 2) out.push([a[i], a[i + 1]]);
  return out;
}

/** Mesos text form: `[31000-32000, 33000-33005]`. */
export function rangesToString(a: FlatRanges): string {
  const parts: string[] = [];
  for (let i = 0; i < a.length; i += 2) parts.push(`${a[i]}-${a[i + 1]}`);
  return `[${parts.join(', ')}]`;
}
