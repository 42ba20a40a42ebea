/**
 * Schedules: `GET/POST /v1/jobs/{jobId}/schedules`, `GET/PUT/DELETE /v1/jobs/{jobId}/schedules/{scheduleId}`.
 *
 * Metronome's answers: the body is read first (400 bad JSON, 422 invalid), then the job (404
 * `Job not found`), then the schedule (404 `Schedule not found`, with its id). POST answers 201
 * with the schedule (409 `A schedule with id X already exists`); PUT takes the id from the path
 * and answers 200 with the schedule; DELETE answers 200 with an empty body. Every schedule carries
 * `nextRunAt`. A refused request calls no change method of the service.
 */
import type { FastifyInstance } from 'fastify';
import { scheduleToJson } from '../spec/batch-json.ts';
import { parseSchedule } from '../spec/parse-schedule.ts';
import { ERRORS, fromBatchError, sendError, sendJson } from './errors.ts';
import { schedulesJson } from './job-info.ts';
import { bodyAs, jobIdParam, param, type RouteContext } from './route-context.ts';

/** The body with the path's schedule id (Metronome overwrites the body's id on PUT). */
function withId(json: unknown, id: string): unknown {
  return typeof json === 'object' && json !== null && !Array.isArray(json) ? { ...json, id } : json;
}

export function registerSchedulesRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { service } = ctx;
  const scheduleOf = (jobId: string, scheduleId: string) => service.schedules(jobId).find((s) => s.id === scheduleId);

  app.get('/v1/jobs/:jobId/schedules', async (request, reply) => {
    const id = jobIdParam(request, reply);
    if (id === undefined) return reply;
    if (service.job(id) === undefined) return sendError(reply, ERRORS.unknownJob(id));
    return sendJson(reply, 200, schedulesJson(service, id, service.schedules(id)));
  });

  app.post('/v1/jobs/:jobId/schedules', async (request, reply) => {
    const id = jobIdParam(request, reply);
    if (id === undefined) return reply;
    const schedule = bodyAs(request, reply, parseSchedule);
    if (schedule === undefined) return reply;
    if (service.job(id) === undefined) return sendError(reply, ERRORS.unknownJob(id));
    if (scheduleOf(id, schedule.id) !== undefined) return sendError(reply, ERRORS.scheduleExists(schedule.id));
    const created = await service.createSchedule(id, schedule);
    if (!created.ok) return sendError(reply, fromBatchError(created, ERRORS.unknownJob(id)));
    return sendJson(reply, 201, scheduleToJson(created.value, service.nextRunAt(id, created.value.id)));
  });

  app.get('/v1/jobs/:jobId/schedules/:scheduleId', async (request, reply) => {
    const id = jobIdParam(request, reply);
    if (id === undefined) return reply;
    const scheduleId = param(request, 'scheduleId');
    if (service.job(id) === undefined) return sendError(reply, ERRORS.unknownJob(id));
    const schedule = scheduleOf(id, scheduleId);
    if (schedule === undefined) return sendError(reply, ERRORS.unknownSchedule(scheduleId));
    return sendJson(reply, 200, scheduleToJson(schedule, service.nextRunAt(id, scheduleId)));
  });

  app.put('/v1/jobs/:jobId/schedules/:scheduleId', async (request, reply) => {
    const id = jobIdParam(request, reply);
    if (id === undefined) return reply;
    const scheduleId = param(request, 'scheduleId');
    const schedule = bodyAs(request, reply, (json) => parseSchedule(withId(json, scheduleId)));
    if (schedule === undefined) return reply;
    if (service.job(id) === undefined) return sendError(reply, ERRORS.unknownJob(id));
    if (scheduleOf(id, scheduleId) === undefined) return sendError(reply, ERRORS.unknownSchedule(scheduleId));
    const updated = await service.updateSchedule(id, schedule);
    if (!updated.ok) return sendError(reply, fromBatchError(updated, ERRORS.unknownSchedule(scheduleId)));
    return sendJson(reply, 200, scheduleToJson(updated.value, service.nextRunAt(id, scheduleId)));
  });

  app.delete('/v1/jobs/:jobId/schedules/:scheduleId', async (request, reply) => {
    const id = jobIdParam(request, reply);
    if (id === undefined) return reply;
    const scheduleId = param(request, 'scheduleId');
    if (service.job(id) === undefined) return sendError(reply, ERRORS.unknownJob(id));
    if (scheduleOf(id, scheduleId) === undefined) return sendError(reply, ERRORS.unknownSchedule(scheduleId));
    const deleted = await service.deleteSchedule(id, scheduleId);
    if (!deleted.ok) return sendError(reply, fromBatchError(deleted, ERRORS.unknownSchedule(scheduleId)));
    return reply.code(200).send();
  });
}
