/**
 * Marathon's web UI at `/ui/` (where Marathon serves its own): the HTML shell and the bundle of
 * marathon/ui/web (common/ui registerUi), and one feed of its own, `GET /ui/feed/queue` (SSE).
 *
 * Everything else the browser reads from the REST API it drives (`/v2/apps`, `/v2/deployments`,
 * `/v2/queue`, ...) and learns of changes from `/v2/events`. The queue feed exists because why an
 * app is not placed (the offers each reason rejected) changes with every offer round while
 * Marathon publishes no event for it: the server reads the queue once a second while a browser
 * listens and pushes it only when it changed (one `queue` message: `{queue: [...]}` as
 * `/v2/queue?embed=lastUnusedOffers` answers).
 *
 * States of a feed: open (interval armed) ──client leaves / app closes──► closed (interval cleared).
 */
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { registerUi } from '../../common/ui/serve.ts';
import type { RouteContext } from '../http/context.ts';
import { queueEntryJson } from '../http/queue-routes.ts';

/** How often an open queue feed compares the queue with what it last sent. */
export const QUEUE_FEED_PERIOD_MS = 1000;

export function registerMarathonUi(app: FastifyInstance, ctx: RouteContext): void {
  const feeds = new Set<() => void>();
  app.addHook('preClose', (done) => {
    for (const close of [...feeds]) close();
    done();
  });
  app.register(async (ui) => {
    await registerUi(ui, {
      title: 'maestro marathon',
      entry: fileURLToPath(new URL('./web/main.ts', import.meta.url)),
      prefix: '/ui/',
      css: fileURLToPath(new URL('./web/marathon.css', import.meta.url)),
    });
    ui.get('/ui/feed/queue', (request, reply) => {
      const raw = reply.raw;
      reply.hijack();
      raw.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache, no-store', Connection: 'keep-alive' });
      raw.flushHeaders();
      let last = '';
      const push = () => {
        const text = JSON.stringify({ queue: ctx.service.queue().map((e) => queueEntryJson(e, true)) });
        if (text === last) return;
        last = text;
        raw.write(`event: queue\ndata: ${text}\n\n`);
      };
      push();
      const timer = ctx.timers.setInterval(push, QUEUE_FEED_PERIOD_MS);
      const close = () => {
        if (!feeds.delete(close)) return;
        ctx.timers.clear(timer);
        raw.end();
      };
      feeds.add(close);
      request.raw.once('close', close);
    });
  });
}
