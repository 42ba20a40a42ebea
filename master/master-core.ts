/**
 * The master's shared books and the operations every part of the master uses: the state
 * (master-state.ts), the ports, the allocator, and the small steps built on them — sending events
 * and agent messages, running allocation and turning decisions into offers, removing and
 * rescinding offers, task bookkeeping (state changes, completion, releasing resources) and
 * removing a framework. The calls and protocols are handled by the modules around it
 * (framework-lifecycle, scheduler-calls, accept-call, agent-lifecycle, status-updates); master.ts
 * puts them behind the two seams.
 *
 * Life of resources (Mesos semantics): the allocator offers them (allocated from then on); DECLINE,
 * RESCIND, offer timeout and the unused part of an ACCEPT give them back (`recoverResources`);
 * launched tasks hold them until their first terminal status update, when they return at once;
 * an executor holds its own until the agent reports it exited.
 *
 * Invariants:
 * - an offer belongs to one framework and one agent and is in `state.offers` until accepted,
 *   declined, rescinded or expired — never offered twice;
 * - task states change only through task-state-machine.ts `transition()` (see status-updates.ts)
 *   or master-made terminal updates (`setTaskState`);
 * - only an agent's current connection can change its state (see agent-lifecycle.ts).
 */
import type { AgentId, ExecutorId, FrameworkId, OfferId } from '../common/ids.ts';
import { asAgentId, asExecutorId, asTaskId } from '../common/ids.ts';
import { Resources } from '../common/resources/resources.ts';
import type { Allocator, FrameworkDescription, OfferDecision } from './allocator/allocator.ts';
import type { mesos, maestro } from '../proto/types.generated.ts';
import type { SchedulerEvent } from './scheduler-endpoint.ts';
import type { Clock, Logger, TimerHandle, Timers } from '../common/ports.ts';
import type { AgentConnection, IdGenerator } from './ports.ts';
import { emptyMasterState, type FrameworkRecord, type MasterState, type OfferRecord, type TaskRecord } from './master-state.ts';
import { isTerminal } from './task-state-machine.ts';
import { masterStatus, type TaskState } from './task-status.ts';
import { reconcile, type ReconcileTaskView } from './reconcile.ts';
import { buildOffer, offerForFramework } from './offers.ts';
import { resourcesToWire } from './resource-wire.ts';
import type { Registrar } from './registry/registrar.ts';
import { InvalidRegistryOperationError, type RegistryOperation } from './registry/registry.ts';
import { UnstorableValueError } from '../common/db/storable.ts';
import { MaintenanceBook } from './maintenance/maintenance-book.ts';
import { offerUnavailability, sendInverseOffers } from './maintenance/maintenance-effects.ts';
import type { MaintenanceStore } from './maintenance/maintenance-store.ts';

type Envelope = maestro.agent.Envelope;

export interface MasterConfig {
  readonly hostname: string;
  readonly ip: string;
  readonly port: number;
  readonly version: string;
  readonly agentPingTimeoutMs: number;
  readonly maxAgentPingTimeouts: number;
  /** Undefined: offers never expire (Mesos default). */
  readonly offerTimeoutMs: number | undefined;
  readonly allocationIntervalMs: number;
  readonly heartbeatIntervalSeconds: number;
  readonly weights: ReadonlyMap<string, number>;
  /** When set, agents must present it to register. */
  readonly agentToken?: string;
  readonly cluster?: string;
  /** The effective flags as text, for GET_FLAGS and /master/flags. */
  readonly flags: Readonly<Record<string, string>>;
  /** Completed tasks kept per framework for the operator views (`--max_completed_tasks_per_framework`, default 1000). */
  readonly maxCompletedTasksPerFramework?: number;
  /** Removed frameworks kept (`--max_completed_frameworks`, default 50); their ids may not subscribe again. */
  readonly maxCompletedFrameworks?: number;
  /** Tasks on unreachable agents kept per framework (`--max_unreachable_tasks_per_framework`, default 1000). */
  readonly maxUnreachableTasksPerFramework?: number;
  /** Unreachable agents kept (`--registry_max_agent_count`, default 102400) ... */
  readonly registryMaxAgentCount?: number;
  /** ... and for how long (`--registry_max_agent_age`, default 2 weeks), in ms. */
  readonly registryMaxAgentAgeMs?: number;
  /** How often the leading master prunes the registry by those bounds (`--registry_gc_interval`, default 15 minutes), in ms. */
  readonly registryGcIntervalMs?: number;
  /**
   * How long a newly elected master waits for the agents of its registry to re-register before
   * it marks the missing ones unreachable (`--agent_reregister_timeout`, default 10 minutes), in ms.
   */
  readonly agentReregisterTimeoutMs?: number;
}

