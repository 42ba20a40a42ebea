import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { MarathonEvent } from '../model.ts';
import { asPathId } from '../model.ts';
import { appTerminatedEvent, schedulerDisconnectedEvent } from '../events/marathon-events.ts';
import { FakeService } from './test-fixtures.ts';
import { makeApp } from './test-app.ts';
import { lightPlan, sseMessage } from './events-routes.ts';

const NOW = '2026-11-22T12:00:00.000Z';

interface Stream {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** Everything received so far. */
  text(): string;
  /** Resolves when the received text satisfies `pred`. */
  until(pred: (text: string) => boolean): Promise<string>;
  /** Resolves when the server ends the response. */
  ended: Promise<void>;
  close(): void;
}

async function listen(app: FastifyInstance): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return (app.server.address() as AddressInfo).port;
}

function open(port: number, query = ''): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: `/v2/events${query}`, headers: { accept: 'text/event-stream' } }, (res) => {
      let buf = '';
      const waiters: { pred: (t: string) => boolean; done: (t: string) => void }[] = [];
      let endedResolve: () => void = () => {};
      const ended = new Promise<void>((r) => { endedResolve = r; });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (const w of [...waiters]) if (w.pred(buf)) { waiters.splice(waiters.indexOf(w), 1); w.done(buf); }
      });
      res.on('end', endedResolve);
      res.on('close', endedResolve);
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        text: () => buf,
        until: (pred) => (pred(buf) ? Promise.resolve(buf) : new Promise((done) => waiters.push({ pred, done }))),
        ended,
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

/** The SSE messages in a text: [event name, data]. */
function messages(text: string): [string, any][] {
  return text.split('\n\n').filter((m) => m.startsWith('event: ')).map((m) => {
    const [ev, data] = m.split('\n');
    return [ev.slice('event: '.length), JSON.parse(data.slice('data: '.length))];
  });
}

test('sseMessage frames one event as "event: <type>\\ndata: <json>\\n\\n"', (t) => {
  const e = appTerminatedEvent(asPathId('/x'), NOW);
  t.is(sseMessage(e), `event: app_terminated_event\ndata: {"appId":"/x","eventType":"app_terminated_event","timestamp":"${NOW}"}\n\n`);
});

test('lightPlan drops original and target from a plan and leaves other events alone', (t) => {
  const e: MarathonEvent = { eventType: 'deployment_info', timestamp: NOW, plan: { id: 'd', original: {}, target: {}, steps: [], version: NOW } };
  t.deepEqual(lightPlan(e).plan, { id: 'd', steps: [], version: NOW });
  const other = appTerminatedEvent(asPathId('/x'), NOW);
  t.is(lightPlan(other), other);
});

test('GET /v2/events over a real socket: SSE headers, its own event_stream_attached, events in order, detached on leave', async (t) => {
  const service = new FakeService();
  const published: MarathonEvent[] = [];
  // The bus the integrator wires: publish feeds service.subscribe's listeners.
  const { app } = makeApp(service, { publish: (e) => { published.push(e); service.emit(e); } });
  const port = await listen(app);
  t.teardown(() => app.close());
  const s = await open(port);
  t.is(s.status, 200);
  t.regex(String(s.headers['content-type']), /^text\/event-stream/);
  await s.until((x) => x.includes('event_stream_attached'));
  service.emit(schedulerDisconnectedEvent(NOW));
  service.emit(appTerminatedEvent(asPathId('/a'), NOW));
  const text = await s.until((x) => x.includes('app_terminated_event'));
  const got = messages(text);
  t.deepEqual(got.map(([name]) => name), ['event_stream_attached', 'scheduler_disconnected_event', 'app_terminated_event']);
  t.is(got[0][1].remoteAddress, '127.0.0.1');
  t.deepEqual(got[2][1], { appId: '/a', eventType: 'app_terminated_event', timestamp: NOW });
  s.close();
  await new Promise<void>((resolve) => {
    const check = () => (published.some((e) => e.eventType === 'event_stream_detached') ? resolve() : setTimeout(check, 10));
    check();
  });
  t.is(service.listeners.size, 0);
});

test('event_type (repeatable) keeps only those types', async (t) => {
  const service = new FakeService();
  const { app } = makeApp(service);
  const port = await listen(app);
  t.teardown(() => app.close());
  const s = await open(port, '?event_type=app_terminated_event&event_type=scheduler_disconnected_event');
  await new Promise((r) => setTimeout(r, 50));
  service.emit({ eventType: 'status_update_event', timestamp: NOW });
  service.emit(schedulerDisconnectedEvent(NOW));
  service.emit({ eventType: 'deployment_info', timestamp: NOW });
  service.emit(appTerminatedEvent(asPathId('/b'), NOW));
  const text = await s.until((x) => x.includes('app_terminated_event'));
  t.deepEqual(messages(text).map(([name]) => name), ['scheduler_disconnected_event', 'app_terminated_event']);
  s.close();
});

test('keep-alive comments while idle; closing the app ends the stream', async (t) => {
  const { app } = makeApp(new FakeService(), { keepAliveMs: 20 });
  const port = await listen(app);
  const s = await open(port);
  const text = await s.until((x) => (x.match(/^:\n\n/gm) ?? []).length >= 2);
  t.true(text.includes(':\n\n'));
  await app.close();
  await s.ended;
  t.pass();
});

test('plan-format=light strips plans; a bad plan-format is a 400', async (t) => {
  const service = new FakeService();
  const { app } = makeApp(service);
  const port = await listen(app);
  t.teardown(() => app.close());
  const s = await open(port, '?plan-format=light&event_type=deployment_success');
  await new Promise((r) => setTimeout(r, 50));
  service.emit({ eventType: 'deployment_success', timestamp: NOW, id: 'd', plan: { id: 'd', original: { id: '/' }, target: { id: '/' }, steps: [], version: NOW } });
  const text = await s.until((x) => x.includes('deployment_success'));
  t.deepEqual(messages(text)[0][1].plan, { id: 'd', steps: [], version: NOW });
  s.close();
  const bad = await app.inject({ method: 'GET', url: '/v2/events?plan-format=heavy', headers: { accept: 'text/event-stream' } });
  t.is(bad.statusCode, 400);
});

test('without Accept: text/event-stream the stream is refused with 405, as Marathon\'s servlet does', async (t) => {
  const service = new FakeService();
  const { app } = makeApp(service);
  const r = await app.inject({ method: 'GET', url: '/v2/events', headers: { accept: 'application/json' } });
  t.is(r.statusCode, 405);
  t.is(service.listeners.size, 0);
});
