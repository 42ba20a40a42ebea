import test from 'ava';
import type { JobRun, RunTask } from '../model.ts';
import { abortDeadline, dueAt, hasStarted, isLaunchLost, launchDeadline, launchDeadlineReason, retryDelayMs, shouldRetry, stepOf } from './run-state.ts';
import { runId, taskId } from './run-ids.ts';

const T0 = Date.parse('2026-11-22T10:00:00.000Z');
const run = (over: Partial<JobRun> = {}, restart: JobRun['spec']['run']['restart'] = { policy: 'NEVER' }): JobRun => ({
  id: 'r1', jobId: 'j', status: 'STARTING', createdAt: new Date(T0).toISOString(), attempt: 1, tasks: [],
  spec: {
    id: 'j', labels: {},
    run: { cmd: 'true', cpus: 1, mem: 128, disk: 0, gpus: 0, env: {}, placement: { constraints: [] }, artifacts: [], volumes: [], maxLaunchDelay: 3600, restart, secrets: {} },
  },
  ...over,
});
const task = (id: string, status?: string): RunTask => ({ id, index: 0, ...(status === undefined ? {} : { status }) });

test('stepOf: what the tasks say about the run (table)', (t) => {
  const cases: [string, RunTask[], ReturnType<typeof stepOf>][] = [
    ['staging', [task('a', 'TASK_STAGING')], { kind: 'progress', status: 'STARTING' }],
    ['one of two running', [task('a', 'TASK_RUNNING'), task('b', 'TASK_STAGING')], { kind: 'progress', status: 'STARTING' }],
    ['all running', [task('a', 'TASK_RUNNING'), task('b', 'TASK_RUNNING')], { kind: 'progress', status: 'ACTIVE' }],
    ['one finished, one running', [task('a', 'TASK_FINISHED'), task('b', 'TASK_RUNNING')], { kind: 'progress', status: 'ACTIVE' }],
    ['all finished', [task('a', 'TASK_FINISHED'), task('b', 'TASK_FINISHED')], { kind: 'success' }],
    ['one failed, one running: kill the rest', [task('a', 'TASK_FAILED'), task('b', 'TASK_RUNNING')], { kind: 'kill-rest', taskIds: ['b'] }],
    ['failed and killed: attempt over', [task('a', 'TASK_FAILED'), task('b', 'TASK_KILLED')], { kind: 'attempt-failed', reason: 'task a ended TASK_FAILED' }],
    ['lost', [task('a', 'TASK_LOST')], { kind: 'attempt-failed', reason: 'task a ended TASK_LOST' }],
    ['unknown to the master (agent not re-registered): not over', [task('a', 'TASK_UNKNOWN')], { kind: 'progress', status: 'STARTING' }],
    ['unreachable: not over', [task('a', 'TASK_UNREACHABLE'), task('b', 'TASK_RUNNING')], { kind: 'progress', status: 'STARTING' }],
  ];
  for (const [name, tasks, want] of cases) t.deepEqual(stepOf(run(), tasks), want, name);
});

test('shouldRetry: ON_FAILURE within the active deadline, never when stopped or NEVER', (t) => {
  t.false(shouldRetry(run(), T0 + 1000, false), 'NEVER');
  t.true(shouldRetry(run({}, { policy: 'ON_FAILURE' }), T0 + 10_000_000, false), 'no deadline');
  t.true(shouldRetry(run({}, { policy: 'ON_FAILURE', activeDeadlineSeconds: 10 }), T0 + 9_999, false), 'before the deadline');
  t.false(shouldRetry(run({}, { policy: 'ON_FAILURE', activeDeadlineSeconds: 10 }), T0 + 10_000, false), 'at the deadline');
  t.false(shouldRetry(run({}, { policy: 'ON_FAILURE' }), T0 + 1000, true), 'stopped');
});

test('retryDelayMs: 1 s, then ×1.15 per attempt, capped at maxLaunchDelay', (t) => {
  t.is(retryDelayMs(run(), 2), 1000); // 1.15^0
  t.is(retryDelayMs(run(), 3), 1150); // 1.15^1
  t.is(retryDelayMs(run(), 4), 1322); // 1.15^2 = 1.3224999... (binary floating point)
  const capped = run();
  t.is(retryDelayMs({ ...capped, spec: { ...capped.spec, run: { ...capped.spec.run, maxLaunchDelay: 2 } } }, 40), 2000);
});

test('run ids are Metronome\'s (UTC time and five letters or digits); task ids name job, run, attempt and index', (t) => {
  let n = 0;
  const id = runId(Date.parse('2026-11-22T13:45:01.999Z'), () => [0, 0.5, 0.99, 0.1, 0.7][n++ % 5]);
  t.regex(id, /^20261122134501[a-zA-Z0-9]{5}$/);
  t.is(id, '20261122134501aF9gR');
  t.is(taskId('etl.daily', id, 2, 1), `etl.daily_${id}.2.1`);
});

