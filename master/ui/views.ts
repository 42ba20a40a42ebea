/**
 * The master UI's views: each live topic's data computed from the master's books (master-state.ts)
 * and a few read-only sources (allocator shares, role details, offer first-seen times, the
 * allocation history). Pure: no sockets, timers or clock (`now` comes in).
 *
 * Cost at scale (10,000 agents, 100,000 tasks; bench/ui-feed.bench.ts): one pass over the tasks
 * builds an index (per agent, per role, per task state) that every view of one generation shares (`UiViews` is made once per
 * state generation by master-ui.ts); pages are cut with `takePage` (no full sort for early pages);
 * only the rows of a page are turned into row objects; resource amounts are cached per
 * `Resources` object (they are immutable).
 */
import type { AgentId, FrameworkId, OfferId, TaskId } from '../../common/ids.ts';
import type { Resources } from '../../common/resources/resources.ts';
import type { mesos } from '../../proto/types.generated.ts';
import type { Page, PageParams } from '../../common/ui/web/live-protocol.ts';
import { matchesFilter, takePage } from '../../common/ui/paging.ts';
import type { AgentRecord, FrameworkRecord, MasterState, TaskRecord } from '../master-state.ts';
import type { RoleDetails } from '../operator-endpoint.ts';
import { isTerminal } from '../task-state-machine.ts';
import type { MaintenanceBook } from '../maintenance/maintenance-book.ts';
import { agentMachineId } from '../maintenance/maintenance-book.ts';
import { machineKey } from '../maintenance/maintenance.ts';
import type {
  AgentRow, AgentStatus, Amounts, FrameworkRow, HistorySample, MachineMode, MachineRow, Maintenance, OfferRow, Overview, RoleRow, TaskRow, Totals,
} from './web/master-protocol.ts';

export interface UiSources {
  readonly state: MasterState;
  readonly master: Overview['master'];
  readonly roleDetails: () => readonly RoleDetails[];
  readonly roleShares: () => ReadonlyArray<{ readonly role: string; readonly share: number }>;
  readonly frameworkShare: (id: FrameworkId) => number;
  /** When the feed first saw each outstanding offer (ms). */
  readonly offerSeen: ReadonlyMap<OfferId, number>;
  readonly history: () => readonly HistorySample[];
  readonly now: number;
  /** The maintenance schedule, machine modes and inverse offer answers (master/maintenance); absent: every machine UP. */
  readonly maintenance?: MaintenanceBook;
  /** Agents of the registry that have not re-registered with this leader yet (after a failover). */
  readonly recoveredAgents?: ReadonlyMap<AgentId, mesos.v1.AgentInfo>;
}

export const ZERO: Amounts = Object.freeze({ cpus: 0, mem: 0, disk: 0, gpus: 0 });

const amountCache = new WeakMap<Resources, Amounts>();

/** cpus, mem, disk, gpus of resources (cached: Resources are immutable). */
export function amountsOf(r: Resources): Amounts {
  let a = amountCache.get(r);
  if (a === undefined) {
    a = { cpus: r.scalar('cpus'), mem: r.scalar('mem'), disk: r.scalar('disk'), gpus: r.scalar('gpus') };
    amountCache.set(r, a);
  }
  return a;
}

class Acc {
  cpus = 0;
  mem = 0;
  disk = 0;
  gpus = 0;
  add(a: Amounts): void {
    this.cpus += a.cpus;
    this.mem += a.mem;
    this.disk += a.disk;
    this.gpus += a.gpus;
  }
  get(): Amounts {
    const r = (v: number) => Math.round(v * 1000) / 1000;
    return { cpus: r(this.cpus), mem: r(this.mem), disk: r(this.disk), gpus: r(this.gpus) };
  }
}

/** a − b − c, never below zero (rounding). */
function idle(total: Amounts, allocated: Amounts, offered: Amounts): Amounts {
  const d = (k: keyof Amounts) => Math.max(0, Math.round((total[k] - allocated[k] - offered[k]) * 1000) / 1000);
  return { cpus: d('cpus'), mem: d('mem'), disk: d('disk'), gpus: d('gpus') };
}

