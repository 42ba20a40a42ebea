/**
 * Pure converters from the agent's v1 shapes (`mesos.v1.agent.Response.*`, canonical plain-object
 * form, as AgentView gives them) to the legacy JSON of Mesos' agent endpoints:
 *  - `/state` (src/slave/http.cpp): build keys, `start_time`, `id`, `pid` (`slave(1)@host:port`),
 *    `hostname`, `capabilities`, `resources`, reserved and unreserved resources (summaries, then
 *    `_full` lists of v1 Resource JSON, then what running tasks and executors hold:
 *    `_allocated`), `resource_providers`, `attributes`, `master_hostname`, `flags`, then
 *    `frameworks` and `completed_frameworks`, each framework with `executors` and
 *    `completed_executors`, each executor with `tasks` (launched), `queued_tasks` and
 *    `completed_tasks` (terminated and completed), its `container` id, sandbox `directory` and
 *    `resources` (the executor's own plus its launched and queued tasks', as Mesos allocates);
 *  - `/monitor/statistics`: one entry per running container with usage,
 *    `{framework_id, executor_id, executor_name, source, statistics}`.
 * Resources, attributes and tasks use the master's legacy models (master/http/legacy-json.ts),
 * which are Mesos' common ones. A task belongs to the executor its `executor_id` names, or, with
 * none, to the command executor whose id is the task id (as Mesos names command executors).
 */
import type { mesos } from '../../proto/types.generated.ts';
import { legacyAttributes, legacyResources, legacyTask, type ResourceLike } from '../../master/http/legacy-json.ts';
import { buildJson, type BuildInfo } from '../../master/http/version-info.ts';
import type { AttachedSandbox } from '../agent-view.ts';

type Json = Record<string, unknown>;
type GetState = mesos.v1.agent.Response.GetState;
type Task = mesos.v1.Task;

/** Where an executor run lives: parsed from the Mesos sandbox layout `.../frameworks/F/executors/E/runs/C`. */
export interface ExecutorRun {
  readonly frameworkId: string;
  readonly executorId: string;
  readonly containerId: string;
  readonly directory: string;
}

const RUN_PATTERN = /\/frameworks\/([^/]+)\/executors\/([^/]+)\/runs\/([^/]+)\/*$/;

/** The executor runs of the sandboxes, keyed by framework and executor id; the newest (last listed) run last. */
export function executorRuns(sandboxes: readonly AttachedSandbox[]): Map<string, ExecutorRun[]> {
  const runs = new Map<string, ExecutorRun[]>();
  for (const sandbox of sandboxes) {
    const candidates = [sandbox.directory, ...sandbox.virtualPaths];
    const parsed = candidates
      .map((p) => RUN_PATTERN.exec(p))
      .find((m) => m !== null && m[3] !== 'latest');
    if (parsed === undefined || parsed === null) continue;
    const key = executorKey(parsed[1], parsed[2]);
    const list = runs.get(key) ?? [];
    list.push({ frameworkId: parsed[1], executorId: parsed[2], containerId: parsed[3], directory: sandbox.directory });
    runs.set(key, list);
  }
  return runs;
}

export function executorKey(frameworkId: string, executorId: string): string {
  return `${frameworkId}\u0000${executorId}`;
}

function reservationRole(r: ResourceLike): string | undefined {
  const refined = r.reservations;
  if (refined !== undefined && refined.length > 0) return refined[refined.length - 1].role;
  return r.role !== undefined && r.role !== '*' ? r.role : undefined;
}

function reservedByRole(resources: readonly ResourceLike[]): Json {
  const byRole = new Map<string, ResourceLike[]>();
  for (const r of resources) {
    const role = reservationRole(r);
    if (role !== undefined) byRole.set(role, [...(byRole.get(role) ?? []), r]);
  }
  return Object.fromEntries([...byRole].map(([role, list]) => [role, legacyResources(list)]));
}

/** The executor a task runs under: its executor id, or the command executor named after the task. */
export function taskExecutorId(task: Task): string {
  return task.executor_id?.value ?? task.task_id.value;
}

interface TaskLists {
  readonly tasks: Task[];
  readonly queued: Task[];
  readonly completed: Task[];
}

function tasksByExecutor(tasks: NonNullable<GetState['get_tasks']>): Map<string, TaskLists> {
  const byExecutor = new Map<string, TaskLists>();
  const listsOf = (task: Task): TaskLists => {
    const key = executorKey(task.framework_id.value, taskExecutorId(task));
    let lists = byExecutor.get(key);
    if (lists === undefined) {
      lists = { tasks: [], queued: [], completed: [] };
      byExecutor.set(key, lists);
    }
    return lists;
  };
  for (const t of tasks.launched_tasks ?? []) listsOf(t).tasks.push(t);
  for (const t of [...(tasks.pending_tasks ?? []), ...(tasks.queued_tasks ?? [])]) listsOf(t).queued.push(t);
  for (const t of [...(tasks.terminated_tasks ?? []), ...(tasks.completed_tasks ?? [])]) listsOf(t).completed.push(t);
  return byExecutor;
}

