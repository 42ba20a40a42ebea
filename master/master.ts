/**
 * The master core: frameworks, agents, offers and tasks, behind the two seams the HTTP layer uses
 * (SchedulerEndpoint, OperatorEndpoint) and the agent protocol (`agentMessage`,
 * `agentDisconnected`). It reaches the world only through ports (clock, timers, ids, logger, the
 * agents' connections, the frameworks' event sinks) and the allocator; everything it decides is
 * applied here, in one place, in the order the events arrive.
 *
 * Life of resources (Mesos semantics): the allocator offers them (allocated from then on); the
 * master turns each decision into an Offer; DECLINE, RESCIND, offer timeout and the unused part of
 * an ACCEPT give them back (`recoverResources`); launched tasks hold them until their first
 * terminal status update, when they are recovered at once.
 *
 * Invariants:
 * - a rejected call changes nothing (all checks happen before the first mutation);
 * - an offer belongs to one framework and one agent and is in `state.offers` until accepted,
 *   declined, rescinded or expired — never offered twice;
 * - task states change only through task-state-machine.ts `transition()`;
 * - only the agent's current connection can change its state (a stale connection closing is ignored).
 */
import type { AgentId, ExecutorId, FrameworkId, OfferId, StreamId, TaskId } from '../common/ids.ts';
import { asAgentId, asExecutorId, asFrameworkId, asOfferId, asTaskId } from '../common/ids.ts';
import { Resources } from '../common/resources/resources.ts';
import { resourcesFromWire, resourcesToWire } from './resource-wire.ts';
import type { Allocator, FrameworkDescription, OfferDecision, Quota } from './allocator/allocator.ts';
import type { mesos, maestro } from '../proto/types.generated.ts';
import type { CallOutcome, EventSink, FrameworkConnection, SchedulerCall, SchedulerEndpoint, SchedulerEvent, SubscribeOutcome } from './scheduler-endpoint.ts';
import type { OperatorEndpoint } from './operator-endpoint.ts';
import type { AgentConnection, Clock, IdGenerator, Logger, TimerHandle, Timers } from './ports.ts';
import { emptyMasterState, type AgentRecord, type ExecutorRecord, type FrameworkRecord, type MasterState, type OfferRecord, type TaskRecord } from './master-state.ts';
import { frameworkRoles, validateFrameworkInfo, validateFrameworkUpdate, validateRole, validateSuppressedRoles } from './framework-validation.ts';
import { isTerminal, transition } from './task-state-machine.ts';
import { masterStatus, type TaskState } from './task-status.ts';
import { reconcile, type ReconcileTaskView } from './reconcile.ts';
import { planAccept, type AcceptStep } from './accept.ts';
import { buildOffer } from './offers.ts';
import { buildViews, type MasterViews } from './operator-views.ts';
import { computeMetrics } from './metrics.ts';

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
  /** How many completed tasks to keep for the operator views (Mesos `--max_completed_tasks_per_framework`-like). */
  readonly maxCompletedTasks?: number;
}

export interface MasterDeps {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  readonly allocator: Allocator;
  readonly config: MasterConfig;
}

const reject = (status: 400 | 403 | 404 | 409 | 503, message: string) => ({ ok: false as const, status, message });
const OK = { ok: true as const };

/** IPv4 text to the uint32 Mesos puts in MasterInfo.ip (network byte order read as little endian). */
export function ipToUint32(ip: string): number {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return 0;
  return ((p[3] << 24) >>> 0) + (p[2] << 16) + (p[1] << 8) + p[0];
}

export class Master implements SchedulerEndpoint, OperatorEndpoint {
  readonly state: MasterState = emptyMasterState();
  readonly heartbeatIntervalSeconds: number;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly ids: IdGenerator;
  private readonly log: Logger;
  private readonly allocator: Allocator;
  private readonly config: MasterConfig;
  private readonly started: number;
  private readonly connections = new Map<AgentId, AgentConnection>();
  private readonly connectionAgents = new Map<AgentConnection, AgentId>();
  private readonly pingTimers = new Map<AgentId, TimerHandle>();
  private readonly weights = new Map<string, number>();
  private readonly quotas = new Map<string, { guarantees: Record<string, number>; limits: Record<string, number> }>();
  private readonly counters = new Map<string, number>();
  private readonly pendingAllocation = new Set<AgentId>();
  private pendingAllocationTimer: TimerHandle | undefined;
  private allocationTimer: TimerHandle | undefined;
  private stopped = false;

  constructor(deps: MasterDeps) {
    this.clock = deps.clock;
    this.timers = deps.timers;
    this.ids = deps.ids;
    this.log = deps.logger;
    this.allocator = deps.allocator;
    this.config = deps.config;
    this.heartbeatIntervalSeconds = deps.config.heartbeatIntervalSeconds;
    this.started = deps.clock.now();
    for (const [role, w] of deps.config.weights) this.weights.set(role, w);
    if (this.weights.size > 0) this.allocator.updateWeights(this.weights);
  }

  /** Starts the periodic allocation. */
  start(): void {
    this.allocationTimer ??= this.timers.setInterval(() => this.allocate(), this.config.allocationIntervalMs);
  }

