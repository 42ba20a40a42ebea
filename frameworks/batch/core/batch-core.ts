/**
 * The batch framework's core: jobs, schedules and runs in memory, persisted through `BatchStore`
 * (the source of truth) before they take effect; pending runs in `RunQueue` (BullMQ), rebuilt from
 * the store at start. It is the REST layer's `BatchService` and the scheduler driver's
 * `SchedulerHandler`.
 *
 *   POST run / cron tick (claimTick: once) ──► run INITIAL, stored ──► queue
 *   offers ──► queue.ready ──► placeGang (all N tasks or none) ──► run STARTING, stored ──► ACCEPT
 *   status update ──► run-state.ts step ──► ACTIVE / SUCCESS / kill the rest / retry (queue) / FAILED
 *
 * Invariants: every change runs in one serial job; a run is stored STARTING with its task ids
 * before its tasks are launched (a restarted batch knows them; reconciliation settles them); the
 * queue never holds what the store does not; offers are suppressed while the queue is empty.
 * A serial job that fails (PostgreSQL, Redis) leaves no half-applied change behind: the store is
 * written before memory; offers that were not accepted are declined; a queue write that failed
 * is repaired by a rebuild from memory (the store's pending runs) at the next maintenance round.
 *
 * Maintenance (every `maintenanceMs`): rebuild the queue if a write to it failed, re-apply the
 * demand if the call failed, reconcile the tasks of runs still STARTING or stopping, send kills
 * again (stopping runs, tasks of deleted jobs) until their tasks end: nothing waits forever on a
 * call or an answer that was lost.
 */
import type { mesos } from '../../../proto/types.generated.ts';
import type { Clock, Logger, TimerHandle, Timers } from '../../../common/ports.ts';
import type { DriverCalls, SchedulerHandler, TaskRef } from '../../sdk/scheduler-handler.ts';
import { createOfferPool, type OfferPool } from '../../../marathon/placement/offer-pool.ts';
import { createSerial } from '../../../marathon/core/serial.ts';
import type { JobHistory, JobRun, JobSpec, RunTask, ScheduleSpec, Timestamp } from '../model.ts';
import type { BatchResult, BatchService, BatchStore, BatchStoreOperation, QueuedRun, RunQueue } from '../ports.ts';
import { buildRunTasks, jobDemand, placeGang } from './gang-launch.ts';
import { isFinal, isLaunchLost, isTerminalTaskState, retryDelayMs, shouldRetry, stepOf } from './run-state.ts';
import { runId as newRunId, taskId as newTaskId } from './run-ids.ts';
import { parseCron, ticksBetween, nextTick } from '../spec/cron.ts';

/** The driver calls the batch core makes (frameworks/sdk `DriverCalls`). */
export type BatchDriver = DriverCalls;

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
}

