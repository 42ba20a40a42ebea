/**
 * What both batch stores (memory-store.ts, pg-store.ts) agree on beyond the port's types: how
 * much history and how many fired ticks are kept, which operations are well formed, and the
 * errors a refused `apply` throws (infrastructure and programming errors, so thrown; an
 * `apply` that throws changed nothing).
 *
 * History: per job and per outcome (successful, failed), the newest `historyCount` finished runs
 * are kept (Metronome's `metronome.history.count`, default 1000), newest first by finish time;
 * the counts and the last success/failure times count every run ever finished, pruned or not.
 *
 * Fired ticks: per schedule the newest `keptTicks` claims are kept; a tick at or before the
 * newest pruned one counts as claimed, so pruning never lets a tick be claimed twice.
 */
import type { FinishedRun, JobRun, Timestamp } from '../model.ts';
import type { BatchStoreOperation } from '../ports.ts';

/** Metronome's default `metronome.history.count`: finished runs kept per job and outcome. */
export const DEFAULT_HISTORY_COUNT = 1000;

/** Claimed ticks kept per schedule (far more than any starting deadline looks back over). */
export const DEFAULT_KEPT_TICKS = 1000;

export interface BatchStoreOptions {
  /** Finished runs kept per job and outcome (default DEFAULT_HISTORY_COUNT). */
  readonly historyCount?: number;
  /** Claimed ticks kept per schedule (default DEFAULT_KEPT_TICKS). */
  readonly keptTicks?: number;
}

export interface StoreLimits {
  readonly historyCount: number;
  readonly keptTicks: number;
}

export function storeLimits(options: BatchStoreOptions = {}): StoreLimits {
  const historyCount = options.historyCount ?? DEFAULT_HISTORY_COUNT;
  const keptTicks = options.keptTicks ?? DEFAULT_KEPT_TICKS;
  for (const [name, n] of [['historyCount', historyCount], ['keptTicks', keptTicks]] as const) {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, not ${n}`);
  }
  return { historyCount, keptTicks };
}

/** An operation that cannot be stored as given (a finished run that is not finished, a bad time). */
export class InvalidOperationError extends Error {
  override readonly name = 'InvalidOperationError';
}

/** A schedule or run of a job that is not stored (put the job first, in this apply or before). */
export class UnknownJobError extends Error {
  override readonly name = 'UnknownJobError';
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * `t` as `toISOString` writes it (UTC, milliseconds), so that one instant is one key whatever
 * offset or precision it came with. Only ISO-8601 with a zone is accepted.
 */
export function normalizeTimestamp(t: string, what: string): Timestamp {
  const ms = ISO_TIME.test(t) ? Date.parse(t) : Number.NaN;
  if (Number.isNaN(ms)) throw new InvalidOperationError(`${what}: "${t}" is not an ISO-8601 time with a zone`);
  return new Date(ms).toISOString();
}

const ACTIVE = new Set(['INITIAL', 'STARTING', 'ACTIVE']);
const FINISHED = new Set(['SUCCESS', 'FAILED']);

/** Throws `InvalidOperationError` when `op` is not well formed; changes nothing. */
export function checkOperation(op: BatchStoreOperation): void {
  if (op.op === 'putRun') {
    const what = `putRun ${op.run.jobId}/${op.run.id}`;
    if (!ACTIVE.has(op.run.status)) throw new InvalidOperationError(`${what}: status ${op.run.status} is not active (finishRun ends a run)`);
    normalizeTimestamp(op.run.createdAt, `${what} createdAt`);
  }
  if (op.op === 'finishRun') finishedRunOf(op.run);
}

/** A finished run's entry in the history; throws `InvalidOperationError` when `run` has not finished. */
export function finishedRunOf(run: JobRun): FinishedRun & { readonly succeeded: boolean } {
  const what = `finishRun ${run.jobId}/${run.id}`;
  if (!FINISHED.has(run.status)) throw new InvalidOperationError(`${what}: status ${run.status} is not SUCCESS or FAILED`);
  if (run.completedAt === undefined) throw new InvalidOperationError(`${what}: a finished run needs completedAt`);
  return {
    id: run.id,
    createdAt: normalizeTimestamp(run.createdAt, `${what} createdAt`),
    finishedAt: normalizeTimestamp(run.completedAt, `${what} completedAt`),
    succeeded: run.status === 'SUCCESS',
  };
}

/** Newest first: by finish time, then by run id (both descending). */
export function newestFinishedFirst(a: FinishedRun, b: FinishedRun): number {
  if (a.finishedAt !== b.finishedAt) return a.finishedAt < b.finishedAt ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
