/**
 * The agent's books in memory: one entry per task the agent holds (until its terminal update is
 * acknowledged) and per executor, keyed by framework id and task / executor id, plus the small
 * pure helpers the core computes with (resources in use, wait status, kill grace period, the
 * task's user, the generated command executor). Entries are mutated only by slave/agent.ts.
 */
import { createHash } from 'node:crypto';
import type { Resources } from '../common/resources/resources.ts';
import type { TimerHandle } from '../common/ports.ts';
import type { mesos } from '../proto/types.generated.ts';
import type { Termination } from './containerizer.ts';
import type { ExecutorSink } from './executor-endpoint.ts';
import type { RunKey, TaskKey } from './paths.ts';
import type { AgentTaskState } from './task-state-machine.ts';

/** Where a task's container is: being prepared (sandbox, fetch, launch), launched, or ended. */
export type Phase = 'preparing' | 'launched' | 'ended';

export interface TaskEntry {
  readonly key: TaskKey;
  readonly info: mesos.v1.TaskInfo;
  /** Set for a task with its own executor; undefined for a command task. */
  readonly customExecutor: boolean;
  /** Who runs the task: the agent as command executor, the agent as default executor (task groups), or the framework's executor. */
  readonly kind: ExecutorKind;
  /**
   * The containerizer's id of the task's own container: the run's container for a command task,
   * a nested container (`<parent>.<child>`) for a task of a task group; undefined for a task that
   * a custom executor runs inside its own container.
   */
  readonly container?: string;
  /** The ContainerID reported in the task's statuses (with its parent for a nested container). */
  readonly containerStatusId: mesos.v1.ContainerID;
  /** The container's networks once it launched (BRIDGE: its address), in every TaskStatus after that. */
  networkInfos?: readonly mesos.v1.NetworkInfo[];
  /** A task group's id (its first task's id): the tasks killed together under the default executor. */
  readonly group?: string;
  /** A custom executor's task: checkpointed, so it may be sent to its executor. */
  ready?: boolean;
  state: AgentTaskState;
  readonly statuses: mesos.v1.TaskStatus[];
  sandbox: string;
  runDir: string;
  /** Settles once the sandbox and the task's checkpoints exist: undefined, or why they could not be made. */
  prepared: Promise<string | undefined>;
  environment: Record<string, string>;
  phase: Phase;
  killRequested: boolean;
  killedByHealth: boolean;
  graceTimer?: TimerHandle;
  checks: { stop(): void }[];
  healthy?: boolean;
  checkStatus?: mesos.v1.CheckStatusInfo;
  completed: boolean;
  collected: boolean;
  /** The task's resources while they count as used (from launch until a terminal state). */
  charged?: Resources;
}

export type ExecutorKind = 'command' | 'default' | 'custom';

/**
 * A custom executor's connection state: its process is being started (`launching`), runs but has
 * not subscribed yet (`registering`, also after an agent restart until it subscribes again),
 * subscribed with a live stream (`subscribed`), subscribed before but its stream broke
 * (`disconnected`), or being shut down (`terminating`).
 */
export type CustomExecutorState = 'launching' | 'registering' | 'subscribed' | 'disconnected' | 'terminating';

export interface ExecutorEntry {
  readonly key: RunKey;
  readonly info: mesos.v1.ExecutorInfo;
  /** True for the command executor the agent generates for a command task. */
  readonly generated: boolean;
  readonly kind: ExecutorKind;
  readonly sandbox: string;
  terminated: boolean;
  /** Custom executors only: where its process runs and how it is connected. */
  custom?: CustomExecutor;
  /** The executor's own resources (ExecutorInfo.resources) while they count as used. */
  charged?: Resources;
}

export interface CustomExecutor {
  state: CustomExecutorState;
  readonly runDir: string;
  /** The subscription stream while subscribed. */
  sink?: ExecutorSink;
  /** Events for the executor written while it is not subscribed (KILL, MESSAGE, ACKNOWLEDGED), sent on SUBSCRIBE. */
  readonly backlog: mesos.v1.executor.Event[];
  /** Registration / re-registration timeout, or the shutdown grace period. */
  timer?: TimerHandle;
  /** Why the agent is ending the executor (its tasks' reason when it is gone). */
  ending?: { readonly reason: mesos.v1.TaskStatus.Reason; readonly message: string };
  /** Set after an agent restart until the executor subscribes again (tasks it does not know are then lost). */
  recovered: boolean;
  /** The executor's process was started (a kill must go to the container). */
  launched: boolean;
}

