/**
 * The batch model as Metronome's `/v1/jobs` API writes it: jobs (with the `embed` parts
 * `activeRuns`, `schedules`, `history`, `historySummary`), schedules (with `nextRunAt`), runs and
 * history. Pure: the caller passes the times.
 *
 * Invariants: a job is written with every default filled (cpus, mem, disk, gpus, env, placement,
 * artifacts, maxLaunchDelay, volumes, restart, secrets), and `parseJob(jobToJson(job))` gives the
 * job back; optional fields absent from the model are absent from the JSON, except a run's
 * `completedAt`, which Metronome writes as null until the run ends.
 */
import type { FinishedRun, JobHistory, JobRun, JobSpec, RunTask, ScheduleSpec, Timestamp } from '../model.ts';

export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** A schedule to embed in a job, with its next start when the core knows it. */
export type EmbeddedSchedule = ScheduleSpec | { readonly schedule: ScheduleSpec; readonly nextRunAt?: Timestamp };

export interface JobJsonExtra {
  readonly activeRuns?: readonly JobRun[];
  readonly schedules?: readonly EmbeddedSchedule[];
  readonly history?: JobHistory;
  readonly historySummary?: JobHistory;
}

export function jobToJson(job: JobSpec, extra: JobJsonExtra = {}): JsonObject {
  const run = job.run;
  const out: JsonObject = { id: job.id };
  if (job.description !== undefined) out.description = job.description;
  out.labels = { ...job.labels };
  const runJson: JsonObject = { cpus: run.cpus, mem: run.mem, disk: run.disk, gpus: run.gpus };
  if (run.cmd !== undefined) runJson.cmd = run.cmd;
  if (run.args !== undefined) runJson.args = [...run.args];
  if (run.user !== undefined) runJson.user = run.user;
  runJson.env = Object.fromEntries(Object.entries(run.env).map(([k, v]) => [k, typeof v === 'string' ? v : { secret: v.secret }]));
  runJson.placement = {
    constraints: run.placement.constraints.map((c) => ({
      attribute: c.attribute, operator: c.operator, ...(c.value !== undefined ? { value: c.value } : {}),
    })),
  };
  runJson.artifacts = run.artifacts.map((a) => ({ uri: a.uri, extract: a.extract, executable: a.executable, cache: a.cache }));
  runJson.maxLaunchDelay = run.maxLaunchDelay;
  if (run.docker !== undefined) {
    runJson.docker = { image: run.docker.image, privileged: false, parameters: [], forcePullImage: run.docker.forcePullImage };
  }
  runJson.volumes = run.volumes.map((v) => ({ containerPath: v.containerPath, hostPath: v.hostPath, mode: v.mode }));
  runJson.restart = {
    policy: run.restart.policy,
    ...(run.restart.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: run.restart.activeDeadlineSeconds } : {}),
  };
  if (run.taskKillGracePeriodSeconds !== undefined) runJson.taskKillGracePeriodSeconds = run.taskKillGracePeriodSeconds;
  if (run.priority !== undefined) runJson.priority = run.priority;
  runJson.secrets = Object.fromEntries(Object.entries(run.secrets).map(([k, v]) => [k, { source: v.source }]));
  out.run = runJson;
  if (job.parallelism !== undefined) out.parallelism = job.parallelism;

  if (extra.activeRuns !== undefined) out.activeRuns = extra.activeRuns.map(runToJson);
  if (extra.schedules !== undefined) {
    out.schedules = extra.schedules.map((s) => ('schedule' in s ? scheduleToJson(s.schedule, s.nextRunAt) : scheduleToJson(s)));
  }
  if (extra.history !== undefined) out.history = historyToJson(extra.history);
  if (extra.historySummary !== undefined) out.historySummary = historySummaryToJson(extra.historySummary);
  return out;
}

/** Metronome's schedule JSON; `nextRunAt` only when given (a disabled schedule has none). */
export function scheduleToJson(s: ScheduleSpec, nextRunAt?: Timestamp): JsonObject {
  const out: JsonObject = {
    id: s.id,
    cron: s.cron,
    timezone: s.timezone,
    startingDeadlineSeconds: s.startingDeadlineSeconds,
    concurrencyPolicy: s.concurrencyPolicy,
    enabled: s.enabled,
  };
  if (nextRunAt !== undefined) out.nextRunAt = nextRunAt;
  return out;
}

function taskToJson(t: RunTask): JsonObject {
  const out: JsonObject = { id: t.id };
  if (t.startedAt !== undefined) out.startedAt = t.startedAt;
  if (t.completedAt !== undefined) out.completedAt = t.completedAt;
  if (t.status !== undefined) out.status = t.status;
  return out;
}

/** Metronome's run JSON: id, jobId, status, createdAt, completedAt (null while running), tasks. */
export function runToJson(run: JobRun): JsonObject {
  return {
    id: run.id,
    jobId: run.jobId,
    status: run.status,
    createdAt: run.createdAt,
    completedAt: run.completedAt ?? null,
    tasks: run.tasks.map(taskToJson),
  };
}

function finishedRunToJson(r: FinishedRun): JsonObject {
  return { id: r.id, createdAt: r.createdAt, finishedAt: r.finishedAt };
}

export function historySummaryToJson(h: JobHistory): JsonObject {
  return {
    successCount: h.successCount,
    failureCount: h.failureCount,
    lastSuccessAt: h.lastSuccessAt,
    lastFailureAt: h.lastFailureAt,
  };
}

export function historyToJson(h: JobHistory): JsonObject {
  return {
    ...historySummaryToJson(h),
    successfulFinishedRuns: h.successfulFinishedRuns.map(finishedRunToJson),
    failedFinishedRuns: h.failedFinishedRuns.map(finishedRunToJson),
  };
}
