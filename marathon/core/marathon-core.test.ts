/**
 * The core against the in-memory store (one implementation of the store port, run through the
 * same contract suite as PostgreSQL's) and a recording driver (the driver port): deployments,
 * launches from offers, status updates, replacement with backoff, kills with scaling, 409s, and
 * a restart from the stored state that launches nothing twice; the unreachable strategy (inactive
 * stays inactive, stopped unreachable instances expunged, no health kill while unreachable), launch
 * backoff (what backs off, when it resets), launch timeouts, and rollback. Time is manual.
 */
import test from 'ava';
import type { mesos } from '../../proto/types.generated.ts';
import { ManualTime } from '../../master/test-fixtures.ts';
import { silentLogger } from '../../common/ports.ts';
import type { CallResult, TaskRef } from '../../frameworks/sdk/scheduler-handler.ts';
import { createMemoryMarathonStore } from '../storage/memory-store.ts';
import { parseApp } from '../app/parse-app.ts';
import { parsePod } from '../pod/parse-pod.ts';
import type { PodDefinition } from '../pod/pod-definition.ts';
import { createEventBus } from '../events/index.ts';
import type { AppDefinition, MarathonEvent } from '../model.ts';
import { asPathId } from '../model.ts';
import type { MarathonStore } from '../ports.ts';
import {
  createMarathonCore, DEFAULT_CORE_CONFIG, type CheckRunner, type CoreDriver, type HealthCallbacks, type MarathonCore, type MarathonCoreConfig,
} from './marathon-core.ts';

