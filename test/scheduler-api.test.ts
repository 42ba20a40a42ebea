/**
 * The Mesos v1 scheduler API end to end, in one process: `createMasterApp` around the real Master
 * and the real allocator, listening on loopback, driven by the plain-HTTP scheduler of
 * test/support/http-scheduler.ts. The agent side is a transport fake (an in-memory
 * AgentConnection speaking the real agent-protocol envelopes), and heartbeats use a hand-driven
 * ticker, so nothing here waits on wall-clock time. test/scheduler-api-process.test.ts covers the
 * same flows against a real `maestro master` process and a WebSocket agent.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { createAllocator } from '../master/allocator/index.ts';
import { createMasterApp } from '../master/http/app.ts';
import type { Ticker } from '../master/http/event-stream.ts';
import { Master } from '../master/master.ts';
import { systemClock, systemTimers, type Logger } from '../common/ports.ts';
import { createIdGenerator, type AgentConnection } from '../master/ports.ts';
import type { maestro } from '../proto/types.generated.ts';
import { frameworkInfo, getJson, rawRequest, subscribe, subscribeCall, type Json, type Subscription } from './support/http-scheduler.ts';

type Envelope = maestro.agent.Envelope;

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** An agent at the transport port: records what the master sends, answers pings. */
class MemoryAgent implements AgentConnection {
  static next = 1;
  readonly id = MemoryAgent.next++;
  readonly received: Envelope[] = [];
  closedWith: string | undefined;
  private waiters = new Set<() => void>();

  constructor(private readonly master: Master) {}

  send(envelope: Envelope): void {
    this.received.push(envelope);
    if (envelope.ping !== undefined) {
      const sequence = envelope.ping.sequence;
      queueMicrotask(() => this.master.agentMessage(this, { pong: { sequence } }));
    }
    for (const w of [...this.waiters]) w();
  }

  close(reason: string): void {
    this.closedWith = reason;
  }

  register(hostname: string, resources: Json[]): string {
    this.master.agentMessage(this, { register_agent: { agent_info: { hostname, port: 5051, resources }, version: '0.1.0' } } as Envelope);
    const registered = this.received.find((e) => e.agent_registered !== undefined);
    if (registered === undefined) throw new Error(`agent not registered: ${JSON.stringify(this.received)}`);
    return registered.agent_registered!.agent_id.value;
  }

  statusUpdate(frameworkId: string, status: Json): void {
    this.master.agentMessage(this, { status_update: { framework_id: { value: frameworkId }, status } } as Envelope);
  }

  waitFor<K extends keyof Envelope>(kind: K, predicate: (m: NonNullable<Envelope[K]>) => boolean = () => true, timeoutMs = 10_000): Promise<NonNullable<Envelope[K]>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.received.find((e) => e[kind] !== undefined && predicate(e[kind] as NonNullable<Envelope[K]>));
        if (hit === undefined) return false;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(hit[kind] as NonNullable<Envelope[K]>);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`agent got no ${String(kind)} within ${timeoutMs} ms`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }
}

function manualTicker() {
  const ticks = new Set<() => void>();
  const ticker: Ticker = { every: (_ms, tick) => { ticks.add(tick); return () => ticks.delete(tick); } };
  return { ticker, fire: () => { for (const tick of [...ticks]) tick(); } };
}

const scalar = (name: string, value: number) => ({ name, type: 'SCALAR', scalar: { value } });
const AGENT_RESOURCES = [scalar('cpus', 4), scalar('mem', 4096), scalar('disk', 10000), { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 32000 }] } }];

interface Cluster {
  url: string;
  master: Master;
  agent: MemoryAgent;
  agentId: string;
  ticks: ReturnType<typeof manualTicker>;
}