const iso = (ms: number): Timestamp => new Date(ms).toISOString();
const notFound = (message: string): BatchResult<never> => ({ ok: false, status: 404, message });
const scheduleKey = (jobId: string, scheduleId: string): string => `${jobId}\u0000${scheduleId}`;

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
  /** When a schedule was created or (re)armed: no tick before it fires. Absent: since ever. */
  private readonly scheduleSince = new Map<string, number>();
  /** A write to the queue failed: it may miss runs until the next rebuild. */
  private queueSuspect = false;
  /** Tasks of deleted jobs that were killed: the kill is sent again until they are over. */
  private readonly orphans = new Map<string, string | undefined>();
  /** Since when (ms) a task of a run has been TASK_UNKNOWN without a word since. */
  private readonly unknownSince = new Map<string, number>();
  /** A retry's backoff (epoch ms), kept for queue rebuilds; a restart forgets it (the retry is then due at once). */
  private readonly notBefore = new Map<string, number>();
  private demand: boolean | undefined;
  /** Offers were declined with a refusal filter since the last revive. */
  private filtered = false;
  private stopped = false;

  constructor(private readonly opts: BatchCoreOptions) {
    for (const j of opts.state.jobs) this.jobsById.set(j.id, j);
    for (const { jobId, schedule } of opts.state.schedules) this.schedulesOf(jobId).set(schedule.id, schedule);
    for (const r of opts.state.activeRuns) this.rememberRun(r);
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
    await this.rebuildFromMemory();
    this.tick = this.opts.timers.setInterval(() => void this.serial.run(() => this.fireSchedules()).catch((e: unknown) => this.logError('schedules', e)), this.opts.tickMs ?? 1000);
    this.maintenance = this.opts.timers.setInterval(() => void this.serial.run(() => this.maintain()).catch((e: unknown) => this.logError('maintenance', e)), this.opts.maintenanceMs ?? 30_000);
    await this.serial.run(() => this.updateDemand());
  }

  stop(): void {
    this.stopped = true;
    if (this.tick !== undefined) this.opts.timers.clear(this.tick);
    if (this.maintenance !== undefined) this.opts.timers.clear(this.maintenance);
  }

  idle(): Promise<void> {
    return this.serial.run(() => undefined);
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

  history(jobId: string): Promise<JobHistory> {
    return this.opts.store.history(jobId);
  }

  async run(jobId: string, runId: string): Promise<JobRun | undefined> {
    const active = this.runsById.get(runId);
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
    return this.serial.run(async () => {
      if (this.jobsById.has(job.id)) return { ok: false as const, status: 409 as const, message: `Job with id ${job.id} already exists` };
      await this.opts.store.apply([{ op: 'putJob', job }, ...schedules.map((schedule): BatchStoreOperation => ({ op: 'putSchedule', jobId: job.id, schedule }))]);
      this.jobsById.set(job.id, job);
      for (const s of schedules) this.schedulesOf(job.id).set(s.id, s);
      return { ok: true as const, value: job };
    });
  }

  updateJob(job: JobSpec): Promise<BatchResult<JobSpec>> {
    return this.serial.run(async () => {
      if (!this.jobsById.has(job.id)) return notFound(`Job '${job.id}' does not exist`);
      await this.opts.store.apply([{ op: 'putJob', job }]);
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
      for (const r of active) await this.killRun(r);
      await this.opts.store.apply([{ op: 'deleteJob', jobId: id }]);
      for (const r of active) {
        if (r.status === 'INITIAL') await this.queueOp('remove', (q) => q.remove(r.id));
        for (const t of r.tasks) if (!isTerminalTaskState(t.status)) this.orphans.set(t.id, t.agentId);
        this.forgetRun(r);
      }
      for (const s of this.schedulesByJob.get(id)?.values() ?? []) this.scheduleSince.delete(scheduleKey(id, s.id));
      this.jobsById.delete(id);
      this.schedulesByJob.delete(id);
      await this.updateDemand();
      return { ok: true as const, value: job };
    });
  }

  startRun(jobId: string, scheduleId?: string): Promise<BatchResult<JobRun>> {
    return this.serial.run(() => this.createRun(jobId, scheduleId));
  }

  stopRun(jobId: string, runId: string): Promise<BatchResult<JobRun>> {
    return this.serial.run(async () => {
      const run = this.runsById.get(runId);
      if (!run || run.jobId !== jobId) return notFound(`Run '${runId}' of job '${jobId}' does not exist`);
      this.stopping.add(run.id);
      if (run.status === 'INITIAL') {
        await this.finish(run, 'FAILED', 'stopped');
        return { ok: true as const, value: this.finished(run, 'FAILED', 'stopped') };
      }
      await this.killRun(run);
      return { ok: true as const, value: run };
    });
  }

  createSchedule(jobId: string, schedule: ScheduleSpec): Promise<BatchResult<ScheduleSpec>> {
    return this.serial.run(async () => {
      if (!this.jobsById.has(jobId)) return notFound(`Job '${jobId}' does not exist`);
      if (this.schedulesOf(jobId).has(schedule.id)) return { ok: false as const, status: 409 as const, message: `Schedule with id ${schedule.id} already exists` };
      await this.opts.store.apply([{ op: 'putSchedule', jobId, schedule }]);
      this.schedulesOf(jobId).set(schedule.id, schedule);
      this.scheduleSince.set(scheduleKey(jobId, schedule.id), this.opts.clock.now());
      return { ok: true as const, value: schedule };
    });
  }

  updateSchedule(jobId: string, schedule: ScheduleSpec): Promise<BatchResult<ScheduleSpec>> {
    return this.serial.run(async () => {
      const old = this.schedulesByJob.get(jobId)?.get(schedule.id);
      if (!old) return notFound(`Schedule '${schedule.id}' of job '${jobId}' does not exist`);
      await this.opts.store.apply([{ op: 'putSchedule', jobId, schedule }]);
      this.schedulesOf(jobId).set(schedule.id, schedule);
      // Enabled again or a new timing: ticks from before this change are not its ticks.
      if (!old.enabled || old.cron !== schedule.cron || old.timezone !== schedule.timezone) this.scheduleSince.set(scheduleKey(jobId, schedule.id), this.opts.clock.now());
      return { ok: true as const, value: schedule };
    });
  }

  deleteSchedule(jobId: string, scheduleId: string): Promise<BatchResult<ScheduleSpec>> {
    return this.serial.run(async () => {
      const s = this.schedulesByJob.get(jobId)?.get(scheduleId);
      if (!s) return notFound(`Schedule '${scheduleId}' of job '${jobId}' does not exist`);
      await this.opts.store.apply([{ op: 'deleteSchedule', jobId, scheduleId }]);
      this.schedulesOf(jobId).delete(scheduleId);
      this.scheduleSince.delete(scheduleKey(jobId, scheduleId));
      return { ok: true as const, value: s };
    });
  }

  private async createRun(jobId: string, scheduleId?: string): Promise<BatchResult<JobRun>> {
    const job = this.jobsById.get(jobId);
    if (!job) return notFound(`Job '${jobId}' does not exist`);
    const now = this.opts.clock.now();
    const run: JobRun = {
      id: newRunId(now, this.opts.random), jobId, status: 'INITIAL', createdAt: iso(now), spec: job, attempt: 1, tasks: [],
      ...(scheduleId === undefined ? {} : { scheduleId }),
    };
    await this.opts.store.apply([{ op: 'putRun', run }]);
    this.rememberRun(run);
    await this.queueOp('enqueue', (q) => q.enqueue(this.queued(run, now)));
    await this.updateDemand(true);
    return { ok: true as const, value: run };
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
   * check) start one run, not one each (as a Kubernetes CronJob catches up).
   */
  private async fireSchedule(jobId: string, s: ScheduleSpec, from: number, now: number): Promise<void> {
    if (!s.enabled) return;
    const cron = parseCron(s.cron);
    if (!cron.ok) return;
    const after = Math.max(from, now - s.startingDeadlineSeconds * 1000 - 1, this.scheduleSince.get(scheduleKey(jobId, s.id)) ?? -Infinity);
    const tick = ticksBetween(cron.cron, s.timezone, after, now).at(-1);
    if (tick === undefined) return;
    if (!(await this.opts.store.claimTick(jobId, s.id, iso(tick)))) return; // another batch (or an earlier us) fired it
    if (s.concurrencyPolicy === 'FORBID' && this.activeRuns(jobId).length > 0) {
      this.opts.logger.info({ jobId, schedule: s.id, tick: iso(tick) }, 'schedule tick skipped: a run is active (FORBID)');
      return;
    }
    await this.createRun(jobId, s.id);
  }

  // --- scheduler events ---------------------------------------------------------------------------

  subscribed(frameworkId: string): Promise<void> {
    return this.serial.run(async () => {
      if (this.frameworkId !== frameworkId) {
        await this.opts.store.apply([{ op: 'putFrameworkId', frameworkId }]);
        this.frameworkId = frameworkId;
      }
      const known = [...this.runsById.values()].flatMap((r) => r.tasks.map(taskRef));
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

  update(status: mesos.v1.TaskStatus): Promise<void> {
    return this.serial.run(() => this.handleStatus(status));
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
    await this.updateDemand();
  }

  /** Places the ready runs on `offers` and stores them STARTING; throws (changing nothing) when the queue or the store fails. */
  private async planLaunches(offers: readonly mesos.v1.Offer[]): Promise<{ launches: Map<string, mesos.v1.TaskInfo[]>; gangWaiting: boolean }> {
    const now = this.opts.clock.now();
    let pools: OfferPool[] = offers.map(createOfferPool);
    const waiting = await this.opts.queue.ready(now, 1000);
    const launches = new Map<string, mesos.v1.TaskInfo[]>();
    const ops: BatchStoreOperation[] = [];
    const launched: JobRun[] = [];
    let gangWaiting = false;
    for (const q of waiting) {
      const run = this.runsById.get(q.runId);
      if (!run || run.status !== 'INITIAL') {
        await this.queueOp('remove', (x) => x.remove(q.runId));
        continue;
      }
      const count = run.spec.parallelism ?? 1;
      const gang = placeGang(jobDemand(run.spec, this.opts.role), count, pools);
      if (!gang.ok) {
        // All of it later, or none: nothing is held. A gang that spans agents needs their offers in one
        // round, so what it could not use comes back at the next allocation (no decline filter).
        if (count > 1) gangWaiting = true;
        continue;
      }
      pools = [...gang.pools];
      const taskIds = Array.from({ length: count }, (_, i) => newTaskId(run.jobId, run.id, run.attempt, i));
      const infos = buildRunTasks(run.spec, { jobId: run.jobId, runId: run.id, taskIds }, gang.placements);
      gang.placements.forEach((p, i) => {
        const list = launches.get(p.offerId) ?? [];
        list.push(infos[i]);
        launches.set(p.offerId, list);
      });
      const tasks: RunTask[] = gang.placements.map((p, i) => ({ id: taskIds[i], index: p.index, agentId: p.match.agentId, host: p.match.hostname }));
      const next: JobRun = { ...run, status: 'STARTING', tasks };
      ops.push({ op: 'putRun', run: next });
      launched.push(next);
    }
    if (launched.length > 0) {
      await this.opts.store.apply(ops);
      for (const r of launched) {
        this.rememberRun(r);
        this.notBefore.delete(r.id);
        await this.queueOp('remove', (q) => q.remove(r.id));
      }
    }
    return { launches, gangWaiting };
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
    const now = this.opts.clock.now();
    if (run.status === 'STARTING' && !this.stopping.has(run.id) && run.tasks.every((t) => t.status === undefined)
      && isLaunchLost(run.tasks.find((t) => t.id === taskId), status.state, status.reason)) {
      // Never started (its offer was gone, or it never reached the master): launched again, not
      // failed; after the retry backoff all the same, so a launch that keeps getting lost cannot spin.
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
    switch (step.kind) {
      case 'progress': {
        // STARTING -> ACTIVE is kept in memory only: the store's STARTING run with its task ids is
        // what a restart needs, and reconciliation tells it the tasks' states again.
        this.rememberRun({ ...next, status: step.status });
        return;
      }
      case 'kill-rest':
        this.rememberRun(next);
        for (const id of step.taskIds) {
          const t = next.tasks.find((x) => x.id === id);
          void this.driver?.kill(id, t?.agentId);
        }
        return;
      case 'success':
        await this.finish(next, 'SUCCESS');
        return;
      case 'attempt-failed': {
        if (shouldRetry(next, now, this.stopping.has(run.id))) {
          await this.requeue(run, { ...next, reason: step.reason }, now + retryDelayMs(next, next.attempt + 1));
          return;
        }
        await this.finish(next, 'FAILED', this.stopping.has(run.id) ? 'stopped' : step.reason);
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

  /** The run's next attempt waits in the queue (fresh task ids), not before `notBefore`. */
  private async requeue(run: JobRun, next: JobRun, notBefore: number): Promise<void> {
    const retry: JobRun = { ...next, status: 'INITIAL', attempt: next.attempt + 1, tasks: [] };
    await this.opts.store.apply([{ op: 'putRun', run: retry }]);
    for (const t of run.tasks) {
      this.taskToRun.delete(t.id);
      this.unknownSince.delete(t.id);
    }
    this.rememberRun(retry);
    this.notBefore.set(retry.id, notBefore);
    await this.queueOp('enqueue', (q) => q.enqueue(this.queued(retry, this.opts.clock.now())));
    await this.updateDemand(true);
  }

  private finished(run: JobRun, status: 'SUCCESS' | 'FAILED', reason?: string): JobRun {
    return { ...run, status, completedAt: iso(this.opts.clock.now()), ...(reason === undefined ? {} : { reason }) };
  }

  private async finish(run: JobRun, status: 'SUCCESS' | 'FAILED', reason?: string): Promise<void> {
    const done = this.finished(run, status, reason);
    await this.opts.store.apply([{ op: 'finishRun', run: done }]);
    if (run.status === 'INITIAL') await this.queueOp('remove', (q) => q.remove(run.id)); // a launched run left the queue at its launch
    this.forgetRun(run);
    await this.updateDemand();
  }

  private async killRun(run: JobRun): Promise<void> {
    this.stopping.add(run.id);
    await Promise.all(run.tasks.filter((t) => !isTerminalTaskState(t.status)).map((t) => this.driver?.kill(t.id, t.agentId)));
  }

  private rememberRun(run: JobRun): void {
    this.runsById.set(run.id, run);
    for (const t of run.tasks) this.taskToRun.set(t.id, run.id);
  }

  private forgetRun(run: JobRun): void {
    for (const t of this.runsById.get(run.id)?.tasks ?? run.tasks) {
      this.taskToRun.delete(t.id);
      this.unknownSince.delete(t.id);
    }
    this.runsById.delete(run.id);
    this.stopping.delete(run.id);
    this.notBefore.delete(run.id);
  }

  private schedulesOf(jobId: string): Map<string, ScheduleSpec> {
    let m = this.schedulesByJob.get(jobId);
    if (!m) {
      m = new Map();
      this.schedulesByJob.set(jobId, m);
    }
    return m;
  }

  private queued(run: JobRun, now: number): QueuedRun {
    return { jobId: run.jobId, runId: run.id, priority: 0, notBefore: Math.max(now, this.notBefore.get(run.id) ?? now) };
  }

  /** Runs waiting for resources: exactly what the queue holds (this core is its only writer). */
  private pendingRuns(): number {
    let n = 0;
    for (const r of this.runsById.values()) if (r.status === 'INITIAL') n++;
    return n;
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

  /** A queue write; a failure is logged and repaired by the next maintenance round's rebuild (the store has the run). */
  private async queueOp(what: string, op: (q: RunQueue) => Promise<void>): Promise<void> {
    try {
      await op(this.opts.queue);
    } catch (e) {
      this.queueSuspect = true;
      this.logError(`queue ${what}`, e);
    }
  }

  private rebuildFromMemory(): Promise<void> {
    const now = this.opts.clock.now();
    return this.queueOp('rebuild', (q) => q.rebuild([...this.runsById.values()].filter((r) => r.status === 'INITIAL').map((r) => this.queued(r, now))));
  }

  private async maintain(): Promise<void> {
    if (this.stopped) return;
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
