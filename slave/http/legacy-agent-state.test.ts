/**
 * The agent's legacy JSON converters, field by field, and the legacy routes through the app.
 */
import test from 'ava';
import type { mesos } from '../../proto/types.generated.ts';
import { createAgentApp } from './app.ts';
import { executorRuns, legacyAgentState, monitorStatistics, taskExecutorId } from './legacy-agent-state.ts';
import {
  commandExecutor, completedExecutor, fakeAgentView, finishedTask, frameworkInfo, runningTask, sandboxFixture, statistics,
} from './test-fixtures.ts';

const fixture = sandboxFixture();
const view = fakeAgentView(fixture);
test.after.always(() => fixture.cleanup());

test('executorRuns parses the Mesos sandbox layout; latest is not a run', (t) => {
  const runs = executorRuns([
    { directory: '/w/slaves/S/frameworks/F/executors/E/runs/C1', virtualPaths: ['/frameworks/F/executors/E/runs/latest'] },
    { directory: '/w/slaves/S/frameworks/F/executors/E/runs/C2/', virtualPaths: [] },
    { directory: '/elsewhere', virtualPaths: ['/frameworks/G/executors/X/runs/latest', '/frameworks/G/executors/X/runs/C9'] },
    { directory: '/nothing', virtualPaths: ['/tmp'] },
  ]);
  t.deepEqual([...runs.values()].flat().map((r) => [r.frameworkId, r.executorId, r.containerId, r.directory]), [
    ['F', 'E', 'C1', '/w/slaves/S/frameworks/F/executors/E/runs/C1'],
    ['F', 'E', 'C2', '/w/slaves/S/frameworks/F/executors/E/runs/C2/'],
    ['G', 'X', 'C9', '/elsewhere'],
  ]);
});

test('a task belongs to its executor, or to the command executor named after it', (t) => {
  t.is(taskExecutorId(runningTask), 'task-1');
  t.is(taskExecutorId({ ...runningTask, executor_id: { value: 'custom' } }), 'custom');
});

test('legacy /state: agent fields, resources, reservations, frameworks with executors and their tasks', (t) => {
  const json = legacyAgentState({
    version: '0.1.0', build: { gitSha: 'abc' }, startTime: 1700000000.25, agentInfo: view.agentInfo(), agentId: 'S1',
    endpoint: '127.0.0.1:5051', masterAddress: 'master-host:5050', flags: { port: '5051' }, state: view.getState(),
    sandboxes: view.sandboxes(), capabilities: [{ type: 'MULTI_ROLE' }, { type: 'HIERARCHICAL_ROLE' }], resourceJson: (r) => r,
  });
  t.like(json, {
    version: '0.1.0', git_sha: 'abc', start_time: 1700000000.25, id: 'S1', pid: 'slave(1)@127.0.0.1:5051', hostname: 'agent-host',
    resources: { cpus: 3, gpus: 0, mem: 1024, disk: 4096, ports: '[31000-32000]' }, // cpus: 2 unreserved + 1 reserved for db
    attributes: { rack: 'r1' },
    master_hostname: 'master-host',
    flags: { port: '5051' },
    capabilities: ['MULTI_ROLE', 'HIERARCHICAL_ROLE'],
    reserved_resources: { db: { cpus: 1, gpus: 0, mem: 0, disk: 0 } },
    unreserved_resources: { cpus: 2, gpus: 0, mem: 1024, disk: 4096, ports: '[31000-32000]' },
    // the executor's 0.5 cpus / 64 MB plus its running task's 0.5 / 64
    reserved_resources_allocated: {},
    unreserved_resources_allocated: { cpus: 1, gpus: 0, mem: 128, disk: 0 },
    resource_providers: [],
    completed_frameworks: [],
  });
  const total = view.agentInfo().resources!;
  t.deepEqual(json.reserved_resources_full, { db: [total[4]] });
  t.deepEqual(json.unreserved_resources_full, total.slice(0, 4));
  t.deepEqual(Object.keys(json).slice(0, 8), ['version', 'git_sha', 'start_time', 'id', 'pid', 'hostname', 'capabilities', 'resources']);
  const frameworks = json.frameworks as Record<string, unknown>[];
  t.is(frameworks.length, 1);
  t.like(frameworks[0], {
    id: 'F1', name: 'test-framework', user: 'root', failover_timeout: 60, checkpoint: true, hostname: 'fw-host',
    roles: ['web'],
  });
  t.false('role' in frameworks[0]); // MULTI_ROLE frameworks show roles, not role
  t.false('capabilities' in frameworks[0]); // the agent's framework entry has none
  const [executor] = frameworks[0].executors as Record<string, unknown>[];
  t.like(executor, {
    id: 'task-1', name: commandExecutor.name, source: 'task-1', container: 'C1', directory: fixture.sandbox,
    resources: { cpus: 1, mem: 128, gpus: 0, disk: 0 }, role: 'web', queued_tasks: [], // its own 0.5/64 + task-1's 0.5/64
  });
  const tasks = executor.tasks as Record<string, unknown>[];
  t.deepEqual(tasks.map((x) => [x.id, x.state, x.executor_id, x.framework_id, x.slave_id]), [['task-1', 'TASK_RUNNING', '', 'F1', 'S1']]);
  t.deepEqual(executor.completed_tasks, []);
  const [completed] = frameworks[0].completed_executors as Record<string, unknown>[];
  t.like(completed, { id: 'task-0', container: '', directory: '' }); // its sandbox is gone and no status names its container
  t.deepEqual((completed.completed_tasks as { id: string; state: string }[]).map((x) => [x.id, x.state]), [['task-0', 'TASK_FINISHED']]);
});

