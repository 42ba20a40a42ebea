/**
 * The environment of a command task, as Apache Mesos' agent and command executor build it: the
 * agent's executor variables (MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID, MESOS_DIRECTORY,
 * MESOS_SANDBOX, MESOS_SLAVE_ID, MESOS_SLAVE_PID, MESOS_AGENT_ENDPOINT, MESOS_CHECKPOINT,
 * MESOS_HTTP_COMMAND_EXECUTOR, MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD), the containerizer's
 * MESOS_CONTAINER_NAME, the command executor's MESOS_TASK_ID, and maestro's MESOS_AGENT_ID (the
 * same value as MESOS_SLAVE_ID), then the task's CommandInfo.environment on top (VALUE variables;
 * SECRET variables are not supported and are left out). PATH comes from the agent when the task
 * does not set it, so `sh -c 'echo hi'` finds its programs.
 *
 * Pure: everything comes in as arguments.
 */
import type { mesos } from '../proto/types.generated.ts';

export interface TaskEnvironmentInput {
  readonly agentId: string;
  readonly frameworkId: string;
  readonly executorId: string;
  /** Absent for a custom executor's own environment (no MESOS_TASK_ID). */
  readonly taskId?: string;
  readonly containerId: string;
  readonly sandbox: string;
  /** `ip:port` of the agent's HTTP endpoint. */
  readonly agentEndpoint: string;
  readonly checkpoint: boolean;
  /** Seconds; Mesos' executor shutdown grace period (5 s by default). */
  readonly shutdownGracePeriodSeconds: number;
  readonly command?: mesos.v1.CommandInfo;
  /** The agent's PATH, used when the task sets none. */
  readonly path?: string;
  /** For an executor with checkpointing: how long it retries to reach a restarted agent, and its backoff cap (seconds). */
  readonly recovery?: { readonly timeoutSeconds: number; readonly backoffMaxSeconds: number };
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function taskEnvironment(input: TaskEnvironmentInput): Record<string, string> {
  const env: Record<string, string> = {
    PATH: input.path ?? DEFAULT_PATH,
    MESOS_FRAMEWORK_ID: input.frameworkId,
    MESOS_EXECUTOR_ID: input.executorId,
    MESOS_SLAVE_ID: input.agentId,
    MESOS_AGENT_ID: input.agentId,
    MESOS_SLAVE_PID: `slave(1)@${input.agentEndpoint}`,
    MESOS_AGENT_ENDPOINT: input.agentEndpoint,
    MESOS_DIRECTORY: input.sandbox,
    MESOS_SANDBOX: input.sandbox,
    MESOS_CHECKPOINT: input.checkpoint ? '1' : '0',
    MESOS_HTTP_COMMAND_EXECUTOR: '0',
    MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: `${input.shutdownGracePeriodSeconds}secs`,
    MESOS_CONTAINER_NAME: `mesos-${input.containerId}`,
  };
  if (input.taskId !== undefined) env.MESOS_TASK_ID = input.taskId;
  if (input.checkpoint && input.recovery !== undefined) {
    env.MESOS_RECOVERY_TIMEOUT = `${input.recovery.timeoutSeconds}secs`;
    env.MESOS_SUBSCRIPTION_BACKOFF_MAX = `${input.recovery.backoffMaxSeconds}secs`;
  }
  for (const v of input.command?.environment?.variables ?? []) {
    const type = v.type ?? 'VALUE';
    if (type !== 'VALUE') continue;
    env[v.name] = v.value ?? '';
  }
  return env;
}
