import test from 'ava';
import {
  legacyAgent, legacyAttributes, legacyFramework, legacyFrameworks, legacyResources, legacyRoles, legacySlaves,
  legacyState, legacyTask, rangesText, type AgentLike, type FrameworkLike, type ResourceLike, type TaskLike,
} from './legacy-json.ts';

const scalar = (name: string, value: number, extra: Partial<ResourceLike> = {}): ResourceLike =>
  ({ name, type: 'SCALAR', scalar: { value }, ...extra });
const ranges = (name: string, ...r: [number, number][]): ResourceLike =>
  ({ name, type: 'RANGES', ranges: { range: r.map(([begin, end]) => ({ begin, end })) } });

test('resources summary, table', (t) => {
  const cases: [resources: ResourceLike[], expected: Record<string, unknown>][] = [
    [[], { cpus: 0, gpus: 0, mem: 0, disk: 0 }],
    [[scalar('cpus', 4), scalar('mem', 8192), scalar('disk', 1000), ranges('ports', [31000, 32000])],
      { cpus: 4, gpus: 0, mem: 8192, disk: 1000, ports: '[31000-32000]' }],
    // two reservations of cpus add up: 1.5 + 0.5 = 2
    [[scalar('cpus', 1.5), scalar('cpus', 0.5, { reservations: [{ role: 'web' }] })], { cpus: 2, gpus: 0, mem: 0, disk: 0 }],
    [[ranges('ports', [31005, 31010]), ranges('ports', [31000, 31004], [40000, 40000])],
      { cpus: 0, gpus: 0, mem: 0, disk: 0, ports: '[31000-31010, 40000-40000]' }],
    [[{ name: 'zones', type: 'SET', set: { item: ['a', 'b'] } }], { cpus: 0, gpus: 0, mem: 0, disk: 0, zones: '{a, b}' }],
    [[scalar('cpus', 2, { revocable: {} })], { cpus: 0, gpus: 0, mem: 0, disk: 0, cpus_revocable: 2 }],
  ];
  for (const [resources, expected] of cases) t.deepEqual(legacyResources(resources), expected);
});

test('ranges text merges adjacent and overlapping ranges', (t) => {
  t.is(rangesText([{ begin: 5, end: 6 }, { begin: 1, end: 4 }, { begin: 10, end: 12 }, { begin: 11, end: 20 }]), '[1-6, 10-20]');
});

test('attributes become name -> value', (t) => {
  t.deepEqual(legacyAttributes([
    { name: 'rack', type: 'TEXT', text: { value: 'r1' } },
    { name: 'level', type: 'SCALAR', scalar: { value: 3 } },
    { name: 'span', type: 'RANGES', ranges: { range: [{ begin: 1, end: 2 }] } },
    { name: 'tags', type: 'SET', set: { item: ['x', 'y'] } },
  ]), { rack: 'r1', level: 3, span: '[1-2]', tags: '{x, y}' });
});

const agent: AgentLike = {
  agent_info: { id: { value: 'A1' }, hostname: 'h1', port: 5051, attributes: [{ name: 'rack', type: 'TEXT', text: { value: 'r1' } }] },
  active: true,
  version: '0.1.0',
  pid: 'slave(1)@127.0.0.1:5051',
  registered_time: { nanoseconds: 1_700_000_000_500_000_000 },
  total_resources: [scalar('cpus', 4), scalar('mem', 1024), scalar('cpus', 2, { reservations: [{ role: 'web' }] }), ranges('ports', [31000, 32000])],
  allocated_resources: [scalar('cpus', 1)],
  offered_resources: [scalar('cpus', 3), scalar('mem', 1024)],
  capabilities: [{ type: 'MULTI_ROLE' }, { type: 'RESERVATION_REFINEMENT' }],
};

