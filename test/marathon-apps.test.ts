/**
 * `maestro marathon` against a real master, real agents and a real PostgreSQL: apps deployed,
 * scaled, killed and replaced; bad input refused without a trace; the event stream; placement
 * constraints across agents with distinct attributes; a rolling restart with HTTP health checks
 * that never drops below the minimum healthy capacity.
 */
import test from 'ava';
import { appSettled, call, eventually, openEventStream, startMarathonCluster, type Json } from './support/marathon-cluster.ts';

test('an app of 5 sleep instances is deployed, scaled, killed and replaced, and deleted; the event stream sees its deployment', async (t) => {
  const c = await startMarathonCluster(t, [{}, {}]);
  const m = c.marathon.url;
  const stream = openEventStream(m, '?event_type=deployment_success&event_type=deployment_info');
  t.teardown(() => stream.close());
  await stream.ready;

  const created = await call(m, 'POST', '/v2/apps', { id: '/sleepy', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 5 });
  t.is(created.status, 201, created.text);
  t.is(created.headers.get('location'), `${m}/v2/apps/sleepy`);
  t.is(created.body.id, '/sleepy');
  const deploymentId = created.body.deployments[0].id as string;
  t.truthy(deploymentId);

  const five = await appSettled(m, '/sleepy', 5);
  t.is(new Set(five.map((task) => task.id)).size, 5);
  await eventually(async () => stream.events.some((e) => e.eventType === 'deployment_success' && e.id === deploymentId), 'deployment_success on /v2/events');
  t.true(stream.events.some((e) => e.eventType === 'deployment_info' && e.plan.id === deploymentId));
  t.false(stream.events.some((e) => e.eventType !== 'deployment_info' && e.eventType !== 'deployment_success'), 'event_type filters the stream');

  // Scale up and down through PUT (partial update) and PATCH.
  const up = await call(m, 'PUT', '/v2/apps/sleepy', { instances: 7 });
  t.is(up.status, 200, up.text);
  t.truthy(up.body.deploymentId);
  await appSettled(m, '/sleepy', 7);
  const down = await call(m, 'PATCH', '/v2/apps/sleepy', { instances: 3 });
  t.is(down.status, 200, down.text);
  const three = await appSettled(m, '/sleepy', 3);

  // Kill one task: it is replaced, the count stays.
  const victim = three[0].id as string;
  const killed = await call(m, 'DELETE', `/v2/apps/sleepy/tasks/${victim}`);
  t.is(killed.status, 200, killed.text);
  t.is(killed.body.task.id, victim);
  const replaced = await eventually(async () => {
    const tasks = await appSettled(m, '/sleepy', 3);
    return tasks.some((task) => task.id === victim) ? undefined : tasks;
  }, 'the killed task to be replaced');
  t.is(replaced.length, 3);

  // Kill one with scale=true: not replaced, instances drops to 2.
  const scaled = await call(m, 'POST', '/v2/tasks/delete?scale=true', { ids: [replaced[0].id] });
  t.is(scaled.status, 200, scaled.text);
  await appSettled(m, '/sleepy', 2);
  t.is((await call(m, 'GET', '/v2/apps/sleepy')).body.app.instances, 2);

  // Versions: create, scale, scale, scale.
  const versions = await call(m, 'GET', '/v2/apps/sleepy/versions');
  t.is(versions.status, 200);
  t.true(versions.body.versions.length >= 4);

  const deleted = await call(m, 'DELETE', '/v2/apps/sleepy');
  t.is(deleted.status, 200, deleted.text);
  await eventually(async () => (await call(m, 'GET', '/v2/apps/sleepy')).status === 404, 'the app to be gone');
  await eventually(async () => (await call(m, 'GET', '/v2/tasks')).body.tasks.length === 0, 'its tasks to be gone');
});

test('bad input: 400 for bad JSON, 422 with paths for invalid definitions, 404 and 409 with Marathon\'s shapes; nothing is persisted', async (t) => {
  const c = await startMarathonCluster(t, [{}]);
  const m = c.marathon.url;

  const badJson = await call(m, 'POST', '/v2/apps', '{"id": "/x", "cmd": ');
  t.is(badJson.status, 400, badJson.text);
  t.is(typeof badJson.body.message, 'string');

  const invalid = await call(m, 'POST', '/v2/apps', { id: '/bad', cmd: 'sleep 1', cpus: -1, instances: 1 });
  t.is(invalid.status, 422, invalid.text);
  t.is(invalid.body.message, 'Object is not valid');
  t.true((invalid.body.details as Json[]).some((d) => d.path === '/cpus' && d.errors.length > 0), invalid.text);

  const badId = await call(m, 'POST', '/v2/apps', { id: '/Not_Valid!', cmd: 'sleep 1' });
  t.is(badId.status, 422, badId.text);
  t.true((badId.body.details as Json[]).some((d) => d.path === '/id'), badId.text);

  t.is((await call(m, 'GET', '/v2/apps/bad')).status, 404);
  t.deepEqual((await call(m, 'GET', '/v2/apps')).body.apps, []);
  t.deepEqual((await call(m, 'GET', '/v2/deployments')).body, []);

  // 409: an app held by a deployment (it cannot finish: it asks for more than the agent has).
  const big = await call(m, 'POST', '/v2/apps', { id: '/big', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 1000 });
  t.is(big.status, 201, big.text);
  const locked = await call(m, 'PUT', '/v2/apps/big', { instances: 2 });
  t.is(locked.status, 409, locked.text);
  t.deepEqual(locked.body.deployments, [{ id: big.body.deployments[0].id }]);
  t.regex(locked.body.message, /locked by one or more deployments/);
  const exists = await call(m, 'POST', '/v2/apps', { id: '/big', cmd: 'sleep 1' });
  t.is(exists.status, 409, exists.text);
  t.is(exists.body.message, 'An app with id [/big] already exists.');

  // /v2/queue says why the rest does not start.
  const queue = await eventually(async () => {
    const q = await call(m, 'GET', '/v2/queue');
    const entry = (q.body.queue as Json[]).find((e) => e.app.id === '/big');
    return entry && entry.processedOffersSummary.processedOffersCount > 0 ? entry : undefined;
  }, '/v2/queue to report offers processed for /big');
  t.true(queue.count > 0);

  // force: the new definition replaces the locked one; the old deployment is gone.
  const forced = await call(m, 'PUT', '/v2/apps/big?force=true', { instances: 2 });
  t.is(forced.status, 200, forced.text);
  await appSettled(m, '/big', 2);
  t.deepEqual((await call(m, 'GET', '/v2/deployments')).body, []);
});

