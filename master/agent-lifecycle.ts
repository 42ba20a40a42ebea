/**
 * Agents over the agent protocol: dispatch of their messages, registration (new id) and
 * re-registration (same id; unknown agents after a master failover and agents back from
 * unreachable adopt their reported tasks), refusals, pings, disconnection and marking unreachable.
 *
 * Unreachable: `--max_agent_ping_timeouts` ping intervals without a Pong (also when the
 * connection is gone): offers rescinded, the agent leaves the allocator, its tasks become
 * TASK_UNREACHABLE (PARTITION_AWARE frameworks) or TASK_LOST with REASON_AGENT_REMOVED, and every
 * framework gets a FAILURE event for the agent. On return, tasks of partition-aware frameworks are
 * adopted again; the others are shut down (ShutdownFramework).
 *
 * Registry (master/registry, Mesos' registrar): an agent is admitted (registered, or re-registered
 * while unknown to the registry), made reachable again, or marked unreachable only once the
 * registry holds the change (`core.persist`); the rest of the handling runs after the write and
 * looks at the books as they are then. A known agent that re-registers with a changed AgentInfo
 * has it stored first (UPDATE_AGENT_INFO, Mesos' UpdateSlave). While an agent is being marked
 * unreachable or gone its re-registration is refused (it retries). After a failover, the registry's admitted agents that
 * do not re-register within `--agent_reregister_timeout` are marked unreachable
 * (`markRecoveredAgentsUnreachable`). Gone agents are refused for good; agents on a machine in
 * maintenance DOWN mode are refused (and told to shut down) until it is UP (master/maintenance),
 * and so is an agent whose removal (REMOVE_AGENT) is being written; an agent removed by machine DOWN that comes back
 * with its id after UP is told to shut down again (`removedAgents`, Mesos' `slaves.removed`). Unreachable and gone agents are
 * pruned by the registry bounds when one is marked, and by the registry GC timer (`registryGc`).
 */
import type { AgentId, FrameworkId } from '../common/ids.ts';
import { asAgentId, asFrameworkId, asTaskId } from '../common/ids.ts';
import { Resources } from '../common/resources/resources.ts';
import { canonicalJson } from '../common/resources/resource.ts';
import type { mesos, maestro } from '../proto/types.generated.ts';
import type { AgentConnection } from './ports.ts';
import type { AgentDescription } from './allocator/allocator.ts';
import type { AgentRecord, TaskRecord } from './master-state.ts';
import type { MasterCore } from './master-core.ts';
import { isTerminal } from './task-state-machine.ts';
import { masterStatus, type TaskState } from './task-status.ts';
import { resourcesFromWire } from './resource-wire.ts';
import { recoverFramework } from './framework-lifecycle.ts';
import { statusUpdate } from './status-updates.ts';
import { executorExited } from './executor-lifecycle.ts';
import { refusedForMaintenance } from './maintenance/maintenance-effects.ts';
import { GONE_MESSAGE } from './agent-gone.ts';

type Envelope = maestro.agent.Envelope;

/** Mesos' words to an agent that re-registers after it was removed. */
const REMOVED_MESSAGE = 'Agent attempted to re-register after removal';