test('isLaunchLost: only an update about a task never heard of that proves it never started (table)', (t) => {
  const cases: [string, RunTask | undefined, string, string | undefined, boolean][] = [
    ['offer gone at ACCEPT', task('a'), 'TASK_DROPPED', 'REASON_INVALID_OFFERS', true],
    ['reconciled: agent registered, task unknown', task('a'), 'TASK_GONE', 'REASON_RECONCILIATION', true],
    ['reconciled: agent unknown (maybe not re-registered)', task('a'), 'TASK_UNKNOWN', 'REASON_RECONCILIATION', false],
    ['gone, not from reconciliation', task('a'), 'TASK_GONE', 'REASON_AGENT_REMOVED', false],
    ['it ran before', task('a', 'TASK_RUNNING'), 'TASK_GONE', 'REASON_RECONCILIATION', false],
    ['unknown before, gone now', task('a', 'TASK_UNKNOWN'), 'TASK_GONE', 'REASON_RECONCILIATION', true],
    ['failed', task('a'), 'TASK_FAILED', undefined, false],
    ['not a task of the run', undefined, 'TASK_DROPPED', undefined, false],
  ];
  for (const [name, tk, state, reason, want] of cases) t.is(isLaunchLost(tk, state, reason), want, name);
});

test('launchDeadline: maxLaunchDelay after the run became due (its creation, or the end of a retry\'s backoff) (table)', (t) => {
  const delay = (seconds: number): JobRun['spec'] => ({ ...run().spec, run: { ...run().spec.run, maxLaunchDelay: seconds } });
  const iso = (ms: number) => new Date(ms).toISOString();
  const cases: [string, JobRun, due: number, deadline: number][] = [
    ['new run', run({ status: 'INITIAL', spec: delay(60) }), T0, T0 + 60_000],
    ['retry due 90 s after creation', run({ status: 'INITIAL', attempt: 2, notBefore: iso(T0 + 90_000), spec: delay(60) }), T0 + 90_000, T0 + 150_000],
    ['default 3600 s', run({ status: 'INITIAL' }), T0, T0 + 3_600_000],
  ];
  for (const [name, r, due, deadline] of cases) {
    t.is(dueAt(r), due, name);
    t.is(launchDeadline(r), deadline, name);
  }
  t.is(launchDeadlineReason(run({ spec: delay(60) })), 'not started within maxLaunchDelay (60 s)');
});

test('abortDeadline: the earlier of maxLaunchDelay (pending) and startingDeadlineSeconds (scheduled, not running) wins (table)', (t) => {
  const tick = new Date(T0 - 5_000).toISOString(); // the tick 5 s before the run was created (a late check)
  const sched = { scheduleId: 's', scheduledAt: tick };
  const cases: [string, Partial<JobRun>, { at: number; kind: string } | undefined][] = [
    ['on demand, pending: maxLaunchDelay', { status: 'INITIAL' }, { at: T0 + 3_600_000, kind: 'maxLaunchDelay' }],
    ['on demand, launched: none', { status: 'STARTING' }, undefined],
    ['scheduled, pending, 900 s < 3600 s: from the tick', { ...sched, status: 'INITIAL', startingDeadlineSeconds: 900 }, { at: T0 - 5_000 + 900_000, kind: 'startingDeadlineSeconds' }],
    ['scheduled, launched: the starting deadline still binds', { ...sched, status: 'STARTING', startingDeadlineSeconds: 900 }, { at: T0 - 5_000 + 900_000, kind: 'startingDeadlineSeconds' }],
    ['scheduled, pending, maxLaunchDelay earlier', { ...sched, status: 'INITIAL', startingDeadlineSeconds: 7200 }, { at: T0 + 3_600_000, kind: 'maxLaunchDelay' }],
    ['scheduled, ran once (deadline dropped), retry pending: maxLaunchDelay', { ...sched, status: 'INITIAL' }, { at: T0 + 3_600_000, kind: 'maxLaunchDelay' }],
    ['scheduled, ACTIVE: none', { ...sched, status: 'ACTIVE', startingDeadlineSeconds: 900 }, undefined],
    ['scheduled, FAILED: none', { ...sched, status: 'FAILED', startingDeadlineSeconds: 900 }, undefined],
  ];
  for (const [name, over, want] of cases) {
    const d = abortDeadline(run(over));
    t.deepEqual(d === undefined ? undefined : { at: d.at, kind: d.kind }, want, name);
  }
  t.is(abortDeadline(run({ ...sched, status: 'INITIAL', startingDeadlineSeconds: 900 }))?.reason,
    `not started within startingDeadlineSeconds (900 s) of its scheduled time ${tick}`);
});

test('hasStarted: every task reported STAGING, STARTING or RUNNING (or FINISHED), as Metronome meets the starting deadline (table)', (t) => {
  const tasks = (...states: (string | undefined)[]) => states.map((status, i) => ({ id: `t${i}`, index: i, ...(status === undefined ? {} : { status }) }));
  const cases: [string, ReturnType<typeof tasks>, boolean][] = [
    ['none launched', tasks(), false],
    ['launched, no word yet', tasks(undefined), false],
    ['staging', tasks('TASK_STAGING'), true],
    ['starting (fetching, pulling)', tasks('TASK_STARTING'), true],
    ['running and finished', tasks('TASK_RUNNING', 'TASK_FINISHED'), true],
    ['one of two with no word yet', tasks('TASK_RUNNING', undefined), false],
    ['unknown', tasks('TASK_UNKNOWN'), false],
    ['failed', tasks('TASK_FAILED'), false],
  ];
  for (const [name, ts, want] of cases) t.is(hasStarted(ts), want, name);
});
