/**
 * The master behind its seams: `Master` implements SchedulerEndpoint (master/http's scheduler
 * API), OperatorEndpoint (operator API, legacy JSON, metrics) and the agent protocol entry points
 * (`agentMessage`, `agentDisconnected`, used by agent-link.ts). It owns the periodic allocation
 * timer and delegates everything else to the modules over the shared books (master-core.ts):
 *
 *   subscribe / disconnected ─► framework-lifecycle.ts
 *   call ─────────────────────► scheduler-calls.ts ─► accept-call.ts (ACCEPT)
 *   agentMessage ─────────────► agent-lifecycle.ts ─► status-updates.ts
 *   views, metrics ───────────► operator-views.ts, metrics.ts
 *
 * All handling is synchronous and in arrival order; a rejected call or operator mutation changes
 * nothing.
 */
import type { FrameworkId, StreamId } from '../common/ids.ts';
import { asFrameworkId } from '../common/ids.ts';
import type { Quota } from './allocator/allocator.ts';
import type { mesos, maestro } from '../proto/types.generated.ts';
import type { CallOutcome, EventSink, FrameworkConnection, SchedulerCall, SchedulerEndpoint, SubscribeOutcome } from './scheduler-endpoint.ts';
import type { OperatorEndpoint } from './operator-endpoint.ts';
import type { TimerHandle } from '../common/ports.ts';
import type { AgentConnection } from './ports.ts';
import type { MasterState } from './master-state.ts';
import { MasterCore, type MasterConfig, type MasterDeps } from './master-core.ts';
import { validateRole } from './framework-validation.ts';
import { buildViews, type MasterViews } from './operator-views.ts';
import { computeMetrics } from './metrics.ts';
import { OK, reject } from './call-outcome.ts';
import { disconnected, subscribe } from './framework-lifecycle.ts';
import { call } from './scheduler-calls.ts';
import { agentDisconnected, agentMessage } from './agent-lifecycle.ts';

export { ipToUint32, type MasterConfig, type MasterDeps } from './master-core.ts';

export type QuotaConfigInput = { role: string; guarantees: Readonly<Record<string, number>>; limits: Readonly<Record<string, number>> };

export class Master implements SchedulerEndpoint, OperatorEndpoint {
  readonly heartbeatIntervalSeconds: number;
  private readonly core: MasterCore;
  private allocationTimer: TimerHandle | undefined;

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

  /** Starts the periodic allocation. */
  start(): void {
    this.allocationTimer ??= this.core.timers.setInterval(() => this.core.allocate(), this.core.config.allocationIntervalMs);
  }

  /** Stops every timer and closes every stream and agent connection. */
  stop(): void {
    const core = this.core;
    core.stopped = true;
    if (this.allocationTimer) core.timers.clear(this.allocationTimer);
    if (core.pendingAllocationTimer) core.timers.clear(core.pendingAllocationTimer);
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
    return this.core.started / 1000;
  }

  flags(): Readonly<Record<string, string>> {
    return this.core.config.flags;
  }

  metrics(): Readonly<Record<string, number>> {
    const core = this.core;
    return computeMetrics(core.state, core.counters, { uptimeSecs: (core.clock.now() - core.started) / 1000, elected: true });
  }

  private views(): MasterViews {
    return buildViews(this.core.state, { weights: this.core.weights, quotas: this.core.quotas, now: this.core.clock.now() });
  }

  getState() { return this.views().getState(); }
  getAgents() { return this.views().getAgents(); }
  getFrameworks() { return this.views().getFrameworks(); }
  getTasks() { return this.views().getTasks(); }
  getExecutors() { return this.views().getExecutors(); }
  getRoles() { return this.views().getRoles(); }
  getRoleDetails() { return this.views().getRoleDetails(); }
  getWeights() { return this.views().getWeights(); }
  getQuota() { return this.views().getQuota(); }

  updateWeights(weights: readonly mesos.v1.WeightInfo[]): CallOutcome {
    for (const w of weights) {
      const role = w.role ?? '*';
      const err = validateRole(role);
      if (err !== undefined) return reject(400, err);
      if (!(w.weight > 0)) return reject(400, `Invalid weight '${w.weight}' for role '${role}': weights must be positive`);
    }
    for (const w of weights) this.core.weights.set(w.role ?? '*', w.weight);
    this.core.allocator.updateWeights(this.core.weights);
    return OK;
  }

  updateQuota(configs: readonly QuotaConfigInput[]): CallOutcome {
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
    for (const c of configs) {
      if (Object.keys(c.guarantees).length === 0 && Object.keys(c.limits).length === 0) {
        core.quotas.delete(c.role);
        core.allocator.updateQuota(c.role, undefined);
      } else {
        const q = { guarantees: { ...c.guarantees }, limits: { ...c.limits } };
        core.quotas.set(c.role, q);
        core.allocator.updateQuota(c.role, q satisfies Quota);
      }
    }
    core.scheduleAllocation('all');
    return OK;
  }

  teardown(frameworkId: string): CallOutcome {
    const f = this.core.state.frameworks.get(asFrameworkId(frameworkId));
    if (f === undefined) return reject(400, 'No framework found with specified ID');
    this.core.removeFramework(f, 'operator teardown');
    return OK;
  }
}