export interface MasterDeps {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  readonly allocator: Allocator;
  readonly config: MasterConfig;
  /**
   * The registry's writer (master/registry): with one, every change to it is stored before the
   * master acts on it. Absent: nothing is stored and the master acts at once (one master, the
   * registry is its memory).
   */
  readonly registrar?: Registrar;
  /** The registry could not be written: the master cannot go on (Mesos aborts); main.ts exits. */
  readonly onRegistryFailure?: (err: Error) => void;
  /** True for a master that must be elected (and recover the registry) before it serves. */
  readonly awaitElection?: boolean;
  /** Where maintenance changes are stored before they act (master/maintenance); absent: memory only. */
  readonly maintenanceStore?: MaintenanceStore;
}

/** IPv4 text to the uint32 Mesos puts in MasterInfo.ip (network byte order read as little endian). */
export function ipToUint32(ip: string): number {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return 0;
  return ((p[3] << 24) >>> 0) + (p[2] << 16) + (p[1] << 8) + p[0];
}

/**
 * FrameworkInfo.offer_filters[role].min_allocatable_resources as the allocator takes them: per
 * role, alternatives of scalar quantities (an empty alternative: anything is allocatable).
 */
export function minAllocatableOf(info: mesos.v1.FrameworkInfo): Record<string, Resources[]> | undefined {
  let out: Record<string, Resources[]> | undefined;
  for (const [role, filters] of Object.entries(info.offer_filters ?? {})) {
    const alternatives = filters.min_allocatable_resources?.quantities;
    if (alternatives === undefined) continue;
    const list: Resources[] = [];
    for (const q of alternatives) {
      const text = Object.entries(q.quantities ?? {}).map(([name, v]) => `${name}:${v.value}`).join(';');
      const parsed = Resources.tryParse(text);
      if (parsed.ok) list.push(parsed.resources);
    }
    (out ??= {})[role] = list;
  }
  return out;
}

export class MasterCore {
  readonly state: MasterState = emptyMasterState();
  readonly clock: Clock;
  readonly timers: Timers;
  readonly ids: IdGenerator;
  readonly log: Logger;
  readonly allocator: Allocator;
  readonly config: MasterConfig;
  readonly started: number;
  /** Each registered agent's current connection, and the reverse. */
  readonly connections = new Map<AgentId, AgentConnection>();
  readonly connectionAgents = new Map<AgentConnection, AgentId>();
  readonly pingTimers = new Map<AgentId, TimerHandle>();
  readonly weights = new Map<string, number>();
  readonly quotas = new Map<string, { guarantees: Record<string, number>; limits: Record<string, number> }>();
  /** Counters behind the metrics (terminal task counts, messages). */
  readonly counters = new Map<string, number>();
  /** Event-triggered allocation waiting for the next tick: some agents, or all of them. */
  readonly pendingAllocation = new Set<AgentId>();
  pendingAllocationAll = false;
  pendingAllocationTimer: TimerHandle | undefined;
  stopped = false;
  readonly registrar: Registrar | undefined;
  private readonly onRegistryFailure: ((err: Error) => void) | undefined;
  /** Serving as the leader (always, without election). */
  leading: boolean;
  /** When this master was elected (ms); its start time without election. */
  electedAt: number | undefined;
  /** Agents marked gone (registry): they may never come back. */
  readonly goneAgents = new Map<AgentId, number>();
  /** Frameworks the registry says were removed: their ids may not subscribe again. */
  readonly removedFrameworks = new Set<FrameworkId>();
  /** Admitted agents of the registry that have not re-registered with this leader yet (Mesos `slaves.recovered`). */
  readonly recoveredAgents = new Map<AgentId, mesos.v1.AgentInfo>();
  /** Agents whose MARK_AGENT_UNREACHABLE is being written: they may not re-register meanwhile. */
  readonly markingUnreachable = new Set<AgentId>();
  /** Agents whose MARK_AGENT_GONE is being written (agent-gone.ts). */
  readonly markingGone = new Set<AgentId>();
  /**
   * Agents whose REMOVE_AGENT (machine DOWN) is being written (Mesos `slaves.removing`): not marked
   * unreachable or gone meanwhile, and a re-registration is refused.
   */
  readonly removingAgents = new Set<AgentId>();
  /**
   * Agents removed by the operator without being marked gone (machine DOWN), the newest
   * MAX_REMOVED_AGENTS (Mesos `slaves.removed`, in memory only): one that re-registers with its id
   * (its ShutdownAgent was lost) is told to shut down again, since its frameworks were told its tasks were lost.
   */
  readonly removedAgents = new Set<AgentId>();
  /**
   * Known agents whose re-registration (UPDATE_AGENT_INFO) is being written, with how many: not
   * marked unreachable meanwhile (Mesos' `slaves.reregistering`), or the registry would end
   * unreachable behind an agent the books hold registered.
   */
  readonly reregistering = new Map<AgentId, number>();
  /** Connections that closed, so a registration completed after a registry write can tell. */
  readonly closedConnections = new WeakSet<AgentConnection>();
  reregisterTimer: TimerHandle | undefined;
  /** Maintenance schedule, machine modes and inverse offers (master/maintenance). */
  readonly maintenance = new MaintenanceBook();
  readonly maintenanceStore: MaintenanceStore | undefined;

