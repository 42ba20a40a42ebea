/**
 * The batch UI's server side: the viewer (reads again only on change, or for the history every
 * few rounds; pushes only when the view changed; runs only while watched), the log reader (master
 * -> agent -> sandbox -> /files/read, over a fake HTTP port), the log follower, the feed's
 * parameter checks, and the shell under /ui/. The pages run in a real browser in test/ui-batch.test.ts.
 */
import test from 'ava';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import type { TimerHandle, Timers } from '../../../common/ports.ts';
import { FakeBatchService, job, run, T0 } from '../http/fake-batch-service.ts';
import { createBatchApp } from '../http/app.ts';
import { createBatchViewer } from './batch-view.ts';
import { parseLogParams } from './batch-ui.ts';
import { createTaskLogReader, followLog, pidAddress, sandboxOf, type HttpGet, type TaskLogReader } from './task-logs.ts';

function manualTimers(): Timers & { tick(): void; active(): number } {
  const intervals = new Map<TimerHandle, () => void>();
  let n = 0;
  return {
    setTimeout: () => ({ timer: ++n }),
    setInterval: (fn) => {
      const handle = { timer: ++n };
      intervals.set(handle, fn);
      return handle;
    },
    clear: (handle) => { intervals.delete(handle); },
    tick: () => { for (const fn of [...intervals.values()]) fn(); },
    active: () => intervals.size,
  };
}

/** Lets pending promise callbacks run (the viewer's rounds are async). */
const settle = () => new Promise<void>((r) => setImmediate(r));

test('viewer: reads on change, after a poke and every 5th round, pushes only changes, stops when nobody watches', async (t) => {
  const service = new FakeBatchService([job('a')]);
  const timers = manualTimers();
  let watched = true;
  let changes = 0;
  const viewer = createBatchViewer({ service, timers, watched: () => watched, onChange: () => changes++, historyEvery: 5 });
  t.is(timers.active(), 0, 'no interval before anybody watches');
  await viewer.refresh();
  t.is(changes, 1);
  t.deepEqual(viewer.jobs()?.map((j) => j.id), ['a']);
  t.is(service.historyReads, 1);

  // Unchanged rounds read nothing (round 2, 3, 4 of 5); the 5th reads the history again but pushes nothing.
  for (let i = 0; i < 3; i++) { timers.tick(); await settle(); }
  t.is(service.historyReads, 1);
  timers.tick(); await settle();
  t.is(service.historyReads, 2);
  t.is(changes, 1);

  // A new active run changes the fingerprint: read and pushed at the next round.
  const spec = job('a');
  service.runs = [run(spec, 'r1')];
  timers.tick(); await settle();
  t.is(changes, 2);
  t.deepEqual(viewer.jobs()?.[0].activeRuns.map((r: { id: string }) => r.id), ['r1']);

  // A run that started and ended between rounds changes only the history: found by the 5th round...
  service.runs = [];
  timers.tick(); await settle();
  t.is(changes, 3);
  const finished = (n: number) => ({ successCount: n, failureCount: 0, lastSuccessAt: T0, lastFailureAt: null, successfulFinishedRuns: [{ id: `r${n}`, createdAt: T0, finishedAt: T0 }], failedFinishedRuns: [] });
  service.histories.set('a', finished(1));
  for (let i = 0; i < 5; i++) { timers.tick(); await settle(); }
  t.is(changes, 4);
  t.is(viewer.jobs()?.[0].history.successCount, 1);
  // ...or at once after a poke (a run started through the REST API).
  service.histories.set('a', finished(2));
  viewer.poke();
  timers.tick(); await settle();
  t.is(changes, 5);
  t.is(viewer.jobs()?.[0].history.successCount, 2);

  watched = false;
  timers.tick(); await settle();
  t.is(timers.active(), 0, 'the interval stops with the last watcher');
  t.is(viewer.jobs(), undefined, 'and the view is forgotten');
});

