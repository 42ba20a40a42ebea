/**
 * How a Mesos task status changes an instance (pure). Marathon's instance `Condition` follows the
 * task state; a terminal state ends the instance (the core removes it), TASK_UNREACHABLE keeps it
 * (the unreachable strategy decides when it stops counting and when it is expunged).
 *
 * Invariants: a status never brings an instance back from a terminal condition; `startedAt` is set
 * once, at the first TASK_RUNNING; health is kept when an update does not say; TASK_UNREACHABLE
 * again (every reconciliation repeats it) leaves an `UnreachableInactive` instance inactive, so it
 * does not count for its app again while its replacement runs; `unreachableSince` is the status'
 * `unreachable_time` when the master gives one (never later than now), else the time it arrived.
 */
import type { mesos } from '../../proto/types.generated.ts';
import type { Instance, InstanceCondition, TaskStateName, Timestamp } from '../model.ts';

const CONDITION: Readonly<Record<TaskStateName, InstanceCondition>> = {
  TASK_STAGING: 'Staging',
  TASK_STARTING: 'Starting',
  TASK_RUNNING: 'Running',
  TASK_KILLING: 'Killing',
  TASK_FINISHED: 'Finished',
  TASK_FAILED: 'Failed',
  TASK_KILLED: 'Killed',
  TASK_ERROR: 'Error',
  TASK_LOST: 'Gone',
  TASK_DROPPED: 'Dropped',
  TASK_UNREACHABLE: 'Unreachable',
  TASK_GONE: 'Gone',
  TASK_GONE_BY_OPERATOR: 'Gone',
  TASK_UNKNOWN: 'Unknown',
};

const TERMINAL: ReadonlySet<InstanceCondition> = new Set(['Finished', 'Failed', 'Killed', 'Error', 'Dropped', 'Gone', 'Unknown']);

export const isTerminalCondition = (c: InstanceCondition): boolean => TERMINAL.has(c);

/** Conditions of an instance that is (or may soon be) running its task. */
export const isActiveCondition = (c: InstanceCondition): boolean =>
  c === 'Provisioned' || c === 'Staging' || c === 'Starting' || c === 'Running' || c === 'Killing' || c === 'Unreachable';

export const conditionOf = (state: TaskStateName): InstanceCondition => CONDITION[state] ?? 'Unknown';

/** States whose end counts as a failure of the app (launch backoff, lastTaskFailure). */
export const isFailureState = (state: TaskStateName): boolean =>
  state === 'TASK_FAILED' || state === 'TASK_ERROR' || state === 'TASK_LOST' || state === 'TASK_DROPPED' || state === 'TASK_GONE';

export const isoOf = (ms: number): Timestamp => new Date(ms).toISOString();

export interface StatusChange {
  readonly instance: Instance;
  /** The condition changed (not only health or addresses). */
  readonly conditionChanged: boolean;
  readonly healthChanged: boolean;
  readonly terminal: boolean;
}

/** The instance after `status` arrived at `now`; undefined when the instance already ended. */
export function applyStatus(instance: Instance, status: mesos.v1.TaskStatus, now: number): StatusChange | undefined {
  if (isTerminalCondition(instance.condition)) return undefined;
  const state = status.state as TaskStateName;
  const condition = instance.condition === 'UnreachableInactive' && state === 'TASK_UNREACHABLE' ? 'UnreachableInactive' : conditionOf(state);
  const at = isoOf(now);
  const addresses = (status.container_status?.network_infos ?? [])
    .flatMap((n) => n.ip_addresses ?? [])
    .filter((a) => a.ip_address !== undefined && a.ip_address !== '')
    .map((a) => ({ ipAddress: a.ip_address as string, protocol: a.protocol === 'IPv6' ? 'IPv6' as const : 'IPv4' as const }));
  const healthy = status.healthy ?? instance.healthy;
  // Mesos says since when the agent is unreachable; a marathon that hears of it late counts from then.
  const reportedNs = Number(status.unreachable_time?.nanoseconds ?? Number.NaN);
  const unreachableAt = Number.isFinite(reportedNs) && reportedNs > 0 ? isoOf(Math.min(now, Math.floor(reportedNs / 1e6))) : at;
  const next: Instance = {
    ...instance,
    condition,
    state,
    ...(condition === 'Running' && instance.startedAt === undefined ? { startedAt: at } : {}),
    ...(healthy === undefined ? {} : { healthy }),
    ...(addresses.length > 0 ? { ipAddresses: addresses } : {}),
    ...(condition === 'Unreachable' || condition === 'UnreachableInactive' ? { unreachableSince: instance.unreachableSince ?? unreachableAt } : { unreachableSince: undefined }),
  };
  if (next.unreachableSince === undefined) delete (next as { unreachableSince?: string }).unreachableSince;
  return {
    instance: next,
    conditionChanged: condition !== instance.condition,
    healthChanged: healthy !== instance.healthy,
    terminal: isTerminalCondition(condition),
  };
}

