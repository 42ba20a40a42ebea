/**
 * Health checks (mesos.v1.HealthCheck) and generic checks (mesos.v1.CheckInfo) for the agent
 * core: validation with Mesos' rules and messages, and checkers that probe a task (COMMAND in
 * its sandbox with its environment and user, HTTP GET and TCP connect on loopback) on Mesos'
 * schedule and report what the task's status updates carry (`healthy`, `check_status`).
 *
 * The agent core calls `validate*` when a task arrives (an invalid check fails the task), sends
 * TASK_RUNNING (with `emptyCheckStatus(check.type)` when the task has a check), then `start*`,
 * and `stop()` when the task ends. `onCheckStatus` reports changes from that empty status on. `startHealthCheck` and `startCheck`
 * expect a valid check (they throw on an invalid one: that is a bug in the caller).
 * See README.md for the state diagram.
 */
import type { Clock, Timers } from '../../common/ports.ts';
import type { mesos } from '../../proto/types.generated.ts';
import { runCheck, type CheckerHandle } from './checker.ts';
import { createCommandProbe } from './command-probe.ts';
import { runHealthCheck, type HealthCheckHandle } from './health-checker.ts';
import { createHttpProbe } from './http-probe.ts';
import type { Probe } from './probe-loop.ts';
import { createTcpProbe } from './tcp-probe.ts';
import { validateCheck, validateHealthCheck } from './validation.ts';

export { validateCheck, validateHealthCheck } from './validation.ts';
export { emptyCheckStatus } from './probe-result.ts';
export type { CheckHandle, HealthCheckHandle } from './health-checker.ts';
export type { CheckerHandle } from './checker.ts';

/** What a probe needs to know about the task it checks. */
export interface ProbeContext {
  readonly taskId: string;
  /** Absolute sandbox path: a COMMAND probe's working directory. */
  readonly sandbox: string;
  /** The task's complete environment (a COMMAND probe's, under the check command's own variables). */
  readonly environment: Readonly<Record<string, string>>;
  /** The task's user; a COMMAND probe runs as this user unless its CommandInfo names one. */
  readonly user?: string;
  /**
   * The task's IPv4 address in a network namespace of its own (a BRIDGE container): HTTP and TCP
   * probes go there instead of the host's loopback, as Mesos' checker connects from inside the
   * task's namespace. Absent: the host network.
   */
  readonly address?: string;
  /**
   * For a task with an image: the words that run a command inside its container (`runc exec`); a
   * COMMAND probe runs there (its root filesystem, its user and environment from the container,
   * the check's own variables added), as Mesos runs the check in the task's container.
   */
  readonly inContainer?: readonly string[];
}

export function startHealthCheck(
  check: mesos.v1.HealthCheck,
  ctx: ProbeContext,
  deps: { clock: Clock; timers: Timers; onHealthChange(healthy: boolean, message: string): void; onUnhealthy(message: string): void },
): HealthCheckHandle {
  const error = validateHealthCheck(check);
  if (error !== undefined) throw new Error(`Invalid health check for task '${ctx.taskId}': ${error}`);
  let probe: Probe;
  if (check.type === 'COMMAND') probe = createCommandProbe(check.command!, ctx);
  else if (check.type === 'HTTP') probe = createHttpProbe(check.http!, ctx.address);
  else probe = createTcpProbe(check.tcp!, ctx.address);
  return runHealthCheck(check, probe, deps);
}

export function startCheck(
  check: mesos.v1.CheckInfo,
  ctx: ProbeContext,
  deps: { clock: Clock; timers: Timers; onCheckStatus(status: mesos.v1.CheckStatusInfo): void },
): CheckerHandle {
  const error = validateCheck(check);
  if (error !== undefined) throw new Error(`Invalid check for task '${ctx.taskId}': ${error}`);
  let probe: Probe;
  if (check.type === 'COMMAND') probe = createCommandProbe(check.command!.command, ctx);
  else if (check.type === 'HTTP') probe = createHttpProbe(check.http!, ctx.address);
  else probe = createTcpProbe(check.tcp!, ctx.address);
  return runCheck(check, probe, deps);
}
