/**
 * The core against the in-memory store (one implementation of the store port, run through the
 * same contract suite as PostgreSQL's) and a recording driver (the driver port): deployments,
 * launches from offers, status updates, replacement with backoff, kills with scaling, 409s, and
 * a restart from the stored state that launches nothing twice. Time is manual.
 */
import test from 'ava';
import type { mesos } from '../../proto/types.generated.ts';
import { ManualTime } from '../../master/test-fixtures.ts';
import { silentLogger } from '../../common/ports.ts';
import type { CallResult, TaskRef } from '../../frameworks/sdk/scheduler-handler.ts';
import { createMemoryMarathonStore } from '../storage/memory-store.ts';
import { parseApp } from '../app/parse-app.ts';
import { createEventBus } from '../events/index.ts';
import type { AppDefinition, MarathonEvent } from '../model.ts';
import { asPathId } from '../model.ts';
import type { MarathonStore } from '../ports.ts';
import { createMarathonCore, DEFAULT_CORE_CONFIG, type CoreDriver, type MarathonCore } from './marathon-core.ts';

class RecordingDriver implements CoreDriver {
  state = 'SUBSCRIBED';
  master = '127.0.0.1:5050';
  readonly accepted: { offerIds: readonly string[]; tasks: mesos.v1.TaskInfo[] }[] = [];
  readonly declined: { offerIds: readonly string[]; refuse?: number }[] = [];
  readonly killed: string[] = [];
  readonly demand: boolean[] = [];
  revives = 0;
  private readonly ok: CallResult = { ok: true };
  accept(offerIds: readonly string[], ops: readonly mesos.v1.Offer.Operation[]): Promise<CallResult> {
    this.accepted.push({ offerIds, tasks: ops.flatMap((o) => o.launch?.task_infos ?? []) });
    return Promise.resolve(this.ok);
  }
  decline(offerIds: readonly string[], filters?: mesos.v1.Filters): Promise<CallResult> {
    this.declined.push({ offerIds, ...(filters?.refuse_seconds === undefined ? {} : { refuse: filters.refuse_seconds }) });
    return Promise.resolve(this.ok);
  }
  kill(taskId: string): Promise<CallResult> {
    this.killed.push(taskId);
    return Promise.resolve(this.ok);
  }
  reconcile(_tasks: readonly TaskRef[]): Promise<CallResult> {
    return Promise.resolve(this.ok);
  }
  revive(): Promise<CallResult> {
    this.revives += 1;
    return Promise.resolve(this.ok);
  }
  setDemand(hasDemand: boolean): Promise<CallResult> {
    this.demand.push(hasDemand);
    return Promise.resolve(this.ok);
  }
  launchedTasks(): mesos.v1.TaskInfo[] {
    return this.accepted.flatMap((a) => a.tasks);
  }
}

let offerSeq = 0;
/** Ids unique across the harnesses of one test (a restarted core must not reuse its predecessor's). */
let idSeq = 0;
function offer(agent: string, cpus = 4, mem = 4096): mesos.v1.Offer {
  offerSeq += 1;
  return {
    id: { value: `offer-${offerSeq}` },
    framework_id: { value: 'fw-1' },
    agent_id: { value: agent },
    hostname: `${agent}.test`,
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: cpus }, role: '*' },
      { name: 'mem', type: 'SCALAR', scalar: { value: mem }, role: '*' },
      { name: 'disk', type: 'SCALAR', scalar: { value: 1000 }, role: '*' },
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31100 }] }, role: '*' },
    ],
  } as mesos.v1.Offer;
}

function status(taskId: string, state: string, agent = 'a1'): mesos.v1.TaskStatus {
  return { task_id: { value: taskId }, state, agent_id: { value: agent } } as mesos.v1.TaskStatus;
}

function app(time: ManualTime, json: Record<string, unknown>): AppDefinition {
  const r = parseApp({ cmd: 'sleep 1000', cpus: 0.1, mem: 16, ...json }, { now: new Date(time.now()).toISOString() });
  if (!r.ok) throw new Error(JSON.stringify(r.details));
  return r.value;
}

