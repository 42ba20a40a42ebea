/**
 * The batch framework's REST API (Metronome's `/v1/jobs`) as one Fastify app, not listening
 * (main.ts calls `listen`), over the core's `BatchService` port: jobs, runs, schedules, the queue,
 * ping, info and metrics. Errors are Metronome's JSON shapes (errors.ts).
 *
 * Request pipeline: the body is kept as text whatever its content type (each route reads JSON
 * itself, so bad JSON is Play's 400 `Invalid Json: ...`), then per route: path id (400), query
 * (400), body (400, 422), existence (404), conflicts (409), one change call of the service, its
 * refusal or the answer. Unknown routes are Metronome's 404 `Unknown route.`; a failure inside a
 * route is a 500 `{"requestPath"}`, logged.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../../common/ports.ts';
import { createJsonApiApp } from '../../../common/json-api-app.ts';
import type { BatchService } from '../ports.ts';
import { ERRORS, sendError } from './errors.ts';
import { registerInfoRoutes } from './info-routes.ts';
import { registerJobsRoutes } from './jobs-routes.ts';
import { createHttpMetrics } from './metrics.ts';
import { requestPath } from './request-params.ts';
import type { RouteContext } from './route-context.ts';
import { registerRunsRoutes } from './runs-routes.ts';
import { registerSchedulesRoutes } from './schedules-routes.ts';
import { registerBatchUi } from '../ui/batch-ui.ts';

/** A job document is small; this leaves room for large env maps and many artifacts. */
const BODY_LIMIT_BYTES = 4 * 1024 * 1024;

export interface BatchAppOptions {
  readonly service: BatchService;
  readonly logger?: Logger | false;
  readonly clock?: Clock;
  /** Served by `/info` (default: maestro's batch framework, version 0.1.0). */
  readonly name?: string;
  readonly version?: string;
  /** The masters (`host:port`): the UI reads task logs from the agents they name. */
  readonly masters?: readonly string[];
}

export function createBatchApp(opts: BatchAppOptions): FastifyInstance {
  const logger = opts.logger ?? false;
  const clock = opts.clock ?? systemClock;
  const metrics = createHttpMetrics();
  const app = createJsonApiApp({ logger, bodyLimitBytes: BODY_LIMIT_BYTES, clock, metrics });
  const startedAtMs = clock.now();
  const ctx: RouteContext = { service: opts.service };

  app.setNotFoundHandler((request, reply) => sendError(reply, ERRORS.unknownRoute(requestPath(request.url))));
  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, request, reply) => {
    const path = requestPath(request.url);
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, ERRORS.bodyTooLarge(path));
    request.log.error({ err: error, method: request.method, url: request.url }, 'request failed');
    return sendError(reply, ERRORS.internal(path));
  });

  registerJobsRoutes(app, ctx);
  registerRunsRoutes(app, ctx);
  registerSchedulesRoutes(app, ctx);
  registerInfoRoutes(app, ctx, { name: opts.name ?? 'maestro-batch', version: opts.version ?? '0.1.0', metrics, clock, startedAtMs });
  registerBatchUi(app, { service: opts.service, masters: opts.masters ?? [], ...(logger ? { logger } : {}) });
  return app;
}
