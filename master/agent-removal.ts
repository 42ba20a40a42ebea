/**
 * An operator takes an agent out of the cluster (Mesos `__removeSlave` without an unreachable
 * time): machine DOWN (master/maintenance) and MARK_AGENT_GONE (agent-gone.ts). The agent is told
 * to shut down (it kills every task), then removed from the books at once, so frameworks hear of
 * their tasks even if the message is lost: offers and inverse offers rescinded, the agent leaves
 * the allocator, its tasks become TASK_GONE_BY_OPERATOR (PARTITION_AWARE frameworks) or
 * TASK_LOST, reason REASON_AGENT_REMOVED_BY_OPERATOR, and every framework gets a FAILURE event.
 */
import type { AgentId } from '../common/ids.ts';
import { asTaskId } from '../common/ids.ts';
import type { AgentRecord } from './master-state.ts';
import type { MasterCore } from './master-core.ts';
import { isTerminal } from './task-state-machine.ts';
import { masterStatus, type TaskState } from './task-status.ts';

/** The agent's outstanding inverse offers go (RESCIND_INVERSE_OFFER to their frameworks). */
export function rescindInverseOffers(core: MasterCore, agentId: AgentId): void {
  for (const o of core.maintenance.clearAgent(agentId)) {
    const f = core.state.frameworks.get(o.frameworkId);
    if (f !== undefined) core.send(f, { type: 'RESCIND_INVERSE_OFFER', rescind_inverse_offer: { inverse_offer_id: { value: o.id } } });
  }
}

/** ShutdownAgent with `why`, then the agent is removed as described above; its connection closes with `closeReason`. */
export function removeAgentByOperator(core: MasterCore, agent: AgentRecord, why: string, closeReason: string): void {
  const id = agent.id;
  core.sendAgent(id, { shutdown_agent: { message: why } });
  const timer = core.pingTimers.get(id);
  if (timer) core.timers.clear(timer);
  core.pingTimers.delete(id);
  for (const offerId of [...agent.offers]) core.removeOfferWithRescind(offerId);
  rescindInverseOffers(core, id);
  core.allocator.removeAgent(id);
  const now = core.nowSecs();
  for (const f of core.state.frameworks.values()) {
    const pa = core.partitionAware(f);
    for (const t of [...f.tasks.values()]) {
      if (t.agentId !== id) continue;
      if (isTerminal(t.task.state)) { core.completeTask(f, t); continue; }
      const state: TaskState = pa ? 'TASK_GONE_BY_OPERATOR' : 'TASK_LOST';
      const status = masterStatus({
        taskId: t.task.task_id.value, state, reason: 'REASON_AGENT_REMOVED_BY_OPERATOR',
        message: `Agent ${agent.info.hostname} removed: ${why}`, agentId: id, executorId: t.task.executor_id?.value, timestamp: now,
      });
      core.setTaskState(t, status, state);
      core.completeTask(f, t);
      core.update(f, status);
    }
    for (const t of [...f.unreachableTasks.values()]) if (t.agentId === id) f.unreachableTasks.delete(asTaskId(t.task.task_id.value));
    f.executors.delete(id);
    core.send(f, { type: 'FAILURE', failure: { agent_id: { value: id } } });
  }
  core.count('master/slave_removals');
  core.state.agents.delete(id);
  const conn = core.connections.get(id);
  if (conn !== undefined) {
    core.connections.delete(id);
    core.connectionAgents.delete(conn);
    conn.close(closeReason);
  }
}
