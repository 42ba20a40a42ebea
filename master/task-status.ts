/**
 * Builders for the TaskStatus messages the master itself produces (reconciliation answers,
 * invalid tasks, lost and unreachable tasks, dropped launches). They carry SOURCE_MASTER and no
 * uuid, so frameworks need not acknowledge them (Mesos does the same).
 */
import type { mesos } from '../proto/types.generated.ts';

export type TaskState = mesos.v1.TaskState;
export type TaskStatusReason = NonNullable<mesos.v1.TaskStatus['reason']>;

export interface MasterStatusInput {
  readonly taskId: string;
  readonly state: TaskState;
  readonly reason: TaskStatusReason;
  readonly message?: string;
  readonly agentId?: string;
  readonly executorId?: string;
  /** Seconds since the epoch. */
  readonly timestamp: number;
  /** Milliseconds since the epoch, for TASK_UNREACHABLE. */
  readonly unreachableSinceMs?: number;
}

export function masterStatus(i: MasterStatusInput): mesos.v1.TaskStatus {
  const s: mesos.v1.TaskStatus = {
    task_id: { value: i.taskId },
    state: i.state,
    source: 'SOURCE_MASTER',
    reason: i.reason,
    timestamp: i.timestamp,
  };
  if (i.message !== undefined) s.message = i.message;
  if (i.agentId !== undefined) s.agent_id = { value: i.agentId };
  if (i.executorId !== undefined) s.executor_id = { value: i.executorId };
  if (i.unreachableSinceMs !== undefined) s.unreachable_time = { nanoseconds: i.unreachableSinceMs * 1e6 };
  return s;
}
