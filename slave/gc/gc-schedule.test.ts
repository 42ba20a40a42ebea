import test from 'ava';
import fc from 'fast-check';
import { GcSchedule, maxAllowedAgeMs } from './gc-schedule.ts';

const WEEK = 7 * 24 * 3600 * 1000;
const HOUR = 3600 * 1000;

// [gc_delay, disk usage, headroom, max allowed age]
const ages: [number, number, number, number][] = [
  [WEEK, 0, 0.1, 0.9 * WEEK], // 544320 s: an idle disk still prunes at 90% of gc_delay, as Mesos
  [WEEK, 0.5, 0.1, 0.4 * WEEK], // 241920 s
  [WEEK, 0.85, 0.1, 0.05 * WEEK],
  [WEEK, 0.9, 0.1, 0], // at 1 - headroom everything goes
  [WEEK, 0.99, 0.1, 0], // clamped at zero
  [WEEK, 0, 0, WEEK],
  [10 * HOUR, 0.25, 0.25, 5 * HOUR],
];

for (const [delay, usage, headroom, expected] of ages) {
  test(`maxAllowedAge(delay ${delay / HOUR} h, usage ${usage}, headroom ${headroom}) = ${expected / HOUR} h`, (t) => {
    t.true(Math.abs(maxAllowedAgeMs(delay, usage, headroom) - expected) < 1e-6);
  });
}

test('due after gc_delay; prunable earlier under disk pressure; oldest first', (t) => {
  const s = new GcSchedule(10 * HOUR);
  s.schedule('/w/slaves/a', 0);
  s.schedule('/w/slaves/b', 4 * HOUR);
  s.schedule('/w/slaves/c', 8 * HOUR);
  t.is(s.nextRemovalTime(), 10 * HOUR);
  t.deepEqual(s.due(9 * HOUR), []);
  t.deepEqual(s.due(10 * HOUR), ['/w/slaves/a']);
  t.deepEqual(s.due(14 * HOUR), ['/w/slaves/a', '/w/slaves/b']);
  // usage 0.5, headroom 0.1: max age 4 h; at 9 h, a (9 h old) and b (5 h old) go, c (1 h old) stays
  t.deepEqual(s.prunable(9 * HOUR, 0.5, 0.1), ['/w/slaves/a', '/w/slaves/b']);
  // usage 0.95: max age 0, everything goes
  t.deepEqual(s.prunable(9 * HOUR, 0.95, 0.1), ['/w/slaves/a', '/w/slaves/b', '/w/slaves/c']);
});

test('schedule again replaces the time; unschedule and take remove', (t) => {
  const s = new GcSchedule(10);
  s.schedule('/d', 0);
  s.schedule('/d', 100);
  t.is(s.size, 1);
  t.is(s.removalTime('/d'), 110);
  t.false(s.unschedule('/other'));
  t.true(s.unschedule('/d'));
  t.is(s.nextRemovalTime(), undefined);
  s.schedule('/x', 0);
  s.schedule('/y', 0);
  t.deepEqual(s.take(['/x', '/nope', '/x']), ['/x']);
  t.deepEqual([s.has('/x'), s.has('/y')], [false, true]);
});

test('property: prunable grows with usage, contains due, and never names an unscheduled directory', (t) => {
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.nat(1000)), { maxLength: 30 }),
    fc.nat(2000), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }),
    fc.double({ min: 0, max: 0.5, noNaN: true }),
    (entries, now, u1, u2, headroom) => {
      const s = new GcSchedule(500);
      for (const [name, at] of entries) s.schedule(`/w/slaves/${name}`, at);
      const [low, high] = u1 <= u2 ? [u1, u2] : [u2, u1];
      const lowSet = new Set(s.prunable(now, low, headroom));
      const highSet = s.prunable(now, high, headroom);
      const due = s.due(now);
      return [...lowSet].every((d) => highSet.includes(d))
        && due.every((d) => lowSet.has(d))
        && highSet.every((d) => s.has(d));
    },
  ));
  t.pass();
});

/** The rules stated plainly: every query walks and sorts everything (what the heap must agree with). */
class NaiveSchedule {
  readonly completed = new Map<string, number>();
  constructor(private readonly delay: number) {}
  olderThan(now: number, maxAge: number): string[] {
    return [...this.completed].filter(([, at]) => now - at >= maxAge)
      .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).map(([d]) => d);
  }
  next(): number | undefined {
    let next: number | undefined;
    for (const at of this.completed.values()) if (next === undefined || at + this.delay < next) next = at + this.delay;
    return next;
  }
}

// Times in a small range, so that many directories share a completion time (the order then goes by name).
test('property: any sequence of schedule, unschedule, take, due and prunable answers as the naive rules do', (t) => {
  const dir = fc.integer({ min: 0, max: 40 }).map((n) => `/w/slaves/d${n}`);
  const op = fc.oneof(
    fc.tuple(fc.constant('schedule' as const), dir, fc.nat(60)),
    fc.tuple(fc.constant('unschedule' as const), dir, fc.constant(0)),
    fc.tuple(fc.constant('take' as const), dir, fc.constant(0)),
    fc.tuple(fc.constant('due' as const), dir, fc.nat(100)),
    fc.tuple(fc.constant('prune' as const), dir, fc.nat(100)),
  );
  fc.assert(fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
    const s = new GcSchedule(20);
    const m = new NaiveSchedule(20);
    for (const [kind, d, n] of ops) {
      if (kind === 'schedule') { s.schedule(d, n); m.completed.set(d, n); }
      if (kind === 'unschedule' && s.unschedule(d) !== m.completed.delete(d)) return false;
      if (kind === 'take') {
        const due = s.due(n + 20);
        const expected = m.olderThan(n + 20, 20);
        if (JSON.stringify(due) !== JSON.stringify(expected)) return false;
        const half = due.filter((_, i) => i % 2 === 0).concat(d);
        const taken = s.take(half);
        const modelTaken = half.filter((x) => m.completed.delete(x));
        if (JSON.stringify(taken) !== JSON.stringify(modelTaken)) return false;
      }
      if (kind === 'due' && JSON.stringify(s.due(n)) !== JSON.stringify(m.olderThan(n, 20))) return false;
      if (kind === 'prune' && JSON.stringify(s.prunable(n, 0.5, 0.1)) !== JSON.stringify(m.olderThan(n, maxAllowedAgeMs(20, 0.5, 0.1)))) return false;
      if (s.nextRemovalTime() !== m.next() || s.size !== m.completed.size) return false;
      for (const x of m.completed.keys()) if (s.removalTime(x) !== m.completed.get(x)! + 20) return false;
    }
    return true;
  }), { numRuns: 1000 });
  t.pass();
});
