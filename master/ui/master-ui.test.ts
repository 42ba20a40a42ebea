// createMasterUi over a real Master (test harness) and a real loopback WebSocket: what the master
// pays for its UI when no page is open. A change bumps the generation only; history samples on
// change (one pass over every task each) start when a page connects.
import test from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { harness } from '../test-fixtures.ts';
import Fastify from 'fastify';
import { createMasterUi, masterUiAssets, MAX_SUBSCRIPTIONS, UI_FEED_PATH } from './master-ui.ts';
import type { LeaderStatus } from '../http/leader-check.ts';
import { emptyRegistry } from '../registry/registry.ts';

/** Lets every timer due by now run (the samples use setTimeout with a 0 ms gap here). */
const timersRun = () => new Promise((resolve) => setTimeout(resolve, 1));

/** `ui` attached to `h`'s master on a loopback server, closed at teardown. */
async function attached(t: import('ava').ExecutionContext, ui: ReturnType<typeof createMasterUi>, h: ReturnType<typeof harness>): Promise<Server> {
  const server = createServer((_q, s) => s.end());
  ui.attach(server, h.master, h.allocator, []);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    await ui.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return server;
}

test('no page open: changes take no history sample; with a page open they do (one per gap)', async (t) => {
  const h = harness();
  // The interval sample (every hour here) stays out of the way: only samples on change count.
  const ui = createMasterUi({ sampleIntervalMs: 3_600_000, minSampleGapMs: 0 });
  const server = await attached(t, ui, h);
  const observed = ui.observe(h.master);
  const samples = () => ui.views().overview().history.length;
  t.is(samples(), 1, 'the sample taken at attach');

  for (let i = 1; i <= 5; i++) t.true(observed.updateWeights([{ role: 'web', weight: i }]).ok);
  await timersRun();
  t.is(samples(), 1, 'nobody looks: no sample per change');

  const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}${UI_FEED_PATH}`);
  t.teardown(() => ws.terminate());
  const first = new Promise((resolve) => ws.once('message', resolve));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.send(JSON.stringify({ op: 'subscribe', id: 1, topic: 'overview', params: {} }));
  await first;
  t.true(observed.updateWeights([{ role: 'web', weight: 9 }]).ok);
  await timersRun();
  t.is(samples(), 2, 'a page is open: the change is sampled');
});

test('after close a change schedules nothing and pushes nothing', async (t) => {
  const h = harness();
  const ui = createMasterUi({ sampleIntervalMs: 3_600_000, minSampleGapMs: 0 });
  const server = createServer((_q, s) => s.end());
  ui.attach(server, h.master, h.allocator, []);
  const before = ui.views();
  await ui.close();
  ui.changed();
  await timersRun();
  t.is(ui.views(), before, 'no new generation once closed');
});

test('an elected master recovering the registry through the observed master starts a new generation (weights show at once)', async (t) => {
  const h = harness();
  const ui = createMasterUi({ sampleIntervalMs: 3_600_000 });
  const server = createServer((_q, s) => s.end());
  ui.attach(server, h.master, h.allocator, []);
  t.teardown(() => ui.close());
  const observed = ui.observe(h.master);
  const before = ui.views();
  const registry = emptyRegistry();
  registry.weights.set('web', 3);
  observed.recover(registry);
  t.not(ui.views(), before, 'a new generation');
  t.is(h.master.getWeights().weight_infos?.find((w) => w.role === 'web')?.weight, 3);
});

test('a master that does not lead sends the browser to the leader\'s page (307), or answers 503 while none is elected', async (t) => {
  let status: LeaderStatus | undefined = { kind: 'elsewhere', base: '//leader.example:5050' };
  const app = Fastify();
  await app.register(masterUiAssets, { leader: () => status });
  app.get('/other', async () => 'not the UI\'s');
  t.teardown(() => app.close());
  const page = await app.inject({ method: 'GET', url: '/' });
  t.is(page.statusCode, 307);
  t.is(page.headers.location, '//leader.example:5050/');
  t.is((await app.inject({ method: 'GET', url: '/assets/app.js' })).headers.location, '//leader.example:5050/assets/app.js');
  t.is((await app.inject({ method: 'GET', url: '/other' })).statusCode, 200, 'the hook covers the UI\'s routes only');
  status = { kind: 'none' };
  t.is((await app.inject({ method: 'GET', url: '/' })).statusCode, 503);
  status = undefined;
  const leading = await app.inject({ method: 'GET', url: '/' });
  t.is(leading.statusCode, 200);
  t.regex(leading.body, /maestro master/);
});

test('one connection to the master feed holds at most MAX_SUBSCRIPTIONS views', async (t) => {
  const h = harness();
  const ui = createMasterUi({ sampleIntervalMs: 3_600_000 });
  const server = await attached(t, ui, h);
  const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}${UI_FEED_PATH}`);
  t.teardown(() => ws.terminate());
  const answers: { op: string; id: number; field?: string }[] = [];
  let wanted = 0;
  let done: () => void = () => undefined;
  ws.on('message', (d) => { answers.push(JSON.parse(d.toString())); if (answers.length === wanted) done(); });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  wanted = MAX_SUBSCRIPTIONS + 1;
  const all = new Promise<void>((resolve) => { done = resolve; });
  for (let id = 1; id <= MAX_SUBSCRIPTIONS + 1; id++) ws.send(JSON.stringify({ op: 'subscribe', id, topic: 'tasks', params: { filter: `f${id}` } }));
  await all;
  t.is(answers.filter((m) => m.op === 'snapshot').length, MAX_SUBSCRIPTIONS);
  t.like(answers.at(-1), { op: 'error', id: MAX_SUBSCRIPTIONS + 1, field: 'id' });
});
