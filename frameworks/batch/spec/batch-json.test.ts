import test from 'ava';
import fc from 'fast-check';
import type { JobHistory, JobRun, JobSpec, ScheduleSpec } from '../model.ts';
import { EMPTY_HISTORY } from '../model.ts';
import { historySummaryToJson, historyToJson, jobToJson, runToJson, scheduleToJson } from './batch-json.ts';
import { parseJob } from './parse-job.ts';
import { parseSchedule } from './parse-schedule.ts';

const JOB: JobSpec = {
  id: 'prod.email.summary',
  description: 'Send summary every day',
  labels: {},
  run: {
    cmd: 'sendSummary', cpus: 0.1, mem: 32, disk: 0, gpus: 0, env: {}, placement: { constraints: [] }, artifacts: [], volumes: [],
    maxLaunchDelay: 3600, restart: { policy: 'NEVER', activeDeadlineSeconds: 120 }, secrets: {},
  },
};

test('jobToJson: Metronome\'s job list example, plus gpus and secrets', (t) => {
  t.deepEqual(jobToJson(JOB), {
    id: 'prod.email.summary',
    description: 'Send summary every day',
    labels: {},
    run: {
      artifacts: [], cmd: 'sendSummary', cpus: 0.1, disk: 0, env: {}, maxLaunchDelay: 3600, mem: 32, gpus: 0,
      placement: { constraints: [] }, restart: { activeDeadlineSeconds: 120, policy: 'NEVER' }, volumes: [], secrets: {},
    },
  });
});

test('jobToJson: docker as Metronome writes it, parallelism only when set, embeds', (t) => {
  const job: JobSpec = { ...JOB, parallelism: 3, run: { ...JOB.run, cmd: undefined, docker: { image: 'busybox', forcePullImage: false } } };
  const run: JobRun = {
    id: '20160715130259A34HX', jobId: JOB.id, status: 'STARTING', createdAt: '2016-07-15T13:02:59.735Z', spec: job, attempt: 1, tasks: [],
  };
  const schedule: ScheduleSpec = { id: 'nightly', cron: '0 2 * * *', timezone: 'UTC', startingDeadlineSeconds: 900, concurrencyPolicy: 'ALLOW', enabled: true };
  const json = jobToJson(job, {
    activeRuns: [run],
    schedules: [{ schedule, nextRunAt: '2016-07-16T02:00:00.000Z' }, { ...schedule, id: 'off', enabled: false }],
    history: EMPTY_HISTORY,
    historySummary: EMPTY_HISTORY,
  });
  t.deepEqual((json.run as Record<string, unknown>).docker, { image: 'busybox', privileged: false, parameters: [], forcePullImage: false });
  t.false('cmd' in (json.run as Record<string, unknown>));
  t.is(json.parallelism, 3);
  t.deepEqual(json.activeRuns, [runToJson(run)]);
  t.deepEqual(json.schedules, [
    { ...schedule, nextRunAt: '2016-07-16T02:00:00.000Z' },
    { ...schedule, id: 'off', enabled: false },
  ]);
  t.deepEqual(json.historySummary, { successCount: 0, failureCount: 0, lastSuccessAt: null, lastFailureAt: null });
  t.deepEqual(json.history, { successCount: 0, failureCount: 0, lastSuccessAt: null, lastFailureAt: null, successfulFinishedRuns: [], failedFinishedRuns: [] });
  t.false('parallelism' in jobToJson(JOB));
});

test('runToJson: Metronome\'s run example (completedAt null while running), tasks', (t) => {
  const run: JobRun = {
    id: '20160715130259A34HX', jobId: 'prod', status: 'STARTING', createdAt: '2016-07-15T13:02:59.735Z', spec: JOB, attempt: 1, tasks: [],
  };
  t.deepEqual(runToJson(run), {
    completedAt: null, createdAt: '2016-07-15T13:02:59.735Z', id: '20160715130259A34HX', jobId: 'prod', status: 'STARTING', tasks: [],
  });
  const done: JobRun = {
    ...run, status: 'SUCCESS', completedAt: '2016-07-15T13:03:10.000Z', reason: 'x', scheduleId: 's',
    tasks: [
      { id: 'prod_20160715130259A34HX.1', status: 'TASK_FINISHED', startedAt: '2016-07-15T13:03:00.000Z', completedAt: '2016-07-15T13:03:10.000Z', index: 0, host: 'h', agentId: 'a' },
      { id: 'prod_20160715130259A34HX.2', index: 1 },
    ],
  };
  t.deepEqual(runToJson(done), {
    id: '20160715130259A34HX', jobId: 'prod', status: 'SUCCESS', createdAt: '2016-07-15T13:02:59.735Z', completedAt: '2016-07-15T13:03:10.000Z',
    tasks: [
      { id: 'prod_20160715130259A34HX.1', status: 'TASK_FINISHED', startedAt: '2016-07-15T13:03:00.000Z', completedAt: '2016-07-15T13:03:10.000Z' },
      { id: 'prod_20160715130259A34HX.2' },
    ],
  });
});

