/**
 * Pure converters from the v1 operator shapes (`mesos.v1.master.Response.*`, canonical
 * plain-object form) to the legacy JSON of Mesos' `/master/state`, `/master/slaves`,
 * `/master/frameworks`, `/master/roles` and `/master/flags` endpoints, field for field as Mesos
 * writes them (src/master/readonly_handler.cpp, src/common/http.cpp):
 *  - resources become `{cpus, gpus, mem, disk, ...}`: scalars summed (cpus/gpus/mem/disk always
 *    present), ranges as "[31000-32000, 33000-33010]", sets as "{a, b}", revocable ones with a
 *    `_revocable` suffix;
 *  - attributes become an object of name -> number | "[ranges]" | "{set}" | text;
 *  - agents are "slaves" with `slave_id`, capabilities and framework capabilities become names;
 *  - times are seconds (v1 TimeInfo nanoseconds / 1e9).
 * The input types below name only the fields read here, so any superset (the generated proto
 * types) fits.
 */
import { buildJson, type BuildInfo } from './version-info.ts';

export interface Scalar { value?: number }
export interface Range { begin?: number; end?: number }
export interface ResourceLike {
  name?: string;
  type?: string;
  scalar?: Scalar;
  ranges?: { range?: Range[] };
  set?: { item?: string[] };
  role?: string;
  reservations?: { role?: string }[];
  revocable?: object;
  allocation_info?: { role?: string };
}
export interface AttributeLike {
  name?: string;
  type?: string;
  scalar?: Scalar;
  ranges?: { range?: Range[] };
  set?: { item?: string[] };
  text?: { value?: string };
}
export interface IdLike { value?: string }
export interface TimeInfoLike { nanoseconds?: number }
export interface LabelsLike { labels?: { key?: string; value?: string }[] }

export interface TaskStatusLike {
  state?: string;
  timestamp?: number;
  labels?: LabelsLike;
  container_status?: unknown;
  healthy?: boolean;
}
export interface TaskLike {
  name?: string;
  task_id?: IdLike;
  framework_id?: IdLike;
  executor_id?: IdLike;
  agent_id?: IdLike;
  state?: string;
  resources?: ResourceLike[];
  statuses?: TaskStatusLike[];
  labels?: LabelsLike;
  discovery?: unknown;
  container?: unknown;
  health_check?: unknown;
  user?: string;
}
export interface OfferLike {
  id?: IdLike;
  framework_id?: IdLike;
  agent_id?: IdLike;
  allocation_info?: unknown;
  resources?: ResourceLike[];
}
export interface CommandLike {
  shell?: boolean;
  value?: string;
  arguments?: string[];
  environment?: unknown;
  uris?: { value?: string; executable?: boolean }[];
}
export interface ExecutorInfoLike {
  executor_id?: IdLike;
  name?: string;
  framework_id?: IdLike;
  command?: CommandLike;
  resources?: ResourceLike[];
  labels?: LabelsLike;
  type?: string;
}
export interface AgentInfoLike {
  id?: IdLike;
  hostname?: string;
  port?: number;
  attributes?: AttributeLike[];
  domain?: unknown;
}
export interface AgentLike {
  agent_info?: AgentInfoLike;
  active?: boolean;
  deactivated?: boolean;
  version?: string;
  pid?: string;
  registered_time?: TimeInfoLike;
  reregistered_time?: TimeInfoLike;
  total_resources?: ResourceLike[];
  allocated_resources?: ResourceLike[];
  offered_resources?: ResourceLike[];
  capabilities?: { type?: string }[];
}
export interface FrameworkInfoLike {
  id?: IdLike;
  name?: string;
  user?: string;
  hostname?: string;
  webui_url?: string;
  role?: string;
  roles?: string[];
  principal?: string;
  failover_timeout?: number;
  checkpoint?: boolean;
  capabilities?: { type?: string }[];
  labels?: LabelsLike;
}
export interface FrameworkLike {
  framework_info?: FrameworkInfoLike;
  active?: boolean;
  connected?: boolean;
  recovered?: boolean;
  registered_time?: TimeInfoLike;
  reregistered_time?: TimeInfoLike;
  unregistered_time?: TimeInfoLike;
  offers?: OfferLike[];
  allocated_resources?: ResourceLike[];
  offered_resources?: ResourceLike[];
  offer_constraints?: unknown;
}
export interface GetAgentsLike { agents?: AgentLike[]; recovered_agents?: AgentInfoLike[] }
export interface GetFrameworksLike { frameworks?: FrameworkLike[]; completed_frameworks?: FrameworkLike[] }
export interface GetTasksLike {
  pending_tasks?: TaskLike[];
  tasks?: TaskLike[];
  unreachable_tasks?: TaskLike[];
  completed_tasks?: TaskLike[];
  orphan_tasks?: TaskLike[];
}
export interface GetExecutorsLike { executors?: { agent_id?: IdLike; executor_info?: ExecutorInfoLike }[] }
export interface GetStateLike {
  get_tasks?: GetTasksLike;
  get_executors?: GetExecutorsLike;
  get_frameworks?: GetFrameworksLike;
  get_agents?: GetAgentsLike;
}
export interface RoleLike {
  name?: string;
  weight?: number;
  frameworks?: IdLike[];
  resources?: ResourceLike[];
  allocated?: ResourceLike[];
  offered?: ResourceLike[];
  reserved?: ResourceLike[];
  quota?: { guarantees?: Record<string, Scalar>; limits?: Record<string, Scalar>; consumed_quota?: Record<string, Scalar> };
}
export interface MasterInfoLike {
  id?: string;
  pid?: string;
  port?: number;
  hostname?: string;
  domain?: unknown;
  capabilities?: { type?: string }[];
}

