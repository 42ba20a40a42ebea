/**
 * The master HTTP app against fakes of its two ports (SchedulerEndpoint, OperatorEndpoint): every
 * status code and message of the scheduler and operator APIs, the streaming contract (one record
 * per chunk, buffering before headers, heartbeats, close by either side) and the legacy routes.
 * The end-to-end suites in test/ run the same app around the real master.
 */
import test from 'ava';
import type { FastifyInstance } from 'fastify';
import { asFrameworkId, type FrameworkId, type StreamId } from '../../common/ids.ts';
import { codec } from '../../proto/codec.ts';
import type { mesos } from '../../proto/types.generated.ts';
import type { OperatorEndpoint } from '../operator-endpoint.ts';
import type {
  CallOutcome, EventSink, FrameworkConnection, SchedulerCall, SchedulerEndpoint, SchedulerEvent, SubscribeOutcome,
} from '../scheduler-endpoint.ts';
import { createMasterApp } from './app.ts';
import type { Ticker } from './event-stream.ts';
import type { LeaderStatus } from './leader-check.ts';
import { rawRequest, subscribe, subscribeCall, frameworkInfo, type Json } from '../../test/support/http-scheduler.ts';

class FakeScheduler implements SchedulerEndpoint {
  readonly heartbeatIntervalSeconds = 15;
  readonly calls: { frameworkId: FrameworkId; call: SchedulerCall }[] = [];
  readonly subscribes: SchedulerCall[] = [];
  readonly disconnects: [FrameworkId, StreamId][] = [];
  connections = new Map<string, FrameworkConnection>();
  sinks = new Map<string, EventSink>();
  rejectSubscribe: SubscribeOutcome | undefined;
  callOutcome: CallOutcome = { ok: true };
  /** Extra events sent during subscribe, before the HTTP layer knows the outcome. */
  eagerEvents: SchedulerEvent[] = [];

  subscribe(call: SchedulerCall, sink: EventSink, streamId: StreamId): SubscribeOutcome {
    this.subscribes.push(call);
    if (this.rejectSubscribe !== undefined) {
      sink.send({ type: 'ERROR', error: { message: 'should never be seen' } } as SchedulerEvent);
      return this.rejectSubscribe;
    }
    const id = call.subscribe?.framework_info.id?.value ?? `fw-${this.subscribes.length}`;
    this.connections.set(id, { kind: 'connected', streamId });
    this.sinks.set(id, sink);
    sink.send({ type: 'SUBSCRIBED', subscribed: { framework_id: { value: id }, heartbeat_interval_seconds: 15 } } as SchedulerEvent);
    for (const e of this.eagerEvents) sink.send(e);
    return { ok: true, frameworkId: asFrameworkId(id) };
  }
  disconnected(frameworkId: FrameworkId, streamId: StreamId): void {
    this.disconnects.push([frameworkId, streamId]);
    this.connections.set(frameworkId, { kind: 'disconnected' });
  }
  connection(frameworkId: FrameworkId): FrameworkConnection {
    return this.connections.get(frameworkId) ?? { kind: 'unknown' };
  }
  call(frameworkId: FrameworkId, call: SchedulerCall): CallOutcome {
    this.calls.push({ frameworkId, call });
    return this.callOutcome;
  }
}

const masterInfo: mesos.v1.MasterInfo = { id: 'M1', ip: 16777343, port: 5050, pid: 'master@127.0.0.1:5050', hostname: 'localhost' };

