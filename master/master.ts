/**
 * The master behind its seams: `Master` implements SchedulerEndpoint (master/http's scheduler
 * API), OperatorEndpoint (operator API, legacy JSON, metrics) and the agent protocol entry points
 * (`agentMessage`, `agentDisconnected`, used by agent-link.ts). It owns the periodic allocation
 * and registry GC timers and delegates everything else to the modules over the shared books (master-core.ts):
 *
 *   subscribe / disconnected ─► framework-lifecycle.ts
 *   call ─────────────────────► scheduler-calls.ts ─► accept-call.ts (ACCEPT)
 *   agentMessage ─────────────► agent-lifecycle.ts ─► status-updates.ts
 *   views, metrics ───────────► operator-views.ts, metrics.ts
 *
 * All handling is synchronous and in arrival order; a rejected call or operator mutation changes
 * nothing. With a registrar (master/registry), what the registry holds is stored first and the
 * master acts when the write is done: agent admission and unreachability (agent-lifecycle.ts),
 * weights and quota (here, answered once written). A master that must be elected serves only
 * after `recover(registry)`: it takes weights, quota, unreachable and gone agents and frameworks
 * from the registry and waits `--agent_reregister_timeout` for the admitted agents.
 */
import type { AgentId, FrameworkId, StreamId } from '../common/ids.ts';
import { asFrameworkId } from '../common/ids.ts';
import type { Quota } from './allocator/allocator.ts';
import type { mesos, maestro } from '../proto/types.generated.ts';
import type { CallOutcome, EventSink, FrameworkConnection, SchedulerCall, SchedulerEndpoint, SubscribeOutcome } from './scheduler-endpoint.ts';
import type { OperatorEndpoint, OperatorOutcome } from './operator-endpoint.ts';
import type { RegistryOperation, RegistrySnapshot } from './registry/registry.ts';
import type { TimerHandle } from '../common/ports.ts';
import type { AgentConnection } from './ports.ts';
import type { MasterState } from './master-state.ts';
import { MasterCore, type MasterConfig, type MasterDeps } from './master-core.ts';
import { validateRole } from './framework-validation.ts';
import { buildViews, type MasterViews } from './operator-views.ts';
import { computeMetrics } from './metrics.ts';
import { OK, reject } from './call-outcome.ts';
import { disconnected, recoverFramework, subscribe } from './framework-lifecycle.ts';
import { call } from './scheduler-calls.ts';
import { agentDisconnected, agentMessage, markRecoveredAgentsUnreachable, registryGc } from './agent-lifecycle.ts';
import { markAgentGone } from './agent-gone.ts';
import * as maintenance from './maintenance/maintenance-effects.ts';
import type { MachineID, MaintenanceState, Schedule } from './maintenance/maintenance.ts';

export { ipToUint32, type MasterConfig, type MasterDeps } from './master-core.ts';

export type QuotaConfigInput = { role: string; guarantees: Readonly<Record<string, number>>; limits: Readonly<Record<string, number>> };

export class Master implements SchedulerEndpoint, OperatorEndpoint {
  readonly heartbeatIntervalSeconds: number;
  private readonly core: MasterCore;
  private allocationTimer: TimerHandle | undefined;
  private registryGcTimer: TimerHandle | undefined;

  constructor(deps: MasterDeps) {
    this.core = new MasterCore(deps);
    this.heartbeatIntervalSeconds = deps.config.heartbeatIntervalSeconds;
    for (const [role, w] of deps.config.weights) this.core.weights.set(role, w);
    if (this.core.weights.size > 0) this.core.allocator.updateWeights(this.core.weights);
  }

  /** The books, read-only by convention (tests and diagnostics). */
  get state(): MasterState {
    return this.core.state;
  }

  get config(): MasterConfig {
    return this.core.config;
  }

  /** Serving as the leader: always without election, after `recover` with it. */
  get leading(): boolean {
    return this.core.leading;
  }

