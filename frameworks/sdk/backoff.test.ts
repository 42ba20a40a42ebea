import test from 'ava';
import { createBackoff, createSeededRandom } from './backoff.ts';

test('delays grow exponentially within [cap/2, cap] and stop at maxMs', (t) => {
  const b = createBackoff({ initialMs: 100, maxMs: 1000 }, createSeededRandom(7));
  const caps = [100, 200, 400, 800, 1000, 1000, 1000]; // initial * 2^n, capped at max
  for (const cap of caps) {
    const d = b.nextDelayMs();
    t.true(d >= cap / 2 && d <= cap, `delay ${d} for cap ${cap}`);
  }
  t.is(b.attempts, caps.length);
});

test('reset starts over at the initial delay', (t) => {
  const b = createBackoff({ initialMs: 100, maxMs: 10_000 }, createSeededRandom(1));
  for (let i = 0; i < 6; i++) b.nextDelayMs();
  b.reset();
  t.is(b.attempts, 0);
  t.true(b.nextDelayMs() <= 100);
});

test('the same seed gives the same delays; another seed other ones', (t) => {
  const run = (seed: number) => {
    const b = createBackoff({ initialMs: 50, maxMs: 5000 }, createSeededRandom(seed));
    return Array.from({ length: 8 }, () => b.nextDelayMs());
  };
  t.deepEqual(run(42), run(42));
  t.notDeepEqual(run(42), run(43));
});

test('jitter uses the random source: 0 gives cap/2, almost 1 gives cap', (t) => {
  const low = createBackoff({ initialMs: 100, maxMs: 100 }, { next: () => 0 });
  const high = createBackoff({ initialMs: 100, maxMs: 100 }, { next: () => 0.999999 });
  t.is(low.nextDelayMs(), 50);
  t.is(high.nextDelayMs(), 100);
});

test('many attempts never overflow past maxMs', (t) => {
  const b = createBackoff({ initialMs: 1, maxMs: 30_000 }, createSeededRandom(3));
  for (let i = 0; i < 2000; i++) t.true(b.nextDelayMs() <= 30_000);
});
