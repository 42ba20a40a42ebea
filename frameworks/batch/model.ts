/**
 * The batch framework's vocabulary (`maestro batch`, Metronome's `/v1/jobs` API): a job is a
 * run spec with an id; a run is one execution of it (one task, or N for a parallel job); a
 * schedule starts runs by cron. Field names are Metronome's JSON names, so a job is served back as
 * it was accepted. `parallelism` is maestro's extension (gang-scheduled runs), absent = 1.
 *
 * Invariants: a `JobSpec` in the core passed `parseJob`; ids are Metronome ids (dot-separated
 * names of [a-z0-9-], no leading or trailing dash); times are ISO-8601 with milliseconds, UTC.
 */

export type Timestamp = string;

export type EnvValue = string | { readonly secret: string };

export interface JobConstraint {
  readonly attribute: string;
  /** Metronome 0.6: EQ, LIKE, UNLIKE, IS, IN, GROUP_BY, UNIQUE... (case as given by the API). */
  readonly operator: string;
  readonly value?: string;
}

export interface JobArtifact {
  readonly uri: string;
  readonly executable: boolean;
  readonly extract: boolean;
  readonly cache: boolean;
}

export interface JobVolume {
  readonly containerPath: string;
  readonly hostPath: string;
  readonly mode: 'RO' | 'RW';
}

export interface JobRunSpec {
  readonly cmd?: string;
  readonly args?: readonly string[];
  readonly cpus: number;
  readonly mem: number;
  readonly disk: number;
  readonly gpus: number;
  readonly env: Readonly<Record<string, EnvValue>>;
  readonly placement: { readonly constraints: readonly JobConstraint[] };
  readonly artifacts: readonly JobArtifact[];
  readonly docker?: { readonly image: string; readonly forcePullImage: boolean };
  readonly user?: string;
  readonly volumes: readonly JobVolume[];
  /**
   * Seconds a pending run may wait to be launched (from its creation, or a retry's from the end of
   * its backoff) before it is aborted (FAILED); also the cap of a retry's backoff.
   */
  readonly maxLaunchDelay: number;
  readonly restart: { readonly policy: 'NEVER' | 'ON_FAILURE'; readonly activeDeadlineSeconds?: number };
  readonly taskKillGracePeriodSeconds?: number;
  /**
   * maestro's extension (Metronome has none): the run's place in the pending queue, an integer,
   * higher first; absent = 0. Runs of equal priority launch oldest first.
   */
  readonly priority?: number;
  readonly secrets: Readonly<Record<string, { readonly source: string }>>;
}

export interface JobSpec {
  readonly id: string;
  readonly description?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly run: JobRunSpec;
  /** maestro's extension: N tasks started together only when all N fit (gang scheduling); 1 when absent. */
  readonly parallelism?: number;
}

export interface ScheduleSpec {
  readonly id: string;
  /** Five fields (minute hour day-of-month month day-of-week), or six with seconds first. */
  readonly cron: string;
  /** An IANA time zone (`Europe/Berlin`); default UTC. */
  readonly timezone: string;
  /**
   * Seconds from a tick until its run must be running (default 900): a tick this old is not run
   * at all (catch-up), and its run is aborted (FAILED) when not running by then (batch-core.ts).
   */
  readonly startingDeadlineSeconds: number;
  readonly concurrencyPolicy: 'ALLOW' | 'FORBID';
  readonly enabled: boolean;
  /**
   * When the core created it or last re-armed it (enabled again, a new cron or zone): no tick
   * before this fires, also after a restart. Stored, not part of Metronome's JSON.
   */
  readonly armedAt?: Timestamp;
}

export type RunStatus = 'INITIAL' | 'STARTING' | 'ACTIVE' | 'SUCCESS' | 'FAILED';

export interface RunTask {
  readonly id: string;
  /** The Mesos task state (`TASK_RUNNING`, ...), absent before the launch is sent. */
  readonly status?: string;
  readonly startedAt?: Timestamp;
  readonly completedAt?: Timestamp;
  readonly agentId?: string;
  readonly host?: string;
  /** Index of the task in a parallel run (0..parallelism-1). */
  readonly index: number;
}

export interface JobRun {
  /** Metronome's run id: `yyyyMMddHHmmss` + 5 random characters. */
  readonly id: string;
  readonly jobId: string;
  readonly status: RunStatus;
  readonly createdAt: Timestamp;
  readonly completedAt?: Timestamp;
  /** The job's spec when the run was created (a later update does not change a running run). */
  readonly spec: JobSpec;
  /** Launch attempts so far (ON_FAILURE retries start another attempt). */
  readonly attempt: number;
  readonly tasks: readonly RunTask[];
  /** Why it failed, when it did. */
  readonly reason?: string;
  /** The schedule that started it, if any. */
  readonly scheduleId?: string;
  /** The cron tick that started it (a run a schedule started): stored, with `startingDeadlineSeconds`. */
  readonly scheduledAt?: Timestamp;
  /**
   * The schedule's `startingDeadlineSeconds` at its tick: the run is aborted (FAILED, its tasks
   * killed) when its tasks have not all been reported started (STAGING, STARTING or RUNNING) by
   * `scheduledAt` + this. Dropped once they have (met); absent for a run on demand (no starting deadline).
   */
  readonly startingDeadlineSeconds?: number;
  /** A retry's backoff: an INITIAL run does not launch before this time (stored, so a restart honours it). */
  readonly notBefore?: Timestamp;
  /**
   * When a stop was asked (`.../actions/stop`) of a launched run: stored before the kill is sent,
   * so a restarted core kills its tasks again and fails the run rather than retrying it.
   */
  readonly stopRequestedAt?: Timestamp;
}

/** A finished run as the history keeps it. */
export interface FinishedRun {
  readonly id: string;
  readonly createdAt: Timestamp;
  readonly finishedAt: Timestamp;
}

export interface JobHistory {
  readonly successCount: number;
  readonly failureCount: number;
  readonly lastSuccessAt: Timestamp | null;
  readonly lastFailureAt: Timestamp | null;
  readonly successfulFinishedRuns: readonly FinishedRun[];
  readonly failedFinishedRuns: readonly FinishedRun[];
}

export const EMPTY_HISTORY: JobHistory = {
  successCount: 0, failureCount: 0, lastSuccessAt: null, lastFailureAt: null, successfulFinishedRuns: [], failedFinishedRuns: [],
};
