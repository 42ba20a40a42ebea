/**
 * What maintenance does to the cluster, over the master's books (master-core.ts):
 *
 *   UPDATE_MAINTENANCE_SCHEDULE ─► machines DRAINING / UP ─► their agents' offers rescinded and made
 *                                    again (offers from DRAINING machines carry `unavailability`),
 *                                    inverse offers sent (DRAINING) or rescinded (UP)
 *   START_MAINTENANCE (machine/down) ─► each agent on the machines: REMOVE_AGENT stored (the registry
 *                                    no longer lists it, Mesos' RemoveSlave), then ShutdownAgent,
 *                                    removed from the cluster (tasks TASK_GONE_BY_OPERATOR for
 *                                    partition-aware frameworks, TASK_LOST for the others,
 *                                    REASON_AGENT_REMOVED_BY_OPERATOR; FAILURE events); agents of a
 *                                    DOWN machine are refused
 *   STOP_MAINTENANCE (machine/up) ─► UP again: its agents register as usual
 *
 * Every change is stored first when the master has a `MaintenanceStore` (the operator's 200 comes
 * once it is, and once the agents it takes DOWN are removed); without one it applies at once. A
 * rejected change alters nothing.
 */
import type { AgentId } from '../../common/ids.ts';
import type { mesos } from '../../proto/types.generated.ts';
import type { AgentConnection } from '../ports.ts';
import type { AgentRecord, FrameworkRecord } from '../master-state.ts';
import type { MasterCore } from '../master-core.ts';
import type { OperatorOutcome } from '../operator-endpoint.ts';
import { reject } from '../call-outcome.ts';
import { isTerminal } from '../task-state-machine.ts';
import { removeAgentByOperator, rescindInverseOffers } from '../agent-removal.ts';
import { agentUrl } from '../offers.ts';
import { agentMachineId, pairKey } from './maintenance-book.ts';
import {
  clusterStatus, machineKey, startMaintenance, stopMaintenance, updateSchedule,
  type Checked, type ClusterStatus, type MachineID, type MaintenanceChange, type Schedule,
} from './maintenance.ts';

/** Default `refuse_seconds` of an inverse offer answer without filters (Mesos' Filters default). */
const DEFAULT_REFUSE_MS = 5000;
/** Removed agents remembered (Mesos' MAX_REMOVED_SLAVES). */
const MAX_REMOVED_AGENTS = 100_000;

export function machineOf(agent: AgentRecord): MachineID {
  return agentMachineId(agent.info, agent.endpoint, agent.remoteAddress);
}

/**
 * An agent's machine key, kept per record while its info, endpoint and address stay the same
 * objects (re-registration replaces them): the inverse offer pass looks at every agent each
 * allocation cycle while a machine is scheduled.
 */
const keyCache = new WeakMap<AgentRecord, { info: unknown; endpoint: unknown; remote: unknown; key: string }>();
function machineKeyOf(agent: AgentRecord): string {
  const c = keyCache.get(agent);
  if (c !== undefined && c.info === agent.info && c.endpoint === agent.endpoint && c.remote === agent.remoteAddress) return c.key;
  const key = machineKey(machineOf(agent));
  keyCache.set(agent, { info: agent.info, endpoint: agent.endpoint, remote: agent.remoteAddress, key });
  return key;
}

function agentsOn(core: MasterCore, ids: readonly MachineID[]): AgentRecord[] {
  if (ids.length === 0) return [];
  const keys = new Set(ids.map(machineKey));
  return [...core.state.agents.values()].filter((a) => keys.has(machineKeyOf(a)));
}

export function getSchedule(core: MasterCore): Schedule {
  return core.maintenance.state.schedule;
}

export function getStatus(core: MasterCore): ClusterStatus {
  const book = core.maintenance;
  return clusterStatus(book.state, (id) => {
    const out: mesos.v1.allocator.InverseOfferStatus[] = [];
    for (const a of agentsOn(core, [id])) out.push(...(book.statuses.get(a.id)?.values() ?? []));
    return out;
  });
}

export function updateMaintenanceSchedule(core: MasterCore, schedule: Schedule): OperatorOutcome {
  return commit(core, updateSchedule(core.maintenance.state, schedule));
}

export function startMachinesMaintenance(core: MasterCore, ids: readonly MachineID[]): OperatorOutcome {
  return commit(core, startMaintenance(core.maintenance.state, ids));
}

export function stopMachinesMaintenance(core: MasterCore, ids: readonly MachineID[]): OperatorOutcome {
  return commit(core, stopMaintenance(core.maintenance.state, ids));
}

