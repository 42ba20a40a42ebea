/**
 * Jobs: `GET/POST /v1/jobs`, `GET/PUT/DELETE /v1/jobs/{jobId}`, and Metronome's job-with-schedules
 * routes `POST /v0/scheduled-jobs`, `PUT /v0/scheduled-jobs/{jobId}`.
 *
 * Metronome's answers: POST 201 with the job, 409 `Job with this id already exists`; GET with
 * `embed`; PUT takes the id from the path (the body's is overwritten) and answers 200 or 404;
 * DELETE answers the deleted job, 409 while runs are active unless `stopCurrentJobRuns=true`.
 * A refused request calls no change method of the service.
 */
import type { FastifyInstance } from 'fastify';
import type { JobSpec, ScheduleSpec } from '../model.ts';
import { parseJob, parseJobWithSchedules } from '../spec/parse-job.ts';
import { jobToJson } from '../spec/batch-json.ts';
import { ERRORS, fromBatchError, sendError, sendJson } from './errors.ts';
import { jobInfoJson, jobInfosJson, schedulesJson } from './job-info.ts';
import { bodyAs, booleanQuery, embedsQuery, jobIdParam, type RouteContext } from './route-context.ts';

export function registerJobsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { service } = ctx;

  app.get('/v1/jobs', async (request, reply) => {
    const embeds = embedsQuery(request, reply);
    if (embeds === undefined) return reply;
    return sendJson(reply, 200, await jobInfosJson(service, embeds));
  });

  app.post('/v1/jobs', async (request, reply) => {
    const job = bodyAs(request, reply, (json) => parseJob(json));
    if (job === undefined) return reply;
    if (service.job(job.id) !== undefined) return sendError(reply, ERRORS.jobExists());
    const created = await service.createJob(job);
    if (!created.ok) return sendError(reply, fromBatchError(created, ERRORS.unknownJob(job.id)));
    return sendJson(reply, 201, jobToJson(created.value));
  });

  app.get('/v1/jobs/:jobId', async (request, reply) => {
    const id = jobIdParam(request, reply);
    if (id === undefined) return reply;
    const embeds = embedsQuery(request, reply);
    if (embeds === undefined) return reply;
    const job = service.job(id);
    if (job === undefined) return sendError(reply, ERRORS.unknownJob(id));
    return sendJson(reply, 200, await jobInfoJson(service, job, embeds));
  });

  app.put('/v1/jobs/:jobId', async (request, reply) => {
    const id = jobIdParam(request, reply);
    if (id === undefined) return reply;
    const job = bodyAs(request, reply, (json) => parseJob(json, { idFromPath: id }));
    if (job === undefined) return reply;
    if (service.job(id) === undefined) return sendError(reply, ERRORS.unknownJob(id));
    const updated = await service.updateJob(job);
    if (!updated.ok) return sendError(reply, fromBatchError(updated, ERRORS.unknownJob(id)));
    return sendJson(reply, 200, jobToJson(updated.value));
  });

  app.delete('/v1/jobs/:jobId', async (request, reply) => {
    const id = jobIdParam(request, reply);
    if (id === undefined) return reply;
    const stop = booleanQuery(request, reply, 'stopCurrentJobRuns', false);
    if (stop === undefined) return reply;
    if (service.job(id) === undefined) return sendError(reply, ERRORS.unknownJob(id));
    if (!stop && service.activeRuns(id).length > 0) return sendError(reply, ERRORS.activeRuns());
    const deleted = await service.deleteJob(id, stop);
    if (!deleted.ok) return sendError(reply, fromBatchError(deleted, ERRORS.unknownJob(id)));
    return sendJson(reply, 200, jobToJson(deleted.value));
  });

  // Metronome's v0 API: a job and its schedules in one document (what `dcos job add` sends).
  app.post('/v0/scheduled-jobs', async (request, reply) => {
    const parsed = bodyAs(request, reply, (json) => parseJobWithSchedules(json));
    if (parsed === undefined) return reply;
    const { job, schedules } = parsed;
    if (service.job(job.id) !== undefined) return sendError(reply, ERRORS.jobExists());
    const created = await service.createJob(job, schedules);
    if (!created.ok) return sendError(reply, fromBatchError(created, ERRORS.unknownJob(job.id)));
    return sendJson(reply, 201, withSchedules(created.value, schedulesJson(service, job.id, service.schedules(job.id))));
  });

  app.put('/v0/scheduled-jobs/:jobId', async (request, reply) => {
    const id = jobIdParam(request, reply);
    if (id === undefined) return reply;
    const parsed = bodyAs(request, reply, (json) => parseJobWithSchedules(json, { idFromPath: id }));
    if (parsed === undefined) return reply;
    if (service.job(id) === undefined) return sendError(reply, ERRORS.unknownJob(id));
    const updated = await service.updateJob(parsed.job);
    if (!updated.ok) return sendError(reply, fromBatchError(updated, ERRORS.unknownJob(id)));
    const refused = await replaceSchedules(ctx, id, parsed.schedules);
    if (refused !== undefined) return sendError(reply, refused);
    return sendJson(reply, 200, withSchedules(updated.value, schedulesJson(service, id, service.schedules(id))));
  });
}

const sameSchedule = (a: ScheduleSpec, b: ScheduleSpec): boolean =>
  a.id === b.id && a.cron === b.cron && a.timezone === b.timezone && a.startingDeadlineSeconds === b.startingDeadlineSeconds
  && a.concurrencyPolicy === b.concurrencyPolicy && a.enabled === b.enabled;

/** The v0 document: the job's fields with `schedules` before `run`, as Metronome writes it. */
function withSchedules(job: JobSpec, schedules: unknown[]): Record<string, unknown> {
  const { run, ...rest } = jobToJson(job);
  return { ...rest, schedules, run };
}

/**
 * Makes the job's schedules exactly `wanted`: removed ones first (so a replaced schedule never
 * meets its successor), then changed and new ones. Answers the first refusal, if any.
 */
async function replaceSchedules(ctx: RouteContext, jobId: string, wanted: readonly ScheduleSpec[]) {
  const { service } = ctx;
  const current = new Map(service.schedules(jobId).map((s) => [s.id, s] as const));
  const wantedIds = new Set(wanted.map((s) => s.id));
  for (const id of current.keys()) {
    if (wantedIds.has(id)) continue;
    const r = await service.deleteSchedule(jobId, id);
    if (!r.ok) return fromBatchError(r, ERRORS.unknownSchedule(id));
  }
  for (const s of wanted) {
    const before = current.get(s.id);
    if (before !== undefined && sameSchedule(before, s)) continue;
    const r = before === undefined ? await service.createSchedule(jobId, s) : await service.updateSchedule(jobId, s);
    if (!r.ok) return fromBatchError(r, ERRORS.unknownSchedule(s.id));
  }
  return undefined;
}