  constructor(deps: MasterDeps) {
    this.clock = deps.clock;
    this.timers = deps.timers;
    this.ids = deps.ids;
    this.log = deps.logger;
    this.allocator = deps.allocator;
    this.config = deps.config;
    this.started = deps.clock.now();
    this.registrar = deps.registrar;
    this.maintenanceStore = deps.maintenanceStore;
    this.onRegistryFailure = deps.onRegistryFailure;
    this.leading = deps.awaitElection !== true;
    this.electedAt = this.leading ? this.started : undefined;
  }

  /**
   * Stores `op` in the registry, then runs `then` (in a timer callback of its own, so observers of
   * the timers see the change). Without a registrar `then` runs now. A write that fails runs
   * `onFailure` when given; a failed store (not a bad operation) also ends the master.
   */
  persist(op: RegistryOperation, then: () => void, onFailure?: (err: Error) => void): void {
    if (this.registrar === undefined) {
      then();
      return;
    }
    this.registrar.apply(op).then(
      () => { this.timers.setTimeout(() => { if (!this.stopped) then(); }, 0); },
      (err: Error) => {
        this.registryWriteFailed(op, err);
        if (onFailure !== undefined && !this.stopped) this.timers.setTimeout(() => onFailure(err), 0);
      });
  }

  /** Stores `op` behind an action already taken (see master/README.md for which those are). */
  record(op: RegistryOperation): void {
    this.registrar?.apply(op).catch((err: Error) => this.registryWriteFailed(op, err));
  }

  /**
   * An operator mutation: applied now without a registrar, or once the registry holds `ops` (one
   * batch: given in one turn); the outcome's `written` settles after `apply` ran.
   */
  durably(ops: readonly RegistryOperation[], apply: () => void): { ok: true; written?: Promise<void> } {
    const registrar = this.registrar;
    if (registrar === undefined) {
      apply();
      return { ok: true };
    }
    const written = Promise.all(ops.map((op) => registrar.apply(op))).then(
      () => new Promise<void>((resolve) => {
        this.timers.setTimeout(() => {
          if (!this.stopped) apply();
          resolve();
        }, 0);
      }),
      (err: Error) => {
        this.registryWriteFailed(ops[0], err);
        throw err;
      });
    return { ok: true, written };
  }

  registryWriteFailed(op: RegistryOperation, err: Error): void {
    if (err instanceof InvalidRegistryOperationError || err instanceof UnstorableValueError) {
      this.log.warn({ operation: op.type, error: err.message }, 'a registry operation cannot be stored');
      return;
    }
    this.log.error({ operation: op.type, error: err.message }, 'the registry write failed');
    this.onRegistryFailure?.(err);
  }

  nowSecs(): number {
    return this.clock.now() / 1000;
  }

  count(key: string, by = 1): void {
    this.counters.set(key, (this.counters.get(key) ?? 0) + by);
  }