  /** Stops every timer and closes every stream and agent connection. */
  stop(): void {
    this.stopped = true;
    if (this.allocationTimer) this.timers.clear(this.allocationTimer);
    if (this.pendingAllocationTimer) this.timers.clear(this.pendingAllocationTimer);
    for (const t of this.pingTimers.values()) this.timers.clear(t);
    this.pingTimers.clear();
    for (const o of this.state.offers.values()) if (o.timer) this.timers.clear(o.timer);
    for (const f of this.state.frameworks.values()) {
      if (f.failoverTimer) this.timers.clear(f.failoverTimer);
      f.sink?.close();
    }
    for (const c of this.connections.values()) c.close('master shutting down');
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private nowSecs(): number {
    return this.clock.now() / 1000;
  }

  private count(key: string, by = 1): void {
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

  private description(f: FrameworkRecord): FrameworkDescription {
    return {
      roles: f.roles,
      suppressedRoles: [...f.suppressedRoles],
      gpuResources: f.capabilities.has('GPU_RESOURCES'),
      revocableResources: f.capabilities.has('REVOCABLE_RESOURCES'),
    };
  }

  private partitionAware(f: FrameworkRecord | undefined): boolean {
    return f?.capabilities.has('PARTITION_AWARE') ?? false;
  }

  private send(f: FrameworkRecord, event: SchedulerEvent): void {
    if (f.sink === undefined) return;
    f.sink.send(event);
    this.count(`master/messages_event_${event.type?.toLowerCase() ?? 'unknown'}`);
  }

  private sendAgent(agentId: AgentId, envelope: Envelope): void {
    this.connections.get(agentId)?.send(envelope);
  }

  private update(f: FrameworkRecord, status: mesos.v1.TaskStatus): void {
    this.send(f, { type: 'UPDATE', update: { status } });
  }

  // ---------------------------------------------------------------------------------------------
  // Allocation and offers

  /** Runs a full allocation cycle (the periodic timer calls this). */
  allocate(): void {
    if (this.stopped) return;
    this.makeOffers(this.allocator.allocate(this.clock.now()));
  }

  /** Coalesces event-triggered allocations into one run per tick. */
  private scheduleAllocation(agentIds: Iterable<AgentId>): void {
    for (const id of agentIds) this.pendingAllocation.add(id);
    if (this.pendingAllocation.size === 0 || this.pendingAllocationTimer !== undefined || this.stopped) return;
    this.pendingAllocationTimer = this.timers.setTimeout(() => {
      this.pendingAllocationTimer = undefined;
      const ids = [...this.pendingAllocation].filter((id) => this.state.agents.has(id));
      this.pendingAllocation.clear();
      if (ids.length > 0) this.makeOffers(this.allocator.allocateAgents(ids, this.clock.now()));
    }, 0);
  }

  private makeOffers(decisions: readonly OfferDecision[]): void {
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
        offerId, frameworkId: f.id, multiRole: f.capabilities.has('MULTI_ROLE'), role: d.role, agentId: d.agentId,
        agentInfo: agent.info, agentEndpoint: agent.endpoint, resources: resourcesToWire(d.resources), executorIds,
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
      list.push(offer);
    }
    for (const [f, offers] of byFramework) this.send(f, { type: 'OFFERS', offers: { offers } });
  }

  /** Removes an offer from the books; the caller decides what happens to its resources. */
  private removeOffer(offerId: OfferId): OfferRecord | undefined {
    const rec = this.state.offers.get(offerId);
    if (rec === undefined) return undefined;
    if (rec.timer) this.timers.clear(rec.timer);
    this.state.offers.delete(offerId);
    this.state.frameworks.get(rec.frameworkId)?.offers.delete(offerId);
    this.state.agents.get(rec.agentId)?.offers.delete(offerId);
    return rec;
  }

  /** RESCIND (if the framework is connected) and give the resources back to the allocator. */
  private rescindOffer(offerId: OfferId, notify: boolean): void {
    const rec = this.removeOffer(offerId);
    if (rec === undefined) return;
    const f = this.state.frameworks.get(rec.frameworkId);
    if (notify && f !== undefined) this.send(f, { type: 'RESCIND', rescind: { offer_id: { value: offerId } } });
    if (this.state.agents.has(rec.agentId)) {
      this.allocator.recoverResources(rec.frameworkId, rec.agentId, rec.resources, undefined, this.clock.now());
      this.scheduleAllocation([rec.agentId]);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // SchedulerEndpoint

  subscribe(call: SchedulerCall, sink: EventSink, streamId: StreamId, principal: string | undefined): SubscribeOutcome {
    this.count('master/messages_register_framework');
    const sub = call.subscribe;
    if (sub === undefined) return reject(400, "Expecting 'subscribe' to be present");
    const info = sub.framework_info;
    const invalid = validateFrameworkInfo(info);
    if (invalid !== undefined) return reject(400, invalid);
    if (principal !== undefined && info.principal !== undefined && principal !== info.principal) {
      return reject(400, `Authenticated principal '${principal}' does not match principal '${info.principal}' set in \`FrameworkInfo\``);
    }
    const roles = frameworkRoles(info);
    const suppressed = sub.suppressed_roles ?? [];
    const badSuppressed = validateSuppressedRoles(roles, suppressed);
    if (badSuppressed !== undefined) return reject(400, badSuppressed);
    const now = this.clock.now();
    const idValue = info.id?.value;
    if (idValue !== undefined && idValue !== '') {
      const id = asFrameworkId(idValue);
      if (this.state.completedFrameworks.has(id)) return reject(403, 'Framework has been removed');
      const existing = this.state.frameworks.get(id);
      if (existing !== undefined) {
        const bad = validateFrameworkUpdate(existing.info, info);
        if (bad !== undefined) return reject(400, bad);
        this.failover(existing, info, roles, suppressed, sink, streamId, now);
        return { ok: true, frameworkId: id };
      }
      this.addFramework(id, info, roles, suppressed, sink, streamId, now);
      return { ok: true, frameworkId: id };
    }
    const id = this.ids.frameworkId();
    this.addFramework(id, info, roles, suppressed, sink, streamId, now);
    return { ok: true, frameworkId: id };
  }

  private addFramework(id: FrameworkId, info: mesos.v1.FrameworkInfo, roles: string[], suppressed: readonly string[], sink: EventSink, streamId: StreamId, now: number): void {
    const f: FrameworkRecord = {
      id, info: { ...info, id: { value: id } }, roles, capabilities: new Set((info.capabilities ?? []).map((c) => c.type ?? 'UNKNOWN')),
      suppressedRoles: new Set(suppressed), sink, streamId, connected: true, active: true, recovered: false,
      registeredTime: now, reregisteredTime: undefined, unregisteredTime: undefined, failoverTimer: undefined,
      offers: new Set(), tasks: new Map(), unreachableTasks: new Map(), executors: new Map(),
    };
    this.state.frameworks.set(id, f);
    this.allocator.addFramework(id, this.description(f), new Map(), true);
    this.log.info({ frameworkId: id, name: info.name, roles }, 'framework subscribed');
    this.sendSubscribed(f);
    this.scheduleAllocation(this.state.agents.keys());
  }

  private failover(f: FrameworkRecord, info: mesos.v1.FrameworkInfo, roles: string[], suppressed: readonly string[], sink: EventSink, streamId: StreamId, now: number): void {
    if (f.sink !== undefined) {
      f.sink.send({ type: 'ERROR', error: { message: 'Framework failed over' } });
      f.sink.close();
    }
    if (f.failoverTimer) this.timers.clear(f.failoverTimer);
    f.failoverTimer = undefined;
    // Offers made to the old connection are withdrawn; the new one gets fresh offers.
    for (const offerId of [...f.offers]) this.rescindOffer(offerId, false);
    const wasRecovered = f.recovered;
    f.info = { ...info, id: { value: f.id } };
    f.roles = roles;
    f.capabilities = new Set((info.capabilities ?? []).map((c) => c.type ?? 'UNKNOWN'));
    f.suppressedRoles = new Set(suppressed);
    f.sink = sink;
    f.streamId = streamId;
    f.connected = true;
    f.active = true;
    f.recovered = false;
    if (wasRecovered) f.registeredTime = now;
    else f.reregisteredTime = now;
    this.allocator.updateFramework(f.id, this.description(f));
    this.allocator.activateFramework(f.id);
    this.log.info({ frameworkId: f.id }, 'framework re-subscribed');
    this.sendSubscribed(f);
    this.scheduleAllocation(this.state.agents.keys());
  }

  private sendSubscribed(f: FrameworkRecord): void {
    this.send(f, {
      type: 'SUBSCRIBED',
      subscribed: { framework_id: { value: f.id }, heartbeat_interval_seconds: this.heartbeatIntervalSeconds, master_info: this.masterInfo() },
    });
  }

  disconnected(frameworkId: FrameworkId, streamId: StreamId): void {
    const f = this.state.frameworks.get(frameworkId);
    if (f === undefined || f.streamId !== streamId) return;
    f.sink = undefined;
    f.streamId = undefined;
    f.connected = false;
    f.active = false;
    this.allocator.deactivateFramework(f.id);
    for (const offerId of [...f.offers]) this.rescindOffer(offerId, false);
    const timeoutMs = Math.max(0, (f.info.failover_timeout ?? 0) * 1000);
    this.log.info({ frameworkId, failoverTimeoutMs: timeoutMs }, 'framework disconnected');
    f.failoverTimer = this.timers.setTimeout(() => {
      f.failoverTimer = undefined;
      this.removeFramework(f, 'failover timeout');
    }, timeoutMs);
  }

  connection(frameworkId: FrameworkId): FrameworkConnection {
    const f = this.state.frameworks.get(frameworkId);
    if (f === undefined) return { kind: 'unknown' };
    if (f.connected && f.streamId !== undefined) return { kind: 'connected', streamId: f.streamId };
    return { kind: 'disconnected' };
  }

  call(frameworkId: FrameworkId, call: SchedulerCall): CallOutcome {
    const f = this.state.frameworks.get(frameworkId);
    if (f === undefined) return reject(404, 'Framework cannot be found');
    this.count(`master/messages_${(call.type ?? 'unknown').toLowerCase()}`);
    switch (call.type) {
      case 'TEARDOWN':
        this.removeFramework(f, 'teardown');
        return OK;
      case 'ACCEPT':
        return call.accept === undefined ? reject(400, "Expecting 'accept' to be present") : this.accept(f, call.accept);
      case 'DECLINE':
        if (call.decline === undefined) return reject(400, "Expecting 'decline' to be present");
        this.decline(f, call.decline.offer_ids ?? [], call.decline.filters);
        return OK;
      case 'REVIVE':
        return this.reviveOrSuppress(f, call.revive?.roles ?? [], 'revive');
      case 'SUPPRESS':
        return this.reviveOrSuppress(f, call.suppress?.roles ?? [], 'suppress');
      case 'KILL':
        if (call.kill === undefined) return reject(400, "Expecting 'kill' to be present");
        this.kill(f, call.kill);
        return OK;
      case 'SHUTDOWN':
        if (call.shutdown === undefined) return reject(400, "Expecting 'shutdown' to be present");
        this.shutdownExecutor(f, asAgentId(call.shutdown.agent_id.value), asExecutorId(call.shutdown.executor_id.value));
        return OK;
      case 'ACKNOWLEDGE':
        if (call.acknowledge === undefined) return reject(400, "Expecting 'acknowledge' to be present");
        this.acknowledge(f, call.acknowledge);
        return OK;
      case 'RECONCILE':
        if (call.reconcile === undefined) return reject(400, "Expecting 'reconcile' to be present");
        for (const status of this.reconcileStatuses(f, call.reconcile.tasks ?? [])) this.update(f, status);
        return OK;
      case 'MESSAGE': {
        if (call.message === undefined) return reject(400, "Expecting 'message' to be present");
        const m = call.message;
        const agentId = asAgentId(m.agent_id.value);
        if (!this.state.agents.has(agentId)) {
          this.log.warn({ frameworkId: f.id, agentId }, 'dropping framework message for an unknown agent');
          return OK;
        }
        this.sendAgent(agentId, { framework_to_executor: { agent_id: m.agent_id, framework_id: { value: f.id }, executor_id: m.executor_id, data: m.data } });
        return OK;
      }
      case 'REQUEST':
        return OK;
      case 'UPDATE_FRAMEWORK':
        if (call.update_framework === undefined) return reject(400, "Expecting 'update_framework' to be present");
        return this.updateFramework(f, call.update_framework.framework_info, call.update_framework.suppressed_roles ?? []);
      case 'ACCEPT_INVERSE_OFFERS':
      case 'DECLINE_INVERSE_OFFERS':
      case 'ACKNOWLEDGE_OPERATION_STATUS':
      case 'RECONCILE_OPERATIONS':
        return OK;
      default:
        return reject(400, `Unsupported call type ${call.type ?? 'UNKNOWN'}`);
    }
  }

  private decline(f: FrameworkRecord, offerIds: readonly mesos.v1.OfferID[], filters: mesos.v1.Filters | undefined): void {
    const now = this.clock.now();
    for (const { value } of offerIds) {
      const rec = this.state.offers.get(asOfferId(value));
      if (rec === undefined || rec.frameworkId !== f.id) {
        this.log.debug({ frameworkId: f.id, offerId: value }, 'ignoring decline of an unknown offer');
        continue;
      }
      this.removeOffer(rec.offer.id.value as OfferId);
      this.allocator.recoverResources(f.id, rec.agentId, rec.resources, { refuseSeconds: filters?.refuse_seconds ?? 5 }, now);
      this.scheduleAllocation([rec.agentId]);
    }
  }

  private reviveOrSuppress(f: FrameworkRecord, roles: readonly string[], what: 'revive' | 'suppress'): CallOutcome {
    const unknown = roles.find((r) => !f.roles.includes(r));
    if (unknown !== undefined) {
      return reject(400, `Framework '${f.id}' cannot ${what} offers for role '${unknown}' as it is not subscribed to it`);
    }
    const target = roles.length === 0 ? f.roles : [...roles];
    if (what === 'revive') {
      for (const r of target) f.suppressedRoles.delete(r);
      this.allocator.reviveOffers(f.id, target);
      this.scheduleAllocation(this.state.agents.keys());
    } else {
      for (const r of target) f.suppressedRoles.add(r);
      this.allocator.suppressOffers(f.id, target);
    }
    return OK;
  }

  private updateFramework(f: FrameworkRecord, info: mesos.v1.FrameworkInfo, suppressed: readonly string[]): CallOutcome {
    if (info.id?.value !== f.id) return reject(400, "'framework_id' differs from 'update_framework.framework_info.id'");
    const bad = validateFrameworkUpdate(f.info, info);
    if (bad !== undefined) return reject(400, bad);
    const roles = frameworkRoles(info);
    const badSuppressed = validateSuppressedRoles(roles, suppressed);
    if (badSuppressed !== undefined) return reject(400, badSuppressed);
    const removedRoles = new Set(f.roles.filter((r) => !roles.includes(r)));
    f.info = { ...info, id: { value: f.id } };
    f.roles = roles;
    f.capabilities = new Set((info.capabilities ?? []).map((c) => c.type ?? 'UNKNOWN'));
    f.suppressedRoles = new Set(suppressed);
    for (const offerId of [...f.offers]) {
      const rec = this.state.offers.get(offerId);
      if (rec !== undefined && removedRoles.has(rec.role)) this.rescindOffer(offerId, true);
    }
    this.allocator.updateFramework(f.id, this.description(f));
    const agentsWithExecutors = new Set(f.executors.keys());
    for (const t of f.tasks.values()) agentsWithExecutors.add(t.agentId);
    for (const agentId of agentsWithExecutors) this.sendAgent(agentId, { update_framework: { framework_info: f.info } });
    this.scheduleAllocation(this.state.agents.keys());
    return OK;
  }

  // ---------------------------------------------------------------------------------------------
  // ACCEPT

  private accept(f: FrameworkRecord, accept: mesos.v1.scheduler.Call.Accept): CallOutcome {
    const operations = accept.operations ?? [];
    const offerIds = (accept.offer_ids ?? []).map((o) => asOfferId(o.value));
    const offerError = this.validateOffers(f, offerIds);
    if (offerError !== undefined) {
      const unsupported = operations.find((op) => ['CREATE', 'DESTROY', 'GROW_VOLUME', 'SHRINK_VOLUME', 'CREATE_DISK', 'DESTROY_DISK'].includes(op.type ?? ''));
      if (unsupported !== undefined) return reject(400, `Invalid ${unsupported.type} Operation: persistent volumes are not supported yet`);
      this.dropLaunches(f, operations, offerError, offerIds);
      return OK;
    }
    const offers = offerIds.map((id) => this.state.offers.get(id)!);
    const agentId = offers[0].agentId;
    const offered = offers.reduce((acc, o) => acc.plus(o.resources), Resources.empty);
    const activeTaskIds = new Set<string>();
    for (const t of f.tasks.values()) if (!isTerminal(t.task.state)) activeTaskIds.add(t.task.task_id.value);
    const plan = planAccept({
      frameworkId: f.id,
      frameworkRoles: f.roles,
      principal: f.info.principal,
      agentId,
      offerRoles: [...new Set(offers.map((o) => o.role))],
      offered,
      activeTaskIds,
      agentExecutorIds: new Set(f.executors.get(agentId)?.keys() ?? []),
    }, operations);
    if (!plan.ok) return reject(400, plan.message);
    for (const id of offerIds) this.removeOffer(id);
    for (const step of plan.steps) this.applyStep(f, agentId, step);
    const now = this.clock.now();
    if (!plan.remaining.isEmpty()) {
      this.allocator.recoverResources(f.id, agentId, plan.remaining, { refuseSeconds: accept.filters?.refuse_seconds ?? 5 }, now);
    }
    this.scheduleAllocation([agentId]);
    return OK;
  }

  /** Mesos offer validation, in its order; undefined when the offers can be used together. */
  private validateOffers(f: FrameworkRecord, offerIds: readonly OfferId[]): string | undefined {
    if (offerIds.length === 0) return 'No offers specified';
    const seen = new Set<string>();
    for (const id of offerIds) {
      if (seen.has(id)) return `Duplicate offer ${id} in offer list`;
      seen.add(id);
    }
    let first: OfferRecord | undefined;
    for (const id of offerIds) {
      const rec = this.state.offers.get(id);
      if (rec === undefined) return `Offer ${id} is no longer valid`;
      if (rec.frameworkId !== f.id) return `Offer ${id} has invalid framework ${rec.frameworkId} while framework ${f.id} is expected`;
      if (first === undefined) first = rec;
      else if (rec.agentId !== first.agentId) {
        return `Aggregated offers must belong to one single agent. Offer ${id} uses agent ${rec.agentId} and offer ${first.offer.id.value} uses agent ${first.agentId}`;
      }
      const agent = this.state.agents.get(rec.agentId);
      if (agent === undefined || !agent.active) return `Offer ${id} uses unknown or deactivated agent ${rec.agentId}`;
    }
    return undefined;
  }

  /** Invalid offers: every task to launch is dropped (Mesos answers this way, the call itself succeeds). */
  private dropLaunches(f: FrameworkRecord, operations: readonly mesos.v1.Offer.Operation[], message: string, offerIds: readonly OfferId[]): void {
    const now = this.clock.now();
    for (const id of offerIds) {
      const rec = this.state.offers.get(id);
      if (rec === undefined || rec.frameworkId !== f.id) continue;
      this.removeOffer(id);
      this.allocator.recoverResources(f.id, rec.agentId, rec.resources, undefined, now);
      this.scheduleAllocation([rec.agentId]);
    }
    const state: TaskState = this.partitionAware(f) ? 'TASK_DROPPED' : 'TASK_LOST';
    for (const op of operations) {
      const tasks = op.type === 'LAUNCH' ? op.launch?.task_infos ?? [] : op.type === 'LAUNCH_GROUP' ? op.launch_group?.task_group.tasks ?? [] : [];
      for (const task of tasks) {
        this.update(f, masterStatus({ taskId: task.task_id.value, state, reason: 'REASON_INVALID_OFFERS', message, agentId: task.agent_id.value, timestamp: now / 1000 }));
      }
    }
  }

  private applyStep(f: FrameworkRecord, agentId: AgentId, step: AcceptStep): void {
    const agent = this.state.agents.get(agentId)!;
    switch (step.kind) {
      case 'reserve':
      case 'unreserve': {
        this.allocator.updateAllocation(f.id, agentId, step.from, step.to);
        agent.total = agent.total.minus(step.from.unallocate()).plus(step.to.unallocate());
        this.allocator.updateAgentTotal(agentId, agent.total);
        const checkpointed = agent.total.filter((r) => r.reservations.some((x) => x.type === 'DYNAMIC'));
        this.sendAgent(agentId, { checkpoint_resources: { resources: resourcesToWire(checkpointed) } });
        return;
      }
      case 'task_error':
        this.count('master/tasks_error');
        this.count('master/invalid_status_updates', 0);
        this.update(f, masterStatus({
          taskId: step.task.task_id.value, state: 'TASK_ERROR', reason: step.reason, message: step.message,
          agentId: step.task.agent_id.value, timestamp: this.nowSecs(),
        }));
        return;
      case 'launch': {
        if (step.executor !== undefined && step.executorResources !== undefined) {
          this.addExecutor(f, agentId, step.executor, step.executorResources);
        }
        this.addTask(f, agentId, step.task, step.role, step.taskResources, step.executor?.executor_id.value);
        const run: maestro.agent.RunTask = { framework: f.info, task: step.task };
        if (step.executor !== undefined) run.executor = step.executor;
        this.sendAgent(agentId, { run_task: run });
        return;
      }
      case 'launch_group': {
        if (step.executorResources !== undefined) this.addExecutor(f, agentId, step.executor, step.executorResources);
        for (const t of step.tasks) this.addTask(f, agentId, t.task, step.role, t.resources, step.executor.executor_id.value);
        this.sendAgent(agentId, { run_task_group: { framework: f.info, executor: step.executor, task_group: { tasks: step.tasks.map((t) => t.task) } } });
        return;
      }
    }
  }

  private addExecutor(f: FrameworkRecord, agentId: AgentId, info: mesos.v1.ExecutorInfo, resources: Resources): void {
    let map = f.executors.get(agentId);
    if (map === undefined) f.executors.set(agentId, (map = new Map()));
    map.set(asExecutorId(info.executor_id.value), { info, frameworkId: f.id, agentId, resources });
  }

  private addTask(f: FrameworkRecord, agentId: AgentId, info: mesos.v1.TaskInfo, role: string, resources: Resources, executorId: string | undefined): void {
    const task: mesos.v1.Task = {
      name: info.name,
      task_id: info.task_id,
      framework_id: { value: f.id },
      agent_id: { value: agentId },
      state: 'TASK_STAGING',
      resources: resourcesToWire(resources),
      statuses: [],
    };
    if (executorId !== undefined) task.executor_id = { value: executorId };
    if (info.labels !== undefined) task.labels = info.labels;
    if (info.discovery !== undefined) task.discovery = info.discovery;
    if (info.container !== undefined) task.container = info.container;
    if (info.health_check !== undefined) task.health_check = info.health_check;
    if (info.kill_policy !== undefined) task.kill_policy = info.kill_policy;
    if (f.info.user !== undefined) task.user = f.info.user;
    f.tasks.set(asTaskId(info.task_id.value), { task, frameworkId: f.id, agentId, role, resources });
    this.count('master/tasks_launched');
  }

  // ---------------------------------------------------------------------------------------------
  // Tasks: kill, shutdown, acknowledge, reconcile

  private kill(f: FrameworkRecord, kill: mesos.v1.scheduler.Call.Kill): void {
    const taskId = asTaskId(kill.task_id.value);
    const t = f.tasks.get(taskId);
    if (t === undefined || isTerminal(t.task.state)) {
      const query = kill.agent_id === undefined ? { task_id: kill.task_id } : { task_id: kill.task_id, agent_id: kill.agent_id };
      for (const status of this.reconcileStatuses(f, [query])) this.update(f, status);
      return;
    }
    const killTask: maestro.agent.KillTask = { framework_id: { value: f.id }, task_id: kill.task_id };
    const policy = kill.kill_policy ?? t.task.kill_policy;
    if (policy !== undefined) killTask.kill_policy = policy;
    this.sendAgent(t.agentId, { kill_task: killTask });
  }

  /** SHUTDOWN of an executor: the agent protocol has no executor shutdown yet, so its tasks are killed. */
  private shutdownExecutor(f: FrameworkRecord, agentId: AgentId, executorId: ExecutorId): void {
    for (const t of f.tasks.values()) {
      if (t.agentId === agentId && t.task.executor_id?.value === executorId && !isTerminal(t.task.state)) {
        this.sendAgent(agentId, { kill_task: { framework_id: { value: f.id }, task_id: t.task.task_id } });
      }
    }
  }

  private acknowledge(f: FrameworkRecord, ack: mesos.v1.scheduler.Call.Acknowledge): void {
    const agentId = asAgentId(ack.agent_id.value);
    const taskId = asTaskId(ack.task_id.value);
    const t = f.tasks.get(taskId);
    if (!this.state.agents.has(agentId)) {
      this.log.info({ frameworkId: f.id, agentId, taskId }, 'dropping acknowledgement for an unknown agent');
      return;
    }
    if (t === undefined) {
      this.log.info({ frameworkId: f.id, agentId, taskId }, 'dropping acknowledgement for an unknown task');
      return;
    }
    this.sendAgent(agentId, { status_update_acknowledgement: { agent_id: ack.agent_id, framework_id: { value: f.id }, task_id: ack.task_id, uuid: ack.uuid } });
    if (isTerminal(t.task.state) && t.lastUpdateUuid === ack.uuid) this.completeTask(f, t);
  }

  private completeTask(f: FrameworkRecord, t: TaskRecord): void {
    f.tasks.delete(asTaskId(t.task.task_id.value));
    f.unreachableTasks.delete(asTaskId(t.task.task_id.value));
    this.state.completedTasks.push(t);
    const max = this.config.maxCompletedTasks ?? 1000;
    if (this.state.completedTasks.length > max) this.state.completedTasks.splice(0, this.state.completedTasks.length - max);
  }

  private reconcileStatuses(f: FrameworkRecord, queries: readonly mesos.v1.scheduler.Call.Reconcile.Task[]): mesos.v1.TaskStatus[] {
    const view = (t: TaskRecord): ReconcileTaskView => {
      const latest = t.task.statuses?.[t.task.statuses.length - 1];
      return { taskId: t.task.task_id.value, agentId: t.agentId, executorId: t.task.executor_id?.value, state: t.task.state, healthy: latest?.healthy };
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
      agentStatus: (id) => (this.state.agents.has(asAgentId(id)) ? 'registered' : this.state.unreachableAgents.has(asAgentId(id)) ? 'unreachable' : 'unknown'),
      unreachableSinceMs: (id) => this.state.unreachableAgents.get(asAgentId(id))?.since,
      now: this.nowSecs(),
    }, queries);
  }

  // ---------------------------------------------------------------------------------------------
  // Framework removal

  private removeFramework(f: FrameworkRecord, why: string): void {
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
    this.log.info({ frameworkId: f.id, why }, 'framework removed');
    this.scheduleAllocation(agents);
  }

  // ---------------------------------------------------------------------------------------------
  // Agents

  /** One decoded agent-protocol message from `connection`. */
  agentMessage(connection: AgentConnection, envelope: Envelope): void {
    if (this.stopped) return;
    if (envelope.register_agent !== undefined) return this.registerAgent(connection, envelope.register_agent);
    if (envelope.reregister_agent !== undefined) return this.reregisterAgent(connection, envelope.reregister_agent);
    const agentId = this.connectionAgents.get(connection);
    const agent = agentId === undefined ? undefined : this.state.agents.get(agentId);
    if (agentId === undefined || agent === undefined) {
      connection.send({ registration_refused: { message: 'Agent is not registered: send RegisterAgent or ReregisterAgent first' } });
      connection.close('not registered');
      return;
    }
    if (envelope.pong !== undefined) {
      agent.lastPong = Math.max(agent.lastPong, envelope.pong.sequence);
      return;
    }
    if (envelope.status_update !== undefined) return this.statusUpdate(agent, envelope.status_update);
    if (envelope.executor_to_framework !== undefined) {
      const m = envelope.executor_to_framework;
      const f = this.state.frameworks.get(asFrameworkId(m.framework_id.value));
      this.count('master/messages_executor_to_framework');
      if (f !== undefined) this.send(f, { type: 'MESSAGE', message: { agent_id: m.agent_id, executor_id: m.executor_id, data: m.data } });
      return;
    }
    this.log.warn({ agentId, connection: connection.id, message: Object.keys(envelope)[0] }, 'ignoring unexpected agent message');
  }

  /** The connection closed. Only the agent's current connection counts. */
  agentDisconnected(connection: AgentConnection): void {
    if (this.stopped) return;
    const agentId = this.connectionAgents.get(connection);
    this.connectionAgents.delete(connection);
    if (agentId === undefined || this.connections.get(agentId) !== connection) return;
    this.connections.delete(agentId);
    const agent = this.state.agents.get(agentId);
    if (agent === undefined) return;
    agent.connected = false;
    agent.active = false;
    agent.disconnectedAt = this.clock.now();
    this.allocator.deactivateAgent(agentId);
    for (const offerId of [...agent.offers]) this.rescindOffer(offerId, true);
    this.log.info({ agentId }, 'agent disconnected');
  }

  private refuse(connection: AgentConnection, message: string): void {
    this.log.warn({ connection: connection.id, message }, 'agent registration refused');
    connection.send({ registration_refused: { message } });
    connection.close(message);
  }

  private checkRegistration(connection: AgentConnection, info: mesos.v1.AgentInfo | undefined, token: string | undefined): Resources | undefined {
    if (this.config.agentToken !== undefined && token !== this.config.agentToken) {
      this.refuse(connection, 'Agent registration token is missing or wrong');
      return undefined;
    }
    if (info === undefined || info.hostname === undefined || info.hostname === '') {
      this.refuse(connection, "Agent registration is missing 'agent_info.hostname'");
      return undefined;
    }
    try {
      return resourcesFromWire(info.resources ?? []);
    } catch (e) {
      this.refuse(connection, `Agent registration has invalid resources: ${(e as Error).message}`);
      return undefined;
    }
  }

  private bind(agentId: AgentId, connection: AgentConnection): void {
    const old = this.connections.get(agentId);
    if (old !== undefined && old !== connection) {
      this.connectionAgents.delete(old);
      old.close('a newer connection of the same agent took over');
    }
    this.connections.set(agentId, connection);
    this.connectionAgents.set(connection, agentId);
  }

  private agentDescription(info: mesos.v1.AgentInfo) {
    const attributes: Record<string, string> = {};
    for (const a of info.attributes ?? []) {
      if (a.text !== undefined) attributes[a.name] = a.text.value;
      else if (a.scalar !== undefined) attributes[a.name] = String(a.scalar.value);
      else if (a.ranges !== undefined) attributes[a.name] = `[${(a.ranges.range ?? []).map((r) => `${r.begin}-${r.end}`).join(',')}]`;
      else if (a.set !== undefined) attributes[a.name] = `{${(a.set.item ?? []).join(',')}}`;
    }
    const fd = info.domain?.fault_domain;
    return { hostname: info.hostname, attributes, region: fd?.region.name, zone: fd?.zone.name };
  }

  private registerAgent(connection: AgentConnection, msg: maestro.agent.RegisterAgent): void {
    this.count('master/messages_register_slave');
    // A connection registers once; registering again on it starts over as a new agent.
    if (this.connectionAgents.has(connection)) this.agentDisconnected(connection);
    const total = this.checkRegistration(connection, msg.agent_info, msg.token);
    if (total === undefined) return;
    const id = this.ids.agentId();
    const now = this.clock.now();
    const info: mesos.v1.AgentInfo = { ...msg.agent_info, id: { value: id } };
    const agent: AgentRecord = {
      id, info, version: msg.version, capabilities: msg.capabilities ?? [], endpoint: msg.endpoint, total,
      connected: true, active: true, registeredTime: now, reregisteredTime: undefined, disconnectedAt: undefined,
      pingSequence: 0, lastPong: 0, missedPings: 0, offers: new Set(),
    };
    this.state.agents.set(id, agent);
    this.bind(id, connection);
    this.allocator.addAgent(id, this.agentDescription(info), total, new Map());
    this.log.info({ agentId: id, hostname: info.hostname, resources: total.toString() }, 'agent registered');
    connection.send({ agent_registered: { agent_id: { value: id }, master_info: this.masterInfo(), ping_interval_seconds: this.config.agentPingTimeoutMs / 1000 } });
    this.startPinging(agent);
    this.scheduleAllocation([id]);
  }

  private reregisterAgent(connection: AgentConnection, msg: maestro.agent.ReregisterAgent): void {
    this.count('master/messages_reregister_slave');
    const bound = this.connectionAgents.get(connection);
    if (bound !== undefined && bound !== msg.agent_info?.id?.value) this.agentDisconnected(connection);
    const idValue = msg.agent_info?.id?.value;
    if (idValue === undefined || idValue === '') {
      this.refuse(connection, "Agent re-registration is missing 'agent_info.id'");
      return;
    }
    const total = this.checkRegistration(connection, msg.agent_info, msg.token);
    if (total === undefined) return;
    const id = asAgentId(idValue);
    const now = this.clock.now();
    const known = this.state.agents.get(id);
    const wasUnreachable = this.state.unreachableAgents.has(id);
    const shutdown = new Set<FrameworkId>();
    const info: mesos.v1.AgentInfo = { ...msg.agent_info, id: { value: id } };

    if (known !== undefined) {
      known.info = info;
      known.version = msg.version;
      known.capabilities = msg.capabilities ?? [];
      known.endpoint = msg.endpoint;
      known.connected = true;
      known.active = true;
      known.disconnectedAt = undefined;
      known.reregisteredTime = now;
      known.missedPings = 0;
      this.bind(id, connection);
      if (!known.total.equals(total)) {
        known.total = total;
        this.allocator.updateAgentTotal(id, total);
      }
      for (const task of msg.tasks ?? []) {
        const fid = asFrameworkId(task.framework_id.value);
        if (this.state.completedFrameworks.has(fid)) shutdown.add(fid);
      }
      this.allocator.activateAgent(id);
    } else {
      this.state.unreachableAgents.delete(id);
      const used = this.adoptAgentTasks(id, msg, wasUnreachable, shutdown);
      const agent: AgentRecord = {
        id, info, version: msg.version, capabilities: msg.capabilities ?? [], endpoint: msg.endpoint, total,
        connected: true, active: true, registeredTime: now, reregisteredTime: now, disconnectedAt: undefined,
        pingSequence: 0, lastPong: 0, missedPings: 0, offers: new Set(),
      };
      this.state.agents.set(id, agent);
      this.bind(id, connection);
      this.allocator.addAgent(id, this.agentDescription(info), total, used);
      this.startPinging(agent);
    }
    this.log.info({ agentId: id, hostname: info.hostname, wasUnreachable, shutdownFrameworks: [...shutdown] }, 'agent re-registered');
    connection.send({
      agent_reregistered: {
        agent_id: { value: id }, master_info: this.masterInfo(), ping_interval_seconds: this.config.agentPingTimeoutMs / 1000,
        shutdown_frameworks: [...shutdown].map((value) => ({ value })),
      },
    });
    for (const fid of shutdown) connection.send({ shutdown_framework: { framework_id: { value: fid } } });
    this.scheduleAllocation([id]);
  }

  /**
   * The tasks a re-registering agent (unknown to this master, or back from unreachable) runs:
   * tasks of removed frameworks, and of non-partition-aware frameworks after a partition, are
   * shut down; frameworks this master does not know become "recovered"; the rest are adopted with
   * the state the agent reports. Returns what they use, per framework, for the allocator.
   */
  private adoptAgentTasks(agentId: AgentId, msg: maestro.agent.ReregisterAgent, wasUnreachable: boolean, shutdown: Set<FrameworkId>): Map<FrameworkId, Resources> {
    const used = new Map<FrameworkId, Resources>();
    const infos = new Map<string, mesos.v1.FrameworkInfo>();
    for (const fi of msg.frameworks ?? []) if (fi.id?.value !== undefined) infos.set(fi.id.value, fi);
    const addUsed = (fid: FrameworkId, r: Resources) => used.set(fid, (used.get(fid) ?? Resources.empty).plus(r));
    for (const task of msg.tasks ?? []) {
      const fid = asFrameworkId(task.framework_id.value);
      if (this.state.completedFrameworks.has(fid)) { shutdown.add(fid); continue; }
      let f = this.state.frameworks.get(fid);
      if (f !== undefined && wasUnreachable && !this.partitionAware(f)) { shutdown.add(fid); continue; }
      if (f === undefined) {
        const fi = infos.get(fid);
        if (fi === undefined) { shutdown.add(fid); continue; }
        f = this.recoverFramework(fid, fi);
      }
      const taskId = asTaskId(task.task_id.value);
      const role = task.resources?.find((r) => r.allocation_info?.role !== undefined)?.allocation_info?.role ?? f.roles[0] ?? '*';
      let resources: Resources;
      try {
        resources = resourcesFromWire(task.resources ?? []).allocate(role);
      } catch (e) {
        this.log.warn({ agentId, taskId, error: (e as Error).message }, 'ignoring a re-registered task with invalid resources');
        continue;
      }
      f.unreachableTasks.delete(taskId);
      const rec: TaskRecord = { task: { ...task, agent_id: { value: agentId } }, frameworkId: fid, agentId, role, resources };
      f.tasks.set(taskId, rec);
      if (!isTerminal(task.state)) addUsed(fid, resources);
    }
    for (const e of msg.executors ?? []) {
      const fid = asFrameworkId(e.framework_id?.value ?? '');
      const f = this.state.frameworks.get(fid);
      if (f === undefined || shutdown.has(fid)) continue;
      const role = f.roles[0] ?? '*';
      try {
        const resources = resourcesFromWire(e.resources ?? []).allocate(role);
        this.addExecutor(f, agentId, e, resources);
        addUsed(fid, resources);
      } catch (err) {
        this.log.warn({ agentId, executorId: e.executor_id.value, error: (err as Error).message }, 'ignoring a re-registered executor with invalid resources');
      }
    }
    return used;
  }

  private recoverFramework(id: FrameworkId, info: mesos.v1.FrameworkInfo): FrameworkRecord {
    const roles = frameworkRoles(info);
    const f: FrameworkRecord = {
      id, info: { ...info, id: { value: id } }, roles, capabilities: new Set((info.capabilities ?? []).map((c) => c.type ?? 'UNKNOWN')),
      suppressedRoles: new Set(), sink: undefined, streamId: undefined, connected: false, active: false, recovered: true,
      registeredTime: undefined, reregisteredTime: undefined, unregisteredTime: undefined, failoverTimer: undefined,
      offers: new Set(), tasks: new Map(), unreachableTasks: new Map(), executors: new Map(),
    };
    this.state.frameworks.set(id, f);
    // Inactive until it re-subscribes; what it uses is charged by the agent's addAgent.
    this.allocator.addFramework(id, this.description(f), new Map(), false);
    this.log.info({ frameworkId: id }, 'recovered framework from a re-registering agent');
    return f;
  }

  private startPinging(agent: AgentRecord): void {
    const old = this.pingTimers.get(agent.id);
    if (old) this.timers.clear(old);
    agent.missedPings = 0;
    const ping = () => {
      agent.pingSequence += 1;
      this.sendAgent(agent.id, { ping: { sequence: agent.pingSequence } });
    };
    ping();
    this.pingTimers.set(agent.id, this.timers.setInterval(() => {
      agent.missedPings = agent.lastPong >= agent.pingSequence ? 0 : agent.missedPings + 1;
      if (agent.missedPings >= this.config.maxAgentPingTimeouts) {
        this.markUnreachable(agent, agent.connected ? 'health check timed out' : 'agent disconnected and did not return');
        return;
      }
      ping();
    }, this.config.agentPingTimeoutMs));
  }

  /** The agent missed too many pings: it leaves the cluster until it re-registers. */
  private markUnreachable(agent: AgentRecord, why: string): void {
    const id = agent.id;
    const timer = this.pingTimers.get(id);
    if (timer) this.timers.clear(timer);
    this.pingTimers.delete(id);
    const nowMs = this.clock.now();
    for (const offerId of [...agent.offers]) this.removeOfferWithRescind(offerId);
    this.allocator.removeAgent(id);
    const message = `Agent ${agent.info.hostname} is unreachable: ${why}`;
    for (const f of this.state.frameworks.values()) {
      const pa = this.partitionAware(f);
      for (const t of [...f.tasks.values()]) {
        if (t.agentId !== id) continue;
        if (isTerminal(t.task.state)) { this.completeTask(f, t); continue; }
        const state: TaskState = pa ? 'TASK_UNREACHABLE' : 'TASK_LOST';
        const status = masterStatus({
          taskId: t.task.task_id.value, state, reason: 'REASON_AGENT_REMOVED', message, agentId: id,
          executorId: t.task.executor_id?.value, timestamp: nowMs / 1000, unreachableSinceMs: nowMs,
        });
        this.setTaskState(t, status, state);
        if (pa) {
          f.tasks.delete(asTaskId(t.task.task_id.value));
          f.unreachableTasks.set(asTaskId(t.task.task_id.value), t);
        } else {
          this.completeTask(f, t);
        }
        this.update(f, status);
      }
      f.executors.delete(id);
      // Mesos' "agent lost" callback: a FAILURE event naming only the agent.
      this.send(f, { type: 'FAILURE', failure: { agent_id: { value: id } } });
    }
    this.count('master/slave_removals');
    this.count('master/slave_removals/reason_unhealthy');
    this.state.agents.delete(id);
    this.state.unreachableAgents.set(id, { info: agent.info, since: nowMs });
    const conn = this.connections.get(id);
    if (conn !== undefined) {
      this.connections.delete(id);
      this.connectionAgents.delete(conn);
      conn.close('marked unreachable');
    }
    this.log.warn({ agentId: id, why }, 'agent marked unreachable');
  }

  private removeOfferWithRescind(offerId: OfferId): void {
    const rec = this.removeOffer(offerId);
    if (rec === undefined) return;
    const f = this.state.frameworks.get(rec.frameworkId);
    if (f !== undefined) this.send(f, { type: 'RESCIND', rescind: { offer_id: { value: offerId } } });
  }

  // ---------------------------------------------------------------------------------------------
  // Status updates

  private setTaskState(t: TaskRecord, status: mesos.v1.TaskStatus, state: TaskState): void {
    const wasTerminal = isTerminal(t.task.state);
    t.task.state = state;
    t.task.statuses = [...(t.task.statuses ?? []), status].slice(-16);
    if (!wasTerminal && isTerminal(state)) this.count(`master/tasks_${state.slice('TASK_'.length).toLowerCase()}`);
  }

  private statusUpdate(agent: AgentRecord, msg: maestro.agent.StatusUpdate): void {
    this.count('master/messages_status_update');
    const status: mesos.v1.TaskStatus = { ...msg.status, agent_id: msg.status.agent_id ?? { value: agent.id } };
    const fid = asFrameworkId(msg.framework_id.value);
    const f = this.state.frameworks.get(fid);
    if (f === undefined) {
      if (this.state.completedFrameworks.has(fid)) this.sendAgent(agent.id, { shutdown_framework: { framework_id: { value: fid } } });
      this.log.info({ agentId: agent.id, frameworkId: fid }, 'dropping status update of an unknown framework');
      return;
    }
    const taskId = asTaskId(status.task_id.value);
    const t = f.tasks.get(taskId) ?? f.unreachableTasks.get(taskId);
    if (t === undefined) {
      // Mesos forwards updates of tasks it does not know (e.g. after a failover); so do we.
      this.update(f, status);
      return;
    }
    if (status.uuid !== undefined && status.uuid === t.lastUpdateUuid) {
      this.update(f, status);
      return;
    }
    const latest = msg.latest_state ?? status.state;
    const moved = transition(t.task.state, latest);
    if (!moved.ok) {
      this.count('master/invalid_status_updates');
      this.log.warn({ agentId: agent.id, frameworkId: fid, taskId, reason: moved.reason }, 'rejecting an illegal status update');
      if (status.uuid !== undefined) {
        this.sendAgent(agent.id, { status_update_acknowledgement: { agent_id: { value: agent.id }, framework_id: { value: fid }, task_id: status.task_id, uuid: status.uuid } });
      }
      return;
    }
    if (f.unreachableTasks.has(taskId)) {
      f.unreachableTasks.delete(taskId);
      f.tasks.set(taskId, t);
    }
    const wasTerminal = isTerminal(t.task.state);
    this.count('master/valid_status_updates');
    this.setTaskState(t, status, moved.state);
    t.task.status_update_state = status.state;
    if (status.uuid !== undefined) {
      t.task.status_update_uuid = status.uuid;
      t.lastUpdateUuid = status.uuid;
    }
    if (!wasTerminal && isTerminal(moved.state)) this.releaseTask(f, t);
    this.update(f, status);
    if (status.uuid === undefined && isTerminal(moved.state)) this.completeTask(f, t);
  }

  /** A task reached a terminal state: its resources go back at once (and its executor's, when it was the last task). */
  private releaseTask(f: FrameworkRecord, t: TaskRecord): void {
    if (!this.state.agents.has(t.agentId)) return;
    const now = this.clock.now();
    this.allocator.recoverResources(f.id, t.agentId, t.resources, undefined, now);
    const executorId = t.task.executor_id?.value;
    if (executorId !== undefined) {
      const others = [...f.tasks.values()].some((o) => o !== t && o.agentId === t.agentId && o.task.executor_id?.value === executorId && !isTerminal(o.task.state));
      const e = f.executors.get(t.agentId)?.get(asExecutorId(executorId));
      if (!others && e !== undefined) {
        f.executors.get(t.agentId)!.delete(asExecutorId(executorId));
        this.allocator.recoverResources(f.id, t.agentId, e.resources, undefined, now);
      }
    }
    this.scheduleAllocation([t.agentId]);
  }

  // ---------------------------------------------------------------------------------------------
  // OperatorEndpoint

  startTime(): number {
    return this.started / 1000;
  }

  electedTime(): number | undefined {
    return this.started / 1000;
  }

  flags(): Readonly<Record<string, string>> {
    return this.config.flags;
  }

  private views(): MasterViews {
    return buildViews(this.state, {
      weights: this.weights,
      quotas: this.quotas,
      now: this.clock.now(),
    });
  }

  metrics(): Readonly<Record<string, number>> {
    return computeMetrics(this.state, this.counters, { uptimeSecs: (this.clock.now() - this.started) / 1000, elected: true });
  }

  getState() { return this.views().getState(); }
  getAgents() { return this.views().getAgents(); }
  getFrameworks() { return this.views().getFrameworks(); }
  getTasks() { return this.views().getTasks(); }
  getExecutors() { return this.views().getExecutors(); }
  getRoles() { return this.views().getRoles(); }
  getWeights() { return this.views().getWeights(); }
  getQuota() { return this.views().getQuota(); }

  updateWeights(weights: readonly mesos.v1.WeightInfo[]): CallOutcome {
    for (const w of weights) {
      const role = w.role ?? '*';
      const err = validateRole(role);
      if (err !== undefined) return reject(400, err);
      if (!(w.weight > 0)) return reject(400, `Invalid weight '${w.weight}' for role '${role}': weights must be positive`);
    }
    for (const w of weights) this.weights.set(w.role ?? '*', w.weight);
    this.allocator.updateWeights(this.weights);
    return OK;
  }

  updateQuota(configs: readonly { role: string; guarantees: Readonly<Record<string, number>>; limits: Readonly<Record<string, number>> }[]): CallOutcome {
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
      const empty = Object.keys(c.guarantees).length === 0 && Object.keys(c.limits).length === 0;
      if (empty) {
        this.quotas.delete(c.role);
        this.allocator.updateQuota(c.role, undefined);
      } else {
        const q = { guarantees: { ...c.guarantees }, limits: { ...c.limits } };
        this.quotas.set(c.role, q);
        this.allocator.updateQuota(c.role, q satisfies Quota);
      }
    }
    this.scheduleAllocation(this.state.agents.keys());
    return OK;
  }

  teardown(frameworkId: string): CallOutcome {
    const f = this.state.frameworks.get(asFrameworkId(frameworkId));
    if (f === undefined) return reject(400, `No framework found with specified ID`);
    this.removeFramework(f, 'operator teardown');
    return OK;
  }

  /** Read-only: the executors of a framework on an agent (for tests and views). */
  executorsOf(frameworkId: FrameworkId, agentId: AgentId): readonly ExecutorRecord[] {
    return [...(this.state.frameworks.get(frameworkId)?.executors.get(agentId)?.values() ?? [])];
  }
}
