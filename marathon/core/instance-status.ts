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
