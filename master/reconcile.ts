/**
 * Task reconciliation answers, with Mesos' rules (master.cpp `_reconcileTasks`). Pure: given what
 * the master knows about the framework's tasks and the agents, returns the statuses to send.
 * Every answer has source SOURCE_MASTER, reason REASON_RECONCILIATION and no uuid.
 *
 * Implicit (no tasks named): the latest state of every task the master knows for the framework,
 * plus TASK_UNREACHABLE for tasks on unreachable agents.
 * Explicit, for each named task:
 *   known task                        -> the state of its latest update forwarded (its state if none)
 *   task on an unreachable agent      -> TASK_UNREACHABLE
 *   agent named and registered        -> TASK_GONE (the agent does not run it)
 *   agent named, in the registry but not re-registered with this leader yet -> no answer (Mesos:
 *                                        the agent may still bring the task; the framework asks again)
 *   agent named and unreachable       -> TASK_UNREACHABLE
 *   agent named and marked gone       -> TASK_GONE_BY_OPERATOR (MARK_AGENT_GONE)
 *   otherwise (agent unknown or none) -> TASK_UNKNOWN
 * Frameworks without PARTITION_AWARE get TASK_LOST instead of GONE, UNREACHABLE and UNKNOWN.
 */
import type { mesos } from '../proto/types.generated.ts';
import { masterStatus, type TaskState } from './task-status.ts';

export interface ReconcileTaskView {
  readonly taskId: string;
  readonly agentId: string;
  readonly executorId?: string;
  readonly state: TaskState;
  readonly healthy?: boolean;
}

export interface ReconcileInput {
  readonly partitionAware: boolean;
  /** Tasks the master knows for the framework (including terminal, unacknowledged ones). */
  readonly tasks: ReadonlyMap<string, ReconcileTaskView>;
  /** Tasks of the framework on unreachable agents, with the time (ms) the agent became unreachable. */
  readonly unreachableTasks: ReadonlyMap<string, ReconcileTaskView & { readonly sinceMs: number }>;
  agentStatus(agentId: string): 'registered' | 'transitioning' | 'unreachable' | 'gone' | 'unknown';
  unreachableSinceMs(agentId: string): number | undefined;
  /** Seconds since the epoch. */
  readonly now: number;
}

export type ReconcileQuery = { readonly task_id: mesos.v1.TaskID; readonly agent_id?: mesos.v1.AgentID };

function forFramework(state: TaskState, partitionAware: boolean): TaskState {
  if (partitionAware) return state;
  return state === 'TASK_GONE' || state === 'TASK_UNREACHABLE' || state === 'TASK_UNKNOWN' || state === 'TASK_GONE_BY_OPERATOR'
    ? 'TASK_LOST'
    : state;
}

function known(t: ReconcileTaskView, now: number): mesos.v1.TaskStatus {
  const s = masterStatus({ taskId: t.taskId, state: t.state, reason: 'REASON_RECONCILIATION', agentId: t.agentId, executorId: t.executorId, timestamp: now });
  if (t.healthy !== undefined) s.healthy = t.healthy;
  return s;
}

export function reconcile(input: ReconcileInput, queries: readonly ReconcileQuery[]): mesos.v1.TaskStatus[] {
  const { now, partitionAware } = input;
  const out: mesos.v1.TaskStatus[] = [];
  const unreachable = (taskId: string, agentId: string | undefined, sinceMs: number | undefined) =>
    masterStatus({
      taskId, state: forFramework('TASK_UNREACHABLE', partitionAware), reason: 'REASON_RECONCILIATION', agentId, timestamp: now,
      unreachableSinceMs: sinceMs,
    });
  if (queries.length === 0) {
    for (const t of input.tasks.values()) out.push(known(t, now));
    for (const t of input.unreachableTasks.values()) out.push(unreachable(t.taskId, t.agentId, t.sinceMs));
    return out;
  }
  for (const q of queries) {
    const taskId = q.task_id.value;
    const agentId = q.agent_id?.value;
    const task = input.tasks.get(taskId);
    if (task !== undefined) { out.push(known(task, now)); continue; }
    const lost = input.unreachableTasks.get(taskId);
    if (lost !== undefined) { out.push(unreachable(taskId, lost.agentId, lost.sinceMs)); continue; }
    const agent = agentId === undefined ? 'unknown' : input.agentStatus(agentId);
    if (agent === 'registered') {
      out.push(masterStatus({ taskId, state: forFramework('TASK_GONE', partitionAware), reason: 'REASON_RECONCILIATION', agentId, timestamp: now }));
    } else if (agent === 'transitioning') {
      // In the registry, not re-registered with this leader yet: no answer (Mesos); the framework asks again.
      continue;
    } else if (agent === 'unreachable') {
      out.push(unreachable(taskId, agentId, input.unreachableSinceMs(agentId!)));
    } else if (agent === 'gone') {
      out.push(masterStatus({ taskId, state: forFramework('TASK_GONE_BY_OPERATOR', partitionAware), reason: 'REASON_RECONCILIATION', agentId, timestamp: now }));
    } else {
      out.push(masterStatus({ taskId, state: forFramework('TASK_UNKNOWN', partitionAware), reason: 'REASON_RECONCILIATION', agentId, timestamp: now }));
    }
  }
  return out;
}