function fakeOperator(log: unknown[]): OperatorEndpoint {
  return {
    masterInfo: () => masterInfo,
    startTime: () => 1000.5,
    electedTime: () => 1001,
    flags: () => ({ port: '5050', heartbeat_interval: '15secs' }),
    metrics: () => ({ 'master/slaves_active': 1, 'master/uptime_secs': 3 }),
    getState: () => ({ get_agents: { agents: [] }, get_frameworks: {}, get_tasks: {}, get_executors: {} }) as never,
    getAgents: () => ({}) as never,
    getFrameworks: () => ({}) as never,
    getTasks: () => ({}) as never,
    getExecutors: () => ({}) as never,
    getRoles: () => ({ roles: [{ name: '*', weight: 1 }] }) as never,
    getRoleDetails: () => [{
      name: 'web', weight: 2, frameworks: [{ value: 'F1' }],
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 3 } }],
      allocated: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }],
      offered: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 2 } }],
      reserved: [],
      quota: { guarantees: { cpus: { value: 1 } }, limits: { cpus: { value: 4 } }, consumed_quota: { cpus: { value: 3 } } },
    }],
    getWeights: () => ({ weight_infos: [{ role: 'web', weight: 2 }] }) as never,
    getQuota: () => ({ status: {} }) as never,
    updateWeights: (w) => {
      log.push(['weights', w]);
      // A weight of 13 is "stored" after a turn of the event loop; 666 fails to be stored.
      if (w[0]?.weight === 13) return { ok: true, written: new Promise<void>((r) => setTimeout(r, 5)) };
      if (w[0]?.weight === 666) return { ok: true, written: Promise.reject(new Error('connection terminated')) };
      return { ok: true };
    },
    updateQuota: (q) => { log.push(['quota', q]); return { ok: true }; },
    teardown: (id) => { log.push(['teardown', id]); return id === 'known' ? { ok: true } : { ok: false, status: 400, message: 'No framework found with specified ID' }; },
    markAgentGone: (id) => { log.push(['gone', id]); return { ok: true }; },
    getMaintenanceSchedule: () => ({ windows: [] }),
    getMaintenanceStatus: () => ({}),
    updateMaintenanceSchedule: (schedule) => { log.push(['schedule', schedule]); return { ok: true }; },
    startMaintenance: (machines) => { log.push(['down', machines]); return { ok: true }; },
    stopMaintenance: (machines) => { log.push(['up', machines]); return { ok: true }; },
  };
}

function manualTicker() {
  const ticks = new Set<() => void>();
  const ticker: Ticker = { every: (_ms, tick) => { ticks.add(tick); return () => ticks.delete(tick); } };
  return { ticker, fire: () => { for (const t of [...ticks]) t(); }, active: () => ticks.size };
}

interface Harness {
  app: FastifyInstance;
  url: string;
  scheduler: FakeScheduler;
  operatorLog: unknown[];
  ticks: ReturnType<typeof manualTicker>;
}

