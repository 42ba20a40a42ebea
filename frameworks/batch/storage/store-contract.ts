/**
 * The contract every `BatchStore` keeps, as one ava suite run against each implementation
 * (memory-store.test.ts, pg-store.test.ts). `open(t, options)` gives a fresh, empty store and a
 * way to open a second store on the same data (a restarted or a second batch process); it
 * registers its own cleanup with `t.teardown`.
 *
 * What it pins down: documents come back deep-equal after the JSON round trip; puts replace by
 * key; schedules and runs need their job; `deleteJob` removes everything of the job and nothing
 * else; `finishRun` moves a run into the history (counts, last times, newest-first lists of at
 * most `historyCount` per outcome; finishing twice counts once); malformed operations are
 * refused; `apply` is ordered and atomic; `claimTick` is true once per tick, across stores,
 * only for a stored schedule, and stays so when old ticks are pruned; data outlives the store
 * object; reads return copies.
 */
import type { ExecutionContext, TestFn } from 'ava';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { EMPTY_HISTORY, type JobRun, type JobSpec, type RunStatus, type ScheduleSpec, type Timestamp } from '../model.ts';
import type { BatchStore, BatchStoreOperation } from '../ports.ts';
import { InvalidOperationError, UnknownJobError, type BatchStoreOptions } from './store-rules.ts';

export interface StoreUnderTest {
  readonly store: BatchStore;
  /** Another store on the same data (with the same options), as a restarted or second batch process opens. */
  reopen(): Promise<BatchStore>;
}

export type OpenStore = (t: ExecutionContext, options?: BatchStoreOptions) => Promise<StoreUnderTest>;

// --- fixtures --------------------------------------------------------------------------------

/** The time `n` seconds after 2026-11-22T10:00:00.000Z. */
export function at(n: number): Timestamp {
  return new Date(Date.UTC(2026, 10, 22, 10, 0, 0) + n * 1000).toISOString();
}

/** A parsed job with most optional parts filled, so the round trip covers them. */
export function job(id: string, overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    id,
    description: 'nightly report',
    labels: { team: 'data', 'émoji': '🚀 ünïcode' },
    run: {
      cmd: 'python3 report.py',
      args: undefined, // absent in JSON: must not come back as a key
      cpus: 0.5,
      mem: 128,
      disk: 0,
      gpus: 0,
      env: { MODE: 'full', DB_PASSWORD: { secret: 'db' } },
      placement: { constraints: [{ attribute: 'rack', operator: 'EQ', value: 'r1' }] },
      artifacts: [{ uri: 'https://example.com/report.tgz', executable: false, extract: true, cache: false }],
      docker: { image: 'python:3.12', forcePullImage: false },
      user: 'nobody',
      volumes: [{ containerPath: '/data', hostPath: '/srv/data', mode: 'RO' }],
      maxLaunchDelay: 3600,
      restart: { policy: 'ON_FAILURE', activeDeadlineSeconds: 120 },
      taskKillGracePeriodSeconds: 5,
      secrets: { db: { source: '/secrets/db' } },
    },
    parallelism: 2,
    ...overrides,
  };
}

export function schedule(id: string, overrides: Partial<ScheduleSpec> = {}): ScheduleSpec {
  return { id, cron: '*/5 * * * *', timezone: 'Europe/Berlin', startingDeadlineSeconds: 900, concurrencyPolicy: 'FORBID', enabled: true, ...overrides };
}

/** A run of `jobId` created at `at(created)`; a finished status gets `completedAt` = `at(created + 10)`. */
export function run(jobId: string, id: string, status: RunStatus = 'ACTIVE', created = 0, overrides: Partial<JobRun> = {}): JobRun {
  const finished = status === 'SUCCESS' || status === 'FAILED';
  return {
    id,
    jobId,
    status,
    createdAt: at(created),
    completedAt: finished ? at(created + 10) : undefined,
    spec: job(jobId),
    attempt: 1,
    tasks: [
      { id: `${jobId}_${id}.0`, status: 'TASK_RUNNING', startedAt: at(created + 1), agentId: 'a1-S0', host: '10.0.0.5', index: 0 },
      { id: `${jobId}_${id}.1`, index: 1 },
    ],
    reason: status === 'FAILED' ? 'exited with 1' : undefined,
    scheduleId: 'nightly',
    ...overrides,
  };
}

/** What a value looks like after the JSON round trip (undefined fields gone). */
export function stored<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

const emptyHistory = () => stored(EMPTY_HISTORY);

// --- the suite ---------------------------------------------------------------------------------