  masterInfo(): mesos.v1.MasterInfo {
    const { ip, port, hostname, version } = this.config;
    return {
      id: this.ids.masterId,
      ip: ipToUint32(ip),
      port,
      pid: `master@${ip}:${port}`,
      hostname,
      version,
      address: { hostname, ip, port },
    };
  }

  description(f: FrameworkRecord): FrameworkDescription {
    const d: { -readonly [K in keyof FrameworkDescription]: FrameworkDescription[K] } = {
      roles: f.roles,
      suppressedRoles: [...f.suppressedRoles],
      gpuResources: f.capabilities.has('GPU_RESOURCES'),
      revocableResources: f.capabilities.has('REVOCABLE_RESOURCES'),
    };
    const minAllocatable = minAllocatableOf(f.info);
    if (minAllocatable !== undefined) d.minAllocatable = minAllocatable;
    return d;
  }

  partitionAware(f: FrameworkRecord | undefined): boolean {
    return f?.capabilities.has('PARTITION_AWARE') ?? false;
  }

  send(f: FrameworkRecord, event: SchedulerEvent): void {
    if (f.sink === undefined) return;
    f.sink.send(event);
    this.count(`master/messages_event_${event.type?.toLowerCase() ?? 'unknown'}`);
  }

  sendAgent(agentId: AgentId, envelope: Envelope): void {
    this.connections.get(agentId)?.send(envelope);
  }

  update(f: FrameworkRecord, status: mesos.v1.TaskStatus): void {
    this.send(f, { type: 'UPDATE', update: { status } });
  }

  /** Runs a full allocation cycle (the periodic timer calls this). */
  allocate(): void {
    if (this.stopped) return;
    this.makeOffers(this.allocator.allocate(this.clock.now()));
    if (this.maintenance.active) sendInverseOffers(this);
  }

  /** Coalesces event-triggered allocations into one run per tick ('all': a full cycle). */
  scheduleAllocation(agentIds: Iterable<AgentId> | 'all'): void {
    if (agentIds === 'all') this.pendingAllocationAll = true;
    else for (const id of agentIds) this.pendingAllocation.add(id);
    if ((this.pendingAllocation.size === 0 && !this.pendingAllocationAll) || this.pendingAllocationTimer !== undefined || this.stopped) return;
    this.pendingAllocationTimer = this.timers.setTimeout(() => {
      this.pendingAllocationTimer = undefined;
      const all = this.pendingAllocationAll;
      const ids = all ? [] : [...this.pendingAllocation].filter((id) => this.state.agents.has(id));
      this.pendingAllocation.clear();
      this.pendingAllocationAll = false;
      if (all) this.makeOffers(this.allocator.allocate(this.clock.now()));
      else if (ids.length > 0) this.makeOffers(this.allocator.allocateAgents(ids, this.clock.now()));
    }, 0);
  }

  /** Each decision becomes an Offer; all offers of one batch to one framework go out in one OFFERS event. */
  makeOffers(decisions: readonly OfferDecision[]): void {
    const byFramework = new Map<FrameworkRecord, mesos.v1.Offer[]>();
    for (const d of decisions) {
      const f = this.state.frameworks.get(d.frameworkId);
      const agent = this.state.agents.get(d.agentId);
      if (f === undefined || agent === undefined || !f.active || !agent.active) {
        // The allocator raced a removal: give the resources straight back.
        if (f !== undefined && agent !== undefined) this.allocator.recoverResources(d.frameworkId, d.agentId, d.resources, undefined, this.clock.now());
        continue;
      }
      const offerId = this.ids.offerId();
      const executorIds = [...(f.executors.get(d.agentId)?.keys() ?? [])];
      const offer = buildOffer({
        offerId, frameworkId: f.id, role: d.role, agentId: d.agentId,
        agentInfo: agent.info, agentEndpoint: agent.endpoint, resources: resourcesToWire(d.resources), executorIds,
        unavailability: offerUnavailability(this, agent),
      });
      const rec: OfferRecord = { offer, frameworkId: f.id, agentId: d.agentId, role: d.role, resources: d.resources, timer: undefined };
      if (this.config.offerTimeoutMs !== undefined) {
        rec.timer = this.timers.setTimeout(() => this.rescindOffer(offerId, true), this.config.offerTimeoutMs);
      }
      this.state.offers.set(offerId, rec);
      f.offers.add(offerId);
      agent.offers.add(offerId);
      let list = byFramework.get(f);
      if (list === undefined) byFramework.set(f, (list = []));
      list.push(offerForFramework(offer, f.capabilities.has('MULTI_ROLE')));
    }
    for (const [f, offers] of byFramework) this.send(f, { type: 'OFFERS', offers: { offers } });
  }