type Json = Record<string, unknown>;

const seconds = (t: TimeInfoLike | undefined): number => (t?.nanoseconds ?? 0) / 1e9;

function mergeRanges(ranges: Range[]): Range[] {
  const sorted = ranges
    .map((r) => ({ begin: r.begin ?? 0, end: r.end ?? 0 }))
    .sort((a, b) => a.begin - b.begin);
  const merged: { begin: number; end: number }[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && r.begin <= last.end + 1) last.end = Math.max(last.end, r.end);
    else merged.push({ ...r });
  }
  return merged;
}

export function rangesText(ranges: Range[]): string {
  return `[${mergeRanges(ranges).map((r) => `${r.begin}-${r.end}`).join(', ')}]`;
}

export function setText(items: readonly string[]): string {
  return `{${items.join(', ')}}`;
}

/** Mesos' summary model of a resource list. */
export function legacyResources(resources: readonly ResourceLike[] | undefined): Json {
  const scalars = new Map<string, number>([['cpus', 0], ['gpus', 0], ['mem', 0], ['disk', 0]]);
  const ranges = new Map<string, Range[]>();
  const sets = new Map<string, string[]>();
  for (const r of resources ?? []) {
    const name = `${r.name ?? ''}${r.revocable !== undefined ? '_revocable' : ''}`;
    switch (r.type) {
      case 'SCALAR':
        scalars.set(name, (scalars.get(name) ?? 0) + (r.scalar?.value ?? 0));
        break;
      case 'RANGES':
        ranges.set(name, [...(ranges.get(name) ?? []), ...(r.ranges?.range ?? [])]);
        break;
      case 'SET': {
        const items = sets.get(name) ?? [];
        for (const item of r.set?.item ?? []) if (!items.includes(item)) items.push(item);
        sets.set(name, items);
        break;
      }
      default:
        break;
    }
  }
  const json: Json = {};
  for (const [name, value] of scalars) json[name] = value;
  for (const [name, value] of ranges) json[name] = rangesText(value);
  for (const [name, value] of sets) json[name] = setText(value);
  return json;
}

export function legacyAttributes(attributes: readonly AttributeLike[] | undefined): Json {
  const json: Json = {};
  for (const a of attributes ?? []) {
    const name = a.name ?? '';
    switch (a.type) {
      case 'SCALAR': json[name] = a.scalar?.value ?? 0; break;
      case 'RANGES': json[name] = rangesText(a.ranges?.range ?? []); break;
      case 'SET': json[name] = setText(a.set?.item ?? []); break;
      case 'TEXT': json[name] = a.text?.value ?? ''; break;
      default: break;
    }
  }
  return json;
}

function legacyLabels(labels: LabelsLike): Json[] {
  return (labels.labels ?? []).map((l) => (l.value === undefined ? { key: l.key } : { key: l.key, value: l.value }));
}

