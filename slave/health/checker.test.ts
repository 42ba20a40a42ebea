import test from 'ava';
import type { mesos } from '../../proto/types.generated.ts';
import { runCheck } from './checker.ts';
import { CONNECTED, exited, ManualTime, REFUSED, response, scriptedProbe, settle, type ScriptStep } from './test-fixtures.ts';

async function simulate(check: mesos.v1.CheckInfo, steps: readonly ScriptStep[], seconds: number) {
  const time = new ManualTime();
  const start = time.now();
  const statuses: [number, mesos.v1.CheckStatusInfo][] = [];
  const script = scriptedProbe(steps);
  const handle = runCheck(check, script.probe, { clock: time, timers: time, onCheckStatus: (s) => statuses.push([(time.now() - start) / 1000, s]) });
  for (let s = 0; s < seconds * 10; s++) {
    time.advance(100);
    await settle();
  }
  handle.stop();
  return { statuses, runs: script.runs(), last: handle.status() };
}

test('check, defaults: nothing at the start (the empty status is the agent\'s to send), the exit code at 15 s, then only changes', async (t) => {
  const check: mesos.v1.CheckInfo = { type: 'COMMAND', command: { command: { value: 'x' } } };
  const r = await simulate(check, [exited(0), exited(0), exited(3)], 40);
  t.deepEqual(r.statuses, [
    [15, { type: 'COMMAND', command: { exit_code: 0 } }],
    [35, { type: 'COMMAND', command: { exit_code: 3 } }], // 25 s gave 0 again: no news
  ]);
  t.is(r.runs, 3);
});

test('check: HTTP reports any status code, and the empty status when the request fails', async (t) => {
  const check: mesos.v1.CheckInfo = { type: 'HTTP', http: { port: 80 }, delay_seconds: 0, interval_seconds: 1 };
  const r = await simulate(check, [response(200), response(500), REFUSED, REFUSED, response(500)], 4.5);
  t.deepEqual(r.statuses, [
    [0.1, { type: 'HTTP', http: { status_code: 200 } }],
    [1.1, { type: 'HTTP', http: { status_code: 500 } }],
    [2.1, { type: 'HTTP', http: {} }],
    [4.1, { type: 'HTTP', http: { status_code: 500 } }],
  ]);
});

test('check: TCP reports succeeded true or false', async (t) => {
  const check: mesos.v1.CheckInfo = { type: 'TCP', tcp: { port: 80 }, delay_seconds: 0, interval_seconds: 1 };
  const r = await simulate(check, [REFUSED, CONNECTED, CONNECTED], 2.5);
  t.deepEqual(
    r.statuses.map(([, s]) => s.tcp?.succeeded),
    [false, true],
  );
  t.deepEqual(r.last, { type: 'TCP', tcp: { succeeded: true } });
});

test('check: a timed-out or killed command reports the empty status', async (t) => {
  const check: mesos.v1.CheckInfo = { type: 'COMMAND', command: { command: { value: 'x' } }, delay_seconds: 0, interval_seconds: 1, timeout_seconds: 1 };
  const r = await simulate(check, [exited(0), 'hang', exited(0), { kind: 'signaled', signal: 'SIGKILL' }], 5);
  // 0.1 exit 0; 1.1 hangs, timed out at 2.1 (empty); 3.1 exit 0; 4.1 signaled (empty)
  t.deepEqual(r.statuses, [
    [0.1, { type: 'COMMAND', command: { exit_code: 0 } }],
    [2.1, { type: 'COMMAND', command: {} }],
    [3.1, { type: 'COMMAND', command: { exit_code: 0 } }],
    [4.1, { type: 'COMMAND', command: {} }],
  ]);
});

test('check: a probe that cannot complete before any result is no news (the empty status is where it started)', async (t) => {
  const check: mesos.v1.CheckInfo = { type: 'HTTP', http: { port: 80 }, delay_seconds: 0, interval_seconds: 1 };
  const r = await simulate(check, [REFUSED, REFUSED, response(200)], 2.5);
  t.deepEqual(r.statuses, [[2.1, { type: 'HTTP', http: { status_code: 200 } }]]);
});
