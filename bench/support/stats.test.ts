import test from 'ava';
import fc from 'fast-check';
import { msBetween, percentile, sum } from './stats.ts';

const cases: Array<[number[], number, number]> = [
  // samples, p, expected (nearest rank: ceil(p/100 * n))
  [[5], 50, 5],
  [[5], 99, 5],
  [[1, 2, 3, 4], 50, 2], // rank ceil(2) = 2
  [[4, 3, 2, 1], 75, 3], // unsorted input; rank 3
  [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99, 10], // rank ceil(9.9) = 10
  [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 10, 1], // rank 1
  [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 100, 10],
  [[10, 1, 100], 50, 10], // numeric, not lexicographic, order
];

for (const [samples, p, expected] of cases) {
  test(`percentile(${JSON.stringify(samples)}, ${p}) = ${expected}`, (t) => {
    t.is(percentile(samples, p), expected);
  });
}

test('percentile of nothing, or of p outside (0, 100], is NaN', (t) => {
  t.true(Number.isNaN(percentile([], 50)));
  t.true(Number.isNaN(percentile([1, 2], 0)));
  t.true(Number.isNaN(percentile([1, 2], 101)));
});

test('percentile is one of the samples, monotone in p, and between min and max', (t) => {
  fc.assert(fc.property(
    fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 50 }),
    fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100 }),
    (samples, a, b) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      const x = percentile(samples, lo);
      return samples.includes(x) && x <= percentile(samples, hi) && x >= Math.min(...samples) && x <= Math.max(...samples);
    },
  ));
  t.pass();
});

test('sum and msBetween', (t) => {
  t.is(sum([]), 0);
  t.is(sum([1.5, 2.5, -1]), 3);
  t.is(msBetween(1_000_000n, 3_500_000n), 2.5);
});