async function cluster(t: ExecutionContext): Promise<Cluster> {
  const allocator = createAllocator({ seed: 7 });
  const master = new Master({
    clock: systemClock, timers: systemTimers, ids: createIdGenerator(), logger: quiet, allocator,
    config: {
      hostname: 'localhost', ip: '127.0.0.1', port: 0, version: '0.1.0',
      agentPingTimeoutMs: 60_000, maxAgentPingTimeouts: 5, offerTimeoutMs: undefined,
      // Periodic allocation is off in effect; offers follow events (subscribe, decline, revive) or `master.allocate()`.
      allocationIntervalMs: 3_600_000,
      heartbeatIntervalSeconds: 15, weights: new Map(), flags: { heartbeat_interval: '15secs' },
    },
  });
  const ticks = manualTicker();
  const app = createMasterApp({ scheduler: master, operator: master, logger: false, version: '0.1.0', ticker: ticks.ticker });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  master.start();
  t.teardown(async () => {
    master.stop();
    await app.close();
  });
  const agent = new MemoryAgent(master);
  const agentId = agent.register('agent-1', AGENT_RESOURCES);
  return { url, master, agent, agentId, ticks };
}

async function subscribed(t: ExecutionContext, url: string, info: Json = frameworkInfo(), encoding: 'json' | 'protobuf' = 'json'): Promise<Subscription> {
  const sub = await subscribe(url, subscribeCall(info), { encoding });
  t.teardown(() => sub.close());
  t.is(sub.status, 200, sub.errorText);
  await sub.waitForEvent('SUBSCRIBED');
  return sub;
}

const offersOf = (e: Json): Json[] => e.offers.offers as Json[];
const resourceValue = (offer: Json, name: string): number =>
  (offer.resources as Json[]).filter((r) => r.name === name).reduce((sum, r) => sum + r.scalar.value, 0);

/** Everything /master/state says, except what moves by itself. */
async function stateSnapshot(url: string): Promise<Json> {
  return getJson(url, '/master/state');
}

// ------------------------------------------------------------------------------------------------

test('JSON subscribe with explicit nulls: SUBSCRIBED, then OFFERS of the agent\'s resources', async (t) => {
  const c = await cluster(t);
  const sub = await subscribed(t, c.url, frameworkInfo({ name: 'nulls-everywhere' }));
  const subscribedEvent = sub.events[0];
  t.is(subscribedEvent.type, 'SUBSCRIBED');
  t.is(subscribedEvent.subscribed.heartbeat_interval_seconds, 15);
  t.truthy(subscribedEvent.subscribed.framework_id.value);
  t.is(sub.headers['mesos-stream-id'], sub.streamId);

  const offers = await sub.waitForEvent('OFFERS');
  const [offer] = offersOf(offers);
  t.is(offer.agent_id.value, c.agentId);
  t.is(offer.framework_id.value, sub.frameworkId());
  t.is(resourceValue(offer, 'cpus'), 4);
  t.is(resourceValue(offer, 'mem'), 4096);
  t.is(sub.misframedChunks, 0);
  t.is(sub.chunks.length, sub.events.length, 'one HTTP chunk per event');

  const state = await stateSnapshot(c.url);
  t.is(state.frameworks.length, 1);
  t.is(state.frameworks[0].name, 'nulls-everywhere');
  t.is(state.frameworks[0].offers.length, 1);
  t.deepEqual(state.frameworks[0].offers[0].allocation_info, { role: '*' }, 'the master keeps the allocation info it strips from the event');
  t.is(offer.allocation_info, undefined);
});

test('protobuf subscribe: protobuf SUBSCRIBED and OFFERS, protobuf calls', async (t) => {
  const c = await cluster(t);
  const sub = await subscribed(t, c.url, frameworkInfo(), 'protobuf');
  t.is(sub.headers['content-type'], 'application/x-protobuf');
  const offers = await sub.waitForEvent('OFFERS');
  const declined = await sub.call({ type: 'DECLINE', decline: { offer_ids: [offersOf(offers)[0].id], filters: { refuse_seconds: 3600 } } });
  t.is(declined.status, 202, declined.text);
  t.deepEqual((await stateSnapshot(c.url)).frameworks[0].offers, []);
});