test('agent becomes a legacy slave with reserved/unreserved split', (t) => {
  const slave = legacyAgent(agent);
  t.like(slave, {
    id: 'A1', hostname: 'h1', port: 5051, pid: 'slave(1)@127.0.0.1:5051', active: true, deactivated: false, version: '0.1.0',
    registered_time: 1_700_000_000.5,
    attributes: { rack: 'r1' },
    resources: { cpus: 6, mem: 1024, ports: '[31000-32000]' }, // 4 + 2 reserved
    used_resources: { cpus: 1 },
    offered_resources: { cpus: 3, mem: 1024 },
    reserved_resources: { web: { cpus: 2, gpus: 0, mem: 0, disk: 0 } },
    unreserved_resources: { cpus: 4, mem: 1024, ports: '[31000-32000]' },
  });
  t.deepEqual(slave.capabilities, ['MULTI_ROLE', 'RESERVATION_REFINEMENT']);
  t.false('reregistered_time' in slave);
  t.deepEqual(legacySlaves({ agents: [agent] }).recovered_slaves, []);
});

const task: TaskLike = {
  name: 'web-1', task_id: { value: 'T1' }, framework_id: { value: 'F1' }, agent_id: { value: 'A1' }, state: 'TASK_RUNNING',
  resources: [scalar('cpus', 1, { allocation_info: { role: 'web' } })],
  statuses: [{ state: 'TASK_STARTING', timestamp: 10.5 }, { state: 'TASK_RUNNING', timestamp: 11, healthy: true }],
  labels: { labels: [{ key: 'k', value: 'v' }] },
};

test('task shape', (t) => {
  t.deepEqual(legacyTask(task), {
    id: 'T1', name: 'web-1', framework_id: 'F1', executor_id: '', slave_id: 'A1', state: 'TASK_RUNNING',
    resources: { cpus: 1, gpus: 0, mem: 0, disk: 0 },
    role: 'web',
    statuses: [{ state: 'TASK_STARTING', timestamp: 10.5 }, { state: 'TASK_RUNNING', timestamp: 11, healthy: true }],
    labels: [{ key: 'k', value: 'v' }],
  });
});

const framework: FrameworkLike = {
  framework_info: { id: { value: 'F1' }, name: 'marathon', user: 'root', hostname: 'fh', role: 'web', failover_timeout: 60, checkpoint: true,
    capabilities: [{ type: 'PARTITION_AWARE' }] },
  active: true, connected: true, recovered: false,
  registered_time: { nanoseconds: 2e9 },
  reregistered_time: { nanoseconds: 2e9 },
  allocated_resources: [scalar('cpus', 1)],
  offered_resources: [scalar('cpus', 2)],
  offers: [{ id: { value: 'O1' }, framework_id: { value: 'F1' }, agent_id: { value: 'A1' }, allocation_info: { role: 'web' }, resources: [scalar('cpus', 2)] }],
};

test('framework shape: single role, totals, offers, tasks', (t) => {
  const json = legacyFramework(framework, { tasks: [task], unreachableTasks: [], completedTasks: [], executors: [] });
  t.like(json, {
    id: 'F1', name: 'marathon', user: 'root', hostname: 'fh', webui_url: '', role: 'web', active: true, connected: true, recovered: false,
    failover_timeout: 60, checkpoint: true, registered_time: 2, unregistered_time: 0,
    used_resources: { cpus: 1 }, offered_resources: { cpus: 2 }, resources: { cpus: 3 }, // 1 used + 2 offered
  });
  t.deepEqual(json.capabilities, ['PARTITION_AWARE']);
  t.false('roles' in json);
  t.false('reregistered_time' in json); // same as registered
  t.false('pid' in json); // HTTP frameworks have none
  t.is((json.tasks as unknown[]).length, 1);
  t.deepEqual(json.offers, [{ id: 'O1', framework_id: 'F1', allocation_info: { role: 'web' }, slave_id: 'A1', resources: { cpus: 2, gpus: 0, mem: 0, disk: 0 } }]);
});

