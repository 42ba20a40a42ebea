/**
 * `BatchStore` on PostgreSQL (tables: schema.ts). `createPgBatchStore` brings the schema up to
 * date first (refusing a database a newer maestro migrated).
 *
 * Invariants: `apply` runs its operations in order in one transaction (all land or none), sent
 * as one simple-protocol query (the statements with their values as escaped literals): one round
 * trip however many operations a group commit brings; consecutive `putRun`s are one multi-row
 * upsert; a schedule or run of a job that is not stored is refused with `UnknownJobError`
 * (a foreign key), and deleting a job deletes everything of it (ON DELETE CASCADE); finishing a
 * run moves it from the active runs to the finished runs, counts it in the job's history row
 * (once, however often it is finished) and prunes that outcome's list to `historyCount`, all in
 * the same transaction. `claimTick` is an INSERT ... ON CONFLICT DO NOTHING on the tick's
 * primary key, made while holding the schedule's row lock (so pruning and claiming never
 * interleave): true for exactly one caller across processes; the operations it is given (the
 * tick's run) land in the same transaction, only when the claim succeeded. Documents are sent as JSON text
 * and come back parsed from `jsonb`. The pool is the caller's: `close()` only stops this store
 * from being used.
 */
import pg from 'pg';
import { migrate, withClient } from '../../../common/db/migrations.ts';
import { toStoredJson } from '../../../common/db/storable.ts';
import { EMPTY_HISTORY, type FinishedRun, type JobHistory, type JobRun, type JobSpec, type ScheduleSpec, type Timestamp } from '../model.ts';
import type { BatchStore, BatchStoredState, BatchStoreOperation } from '../ports.ts';
import { BATCH_COMPONENT, batchMigrations } from './schema.ts';
import {
  checkOperation, finishedRunOf, normalizeTimestamp, storeLimits, UnknownJobError, type BatchStoreOptions, type StoreLimits,
} from './store-rules.ts';

type Statement = readonly [sql: string, params: readonly unknown[]];

/** PostgreSQL's foreign_key_violation. */
const FOREIGN_KEY_VIOLATION = '23503';

function finishStatements(run: JobRun, limits: StoreLimits): Statement[] {
  const entry = finishedRunOf(run);
  const json = toStoredJson(run, `run ${run.jobId}/${run.id}`);
  return [
    // The history row changes only when the run was not finished before: finishing twice counts once.
    ['WITH gone AS (DELETE FROM batch.active_runs WHERE job_id = $1 AND run_id = $2), ' +
      'added AS (' +
      'INSERT INTO batch.finished_runs (job_id, run_id, succeeded, created_at, finished_at, def) VALUES ($1, $2, $3, $4, $5, $6::jsonb) ' +
      'ON CONFLICT (job_id, run_id) DO NOTHING RETURNING succeeded, finished_at) ' +
      'INSERT INTO batch.job_history (job_id, success_count, failure_count, last_success_at, last_failure_at) ' +
      'SELECT $1, CASE WHEN succeeded THEN 1 ELSE 0 END, CASE WHEN succeeded THEN 0 ELSE 1 END, ' +
      'CASE WHEN succeeded THEN finished_at END, CASE WHEN succeeded THEN NULL ELSE finished_at END FROM added ' +
      'ON CONFLICT (job_id) DO UPDATE SET ' +
      'success_count = batch.job_history.success_count + excluded.success_count, ' +
      'failure_count = batch.job_history.failure_count + excluded.failure_count, ' +
      'last_success_at = GREATEST(batch.job_history.last_success_at, excluded.last_success_at), ' +
      'last_failure_at = GREATEST(batch.job_history.last_failure_at, excluded.last_failure_at)',
    [run.jobId, run.id, entry.succeeded, entry.createdAt, entry.finishedAt, json]],
    ['DELETE FROM batch.finished_runs WHERE job_id = $1 AND succeeded = $2 AND run_id IN (' +
      'SELECT run_id FROM batch.finished_runs WHERE job_id = $1 AND succeeded = $2 ' +
      'ORDER BY finished_at DESC, run_id DESC OFFSET $3)', [run.jobId, entry.succeeded, limits.historyCount]],
  ];
}

/**
 * Consecutive `putRun`s as one multi-row upsert (a run put twice keeps its last document, as two
 * upserts in turn would: one statement may not change a row twice).
 */
function putRunsStatement(runs: readonly JobRun[]): Statement {
  const last = new Map<string, JobRun>();
  for (const r of runs) {
    const key = `${r.jobId}\u0000${r.id}`;
    last.delete(key);
    last.set(key, r);
  }
  const params: unknown[] = [];
  const rows = [...last.values()].map((r) => {
    params.push(r.jobId, r.id, normalizeTimestamp(r.createdAt, 'createdAt'), toStoredJson(r, `run ${r.jobId}/${r.id}`));
    const n = params.length;
    return `($${n - 3}, $${n - 2}, $${n - 1}, $${n}::jsonb)`;
  });
  return ['INSERT INTO batch.active_runs (job_id, run_id, created_at, def) VALUES ' + rows.join(', ') +
    ' ON CONFLICT (job_id, run_id) DO UPDATE SET created_at = excluded.created_at, def = excluded.def', params];
}

