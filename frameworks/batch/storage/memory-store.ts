/**
 * `BatchStore` in memory, for unit tests of the core: the same semantics as the PostgreSQL store
 * (store-contract.ts runs against both). It keeps JSON text, not objects, so what comes back is
 * a fresh copy that went through the same JSON round trip as `jsonb`.
 *
 * Stores made on one `BatchMemoryBacking` see the same data, as two processes on one database
 * do: a test can restart the framework, or run two, by making another store on the backing.
 *
 * Invariants: `apply` works on a copy and swaps it in only when every operation succeeded (one
 * transaction); schedules and runs belong to a stored job; history lists hold at most
 * `historyCount` runs per outcome; a schedule keeps at most `keptTicks` claimed ticks, and a
 * tick at or before the newest pruned one counts as claimed.
 */
import { toStoredJson } from '../../../common/db/storable.ts';
import { EMPTY_HISTORY, type FinishedRun, type JobHistory, type JobRun, type JobSpec, type ScheduleSpec, type Timestamp } from '../model.ts';
import type { BatchStore, BatchStoredState, BatchStoreOperation } from '../ports.ts';
import {
  checkOperation, finishedRunOf, newestFinishedFirst, normalizeTimestamp, storeLimits, UnknownJobError,
  type BatchStoreOptions, type StoreLimits,
} from './store-rules.ts';

interface StoredFinished extends FinishedRun {
  readonly succeeded: boolean;
  readonly json: string;
}

interface Counts {
  readonly successCount: number;
  readonly failureCount: number;
  readonly lastSuccessAt: Timestamp | null;
  readonly lastFailureAt: Timestamp | null;
}

interface ScheduleRow {
  readonly json: string;
  readonly ticksPrunedThrough: Timestamp | null;
  /** Claimed ticks. */
  readonly ticks: ReadonlySet<Timestamp>;
}

/** Everything of one job. */
interface JobRow {
  readonly json: string;
  readonly schedules: ReadonlyMap<string, ScheduleRow>;
  /** run id -> JSON */
  readonly activeRuns: ReadonlyMap<string, string>;
  /** run id -> finished run */
  readonly finishedRuns: ReadonlyMap<string, StoredFinished>;
  readonly counts: Counts;
}

interface Tables {
  readonly jobs: ReadonlyMap<string, JobRow>;
  readonly frameworkId: string | undefined;
}

/** The data behind memory stores; share one between stores to simulate a restart or a second process. */
export interface BatchMemoryBacking {
  tables: Tables;
}

export function createBatchMemoryBacking(): BatchMemoryBacking {
  return { tables: { jobs: new Map(), frameworkId: undefined } };
}

const NO_COUNTS: Counts = { successCount: 0, failureCount: 0, lastSuccessAt: null, lastFailureAt: null };

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const later = (a: Timestamp | null, b: Timestamp): Timestamp => (a !== null && a > b ? a : b);

function jobOf(jobs: Map<string, JobRow>, jobId: string, what: string): JobRow {
  const job = jobs.get(jobId);
  if (job === undefined) throw new UnknownJobError(`${what}: job ${jobId} is not stored`);
  return job;
}

function finish(job: JobRow, run: JobRun, limits: StoreLimits): JobRow {
  const entry = finishedRunOf(run);
  const activeRuns = new Map(job.activeRuns);
  activeRuns.delete(run.id);
  // Finishing a run twice counts it once.
  if (job.finishedRuns.has(run.id)) return { ...job, activeRuns };
  const finishedRuns = new Map(job.finishedRuns);
  finishedRuns.set(run.id, { ...entry, json: toStoredJson(run, `run ${run.jobId}/${run.id}`) });
  const sameOutcome = [...finishedRuns.values()].filter((r) => r.succeeded === entry.succeeded).sort(newestFinishedFirst);
  for (const old of sameOutcome.slice(limits.historyCount)) finishedRuns.delete(old.id);
  const c = job.counts;
  const counts: Counts = entry.succeeded
    ? { ...c, successCount: c.successCount + 1, lastSuccessAt: later(c.lastSuccessAt, entry.finishedAt) }
    : { ...c, failureCount: c.failureCount + 1, lastFailureAt: later(c.lastFailureAt, entry.finishedAt) };
  return { ...job, activeRuns, finishedRuns, counts };
}

