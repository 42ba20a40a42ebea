/**
 * Status updates from agents. Each moves its task through task-state-machine.ts (an illegal move
 * is logged, acknowledged to the agent so it stops retrying, and not forwarded), is forwarded to
 * the framework as an UPDATE (a disconnected framework misses it; the agent resends until
 * acknowledged, and a resend with the same uuid is forwarded again), and a first terminal state
 * gives the task's resources back at once.
 */
import { asFrameworkId, asTaskId } from '../common/ids.ts';
import type { mesos, maestro } from '../proto/types.generated.ts';
import type { AgentRecord } from './master-state.ts';
import type { MasterCore } from './master-core.ts';
import { isTerminal, transition } from './task-state-machine.ts';

export function statusUpdate(core: MasterCore, agent: AgentRecord, msg: maestro.agent.StatusUpdate): void {
  core.count('master/messages_status_update');
  const status: mesos.v1.TaskStatus = { ...msg.status, agent_id: msg.status.agent_id ?? { value: agent.id } };
  const fid = asFrameworkId(msg.framework_id.value);
  const f = core.state.frameworks.get(fid);
  if (f === undefined) {
    if (core.state.completedFrameworks.has(fid)) core.sendAgent(agent.id, { shutdown_framework: { framework_id: { value: fid } } });
    core.log.info({ agentId: agent.id, frameworkId: fid }, 'dropping status update of an unknown framework');
    return;
  }
  const taskId = asTaskId(status.task_id.value);
  const t = f.tasks.get(taskId) ?? f.unreachableTasks.get(taskId);
  if (t === undefined) {
    // Mesos forwards updates of tasks it does not know (e.g. after a failover); so do we.
    core.update(f, status);
    return;
  }
  if (status.uuid !== undefined && status.uuid === t.lastUpdateUuid) {
    core.update(f, status);
    return;
  }
  const latest = msg.latest_state ?? status.state;
  const moved = transition(t.task.state, latest);
  if (!moved.ok) {
    core.count('master/invalid_status_updates');
    core.log.warn({ agentId: agent.id, frameworkId: fid, taskId, reason: moved.reason }, 'rejecting an illegal status update');
    if (status.uuid !== undefined) {
      core.sendAgent(agent.id, { status_update_acknowledgement: { agent_id: { value: agent.id }, framework_id: { value: fid }, task_id: status.task_id, uuid: status.uuid } });
    }
    return;
  }
  if (f.unreachableTasks.has(taskId)) {
    f.unreachableTasks.delete(taskId);
    f.tasks.set(taskId, t);
  }
  const wasTerminal = isTerminal(t.task.state);
  core.count('master/valid_status_updates');
  core.setTaskState(t, status, moved.state);
  t.task.status_update_state = status.state;
  if (status.uuid !== undefined) {
    t.task.status_update_uuid = status.uuid;
    t.lastUpdateUuid = status.uuid;
  }
  if (!wasTerminal && isTerminal(moved.state)) core.releaseTask(f, t);
  core.update(f, status);
  if (status.uuid === undefined && isTerminal(moved.state)) core.completeTask(f, t);
}
