/**
 * The batch core against its ports: the memory store and queue, a recording driver and a manual
 * clock. Each test pins a failure mode: a launch that never reached the master (offer gone, a
 * kill -9 between storing STARTING and the ACCEPT, an ACCEPT that failed), a kill that gets no
 * answer, a store or queue error inside a serial step, a demand call that failed, schedule
 * ticks (catch-up after a restart, a tick before the schedule existed, a claim that failed),
 * launch deadlines (maxLaunchDelay: a run or a gang that never fits, a retry, a restart), and
 * starting deadlines (a schedule's startingDeadlineSeconds: pending, launched not running, met,
 * a restart, catch-up).
 */
import test from 'ava';
import { ManualTime } from '../../../master/test-fixtures.ts';
import { offer } from '../../../marathon/placement/test-builders.ts';
import { silentLogger } from '../../../common/ports.ts';
import type { mesos } from '../../../proto/types.generated.ts';
import type { CallResult, TaskRef } from '../../sdk/scheduler-handler.ts';
import type { JobSpec, ScheduleSpec } from '../model.ts';
import type { BatchStore, RunQueue } from '../ports.ts';
import { createBatchMemoryBacking, createMemoryBatchStore, type BatchMemoryBacking } from '../storage/memory-store.ts';
import { createMemoryRunQueue } from '../queue/memory-run-queue.ts';
import { createBatchCore, type BatchCore, type BatchDriver } from './batch-core.ts';

const OK: CallResult = { ok: true };

class RecordingDriver implements BatchDriver {
  state = 'SUBSCRIBED';
  readonly accepted: { offerIds: readonly string[]; tasks: string[] }[] = [];
  readonly declined: { offerIds: readonly string[]; refuse?: number }[] = [];
  readonly killed: string[] = [];
  readonly acked: string[] = [];
  readonly reconciled: string[][] = [];
  readonly demand: boolean[] = [];
  revives = 0;
  acceptResult: CallResult = OK;
  demandResult: CallResult = OK;
  async accept(offerIds: readonly string[], operations: readonly mesos.v1.Offer.Operation[]): Promise<CallResult> {
    this.accepted.push({ offerIds, tasks: operations.flatMap((o) => (o.launch?.task_infos ?? []).map((ti) => ti.task_id.value)) });
    return this.acceptResult;
  }
  async decline(offerIds: readonly string[], filters?: mesos.v1.Filters): Promise<CallResult> {
    this.declined.push({ offerIds, ...(filters?.refuse_seconds === undefined ? {} : { refuse: filters.refuse_seconds }) });
    return OK;
  }
  async kill(taskId: string): Promise<CallResult> {
    this.killed.push(taskId);
    return OK;
  }
  async reconcile(tasks: readonly TaskRef[]): Promise<CallResult> {
    this.reconciled.push(tasks.map((x) => x.taskId));
    return OK;
  }
  async acknowledge(ack: { readonly taskId: string; readonly uuid: string }): Promise<CallResult> {
    this.acked.push(`${ack.taskId}/${ack.uuid}`);
    return OK;
  }
  async revive(): Promise<CallResult> {
    this.revives++;
    return OK;
  }
  async setDemand(hasDemand: boolean): Promise<CallResult> {
    this.demand.push(hasDemand);
    return this.demandResult;
  }
  launchedTasks(): string[] {
    return this.accepted.flatMap((a) => a.tasks);
  }
}

const job = (id: string, restart: JobSpec['run']['restart'] = { policy: 'NEVER' }): JobSpec => ({
  id, labels: {},
  run: { cmd: 'true', cpus: 0.5, mem: 64, disk: 0, gpus: 0, env: {}, placement: { constraints: [] }, artifacts: [], volumes: [], maxLaunchDelay: 3600, restart, secrets: {} },
});
const everySecond = (over: Partial<ScheduleSpec> = {}): ScheduleSpec => ({
  id: 'tick', cron: '* * * * * *', timezone: 'UTC', startingDeadlineSeconds: 900, concurrencyPolicy: 'ALLOW', enabled: true, ...over,
});

let offers = 0;
const anOffer = () => offer().offerId(`o${++offers}`).agentId('a1').hostname('h1').cpus(4).mem(4096).ports(31000, 31100).build();

const status = (taskId: string, state: string, reason?: string): mesos.v1.TaskStatus =>
  ({ task_id: { value: taskId }, agent_id: { value: 'a1' }, state, ...(reason === undefined ? {} : { reason, source: 'SOURCE_MASTER' }) }) as mesos.v1.TaskStatus;

interface Harness {
  readonly core: BatchCore;
  readonly driver: RecordingDriver;
  readonly time: ManualTime;
  readonly store: BatchStore;
  readonly queue: RunQueue;
  readonly backing: BatchMemoryBacking;
}

async function harness(o: { backing?: BatchMemoryBacking; time?: ManualTime; store?: BatchStore; queue?: RunQueue; jobs?: JobSpec[] } = {}): Promise<Harness> {
  const backing = o.backing ?? createBatchMemoryBacking();
  const time = o.time ?? new ManualTime();
  const store = o.store ?? createMemoryBatchStore(backing);
  for (const j of o.jobs ?? []) await store.apply([{ op: 'putJob', job: j }]);
  const queue = o.queue ?? createMemoryRunQueue();
  let n = 0;
  const core = createBatchCore({
    store, queue, state: await store.load(), clock: time, timers: time, logger: silentLogger, random: () => ((n++ * 7) % 62) / 62, role: '*',
    maintenanceMs: 30_000,
  });
  const driver = new RecordingDriver();
  await core.start(driver);
  await core.subscribed('fw-1');
  return { core, driver, time, store, queue, backing };
}

async function advance(h: Harness, ms: number): Promise<void> {
  h.time.advance(ms);
  await h.core.idle();
  await h.core.idle();
}

test('an offer that was gone when it was accepted (TASK_DROPPED before any other update) relaunches the run, it does not fail it', async (t) => {
  const h = await harness({ jobs: [job('j')] });
  const run = await h.core.startRun('j');
  if (!run.ok) return t.fail(run.message);
  await h.core.offers([anOffer()]);
  const [first] = h.driver.launchedTasks();
  t.truthy(first);
  await h.core.update(status(first, 'TASK_DROPPED', 'REASON_INVALID_OFFERS'));
  t.deepEqual(h.core.activeRuns('j').map((r) => r.status), ['INITIAL'], 'back in the queue');
  t.is((await h.store.history('j')).failureCount, 0);
  await h.core.offers([anOffer()]);
  t.is(h.driver.launchedTasks().length, 1, 'not before the retry backoff (1 s)');
  h.time.advance(1000);
  await h.core.offers([anOffer()]);
  const launched = h.driver.launchedTasks();
  t.is(launched.length, 2, 'launched again');
  t.not(launched[1], first, 'with a fresh task id');
});

test('a kill -9 between storing STARTING and the ACCEPT: the restarted core reconciles the task, and the master not knowing it relaunches the run', async (t) => {
  const backing = createBatchMemoryBacking();
  const time = new ManualTime();
  const before = await harness({ backing, time, jobs: [job('j')] });
  const run = await before.core.startRun('j');
  if (!run.ok) return t.fail(run.message);
  before.driver.acceptResult = { ok: false, status: 0, message: 'connection reset' }; // as if the process died before the ACCEPT went out
  await before.core.offers([anOffer()]);
  const [taskId] = before.driver.launchedTasks();
  before.core.stop();

  const after = await harness({ backing, time });
  t.deepEqual(after.core.activeRuns('j').map((r) => r.status), ['STARTING']);
  t.true(after.driver.reconciled.some((ids) => ids.includes(taskId)), 'the stored task is reconciled');
  t.true(after.driver.reconciled.some((ids) => ids.length === 0), 'and implicitly, to find tasks nobody knows');
  await after.core.update(status(taskId, 'TASK_GONE', 'REASON_RECONCILIATION'));
  t.deepEqual(after.core.activeRuns('j').map((r) => r.status), ['INITIAL']);
  await advance(after, 1000);
  await after.core.offers([anOffer()]);
  t.is(after.driver.launchedTasks().length, 1, 'launched by the new core');
  t.is((await after.store.history('j')).failureCount, 0);
});