async function harness(t: { teardown(fn: () => Promise<void> | void): void }, leader?: () => LeaderStatus | undefined): Promise<Harness> {
  const scheduler = new FakeScheduler();
  const operatorLog: unknown[] = [];
  const ticks = manualTicker();
  const app = createMasterApp({
    scheduler, operator: fakeOperator(operatorLog), logger: false, version: '1.11.0', ticker: ticks.ticker, leader,
    build: { date: '2026-11-22 12:00:00', time: 1795000000, user: 'ci', gitSha: 'abc123' },
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  return { app, url, scheduler, operatorLog, ticks };
}

const JSON_CT = { 'Content-Type': 'application/json' };
const post = (url: string, body: unknown, headers: Record<string, string> = JSON_CT, path = '/api/v1/scheduler') =>
  rawRequest(url, { path, headers, body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body) });

// ------------------------------------------------------------------------------------------------
// Scheduler API: request errors, in Mesos' order.

const badRequests: [name: string, req: { method?: string; headers?: Record<string, string>; body?: string | Buffer }, status: number, message: RegExp][] = [
  ['GET', { method: 'GET' }, 405, /^405 Method Not Allowed\. Expecting one of \{ 'POST' \}, but received 'GET'\.$/],
  ['no Content-Type', { body: JSON.stringify(subscribeCall()) }, 400, /^Expecting 'Content-Type' to be present$/],
  ['text/plain', { headers: { 'Content-Type': 'text/plain' }, body: 'x' }, 415, /^Expecting 'Content-Type' of application\/json or application\/x-protobuf$/],
  ['malformed Content-Type', { headers: { 'Content-Type': 'garbage' }, body: 'x' }, 415, /^Expecting 'Content-Type' of application\/json or application\/x-protobuf$/],
  ['bad JSON', { headers: JSON_CT, body: '{"type": ' }, 400, /^Failed to parse body into JSON: /],
  ['JSON not an object', { headers: JSON_CT, body: '[1]' }, 400, /^Failed to convert JSON into Call protobuf: /],
  ['unknown enum', { headers: JSON_CT, body: JSON.stringify({ type: 'SUBSCRIBE_PLEASE' }) }, 400, /^Failed to convert JSON into Call protobuf: .*SUBSCRIBE_PLEASE.*type/],
  ['wrong field type', { headers: JSON_CT, body: JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 7, name: 'x' } } }) }, 400,
    /^Failed to convert JSON into Call protobuf: .*subscribe\.framework_info\.user/],
  ['missing required field', { headers: JSON_CT, body: JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: { name: 'x' } } }) }, 400,
    /^Failed to convert JSON into Call protobuf: .*subscribe\.framework_info\.user/],
  ['bad protobuf', { headers: { 'Content-Type': 'application/x-protobuf' }, body: Buffer.from([0x0a, 0xff, 0xff, 0xff]) }, 400, /^Failed to parse body into Call protobuf: /],
  ['no type', { headers: JSON_CT, body: '{}' }, 400, /^Failed to validate scheduler::Call: Expecting 'type' to be present$/],
  ['SUBSCRIBE without subscribe', { headers: JSON_CT, body: JSON.stringify({ type: 'SUBSCRIBE' }) }, 400,
    /^Failed to validate scheduler::Call: Expecting 'subscribe' to be present$/],
  ['missing framework_id', { headers: JSON_CT, body: JSON.stringify({ type: 'DECLINE', decline: { offer_ids: [{ value: 'o' }] } }) }, 400,
    /^Failed to validate scheduler::Call: Expecting 'framework_id' to be present$/],
  ['SUBSCRIBE ids differ', { headers: JSON_CT, body: JSON.stringify({ ...subscribeCall(), framework_id: { value: 'x' } }) }, 400,
    /^Failed to validate scheduler::Call: 'framework_id' differs from 'subscribe\.framework_info\.id'$/],
  ['Accept not satisfiable', { headers: { ...JSON_CT, Accept: 'text/html' }, body: JSON.stringify(subscribeCall()) }, 406,
    /^Expecting 'Accept' to allow 'application\/x-protobuf' or 'application\/json'$/],
  ['SUBSCRIBE with a stream id', { headers: { ...JSON_CT, 'Mesos-Stream-Id': 'abc' }, body: JSON.stringify(subscribeCall()) }, 400,
    /^Subscribe calls should not include the 'Mesos-Stream-Id' header$/],
];

for (const [name, req, status, message] of badRequests) {
  test(`scheduler API rejects: ${name} -> ${status}`, async (t) => {
    const h = await harness(t);
    const answer = await rawRequest(h.url, { path: '/api/v1/scheduler', ...req });
    t.is(answer.status, status, answer.text);
    t.regex(answer.text, message);
    t.regex(String(answer.headers['content-type']), /^text\/plain/);
    if (status === 405) t.is(answer.headers.allow, 'POST');
    t.deepEqual(h.scheduler.subscribes, [], 'the core never saw it');
    t.deepEqual(h.scheduler.calls, []);
  });
}

test('subscription rejected by the core: its status and message, no stream, buffered events dropped', async (t) => {
  const h = await harness(t);
  h.scheduler.rejectSubscribe = { ok: false, status: 403, message: "Framework has been removed" };
  const sub = await subscribe(h.url, subscribeCall());
  t.is(sub.status, 403);
  t.is(sub.errorText, 'Framework has been removed');
  t.is(sub.streamId, '');
});

for (const encoding of ['json', 'protobuf'] as const) {
  test(`subscription refused by the core (${encoding}): 200 with the stream headers, one ERROR event, then the end`, async (t) => {
    const h = await harness(t);
    h.scheduler.rejectSubscribe = { ok: false, status: 200, message: 'Framework has been removed' };
    const sub = await subscribe(h.url, subscribeCall(), { encoding });
    t.teardown(() => sub.close());
    t.is(sub.status, 200);
    t.is(sub.headers['content-type'], encoding === 'json' ? 'application/json' : 'application/x-protobuf');
    t.regex(sub.streamId, /^[0-9a-f-]{36}$/);
    await sub.ended;
    t.deepEqual(sub.events, [{ type: 'ERROR', error: { message: 'Framework has been removed' } }], 'nothing the core sent is written');
    t.is(sub.chunks.length, 1);
    t.is(sub.misframedChunks, 0);
    t.deepEqual(h.scheduler.disconnects, [], 'a refused subscription never reports a disconnection');
    t.is(h.ticks.active(), 0, 'no heartbeat timer');
  });
}