test('DECLINE with refuse_seconds: the resources come back once the filter expires', async (t) => {
  const c = await cluster(t);
  const sub = await subscribed(t, c.url);
  const first = offersOf(await sub.waitForEvent('OFFERS'))[0];
  const mark = sub.events.length;
  const answer = await sub.call({ type: 'DECLINE', decline: { offer_ids: [first.id], filters: { refuse_seconds: 0.2 } } });
  t.is(answer.status, 202);
  // Allocation runs until the filter has expired; the re-offer is the proof it did.
  const timer = setInterval(() => c.master.allocate(), 50);
  t.teardown(() => clearInterval(timer));
  const again = offersOf(await sub.waitForEvent('OFFERS', () => true, 10_000, mark))[0];
  t.not(again.id.value, first.id.value);
  t.is(again.agent_id.value, c.agentId);
  t.is(resourceValue(again, 'cpus'), 4);
});

test('ACCEPT LAUNCH -> RunTask on the agent -> TASK_RUNNING -> UPDATE -> ACKNOWLEDGE reaches the agent; KILL; reconcile', async (t) => {
  const c = await cluster(t);
  const sub = await subscribed(t, c.url);
  const frameworkId = sub.frameworkId();
  const offer = offersOf(await sub.waitForEvent('OFFERS'))[0];

  const accept = await sub.call({
    type: 'ACCEPT',
    accept: {
      offer_ids: [offer.id],
      operations: [{
        type: 'LAUNCH',
        launch: { task_infos: [{ name: 'sleeper', task_id: { value: 'task-1' }, agent_id: offer.agent_id, resources: [scalar('cpus', 1), scalar('mem', 128)], command: { value: 'sleep 1000', shell: true } }] },
      }],
      filters: { refuse_seconds: 0 },
    },
  });
  t.is(accept.status, 202, accept.text);
  const run = await c.agent.waitFor('run_task');
  t.is(run.task.task_id.value, 'task-1');
  t.is(run.framework.id?.value, frameworkId);

  const uuid = Buffer.alloc(16, 1).toString('base64');
  c.agent.statusUpdate(frameworkId, { task_id: { value: 'task-1' }, state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR', uuid, timestamp: 1 });
  const update = await sub.waitForEvent('UPDATE', (e) => e.update.status.state === 'TASK_RUNNING');
  t.is(update.update.status.task_id.value, 'task-1');
  t.is(update.update.status.uuid, uuid);

  const ack = await sub.call({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: { value: c.agentId }, task_id: { value: 'task-1' }, uuid } });
  t.is(ack.status, 202, ack.text);
  const acked = await c.agent.waitFor('status_update_acknowledgement');
  t.deepEqual([acked.task_id.value, acked.uuid, acked.framework_id.value], ['task-1', uuid, frameworkId]);

  const state = await stateSnapshot(c.url);
  t.deepEqual(state.frameworks[0].tasks.map((task: Json) => [task.id, task.state, task.slave_id]), [['task-1', 'TASK_RUNNING', c.agentId]]);

  // Explicit reconciliation of a known and an unknown task.
  let mark = sub.events.length;
  const explicit = await sub.call({ type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 'task-1' }, agent_id: { value: c.agentId } }] } });
  t.is(explicit.status, 202);
  const reconciled = await sub.waitForEvent('UPDATE', (e) => e.update.status.task_id.value === 'task-1', 10_000, mark);
  t.is(reconciled.update.status.state, 'TASK_RUNNING');
  t.is(reconciled.update.status.reason, 'REASON_RECONCILIATION');
  t.is(reconciled.update.status.uuid, undefined, 'reconciliation updates carry no uuid');

  mark = sub.events.length;
  await sub.call({ type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 'never-launched' } }] } });
  const unknown = await sub.waitForEvent('UPDATE', (e) => e.update.status.task_id.value === 'never-launched', 10_000, mark);
  t.regex(unknown.update.status.state, /^TASK_(LOST|UNKNOWN)$/);

  // Implicit reconciliation: every task the master knows.
  mark = sub.events.length;
  const implicit = await sub.call({ type: 'RECONCILE', reconcile: {} });
  t.is(implicit.status, 202);
  const implicitUpdate = await sub.waitForEvent('UPDATE', () => true, 10_000, mark);
  t.is(implicitUpdate.update.status.task_id.value, 'task-1');

  // KILL reaches the agent; its TASK_KILLED reaches the framework and frees the resources.
  const kill = await sub.call({ type: 'KILL', kill: { task_id: { value: 'task-1' }, agent_id: { value: c.agentId } } });
  t.is(kill.status, 202);
  const killTask = await c.agent.waitFor('kill_task');
  t.is(killTask.task_id.value, 'task-1');
  const killedUuid = Buffer.alloc(16, 2).toString('base64');
  c.agent.statusUpdate(frameworkId, { task_id: { value: 'task-1' }, state: 'TASK_KILLED', source: 'SOURCE_EXECUTOR', uuid: killedUuid, timestamp: 2 });
  await sub.waitForEvent('UPDATE', (e) => e.update.status.state === 'TASK_KILLED');
  await sub.call({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: { value: c.agentId }, task_id: { value: 'task-1' }, uuid: killedUuid } });
  await c.agent.waitFor('status_update_acknowledgement', (a) => a.uuid === killedUuid);
  const after = await stateSnapshot(c.url);
  t.deepEqual(after.frameworks[0].tasks, []);
  t.deepEqual(after.frameworks[0].completed_tasks.map((task: Json) => [task.id, task.state]), [['task-1', 'TASK_KILLED']]);
});

