/**
 * The v1 operator API (`POST /api/v1`) of a real `maestro master` process, with a WebSocket agent
 * and a plain-HTTP framework running one task: every implemented call answers a
 * `mesos.v1.master.Response` of its own type in the requested encoding, mutations are visible in
 * the reads that follow, and bad requests change nothing.
 */
import test from 'ava';
import { codec } from '../proto/codec.ts';
import { connectAgent } from './support/agent-client.ts';
import { startMaster } from './support/maestro-process.ts';
import { frameworkInfo, rawRequest, subscribe, subscribeCall, type Json } from './support/http-scheduler.ts';

const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json' };

test('operator API over a running cluster', async (t) => {
  const master = await startMaster({ allocation_interval: '100ms', quiet: true, weights: 'web=2' });
  t.teardown(() => master.stop());
  const agent = await connectAgent({ masterUrl: master.url, hostname: 'agent-1', resources: 'cpus:4;mem:4096;disk:1000;ports:[31000-32000]' });
  t.teardown(() => agent.close());
  const sub = await subscribe(master.url, subscribeCall(frameworkInfo({ name: 'ops', role: 'web' })));
  t.teardown(() => sub.close());
  const offer = (await sub.waitForEvent('OFFERS')).offers.offers[0];
  const frameworkId = sub.frameworkId();
  await sub.call({
    type: 'ACCEPT',
    accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [{
      name: 't', task_id: { value: 't1' }, agent_id: offer.agent_id,
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }], command: { value: 'true' },
    }] } }] },
  });
  await agent.waitFor('run_task');
  agent.sendStatus(frameworkId, 't1', 'TASK_RUNNING');
  await sub.waitForEvent('UPDATE');

  const call = async (body: Json, headers: Record<string, string> = JSON_HEADERS) => {
    const answer = await rawRequest(master.url, { path: '/api/v1', headers, body: JSON.stringify(body) });
    t.is(answer.status, 200, `${body.type}: ${answer.text}`);
    return answer.text === '' ? undefined : JSON.parse(answer.text) as Json;
  };

  const health = await call({ type: 'GET_HEALTH' });
  t.deepEqual(health, { type: 'GET_HEALTH', get_health: { healthy: true } });

  const version = await call({ type: 'GET_VERSION' });
  t.is(version!.type, 'GET_VERSION');
  t.is(typeof version!.get_version.version_info.version, 'string');

  const flags = await call({ type: 'GET_FLAGS' });
  t.true(flags!.get_flags.flags.some((f: Json) => f.name === 'weights' && f.value === 'web=2'));

  const metrics = await call({ type: 'GET_METRICS', get_metrics: {} });
  const metric = (name: string) => metrics!.get_metrics.metrics.find((m: Json) => m.name === name)?.value;
  t.is(metric('master/slaves_active'), 1);
  t.is(metric('master/frameworks_active'), 1);
  t.is(metric('master/tasks_running'), 1);

  const masterInfo = await call({ type: 'GET_MASTER' });
  t.is(masterInfo!.get_master.master_info.port, Number(new URL(master.url).port));
  t.is(typeof masterInfo!.get_master.start_time, 'number');

  const state = await call({ type: 'GET_STATE' });
  t.is(state!.type, 'GET_STATE');
  t.is(state!.get_state.get_agents.agents[0].agent_info.hostname, 'agent-1');
  t.is(state!.get_state.get_frameworks.frameworks[0].framework_info.id.value, frameworkId);
  t.deepEqual(state!.get_state.get_tasks.tasks.map((x: Json) => [x.task_id.value, x.state]), [['t1', 'TASK_RUNNING']]);

  const agents = await call({ type: 'GET_AGENTS' });
  t.is(agents!.get_agents.agents[0].agent_info.id.value, agent.agentId);
  const frameworks = await call({ type: 'GET_FRAMEWORKS' });
  t.is(frameworks!.get_frameworks.frameworks[0].framework_info.name, 'ops');
  const tasks = await call({ type: 'GET_TASKS' });
  t.is(tasks!.get_tasks.tasks[0].agent_id.value, agent.agentId);
  const executors = await call({ type: 'GET_EXECUTORS' });
  t.is(executors!.type, 'GET_EXECUTORS');
  const roles = await call({ type: 'GET_ROLES' });
  const web = roles!.get_roles.roles.find((r: Json) => r.name === 'web');
  t.is(web.weight, 2);

  // Weights: update, then read back.
  t.is(await call({ type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'batch', weight: 3 }] } }), undefined);
  const weights = await call({ type: 'GET_WEIGHTS' });
  t.deepEqual(
    weights!.get_weights.weight_infos.map((w: Json) => [w.role, w.weight]).sort(),
    [['batch', 3], ['web', 2]],
  );

  // Quota: update, then read back.
  t.is(await call({ type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'batch', guarantees: { cpus: { value: 1 } }, limits: { cpus: { value: 2 } } }] } }), undefined);
  const quota = await call({ type: 'GET_QUOTA' });
  t.is(quota!.type, 'GET_QUOTA');
  t.true(JSON.stringify(quota).includes('batch'));

  // Protobuf answers.
  const pb = await rawRequest(master.url, { path: '/api/v1', headers: { 'Content-Type': 'application/json', Accept: 'application/x-protobuf' }, body: JSON.stringify({ type: 'GET_AGENTS' }) });
  t.is(pb.headers['content-type'], 'application/x-protobuf');
  t.is(codec<Json>('mesos.v1.master.Response').decode(pb.body).get_agents.agents[0].agent_info.hostname, 'agent-1');
  // Protobuf requests.
  const request = codec<Json>('mesos.v1.master.Call');
  const pbCall = await rawRequest(master.url, { path: '/api/v1', headers: { 'Content-Type': 'application/x-protobuf', Accept: 'application/json' }, body: Buffer.from(request.encode({ type: 'GET_HEALTH' })) });
  t.deepEqual(JSON.parse(pbCall.text), { type: 'GET_HEALTH', get_health: { healthy: true } });

  // Errors change nothing.
  const before = await call({ type: 'GET_STATE' });
  const errors: [body: string, headers: Record<string, string>, status: number, message: RegExp][] = [
    [JSON.stringify({ type: 'GET_METRICS' }), JSON_HEADERS, 400, /^Failed to validate master::Call: Expecting 'get_metrics' to be present$/],
    [JSON.stringify({ type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'x', weight: -1 }] } }), JSON_HEADERS, 400, /weight/],
    [JSON.stringify({ type: 'TEARDOWN', teardown: { framework_id: { value: 'nobody' } } }), JSON_HEADERS, 400, /.+/],
    [JSON.stringify({ type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: 'nobody' } } }), JSON_HEADERS, 404, /^Agent 'nobody' not found$/],
    ['{"type": "GET_STATE"', JSON_HEADERS, 400, /^Failed to parse body into JSON: /],
    [JSON.stringify({ type: 'GET_EVERYTHING' }), JSON_HEADERS, 400, /^Failed to convert JSON into Call protobuf: .*GET_EVERYTHING/],
    [JSON.stringify({ type: 'GET_STATE' }), { 'Content-Type': 'application/json', Accept: 'text/html' }, 406, /^Expecting 'Accept' to allow/],
    [JSON.stringify({ type: 'GET_STATE' }), { 'Content-Type': 'text/plain' }, 415, /^Expecting 'Content-Type' of/],
    [JSON.stringify({ type: 'GET_STATE' }), {}, 400, /^Expecting 'Content-Type' to be present$/],
  ];
  for (const [body, headers, status, message] of errors) {
    const answer = await rawRequest(master.url, { path: '/api/v1', headers, body });
    t.is(answer.status, status, `${body}: ${answer.text}`);
    t.regex(answer.text, message);
  }
  t.deepEqual(await call({ type: 'GET_STATE' }), before);

  // TEARDOWN by the operator ends the framework's stream.
  t.is(await call({ type: 'TEARDOWN', teardown: { framework_id: { value: frameworkId } } }), undefined);
  await sub.ended;
  const after = await call({ type: 'GET_FRAMEWORKS' });
  t.deepEqual((after!.get_frameworks.frameworks ?? []), []);
  t.is(after!.get_frameworks.completed_frameworks[0].framework_info.id.value, frameworkId);
});
