/**
 * The batch core against its ports: the memory store and queue, a recording driver and a manual
 * clock. Each test pins a failure mode: a launch that never reached the master (offer gone, a
 * kill -9 between storing STARTING and the ACCEPT, an ACCEPT that failed), a kill that gets no
 * answer, a store or queue error inside a serial step, a demand call that failed, and schedule
 * ticks (catch-up after a restart, a tick before the schedule existed, a claim that failed).
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
  const history = await h.store.history('j');
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
  };
  const h = await harness({ queue: flaky, jobs: [job('j')] });
  const run = await h.core.startRun('j');
  t.true(run.ok, 'PostgreSQL has it: the run exists');
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
    claimTick: async (j, s, at) => {
      if (failClaims) throw new Error('connection terminated');
      return real.claimTick(j, s, at);
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
  t.is((await h.store.history('j')).failureCount, 1);
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