/**
 * The totals without the pass over the tasks, for the allocation history (sampled every 5 s, also
 * while no page is open; at 10,000 agents and 100,000 tasks ~8 ms and no per-task garbage, against
 * 12 to 21 ms plus the index's garbage for `totals()` in a fresh generation). Total from
 * the agents, offered from the outstanding offers, allocated from the allocator's allocation per
 * role (which counts offered resources as allocated, as Mesos' allocator does) less what is
 * offered. Equal to `totals()` (views.test.ts checks both through launches, declines, finished
 * tasks and executors).
 */
export function totalsFromAllocator(state: MasterState, roleAllocations: Iterable<Resources>): Totals {
  const total = new Acc();
  for (const a of state.agents.values()) total.add(amountsOf(a.total));
  const offered = new Acc();
  for (const o of state.offers.values()) offered.add(amountsOf(o.resources));
  const held = new Acc();
  for (const r of roleAllocations) held.add(amountsOf(r));
  const t = total.get();
  const of = offered.get();
  const h = held.get();
  const al = idle(h, of, ZERO);
  return { total: t, allocated: al, offered: of, idle: idle(t, al, of) };
}

/** The role resources are allocated to (an executor of a multi-role framework runs in one of its roles). */
function allocationRoleOf(r: Resources): string | undefined {
  let role: string | undefined;
  r.filter((e) => { role ??= e.allocationRole; return false; });
  return role;
}

export function attributesText(attrs: readonly mesos.v1.Attribute[] | undefined): string {
  if (attrs === undefined) return '';
  return attrs.map((a) => {
    let v = '';
    if (a.text) v = a.text.value;
    else if (a.scalar) v = String(a.scalar.value);
    else if (a.ranges) v = `[${(a.ranges.range ?? []).map((r) => `${r.begin}-${r.end}`).join(',')}]`;
    else if (a.set) v = `{${(a.set.item ?? []).join(',')}}`;
    return `${a.name}:${v}`;
  }).join(';');
}

export function sandboxPath(t: TaskRecord): string {
  const executor = t.task.executor_id?.value ?? t.task.task_id.value;
  return `/frameworks/${t.frameworkId}/executors/${executor}/runs/latest`;
}

interface AgentUsage {
  tasks: number;
  readonly allocated: Acc;
  readonly offered: Acc;
}

interface Index {
  readonly agents: Map<AgentId, AgentUsage>;
  readonly roles: Map<string, { readonly allocated: Acc; readonly offered: Acc }>;
  readonly states: Record<string, number>;
}

