/**
 * The scheduler calls other than SUBSCRIBE and ACCEPT: TEARDOWN, DECLINE, REVIVE, SUPPRESS, KILL,
 * SHUTDOWN (executor-lifecycle.ts), ACKNOWLEDGE, RECONCILE, MESSAGE, REQUEST, UPDATE_FRAMEWORK,
 * dispatched by `call`.
 * Each answers a CallOutcome; a rejection changes nothing.
 */
import type { FrameworkId, OfferId } from '../common/ids.ts';
import { asAgentId, asExecutorId, asOfferId, asTaskId } from '../common/ids.ts';
import type { mesos, maestro } from '../proto/types.generated.ts';
import type { CallOutcome, SchedulerCall } from './scheduler-endpoint.ts';
import type { FrameworkRecord } from './master-state.ts';
import type { MasterCore } from './master-core.ts';
import { isTerminal } from './task-state-machine.ts';
import { accept } from './accept-call.ts';
import { updateFramework } from './framework-lifecycle.ts';
import { shutdownExecutor } from './executor-lifecycle.ts';
import { OK, reject } from './call-outcome.ts';
import { answerInverseOffers } from './maintenance/maintenance-effects.ts';
import { refuseSecondsOf } from './allocator/decline-filters.ts';

export function call(core: MasterCore, frameworkId: FrameworkId, call: SchedulerCall): CallOutcome {
  const f = core.state.frameworks.get(frameworkId);
  if (f === undefined) return reject(404, 'Framework cannot be found');
  core.count(`master/messages_${(call.type ?? 'unknown').toLowerCase()}`);
  switch (call.type) {
    case 'TEARDOWN':
      core.removeFramework(f, 'teardown');
      return OK;
    case 'ACCEPT':
      return call.accept === undefined ? reject(400, "Expecting 'accept' to be present") : accept(core, f, call.accept);
    case 'DECLINE':
      if (call.decline === undefined) return reject(400, "Expecting 'decline' to be present");
      decline(core, f, call.decline.offer_ids ?? [], call.decline.filters);
      return OK;
    case 'REVIVE':
      return reviveOrSuppress(core, f, call.revive?.roles ?? [], 'revive');
    case 'SUPPRESS':
      return reviveOrSuppress(core, f, call.suppress?.roles ?? [], 'suppress');
    case 'KILL':
      if (call.kill === undefined) return reject(400, "Expecting 'kill' to be present");
      kill(core, f, call.kill);
      return OK;
    case 'SHUTDOWN':
      if (call.shutdown === undefined) return reject(400, "Expecting 'shutdown' to be present");
      shutdownExecutor(core, f, asAgentId(call.shutdown.agent_id.value), asExecutorId(call.shutdown.executor_id.value));
      return OK;
    case 'ACKNOWLEDGE':
      if (call.acknowledge === undefined) return reject(400, "Expecting 'acknowledge' to be present");
      acknowledge(core, f, call.acknowledge);
      return OK;
    case 'RECONCILE':
      if (call.reconcile === undefined) return reject(400, "Expecting 'reconcile' to be present");
      for (const status of core.reconcileStatuses(f, call.reconcile.tasks ?? [])) core.update(f, status);
      return OK;
    case 'MESSAGE': {
      if (call.message === undefined) return reject(400, "Expecting 'message' to be present");
      const m = call.message;
      const agentId = asAgentId(m.agent_id.value);
      if (!core.state.agents.has(agentId)) {
        core.log.warn({ frameworkId: f.id, agentId }, 'dropping framework message for an unknown agent');
        return OK;
      }
      core.sendAgent(agentId, { framework_to_executor: { agent_id: m.agent_id, framework_id: { value: f.id }, executor_id: m.executor_id, data: m.data } });
      return OK;
    }
    case 'REQUEST':
      return OK;
    case 'UPDATE_FRAMEWORK':
      if (call.update_framework === undefined) return reject(400, "Expecting 'update_framework' to be present");
      return updateFramework(core, f, call.update_framework.framework_info, call.update_framework.suppressed_roles ?? []);
    case 'ACCEPT_INVERSE_OFFERS':
      answerInverseOffers(core, f, call.accept_inverse_offers?.inverse_offer_ids ?? [], call.accept_inverse_offers?.filters, true);
      return OK;
    case 'DECLINE_INVERSE_OFFERS':
      answerInverseOffers(core, f, call.decline_inverse_offers?.inverse_offer_ids ?? [], call.decline_inverse_offers?.filters, false);
      return OK;
    case 'ACKNOWLEDGE_OPERATION_STATUS':
    case 'RECONCILE_OPERATIONS':
      return OK;
    default:
      return reject(400, `Unsupported call type ${call.type ?? 'UNKNOWN'}`);
  }
}

