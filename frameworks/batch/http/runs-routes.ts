/**
 * Runs: `GET/POST /v1/jobs/{jobId}/runs`, `GET /v1/jobs/{jobId}/runs/{runId}`,
 * `POST /v1/jobs/{jobId}/runs/{runId}/actions/stop`, and `GET /v1/queue` (the runs waiting for
 * resources, Metronome's `[{jobId, runs: [{runId}]}]`).
 *
 * Metronome's answers: the list holds the job's active runs (404 `Job not found`); POST starts a
 * run and answers 201 with it (a body, Metronome's run override, is not read); a run is found
 * active or finished (404 `Job Run not found` with `jobSpec` and `id`); stop answers 200 with the
 * run. A refused request calls no change method of the service.
 */
import type { FastifyInstance } from 'fastify';
import { runToJson } from '../spec/batch-json.ts';
import { ERRORS, fromBatchError, sendError, sendJson } from './errors.ts';
import { jobIdParam, param, type RouteContext } from './route-context.ts';

export function registerRunsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { service } = ctx;

  app.get('/v1/jobs/:jobId/runs', async (request, reply) => {
    const id = jobIdParam(request, reply);
    if (id === undefined) return reply;
    if (service.job(id) === undefined) return sendError(reply, ERRORS.unknownJob(id));
    return sendJson(reply, 200, service.activeRuns(id).map((r) => runToJson(r)));
  });

  app.post('/v1/jobs/:jobId/runs', async (request, reply) => {
    const id = jobIdParam(request, reply);
    if (id === undefined) return reply;
    if (service.job(id) === undefined) return sendError(reply, ERRORS.unknownJob(id));
    const started = await service.startRun(id);
    if (!started.ok) return sendError(reply, fromBatchError(started, ERRORS.unknownJob(id)));
    return sendJson(reply, 201, runToJson(started.value));
  });

  app.get('/v1/jobs/:jobId/runs/:runId', async (request, reply) => {
    const id = jobIdParam(request, reply);
    if (id === undefined) return reply;
    const runId = param(request, 'runId');
    const run = await service.run(id, runId);
    if (run === undefined) return sendError(reply, ERRORS.unknownJobRun(id, runId));
    return sendJson(reply, 200, runToJson(run));
  });

  app.post('/v1/jobs/:jobId/runs/:runId/actions/stop', async (request, reply) => {
    const id = jobIdParam(request, reply);
    if (id === undefined) return reply;
    const runId = param(request, 'runId');
    if (service.job(id) === undefined) return sendError(reply, ERRORS.unknownJob(id));
    if (!service.activeRuns(id).some((r) => r.id === runId)) return sendError(reply, ERRORS.unknownJobRun(id, runId));
    const stopped = await service.stopRun(id, runId);
    if (!stopped.ok) return sendError(reply, fromBatchError(stopped, ERRORS.unknownJobRun(id, runId)));
    return sendJson(reply, 200, runToJson(stopped.value));
  });

  app.get('/v1/queue', async (_request, reply) => {
    const byJob = new Map<string, { runId: string }[]>();
    for (const run of service.activeRuns()) {
      if (run.status !== 'INITIAL') continue;
      const runs = byJob.get(run.jobId) ?? [];
      runs.push({ runId: run.id });
      byJob.set(run.jobId, runs);
    }
    return sendJson(reply, 200, [...byJob].map(([jobId, runs]) => ({ jobId, runs })));
  });
}
