/**
 * The marathon UI's server side on a real socket: the shell and bundle under /ui/, and the queue
 * feed (SSE) that pushes the launch queue when it changes and only then. The pages themselves are
 * tested in a real browser (test/ui-marathon.test.ts).
 */
import test from 'ava';
import type { AddressInfo } from 'node:net';
import { appDef, FakeService } from '../http/test-fixtures.ts';
import { makeApp } from '../http/test-app.ts';
import type { QueueEntry } from '../ports.ts';
import type { TimerHandle, Timers } from '../../common/ports.ts';

/** Intervals that run when the test says so (`tick`), not on a clock. */
function manualTimers(): Timers & { tick(): void } {
  const intervals = new Map<TimerHandle, () => void>();
  let n = 0;
  return {
    setTimeout: () => ++n as unknown as TimerHandle,
    setInterval: (fn) => {
      const handle = ++n as unknown as TimerHandle;
      intervals.set(handle, fn);
      return handle;
    },
    clear: (handle) => { intervals.delete(handle); },
    tick: () => { for (const fn of [...intervals.values()]) fn(); },
  };
}

const entry = (processed: number): QueueEntry => ({
  app: appDef('/big', { cpus: 64 }), count: 1, delay: { timeLeftSeconds: 0, overdue: true }, since: '2026-11-22T11:00:00.000Z',
  stats: { processedOffersCount: processed, unusedOffersCount: processed, rejectSummary: { InsufficientCpus: processed }, lastUnusedOffers: [] },
});

test('GET /ui/ serves the shell, its bundle and stylesheet; /ui redirects to it', async (t) => {
  const { app } = makeApp();
  t.teardown(() => app.close());
  const shell = await app.inject({ method: 'GET', url: '/ui/' });
  t.is(shell.statusCode, 200);
  t.regex(shell.headers['content-type'] as string, /text\/html/);
  t.regex(shell.body, /<title>maestro marathon<\/title>/);
  const js = await app.inject({ method: 'GET', url: '/ui/assets/app.js' });
  t.is(js.statusCode, 200);
  t.true(js.body.includes('/v2/events'), 'the bundle reads the event stream');
  const css = await app.inject({ method: 'GET', url: '/ui/assets/app.css' });
  t.true(css.body.includes('.badge.status-running'), 'the UI\'s own styles follow the kit\'s');
  const bare = await app.inject({ method: 'GET', url: '/ui' });
  t.is(bare.statusCode, 301);
  t.is(bare.headers.location, '/ui/');
});

test('the queue feed pushes the queue at once and again only when it changed; closing the app ends it', async (t) => {
  const service = new FakeService();
  const timers = manualTimers();
  const { app } = makeApp(service, { timers });
  t.teardown(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const res = await fetch(`http://127.0.0.1:${port}/ui/feed/queue`);
  t.is(res.headers.get('content-type'), 'text/event-stream');
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  const next = async (): Promise<{ queue: any[] } | undefined> => {
    for (;;) {
      const cut = buf.indexOf('\n\n');
      if (cut >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        t.true(block.startsWith('event: queue\n'));
        return JSON.parse(block.slice(block.indexOf('data: ') + 6));
      }
      const { value, done } = await reader.read();
      if (done) return undefined;
      buf += decoder.decode(value, { stream: true });
    }
  };
  t.deepEqual(await next(), { queue: [] });
  service.queueEntries = [entry(3)];
  timers.tick();
  const first = await next();
  t.is(first?.queue[0].app.id, '/big');
  t.is(first?.queue[0].processedOffersSummary.processedOffersCount, 3);
  t.deepEqual(first?.queue[0].lastUnusedOffers, []);
  // An unchanged queue is not pushed again: after a tick without change, the next message is the changed one.
  service.queueEntries = [entry(3)];
  timers.tick();
  service.queueEntries = [entry(5)];
  timers.tick();
  const second = await next();
  t.is(second?.queue[0].processedOffersSummary.rejectSummaryLastOffers.find((r: any) => r.reason === 'InsufficientCpus').declined, 5);
  await app.close();
  t.is(await next(), undefined, 'the stream ends when the app closes');
});
