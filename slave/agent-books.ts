/**
 * The agent's books in memory: one entry per task the agent holds (until its terminal update is
 * acknowledged) and per executor, keyed by framework id and task / executor id, plus the small
 * pure helpers the core computes with (resources in use, wait status, kill grace period, the
 * task's user, the generated command executor). Entries are mutated only by slave/agent.ts.
 */
import type { Resources } from '../common/resources/resources.ts';
import type { TimerHandle } from '../master/ports.ts';
import type { mesos } from '../proto/types.generated.ts';
import type { Termination } from './containerizer.ts';
import type { RunKey, TaskKey } from './paths.ts';
import type { AgentTaskState } from './task-state-machine.ts';

/** Where a task's container is: being prepared (sandbox, fetch, launch), launched, or ended. */
export type Phase = 'preparing' | 'launched' | 'ended';

export interface TaskEntry {
  readonly key: TaskKey;
  readonly info: mesos.v1.TaskInfo;
  /** Set for a task with its own executor; undefined for a command task. */
  readonly customExecutor: boolean;
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

export interface ExecutorEntry {
  readonly key: RunKey;
  readonly info: mesos.v1.ExecutorInfo;
  readonly generated: boolean;
  readonly sandbox: string;
  terminated: boolean;
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