interface Harness {
  core: MarathonCore;
  driver: RecordingDriver;
  store: MarathonStore;
  time: ManualTime;
  events: MarathonEvent[];
  settle(): Promise<void>;
}

async function harness(store: MarathonStore = createMemoryMarathonStore(), time = new ManualTime()): Promise<Harness> {
  const bus = createEventBus();
  const events: MarathonEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const core = createMarathonCore({
    store,
    state: await store.load(),
    config: { ...DEFAULT_CORE_CONFIG, address: '127.0.0.1:8080' },
    clock: time,
    timers: time,
    logger: silentLogger,
    newId: () => `00000000-0000-0000-0000-${String(++idSeq).padStart(12, '0')}`,
    events: bus,
  });
  const driver = new RecordingDriver();
  core.attach(driver);
  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      time.advance(0);
      await core.idle();
    }
  };
  await settle();
  return { core, driver, store, time, events, settle };
}

async function runAll(h: Harness, taskIds: readonly string[]): Promise<void> {
  for (const id of taskIds) await h.core.update(status(id, 'TASK_RUNNING'));
  await h.settle();
}

test('a new app is launched from an offer, persisted as Provisioned first, and its deployment ends when every instance runs', async (t) => {
  const h = await harness();
  const created = await h.core.createApp(app(h.time, { id: '/sleepy', instances: 5 }), { force: false });
  t.true(created.ok);
  await h.settle();
  t.is(h.driver.demand.at(-1), true, 'offers revived for the new instances');
  t.is(h.core.deployments().length, 1);

  await h.core.offers([offer('a1')]);
  await h.settle();
  const tasks = h.driver.launchedTasks();
  t.is(tasks.length, 5, 'five tasks in one ACCEPT'); // 0.5 of 4 cpus, 80 of 4096 MB
  t.is(h.driver.accepted.length, 1);
  const stored = await h.store.load();
  t.is(stored.instances.length, 5);
  t.true(stored.instances.every((i) => i.condition === 'Provisioned'));
  t.deepEqual(h.core.queue(), [], 'nothing left to launch');

  await runAll(h, tasks.map((task) => task.task_id.value));
  t.deepEqual(h.core.deployments(), []);
  t.true(h.events.some((e) => e.eventType === 'deployment_success' && (created.ok && e.id === created.deploymentId)));
  t.is(h.driver.demand.at(-1), false, 'offers suppressed once nothing is wanted');
  t.true((await h.store.load()).instances.every((i) => i.condition === 'Running'));
});

test('a failed task is replaced after its backoff; lastTaskFailure records it', async (t) => {
  const h = await harness();
  await h.core.createApp(app(h.time, { id: '/crashy', instances: 2, backoffSeconds: 10, backoffFactor: 2 }), { force: false });
  await h.settle();
  await h.core.offers([offer('a1')]);
  await h.settle();
  const [first, second] = h.driver.launchedTasks().map((task) => task.task_id.value);
  await runAll(h, [first, second]);

  await h.core.update({ ...status(first, 'TASK_FAILED'), message: 'exited with status 1' });
  await h.settle();
  t.is(h.core.instances(asPathId('/crashy')).length, 1);
  const failure = h.core.lastTaskFailure(asPathId('/crashy'));
  t.is(failure?.taskId, first);
  t.is(failure?.state, 'TASK_FAILED');
  t.is(h.core.queue()[0]?.count, 1);
  t.is(h.core.queue()[0]?.delay.timeLeftSeconds, 10);

  // Within the backoff the offer is declined; after it, the replacement launches.
  await h.core.offers([offer('a1')]);
  await h.settle();
  t.is(h.driver.launchedTasks().length, 2);
  t.is(h.driver.declined.at(-1)?.refuse, DEFAULT_CORE_CONFIG.retryOfferSeconds);
  h.time.advance(10_000);
  await h.settle();
  await h.core.offers([offer('a1')]);
  await h.settle();
  t.is(h.driver.launchedTasks().length, 3);
});