test('legacy /state: single-role framework, no master yet, queued and terminated tasks', (t) => {
  const state: mesos.v1.agent.Response.GetState = {
    get_frameworks: { completed_frameworks: [{ framework_info: { ...frameworkInfo, capabilities: undefined, roles: undefined, role: 'ops' } }] },
    get_executors: { completed_executors: [{ executor_info: commandExecutor }] },
    get_tasks: { queued_tasks: [{ ...runningTask, state: 'TASK_STAGING' }], terminated_tasks: [finishedTask] },
  };
  const json = legacyAgentState({
    version: '0.1.0', build: {}, startTime: 1, agentInfo: { hostname: 'h' }, agentId: undefined,
    endpoint: '10.0.0.1:5051', masterAddress: '', flags: { external_log_file: '/var/log/agent' }, state, sandboxes: [], resourceJson: (r) => r,
  });
  t.false('master_hostname' in json);
  t.false('capabilities' in json);
  t.is(json.external_log_file, '/var/log/agent');
  // the queued task holds its resources even though its executor is completed
  t.deepEqual(json.unreserved_resources_allocated, { cpus: 0.5, gpus: 0, mem: 64, disk: 0 });
  t.is(json.id, '');
  t.deepEqual(json.frameworks, []);
  const [framework] = json.completed_frameworks as Record<string, unknown>[];
  t.is(framework.role, 'ops');
    const [executor] = framework.completed_executors as Record<string, unknown>[];
  t.deepEqual((executor.queued_tasks as { id: string }[]).map((x) => x.id), ['task-1']);
  t.deepEqual(executor.completed_tasks, []); // task-0 ran under executor task-0, not listed here
});

test('legacy /state: a collected run keeps its container (from the statuses) and directory (from the layout)', (t) => {
  const collected = { ...finishedTask, statuses: [{ ...finishedTask.statuses![0], container_status: { container_id: { value: 'C0' } } }] };
  const json = legacyAgentState({
    version: '0.1.0', build: {}, startTime: 1, agentInfo: view.agentInfo(), agentId: 'S1', endpoint: 'x:1', masterAddress: '', flags: {},
    state: { ...view.getState(), get_tasks: { completed_tasks: [collected] } }, sandboxes: [], resourceJson: (r) => r, workDir: '/var/lib/maestro/',
  });
  const [framework] = json.frameworks as Record<string, unknown>[];
  const [completed] = framework.completed_executors as Record<string, unknown>[];
  t.like(completed, { id: 'task-0', container: 'C0', directory: '/var/lib/maestro/slaves/S1/frameworks/F1/executors/task-0/runs/C0' });
});

test('monitorStatistics: one entry per container with usage, source from the executor', (t) => {
  const entries = monitorStatistics(
    {
      containers: [
        { framework_id: { value: 'F1' }, executor_id: { value: 'task-1' }, container_id: { value: 'C1' }, resource_statistics: statistics },
        { framework_id: { value: 'F1' }, executor_id: { value: 'other' }, container_id: { value: 'C2' }, resource_statistics: statistics },
        { framework_id: { value: 'F1' }, executor_id: { value: 'quiet' }, container_id: { value: 'C3' } }, // no usage: left out
      ],
    },
    [commandExecutor, { ...completedExecutor, executor_id: { value: 'other' }, source: undefined, name: undefined }],
    (s) => s,
  );
  t.deepEqual(entries, [
    { framework_id: 'F1', executor_id: 'task-1', executor_name: commandExecutor.name, source: 'task-1', statistics },
    { framework_id: 'F1', executor_id: 'other', executor_name: '', source: 'other', statistics },
  ]);
});

test('legacy routes through the app: /state and its aliases, /flags, /health, /version, /monitor/statistics, /metrics/snapshot', async (t) => {
  const app = createAgentApp({ view, logger: false, version: '0.1.0' });
  try {
    for (const url of ['/state', '/state.json', '/slave(1)/state', '/slave(1)/state.json']) {
      const res = await app.inject({ method: 'GET', url });
      t.is(res.statusCode, 200, url);
      t.like(res.json(), { id: 'S1', pid: 'slave(1)@127.0.0.1:5051', start_time: 1700000000.25 }, url);
    }
    for (const url of ['/flags', '/slave(1)/flags']) {
      t.deepEqual((await app.inject({ method: 'GET', url })).json(), { flags: view.flags() });
    }
    for (const url of ['/health', '/slave(1)/health']) {
      const res = await app.inject({ method: 'GET', url });
      t.deepEqual([res.statusCode, res.body], [200, '']);
    }
    t.deepEqual((await app.inject({ method: 'GET', url: '/version' })).json(), { version: '0.1.0' });
    t.deepEqual((await app.inject({ method: 'GET', url: '/metrics/snapshot' })).json(), { 'slave/registered': 1, 'slave/tasks_running': 1 });
    for (const url of ['/monitor/statistics', '/monitor/statistics.json']) {
      t.deepEqual((await app.inject({ method: 'GET', url })).json(), [{
        framework_id: 'F1', executor_id: 'task-1', executor_name: commandExecutor.name, source: 'task-1', statistics,
      }]);
    }
    const missing = await app.inject({ method: 'GET', url: '/nothing' });
    t.deepEqual([missing.statusCode, missing.body], [404, 'No route for GET /nothing']);
  } finally {
    await app.close();
  }
});