function decline(core: MasterCore, f: FrameworkRecord, offerIds: readonly mesos.v1.OfferID[], filters: mesos.v1.Filters | undefined): void {
  const now = core.clock.now();
  for (const { value } of offerIds) {
    const rec = core.state.offers.get(asOfferId(value));
    if (rec === undefined || rec.frameworkId !== f.id) {
      core.log.debug({ frameworkId: f.id, offerId: value }, 'ignoring decline of an unknown offer');
      continue;
    }
    core.removeOffer(rec.offer.id.value as OfferId);
    core.allocator.recoverResources(f.id, rec.agentId, rec.resources, { refuseSeconds: filters?.refuse_seconds ?? 5 }, now);
    // Filtered for the decliner: the others may have them at once. Unfiltered (refuse_seconds 0),
    // they wait for the next periodic allocation, as in Mesos: offering them straight back would spin
    // offer/decline with the framework, and a framework waiting for several agents at once (a gang)
    // would keep getting its declined agents back in separate OFFERS events, never all together.
    if (refuseSecondsOf(filters?.refuse_seconds) > 0) core.scheduleAllocation([rec.agentId]);
  }
}

function reviveOrSuppress(core: MasterCore, f: FrameworkRecord, roles: readonly string[], what: 'revive' | 'suppress'): CallOutcome {
  const unknown = roles.find((r) => !f.roles.includes(r));
  if (unknown !== undefined) {
    return reject(400, `Framework '${f.id}' cannot ${what} offers for role '${unknown}' as it is not subscribed to it`);
  }
  const target = roles.length === 0 ? f.roles : [...roles];
  if (what === 'revive') {
    for (const r of target) f.suppressedRoles.delete(r);
    core.allocator.reviveOffers(f.id, target);
    core.scheduleAllocation('all');
  } else {
    for (const r of target) f.suppressedRoles.add(r);
    core.allocator.suppressOffers(f.id, target);
  }
  return OK;
}

function kill(core: MasterCore, f: FrameworkRecord, kill: mesos.v1.scheduler.Call.Kill): void {
  const taskId = asTaskId(kill.task_id.value);
  const t = f.tasks.get(taskId);
  if (t === undefined || isTerminal(t.task.state)) {
    const query = kill.agent_id === undefined ? { task_id: kill.task_id } : { task_id: kill.task_id, agent_id: kill.agent_id };
    for (const status of core.reconcileStatuses(f, [query])) core.update(f, status);
    return;
  }
  const killTask: maestro.agent.KillTask = { framework_id: { value: f.id }, task_id: kill.task_id };
  const policy = kill.kill_policy ?? t.task.kill_policy;
  if (policy !== undefined) killTask.kill_policy = policy;
  const agent = core.state.agents.get(t.agentId);
  // A disconnected agent would miss it: kept, and sent when the agent re-registers with the task.
  if (agent !== undefined && !agent.connected) agent.pendingKills.set(`${f.id}\u0000${taskId}`, killTask);
  core.sendAgent(t.agentId, { kill_task: killTask });
}

function acknowledge(core: MasterCore, f: FrameworkRecord, ack: mesos.v1.scheduler.Call.Acknowledge): void {
  const agentId = asAgentId(ack.agent_id.value);
  const taskId = asTaskId(ack.task_id.value);
  const t = f.tasks.get(taskId);
  if (!core.state.agents.has(agentId)) {
    core.log.info({ frameworkId: f.id, agentId, taskId }, 'dropping acknowledgement for an unknown agent');
    return;
  }
  // Passed on even when the master no longer (or never) knew the task: an update of a completed
  // task resent by the agent, or one forwarded after a failover, stops only with this (as Mesos).
  core.sendAgent(agentId, { status_update_acknowledgement: { agent_id: ack.agent_id, framework_id: { value: f.id }, task_id: ack.task_id, uuid: ack.uuid } });
  if (t !== undefined && t.task.status_update_state !== undefined && isTerminal(t.task.status_update_state) && t.lastUpdateUuid === ack.uuid) core.completeTask(f, t);
}
