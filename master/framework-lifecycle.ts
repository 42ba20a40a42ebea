/**
 * Framework subscription lifecycle: SUBSCRIBE (new, failover of a known framework, or a framework
 * this master does not know, accepted with its id as Mesos does after a master failover), the
 * stream going away (deactivation and the failover timer), UPDATE_FRAMEWORK, and "recovered"
 * frameworks learnt from re-registering agents. Validation first, so a rejected call changes
 * nothing.
 */
import type { FrameworkId, StreamId } from '../common/ids.ts';
import { asFrameworkId } from '../common/ids.ts';
import type { mesos } from '../proto/types.generated.ts';
import type { CallOutcome, EventSink, SchedulerCall, SubscribeOutcome } from './scheduler-endpoint.ts';
import type { FrameworkRecord } from './master-state.ts';
import type { MasterCore } from './master-core.ts';
import { frameworkRoles, validateFrameworkInfo, validateFrameworkUpdate, validateSuppressedRoles } from './framework-validation.ts';
import { OK, reject } from './call-outcome.ts';

export function subscribe(core: MasterCore, call: SchedulerCall, sink: EventSink, streamId: StreamId, principal: string | undefined): SubscribeOutcome {
  core.count('master/messages_register_framework');
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
  const now = core.clock.now();
  const idValue = info.id?.value;
  if (idValue !== undefined && idValue !== '') {
    const id = asFrameworkId(idValue);
    if (core.state.completedFrameworks.has(id)) {
      // Mesos answers a removed framework on its stream: one ERROR event, then the end of it.
      sink.send({ type: 'ERROR', error: { message: 'Framework has been removed' } });
      sink.close();
      return { ok: true, frameworkId: id };
    }
    const existing = core.state.frameworks.get(id);
    if (existing !== undefined) {
      const bad = validateFrameworkUpdate(existing.info, info);
      if (bad !== undefined) return reject(400, bad);
      failover(core, existing, info, roles, suppressed, sink, streamId, now);
      return { ok: true, frameworkId: id };
    }
    addFramework(core, id, info, roles, suppressed, sink, streamId, now);
    return { ok: true, frameworkId: id };
  }
  const id = core.ids.frameworkId();
  addFramework(core, id, info, roles, suppressed, sink, streamId, now);
  return { ok: true, frameworkId: id };
}

function addFramework(core: MasterCore, id: FrameworkId, info: mesos.v1.FrameworkInfo, roles: string[], suppressed: readonly string[], sink: EventSink, streamId: StreamId, now: number): void {
  const f: FrameworkRecord = {
    id, info: { ...info, id: { value: id } }, roles, capabilities: new Set((info.capabilities ?? []).map((c) => c.type ?? 'UNKNOWN')),
    suppressedRoles: new Set(suppressed), sink, streamId, connected: true, active: true, recovered: false,
    registeredTime: now, reregisteredTime: undefined, unregisteredTime: undefined, failoverTimer: undefined,
    offers: new Set(), tasks: new Map(), unreachableTasks: new Map(), executors: new Map(),
  };
  core.state.frameworks.set(id, f);
  core.allocator.addFramework(id, core.description(f), new Map(), true);
  core.log.info({ frameworkId: id, name: info.name, roles }, 'framework subscribed');
  sendSubscribed(core, f);
  core.scheduleAllocation('all');
}

function failover(core: MasterCore, f: FrameworkRecord, info: mesos.v1.FrameworkInfo, roles: string[], suppressed: readonly string[], sink: EventSink, streamId: StreamId, now: number): void {
  if (f.sink !== undefined) {
    f.sink.send({ type: 'ERROR', error: { message: 'Framework failed over' } });
    f.sink.close();
  }
  if (f.failoverTimer) core.timers.clear(f.failoverTimer);
  f.failoverTimer = undefined;
  // Offers made to the old connection are withdrawn; the new one gets fresh offers.
  for (const offerId of [...f.offers]) core.rescindOffer(offerId, false);
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
  core.allocator.updateFramework(f.id, core.description(f));
  core.allocator.activateFramework(f.id);
  core.log.info({ frameworkId: f.id }, 'framework re-subscribed');
  sendSubscribed(core, f);
  core.scheduleAllocation('all');
}

function sendSubscribed(core: MasterCore, f: FrameworkRecord): void {
  core.send(f, {
    type: 'SUBSCRIBED',
    subscribed: { framework_id: { value: f.id }, heartbeat_interval_seconds: core.config.heartbeatIntervalSeconds, master_info: core.masterInfo() },
  });
}

export function disconnected(core: MasterCore, frameworkId: FrameworkId, streamId: StreamId): void {
  const f = core.state.frameworks.get(frameworkId);
  if (f === undefined || f.streamId !== streamId) return;
  f.sink = undefined;
  f.streamId = undefined;
  f.connected = false;
  f.active = false;
  core.allocator.deactivateFramework(f.id);
  for (const offerId of [...f.offers]) core.rescindOffer(offerId, false);
  const timeoutMs = Math.max(0, (f.info.failover_timeout ?? 0) * 1000);
  core.log.info({ frameworkId, failoverTimeoutMs: timeoutMs }, 'framework disconnected');
  f.failoverTimer = core.timers.setTimeout(() => {
    f.failoverTimer = undefined;
    core.removeFramework(f, 'failover timeout');
  }, timeoutMs);
}

export function updateFramework(core: MasterCore, f: FrameworkRecord, info: mesos.v1.FrameworkInfo, suppressed: readonly string[]): CallOutcome {
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
    const rec = core.state.offers.get(offerId);
    if (rec !== undefined && removedRoles.has(rec.role)) core.rescindOffer(offerId, true);
  }
  core.allocator.updateFramework(f.id, core.description(f));
  const agentsWithExecutors = new Set(f.executors.keys());
  for (const t of f.tasks.values()) agentsWithExecutors.add(t.agentId);
  for (const agentId of agentsWithExecutors) core.sendAgent(agentId, { update_framework: { framework_info: f.info } });
  core.scheduleAllocation('all');
  return OK;
}

export function recoverFramework(core: MasterCore, id: FrameworkId, info: mesos.v1.FrameworkInfo): FrameworkRecord {
  const roles = frameworkRoles(info);
  const f: FrameworkRecord = {
    id, info: { ...info, id: { value: id } }, roles, capabilities: new Set((info.capabilities ?? []).map((c) => c.type ?? 'UNKNOWN')),
    suppressedRoles: new Set(), sink: undefined, streamId: undefined, connected: false, active: false, recovered: true,
    registeredTime: undefined, reregisteredTime: undefined, unregisteredTime: undefined, failoverTimer: undefined,
    offers: new Set(), tasks: new Map(), unreachableTasks: new Map(), executors: new Map(),
  };
  core.state.frameworks.set(id, f);
  // Inactive until it re-subscribes; what it uses is charged by the agent's addAgent.
  core.allocator.addFramework(id, core.description(f), new Map(), false);
  core.log.info({ frameworkId: id }, 'recovered framework from a re-registering agent');
  return f;
}