test('an ACCEPT that failed makes the core reconcile the tasks it tried to launch', async (t) => {
  const h = await harness({ jobs: [job('j')] });
  await h.core.startRun('j');
  h.driver.acceptResult = { ok: false, status: 503, message: 'master unavailable' };
  const reconcilesBefore = h.driver.reconciled.length;
  await h.core.offers([anOffer()]);
  const [taskId] = h.driver.launchedTasks();
  t.deepEqual(h.driver.reconciled.slice(reconcilesBefore), [[taskId]]);
});

test('a stopped STARTING run whose kill got no answer: the kill is sent again and its tasks reconciled until they end', async (t) => {
  const h = await harness({ jobs: [job('j')] });
  const run = await h.core.startRun('j');
  if (!run.ok) return t.fail(run.message);
  await h.core.offers([anOffer()]);
  const [taskId] = h.driver.launchedTasks();
  const stopped = await h.core.stopRun('j', run.value.id);
  t.true(stopped.ok);
  t.deepEqual(h.driver.killed, [taskId]);
  h.driver.reconciled.length = 0;
  await advance(h, 30_000);
  t.deepEqual(h.driver.killed, [taskId, taskId], 'killed again');
  t.true(h.driver.reconciled.some((ids) => ids.includes(taskId)));
  // The master does not know the task (the launch never landed): a stopped run fails, it is not relaunched.
  await h.core.update(status(taskId, 'TASK_GONE', 'REASON_RECONCILIATION'));
  t.deepEqual(h.core.activeRuns('j'), []);
  const history = await h.core.history('j');
  t.is(history.failureCount, 1);
});

test('a store error while handling offers declines them (no offer is held) and the next offers launch the run', async (t) => {
  const backing = createBatchMemoryBacking();
  const real = createMemoryBatchStore(backing);
  let failNext = false;
  const flaky: BatchStore = {
    ...real,
    apply: async (ops) => {
      if (failNext) {
        failNext = false;
        throw new Error('connection terminated');
      }
      return real.apply(ops);
    },
  };
  const h = await harness({ backing, store: flaky, jobs: [job('j')] });
  await h.core.startRun('j');
  failNext = true;
  const o = anOffer();
  await t.throwsAsync(h.core.offers([o]), { message: 'connection terminated' });
  t.deepEqual(h.driver.declined.flatMap((d) => d.offerIds), [o.id.value], 'the offer went back');
  t.deepEqual(h.driver.launchedTasks(), []);
  await h.core.offers([anOffer()]);
  t.is(h.driver.launchedTasks().length, 1);
});

test('a queue error when a run is created: the run is stored, and the queue is rebuilt at the next maintenance round', async (t) => {
  const real = createMemoryRunQueue();
  let failEnqueue = true;
  const flaky: RunQueue = {
    ...real,
    enqueue: async (r) => {
      if (failEnqueue) throw new Error('Redis: connection closed');
      return real.enqueue(r);
    },
    enqueueAll: async (runs) => {
      if (failEnqueue) throw new Error('Redis: connection closed');
      return real.enqueueAll(runs);
    },
  };
  const h = await harness({ queue: flaky, jobs: [job('j')] });
  const run = await h.core.startRun('j');
  t.true(run.ok, 'PostgreSQL has it: the run exists');
  await advance(h, 100); // the queue write (gathered for 20 ms) fails
  failEnqueue = false;
  t.is(await real.size(), 0);
  await advance(h, 30_000);
  t.is(await real.size(), 1, 'the queue was rebuilt from the stored runs');
  await h.core.offers([anOffer()]);
  t.is(h.driver.launchedTasks().length, 1);
});

test('a revive that failed is tried again (the run would otherwise wait for offers that never come)', async (t) => {
  const h = await harness({ jobs: [job('j')] });
  t.is(h.driver.demand.at(-1), false, 'suppressed: nothing waits');
  h.driver.demand.length = 0;
  h.driver.demandResult = { ok: false, status: 0, message: 'not subscribed' };
  await h.core.startRun('j');
  t.deepEqual(h.driver.demand, [true]);
  h.driver.demandResult = OK;
  await advance(h, 30_000);
  t.deepEqual(h.driver.demand, [true, true], 'asked again');
  await advance(h, 30_000);
  t.deepEqual(h.driver.demand, [true, true], 'and not again once applied');
});

test('catch-up after a restart starts one run for the missed ticks of a schedule, not one per tick', async (t) => {
  const backing = createBatchMemoryBacking();
  const store = createMemoryBatchStore(backing);
  await store.apply([{ op: 'putJob', job: job('j') }, { op: 'putSchedule', jobId: 'j', schedule: everySecond() }]);
  const h = await harness({ backing });
  await advance(h, 1000);
  // Ticks within the 900 s starting deadline were missed while no batch ran: the latest one fires.
  t.is(h.core.activeRuns('j').length, 1);
  await advance(h, 1000);
  t.is(h.core.activeRuns('j').length, 2, 'and then one per tick');
});

test('a schedule does not fire a tick that came before it was created', async (t) => {
  const time = new ManualTime();
  time.advance(300); // the checks run at .300 of each second
  const h = await harness({ time, jobs: [job('j')] });
  await advance(h, 1000); // check at +1.300 s
  await advance(h, 800); // +2.100 s: after the tick at +2.000 s
  const created = await h.core.createSchedule('j', everySecond());
  t.true(created.ok);
  await advance(h, 200); // check at +2.300 s
  t.is(h.core.activeRuns('j').length, 0, 'the +2.000 s tick was before the schedule');
  await advance(h, 1000); // check at +3.300 s: the +3.000 s tick
  t.is(h.core.activeRuns('j').length, 1);
});

test('a claim that failed (PostgreSQL blip) does not lose the tick: the next check fires it', async (t) => {
  const backing = createBatchMemoryBacking();
  const real = createMemoryBatchStore(backing);
  let failClaims = false;
  const flaky: BatchStore = {
    ...real,
    claimTick: async (j, s, at, then) => {
      if (failClaims) throw new Error('connection terminated');
      return real.claimTick(j, s, at, then);
    },
  };
  const h = await harness({ backing, store: flaky, jobs: [job('j')] });
  const minute = everySecond({ cron: '0 * * * * *', startingDeadlineSeconds: 30 });
  t.true((await h.core.createSchedule('j', minute)).ok);
  // ManualTime starts at 1_700_000_000_000 = ...:20 s; the minute tick comes 40 s later.
  await advance(h, 39_000);
  failClaims = true;
  await advance(h, 1000); // the check that sees the tick fails
  t.is(h.core.activeRuns('j').length, 0);
  failClaims = false;
  await advance(h, 1000);
  t.is(h.core.activeRuns('j').length, 1, 'fired one check late');
  await advance(h, 1000);
  t.is(h.core.activeRuns('j').length, 1, 'once');
});

test('deleting a job with stopCurrentJobRuns: a kill that did not land is sent again until the task is over', async (t) => {
  const h = await harness({ jobs: [job('j')] });
  await h.core.startRun('j');
  await h.core.offers([anOffer()]);
  const [taskId] = h.driver.launchedTasks();
  await h.core.update(status(taskId, 'TASK_RUNNING'));
  t.true((await h.core.deleteJob('j', true)).ok);
  t.deepEqual(h.driver.killed, [taskId]);
  await advance(h, 30_000);
  t.deepEqual(h.driver.killed, [taskId, taskId], 'killed again');
  await h.core.update(status(taskId, 'TASK_KILLED'));
  await advance(h, 30_000);
  t.deepEqual(h.driver.killed, [taskId, taskId], 'over: no more kills');
});

test('a run whose task ran and then ended TASK_GONE failed; it is not relaunched as if it never started', async (t) => {
  const h = await harness({ jobs: [job('j')] });
  await h.core.startRun('j');
  await h.core.offers([anOffer()]);
  const [taskId] = h.driver.launchedTasks();
  await h.core.update(status(taskId, 'TASK_RUNNING'));
  await h.core.update(status(taskId, 'TASK_GONE', 'REASON_RECONCILIATION'));
  t.deepEqual(h.core.activeRuns('j'), []);
  t.is((await h.core.history('j')).failureCount, 1);
});