test('killing with scale lowers instances through a deployment; killing without scale replaces', async (t) => {
  const h = await harness();
  await h.core.createApp(app(h.time, { id: '/k', instances: 3 }), { force: false });
  await h.settle();
  await h.core.offers([offer('a1')]);
  await h.settle();
  const ids = h.driver.launchedTasks().map((task) => task.task_id.value);
  await runAll(h, ids);

  const scaled = await h.core.killTasks([ids[0]], { force: false, scale: true, wipe: false });
  t.true(scaled.ok && scaled.deploymentId !== undefined);
  t.is(h.core.app(asPathId('/k'))?.instances, 2);
  t.deepEqual(h.driver.killed, [ids[0]]);
  await h.core.update(status(ids[0], 'TASK_KILLED'));
  await h.settle();
  t.deepEqual(h.core.deployments(), []);
  t.is(h.core.instances(asPathId('/k')).length, 2);
  t.is(h.core.lastTaskFailure(asPathId('/k')), undefined, 'a kill we asked for is no failure');

  await h.core.killTasks([ids[1]], { force: false, scale: false, wipe: false });
  await h.core.update(status(ids[1], 'TASK_KILLED'));
  await h.settle();
  t.is(h.core.queue()[0]?.count, 1, 'the killed instance is replaced');
});

test('a change to an app held by a deployment is refused with 409 and the deployment ids, unless forced', async (t) => {
  const h = await harness();
  const big = await h.core.createApp(app(h.time, { id: '/big', instances: 1000 }), { force: false });
  t.true(big.ok);
  await h.settle();
  const refused = await h.core.putApps([app(h.time, { id: '/big', instances: 2 })], { force: false });
  t.false(refused.ok);
  if (!refused.ok && big.ok) {
    t.is(refused.status, 409);
    t.deepEqual(refused.deployments, [{ id: big.deploymentId }]);
  }
  t.is(h.core.app(asPathId('/big'))?.instances, 1000, 'nothing changed');
  const again = await h.core.createApp(app(h.time, { id: '/big' }), { force: false });
  t.false(again.ok);
  if (!again.ok) t.is(again.message, 'An app with id [/big] already exists.');

  const forced = await h.core.putApps([app(h.time, { id: '/big', instances: 2 })], { force: true });
  t.true(forced.ok);
  t.is(h.core.deployments().length, 1);
  t.not(h.core.deployments()[0].id, big.ok ? big.deploymentId : '');
});

test('a core rebuilt from the stored state knows its Provisioned instances and launches nothing twice', async (t) => {
  const store = createMemoryMarathonStore();
  const time = new ManualTime();
  const h = await harness(store, time);
  await h.core.createApp(app(time, { id: '/again', instances: 4 }), { force: false });
  await h.settle();
  await h.core.offers([offer('a1', 0.25, 4096)]); // room for 2 of 4
  await h.settle();
  t.is(h.driver.launchedTasks().length, 2);
  h.core.stop();

  const restarted = await harness(store, time);
  t.is(restarted.core.deployments().length, 1, 'the deployment resumes');
  t.is(restarted.core.instances().length, 2);
  await restarted.core.offers([offer('a2')]);
  await restarted.settle();
  t.is(restarted.driver.launchedTasks().length, 2, 'only the 2 missing instances');
  await runAll(restarted, [...h.driver.launchedTasks(), ...restarted.driver.launchedTasks()].map((task) => task.task_id.value));
  t.deepEqual(restarted.core.deployments(), []);
});

test('a status update of a task marathon does not know is answered with a kill', async (t) => {
  const h = await harness();
  await h.core.update(status('stray.instance-1._app.1', 'TASK_RUNNING'));
  t.deepEqual(h.driver.killed, ['stray.instance-1._app.1']);
});
