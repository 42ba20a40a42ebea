/**
 * The batch framework's core: jobs, schedules and runs in memory, persisted through `BatchStore`
 * (the source of truth); pending runs mirrored to `RunQueue` (BullMQ). It is the REST layer's
 * `BatchService` and the scheduler driver's `SchedulerHandler`.
 *
 *   POST job / run ──► group commit ──► reply          cron tick ──► claimTick + its run (one transaction)
 *   offers ──► pending runs in launch order (memory) ──► placeGang (all N tasks or none)
 *          ──► STARTING (+ staged writes), one transaction ──► ACCEPT
 *   status update ──► run-state.ts step ──► ACTIVE / SUCCESS / kill the rest / retry / FAILED, staged
 *          ──► group commit (a timer of 0 ms) ──► ACKNOWLEDGE
 *
 * Writes (group commit): every change runs in one serial job. API changes that arrive while a
 * commit is in flight wait in `changes` and are planned and written together (one transaction),
 * each answered after it; when that transaction fails, each is written alone, so only the ones
 * the store refuses (their memory changes undone) are answered with an error.
 * Status updates change memory at once and stage their writes (ACTIVE, finished runs, retries);
 * the staged writes land with the next commit of any kind, and an update is acknowledged to the
 * master only after its writes landed (explicit acks), so a crash before that makes the agent
 * send the update again and the restarted core, which has the run as stored, records it once.
 * Every other write goes after the staged ones in the same transaction, so none overtakes them.
 *
 * Invariants: a run is stored STARTING with its task ids before its tasks are launched (a
 * restarted batch knows them; reconciliation settles them); a run is answered to the API only
 * once stored; the queue (Redis) is written after the store, never holds what the store does not,
 * and is only a mirror, written in batches every `queueWriteMs` (a run launched before its write
 * never reaches it), one batch at a time and never awaited inside the serial job (a Redis that
 * hangs stalls nothing but the mirror): the launch order is computed here from the stored runs (queue-order.ts, the
 * order BullMQ keeps: `run.priority` higher first, then oldest); a retry's backoff is stored
 * with it (`notBefore`); offers are suppressed while no run waits. A serial job that fails
 * (PostgreSQL, Redis) leaves no half-applied change behind; a queue write that failed is repaired
 * by a rebuild at the next maintenance round.
 *
 * Gang priority (gang-reserve.ts): a parallel run at the head of the ready runs that has waited
 * `gangReserveSeconds` and does not fit holds back the offers it could use from the runs behind it.
 *
 * Launch deadline (Metronome's `maxLaunchDelay`): a pending run not launched within that many
 * seconds of becoming due (run-state.ts `launchDeadline`, from the stored createdAt / notBefore)
 * is aborted: FAILED, in the history, out of the queue. One timer waits for the earliest deadline
 * (`nextDeadline`, which may be early: a run since launched; the check then finds nothing and
 * re-arms); every offer cycle checks first, so no run launches after its deadline. This bounds how
 * long a gang that can never fit holds offers back.
 *
 * Starting deadline (Metronome's schedule `startingDeadlineSeconds`): a run a schedule started
 * carries its tick (`scheduledAt`) and the schedule's deadline, stored; while it has not started
 * (INITIAL, or STARTING with a task not yet reported STAGING, STARTING or RUNNING) past tick +
 * deadline it is aborted by the same timer: FAILED, out of the queue, its launched tasks killed (as
 * orphans, so the kill is sent again until they end; after a kill -9, implicit reconciliation kills
 * them). Once every task was reported started (run-state.ts `hasStarted`, Metronome's rule) the
 * deadline is met and dropped, stored. For an INITIAL run the earlier of this and the
 * launch deadline wins (run-state.ts `abortDeadline`). A run on demand has none.
 *
 * Maintenance (every `maintenanceMs`): rebuild the queue if a write to it failed or it no longer
 * holds as many runs as were written there (a Redis flushed without a reconnect), re-apply the
 * demand if the call failed, reconcile the tasks of runs still STARTING or stopping, send kills
 * again (stopping runs, tasks of deleted jobs) until their tasks end: nothing waits forever on a
 * call or an answer that was lost.
 */
import type { mesos } from '../../../proto/types.generated.ts';
import type { Clock, Logger, TimerHandle, Timers } from '../../../common/ports.ts';
import type { CallResult, DriverCalls, SchedulerHandler, TaskRef } from '../../sdk/scheduler-handler.ts';
import { createOfferPool, type OfferPool } from '../../../marathon/placement/offer-pool.ts';
import { createSerial } from '../../../marathon/core/serial.ts';
import type { JobHistory, JobRun, JobSpec, RunTask, ScheduleSpec, Timestamp } from '../model.ts';
import type { BatchResult, BatchService, BatchStore, BatchStoreOperation, QueuedRun, RunQueue } from '../ports.ts';
import { buildRunTasks, jobDemand, placeGang } from './gang-launch.ts';
import { holdsOffers, reservedAgents, usageByAgent, type TaskScalars } from './gang-reserve.ts';
import { abortDeadline, dueAt, hasStarted, isFinal, isLaunchLost, isTerminalTaskState, retryDelayMs, shouldRetry, stepOf } from './run-state.ts';
import { runId as newRunId, taskId as newTaskId } from './run-ids.ts';
import { readyRuns, type SequencedRun } from '../queue/queue-order.ts';
import { parseCron, ticksBetween, nextTick } from '../spec/cron.ts';

/** An acknowledgement of a status update (Mesos ACKNOWLEDGE). */
export interface StatusAck {
  readonly taskId: string;
  readonly agentId: string;
  readonly uuid: string;
}

/** The driver calls the batch core makes (frameworks/sdk `DriverCalls`), and explicit acknowledgements. */
export type BatchDriver = DriverCalls & { acknowledge(ack: StatusAck): Promise<CallResult> };

export interface BatchCoreOptions {
  readonly store: BatchStore;
  readonly queue: RunQueue;
  readonly state: import('../ports.ts').BatchStoredState;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  /** Uniform in [0, 1): run id letters. */
  readonly random: () => number;
  /** The role the framework's tasks use. */
  readonly role: string;
  /** Seconds a declined offer stays filtered while nothing waits. */
  readonly declineOfferSeconds?: number;
  /** The master refused this framework for good (ERROR): the driver has stopped; the process should give up leading. */
  readonly onFatal?: (message: string) => void;
  /** How often schedules are checked (ms). */
  readonly tickMs?: number;
  /** How often the maintenance round runs (ms, default 30 000): see the module header. */
  readonly maintenanceMs?: number;
  /** Seconds a task may stay TASK_UNKNOWN (asked again every round) before its attempt counts as lost (default 600). */
  readonly unknownTaskSeconds?: number;
  /** Seconds a parallel run at the head of the ready runs waits before it holds back the offers it could use (default 10). */
  readonly gangReserveSeconds?: number;
  /** Milliseconds queue writes gather before they go to Redis together (default 20): the mirror lags by about this. */
  readonly queueWriteMs?: number;
}