export function legacyTaskStatus(status: TaskStatusLike): Json {
  const json: Json = { state: status.state, timestamp: status.timestamp ?? 0 };
  if (status.labels !== undefined) json.labels = legacyLabels(status.labels);
  if (status.container_status !== undefined) json.container_status = status.container_status;
  if (status.healthy !== undefined) json.healthy = status.healthy;
  return json;
}

/** The role a task's resources are allocated to (Mesos forbids mixing roles within a task). */
function allocationRole(resources: readonly ResourceLike[] | undefined): string | undefined {
  return resources?.[0]?.allocation_info?.role;
}

export function legacyTask(task: TaskLike): Json {
  const json: Json = {
    id: task.task_id?.value ?? '',
    name: task.name ?? '',
    framework_id: task.framework_id?.value ?? '',
    executor_id: task.executor_id?.value ?? '',
    slave_id: task.agent_id?.value ?? '',
    state: task.state,
    resources: legacyResources(task.resources),
  };
  const role = allocationRole(task.resources);
  if (role !== undefined) json.role = role;
  json.statuses = (task.statuses ?? []).map(legacyTaskStatus);
  if (task.user !== undefined) json.user = task.user;
  if (task.labels !== undefined) json.labels = legacyLabels(task.labels);
  if (task.discovery !== undefined) json.discovery = task.discovery;
  if (task.container !== undefined) json.container = task.container;
  if (task.health_check !== undefined) json.health_check = task.health_check;
  return json;
}

export function legacyOffer(offer: OfferLike): Json {
  return {
    id: offer.id?.value ?? '',
    framework_id: offer.framework_id?.value ?? '',
    allocation_info: offer.allocation_info ?? {},
    slave_id: offer.agent_id?.value ?? '',
    resources: legacyResources(offer.resources),
  };
}

function legacyCommand(command: CommandLike | undefined): Json {
  const json: Json = {};
  if (command?.shell !== undefined) json.shell = command.shell;
  if (command?.value !== undefined) json.value = command.value;
  json.argv = command?.arguments ?? [];
  if (command?.environment !== undefined) json.environment = command.environment;
  json.uris = (command?.uris ?? []).map((u) => ({ value: u.value ?? '', executable: u.executable ?? false }));
  return json;
}

export function legacyExecutor(executor: ExecutorInfoLike, agentId: string): Json {
  const json: Json = {
    executor_id: executor.executor_id?.value ?? '',
    name: executor.name ?? '',
    framework_id: executor.framework_id?.value ?? '',
    command: legacyCommand(executor.command),
    resources: legacyResources(executor.resources),
  };
  const role = allocationRole(executor.resources);
  if (role !== undefined) json.role = role;
  if (executor.labels !== undefined) json.labels = legacyLabels(executor.labels);
  if (executor.type !== undefined) json.type = executor.type;
  json.slave_id = agentId;
  return json;
}

function reservationRole(r: ResourceLike): string | undefined {
  const refined = r.reservations;
  if (refined !== undefined && refined.length > 0) return refined[refined.length - 1].role;
  return r.role !== undefined && r.role !== '*' ? r.role : undefined;
}

function legacyAgentInfo(info: AgentInfoLike | undefined): Json {
  const json: Json = {
    id: info?.id?.value ?? '',
    hostname: info?.hostname ?? '',
    port: info?.port ?? 5051,
    attributes: legacyAttributes(info?.attributes),
  };
  if (info?.domain !== undefined) json.domain = info.domain;
  return json;
}

export function legacyAgent(agent: AgentLike): Json {
  const total = agent.total_resources ?? [];
  const byRole = new Map<string, ResourceLike[]>();
  for (const r of total) {
    const role = reservationRole(r);
    if (role !== undefined) byRole.set(role, [...(byRole.get(role) ?? []), r]);
  }
  const reserved: Json = {};
  for (const [role, resources] of byRole) reserved[role] = legacyResources(resources);

  const json: Json = {
    ...legacyAgentInfo(agent.agent_info),
    pid: agent.pid ?? '',
    registered_time: seconds(agent.registered_time),
  };
  if (agent.reregistered_time !== undefined) json.reregistered_time = seconds(agent.reregistered_time);
  Object.assign(json, {
    resources: legacyResources(total),
    used_resources: legacyResources(agent.allocated_resources),
    offered_resources: legacyResources(agent.offered_resources),
    reserved_resources: reserved,
    unreserved_resources: legacyResources(total.filter((r) => reservationRole(r) === undefined)),
    active: agent.active ?? false,
    deactivated: agent.deactivated ?? false,
    version: agent.version ?? '',
    capabilities: (agent.capabilities ?? []).map((c) => c.type),
  });
  return json;
}

