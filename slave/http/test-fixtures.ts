/**
 * Test fixtures for the agent HTTP tests: a fake AgentView (the port engineer A's agent
 * implements) over a real temporary work dir holding one sandbox in the Mesos layout, with the
 * files and links the jail tests need: stdout/stderr, a nested directory, a link inside the
 * sandbox, links pointing outside it (a directory, a file, a sibling run whose name shares a
 * prefix), a link loop, and a file beside the sandboxes that no path may reach.
 */
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { mesos } from '../../proto/types.generated.ts';
import type { AgentView, AttachedSandbox } from '../agent-view.ts';

export interface SandboxFixture {
  readonly workDir: string;
  readonly sandbox: string;
  readonly sibling: string;
  readonly virtual: string;
  cleanup(): void;
}

export const STDOUT_TEXT = 'hello from the task\nsecond line\n';

export function sandboxFixture(): SandboxFixture {
  const workDir = mkdtempSync(join(tmpdir(), 'maestro-agent-http-'));
  const runs = join(workDir, 'slaves/S1/frameworks/F1/executors/task-1/runs');
  const sandbox = join(runs, 'C1');
  const sibling = join(runs, 'C12');
  mkdirSync(join(sandbox, 'sub'), { recursive: true });
  mkdirSync(sibling, { recursive: true });
  writeFileSync(join(sandbox, 'stdout'), STDOUT_TEXT);
  writeFileSync(join(sandbox, 'stderr'), '');
  writeFileSync(join(sandbox, 'sub/inner.txt'), 'inner');
  writeFileSync(join(sandbox, 'big.log'), Buffer.alloc(100_000, 'x'));
  writeFileSync(join(sibling, 'secret'), 'sibling secret');
  writeFileSync(join(workDir, 'outside.txt'), 'outside');
  symlinkSync('stdout', join(sandbox, 'inside-link'));
  symlinkSync('/etc', join(sandbox, 'etc-link'));
  symlinkSync(join(workDir, 'outside.txt'), join(sandbox, 'outside-link'));
  symlinkSync('../C12', join(sandbox, 'sibling-link'));
  symlinkSync('loop', join(sandbox, 'loop'));
  symlinkSync('C1', join(runs, 'latest'));
  return {
    workDir,
    sandbox,
    sibling,
    virtual: '/frameworks/F1/executors/task-1/runs/latest',
    cleanup: () => rmSync(workDir, { recursive: true, force: true }),
  };
}

const resources: mesos.v1.Resource[] = [
  { name: 'cpus', type: 'SCALAR', scalar: { value: 2 } },
  { name: 'mem', type: 'SCALAR', scalar: { value: 1024 } },
  { name: 'disk', type: 'SCALAR', scalar: { value: 4096 } },
  { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 32000 }] } },
  { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, reservations: [{ type: 'STATIC', role: 'db' }] },
];

export const frameworkInfo: mesos.v1.FrameworkInfo = {
  id: { value: 'F1' }, name: 'test-framework', user: 'root', checkpoint: true, failover_timeout: 60, hostname: 'fw-host',
  capabilities: [{ type: 'MULTI_ROLE' }], roles: ['web'],
};

const taskResources: mesos.v1.Resource[] = [
  { name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 }, allocation_info: { role: 'web' } },
  { name: 'mem', type: 'SCALAR', scalar: { value: 64 }, allocation_info: { role: 'web' } },
];

export const runningTask: mesos.v1.Task = {
  name: 'task one', task_id: { value: 'task-1' }, framework_id: { value: 'F1' }, agent_id: { value: 'S1' },
  state: 'TASK_RUNNING', resources: taskResources, statuses: [{ task_id: { value: 'task-1' }, state: 'TASK_RUNNING', timestamp: 1700000001 }],
};

export const finishedTask: mesos.v1.Task = {
  name: 'task zero', task_id: { value: 'task-0' }, framework_id: { value: 'F1' }, agent_id: { value: 'S1' },
  state: 'TASK_FINISHED', resources: taskResources, statuses: [{ task_id: { value: 'task-0' }, state: 'TASK_FINISHED', timestamp: 1700000000 }],
};

export const commandExecutor: mesos.v1.ExecutorInfo = {
  executor_id: { value: 'task-1' }, framework_id: { value: 'F1' }, name: 'Command Executor (Task: task-1) (Command: sh -c \'sleep 60\')',
  source: 'task-1', resources: taskResources, command: { value: 'sleep 60', shell: true },
};

export const completedExecutor: mesos.v1.ExecutorInfo = {
  executor_id: { value: 'task-0' }, framework_id: { value: 'F1' }, name: 'Command Executor (Task: task-0)', source: 'task-0',
};

export const statistics: mesos.v1.ResourceStatistics = {
  timestamp: 1700000002.5, cpus_user_time_secs: 0.25, cpus_system_time_secs: 0.125, cpus_limit: 0.6, mem_rss_bytes: 1048576, mem_limit_bytes: 100663296,
};

export function fakeAgentView(fixture: SandboxFixture, overrides: Partial<AgentView> = {}): AgentView {
  const sandboxes: AttachedSandbox[] = [
    { directory: fixture.sandbox, virtualPaths: [fixture.virtual, '/frameworks/F1/executors/task-1/runs/C1'] },
  ];
  const getTasks = () => ({ launched_tasks: [runningTask], completed_tasks: [finishedTask] });
  const getExecutors = () => ({
    executors: [{ executor_info: commandExecutor }],
    completed_executors: [{ executor_info: completedExecutor }],
  });
  const getFrameworks = () => ({ frameworks: [{ framework_info: frameworkInfo }] });
  return {
    agentInfo: () => ({ hostname: 'agent-host', port: 5051, id: { value: 'S1' }, resources, attributes: [{ name: 'rack', type: 'TEXT', text: { value: 'r1' } }] }),
    agentId: () => 'S1',
    endpoint: () => '127.0.0.1:5051',
    master: () => ({ address: 'master-host:5050', registered: true }),
    startTime: () => 1_700_000_000_250,
    version: () => '0.1.0',
    flags: () => ({ work_dir: fixture.workDir, port: '5051', gc_delay: '1weeks' }),
    metrics: () => ({ 'slave/registered': 1, 'slave/tasks_running': 1 }),
    workDir: () => fixture.workDir,
    getState: () => ({ get_tasks: getTasks(), get_executors: getExecutors(), get_frameworks: getFrameworks() }),
    getFrameworks,
    getExecutors,
    getTasks,
    getAgent: () => ({ agent_info: { hostname: 'agent-host', id: { value: 'S1' } } }),
    getContainers: async () => ({
      containers: [{
        framework_id: { value: 'F1' }, executor_id: { value: 'task-1' }, executor_name: commandExecutor.name,
        container_id: { value: 'C1' }, resource_statistics: statistics,
      }],
    }),
    sandboxes: () => sandboxes,
    ...overrides,
  };
}