function commit(core: MasterCore, checked: Checked<MaintenanceChange>): OperatorOutcome {
  if (!checked.ok) return reject(400, checked.message);
  const change = checked.value;
  const store = core.maintenanceStore;
  if (store === undefined) {
    const removed = apply(core, change);
    // Without a registrar the removals took place already; with one the 200 waits for them.
    return core.registrar === undefined ? { ok: true } : { ok: true, written: removed };
  }
  // The next change is checked against this one: the books move now, the effects once stored.
  const before = core.maintenance.state;
  core.maintenance.state = change.state;
  const saved = core.maintenance.saving.catch(() => undefined).then(() => store.save(change.state));
  core.maintenance.saving = saved;
  const written = saved.then(
    () => new Promise<void>((resolve) => {
      core.timers.setTimeout(() => {
        // The books already hold this change (or a later one): only the effects remain.
        if (core.stopped) return resolve();
        void act(core, change).then(resolve);
      }, 0);
    }),
    (err: Error) => {
      if (core.maintenance.state === change.state) core.maintenance.state = before;
      core.log.error({ error: err.message }, 'the maintenance state could not be stored');
      throw err;
    });
  return { ok: true, written };
}

/**
 * The books take the new state; agents, offers and inverse offers follow it. Resolves once the
 * agents of machines gone DOWN are removed (at once without a registrar).
 */
export function apply(core: MasterCore, change: MaintenanceChange): Promise<void> {
  core.maintenance.state = change.state;
  return act(core, change);
}

function act(core: MasterCore, change: MaintenanceChange): Promise<void> {
  const touched = agentsOn(core, [...change.draining, ...change.up]);
  for (const agent of touched) {
    for (const offerId of [...agent.offers]) core.rescindOffer(offerId, true);
    rescindInverseOffers(core, agent.id);
  }
  const removals = agentsOn(core, change.down).map((agent) => removeDownAgent(core, agent));
  core.log.info({
    draining: change.draining.map(machineKey), down: change.down.map(machineKey), up: change.up.map(machineKey),
  }, 'maintenance changed');
  if (touched.length > 0) core.scheduleAllocation(touched.map((a) => a.id));
  if (change.draining.length > 0) sendInverseOffers(core);
  return Promise.all(removals).then(() => undefined);
}

/**
 * Machine DOWN: the agent leaves the registry first (REMOVE_AGENT, Mesos' RemoveSlave: a newly
 * elected master does not await it, it comes back with a new id), then it is shut down and
 * removed, as MARK_AGENT_GONE does (agent-removal.ts). An agent being marked unreachable or gone
 * is left to that (Mesos' `removeSlave` ignores it too). Resolves once removed; a failed write
 * leaves it registered (a failed store ends the master, master-core.ts).
 */
function removeDownAgent(core: MasterCore, agent: AgentRecord): Promise<void> {
  const id = agent.id;
  if (core.markingUnreachable.has(id) || core.markingGone.has(id) || core.removingAgents.has(id)) {
    core.log.warn({ agentId: id }, 'not removing the agent of a DOWN machine: it is being marked unreachable or gone, or removed');
    return Promise.resolve();
  }
  core.removingAgents.add(id);
  const out = core.durably([{ type: 'REMOVE_AGENT', agentId: id }], () => {
    core.removingAgents.delete(id);
    // Defensive: nothing else removes it while it is being removed (pings, MARK_AGENT_GONE, re-registration wait).
    if (core.state.agents.get(id) !== agent) return;
    removeAgentByOperator(core, agent, "Operator initiated 'Machine DOWN'", 'machine DOWN');
    core.removedAgents.add(id);
    if (core.removedAgents.size > MAX_REMOVED_AGENTS) core.removedAgents.delete(core.removedAgents.values().next().value!);
    core.log.warn({ agentId: id, hostname: agent.info.hostname }, 'agent removed: its machine is DOWN');
  });
  return (out.written ?? Promise.resolve()).catch(() => { core.removingAgents.delete(id); });
}

/**
 * An agent on a DOWN machine may not register (Mesos answers with a shutdown message). True when
 * it was refused here.
 */
export function refusedForMaintenance(core: MasterCore, connection: AgentConnection, info: mesos.v1.AgentInfo, endpoint: string | undefined): boolean {
  if (!core.maintenance.active) return false;
  const machine = agentMachineId(info, endpoint, connection.remoteAddress);
  if (core.maintenance.modeOf(machine) !== 'DOWN') return false;
  const message = 'Machine is `DOWN`';
  core.log.warn({ connection: connection.id, machine }, 'refusing an agent registration: its machine is DOWN');
  connection.send({ shutdown_agent: { message } });
  connection.send({ registration_refused: { message } });
  connection.close(message);
  return true;
}

