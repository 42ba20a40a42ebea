/**
 * A run's lifecycle (pure). The transition table:
 *
 *   INITIAL ──launch──► STARTING ──all tasks running──► ACTIVE ──all tasks finished──► SUCCESS
 *      ▲                  │  └──────────── all tasks finished ───────────────────────► SUCCESS
 *      │                  └── a task ends otherwise (failed, killed, lost...) ──┐
 *      └────── retry (restart ON_FAILURE, within activeDeadlineSeconds) ◄───────┤
 *                                                                         else FAILED
 *
 * A run is one unit: one task that fails fails the whole run (its other tasks are killed, a
 * parallel run is retried or failed as one). `stop` makes any unfinished run FAILED.
 * A launch that never reached an agent (`isLaunchLost`: the offer was gone, or the master and the
 * agent do not know the task) is not a failed attempt: the run goes back to INITIAL.
 * An INITIAL run that is not launched within the job's `maxLaunchDelay` seconds of becoming due
 * (`launchDeadline`: its creation, or the end of a retry's backoff) is aborted: FAILED.
 * A run a schedule started whose tasks have not all been reported started (`hasStarted`: STAGING,
 * STARTING or RUNNING, Metronome's active states) within the schedule's `startingDeadlineSeconds`
 * of its tick (`startingDeadline`) is aborted too: FAILED, its launched tasks killed. The earlier of
 * the two deadlines wins (`abortDeadline`).
 * Invariants: SUCCESS and FAILED are final; an attempt's outcome is known only once every task of
 * it is over.
 */
import type { JobRun, RunStatus, RunTask } from '../model.ts';

const FINAL: ReadonlySet<RunStatus> = new Set(['SUCCESS', 'FAILED']);
export const isFinal = (s: RunStatus): boolean => FINAL.has(s);

/**
 * Mesos' terminal states. Not TASK_UNREACHABLE (the agent may come back) nor TASK_UNKNOWN (the
 * master does not know the agent: after a master failover, one that has not re-registered yet);
 * the core asks about those again and gives up on an unknown task only after a while.
 */
const TERMINAL = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR']);
export const isTerminalTaskState = (s: string | undefined): boolean => s !== undefined && TERMINAL.has(s);

export type RunStep =
  /** Nothing to do but record the tasks. */
  | { readonly kind: 'progress'; readonly status: RunStatus }
  /** A task ended badly: kill the rest of the attempt (they are not over yet). */
  | { readonly kind: 'kill-rest'; readonly taskIds: readonly string[] }
  /** The attempt is over and succeeded. */
  | { readonly kind: 'success' }
  /** The attempt is over and failed: retry it or fail the run. */
  | { readonly kind: 'attempt-failed'; readonly reason: string };

/** What the run's tasks (after an update) say about it. */
export function stepOf(run: JobRun, tasks: readonly RunTask[]): RunStep {
  const over = tasks.filter((t) => isTerminalTaskState(t.status));
  const bad = over.filter((t) => t.status !== 'TASK_FINISHED');
  if (bad.length > 0) {
    const rest = tasks.filter((t) => !isTerminalTaskState(t.status)).map((t) => t.id);
    if (rest.length > 0) return { kind: 'kill-rest', taskIds: rest };
    return { kind: 'attempt-failed', reason: `task ${bad[0].id} ended ${bad[0].status}` };
  }
  if (tasks.length > 0 && over.length === tasks.length) return { kind: 'success' };
  if (tasks.length > 0 && tasks.every((t) => t.status === 'TASK_RUNNING' || t.status === 'TASK_FINISHED')) return { kind: 'progress', status: 'ACTIVE' };
  return { kind: 'progress', status: run.status === 'INITIAL' ? 'STARTING' : run.status };
}

/**
 * Whether an update says that a task the core launched but never heard of was never started: the
 * ACCEPT came too late for its offer (TASK_DROPPED), or reconciliation finds it neither at the
 * master nor on its registered agent (TASK_GONE). TASK_UNKNOWN (the agent itself is unknown, maybe
 * not re-registered yet after a master failover) is not such a proof, and a task last known as
 * TASK_UNKNOWN may still prove never started.
 */
export function isLaunchLost(task: RunTask | undefined, state: string, reason: string | undefined): boolean {
  if (task === undefined || (task.status !== undefined && task.status !== 'TASK_UNKNOWN')) return false;
  return state === 'TASK_DROPPED' || (state === 'TASK_GONE' && reason === 'REASON_RECONCILIATION');
}