/** One decoded agent-protocol message from `connection`. */
export function agentMessage(core: MasterCore, connection: AgentConnection, envelope: Envelope): void {
  if (core.stopped) return;
  if (!core.leading) {
    // Agents are redirected to the leader when they connect (agent-link.ts); this is a race with an election.
    refuse(core, connection, 'Not the leading master');
    return;
  }
  if (envelope.register_agent !== undefined) return registerAgent(core, connection, envelope.register_agent);
  if (envelope.reregister_agent !== undefined) return reregisterAgent(core, connection, envelope.reregister_agent);
  const agentId = core.connectionAgents.get(connection);
  const agent = agentId === undefined ? undefined : core.state.agents.get(agentId);
  if (agentId === undefined || agent === undefined) {
    connection.send({ registration_refused: { message: 'Agent is not registered: send RegisterAgent or ReregisterAgent first' } });
    connection.close('not registered');
    return;
  }
  if (envelope.pong !== undefined) {
    agent.lastPong = Math.max(agent.lastPong, envelope.pong.sequence);
    return;
  }
  if (envelope.status_update !== undefined) return statusUpdate(core, agent, envelope.status_update);
  if (envelope.executor_exited !== undefined) return executorExited(core, agent, envelope.executor_exited);
  if (envelope.executor_to_framework !== undefined) {
    const m = envelope.executor_to_framework;
    const f = core.state.frameworks.get(asFrameworkId(m.framework_id.value));
    core.count('master/messages_executor_to_framework');
    if (f !== undefined) core.send(f, { type: 'MESSAGE', message: { agent_id: m.agent_id, executor_id: m.executor_id, data: m.data } });
    return;
  }
  core.log.warn({ agentId, connection: connection.id, message: Object.keys(envelope)[0] }, 'ignoring unexpected agent message');
}

/** The connection closed. Only the agent's current connection counts. */
export function agentDisconnected(core: MasterCore, connection: AgentConnection): void {
  if (core.stopped) return;
  core.closedConnections.add(connection);
  detachConnection(core, connection);
}

/**
 * The agent bound to `connection` (if it is its current one) is disconnected. A connection that
 * registers again is detached this way while it stays open: it is not counted as closed, or the
 * agent it is admitted as next would be disconnected at once (`closedWhileStoring`).
 */
function detachConnection(core: MasterCore, connection: AgentConnection): void {
  const agentId = core.connectionAgents.get(connection);
  core.connectionAgents.delete(connection);
  if (agentId === undefined || core.connections.get(agentId) !== connection) return;
  core.connections.delete(agentId);
  const agent = core.state.agents.get(agentId);
  if (agent === undefined) return;
  agent.connected = false;
  agent.active = false;
  agent.disconnectedAt = core.clock.now();
  core.allocator.deactivateAgent(agentId);
  for (const offerId of [...agent.offers]) core.rescindOffer(offerId, true);
  core.log.info({ agentId }, 'agent disconnected');
}

function refuse(core: MasterCore, connection: AgentConnection, message: string): void {
  core.log.warn({ connection: connection.id, message }, 'agent registration refused');
  connection.send({ registration_refused: { message } });
  connection.close(message);
}

/**
 * A gone agent that comes back (its ShutdownAgent was lost: it was disconnected when marked gone)
 * is told to shut down again, as Mesos does; it then exits and starts as a new agent.
 */
function refuseGone(core: MasterCore, connection: AgentConnection, id: AgentId): void {
  connection.send({ shutdown_agent: { message: GONE_MESSAGE } });
  refuse(core, connection, `Agent ${id} has been marked gone`);
}

function checkRegistration(core: MasterCore, connection: AgentConnection, info: mesos.v1.AgentInfo | undefined, token: string | undefined): Resources | undefined {
  if (core.config.agentToken !== undefined && token !== core.config.agentToken) {
    refuse(core, connection, 'Agent registration token is missing or wrong');
    return undefined;
  }
  if (info === undefined || info.hostname === undefined || info.hostname === '') {
    refuse(core, connection, "Agent registration is missing 'agent_info.hostname'");
    return undefined;
  }
  try {
    return resourcesFromWire(info.resources ?? []);
  } catch (e) {
    refuse(core, connection, `Agent registration has invalid resources: ${(e as Error).message}`);
    return undefined;
  }
}

/**
 * The agent's total: what it reports in `agent_info.resources` (unreserved, as configured) with
 * the dynamic reservations it checkpointed put back in place of the unreserved resources they
 * were made from (Mesos `applyCheckpointedResources`). An entry the reported resources cannot
 * hold is logged and left out.
 */