// ------------------------------------------------------------------------------------------------
// Scheduler API: the stream.

test('JSON subscribe with explicit nulls: 200, headers, events buffered during subscribe come first, one record per chunk', async (t) => {
  const h = await harness(t);
  h.scheduler.eagerEvents = [{ type: 'OFFERS', offers: { offers: [] } } as unknown as SchedulerEvent];
  const sub = await subscribe(h.url, subscribeCall(frameworkInfo({ name: 'nulls' })));
  t.teardown(() => sub.close());
  t.is(sub.status, 200);
  t.is(sub.headers['content-type'], 'application/json');
  t.regex(sub.streamId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  await sub.waitForEvent('OFFERS');
  t.deepEqual(sub.events.map((e) => e.type), ['SUBSCRIBED', 'OFFERS']);
  t.is(sub.frameworkId(), 'fw-1');
  // The core got the call with nulls dropped (null = absent).
  const info = h.scheduler.subscribes[0].subscribe!.framework_info as unknown as Json;
  t.deepEqual(info, { user: 'root', name: 'nulls' });

  h.scheduler.sinks.get('fw-1')!.send({ type: 'HEARTBEAT' } as SchedulerEvent);
  h.scheduler.sinks.get('fw-1')!.send({ type: 'RESCIND', rescind: { offer_id: { value: 'o1' } } } as SchedulerEvent);
  await sub.waitForEvent('RESCIND');
  t.is(sub.chunks.length, 4);
  t.is(sub.misframedChunks, 0);
  const payload = sub.chunks[0].subarray(sub.chunks[0].indexOf(0x0a) + 1);
  t.is(sub.chunks[0].toString(), `${payload.length}\n${payload.toString()}`); // <decimal length>\n<bytes>
});

test('protobuf subscribe: protobuf events', async (t) => {
  const h = await harness(t);
  const call = { ...subscribeCall(frameworkInfo({ id: { value: 'pb-fw' } })), framework_id: { value: 'pb-fw' } };
  const sub = await subscribe(h.url, call, { encoding: 'protobuf' });
  t.teardown(() => sub.close());
  t.is(sub.status, 200);
  t.is(sub.headers['content-type'], 'application/x-protobuf');
  const subscribed = await sub.waitForEvent('SUBSCRIBED');
  t.is(subscribed.subscribed.framework_id.value, 'pb-fw');
  const decoded = codec<Json>('mesos.v1.scheduler.Event').decode(sub.chunks[0].subarray(sub.chunks[0].indexOf(0x0a) + 1));
  t.is(decoded.type, 'SUBSCRIBED');
});

test('Accept */* and absent Accept give JSON; protobuf-only Accept gives protobuf', async (t) => {
  const h = await harness(t);
  for (const [accept, expected] of [['*/*', 'application/json'], ['', 'application/json'], ['application/x-protobuf', 'application/x-protobuf']]) {
    const sub = await subscribe(h.url, subscribeCall(), { accept });
    sub.close();
    t.is(sub.headers['content-type'], expected, `Accept: ${accept}`);
  }
});

test('heartbeats on every tick, each its own chunk', async (t) => {
  const h = await harness(t);
  const sub = await subscribe(h.url, subscribeCall());
  t.teardown(() => sub.close());
  await sub.waitForEvent('SUBSCRIBED');
  h.ticks.fire();
  h.ticks.fire();
  await sub.waitForEvent('HEARTBEAT', () => true, 5000, 2);
  t.deepEqual(sub.events.map((e) => e.type), ['SUBSCRIBED', 'HEARTBEAT', 'HEARTBEAT']);
  t.is(sub.chunks.length, 3);
});

test('client disconnect: the core hears of it with the framework and stream id; heartbeats stop', async (t) => {
  const h = await harness(t);
  const sub = await subscribe(h.url, subscribeCall());
  await sub.waitForEvent('SUBSCRIBED');
  t.is(h.ticks.active(), 1);
  sub.close();
  for (let i = 0; i < 100 && h.scheduler.disconnects.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.deepEqual(h.scheduler.disconnects, [['fw-1', sub.streamId]]);
  t.is(h.ticks.active(), 0);
});

test('sink.close() ends the response; the core is not told of a disconnect it caused', async (t) => {
  const h = await harness(t);
  const sub = await subscribe(h.url, subscribeCall());
  await sub.waitForEvent('SUBSCRIBED');
  h.scheduler.sinks.get('fw-1')!.close();
  await sub.ended;
  t.deepEqual(h.scheduler.disconnects, []);
  t.is(h.ticks.active(), 0);
});

test('closing the app ends open streams', async (t) => {
  const h = await harness(t);
  const sub = await subscribe(h.url, subscribeCall());
  await sub.waitForEvent('SUBSCRIBED');
  await h.app.close();
  await sub.ended;
  t.pass();
});

// ------------------------------------------------------------------------------------------------
// Scheduler API: calls other than SUBSCRIBE.

test('calls: framework checks, stream id checks, 202 on acceptance, core rejections passed through', async (t) => {
  const h = await harness(t);
  const sub = await subscribe(h.url, subscribeCall());
  t.teardown(() => sub.close());
  await sub.waitForEvent('SUBSCRIBED');
  const revive = { type: 'REVIVE' };

  const unknown = await sub.call({ ...revive, framework_id: { value: 'nope' } });
  t.deepEqual([unknown.status, unknown.text], [400, 'Framework cannot be found']);

  const missing = await sub.call(revive, { 'Mesos-Stream-Id': undefined });
  t.is(missing.status, 400);
  t.is(missing.text, "All non-subscribe calls should include the 'Mesos-Stream-Id' header");

  const wrong = await sub.call(revive, { 'Mesos-Stream-Id': 'not-the-stream' });
  t.is(wrong.status, 400);
  t.is(wrong.text, `The stream ID 'not-the-stream' included in this request didn't match the stream ID currently associated with framework ID fw-1`);
  t.deepEqual(h.scheduler.calls, [], 'nothing reached the core');

  const ok = await sub.call(revive);
  t.is(ok.status, 202);
  t.is(ok.body.length, 0);
  t.is(h.scheduler.calls.length, 1);
  t.is(h.scheduler.calls[0].frameworkId as string, 'fw-1');
  t.is(h.scheduler.calls[0].call.type, 'REVIVE');

  h.scheduler.callOutcome = { ok: false, status: 409, message: 'conflict!' };
  const rejected = await sub.call(revive);
  t.deepEqual([rejected.status, rejected.text], [409, 'conflict!']);

  const unknownType = await sub.call({ type: 'UNKNOWN' });
  t.is(unknownType.status, 501);
  t.is(h.scheduler.calls.length, 2, 'UNKNOWN is not passed on');

  h.scheduler.connections.set('fw-1', { kind: 'disconnected' });
  const notSubscribed = await sub.call(revive);
  t.deepEqual([notSubscribed.status, notSubscribed.text], [403, 'Framework is not subscribed']);
});

test('protobuf calls are decoded the same way', async (t) => {
  const h = await harness(t);
  const sub = await subscribe(h.url, subscribeCall(), { encoding: 'protobuf' });
  t.teardown(() => sub.close());
  await sub.waitForEvent('SUBSCRIBED');
  const answer = await sub.call({ type: 'DECLINE', decline: { offer_ids: [{ value: 'o1' }], filters: { refuse_seconds: 5 } } });
  t.is(answer.status, 202);
  t.deepEqual(h.scheduler.calls[0].call as unknown, {
    type: 'DECLINE', framework_id: { value: 'fw-1' }, decline: { offer_ids: [{ value: 'o1' }], filters: { refuse_seconds: 5 } },
  });
});

// ------------------------------------------------------------------------------------------------
// Version, health, leader checks.

test('GET /version in the Mesos shape; GET /health', async (t) => {
  const h = await harness(t);
  const version = await rawRequest(h.url, { method: 'GET', path: '/version' });
  t.deepEqual(JSON.parse(version.text), { version: '1.11.0', build_date: '2026-11-22 12:00:00', build_time: 1795000000, build_user: 'ci', git_sha: 'abc123' });
  t.is((await rawRequest(h.url, { method: 'GET', path: '/health' })).status, 200);
});

test('a non-leader redirects with 307 to the same path on the leader, or answers 503 without one', async (t) => {
  let status: LeaderStatus | undefined = { kind: 'elsewhere', base: '//10.0.0.2:5050' };
  const h = await harness(t, () => status);
  const redirected = await post(h.url, subscribeCall());
  t.is(redirected.status, 307);
  t.is(redirected.headers.location, '//10.0.0.2:5050/api/v1/scheduler');
  const state = await rawRequest(h.url, { method: 'GET', path: '/master/state' });
  t.is(state.headers.location, '//10.0.0.2:5050/master/state');
  status = { kind: 'none' };
  const none = await post(h.url, subscribeCall());
  t.deepEqual([none.status, none.text], [503, 'No leader elected']);
  t.deepEqual(h.scheduler.subscribes, []);
});

test('a mutation the registry stores is answered once written: 200, or 503 when the write fails', async (t) => {
  const h = await harness(t);
  const call = (weight: number) => post(h.url, { type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'web', weight }] } }, JSON_CT, '/api/v1');
  t.is((await call(13)).status, 200);
  const failed = await call(666);
  t.deepEqual([failed.status, failed.text], [503, 'Failed to update the registry: connection terminated']);
});

