import test from 'ava';
import fc from 'fast-check';
import { type Cron, isTick, isTimeZone, nextTick, parseCron, ticksBetween } from './cron.ts';

const ms = (iso: string): number => Date.parse(iso);
const iso = (t: number | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());

function cron(expr: string): Cron {
  const p = parseCron(expr);
  if (!p.ok) throw new Error(p.message);
  return p.cron;
}

// expression, zone, after, the next ticks (UTC instants)
const NEXT: readonly [string, string, string, readonly string[]][] = [
  ['* * * * *', 'UTC', '2026-01-01T00:00:00.000Z', ['2026-01-01T00:01:00.000Z', '2026-01-01T00:02:00.000Z']],
  // strictly after: a tick at `after` itself is not returned
  ['0 * * * *', 'UTC', '2026-01-01T10:00:00.000Z', ['2026-01-01T11:00:00.000Z']],
  ['0 * * * *', 'UTC', '2026-01-01T09:59:59.999Z', ['2026-01-01T10:00:00.000Z']],
  ['*/15 9-10 * * *', 'UTC', '2026-01-01T10:50:00.000Z', ['2026-01-02T09:00:00.000Z', '2026-01-02T09:15:00.000Z']],
  ['0 12 * * MON-FRI', 'UTC', '2026-01-02T13:00:00.000Z', ['2026-01-05T12:00:00.000Z', '2026-01-06T12:00:00.000Z']], // Fri -> Mon
  ['0 0 1,15 * *', 'UTC', '2026-01-01T00:00:00.000Z', ['2026-01-15T00:00:00.000Z', '2026-02-01T00:00:00.000Z']],
  // both day fields restricted: the 13th OR a Friday (2026-02-06 is a Friday, 2026-02-13 both)
  ['0 0 13 * 5', 'UTC', '2026-02-01T00:00:00.000Z', ['2026-02-06T00:00:00.000Z', '2026-02-13T00:00:00.000Z', '2026-02-20T00:00:00.000Z']],
  // day-of-month restricted, day-of-week `*`: AND, so only the 13th
  ['0 0 13 * *', 'UTC', '2026-02-01T00:00:00.000Z', ['2026-02-13T00:00:00.000Z', '2026-03-13T00:00:00.000Z']],
  // a `*/n` day field counts as unrestricted (cron's rule): the 1st,3rd,.. that are also Sundays
  ['0 0 */2 * SUN', 'UTC', '2026-03-01T00:00:00.000Z', ['2026-03-15T00:00:00.000Z', '2026-03-29T00:00:00.000Z']],
  ['0 0 29 2 *', 'UTC', '2026-01-01T00:00:00.000Z', ['2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z']],
  ['0 0 * * 7', 'UTC', '2026-01-01T00:00:00.000Z', ['2026-01-04T00:00:00.000Z']], // 7 = Sunday
  ['0 0 1 jan,Jul *', 'UTC', '2026-02-01T00:00:00.000Z', ['2026-07-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']],
  ['@hourly', 'UTC', '2026-01-01T00:30:00.000Z', ['2026-01-01T01:00:00.000Z']],
  ['@daily', 'UTC', '2026-01-01T00:30:00.000Z', ['2026-01-02T00:00:00.000Z']],
  ['@weekly', 'UTC', '2026-01-01T00:00:00.000Z', ['2026-01-04T00:00:00.000Z']],
  ['@monthly', 'UTC', '2026-01-15T00:00:00.000Z', ['2026-02-01T00:00:00.000Z']],
  ['@yearly', 'UTC', '2026-01-15T00:00:00.000Z', ['2027-01-01T00:00:00.000Z']],
  ['30 5/20 * * *', 'UTC', '2026-01-01T06:00:00.000Z', ['2026-01-02T05:30:00.000Z']], // hours 5 only (25 > 23)
  // six fields: seconds first
  ['*/10 * * * * *', 'UTC', '2026-01-01T00:00:00.500Z', ['2026-01-01T00:00:10.000Z', '2026-01-01T00:00:20.000Z']],
  ['5 0 0 * * *', 'UTC', '2026-01-01T00:00:05.000Z', ['2026-01-02T00:00:05.000Z']],
  // zones without DST: Tokyo is UTC+9
  ['0 9 * * *', 'Asia/Tokyo', '2026-01-01T00:00:00.000Z', ['2026-01-02T00:00:00.000Z']],
  ['0 0 * * *', 'America/Chicago', '2026-01-01T00:00:00.000Z', ['2026-01-01T06:00:00.000Z']], // CST = UTC-6
  // Europe/Berlin, spring forward 2026-03-29 02:00 CET -> 03:00 CEST: 02:30 does not exist that day
  ['30 2 * * *', 'Europe/Berlin', '2026-03-28T12:00:00.000Z', ['2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']],
  ['0 * * * *', 'Europe/Berlin', '2026-03-29T00:30:00.000Z', ['2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z']], // 03:00 CEST, 04:00 CEST
  ['30 3 * * *', 'Europe/Berlin', '2026-03-28T12:00:00.000Z', ['2026-03-29T01:30:00.000Z', '2026-03-30T01:30:00.000Z']],
  // Europe/Berlin, fall back 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 happens twice, fires once (CEST)
  ['30 2 * * *', 'Europe/Berlin', '2026-10-24T12:00:00.000Z', ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']],
  ['30 2 * * *', 'Europe/Berlin', '2026-10-25T00:30:00.000Z', ['2026-10-26T01:30:00.000Z']],
  ['0,30 * * * *', 'Europe/Berlin', '2026-10-25T00:00:00.000Z',
    ['2026-10-25T00:30:00.000Z', '2026-10-25T02:00:00.000Z', '2026-10-25T02:30:00.000Z']], // 02:30 CEST, 03:00 CET, 03:30 CET
  // from inside the second 02:xx hour: its wall times already fired in the first
  ['*/20 * * * *', 'Europe/Berlin', '2026-10-25T01:10:00.000Z', ['2026-10-25T02:00:00.000Z']],
  // America/New_York springs forward 2026-03-08 02:00 EST -> 03:00 EDT
  ['30 2 * * *', 'America/New_York', '2026-03-07T12:00:00.000Z', ['2026-03-09T06:30:00.000Z']],
];

for (const [expr, tz, after, expected] of NEXT) {
  test(`nextTick ${expr} in ${tz} after ${after}`, (t) => {
    const c = cron(expr);
    const got: (string | undefined)[] = [];
    let a = ms(after);
    for (let i = 0; i < expected.length; i++) {
      const n = nextTick(c, tz, a);
      got.push(iso(n));
      if (n === undefined) break;
      a = n;
    }
    t.deepEqual(got, [...expected]);
  });
}

test('ticksBetween: (from, to], in order, capped by max', (t) => {
  const c = cron('0 * * * *');
  const from = ms('2026-01-01T00:00:00.000Z');
  t.deepEqual(ticksBetween(c, 'UTC', from, ms('2026-01-01T03:00:00.000Z')).map(iso), [
    '2026-01-01T01:00:00.000Z', '2026-01-01T02:00:00.000Z', '2026-01-01T03:00:00.000Z',
  ]);
  t.is(ticksBetween(c, 'UTC', from, ms('2026-01-02T00:00:00.000Z'), 5).length, 5);
  t.deepEqual(ticksBetween(c, 'UTC', from, from + 59 * 60_000), []);
  // the Berlin fall-back day (00:00 local = 22:00Z) has 25 hours and 24 hourly ticks (the repeated 02:00 fires once)
  t.is(ticksBetween(c, 'Europe/Berlin', ms('2026-10-24T22:00:00.000Z') - 1, ms('2026-10-25T22:59:00.000Z')).length, 24);
  // the spring-forward day has 23 hours and 23 hourly ticks
  t.is(ticksBetween(c, 'Europe/Berlin', ms('2026-03-28T23:00:00.000Z') - 1, ms('2026-03-29T21:59:00.000Z')).length, 23);
});

test('nextTick: no tick after a non-finite instant', (t) => {
  t.is(nextTick(cron('* * * * *'), 'UTC', Number.NaN), undefined);
  t.is(nextTick(cron('* * * * *'), 'UTC', Number.POSITIVE_INFINITY), undefined);
});

// expression -> why it is rejected (a fragment of the message)
const BAD: readonly [string, string][] = [
  ['', 'must have 5 fields'],
  ['* * * *', 'has 4'],
  ['* * * * * * *', 'has 7'],
  ['60 * * * *', 'minute value 60 is out of range 0-59'],
  ['* 24 * * *', 'hour value 24'],
  ['* * 0 * *', 'day-of-month value 0'],
  ['* * 32 * *', 'day-of-month value 32'],
  ['* * * 13 *', 'month value 13'],
  ['* * * * 8', 'day-of-week value 8'],
  ['60 * * * * *', 'second value 60'],
  ['5-1 * * * *', 'runs backwards'],
  ['*/0 * * * *', "bad step '0'"],
  ['*/x * * * *', "bad step 'x'"],
  ['1-2-3 * * * *', 'bad range'],
  ['1,,2 * * * *', 'empty list item'],
  ['a * * * *', "bad minute value 'a'"],
  ['* * * FOO *', "bad month value 'FOO'"],
  ['? * * * *', "bad minute value '?'"],
  ['0 0 30 2 *', 'never occurs'],
  ['0 0 31 4,6,9,11 *', 'never occurs'],
  ['@reboot', "unknown cron macro '@reboot'"],
  ['-1 * * * *', 'bad minute value'],
];

for (const [expr, fragment] of BAD) {
  test(`parseCron rejects '${expr}'`, (t) => {
    const p = parseCron(expr);
    t.false(p.ok);
    if (!p.ok) t.true(p.message.includes(fragment), p.message);
  });
}

test('parseCron: sets, names, 7 = Sunday, seconds default to 0', (t) => {
  const c = cron('0-10/5,30 */6 ? * sun,7,MON');
  t.deepEqual([...c.seconds], [0]);
  t.deepEqual([...c.minutes], [0, 5, 10, 30]);
  t.deepEqual([...c.hours], [0, 6, 12, 18]);
  t.deepEqual([...c.daysOfWeek].sort(), [0, 1]);
  t.false(c.domRestricted);
  t.true(c.dowRestricted);
  t.is(c.source, '0-10/5,30 */6 ? * sun,7,MON');
  // 31st in a set with long months is fine
  t.true(parseCron('0 0 31 4,5 *').ok);
  // OR semantics: a restricted weekday can fire even when the day-of-month cannot
  t.true(parseCron('0 0 30 2 MON').ok);
});

test('isTimeZone: IANA names yes, offsets and junk no', (t) => {
  for (const tz of ['UTC', 'Europe/Berlin', 'America/Chicago', 'Asia/Kolkata']) t.true(isTimeZone(tz), tz);
  for (const tz of ['', 'Mars/Olympus', '+01:00', '-05:00', 'Europe/Berlinx', 42, undefined]) t.false(isTimeZone(tz), String(tz));
});

// --- properties -------------------------------------------------------------------------------

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata'];
const EXPRS = [
  '* * * * *', '*/7 * * * *', '0 * * * *', '30 2 * * *', '0,30 1-3 * * *', '15 */5 1,15 * MON',
  '0 0 13 * 5', '*/20 * * * * *', '45 59 2 * * *', '@daily',
];
// windows around DST changes and plain days (2026: Berlin Mar 29 / Oct 25, New York Mar 8 / Nov 1)
const START = ms('2026-01-01T00:00:00.000Z');
const END = ms('2027-01-01T00:00:00.000Z');
const arbAfter = fc.oneof(
  fc.integer({ min: START, max: END }),
  fc.constantFrom('2026-03-29T00:00:00Z', '2026-10-25T00:00:00Z', '2026-03-08T06:00:00Z', '2026-11-01T05:00:00Z', '2026-04-05T15:00:00Z')
    .chain((d) => fc.integer({ min: ms(d) - 3 * 3_600_000, max: ms(d) + 3 * 3_600_000 })),
);

test('property: nextTick is after `after`, is a tick, and ticks are strictly increasing', (t) => {
  fc.assert(fc.property(fc.constantFrom(...EXPRS), fc.constantFrom(...ZONES), arbAfter, (expr, tz, after) => {
    const c = cron(expr);
    const n1 = nextTick(c, tz, after);
    if (n1 === undefined) return false;
    const n2 = nextTick(c, tz, n1);
    if (n2 === undefined) return false;
    return n1 > after && isTick(c, tz, n1) && n2 > n1 && isTick(c, tz, n2);
  }), { numRuns: 300 });
  t.pass();
});

test('property: nextTick skips no tick (brute force over whole minutes) and is the same from any point before it', (t) => {
  const minuteExprs = EXPRS.filter((e) => e.split(' ').length === 5);
  fc.assert(fc.property(fc.constantFrom(...minuteExprs), fc.constantFrom(...ZONES), arbAfter, (expr, tz, after) => {
    const c = cron(expr);
    const n = nextTick(c, tz, after);
    if (n === undefined) return false;
    // every whole minute in (after, n) is no tick, looking at most 3 hours ahead
    const firstMinute = Math.floor(after / 60_000) * 60_000 + 60_000;
    for (let m = firstMinute; m < Math.min(n, after + 3 * 3_600_000); m += 60_000) {
      if (isTick(c, tz, m)) return false;
    }
    const mid = after + Math.floor((n - after) / 2);
    return nextTick(c, tz, mid) === n && nextTick(c, tz, n - 1) === n;
  }), { numRuns: 150 });
  t.pass();
});

test('property: ticksBetween equals repeated nextTick, and nextTick is monotonic in `after`', (t) => {
  fc.assert(fc.property(fc.constantFrom(...EXPRS), fc.constantFrom(...ZONES), arbAfter, fc.integer({ min: 0, max: 6 * 3_600_000 }),
    (expr, tz, a, gap) => {
      const c = cron(expr);
      const b = a + gap;
      const na = nextTick(c, tz, a);
      const nb = nextTick(c, tz, b);
      if (na === undefined || nb === undefined || na > nb) return false;
      const ticks = ticksBetween(c, tz, a, b, 500);
      if (ticks.length === 500) return true;
      let x = a;
      for (const tick of ticks) {
        if (nextTick(c, tz, x) !== tick) return false;
        x = tick;
      }
      const after = nextTick(c, tz, x);
      return after !== undefined && after > b;
    }), { numRuns: 150 });
  t.pass();
});