test('TASK_UNKNOWN (an agent not re-registered yet after a master failover) does not end a running run; it is asked again, and ends the attempt only after unknownTaskSeconds', async (t) => {
  const h = await harness({ jobs: [job('j')] });
  const run = await h.core.startRun('j');
  if (!run.ok) return t.fail(run.message);
  await h.core.offers([anOffer()]);
  const [taskId] = h.driver.launchedTasks();
  await h.core.update(status(taskId, 'TASK_RUNNING'));
  await h.core.update(status(taskId, 'TASK_UNKNOWN', 'REASON_RECONCILIATION'));
  t.is(h.core.activeRuns('j').length, 1, 'still running');
  h.driver.reconciled.length = 0;
  await advance(h, 30_000);
  t.true(h.driver.reconciled.some((ids) => ids.includes(taskId)), 'asked again');
  await h.core.update(status(taskId, 'TASK_RUNNING')); // the agent is back
  await h.core.update(status(taskId, 'TASK_UNKNOWN', 'REASON_RECONCILIATION'));
  await advance(h, 9 * 60_000);
  await h.core.update(status(taskId, 'TASK_UNKNOWN', 'REASON_RECONCILIATION'));
  t.is(h.core.activeRuns('j').length, 1, 'unknown for 9 minutes: still waiting');
  await advance(h, 60_000);
  await h.core.update(status(taskId, 'TASK_UNKNOWN', 'REASON_RECONCILIATION'));
  t.deepEqual(h.core.activeRuns('j'), [], 'unknown for 10 minutes: the attempt is over');
  const failed = await h.core.run('j', run.value.id);
  t.is(failed?.status, 'FAILED');
});

test('a retry keeps its backoff when the queue is rebuilt (Redis came back)', async (t) => {
  const h = await harness({ jobs: [job('j', { policy: 'ON_FAILURE' })] });
  await h.core.startRun('j');
  await h.core.offers([anOffer()]);
  await h.core.update(status(h.driver.launchedTasks()[0], 'TASK_FAILED')); // attempt 2 waits 1 s
  await h.core.rebuildQueue();
  await h.core.offers([anOffer()]);
  t.is(h.driver.launchedTasks().length, 1, 'still in its backoff after the rebuild');
  h.time.advance(1000);
  await h.core.offers([anOffer()]);
  t.is(h.driver.launchedTasks().length, 2);
});

/** A store that counts its transactions and fails them on demand (before anything lands). */
function countingStore(backing: BatchMemoryBacking) {
  const real = createMemoryBatchStore(backing);
  const c = { applies: [] as number[], fail: false, failRunWrites: false };
  const hasRunWrite = (ops: readonly { op: string }[] | undefined) => (ops ?? []).some((o) => o.op === 'putRun');
  const store: BatchStore = {
    ...real,
    apply: async (ops) => {
      if (c.fail || (c.failRunWrites && hasRunWrite(ops))) throw new Error('connection terminated');
      c.applies.push(ops.length);
      return real.apply(ops);
    },
    claimTick: async (j, sc, at, then) => {
      // One transaction: a run that cannot be written takes the claim down with it.
      if (c.fail || (c.failRunWrites && hasRunWrite(then))) throw new Error('connection terminated');
      return real.claimTick(j, sc, at, then);
    },
  };
  return { store, c };
}

const update = (taskId: string, state: string, uuid: string): mesos.v1.TaskStatus =>
  ({ task_id: { value: taskId }, agent_id: { value: 'a1' }, state, uuid, source: 'SOURCE_EXECUTOR' }) as mesos.v1.TaskStatus;

test('group commit: the updates of one burst land in one transaction, and each is acknowledged only after it landed', async (t) => {
  const backing = createBatchMemoryBacking();
  const { store, c } = countingStore(backing);
  const h = await harness({ backing, store, jobs: [job('j')] });
  for (let i = 0; i < 5; i++) await h.core.startRun('j');
  await h.core.offers([anOffer()]);
  const tasks = h.driver.launchedTasks();
  t.is(tasks.length, 5);
  c.applies.length = 0;
  c.fail = true;
  for (const [i, id] of tasks.entries()) {
    await h.core.update(update(id, 'TASK_RUNNING', `r${i}`));
    await h.core.update(update(id, 'TASK_FINISHED', `f${i}`));
  }
  t.deepEqual(h.core.activeRuns('j'), [], 'memory moved on at once');
  await h.core.idle().catch(() => undefined);
  t.deepEqual(h.driver.acked, [], 'PostgreSQL refused the writes: nothing is acknowledged (the agent sends the updates again)');
  c.fail = false;
  await advance(h, 1000); // the retry of the staged writes
  t.deepEqual(c.applies, [5], 'one transaction: five finished runs (their ACTIVE marks replaced by the finish)');
  t.is(h.driver.acked.length, 10);
  t.is((await h.store.history('j')).successCount, 5);
});

test('ACTIVE is stored: a restarted core loads a running run as ACTIVE', async (t) => {
  const backing = createBatchMemoryBacking();
  const h = await harness({ backing, jobs: [job('j')] });
  await h.core.startRun('j');
  await h.core.offers([anOffer()]);
  await h.core.update(update(h.driver.launchedTasks()[0], 'TASK_RUNNING', 'u1'));
  await h.core.idle();
  const stored = (await createMemoryBatchStore(backing).load()).activeRuns;
  t.deepEqual(stored.map((r) => [r.status, r.tasks[0]?.status]), [['ACTIVE', 'TASK_RUNNING']]);
  t.deepEqual(h.driver.acked, [`${h.driver.launchedTasks()[0]}/u1`]);
});

test('API changes that arrive together are written together; a commit that fails undoes them all and answers an error', async (t) => {
  const backing = createBatchMemoryBacking();
  const { store, c } = countingStore(backing);
  const h = await harness({ backing, store });
  c.applies.length = 0;
  const created = await Promise.all([h.core.createJob(job('a')), h.core.createJob(job('b')), h.core.createJob(job('c'))]);
  t.true(created.every((r) => r.ok));
  t.true(c.applies.length <= 2, `3 jobs in ${c.applies.length} transactions`);
  const runs = await Promise.all([h.core.startRun('a'), h.core.startRun('b'), h.core.startRun('nope'), h.core.startRun('c')]);
  t.deepEqual(runs.map((r) => r.ok), [true, true, false, true]);
  c.fail = true;
  const failed = await Promise.allSettled([h.core.createJob(job('d')), h.core.startRun('a')]);
  t.deepEqual(failed.map((r) => r.status), ['rejected', 'rejected']);
  t.is(h.core.job('d'), undefined, 'undone');
  t.is(h.core.activeRuns('a').length, 1, 'the failed run is not there');
  c.fail = false;
  t.deepEqual((await store.load()).activeRuns.map((r) => r.jobId).sort(), ['a', 'b', 'c']);
});

test('a retry keeps its backoff across a restart (it is stored with the run)', async (t) => {
  const backing = createBatchMemoryBacking();
  const time = new ManualTime();
  const j = { ...job('j', { policy: 'ON_FAILURE' }), run: { ...job('j').run, restart: { policy: 'ON_FAILURE' as const }, maxLaunchDelay: 3600 } };
  const h = await harness({ backing, time, jobs: [j] });
  await h.core.startRun('j');
  await h.core.offers([anOffer()]);
  for (let attempt = 1; attempt <= 20; attempt++) {
    // Fail attempts until the backoff is long: 1 s × 1.15^19 ≈ 14.2 s before attempt 21.
    const id = h.driver.launchedTasks().at(-1)!;
    await h.core.update(status(id, 'TASK_FAILED'));
    if (attempt < 20) {
      time.advance(20_000);
      await h.core.offers([anOffer()]);
    }
  }
  await h.core.idle();
  h.core.stop();
  const launched = h.driver.launchedTasks().length;
  const again = await harness({ backing, time });
  await again.core.offers([anOffer()]);
  t.is(again.driver.launchedTasks().length, 0, 'the restarted core waits for the backoff');
  time.advance(13_000);
  await again.core.offers([anOffer()]);
  t.is(again.driver.launchedTasks().length, 0, 'still within it');
  time.advance(2_000);
  await again.core.offers([anOffer()]);
  t.is(again.driver.launchedTasks().length, 1, 'due: launched');
  t.is(launched, 20);
});

