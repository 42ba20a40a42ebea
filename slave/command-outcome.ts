/**
 * How a command task ended, in Mesos' words: the terminal state, message and reason the command
 * executor reports for a container's termination. Exit 0 is TASK_FINISHED even after a kill; a
 * task the agent killed (KillTask, shutdown, failed health check) is TASK_KILLED; anything else
 * is TASK_FAILED. The message is `Command exited with status N` or `Command terminated with
 * signal <strsignal text>` as Mesos' WSTRINGIFY writes it (signal-text.ts). Pure.
 *
 * maestro adds reason REASON_COMMAND_EXECUTOR_FAILED to a TASK_FAILED from a non-zero exit or a
 * signal (Mesos' command executor leaves the reason unset there), so frameworks can tell a task's
 * own failure from a launch failure (REASON_CONTAINER_LAUNCH_FAILED).
 *
 * A container an isolator limited (an OOM kill under cgroups/mem) is TASK_FAILED with the
 * limitation's reason and message, source SOURCE_AGENT (the agent destroyed the container, as
 * Mesos reports it), and TaskStatus.limitation naming the resources whose limit was hit, even
 * when a kill had been asked for: the limit, not the kill, ended it.
 */
import type { Termination } from './containerizer.ts';
import { signalDescription } from './signal-text.ts';
import type { mesos } from '../proto/types.generated.ts';

export interface CommandOutcome {
  readonly state: 'TASK_FINISHED' | 'TASK_FAILED' | 'TASK_KILLED';
  readonly message: string;
  readonly reason?: mesos.v1.TaskStatus.Reason;
  /** TaskStatus fields beyond state, message and reason, when the outcome sets them (a limitation: source and limitation). */
  readonly extra?: Pick<mesos.v1.TaskStatus, 'source' | 'limitation'>;
}

export function commandOutcome(termination: Termination, killed: boolean): CommandOutcome {
  switch (termination.kind) {
    case 'exited': {
      const message = `Command exited with status ${termination.exitCode}`;
      if (termination.exitCode === 0) return { state: 'TASK_FINISHED', message };
      return killed ? { state: 'TASK_KILLED', message } : { state: 'TASK_FAILED', message, reason: 'REASON_COMMAND_EXECUTOR_FAILED' };
    }
    case 'signaled': {
      const message = `Command terminated with signal ${signalDescription(termination.signal)}`;
      return killed ? { state: 'TASK_KILLED', message } : { state: 'TASK_FAILED', message, reason: 'REASON_COMMAND_EXECUTOR_FAILED' };
    }
    case 'launch-failed':
      return { state: 'TASK_FAILED', message: `Failed to launch container: ${termination.message}`, reason: 'REASON_CONTAINER_LAUNCH_FAILED' };
    case 'unknown':
      return killed
        ? { state: 'TASK_KILLED', message: `Failed to get exit status for Command: ${termination.message}` }
        : { state: 'TASK_FAILED', message: `Failed to get exit status for Command: ${termination.message}`, reason: 'REASON_EXECUTOR_TERMINATED' };
    case 'limited':
      return {
        state: 'TASK_FAILED',
        message: termination.message,
        reason: termination.reason,
        extra: { source: 'SOURCE_AGENT', limitation: { resources: [...termination.resources] } },
      };
  }
}