function applyCheckpointedResources(core: MasterCore, agentId: string, reported: Resources, checkpointed: readonly mesos.v1.Resource[]): Resources {
  let total = reported;
  let list: Resources;
  try {
    list = resourcesFromWire(checkpointed);
  } catch (e) {
    core.log.warn({ agentId, error: (e as Error).message }, 'ignoring invalid checkpointed resources');
    return total;
  }
  for (const entry of list.toProto()) {
    const resource = Resources.fromProto([entry]);
    let base = resource;
    while (base.filter((r) => r.reservations.at(-1)?.type === 'DYNAMIC').size > 0) base = base.popReservation();
    const rest = total.tryMinus(base);
    if (resource.equals(base) || rest === undefined) {
      core.log.warn({ agentId, resource: resource.toString() }, 'ignoring a checkpointed resource the agent\'s resources cannot hold');
      continue;
    }
    total = rest.plus(resource);
  }
  return total;
}

function bind(core: MasterCore, agentId: AgentId, connection: AgentConnection): void {
  const old = core.connections.get(agentId);
  if (old !== undefined && old !== connection) {
    core.connectionAgents.delete(old);
    old.close('a newer connection of the same agent took over');
  }
  core.connections.set(agentId, connection);
  core.connectionAgents.set(connection, agentId);
}

