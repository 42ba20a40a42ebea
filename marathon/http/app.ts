/**
 * Marathon's REST API v2 as one Fastify app (not listening; main.ts calls `listen`), over the
 * core's `MarathonService` port: apps, tasks, deployments, groups, queue, the event stream,
 * info/leader, ping and metrics; pods (`/v2/pods`) over the `PodService` port when one is given.
 * Errors are Marathon's JSON shapes (errors.ts).
 *
 * Request pipeline: body kept as text (each route parses JSON itself, so bad JSON is Marathon's
 * 400 "Invalid JSON"), then the leader check (leader-proxy.ts): a marathon that does not lead
 * forwards the request to the leader, or answers 503 when none is known; `/ping`, `/metrics*`
 * and `/v2/leader` are always answered locally. Closing the app ends every event stream first.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { systemClock, systemTimers, type Clock, type Timers } from '../../common/ports.ts';
import { createJsonApiApp } from '../../common/json-api-app.ts';
import type { MarathonEvent } from '../model.ts';
import type { MarathonService, PodService } from '../ports.ts';
import { registerAppsRoutes } from './apps-routes.ts';
import type { MarathonConfig } from './config.ts';
import type { RouteContext } from './context.ts';
import { registerDeploymentsRoutes } from './deployments-routes.ts';
import { ERRORS, sendError } from './errors.ts';
import { registerEventsRoutes } from './events-routes.ts';
import { registerGroupsRoutes } from './groups-routes.ts';
import { registerInfoRoutes } from './info-routes.ts';
import { endToEndHeaders, leaderDecision, VIA_HEADER, type LeaderProxy } from './leader-proxy.ts';
import { createHttpMetrics } from './metrics.ts';
import { registerPodsRoutes } from './pods-routes.ts';
import { registerQueueRoutes } from './queue-routes.ts';
import { registerTasksRoutes } from './tasks-routes.ts';
import { registerMarathonUi } from '../ui/marathon-ui.ts';

/** App definitions and group updates can be large; Marathon's default limit is about 1 MB per app. */
const BODY_LIMIT_BYTES = 32 * 1024 * 1024;
/** Jetty's EventSourceServlet (Marathon's SSE) heartbeat period. */
const KEEP_ALIVE_MS = 10_000;
const LOCAL_PATHS = [/^\/ping$/, /^\/metrics(\/.*)?$/, /^\/v2\/leader$/];

export interface MarathonAppOptions {
  readonly service: MarathonService;
  /** The core's pods: `/v2/pods` exists only where it is given (HEAD /v2/pods tells clients so). */
  readonly pods?: PodService;
  readonly config: MarathonConfig;
  readonly logger?: Logger | false;
  readonly clock?: Clock;
  readonly timers?: Timers;
  /** Forwards requests to the leader; absent: a non-leader answers 503 (or 307 when `leaderProxy` is off). */
  readonly proxy?: LeaderProxy;
  /**
   * Publishes on the bus that `service.subscribe` reads (api_post_event, event_stream_attached and
   * _detached reach every stream that way); absent: these go only to this app's open streams.
   */
  readonly publish?: (event: MarathonEvent) => void;
  /** DELETE /v2/leader: give up leadership. */
  readonly abdicate?: () => Promise<void>;
  /** SSE keep-alive interval (default 10 s). */
  readonly keepAliveMs?: number;
}

export function createMarathonApp(opts: MarathonAppOptions): FastifyInstance {
  const logger = opts.logger ?? false;
  const clock = opts.clock ?? systemClock;
  const metrics = createHttpMetrics();
  const app = createJsonApiApp({ logger, bodyLimitBytes: BODY_LIMIT_BYTES, clock, metrics });
  const startedAtMs = clock.now();
  // Read at each request: the composition root learns its port only once it listens (port 0).
  const self = () => `${opts.config.hostname}:${opts.config.httpPort}`;

  let deliverLocally: (e: MarathonEvent) => void = () => {};
  const ctx: RouteContext = {
    service: opts.service,
    config: opts.config,
    clock,
    timers: opts.timers ?? systemTimers,
    publish: opts.publish ?? ((e) => deliverLocally(e)),
    keepAliveMs: opts.keepAliveMs ?? KEEP_ALIVE_MS,
    nowIso: () => new Date(clock.now()).toISOString(),
  };


  app.addHook('preHandler', async (request, reply) => {
    const path = request.url.split('?')[0];
    if (LOCAL_PATHS.some((p) => p.test(path))) return;
    const decision = leaderDecision(opts.service.status(), self(), {
      proxyEnabled: opts.config.leaderProxy && opts.proxy !== undefined,
      alreadyForwarded: request.headers[VIA_HEADER] !== undefined,
    });
    switch (decision.kind) {
      case 'serve': return;
      case 'unavailable': return sendError(reply, ERRORS.noLeader());
      case 'redirect': return reply.code(307).header('Location', `http://${decision.leader}${request.url}`).send();
      case 'forward': return forward(request, reply, decision.leader);
    }
  });

  const forward = async (request: FastifyRequest, reply: FastifyReply, leader: string) => {
    try {
      const answer = await (opts.proxy as LeaderProxy).forward(leader, {
        method: request.method,
        url: request.url,
        headers: { ...request.headers, 'x-forwarded-for': request.ip },
        body: typeof request.body === 'string' ? request.body : undefined,
      });
      // Relayed by hand: headers go out at once (an idle event stream sends no body for a while,
      // and Node holds headers back until the first body write), then the body as it flows.
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(answer.status, { ...endToEndHeaders(answer.headers), [VIA_HEADER]: `1.1 ${self()}` });
      raw.flushHeaders();
      answer.body.pipe(raw);
      raw.on('close', () => answer.body.destroy());
      answer.body.on('error', () => raw.destroy());
    } catch (e) {
      request.log.warn({ err: e, leader }, 'forwarding to the leader failed');
      return sendError(reply, ERRORS.leaderUnreachable(leader));
    }
  };

  app.setNotFoundHandler((request, reply) => sendError(reply, ERRORS.notFound(`No route for ${request.method} ${request.url.split('?')[0]}`)));
  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, ERRORS.bodyTooLarge(error.message));
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'request failed');
    return sendError(reply, { status, body: { message: error.message } });
  });

  registerAppsRoutes(app, ctx);
  registerTasksRoutes(app, ctx);
  registerDeploymentsRoutes(app, ctx);
  registerGroupsRoutes(app, ctx);
  registerQueueRoutes(app, ctx);
  if (opts.pods !== undefined) registerPodsRoutes(app, ctx, opts.pods);
  const streams = registerEventsRoutes(app, ctx);
  deliverLocally = streams.deliver;
  registerInfoRoutes(app, ctx, { metrics, startedAtMs, ...(opts.abdicate !== undefined ? { abdicate: opts.abdicate } : {}) });
  registerMarathonUi(app, ctx);

  app.addHook('preClose', (done) => {
    streams.closeAll();
    done();
  });
  return app;
}