test('the UI page of a follower sends the browser to the leader\'s page; 503 while none is elected', async (t) => {
  let status: LeaderStatus | undefined = { kind: 'elsewhere', base: '//10.0.0.2:5050' };
  const h = await harness(t, () => status);
  const page = await rawRequest(h.url, { method: 'GET', path: '/' });
  t.deepEqual([page.status, page.headers.location], [307, '//10.0.0.2:5050/']);
  status = { kind: 'none' };
  t.is((await rawRequest(h.url, { method: 'GET', path: '/' })).status, 503);
  status = undefined;
  const served = await rawRequest(h.url, { method: 'GET', path: '/' });
  t.is(served.status, 200);
  t.regex(served.text, /<html/i);
});

test('/master/redirect: 307 to the leader\'s base from a follower, 503 while none is elected, itself on the leader', async (t) => {
  let status: LeaderStatus | undefined = { kind: 'elsewhere', base: '//10.0.0.2:5050' };
  const h = await harness(t, () => status);
  const follower = await rawRequest(h.url, { method: 'GET', path: '/master/redirect' });
  t.deepEqual([follower.status, follower.headers.location], [307, '//10.0.0.2:5050']);
  status = { kind: 'none' };
  const none = await rawRequest(h.url, { method: 'GET', path: '/master/redirect' });
  t.deepEqual([none.status, none.text], [503, 'No leader elected']);
  status = undefined;
  const leader = await rawRequest(h.url, { method: 'GET', path: '/master/redirect' });
  t.is(leader.status, 307);
  t.regex(String(leader.headers.location), /^\/\/[^/]+:5050$/);
});