/** `/master/slaves` */
export function legacySlaves(agents: GetAgentsLike): Json {
  return {
    slaves: (agents.agents ?? []).map(legacyAgent),
    recovered_slaves: (agents.recovered_agents ?? []).map(legacyAgentInfo),
  };
}

/** What a framework's legacy entry lists besides its own fields. */
export interface FrameworkBelongings {
  readonly tasks: readonly TaskLike[];
  readonly unreachableTasks: readonly TaskLike[];
  readonly completedTasks: readonly TaskLike[];
  readonly executors: readonly { agent_id?: IdLike; executor_info?: ExecutorInfoLike }[];
}

const isMultiRole = (info: FrameworkInfoLike | undefined): boolean =>
  (info?.capabilities ?? []).some((c) => c.type === 'MULTI_ROLE');

export function legacyFramework(framework: FrameworkLike, belongings: FrameworkBelongings): Json {
  const info = framework.framework_info;
  const registered = seconds(framework.registered_time);
  const json: Json = {
    id: info?.id?.value ?? '',
    name: info?.name ?? '',
    used_resources: legacyResources(framework.allocated_resources),
    offered_resources: legacyResources(framework.offered_resources),
    capabilities: (info?.capabilities ?? []).map((c) => c.type),
    hostname: info?.hostname ?? '',
    webui_url: info?.webui_url ?? '',
    active: framework.active ?? false,
    connected: framework.connected ?? false,
    recovered: framework.recovered ?? false,
    user: info?.user ?? '',
    failover_timeout: info?.failover_timeout ?? 0,
    checkpoint: info?.checkpoint ?? false,
    registered_time: registered,
    unregistered_time: seconds(framework.unregistered_time),
  };
  if (info?.principal !== undefined) json.principal = info.principal;
  json.resources = legacyResources([...(framework.allocated_resources ?? []), ...(framework.offered_resources ?? [])]);
  if (framework.reregistered_time !== undefined && seconds(framework.reregistered_time) !== registered) {
    json.reregistered_time = seconds(framework.reregistered_time);
  }
  if (isMultiRole(info)) json.roles = info?.roles ?? [];
  else json.role = info?.role ?? '*';
  json.tasks = belongings.tasks.map(legacyTask);
  json.unreachable_tasks = belongings.unreachableTasks.map(legacyTask);
  json.completed_tasks = belongings.completedTasks.map(legacyTask);
  json.offers = (framework.offers ?? []).map(legacyOffer);
  json.executors = belongings.executors.map((e) => legacyExecutor(e.executor_info ?? {}, e.agent_id?.value ?? ''));
  if (info?.labels !== undefined) json.labels = legacyLabels(info.labels);
  json.offer_constraints = framework.offer_constraints ?? {};
  return json;
}

function belongingsOf(frameworkId: string, tasks: GetTasksLike, executors: GetExecutorsLike): FrameworkBelongings {
  const mine = (t: TaskLike) => t.framework_id?.value === frameworkId;
  return {
    tasks: [...(tasks.pending_tasks ?? []), ...(tasks.tasks ?? [])].filter(mine),
    unreachableTasks: (tasks.unreachable_tasks ?? []).filter(mine),
    completedTasks: (tasks.completed_tasks ?? []).filter(mine),
    executors: (executors.executors ?? []).filter((e) => e.executor_info?.framework_id?.value === frameworkId),
  };
}

function frameworkList(list: readonly FrameworkLike[] | undefined, tasks: GetTasksLike, executors: GetExecutorsLike): Json[] {
  return (list ?? []).map((f) => legacyFramework(f, belongingsOf(f.framework_info?.id?.value ?? '', tasks, executors)));
}

/** `/master/frameworks` */
export function legacyFrameworks(state: GetStateLike): Json {
  const tasks = state.get_tasks ?? {};
  const executors = state.get_executors ?? {};
  return {
    frameworks: frameworkList(state.get_frameworks?.frameworks, tasks, executors),
    completed_frameworks: frameworkList(state.get_frameworks?.completed_frameworks, tasks, executors),
    unregistered_frameworks: [],
  };
}