class RecordingDriver implements CoreDriver {
  state = 'SUBSCRIBED';
  master = '127.0.0.1:5050';
  readonly accepted: { offerIds: readonly string[]; tasks: mesos.v1.TaskInfo[] }[] = [];
  readonly declined: { offerIds: readonly string[]; refuse?: number }[] = [];
  readonly killed: string[] = [];
  readonly groups: { executor: mesos.v1.ExecutorInfo; task_group: mesos.v1.TaskGroupInfo }[] = [];
  readonly demand: boolean[] = [];
  revives = 0;
  private readonly ok: CallResult = { ok: true };
  accept(offerIds: readonly string[], ops: readonly mesos.v1.Offer.Operation[]): Promise<CallResult> {
    this.accepted.push({ offerIds, tasks: ops.flatMap((o) => o.launch?.task_infos ?? []) });
    for (const o of ops) if (o.launch_group !== undefined) this.groups.push(o.launch_group as { executor: mesos.v1.ExecutorInfo; task_group: mesos.v1.TaskGroupInfo });
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

interface HarnessOptions {
  readonly config?: Partial<MarathonCoreConfig>;
  /** A health runner fake (the check runner is a port): the test feeds results through the callbacks. */
  readonly health?: (callbacks: HealthCallbacks) => CheckRunner;
  readonly onFatal?: (message: string) => void;
}

async function harness(store: MarathonStore = createMemoryMarathonStore(), time = new ManualTime(), options: HarnessOptions = {}): Promise<Harness> {
  const bus = createEventBus();
  const events: MarathonEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const core = createMarathonCore({
    store,
    state: await store.load(),
    config: { ...DEFAULT_CORE_CONFIG, address: '127.0.0.1:8080', ...options.config },
    clock: time,
    timers: time,
    logger: silentLogger,
    newId: () => `00000000-0000-0000-0000-${String(++idSeq).padStart(12, '0')}`,
    events: bus,
    ...(options.health === undefined ? {} : { health: options.health }),
    ...(options.onFatal === undefined ? {} : { onFatal: options.onFatal }),
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

/** Launches `n` instances of a new app on agent a1 and runs them; returns their task ids. */
async function deployRunning(h: Harness, json: Record<string, unknown>): Promise<string[]> {
  const before = h.driver.launchedTasks().length;
  const created = await h.core.createApp(app(h.time, json), { force: false });
  if (!created.ok) throw new Error(created.message);
  await h.settle();
  await h.core.offers([offer('a1')]);
  await h.settle();
  const ids = h.driver.launchedTasks().slice(before).map((task) => task.task_id.value);
  await runAll(h, ids);
  return ids;
}

const conditionOf = (h: Harness, taskId: string) => h.core.instance(taskId)?.condition;

test('an inactive unreachable instance stays inactive when reconciliation repeats TASK_UNREACHABLE (no kill, no second replacement)', async (t) => {
  const h = await harness();
  const [task] = await deployRunning(h, { id: '/part', instances: 1, unreachableStrategy: { inactiveAfterSeconds: 10, expungeAfterSeconds: 1000 } });
  await h.core.update(status(task, 'TASK_UNREACHABLE'));
  await h.settle();
  t.is(conditionOf(h, task), 'Unreachable');
  t.deepEqual(h.core.queue(), [], 'still counted: no replacement before inactiveAfterSeconds');
  h.time.advance(10_000);
  await h.settle();
  t.is(conditionOf(h, task), 'UnreachableInactive');
  t.is(h.core.queue()[0]?.count, 1, 'one replacement wanted');

  t.true(h.events.some((e) => e.eventType === 'instance_changed_event' && e.condition === 'UnreachableInactive'), 'the inactive condition is announced');

  // The master answers every reconciliation with TASK_UNREACHABLE again.
  const seen = h.events.length;
  await h.core.update(status(task, 'TASK_UNREACHABLE'));
  await h.settle();
  t.is(conditionOf(h, task), 'UnreachableInactive', 'the repeated update does not make it count again');
  t.deepEqual(h.events.slice(seen).filter((e) => e.eventType === 'instance_changed_event'), [], 'no condition change');
  t.deepEqual(h.driver.killed, [], 'nothing killed');
  t.is(h.core.queue()[0]?.count, 1);
  t.is(h.core.instance(task)?.goal, 'Running');
});

test('deleting an app expunges its unreachable instances at once (Marathon expunges instead of killing) and its deployment ends', async (t) => {
  const h = await harness();
  const [a, b] = await deployRunning(h, { id: '/gone', instances: 2, unreachableStrategy: 'disabled' });
  await h.core.update(status(a, 'TASK_UNREACHABLE'));
  await h.settle();
  const deleted = await h.core.deleteApp(asPathId('/gone'), { force: false });
  t.true(deleted.ok);
  await h.settle();
  t.deepEqual(h.driver.killed, [b], 'a kill for the reachable one only');
  t.is(h.core.instance(a), undefined, 'the unreachable one is forgotten');
  t.false((await h.store.load()).instances.some((i) => i.taskId === a), 'and deleted from the store');
  await h.core.update(status(b, 'TASK_KILLED'));
  await h.settle();
  t.deepEqual(h.core.deployments(), [], 'the stop finished');
  t.deepEqual(h.core.instances(), []);

  // The agent comes back: the task is unknown now, so it is killed.
  await h.core.update(status(a, 'TASK_RUNNING'));
  t.deepEqual(h.driver.killed, [b, a]);
});

test('an inactive unreachable instance of a deleted app is expunged, not kept forever', async (t) => {
  const h = await harness();
  const [a] = await deployRunning(h, { id: '/inact', instances: 1, unreachableStrategy: { inactiveAfterSeconds: 5, expungeAfterSeconds: 100_000 } });
  await h.core.update(status(a, 'TASK_UNREACHABLE'));
  h.time.advance(5_000);
  await h.settle();
  t.is(conditionOf(h, a), 'UnreachableInactive');
  await h.core.deleteApp(asPathId('/inact'), { force: false });
  await h.settle();
  t.deepEqual(h.core.instances(), [], 'nothing of the app is left');
  t.deepEqual(h.core.deployments(), []);
  t.deepEqual((await h.store.load()).instances, []);
});

test('a failing Marathon health check does not kill an unreachable instance (the unreachable strategy decides)', async (t) => {
  let callbacks: HealthCallbacks | undefined;
  const runner: CheckRunner = { track: () => undefined, untrack: () => undefined, stop: () => undefined };
  const h = await harness(createMemoryMarathonStore(), new ManualTime(), { health: (cb) => { callbacks = cb; return runner; } });
  const [task] = await deployRunning(h, {
    id: '/hc', instances: 1, portDefinitions: [{ port: 0 }], unreachableStrategy: { inactiveAfterSeconds: 300, expungeAfterSeconds: 600 },
    healthChecks: [{ protocol: 'HTTP', path: '/', portIndex: 0, maxConsecutiveFailures: 3 }],
  });
  await h.core.update(status(task, 'TASK_UNREACHABLE'));
  await h.settle();
  const app = h.core.app(asPathId('/hc'))!;
  callbacks!.onUnhealthy(h.core.instance(task)!.instanceId, app.healthChecks[0], 'connect ECONNREFUSED');
  await h.settle();
  t.deepEqual(h.driver.killed, []);
  t.is(h.core.instance(task)?.goal, 'Running');
  t.deepEqual(h.core.queue(), [], 'no replacement before inactiveAfterSeconds');
});

test('the launch backoff resets once maxLaunchDelaySeconds pass without a failure (Marathon\'s overdue delays)', async (t) => {
  const h = await harness();
  const [first] = await deployRunning(h, { id: '/flaky', instances: 1, backoffSeconds: 10, backoffFactor: 2, maxLaunchDelaySeconds: 60 });
  await h.core.update(status(first, 'TASK_FAILED'));
  await h.settle();
  t.is(h.core.queue()[0]?.delay.timeLeftSeconds, 10); // first failure: 10 s
  h.time.advance(10_000);
  await h.settle();
  await h.core.offers([offer('a1')]);
  await h.settle();
  const second = h.driver.launchedTasks().at(-1)!.task_id.value;
  await runAll(h, [second]);
  await h.core.update(status(second, 'TASK_FAILED'));
  await h.settle();
  t.is(h.core.queue()[0]?.delay.timeLeftSeconds, 20, 'a failure soon after: 10 x 2');
  h.time.advance(20_000);
  await h.settle();
  await h.core.offers([offer('a1')]);
  await h.settle();
  const third = h.driver.launchedTasks().at(-1)!.task_id.value;
  await runAll(h, [third]);
  h.time.advance(61_000); // > maxLaunchDelaySeconds since the last failure
  await h.settle();
  await h.core.update(status(third, 'TASK_FAILED'));
  await h.settle();
  t.is(h.core.queue()[0]?.delay.timeLeftSeconds, 10, 'a failure long after starts again at backoffSeconds, not 40');
});

test('a task killed by someone else is replaced without backoff (Killed is not rate-limit-worthy); a finished one backs off', async (t) => {
  const h = await harness();
  const [a, b] = await deployRunning(h, { id: '/ext', instances: 2, backoffSeconds: 30 });
  await h.core.update(status(a, 'TASK_KILLED'));
  await h.settle();
  t.is(h.core.queue()[0]?.count, 1);
  t.is(h.core.queue()[0]?.delay.timeLeftSeconds, 0, 'no delay');
  await h.core.offers([offer('a1')]);
  await h.settle();
  const c = h.driver.launchedTasks().at(-1)!.task_id.value;
  t.not(c, a, 'replaced at once');
  await runAll(h, [c]);
  await h.core.update(status(b, 'TASK_FINISHED'));
  await h.settle();
  t.is(h.core.queue()[0]?.delay.timeLeftSeconds, 30, 'Finished is rate-limit-worthy');
});

test('a launch never confirmed (no TASK_STAGING) and a task that never reaches TASK_RUNNING are killed after the launch timeouts and replaced', async (t) => {
  const h = await harness();
  await h.core.subscribed('fw-1');
  await h.core.createApp(app(h.time, { id: '/stuck', instances: 2 }), { force: false });
  await h.settle();
  await h.core.offers([offer('a1')]);
  await h.settle();
  const [lost, staging] = h.driver.launchedTasks().map((task) => task.task_id.value);
  await h.core.update(status(staging, 'TASK_STAGING'));
  await h.settle();
  h.time.advance(299_000);
  await h.settle();
  t.deepEqual(h.driver.killed, [], 'nothing before 300 s');
  h.time.advance(2_000);
  await h.settle();
  t.deepEqual([...h.driver.killed].sort(), [lost, staging].sort(), 'both killed after 300 s');
  // The master answers the kill of a task it never saw through reconciliation.
  await h.core.update(status(lost, 'TASK_GONE'));
  await h.core.update(status(staging, 'TASK_KILLED'));
  await h.settle();
  t.is(h.core.queue()[0]?.count, 2, 'both replaced');
  t.is(h.core.queue()[0]?.delay.timeLeftSeconds, 0, 'a kill marathon asked for is no failure');
});

test('rolling back a configuration change restores the original version: only the instances of the cancelled config are replaced', async (t) => {
  const h = await harness();
  const originals = await deployRunning(h, { id: '/rb', instances: 2, cmd: 'sleep 1000' });
  const v0 = h.core.app(asPathId('/rb'))!.version;
  h.time.advance(1_000);
  await h.settle();
  const changed = await h.core.putApps([app(h.time, { id: '/rb', instances: 2, cmd: 'sleep 2000', upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0 } })], { force: false });
  t.true(changed.ok);
  await h.settle();
  await h.core.offers([offer('a1')]);
  await h.settle();
  const fresh = h.driver.launchedTasks().at(-1)!.task_id.value;
  await runAll(h, [fresh]); // one new instance runs; one original is being killed
  h.time.advance(1_000);
  const rollback = await h.core.cancelDeployment(changed.ok ? changed.deploymentId : '', { force: false });
  t.true(rollback.ok);
  await h.settle();
  const restored = h.core.app(asPathId('/rb'))!;
  t.is(restored.cmd, 'sleep 1000');
  t.is(restored.version, v0, 'the original definition, version included');
  const killedOriginals = originals.filter((id) => h.driver.killed.includes(id));
  t.is(killedOriginals.length, 1, 'the change had replaced one original');
  for (const id of killedOriginals) await h.core.update(status(id, 'TASK_KILLED'));
  await h.settle();
  t.false(h.driver.killed.includes(fresh), 'kept until a replacement is healthy (minimumHealthCapacity 1)');
  await h.core.offers([offer('a1')]);
  await h.settle();
  const back = h.driver.launchedTasks().at(-1)!;
  t.true(back.command?.value?.includes('sleep 1000'), 'the replacement runs the original command');
  await runAll(h, [back.task_id.value]);
  t.true(h.driver.killed.includes(fresh), 'the instance of the cancelled config is replaced');
  const untouched = originals.filter((id) => !killedOriginals.includes(id));
  t.is(untouched.length, 1);
  t.is(h.core.instance(untouched[0])?.goal, 'Running', 'an original instance is kept');
});

test('a marathon restarted long after a launch waits for reconciliation before it counts the launch as overdue', async (t) => {
  const store = createMemoryMarathonStore();
  const time = new ManualTime();
  const h = await harness(store, time);
  await h.core.createApp(app(time, { id: '/late', instances: 1 }), { force: false });
  await h.settle();
  await h.core.offers([offer('a1')]);
  await h.settle();
  const [task] = h.driver.launchedTasks().map((x) => x.task_id.value);
  h.core.stop();
  time.advance(600_000); // down for 10 minutes; the task started meanwhile

  const again = await harness(store, time);
  await again.core.subscribed('fw-1');
  time.advance(5_000);
  await again.settle();
  t.deepEqual(again.driver.killed, [], 'not killed at once');
  await again.core.update(status(task, 'TASK_RUNNING')); // the reconciliation answer
  time.advance(400_000);
  await again.settle();
  t.deepEqual(again.driver.killed, []);
  t.is(again.core.instance(task)?.condition, 'Running');
});

test('a deleted app leaves no lastTaskFailure behind for an app created later under its id', async (t) => {
  const h = await harness();
  const [a] = await deployRunning(h, { id: '/reborn', instances: 1 });
  await h.core.update(status(a, 'TASK_FAILED'));
  await h.settle();
  t.is(h.core.lastTaskFailure(asPathId('/reborn'))?.taskId, a);
  await h.core.deleteApp(asPathId('/reborn'), { force: true });
  await h.settle();
  await h.core.createApp(app(h.time, { id: '/reborn', instances: 0 }), { force: false });
  await h.settle();
  t.is(h.core.lastTaskFailure(asPathId('/reborn')), undefined, 'as the store has it');
  t.is((await h.store.load()).taskFailures.length, 0);
});

test('a framework the master removed: the persisted framework id is dropped and the core reports the fatal error (Marathon exits)', async (t) => {
  const fatal: string[] = [];
  const store = createMemoryMarathonStore();
  const time = new ManualTime();
  const h = await harness(store, time, { onFatal: (m) => fatal.push(m) });
  await h.core.subscribed('fw-old');
  t.is(h.core.persistedFrameworkId(), 'fw-old');
  await h.core.error('Framework has been removed');
  await h.settle();
  t.deepEqual(fatal, ['Framework has been removed']);
  t.is(h.core.persistedFrameworkId(), undefined);
  const again = await harness(store, time);
  t.is(again.core.persistedFrameworkId(), undefined, 'the next leader registers anew');

  // Any other refusal (another scheduler failed this one over) is fatal too, the id is kept.
  await again.core.subscribed('fw-new');
  const other: string[] = [];
  const third = await harness(store, time, { onFatal: (m) => other.push(m) });
  await third.core.error('Framework failed over');
  t.deepEqual(other, ['Framework failed over']);
  t.is(third.core.persistedFrameworkId(), 'fw-new');
});

test('a launch the master refused publishes no instance of it, and the instances are launched again', async (t) => {
  const h = await harness();
  h.driver.accept = (offerIds, ops) => {
    h.driver.accepted.push({ offerIds, tasks: ops.flatMap((o) => o.launch?.task_infos ?? []) });
    return Promise.resolve({ ok: false, status: 400, message: 'bad' });
  };
  await h.core.createApp(app(h.time, { id: '/refused', instances: 1 }), { force: false });
  await h.settle();
  await h.core.offers([offer('a1')]);
  await h.settle();
  t.is(h.driver.launchedTasks().length, 1);
  t.deepEqual(h.core.instances(), []);
  t.false(h.events.some((e) => e.eventType === 'instance_changed_event'), 'no event for an instance that never was');
  t.is(h.core.queue()[0]?.count, 1);
});

test('the unreachable strategy counts from the unreachable_time the master reports (a marathon that was away hears of it late)', async (t) => {
  const h = await harness();
  const [task] = await deployRunning(h, { id: '/late-news', instances: 1, unreachableStrategy: { inactiveAfterSeconds: 10, expungeAfterSeconds: 1000 } });
  const since = h.time.now() - 20_000; // unreachable for 20 s already
  await h.core.update({ ...status(task, 'TASK_UNREACHABLE'), unreachable_time: { nanoseconds: since * 1e6 } });
  await h.settle();
  t.is(h.core.instance(task)?.unreachableSince, new Date(since).toISOString());
  t.is(conditionOf(h, task), 'UnreachableInactive', 'inactive at once: 20 s > inactiveAfterSeconds');
  t.is(h.core.queue()[0]?.count, 1);
});

test('rolling back a /restart (nothing to revert) still stops the cancelled deployment', async (t) => {
  const h = await harness();
  await deployRunning(h, { id: '/rs', instances: 2 });
  h.time.advance(1_000);
  const restarted = await h.core.restartApp(asPathId('/rs'), { force: false });
  t.true(restarted.ok);
  await h.settle();
  t.is(h.core.deployments().length, 1);
  const rollback = await h.core.cancelDeployment(restarted.ok ? restarted.deploymentId : '', { force: false });
  t.true(rollback.ok);
  await h.settle();
  t.deepEqual(h.core.deployments().map((d) => d.id).filter((id) => restarted.ok && id === restarted.deploymentId), [], 'the restart is cancelled');
  t.true(h.events.some((e) => e.eventType === 'deployment_failed' && restarted.ok && (e.plan as { id: string } | undefined)?.id === restarted.deploymentId));
});

test('offers are revived when a backoff runs out, even when the housekeeping round comes late', async (t) => {
  const h = await harness();
  const [a] = await deployRunning(h, { id: '/revive', instances: 1, backoffSeconds: 10 });
  await h.core.update(status(a, 'TASK_FAILED'));
  await h.settle();
  const revives = h.driver.revives;
  h.time.advance(12_000); // one late round 2 s after the deadline (a busy queue skips ticks)
  await h.settle();
  t.is(h.driver.revives, revives + 1, 'REVIVE: the declined offers come back for the launch');
  h.time.advance(5_000);
  await h.settle();
  t.is(h.driver.revives, revives + 1, 'once');
});

test('offers that arrive right after a scale-down launch nothing for the instances no longer wanted', async (t) => {
  const h = await harness();
  await h.core.createApp(app(h.time, { id: '/shrink', instances: 5 }), { force: false });
  await h.settle();
  t.is(h.core.queue()[0]?.count, 5);
  // The scale-down and an offer are queued together, before any evaluation.
  const scaled = h.core.putApps([app(h.time, { id: '/shrink', instances: 0 })], { force: true });
  const offered = h.core.offers([offer('a1')]);
  await Promise.all([scaled, offered]);
  await h.settle();
  t.is(h.driver.launchedTasks().length, 0, 'nothing launched for the old count');
});

test('a new or changed app takes the version of its change (its deployment\'s), as in Marathon; an unchanged one keeps its own', async (t) => {
  const h = await harness();
  const parsed = app(h.time, { id: '/v' });
  h.time.advance(7); // the REST layer parsed it a moment before the core applies it
  const r = await h.core.createApp(parsed, { force: false });
  if (!r.ok) return t.fail(r.message);
  const stored = h.core.app(asPathId('/v'));
  t.not(parsed.version, r.version);
  t.is(stored?.version, r.version);
  t.deepEqual(stored?.versionInfo, { lastScalingAt: r.version, lastConfigChangeAt: r.version });
  t.is(h.core.deployments()[0]?.version, r.version);
  h.time.advance(5);
  const again = await h.core.putApps([stored!], { force: true });
  t.true(again.ok);
  t.is(h.core.app(asPathId('/v'))?.version, r.version, 'sent back unchanged: not a new version');
});

function podDef(time: ManualTime, json: Record<string, unknown>): PodDefinition {
  const r = parsePod({
    containers: [
      { name: 'main', exec: { command: { shell: 'sleep 1000' } }, resources: { cpus: 0.1, mem: 32 } },
      { name: 'side', exec: { command: { shell: 'sleep 1000' } }, resources: { cpus: 0.1, mem: 32 } },
    ],
    ...json,
  }, { now: new Date(time.now()).toISOString() });
  if (!r.ok) throw new Error(JSON.stringify(r.details));
  return r.value;
}

test('a pod instance is one LAUNCH_GROUP (a task per container, the default executor); its tasks\' states make its condition; a failed group is replaced', async (t) => {
  const h = await harness();
  const created = await h.core.createPod(podDef(h.time, { id: '/duo', scaling: { kind: 'fixed', instances: 1 } }), { force: false });
  t.true(created.ok);
  await h.settle();
  t.deepEqual(h.core.deployments()[0]?.steps.map((s) => s.actions[0].action), ['StartPod', 'ScalePod']);
  await h.core.offers([offer('a1')]);
  await h.settle();
  const groups = h.driver.groups;
  t.is(groups.length, 1);
  t.is(groups[0].executor.type, 'DEFAULT');
  const taskIds = (groups[0]?.task_group.tasks ?? []).map((task) => task.task_id.value);
  t.deepEqual(taskIds.map((id) => id.split('.').at(-1)), ['main', 'side']);
  const [instance] = h.core.instances(asPathId('/duo'));
  t.deepEqual(instance.podTasks?.map((p) => p.taskId), taskIds);

  await h.core.update(status(taskIds[0], 'TASK_RUNNING'));
  await h.settle();
  t.is(h.core.instances(asPathId('/duo'))[0].condition, 'Starting', 'one of two running');
  t.is(h.core.deployments().length, 1);
  await h.core.update(status(taskIds[1], 'TASK_RUNNING'));
  await h.settle();
  t.is(h.core.instances(asPathId('/duo'))[0].condition, 'Running');
  t.deepEqual(h.core.deployments(), []);

  // One container fails: the default executor takes the group down; the instance ends with the worst end and is replaced.
  await h.core.update(status(taskIds[1], 'TASK_FAILED'));
  await h.settle();
  t.is(h.core.instances(asPathId('/duo'))[0].condition, 'Killing');
  await h.core.update(status(taskIds[0], 'TASK_KILLED'));
  await h.settle();
  t.deepEqual(h.core.instances(asPathId('/duo')), []);
  t.is(h.core.queue().length, 0, 'pods are not listed in the app queue');
  h.time.advance(2_000); // past the backoff of the failure
  await h.settle();
  await h.core.offers([offer('a1')]);
  await h.settle();
  t.is(h.driver.groups.length, 2, 'a new task group replaces the failed one');

  // Deleting the pod kills every task of its instance.
  const gone = await h.core.deletePod(asPathId('/duo'), { force: true });
  t.true(gone.ok);
  await h.settle();
  const last = (h.driver.groups[1]?.task_group.tasks ?? []).map((task) => task.task_id.value);
  t.is(last.length, 2);
  t.true(last.every((id) => h.driver.killed.includes(id)));
  t.is(h.core.pod(asPathId('/duo')), undefined);
  const early = await h.core.createPod(podDef(h.time, { id: '/duo' }), { force: false });
  t.false(early.ok, 'the stop still holds the id until its tasks are gone');
  for (const id of last) await h.core.update(status(id, 'TASK_KILLED'));
  await h.settle();
  t.deepEqual(h.core.deployments(), []);
  t.true((await h.core.createPod(podDef(h.time, { id: '/duo' }), { force: false })).ok);
});

test('a pod id cannot take an app\'s; a changed pod restarts, a scaled one scales; deleting an unknown pod is a 404', async (t) => {
  const h = await harness();
  await h.core.createApp(app(h.time, { id: '/taken' }), { force: false });
  const clash = await h.core.createPod(podDef(h.time, { id: '/taken' }), { force: false });
  t.false(clash.ok);
  if (!clash.ok) t.is(clash.status, 409);
  await h.core.createPod(podDef(h.time, { id: '/p' }), { force: true });
  const scaled = await h.core.putPod(podDef(h.time, { id: '/p', scaling: { kind: 'fixed', instances: 3 } }), { force: true });
  t.true(scaled.ok);
  const podSteps = () => h.core.deployments().filter((d) => d.affectedApps.includes(asPathId('/p'))).map((d) => d.steps.map((s) => s.actions[0].action));
  t.deepEqual(podSteps(), [['ScalePod']]);
  h.time.advance(1);
  const changed = await h.core.putPod(podDef(h.time, { id: '/p', scaling: { kind: 'fixed', instances: 3 }, labels: { a: 'b' } }), { force: true });
  t.true(changed.ok);
  t.deepEqual(podSteps(), [['RestartPod']]);
  const missing = await h.core.deletePod(asPathId('/nope'), { force: false });
  t.false(missing.ok);
  if (!missing.ok) t.is(missing.status, 404);
});
