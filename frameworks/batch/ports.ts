/**
 * The ports of the batch framework's core: `BatchStore` (PostgreSQL, the source of truth: jobs,
 * schedules, runs, history, fired cron ticks; an in-memory store for unit tests, one contract
 * suite for both), `RunQueue` (the pending runs, BullMQ in Redis; rebuilt from the store, never
 * the only copy of anything) and `BatchService` (what the REST layer calls).
 *
 * Store changes are operation objects applied in one transaction.
 */
import type { JobHistory, JobRun, JobSpec, ScheduleSpec, Timestamp } from './model.ts';

export type BatchStoreOperation =
  | { readonly op: 'putJob'; readonly job: JobSpec }
  /** Removes the job, its schedules, runs and history. */
  | { readonly op: 'deleteJob'; readonly jobId: string }
  | { readonly op: 'putSchedule'; readonly jobId: string; readonly schedule: ScheduleSpec }
  | { readonly op: 'deleteSchedule'; readonly jobId: string; readonly scheduleId: string }
  /** An active run (INITIAL, STARTING or ACTIVE). */
  | { readonly op: 'putRun'; readonly run: JobRun }
  /** A run that ended (SUCCESS or FAILED): it leaves the active runs and enters the job's history. */
  | { readonly op: 'finishRun'; readonly run: JobRun }
  | { readonly op: 'putFrameworkId'; readonly frameworkId: string };

export interface BatchStoredState {
  readonly jobs: readonly JobSpec[];
  readonly schedules: readonly { readonly jobId: string; readonly schedule: ScheduleSpec }[];
  /** Runs not finished yet. */
  readonly activeRuns: readonly JobRun[];
  readonly frameworkId: string | undefined;
}

export interface BatchStore {
  load(): Promise<BatchStoredState>;
  apply(ops: readonly BatchStoreOperation[]): Promise<void>;
  history(jobId: string): Promise<JobHistory>;
  /** A finished run, for `GET /v1/jobs/{id}/runs/{runId}` after it ended. */
  finishedRun(jobId: string, runId: string): Promise<JobRun | undefined>;
  /**
   * Claims the cron tick `tickAt` of a schedule: true for exactly one caller, ever (several batch
   * processes, restarts), so each tick starts at most one run. `then` (the tick's run) is applied
   * in the same transaction when, and only when, the claim succeeds: a crash cannot leave a
   * claimed tick without its run.
   */
  claimTick(jobId: string, scheduleId: string, tickAt: Timestamp, then?: readonly BatchStoreOperation[]): Promise<boolean>;
  close(): Promise<void>;
}

/** A run waiting for resources, as the queue holds it. */
export interface QueuedRun {
  readonly jobId: string;
  readonly runId: string;
  /** Higher first (BullMQ: lower number = higher priority; the adapter converts). */
  readonly priority: number;
  /** Not before this time (epoch ms): a retry's backoff. */
  readonly notBefore: number;
}

export interface RunQueue {
  /** Adds or replaces a pending run. */
  enqueue(run: QueuedRun): Promise<void>;
  /** `enqueue` of each run in turn, in as few round trips as the queue can. */
  enqueueAll(runs: readonly QueuedRun[]): Promise<void>;
  /** Removes a run (launched, stopped or deleted); unknown ids are ignored. */
  remove(runId: string): Promise<void>;
  /** `remove` of each id, in as few round trips as the queue can. */
  removeAll(runIds: readonly string[]): Promise<void>;
  /** The pending runs that may launch now, highest priority first, oldest first among equals. */
  ready(now: number, limit: number): Promise<readonly QueuedRun[]>;
  /** How many runs wait (ready or not). */
  size(): Promise<number>;
  /** Makes the queue hold exactly `runs` (the store's pending runs) after a restart or a Redis flush. */
  rebuild(runs: readonly QueuedRun[]): Promise<void>;
  close(): Promise<void>;
}

export interface BatchError {
  readonly ok: false;
  readonly status: 400 | 404 | 409 | 422 | 503;
  readonly message: string;
  readonly details?: readonly { readonly path: string; readonly errors: readonly string[] }[];
}

export type BatchResult<T> = { readonly ok: true; readonly value: T } | BatchError;

/** What the REST layer (`/v1/jobs`) asks of the core. */
export interface BatchService {
  jobs(): readonly JobSpec[];
  job(id: string): JobSpec | undefined;
  schedules(jobId: string): readonly ScheduleSpec[];
  activeRuns(jobId?: string): readonly JobRun[];
  history(jobId: string): Promise<JobHistory>;
  run(jobId: string, runId: string): Promise<JobRun | undefined>;
  createJob(job: JobSpec, schedules?: readonly ScheduleSpec[]): Promise<BatchResult<JobSpec>>;
  updateJob(job: JobSpec): Promise<BatchResult<JobSpec>>;
  /** 409 while runs are active unless `stopCurrentJobRuns`. */
  deleteJob(id: string, stopCurrentJobRuns: boolean): Promise<BatchResult<JobSpec>>;
  startRun(jobId: string): Promise<BatchResult<JobRun>>;
  stopRun(jobId: string, runId: string): Promise<BatchResult<JobRun>>;
  createSchedule(jobId: string, schedule: ScheduleSpec): Promise<BatchResult<ScheduleSpec>>;
  updateSchedule(jobId: string, schedule: ScheduleSpec): Promise<BatchResult<ScheduleSpec>>;
  deleteSchedule(jobId: string, scheduleId: string): Promise<BatchResult<ScheduleSpec>>;
  /** Next start of a schedule (for `nextRunAt`), undefined when disabled. */
  nextRunAt(jobId: string, scheduleId: string): Timestamp | undefined;
}