/** The statements of `ops`, in order; consecutive `putRun`s share one. */
function statementsOfAll(ops: readonly BatchStoreOperation[], limits: StoreLimits): Statement[] {
  const out: Statement[] = [];
  for (let i = 0; i < ops.length;) {
    const op = ops[i];
    if (op.op !== 'putRun') {
      out.push(...statementsOf(op, limits));
      i++;
      continue;
    }
    const runs: JobRun[] = [];
    for (; i < ops.length && ops[i].op === 'putRun'; i++) runs.push((ops[i] as { readonly run: JobRun }).run);
    out.push(putRunsStatement(runs));
  }
  return out;
}

/** A parameter as an SQL literal (strings quoted by pg's escapeLiteral; standard_conforming_strings is on since PostgreSQL 9.1). */
function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
    // Parenthesized when negative: after a minus in the statement (`x -$1`) it must not read as `--`, a comment.
    return v < 0 ? `(${String(v)})` : String(v);
  }
  if (typeof v === 'string') return pg.escapeLiteral(v);
  throw new TypeError(`no SQL literal for a ${typeof v}`);
}

/** `statements` as one simple-protocol query text: PostgreSQL runs it as one implicit transaction, in one round trip. */
export function asOneQuery(statements: readonly Statement[]): string {
  return statements.map(([sql, params]) => sql.replace(/\$(\d+)/g, (_, n: string) => {
    const i = Number(n) - 1;
    if (i >= params.length) throw new RangeError(`statement has no parameter $${n}: ${sql}`);
    return literal(params[i]);
  })).join(';\n');
}

function statementsOf(op: BatchStoreOperation, limits: StoreLimits): Statement[] {
  switch (op.op) {
    case 'putJob':
      return [['INSERT INTO batch.jobs (id, def) VALUES ($1, $2::jsonb) ON CONFLICT (id) DO UPDATE SET def = excluded.def',
        [op.job.id, toStoredJson(op.job, `job ${op.job.id}`)]]];
    case 'deleteJob':
      return [['DELETE FROM batch.jobs WHERE id = $1', [op.jobId]]];
    case 'putSchedule':
      // An update keeps the schedule's fired ticks and their pruning mark.
      return [['INSERT INTO batch.schedules (job_id, schedule_id, def) VALUES ($1, $2, $3::jsonb) ' +
        'ON CONFLICT (job_id, schedule_id) DO UPDATE SET def = excluded.def',
      [op.jobId, op.schedule.id, toStoredJson(op.schedule, `schedule ${op.jobId}/${op.schedule.id}`)]]];
    case 'deleteSchedule':
      return [['DELETE FROM batch.schedules WHERE job_id = $1 AND schedule_id = $2', [op.jobId, op.scheduleId]]];
    case 'putRun':
      return [['INSERT INTO batch.active_runs (job_id, run_id, created_at, def) VALUES ($1, $2, $3, $4::jsonb) ' +
        'ON CONFLICT (job_id, run_id) DO UPDATE SET created_at = excluded.created_at, def = excluded.def',
      [op.run.jobId, op.run.id, normalizeTimestamp(op.run.createdAt, 'createdAt'), toStoredJson(op.run, `run ${op.run.jobId}/${op.run.id}`)]]];
    case 'finishRun':
      return finishStatements(op.run, limits);
    case 'putFrameworkId':
      toStoredJson(op.frameworkId, 'framework id');
      return [['INSERT INTO batch.framework (singleton, framework_id) VALUES (true, $1) ' +
        'ON CONFLICT (singleton) DO UPDATE SET framework_id = excluded.framework_id', [op.frameworkId]]];
    default: {
      const never: never = op;
      throw new Error(`unknown store operation ${JSON.stringify(never)}`);
    }
  }
}

/** Runs `fn` in a transaction on one client: committed when it returns, rolled back when it throws. */
async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  return withClient(pool, async (client) => {
    await client.query('BEGIN');
    try {
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  });
}

function asUnknownJob(err: unknown): unknown {
  const e = err as { code?: string; detail?: string; message?: string };
  if (e?.code !== FOREIGN_KEY_VIOLATION) return err;
  return new UnknownJobError(`a schedule or run of a job that is not stored: ${e.detail ?? e.message}`, { cause: err });
}

interface HistoryRow {
  success_count: string;
  failure_count: string;
  last_success_at: string | null;
  last_failure_at: string | null;
}

