/**
 * Framework subscription lifecycle: SUBSCRIBE (new, failover of a known framework, or a framework
 * this master does not know, accepted with its id as Mesos does after a master failover), the
 * stream going away (deactivation and the failover timer), UPDATE_FRAMEWORK, and "recovered"
 * frameworks learnt from re-registering agents. Validation first, so a rejected call changes
 * nothing. Framework infos are stored in the registry behind the action (`core.record`): a
 * framework id a new leader does not know is accepted anyway, so a lost write costs nothing but
 * the "recovered" entry. UPDATE_FRAMEWORK answers 400 with Mesos' prefixes ("Supplied FrameworkInfo is not
 * valid: ", "FrameworkInfo update is not valid: ", "'UpdateFramework' call is not valid: ").
 */
import type { FrameworkId, StreamId } from '../common/ids.ts';
import { asFrameworkId } from '../common/ids.ts';
import type { mesos } from '../proto/types.generated.ts';
import type { CallOutcome, EventSink, SchedulerCall, SubscribeOutcome } from './scheduler-endpoint.ts';
import type { FrameworkRecord } from './master-state.ts';
import type { MasterCore } from './master-core.ts';
import { frameworkRoles, preserveImmutableFields, validateFrameworkInfo, validateFrameworkUpdate, validateSuppressedRoles } from './framework-validation.ts';
import { OK, refuseSubscription, reject } from './call-outcome.ts';

/**
 * SUBSCRIBE, with Mesos' split of the checks: a call without `subscribe` or with a principal
 * other than the authenticated one is a 400 (Mesos `scheduler::call::validate`); everything
 * Mesos' `Master::subscribe` checks on the FrameworkInfo (validateFramework, "Framework has been
 * removed", suppressed roles, and on re-subscription the immutable fields) is a refusal on the
 * stream. Either way nothing changes.
 */
export function subscribe(core: MasterCore, call: SchedulerCall, sink: EventSink, streamId: StreamId, principal: string | undefined): SubscribeOutcome {
  const sub = call.subscribe;
  if (sub === undefined) return reject(400, "Expecting 'subscribe' to be present");
  const idValue = sub.framework_info.id?.value;
  const hasId = idValue !== undefined && idValue !== '';
  core.count(hasId ? 'master/messages_reregister_framework' : 'master/messages_register_framework');
  let info = sub.framework_info;
  if (principal !== undefined && info.principal !== undefined && principal !== info.principal) {
    return reject(400, `Authenticated principal '${principal}' does not match principal '${info.principal}' set in \`FrameworkInfo\``);
  }
  const invalid = validateFrameworkInfo(info);
  if (invalid !== undefined) return refused(core, info, invalid);
  if (hasId && (core.state.completedFrameworks.has(asFrameworkId(idValue)) || core.removedFrameworks.has(asFrameworkId(idValue)))) return refused(core, info, 'Framework has been removed');
  const roles = frameworkRoles(info);
  const suppressed = sub.suppressed_roles ?? [];
  const badSuppressed = validateSuppressedRoles(roles, suppressed);
  if (badSuppressed !== undefined) return refused(core, info, badSuppressed);
  const now = core.clock.now();
  if (!hasId) {
    const id = core.ids.frameworkId();
    addFramework(core, id, info, roles, suppressed, sink, streamId, now);
    return { ok: true, frameworkId: id };
  }
  const id = asFrameworkId(idValue);
  const existing = core.state.frameworks.get(id);
  if (existing === undefined) {
    addFramework(core, id, info, roles, suppressed, sink, streamId, now);
    return { ok: true, frameworkId: id };
  }
  info = preserveImmutableFields(existing.info, info);
  const bad = validateFrameworkUpdate(existing.info, info);
  if (bad !== undefined) return refused(core, info, bad);
  failover(core, existing, info, roles, suppressed, sink, streamId, now);
  return { ok: true, frameworkId: id };
}

function refused(core: MasterCore, info: mesos.v1.FrameworkInfo, message: string): SubscribeOutcome {
  core.log.info({ name: info.name, frameworkId: info.id?.value, message }, 'refusing subscription');
  return refuseSubscription(message);
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
  core.record({ type: 'ADD_FRAMEWORK', frameworkId: id, info: f.info });
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
  core.record({ type: 'ADD_FRAMEWORK', frameworkId: f.id, info: f.info });
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
  const invalid = validateFrameworkInfo(info);
  if (invalid !== undefined) return reject(400, `Supplied FrameworkInfo is not valid: ${invalid}`);
  const bad = validateFrameworkUpdate(f.info, info);
  if (bad !== undefined) return reject(400, `FrameworkInfo update is not valid: ${bad}`);
  const roles = frameworkRoles(info);
  const badSuppressed = validateSuppressedRoles(roles, suppressed);
  if (badSuppressed !== undefined) return reject(400, `'UpdateFramework' call is not valid: ${badSuppressed}`);
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
  core.record({ type: 'ADD_FRAMEWORK', frameworkId: f.id, info: f.info });
  const agentsWithExecutors = new Set(f.executors.keys());
  for (const t of f.tasks.values()) agentsWithExecutors.add(t.agentId);
  for (const agentId of agentsWithExecutors) core.sendAgent(agentId, { update_framework: { framework_info: f.info } });
  core.scheduleAllocation('all');
  return OK;
}

export function recoverFramework(core: MasterCore, id: FrameworkId, info: mesos.v1.FrameworkInfo, from: 'agent' | 'registry' = 'agent'): FrameworkRecord {
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
  core.log.info({ frameworkId: id, from }, from === 'agent' ? 'recovered framework from a re-registering agent' : 'recovered framework from the registry');
  return f;
}
