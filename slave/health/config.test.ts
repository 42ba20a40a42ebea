import test from 'ava';
import { checkTiming, formatDuration, healthCheckTiming, healthPolicy } from './config.ts';

test('health check defaults are Mesos: delay 15 s, interval 10 s, timeout 20 s, 3 failures, grace 10 s', (t) => {
  const check = { type: 'TCP' as const, tcp: { port: 1 } };
  t.deepEqual(healthCheckTiming(check), { delayMs: 15_000, intervalMs: 10_000, timeoutMs: 20_000 });
  t.deepEqual(healthPolicy(check), { gracePeriodMs: 10_000, consecutiveFailures: 3 });
});

test('check defaults are Mesos: delay 15 s, interval 10 s, timeout 20 s', (t) => {
  t.deepEqual(checkTiming({ type: 'TCP', tcp: { port: 1 } }), { delayMs: 15_000, intervalMs: 10_000, timeoutMs: 20_000 });
});

test('given values win; timeout 0 means none', (t) => {
  const check = { type: 'TCP' as const, tcp: { port: 1 }, delay_seconds: 0, interval_seconds: 0.5, timeout_seconds: 0, grace_period_seconds: 0, consecutive_failures: 0 };
  t.deepEqual(healthCheckTiming(check), { delayMs: 0, intervalMs: 500, timeoutMs: Infinity });
  t.deepEqual(healthPolicy(check), { gracePeriodMs: 0, consecutiveFailures: 0 });
  t.deepEqual(checkTiming(check), { delayMs: 0, intervalMs: 500, timeoutMs: Infinity });
});

const durations: readonly [number, string][] = [
  [20_000, '20secs'],
  [1_500, '1.5secs'],
  [300, '300ms'],
  [0.5, '500us'],
  [0, '0ns'],
  [90_000, '1.5mins'],
  [3_600_000, '1hrs'],
  [2 * 86_400_000, '2days'],
  [14 * 86_400_000, '2weeks'],
];
for (const [ms, text] of durations) {
  test(`formatDuration ${ms} ms = ${text}`, (t) => {
    t.is(formatDuration(ms), text);
  });
}