test('multi-role framework lists roles, not role', (t) => {
  const json = legacyFramework(
    { framework_info: { id: { value: 'F2' }, roles: ['a', 'b'], capabilities: [{ type: 'MULTI_ROLE' }] } },
    { tasks: [], unreachableTasks: [], completedTasks: [], executors: [] },
  );
  t.deepEqual(json.roles, ['a', 'b']);
  t.false('role' in json);
});

test('frameworks endpoint assigns tasks to their framework', (t) => {
  const other: TaskLike = { ...task, task_id: { value: 'T2' }, framework_id: { value: 'F9' } };
  const json = legacyFrameworks({
    get_frameworks: { frameworks: [framework], completed_frameworks: [] },
    get_tasks: { tasks: [task, other], completed_tasks: [{ ...task, task_id: { value: 'T0' }, state: 'TASK_FINISHED' }] },
  });
  const [f] = json.frameworks as Record<string, unknown>[];
  t.deepEqual((f.tasks as { id: string }[]).map((x) => x.id), ['T1']);
  t.deepEqual((f.completed_tasks as { id: string }[]).map((x) => x.id), ['T0']);
  t.deepEqual(json.completed_frameworks, []);
  t.deepEqual(json.unregistered_frameworks, []);
});

test('state shape', (t) => {
  const json = legacyState({
    version: '1.11.0',
    build: { date: '2026-11-22', time: 1, user: 'ci' },
    startTime: 100.25,
    electedTime: 100.5,
    masterInfo: { id: 'M1', pid: 'master@127.0.0.1:5050', port: 5050, hostname: 'localhost' },
    leaderInfo: { id: 'M1', pid: 'master@127.0.0.1:5050', port: 5050, hostname: 'localhost' },
    flags: { port: '5050', cluster: 'c1' },
    unreachableAgents: 0,
    state: {
      get_agents: { agents: [agent, { ...agent, agent_info: { id: { value: 'A2' } }, active: false }] },
      get_frameworks: { frameworks: [framework] },
    },
  });
  t.like(json, {
    version: '1.11.0', build_date: '2026-11-22', build_time: 1, build_user: 'ci', start_time: 100.25, elected_time: 100.5,
    id: 'M1', pid: 'master@127.0.0.1:5050', hostname: 'localhost', leader: 'master@127.0.0.1:5050',
    leader_info: { id: 'M1', pid: 'master@127.0.0.1:5050', port: 5050, hostname: 'localhost' },
    activated_slaves: 1, deactivated_slaves: 1, unreachable_slaves: 0, cluster: 'c1', flags: { port: '5050', cluster: 'c1' },
  });
  t.is((json.slaves as unknown[]).length, 2);
  t.is((json.frameworks as unknown[]).length, 1);
  for (const key of ['completed_frameworks', 'orphan_tasks', 'unregistered_frameworks', 'recovered_slaves']) t.deepEqual(json[key], [], key);
});

test('roles shape', (t) => {
  t.deepEqual(legacyRoles({
    roles: [{
      name: 'web', weight: 2, frameworks: [{ value: 'F1' }],
      allocated: [scalar('cpus', 1)], offered: [scalar('cpus', 2), scalar('mem', 64)], reserved: [],
      quota: { guarantees: { cpus: { value: 1 } }, limits: { cpus: { value: 4 } } },
    }],
  }), {
    roles: [{
      name: 'web', weight: 2,
      quota: { role: 'web', guarantee: { cpus: 1 }, limit: { cpus: 4 }, consumed: {} },
      resources: { cpus: 3, mem: 64 }, // allocated 1 + offered 2
      allocated: { cpus: 1 }, offered: { cpus: 2, mem: 64 }, reserved: {},
      frameworks: ['F1'],
    }],
  });
});

test('roles from a v1 Role without the allocated/offered split use its resources', (t) => {
  const [role] = legacyRoles({ roles: [{ name: 'web', weight: 1, resources: [scalar('cpus', 1.5), scalar('cpus', 0.5)] }] }).roles as Record<string, unknown>[];
  t.deepEqual(role.resources, { cpus: 2 }); // 1.5 + 0.5
  t.deepEqual(role.allocated, {});
});