test('a cron tick and its run are one transaction: a run that could not be written leaves the tick to fire at the next check', async (t) => {
  const backing = createBatchMemoryBacking();
  const { store, c } = countingStore(backing);
  const h = await harness({ backing, store, jobs: [job('j')] });
  const minute = everySecond({ cron: '0 * * * * *', startingDeadlineSeconds: 30 });
  t.true((await h.core.createSchedule('j', minute)).ok);
  await advance(h, 39_000);
  c.failRunWrites = true; // the claim would land, the run not (a crash between them)
  await advance(h, 1000);
  t.is(h.core.activeRuns('j').length, 0);
  c.failRunWrites = false;
  await advance(h, 1000);
  t.is(h.core.activeRuns('j').length, 1, 'the tick was not lost');
  t.is((await store.load()).activeRuns.length, 1);
});

test('priority: a run of a job with a higher run.priority launches first; equal priorities oldest first', async (t) => {
  const withPriority = (id: string, priority?: number): JobSpec => ({ ...job(id), run: { ...job(id).run, cpus: 2, ...(priority === undefined ? {} : { priority }) } });
  const h = await harness({ jobs: [withPriority('low', -1), withPriority('plain'), withPriority('high', 5), withPriority('plain2', 0)] });
  for (const id of ['low', 'plain', 'high', 'plain2']) await h.core.startRun(id);
  const order: string[] = [];
  for (let i = 0; i < 4; i++) {
    const before = h.driver.launchedTasks().length;
    await h.core.offers([offer().offerId(`p${i}`).agentId('a1').hostname('h1').cpus(2).mem(4096).ports(31000, 31100).build()]);
    order.push(...h.driver.launchedTasks().slice(before).map((id) => id.split('_')[0]));
  }
  t.deepEqual(order, ['high', 'plain', 'plain2', 'low']);
  const queue = (await h.queue.ready(Number.MAX_SAFE_INTEGER, 10)).map((q) => q.jobId);
  t.deepEqual(queue, [], 'the queue mirrors it: launched runs left it');
});

test('gang priority: a parallel run that waited gangReserveSeconds holds back the offers it could use; smaller runs behind it only backfill elsewhere', async (t) => {
  const small = (id: string): JobSpec => ({ ...job(id), run: { ...job(id).run, cpus: 2 } });
  const gang: JobSpec = { ...job('gang'), run: { ...job('gang').run, cpus: 3 }, parallelism: 2 };
  const h = await harness({ jobs: [small('s1'), small('s2'), gang, small('s3'), small('s4')] });
  const at = (agent: string, cpus: number) => offer().offerId(`${agent}-${++offers}`).agentId(agent).hostname(agent).cpus(cpus).mem(4096).ports(31000, 31100).build();
  const launchedOf = (job: string) => h.driver.launchedTasks().filter((id) => id.startsWith(`${job}_`));
  await h.core.startRun('s1');
  await h.core.startRun('s2');
  await h.core.offers([at('a1', 2), at('a2', 2)]); // s1 on a1, s2 on a2
  await h.core.startRun('gang');
  await h.core.startRun('s3');
  await h.core.startRun('s4');
  h.time.advance(10_000); // the gang has waited its 10 s
  await h.core.update(status(launchedOf('s1')[0], 'TASK_FINISHED'));
  // a1 has 4 cpus free: the gang (2 × 3 cpus) does not fit yet; a3 (2 cpus) could never host a gang task.
  await h.core.offers([at('a1', 4), at('a3', 2)]);
  t.deepEqual(launchedOf('gang'), []);
  t.deepEqual(launchedOf('s3').length, 1, 's3 backfilled on a3');
  t.deepEqual(launchedOf('s4'), [], 's4 did not take a1 from the gang');
  t.is(h.driver.declined.at(-1)?.refuse, 0, 'a1 declined without a filter: it comes back at the next allocation');
  await h.core.update(status(launchedOf('s2')[0], 'TASK_FINISHED'));
  await h.core.offers([at('a1', 4), at('a2', 4)]);
  t.is(launchedOf('gang').length, 2, 'the gang starts');
});

test('the queue never holds a retry before the store does: a staged retry reaches Redis only after its commit', async (t) => {
  const backing = createBatchMemoryBacking();
  const { store, c } = countingStore(backing);
  const h = await harness({ backing, store, jobs: [job('j', { policy: 'ON_FAILURE' })] });
  await h.core.startRun('j');
  await h.core.offers([anOffer()]);
  c.fail = true;
  await h.core.update(update(h.driver.launchedTasks()[0], 'TASK_FAILED', 'u1'));
  await h.core.offers([offer().offerId('tiny').agentId('a1').hostname('h1').cpus(0.1).mem(16).build()]); // nothing fits: no commit of its own
  await h.core.idle().catch(() => undefined);
  t.is(await h.queue.size(), 0, 'the store refused the retry: the queue does not have it');
  t.deepEqual((await createMemoryBatchStore(backing).load()).activeRuns.map((r) => r.status), ['STARTING']);
  c.fail = false;
  await advance(h, 1000);
  t.is(await h.queue.size(), 1);
  t.deepEqual((await createMemoryBatchStore(backing).load()).activeRuns.map((r) => [r.status, r.attempt]), [['INITIAL', 2]]);
  t.deepEqual(h.driver.acked, [`${h.driver.launchedTasks()[0]}/u1`]);
});

test('queue writes gather for queueWriteMs and go together; a run launched before its write never reaches Redis', async (t) => {
  const real = createMemoryRunQueue();
  const calls: string[] = [];
  const counting: RunQueue = {
    ...real,
    enqueueAll: async (runs) => {
      calls.push(`add ${runs.length}`);
      return real.enqueueAll(runs);
    },
    removeAll: async (ids) => {
      calls.push(`remove ${ids.length}`);
      return real.removeAll(ids);
    },
  };
  const h = await harness({ queue: counting, jobs: [job('a'), job('b'), job('c')] });
  await h.core.startRun('a');
  await h.core.offers([anOffer()]); // within the 20 ms: launched before it was written
  t.deepEqual(calls, []);
  await h.core.startRun('b');
  await h.core.startRun('c');
  await advance(h, 20);
  t.deepEqual(calls, ['add 2'], 'one write for both');
  await h.core.offers([anOffer()]);
  await advance(h, 20);
  t.deepEqual(calls, ['add 2', 'remove 2']);
  t.is(await real.size(), 0);
});

// --- review (R2): task ends the master forgets once acknowledged, stops, deletes, order after a restart ---

const twoTasks = (id: string, restart: JobSpec['run']['restart'] = { policy: 'NEVER' }): JobSpec =>
  ({ ...job(id, restart), run: { ...job(id, restart).run, cpus: 1 }, parallelism: 2 });

test('a parallel run whose first task finished (acknowledged, so the master forgets it) is not failed by a re-subscription\'s TASK_GONE for it', async (t) => {
  const h = await harness({ jobs: [twoTasks('g')] });
  await h.core.startRun('g');
  await h.core.offers([anOffer()]);
  const [a, b] = h.driver.launchedTasks();
  await h.core.update(update(a, 'TASK_RUNNING', 'a1'));
  await h.core.update(update(b, 'TASK_RUNNING', 'b1'));
  await h.core.update(update(a, 'TASK_FINISHED', 'a2'));
  await h.core.idle();
  t.true(h.driver.acked.includes(`${a}/a2`));
  // The master failed over (or the stream was lost): the core subscribes again and reconciles.
  await h.core.subscribed('fw-1');
  t.false(h.driver.reconciled.at(-2)?.includes(a) ?? false, 'a task known to be over is not asked about');
  await h.core.update(status(a, 'TASK_GONE', 'REASON_RECONCILIATION'));
  t.deepEqual(h.driver.killed, [], 'the running sibling is not killed');
  await h.core.update(update(b, 'TASK_FINISHED', 'b2'));
  await h.core.idle();
  const history = await h.core.history('g');
  t.deepEqual([history.successCount, history.failureCount], [1, 0]);
});