test('SUPPRESS stops offers, REVIVE brings them back', async (t) => {
  const c = await cluster(t);
  const sub = await subscribed(t, c.url);
  const offer = offersOf(await sub.waitForEvent('OFFERS'))[0];
  t.is((await sub.call({ type: 'SUPPRESS' })).status, 202);
  t.is((await sub.call({ type: 'DECLINE', decline: { offer_ids: [offer.id], filters: { refuse_seconds: 0 } } })).status, 202);
  c.master.allocate();
  c.master.allocate();
  // Allocation ran with the resources free and no filter: only the suppression can explain no offer.
  t.deepEqual((await stateSnapshot(c.url)).frameworks[0].offers, []);
  t.is((await getJson(c.url, '/master/slaves')).slaves[0].offered_resources.cpus, 0);

  const mark = sub.events.length;
  t.is((await sub.call({ type: 'REVIVE' })).status, 202);
  c.master.allocate();
  const revived = offersOf(await sub.waitForEvent('OFFERS', () => true, 10_000, mark))[0];
  t.is(resourceValue(revived, 'cpus'), 4);
});

test('TEARDOWN ends the stream and moves the framework to completed_frameworks', async (t) => {
  const c = await cluster(t);
  const sub = await subscribed(t, c.url);
  await sub.waitForEvent('OFFERS');
  const answer = await sub.call({ type: 'TEARDOWN' });
  t.is(answer.status, 202);
  await sub.ended;
  const state = await stateSnapshot(c.url);
  t.deepEqual(state.frameworks, []);
  t.deepEqual(state.completed_frameworks.map((f: Json) => f.id), [sub.frameworkId()]);
  t.is(state.slaves[0].offered_resources.cpus, 0);
  // The framework is gone: a new call for it is refused.
  const late = await rawRequest(c.url, {
    path: '/api/v1/scheduler',
    headers: { 'Content-Type': 'application/json', 'Mesos-Stream-Id': sub.streamId },
    body: JSON.stringify({ type: 'REVIVE', framework_id: { value: sub.frameworkId() } }),
  });
  t.deepEqual([late.status, late.text], [400, 'Framework cannot be found']);
});

