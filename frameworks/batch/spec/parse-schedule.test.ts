import test from 'ava';
import { parseSchedule, SCHEDULE_ID_PATTERN } from './parse-schedule.ts';

test('defaults: UTC, 900 s, ALLOW, enabled', (t) => {
  t.deepEqual(parseSchedule({ id: 'everyminute', cron: '* * * * *' }), {
    ok: true,
    value: { id: 'everyminute', cron: '* * * * *', timezone: 'UTC', startingDeadlineSeconds: 900, concurrencyPolicy: 'ALLOW', enabled: true },
  });
});

test('Metronome\'s published schedule example is read as given; nextRunAt and unknown fields are ignored', (t) => {
  const json = {
    id: 'everyminute', cron: '* * * * *', concurrencyPolicy: 'ALLOW', enabled: true, startingDeadlineSeconds: 60,
    timezone: 'America/Chicago', nextRunAt: '2016-07-15T13:03:00.000+0000',
  };
  t.deepEqual(parseSchedule(json), {
    ok: true,
    value: { id: 'everyminute', cron: '* * * * *', timezone: 'America/Chicago', startingDeadlineSeconds: 60, concurrencyPolicy: 'ALLOW', enabled: true },
  });
  const forbid = parseSchedule({ id: 'sec', cron: ' */5 * * * * * ', concurrencyPolicy: 'FORBID', enabled: false });
  t.true(forbid.ok);
  if (forbid.ok) {
    t.is(forbid.value.cron, '*/5 * * * * *');
    t.is(forbid.value.concurrencyPolicy, 'FORBID');
    t.false(forbid.value.enabled);
  }
});

const ID = `must fully match regular expression '${SCHEDULE_ID_PATTERN}'`;
const base = { id: 'nightly', cron: '0 2 * * *' };
// input -> 422 details
const INVALID: readonly [string, unknown, readonly { path: string; errors: readonly string[] }[]][] = [
  ['not an object', 'x', [{ path: '/', errors: ['error.expected.jsobject'] }]],
  ['no id, no cron', {}, [{ path: '/id', errors: ['error.path.missing'] }, { path: '/cron', errors: ['error.path.missing'] }]],
  ['id with upper case', { ...base, id: 'Nightly' }, [{ path: '/id', errors: [ID] }]],
  ['id of one character (Metronome needs two)', { ...base, id: 'a' }, [{ path: '/id', errors: [ID] }]],
  ['id ending with a dash', { ...base, id: 'ab-' }, [{ path: '/id', errors: [ID] }]],
  ['bad cron', { ...base, cron: '61 * * * *' },
    [{ path: '/cron', errors: ["Can not read cron expression: cron expression '61 * * * *': minute value 61 is out of range 0-59"] }]],
  ['cron not a string', { ...base, cron: 5 }, [{ path: '/cron', errors: ['error.expected.jsstring'] }]],
  ['unknown time zone', { ...base, timezone: 'Mars/Olympus' }, [{ path: '/timezone', errors: ['No time zone found with this id: Mars/Olympus'] }]],
  ['offset as time zone', { ...base, timezone: '+01:00' }, [{ path: '/timezone', errors: ['No time zone found with this id: +01:00'] }]],
  ['startingDeadlineSeconds 0', { ...base, startingDeadlineSeconds: 0 }, [{ path: '/startingDeadlineSeconds', errors: ['must be at least 1'] }]],
  ['startingDeadlineSeconds 1.5', { ...base, startingDeadlineSeconds: 1.5 }, [{ path: '/startingDeadlineSeconds', errors: ['error.expected.int'] }]],
  ['concurrencyPolicy REPLACE', { ...base, concurrencyPolicy: 'REPLACE' },
    [{ path: '/concurrencyPolicy', errors: ["'REPLACE' is not a valid concurrency policy. Allowed values: ALLOW, FORBID"] }]],
  ['enabled a string', { ...base, enabled: 'yes' }, [{ path: '/enabled', errors: ['error.expected.jsboolean'] }]],
];

for (const [name, input, details] of INVALID) {
  test(`422: ${name}`, (t) => {
    const p = parseSchedule(input);
    t.false(p.ok);
    if (!p.ok) t.deepEqual(p.details, details);
  });
}
