/**
 * `GET /v2/events`: Marathon's server-sent event stream. Each event is one SSE message,
 * `event: <eventType>\ndata: <json>\n\n`, written in one `write`; a comment line (`:\n\n`) every
 * `keepAliveMs` keeps proxies from closing an idle stream. `event_type` (repeatable) keeps only
 * those types; `plan-format=light` drops `original` and `target` from deployment plans.
 *
 * A request must accept `text/event-stream` (else 405, as Marathon's servlet answers).
 * A stream publishes `event_stream_attached` when it opens (after subscribing, so it sees its own)
 * and `event_stream_detached` when the client leaves. Closing the app ends every open stream.
 *
 * States: open (subscribed, keep-alive armed) ──client closes / app closes──► closed
 * (unsubscribed, timer cleared; both paths idempotent).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { MarathonEvent } from '../model.ts';
import { eventStreamAttachedEvent, eventStreamDetachedEvent } from '../events/marathon-events.ts';
import type { RouteContext } from './context.ts';
import { ERRORS, sendError } from './errors.ts';
import { listParam, stringParam, type Query } from './query.ts';

type Req = FastifyRequest<{ Querystring: Query }>;

/** One SSE message for an event. */
export function sseMessage(e: MarathonEvent): string {
  return `event: ${e.eventType}\ndata: ${JSON.stringify(e)}\n\n`;
}

/** Deployment plans without the full original and target groups (`plan-format=light`). */
export function lightPlan(e: MarathonEvent): MarathonEvent {
  const plan = e.plan;
  if (typeof plan !== 'object' || plan === null) return e;
  const { original: _o, target: _t, ...rest } = plan as Record<string, unknown>;
  return { ...e, plan: rest };
}

export interface EventStreams {
  /** Delivers an event to every open stream (used when no external bus publisher is given). */
  deliver(e: MarathonEvent): void;
  /** Ends every open stream. */
  closeAll(): void;
  count(): number;
}

export function registerEventsRoutes(app: FastifyInstance, ctx: RouteContext): EventStreams {
  const open = new Set<{ send: (e: MarathonEvent) => void; close: () => void }>();

  app.get('/v2/events', (request: Req, reply) => {
    // Marathon serves the stream through Jetty's EventSourceServlet, which answers a GET without
    // `Accept: text/event-stream` with the servlet default, 405.
    if (!(request.headers.accept ?? '').includes('text/event-stream')) {
      return sendError(reply, ERRORS.methodNotAllowed('HTTP method GET is not supported by this URL without Accept: text/event-stream'));
    }
    const format = stringParam(request.query, 'plan-format') ?? 'full';
    if (format !== 'full' && format !== 'light') {
      return sendError(reply, ERRORS.badRequest(`Invalid value '${format}' for query parameter 'plan-format': expected full or light`));
    }
    const types = new Set(listParam(request.query, 'event_type'));
    const raw = reply.raw;
    reply.hijack();
    raw.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      Connection: 'keep-alive',
    });
    raw.flushHeaders();
    const remoteAddress = request.ip;
    let closed = false;
    const send = (e: MarathonEvent) => {
      if (closed || (types.size > 0 && !types.has(e.eventType))) return;
      raw.write(sseMessage(format === 'light' ? lightPlan(e) : e));
    };
    const unsubscribe = ctx.service.subscribe(send);
    const keepAlive = ctx.timers.setInterval(() => {
      if (!closed) raw.write(':\n\n');
    }, ctx.keepAliveMs);
    const stream = {
      send,
      close: () => {
        if (closed) return;
        closed = true;
        unsubscribe();
        ctx.timers.clear(keepAlive);
        open.delete(stream);
        ctx.publish(eventStreamDetachedEvent(remoteAddress, ctx.nowIso()));
        raw.end();
      },
    };
    open.add(stream);
    raw.on('close', stream.close);
    ctx.publish(eventStreamAttachedEvent(remoteAddress, ctx.nowIso()));
  });

  return {
    deliver: (e) => { for (const s of [...open]) s.send(e); },
    closeAll: () => { for (const s of [...open]) s.close(); },
    count: () => open.size,
  };
}