// ------------------------------------------------------------------------------------------------
// Operator API.

const op = (h: Harness, call: unknown, headers: Record<string, string> = { ...JSON_CT, Accept: 'application/json' }) =>
  post(h.url, call, headers, '/api/v1');

test('operator API reads, JSON', async (t) => {
  const h = await harness(t);
  const cases: [call: Json, expected: Json][] = [
    [{ type: 'GET_HEALTH' }, { type: 'GET_HEALTH', get_health: { healthy: true } }],
    [{ type: 'GET_FLAGS' }, { type: 'GET_FLAGS', get_flags: { flags: [{ name: 'port', value: '5050' }, { name: 'heartbeat_interval', value: '15secs' }] } }],
    [{ type: 'GET_METRICS', get_metrics: {} }, { type: 'GET_METRICS', get_metrics: { metrics: [{ name: 'master/slaves_active', value: 1 }, { name: 'master/uptime_secs', value: 3 }] } }],
    [{ type: 'GET_WEIGHTS' }, { type: 'GET_WEIGHTS', get_weights: { weight_infos: [{ role: 'web', weight: 2 }] } }],
    [{ type: 'GET_MASTER' }, { type: 'GET_MASTER', get_master: { master_info: masterInfo, start_time: 1000.5, elected_time: 1001 } }],
    [{ type: 'GET_VERSION' }, { type: 'GET_VERSION', get_version: { version_info: {
      version: '1.11.0', build_date: '2026-11-22 12:00:00', build_time: 1795000000, build_user: 'ci', git_sha: 'abc123' } } }],
  ];
  for (const [call, expected] of cases) {
    const answer = await op(h, call);
    t.is(answer.status, 200, `${call.type}: ${answer.text}`);
    t.is(answer.headers['content-type'], 'application/json');
    t.deepEqual(JSON.parse(answer.text), expected, call.type);
  }
});