  /** Removes an offer from the books; the caller decides what happens to its resources. */
  removeOffer(offerId: OfferId): OfferRecord | undefined {
    const rec = this.state.offers.get(offerId);
    if (rec === undefined) return undefined;
    if (rec.timer) this.timers.clear(rec.timer);
    this.state.offers.delete(offerId);
    this.state.frameworks.get(rec.frameworkId)?.offers.delete(offerId);
    this.state.agents.get(rec.agentId)?.offers.delete(offerId);
    return rec;
  }

  /** RESCIND (if the framework is connected) and give the resources back to the allocator. */
  rescindOffer(offerId: OfferId, notify: boolean): void {
    const rec = this.removeOffer(offerId);
    if (rec === undefined) return;
    const f = this.state.frameworks.get(rec.frameworkId);
    if (notify && f !== undefined) this.send(f, { type: 'RESCIND', rescind: { offer_id: { value: offerId } } });
    if (this.state.agents.has(rec.agentId)) {
      this.allocator.recoverResources(rec.frameworkId, rec.agentId, rec.resources, undefined, this.clock.now());
      this.scheduleAllocation([rec.agentId]);
    }
  }

  /** RESCIND without recovering: the agent is leaving the allocator, which frees everything on it. */
  removeOfferWithRescind(offerId: OfferId): void {
    const rec = this.removeOffer(offerId);
    if (rec === undefined) return;
    const f = this.state.frameworks.get(rec.frameworkId);
    if (f !== undefined) this.send(f, { type: 'RESCIND', rescind: { offer_id: { value: offerId } } });
  }

  addExecutor(f: FrameworkRecord, agentId: AgentId, info: mesos.v1.ExecutorInfo, resources: Resources): void {
    let map = f.executors.get(agentId);
    if (map === undefined) f.executors.set(agentId, (map = new Map()));
    map.set(asExecutorId(info.executor_id.value), { info, frameworkId: f.id, agentId, resources });
  }

  /** Records a state and its status (the last 16 statuses are kept) and counts terminal states. */
  setTaskState(t: TaskRecord, status: mesos.v1.TaskStatus, state: TaskState): void {
    const wasTerminal = isTerminal(t.task.state);
    t.task.state = state;
    t.task.statuses = [...(t.task.statuses ?? []), status].slice(-16);
    if (!wasTerminal && isTerminal(state)) this.count(`master/tasks_${state.slice('TASK_'.length).toLowerCase()}`);
  }

  /** Moves a task to its framework's completed list (the newest `maxCompletedTasksPerFramework` are kept). */
  completeTask(f: FrameworkRecord, t: TaskRecord): void {
    f.tasks.delete(asTaskId(t.task.task_id.value));
    f.unreachableTasks.delete(asTaskId(t.task.task_id.value));
    const max = this.config.maxCompletedTasksPerFramework ?? 1000;
    let list = this.state.completedTasks.get(f.id);
    if (list === undefined) this.state.completedTasks.set(f.id, (list = []));
    list.push(t);
    if (list.length > max) list.splice(0, list.length - max);
    if (list.length === 0) this.state.completedTasks.delete(f.id);
  }

  /**
   * A task reached a terminal state: its resources go back at once. Its executor's stay allocated
   * until the agent reports the executor gone (ExecutorExited, see executor-lifecycle.ts).
   */
  releaseTask(f: FrameworkRecord, t: TaskRecord): void {
    if (!this.state.agents.has(t.agentId)) return;
    this.allocator.recoverResources(f.id, t.agentId, t.resources, undefined, this.clock.now());
    this.scheduleAllocation([t.agentId]);
  }

  /** An executor is gone from its agent: forgotten, and its resources go back. */
  removeExecutor(f: FrameworkRecord, agentId: AgentId, executorId: ExecutorId): void {
    const onAgent = f.executors.get(agentId);
    const e = onAgent?.get(executorId);
    if (onAgent === undefined || e === undefined) return;
    onAgent.delete(executorId);
    if (onAgent.size === 0) f.executors.delete(agentId);
    if (this.state.agents.has(agentId)) {
      this.allocator.recoverResources(f.id, agentId, e.resources, undefined, this.clock.now());
      this.scheduleAllocation([agentId]);
    }
  }