  /**
   * This master was elected: it takes what the registry holds (read just now) and starts
   * serving. Weights of the registry override `--weights` for their roles. Admitted agents are
   * awaited for `--agent_reregister_timeout`; those that do not come back are marked unreachable.
   */
  recover(registry: RegistrySnapshot): void {
    const core = this.core;
    for (const [role, w] of registry.weights) core.weights.set(role, w);
    if (core.weights.size > 0) core.allocator.updateWeights(core.weights);
    for (const [role, q] of registry.quotas) {
      const quota = { guarantees: { ...q.guarantees }, limits: { ...q.limits } };
      core.quotas.set(role, quota);
      core.allocator.updateQuota(role, quota satisfies Quota);
    }
    for (const [id, u] of registry.unreachable) core.state.unreachableAgents.set(id, { info: u.info, since: u.sinceMs });
    for (const [id, since] of registry.gone) core.goneAgents.set(id, since);
    for (const [id, f] of registry.frameworks) {
      if (f.removedMs !== undefined) core.removedFrameworks.add(id);
      else if (!core.state.frameworks.has(id)) recoverFramework(core, id, f.info, 'registry');
    }
    for (const [id, info] of registry.admitted) if (!core.state.agents.has(id)) core.recoveredAgents.set(id, info);
    core.leading = true;
    core.electedAt = core.clock.now();
    if (core.recoveredAgents.size > 0) {
      const timeoutMs = core.config.agentReregisterTimeoutMs ?? 10 * 60_000;
      core.reregisterTimer = core.timers.setTimeout(() => {
        core.reregisterTimer = undefined;
        markRecoveredAgentsUnreachable(core);
      }, timeoutMs);
    }
    core.log.info({
      agents: registry.admitted.size, unreachable: registry.unreachable.size, gone: registry.gone.size,
      frameworks: registry.frameworks.size, weights: registry.weights.size, quotas: registry.quotas.size,
    }, 'recovered the registry');
  }

  /**
   * Starts the periodic allocation and the registry GC (`--registry_gc_interval`); main.ts calls
   * this on the leading master only.
   */
  start(): void {
    const core = this.core;
    this.allocationTimer ??= core.timers.setInterval(() => core.allocate(), core.config.allocationIntervalMs);
    this.registryGcTimer ??= core.timers.setInterval(() => registryGc(core), core.config.registryGcIntervalMs ?? 15 * 60_000);
  }

  /** Stops every timer and closes every stream and agent connection. */
  stop(): void {
    const core = this.core;
    core.stopped = true;
    if (this.allocationTimer) core.timers.clear(this.allocationTimer);
    if (this.registryGcTimer) core.timers.clear(this.registryGcTimer);
    if (core.pendingAllocationTimer) core.timers.clear(core.pendingAllocationTimer);
    if (core.reregisterTimer) core.timers.clear(core.reregisterTimer);
    for (const t of core.pingTimers.values()) core.timers.clear(t);
    core.pingTimers.clear();
    for (const o of core.state.offers.values()) if (o.timer) core.timers.clear(o.timer);
    for (const f of core.state.frameworks.values()) {
      if (f.failoverTimer) core.timers.clear(f.failoverTimer);
      f.sink?.close();
    }
    for (const c of core.connections.values()) c.close('master shutting down');
  }

  /** Runs a full allocation cycle now (the periodic timer does this every allocation interval). */
  allocate(): void {
    this.core.allocate();
  }

  // SchedulerEndpoint

  subscribe(c: SchedulerCall, sink: EventSink, streamId: StreamId, principal: string | undefined): SubscribeOutcome {
    return subscribe(this.core, c, sink, streamId, principal);
  }

  disconnected(frameworkId: FrameworkId, streamId: StreamId): void {
    disconnected(this.core, frameworkId, streamId);
  }

  connection(frameworkId: FrameworkId): FrameworkConnection {
    const f = this.core.state.frameworks.get(frameworkId);
    if (f === undefined) return { kind: 'unknown' };
    if (f.connected && f.streamId !== undefined) return { kind: 'connected', streamId: f.streamId };
    return { kind: 'disconnected' };
  }

  call(frameworkId: FrameworkId, c: SchedulerCall): CallOutcome {
    return call(this.core, frameworkId, c);
  }

  // Agent protocol (agent-link.ts)

  agentMessage(connection: AgentConnection, envelope: maestro.agent.Envelope): void {
    agentMessage(this.core, connection, envelope);
  }

  agentDisconnected(connection: AgentConnection): void {
    agentDisconnected(this.core, connection);
  }

  // OperatorEndpoint

  masterInfo(): mesos.v1.MasterInfo {
    return this.core.masterInfo();
  }

  startTime(): number {
    return this.core.started / 1000;
  }

  electedTime(): number | undefined {
    const at = this.core.electedAt;
    return at === undefined ? undefined : at / 1000;
  }

  flags(): Readonly<Record<string, string>> {
    return this.core.config.flags;
  }

  metrics(): Readonly<Record<string, number>> {
    const core = this.core;
    return computeMetrics(core.state, core.counters, { uptimeSecs: (core.clock.now() - core.started) / 1000, elected: core.leading });
  }

  private views(): MasterViews {
    return buildViews(this.core.state, { weights: this.core.weights, quotas: this.core.quotas, now: this.core.clock.now(), recoveredAgents: this.core.recoveredAgents });
  }