/** Whether a failed attempt is retried: ON_FAILURE, not stopped, and within the active deadline (from the run's creation). */
export function shouldRetry(run: JobRun, nowMs: number, stopped: boolean): boolean {
  const restart = run.spec.run.restart;
  if (stopped || restart.policy !== 'ON_FAILURE') return false;
  if (restart.activeDeadlineSeconds === undefined) return true;
  return nowMs < Date.parse(run.createdAt) + restart.activeDeadlineSeconds * 1000;
}

/** Since when a pending run may launch (epoch ms): its creation, or the end of its retry backoff (`notBefore`). */
export function dueAt(run: JobRun): number {
  const created = Date.parse(run.createdAt);
  return run.notBefore === undefined ? created : Math.max(created, Date.parse(run.notBefore));
}

/**
 * When a pending run that has not launched yet is aborted (epoch ms): `maxLaunchDelay` seconds
 * after it became due (Metronome: "the number of seconds until the job needs to be running").
 * Derived from stored fields only, so a restarted core keeps the deadline.
 */
export function launchDeadline(run: JobRun): number {
  return dueAt(run) + run.spec.run.maxLaunchDelay * 1000;
}

/** Why an aborted run failed (the run's `reason`, and the log line's). */
export const launchDeadlineReason = (run: JobRun): string => `not started within maxLaunchDelay (${run.spec.run.maxLaunchDelay} s)`;

/**
 * When a run started by a schedule that has not started yet is aborted (epoch ms): its tick
 * (`scheduledAt`) + the schedule's `startingDeadlineSeconds` as stored with the run (Metronome:
 * "the number of seconds until the job needs to be running"). Undefined for a run on demand, and
 * once the run's tasks were all reported started (`hasStarted`; the field is dropped then: a later
 * retry has only maxLaunchDelay).
 */
export function startingDeadline(run: JobRun): number | undefined {
  if (run.scheduledAt === undefined || run.startingDeadlineSeconds === undefined) return undefined;
  return Date.parse(run.scheduledAt) + run.startingDeadlineSeconds * 1000;
}

/**
 * Whether every task of an attempt has been reported started: TASK_STAGING, TASK_STARTING or
 * TASK_RUNNING (or already TASK_FINISHED). Metronome meets a run's starting deadline at the first
 * such update (its JobRunExecutorActor goes active and cancels the timer on any of these states), so
 * a task still fetching or pulling its image is not killed for being slow to reach TASK_RUNNING.
 */
export function hasStarted(tasks: readonly RunTask[]): boolean {
  return tasks.length > 0 && tasks.every((t) => t.status === 'TASK_STAGING' || t.status === 'TASK_STARTING' || t.status === 'TASK_RUNNING' || t.status === 'TASK_FINISHED');
}

export const startingDeadlineReason = (run: JobRun): string =>
  `not started within startingDeadlineSeconds (${run.startingDeadlineSeconds ?? 0} s) of its scheduled time ${run.scheduledAt ?? '?'}`;

/** Which deadline aborts a run, when, and why; undefined when none binds it (ACTIVE, final, or STARTING without a starting deadline). */
export interface AbortDeadline {
  readonly at: number;
  readonly kind: 'maxLaunchDelay' | 'startingDeadlineSeconds';
  readonly reason: string;
}

/**
 * The deadline that aborts `run`: an INITIAL run has its launch deadline and, if a schedule
 * started it, its starting deadline, and the earlier wins (the starting deadline on a tie); a
 * STARTING run has only its starting deadline (its launch deadline is met).
 */
export function abortDeadline(run: JobRun): AbortDeadline | undefined {
  if (run.status !== 'INITIAL' && run.status !== 'STARTING') return undefined;
  const starting = startingDeadline(run);
  const launch = run.status === 'INITIAL' ? launchDeadline(run) : undefined;
  if (starting !== undefined && (launch === undefined || starting <= launch)) {
    return { at: starting, kind: 'startingDeadlineSeconds', reason: startingDeadlineReason(run) };
  }
  if (launch !== undefined) return { at: launch, kind: 'maxLaunchDelay', reason: launchDeadlineReason(run) };
  return undefined;
}

/** The delay before retry `attempt` (2, 3, ...): 1 s × 1.15^(attempt-2), capped at the job's maxLaunchDelay. */
export function retryDelayMs(run: JobRun, attempt: number): number {
  const seconds = Math.min(run.spec.run.maxLaunchDelay, 1.15 ** Math.max(0, attempt - 2));
  return Math.round(seconds * 1000);
}
