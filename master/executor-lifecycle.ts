/**
 * Executors as the master sees them, between the scheduler API and the agent protocol:
 *
 *   ACCEPT (LAUNCH with an ExecutorInfo, LAUNCH_GROUP) ─► live on the agent, its resources
 *     allocated to the framework (accept-call.ts, `MasterCore.addExecutor`)
 *   SHUTDOWN call ─► ShutdownExecutor to the agent (nothing changes here yet)
 *   ExecutorExited from the agent ─► forgotten, its resources back to the allocator, a FAILURE
 *     event (agent_id, executor_id, status) to the framework when it is connected
 *
 * As in Mesos (`Master::exitedExecutor`), the master does not end the executor's tasks itself:
 * the agent sends their terminal status updates (before ExecutorExited), and each task's
 * resources return with its own terminal update. An executor also disappears with its agent
 * (unreachable), its framework (removal), or when its known agent re-registers without listing it
 * (agent-lifecycle.ts). Unknown agents and executors are logged and ignored.
 */
import type { AgentId, ExecutorId } from '../common/ids.ts';
import { asExecutorId, asFrameworkId } from '../common/ids.ts';
import type { maestro } from '../proto/types.generated.ts';
import type { AgentRecord, FrameworkRecord } from './master-state.ts';
import type { MasterCore } from './master-core.ts';

/** SHUTDOWN: asks the agent to stop the executor; the agent answers with ExecutorExited. */
export function shutdownExecutor(core: MasterCore, f: FrameworkRecord, agentId: AgentId, executorId: ExecutorId): void {
  if (!core.state.agents.has(agentId)) {
    core.log.warn({ frameworkId: f.id, agentId, executorId }, 'unable to shut down an executor of an unknown agent');
    return;
  }
  core.log.info({ frameworkId: f.id, agentId, executorId }, 'asking the agent to shut down an executor');
  core.sendAgent(agentId, { shutdown_executor: { framework_id: { value: f.id }, executor_id: { value: executorId } } });
}

/** ExecutorExited from `agent`. */
export function executorExited(core: MasterCore, agent: AgentRecord, msg: maestro.agent.ExecutorExited): void {
  core.count('master/messages_exited_executor');
  const frameworkId = asFrameworkId(msg.framework_id.value);
  const executorId = asExecutorId(msg.executor_id.value);
  const f = core.state.frameworks.get(frameworkId);
  const executor = f?.executors.get(agent.id)?.get(executorId);
  if (f === undefined || executor === undefined) {
    core.log.warn({ agentId: agent.id, frameworkId, executorId }, 'ignoring an unknown exited executor');
    return;
  }
  core.log.info({ agentId: agent.id, frameworkId, executorId, status: msg.status }, 'executor exited');
  core.removeExecutor(f, agent.id, executorId);
  const failure: { agent_id: { value: string }; executor_id: { value: string }; status?: number } = {
    agent_id: { value: agent.id }, executor_id: { value: executorId },
  };
  if (msg.status !== undefined) failure.status = msg.status;
  core.send(f, { type: 'FAILURE', failure });
}
