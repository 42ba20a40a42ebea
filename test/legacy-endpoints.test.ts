/**
 * The legacy JSON endpoints of a real `maestro master` process in Mesos' shapes, with a WebSocket
 * agent and a plain-HTTP framework running one task: `/master/state` (= `/state`),
 * `/master/slaves`, `/master/frameworks`, `/master/roles`, `/master/flags`, `/metrics/snapshot`,
 * `/master/health`, `/master/redirect`, `/version`, `/health`.
 */
import test from 'ava';
import { connectAgent } from './support/agent-client.ts';
import { startMaster } from './support/maestro-process.ts';
import { frameworkInfo, getJson, rawRequest, subscribe, subscribeCall, type Json } from './support/http-scheduler.ts';

test('legacy endpoints in Mesos shapes', async (t) => {
  const master = await startMaster({ allocation_interval: '100ms', quiet: true, cluster: 'test-cluster' });
  t.teardown(() => master.stop());
  const agent = await connectAgent({
    masterUrl: master.url, hostname: 'agent-1', resources: 'cpus:4;mem:4096;disk:1000;ports:[31000-32000]',
    attributes: [{ name: 'rack', type: 'TEXT', text: { value: 'r1' } }],
  });
  t.teardown(() => agent.close());
  const sub = await subscribe(master.url, subscribeCall(frameworkInfo({ name: 'legacy', role: 'web', hostname: 'fw-host', failover_timeout: 60 })));
  t.teardown(() => sub.close());
  const offer = (await sub.waitForEvent('OFFERS')).offers.offers[0];
  const frameworkId = sub.frameworkId();
  await sub.call({
    type: 'ACCEPT',
    accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [{
      name: 'legacy-task', task_id: { value: 'lt-1' }, agent_id: offer.agent_id,
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1.5 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 256 } }],
      command: { value: 'sleep 100', shell: true },
      labels: { labels: [{ key: 'team', value: 'core' }] },
    }] } }], filters: { refuse_seconds: 3600 } },
  });
  await agent.waitFor('run_task');
  agent.sendStatus(frameworkId, 'lt-1', 'TASK_RUNNING');
  await sub.waitForEvent('UPDATE');

  const state = await getJson(master.url, '/master/state');
  for (const key of ['version', 'build_date', 'build_time', 'start_time', 'elected_time', 'id', 'pid', 'hostname',
    'activated_slaves', 'deactivated_slaves', 'unreachable_slaves', 'leader', 'leader_info', 'flags', 'slaves', 'frameworks',
    'completed_frameworks', 'orphan_tasks', 'unregistered_frameworks']) {
    t.true(key in state, `state has ${key}`);
  }
  t.false('build_user' in state, 'left out: nobody can know who built a source checkout');
  t.regex(state.pid, /^master@127\.0\.0\.1:\d+$/);
  t.is(state.leader, state.pid);
  t.is(state.cluster, 'test-cluster');
  t.is(state.activated_slaves, 1);
  t.is(state.flags.cluster, 'test-cluster');

  const [slave] = state.slaves;
  t.like(slave, {
    id: agent.agentId, hostname: 'agent-1', active: true, attributes: { rack: 'r1' },
    resources: { cpus: 4, gpus: 0, mem: 4096, disk: 1000, ports: '[31000-32000]' },
    used_resources: { cpus: 1.5, mem: 256 },
    unreserved_resources: { cpus: 4, mem: 4096 },
    reserved_resources: {},
  });
  t.is(typeof slave.registered_time, 'number');
  t.is(slave.pid, 'slave(1)@127.0.0.1:5051'); // the agent's connection IP; it reported no endpoint or port

  const [framework] = state.frameworks;
  t.like(framework, {
    id: frameworkId, name: 'legacy', user: 'root', hostname: 'fw-host', role: 'web', active: true, connected: true,
    failover_timeout: 60, checkpoint: false, used_resources: { cpus: 1.5, mem: 256 },
  });
  t.deepEqual(framework.tasks.map((x: Json) => ({ id: x.id, name: x.name, framework_id: x.framework_id, slave_id: x.slave_id, state: x.state })),
    [{ id: 'lt-1', name: 'legacy-task', framework_id: frameworkId, slave_id: agent.agentId, state: 'TASK_RUNNING' }]);
  const [task] = framework.tasks;
  t.like(task.resources, { cpus: 1.5, mem: 256, gpus: 0, disk: 0 });
  t.deepEqual(task.labels, [{ key: 'team', value: 'core' }]);
  t.is(task.statuses.at(-1).state, 'TASK_RUNNING');
  t.is(typeof task.statuses.at(-1).timestamp, 'number');

  t.deepEqual(await getJson(master.url, '/state'), await getJson(master.url, '/master/state'));

  const slaves = await getJson(master.url, '/master/slaves');
  t.deepEqual(Object.keys(slaves).sort(), ['recovered_slaves', 'slaves']);
  t.is(slaves.slaves[0].id, agent.agentId);

  const frameworks = await getJson(master.url, '/master/frameworks');
  t.deepEqual(Object.keys(frameworks).sort(), ['completed_frameworks', 'frameworks', 'unregistered_frameworks']);
  t.is(frameworks.frameworks[0].tasks[0].id, 'lt-1');

  const roles = await getJson(master.url, '/master/roles');
  const web = roles.roles.find((r: Json) => r.name === 'web');
  t.like(web, { name: 'web', weight: 1, frameworks: [frameworkId] });
  t.is(web.resources.cpus, 1.5);
  t.like(web, { allocated: { cpus: 1.5, mem: 256 }, offered: {}, reserved: {} });
  t.deepEqual(web.quota, { role: 'web', guarantee: {}, limit: {}, consumed: { cpus: 1.5, mem: 256 } });

  const flags = await getJson(master.url, '/master/flags');
  t.is(flags.flags.cluster, 'test-cluster');

  const metrics = await getJson(master.url, '/metrics/snapshot');
  t.is(metrics['master/slaves_active'], 1);
  t.is(metrics['master/tasks_running'], 1);
  for (const value of Object.values(metrics)) t.is(typeof value, 'number');

  t.is((await rawRequest(master.url, { method: 'GET', path: '/master/health' })).status, 200);
  t.is((await rawRequest(master.url, { method: 'GET', path: '/health' })).status, 200);
  const redirect = await rawRequest(master.url, { method: 'GET', path: '/master/redirect' });
  t.is(redirect.status, 307);
  t.regex(String(redirect.headers.location), new RegExp(`^//[^:]+:${new URL(master.url).port}$`));
  const version = await getJson(master.url, '/version');
  t.is(version.version, state.version);

  // Completed tasks and frameworks after a teardown.
  await sub.call({ type: 'TEARDOWN' });
  await sub.ended;
  const after = await getJson(master.url, '/master/state');
  t.deepEqual(after.frameworks, []);
  t.is(after.completed_frameworks[0].id, frameworkId);
  t.deepEqual(after.completed_frameworks[0].completed_tasks.map((x: Json) => [x.id, x.state]), [['lt-1', 'TASK_KILLED']]);
});