/** An API change waiting for the next group commit. */
interface PendingChange {
  readonly plan: () => PlannedChange;
  readonly resolve: (r: BatchResult<unknown>) => void;
  readonly reject: (e: unknown) => void;
}

/** A planned API change: its answer, its writes, its memory change (made before the commit, undone if it fails), and what follows the commit. */
interface PlannedChange {
  readonly result: BatchResult<unknown>;
  readonly ops?: readonly BatchStoreOperation[];
  readonly undo?: () => void;
  readonly after?: () => void;
}

const iso = (ms: number): Timestamp => new Date(ms).toISOString();
/** Node runs a longer timeout at once (it takes the delay as a 32-bit int): a far deadline is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const notFound = (message: string): BatchResult<never> => ({ ok: false, status: 404, message });
const priorityOf = (run: JobRun): number => run.spec.run.priority ?? 0;
const scalarsOf = (job: JobSpec): TaskScalars => ({ cpus: job.run.cpus, mem: job.run.mem, disk: job.run.disk, gpus: job.run.gpus });
/** A run without its retry backoff (what a launched run is stored as). */
const withoutNotBefore = (run: JobRun): JobRun => {
  if (run.notBefore === undefined) return run;
  const { notBefore: _, ...rest } = run;
  return rest;
};
/** A run without its starting deadline (what a run that has been ACTIVE is stored as). */
const withoutStartingDeadline = (run: JobRun): JobRun => {
  if (run.startingDeadlineSeconds === undefined) return run;
  const { startingDeadlineSeconds: _, ...rest } = run;
  return rest;
};

/** When a pending run entered the queue (epoch ms): its creation, or for a retry the start of its backoff. */
const queuedAt = (run: JobRun): number =>
  (run.notBefore === undefined ? Date.parse(run.createdAt) : Date.parse(run.notBefore) - retryDelayMs(run, run.attempt));

export function createBatchCore(opts: BatchCoreOptions): BatchCore {
  return new BatchCore(opts);
}

export class BatchCore implements BatchService, SchedulerHandler {
  private readonly jobsById = new Map<string, JobSpec>();
  private readonly schedulesByJob = new Map<string, Map<string, ScheduleSpec>>();
  private readonly runsById = new Map<string, JobRun>();
  private readonly taskToRun = new Map<string, string>();
  /** Runs asked to stop: their failed attempt is not retried. */
  private readonly stopping = new Set<string>();
  private readonly serial = createSerial();
  private driver: BatchDriver | undefined;
  private frameworkId: string | undefined;
  private tick: TimerHandle | undefined;
  private maintenance: TimerHandle | undefined;
  private scheduleCheckedUntil: number;
  /** A write to the queue failed: it may miss runs until the next rebuild. */
  private queueSuspect = false;
  /** Tasks of deleted jobs that were killed: the kill is sent again until they are over. */
  private readonly orphans = new Map<string, string | undefined>();
  /** Since when (ms) a task of a run has been TASK_UNKNOWN without a word since. */
  private readonly unknownSince = new Map<string, number>();
  /** Each pending (INITIAL) run's place among runs of equal priority. */
  private readonly seqOf = new Map<string, number>();
  private nextSeq = 0;
  /** Writes of status updates not committed yet, by key (a run's newer write replaces its older one). */
  private readonly staged = new Map<string, BatchStoreOperation>();
  /** Acknowledgements to send once everything staged before them is committed. */
  private readonly pendingAcks: StatusAck[] = [];
  /** Runs finished by a staged write: still found by `run()` until it lands. */
  private readonly finishing = new Map<string, JobRun>();
  private flushQueued = false;
  /** API changes waiting for the next group commit. */
  private readonly changes: PendingChange[] = [];
  /** Queue writes to make after the next commit: run id -> the run to enqueue, or null to remove it. */
  private readonly queueWrites = new Map<string, QueuedRun | null>();
  /** Runs the queue holds as far as this core wrote it (a run never written there needs no remove). */
  private readonly mirrored = new Set<string>();
  private queueWriteQueued = false;
  /** The queue call in flight, if any (`queueCall`). */
  private queueBusy: Promise<void> | undefined;
  private demand: boolean | undefined;
  /** Offers were declined with a refusal filter since the last revive. */
  private filtered = false;
  /** No pending run's launch deadline comes before this (epoch ms); it may be early (see the header). */
  private nextDeadline = Number.POSITIVE_INFINITY;
  private deadlineTimer: TimerHandle | undefined;
  /** When `deadlineTimer` is due (infinite: none). */
  private deadlineTimerAt = Number.POSITIVE_INFINITY;
  private stopped = false;

