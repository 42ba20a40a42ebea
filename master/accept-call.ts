/**
 * ACCEPT: Mesos offer validation (ids unique, known, this framework's, one agent), then the plan
 * from accept.ts applied in order — an invalid operation is dropped (logged) and the others go on,
 * RESERVE/UNRESERVE change the allocation and the agent total
 * (CheckpointResources to the agent), LAUNCH/LAUNCH_GROUP create TASK_STAGING tasks and send
 * RunTask/RunTaskGroup (resources with their allocation role), invalid tasks get TASK_ERROR — and the unused resources go back with the
 * call's filters. Invalid offers are not a rejection: the tasks are answered TASK_DROPPED (or
 * TASK_LOST) with REASON_INVALID_OFFERS, as Mesos does.
 */
import type { AgentId, OfferId } from '../common/ids.ts';
import { asOfferId, asTaskId } from '../common/ids.ts';
import { Resources } from '../common/resources/resources.ts';
import type { mesos, maestro } from '../proto/types.generated.ts';
import type { CallOutcome } from './scheduler-endpoint.ts';
import type { FrameworkRecord, OfferRecord } from './master-state.ts';
import type { MasterCore } from './master-core.ts';
import { masterStatus, type TaskState } from './task-status.ts';
import { planAccept, type AcceptStep } from './accept.ts';
import { resourcesToWire } from './resource-wire.ts';
import { OK, reject } from './call-outcome.ts';

export function accept(core: MasterCore, f: FrameworkRecord, accept: mesos.v1.scheduler.Call.Accept): CallOutcome {
  const operations = accept.operations ?? [];
  const offerIds = (accept.offer_ids ?? []).map((o) => asOfferId(o.value));
  const offerError = validateOffers(core, f, offerIds);
  if (offerError !== undefined) {
    const unsupported = operations.find((op) => ['CREATE', 'DESTROY', 'GROW_VOLUME', 'SHRINK_VOLUME', 'CREATE_DISK', 'DESTROY_DISK'].includes(op.type ?? ''));
    if (unsupported !== undefined) return reject(400, `Invalid ${unsupported.type} Operation: persistent volumes are not supported yet`);
    dropLaunches(core, f, operations, offerError, offerIds);
    return OK;
  }
  const offers = offerIds.map((id) => core.state.offers.get(id)!);
  const agentId = offers[0].agentId;
  const offered = offers.reduce((acc, o) => acc.plus(o.resources), Resources.empty);
  // A lookup, not a set of every task: building one per ACCEPT made a wave of n launches O(n²).
  // A terminal task keeps its id until its terminal update is acknowledged (Mesos: the id is in
  // the framework's tasks until then), or the agent's resend of that update would hit the new task.
  const isActiveTask = (id: string): boolean => f.tasks.has(asTaskId(id));
  const plan = planAccept({
    frameworkId: f.id,
    frameworkRoles: f.roles,
    principal: f.info.principal,
    agentId,
    offerRoles: [...new Set(offers.map((o) => o.role))],
    offered,
    isActiveTask,
    agentExecutorIds: new Set(f.executors.get(agentId)?.keys() ?? []),
  }, operations);
  if (!plan.ok) return reject(400, plan.message);
  for (const id of offerIds) core.removeOffer(id);
  for (const step of plan.steps) applyStep(core, f, agentId, step);
  const now = core.clock.now();
  if (!plan.remaining.isEmpty()) {
    core.allocator.recoverResources(f.id, agentId, plan.remaining, { refuseSeconds: accept.filters?.refuse_seconds ?? 5 }, now);
  }
  core.scheduleAllocation([agentId]);
  return OK;
}

/** Mesos offer validation, in its order (each rule over all offers before the next); undefined when the offers can be used together. */
function validateOffers(core: MasterCore, f: FrameworkRecord, offerIds: readonly OfferId[]): string | undefined {
  if (offerIds.length === 0) return 'No offers specified';
  const seen = new Set<string>();
  for (const id of offerIds) {
    if (seen.has(id)) return `Duplicate offer ${id} in offer list`;
    seen.add(id);
  }
  const offers: OfferRecord[] = [];
  for (const id of offerIds) {
    const rec = core.state.offers.get(id);
    if (rec === undefined) return `Offer ${id} is no longer valid`;
    offers.push(rec);
  }
  for (const rec of offers) {
    if (rec.frameworkId !== f.id) return `Offer ${rec.offer.id.value} has invalid framework ${rec.frameworkId} while framework ${f.id} is expected`;
  }
  for (const rec of offers) {
    if (rec.role !== offers[0].role) {
      // Mesos' message, unbalanced quotes included.
      return `Aggregated offers must be allocated to the same role. Offer ${rec.offer.id.value} uses role '${rec.role} but another is using role '${offers[0].role}`;
    }
  }
  for (const rec of offers) {
    if (rec.agentId !== offers[0].agentId) {
      return `Aggregated offers must belong to one single agent. Offer ${rec.offer.id.value} uses agent ${rec.agentId} and agent ${offers[0].agentId}`;
    }
    const agent = core.state.agents.get(rec.agentId);
    if (agent === undefined || !agent.active) return `Offer ${rec.offer.id.value} outlived disconnected agent ${rec.agentId}`;
  }
  return undefined;
}

