/**
 * MARK_AGENT_GONE (Mesos `Master::Http::markAgentGone` and `Master::markGone`): the operator says
 * an agent is never coming back.
 *
 *   already gone ─► 200 (idempotent)
 *   being marked gone or unreachable, or removed (machine DOWN) ─► 503 (retry)
 *   not registered, unreachable or awaited after a failover ─► 404 "Agent '<id>' not found"
 *   otherwise ─► MARK_AGENT_GONE stored ─► the books: gone (re-registration refused for good) ─► 200
 *     registered agent:   ShutdownAgent, removed (agent-removal.ts: TASK_GONE_BY_OPERATOR or TASK_LOST)
 *     unreachable agent:  forgotten; its tasks held as TASK_UNREACHABLE by partition-aware
 *                         frameworks become TASK_GONE_BY_OPERATOR (the others had TASK_LOST already)
 *     awaited agent:      forgotten (this master never knew its tasks)
 *
 * Nothing changes before the registry holds the change; a rejected call changes nothing.
 */
import { asAgentId, asTaskId } from '../common/ids.ts';
import type { MasterCore } from './master-core.ts';
import type { OperatorOutcome } from './operator-endpoint.ts';
import { OK, reject } from './call-outcome.ts';
import { forgetOldAgents } from './agent-lifecycle.ts';
import { removeAgentByOperator } from './agent-removal.ts';
import { isTerminal } from './task-state-machine.ts';
import { masterStatus } from './task-status.ts';

export const GONE_MESSAGE = 'Agent has been marked gone';

export function markAgentGone(core: MasterCore, agentIdText: string): OperatorOutcome {
  if (agentIdText === '') return reject(400, "Expecting 'mark_agent_gone.agent_id.value' to be non-empty");
  const id = asAgentId(agentIdText);
  if (core.goneAgents.has(id)) {
    core.log.warn({ agentId: id }, 'not marking an agent gone: it is gone already');
    return OK;
  }
  if (core.markingGone.has(id)) return reject(503, `Agent '${id}' is already being transitioned to gone`);
  if (core.markingUnreachable.has(id)) return reject(503, `Agent '${id}' is being marked unreachable`);
  if (core.removingAgents.has(id)) return reject(503, `Agent '${id}' is being removed`);
  const known = core.state.agents.has(id) || core.recoveredAgents.has(id) || core.state.unreachableAgents.has(id);
  if (!known) return reject(404, `Agent '${id}' not found`);
  core.log.info({ agentId: id }, 'marking agent gone');
  const sinceMs = core.clock.now();
  core.markingGone.add(id);
  const outcome = core.durably([{ type: 'MARK_AGENT_GONE', agentId: id, sinceMs }], () => {
    core.markingGone.delete(id);
    markGone(core, id, sinceMs);
  });
  outcome.written?.catch(() => core.markingGone.delete(id));
  return outcome;
}

/** The registry holds the agent gone: the books follow. */
function markGone(core: MasterCore, id: ReturnType<typeof asAgentId>, sinceMs: number): void {
  core.goneAgents.set(id, sinceMs);
  forgetOldAgents(core, sinceMs);
  const agent = core.state.agents.get(id);
  if (agent !== undefined) {
    removeAgentByOperator(core, agent, GONE_MESSAGE, 'marked gone');
    core.log.warn({ agentId: id, hostname: agent.info.hostname }, 'agent marked gone');
    return;
  }
  core.recoveredAgents.delete(id);
  const unreachable = core.state.unreachableAgents.get(id);
  if (unreachable === undefined) return;
  core.state.unreachableAgents.delete(id);
  const now = core.nowSecs();
  for (const f of core.state.frameworks.values()) {
    for (const t of [...f.unreachableTasks.values()]) {
      if (t.agentId !== id) continue;
      if (isTerminal(t.task.state) || !core.partitionAware(f)) {
        f.unreachableTasks.delete(asTaskId(t.task.task_id.value));
        continue;
      }
      const status = masterStatus({
        taskId: t.task.task_id.value, state: 'TASK_GONE_BY_OPERATOR', reason: 'REASON_AGENT_REMOVED_BY_OPERATOR',
        message: `Agent ${unreachable.info.hostname} removed: ${GONE_MESSAGE}`, agentId: id, executorId: t.task.executor_id?.value, timestamp: now,
      });
      core.setTaskState(t, status, 'TASK_GONE_BY_OPERATOR');
      core.completeTask(f, t);
      core.update(f, status);
    }
  }
  core.log.warn({ agentId: id, hostname: unreachable.info.hostname }, 'unreachable agent marked gone');
}
