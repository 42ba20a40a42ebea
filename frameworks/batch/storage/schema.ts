/**
 * The batch framework's tables, as versioned migrations (common/db/migrations.ts, component
 * `batch`), in the schema `batch` so one database can also hold the master's and marathon's.
 *
 *   jobs          (id)                               def jsonb: the JobSpec
 *   schedules     (job_id, schedule_id)              def jsonb: the ScheduleSpec; ticks_pruned_through
 *   active_runs   (job_id, run_id)                   def jsonb: the JobRun (INITIAL, STARTING, ACTIVE)
 *   finished_runs (job_id, run_id)                   def jsonb: the JobRun (SUCCESS, FAILED), the history's runs
 *   job_history   (job_id)                           success/failure counts, last success/failure times
 *   fired_ticks   (job_id, schedule_id, tick_at)     a claimed cron tick (the primary key makes it once)
 *   framework     (singleton)                        the Mesos framework id
 *
 * Everything of a job references `jobs` with ON DELETE CASCADE (deleting the job deletes it all;
 * a schedule or run of a job that is not there is refused), and fired ticks reference their
 * schedule the same way. Times and ids are text in "C" collation: code-unit order, which for
 * the ISO-8601 UTC times with milliseconds of model.ts is time order, whatever the locale.
 *
 * Append new migrations; never edit an applied one.
 */
import type { Migration } from '../../../common/db/migrations.ts';

export const BATCH_COMPONENT = 'batch';

export const batchMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'jobs, schedules, active and finished runs, history, fired ticks, framework id',
    sql: `
      CREATE SCHEMA IF NOT EXISTS batch;
      CREATE TABLE batch.jobs (
        id text COLLATE "C" PRIMARY KEY,
        def jsonb NOT NULL
      );
      CREATE TABLE batch.schedules (
        job_id text COLLATE "C" NOT NULL REFERENCES batch.jobs (id) ON DELETE CASCADE,
        schedule_id text COLLATE "C" NOT NULL,
        def jsonb NOT NULL,
        -- Fired ticks at or before this were pruned: they count as claimed.
        ticks_pruned_through text COLLATE "C",
        PRIMARY KEY (job_id, schedule_id)
      );
      CREATE TABLE batch.active_runs (
        job_id text COLLATE "C" NOT NULL REFERENCES batch.jobs (id) ON DELETE CASCADE,
        run_id text COLLATE "C" NOT NULL,
        created_at text COLLATE "C" NOT NULL,
        def jsonb NOT NULL,
        PRIMARY KEY (job_id, run_id)
      );
      CREATE TABLE batch.finished_runs (
        job_id text COLLATE "C" NOT NULL REFERENCES batch.jobs (id) ON DELETE CASCADE,
        run_id text COLLATE "C" NOT NULL,
        succeeded boolean NOT NULL,
        created_at text COLLATE "C" NOT NULL,
        finished_at text COLLATE "C" NOT NULL,
        def jsonb NOT NULL,
        PRIMARY KEY (job_id, run_id)
      );
      CREATE INDEX finished_runs_newest ON batch.finished_runs (job_id, succeeded, finished_at DESC, run_id DESC);
      CREATE TABLE batch.job_history (
        job_id text COLLATE "C" PRIMARY KEY REFERENCES batch.jobs (id) ON DELETE CASCADE,
        success_count bigint NOT NULL DEFAULT 0,
        failure_count bigint NOT NULL DEFAULT 0,
        last_success_at text COLLATE "C",
        last_failure_at text COLLATE "C"
      );
      CREATE TABLE batch.fired_ticks (
        job_id text COLLATE "C" NOT NULL,
        schedule_id text COLLATE "C" NOT NULL,
        tick_at text COLLATE "C" NOT NULL,
        claimed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_id, schedule_id, tick_at),
        FOREIGN KEY (job_id, schedule_id) REFERENCES batch.schedules (job_id, schedule_id) ON DELETE CASCADE
      );
      CREATE TABLE batch.framework (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        framework_id text NOT NULL
      );
    `,
  },
];
