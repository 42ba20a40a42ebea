/**
 * The operator views of the master's state in `mesos.v1.master.Response` shapes (GET_STATE,
 * GET_AGENTS, GET_FRAMEWORKS, GET_TASKS, GET_EXECUTORS, GET_ROLES, GET_WEIGHTS, GET_QUOTA), plus
 * the per-role split (allocated, offered, reserved, quota) that Mesos' `/roles` shows. Pure:
 * reads the records, builds new plain objects, shares nothing mutable with the state.
 *
 * Vocabulary as in Mesos: "allocated" is what tasks and executors use; "offered" what outstanding
 * offers hold. Times are TimeInfo nanoseconds.
 */
import { Resources } from '../common/resources/resources.ts';
import { resourcesToWire } from './resource-wire.ts';
import type { mesos } from '../proto/types.generated.ts';
import type { AgentId, FrameworkId } from '../common/ids.ts';
import type { FrameworkRecord, MasterState } from './master-state.ts';
import type { RoleDetails } from './operator-endpoint.ts';
import { isTerminal } from './task-state-machine.ts';

type R = mesos.v1.master.Response;

export interface ViewInputs {
  readonly weights: ReadonlyMap<string, number>;
  readonly quotas: ReadonlyMap<string, { readonly guarantees: Readonly<Record<string, number>>; readonly limits: Readonly<Record<string, number>> }>;
  readonly now: number;
  /** Agents of the registry not re-registered yet after a failover (GET_AGENTS `recovered_agents`). */
  readonly recoveredAgents?: ReadonlyMap<string, mesos.v1.AgentInfo>;
}

export interface MasterViews {
  getState(): NonNullable<R['get_state']>;
  getAgents(): NonNullable<R['get_agents']>;
  getFrameworks(): NonNullable<R['get_frameworks']>;
  getTasks(): NonNullable<R['get_tasks']>;
  getExecutors(): NonNullable<R['get_executors']>;
  getRoles(): NonNullable<R['get_roles']>;
  getRoleDetails(): RoleDetails[];
  getWeights(): NonNullable<R['get_weights']>;
  getQuota(): NonNullable<R['get_quota']>;
}

const time = (ms: number | undefined): mesos.v1.TimeInfo | undefined => (ms === undefined ? undefined : { nanoseconds: Math.round(ms * 1e6) });

function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * The agent's pid as Mesos writes it, `slave(1)@<ip>:<port>`: the IP of its reported endpoint when
 * that is an address, else the IP its connection came from; the endpoint's port, else
 * `agent_info.port`, else 5051. Undefined when no IP is known.
 */