test('operator API answers in protobuf when asked', async (t) => {
  const h = await harness(t);
  const answer = await op(h, { type: 'GET_HEALTH' }, { ...JSON_CT, Accept: 'application/x-protobuf' });
  t.is(answer.headers['content-type'], 'application/x-protobuf');
  t.deepEqual(codec<Json>('mesos.v1.master.Response').decode(answer.body), { type: 'GET_HEALTH', get_health: { healthy: true } });
});

test('operator API mutations: 200 with no body, or the rejection', async (t) => {
  const h = await harness(t);
  const weights = await op(h, { type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'web', weight: 3 }] } });
  t.is(weights.status, 200);
  t.is(weights.body.length, 0);
  const quota = await op(h, { type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'web', guarantees: { cpus: { value: 1 } }, limits: { cpus: { value: 4 } } }] } });
  t.is(quota.status, 200);
  const teardown = await op(h, { type: 'TEARDOWN', teardown: { framework_id: { value: 'missing' } } });
  t.deepEqual([teardown.status, teardown.text], [400, 'No framework found with specified ID']);
  t.deepEqual(h.operatorLog, [
    ['weights', [{ role: 'web', weight: 3 }]],
    ['quota', [{ role: 'web', guarantees: { cpus: 1 }, limits: { cpus: 4 } }]],
    ['teardown', 'missing'],
  ]);
});

test('operator API errors', async (t) => {
  const h = await harness(t);
  const cases: [call: unknown, headers: Record<string, string> | undefined, status: number, message: RegExp][] = [
    [{ type: 'GET_METRICS' }, undefined, 400, /^Failed to validate master::Call: Expecting 'get_metrics' to be present$/],
    [{ type: 'TEARDOWN' }, undefined, 400, /^Failed to validate master::Call: Expecting 'teardown' to be present$/],
    [{ type: 'NOT_A_CALL' }, undefined, 400, /^Failed to convert JSON into Call protobuf: .*NOT_A_CALL/],
    [{ type: 'GET_HEALTH' }, { ...JSON_CT, Accept: 'text/html' }, 406, /^Expecting 'Accept' to allow/],
    [{ type: 'GET_HEALTH' }, { 'Content-Type': 'text/plain' }, 415, /^Expecting 'Content-Type' of/],
    [{ type: 'DRAIN_AGENT', drain_agent: { agent_id: { value: 'a' } } }, undefined, 501, /^Call 'DRAIN_AGENT' is not implemented by this master$/],
    [{ type: 'SUBSCRIBE' }, undefined, 501, /^Call 'SUBSCRIBE' is not implemented by this master$/],
  ];
  for (const [call, headers, status, message] of cases) {
    const answer = await op(h, call, headers);
    t.is(answer.status, status, JSON.stringify(call));
    t.regex(answer.text, message);
  }
  const get = await rawRequest(h.url, { method: 'GET', path: '/api/v1' });
  t.is(get.status, 405);
  t.is(h.operatorLog.length, 0);
});

// ------------------------------------------------------------------------------------------------
// Legacy endpoints.

