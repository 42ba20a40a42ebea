import test from 'ava';
import fc from 'fast-check';
import type { ProbeOutcome } from './probe-result.ts';
import { startProbeLoop } from './probe-loop.ts';
import { exited, ManualTime, scriptedProbe, settle } from './test-fixtures.ts';

const timing = { delayMs: 15_000, intervalMs: 10_000, timeoutMs: 20_000 };

/** Advances the manual clock in steps, letting probe results land after each. */
async function advance(time: ManualTime, ms: number, step = 1_000): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    time.advance(Math.min(step, ms - done));
    await settle();
  }
}

test('probe loop: first probe after the delay, then one per interval after each result', async (t) => {
  const time = new ManualTime();
  const script = scriptedProbe([exited(0)]);
  const outcomes: ProbeOutcome[] = [];
  const loop = startProbeLoop(timing, script.probe, time, (o) => outcomes.push(o));
  await advance(time, 14_000);
  t.is(script.runs(), 0); // t=14 s: still in the delay
  await advance(time, 1_000);
  t.is(script.runs(), 1); // t=15 s
  await advance(time, 9_000);
  t.is(script.runs(), 1); // t=24 s
  await advance(time, 1_000);
  t.is(script.runs(), 2); // t=25 s
  await advance(time, 30_000);
  t.is(script.runs(), 5); // t=55 s: 15, 25, 35, 45, 55
  t.deepEqual(outcomes.length, 5);
  loop.stop();
});

test('probe loop: a probe past its timeout is aborted, reported timed-out, and the next runs an interval later', async (t) => {
  const time = new ManualTime();
  const script = scriptedProbe(['hang', exited(0)]);
  const outcomes: ProbeOutcome[] = [];
  const loop = startProbeLoop(timing, script.probe, time, (o) => outcomes.push(o));
  await advance(time, 15_000 + 19_000);
  t.deepEqual(outcomes, []); // t=34 s: the probe started at 15 s still runs
  await advance(time, 1_000);
  t.deepEqual(outcomes, [{ kind: 'timed-out', timeoutMs: 20_000 }]); // t=35 s
  t.is(script.aborts(), 1);
  await advance(time, 10_000);
  t.is(script.runs(), 2); // t=45 s
  t.deepEqual(outcomes[1], { kind: 'exited', exitCode: 0 });
  loop.stop();
});

test('probe loop: timeout 0 (Infinity) never aborts', async (t) => {
  const time = new ManualTime();
  const script = scriptedProbe(['hang']);
  const outcomes: ProbeOutcome[] = [];
  const loop = startProbeLoop({ ...timing, timeoutMs: Infinity }, script.probe, time, (o) => outcomes.push(o));
  await advance(time, 3_600_000, 60_000);
  t.is(script.runs(), 1);
  t.deepEqual(outcomes, []);
  loop.stop();
  t.is(script.aborts(), 1); // stop aborts the probe in flight
});

test('probe loop: stop clears the schedule and drops the result of the probe in flight', async (t) => {
  const time = new ManualTime();
  let resolveProbe: ((o: { kind: 'connected' }) => void) | undefined;
  const outcomes: ProbeOutcome[] = [];
  const loop = startProbeLoop({ delayMs: 0, intervalMs: 1_000, timeoutMs: 5_000 }, () => new Promise((r) => (resolveProbe = r)), time, (o) => outcomes.push(o));
  await advance(time, 1);
  t.truthy(resolveProbe);
  loop.stop();
  resolveProbe!({ kind: 'connected' });
  await advance(time, 60_000);
  t.deepEqual(outcomes, []);
});

test('probe loop: a probe that throws or rejects is an error outcome and the loop goes on', async (t) => {
  const time = new ManualTime();
  let run = 0;
  const outcomes: ProbeOutcome[] = [];
  const loop = startProbeLoop(
    { delayMs: 0, intervalMs: 1_000, timeoutMs: 5_000 },
    () => {
      run++;
      if (run === 1) throw new Error('cannot start');
      return Promise.reject(new Error('went wrong'));
    },
    time,
    (o) => outcomes.push(o),
  );
  await advance(time, 1_100, 100); // run 1 at 0.1 s, its result then, run 2 one interval later at 1.1 s
  t.deepEqual(outcomes, [
    { kind: 'error', message: 'cannot start' },
    { kind: 'error', message: 'went wrong' },
  ]);
  loop.stop();
});

test('probe loop invariants: one probe in flight at most, one outcome per finished probe, none after stop', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({ delayMs: fc.integer({ min: 0, max: 3_000 }), intervalMs: fc.integer({ min: 0, max: 3_000 }), timeoutMs: fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 3_000 })) }),
      fc.array(fc.oneof(fc.constant<'hang'>('hang'), fc.constant(exited(0)), fc.constant(exited(1))), { minLength: 1, maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 2_000 }), { minLength: 1, maxLength: 30 }),
      async (timing, steps, advances) => {
        const time = new ManualTime();
        let inFlight = 0;
        let maxInFlight = 0;
        let started = 0;
        let outcomes = 0;
        let stopped = false;
        let afterStop = 0;
        const script = scriptedProbe(steps);
        const loop = startProbeLoop(
          timing,
          (signal) => {
            started++;
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            signal.addEventListener('abort', () => inFlight--, { once: true });
            return script.probe(signal).finally(() => {
              if (!signal.aborted) inFlight--;
            });
          },
          time,
          () => {
            outcomes++;
            if (stopped) afterStop++;
          },
        );
        for (const ms of advances) {
          time.advance(ms);
          await settle();
        }
        loop.stop();
        stopped = true;
        time.advance(10_000);
        await settle();
        // every started probe either produced its outcome or was the one in flight at stop()
        return maxInFlight <= 1 && afterStop === 0 && (outcomes === started || outcomes === started - 1) && inFlight === 0;
      },
    ),
    { numRuns: 60 },
  );
  t.pass();
});