function legacyMasterInfo(info: MasterInfoLike): Json {
  const json: Json = { id: info.id ?? '', pid: info.pid ?? '', port: info.port ?? 5050, hostname: info.hostname ?? '' };
  if (info.domain !== undefined) json.domain = info.domain;
  return json;
}

export interface LegacyStateInput {
  readonly version: string;
  readonly build: BuildInfo;
  readonly startTime: number;
  readonly electedTime: number | undefined;
  readonly masterInfo: MasterInfoLike;
  /** The leading master; this one while there is no HA. */
  readonly leaderInfo: MasterInfoLike | undefined;
  readonly flags: Readonly<Record<string, string>>;
  readonly unreachableAgents: number;
  readonly state: GetStateLike;
}

/** `/master/state` and `/state` */
export function legacyState(input: LegacyStateInput): Json {
  const { masterInfo, state } = input;
  const agents = state.get_agents?.agents ?? [];
  const json: Json = { version: input.version, ...buildJson(input.build), start_time: input.startTime };
  if (input.electedTime !== undefined) json.elected_time = input.electedTime;
  Object.assign(json, {
    id: masterInfo.id ?? '',
    pid: masterInfo.pid ?? '',
    hostname: masterInfo.hostname ?? '',
    capabilities: (masterInfo.capabilities ?? []).map((c) => c.type),
    activated_slaves: agents.filter((a) => a.active === true).length,
    deactivated_slaves: agents.filter((a) => a.active !== true).length,
    unreachable_slaves: input.unreachableAgents,
  });
  if (masterInfo.domain !== undefined) json.domain = masterInfo.domain;
  if (input.leaderInfo !== undefined) {
    json.leader = input.leaderInfo.pid ?? '';
    json.leader_info = legacyMasterInfo(input.leaderInfo);
  }
  if (input.flags.cluster !== undefined) json.cluster = input.flags.cluster;
  if (input.flags.log_dir !== undefined) json.log_dir = input.flags.log_dir;
  json.flags = { ...input.flags };
  json.slaves = agents.map(legacyAgent);
  json.recovered_slaves = (state.get_agents?.recovered_agents ?? []).map(legacyAgentInfo);
  const frameworks = legacyFrameworks(state);
  json.frameworks = frameworks.frameworks;
  json.completed_frameworks = frameworks.completed_frameworks;
  json.orphan_tasks = [];
  json.unregistered_frameworks = [];
  return json;
}

const scalarMap = (map: Record<string, Scalar> | undefined): Json =>
  Object.fromEntries(Object.entries(map ?? {}).map(([k, v]) => [k, v.value ?? 0]));

/** Quantities (scalars only) of a resource list, as `/master/roles` shows them. */
function quantities(resources: readonly ResourceLike[] | undefined): Json {
  const json: Record<string, number> = {};
  for (const r of resources ?? []) {
    if (r.type === 'SCALAR') json[r.name ?? ''] = (json[r.name ?? ''] ?? 0) + (r.scalar?.value ?? 0);
  }
  return json;
}

/** `/master/roles` */
export function legacyRoles(roles: { roles?: RoleLike[] }): Json {
  return {
    roles: (roles.roles ?? []).map((role) => {
      const allocated = quantities(role.allocated);
      const offered = quantities(role.offered);
      // `resources` (allocated + offered) is what older v1 Role messages carry instead of the split.
      let resources: Record<string, number> = quantities(role.resources) as Record<string, number>;
      if (role.resources === undefined) {
        resources = { ...(allocated as Record<string, number>) };
        for (const [k, v] of Object.entries(offered as Record<string, number>)) resources[k] = (resources[k] ?? 0) + v;
      }
      return {
        name: role.name ?? '',
        weight: role.weight ?? 1,
        quota: {
          role: role.name ?? '',
          guarantee: scalarMap(role.quota?.guarantees),
          limit: scalarMap(role.quota?.limits),
          consumed: scalarMap(role.quota?.consumed_quota),
        },
        resources,
        allocated,
        offered,
        reserved: quantities(role.reserved),
        frameworks: (role.frameworks ?? []).map((f) => f.value ?? ''),
      };
    }),
  };
}
