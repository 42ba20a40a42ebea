/**
 * `/v2/queue`: the apps with instances waiting to launch (Marathon's launch queue JSON: `count`,
 * `delay`, `since`, `app`, `processedOffersSummary`, and with `embed=lastUnusedOffers` the last
 * offers that did not fit), and `DELETE /v2/queue/{appId}/delay` to reset an app's backoff (204).
 *
 * The queue item has no top-level `role`: python-marathon's `MarathonQueueItem` refuses unknown
 * fields (Marathon 1.9 added it; clients this API must serve predate it).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { QueueEntry } from '../ports.ts';
import { appToJson } from '../app/app-json.ts';
import { rejectFunnel } from '../core/offer-stats.ts';
import { displayId, sendJson, urlPathId, type RouteContext } from './context.ts';
import { ERRORS, sendError } from './errors.ts';
import { listParam, type Query } from './query.ts';

type Req = FastifyRequest<{ Querystring: Query; Params: { '*': string } }>;

export function queueEntryJson(e: QueueEntry, embedOffers: boolean): Record<string, unknown> {
  const s = e.stats;
  const summary = rejectFunnel(s);
  return {
    count: e.count,
    delay: { timeLeftSeconds: e.delay.timeLeftSeconds, overdue: e.delay.overdue },
    since: e.since,
    app: appToJson(e.app),
    processedOffersSummary: {
      processedOffersCount: s.processedOffersCount,
      unusedOffersCount: s.unusedOffersCount,
      ...(s.lastUnusedOfferAt !== undefined ? { lastUnusedOfferAt: s.lastUnusedOfferAt } : {}),
      ...(s.lastUsedOfferAt !== undefined ? { lastUsedOfferAt: s.lastUsedOfferAt } : {}),
      rejectSummaryLastOffers: summary,
      rejectSummaryLaunchAttempt: summary,
    },
    ...(embedOffers ? {
      lastUnusedOffers: s.lastUnusedOffers.map((o) => ({
        offer: { id: o.offerId, agentId: o.agentId, hostname: o.hostname, resources: [], attributes: [] },
        timestamp: o.timestamp,
        reason: [...o.reasons],
      })),
    } : {}),
  };
}

export function registerQueueRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { service } = ctx;

  app.get('/v2/queue', (request: Req, reply) => {
    const embedOffers = listParam(request.query, 'embed').includes('lastUnusedOffers');
    return sendJson(reply, 200, { queue: service.queue().map((e) => queueEntryJson(e, embedOffers)) });
  });

  app.delete('/v2/queue/*', (request: Req, reply) => {
    const m = request.params['*'].match(/^(.*)\/delay\/?$/);
    if (m === null) return sendError(reply, ERRORS.notFound(`No route for DELETE ${request.url.split('?')[0]}`));
    const id = urlPathId(m[1]);
    // Marathon resets only the delay of an app in the launch queue (its 404 says so).
    const queued = id !== undefined && service.queue().some((e) => e.app.id === id);
    if (!queued || !service.resetDelay(id)) return sendError(reply, ERRORS.notInQueue(id ?? displayId(m[1])));
    return reply.code(204).send();
  });
}
