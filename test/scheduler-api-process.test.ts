/**
 * The Mesos v1 scheduler API against a real `maestro master` process: a plain-HTTP framework
 * (test/support/http-scheduler.ts) and a WebSocket agent (test/support/agent-client.ts) on
 * loopback. Heartbeats run on the real timer (`--heartbeat_interval`), allocation on the real
 * interval; waits are for events, never for durations. Every process is stopped in teardown.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readBuildInfo } from '../master/build-info.ts';
import { buildJson } from '../master/http/version-info.ts';
import { connectAgent, type TestAgent } from './support/agent-client.ts';
import { startMaster, type MaestroProcess } from './support/maestro-process.ts';
import { frameworkInfo, getJson, rawRequest, subscribe, subscribeCall, type Json, type Subscription } from './support/http-scheduler.ts';

const scalar = (name: string, value: number) => ({ name, type: 'SCALAR', scalar: { value } });
const offersOf = (e: Json): Json[] => e.offers.offers as Json[];
const cpusOf = (offer: Json): number =>
  (offer.resources as Json[]).filter((r) => r.name === 'cpus').reduce((sum, r) => sum + r.scalar.value, 0);

async function startCluster(t: ExecutionContext, flags: Record<string, string | number> = {}): Promise<{ master: MaestroProcess; agent: TestAgent }> {
  const master = await startMaster({ allocation_interval: '100ms', quiet: true, ...flags });
  t.teardown(() => master.stop());
  const agent = await connectAgent({ masterUrl: master.url, hostname: 'agent-1', resources: 'cpus:4;mem:4096;disk:10000;ports:[31000-32000]' });
  t.teardown(() => agent.close());
  return { master, agent };
}

async function subscribed(t: ExecutionContext, url: string, info: Json = frameworkInfo(), encoding: 'json' | 'protobuf' = 'json'): Promise<Subscription> {
  const sub = await subscribe(url, subscribeCall(info), { encoding });
  t.teardown(() => sub.close());
  t.is(sub.status, 200, sub.errorText);
  await sub.waitForEvent('SUBSCRIBED');
  return sub;
}

test('a framework\'s life over JSON: version, subscribe, offers, decline, launch, ack, reconcile, kill, suppress/revive, teardown', async (t) => {
  const { master, agent } = await startCluster(t);

  // Build fields as build-info.ts reads them from this checkout; no build_user (nobody can know it).
  const version = await getJson(master.url, '/version');
  const expected = readBuildInfo(fileURLToPath(new URL('..', import.meta.url)));
  t.deepEqual(version, { version: JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version, ...buildJson(expected) });
  t.false('build_user' in version);

  const sub = await subscribed(t, master.url, frameworkInfo({ name: 'life', failover_timeout: 0 }));
  const frameworkId = sub.frameworkId();
  const first = offersOf(await sub.waitForEvent('OFFERS'))[0];
  t.is(first.agent_id.value, agent.agentId);
  t.is(cpusOf(first), 4);

  // DECLINE with a short filter: the same resources are offered again once it expires.
  let mark = sub.events.length;
  t.is((await sub.call({ type: 'DECLINE', decline: { offer_ids: [first.id], filters: { refuse_seconds: 0.3 } } })).status, 202);
  const offer = offersOf(await sub.waitForEvent('OFFERS', () => true, 15_000, mark))[0];
  t.not(offer.id.value, first.id.value);

  // ACCEPT LAUNCH: RunTask on the agent; its TASK_RUNNING comes back as UPDATE; ACKNOWLEDGE reaches the agent.
  const launch = await sub.call({
    type: 'ACCEPT',
    accept: {
      offer_ids: [offer.id],
      operations: [{ type: 'LAUNCH', launch: { task_infos: [{
        name: 'web', task_id: { value: 'web-1' }, agent_id: offer.agent_id,
        resources: [scalar('cpus', 1), scalar('mem', 256)], command: { value: 'sleep 1000', shell: true },
      }] } }],
      filters: { refuse_seconds: 3600 },
    },
  });
  t.is(launch.status, 202, launch.text);
  const run = await agent.waitFor('run_task');
  t.is(run.task.task_id.value, 'web-1');
  const uuid = agent.sendStatus(frameworkId, 'web-1', 'TASK_RUNNING');
  const running = await sub.waitForEvent('UPDATE', (e) => e.update.status.state === 'TASK_RUNNING');
  t.is(running.update.status.uuid, uuid);
  t.is((await sub.call({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: { value: agent.agentId }, task_id: { value: 'web-1' }, uuid } })).status, 202);
  const ack = await agent.waitFor('status_update_acknowledgement');
  t.is(ack.uuid, uuid);

  const state = await getJson(master.url, '/master/state');
  t.deepEqual(state.frameworks[0].tasks.map((x: Json) => [x.id, x.state]), [['web-1', 'TASK_RUNNING']]);
  t.is(state.slaves[0].used_resources.cpus, 1);

  // Implicit and explicit reconciliation.
  mark = sub.events.length;
  t.is((await sub.call({ type: 'RECONCILE', reconcile: { tasks: null } })).status, 202);
  const implicit = await sub.waitForEvent('UPDATE', () => true, 10_000, mark);
  t.deepEqual([implicit.update.status.task_id.value, implicit.update.status.state, implicit.update.status.reason], ['web-1', 'TASK_RUNNING', 'REASON_RECONCILIATION']);
  mark = sub.events.length;
  t.is((await sub.call({ type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 'web-1' } }] } })).status, 202);
  t.is((await sub.waitForEvent('UPDATE', () => true, 10_000, mark)).update.status.state, 'TASK_RUNNING');

  // KILL -> KillTask on the agent -> TASK_KILLED to the framework; the freed resources are offered again.
  t.is((await sub.call({ type: 'KILL', kill: { task_id: { value: 'web-1' } } })).status, 202);
  await agent.waitFor('kill_task', (k) => k.task_id.value === 'web-1');
  mark = sub.events.length;
  agent.sendStatus(frameworkId, 'web-1', 'TASK_KILLED');
  await sub.waitForEvent('UPDATE', (e) => e.update.status.state === 'TASK_KILLED', 10_000, mark);
  const freed = offersOf(await sub.waitForEvent('OFFERS', () => true, 15_000, mark))[0];
  t.is(cpusOf(freed), 4);

  // Decline for an hour and SUPPRESS; REVIVE clears the filter and brings the offer back
  // (the in-process suite proves that nothing is offered in between).
  t.is((await sub.call({ type: 'DECLINE', decline: { offer_ids: [freed.id], filters: { refuse_seconds: 3600 } } })).status, 202);
  t.is((await sub.call({ type: 'SUPPRESS', suppress: { roles: null } })).status, 202);
  mark = sub.events.length;
  t.is((await sub.call({ type: 'REVIVE' })).status, 202);
  const revived = offersOf(await sub.waitForEvent('OFFERS', () => true, 15_000, mark))[0];
  t.is(revived.agent_id.value, agent.agentId);

  // TEARDOWN: the stream ends, the agent is told, the framework is completed.
  t.is((await sub.call({ type: 'TEARDOWN' })).status, 202);
  await sub.ended;
  await agent.waitFor('shutdown_framework', (s) => s.framework_id.value === frameworkId);
  const after = await getJson(master.url, '/master/state');
  t.deepEqual(after.frameworks, []);
  t.deepEqual(after.completed_frameworks.map((f: Json) => f.id), [frameworkId]);
});

test('protobuf subscription with real heartbeats, every event its own HTTP chunk', async (t) => {
  const { master } = await startCluster(t, { heartbeat_interval: '200ms' });
  const sub = await subscribed(t, master.url, frameworkInfo(), 'protobuf');
  t.is(sub.headers['content-type'], 'application/x-protobuf');
  t.is(sub.events[0].subscribed.heartbeat_interval_seconds, 0.2);
  await sub.waitForEvent('OFFERS');
  const mark = sub.events.length;
  await sub.waitForEvent('HEARTBEAT', () => true, 10_000, mark);
  await sub.waitForEvent('HEARTBEAT', () => true, 10_000, sub.events.findIndex((e, i) => i >= mark && e.type === 'HEARTBEAT') + 1);
  t.is(sub.misframedChunks, 0);
  t.is(sub.chunks.length, sub.events.length);
});

test('disconnect keeps a framework with a failover timeout; it re-subscribes with its id', async (t) => {
  const { master } = await startCluster(t);
  const sub = await subscribed(t, master.url, frameworkInfo({ name: 'phoenix', failover_timeout: 3600 }));
  const id = sub.frameworkId();
  await sub.waitForEvent('OFFERS');
  sub.close();
  let framework: Json | undefined;
  for (let i = 0; i < 300; i++) {
    framework = (await getJson(master.url, '/master/frameworks')).frameworks[0];
    if (framework?.connected === false) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  t.like(framework, { id, connected: false, active: false });
  const call = { type: 'REVIVE', framework_id: { value: id } };
  const notSubscribed = await rawRequest(master.url, { path: '/api/v1/scheduler', headers: { 'Content-Type': 'application/json', 'Mesos-Stream-Id': sub.streamId }, body: JSON.stringify(call) });
  t.deepEqual([notSubscribed.status, notSubscribed.text], [403, 'Framework is not subscribed']);

  const again = await subscribe(master.url, { type: 'SUBSCRIBE', framework_id: { value: id }, subscribe: { framework_info: frameworkInfo({ name: 'phoenix', id: { value: id }, failover_timeout: 3600 }) } });
  t.teardown(() => again.close());
  t.is(again.status, 200, again.errorText);
  t.not(again.streamId, sub.streamId);
  t.is((await again.waitForEvent('SUBSCRIBED')).subscribed.framework_id.value, id);
  await again.waitForEvent('OFFERS');
});

test('every bad request: status, Mesos message, and the master state unchanged', async (t) => {
  const { master } = await startCluster(t);
  const a = await subscribed(t, master.url, frameworkInfo({ name: 'a' }));
  const b = await subscribed(t, master.url, frameworkInfo({ name: 'b' }));
  await a.waitForEvent('OFFERS');
  const before = await getJson(master.url, '/master/state');
  const aId = a.frameworkId();
  const teardownA = JSON.stringify({ type: 'TEARDOWN', framework_id: { value: aId } });
  const json = { 'Content-Type': 'application/json' };

  const cases: [name: string, method: string, headers: Record<string, string>, body: string | Buffer | undefined, status: number, message: RegExp][] = [
    ['GET', 'GET', {}, undefined, 405, /^405 Method Not Allowed\. Expecting one of \{ 'POST' \}, but received 'GET'\.$/],
    ['no Content-Type', 'POST', {}, teardownA, 400, /^Expecting 'Content-Type' to be present$/],
    ['unsupported Content-Type', 'POST', { 'Content-Type': 'text/plain' }, teardownA, 415, /^Expecting 'Content-Type' of application\/json or application\/x-protobuf$/],
    ['bad JSON', 'POST', json, '{"type":', 400, /^Failed to parse body into JSON: /],
    ['bad protobuf', 'POST', { 'Content-Type': 'application/x-protobuf' }, Buffer.from([0x08, 0x80, 0x80, 0x80]), 400, /^Failed to parse body into Call protobuf: /],
    ['unknown enum', 'POST', json, JSON.stringify({ type: 'BLOW_UP', framework_id: { value: aId } }), 400, /^Failed to convert JSON into Call protobuf: .*BLOW_UP.*'type'/],
    ['wrong field type', 'POST', json, JSON.stringify({ type: 'TEARDOWN', framework_id: { value: 42 } }), 400, /^Failed to convert JSON into Call protobuf: .*framework_id\.value/],
    ['missing framework_id', 'POST', { ...json, 'Mesos-Stream-Id': a.streamId }, JSON.stringify({ type: 'TEARDOWN' }), 400,
      /^Failed to validate scheduler::Call: Expecting 'framework_id' to be present$/],
    ['missing sub-message', 'POST', { ...json, 'Mesos-Stream-Id': a.streamId }, JSON.stringify({ type: 'KILL', framework_id: { value: aId } }), 400,
      /^Failed to validate scheduler::Call: Expecting 'kill' to be present$/],
    ['SUBSCRIBE with Accept nobody serves', 'POST', { ...json, Accept: 'text/html' }, JSON.stringify(subscribeCall()), 406,
      /^Expecting 'Accept' to allow 'application\/x-protobuf' or 'application\/json'$/],
    ['SUBSCRIBE with a stream id', 'POST', { ...json, 'Mesos-Stream-Id': a.streamId }, JSON.stringify(subscribeCall()), 400,
      /^Subscribe calls should not include the 'Mesos-Stream-Id' header$/],
    ['missing Mesos-Stream-Id', 'POST', json, teardownA, 400, /^All non-subscribe calls should include the 'Mesos-Stream-Id' header$/],
    ['wrong Mesos-Stream-Id', 'POST', { ...json, 'Mesos-Stream-Id': 'bogus' }, teardownA, 400,
      new RegExp(`^The stream ID 'bogus' included in this request didn't match the stream ID currently associated with framework ID ${aId}$`)],
    ["another framework's id with my stream", 'POST', { ...json, 'Mesos-Stream-Id': b.streamId }, teardownA, 400, /didn't match the stream ID currently associated/],
    ['unknown framework', 'POST', { ...json, 'Mesos-Stream-Id': a.streamId }, JSON.stringify({ type: 'TEARDOWN', framework_id: { value: 'nobody' } }), 400, /^Framework cannot be found$/],
  ];
  for (const [name, method, headers, body, status, message] of cases) {
    const answer = await rawRequest(master.url, { method, path: '/api/v1/scheduler', headers, body });
    t.is(answer.status, status, `${name}: ${answer.text}`);
    t.regex(answer.text, message, name);
  }
  t.deepEqual(await getJson(master.url, '/master/state'), before, 'no rejected request changed the master');
  t.is(before.frameworks.length, 2);
});

test('executor lifecycle over the agent protocol: LAUNCH_GROUP, SHUTDOWN -> ShutdownExecutor, ExecutorExited -> FAILURE and resources back', async (t) => {
  const { master, agent } = await startCluster(t);
  const sub = await subscribed(t, master.url, frameworkInfo({ name: 'grouped' }));
  const frameworkId = sub.frameworkId();
  const offer = offersOf(await sub.waitForEvent('OFFERS'))[0];
  const executor = { executor_id: { value: 'pod-1' }, type: 'DEFAULT', resources: [scalar('cpus', 0.5), scalar('mem', 32)] };
  const accept = await sub.call({
    type: 'ACCEPT',
    accept: {
      offer_ids: [offer.id],
      operations: [{ type: 'LAUNCH_GROUP', launch_group: { executor, task_group: { tasks: [
        { name: 'main', task_id: { value: 'main-1' }, agent_id: offer.agent_id, resources: [scalar('cpus', 1), scalar('mem', 128)] },
      ] } } }],
      filters: { refuse_seconds: 3600 },
    },
  });
  t.is(accept.status, 202, accept.text);
  const group = await agent.waitFor('run_task_group');
  t.is(group.executor.executor_id.value, 'pod-1');
  agent.sendStatus(frameworkId, 'main-1', 'TASK_RUNNING', { executor_id: { value: 'pod-1' } });
  await sub.waitForEvent('UPDATE', (e) => e.update.status.state === 'TASK_RUNNING');
  t.is((await getJson(master.url, '/master/state')).slaves[0].used_resources.cpus, 1.5); // task 1 + executor 0.5

  t.is((await sub.call({ type: 'SHUTDOWN', shutdown: { agent_id: { value: agent.agentId }, executor_id: { value: 'pod-1' } } })).status, 202);
  const shutdown = await agent.waitFor('shutdown_executor');
  t.deepEqual(shutdown, { framework_id: { value: frameworkId }, executor_id: { value: 'pod-1' } });

  // The agent ends the tasks itself, then reports the executor gone.
  agent.sendStatus(frameworkId, 'main-1', 'TASK_KILLED', { executor_id: { value: 'pod-1' } });
  agent.sendExecutorExited(frameworkId, 'pod-1', 15);
  const failure = await sub.waitForEvent('FAILURE', (e) => e.failure.executor_id !== undefined);
  t.deepEqual(failure.failure, { agent_id: { value: agent.agentId }, executor_id: { value: 'pod-1' }, status: 15 });
  const state = await getJson(master.url, '/master/state');
  t.is(state.slaves[0].used_resources.cpus, 0);
  t.deepEqual(state.frameworks[0].executors, []);
  t.is((await getJson(master.url, '/metrics/snapshot'))['master/messages_exited_executor'], 1);
});