test('kill -9 after a parallel run\'s first task finished and was acknowledged: the restarted core neither relaunches nor fails the run', async (t) => {
  const backing = createBatchMemoryBacking();
  const time = new ManualTime();
  const before = await harness({ backing, time, jobs: [twoTasks('g')] });
  await before.core.startRun('g');
  await before.core.offers([anOffer()]);
  const [a, b] = before.driver.launchedTasks();
  await before.core.update(update(a, 'TASK_RUNNING', 'a1')); // b is still TASK_STAGING: the run stays STARTING
  await before.core.update(update(a, 'TASK_FINISHED', 'a2'));
  await before.core.idle();
  t.true(before.driver.acked.includes(`${a}/a2`));
  before.core.stop();

  const after = await harness({ backing, time });
  // The master forgot the acknowledged task; the sibling runs on.
  await after.core.update(status(a, 'TASK_GONE', 'REASON_RECONCILIATION'));
  await after.core.update(status(b, 'TASK_RUNNING', 'REASON_RECONCILIATION'));
  t.deepEqual(after.core.activeRuns('g').map((r) => r.status), ['ACTIVE'], 'not back in the queue');
  await after.core.offers([anOffer()]);
  t.deepEqual(after.driver.launchedTasks(), [], 'not launched a second time');
  t.deepEqual(after.driver.killed, []);
  await after.core.update(update(b, 'TASK_FINISHED', 'b2'));
  await after.core.idle();
  t.is((await after.store.history('g')).successCount, 1);
});

test('kill -9 after a parallel run\'s task failed and was acknowledged: a NEVER run fails, it is not relaunched as a lost launch', async (t) => {
  const backing = createBatchMemoryBacking();
  const time = new ManualTime();
  const before = await harness({ backing, time, jobs: [twoTasks('g')] });
  await before.core.startRun('g');
  await before.core.offers([anOffer()]);
  const [a, b] = before.driver.launchedTasks();
  await before.core.update(update(a, 'TASK_FAILED', 'a1'));
  await before.core.idle();
  t.deepEqual(before.driver.killed, [b], 'the sibling is killed');
  t.true(before.driver.acked.includes(`${a}/a1`));
  before.core.stop();

  const after = await harness({ backing, time });
  await after.core.update(status(a, 'TASK_GONE', 'REASON_RECONCILIATION'));
  await after.core.update(status(b, 'TASK_RUNNING', 'REASON_RECONCILIATION'));
  t.deepEqual(after.driver.killed, [b], 'the restarted core kills the sibling again');
  await after.core.update(update(b, 'TASK_KILLED', 'b1'));
  await after.core.offers([anOffer()]);
  t.deepEqual(after.driver.launchedTasks(), [], 'not relaunched');
  const history = await after.core.history('g');
  t.deepEqual([history.successCount, history.failureCount], [0, 1]);
});

test('a stop is stored: after a kill -9 the restarted core kills the run again, and its TASK_KILLED fails it rather than retrying it (ON_FAILURE)', async (t) => {
  const backing = createBatchMemoryBacking();
  const time = new ManualTime();
  const before = await harness({ backing, time, jobs: [job('j', { policy: 'ON_FAILURE' })] });
  const run = await before.core.startRun('j');
  if (!run.ok) return t.fail(run.message);
  await before.core.offers([anOffer()]);
  const [taskId] = before.driver.launchedTasks();
  await before.core.update(update(taskId, 'TASK_RUNNING', 'u1'));
  t.true((await before.core.stopRun('j', run.value.id)).ok);
  before.core.stop(); // the kill is lost with the process (or the task takes its grace period)

  const after = await harness({ backing, time });
  await advance(after, 30_000);
  t.true(after.driver.killed.includes(taskId), 'the stop survives the restart: the task is killed again');
  await after.core.update(update(taskId, 'TASK_KILLED', 'u2'));
  await advance(after, 60_000);
  await after.core.offers([anOffer()]);
  t.deepEqual(after.driver.launchedTasks(), [], 'a stopped run is not retried');
  const history = await after.core.history('j');
  t.is(history.failureCount, 1);
  t.is((await after.core.run('j', run.value.id))?.reason, 'stopped');
});

test('a stop or a delete that could not be stored changes nothing: no kill is sent and the run keeps its restart policy', async (t) => {
  const backing = createBatchMemoryBacking();
  const { store, c } = countingStore(backing);
  const h = await harness({ backing, store, jobs: [job('j', { policy: 'ON_FAILURE' })] });
  const run = await h.core.startRun('j');
  if (!run.ok) return t.fail(run.message);
  await h.core.offers([anOffer()]);
  const [taskId] = h.driver.launchedTasks();
  await h.core.update(update(taskId, 'TASK_RUNNING', 'u1'));
  await h.core.idle();
  c.fail = true;
  await t.throwsAsync(h.core.stopRun('j', run.value.id));
  await t.throwsAsync(h.core.deleteJob('j', true));
  t.deepEqual(h.driver.killed, [], 'nothing killed for a request answered 5xx');
  t.truthy(h.core.job('j'));
  c.fail = false;
  await h.core.update(update(taskId, 'TASK_FAILED', 'u2'));
  t.deepEqual(h.core.activeRuns('j').map((r) => [r.status, r.attempt]), [['INITIAL', 2]], 'retried: it was never stopped');
});