export const MAX_COMPLETED_TASKS = 1000;
export const MAX_COMPLETED_EXECUTORS = 1000;
export const tkey = (frameworkId: string, taskId: string) => `${frameworkId}\u0000${taskId}`;
export const ekey = (frameworkId: string, executorId: string) => `${frameworkId}\u0000${executorId}`;

export const durationMs = (d: mesos.v1.DurationInfo | undefined): number | undefined =>
  d === undefined ? undefined : Math.max(0, d.nanoseconds / 1e6);

/** The wait(2) status of a termination, as ExecutorExited carries it. */
export function waitStatus(t: Termination): number | undefined {
  if (t.kind === 'exited') return (t.exitCode & 0xff) << 8;
  if (t.kind === 'signaled') return t.signal & 0x7f;
  return undefined;
}

/** Whether `wanted` fits beside `used` within `total` (scalars by name, ranges by overlap); the problem, or undefined. */
export function fitsInto(total: Resources, used: Resources, wanted: Resources): string | undefined {
  for (const name of wanted.names()) {
    const want = wanted.scalar(name);
    if (want > 0 && used.scalar(name) + want > total.scalar(name) + 1e-9) {
      return `${name}: ${want} requested, ${Math.max(0, total.scalar(name) - used.scalar(name))} left of ${total.scalar(name)}`;
    }
    for (const [b, e] of wanted.ranges(name)) {
      const inTotal = total.ranges(name).some(([tb, te]) => tb <= b && e <= te);
      if (!inTotal) return `${name}: [${b}-${e}] is not among the agent's ${name}`;
      const taken = used.ranges(name).some(([ub, ue]) => ub <= e && b <= ue);
      if (taken) return `${name}: [${b}-${e}] is already in use`;
    }
  }
  return undefined;
}

/**
 * The user a task runs as, and so its URI fetch and its health and check probes: CommandInfo.user,
 * else FrameworkInfo.user (as Mesos); undefined (absent or empty) means the agent's own user.
 */
export function taskUser(command: mesos.v1.CommandInfo | undefined, framework: mesos.v1.FrameworkInfo | undefined): string | undefined {
  const user = command?.user ?? framework?.user;
  return user !== undefined && user !== '' ? user : undefined;
}

/** The ExecutorInfo Mesos generates for a command task: the executor id is the task id. */
export function commandExecutorInfo(frameworkId: string, task: mesos.v1.TaskInfo): mesos.v1.ExecutorInfo {
  const cmd = task.command?.shell === false ? [task.command.value ?? '', ...(task.command.arguments ?? []).slice(1)].join(' ') : task.command?.value ?? '';
  return {
    executor_id: { value: task.task_id.value },
    framework_id: { value: frameworkId },
    command: { value: 'maestro-command-executor', shell: false },
    name: `Command Executor (Task: ${task.task_id.value}) (Command: sh -c '${cmd.slice(0, 100)}')`,
    source: task.task_id.value,
  };
}

/** The kind of executor an ExecutorInfo names: DEFAULT runs task groups in the agent, anything else is the framework's. */
export function executorKindOf(info: mesos.v1.ExecutorInfo | undefined): ExecutorKind {
  if (info === undefined) return 'command';
  return info.type === 'DEFAULT' ? 'default' : 'custom';
}

/** Label on a task of a task group: `false` keeps the group running when this task fails (maestro; Mesos always kills the group). */
export const KILL_GROUP_ON_FAILURE_LABEL = 'maestro.task_group.kill_on_failure';

export function killsGroupOnFailure(task: mesos.v1.TaskInfo): boolean {
  const label = (task.labels?.labels ?? []).find((l) => l.key === KILL_GROUP_ON_FAILURE_LABEL);
  return label?.value?.toLowerCase() !== 'false';
}

/**
 * The child id of a task group task's nested container: a UUID-shaped digest of the executor's
 * container id and the task id, so recovery finds the same container again without a checkpoint.
 */
export function nestedContainerId(parent: string, taskId: string): string {
  const h = createHash('sha256').update(parent).update('\u0000').update(taskId).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
