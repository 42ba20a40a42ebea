import test from 'ava';
import fc from 'fast-check';
import {
  BULL_PRIORITY_CENTRE, checkQueuedRun, compareSequenced, MAX_PRIORITY, MIN_PRIORITY, planRebuild, readyRuns, toBullPriority,
} from './queue-order.ts';
import type { QueuedRun } from '../ports.ts';

const run = (runId: string, priority = 0, notBefore = 0): QueuedRun => ({ jobId: 'j', runId, priority, notBefore });

const bull: [number, number][] = [
  [0, 1_048_576], // 2^20: the default sits mid-range
  [1, 1_048_575],
  [-1, 1_048_577],
  [MAX_PRIORITY, 1], // BullMQ's most urgent
  [MIN_PRIORITY, 2_097_151], // 2^21 - 1, inside BullMQ's 2^21 cap
];
for (const [ours, theirs] of bull) {
  test(`toBullPriority(${ours}) = ${theirs}`, (t) => t.is(toBullPriority(ours), theirs));
}

test('property: toBullPriority is strictly decreasing and inside BullMQ\'s 1..2^21', (t) => {
  fc.assert(fc.property(fc.integer({ min: MIN_PRIORITY, max: MAX_PRIORITY }), fc.integer({ min: MIN_PRIORITY, max: MAX_PRIORITY }), (a, b) => {
    const [x, y] = [toBullPriority(a), toBullPriority(b)];
    return x >= 1 && x <= 2 * BULL_PRIORITY_CENTRE && Math.sign(x - y) === Math.sign(b - a);
  }));
  t.pass();
});

const checks: [string, QueuedRun, boolean][] = [
  ['priority 0', run('a'), true],
  ['MAX_PRIORITY', run('a', MAX_PRIORITY), true],
  ['MIN_PRIORITY', run('a', MIN_PRIORITY), true],
  ['above MAX_PRIORITY', run('a', MAX_PRIORITY + 1), false],
  ['below MIN_PRIORITY', run('a', MIN_PRIORITY - 1), false],
  ['a fraction', run('a', 0.5), false],
  ['NaN notBefore', run('a', 0, Number.NaN), false],
  ['Infinity notBefore', run('a', 0, Number.POSITIVE_INFINITY), false],
  ['empty run id', run(''), false],
];
for (const [name, r, ok] of checks) {
  test(`checkQueuedRun: ${name} is ${ok ? 'accepted' : 'a RangeError'}`, (t) => {
    if (ok) t.notThrows(() => checkQueuedRun(r));
    else t.throws(() => checkQueuedRun(r), { instanceOf: RangeError });
  });
}

test('compareSequenced: priority first (higher first), then seq (lower first)', (t) => {
  t.true(compareSequenced({ run: run('a', 2), seq: 9 }, { run: run('b', 1), seq: 1 }) < 0);
  t.true(compareSequenced({ run: run('a', 1), seq: 1 }, { run: run('b', 1), seq: 2 }) < 0);
  t.true(compareSequenced({ run: run('a', 1), seq: 3 }, { run: run('b', 1), seq: 2 }) > 0);
});

test('readyRuns: due only (notBefore <= now), in order, at most limit, copies with the port\'s fields only', (t) => {
  const entries = [
    { run: run('late', 9, 200), seq: 1 },
    { run: run('a', 1, 100), seq: 2 },
    { run: { ...run('b', 1, 50), extra: 1 } as QueuedRun, seq: 3 },
    { run: run('c', 5, 0), seq: 4 },
  ];
  t.deepEqual(readyRuns(entries, 100, 10), [run('c', 5, 0), run('a', 1, 100), run('b', 1, 50)]);
  t.deepEqual(readyRuns(entries, 100, 2).map((r) => r.runId), ['c', 'a']);
  t.deepEqual(readyRuns(entries, 99, 10).map((r) => r.runId), ['c', 'b']);
  t.deepEqual(readyRuns(entries, 1_000, 0), []);
});

test('planRebuild: unique run ids, a changed duplicate moves behind, an identical one keeps its place', (t) => {
  t.deepEqual(planRebuild([run('a'), run('b'), run('a'), run('c')]).map((r) => r.runId), ['a', 'b', 'c']);
  t.deepEqual(planRebuild([run('a'), run('b'), run('a', 1), run('c')]), [run('b'), run('a', 1), run('c')]);
  t.deepEqual(planRebuild([]), []);
});