test('historyToJson and historySummaryToJson', (t) => {
  const h: JobHistory = {
    successCount: 2, failureCount: 1, lastSuccessAt: '2026-01-02T00:00:00.000Z', lastFailureAt: '2026-01-01T00:00:00.000Z',
    successfulFinishedRuns: [{ id: 'r2', createdAt: '2026-01-02T00:00:00.000Z', finishedAt: '2026-01-02T00:00:05.000Z' }],
    failedFinishedRuns: [{ id: 'r1', createdAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:05.000Z' }],
  };
  t.deepEqual(historySummaryToJson(h), { successCount: 2, failureCount: 1, lastSuccessAt: '2026-01-02T00:00:00.000Z', lastFailureAt: '2026-01-01T00:00:00.000Z' });
  t.deepEqual(historyToJson(h), { ...historySummaryToJson(h), successfulFinishedRuns: h.successfulFinishedRuns, failedFinishedRuns: h.failedFinishedRuns });
});

// --- round trips ------------------------------------------------------------------------------

const seg = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,6}[a-z0-9])?$/);
const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);
const arbJob: fc.Arbitrary<JobSpec> = fc.record({
  id: fc.array(seg, { minLength: 1, maxLength: 3 }).map((s) => s.join('.')),
  description: fc.option(fc.string(), { nil: undefined }),
  labels: fc.dictionary(name, fc.string(), { maxKeys: 3 }),
  parallelism: fc.option(fc.integer({ min: 1, max: 64 }), { nil: undefined }),
  useDocker: fc.boolean(),
  cmd: fc.string({ minLength: 1 }),
  cpus: fc.double({ min: 0.01, max: 64, noNaN: true }),
  mem: fc.double({ min: 32, max: 1e6, noNaN: true }),
  disk: fc.double({ min: 0, max: 1e6, noNaN: true }),
  gpus: fc.integer({ min: 0, max: 8 }),
  plainEnv: fc.dictionary(name, fc.string(), { maxKeys: 3 }),
  secretNames: fc.uniqueArray(name, { maxLength: 2 }),
  constraints: fc.array(fc.record({ attribute: name, operator: fc.constantFrom('IS', 'EQ', 'LIKE', 'UNLIKE'), value: name }), { maxLength: 2 }),
  artifacts: fc.array(fc.record({ uri: fc.webUrl(), executable: fc.boolean(), extract: fc.boolean(), cache: fc.boolean() }), { maxLength: 2 }),
  volumes: fc.array(fc.record({ containerPath: fc.constantFrom('/a', '/data'), hostPath: fc.constantFrom('/b', '/srv'), mode: fc.constantFrom('RO' as const, 'RW' as const) }), { maxLength: 2 }),
  user: fc.option(name, { nil: undefined }),
  maxLaunchDelay: fc.integer({ min: 1, max: 86_400 }),
  restart: fc.oneof(
    fc.constant({ policy: 'NEVER' as const }),
    fc.record({ policy: fc.constantFrom('NEVER' as const, 'ON_FAILURE' as const), activeDeadlineSeconds: fc.integer({ min: 0, max: 1e6 }) }),
  ),
  grace: fc.option(fc.integer({ min: 0, max: 600 }), { nil: undefined }),
  priority: fc.option(fc.integer({ min: -1048575, max: 1048575 }), { nil: undefined }),
}).map((r) => {
  const env: Record<string, string | { secret: string }> = { ...r.plainEnv };
  const secrets: Record<string, { source: string }> = {};
  r.secretNames.forEach((s, i) => {
    env[`SECRET_${i}`] = { secret: s };
    secrets[s] = { source: `path/${s}` };
  });
  const job: JobSpec = {
    id: r.id,
    ...(r.description !== undefined ? { description: r.description } : {}),
    labels: r.labels,
    run: {
      ...(r.useDocker ? { docker: { image: 'busybox', forcePullImage: false } } : { cmd: r.cmd }),
      cpus: r.cpus, mem: r.mem, disk: r.disk, gpus: r.gpus, env, placement: { constraints: r.constraints }, artifacts: r.artifacts,
      ...(r.user !== undefined ? { user: r.user } : {}),
      volumes: r.volumes, maxLaunchDelay: r.maxLaunchDelay, restart: r.restart,
      ...(r.grace !== undefined ? { taskKillGracePeriodSeconds: r.grace } : {}),
      ...(r.priority !== undefined ? { priority: r.priority } : {}),
      secrets,
    },
    ...(r.parallelism !== undefined ? { parallelism: r.parallelism } : {}),
  };
  return job;
});

test('property: parseJob(jobToJson(job)) is the job, also through JSON text', (t) => {
  fc.assert(fc.property(arbJob, (job) => {
    const back = parseJob(JSON.parse(JSON.stringify(jobToJson(job))));
    t.deepEqual(back, { ok: true, value: job });
    return back.ok;
  }), { numRuns: 300 });
});

test('property: parseSchedule(scheduleToJson(s, nextRunAt)) is the schedule', (t) => {
  const arbSchedule = fc.record({
    id: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}[a-z0-9]$/),
    cron: fc.constantFrom('* * * * *', '*/5 * * * * *', '0 2 * * MON-FRI', '@hourly'),
    timezone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/Chicago'),
    startingDeadlineSeconds: fc.integer({ min: 1, max: 86_400 }),
    concurrencyPolicy: fc.constantFrom('ALLOW' as const, 'FORBID' as const),
    enabled: fc.boolean(),
  });
  fc.assert(fc.property(arbSchedule, fc.option(fc.constant('2026-01-01T00:00:00.000Z'), { nil: undefined }), (s, next) => {
    const back = parseSchedule(JSON.parse(JSON.stringify(scheduleToJson(s, next))));
    t.deepEqual(back, { ok: true, value: s });
    return back.ok;
  }), { numRuns: 200 });
});