test('legacy endpoints', async (t) => {
  const h = await harness(t);
  const state = JSON.parse((await rawRequest(h.url, { method: 'GET', path: '/master/state' })).text);
  t.like(state, { version: '1.11.0', id: 'M1', pid: 'master@127.0.0.1:5050', leader: 'master@127.0.0.1:5050', start_time: 1000.5, elected_time: 1001 });
  t.deepEqual(JSON.parse((await rawRequest(h.url, { method: 'GET', path: '/state' })).text), state);
  t.deepEqual(JSON.parse((await rawRequest(h.url, { method: 'GET', path: '/metrics/snapshot' })).text), { 'master/slaves_active': 1, 'master/uptime_secs': 3 });
  t.deepEqual(JSON.parse((await rawRequest(h.url, { method: 'GET', path: '/master/flags' })).text), { flags: { port: '5050', heartbeat_interval: '15secs' } });
  t.deepEqual(JSON.parse((await rawRequest(h.url, { method: 'GET', path: '/master/slaves' })).text), { slaves: [], recovered_slaves: [] });
  t.deepEqual(JSON.parse((await rawRequest(h.url, { method: 'GET', path: '/master/frameworks' })).text), { frameworks: [], completed_frameworks: [], unregistered_frameworks: [] });
  t.deepEqual(JSON.parse((await rawRequest(h.url, { method: 'GET', path: '/master/roles' })).text), {
    roles: [{
      name: 'web', weight: 2, quota: { role: 'web', guarantee: { cpus: 1 }, limit: { cpus: 4 }, consumed: { cpus: 3 } },
      resources: { cpus: 3 }, allocated: { cpus: 1 }, offered: { cpus: 2 }, reserved: {}, frameworks: ['F1'],
    }],
  });
  t.is((await rawRequest(h.url, { method: 'GET', path: '/master/health' })).status, 200);
  const redirect = await rawRequest(h.url, { method: 'GET', path: '/master/redirect' });
  t.is(redirect.status, 307);
  t.is(redirect.headers.location, '//localhost:5050');
  const missing = await rawRequest(h.url, { method: 'GET', path: '/no/such/thing' });
  t.is(missing.status, 404);
});

// ------------------------------------------------------------------------------------------------
// Transport details real clients rely on.

test('HEAD and OPTIONS on the scheduler API are 405 with Allow: POST; query strings and charset parameters are accepted', async (t) => {
  const h = await harness(t);
  for (const method of ['HEAD', 'OPTIONS']) {
    const answer = await rawRequest(h.url, { method, path: '/api/v1/scheduler' });
    t.is(answer.status, 405, method);
    t.is(answer.headers.allow, 'POST');
  }
  const call = { type: 'DECLINE', framework_id: { value: 'nobody' }, decline: { offer_ids: [{ value: 'o' }] } };
  const withQuery = await rawRequest(h.url, { path: '/api/v1/scheduler?trace=1', headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify(call) });
  t.deepEqual([withQuery.status, withQuery.text], [400, 'Framework cannot be found']); // routed, parsed and checked
  const sub = await subscribe(h.url, subscribeCall(), { accept: 'application/json; charset=utf-8' });
  t.teardown(() => sub.close());
  t.is(sub.status, 200, sub.errorText);
  t.regex(sub.headers['content-type'] ?? '', /^application\/json/);
});

test('a kept-alive connection serves the next request after a 4xx', async (t) => {
  const h = await harness(t);
  const { Agent, request } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const u = new URL(h.url);
  const send = (body: string) => new Promise<{ status: number; port: number | undefined }>((resolve, reject) => {
    const r = request({ host: u.hostname, port: u.port, method: 'POST', path: '/api/v1/scheduler', headers: { 'Content-Type': 'application/json' }, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, port: res.socket?.localPort }));
    });
    r.on('error', reject);
    r.end(body);
  });
  const bad = await send('{"type": ');
  const unknown = await send(JSON.stringify({ type: 'DECLINE', framework_id: { value: 'nobody' }, decline: { offer_ids: [{ value: 'o' }] } }));
  t.deepEqual([bad.status, unknown.status], [400, 400]);
  t.is(bad.port, unknown.port); // one socket for both
});