/** Invalid offers: every task to launch is dropped (Mesos answers this way, the call itself succeeds). */
function dropLaunches(core: MasterCore, f: FrameworkRecord, operations: readonly mesos.v1.Offer.Operation[], message: string, offerIds: readonly OfferId[]): void {
  const now = core.clock.now();
  for (const id of offerIds) {
    const rec = core.state.offers.get(id);
    if (rec === undefined || rec.frameworkId !== f.id) continue;
    core.removeOffer(id);
    core.allocator.recoverResources(f.id, rec.agentId, rec.resources, undefined, now);
    core.scheduleAllocation([rec.agentId]);
  }
  const state: TaskState = core.partitionAware(f) ? 'TASK_DROPPED' : 'TASK_LOST';
  for (const op of operations) {
    const tasks = op.type === 'LAUNCH' ? op.launch?.task_infos ?? [] : op.type === 'LAUNCH_GROUP' ? op.launch_group?.task_group.tasks ?? [] : [];
    for (const task of tasks) {
      core.count(`master/tasks_${state === 'TASK_DROPPED' ? 'dropped' : 'lost'}`);
      core.update(f, masterStatus({ taskId: task.task_id.value, state, reason: 'REASON_INVALID_OFFERS', message, agentId: task.agent_id.value, timestamp: now / 1000 }));
    }
  }
}

function applyStep(core: MasterCore, f: FrameworkRecord, agentId: AgentId, step: AcceptStep): void {
  const agent = core.state.agents.get(agentId)!;
  switch (step.kind) {
    case 'reserve':
    case 'unreserve': {
      core.allocator.updateAllocation(f.id, agentId, step.from, step.to);
      agent.total = agent.total.minus(step.from.unallocate()).plus(step.to.unallocate());
      core.allocator.updateAgentTotal(agentId, agent.total);
      const checkpointed = agent.total.filter((r) => r.reservations.some((x) => x.type === 'DYNAMIC'));
      core.sendAgent(agentId, { checkpoint_resources: { resources: resourcesToWire(checkpointed) } });
      return;
    }
    case 'dropped':
      // Mesos drops an invalid operation and goes on with the others; the call itself was fine.
      core.log.warn({ frameworkId: f.id, agentId, operation: step.operation, message: step.message }, 'dropping an invalid offer operation');
      return;
    case 'task_error':
      core.count('master/tasks_error');
      core.update(f, masterStatus({
        taskId: step.task.task_id.value, state: 'TASK_ERROR', reason: step.reason, message: step.message,
        agentId: step.task.agent_id.value, timestamp: core.nowSecs(),
      }));
      return;
    case 'launch': {
      if (step.executor !== undefined && step.executorResources !== undefined) {
        core.addExecutor(f, agentId, step.executor, step.executorResources);
      }
      addTask(core, f, agentId, step.task, step.role, step.taskResources, step.executor?.executor_id.value);
      const run: maestro.agent.RunTask = { framework: f.info, task: withRole(step.task, step.role) };
      if (step.executor !== undefined) run.executor = withRole(step.executor, step.role);
      core.sendAgent(agentId, { run_task: run });
      return;
    }
    case 'launch_group': {
      if (step.executorResources !== undefined) core.addExecutor(f, agentId, step.executor, step.executorResources);
      for (const t of step.tasks) addTask(core, f, agentId, t.task, step.role, t.resources, step.executor.executor_id.value);
      core.sendAgent(agentId, {
        run_task_group: { framework: f.info, executor: withRole(step.executor, step.role), task_group: { tasks: step.tasks.map((t) => withRole(t.task, step.role)) } },
      });
      return;
    }
  }
}

/**
 * What the agent is sent carries the allocation role on every resource (task, its executor), as
 * Mesos injects it for frameworks that are not MULTI_ROLE, so the agent can report it back.
 */
function withRole<T extends { resources?: mesos.v1.Resource[]; executor?: mesos.v1.ExecutorInfo }>(info: T, role: string): T {
  const out: T = { ...info };
  if (info.resources !== undefined) out.resources = info.resources.map((r) => (r.allocation_info === undefined ? { ...r, allocation_info: { role } } : r));
  if (info.executor !== undefined) out.executor = withRole(info.executor, role);
  return out;
}

function addTask(core: MasterCore, f: FrameworkRecord, agentId: AgentId, info: mesos.v1.TaskInfo, role: string, resources: Resources, executorId: string | undefined): void {
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
  core.count('master/tasks_launched');
}