  /**
   * TEARDOWN, failover timeout or operator teardown: offers dropped, live tasks TASK_KILLED
   * (REASON_FRAMEWORK_REMOVED) and shut down on their agents, the allocator forgets the framework,
   * its stream ends, and its id can never subscribe again.
   */
  removeFramework(f: FrameworkRecord, why: string): void {
    if (!this.state.frameworks.has(f.id)) return;
    if (f.failoverTimer) this.timers.clear(f.failoverTimer);
    f.failoverTimer = undefined;
    for (const offerId of [...f.offers]) this.removeOffer(offerId);
    const agents = new Set<AgentId>(f.executors.keys());
    const now = this.nowSecs();
    for (const t of [...f.tasks.values()]) {
      agents.add(t.agentId);
      if (!isTerminal(t.task.state)) {
        const status = masterStatus({ taskId: t.task.task_id.value, state: 'TASK_KILLED', reason: 'REASON_FRAMEWORK_REMOVED', message: `Framework ${f.id} removed`, agentId: t.agentId, timestamp: now });
        this.setTaskState(t, status, 'TASK_KILLED');
      }
      this.completeTask(f, t);
    }
    for (const t of [...f.unreachableTasks.values()]) this.completeTask(f, t);
    for (const agentId of agents) this.sendAgent(agentId, { shutdown_framework: { framework_id: { value: f.id } } });
    this.allocator.removeFramework(f.id);
    f.sink?.close();
    f.sink = undefined;
    f.streamId = undefined;
    f.connected = false;
    f.active = false;
    f.unregisteredTime = this.clock.now();
    this.state.frameworks.delete(f.id);
    this.state.completedFrameworks.set(f.id, f);
    this.record({ type: 'REMOVE_FRAMEWORK', frameworkId: f.id, removedMs: f.unregisteredTime });
    const keep = this.config.maxCompletedFrameworks ?? 50;
    for (const old of this.state.completedFrameworks.keys()) {
      if (this.state.completedFrameworks.size <= keep) break;
      this.state.completedFrameworks.delete(old);
      this.state.completedTasks.delete(old);
    }
    this.log.info({ frameworkId: f.id, why }, 'framework removed');
    this.scheduleAllocation(agents);
  }

  /** The answers to RECONCILE (and to KILL of an unknown task), see reconcile.ts. */
  reconcileStatuses(f: FrameworkRecord, queries: readonly mesos.v1.scheduler.Call.Reconcile.Task[]): mesos.v1.TaskStatus[] {
    const view = (t: TaskRecord): ReconcileTaskView => {
      const latest = t.task.statuses?.[t.task.statuses.length - 1];
      // The state of the latest update forwarded (Mesos `status_update_state`): a latest_state
      // ahead of it is not told before the framework gets the updates in between.
      const state = t.task.status_update_state ?? t.task.state;
      return { taskId: t.task.task_id.value, agentId: t.agentId, executorId: t.task.executor_id?.value, state, healthy: latest?.healthy };
    };
    const tasks = new Map<string, ReconcileTaskView>();
    for (const t of f.tasks.values()) tasks.set(t.task.task_id.value, view(t));
    const unreachable = new Map<string, ReconcileTaskView & { sinceMs: number }>();
    for (const t of f.unreachableTasks.values()) {
      unreachable.set(t.task.task_id.value, { ...view(t), sinceMs: this.state.unreachableAgents.get(t.agentId)?.since ?? this.clock.now() });
    }
    return reconcile({
      partitionAware: this.partitionAware(f),
      tasks,
      unreachableTasks: unreachable,
      agentStatus: (id) => (this.state.agents.has(asAgentId(id)) ? 'registered' : this.recoveredAgents.has(asAgentId(id)) ? 'transitioning' : this.state.unreachableAgents.has(asAgentId(id)) ? 'unreachable' : this.goneAgents.has(asAgentId(id)) ? 'gone' : 'unknown'),
      unreachableSinceMs: (id) => this.state.unreachableAgents.get(asAgentId(id))?.since,
      now: this.nowSecs(),
    }, queries);
  }
}