/** The container the tasks ran in, from the newest status that names one. */
function containerOfTasks(lists: TaskLists | undefined): string | undefined {
  for (const task of [...(lists?.tasks ?? []), ...(lists?.completed ?? []), ...(lists?.queued ?? [])]) {
    const statuses = task.statuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i -= 1) {
      const id = statuses[i].container_status?.container_id?.value;
      if (id !== undefined) return id;
    }
  }
  return undefined;
}

/** What an executor holds: its own resources and those of its launched and queued tasks. */
function allocatedToExecutor(executor: mesos.v1.ExecutorInfo, lists: TaskLists | undefined): mesos.v1.Resource[] {
  return [
    ...(executor.resources ?? []),
    ...[...(lists?.tasks ?? []), ...(lists?.queued ?? [])].flatMap((t) => t.resources ?? []),
  ];
}

export function legacyAgentExecutor(executor: mesos.v1.ExecutorInfo, run: ExecutorRun | undefined, lists: TaskLists | undefined): Json {
  const json: Json = {
    id: executor.executor_id.value,
    name: executor.name ?? '',
    source: executor.source ?? '',
    container: run?.containerId ?? '',
    directory: run?.directory ?? '',
    resources: legacyResources(allocatedToExecutor(executor, lists)),
  };
  const role = executor.resources?.[0]?.allocation_info?.role;
  if (role !== undefined) json.role = role;
  if (executor.labels !== undefined) json.labels = (executor.labels.labels ?? []).map((l) => ({ ...l }));
  if (executor.type !== undefined) json.type = executor.type;
  json.tasks = (lists?.tasks ?? []).map(legacyTask);
  json.queued_tasks = (lists?.queued ?? []).map(legacyTask);
  json.completed_tasks = (lists?.completed ?? []).map(legacyTask);
  return json;
}

export function legacyAgentFramework(
  info: mesos.v1.FrameworkInfo,
  executors: readonly mesos.v1.ExecutorInfo[],
  completedExecutors: readonly mesos.v1.ExecutorInfo[],
  runs: ReadonlyMap<string, readonly ExecutorRun[]>,
  tasks: ReadonlyMap<string, TaskLists>,
  sandboxOf?: (frameworkId: string, executorId: string, containerId: string) => string,
): Json {
  const id = info.id?.value ?? '';
  const json: Json = {
    id,
    name: info.name,
    user: info.user,
    failover_timeout: info.failover_timeout ?? 0,
    checkpoint: info.checkpoint ?? false,
    hostname: info.hostname ?? '',
  };
  if (info.principal !== undefined) json.principal = info.principal;
  if ((info.capabilities ?? []).some((c) => c.type === 'MULTI_ROLE')) json.roles = info.roles ?? [];
  else json.role = info.role ?? '*';
  const mine = (e: mesos.v1.ExecutorInfo): boolean => (e.framework_id?.value ?? id) === id;
  const entry = (e: mesos.v1.ExecutorInfo, newest: boolean): Json => {
    const key = executorKey(id, e.executor_id.value);
    const list = runs.get(key) ?? [];
    const lists = tasks.get(key);
    let run = newest ? list[list.length - 1] : list[0];
    if (run === undefined) {
      // The sandbox is gone (garbage-collected): the container id from the tasks' statuses, the directory from the layout.
      const containerId = containerOfTasks(lists);
      if (containerId !== undefined) {
        run = { frameworkId: id, executorId: e.executor_id.value, containerId, directory: sandboxOf?.(id, e.executor_id.value, containerId) ?? '' };
      }
    }
    return legacyAgentExecutor(e, run, lists);
  };
  json.executors = executors.filter(mine).map((e) => entry(e, true));
  json.completed_executors = completedExecutors.filter(mine).map((e) => entry(e, false));
  return json;
}

export interface LegacyAgentStateInput {
  readonly version: string;
  readonly build: BuildInfo;
  /** Seconds since the epoch. */
  readonly startTime: number;
  readonly agentInfo: mesos.v1.AgentInfo;
  readonly agentId: string | undefined;
  /** `host:port` of this agent. */
  readonly endpoint: string;
  /** `host:port` of the master, empty when unknown. */
  readonly masterAddress: string;
  readonly flags: Readonly<Record<string, string>>;
  readonly state: GetState;
  readonly sandboxes: readonly AttachedSandbox[];
  /** The agent's capabilities (names listed); absent when the view does not say. */
  readonly capabilities?: readonly mesos.v1.AgentInfo.Capability[];
  /** A v1 Resource as JSON, for the `_full` lists. */
  readonly resourceJson: (r: mesos.v1.Resource) => unknown;
  /** The agent's work dir: where a run's sandbox was, once it is garbage-collected (Mesos still shows it). */
  readonly workDir?: string;
}

