import test from 'ava';
import fc from 'fast-check';
import { isBackedOff, nextBackoff, queueDelay, type BackoffState } from './launch-backoff.ts';

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

test('Marathon defaults (1 s, x1.15, max 300 s): the delays of successive failures', (t) => {
  const app = { backoffSeconds: 1, backoffFactor: 1.15, maxLaunchDelaySeconds: 300 };
  let s: BackoffState | undefined;
  const delays: number[] = [];
  for (let k = 0; k < 4; k++) {
    s = nextBackoff(app, s, T0);
    delays.push(Number(s.delaySeconds.toFixed(6)));
  }
  t.deepEqual(delays, [1, 1.15, 1.3225, 1.520875]); // 1, 1*1.15, 1.15^2, 1.15^3
});

const cases: { name: string; app: { backoffSeconds: number; backoffFactor: number; maxLaunchDelaySeconds: number }; previous?: BackoffState; now: number; expected: BackoffState }[] = [
  { name: 'first failure: backoffSeconds from now', app: { backoffSeconds: 5, backoffFactor: 2, maxLaunchDelaySeconds: 60 }, now: T0, expected: { delaySeconds: 5, until: T0 + 5000 } },
  { name: 'second: times the factor, from the new failure', app: { backoffSeconds: 5, backoffFactor: 2, maxLaunchDelaySeconds: 60 }, previous: { delaySeconds: 5, until: T0 + 5000 }, now: T0 + 9000, expected: { delaySeconds: 10, until: T0 + 19000 } },
  { name: 'capped at maxLaunchDelaySeconds (40 * 2 = 80 -> 60)', app: { backoffSeconds: 5, backoffFactor: 2, maxLaunchDelaySeconds: 60 }, previous: { delaySeconds: 40, until: 0 }, now: T0, expected: { delaySeconds: 60, until: T0 + 60000 } },
  { name: 'stays at the cap', app: { backoffSeconds: 5, backoffFactor: 2, maxLaunchDelaySeconds: 60 }, previous: { delaySeconds: 60, until: 0 }, now: T0, expected: { delaySeconds: 60, until: T0 + 60000 } },
  { name: 'factor 1: constant delay', app: { backoffSeconds: 3, backoffFactor: 1, maxLaunchDelaySeconds: 60 }, previous: { delaySeconds: 3, until: 0 }, now: T0, expected: { delaySeconds: 3, until: T0 + 3000 } },
  { name: 'first delay above the max is not capped (as Marathon)', app: { backoffSeconds: 100, backoffFactor: 2, maxLaunchDelaySeconds: 60 }, now: T0, expected: { delaySeconds: 100, until: T0 + 100000 } },
];

for (const c of cases) {
  test(`nextBackoff: ${c.name}`, (t) => {
    t.deepEqual(nextBackoff(c.app, c.previous, c.now), c.expected);
  });
}

test('isBackedOff: only before the deadline', (t) => {
  const s = { delaySeconds: 2, until: T0 + 2000 };
  t.deepEqual([isBackedOff(undefined, T0), isBackedOff(s, T0), isBackedOff(s, T0 + 1999), isBackedOff(s, T0 + 2000)], [false, true, true, false]);
});

test('queueDelay: whole seconds left, overdue once past (fixtures/queue.json shape)', (t) => {
  const s = { delaySeconds: 10, until: T0 + 10_000 };
  t.deepEqual(queueDelay(s, T0), { timeLeftSeconds: 10, overdue: false });
  t.deepEqual(queueDelay(s, T0 + 2_500), { timeLeftSeconds: 7, overdue: false }); // 7.5 s -> 7
  t.deepEqual(queueDelay(s, T0 + 10_000), { timeLeftSeconds: 0, overdue: false });
  t.deepEqual(queueDelay(s, T0 + 10_001), { timeLeftSeconds: 0, overdue: true });
  t.deepEqual(queueDelay(undefined, T0), { timeLeftSeconds: 0, overdue: true });
});

test('property: delays never decrease with factor >= 1 and never exceed max(backoff, cap)', (t) => {
  fc.assert(fc.property(
    fc.double({ min: 0.1, max: 100, noNaN: true }),
    fc.double({ min: 1, max: 5, noNaN: true }),
    fc.double({ min: 0.1, max: 3600, noNaN: true }),
    fc.integer({ min: 1, max: 40 }),
    (backoffSeconds, backoffFactor, maxLaunchDelaySeconds, failures) => {
      const app = { backoffSeconds, backoffFactor, maxLaunchDelaySeconds };
      let s: BackoffState | undefined;
      let last = 0;
      for (let k = 0; k < failures; k++) {
        const now = T0 + k * 1000;
        s = nextBackoff(app, s, now);
        if (k > 0 && s.delaySeconds < Math.min(last, maxLaunchDelaySeconds)) return false;
        if (s.delaySeconds > Math.max(backoffSeconds, maxLaunchDelaySeconds)) return false;
        if (s.until !== now + s.delaySeconds * 1000) return false;
        last = s.delaySeconds;
      }
      return true;
    },
  ), { seed: 3, numRuns: 300 });
  t.pass();
});
