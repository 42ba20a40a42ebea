import test from 'ava';
import fc from 'fast-check';
import { restartBounds } from './restart-strategy.ts';

const cases: [instances: number, minimumHealthCapacity: number, maximumOverCapacity: number, minHealthy: number, maxCapacity: number][] = [
  [10, 1, 1, 10, 20], // Marathon's defaults: keep all, double at most
  [10, 0.5, 0.2, 5, 12],
  [3, 0.5, 0, 2, 3], // ceil(1.5) = 2
  [3, 0.1, 0.1, 1, 3], // ceil(0.3) = 1, floor(3.3) = 3
  [4, 0, 0, 0, 4], // kill everything first
  [4, 1, 0, 4, 5], // bounds meet: one extra instance allowed
  [1, 1, 0, 1, 2],
  [5, 0.8, 0, 4, 5], // 5 * 0.8 = 4 exactly in doubles
  [100, 0.07, 0, 8, 100], // 100 * 0.07 = 7.000000000000001 in doubles: ceil gives 8, as Marathon
  [0, 1, 1, 0, 0], // nothing to run
];

for (const [instances, mhc, moc, minHealthy, maxCapacity] of cases) {
  test(`restartBounds(${instances}, ${mhc}, ${moc}) = min ${minHealthy}, max ${maxCapacity}`, (t) => {
    t.deepEqual(
      restartBounds({ instances, upgradeStrategy: { minimumHealthCapacity: mhc, maximumOverCapacity: moc } }),
      { minHealthy, maxCapacity },
    );
  });
}

test('property: 0 <= minHealthy <= instances <= maxCapacity and maxCapacity > minHealthy', (t) => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 500 }),
    fc.double({ min: 0, max: 1, noNaN: true }),
    fc.double({ min: 0, max: 1, noNaN: true }),
    (n, mhc, moc) => {
      const b = restartBounds({ instances: n, upgradeStrategy: { minimumHealthCapacity: mhc, maximumOverCapacity: moc } });
      return b.minHealthy >= 0 && b.minHealthy <= n && n <= b.maxCapacity && b.maxCapacity > b.minHealthy;
    },
  ), { seed: 7, numRuns: 500 });
  t.pass();
});