export function batchStoreContract(test: TestFn, name: string, open: OpenStore): void {
  const it = (title: string, body: (t: ExecutionContext, s: StoreUnderTest) => Promise<void>, options?: BatchStoreOptions) =>
    test(`${name}: ${title}`, async (t) => body(t, await open(t, options)));

  it('a new store is empty', async (t, { store }) => {
    t.deepEqual(await store.load(), { jobs: [], schedules: [], activeRuns: [], frameworkId: undefined });
    t.deepEqual(await store.history('nope'), emptyHistory());
    t.is(await store.finishedRun('nope', 'r1'), undefined);
    t.false(await store.claimTick('nope', 'nightly', at(0)));
  });

  it('jobs, schedules and active runs come back deep-equal, in key order', async (t, { store }) => {
    await store.apply([
      { op: 'putJob', job: job('b') },
      { op: 'putJob', job: job('a.report', { parallelism: undefined, description: undefined }) },
      { op: 'putSchedule', jobId: 'b', schedule: schedule('z') },
      { op: 'putSchedule', jobId: 'b', schedule: schedule('nightly') },
      { op: 'putSchedule', jobId: 'a.report', schedule: schedule('hourly', { cron: '0 * * * *', enabled: false }) },
      { op: 'putRun', run: run('b', 'r2', 'STARTING', 5) },
      { op: 'putRun', run: run('b', 'r1', 'INITIAL', 1) },
      { op: 'putRun', run: run('a.report', 'r9', 'ACTIVE', 9) },
    ]);
    const state = await store.load();
    t.deepEqual(state.jobs, [stored(job('a.report', { parallelism: undefined, description: undefined })), stored(job('b'))]);
    t.false('parallelism' in state.jobs[0]!); // undefined fields are absent, not null
    t.false('args' in state.jobs[1]!.run);
    t.deepEqual(state.schedules, [
      { jobId: 'a.report', schedule: schedule('hourly', { cron: '0 * * * *', enabled: false }) },
      { jobId: 'b', schedule: schedule('nightly') },
      { jobId: 'b', schedule: schedule('z') },
    ]);
    // by job, then creation time: r1 (created at 1) before r2 (at 5)
    t.deepEqual(state.activeRuns, [stored(run('a.report', 'r9', 'ACTIVE', 9)), stored(run('b', 'r1', 'INITIAL', 1)), stored(run('b', 'r2', 'STARTING', 5))]);
    t.false('completedAt' in state.activeRuns[0]!);
  });

  it('puts replace by key: a job update keeps its schedules, runs and history', async (t, { store }) => {
    await store.apply([
      { op: 'putJob', job: job('j') },
      { op: 'putSchedule', jobId: 'j', schedule: schedule('s') },
      { op: 'putRun', run: run('j', 'r1', 'STARTING') },
      { op: 'finishRun', run: run('j', 'r0', 'SUCCESS') },
    ]);
    await store.apply([
      { op: 'putJob', job: job('j', { description: 'changed' }) },
      { op: 'putSchedule', jobId: 'j', schedule: schedule('s', { cron: '0 0 * * *' }) },
      { op: 'putRun', run: run('j', 'r1', 'ACTIVE') },
    ]);
    const state = await store.load();
    t.deepEqual(state.jobs, [stored(job('j', { description: 'changed' }))]);
    t.deepEqual(state.schedules, [{ jobId: 'j', schedule: schedule('s', { cron: '0 0 * * *' }) }]);
    t.deepEqual(state.activeRuns, [stored(run('j', 'r1', 'ACTIVE'))]);
    t.is((await store.history('j')).successCount, 1);
  });

  it('deleteSchedule removes that schedule only; deleting the unknown is a no-op', async (t, { store }) => {
    await store.apply([
      { op: 'putJob', job: job('j') }, { op: 'putJob', job: job('k') },
      { op: 'putSchedule', jobId: 'j', schedule: schedule('s1') }, { op: 'putSchedule', jobId: 'j', schedule: schedule('s2') },
      { op: 'putSchedule', jobId: 'k', schedule: schedule('s1') },
    ]);
    await store.apply([
      { op: 'deleteSchedule', jobId: 'j', scheduleId: 's1' },
      { op: 'deleteSchedule', jobId: 'j', scheduleId: 'never' },
      { op: 'deleteSchedule', jobId: 'never', scheduleId: 's1' },
    ]);
    t.deepEqual((await store.load()).schedules.map((s) => `${s.jobId}/${s.schedule.id}`), ['j/s2', 'k/s1']);
  });

  it('schedules and runs need their job: refused with UnknownJobError and nothing lands', async (t, { store }) => {
    await store.apply([{ op: 'putJob', job: job('j') }, { op: 'putFrameworkId', frameworkId: 'fw-1' }]);
    const before = await store.load();
    const orphans: BatchStoreOperation[] = [
      { op: 'putSchedule', jobId: 'ghost', schedule: schedule('s') },
      { op: 'putRun', run: run('ghost', 'r1') },
      { op: 'finishRun', run: run('ghost', 'r1', 'FAILED') },
    ];
    for (const orphan of orphans) {
      await t.throwsAsync(store.apply([{ op: 'putFrameworkId', frameworkId: 'fw-2' }, { op: 'putSchedule', jobId: 'j', schedule: schedule('s') }, orphan]),
        { instanceOf: UnknownJobError, message: /ghost/ }, orphan.op);
    }
    // a job deleted earlier in the same apply is gone for the operations after it
    await t.throwsAsync(store.apply([{ op: 'deleteJob', jobId: 'j' }, { op: 'putRun', run: run('j', 'r1') }]), { instanceOf: UnknownJobError });
    t.deepEqual(await store.load(), before);
    t.deepEqual(await store.history('ghost'), emptyHistory());
    // put first, in the same apply: fine
    await store.apply([{ op: 'putJob', job: job('ghost') }, ...orphans]);
    t.deepEqual((await store.load()).schedules, [{ jobId: 'ghost', schedule: schedule('s') }]);
  });

  it('finishRun moves the run from the active runs into the history', async (t, { store }) => {
    await store.apply([{ op: 'putJob', job: job('j') }, { op: 'putRun', run: run('j', 'r1', 'ACTIVE', 0) }, { op: 'putRun', run: run('j', 'r2', 'ACTIVE', 3) }]);
    await store.apply([{ op: 'finishRun', run: run('j', 'r1', 'SUCCESS', 0) }]);
    t.deepEqual((await store.load()).activeRuns, [stored(run('j', 'r2', 'ACTIVE', 3))]);
    t.deepEqual(await store.finishedRun('j', 'r1'), stored(run('j', 'r1', 'SUCCESS', 0)));
    t.is(await store.finishedRun('j', 'r2'), undefined); // active, not finished
    t.is(await store.finishedRun('k', 'r1'), undefined); // another job's
    t.deepEqual(await store.history('j'), {
      successCount: 1, failureCount: 0, lastSuccessAt: at(10), lastFailureAt: null,
      successfulFinishedRuns: [{ id: 'r1', createdAt: at(0), finishedAt: at(10) }], failedFinishedRuns: [],
    });
  });

  it('history: counts, last times and newest-first lists over a sequence of finishes', async (t, { store }) => {
    await store.apply([{ op: 'putJob', job: job('j') }, { op: 'putJob', job: job('other') }]);
    // [run, status, created (s); finished = created + 10] -> [successCount, failureCount, lastSuccessAt, lastFailureAt]
    const steps: [string, RunStatus, number, [number, number, Timestamp | null, Timestamp | null]][] = [
      ['r1', 'FAILED', 0, [0, 1, null, at(10)]],
      ['r2', 'SUCCESS', 20, [1, 1, at(30), at(10)]],
      ['r3', 'SUCCESS', 40, [2, 1, at(50), at(10)]],
      ['r0', 'SUCCESS', -20, [3, 1, at(50), at(10)]], // finished at -10: an older finish leaves the last time
      ['r4', 'FAILED', 60, [3, 2, at(50), at(70)]],
    ];
    for (const [id, status, created, [s, f, lastS, lastF]] of steps) {
      await store.apply([{ op: 'finishRun', run: run('j', id, status, created) }]);
      const h = await store.history('j');
      t.deepEqual([h.successCount, h.failureCount, h.lastSuccessAt, h.lastFailureAt], [s, f, lastS, lastF], id);
    }
    const h = await store.history('j');
    t.deepEqual(h.successfulFinishedRuns.map((r) => r.id), ['r3', 'r2', 'r0']);
    t.deepEqual(h.failedFinishedRuns, [{ id: 'r4', createdAt: at(60), finishedAt: at(70) }, { id: 'r1', createdAt: at(0), finishedAt: at(10) }]);
    t.deepEqual(await store.history('other'), emptyHistory()); // a job's history is its own
  });

  it('finishing a run twice counts it once; times are kept as UTC with milliseconds', async (t, { store }) => {
    await store.apply([{ op: 'putJob', job: job('j') }, { op: 'putRun', run: run('j', 'r1') }]);
    const done = run('j', 'r1', 'SUCCESS', 0, { createdAt: '2026-11-22T11:00:00+01:00', completedAt: '2026-11-22T10:00:10Z' });
    await store.apply([{ op: 'finishRun', run: done }]);
    await store.apply([{ op: 'finishRun', run: done }, { op: 'finishRun', run: run('j', 'r1', 'FAILED') }]);
    t.deepEqual(await store.history('j'), {
      successCount: 1, failureCount: 0, lastSuccessAt: at(10), lastFailureAt: null,
      successfulFinishedRuns: [{ id: 'r1', createdAt: at(0), finishedAt: at(10) }], failedFinishedRuns: [],
    });
    t.deepEqual(await store.finishedRun('j', 'r1'), stored(done)); // the run itself as given
  });

  it('history keeps the newest historyCount (3) runs per outcome; the counts count all', async (t, { store }) => {
    await store.apply([{ op: 'putJob', job: job('j') }, { op: 'putJob', job: job('k') }]);
    // successes s0..s5 created at 0,10..50 (one apply), failures f0..f3 one apply each
    await store.apply(Array.from({ length: 6 }, (_, i) => ({ op: 'finishRun' as const, run: run('j', `s${i}`, 'SUCCESS', i * 10) })));
    for (let i = 0; i < 4; i++) await store.apply([{ op: 'finishRun', run: run('j', `f${i}`, 'FAILED', i * 10) }]);
    await store.apply([{ op: 'finishRun', run: run('k', 'x', 'SUCCESS') }]);
    const h = await store.history('j');
    t.deepEqual([h.successCount, h.failureCount, h.lastSuccessAt, h.lastFailureAt], [6, 4, at(60), at(40)]);
    t.deepEqual(h.successfulFinishedRuns.map((r) => r.id), ['s5', 's4', 's3']);
    t.deepEqual(h.failedFinishedRuns.map((r) => r.id), ['f3', 'f2', 'f1']);
    t.is(await store.finishedRun('j', 's2'), undefined); // pruned with its history entry
    t.truthy(await store.finishedRun('j', 's3'));
    t.deepEqual((await store.history('k')).successfulFinishedRuns.map((r) => r.id), ['x']);
  }, { historyCount: 3 });

  it('malformed operations are refused with InvalidOperationError, nothing sent', async (t, { store }) => {
    await store.apply([{ op: 'putJob', job: job('j') }]);
    const before = await store.load();
    const bad: [string, BatchStoreOperation][] = [
      ['putRun of a finished run', { op: 'putRun', run: run('j', 'r1', 'SUCCESS') }],
      ['finishRun of an active run', { op: 'finishRun', run: run('j', 'r1', 'ACTIVE') }],
      ['finishRun without completedAt', { op: 'finishRun', run: run('j', 'r1', 'FAILED', 0, { completedAt: undefined }) }],
      ['finishRun with a bad time', { op: 'finishRun', run: run('j', 'r1', 'FAILED', 0, { completedAt: 'yesterday' }) }],
      ['putRun with a time without zone', { op: 'putRun', run: run('j', 'r1', 'ACTIVE', 0, { createdAt: '2026-11-22T10:00:00' }) }],
    ];
    for (const [why, op] of bad) {
      await t.throwsAsync(store.apply([{ op: 'deleteJob', jobId: 'j' }, op]), { instanceOf: InvalidOperationError }, why);
    }
    t.deepEqual(await store.load(), before);
  });

  it('deleteJob removes everything of the job and nothing else', async (t, { store }) => {
    const everything = (id: string): BatchStoreOperation[] => [
      { op: 'putJob', job: job(id) },
      { op: 'putSchedule', jobId: id, schedule: schedule('s') },
      { op: 'putRun', run: run(id, 'r1') },
      { op: 'finishRun', run: run(id, 'r0', 'SUCCESS') },
      { op: 'finishRun', run: run(id, 'r9', 'FAILED') },
    ];
    await store.apply([...everything('gone'), ...everything('kept'), { op: 'putFrameworkId', frameworkId: 'fw' }]);
    t.true(await store.claimTick('gone', 's', at(0)));
    t.true(await store.claimTick('kept', 's', at(0)));
    await store.apply([{ op: 'deleteJob', jobId: 'gone' }, { op: 'deleteJob', jobId: 'never-existed' }]);
    const state = await store.load();
    t.deepEqual(state.jobs.map((j) => j.id), ['kept']);
    t.deepEqual(state.schedules.map((s) => s.jobId), ['kept']);
    t.deepEqual(state.activeRuns.map((r) => r.jobId), ['kept']);
    t.is(state.frameworkId, 'fw');
    t.deepEqual(await store.history('gone'), emptyHistory());
    t.is(await store.finishedRun('gone', 'r0'), undefined);
    t.false(await store.claimTick('gone', 's', at(60))); // no schedule, no tick
    t.is((await store.history('kept')).successCount, 1);
    t.false(await store.claimTick('kept', 's', at(0)));
    // A job made again under the id starts from nothing: no runs, no history, no fired ticks.
    await store.apply(everything('gone').slice(0, 2));
    t.deepEqual(await store.history('gone'), emptyHistory());
    t.true(await store.claimTick('gone', 's', at(0)));
  });

  it('the framework id is kept and replaced', async (t, { store }) => {
    await store.apply([{ op: 'putFrameworkId', frameworkId: 'fw-1' }]);
    t.is((await store.load()).frameworkId, 'fw-1');
    await store.apply([{ op: 'putFrameworkId', frameworkId: 'fw-2' }]);
    t.is((await store.load()).frameworkId, 'fw-2');
  });

  it('apply runs its operations in order', async (t, { store }) => {
    await store.apply([{ op: 'putJob', job: job('gone') }, { op: 'deleteJob', jobId: 'gone' }]);
    await store.apply([{ op: 'deleteJob', jobId: 'kept' }, { op: 'putJob', job: job('kept') }]);
    await store.apply([
      { op: 'putRun', run: run('kept', 'r1') }, { op: 'finishRun', run: run('kept', 'r1', 'SUCCESS') },
      { op: 'putRun', run: run('kept', 'r2') },
      { op: 'putSchedule', jobId: 'kept', schedule: schedule('s') }, { op: 'deleteSchedule', jobId: 'kept', scheduleId: 's' },
      { op: 'putFrameworkId', frameworkId: 'a' }, { op: 'putFrameworkId', frameworkId: 'b' },
    ]);
    const state = await store.load();
    t.deepEqual(state.jobs.map((j) => j.id), ['kept']);
    t.deepEqual(state.activeRuns.map((r) => r.id), ['r2']);
    t.deepEqual(state.schedules, []);
    t.is(state.frameworkId, 'b');
    t.is((await store.history('kept')).successCount, 1);
    await store.apply([]); // nothing to do is fine
  });

  it('apply is atomic: one unstorable operation and none of the batch lands', async (t, { store }) => {
    await store.apply([{ op: 'putJob', job: job('a') }, { op: 'putRun', run: run('a', 'r1') }, { op: 'putFrameworkId', frameworkId: 'fw-1' }]);
    const before = await store.load();
    const bad = job('b', { labels: { broken: 'nul \u0000 byte' } });
    await t.throwsAsync(store.apply([
      { op: 'finishRun', run: run('a', 'r1', 'SUCCESS') },
      { op: 'deleteJob', jobId: 'a' },
      { op: 'putFrameworkId', frameworkId: 'fw-2' },
      { op: 'putJob', job: bad },
    ]), { message: /U\+0000/ });
    t.deepEqual(await store.load(), before);
    t.deepEqual(await store.history('a'), emptyHistory());
  });

  it('claimTick with operations: they land with the claim, in its transaction, and only when it is won', async (t, { store }) => {
    await store.apply([{ op: 'putJob', job: job('j') }, { op: 'putSchedule', jobId: 'j', schedule: schedule('s') }]);
    const first = run('j', 'r1', 'INITIAL', 0);
    t.true(await store.claimTick('j', 's', at(0), [{ op: 'putRun', run: first }]));
    t.deepEqual((await store.load()).activeRuns.map((r) => r.id), ['r1']);
    // Lost claim: its run is not stored.
    t.false(await store.claimTick('j', 's', at(0), [{ op: 'putRun', run: run('j', 'r2', 'INITIAL', 1) }]));
    t.deepEqual((await store.load()).activeRuns.map((r) => r.id), ['r1']);
    // A run that cannot be stored (its job is not) takes the claim down with it: the tick is still free.
    await t.throwsAsync(store.claimTick('j', 's', at(60), [{ op: 'putRun', run: run('gone', 'r3', 'INITIAL', 2) }]), { instanceOf: UnknownJobError });
    await t.throwsAsync(store.claimTick('j', 's', at(60), [{ op: 'putRun', run: run('j', 'r3', 'SUCCESS', 2) }]), { instanceOf: InvalidOperationError });
    t.deepEqual((await store.load()).activeRuns.map((r) => r.id), ['r1']);
    t.true(await store.claimTick('j', 's', at(60), [{ op: 'putRun', run: run('j', 'r3', 'INITIAL', 2) }]));
    t.deepEqual((await store.load()).activeRuns.map((r) => r.id), ['r1', 'r3']);
  });

  it('apply: a run put several times in one apply keeps its last document', async (t, { store }) => {
    await store.apply([{ op: 'putJob', job: job('j') }]);
    await store.apply([
      { op: 'putRun', run: run('j', 'r1', 'INITIAL', 0) }, { op: 'putRun', run: run('j', 'r2', 'INITIAL', 1) },
      { op: 'putRun', run: run('j', 'r1', 'STARTING', 0, { attempt: 2 }) }, { op: 'putRun', run: run('j', 'r1', 'ACTIVE', 0, { attempt: 2 }) },
    ]);
    const runs = (await store.load()).activeRuns;
    t.deepEqual(runs.map((r) => [r.id, r.status, r.attempt]), [['r1', 'ACTIVE', 2], ['r2', 'INITIAL', 1]]);
  });

  it('claimTick: true once per tick of a stored schedule; one instant is one tick however written', async (t, { store }) => {
    await store.apply([
      { op: 'putJob', job: job('j') }, { op: 'putJob', job: job('k') },
      { op: 'putSchedule', jobId: 'j', schedule: schedule('s') }, { op: 'putSchedule', jobId: 'j', schedule: schedule('t') },
      { op: 'putSchedule', jobId: 'k', schedule: schedule('s') },
    ]);
    const claims: [jobId: string, scheduleId: string, tick: string, expected: boolean][] = [
      ['j', 's', '2026-11-22T10:00:00.000Z', true],
      ['j', 's', '2026-11-22T10:00:00.000Z', false], // again
      ['j', 's', '2026-11-22T10:00:00Z', false], // the same instant, no milliseconds
      ['j', 's', '2026-11-22T11:00:00+01:00', false], // the same instant, another offset
      ['j', 's', '2026-11-22T10:00:00.001Z', true], // a millisecond later
      ['j', 't', '2026-11-22T10:00:00.000Z', true], // another schedule's tick
      ['k', 's', '2026-11-22T10:00:00.000Z', true], // another job's schedule
      ['j', 'nope', '2026-11-22T10:00:00.000Z', false], // no such schedule
      ['j', 's', '2026-11-22T09:59:00.000Z', true], // an earlier tick not claimed yet
    ];
    for (const [jobId, scheduleId, tick, expected] of claims) {
      t.is(await store.claimTick(jobId, scheduleId, tick), expected, `${jobId}/${scheduleId} ${tick}`);
    }
    await t.throwsAsync(store.claimTick('j', 's', 'Sun Nov 22 2026'), { instanceOf: InvalidOperationError });
    // An update of the schedule keeps its fired ticks; a deleted schedule fires nothing.
    await store.apply([{ op: 'putSchedule', jobId: 'j', schedule: schedule('s', { cron: '* * * * *' }) }, { op: 'deleteSchedule', jobId: 'j', scheduleId: 't' }]);
    t.false(await store.claimTick('j', 's', at(0)));
    t.false(await store.claimTick('j', 't', at(60)));
  });

  it('claimTick keeps the newest keptTicks (3) per schedule; pruned ticks still count as claimed', async (t, { store }) => {
    await store.apply([{ op: 'putJob', job: job('j') }, { op: 'putSchedule', jobId: 'j', schedule: schedule('s') }, { op: 'putSchedule', jobId: 'j', schedule: schedule('u') }]);
    for (const n of [10, 20, 30, 40, 50]) t.true(await store.claimTick('j', 's', at(n)), `tick ${n}`); // 10 and 20 pruned
    // claimed or not, nothing at or before the newest pruned tick (20) is claimable
    for (const n of [10, 20, 15, 0]) t.false(await store.claimTick('j', 's', at(n)), `old tick ${n}`);
    t.true(await store.claimTick('j', 's', at(25))); // after the pruned ones, never claimed (and at once pruned: older than 30, 40, 50)
    t.false(await store.claimTick('j', 's', at(25)));
    t.false(await store.claimTick('j', 's', at(30)));
    t.true(await store.claimTick('j', 's', at(60)));
    t.true(await store.claimTick('j', 'u', at(10))); // another schedule prunes on its own
  }, { keptTicks: 3 });

  it('two stores on the same data racing for the same ticks: each tick is claimed exactly once', async (t, { store, reopen }) => {
    const other = await reopen();
    t.teardown(() => other.close());
    await store.apply([{ op: 'putJob', job: job('j') }, { op: 'putSchedule', jobId: 'j', schedule: schedule('s') }]);
    const ticks = Array.from({ length: 40 }, (_, i) => at(i));
    const results = await Promise.all(ticks.flatMap((tick) => [store.claimTick('j', 's', tick), other.claimTick('j', 's', tick), store.claimTick('j', 's', tick)]));
    const winsPerTick = ticks.map((_, i) => results.slice(i * 3, i * 3 + 3).filter(Boolean).length);
    t.deepEqual(winsPerTick, ticks.map(() => 1));
  });

  it('data outlives the store object (a restarted batch reads it back)', async (t, { store, reopen }) => {
    await store.apply([
      { op: 'putJob', job: job('j') },
      { op: 'putSchedule', jobId: 'j', schedule: schedule('s') },
      { op: 'putRun', run: run('j', 'r2', 'ACTIVE', 20) },
      { op: 'finishRun', run: run('j', 'r1', 'FAILED', 0) },
      { op: 'putFrameworkId', frameworkId: 'fw-1' },
    ]);
    t.true(await store.claimTick('j', 's', at(0)));
    const before = await store.load();
    const history = await store.history('j');
    await store.close();
    await t.throwsAsync(store.load(), { message: /closed/ });
    await t.throwsAsync(store.claimTick('j', 's', at(60)), { message: /closed/ });
    const again = await reopen();
    t.teardown(() => again.close());
    t.deepEqual(await again.load(), before);
    t.deepEqual(await again.history('j'), history);
    t.deepEqual(await again.finishedRun('j', 'r1'), stored(run('j', 'r1', 'FAILED', 0)));
    t.false(await again.claimTick('j', 's', at(0)));
    t.true(await again.claimTick('j', 's', at(60)));
  });

  it('reads are copies: changing what was read changes nothing stored', async (t, { store }) => {
    await store.apply([{ op: 'putJob', job: job('j') }, { op: 'putRun', run: run('j', 'r1') }, { op: 'finishRun', run: run('j', 'r0', 'SUCCESS') }]);
    const first = await store.load();
    (first.jobs[0]!.labels as Record<string, string>).team = 'changed';
    (first.activeRuns[0] as { attempt: number }).attempt = 99;
    const h = await store.history('j');
    (h.successfulFinishedRuns as unknown[]).length = 0;
    const r0 = await store.finishedRun('j', 'r0');
    (r0 as { reason: string }).reason = 'changed';
    const empty = await store.history('none');
    (empty.failedFinishedRuns as unknown[]).push('junk');
    t.deepEqual((await store.load()).jobs, [stored(job('j'))]);
    t.deepEqual((await store.load()).activeRuns, [stored(run('j', 'r1'))]);
    t.is((await store.history('j')).successfulFinishedRuns.length, 1);
    t.deepEqual(await store.finishedRun('j', 'r0'), stored(run('j', 'r0', 'SUCCESS')));
    t.deepEqual(await store.history('none'), emptyHistory());
  });

  it('property: the stored state and history are the fold of the operations applied', async (t, { store }) => {
    const jobIds = ['a', 'b'];
    const runIds = ['r1', 'r2', 'r3'];
    const opArb: fc.Arbitrary<BatchStoreOperation> = fc.oneof(
      fc.record({ id: fc.constantFrom(...jobIds), mem: fc.integer({ min: 1, max: 9 }) })
        .map(({ id, mem }) => ({ op: 'putJob' as const, job: job(id, { labels: { mem: String(mem) } }) })),
      fc.constantFrom(...jobIds).map((id) => ({ op: 'deleteJob' as const, jobId: id })),
      fc.record({ jobId: fc.constantFrom(...jobIds), id: fc.constantFrom('s1', 's2') })
        .map(({ jobId, id }) => ({ op: 'putSchedule' as const, jobId, schedule: schedule(id) })),
      fc.record({ jobId: fc.constantFrom(...jobIds), id: fc.constantFrom('s1', 's2') })
        .map(({ jobId, id }) => ({ op: 'deleteSchedule' as const, jobId, scheduleId: id })),
      fc.record({ jobId: fc.constantFrom(...jobIds), id: fc.constantFrom(...runIds), created: fc.integer({ min: 0, max: 9 }) })
        .map(({ jobId, id, created }) => ({ op: 'putRun' as const, run: run(jobId, id, 'ACTIVE', created) })),
      fc.record({ jobId: fc.constantFrom(...jobIds), id: fc.constantFrom(...runIds), ok: fc.boolean(), created: fc.integer({ min: 0, max: 9 }) })
        .map(({ jobId, id, ok, created }) => ({ op: 'finishRun' as const, run: run(jobId, id, ok ? 'SUCCESS' : 'FAILED', created) })),
    );
    type Model = Map<string, { schedules: Set<string>; active: Map<string, JobRun>; finished: Map<string, boolean>; s: number; f: number }>;
    /** The model after `ops`, or undefined when the store must refuse them (a run or schedule of a missing job). */
    const fold = (model: Model, ops: readonly BatchStoreOperation[]): Model | undefined => {
      const next: Model = new Map([...model].map(([id, j]) => [id, { ...j, schedules: new Set(j.schedules), active: new Map(j.active), finished: new Map(j.finished) }]));
      for (const op of ops) {
        if (op.op === 'putJob') {
          if (!next.has(op.job.id)) next.set(op.job.id, { schedules: new Set(), active: new Map(), finished: new Map(), s: 0, f: 0 });
        } else if (op.op === 'deleteJob') next.delete(op.jobId);
        else if (op.op === 'deleteSchedule') next.get(op.jobId)?.schedules.delete(op.scheduleId);
        else {
          const jobId = op.op === 'putSchedule' ? op.jobId : op.op === 'putRun' || op.op === 'finishRun' ? op.run.jobId : undefined;
          const j = jobId === undefined ? undefined : next.get(jobId);
          if (j === undefined) return undefined;
          if (op.op === 'putSchedule') j.schedules.add(op.schedule.id);
          else if (op.op === 'putRun') j.active.set(op.run.id, op.run);
          else if (op.op === 'finishRun') {
            j.active.delete(op.run.id);
            if (!j.finished.has(op.run.id)) {
              j.finished.set(op.run.id, op.run.status === 'SUCCESS');
              if (op.run.status === 'SUCCESS') j.s += 1;
              else j.f += 1;
            }
          }
        }
      }
      return next;
    };
    await fc.assert(fc.asyncProperty(fc.array(fc.array(opArb, { maxLength: 6 }), { maxLength: 10 }), async (batches) => {
      await store.apply(jobIds.map((id) => ({ op: 'deleteJob' as const, jobId: id }))); // start from empty
      let model: Model = new Map();
      for (const batch of batches) {
        const next = fold(model, batch);
        const outcome = await store.apply(batch).then(() => 'applied', (err: unknown) => (err instanceof UnknownJobError ? 'refused' : String(err)));
        if (outcome !== (next ? 'applied' : 'refused')) return false;
        model = next ?? model;
      }
      const state = await store.load();
      const same = isDeepStrictEqual;
      if (!same(state.jobs.map((j) => j.id), [...model.keys()].sort())) return false;
      const schedules = [...model].flatMap(([id, j]) => [...j.schedules].map((s) => `${id}/${s}`)).sort();
      if (!same(state.schedules.map((s) => `${s.jobId}/${s.schedule.id}`), schedules)) return false;
      const active = [...model].flatMap(([, j]) => [...j.active.values()].map(stored));
      const key = (r: JobRun) => `${r.jobId}/${r.createdAt}/${r.id}`;
      if (!same(state.activeRuns, [...active].sort((x, y) => (key(x) < key(y) ? -1 : 1)))) return false;
      for (const id of jobIds) {
        const h = await store.history(id);
        const j = model.get(id);
        const ids = (ok: boolean) => [...(j?.finished ?? [])].filter(([, s]) => s === ok).map(([r]) => r).sort();
        if (h.successCount !== (j?.s ?? 0) || h.failureCount !== (j?.f ?? 0)) return false;
        if (!same(h.successfulFinishedRuns.map((r) => r.id).sort(), ids(true)) || !same(h.failedFinishedRuns.map((r) => r.id).sort(), ids(false))) return false;
      }
      return true;
    }), { numRuns: 25 });
    t.pass();
  });

  it('property: with pruning (keptTicks 3), no tick is ever claimed twice and a tick newer than all claimed is always claimable', async (t, { store }) => {
    await store.apply([{ op: 'putJob', job: job('j') }, { op: 'putSchedule', jobId: 'j', schedule: schedule('s') }]);
    let round = 0;
    await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 40 }), async (ticks) => {
      // Each run gets a schedule of its own, so earlier runs' claims do not interfere.
      const id = `p${round++}`;
      await store.apply([{ op: 'putSchedule', jobId: 'j', schedule: schedule(id) }]);
      const claimed = new Set<number>();
      let newest = -1;
      for (const n of ticks) {
        const won = await store.claimTick('j', id, at(n));
        if (won && claimed.has(n)) return false;
        if (n > newest && !won) return false;
        if (won) claimed.add(n);
        newest = Math.max(newest, n);
      }
      return true;
    }), { numRuns: 30 });
    t.pass();
  }, { keptTicks: 3 });
}