export async function createPgBatchStore(pool: pg.Pool, options: BatchStoreOptions = {}): Promise<BatchStore> {
  const limits = storeLimits(options);
  await migrate(pool, BATCH_COMPONENT, batchMigrations);
  let closed = false;
  const db = (): pg.Pool => {
    if (closed) throw new Error('the batch store is closed');
    return pool;
  };
  const defs = async <T>(sql: string, params: readonly unknown[] = []): Promise<T[]> =>
    (await db().query<{ def: T }>(sql, params as unknown[])).rows.map((r) => r.def);

  return {
    async load(): Promise<BatchStoredState> {
      db();
      const [jobs, schedules, activeRuns, framework] = await Promise.all([
        defs<JobSpec>('SELECT def FROM batch.jobs ORDER BY id'),
        db().query<{ job_id: string; def: ScheduleSpec }>('SELECT job_id, def FROM batch.schedules ORDER BY job_id, schedule_id'),
        defs<JobRun>('SELECT def FROM batch.active_runs ORDER BY job_id, created_at, run_id'),
        db().query<{ framework_id: string }>('SELECT framework_id FROM batch.framework'),
      ]);
      return {
        jobs,
        schedules: schedules.rows.map((r) => ({ jobId: r.job_id, schedule: r.def })),
        activeRuns,
        frameworkId: framework.rows[0]?.framework_id,
      };
    },

    async apply(ops: readonly BatchStoreOperation[]): Promise<void> {
      // Checked and turned into SQL before the transaction starts: a bad operation fails with nothing sent.
      ops.forEach(checkOperation);
      const statements = statementsOfAll(ops, limits);
      if (statements.length === 0) return;
      const text = asOneQuery(statements);
      try {
        // Several statements in one simple query are one implicit transaction: all land or none.
        await db().query(text);
      } catch (err) {
        throw asUnknownJob(err);
      }
    },

    async history(jobId: string): Promise<JobHistory> {
      const [counts, runs] = await Promise.all([
        db().query<HistoryRow>('SELECT success_count, failure_count, last_success_at, last_failure_at FROM batch.job_history WHERE job_id = $1', [jobId]),
        db().query<{ run_id: string; succeeded: boolean; created_at: string; finished_at: string }>(
          'SELECT run_id, succeeded, created_at, finished_at FROM batch.finished_runs WHERE job_id = $1 ' +
          'ORDER BY finished_at DESC, run_id DESC', [jobId]),
      ]);
      const row = counts.rows[0];
      if (row === undefined) return { ...EMPTY_HISTORY, successfulFinishedRuns: [], failedFinishedRuns: [] };
      const entries = (succeeded: boolean): FinishedRun[] => runs.rows.filter((r) => r.succeeded === succeeded)
        .map((r) => ({ id: r.run_id, createdAt: r.created_at, finishedAt: r.finished_at }));
      return {
        // bigint comes back as text; a count beyond 2^53 is not a concern.
        successCount: Number(row.success_count),
        failureCount: Number(row.failure_count),
        lastSuccessAt: row.last_success_at,
        lastFailureAt: row.last_failure_at,
        successfulFinishedRuns: entries(true),
        failedFinishedRuns: entries(false),
      };
    },

    async finishedRun(jobId: string, runId: string): Promise<JobRun | undefined> {
      const [def] = await defs<JobRun>('SELECT def FROM batch.finished_runs WHERE job_id = $1 AND run_id = $2', [jobId, runId]);
      return def;
    },

    async claimTick(jobId: string, scheduleId: string, tickAt: Timestamp, then: readonly BatchStoreOperation[] = []): Promise<boolean> {
      const tick = normalizeTimestamp(tickAt, `claimTick ${jobId}/${scheduleId}`);
      then.forEach(checkOperation);
      const thenText = then.length === 0 ? undefined : asOneQuery(statementsOfAll(then, limits));
      return inTransaction(db(), async (client) => {
        // The schedule's row lock orders the claims of one schedule; no schedule, no claim.
        const schedule = await client.query<{ ticks_pruned_through: string | null }>(
          'SELECT ticks_pruned_through FROM batch.schedules WHERE job_id = $1 AND schedule_id = $2 FOR UPDATE', [jobId, scheduleId]);
        const row = schedule.rows[0];
        if (row === undefined) return false;
        if (row.ticks_pruned_through !== null && tick <= row.ticks_pruned_through) return false;
        const inserted = await client.query(
          'INSERT INTO batch.fired_ticks (job_id, schedule_id, tick_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING tick_at',
          [jobId, scheduleId, tick]);
        if (inserted.rowCount !== 1) return false;
        await client.query(
          'WITH pruned AS (DELETE FROM batch.fired_ticks WHERE job_id = $1 AND schedule_id = $2 AND tick_at IN (' +
          'SELECT tick_at FROM batch.fired_ticks WHERE job_id = $1 AND schedule_id = $2 ORDER BY tick_at DESC OFFSET $3) RETURNING tick_at) ' +
          'UPDATE batch.schedules SET ticks_pruned_through = GREATEST(ticks_pruned_through, (SELECT max(tick_at) FROM pruned)) ' +
          'WHERE job_id = $1 AND schedule_id = $2 AND EXISTS (SELECT 1 FROM pruned)',
          [jobId, scheduleId, limits.keptTicks]);
        if (thenText !== undefined) await client.query(thenText).catch((err: unknown) => Promise.reject(asUnknownJob(err)));
        return true;
      });
    },

    async close(): Promise<void> {
      closed = true;
    },
  };
}