/** The unavailability offers from this agent carry (its machine DRAINING), else undefined. */
export function offerUnavailability(core: MasterCore, agent: AgentRecord): mesos.v1.Unavailability | undefined {
  if (!core.maintenance.active) return undefined;
  const m = core.maintenance.state.machines.get(machineKeyOf(agent));
  return m?.mode === 'DRAINING' ? m.unavailability : undefined;
}

/**
 * One inverse offer to each framework with tasks or executors on an agent of a DRAINING machine,
 * unless one is outstanding or its last answer's filter has not expired. Runs after each
 * allocation cycle while a machine is scheduled: one pass over the agents and the tasks (measured
 * at 10,000 agents and 100,000 tasks with 10 DRAINING machines: ~4-7 ms CPU per cycle, noisy 2-core
 * machine); nothing when no machine is scheduled.
 */
export function sendInverseOffers(core: MasterCore): void {
  const book = core.maintenance;
  if (!book.active || core.stopped) return;
  const draining = new Map<AgentId, { agent: AgentRecord; unavailability: mesos.v1.Unavailability }>();
  for (const agent of core.state.agents.values()) {
    if (!agent.connected) continue;
    const m = book.state.machines.get(machineKeyOf(agent));
    if (m?.mode === 'DRAINING') draining.set(agent.id, { agent, unavailability: m.unavailability });
  }
  if (draining.size === 0) return;
  const now = core.clock.now();
  const byFramework = new Map<FrameworkRecord, mesos.v1.InverseOffer[]>();
  for (const f of core.state.frameworks.values()) {
    if (!f.active || f.sink === undefined) continue;
    const using = new Set<AgentId>();
    for (const agentId of f.executors.keys()) if (draining.has(agentId)) using.add(agentId);
    for (const t of f.tasks.values()) if (draining.has(t.agentId) && !isTerminal(t.task.state)) using.add(t.agentId);
    for (const agentId of using) {
      const key = pairKey(agentId, f.id);
      if (book.outstanding.has(key) || (book.refusedUntil.get(key) ?? 0) > now) continue;
      const { agent, unavailability } = draining.get(agentId)!;
      const id = core.ids.offerId();
      book.inverseOffers.set(id, { id, frameworkId: f.id, agentId });
      book.outstanding.set(key, id);
      if (book.statuses.get(agentId)?.get(f.id) === undefined) {
        book.setStatus(agentId, f.id, { status: 'UNKNOWN', framework_id: { value: f.id }, timestamp: { nanoseconds: now * 1e6 } });
      }
      let list = byFramework.get(f);
      if (list === undefined) byFramework.set(f, (list = []));
      list.push({ id: { value: id }, url: agentUrl(agent.info, agent.endpoint), framework_id: { value: f.id }, agent_id: { value: agentId }, unavailability });
    }
  }
  for (const [f, inverseOffers] of byFramework) core.send(f, { type: 'INVERSE_OFFERS', inverse_offers: { inverse_offers: inverseOffers } });
}

/**
 * ACCEPT_INVERSE_OFFERS / DECLINE_INVERSE_OFFERS: each of the framework's outstanding inverse
 * offers named takes the answer (an unknown or foreign id is ignored, as Mesos drops an invalid
 * inverse offer answer); the next one waits `refuse_seconds`.
 */
export function answerInverseOffers(core: MasterCore, f: FrameworkRecord, ids: readonly mesos.v1.OfferID[], filters: mesos.v1.Filters | undefined, accept: boolean): void {
  const book = core.maintenance;
  const now = core.clock.now();
  const refuseMs = filters?.refuse_seconds !== undefined ? Math.max(0, filters.refuse_seconds * 1000) : DEFAULT_REFUSE_MS;
  for (const { value } of ids) {
    const o = book.inverseOffers.get(value);
    if (o === undefined || o.frameworkId !== f.id) {
      core.log.info({ frameworkId: f.id, inverseOfferId: value }, 'ignoring an answer to an unknown inverse offer');
      continue;
    }
    book.inverseOffers.delete(value);
    const key = pairKey(o.agentId, f.id);
    book.outstanding.delete(key);
    book.refusedUntil.set(key, now + refuseMs);
    book.setStatus(o.agentId, f.id, { status: accept ? 'ACCEPT' : 'DECLINE', framework_id: { value: f.id }, timestamp: { nanoseconds: now * 1e6 } });
  }
}