export function agentPid(info: mesos.v1.AgentInfo, endpoint: string | undefined, remoteAddress: string | undefined): string | undefined {
  const m = endpoint === undefined ? null : /^(.*):(\d+)$/.exec(endpoint);
  const host = m?.[1];
  const ip = host !== undefined && IPV4.test(host) ? host : remoteAddress;
  if (ip === undefined || ip === '') return undefined;
  const port = m ? Number(m[2]) : info.port ?? 5051;
  return `slave(1)@${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
}

/** What a framework's tasks and executors use, per agent. */
export function usedByFramework(f: FrameworkRecord): Map<AgentId, Resources> {
  const out = new Map<AgentId, Resources>();
  const add = (a: AgentId, r: Resources) => out.set(a, (out.get(a) ?? Resources.empty).plus(r));
  for (const t of f.tasks.values()) if (!isTerminal(t.task.state)) add(t.agentId, t.resources);
  for (const [agentId, m] of f.executors) for (const e of m.values()) add(agentId, e.resources);
  return out;
}

export function buildViews(state: MasterState, inputs: ViewInputs): MasterViews {
  const used = new Map<FrameworkId, Map<AgentId, Resources>>();
  const usedOf = (f: FrameworkRecord) => {
    let u = used.get(f.id);
    if (u === undefined) used.set(f.id, (u = usedByFramework(f)));
    return u;
  };
  const sum = (list: Iterable<Resources>) => [...list].reduce((a, b) => a.plus(b), Resources.empty);
  const offeredBy = (ids: Iterable<string>) => sum([...ids].map((id) => state.offers.get(id as never)?.resources ?? Resources.empty));

  const framework = (f: FrameworkRecord): R['get_frameworks'] extends infer G ? NonNullable<G> extends { frameworks?: (infer F)[] } ? F : never : never =>
    clean({
      framework_info: f.info,
      active: f.active,
      connected: f.connected,
      recovered: f.recovered,
      registered_time: time(f.registeredTime),
      reregistered_time: time(f.reregisteredTime),
      unregistered_time: time(f.unregisteredTime),
      offers: [...f.offers].map((id) => state.offers.get(id)?.offer).filter((o): o is mesos.v1.Offer => o !== undefined),
      allocated_resources: resourcesToWire(sum(usedOf(f).values())),
      offered_resources: resourcesToWire(offeredBy(f.offers)),
    });

  const getAgents = (): NonNullable<R['get_agents']> => ({
    agents: [...state.agents.values()].map((a) => {
      let allocated = Resources.empty;
      for (const f of state.frameworks.values()) allocated = allocated.plus(usedOf(f).get(a.id) ?? Resources.empty);
      return clean({
        agent_info: { ...a.info, resources: resourcesToWire(a.total) },
        active: a.active,
        deactivated: !a.active,
        version: a.version,
        pid: agentPid(a.info, a.endpoint, a.remoteAddress),
        registered_time: time(a.registeredTime),
        reregistered_time: time(a.reregisteredTime),
        total_resources: resourcesToWire(a.total),
        allocated_resources: resourcesToWire(allocated),
        offered_resources: resourcesToWire(offeredBy(a.offers)),
        capabilities: a.capabilities,
      });
    }),
    recovered_agents: [...(inputs.recoveredAgents?.values() ?? [])],
  });

  const getFrameworks = (): NonNullable<R['get_frameworks']> => ({
    frameworks: [...state.frameworks.values()].filter((f) => !f.recovered).map(framework),
    completed_frameworks: [...state.completedFrameworks.values()].map(framework),
    recovered_frameworks: [...state.frameworks.values()].filter((f) => f.recovered).map((f) => f.info),
  });

  const getTasks = (): NonNullable<R['get_tasks']> => {
    const tasks: mesos.v1.Task[] = [];
    const unreachable: mesos.v1.Task[] = [];
    for (const f of state.frameworks.values()) {
      for (const t of f.tasks.values()) tasks.push(t.task);
      for (const t of f.unreachableTasks.values()) unreachable.push(t.task);
    }
    return { pending_tasks: [], tasks, unreachable_tasks: unreachable, completed_tasks: [...state.completedTasks.values()].flatMap((list) => list.map((t) => t.task)), orphan_tasks: [] };
  };

  const getExecutors = (): NonNullable<R['get_executors']> => {
    const executors: { executor_info: mesos.v1.ExecutorInfo; agent_id: mesos.v1.AgentID }[] = [];
    for (const f of state.frameworks.values()) {
      for (const [agentId, m] of f.executors) for (const e of m.values()) executors.push({ executor_info: e.info, agent_id: { value: agentId } });
    }
    return { executors, orphan_executors: [] };
  };

  /**
   * Every role with a framework, an allocation, a reservation, a weight or a quota. Mesos counts
   * offered resources as allocated to the role: `resources` is allocated + offered. Quota
   * consumption is what is reserved to the role plus its unreserved allocation (offers included).
   */
  const getRoleDetails = (): RoleDetails[] => {
    const names = new Set<string>([...inputs.weights.keys(), ...inputs.quotas.keys()]);
    const members = new Map<string, FrameworkId[]>();
    let used = Resources.empty;
    for (const f of state.frameworks.values()) {
      for (const r of f.roles) {
        names.add(r);
        members.set(r, [...(members.get(r) ?? []), f.id]);
      }
      used = used.plus(sum(usedOf(f).values()));
    }
    const offered = sum([...state.offers.values()].map((o) => o.resources));
    const total = sum([...state.agents.values()].map((a) => a.total));
    const allocationRoles = (r: Resources) => r.toProto().map((x) => x.allocation_info?.role).filter((x): x is string => x !== undefined);
    for (const role of [...allocationRoles(used), ...allocationRoles(offered)]) names.add(role);
    for (const r of total.reserved().toProto()) {
      const reservations = r.reservations ?? [];
      const role = reservations.length > 0 ? reservations[reservations.length - 1].role : r.role;
      if (role !== undefined) names.add(role);
    }
    const scalars = (r: Resources) => Object.fromEntries([...r.nonRevocable().unallocate().scalars()].map(([k, value]) => [k, { value }]));
    const scalarConfig = (m: Readonly<Record<string, number>> | undefined) => Object.fromEntries(Object.entries(m ?? {}).map(([k, value]) => [k, { value }]));
    return [...names].sort().map((name) => {
      const allocated = used.allocatedTo(name);
      const offeredToRole = offered.allocatedTo(name);
      const reserved = total.reserved(name);
      const quota = inputs.quotas.get(name);
      return {
        name,
        weight: inputs.weights.get(name) ?? 1,
        frameworks: (members.get(name) ?? []).map((value) => ({ value })),
        resources: resourcesToWire(allocated.plus(offeredToRole)),
        allocated: resourcesToWire(allocated),
        offered: resourcesToWire(offeredToRole),
        reserved: resourcesToWire(reserved),
        quota: {
          guarantees: scalarConfig(quota?.guarantees),
          limits: scalarConfig(quota?.limits),
          consumed_quota: scalars(reserved.plus(allocated.plus(offeredToRole).unreserved())),
        },
      };
    });
  };

  const getRoles = (): NonNullable<R['get_roles']> => ({
    roles: getRoleDetails().map(({ name, weight, frameworks, resources }) => clean({
      name, weight, frameworks: frameworks.length > 0 ? frameworks : undefined, resources: resources.length > 0 ? resources : undefined,
    })),
  });

  const getWeights = (): NonNullable<R['get_weights']> => ({
    weight_infos: [...inputs.weights].sort(([a], [b]) => a.localeCompare(b)).map(([role, weight]) => ({ role, weight })),
  });

  const getQuota = (): NonNullable<R['get_quota']> => {
    const scalars = (m: Readonly<Record<string, number>>) => Object.fromEntries(Object.entries(m).map(([k, value]) => [k, { value }]));
    const configs = [...inputs.quotas].sort(([a], [b]) => a.localeCompare(b)).map(([role, q]) => ({ role, guarantees: scalars(q.guarantees), limits: scalars(q.limits) }));
    const infos = configs.map((c) => ({
      role: c.role,
      guarantee: Object.entries(c.guarantees).map(([name, v]) => ({ name, type: 'SCALAR' as const, scalar: v })),
    }));
    return { status: { infos, configs } };
  };

  return {
    getState: () => ({ get_tasks: getTasks(), get_executors: getExecutors(), get_frameworks: getFrameworks(), get_agents: getAgents() }),
    getAgents, getFrameworks, getTasks, getExecutors, getRoles, getRoleDetails, getWeights, getQuota,
  };
}
