/**
 * The contract every `RunQueue` keeps, as one ava suite run against each implementation
 * (memory-run-queue.test.ts, bull-run-queue.test.ts). `open` gives a fresh, empty queue and
 * registers its own cleanup with `t.teardown`.
 *
 * What it pins down: `ready` is highest priority first, then the earliest enqueued; it holds back
 * runs whose `notBefore` is after `now` (at `notBefore` exactly a run is ready), reads without
 * consuming and returns at most `limit`; `enqueue` is idempotent by run id (identical: keeps its
 * place; changed: replaced, behind its equals); `remove` ignores unknown ids; `size` counts
 * ready and held-back runs; `rebuild` holds exactly the given runs, in the given order among
 * equals, a later duplicate winning; priorities outside the mappable range are rejected; a closed
 * queue refuses calls. A property test checks random operation sequences against a naive model.
 */
import type { ExecutionContext, TestFn } from 'ava';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { QueuedRun, RunQueue } from '../ports.ts';
import { MAX_PRIORITY, MIN_PRIORITY } from './queue-order.ts';

export type OpenRunQueue = (t: ExecutionContext) => Promise<RunQueue>;

/** A fixed "now" near the real clock, so a BullMQ adapter on the system clock agrees on what is delayed. */
export const T0 = Math.floor(Date.now() / 1000) * 1000;

/** A queued run: `run('r1', { priority: 5, notBefore: T0 + 60_000 })`; job `job-<runId>`, priority 0, notBefore T0 - 1 s. */
export function queued(runId: string, over: Partial<QueuedRun> = {}): QueuedRun {
  return { jobId: `job-${runId}`, runId, priority: 0, notBefore: T0 - 1_000, ...over };
}

const ids = (runs: readonly QueuedRun[]) => runs.map((r) => r.runId);