test('UNIQUE hostname and GROUP_BY rack spread instances across agents with distinct attributes; what cannot be placed waits in /v2/queue', async (t) => {
  const c = await startMarathonCluster(t, [
    { hostname: 'a1.test', attributes: 'rack:r1' },
    { hostname: 'a2.test', attributes: 'rack:r1' },
    { hostname: 'a3.test', attributes: 'rack:r2' },
  ]);
  const m = c.marathon.url;

  const unique = await call(m, 'POST', '/v2/apps', { id: '/uniq', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 3, constraints: [['hostname', 'UNIQUE']] });
  t.is(unique.status, 201, unique.text);
  const u = await appSettled(m, '/uniq', 3);
  t.deepEqual(u.map((task) => task.host).sort(), ['a1.test', 'a2.test', 'a3.test']);

  // A fourth has no host left: it waits, and /v2/queue says why.
  t.is((await call(m, 'PUT', '/v2/apps/uniq', { instances: 4 })).status, 200);
  const waiting = await eventually(async () => {
    const q = await call(m, 'GET', '/v2/queue');
    const e = (q.body.queue as Json[]).find((x) => x.app.id === '/uniq');
    return e && e.processedOffersSummary.rejectSummaryLastOffers?.some((r: Json) => r.reason === 'UnfulfilledConstraint' && r.declined > 0) ? e : undefined;
  }, '/v2/queue to report UnfulfilledConstraint for /uniq');
  t.is(waiting.count, 1);

  const grouped = await call(m, 'POST', '/v2/apps', { id: '/spread', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 4, constraints: [['rack', 'GROUP_BY', '2']] });
  t.is(grouped.status, 201, grouped.text);
  const g = await appSettled(m, '/spread', 4);
  const perRack = { r1: 0, r2: 0 };
  for (const task of g) perRack[task.host === 'a3.test' ? 'r2' : 'r1'] += 1;
  t.deepEqual(perRack, { r1: 2, r2: 2 });
});

test('a rolling restart of an HTTP app with health checks never drops below the minimum healthy capacity', async (t) => {
  // Marathon probes the agent's hostname: here it must resolve (to loopback); the agents share the
  // host, so their port ranges must not overlap (the servers bind the ports they are given).
  const c = await startMarathonCluster(t, [
    { hostname: '127.0.0.1', resources: 'cpus:4;mem:4096;disk:4096;ports:[31000-31499]' },
    { hostname: 'localhost', resources: 'cpus:4;mem:4096;disk:4096;ports:[31500-31999]' },
  ]);
  const m = c.marathon.url;
  const app = {
    id: '/web',
    cmd: 'exec python3 -m http.server $PORT0 --bind 127.0.0.1',
    cpus: 0.1,
    mem: 64,
    instances: 3,
    healthChecks: [{ protocol: 'HTTP', path: '/', portIndex: 0, gracePeriodSeconds: 30, intervalSeconds: 1, timeoutSeconds: 2, maxConsecutiveFailures: 5 }],
    upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 },
  };
  const created = await call(m, 'POST', '/v2/apps', app);
  t.is(created.status, 201, created.text);
  const healthy = (task: Json) => task.state === 'TASK_RUNNING' && (task.healthCheckResults ?? []).length > 0 && task.healthCheckResults.every((h: Json) => h.alive);
  const first = await eventually(async () => {
    const tasks = await appSettled(m, '/web', 3);
    return tasks.filter(healthy).length === 3 ? tasks : undefined;
  }, 'three healthy web tasks');
  const oldIds = new Set(first.map((task) => task.id));

  const restart = await call(m, 'POST', '/v2/apps/web/restart');
  t.is(restart.status, 200, restart.text);
  t.truthy(restart.body.deploymentId);
  // minimumHealthCapacity 0.5 of 3: at least 2 healthy at every sample, until the restart is done.
  let lowest = 3;
  await eventually(async () => {
    const r = await call(m, 'GET', '/v2/apps/web');
    const tasks = r.body.app.tasks as Json[];
    lowest = Math.min(lowest, tasks.filter(healthy).length);
    const fresh = tasks.filter((task) => !oldIds.has(task.id) && healthy(task));
    return r.body.app.deployments.length === 0 && fresh.length === 3 && tasks.length === 3;
  }, 'the restart to replace every task with a healthy one', 120_000);
  t.true(lowest >= 2, `healthy tasks dropped to ${lowest}`);
});