const AGENT_STATE = {
  frameworks: [{ id: 'fw', executors: [{ id: 'other', directory: '/sb/other', tasks: [{ id: 'x' }], completed_tasks: [] }] }],
  completed_frameworks: [{ id: 'fw0', completed_executors: [{ id: 'e', directory: '/sb/done', tasks: [], completed_tasks: [{ id: 'job_r1.task-0' }] }] }],
};

test('pidAddress and sandboxOf read the master\'s and the agent\'s JSON', (t) => {
  t.is(pidAddress('slave(1)@127.0.0.1:5051'), '127.0.0.1:5051');
  t.is(pidAddress('garbage'), undefined);
  t.is(sandboxOf(AGENT_STATE, 'job_r1.task-0'), '/sb/done', 'completed frameworks and executors count');
  t.is(sandboxOf(AGENT_STATE, 'x'), '/sb/other');
  t.is(sandboxOf(AGENT_STATE, 'nope'), undefined);
});

test('the log reader finds the agent through the master and the sandbox through the agent, once', async (t) => {
  const urls: string[] = [];
  const stdout = 'line one\nline two\n';
  const get: HttpGet = async (url) => {
    urls.push(url);
    const u = new URL(url);
    if (u.host === 'm1:5050') throw new Error('connection refused');
    if (u.pathname === '/master/slaves') return { status: 200, json: { slaves: [{ id: 'agent-1', pid: 'slave(1)@10.0.0.7:5051' }] } };
    if (u.pathname === '/state') return { status: 200, json: AGENT_STATE };
    if (u.pathname === '/files/read') {
      if (u.searchParams.get('path') !== '/sb/done/stdout') return { status: 404, json: undefined };
      const offset = Number(u.searchParams.get('offset'));
      if (offset === -1) return { status: 200, json: { data: '', offset: stdout.length } };
      const length = Number(u.searchParams.get('length'));
      return { status: 200, json: { data: stdout.slice(offset, offset + length), offset } };
    }
    return { status: 404, json: undefined };
  };
  const reader = createTaskLogReader(['m1:5050', 'm2:5050'], get);
  t.like(await reader.read(undefined, 'job_r1.task-0', 'stdout', 0), { ok: false, reason: 'no-agent' });
  t.like(await reader.read('agent-9', 'job_r1.task-0', 'stdout', 0), { ok: false, reason: 'agent-unknown' });
  t.deepEqual(await reader.read('agent-1', 'job_r1.task-0', 'stdout', 5), { ok: true, data: 'one\nline two\n', offset: 5, size: stdout.length });
  t.like(await reader.read('agent-1', 'job_r1.task-0', 'stderr', 0), { ok: false, reason: 'no-file' });
  t.is(urls.filter((u) => u.endsWith('/state')).length, 1, 'the sandbox is looked up once');
  t.true(urls.every((u) => !u.startsWith('http://m1:5050') || u.endsWith('/master/slaves')));
});

test('followLog starts at the tail, sends only what was appended, and says why it waits', async (t) => {
  let content = '';
  let placed = false;
  const reads: number[] = [];
  const reader: TaskLogReader = {
    async read(agentId, _task, _file, offset) {
      if (agentId === undefined) return { ok: false, reason: 'no-agent', message: 'not placed yet' };
      reads.push(offset);
      if (offset < 0) return { ok: true, data: '', offset: content.length, size: content.length };
      return { ok: true, data: content.slice(offset, offset + 4), offset, size: content.length };
    },
  };
  const timers = manualTimers();
  const chunks: { offset: number; data: string }[] = [];
  const waiting: string[] = [];
  content = 'x'.repeat(10);
  const stop = followLog(reader, timers, { agentId: async () => (placed ? 'agent-1' : undefined), taskId: 't', file: 'stdout' },
    { data: (c) => chunks.push(c), waiting: (m) => waiting.push(m) }, 1000, 6);
  await settle();
  timers.tick(); await settle();
  t.deepEqual(waiting, ['not placed yet'], 'the same reason is said once');
  placed = true;
  timers.tick(); await settle(); await settle();
  t.deepEqual(chunks, [{ offset: 4, data: 'xxxx' }, { offset: 8, data: 'xx' }], 'the last 6 bytes, in reads of at most 4');
  content += 'abc';
  timers.tick(); await settle(); await settle();
  t.deepEqual(chunks.slice(2), [{ offset: 10, data: 'abc' }]);
  timers.tick(); await settle();
  t.is(chunks.length, 3, 'nothing new, nothing sent');
  stop();
  t.is(timers.active(), 0);
});

