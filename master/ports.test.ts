import test from 'ava';
import { createTimers, MAX_HOST_DELAY_MS, type HostTimers } from '../common/ports.ts';

/** Host timeouts on a manual clock; records every delay it is asked for. */
function fakeHost() {
  let now = 0;
  let seq = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  const delays: number[] = [];
  const host: HostTimers = {
    setTimeout: (fn, ms) => {
      delays.push(ms);
      due.set(seq, { at: now + ms, fn });
      return seq++;
    },
    setInterval: (fn, ms) => {
      delays.push(ms);
      const id = seq++;
      const tick = () => {
        due.set(id, { at: now + ms, fn: tick });
        fn();
      };
      due.set(id, { at: now + ms, fn: tick });
      return id;
    },
    clearTimeout: (h) => {
      due.delete(h as number);
    },
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const next = [...due.entries()].filter(([, d]) => d.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (next === undefined) break;
      due.delete(next[0]);
      now = next[1].at;
      next[1].fn();
    }
    now = end;
  };
  return { host, advance, delays, pending: () => due.size };
}

const DAY = 24 * 3600 * 1000;

test('a timeout longer than Node can wait fires when due, never early, from chained host timeouts', (t) => {
  const f = fakeHost();
  const timers = createTimers(f.host);
  let fired = 0;
  timers.setTimeout(() => fired++, 30 * DAY); // failover_timeout of 30 days
  f.advance(MAX_HOST_DELAY_MS);
  t.is(fired, 0); // a plain setTimeout would have fired after 1 ms
  f.advance(30 * DAY - MAX_HOST_DELAY_MS - 1);
  t.is(fired, 0);
  f.advance(1);
  t.is(fired, 1);
  t.true(f.delays.every((d) => d <= MAX_HOST_DELAY_MS));
  t.is(f.pending(), 0);
});

test('clearing a chained timeout between two links cancels it', (t) => {
  const f = fakeHost();
  const timers = createTimers(f.host);
  let fired = 0;
  const h = timers.setTimeout(() => fired++, 60 * DAY);
  f.advance(40 * DAY);
  timers.clear(h);
  f.advance(40 * DAY);
  t.is(fired, 0);
  t.is(f.pending(), 0);
});

test('intervals fire every period; clearing one from its own callback stops it', (t) => {
  const f = fakeHost();
  const timers = createTimers(f.host);
  const seen: number[] = [];
  let n = 0;
  const h = timers.setInterval(() => {
    seen.push(++n);
    if (n === 3) timers.clear(h);
  }, 1000);
  f.advance(10_000);
  t.deepEqual(seen, [1, 2, 3]);
  t.is(f.pending(), 0);
});

test('short and negative delays pass straight through', (t) => {
  const f = fakeHost();
  const timers = createTimers(f.host);
  timers.setTimeout(() => {}, 15_000);
  timers.setTimeout(() => {}, -5);
  t.deepEqual(f.delays, [15_000, 0]);
});

test('a long interval fires every period from chained host timeouts; clearing it from its callback stops it', (t) => {
  const f = fakeHost();
  const timers = createTimers(f.host);
  let n = 0;
  const h = timers.setInterval(() => {
    n += 1;
    if (n === 2) timers.clear(h);
  }, 30 * DAY);
  f.advance(30 * DAY - 1);
  t.is(n, 0);
  f.advance(1);
  t.is(n, 1);
  f.advance(90 * DAY);
  t.is(n, 2);
  t.true(f.delays.every((d) => d <= MAX_HOST_DELAY_MS));
  t.is(f.pending(), 0);
});
