/**
 * The order of the run queue, shared by every `RunQueue` (memory-run-queue.ts, bull-run-queue.ts)
 * so both answer `ready` alike: highest priority first, then the earliest enqueued (its `seq`).
 * Pure: no I/O, no clock.
 *
 * Invariants: a priority is an integer in [MIN_PRIORITY, MAX_PRIORITY], so it maps one to one
 * onto BullMQ's priorities (1 = most urgent .. 2^21); `seq` grows with every enqueue that changes
 * a run, so an identical enqueue keeps a run's place and a changed one goes behind its equals.
 */
import type { QueuedRun } from '../ports.ts';

/** BullMQ accepts priorities 1..2^21 (0 = none); ours are centred on 0 and map onto 1..2^21-1. */
export const BULL_PRIORITY_CENTRE = 2 ** 20;
export const MAX_PRIORITY = BULL_PRIORITY_CENTRE - 1;
export const MIN_PRIORITY = -(BULL_PRIORITY_CENTRE - 1);

/** A queued run with its place among runs of equal priority. */
export interface SequencedRun {
  readonly run: QueuedRun;
  readonly seq: number;
}

/** Throws a RangeError for a run the queue cannot order (a caller's bug, not an outcome). */
export function checkQueuedRun(run: QueuedRun): void {
  if (!Number.isInteger(run.priority) || run.priority < MIN_PRIORITY || run.priority > MAX_PRIORITY) {
    throw new RangeError(`run ${run.runId}: priority ${run.priority} is not an integer in [${MIN_PRIORITY}, ${MAX_PRIORITY}]`);
  }
  if (!Number.isFinite(run.notBefore)) throw new RangeError(`run ${run.runId}: notBefore ${run.notBefore} is not a time`);
  if (run.runId === '' || run.jobId === '') throw new RangeError('a queued run needs a jobId and a runId');
}

/** Our priority (higher first) as BullMQ's (lower first): 0 → 2^20, MAX_PRIORITY → 1. */
export function toBullPriority(priority: number): number {
  return BULL_PRIORITY_CENTRE - priority;
}

/** Negative when `a` launches before `b`. */
export function compareSequenced(a: SequencedRun, b: SequencedRun): number {
  return b.run.priority - a.run.priority || a.seq - b.seq;
}

/** Whether an enqueue of `next` over `current` changes nothing (and so keeps its place). */
export function isSameQueuedRun(current: QueuedRun, next: QueuedRun): boolean {
  return current.jobId === next.jobId && current.runId === next.runId
    && current.priority === next.priority && current.notBefore === next.notBefore;
}

/** The runs that may launch at `now`, in launch order, at most `limit`. */
export function readyRuns(entries: Iterable<SequencedRun>, now: number, limit: number): QueuedRun[] {
  if (!(limit > 0)) return [];
  const due: SequencedRun[] = [];
  for (const e of entries) if (e.run.notBefore <= now) due.push(e);
  return due.sort(compareSequenced).slice(0, limit).map((e) => copyRun(e.run));
}

/**
 * The runs a rebuild from `list` holds, in their order among equals: as if each were enqueued in
 * turn (a later duplicate of a run id replaces it and moves behind; an identical one keeps its place).
 */
export function planRebuild(list: readonly QueuedRun[]): QueuedRun[] {
  const byId = new Map<string, QueuedRun>();
  for (const run of list) {
    const current = byId.get(run.runId);
    if (current && isSameQueuedRun(current, run)) continue;
    byId.delete(run.runId);
    byId.set(run.runId, copyRun(run));
  }
  return [...byId.values()];
}

/** A plain copy with exactly the port's fields. */
export function copyRun(run: QueuedRun): QueuedRun {
  return { jobId: run.jobId, runId: run.runId, priority: run.priority, notBefore: run.notBefore };
}
