/**
 * Metronome's JobInfo: a job as `GET /v1/jobs[/{id}]` answers it, the job's own fields and, only
 * when asked for by `embed`, `activeRuns`, `schedules` (each with `nextRunAt` from the core),
 * `history` and `historySummary` (spec/batch-json.ts writes them). An embed not asked for is
 * absent, not null.
 *
 * Invariants: reads only (no change method of the service is called); the history is read once
 * per job, and only when an embed needs it.
 */
import type { JobRun, JobSpec, ScheduleSpec } from '../model.ts';
import type { BatchService } from '../ports.ts';
import { jobToJson, scheduleToJson, type EmbeddedSchedule, type JobJsonExtra } from '../spec/batch-json.ts';
import type { Embed } from './request-params.ts';

const embedded = (service: BatchService, jobId: string, schedules: readonly ScheduleSpec[]): EmbeddedSchedule[] =>
  schedules.map((schedule) => {
    const nextRunAt = service.nextRunAt(jobId, schedule.id);
    return nextRunAt === undefined ? { schedule } : { schedule, nextRunAt };
  });

/** A job's schedules as Metronome lists them, each with its `nextRunAt` (absent when disabled). */
export function schedulesJson(service: BatchService, jobId: string, schedules: readonly ScheduleSpec[]): unknown[] {
  return schedules.map((s) => scheduleToJson(s, service.nextRunAt(jobId, s.id)));
}

/**
 * One job with its embeds. `activeRuns` may be given (the list route groups every run once);
 * absent, they are read from the service.
 */
export async function jobInfoJson(
  service: BatchService, job: JobSpec, embeds: ReadonlySet<Embed>, activeRuns?: readonly JobRun[],
): Promise<Record<string, unknown>> {
  const history = embeds.has('history') || embeds.has('historySummary') ? await service.history(job.id) : undefined;
  const extra: JobJsonExtra = {
    ...(embeds.has('activeRuns') ? { activeRuns: activeRuns ?? service.activeRuns(job.id) } : {}),
    ...(embeds.has('schedules') ? { schedules: embedded(service, job.id, service.schedules(job.id)) } : {}),
    ...(embeds.has('history') ? { history } : {}),
    ...(embeds.has('historySummary') ? { historySummary: history } : {}),
  };
  return jobToJson(job, extra);
}

/** Every job, in id order (a stable listing), active runs grouped once for all. */
export async function jobInfosJson(service: BatchService, embeds: ReadonlySet<Embed>): Promise<Record<string, unknown>[]> {
  const jobs = [...service.jobs()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const runsByJob = new Map<string, JobRun[]>();
  if (embeds.has('activeRuns')) {
    for (const run of service.activeRuns()) {
      const list = runsByJob.get(run.jobId);
      if (list === undefined) runsByJob.set(run.jobId, [run]);
      else list.push(run);
    }
  }
  return Promise.all(jobs.map((job) => jobInfoJson(service, job, embeds, runsByJob.get(job.id) ?? [])));
}