test('HEARTBEAT events on every tick of the heartbeat timer, each in its own chunk', async (t) => {
  const c = await cluster(t);
  const sub = await subscribed(t, c.url);
  await sub.waitForEvent('OFFERS');
  const mark = sub.events.length;
  c.ticks.fire();
  c.ticks.fire();
  await sub.waitForEvent('HEARTBEAT', () => true, 10_000, mark + 1);
  t.deepEqual(sub.events.slice(mark).map((e) => e.type), ['HEARTBEAT', 'HEARTBEAT']);
  t.is(sub.chunks.length, sub.events.length);
  t.is(sub.misframedChunks, 0);
});

test('a second SUBSCRIBE of the same framework fails the first stream over', async (t) => {
  const c = await cluster(t);
  const first = await subscribed(t, c.url, frameworkInfo({ failover_timeout: 60 }));
  const id = first.frameworkId();
  const second = await subscribe(c.url, { type: 'SUBSCRIBE', framework_id: { value: id }, subscribe: { framework_info: frameworkInfo({ id: { value: id }, failover_timeout: 60 }) } });
  t.teardown(() => second.close());
  t.is(second.status, 200);
  await second.waitForEvent('SUBSCRIBED');
  await first.ended;
  t.true(first.events.some((e) => e.type === 'ERROR'));
  // The old stream id no longer works, the new one does.
  const stale = await first.call({ type: 'REVIVE' });
  t.is(stale.status, 400);
  t.regex(stale.text, new RegExp(`^The stream ID '${first.streamId}' included in this request didn't match the stream ID currently associated with framework ID ${id}$`));
  t.is((await second.call({ type: 'REVIVE' })).status, 202);
});