/** The allocator's view of an agent: hostname, attributes in text form, fault domain. */
export function agentDescription(info: mesos.v1.AgentInfo): AgentDescription {
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

interface NewAgent {
  readonly id: AgentId;
  readonly info: mesos.v1.AgentInfo;
  readonly msg: maestro.agent.RegisterAgent | maestro.agent.ReregisterAgent;
  readonly total: Resources;
  readonly now: number;
  /** Known to this master only from its re-registration (master failover, back from unreachable). */
  readonly reregistered: boolean;
}

/** A new agent record on `connection`, in the books and in the allocator with what it already runs. */
function addAgent(core: MasterCore, connection: AgentConnection, a: NewAgent, used: Map<FrameworkId, Resources>): AgentRecord {
  const agent: AgentRecord = {
    id: a.id, info: a.info, version: a.msg.version, capabilities: a.msg.capabilities ?? [], endpoint: a.msg.endpoint,
    remoteAddress: connection.remoteAddress, total: a.total, connected: true, active: true, registeredTime: a.now,
    reregisteredTime: a.reregistered ? a.now : undefined, disconnectedAt: undefined, pingSequence: 0, lastPong: 0, missedPings: 0, offers: new Set(),
    pendingKills: new Map(),
  };
  core.state.agents.set(a.id, agent);
  bind(core, a.id, connection);
  core.allocator.addAgent(a.id, agentDescription(a.info), a.total, used);
  return agent;
}

function registerAgent(core: MasterCore, connection: AgentConnection, msg: maestro.agent.RegisterAgent): void {
  core.count('master/messages_register_slave');
  // A connection registers once; registering again on it starts over as a new agent.
  if (core.connectionAgents.has(connection)) detachConnection(core, connection);
  const total = checkRegistration(core, connection, msg.agent_info, msg.token);
  if (total === undefined) return;
  if (refusedForMaintenance(core, connection, msg.agent_info, msg.endpoint)) return;
  const id = core.ids.agentId();
  const info: mesos.v1.AgentInfo = { ...msg.agent_info, id: { value: id } };
  core.persist({ type: 'ADMIT_AGENT', info }, () => {
    const now = core.clock.now();
    const agent = addAgent(core, connection, { id, info, msg, total, now, reregistered: false }, new Map());
    core.log.info({ agentId: id, hostname: info.hostname, resources: total.toString() }, 'agent registered');
    connection.send({ agent_registered: { agent_id: { value: id }, master_info: core.masterInfo(), ping_interval_seconds: core.config.agentPingTimeoutMs / 1000 } });
    startPinging(core, agent);
    core.scheduleAllocation([id]);
    closedWhileStoring(core, connection);
  }, (err) => refuse(core, connection, `Agent registration could not be stored: ${err.message}`));
}

/** The connection closed while the registry was written: the agent is admitted and disconnected now. */
function closedWhileStoring(core: MasterCore, connection: AgentConnection): void {
  if (core.closedConnections.has(connection)) agentDisconnected(core, connection);
}

function reregisterAgent(core: MasterCore, connection: AgentConnection, msg: maestro.agent.ReregisterAgent): void {
  core.count('master/messages_reregister_slave');
  const bound = core.connectionAgents.get(connection);
  if (bound !== undefined && bound !== msg.agent_info?.id?.value) detachConnection(core, connection);
  const idValue = msg.agent_info?.id?.value;
  if (idValue === undefined || idValue === '') {
    refuse(core, connection, "Agent re-registration is missing 'agent_info.id'");
    return;
  }
  const reported = checkRegistration(core, connection, msg.agent_info, msg.token);
  if (reported === undefined) return;
  if (refusedForMaintenance(core, connection, msg.agent_info!, msg.endpoint)) return;
  const id = asAgentId(idValue);
  if (core.goneAgents.has(id)) {
    refuseGone(core, connection, id);
    return;
  }
  if (core.markingUnreachable.has(id)) {
    refuse(core, connection, `Agent ${id} is being marked unreachable: re-register later`);
    return;
  }
  if (core.markingGone.has(id)) {
    refuse(core, connection, `Agent ${id} is being marked gone`);
    return;
  }
  if (core.removingAgents.has(id)) {
    refuse(core, connection, `Agent ${id} is being removed`);
    return;
  }
  if (core.removedAgents.has(id)) {
    // Removed by machine DOWN and back with its id after machine UP: its ShutdownAgent was lost (as Mesos).
    connection.send({ shutdown_agent: { message: REMOVED_MESSAGE } });
    refuse(core, connection, REMOVED_MESSAGE);
    return;
  }
  const total = applyCheckpointedResources(core, idValue, reported, msg.checkpointed_resources ?? []);
  const info: mesos.v1.AgentInfo = { ...msg.agent_info, id: { value: id } };
  const finish = () => completeReregistration(core, connection, msg, id, info, total);
  // Known to this leader, or admitted in its registry: its info is stored again only if it changed.
  const admittedInfo = core.state.agents.get(id)?.info ?? core.recoveredAgents.get(id);
  if (admittedInfo !== undefined && canonicalJson(admittedInfo) === canonicalJson(info)) return finish();
  const op = admittedInfo !== undefined ? { type: 'UPDATE_AGENT_INFO' as const, info }
    : core.state.unreachableAgents.has(id) ? { type: 'MARK_AGENT_REACHABLE' as const, info } : { type: 'ADMIT_AGENT' as const, info };
  // A known agent stays known while this is written: no ping timeout or re-registration timeout marks it unreachable meanwhile.
  const known = op.type === 'UPDATE_AGENT_INFO';
  if (known) core.reregistering.set(id, (core.reregistering.get(id) ?? 0) + 1);
  const written = () => {
    if (!known) return;
    const n = (core.reregistering.get(id) ?? 1) - 1;
    if (n > 0) core.reregistering.set(id, n);
    else core.reregistering.delete(id);
  };
  core.persist(op, () => {
    written();
    // Marked gone while this was written (the registry ignored the write): refused for good.
    if (core.goneAgents.has(id)) return refuseGone(core, connection, id);
    finish();
    closedWhileStoring(core, connection);
  }, (err) => {
    written();
    refuse(core, connection, `Agent re-registration could not be stored: ${err.message}`);
    // Awaited after a failover, its --agent_reregister_timeout passed while this was written: marked unreachable now.
    if (core.recoveredAgents.has(id) && core.reregisterTimer === undefined) markRecoveredAgentsUnreachable(core);
  });
}

function completeReregistration(core: MasterCore, connection: AgentConnection, msg: maestro.agent.ReregisterAgent, id: AgentId, info: mesos.v1.AgentInfo, total: Resources): void {
  const now = core.clock.now();
  core.recoveredAgents.delete(id);
  const known = core.state.agents.get(id);
  const wasUnreachable = core.state.unreachableAgents.has(id);
  const shutdown = new Set<FrameworkId>();

  if (known !== undefined) {
    // Offers made over the old connection go, as on a disconnect (which a fast reconnect skips):
    // they may hold more than the re-registered total.
    for (const offerId of [...known.offers]) core.rescindOffer(offerId, true);
    known.info = info;
    known.version = msg.version;
    known.capabilities = msg.capabilities ?? [];
    known.endpoint = msg.endpoint;
    known.remoteAddress = connection.remoteAddress;
    known.connected = true;
    known.active = true;
    known.disconnectedAt = undefined;
    known.reregisteredTime = now;
    // Re-registering is a sign of life: it answers for the outstanding ping.
    known.missedPings = 0;
    known.lastPong = known.pingSequence;
    bind(core, id, connection);
    if (!known.total.equals(total)) {
      known.total = total;
      core.allocator.updateAgentTotal(id, total);
    }
    const reported = new Set<string>();
    for (const task of msg.tasks ?? []) {
      const fid = asFrameworkId(task.framework_id.value);
      reported.add(`${fid}\u0000${task.task_id.value}`);
      if (core.state.completedFrameworks.has(fid) || core.removedFrameworks.has(fid)) shutdown.add(fid);
    }
    core.allocator.activateAgent(id);
    resendKills(core, known, connection, reported);
    reconcileUnreported(core, id, connection, reported);
    forgetUnreportedExecutors(core, id, msg.executors ?? []);
  } else {
    core.state.unreachableAgents.delete(id);
    const used = adoptAgentTasks(core, id, msg, wasUnreachable, shutdown);
    startPinging(core, addAgent(core, connection, { id, info, msg, total, now, reregistered: true }, used));
  }
  core.log.info({ agentId: id, hostname: info.hostname, wasUnreachable, shutdownFrameworks: [...shutdown] }, 'agent re-registered');
  connection.send({
    agent_reregistered: {
      agent_id: { value: id }, master_info: core.masterInfo(), ping_interval_seconds: core.config.agentPingTimeoutMs / 1000,
      shutdown_frameworks: [...shutdown].map((value) => ({ value })),
    },
  });
  for (const fid of shutdown) connection.send({ shutdown_framework: { framework_id: { value: fid } } });
  core.scheduleAllocation([id]);
}

/** KILLs the agent missed while disconnected, for the tasks it still runs; forgotten once a task has ended. */
function resendKills(core: MasterCore, agent: AgentRecord, connection: AgentConnection, reported: ReadonlySet<string>): void {
  for (const [key, kill] of agent.pendingKills) {
    const t = core.state.frameworks.get(asFrameworkId(kill.framework_id.value))?.tasks.get(asTaskId(kill.task_id.value));
    if (t === undefined || t.agentId !== agent.id || isTerminal(t.task.state)) {
      agent.pendingKills.delete(key);
      continue;
    }
    if (reported.has(key)) connection.send({ kill_task: kill });
  }
}

/**
 * A known agent came back without some tasks the master has for it (say a RunTask lost with the
 * old connection): the agent is asked to reconcile them (ReconcileTasks, per framework) and
 * answers with a status update for each, TASK_DROPPED or TASK_LOST for those it does not know.
 */
function reconcileUnreported(core: MasterCore, agentId: AgentId, connection: AgentConnection, reported: ReadonlySet<string>): void {
  for (const f of core.state.frameworks.values()) {
    const missing: mesos.v1.TaskID[] = [];
    for (const t of f.tasks.values()) {
      if (t.agentId === agentId && !isTerminal(t.task.state) && !reported.has(`${f.id}\u0000${t.task.task_id.value}`)) missing.push(t.task.task_id);
    }
    if (missing.length > 0) connection.send({ reconcile_tasks: { framework_id: { value: f.id }, task_ids: missing } });
  }
}

/**
 * Executors the master has on a known agent that its re-registration does not list are gone (an
 * ExecutorExited may have been lost with the old connection): forgotten, resources back (Mesos
 * `reconcileKnownSlave`).
 */
function forgetUnreportedExecutors(core: MasterCore, agentId: AgentId, reported: readonly mesos.v1.ExecutorInfo[]): void {
  const present = new Set(reported.map((e) => `${e.framework_id?.value ?? ''}\u0000${e.executor_id.value}`));
  for (const f of core.state.frameworks.values()) {
    for (const executorId of [...(f.executors.get(agentId)?.keys() ?? [])]) {
      if (!present.has(`${f.id}\u0000${executorId}`)) {
        core.log.info({ agentId, frameworkId: f.id, executorId }, 'forgetting an executor the re-registered agent no longer runs');
        core.removeExecutor(f, agentId, executorId);
      }
    }
  }
}

/**
 * The tasks a re-registering agent (unknown to this master, or back from unreachable) runs:
 * tasks of removed frameworks, and of non-partition-aware frameworks after a partition, are
 * shut down; frameworks this master does not know become "recovered"; the rest are adopted with
 * the state the agent reports. Returns what they use, per framework, for the allocator.
 */
function adoptAgentTasks(core: MasterCore, agentId: AgentId, msg: maestro.agent.ReregisterAgent, wasUnreachable: boolean, shutdown: Set<FrameworkId>): Map<FrameworkId, Resources> {
  const used = new Map<FrameworkId, Resources>();
  const infos = new Map<string, mesos.v1.FrameworkInfo>();
  for (const fi of msg.frameworks ?? []) if (fi.id?.value !== undefined) infos.set(fi.id.value, fi);
  const addUsed = (fid: FrameworkId, r: Resources) => used.set(fid, (used.get(fid) ?? Resources.empty).plus(r));
  if (wasUnreachable) {
    // Mesos forgets the agent's unreachable tasks on its return; those it still runs come back below.
    for (const f of core.state.frameworks.values()) {
      for (const [taskId, t] of f.unreachableTasks) if (t.agentId === agentId) f.unreachableTasks.delete(taskId);
    }
  }
  for (const task of msg.tasks ?? []) {
    const fid = asFrameworkId(task.framework_id.value);
    if (core.state.completedFrameworks.has(fid) || core.removedFrameworks.has(fid)) { shutdown.add(fid); continue; }
    let f = core.state.frameworks.get(fid);
    if (f !== undefined && wasUnreachable && !core.partitionAware(f)) { shutdown.add(fid); continue; }
    if (f === undefined) {
      const fi = infos.get(fid);
      if (fi === undefined) { shutdown.add(fid); continue; }
      f = recoverFramework(core, fid, fi);
    }
    const taskId = asTaskId(task.task_id.value);
    const role = task.resources?.find((r) => r.allocation_info?.role !== undefined)?.allocation_info?.role ?? f.roles[0] ?? '*';
    let resources: Resources;
    try {
      resources = resourcesFromWire(task.resources ?? []).allocate(role);
    } catch (e) {
      core.log.warn({ agentId, taskId, error: (e as Error).message }, 'ignoring a re-registered task with invalid resources');
      continue;
    }
    f.unreachableTasks.delete(taskId);
    const rec: TaskRecord = { task: { ...task, agent_id: { value: agentId } }, frameworkId: fid, agentId, role, resources };
    f.tasks.set(taskId, rec);
    if (!isTerminal(task.state)) addUsed(fid, resources);
  }
  for (const e of msg.executors ?? []) {
    const fid = asFrameworkId(e.framework_id?.value ?? '');
    const f = core.state.frameworks.get(fid);
    if (f === undefined || shutdown.has(fid)) continue;
    const role = e.resources?.find((r) => r.allocation_info?.role !== undefined)?.allocation_info?.role ?? f.roles[0] ?? '*';
    try {
      const resources = resourcesFromWire(e.resources ?? []).allocate(role);
      core.addExecutor(f, agentId, e, resources);
      addUsed(fid, resources);
    } catch (err) {
      core.log.warn({ agentId, executorId: e.executor_id.value, error: (err as Error).message }, 'ignoring a re-registered executor with invalid resources');
    }
  }
  return used;
}

function startPinging(core: MasterCore, agent: AgentRecord): void {
  const old = core.pingTimers.get(agent.id);
  if (old) core.timers.clear(old);
  agent.missedPings = 0;
  const ping = () => {
    agent.pingSequence += 1;
    core.sendAgent(agent.id, { ping: { sequence: agent.pingSequence } });
  };
  ping();
  core.pingTimers.set(agent.id, core.timers.setInterval(() => {
    agent.missedPings = agent.lastPong >= agent.pingSequence ? 0 : agent.missedPings + 1;
    // Not while its re-registration (UPDATE_AGENT_INFO) or its removal (REMOVE_AGENT, machine DOWN) is written.
    if (agent.missedPings >= core.config.maxAgentPingTimeouts && !core.reregistering.has(agent.id) && !core.removingAgents.has(agent.id)) {
      markUnreachable(core, agent, agent.connected ? 'health check timed out' : 'agent disconnected and did not return');
      return;
    }
    ping();
  }, core.config.agentPingTimeoutMs));
}

/**
 * Bounds what partitions and MARK_AGENT_GONE leave behind, as Mesos does: the newest
 * `--max_unreachable_tasks_per_framework` unreachable tasks of each framework, and the unreachable
 * and the gone agents of the last `--registry_max_agent_age`, at most `--registry_max_agent_count`
 * of each. A pruned gone agent is unknown again: it may register (as in Mesos). A forgotten task on an agent
 * still listed is answered TASK_UNREACHABLE by reconciliation all the same.
 */
export function forgetOldAgents(core: MasterCore, nowMs: number): { readonly unreachable: number; readonly gone: number } {
  const maxTasks = core.config.maxUnreachableTasksPerFramework ?? 1000;
  for (const f of core.state.frameworks.values()) {
    for (const taskId of f.unreachableTasks.keys()) {
      if (f.unreachableTasks.size <= maxTasks) break;
      f.unreachableTasks.delete(taskId);
    }
  }
  const maxAgents = core.config.registryMaxAgentCount ?? 102_400;
  const maxAgeMs = core.config.registryMaxAgentAgeMs ?? 14 * 24 * 3600 * 1000;
  // Oldest first: the map is in the order agents became unreachable.
  const pruned: AgentId[] = [];
  for (const [agentId, a] of core.state.unreachableAgents) {
    if (core.state.unreachableAgents.size <= maxAgents && nowMs - a.since <= maxAgeMs) break;
    core.state.unreachableAgents.delete(agentId);
    pruned.push(agentId);
  }
  if (pruned.length > 0) core.record({ type: 'PRUNE_UNREACHABLE', agentIds: pruned });
  // Gone agents by the same bounds (Mesos' registry GC prunes both lists): too old first, then the
  // oldest while there are too many. Few are ever gone, so a walk of them all is fine.
  const goneOut = [...core.goneAgents].filter(([, since]) => nowMs - since > maxAgeMs).map(([id]) => id);
  if (core.goneAgents.size - goneOut.length > maxAgents) {
    const left = [...core.goneAgents].filter(([id]) => !goneOut.includes(id)).sort((a, b) => a[1] - b[1]);
    goneOut.push(...left.slice(0, left.length - maxAgents).map(([id]) => id));
  }
  for (const id of goneOut) core.goneAgents.delete(id);
  if (goneOut.length > 0) core.record({ type: 'PRUNE_GONE', agentIds: goneOut });
  return { unreachable: pruned.length, gone: goneOut.length };
}

/**
 * The registry GC (Mesos `doRegistryGc`), every `--registry_gc_interval` on the leading master:
 * unreachable and gone agents past `--registry_max_agent_age` or beyond `--registry_max_agent_count`
 * are forgotten even when no agent is marked unreachable or gone (which prunes too).
 */
export function registryGc(core: MasterCore): void {
  if (core.stopped || !core.leading) return;
  const pruned = forgetOldAgents(core, core.clock.now());
  if (pruned.unreachable > 0 || pruned.gone > 0) core.log.info(pruned, 'registry GC: forgot unreachable and gone agents');
}

/**
 * The agent missed too many pings: it leaves the cluster until it re-registers, once the registry
 * holds it unreachable. Its pings stop at once; a re-registration meanwhile is refused.
 */
function markUnreachable(core: MasterCore, agent: AgentRecord, why: string): void {
  const id = agent.id;
  const timer = core.pingTimers.get(id);
  if (timer) core.timers.clear(timer);
  core.pingTimers.delete(id);
  const sinceMs = core.clock.now();
  core.markingUnreachable.add(id);
  core.persist({ type: 'MARK_AGENT_UNREACHABLE', agentId: id, sinceMs }, () => {
    core.markingUnreachable.delete(id);
    if (core.state.agents.get(id) === agent) removeUnreachableAgent(core, agent, why, sinceMs);
  }, () => core.markingUnreachable.delete(id));
}

function removeUnreachableAgent(core: MasterCore, agent: AgentRecord, why: string, nowMs: number): void {
  const id = agent.id;
  for (const offerId of [...agent.offers]) core.removeOfferWithRescind(offerId);
  core.allocator.removeAgent(id);
  const message = `Agent ${agent.info.hostname} is unreachable: ${why}`;
  for (const f of core.state.frameworks.values()) {
    const pa = core.partitionAware(f);
    for (const t of [...f.tasks.values()]) {
      if (t.agentId !== id) continue;
      if (isTerminal(t.task.state)) { core.completeTask(f, t); continue; }
      const state: TaskState = pa ? 'TASK_UNREACHABLE' : 'TASK_LOST';
      const status = masterStatus({
        taskId: t.task.task_id.value, state, reason: 'REASON_AGENT_REMOVED', message, agentId: id,
        executorId: t.task.executor_id?.value, timestamp: nowMs / 1000, unreachableSinceMs: nowMs,
      });
      core.setTaskState(t, status, state);
      if (pa) {
        f.tasks.delete(asTaskId(t.task.task_id.value));
        f.unreachableTasks.set(asTaskId(t.task.task_id.value), t);
      } else {
        core.completeTask(f, t);
      }
      core.update(f, status);
    }
    f.executors.delete(id);
    // Mesos' "agent lost" callback: a FAILURE event naming only the agent.
    core.send(f, { type: 'FAILURE', failure: { agent_id: { value: id } } });
  }
  core.count('master/slave_removals');
  core.count('master/slave_removals/reason_unhealthy');
  core.state.agents.delete(id);
  core.state.unreachableAgents.set(id, { info: agent.info, since: nowMs });
  forgetOldAgents(core, nowMs);
  const conn = core.connections.get(id);
  if (conn !== undefined) {
    core.connections.delete(id);
    core.connectionAgents.delete(conn);
    conn.close('marked unreachable');
  }
  core.log.warn({ agentId: id, why }, 'agent marked unreachable');
}

/**
 * After a failover: the registry's admitted agents that have not re-registered within
 * `--agent_reregister_timeout` are marked unreachable (stored first). This master never knew
 * their tasks, so there is nothing to update; frameworks hear that the agent is lost (FAILURE),
 * and reconciliation answers for its tasks as for any unreachable agent.
 */
export function markRecoveredAgentsUnreachable(core: MasterCore): void {
  for (const [id, info] of [...core.recoveredAgents]) {
    if (core.markingUnreachable.has(id) || core.reregistering.has(id)) continue;
    const sinceMs = core.clock.now();
    core.markingUnreachable.add(id);
    core.persist({ type: 'MARK_AGENT_UNREACHABLE', agentId: id, sinceMs }, () => {
      core.markingUnreachable.delete(id);
      if (!core.recoveredAgents.delete(id)) return;
      core.state.unreachableAgents.set(id, { info, since: sinceMs });
      core.count('master/slave_removals');
      core.count('master/slave_removals/reason_unhealthy');
      core.count('master/recovery_slave_removals');
      for (const f of core.state.frameworks.values()) core.send(f, { type: 'FAILURE', failure: { agent_id: { value: id } } });
      forgetOldAgents(core, sinceMs);
      core.log.warn({ agentId: id, hostname: info.hostname }, 'agent did not re-register after the failover: marked unreachable');
    }, () => core.markingUnreachable.delete(id));
  }
}
