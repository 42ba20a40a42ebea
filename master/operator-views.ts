/**
 * The operator views of the master's state in `mesos.v1.master.Response` shapes (GET_STATE,
 * GET_AGENTS, GET_FRAMEWORKS, GET_TASKS, GET_EXECUTORS, GET_ROLES, GET_WEIGHTS, GET_QUOTA). Pure:
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
import { isTerminal } from './task-state-machine.ts';

type R = mesos.v1.master.Response;

export interface ViewInputs {
  readonly weights: ReadonlyMap<string, number>;
  readonly quotas: ReadonlyMap<string, { readonly guarantees: Readonly<Record<string, number>>; readonly limits: Readonly<Record<string, number>> }>;
  readonly now: number;
}

export interface MasterViews {
  getState(): NonNullable<R['get_state']>;
  getAgents(): NonNullable<R['get_agents']>;
  getFrameworks(): NonNullable<R['get_frameworks']>;
  getTasks(): NonNullable<R['get_tasks']>;
  getExecutors(): NonNullable<R['get_executors']>;
  getRoles(): NonNullable<R['get_roles']>;
  getWeights(): NonNullable<R['get_weights']>;
  getQuota(): NonNullable<R['get_quota']>;
}

const time = (ms: number | undefined): mesos.v1.TimeInfo | undefined => (ms === undefined ? undefined : { nanoseconds: Math.round(ms * 1e6) });

function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
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
        pid: a.endpoint === undefined ? undefined : `slave(1)@${a.endpoint}`,
        registered_time: time(a.registeredTime),
        reregistered_time: time(a.reregisteredTime),
        total_resources: resourcesToWire(a.total),
        allocated_resources: resourcesToWire(allocated),
        offered_resources: resourcesToWire(offeredBy(a.offers)),
        capabilities: a.capabilities,
      });
    }),
    recovered_agents: [],
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
    return { pending_tasks: [], tasks, unreachable_tasks: unreachable, completed_tasks: state.completedTasks.map((t) => t.task), orphan_tasks: [] };
  };

  const getExecutors = (): NonNullable<R['get_executors']> => {
    const executors: { executor_info: mesos.v1.ExecutorInfo; agent_id: mesos.v1.AgentID }[] = [];
    for (const f of state.frameworks.values()) {
      for (const [agentId, m] of f.executors) for (const e of m.values()) executors.push({ executor_info: e.info, agent_id: { value: agentId } });
    }
    return { executors, orphan_executors: [] };
  };

  const getRoles = (): NonNullable<R['get_roles']> => {
    const names = new Set<string>([...inputs.weights.keys(), ...inputs.quotas.keys()]);
    const members = new Map<string, FrameworkId[]>();
    const allocated = new Map<string, Resources>();
    const addAlloc = (role: string, r: Resources) => allocated.set(role, (allocated.get(role) ?? Resources.empty).plus(r));
    for (const f of state.frameworks.values()) {
      for (const r of f.roles) {
        names.add(r);
        members.set(r, [...(members.get(r) ?? []), f.id]);
      }
      for (const t of f.tasks.values()) if (!isTerminal(t.task.state)) addAlloc(t.role, t.resources);
      for (const id of f.offers) {
        const o = state.offers.get(id);
        if (o !== undefined) addAlloc(o.role, o.resources);
      }
    }
    return {
      roles: [...names].sort().map((name) => ({
        name,
        weight: inputs.weights.get(name) ?? 1,
        frameworks: (members.get(name) ?? []).map((value) => ({ value })),
        resources: resourcesToWire(allocated.get(name) ?? Resources.empty),
      })),
    };
  };

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
    getAgents, getFrameworks, getTasks, getExecutors, getRoles, getWeights, getQuota,
  };
}