test('log feed parameters: every bad field is named', (t) => {
  t.like(parseLogParams({ job: 'a', run: 'r', task: 't', file: 'stdout' }), { ok: true });
  t.like(parseLogParams({ run: 'r', task: 't', file: 'stdout' }), { ok: false, field: 'job' });
  t.like(parseLogParams({ job: 'a', run: '', task: 't', file: 'stdout' }), { ok: false, field: 'run' });
  t.like(parseLogParams({ job: 'a', run: 'r', task: 7, file: 'stdout' }), { ok: false, field: 'task' });
  t.like(parseLogParams({ job: 'a', run: 'r', task: 't', file: '../etc/passwd' }), { ok: false, field: 'file' });
});

test('the live feed over a real WebSocket: a run started through the API that ends before the next round shows at that round', async (t) => {
  const service = new FakeBatchService([job('quick', 'true')]);
  const app = createBatchApp({ service });
  t.teardown(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const ws = new WebSocket(`ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/ui/live`);
  t.teardown(() => ws.close());
  const snapshots: any[] = [];
  const errors: any[] = [];
  let wake: (() => void) | undefined;
  ws.on('message', (raw) => {
    const msg = JSON.parse(String(raw));
    if (msg.op === 'snapshot' && Array.isArray(msg.data.jobs)) snapshots.push(msg.data);
    if (msg.op === 'error') errors.push(msg);
    wake?.();
  });
  /** The first snapshot `ok` accepts (a bound of 20 s, not a measurement: the viewer reads once a second). */
  const until = async (ok: (s: any) => boolean) => {
    const deadline = Date.now() + 20_000;
    while (!snapshots.some(ok)) {
      if (Date.now() > deadline) throw new Error(`no such snapshot in ${JSON.stringify(snapshots)}`);
      await new Promise<void>((r) => { wake = r; setTimeout(r, 1000); });
    }
  };
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ op: 'subscribe', id: 1, topic: 'jobs', params: {} }));
  ws.send(JSON.stringify({ op: 'subscribe', id: 2, topic: 'log', params: { job: 'quick', run: 'r', task: 't', file: 'passwd' } }));
  await until((s) => s.jobs[0]?.history.successCount === 0);
  t.deepEqual(errors, [{ op: 'error', id: 2, field: 'file', message: 'file must be one of stdout, stderr' }], 'a bad parameter is named');
  // The run starts through the API and is over (only the history shows it) before the next round:
  // without the API's poke the viewer would see an unchanged fingerprint for 30 rounds.
  t.is((await app.inject({ method: 'POST', url: '/v1/jobs/quick/runs' })).statusCode, 201);
  service.runs = [];
  service.histories.set('quick', { successCount: 1, failureCount: 0, lastSuccessAt: T0, lastFailureAt: null, successfulFinishedRuns: [], failedFinishedRuns: [] });
  await until((s) => s.jobs[0]?.history.successCount === 1);
  t.is(snapshots.at(-1).jobs[0].activeRuns.length, 0);
});

test('GET /ui/ serves the batch UI shell and bundle', async (t) => {
  const app = createBatchApp({ service: new FakeBatchService() });
  t.teardown(() => app.close());
  const shell = await app.inject({ method: 'GET', url: '/ui/' });
  t.is(shell.statusCode, 200);
  t.regex(shell.body, /<title>maestro batch<\/title>/);
  const js = await app.inject({ method: 'GET', url: '/ui/assets/app.js' });
  t.is(js.statusCode, 200);
  t.true(js.body.includes('/ui/live'));
  const css = await app.inject({ method: 'GET', url: '/ui/assets/app.css' });
  t.true(css.body.includes('.run.SUCCESS'));
});
