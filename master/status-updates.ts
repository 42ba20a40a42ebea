/**
 * Status updates from agents. Each moves its task through task-state-machine.ts (an illegal move
 * is logged, acknowledged to the agent so it stops retrying, and not forwarded), is forwarded to
 * the framework as an UPDATE (a disconnected framework misses it; the agent resends until
 * acknowledged, and a resend with the same uuid is forwarded again), and a first terminal state
 * gives the task's resources back at once.
 *
 * `latest_state` moves the task ahead of the update it rides on (Mesos `updateTask`): the task
 * can be terminal while older updates of its stream are still to come. Those, and the terminal
 * update itself, are forwarded as they arrive (their state is the one already applied), so the
 * framework sees and acknowledges every one. The task completes when the update acknowledged
 * carries a terminal state (`status_update_state`), not merely when the task is terminal.
 */
import { asFrameworkId, asTaskId } from '../common/ids.ts';
import type { mesos, maestro } from '../proto/types.generated.ts';
import type { AgentRecord, FrameworkRecord, TaskRecord } from './master-state.ts';
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
  const found = f.tasks.get(taskId) ?? f.unreachableTasks.get(taskId);
  // Tasks are looked up on the sending agent (Mesos `slave->getTask`): the same id elsewhere is another task.
  const t = found?.agentId === agent.id ? found : undefined;
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
  if (isTerminal(t.task.state) && latest === t.task.state) {
    // The rest of a stream whose terminal state an earlier update's latest_state already
    // applied: nothing moves, but the framework still gets (and acknowledges) every update.
    catchUp(core, f, t, status);
    return;
  }
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

/** Records an update of a task already in its terminal state (`status_update_*`, statuses) and forwards it. */
function catchUp(core: MasterCore, f: FrameworkRecord, t: TaskRecord, status: mesos.v1.TaskStatus): void {
  core.count('master/valid_status_updates');
  core.setTaskState(t, status, t.task.state);
  t.task.status_update_state = status.state;
  if (status.uuid !== undefined) {
    t.task.status_update_uuid = status.uuid;
    t.lastUpdateUuid = status.uuid;
  }
  core.update(f, status);
  if (status.uuid === undefined) core.completeTask(f, t);
}