function applyOne(jobs: Map<string, JobRow>, op: BatchStoreOperation, limits: StoreLimits): string | undefined {
  switch (op.op) {
    case 'putJob': {
      const json = toStoredJson(op.job, `job ${op.job.id}`);
      const old = jobs.get(op.job.id);
      jobs.set(op.job.id, old ? { ...old, json } : { json, schedules: new Map(), activeRuns: new Map(), finishedRuns: new Map(), counts: NO_COUNTS });
      return undefined;
    }
    case 'deleteJob':
      jobs.delete(op.jobId);
      return undefined;
    case 'putSchedule': {
      const job = jobOf(jobs, op.jobId, `putSchedule ${op.schedule.id}`);
      const json = toStoredJson(op.schedule, `schedule ${op.jobId}/${op.schedule.id}`);
      const schedules = new Map(job.schedules);
      const old = schedules.get(op.schedule.id);
      schedules.set(op.schedule.id, old ? { ...old, json } : { json, ticksPrunedThrough: null, ticks: new Set() });
      jobs.set(op.jobId, { ...job, schedules });
      return undefined;
    }
    case 'deleteSchedule': {
      const job = jobs.get(op.jobId);
      if (job === undefined) return undefined;
      const schedules = new Map(job.schedules);
      schedules.delete(op.scheduleId);
      jobs.set(op.jobId, { ...job, schedules });
      return undefined;
    }
    case 'putRun': {
      const job = jobOf(jobs, op.run.jobId, `putRun ${op.run.id}`);
      const activeRuns = new Map(job.activeRuns);
      activeRuns.set(op.run.id, toStoredJson(op.run, `run ${op.run.jobId}/${op.run.id}`));
      jobs.set(op.run.jobId, { ...job, activeRuns });
      return undefined;
    }
    case 'finishRun':
      jobs.set(op.run.jobId, finish(jobOf(jobs, op.run.jobId, `finishRun ${op.run.id}`), op.run, limits));
      return undefined;
    case 'putFrameworkId':
      toStoredJson(op.frameworkId, 'framework id');
      return op.frameworkId;
    default: {
      const never: never = op;
      throw new Error(`unknown store operation ${JSON.stringify(never)}`);
    }
  }
}

const createdAt = (run: JobRun): Timestamp => normalizeTimestamp(run.createdAt, 'createdAt');
const sortedKeys = <T>(m: ReadonlyMap<string, T>): string[] => [...m.keys()].sort(byText);

export function createMemoryBatchStore(backing: BatchMemoryBacking = createBatchMemoryBacking(), options: BatchStoreOptions = {}): BatchStore {
  const limits = storeLimits(options);
  let closed = false;
  const open = (): Tables => {
    if (closed) throw new Error('the batch store is closed');
    return backing.tables;
  };
  return {
    async load(): Promise<BatchStoredState> {
      const { jobs, frameworkId } = open();
      const ids = sortedKeys(jobs);
      const rows = ids.map((id) => [id, jobs.get(id)!] as const);
      const activeRuns = rows.flatMap(([, job]) => [...job.activeRuns.values()].map((json) => JSON.parse(json) as JobRun)
        .sort((a, b) => byText(createdAt(a), createdAt(b)) || byText(a.id, b.id)));
      return {
        jobs: rows.map(([, job]) => JSON.parse(job.json) as JobSpec),
        schedules: rows.flatMap(([jobId, job]) =>
          sortedKeys(job.schedules).map((id) => ({ jobId, schedule: JSON.parse(job.schedules.get(id)!.json) as ScheduleSpec }))),
        activeRuns,
        frameworkId,
      };
    },

    async apply(ops: readonly BatchStoreOperation[]): Promise<void> {
      const before = open();
      ops.forEach(checkOperation);
      const jobs = new Map(before.jobs);
      let frameworkId = before.frameworkId;
      for (const op of ops) frameworkId = applyOne(jobs, op, limits) ?? frameworkId;
      // A concurrent claimTick cannot interleave: everything above is synchronous.
      backing.tables = { jobs, frameworkId };
    },

    async history(jobId: string): Promise<JobHistory> {
      const job = open().jobs.get(jobId);
      if (job === undefined) return { ...EMPTY_HISTORY, successfulFinishedRuns: [], failedFinishedRuns: [] };
      const runs = [...job.finishedRuns.values()].sort(newestFinishedFirst);
      const entries = (succeeded: boolean): FinishedRun[] =>
        runs.filter((r) => r.succeeded === succeeded).map(({ id, createdAt, finishedAt }) => ({ id, createdAt, finishedAt }));
      return { ...job.counts, successfulFinishedRuns: entries(true), failedFinishedRuns: entries(false) };
    },

    async finishedRun(jobId: string, runId: string): Promise<JobRun | undefined> {
      const json = open().jobs.get(jobId)?.finishedRuns.get(runId)?.json;
      return json === undefined ? undefined : (JSON.parse(json) as JobRun);
    },

    async claimTick(jobId: string, scheduleId: string, tickAt: Timestamp, then: readonly BatchStoreOperation[] = []): Promise<boolean> {
      const tables = open();
      const tick = normalizeTimestamp(tickAt, `claimTick ${jobId}/${scheduleId}`);
      then.forEach(checkOperation);
      const job = tables.jobs.get(jobId);
      const schedule = job?.schedules.get(scheduleId);
      if (job === undefined || schedule === undefined) return false;
      if (schedule.ticks.has(tick)) return false;
      if (schedule.ticksPrunedThrough !== null && tick <= schedule.ticksPrunedThrough) return false;
      const all = [...schedule.ticks, tick].sort(byText).reverse();
      const pruned = all.slice(limits.keptTicks);
      const next: ScheduleRow = {
        json: schedule.json,
        ticks: new Set(all.slice(0, limits.keptTicks)),
        ticksPrunedThrough: pruned.length === 0 ? schedule.ticksPrunedThrough : later(schedule.ticksPrunedThrough, pruned[0]!),
      };
      const jobs = new Map(tables.jobs);
      jobs.set(jobId, { ...job, schedules: new Map(job.schedules).set(scheduleId, next) });
      // The tick's operations in the same "transaction": a throw leaves the claim unmade too.
      let frameworkId = tables.frameworkId;
      for (const op of then) frameworkId = applyOne(jobs, op, limits) ?? frameworkId;
      backing.tables = { jobs, frameworkId };
      return true;
    },

    async close(): Promise<void> {
      closed = true;
    },
  };
}