test('rejected calls change nothing', async (t) => {
  const c = await cluster(t);
  const a = await subscribed(t, c.url, frameworkInfo({ name: 'a', failover_timeout: 3600 }));
  const b = await subscribed(t, c.url, frameworkInfo({ name: 'b', failover_timeout: 3600 }));
  await a.waitForEvent('OFFERS');
  const before = await stateSnapshot(c.url);
  const post = (body: unknown, headers: Record<string, string | undefined>) =>
    rawRequest(c.url, { path: '/api/v1/scheduler', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const teardownA = { type: 'TEARDOWN', framework_id: { value: a.frameworkId() } };

  const cases: [name: string, body: unknown, headers: Record<string, string | undefined>, status: number, message: RegExp][] = [
    ['bad JSON', '{"type": "TEARDOWN",', { 'Mesos-Stream-Id': a.streamId }, 400, /^Failed to parse body into JSON: /],
    ['unknown enum', { ...teardownA, type: 'TEAR_IT_DOWN' }, { 'Mesos-Stream-Id': a.streamId }, 400, /^Failed to convert JSON into Call protobuf: .*TEAR_IT_DOWN/],
    ['missing framework_id', { type: 'TEARDOWN' }, { 'Mesos-Stream-Id': a.streamId }, 400, /^Failed to validate scheduler::Call: Expecting 'framework_id' to be present$/],
    ['missing Mesos-Stream-Id', teardownA, {}, 400, /^All non-subscribe calls should include the 'Mesos-Stream-Id' header$/],
    ['wrong Mesos-Stream-Id', teardownA, { 'Mesos-Stream-Id': 'f00' }, 400, /^The stream ID 'f00' included in this request didn't match/],
    ["another framework's stream", teardownA, { 'Mesos-Stream-Id': b.streamId }, 400,
      new RegExp(`^The stream ID '${b.streamId}' included in this request didn't match the stream ID currently associated with framework ID ${a.frameworkId()}$`)],
    ['unknown framework', { type: 'TEARDOWN', framework_id: { value: 'no-such-framework' } }, { 'Mesos-Stream-Id': a.streamId }, 400, /^Framework cannot be found$/],
    ['no Content-Type', teardownA, { 'Content-Type': undefined, 'Mesos-Stream-Id': a.streamId }, 400, /^Expecting 'Content-Type' to be present$/],
    ['415', teardownA, { 'Content-Type': 'application/xml', 'Mesos-Stream-Id': a.streamId }, 415, /^Expecting 'Content-Type' of application\/json or application\/x-protobuf$/],
  ];
  for (const [name, body, headers, status, message] of cases) {
    const answer = await post(body, headers);
    t.is(answer.status, status, `${name}: ${answer.text}`);
    t.regex(answer.text, message, name);
  }
  const get = await rawRequest(c.url, { method: 'GET', path: '/api/v1/scheduler' });
  t.is(get.status, 405);
  t.deepEqual(await stateSnapshot(c.url), before, 'state unchanged after every rejected call');

  // Not subscribed: the framework's connection went away but it is kept for failover.
  a.close();
  await a.ended;
  for (let i = 0; i < 200 && c.master.connection(a.frameworkId() as never).kind === 'connected'; i++) await new Promise((r) => setTimeout(r, 10));
  const notSubscribed = await post(teardownA, { 'Mesos-Stream-Id': a.streamId });
  t.deepEqual([notSubscribed.status, notSubscribed.text], [403, 'Framework is not subscribed']);
  const state = await stateSnapshot(c.url);
  t.deepEqual(state.frameworks.map((f: Json) => [f.name, f.connected]).sort(), [['a', false], ['b', true]]);
});

test('a FrameworkInfo the master refuses: 200, one ERROR event with Mesos\' message, the end of the stream, nothing changed', async (t) => {
  const c = await cluster(t);
  const kept = await subscribed(t, c.url, frameworkInfo({ name: 'kept', failover_timeout: 0 }));
  await kept.waitForEvent('OFFERS');
  const gone = await subscribed(t, c.url, frameworkInfo({ name: 'gone' }));
  t.is((await gone.call({ type: 'TEARDOWN' })).status, 202);
  await gone.ended;
  const before = await stateSnapshot(c.url);

  const cases: [name: string, info: Json, suppressed: string[] | null, message: string][] = [
    ['role and MULTI_ROLE', frameworkInfo({ role: 'a', capabilities: [{ type: 'MULTI_ROLE' }] }), null,
      "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable"],
    ['roles without MULTI_ROLE', frameworkInfo({ roles: ['a', 'b'] }), null, "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable"],
    ['bad role name', frameworkInfo({ role: 'a//b' }), null, "'FrameworkInfo.role' is not a valid role: Role 'a//b' cannot contain two adjacent slashes"],
    ['failover timeout out of range', frameworkInfo({ failover_timeout: 1e12 }), null, 'The framework failover_timeout (1e+12) is invalid'],
    ['suppressed role not subscribed', frameworkInfo({ role: 'web' }), ['batch'], 'Suppressed roles { batch } are not contained in the set of roles'],
    ['removed framework', frameworkInfo({ id: { value: gone.frameworkId() } }), null, 'Framework has been removed'],
    ['principal changed on re-subscribe', frameworkInfo({ id: { value: kept.frameworkId() }, principal: 'intruder' }), null, "Changing framework's principal is not allowed."],
  ];
  for (const [name, info, suppressed, message] of cases) {
    const call = { type: 'SUBSCRIBE', framework_id: info.id ?? null, subscribe: { framework_info: info, suppressed_roles: suppressed } };
    const sub = await subscribe(c.url, call);
    t.teardown(() => sub.close());
    t.is(sub.status, 200, `${name}: ${sub.errorText}`);
    t.truthy(sub.streamId, name);
    await sub.ended;
    t.deepEqual(sub.events, [{ type: 'ERROR', error: { message } }], name);
    t.is(sub.misframedChunks, 0, name);
  }
  t.deepEqual(await stateSnapshot(c.url), before, 'state unchanged after every refusal');
  t.is(kept.events.filter((e) => e.type === 'ERROR').length, 0, 'the subscribed framework was not failed over');
});

test('an ACCEPT launching thousands of tasks is taken in one call; an absurd body gets 413 and the next request is served', async (t) => {
  const c = await cluster(t);
  const big = new MemoryAgent(c.master);
  const bigId = big.register('agent-big', [scalar('cpus', 1000), scalar('mem', 100_000)]);
  const sub = await subscribed(t, c.url);
  const offer = offersOf(await sub.waitForEvent('OFFERS', (e) => offersOf(e).some((o) => o.agent_id.value === bigId))).find((o) => o.agent_id.value === bigId)!;
  const n = 4000;
  const task_infos = Array.from({ length: n }, (_, i) => ({
    name: `batch-${i}`, task_id: { value: `batch-${i}` }, agent_id: offer.agent_id,
    resources: [scalar('cpus', 0.1), scalar('mem', 16)], command: { value: 'true', shell: true }, labels: { labels: [{ key: 'wave', value: '1' }] },
  }));
  const accept = await sub.call({ type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos } }] } });
  t.is(accept.status, 202, accept.text);
  t.is(big.received.filter((e) => e.run_task !== undefined).length, n);
  const tasks = c.master.getTasks().tasks ?? [];
  t.is(tasks.length, n);

  const tooBig = await rawRequest(c.url, { path: '/api/v1/scheduler', headers: { 'Content-Type': 'application/json' }, body: Buffer.alloc(65 * 1024 * 1024, 0x20) });
  t.is(tooBig.status, 413);
  t.is(tooBig.text, 'Request body is too large');
  const after = await sub.call({ type: 'REVIVE' });
  t.is(after.status, 202, after.text);
});