export function runQueueContract(test: TestFn, name: string, open: OpenRunQueue): void {
  const it = (title: string, body: (t: ExecutionContext, q: RunQueue) => Promise<void>) =>
    test(`${name}: ${title}`, async (t) => body(t, await open(t)));

  it('a new queue is empty', async (t, q) => {
    t.is(await q.size(), 0);
    t.deepEqual(await q.ready(T0, 10), []);
  });

  it('an enqueued run comes back deep-equal, and ready does not consume it', async (t, q) => {
    const r = queued('r1', { jobId: 'nightly.report', priority: 7, notBefore: T0 - 5_000 });
    await q.enqueue(r);
    t.deepEqual(await q.ready(T0, 10), [r]);
    t.deepEqual(await q.ready(T0, 10), [r]);
    t.is(await q.size(), 1);
  });

  it('enqueueAll is enqueue of each run in turn: order among equals, an identical run keeps its place, a changed one moves behind', async (t, q) => {
    await q.enqueue(queued('a'));
    await q.enqueue(queued('b'));
    await q.enqueueAll([queued('c', { priority: 2 }), queued('a'), queued('b', { priority: 0, notBefore: T0 - 500 }), queued('d'), queued('c', { priority: 2 })]);
    t.deepEqual(ids(await q.ready(T0, 10)), ['c', 'a', 'b', 'd']);
    t.deepEqual((await q.ready(T0, 10)).find((r) => r.runId === 'b'), queued('b', { notBefore: T0 - 500 }));
    await q.enqueueAll([]);
    t.is(await q.size(), 4);
  });

  it('removeAll removes every given run; unknown and repeated ids are ignored', async (t, q) => {
    await q.enqueueAll([queued('a'), queued('b'), queued('c')]);
    await q.removeAll(['a', 'nope', 'c', 'a']);
    t.deepEqual(ids(await q.ready(T0, 10)), ['b']);
    await q.removeAll([]);
    t.is(await q.size(), 1);
  });

  it('ready: highest priority first, the earliest enqueued first among equals', async (t, q) => {
    const runs = [
      queued('a', { priority: 0 }),
      queued('b', { priority: 5 }),
      queued('c', { priority: 0 }),
      queued('d', { priority: -3 }),
      queued('e', { priority: 5 }),
      queued('f', { priority: MAX_PRIORITY }),
      queued('g', { priority: MIN_PRIORITY }),
    ];
    for (const r of runs) await q.enqueue(r);
    t.deepEqual(ids(await q.ready(T0, 10)), ['f', 'b', 'e', 'a', 'c', 'd', 'g']);
  });

  const limits: [number, string[]][] = [
    [0, []],
    [-1, []],
    [1, ['b']],
    [2, ['b', 'a']],
    [3, ['b', 'a', 'c']],
    [99, ['b', 'a', 'c']],
  ];
  for (const [limit, expected] of limits) {
    it(`ready(now, ${limit}) returns at most ${limit}: ${expected.join(',') || 'none'}`, async (t, q) => {
      await q.enqueue(queued('a', { priority: 1 }));
      await q.enqueue(queued('b', { priority: 2 }));
      await q.enqueue(queued('c', { priority: 1 }));
      t.deepEqual(ids(await q.ready(T0, limit)), expected);
    });
  }

  it('notBefore holds a run back until then; at notBefore exactly it is ready; held runs still count', async (t, q) => {
    await q.enqueue(queued('now', { priority: 0 }));
    await q.enqueue(queued('later', { priority: 9, notBefore: T0 + 60_000 })); // a retry's backoff: BullMQ delayed
    await q.enqueue(queued('soon', { priority: 1, notBefore: T0 + 30_000 }));
    t.is(await q.size(), 3);
    const at: [number, string[]][] = [
      [T0, ['now']],
      [T0 + 29_999, ['now']],
      [T0 + 30_000, ['soon', 'now']],
      [T0 + 60_000, ['later', 'soon', 'now']],
    ];
    for (const [now, expected] of at) t.deepEqual(ids(await q.ready(now, 10)), expected, `at T0+${now - T0}`);
    // the limit applies after the delayed runs are merged in: the most urgent win
    t.deepEqual(ids(await q.ready(T0 + 60_000, 1)), ['later']);
  });

  it('a run due before the clock is still held back at an earlier now', async (t, q) => {
    await q.enqueue(queued('past', { notBefore: T0 - 1_000 }));
    t.deepEqual(ids(await q.ready(T0 - 2_000, 10)), []);
    t.deepEqual(ids(await q.ready(T0 - 1_000, 10)), ['past']);
  });

  it('an identical enqueue is a no-op and keeps the place; a changed one replaces and goes behind its equals', async (t, q) => {
    await q.enqueue(queued('a'));
    await q.enqueue(queued('b'));
    await q.enqueue(queued('a'));
    t.is(await q.size(), 2);
    t.deepEqual(ids(await q.ready(T0, 10)), ['a', 'b']);
    await q.enqueue(queued('a', { notBefore: T0 - 500 }));
    t.is(await q.size(), 2);
    t.deepEqual(await q.ready(T0, 10), [queued('b'), queued('a', { notBefore: T0 - 500 })]);
    await q.enqueue(queued('b', { notBefore: T0 + 10_000 })); // replaced by a held-back one
    t.deepEqual(ids(await q.ready(T0, 10)), ['a']);
    await q.enqueue(queued('b', { priority: 3 })); // and back
    t.deepEqual(ids(await q.ready(T0, 10)), ['b', 'a']);
  });

  it('remove takes a run out, ready or held back; unknown ids are ignored', async (t, q) => {
    await q.enqueue(queued('a'));
    await q.enqueue(queued('b', { notBefore: T0 + 60_000 }));
    await q.enqueue(queued('c'));
    await q.remove('a');
    await q.remove('b');
    await q.remove('nope');
    await q.remove('a');
    t.is(await q.size(), 1);
    t.deepEqual(ids(await q.ready(T0 + 60_000, 10)), ['c']);
    await q.enqueue(queued('a')); // removed then enqueued again: a new entry, behind c
    t.deepEqual(ids(await q.ready(T0, 10)), ['c', 'a']);
  });

  it('rebuild holds exactly the given runs, in the given order among equals, a later duplicate winning', async (t, q) => {
    await q.enqueue(queued('old1'));
    await q.enqueue(queued('old2', { notBefore: T0 + 60_000 }));
    await q.rebuild([
      queued('x', { priority: 1 }),
      queued('y'),
      queued('z', { notBefore: T0 + 60_000 }),
      queued('w', { priority: 1 }),
      queued('y', { priority: 2 }),
    ]);
    t.is(await q.size(), 4);
    t.deepEqual(await q.ready(T0 + 60_000, 10), [
      queued('y', { priority: 2 }), queued('x', { priority: 1 }), queued('w', { priority: 1 }), queued('z', { notBefore: T0 + 60_000 }),
    ]);
    await q.enqueue(queued('v', { priority: 1 })); // after a rebuild: behind the rebuilt equals
    t.deepEqual(ids(await q.ready(T0, 10)), ['y', 'x', 'w', 'v']);
    await q.rebuild([]);
    t.is(await q.size(), 0);
    t.deepEqual(await q.ready(T0 + 60_000, 10), []);
  });

  it('priorities it cannot order are rejected, and nothing is queued', async (t, q) => {
    for (const priority of [MAX_PRIORITY + 1, MIN_PRIORITY - 1, 0.5, Number.NaN]) {
      await t.throwsAsync(q.enqueue(queued('bad', { priority })), { instanceOf: RangeError });
    }
    await t.throwsAsync(q.rebuild([queued('ok'), queued('bad', { priority: 1.5 })]), { instanceOf: RangeError });
    await q.enqueue(queued('ok'));
    t.deepEqual(ids(await q.ready(T0, 10)), ['ok']);
  });

  it('a closed queue refuses calls', async (t, q) => {
    await q.close();
    await t.throwsAsync(q.size());
    await t.throwsAsync(q.enqueue(queued('a')));
    await q.close(); // twice is fine
  });

  it('property: any sequence of enqueue, remove and rebuild reads as the naive model says', async (t, q) => {
    const run = fc.record({
      runId: fc.constantFrom('r1', 'r2', 'r3', 'r4', 'r5', 'r6'),
      priority: fc.integer({ min: -3, max: 3 }),
      notBefore: fc.constantFrom(T0 - 1_000, T0, T0 + 1_000, T0 + 60_000),
    }).map(({ runId, priority, notBefore }) => queued(runId, { priority, notBefore }));
    const op = fc.oneof(
      { weight: 6, arbitrary: run.map((r) => ({ op: 'enqueue' as const, run: r })) },
      { weight: 2, arbitrary: fc.constantFrom('r1', 'r2', 'r3', 'r7').map((runId) => ({ op: 'remove' as const, runId })) },
      { weight: 1, arbitrary: fc.array(run, { maxLength: 5 }).map((runs) => ({ op: 'rebuild' as const, runs })) },
    );
    await fc.assert(fc.asyncProperty(
      fc.array(op, { maxLength: 12 }),
      fc.constantFrom(T0 - 1_000, T0, T0 + 60_000),
      fc.integer({ min: 1, max: 7 }),
      async (ops, now, limit) => {
        await q.rebuild([]);
        let model: QueuedRun[] = []; // in enqueue order
        const put = (r: QueuedRun) => {
          const i = model.findIndex((m) => m.runId === r.runId);
          if (i >= 0 && JSON.stringify(model[i]) === JSON.stringify(r)) return;
          model = [...model.filter((m) => m.runId !== r.runId), r];
        };
        for (const o of ops) {
          if (o.op === 'enqueue') {
            await q.enqueue(o.run);
            put(o.run);
          } else if (o.op === 'remove') {
            await q.remove(o.runId);
            model = model.filter((m) => m.runId !== o.runId);
          } else {
            await q.rebuild(o.runs);
            model = [];
            o.runs.forEach(put);
          }
        }
        const expected = model.filter((m) => m.notBefore <= now)
          .map((m, i) => ({ m, i }))
          .sort((a, b) => b.m.priority - a.m.priority || a.i - b.i)
          .slice(0, limit)
          .map(({ m }) => m);
        assert.deepEqual(await q.ready(now, limit), expected);
        assert.equal(await q.size(), model.length);
      },
    ), { numRuns: 40 });
    t.pass();
  });
}