  constructor(private readonly opts: BatchCoreOptions) {
    for (const j of opts.state.jobs) this.jobsById.set(j.id, j);
    for (const { jobId, schedule } of opts.state.schedules) this.schedulesOf(jobId).set(schedule.id, schedule);
    // Pending runs take their places in the order they entered the queue (the store lists them by
    // job id): the launch order among equal priorities is the one before the restart.
    const loaded = [...opts.state.activeRuns].sort((a, b) => queuedAt(a) - queuedAt(b) || (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    for (const r of loaded) {
      this.rememberRun(r);
      if (r.stopRequestedAt !== undefined) this.stopping.add(r.id);
    }
    this.frameworkId = opts.state.frameworkId;
    // Ticks missed while no batch ran still fire when within their starting deadline (claimTick keeps them single).
    const maxDeadline = Math.max(0, ...[...this.schedulesByJob.values()].flatMap((m) => [...m.values()].map((s) => s.startingDeadlineSeconds)));
    this.scheduleCheckedUntil = opts.clock.now() - maxDeadline * 1000;
  }

  /** Makes the queue hold exactly the stored pending runs (at start, and after Redis came back empty). */
  rebuildQueue(): Promise<void> {
    return this.serial.run(async () => {
      this.queueSuspect = false;
      await this.rebuildFromMemory();
      await this.updateDemand(true);
    });
  }

  /** Rebuilds the queue from the stored pending runs, connects the driver and starts the schedule ticker. */
  async start(driver: BatchDriver): Promise<void> {
    this.driver = driver;
    // Runs whose deadline passed while no batch ran are aborted before the queue is rebuilt.
    await this.serial.run(() => this.abortOverdue(this.opts.clock.now())).catch((e: unknown) => this.logError('launch deadlines', e));
    this.armDeadlineTimer();
    await this.rebuildFromMemory();
    await this.queueBusy;
    this.tick = this.opts.timers.setInterval(() => void this.serial.run(() => this.fireSchedules()).catch((e: unknown) => this.logError('schedules', e)), this.opts.tickMs ?? 1000);
    this.maintenance = this.opts.timers.setInterval(() => void this.serial.run(() => this.maintain()).catch((e: unknown) => this.logError('maintenance', e)), this.opts.maintenanceMs ?? 30_000);
    await this.serial.run(() => this.updateDemand());
  }

  stop(): void {
    this.stopped = true;
    if (this.tick !== undefined) this.opts.timers.clear(this.tick);
    if (this.maintenance !== undefined) this.opts.timers.clear(this.maintenance);
    if (this.deadlineTimer !== undefined) this.opts.timers.clear(this.deadlineTimer);
  }

  /** Resolves when every change so far is done, its writes (staged ones too) are committed, and the queue is written. */
  async idle(): Promise<void> {
    for (;;) {
      await this.serial.run(async () => {
        await this.commit([]);
        this.writeQueue();
      });
      if (this.queueBusy === undefined) return;
      await this.queueBusy;
    }
  }

  persistedFrameworkId(): string | undefined {
    return this.frameworkId;
  }

  // --- reads ------------------------------------------------------------------------------------

  jobs(): readonly JobSpec[] {
    return [...this.jobsById.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  job(id: string): JobSpec | undefined {
    return this.jobsById.get(id);
  }

  schedules(jobId: string): readonly ScheduleSpec[] {
    return [...(this.schedulesByJob.get(jobId)?.values() ?? [])];
  }

  activeRuns(jobId?: string): readonly JobRun[] {
    const all = [...this.runsById.values()];
    return jobId === undefined ? all : all.filter((r) => r.jobId === jobId);
  }

  async history(jobId: string): Promise<JobHistory> {
    // Runs finished a moment ago may be staged still: the history is read after they land.
    if (this.finishing.size > 0) await this.serial.run(() => this.commit([]));
    return this.opts.store.history(jobId);
  }

  async run(jobId: string, runId: string): Promise<JobRun | undefined> {
    const active = this.runsById.get(runId) ?? this.finishing.get(runId);
    if (active && active.jobId === jobId) return active;
    return this.opts.store.finishedRun(jobId, runId);
  }

  nextRunAt(jobId: string, scheduleId: string): Timestamp | undefined {
    const s = this.schedulesByJob.get(jobId)?.get(scheduleId);
    if (!s || !s.enabled) return undefined;
    const cron = parseCron(s.cron);
    if (!cron.ok) return undefined;
    const next = nextTick(cron.cron, s.timezone, this.opts.clock.now());
    return next === undefined ? undefined : iso(next);
  }

  // --- changes ----------------------------------------------------------------------------------

  createJob(job: JobSpec, schedules: readonly ScheduleSpec[] = []): Promise<BatchResult<JobSpec>> {
    return this.change<JobSpec>(() => {
      if (this.jobsById.has(job.id)) return { result: { ok: false as const, status: 409 as const, message: `Job with id ${job.id} already exists` } };
      this.jobsById.set(job.id, job);
      const armed = schedules.map((s) => this.armed(s));
      for (const s of armed) this.schedulesOf(job.id).set(s.id, s);
      return {
        result: { ok: true as const, value: job },
        ops: [{ op: 'putJob', job }, ...armed.map((schedule): BatchStoreOperation => ({ op: 'putSchedule', jobId: job.id, schedule }))],
        undo: () => {
          this.jobsById.delete(job.id);
          this.schedulesByJob.delete(job.id);
        },
      };
    });
  }

  updateJob(job: JobSpec): Promise<BatchResult<JobSpec>> {
    return this.serial.run(async () => {
      if (!this.jobsById.has(job.id)) return notFound(`Job '${job.id}' does not exist`);
      await this.commit([{ op: 'putJob', job }]);
      this.jobsById.set(job.id, job);
      return { ok: true as const, value: job };
    });
  }

  deleteJob(id: string, stopCurrentJobRuns: boolean): Promise<BatchResult<JobSpec>> {
    return this.serial.run(async () => {
      const job = this.jobsById.get(id);
      if (!job) return notFound(`Job '${id}' does not exist`);
      const active = this.activeRuns(id);
      if (active.length > 0 && !stopCurrentJobRuns) {
        return { ok: false as const, status: 409 as const, message: 'Job has active runs. Use stopCurrentJobRuns=true to stop them' };
      }
      // Stored first: a delete that fails (answered 5xx) kills nothing. Then the runs' tasks are
      // orphans, killed now and again at every maintenance round until they are over.
      await this.commit([{ op: 'deleteJob', jobId: id }]);
      for (const r of active) {
        if (r.status === 'INITIAL') this.queueSet(r.id, null);
        for (const t of r.tasks) if (!isTerminalTaskState(t.status)) this.orphans.set(t.id, t.agentId);
        this.forgetRun(r);
        await Promise.all(r.tasks.filter((t) => !isTerminalTaskState(t.status)).map((t) => this.driver?.kill(t.id, t.agentId)));
      }
      this.jobsById.delete(id);
      this.schedulesByJob.delete(id);
      this.scheduleQueueWrite();
      await this.updateDemand();
      return { ok: true as const, value: job };
    });
  }

  startRun(jobId: string): Promise<BatchResult<JobRun>> {
    return this.change<JobRun>(() => {
      const run = this.newRun(jobId);
      if (!run) return { result: notFound(`Job '${jobId}' does not exist`) };
      this.rememberRun(run);
      return {
        result: { ok: true as const, value: run },
        ops: [{ op: 'putRun', run }],
        undo: () => this.forgetRun(run),
        after: () => this.queueSet(run.id, this.queued(run)),
      };
    });
  }

  stopRun(jobId: string, runId: string): Promise<BatchResult<JobRun>> {
    return this.serial.run(async () => {
      const run = this.runsById.get(runId);
      if (!run || run.jobId !== jobId) return notFound(`Run '${runId}' of job '${jobId}' does not exist`);
      if (run.status === 'INITIAL') {
        const done = this.finished(run, 'FAILED', 'stopped');
        await this.commit([{ op: 'finishRun', run: done }]);
        this.queueSet(run.id, null);
        this.forgetRun(run);
        this.scheduleQueueWrite();
        await this.updateDemand();
        return { ok: true as const, value: done };
      }
      // The stop is stored before the kill (and before the answer): a restarted core kills again
      // and does not retry the run; a stop that cannot be stored kills nothing (answered 5xx).
      let marked = run;
      if (run.stopRequestedAt === undefined) {
        marked = { ...run, stopRequestedAt: iso(this.opts.clock.now()) };
        await this.commit([{ op: 'putRun', run: marked }]);
        this.rememberRun(marked);
      }
      await this.killRun(marked);
      return { ok: true as const, value: marked };
    });
  }

  createSchedule(jobId: string, schedule: ScheduleSpec): Promise<BatchResult<ScheduleSpec>> {
    return this.serial.run(async () => {
      if (!this.jobsById.has(jobId)) return notFound(`Job '${jobId}' does not exist`);
      if (this.schedulesOf(jobId).has(schedule.id)) return { ok: false as const, status: 409 as const, message: `Schedule with id ${schedule.id} already exists` };
      const armed = this.armed(schedule);
      await this.commit([{ op: 'putSchedule', jobId, schedule: armed }]);
      this.schedulesOf(jobId).set(schedule.id, armed);
      return { ok: true as const, value: armed };
    });
  }

  updateSchedule(jobId: string, schedule: ScheduleSpec): Promise<BatchResult<ScheduleSpec>> {
    return this.serial.run(async () => {
      const old = this.schedulesByJob.get(jobId)?.get(schedule.id);
      if (!old) return notFound(`Schedule '${schedule.id}' of job '${jobId}' does not exist`);
      // Enabled again or a new timing: ticks from before this change are not its ticks.
      const rearmed = !old.enabled || old.cron !== schedule.cron || old.timezone !== schedule.timezone;
      const { armedAt: _, ...given } = schedule;
      const next: ScheduleSpec = rearmed ? this.armed(given) : old.armedAt === undefined ? given : { ...given, armedAt: old.armedAt };
      await this.commit([{ op: 'putSchedule', jobId, schedule: next }]);
      this.schedulesOf(jobId).set(schedule.id, next);
      return { ok: true as const, value: next };
    });
  }

  deleteSchedule(jobId: string, scheduleId: string): Promise<BatchResult<ScheduleSpec>> {
    return this.serial.run(async () => {
      const s = this.schedulesByJob.get(jobId)?.get(scheduleId);
      if (!s) return notFound(`Schedule '${scheduleId}' of job '${jobId}' does not exist`);
      await this.commit([{ op: 'deleteSchedule', jobId, scheduleId }]);
      this.schedulesOf(jobId).delete(scheduleId);
      return { ok: true as const, value: s };
    });
  }

  /** A schedule armed now: ticks before this moment are not its ticks (stored with it, so a restart knows). */
  private armed(s: ScheduleSpec): ScheduleSpec {
    return { ...s, armedAt: iso(this.opts.clock.now()) };
  }

  /** A new run; one a schedule's tick started carries the tick and the schedule's starting deadline. */
  private newRun(jobId: string, tick?: { readonly schedule: ScheduleSpec; readonly at: number }): JobRun | undefined {
    const job = this.jobsById.get(jobId);
    if (!job) return undefined;
    const now = this.opts.clock.now();
    return {
      id: newRunId(now, this.opts.random), jobId, status: 'INITIAL', createdAt: iso(now), spec: job, attempt: 1, tasks: [],
      ...(tick === undefined ? {} : { scheduleId: tick.schedule.id, scheduledAt: iso(tick.at), startingDeadlineSeconds: tick.schedule.startingDeadlineSeconds }),
    };
  }

  // --- group commit -----------------------------------------------------------------------------

  /**
   * An API change, planned and written with the others that wait for the same commit. `plan`
   * runs in the serial job and changes memory (later plans see it); the reply comes after the commit.
   */
  private change<T>(plan: () => PlannedChange): Promise<BatchResult<T>> {
    return new Promise<BatchResult<T>>((resolve, reject) => {
      this.changes.push({ plan, resolve: resolve as (r: BatchResult<unknown>) => void, reject });
      if (this.changes.length === 1) void this.serial.run(() => this.commitChanges()).catch((e: unknown) => this.logError('commit', e));
    });
  }

  private async commitChanges(): Promise<void> {
    const items = this.changes.splice(0);
    const planned: { readonly item: PendingChange; readonly change: PlannedChange }[] = [];
    for (const item of items) {
      try {
        planned.push({ item, change: item.plan() });
      } catch (e) {
        item.reject(e);
      }
    }
    let done = planned;
    const failed = new Map<PendingChange, unknown>();
    try {
      await this.commit(planned.flatMap((p) => p.change.ops ?? []));
    } catch (e) {
      // One change the store refuses must not fail the others it was grouped with: each is tried
      // alone, in order (a change that needed an earlier one which failed fails too).
      done = [];
      for (const p of planned) {
        if (planned.length === 1) {
          failed.set(p.item, e);
          continue;
        }
        try {
          await this.commit(p.change.ops ?? []);
          done.push(p);
        } catch (alone) {
          failed.set(p.item, alone);
        }
      }
      for (const p of [...planned].reverse()) if (failed.has(p.item)) p.change.undo?.();
      for (const p of planned) if (failed.has(p.item)) p.item.reject(failed.get(p.item));
    }
    if (done.length === 0) return;
    try {
      for (const p of done) p.change.after?.();
      this.scheduleQueueWrite();
      await this.updateDemand(done.some((p) => p.change.after !== undefined));
    } finally {
      // Stored: answered as done whatever the queue and the demand call did (maintenance repairs those).
      for (const p of done) p.item.resolve(p.change.result);
    }
  }

  /**
   * Writes the staged writes and then `ops` in one transaction; then sends the acknowledgements
   * that waited for them. Throws when the store fails: the staged writes and the acknowledgements
   * stay for the next commit, `ops` are not written. Runs inside the serial job.
   */
  private async commit(ops: readonly BatchStoreOperation[]): Promise<void> {
    const staged = [...this.staged];
    const acks = this.pendingAcks.splice(0);
    this.staged.clear();
    // Each staged write is the only one of its run: putRuns may go first, as one multi-row statement.
    const all = [...staged.filter(([, op]) => op.op === 'putRun'), ...staged.filter(([, op]) => op.op !== 'putRun')].map(([, op]) => op).concat(ops);
    try {
      if (all.length > 0) await this.opts.store.apply(all);
    } catch (e) {
      // Nothing stages while this serial job runs: put them back as they were.
      for (const [k, op] of staged) this.staged.set(k, op);
      this.pendingAcks.unshift(...acks);
      if (staged.length > 0 || acks.length > 0) this.scheduleFlush(1000);
      throw e;
    }
    for (const [, op] of staged) if (op.op === 'finishRun') this.finishing.delete(op.run.id);
    const driver = this.driver;
    for (const a of acks) {
      void driver?.acknowledge(a).then((r) => {
        if (!r.ok) this.opts.logger.warn({ taskId: a.taskId, status: r.status, message: r.message }, 'acknowledgement failed');
      });
    }
  }

  /** Stages a status update's write of a run (its latest replaces an earlier one): it lands with the next commit. */
  private stage(op: Extract<BatchStoreOperation, { op: 'putRun' | 'finishRun' }>): void {
    const key = `run:${op.run.id}`;
    this.staged.delete(key); // re-inserted last: the map keeps write order
    this.staged.set(key, op);
    if (op.op === 'finishRun') this.finishing.set(op.run.id, op.run);
    this.scheduleFlush(0);
  }

  private scheduleFlush(delayMs: number): void {
    if (this.flushQueued || this.stopped) return;
    this.flushQueued = true;
    this.opts.timers.setTimeout(() => {
      this.flushQueued = false;
      void this.serial.run(async () => {
        await this.commit([]);
        this.scheduleQueueWrite();
      }).catch((e: unknown) => this.logError('writing staged run states (retried in 1 s)', e));
    }, delayMs);
  }

  // --- schedules --------------------------------------------------------------------------------

  /**
   * Fires the ticks in (last check, now]. The last check moves on only when every claim went
   * through, so a failed claim (PostgreSQL away) is tried again at the next check.
   */
  private async fireSchedules(): Promise<void> {
    if (this.stopped) return;
    const now = this.opts.clock.now();
    const from = this.scheduleCheckedUntil;
    for (const [jobId, schedules] of this.schedulesByJob) {
      for (const s of schedules.values()) await this.fireSchedule(jobId, s, from, now);
    }
    this.scheduleCheckedUntil = now;
  }

  /**
   * One schedule: of its ticks after `from` (and after it was created or re-armed) and within its
   * starting deadline, only the latest starts a run. Ticks missed together (a restart, a late
   * check) start one run, not one each (as a Kubernetes CronJob catches up). The claim and the
   * run are one transaction: a crash between them cannot lose the tick.
   */
  private async fireSchedule(jobId: string, s: ScheduleSpec, from: number, now: number): Promise<void> {
    if (!s.enabled) return;
    const cron = parseCron(s.cron);
    if (!cron.ok) return;
    // A tick at or before now - startingDeadlineSeconds is past its starting deadline: not run at all.
    const after = Math.max(from, now - s.startingDeadlineSeconds * 1000, s.armedAt === undefined ? -Infinity : Date.parse(s.armedAt));
    const tick = ticksBetween(cron.cron, s.timezone, after, now).at(-1);
    if (tick === undefined) return;
    const forbidden = s.concurrencyPolicy === 'FORBID' && this.activeRuns(jobId).length > 0;
    const run = forbidden ? undefined : this.newRun(jobId, { schedule: s, at: tick });
    await this.commit([]); // the staged writes first: nothing overtakes them
    if (!(await this.opts.store.claimTick(jobId, s.id, iso(tick), run ? [{ op: 'putRun', run }] : []))) return; // another batch (or an earlier us) fired it
    if (!run) {
      this.opts.logger.info({ jobId, schedule: s.id, tick: iso(tick) }, 'schedule tick skipped: a run is active (FORBID)');
      return;
    }
    this.rememberRun(run);
    this.queueSet(run.id, this.queued(run));
    this.scheduleQueueWrite();
    await this.updateDemand(true);
  }

  // --- scheduler events ---------------------------------------------------------------------------

  subscribed(frameworkId: string): Promise<void> {
    return this.serial.run(async () => {
      if (this.frameworkId !== frameworkId) {
        await this.commit([{ op: 'putFrameworkId', frameworkId }]);
        this.frameworkId = frameworkId;
      }
      const known = [...this.runsById.values()].flatMap((r) => r.tasks.filter((t) => !isTerminalTaskState(t.status)).map(taskRef));
      if (known.length > 0) void this.driver?.reconcile(known);
      // Implicit too: tasks the master runs for us that no run knows (a kill that did not land) are killed.
      void this.driver?.reconcile([]);
      this.demand = undefined;
      await this.updateDemand();
    });
  }

  offers(offers: mesos.v1.Offer[]): Promise<void> {
    return this.serial.run(() => this.handleOffers(offers));
  }

  rescind(): void {
    // Offers are used or declined at once; nothing is held.
  }

  /**
   * Handled at once (memory); its writes are staged and it is acknowledged after they land
   * (explicit acknowledgements: the driver runs with `acks: 'explicit'`).
   */
  update(status: mesos.v1.TaskStatus): Promise<void> {
    return this.serial.run(async () => {
      await this.handleStatus(status);
      if (!status.uuid || !status.agent_id) return; // a reconciliation answer: nothing to acknowledge
      this.pendingAcks.push({ taskId: status.task_id.value, agentId: status.agent_id.value, uuid: status.uuid });
      this.scheduleFlush(0);
    });
  }

  error(message: string): void {
    this.opts.logger.error({ message }, 'the master refused this framework');
    this.opts.onFatal?.(message);
  }

  // --- offers -----------------------------------------------------------------------------------

  private async handleOffers(offers: readonly mesos.v1.Offer[]): Promise<void> {
    const driver = this.driver;
    if (!driver || this.stopped) return;
    let planned: { launches: Map<string, mesos.v1.TaskInfo[]>; gangWaiting: boolean };
    try {
      planned = await this.planLaunches(offers);
    } catch (e) {
      // Nothing was stored or launched: every offer goes back at once, none is held.
      await driver.decline(offers.map((o) => o.id.value));
      throw e;
    }
    const { launches, gangWaiting } = planned;
    await Promise.all([...launches].map(async ([offerId, task_infos]) => {
      const r = await driver.accept([offerId], [{ type: 'LAUNCH', launch: { task_infos } }]);
      if (r.ok) return;
      // The launch may or may not have reached the master: its answer about the tasks decides
      // (unknown to it: TASK_GONE, and the run goes back to the queue; see handleStatus).
      this.opts.logger.warn({ offerId, status: r.status, message: r.message }, 'ACCEPT failed; reconciling its tasks');
      await driver.reconcile(task_infos.map((ti) => ({ taskId: ti.task_id.value, agentId: ti.agent_id.value })));
    }));
    const unused = offers.filter((o) => !launches.has(o.id.value)).map((o) => o.id.value);
    if (unused.length > 0) {
      const left = this.pendingRuns();
      const refuse = gangWaiting ? 0 : left > 0 ? 5 : this.opts.declineOfferSeconds ?? 120;
      await driver.decline(unused, { refuse_seconds: refuse });
      if (refuse > 0) this.filtered = true;
    }
    this.scheduleQueueWrite();
    await this.updateDemand();
  }

  /** The pending runs that may launch at `now`, in launch order (queue-order.ts: priority, then age). */
  private readyRuns(now: number, limit: number): JobRun[] {
    const entries: SequencedRun[] = [];
    for (const r of this.runsById.values()) {
      if (r.status !== 'INITIAL') continue;
      entries.push({ run: this.queued(r), seq: this.seqOf.get(r.id) ?? 0 });
    }
    return readyRuns(entries, now, limit).map((q) => this.runsById.get(q.runId)!);
  }

  /** Places the ready runs on `offers` and stores them STARTING; throws (changing nothing) when the store fails. */
  private async planLaunches(offers: readonly mesos.v1.Offer[]): Promise<{ launches: Map<string, mesos.v1.TaskInfo[]>; gangWaiting: boolean }> {
    const now = this.opts.clock.now();
    await this.abortOverdue(now); // no run launches after its deadline (the timer may not have run yet)
    let pools: OfferPool[] = offers.map(createOfferPool);
    const launches = new Map<string, mesos.v1.TaskInfo[]>();
    const ops: BatchStoreOperation[] = [];
    const launched: JobRun[] = [];
    let gangWaiting = false;
    /** Agents held back for a waiting gang at the head (gang-reserve.ts); later runs do not use their offers. */
    let reserved: Set<string> | undefined;
    const reserveAfterMs = (this.opts.gangReserveSeconds ?? 10) * 1000;
    for (const run of this.readyRuns(now, 1000)) {
      const count = run.spec.parallelism ?? 1;
      const usable = reserved === undefined ? pools : pools.filter((p) => !reserved!.has(p.agent.agentId));
      const gang = placeGang(jobDemand(run.spec, this.opts.role), count, usable);
      if (!gang.ok) {
        // All of it later, or none: nothing is held. A gang that spans agents needs their offers in one
        // round, so what it could not use comes back at the next allocation (no decline filter).
        if (count > 1 && !gangWaiting) {
          // The head gang: the first parallel run in launch order that does not fit.
          gangWaiting = true;
          if (holdsOffers(count, dueAt(run), now, reserveAfterMs)) reserved = reservedAgents(scalarsOf(run.spec), pools, this.usageByAgent());
        }
        continue;
      }
      const placedPools = new Map(gang.pools.map((p) => [p.offerId, p]));
      pools = pools.map((p) => placedPools.get(p.offerId) ?? p);
      const taskIds = Array.from({ length: count }, (_, i) => newTaskId(run.jobId, run.id, run.attempt, i));
      const infos = buildRunTasks(run.spec, { jobId: run.jobId, runId: run.id, taskIds }, gang.placements);
      gang.placements.forEach((p, i) => {
        const list = launches.get(p.offerId) ?? [];
        list.push(infos[i]);
        launches.set(p.offerId, list);
      });
      const tasks: RunTask[] = gang.placements.map((p, i) => ({ id: taskIds[i], index: p.index, agentId: p.match.agentId, host: p.match.hostname }));
      const next: JobRun = { ...withoutNotBefore(run), status: 'STARTING', tasks };
      ops.push({ op: 'putRun', run: next });
      launched.push(next);
    }
    if (launched.length > 0) {
      // The staged writes go in the same transaction, before these.
      await this.commit(ops);
      for (const r of launched) {
        this.rememberRun(r);
        this.queueSet(r.id, null);
      }
    }
    return { launches, gangWaiting };
  }

  /** What this framework's unfinished tasks hold, per agent. */
  private usageByAgent(): Map<string, TaskScalars> {
    const tasks: { agentId: string | undefined; scalars: TaskScalars }[] = [];
    for (const r of this.runsById.values()) {
      if (r.status === 'INITIAL') continue;
      const scalars = scalarsOf(r.spec);
      for (const t of r.tasks) if (!isTerminalTaskState(t.status)) tasks.push({ agentId: t.agentId, scalars });
    }
    return usageByAgent(tasks);
  }

  // --- status updates ---------------------------------------------------------------------------

  private async handleStatus(status: mesos.v1.TaskStatus): Promise<void> {
    const taskId = status.task_id.value;
    const run = this.runsById.get(this.taskToRun.get(taskId) ?? '');
    if (!run) {
      // TASK_UNKNOWN: the master does not know it either; nothing to kill (the agent, if it comes back, reports it).
      if (isTerminalTaskState(status.state) || status.state === 'TASK_UNKNOWN') {
        this.orphans.delete(taskId);
      } else {
        void this.driver?.kill(taskId, status.agent_id?.value);
        this.orphans.set(taskId, status.agent_id?.value);
      }
      return;
    }
    const known = run.tasks.find((t) => t.id === taskId);
    // An ended task stays ended: once its end is acknowledged the master forgets it, and asked
    // again (a re-subscription, a restart) it answers TASK_GONE, which must not undo the outcome.
    if (isTerminalTaskState(known?.status)) return;
    const now = this.opts.clock.now();
    if (run.status === 'STARTING' && !this.stopping.has(run.id) && isLaunchLost(known, status.state, status.reason)) {
      // Never started (its offer was gone, or it never reached the master): launched again, not
      // failed; after the retry backoff all the same, so a launch that keeps getting lost cannot spin.
      // A parallel run is all or none: its other tasks (another offer's ACCEPT may have landed) are
      // killed as tasks no run knows, again at every maintenance round until they are over.
      for (const t of run.tasks) {
        if (t.id === taskId || isTerminalTaskState(t.status)) continue;
        this.orphans.set(t.id, t.agentId);
        void this.driver?.kill(t.id, t.agentId);
      }
      this.opts.logger.info({ runId: run.id, taskId, state: status.state }, 'run launch lost; queued again');
      await this.requeue(run, { ...run }, now + retryDelayMs(run, run.attempt + 1));
      return;
    }
    const state = this.effectiveState(taskId, status.state, now);
    const tasks = run.tasks.map((t): RunTask => (t.id !== taskId ? t : {
      ...t,
      status: state,
      ...(state === 'TASK_RUNNING' && t.startedAt === undefined ? { startedAt: iso(now) } : {}),
      ...(isTerminalTaskState(state) && t.completedAt === undefined ? { completedAt: iso(now) } : {}),
    }));
    const step = stepOf(run, tasks);
    const next: JobRun = { ...run, tasks };
    // A task of a parallel run that ended while its siblings go on is stored with its end before
    // the update is acknowledged: reconciliation cannot tell it again (see above).
    const ended = isTerminalTaskState(state);
    switch (step.kind) {
      case 'progress': {
        // Every task reported started (STAGING, STARTING or RUNNING, as Metronome): the starting
        // deadline is met (dropped and stored: a restart does not abort it, a retry has only maxLaunchDelay).
        const met = run.startingDeadlineSeconds !== undefined && (step.status === 'ACTIVE' || hasStarted(tasks));
        const progressed: JobRun = { ...(met ? withoutStartingDeadline(next) : next), status: step.status };
        this.rememberRun(progressed);
        // ACTIVE is stored (staged: it costs a row in a shared transaction, nothing when the run
        // ends before the commit); running task states alone are not, reconciliation tells them again.
        if (ended || met || (step.status === 'ACTIVE' && run.status !== 'ACTIVE')) this.stage({ op: 'putRun', run: progressed });
        return;
      }
      case 'kill-rest':
        this.rememberRun(next);
        if (ended) this.stage({ op: 'putRun', run: next });
        for (const id of step.taskIds) {
          const t = next.tasks.find((x) => x.id === id);
          void this.driver?.kill(id, t?.agentId);
        }
        return;
      case 'success':
        this.finishStaged(next, 'SUCCESS');
        await this.updateDemand();
        return;
      case 'attempt-failed': {
        if (shouldRetry(next, now, this.stopping.has(run.id))) {
          await this.requeue(run, { ...next, reason: step.reason }, now + retryDelayMs(next, next.attempt + 1));
          return;
        }
        this.finishStaged(next, 'FAILED', this.stopping.has(run.id) ? 'stopped' : step.reason);
        await this.updateDemand();
        return;
      }
    }
  }

  // --- helpers ----------------------------------------------------------------------------------

  /** TASK_UNKNOWN for `unknownTaskSeconds` without another word is TASK_LOST: the run does not wait forever on an agent that never comes back. */
  private effectiveState(taskId: string, state: string, now: number): string {
    if (state !== 'TASK_UNKNOWN') {
      this.unknownSince.delete(taskId);
      return state;
    }
    const since = this.unknownSince.get(taskId) ?? now;
    this.unknownSince.set(taskId, since);
    if (now - since < (this.opts.unknownTaskSeconds ?? 600) * 1000) return state;
    this.unknownSince.delete(taskId);
    return 'TASK_LOST';
  }

  /**
   * The run's next attempt waits (fresh task ids), not before `notBefore`, which is stored with
   * it: a restarted core honours the backoff. Staged: a crash before it lands leaves the stored
   * attempt, whose update the agent sends again.
   */
  private async requeue(run: JobRun, next: JobRun, notBefore: number): Promise<void> {
    const retry: JobRun = { ...next, status: 'INITIAL', attempt: next.attempt + 1, tasks: [], notBefore: iso(notBefore) };
    for (const t of run.tasks) {
      this.taskToRun.delete(t.id);
      this.unknownSince.delete(t.id);
    }
    this.seqOf.delete(retry.id); // a retry goes behind the runs of its priority
    this.rememberRun(retry);
    this.stage({ op: 'putRun', run: retry });
    this.queueSet(retry.id, this.queued(retry));
    await this.updateDemand(true);
  }

  private finished(run: JobRun, status: 'SUCCESS' | 'FAILED', reason?: string): JobRun {
    return { ...withoutNotBefore(run), status, completedAt: iso(this.opts.clock.now()), ...(reason === undefined ? {} : { reason }) };
  }

  /** A launched run ended: its history entry is staged (see `stage`). */
  private finishStaged(run: JobRun, status: 'SUCCESS' | 'FAILED', reason?: string): void {
    this.stage({ op: 'finishRun', run: this.finished(run, status, reason) });
    this.forgetRun(run);
  }

  /**
   * Aborts the runs whose deadline (`abortDeadline`: the launch deadline of a pending run, the
   * starting deadline of a scheduled run not running yet, the earlier of the two) is at or before
   * `now`: FAILED with the reason, in the history, out of the queue, launched tasks killed, as
   * Metronome aborts a run that did not start in time. One transaction; when it fails nothing
   * changes and the timer tries again in a second. Cheap when nothing is due (one comparison).
   * Runs being stopped are left to their stop. In the serial job.
   */
  private async abortOverdue(now: number): Promise<void> {
    if (this.stopped) return;
    if (now < this.nextDeadline) {
      this.armDeadlineTimer();
      return;
    }
    const overdue: { readonly run: JobRun; readonly kind: string; readonly reason: string }[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const r of this.runsById.values()) {
      const deadline = abortDeadline(r);
      if (deadline === undefined || this.stopping.has(r.id)) continue;
      if (deadline.at <= now) overdue.push({ run: r, kind: deadline.kind, reason: deadline.reason });
      else if (deadline.at < next) next = deadline.at;
    }
    if (overdue.length > 0) {
      const done = overdue.map((o) => this.finished(o.run, 'FAILED', o.reason));
      try {
        await this.commit(done.map((run): BatchStoreOperation => ({ op: 'finishRun', run })));
      } catch (e) {
        this.armDeadlineTimer(); // nextDeadline is still passed: again in a second
        throw e;
      }
      const kills: RunTask[] = [];
      for (const { run: r, kind } of overdue) {
        this.opts.logger.info({
          jobId: r.jobId, runId: r.id, status: r.status, attempt: r.attempt, dueAt: iso(dueAt(r)), maxLaunchDelay: r.spec.run.maxLaunchDelay,
          ...(r.scheduledAt === undefined ? {} : { scheduledAt: r.scheduledAt, startingDeadlineSeconds: r.startingDeadlineSeconds }),
        }, `run aborted: not started within ${kind}`);
        if (r.status === 'INITIAL') this.queueSet(r.id, null);
        // Launched, not running: killed as tasks no run knows, again at every maintenance round until they end.
        for (const t of r.tasks) {
          if (isTerminalTaskState(t.status)) continue;
          this.orphans.set(t.id, t.agentId);
          kills.push(t);
        }
        this.forgetRun(r);
      }
      await Promise.all(kills.map((t) => this.driver?.kill(t.id, t.agentId)));
    }
    this.nextDeadline = next;
    this.armDeadlineTimer();
    if (overdue.length > 0) {
      this.scheduleQueueWrite();
      await this.updateDemand();
    }
  }

  /** One timer for the earliest launch deadline (a deadline already passed: its abort failed, tried again in a second). */
  private armDeadlineTimer(): void {
    if (this.driver === undefined || this.stopped) return;
    const now = this.opts.clock.now();
    const at = this.nextDeadline <= now ? now + 1000 : this.nextDeadline;
    if (at === this.deadlineTimerAt) return;
    if (this.deadlineTimer !== undefined) this.opts.timers.clear(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.deadlineTimerAt = at;
    if (at === Number.POSITIVE_INFINITY) return;
    const timer = this.opts.timers.setTimeout(() => {
      if (this.deadlineTimer !== timer) return;
      this.deadlineTimer = undefined;
      this.deadlineTimerAt = Number.POSITIVE_INFINITY;
      void this.serial.run(() => this.abortOverdue(this.opts.clock.now())).catch((e: unknown) => this.logError('launch deadlines (tried again in 1 s)', e));
    }, Math.min(at - now, MAX_TIMER_MS));
    this.deadlineTimer = timer;
  }

  private async killRun(run: JobRun): Promise<void> {
    this.stopping.add(run.id);
    await Promise.all(run.tasks.filter((t) => !isTerminalTaskState(t.status)).map((t) => this.driver?.kill(t.id, t.agentId)));
  }

  private rememberRun(run: JobRun): void {
    this.runsById.set(run.id, run);
    for (const t of run.tasks) this.taskToRun.set(t.id, run.id);
    if (run.status === 'INITIAL') {
      if (!this.seqOf.has(run.id)) this.seqOf.set(run.id, ++this.nextSeq);
    } else {
      this.seqOf.delete(run.id);
    }
    const deadline = abortDeadline(run);
    if (deadline !== undefined && deadline.at < this.nextDeadline) {
      this.nextDeadline = deadline.at;
      this.armDeadlineTimer();
    }
  }

  private forgetRun(run: JobRun): void {
    for (const t of this.runsById.get(run.id)?.tasks ?? run.tasks) {
      this.taskToRun.delete(t.id);
      this.unknownSince.delete(t.id);
    }
    this.runsById.delete(run.id);
    this.stopping.delete(run.id);
    this.seqOf.delete(run.id);
  }

  private schedulesOf(jobId: string): Map<string, ScheduleSpec> {
    let m = this.schedulesByJob.get(jobId);
    if (!m) {
      m = new Map();
      this.schedulesByJob.set(jobId, m);
    }
    return m;
  }

  /** A pending run as the queue holds it: its priority, and its backoff (or its creation: due at once). */
  private queued(run: JobRun): QueuedRun {
    return {
      jobId: run.jobId, runId: run.id, priority: priorityOf(run),
      notBefore: run.notBefore === undefined ? Date.parse(run.createdAt) : Date.parse(run.notBefore),
    };
  }

  /** Runs waiting for resources (this core's own count: no Redis round trip). */
  private pendingRuns(): number {
    return this.seqOf.size;
  }

  /** Suppresses offers while nothing waits; revives when something does (`added`: new work, clear decline filters). */
  private async updateDemand(added = false): Promise<void> {
    const driver = this.driver;
    if (!driver) return;
    const want = this.pendingRuns() > 0;
    if (want !== this.demand) {
      const r = await driver.setDemand(want);
      if (!r.ok) {
        // Not applied (the driver keeps its old demand): the next change or maintenance round asks again.
        this.demand = undefined;
        this.opts.logger.warn({ want, status: r.status, message: r.message }, 'demand not applied');
        return;
      }
      if (want) this.filtered = false;
    } else if (want && added && this.filtered) {
      // Offers were declined with a filter since the last revive: new work wants them back now.
      if ((await driver.revive()).ok) this.filtered = false;
    }
    this.demand = want;
  }

  /** A run's next queue write (null: remove it); a run added and removed before either was written costs Redis nothing. */
  private queueSet(runId: string, q: QueuedRun | null): void {
    if (q === null && !this.mirrored.has(runId)) this.queueWrites.delete(runId);
    else this.queueWrites.set(runId, q);
    this.scheduleQueueWrite();
  }

  private scheduleQueueWrite(): void {
    if (this.queueWriteQueued || this.stopped || this.queueWrites.size === 0) return;
    this.queueWriteQueued = true;
    this.opts.timers.setTimeout(() => {
      this.queueWriteQueued = false;
      void this.serial.run(() => this.writeQueue()).catch((e: unknown) => this.logError('queue write', e));
    }, this.opts.queueWriteMs ?? 20);
  }

  /**
   * The queue writes gathered since the last call, batched (one removeAll, one enqueueAll), taken
   * in a serial job and sent outside it (see `queueCall`), one batch at a time. Taken only after
   * the store has what they mirror: with staged writes pending, the flush that commits them
   * schedules this again; with a batch in flight, its end does.
   */
  private writeQueue(): void {
    if (this.queueBusy !== undefined || this.queueWrites.size === 0 || this.staged.size > 0) return;
    const writes = [...this.queueWrites];
    this.queueWrites.clear();
    const add = writes.flatMap(([, q]) => (q === null ? [] : [q]));
    const remove = writes.flatMap(([id, q]) => (q === null ? [id] : []));
    for (const id of remove) this.mirrored.delete(id);
    for (const q of add) this.mirrored.add(q.runId);
    void this.queueCall('write', async (q) => {
      if (remove.length > 0) await q.removeAll(remove);
      if (add.length > 0) await q.enqueueAll(add);
    });
  }

  /**
   * A call to the queue, after the one in flight. Never awaited inside a serial job: a Redis that
   * does not answer (each call may wait out connect timeouts) stalls no API call, offer or status
   * update, only the mirror. Never rejects: a failure is logged and marks the queue for a rebuild
   * at the next maintenance round (the store has the runs).
   */
  private queueCall(what: string, op: (q: RunQueue) => Promise<void>): Promise<void> {
    const call = (this.queueBusy ?? Promise.resolve()).then(async () => {
      try {
        await op(this.opts.queue);
      } catch (e) {
        this.queueSuspect = true;
        this.logError(`queue ${what}`, e);
      }
    });
    this.queueBusy = call;
    void call.then(() => {
      if (this.queueBusy !== call) return;
      this.queueBusy = undefined;
      this.scheduleQueueWrite(); // what gathered meanwhile
    });
    return call;
  }

  /**
   * Whether the queue still holds as many runs as this core wrote there (one round trip): a Redis
   * flushed without a reconnect (FLUSHALL, an operator's DEL) is found here and rebuilt at once.
   */
  private checkQueue(): void {
    this.writeQueue();
    if (this.queueBusy !== undefined || this.staged.size > 0 || this.queueWrites.size > 0 || this.queueSuspect) return; // not written yet: nothing to compare
    const expected = this.mirrored.size;
    void this.queueCall('size', async (q) => {
      const held = await q.size();
      if (held === expected) return;
      this.opts.logger.warn({ held, expected }, 'run queue differs from the pending runs; rebuilding it');
      void this.serial.run(() => this.rebuildFromMemory()).catch((e: unknown) => this.logError('queue rebuild', e));
    });
  }

  /**
   * The queue := the pending runs in memory, once the store has them all (else it is tried at the
   * next maintenance round). The rebuild is sent, not awaited (`queueCall`).
   */
  private async rebuildFromMemory(): Promise<void> {
    await this.commit([]).catch((e: unknown) => this.logError('writing staged run states', e));
    if (this.staged.size > 0) {
      this.queueSuspect = true;
      return;
    }
    this.queueSuspect = false;
    this.queueWrites.clear();
    const pending = this.readyRuns(Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER).map((r) => this.queued(r));
    this.mirrored.clear();
    for (const q of pending) this.mirrored.add(q.runId);
    void this.queueCall('rebuild', (q) => q.rebuild(pending));
  }

  private async maintain(): Promise<void> {
    if (this.stopped) return;
    if (!this.queueSuspect) this.checkQueue();
    if (this.queueSuspect) {
      this.queueSuspect = false;
      await this.rebuildFromMemory();
    }
    await this.updateDemand();
    const driver = this.driver;
    if (!driver) return;
    const unsettled = [...this.runsById.values()].filter((r) => r.status === 'STARTING' || this.stopping.has(r.id));
    const doubtful = [...this.runsById.values()].filter((r) => r.status === 'ACTIVE' && r.tasks.some((t) => t.status === 'TASK_UNKNOWN' || t.status === 'TASK_UNREACHABLE'));
    const refs = [...unsettled, ...doubtful].flatMap((r) => r.tasks.filter((t) => !isTerminalTaskState(t.status)).map(taskRef));
    if (refs.length > 0) await driver.reconcile(refs);
    for (const r of unsettled) if (this.stopping.has(r.id)) await this.killRun(r);
    for (const [taskId, agentId] of this.orphans) await driver.kill(taskId, agentId);
  }

  private logError(what: string, e: unknown): void {
    this.opts.logger.error({ what, error: e instanceof Error ? e.message : String(e) }, 'batch core step failed');
  }
}

export const isRunFinal = (r: JobRun): boolean => isFinal(r.status);

const taskRef = (t: RunTask): TaskRef => ({ taskId: t.id, ...(t.agentId === undefined ? {} : { agentId: t.agentId }) });