test('many concurrent SUBSCRIBEs of one framework id: the last one holds the framework, every other stream ends with an ERROR', async (t) => {
  const c = await cluster(t);
  const first = await subscribed(t, c.url, frameworkInfo({ failover_timeout: 60 }));
  const id = first.frameworkId();
  const subs = await Promise.all(Array.from({ length: 12 }, () => subscribe(c.url, { ...subscribeCall(frameworkInfo({ id: { value: id }, failover_timeout: 60 })), framework_id: { value: id } }, { encoding: 'json' })));
  for (const s of subs) t.teardown(() => s.close());
  t.deepEqual(subs.map((s) => [s.status, s.errorText]).filter(([s]) => s !== 200), []);
  const all = [first, ...subs];
  const holder = all.filter((s) => s.streamId === (c.master.connection(id as never) as { streamId?: string }).streamId);
  t.is(holder.length, 1);
  const others = all.filter((s) => s !== holder[0]);
  await Promise.all(others.map((s) => s.ended));
  for (const s of others) t.is(s.events.at(-1)?.type, 'ERROR');
  const answer = await holder[0].call({ type: 'REVIVE' });
  t.is(answer.status, 202, answer.text);
  t.is(c.master.getFrameworks().frameworks?.[0].active, true);
});

test('a client that goes away in the middle of a request body leaves the master serving', async (t) => {
  const c = await cluster(t);
  const sub = await subscribed(t, c.url);
  const { request } = await import('node:http');
  const u = new URL(c.url);
  await new Promise<void>((resolve) => {
    const req = request({ host: u.hostname, port: u.port, method: 'POST', path: '/api/v1/scheduler', headers: { 'Content-Type': 'application/json', 'Content-Length': '100000', 'Mesos-Stream-Id': sub.streamId } });
    req.on('error', () => resolve());
    req.write('{"type":"DECLINE","framework_id":{"value":"');
    setImmediate(() => {
      req.destroy();
      resolve();
    });
  });
  const answer = await sub.call({ type: 'REVIVE' });
  t.is(answer.status, 202, answer.text);
  t.is(c.master.getFrameworks().frameworks?.[0].active, true);
});