export interface UiViews {
  totals(): Totals;
  overview(): Overview;
  agents(p: PageParams): Page<AgentRow>;
  frameworks(p: PageParams & { readonly completed: boolean }): Page<FrameworkRow>;
  offers(p: PageParams): Page<OfferRow>;
  tasks(p: PageParams & { readonly scope: 'active' | 'unreachable' | 'completed' | 'all'; readonly framework?: string; readonly agent?: string }): Page<TaskRow>;
  roles(): RoleRow[];
  maintenance(p: PageParams): Maintenance;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function createUiViews(src: UiSources): UiViews {
  const { state } = src;
  let index: Index | undefined;

  /**
   * One pass over tasks, executors and offers: per-agent usage, per-role allocation and offers,
   * task counts by state. Shared by every view of this generation.
   */
  const indexOf = (): Index => {
    if (index) return index;
    const agents = new Map<AgentId, AgentUsage>();
    const roles = new Map<string, { readonly allocated: Acc; readonly offered: Acc }>();
    const states: Record<string, number> = {};
    const agent = (id: AgentId): AgentUsage => {
      let u = agents.get(id);
      if (u === undefined) agents.set(id, (u = { tasks: 0, allocated: new Acc(), offered: new Acc() }));
      return u;
    };
    const role = (name: string) => {
      let r = roles.get(name);
      if (r === undefined) roles.set(name, (r = { allocated: new Acc(), offered: new Acc() }));
      return r;
    };
    for (const f of state.frameworks.values()) {
      let lastRole = '';
      let roleAcc: Acc | undefined;
      for (const t of f.tasks.values()) {
        const u = agent(t.agentId);
        u.tasks++;
        const st = t.task.state;
        states[st] = (states[st] ?? 0) + 1;
        if (isTerminal(st)) continue;
        const a = amountsOf(t.resources);
        u.allocated.add(a);
        // Tasks of one framework mostly share a role: skip the map lookup then.
        if (roleAcc === undefined || t.role !== lastRole) {
          lastRole = t.role;
          roleAcc = role(t.role).allocated;
        }
        roleAcc.add(a);
      }
      if (f.unreachableTasks.size > 0) states.TASK_UNREACHABLE = (states.TASK_UNREACHABLE ?? 0) + f.unreachableTasks.size;
      for (const [agentId, m] of f.executors) {
        for (const e of m.values()) {
          const a = amountsOf(e.resources);
          agent(agentId).allocated.add(a);
          role(allocationRoleOf(e.resources) ?? f.roles[0] ?? '*').allocated.add(a);
        }
      }
    }
    for (const o of state.offers.values()) {
      const a = amountsOf(o.resources);
      agent(o.agentId).offered.add(a);
      role(o.role).offered.add(a);
    }
    index = { agents, roles, states };
    return index;
  };
  const agentUsage = () => indexOf().agents;

  const agentStatus = (a: AgentRecord): AgentStatus => (a.active ? 'active' : a.connected ? 'deactivated' : 'disconnected');
  const book = src.maintenance;
  const modeOfAgent = (a: AgentRecord): MachineMode =>
    (book === undefined || !book.active ? 'UP' : book.modeOf(agentMachineId(a.info, a.endpoint, a.remoteAddress)));
  const hostnameOf = (id: AgentId): string => state.agents.get(id)?.info.hostname ?? state.unreachableAgents.get(id)?.info.hostname ?? '';
  const frameworkName = (id: FrameworkId): string => (state.frameworks.get(id) ?? state.completedFrameworks.get(id))?.info.name ?? '';

  const totals = (): Totals => {
    const total = new Acc();
    for (const a of state.agents.values()) total.add(amountsOf(a.total));
    const allocated = new Acc();
    const offered = new Acc();
    for (const u of agentUsage().values()) {
      allocated.add(u.allocated.get());
      offered.add(u.offered.get());
    }
    const t = total.get();
    const al = allocated.get();
    const of = offered.get();
    return { total: t, allocated: al, offered: of, idle: idle(t, al, of) };
  };

  const overview = (): Overview => {
    const agents = { active: 0, deactivated: 0, disconnected: 0, unreachable: state.unreachableAgents.size, recovered: src.recoveredAgents?.size ?? 0 };
    for (const a of state.agents.values()) agents[agentStatus(a)]++;
    const frameworks = { active: 0, inactive: 0, completed: state.completedFrameworks.size };
    for (const f of state.frameworks.values()) {
      if (f.active) frameworks.active++;
      else frameworks.inactive++;
    }
    const { roles, states } = indexOf();
    return {
      master: src.master,
      totals: totals(),
      agents,
      frameworks,
      tasks: { ...states },
      offers: state.offers.size,
      roles: [...roles].sort(([a], [b]) => byText(a, b)).map(([name, r]) => ({ role: name, allocated: r.allocated.get(), offered: r.offered.get() })),
      history: src.history(),
    };
  };

  const agents = (p: PageParams): Page<AgentRow> => {
    const u = agentUsage();
    type Item = { readonly a: AgentRecord | undefined; readonly id: AgentId; readonly info: mesos.v1.AgentInfo; readonly status: AgentStatus };
    const items: Item[] = [];
    for (const a of state.agents.values()) items.push({ a, id: a.id, info: a.info, status: agentStatus(a) });
    for (const [id, x] of state.unreachableAgents) items.push({ a: undefined, id, info: x.info, status: 'unreachable' });
    for (const [id, info] of src.recoveredAgents ?? []) items.push({ a: undefined, id, info, status: 'recovered' });
    const key = (i: Item): string | number => {
      switch (p.sort) {
        case 'id': return i.id;
        case 'status': return i.status;
        case 'tasks': return u.get(i.id)?.tasks ?? 0;
        case 'cpus': return i.a ? amountsOf(i.a.total).cpus : 0;
        case 'mem': return i.a ? amountsOf(i.a.total).mem : 0;
        default: return i.info.hostname;
      }
    };
    const page = takePage(items, p,
      (i) => p.filter === '' || matchesFilter(p.filter, [i.id, i.info.hostname, i.status, attributesText(i.info.attributes)]),
      (a, b) => { const x = key(a); const y = key(b); return x < y ? -1 : x > y ? 1 : byText(a.id, b.id); });
    return {
      ...page,
      rows: page.rows.map((i): AgentRow => {
        const use = u.get(i.id);
        return {
          id: i.id, hostname: i.info.hostname, endpoint: i.a?.endpoint, attributes: attributesText(i.info.attributes), status: i.status,
          total: i.a ? amountsOf(i.a.total) : ZERO, allocated: use?.allocated.get() ?? ZERO, offered: use?.offered.get() ?? ZERO,
          tasks: use?.tasks ?? 0, registeredAt: i.a?.registeredTime, missedPings: i.a?.missedPings ?? 0,
          mode: i.a === undefined ? 'UNREACHABLE' : modeOfAgent(i.a),
        };
      }),
    };
  };

  const frameworkRow = (f: FrameworkRecord, completed: boolean): FrameworkRow => {
    const allocated = new Acc();
    let tasks = 0;
    for (const t of f.tasks.values()) {
      tasks++;
      if (!isTerminal(t.task.state)) allocated.add(amountsOf(t.resources));
    }
    for (const m of f.executors.values()) for (const e of m.values()) allocated.add(amountsOf(e.resources));
    const offered = new Acc();
    for (const id of f.offers) { const o = state.offers.get(id); if (o) offered.add(amountsOf(o.resources)); }
    // Disconnected: waiting out its failover timeout (its tasks keep running).
    const status: FrameworkRow['status'] = completed ? 'completed' : f.recovered ? 'recovered' : f.connected ? 'connected' : f.failoverTimer !== undefined ? 'disconnected' : 'inactive';
    return {
      id: f.id, name: f.info.name, roles: f.roles, principal: f.info.principal, user: f.info.user, hostname: f.info.hostname,
      webuiUrl: f.info.webui_url, status, failoverTimeoutSecs: f.info.failover_timeout,
      registeredAt: f.registeredTime, disconnectedAt: f.connected ? undefined : f.unregisteredTime,
      allocated: allocated.get(), offered: offered.get(), tasks, offers: f.offers.size, share: completed ? 0 : src.frameworkShare(f.id),
    };
  };

  const frameworks = (p: PageParams & { readonly completed: boolean }): Page<FrameworkRow> => {
    const list = p.completed ? state.completedFrameworks : state.frameworks;
    const key = (f: FrameworkRecord): string | number => (p.sort === 'id' ? f.id : p.sort === 'tasks' ? f.tasks.size : p.sort === 'registered' ? f.registeredTime ?? 0 : f.info.name);
    const page = takePage(list.values(), p,
      (f) => matchesFilter(p.filter, [f.id, f.info.name, f.roles.join(' '), f.info.principal, f.info.user]),
      (a, b) => { const x = key(a); const y = key(b); return x < y ? -1 : x > y ? 1 : byText(a.id, b.id); });
    return { ...page, rows: page.rows.map((f) => frameworkRow(f, p.completed)) };
  };

  const offers = (p: PageParams): Page<OfferRow> => {
    const row = (id: OfferId): OfferRow => {
      const o = state.offers.get(id)!;
      return {
        id, frameworkId: o.frameworkId, frameworkName: frameworkName(o.frameworkId), agentId: o.agentId, hostname: hostnameOf(o.agentId),
        role: o.role, resources: amountsOf(o.resources), createdAt: src.offerSeen.get(id) ?? src.now,
      };
    };
    const key = (id: OfferId): string | number => {
      const o = state.offers.get(id)!;
      switch (p.sort) {
        case 'framework': return frameworkName(o.frameworkId);
        case 'agent': return hostnameOf(o.agentId);
        case 'cpus': return amountsOf(o.resources).cpus;
        case 'age': return -(src.offerSeen.get(id) ?? src.now);
        default: return id;
      }
    };
    const page = takePage(state.offers.keys(), p,
      (id) => { if (p.filter === '') return true; const o = state.offers.get(id)!; return matchesFilter(p.filter, [id, o.frameworkId, frameworkName(o.frameworkId), o.agentId, hostnameOf(o.agentId), o.role]); },
      (a, b) => { const x = key(a); const y = key(b); return x < y ? -1 : x > y ? 1 : byText(a, b); });
    return { ...page, rows: page.rows.map(row) };
  };

  const tasks = (p: PageParams & { readonly scope: 'active' | 'unreachable' | 'completed' | 'all'; readonly framework?: string; readonly agent?: string }): Page<TaskRow> => {
    // References only (no object per task): the scope of the few rows of the page is looked up after.
    const all: TaskRecord[] = [];
    const fs = p.framework !== undefined ? [state.frameworks.get(p.framework as FrameworkId)].filter((f): f is FrameworkRecord => f !== undefined) : state.frameworks.values();
    for (const f of fs) {
      if (p.scope === 'active' || p.scope === 'all') for (const t of f.tasks.values()) all.push(t);
      if (p.scope === 'unreachable' || p.scope === 'all') for (const t of f.unreachableTasks.values()) all.push(t);
    }
    if (p.scope === 'completed' || p.scope === 'all') {
      for (const [fid, list] of state.completedTasks) {
        if (p.framework !== undefined && fid !== p.framework) continue;
        for (const t of list) all.push(t);
      }
    }
    const scopeOf = (t: TaskRecord): TaskRow['scope'] => {
      const f = state.frameworks.get(t.frameworkId);
      const id = t.task.task_id.value as TaskId;
      return f?.tasks.get(id) === t ? 'active' : f?.unreachableTasks.get(id) === t ? 'unreachable' : 'completed';
    };
    const updated = (t: TaskRecord) => {
      const s = t.task.statuses;
      return s && s.length > 0 ? Math.round((s[s.length - 1].timestamp ?? 0) * 1000) : 0;
    };
    const key = (t: TaskRecord): string | number => {
      switch (p.sort) {
        case 'name': return t.task.name;
        case 'state': return t.task.state;
        case 'framework': return frameworkName(t.frameworkId);
        case 'agent': return hostnameOf(t.agentId);
        case 'updated': return updated(t);
        default: return t.task.task_id.value;
      }
    };
    // Without a filter no texts are gathered (100,000 tasks: the common case stays cheap).
    const keep = (t: TaskRecord) => (p.agent === undefined || t.agentId === p.agent)
      && (p.filter === '' || matchesFilter(p.filter, [t.task.task_id.value, t.task.name, t.task.state, frameworkName(t.frameworkId), hostnameOf(t.agentId), t.frameworkId]));
    const page = takePage(all, p, keep, (a, b) => {
      const x = key(a);
      const y = key(b);
      return x < y ? -1 : x > y ? 1 : byText(a.task.task_id.value, b.task.task_id.value);
    });
    return {
      ...page,
      rows: page.rows.map((t): TaskRow => {
        const scope = scopeOf(t);
        const latest = t.task.statuses?.[t.task.statuses.length - 1];
        return {
          id: t.task.task_id.value, name: t.task.name, frameworkId: t.frameworkId, frameworkName: frameworkName(t.frameworkId),
          agentId: t.agentId, hostname: hostnameOf(t.agentId), state: t.task.state, healthy: latest?.healthy ?? undefined,
          role: t.role, resources: amountsOf(t.resources), updatedAt: updated(t) || undefined, sandbox: sandboxPath(t), scope,
        };
      }),
    };
  };

  const scalarsOf = (list: readonly mesos.v1.Resource[]): Amounts => {
    const a = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
    for (const r of list) if (r.name in a && r.scalar) a[r.name as keyof typeof a] += r.scalar.value;
    return a;
  };
  const valuesOf = (m: Readonly<Record<string, mesos.v1.Value.Scalar>>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.value]));

  const roles = (): RoleRow[] => {
    const shares = new Map(src.roleShares().map((s) => [s.role, s.share]));
    return src.roleDetails().map((r) => ({
      name: r.name, weight: r.weight, frameworks: r.frameworks.length,
      allocated: scalarsOf(r.allocated), offered: scalarsOf(r.offered), reserved: scalarsOf(r.reserved),
      quotaGuarantees: valuesOf(r.quota.guarantees), quotaLimits: valuesOf(r.quota.limits), consumedQuota: valuesOf(r.quota.consumed_quota),
      share: shares.get(r.name) ?? 0,
    }));
  };

  const maintenance = (p: PageParams): Maintenance => {
    const scheduled = book?.state.machines ?? new Map();
    const windowOf = (key: string): MachineRow['window'] => {
      const u = scheduled.get(key)?.unavailability;
      return u === undefined ? undefined : { start: u.start.nanoseconds / 1e6, durationMs: u.duration === undefined ? undefined : u.duration.nanoseconds / 1e6 };
    };
    const counts = { up: 0, draining: 0, down: 0, unreachable: state.unreachableAgents.size };
    const rows: MachineRow[] = [];
    const withAgent = new Set<string>();
    for (const a of state.agents.values()) {
      const id = agentMachineId(a.info, a.endpoint, a.remoteAddress);
      const key = machineKey(id);
      withAgent.add(key);
      const mode = scheduled.get(key)?.mode ?? 'UP';
      const inverseOffers = [...(book?.statuses.get(a.id)?.values() ?? [])].map((s) => ({ frameworkId: s.framework_id.value, status: s.status }));
      rows.push({ hostname: a.info.hostname, ip: id.ip, agentId: a.id, mode, status: agentStatus(a), window: windowOf(key), inverseOffers });
    }
    for (const [id, x] of state.unreachableAgents) {
      rows.push({ hostname: x.info.hostname, ip: undefined, agentId: id, mode: 'UNREACHABLE', status: 'unreachable', window: undefined, inverseOffers: [] });
    }
    for (const [key, m] of scheduled) {
      if (!withAgent.has(key)) rows.push({ hostname: m.id.hostname ?? '', ip: m.id.ip, agentId: '', mode: m.mode, status: 'none', window: windowOf(key), inverseOffers: [] });
    }
    for (const r of rows) {
      if (r.mode === 'UP') counts.up++;
      else if (r.mode === 'DRAINING') counts.draining++;
      else if (r.mode === 'DOWN') counts.down++;
    }
    const key = (m: MachineRow) => (p.sort === 'mode' ? m.mode : m.hostname);
    const page = takePage(rows.values(), p, (m) => matchesFilter(p.filter, [m.hostname, m.ip ?? '', m.agentId, m.mode, m.status]),
      (a, b) => byText(key(a), key(b)) || byText(a.agentId, b.agentId));
    return { ...page, windows: book?.state.schedule.windows?.length ?? 0, ...counts };
  };

  return { totals, overview, agents, frameworks, offers, tasks, roles, maintenance };
}
