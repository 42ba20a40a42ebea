import test from 'ava';
import type { mesos } from '../../proto/types.generated.ts';
import { runHealthCheck } from './health-checker.ts';
import { CONNECTED, exited, ManualTime, REFUSED, response, scriptedProbe, settle, type ScriptStep } from './test-fixtures.ts';

/** Runs a health check on a manual clock for `seconds`, recording callbacks as '<t>s healthy|unhealthy|kill: message'. */
async function simulate(check: mesos.v1.HealthCheck, steps: readonly ScriptStep[], seconds: number) {
  const time = new ManualTime();
  const start = time.now();
  const events: string[] = [];
  const at = () => `${(time.now() - start) / 1000}s`;
  const script = scriptedProbe(steps);
  const handle = runHealthCheck(check, script.probe, {
    clock: time,
    timers: time,
    onHealthChange: (healthy, message) => events.push(`${at()} ${healthy ? 'healthy' : 'unhealthy'}: ${message}`),
    onUnhealthy: (message) => events.push(`${at()} kill: ${message}`),
  });
  for (let s = 0; s < seconds * 10; s++) {
    time.advance(100);
    await settle();
  }
  handle.stop();
  return { events, runs: script.runs(), aborts: script.aborts(), state: handle.state() };
}

const cmd: mesos.v1.HealthCheck = { type: 'COMMAND', command: { value: 'check' } };
const FAIL_1 = 'COMMAND health check failed: Command returned exited with status 1';

test('health checker, defaults: first probe at 15 s (the delay), healthy', async (t) => {
  const r = await simulate(cmd, [exited(0)], 40);
  t.deepEqual(r.events, ['15s healthy: COMMAND health check passed']);
  t.is(r.runs, 3); // 15, 25, 35
});

test('health checker, defaults: three failures kill at 35 s (the 10 s grace is over by the first probe)', async (t) => {
  const r = await simulate(cmd, [exited(1)], 50);
  t.deepEqual(r.events, [`15s unhealthy: ${FAIL_1}`, `35s kill: ${FAIL_1}`]);
  t.is(r.state.consecutiveFailures, 4); // 15, 25, 35, 45: probing goes on until stopped
});

test('health checker: failures in a long grace period are ignored until the grace ends', async (t) => {
  // delay 1 s, interval 2 s, grace 6 s: probes at 1, 3, 5 (ignored), 7, 9, 11 (counted)
  const check: mesos.v1.HealthCheck = { ...cmd, delay_seconds: 1, interval_seconds: 2, grace_period_seconds: 6 };
  const r = await simulate(check, [exited(1)], 12);
  t.deepEqual(r.events, [`7s unhealthy: ${FAIL_1}`, `11s kill: ${FAIL_1}`]);
});

test('health checker: a success during the grace period ends it; later failures count at once', async (t) => {
  const check: mesos.v1.HealthCheck = { ...cmd, delay_seconds: 0, interval_seconds: 1, grace_period_seconds: 100, consecutive_failures: 2 };
  // probes at 0.1 (fail, ignored), 1.1 (ok), 2.1 (fail), 3.1 (fail: kill)
  const r = await simulate(check, [exited(1), exited(0), exited(1)], 3.5);
  t.deepEqual(r.events, ['1.1s healthy: COMMAND health check passed', `2.1s unhealthy: ${FAIL_1}`, `3.1s kill: ${FAIL_1}`]);
});

test('health checker: flapping reports every change and never kills', async (t) => {
  const check: mesos.v1.HealthCheck = { type: 'HTTP', http: { port: 80 }, delay_seconds: 0, interval_seconds: 1, grace_period_seconds: 0 };
  const steps = [response(200), response(500), response(500), response(204), response(302), response(503)];
  const r = await simulate(check, steps, 5.5);
  t.deepEqual(r.events, [
    '0.1s healthy: HTTP health check passed',
    '1.1s unhealthy: HTTP health check failed: Unexpected HTTP response code: 500 Internal Server Error',
    '3.1s healthy: HTTP health check passed',
    '5.1s unhealthy: HTTP health check failed: Unexpected HTTP response code: 503 Service Unavailable',
  ]);
});

test('health checker: a hanging probe times out, is aborted, and counts as a failure', async (t) => {
  // delay 0, timeout 2 s, interval 1 s: probe at 0 aborted at 2 (the timeout fires on the clock, no
  // result to wait for); next at 3 aborted at 5; the one started at 6 is stopped
  const check: mesos.v1.HealthCheck = { type: 'TCP', tcp: { port: 9 }, delay_seconds: 0, interval_seconds: 1, timeout_seconds: 2, grace_period_seconds: 0, consecutive_failures: 2 };
  const r = await simulate(check, ['hang'], 6);
  const why = 'TCP health check failed: TCP connection has not returned after 2secs; aborting';
  t.deepEqual(r.events, [`2s unhealthy: ${why}`, `5s kill: ${why}`]);
  t.is(r.aborts, 3);
});

test('health checker: TCP refused then listening', async (t) => {
  const check: mesos.v1.HealthCheck = { type: 'TCP', tcp: { port: 9 }, delay_seconds: 0, interval_seconds: 1, grace_period_seconds: 0 };
  const r = await simulate(check, [REFUSED, CONNECTED], 2);
  t.deepEqual(r.events, ['0.1s unhealthy: TCP health check failed: connect ECONNREFUSED', '1.1s healthy: TCP health check passed']);
});

test('health checker: nothing is reported after stop()', async (t) => {
  const time = new ManualTime();
  const events: string[] = [];
  const handle = runHealthCheck({ ...cmd, delay_seconds: 1 }, scriptedProbe([exited(0)]).probe, {
    clock: time,
    timers: time,
    onHealthChange: () => events.push('change'),
    onUnhealthy: () => events.push('kill'),
  });
  handle.stop();
  time.advance(60_000);
  await settle();
  t.deepEqual(events, []);
  t.is(handle.state().phase, 'delay');
});

test('health checker: stop() from inside onUnhealthy (the agent kills the task) ends probing at once', async (t) => {
  const time = new ManualTime();
  const script = scriptedProbe([exited(1)]);
  const kills: string[] = [];
  const handle = runHealthCheck({ ...cmd, delay_seconds: 0, interval_seconds: 1, grace_period_seconds: 0, consecutive_failures: 1 }, script.probe, {
    clock: time,
    timers: time,
    onHealthChange: () => {},
    onUnhealthy: (message) => {
      kills.push(message);
      handle.stop();
    },
  });
  for (let i = 0; i < 50; i++) {
    time.advance(100);
    await settle();
  }
  t.deepEqual(kills, [FAIL_1]);
  t.is(script.runs(), 1);
});