test('group commit: a change the store refuses fails alone; the changes committed with it are stored and answered', async (t) => {
  const backing = createBatchMemoryBacking();
  const real = createMemoryBatchStore(backing);
  const poisoned: BatchStore = {
    ...real,
    apply: async (ops) => {
      if (ops.some((o) => o.op === 'putJob' && o.job.id === 'poison')) throw new Error('value too long for type character varying');
      return real.apply(ops);
    },
  };
  const h = await harness({ backing, store: poisoned, jobs: [job('j')] });
  const answers = await Promise.allSettled([
    h.core.createJob(job('a')), h.core.createJob(job('poison')), h.core.startRun('j'), h.core.createJob(job('b')),
  ]);
  t.deepEqual(answers.map((a) => a.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  t.deepEqual(h.core.jobs().map((x) => x.id), ['a', 'b', 'j']);
  const stored = await real.load();
  t.deepEqual(stored.jobs.map((x) => x.id).sort(), ['a', 'b', 'j']);
  t.is(stored.activeRuns.length, 1);
  await advance(h, 20);
  t.is(await h.queue.size(), 1, 'the run is queued');
});

test('launch order survives a restart: equal priorities oldest first, a retry behind the runs that waited before it (not the store\'s job id order)', async (t) => {
  const backing = createBatchMemoryBacking();
  const time = new ManualTime();
  const fat = (id: string, restart: JobSpec['run']['restart'] = { policy: 'NEVER' }): JobSpec => ({ ...job(id, restart), run: { ...job(id, restart).run, cpus: 2 } });
  const before = await harness({ backing, time, jobs: [fat('c', { policy: 'ON_FAILURE' }), fat('z'), fat('a')] });
  await before.core.startRun('c');
  await before.core.offers([offer().offerId('first').agentId('a1').hostname('h1').cpus(2).mem(4096).ports(31000, 31100).build()]);
  time.advance(1000);
  await before.core.startRun('z');
  time.advance(1000);
  await before.core.update(status(before.driver.launchedTasks()[0], 'TASK_FAILED')); // c's retry, due 1 s later
  time.advance(1000);
  await before.core.startRun('a');
  time.advance(5000);
  await before.core.idle();
  before.core.stop();

  const after = await harness({ backing, time });
  const order: string[] = [];
  for (let i = 0; i < 3; i++) {
    const n = after.driver.launchedTasks().length;
    await after.core.offers([offer().offerId(`p${i}`).agentId('a1').hostname('h1').cpus(2).mem(4096).ports(31000, 31100).build()]);
    order.push(...after.driver.launchedTasks().slice(n).map((id) => id.split('_')[0]));
  }
  t.deepEqual(order, ['z', 'c', 'a']);
});

test('a queue emptied behind the core\'s back (a Redis FLUSHALL without a reconnect) is rebuilt at the next maintenance round', async (t) => {
  const real = createMemoryRunQueue();
  let rebuilds = 0;
  const counting: RunQueue = { ...real, rebuild: async (runs) => { rebuilds++; return real.rebuild(runs); } };
  const h = await harness({ queue: counting, jobs: [job('j'), job('k')] });
  await h.core.startRun('j');
  await h.core.startRun('k');
  await advance(h, 20);
  t.is(await real.size(), 2);
  await real.rebuild([]); // what a flush leaves
  rebuilds = 0;
  await advance(h, 30_000);
  t.is(await real.size(), 2, 'the pending runs are back');
  t.is(rebuilds, 1);
  await advance(h, 30_000);
  t.is(rebuilds, 1, 'a queue that matches is left alone');
});

test('a restart does not fire a tick that came before the schedule was created (nor before it was enabled again)', async (t) => {
  const backing = createBatchMemoryBacking();
  const time = new ManualTime(); // 22:13:20.000
  const before = await harness({ backing, time, jobs: [job('j'), job('k')] });
  const minute = everySecond({ cron: '0 * * * * *', startingDeadlineSeconds: 900 });
  t.true((await before.core.createSchedule('j', minute)).ok); // after the 22:13:00 tick
  t.true((await before.core.createSchedule('k', { ...minute, enabled: false })).ok);
  t.true((await before.core.updateSchedule('k', minute)).ok); // enabled again after 22:13:00
  await advance(before, 1000);
  before.core.stop();

  const after = await harness({ backing, time });
  await advance(after, 1000);
  t.deepEqual(after.core.activeRuns().map((r) => r.jobId), [], 'the 22:13:00 tick was before both');
  await advance(after, 40_000); // the 22:14:00 tick
  t.deepEqual(after.core.activeRuns().map((r) => r.jobId).sort(), ['j', 'k']);
});

test('gang priority: once the waiting head gang is stopped or its job deleted, the runs behind it get the offers it held back', async (t) => {
  const small = (id: string): JobSpec => ({ ...job(id), run: { ...job(id).run, cpus: 2 } });
  const gang = (id: string): JobSpec => ({ ...job(id), run: { ...job(id).run, cpus: 3 }, parallelism: 4 });
  const h = await harness({ jobs: [gang('g1'), gang('g2'), small('s')] });
  const at = (agent: string) => offer().offerId(`${agent}-${++offers}`).agentId(agent).hostname(agent).cpus(4).mem(4096).ports(31000, 31100).build();
  const launchedOf = (id: string) => h.driver.launchedTasks().filter((x) => x.startsWith(`${id}_`));
  const g1 = await h.core.startRun('g1');
  await h.core.startRun('g2');
  await h.core.startRun('s');
  if (!g1.ok) return t.fail(g1.message);
  h.time.advance(10_000);
  await h.core.offers([at('a1')]);
  t.deepEqual(launchedOf('s'), [], 'held back for g1 (4 × 3 cpus never fit one 4-cpu agent)');
  t.true((await h.core.stopRun('g1', g1.value.id)).ok);
  await h.core.offers([at('a1')]);
  t.deepEqual(launchedOf('s'), [], 'g2 is the head now and holds a1 in turn');
  t.true((await h.core.deleteJob('g2', true)).ok);
  await h.core.offers([at('a1')]);
  t.is(launchedOf('s').length, 1, 'nothing waits ahead of s: it launches');
});

test('a gang task whose launch was lost (TASK_DROPPED) after a sibling already reported: the run is launched again as a whole, not failed', async (t) => {
  const h = await harness({ jobs: [twoTasks('g')] });
  await h.core.startRun('g');
  const at = (agent: string) => offer().offerId(`${agent}-${++offers}`).agentId(agent).hostname(agent).cpus(1).mem(4096).ports(31000, 31100).build();
  await h.core.offers([at('a1'), at('a2')]); // one task per agent: two ACCEPTs
  const [a, b] = h.driver.launchedTasks();
  await h.core.update(update(a, 'TASK_STARTING', 'a1'));
  await h.core.update(status(b, 'TASK_DROPPED', 'REASON_INVALID_OFFERS')); // b's offer was gone
  t.deepEqual(h.driver.killed, [a], 'the sibling that did start is killed (all or none)');
  t.deepEqual(h.core.activeRuns('g').map((r) => [r.status, r.attempt]), [['INITIAL', 2]], 'back in the queue');
  await h.core.update(update(a, 'TASK_KILLED', 'a2'));
  t.is((await h.core.history('g')).failureCount, 0, 'a NEVER run whose launch was lost did not fail');
  h.time.advance(1000);
  await h.core.offers([at('a1'), at('a2')]);
  t.is(h.driver.launchedTasks().length, 4, 'launched again with fresh task ids');
});

test('a Redis that does not answer (a partition: each call waits out its connect timeout) stalls no API call, offer or update; the writes catch up once it answers', async (t) => {
  const real = createMemoryRunQueue();
  const releases: (() => void)[] = [];
  let hang = false;
  const gate = <T>(op: () => Promise<T>): Promise<T> => (hang ? new Promise<void>((r) => { releases.push(r); }).then(op) : op());
  const slow: RunQueue = {
    ...real,
    enqueueAll: (runs) => gate(() => real.enqueueAll(runs)),
    removeAll: (ids) => gate(() => real.removeAll(ids)),
    rebuild: (runs) => gate(() => real.rebuild(runs)),
    size: () => gate(() => real.size()),
  };
  const h = await harness({ queue: slow, jobs: [job('a'), job('b')] });
  hang = true;
  await h.core.startRun('a');
  h.time.advance(20); // the queue write starts, and hangs
  const within = <T>(p: Promise<T>, what: string) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} stalled behind Redis`)), 2000))]);
  const b = await within(h.core.startRun('b'), 'startRun');
  t.true(b.ok);
  await within(h.core.offers([anOffer()]), 'offers');
  t.is(h.driver.launchedTasks().length, 2);
  await within(h.core.update(update(h.driver.launchedTasks()[0], 'TASK_RUNNING', 'u1')), 'update');
  await within(h.core.history('a'), 'history');
  t.is(releases.length, 1, 'one queue call at a time: the writes gathered behind it wait, coalesced');
  hang = false;
  releases.forEach((r) => r());
  await advance(h, 20);
  await advance(h, 20);
  t.is(await real.size(), 0, 'caught up: both runs launched, none left in the queue');
});

// --- launch deadline (Metronome's maxLaunchDelay) ------------------------------------------------

const withDelay = (j: JobSpec, maxLaunchDelay: number, over: Partial<JobSpec['run']> = {}): JobSpec => ({ ...j, run: { ...j.run, ...over, maxLaunchDelay } });

test('maxLaunchDelay: a run that never fits is aborted at its deadline, not before: FAILED, in the history with its reason, out of the queue', async (t) => {
  const h = await harness({ jobs: [withDelay(job('big'), 60, { cpus: 100 })] });
  const run = await h.core.startRun('big');
  if (!run.ok) return t.fail(run.message);
  const created = h.time.now();
  await h.core.offers([anOffer()]);
  await advance(h, 59_999);
  await h.core.offers([anOffer()]);
  t.deepEqual(h.core.activeRuns('big').map((r) => r.status), ['INITIAL'], '1 ms before the deadline it still waits');
  t.is(await h.queue.size(), 1);
  await advance(h, 1); // no offer needed: a timer waits for the deadline
  t.deepEqual(h.core.activeRuns('big'), []);
  const failed = await h.core.run('big', run.value.id);
  t.like(failed, { status: 'FAILED', completedAt: new Date(created + 60_000).toISOString(), reason: 'not started within maxLaunchDelay (60 s)' });
  t.like(await h.core.history('big'), { failureCount: 1, successCount: 0 });
  t.like(await h.store.finishedRun('big', run.value.id), { status: 'FAILED', reason: 'not started within maxLaunchDelay (60 s)' });
  t.is(await h.queue.size(), 0, 'gone from Redis too');
  t.is(h.driver.demand.at(-1), false, 'nothing waits: offers suppressed');
  t.deepEqual(h.driver.launchedTasks(), []);
});

test('maxLaunchDelay bounds the gang hold: a gang that can never fit holds offers back until its deadline, then the runs behind it get them', async (t) => {
  const gang = withDelay({ ...job('gang'), parallelism: 4 }, 30, { cpus: 3 }); // 4 × 3 cpus never fit one 4-cpu agent
  const h = await harness({ jobs: [gang, withDelay(job('s'), 3600, { cpus: 2 })] });
  const at = (agent: string) => offer().offerId(`${agent}-${++offers}`).agentId(agent).hostname(agent).cpus(4).mem(4096).ports(31000, 31100).build();
  const launchedOf = (id: string) => h.driver.launchedTasks().filter((x) => x.startsWith(`${id}_`));
  const g = await h.core.startRun('gang');
  if (!g.ok) return t.fail(g.message);
  await h.core.startRun('s');
  await advance(h, 10_000); // the gang has waited gangReserveSeconds: it holds a1
  await h.core.offers([at('a1')]);
  t.deepEqual(launchedOf('s'), [], 'held back for the gang');
  await advance(h, 19_999);
  await h.core.offers([at('a1')]);
  t.deepEqual(launchedOf('s'), [], 'still held 1 ms before the gang\'s deadline');
  await advance(h, 1);
  t.like(await h.core.run('gang', g.value.id), { status: 'FAILED', reason: 'not started within maxLaunchDelay (30 s)' });
  t.is((await h.core.history('gang')).failureCount, 1);
  await h.core.offers([at('a1')]);
  t.is(launchedOf('s').length, 1, 'the run behind it launches');
  t.deepEqual(launchedOf('gang'), []);
});

test('maxLaunchDelay: an offer that comes at the deadline before the timer ran does not launch the run; it is aborted', async (t) => {
  const h = await harness({ jobs: [withDelay(job('j'), 5)] });
  const run = await h.core.startRun('j');
  if (!run.ok) return t.fail(run.message);
  // The offers' job is queued first; the clock reaches the deadline before it runs, and the
  // deadline's timer job is queued behind it.
  const offered = h.core.offers([anOffer()]);
  h.time.advance(5000);
  await offered;
  await h.core.idle();
  t.deepEqual(h.driver.launchedTasks(), []);
  t.like(await h.core.run('j', run.value.id), { status: 'FAILED' });
  t.is((await h.core.history('j')).failureCount, 1, 'counted once');
});

test('maxLaunchDelay: a retry\'s deadline counts from when it became due (the end of its backoff), not from the run\'s creation', async (t) => {
  const h = await harness({ jobs: [withDelay(job('j', { policy: 'ON_FAILURE' }), 5, { cpus: 3 })] });
  const run = await h.core.startRun('j');
  if (!run.ok) return t.fail(run.message);
  await h.core.offers([anOffer()]);
  const [first] = h.driver.launchedTasks();
  await h.core.update(status(first, 'TASK_RUNNING'));
  await advance(h, 20_000); // ran 20 s: long past createdAt + 5 s
  await h.core.update(status(first, 'TASK_FAILED'));
  t.deepEqual(h.core.activeRuns('j').map((r) => [r.status, r.attempt]), [['INITIAL', 2]], 'retried after 1 s');
  // Due 1 s after the failure; the deadline is 5 s after that. Offers too small meanwhile.
  const small = () => offer().offerId(`small-${++offers}`).agentId('a1').hostname('h1').cpus(1).mem(4096).ports(31000, 31100).build();
  await advance(h, 5_999);
  await h.core.offers([small()]);
  t.deepEqual(h.core.activeRuns('j').map((r) => r.status), ['INITIAL'], 'within 5 s of becoming due');
  await advance(h, 1);
  t.deepEqual(h.core.activeRuns('j'), []);
  t.like(await h.core.history('j'), { failureCount: 1, successCount: 0 });
});

test('maxLaunchDelay survives a restart: the deadline comes from the stored createdAt, and a deadline that passed while batch was down aborts the run at start', async (t) => {
  const backing = createBatchMemoryBacking();
  const time = new ManualTime();
  const before = await harness({ backing, time, jobs: [withDelay(job('a'), 60, { cpus: 100 }), withDelay(job('b'), 60, { cpus: 100 })] });
  const a = await before.core.startRun('a');
  if (!a.ok) return t.fail(a.message);
  await advance(before, 30_000);
  const b = await before.core.startRun('b');
  if (!b.ok) return t.fail(b.message);
  await before.core.idle();
  before.core.stop();

  // Down for 20 s: neither deadline has passed.
  time.advance(20_000);
  const after = await harness({ backing, time });
  t.is(after.core.activeRuns().length, 2);
  await advance(after, 9_999);
  t.deepEqual(after.core.activeRuns().map((r) => r.jobId), ['a', 'b'], 'a: 1 ms before its deadline (created 59.999 s ago)');
  await advance(after, 1);
  t.deepEqual(after.core.activeRuns().map((r) => r.jobId), ['b'], 'a aborted at createdAt + 60 s, as stored');
  t.like(await after.store.finishedRun('a', a.value.id), { status: 'FAILED', completedAt: new Date(Date.parse(a.value.createdAt) + 60_000).toISOString() });
  await after.core.idle();
  after.core.stop();

  // Down past b's deadline: the restarted core aborts it at start, and never launches it.
  time.advance(60_000);
  const again = await harness({ backing, time });
  t.deepEqual(again.core.activeRuns(), []);
  await again.core.offers([anOffer()]);
  t.deepEqual(again.driver.launchedTasks(), []);
  t.like(await again.store.finishedRun('b', b.value.id), { status: 'FAILED', reason: 'not started within maxLaunchDelay (60 s)' });
  t.is((await again.store.history('b')).failureCount, 1);
  t.is(await again.queue.size(), 0);
});

// --- starting deadline (Metronome's schedule startingDeadlineSeconds) ------------------------------

// ManualTime starts at 1_700_000_000_000 = ...:20 s: the minute tick comes at +40 s.
const T0 = 1_700_000_000_000;
const TICK = T0 + 40_000;
const at = (ms: number): string => new Date(ms).toISOString();
const minutely = (startingDeadlineSeconds: number): ScheduleSpec => everySecond({ id: 'minutely', cron: '0 * * * * *', startingDeadlineSeconds });
const deadlineReason = (seconds: number, tick: number): string => `not started within startingDeadlineSeconds (${seconds} s) of its scheduled time ${at(tick)}`;

test('startingDeadlineSeconds: a scheduled run that never fits is aborted at tick + deadline, before its maxLaunchDelay; a run on demand of the same job has no starting deadline', async (t) => {
  const h = await harness({ jobs: [withDelay(job('big'), 3600, { cpus: 100 })] });
  t.true((await h.core.createSchedule('big', minutely(30))).ok);
  await advance(h, 40_000);
  const [scheduled] = h.core.activeRuns('big');
  t.like(scheduled, { status: 'INITIAL', scheduleId: 'minutely', scheduledAt: at(TICK), startingDeadlineSeconds: 30 });
  const manual = await h.core.startRun('big');
  if (!manual.ok) return t.fail(manual.message);
  t.is(manual.value.startingDeadlineSeconds, undefined);
  await h.core.offers([anOffer()]);
  await advance(h, 29_999);
  t.is(h.core.activeRuns('big').length, 2, '1 ms before the deadline both wait');
  await advance(h, 1); // the deadline's timer: no offer needed
  t.deepEqual(h.core.activeRuns('big').map((r) => r.id), [manual.value.id]);
  t.like(await h.core.run('big', scheduled.id), { status: 'FAILED', completedAt: at(TICK + 30_000), reason: deadlineReason(30, TICK) });
  t.like(await h.store.finishedRun('big', scheduled.id), { status: 'FAILED', reason: deadlineReason(30, TICK) });
  t.like(await h.core.history('big'), { failureCount: 1, successCount: 0 });
  t.is(await h.queue.size(), 1, 'out of Redis; the run on demand stays');
  t.true((await h.core.deleteSchedule('big', 'minutely')).ok);
  await advance(h, 1_000_000);
  t.deepEqual(h.core.activeRuns('big').map((r) => [r.id, r.status]), [[manual.value.id, 'INITIAL']], 'the run on demand waits on (its maxLaunchDelay is 3600 s)');
});

test('startingDeadlineSeconds: a scheduled run launched but not reported started by its deadline is aborted and its task killed (again until it ends); counted once', async (t) => {
  const h = await harness({ jobs: [job('j')] });
  t.true((await h.core.createSchedule('j', minutely(30))).ok);
  await advance(h, 40_000);
  const [run] = h.core.activeRuns('j');
  await h.core.offers([anOffer()]);
  const [taskId] = h.driver.launchedTasks();
  // No word of the task from the master (an agent that does not answer, a launch in flight).
  t.true((await h.core.updateSchedule('j', { ...minutely(30), enabled: false })).ok); // no more ticks
  await advance(h, 29_999);
  t.like(h.core.activeRuns('j')[0], { id: run.id, status: 'STARTING' });
  t.false(h.driver.killed.includes(taskId));
  await advance(h, 1);
  t.deepEqual(h.core.activeRuns('j'), []);
  t.deepEqual(h.driver.killed, [taskId], 'killed at the deadline');
  t.like(await h.core.run('j', run.id), { status: 'FAILED', reason: deadlineReason(30, TICK) });
  await h.core.update(status(taskId, 'TASK_RUNNING')); // too late: a task no run knows
  t.deepEqual(h.driver.killed, [taskId, taskId]);
  await advance(h, 30_000); // maintenance sends the kill again while it has not ended
  t.deepEqual(h.driver.killed, [taskId, taskId, taskId]);
  await h.core.update(status(taskId, 'TASK_KILLED'));
  await advance(h, 30_000);
  t.is(h.driver.killed.length, 3, 'ended: no more kills');
  t.like(await h.core.history('j'), { failureCount: 1, successCount: 0 });
});

test('startingDeadlineSeconds: met once the run is ACTIVE (dropped from the stored run); a later retry has only maxLaunchDelay', async (t) => {
  const h = await harness({ jobs: [withDelay(job('j', { policy: 'ON_FAILURE' }), 3600, { cpus: 3 })] });
  t.true((await h.core.createSchedule('j', minutely(30))).ok);
  await advance(h, 40_000);
  t.true((await h.core.updateSchedule('j', { ...minutely(30), enabled: false })).ok);
  const [run] = h.core.activeRuns('j');
  t.is(run.startingDeadlineSeconds, 30);
  await h.core.offers([anOffer()]);
  const [taskId] = h.driver.launchedTasks();
  await advance(h, 10_000);
  await h.core.update(status(taskId, 'TASK_RUNNING'));
  await h.core.idle();
  const stored = (await h.store.load()).activeRuns.find((r) => r.id === run.id);
  t.like(stored, { status: 'ACTIVE', scheduledAt: at(TICK) });
  t.is(stored?.startingDeadlineSeconds, undefined, 'met: not stored any more (a restart does not abort it)');
  await advance(h, 60_000); // past tick + 30 s
  t.like(h.core.activeRuns('j')[0], { id: run.id, status: 'ACTIVE' });
  await h.core.update(status(taskId, 'TASK_FAILED'));
  const small = () => offer().offerId(`small-${++offers}`).agentId('a1').hostname('h1').cpus(1).mem(4096).ports(31000, 31100).build();
  await advance(h, 10_000);
  await h.core.offers([small()]);
  t.deepEqual(h.core.activeRuns('j').map((r) => [r.id, r.status, r.attempt]), [[run.id, 'INITIAL', 2]], 'the retry waits: no starting deadline');
});

test('startingDeadlineSeconds: met once every task is reported STAGING, STARTING or RUNNING (Metronome), stored, so a task slow to reach TASK_RUNNING is neither aborted nor killed, not after a restart either', async (t) => {
  const backing = createBatchMemoryBacking();
  const time = new ManualTime();
  const before = await harness({ backing, time, jobs: [twoTasks('j')] });
  t.true((await before.core.createSchedule('j', minutely(30))).ok);
  await advance(before, 40_000);
  t.true((await before.core.updateSchedule('j', { ...minutely(30), enabled: false })).ok);
  const [run] = before.core.activeRuns('j');
  await before.core.offers([anOffer()]);
  const [a, b] = before.driver.launchedTasks();
  await before.core.update(status(a, 'TASK_RUNNING'));
  await before.core.update(status(b, 'TASK_STARTING')); // still fetching or pulling its image
  await advance(before, 10_000);
  t.like(before.core.activeRuns('j')[0], { id: run.id, status: 'STARTING', startingDeadlineSeconds: undefined });
  await before.core.idle();
  const stored = (await before.store.load()).activeRuns.find((r) => r.id === run.id);
  t.is(stored?.startingDeadlineSeconds, undefined, 'met: stored without it');
  await advance(before, 30_000); // past tick + 30 s
  t.like(before.core.activeRuns('j')[0], { id: run.id, status: 'STARTING' });
  t.deepEqual(before.driver.killed, []);
  before.core.stop();

  const after = await harness({ backing, time });
  t.like(after.core.activeRuns('j')[0], { id: run.id, status: 'STARTING' }, 'a restart does not abort it');
  t.deepEqual(after.driver.killed, []);
  await after.core.update(status(b, 'TASK_RUNNING'));
  t.like(after.core.activeRuns('j')[0], { id: run.id, status: 'ACTIVE' });
});

test('startingDeadlineSeconds survives a kill -9: a restarted core aborts at start a run launched but not running whose deadline passed, and kills its task', async (t) => {
  const backing = createBatchMemoryBacking();
  const time = new ManualTime();
  const before = await harness({ backing, time, jobs: [job('j')] });
  t.true((await before.core.createSchedule('j', minutely(30))).ok);
  await advance(before, 40_000);
  const [run] = before.core.activeRuns('j');
  await before.core.offers([anOffer()]);
  const [taskId] = before.driver.launchedTasks();
  await before.core.idle();
  before.core.stop();

  time.advance(40_000); // down until tick + 40 s: past the deadline (tick + 30 s), and the tick is too old to fire again
  const after = await harness({ backing, time });
  t.deepEqual(after.core.activeRuns(), []);
  t.true(after.driver.killed.includes(taskId), 'its task is killed');
  t.like(await after.store.finishedRun('j', run.id), { status: 'FAILED', completedAt: at(TICK + 40_000), reason: deadlineReason(30, TICK) });
  t.is((await after.store.history('j')).failureCount, 1);
});

test('startingDeadlineSeconds at catch-up: a tick missed while batch was down runs only within its deadline, counted from the tick, not from the late run\'s creation', async (t) => {
  for (const [downMs, runs] of [[20_000, 1], [30_000, 0]] as const) {
    const backing = createBatchMemoryBacking();
    const store = createMemoryBatchStore(backing);
    await store.apply([{ op: 'putJob', job: withDelay(job('big'), 3600, { cpus: 100 }) }, { op: 'putSchedule', jobId: 'big', schedule: minutely(30) }]);
    const time = new ManualTime();
    time.advance(40_000 + downMs - 1000); // batch starts this long after the tick; its first check is 1 s later
    const h = await harness({ backing, time });
    await advance(h, 1000);
    t.is(h.core.activeRuns('big').length, runs, `started ${downMs / 1000} s after the tick`);
    if (runs === 0) continue;
    const [run] = h.core.activeRuns('big');
    t.like(run, { createdAt: at(TICK + downMs), scheduledAt: at(TICK) });
    await advance(h, 30_000 - downMs - 1);
    t.is(h.core.activeRuns('big').length, 1);
    await advance(h, 1);
    t.deepEqual(h.core.activeRuns('big'), [], 'aborted at tick + 30 s');
    t.like(await h.store.finishedRun('big', run.id), { status: 'FAILED', completedAt: at(TICK + 30_000), reason: deadlineReason(30, TICK) });
  }
});