const FAILURE_ORDER: readonly InstanceCondition[] = ['Failed', 'Error', 'Killed', 'Gone', 'Dropped', 'Unknown', 'Finished'];

/**
 * The condition of a pod instance from its tasks' (Marathon's rules, simplified): over once every
 * task is over (the worst end wins: Failed before Error, Killed, Gone, Dropped, Unknown, Finished);
 * Unreachable when one is; Killing while the group goes down (one task over or being killed);
 * Running when all run; Starting once one starts; else Staging.
 */
export function podCondition(conditions: readonly InstanceCondition[]): InstanceCondition {
  if (conditions.length > 0 && conditions.every(isTerminalCondition)) {
    return FAILURE_ORDER.find((c) => conditions.includes(c)) ?? 'Finished';
  }
  if (conditions.includes('Unreachable')) return 'Unreachable';
  if (conditions.some((c) => isTerminalCondition(c) || c === 'Killing')) return 'Killing';
  if (conditions.every((c) => c === 'Running')) return 'Running';
  if (conditions.some((c) => c === 'Starting' || c === 'Running')) return 'Starting';
  return conditions.every((c) => c === 'Provisioned') ? 'Provisioned' : 'Staging';
}

/** A pod instance after the status of one of its tasks arrived; undefined when the instance ended or the task is not its. */
export function applyPodStatus(instance: Instance, status: mesos.v1.TaskStatus, now: number): StatusChange | undefined {
  if (isTerminalCondition(instance.condition) || instance.podTasks === undefined) return undefined;
  const taskId = status.task_id.value;
  const k = instance.podTasks.findIndex((t) => t.taskId === taskId);
  if (k < 0) return undefined;
  const state = status.state as TaskStateName;
  const at = isoOf(now);
  const before = instance.podTasks[k];
  const task = {
    ...before,
    state,
    ...(state === 'TASK_RUNNING' && before.startedAt === undefined ? { startedAt: at } : {}),
    ...(status.healthy === undefined ? {} : { healthy: status.healthy }),
  };
  const podTasks = instance.podTasks.map((t, n) => (n === k ? task : t));
  const condition = podCondition(podTasks.map((t) => (t.state === undefined ? 'Provisioned' : conditionOf(t.state))));
  const checked = podTasks.filter((t) => t.healthy !== undefined);
  const healthy = checked.length === 0 ? undefined : checked.every((t) => t.healthy === true);
  const addresses = (status.container_status?.network_infos ?? [])
    .flatMap((n) => n.ip_addresses ?? [])
    .filter((a) => a.ip_address !== undefined && a.ip_address !== '')
    .map((a) => ({ ipAddress: a.ip_address as string, protocol: a.protocol === 'IPv6' ? 'IPv6' as const : 'IPv4' as const }));
  const next: Instance = {
    ...instance,
    podTasks,
    condition,
    state,
    ...(condition === 'Running' && instance.startedAt === undefined ? { startedAt: at } : {}),
    ...(healthy === undefined ? {} : { healthy }),
    ...(addresses.length > 0 ? { ipAddresses: addresses } : {}),
    ...(condition === 'Unreachable' ? { unreachableSince: instance.unreachableSince ?? at } : {}),
  };
  if (condition !== 'Unreachable') delete (next as { unreachableSince?: string }).unreachableSince;
  return {
    instance: next,
    conditionChanged: condition !== instance.condition,
    healthChanged: healthy !== instance.healthy,
    terminal: isTerminalCondition(condition),
  };
}