function reservedFullByRole(resources: readonly mesos.v1.Resource[], toJson: (r: mesos.v1.Resource) => unknown): Json {
  const byRole = new Map<string, unknown[]>();
  for (const r of resources) {
    const role = reservationRole(r);
    if (role !== undefined) byRole.set(role, [...(byRole.get(role) ?? []), toJson(r)]);
  }
  return Object.fromEntries(byRole);
}

/** Resources held by live executors and their launched and queued tasks (terminated ones hold nothing). */
function allocatedResources(state: GetState): mesos.v1.Resource[] {
  const tasks = state.get_tasks ?? {};
  return [
    ...(state.get_executors?.executors ?? []).flatMap((e) => e.executor_info.resources ?? []),
    ...[...(tasks.launched_tasks ?? []), ...(tasks.queued_tasks ?? []), ...(tasks.pending_tasks ?? [])].flatMap((t) => t.resources ?? []),
  ];
}

function hostOf(address: string): string {
  const colon = address.lastIndexOf(':');
  return colon === -1 ? address : address.slice(0, colon);
}

/** `/state` of the agent. */
export function legacyAgentState(input: LegacyAgentStateInput): Json {
  const { agentInfo, state } = input;
  const resources = agentInfo.resources ?? [];
  const json: Json = { version: input.version, ...buildJson(input.build), start_time: input.startTime };
  json.id = input.agentId ?? agentInfo.id?.value ?? '';
  json.pid = `slave(1)@${input.endpoint}`;
  json.hostname = agentInfo.hostname;
  if (input.capabilities !== undefined) json.capabilities = input.capabilities.map((c) => c.type);
  if (agentInfo.domain !== undefined) json.domain = agentInfo.domain;
  const unreserved = resources.filter((r) => reservationRole(r) === undefined);
  const allocated = allocatedResources(state);
  json.resources = legacyResources(resources);
  json.reserved_resources = reservedByRole(resources);
  json.unreserved_resources = legacyResources(unreserved);
  json.reserved_resources_full = reservedFullByRole(resources, input.resourceJson);
  json.unreserved_resources_full = unreserved.map(input.resourceJson);
  json.reserved_resources_allocated = reservedByRole(allocated);
  json.unreserved_resources_allocated = legacyResources(allocated.filter((r) => reservationRole(r) === undefined));
  json.resource_providers = [];
  json.attributes = legacyAttributes(agentInfo.attributes);
  if (input.masterAddress !== '') json.master_hostname = hostOf(input.masterAddress);
  if (input.flags.log_dir !== undefined) json.log_dir = input.flags.log_dir;
  if (input.flags.external_log_file !== undefined) json.external_log_file = input.flags.external_log_file;
  json.flags = { ...input.flags };

  const runs = executorRuns(input.sandboxes);
  const tasks = tasksByExecutor(state.get_tasks ?? {});
  const executors = (state.get_executors?.executors ?? []).map((e) => e.executor_info);
  const completedExecutors = (state.get_executors?.completed_executors ?? []).map((e) => e.executor_info);
  const agentId = json.id as string;
  const { workDir } = input;
  const sandboxOf = workDir === undefined || agentId === ''
    ? undefined
    : (f: string, e: string, c: string) => `${workDir.replace(/\/+$/, '')}/slaves/${agentId}/frameworks/${f}/executors/${e}/runs/${c}`;
  const framework = (f: { framework_info: mesos.v1.FrameworkInfo }): Json =>
    legacyAgentFramework(f.framework_info, executors, completedExecutors, runs, tasks, sandboxOf);
  json.frameworks = (state.get_frameworks?.frameworks ?? []).map(framework);
  json.completed_frameworks = (state.get_frameworks?.completed_frameworks ?? []).map(framework);
  return json;
}

/** `/monitor/statistics`: running containers that have usage statistics. */
export function monitorStatistics(
  containers: NonNullable<mesos.v1.agent.Response['get_containers']>,
  executors: readonly mesos.v1.ExecutorInfo[],
  statisticsJson: (s: mesos.v1.ResourceStatistics) => unknown,
): Json[] {
  const byKey = new Map(executors.map((e) => [executorKey(e.framework_id?.value ?? '', e.executor_id.value), e]));
  const out: Json[] = [];
  for (const c of containers.containers ?? []) {
    if (c.resource_statistics === undefined || c.executor_id === undefined) continue;
    const frameworkId = c.framework_id?.value ?? '';
    const executorId = c.executor_id.value;
    const info = byKey.get(executorKey(frameworkId, executorId));
    out.push({
      framework_id: frameworkId,
      executor_id: executorId,
      executor_name: c.executor_name ?? info?.name ?? '',
      source: info?.source ?? executorId,
      statistics: statisticsJson(c.resource_statistics),
    });
  }
  return out;
}