  /** Agents of the registry that have not re-registered with this leader yet (Mesos' recovered agents). */
  recoveredAgents(): ReadonlyMap<AgentId, mesos.v1.AgentInfo> { return this.core.recoveredAgents; }

  getState() { return this.views().getState(); }
  getAgents() { return this.views().getAgents(); }
  getFrameworks() { return this.views().getFrameworks(); }
  getTasks() { return this.views().getTasks(); }
  getExecutors() { return this.views().getExecutors(); }
  getRoles() { return this.views().getRoles(); }
  getRoleDetails() { return this.views().getRoleDetails(); }
  getWeights() { return this.views().getWeights(); }
  getQuota() { return this.views().getQuota(); }

  updateWeights(weights: readonly mesos.v1.WeightInfo[]): OperatorOutcome {
    for (const w of weights) {
      const role = w.role ?? '*';
      const err = validateRole(role);
      if (err !== undefined) return reject(400, err);
      if (!(w.weight > 0) || !Number.isFinite(w.weight)) return reject(400, `Invalid weight '${w.weight}' for role '${role}': weights must be positive`);
    }
    return this.core.durably([{ type: 'UPDATE_WEIGHTS', weights: weights.map((w) => [w.role ?? '*', w.weight] as const) }], () => {
      for (const w of weights) this.core.weights.set(w.role ?? '*', w.weight);
      this.core.allocator.updateWeights(this.core.weights);
    });
  }

  updateQuota(configs: readonly QuotaConfigInput[]): OperatorOutcome {
    const core = this.core;
    for (const c of configs) {
      const err = validateRole(c.role);
      if (err !== undefined) return reject(400, `Invalid role: ${err}`);
      if (c.role === '*') return reject(400, "Invalid role: quota cannot be set for the default role '*'");
      for (const [name, v] of [...Object.entries(c.guarantees), ...Object.entries(c.limits)]) {
        if (!(v >= 0) || !Number.isFinite(v)) return reject(400, `Invalid quota for role '${c.role}': '${name}' must be a non-negative finite number`);
      }
      for (const [name, g] of Object.entries(c.guarantees)) {
        const l = c.limits[name];
        if (l !== undefined && g > l) return reject(400, `Invalid quota config for role '${c.role}': guarantee ${name}:${g} is greater than limit ${name}:${l}`);
      }
    }
    const isRemoval = (c: QuotaConfigInput) => Object.keys(c.guarantees).length === 0 && Object.keys(c.limits).length === 0;
    const ops = configs.map((c): RegistryOperation => ({
      type: 'UPDATE_QUOTA', role: c.role, quota: isRemoval(c) ? undefined : { guarantees: { ...c.guarantees }, limits: { ...c.limits } },
    }));
    return this.core.durably(ops, () => {
      for (const c of configs) {
        if (isRemoval(c)) {
          core.quotas.delete(c.role);
          core.allocator.updateQuota(c.role, undefined);
        } else {
          const q = { guarantees: { ...c.guarantees }, limits: { ...c.limits } };
          core.quotas.set(c.role, q);
          core.allocator.updateQuota(c.role, q satisfies Quota);
        }
      }
      core.scheduleAllocation('all');
    });
  }

  // Maintenance (master/maintenance): schedule, machine modes, cluster status.

  getMaintenanceSchedule(): Schedule { return maintenance.getSchedule(this.core); }
  getMaintenanceStatus() { return maintenance.getStatus(this.core); }
  updateMaintenanceSchedule(schedule: Schedule): OperatorOutcome { return maintenance.updateMaintenanceSchedule(this.core, schedule); }
  startMaintenance(machines: readonly MachineID[]): OperatorOutcome { return maintenance.startMachinesMaintenance(this.core, machines); }
  stopMaintenance(machines: readonly MachineID[]): OperatorOutcome { return maintenance.stopMachinesMaintenance(this.core, machines); }

  /** A newly elected master takes the stored maintenance state (before `recover`). */
  recoverMaintenance(state: MaintenanceState): void {
    this.core.maintenance.state = state;
  }

  /** The maintenance books (views, tests). */
  get maintenance() { return this.core.maintenance; }

  /** MARK_AGENT_GONE (agent-gone.ts). */
  markAgentGone(agentId: string): OperatorOutcome {
    return markAgentGone(this.core, agentId);
  }

  teardown(frameworkId: string): CallOutcome {
    const f = this.core.state.frameworks.get(asFrameworkId(frameworkId));
    if (f === undefined) return reject(400, 'No framework found with specified ID');
    this.core.removeFramework(f, 'operator teardown');
    return OK;
  }
}
