import test from 'ava';
import { readFileSync } from 'node:fs';
import { asPathId } from '../model.ts';
import { pythonModel, unknownKeys } from '../app/python-client-models.ts';
import { appDef, deployment, FakeService, instance, T0 } from './test-fixtures.ts';
import { call, makeApp } from './test-app.ts';
import { masterUiUrl } from './info-routes.ts';

const FIXTURES = '/work/shared/fixtures/marathon-api-examples';
const fixture = (name: string) => JSON.parse(readFileSync(`${FIXTURES}/${name}`, 'utf8'));
const keysOf = (o: object) => Object.keys(o).sort();

function service(): FakeService {
  const s = new FakeService([appDef('/prod/web'), appDef('/tools/registry', { portDefinitions: [{ port: 5000, protocol: 'tcp' }] })]);
  s.insts = [
    instance('/prod/web', 1, { region: 'primary', zone: 'a' }),
    instance('/prod/web', 2, { state: 'TASK_STAGING', condition: 'Staging', startedAt: undefined }),
    instance('/tools/registry', 1, { host: 'srv2' }),
  ];
  return s;
}

// ---- /v2/tasks ---------------------------------------------------------------------------------
test('GET /v2/tasks: {tasks} with the fixture\'s fields, python-marathon compatible', async (t) => {
  const { app } = makeApp(service());
  const r = await call(app, 'GET', '/v2/tasks');
  t.is(r.status, 200);
  t.is(r.json.tasks.length, 3);
  const fixtureTask = fixture('tasks.json').tasks[0];
  // every field the fixture shows is there (the rest are python-accepted extras)
  for (const k of Object.keys(fixtureTask)) t.true(k in r.json.tasks[0], k);
  const py = pythonModel('task.py', 'MarathonTask');
  for (const task of r.json.tasks) t.deepEqual(unknownKeys(py, task), []);
  t.deepEqual(r.json.tasks[2].servicePorts, [5000]);
});

// Marathon knows running and staging (by condition) and ignores other values.
const statusRows: [string, number][] = [['running', 2], ['staging', 1], ['RUNNING', 2], ['killed', 3], ['running&status[]=staging', 3]];
for (const [status, n] of statusRows) {
  test(`GET /v2/tasks?status=${status} -> ${n} tasks`, async (t) => {
    const { app } = makeApp(service());
    t.is((await call(app, 'GET', `/v2/tasks?status=${status}`)).json.tasks.length, n);
  });
}

test('GET /v2/tasks as text/plain: one line per app and service port, running tasks only', async (t) => {
  const { app } = makeApp(service());
  const r = await call(app, 'GET', '/v2/tasks', undefined, { accept: 'text/plain' });
  t.is(r.text, 'prod_web\t10000\thost-1:31001\t\ntools_registry\t5000\tsrv2:31001\t\n');
});

test('POST /v2/tasks/delete: kills the known ids, ignores unknown ones; scale answers a deployment', async (t) => {
  const { app, service: s } = makeApp(service());
  const r = await call(app, 'POST', '/v2/tasks/delete', { ids: ['prod_web.instance-00000001._app.1', 'prod_web.instance-99999999._app.1'] });
  t.is(r.status, 200);
  t.deepEqual(r.json.tasks.map((x: { id: string }) => x.id), ['prod_web.instance-00000001._app.1']);
  t.deepEqual(s.calls[0].args, [['prod_web.instance-00000001._app.1'], { force: false, scale: false, wipe: false }]);
  const scaled = await call(app, 'POST', '/v2/tasks/delete?scale=true&force=true', { ids: ['tools_registry.instance-00000001._app.1'] });
  t.deepEqual(scaled.json, { deploymentId: 'dep-kill', version: '2026-11-22T11:00:00.000Z' });
  t.deepEqual(s.calls[1].args[1], { force: true, scale: true, wipe: false });
});

const killRejects: [string, unknown, number][] = [
  ['/v2/tasks/delete?scale=true&wipe=true', { ids: [] }, 400],
  ['/v2/tasks/delete', { ids: 'x' }, 400],
  ['/v2/tasks/delete', '{nope', 400],
  ['/v2/tasks/delete?wipe=yes', { ids: [] }, 400],
  ['/v2/tasks/delete', { ids: ['prod_web.instance-00000001._app.1', 'no-dot'] }, 400],
];
for (const [url, body, status] of killRejects) {
  test(`POST ${url} ${JSON.stringify(body)} -> ${status}, nothing killed`, async (t) => {
    const { app, service: s } = makeApp(service());
    t.is((await call(app, 'POST', url, body)).status, status);
    t.deepEqual(s.calls, []);
  });
}

// ---- /v2/deployments -----------------------------------------------------------------------------
test('GET /v2/deployments: the deployments with their current actions and readiness results', async (t) => {
  const s = service();
  s.deps = [deployment('97c136bf', {
    affectedApps: [asPathId('/prod/web')],
    steps: [{ actions: [{ action: 'ScaleApplication', app: asPathId('/prod/web') }] }],
  })];
  s.readinessResults.set('/prod/web', [{ name: 'ready', taskId: 't1', ready: false, lastResponse: { status: 500, contentType: 'application/json', body: '{}' } }]);
  const { app } = makeApp(s);
  const r = await call(app, 'GET', '/v2/deployments');
  t.is(r.status, 200);
  t.is(r.json.length, 1);
  t.like(r.json[0], { id: '97c136bf', currentStep: 1, totalSteps: 1, affectedApps: ['/prod/web'] });
  t.deepEqual(r.json[0].currentActions, [{
    action: 'ScaleApplication', app: '/prod/web',
    readinessCheckResults: [{ name: 'ready', taskId: 't1', ready: false, lastResponse: { status: 500, contentType: 'application/json', body: '{}' } }],
  }]);
  const py = pythonModel('deployment.py', 'MarathonDeployment');
  t.deepEqual(unknownKeys(py, r.json[0]), []);
  t.deepEqual(keysOf(r.json[0]), keysOf(fixture('deployments.json')[0]));
});

test('DELETE /v2/deployments/{id}: 200 rollback deployment; force=true 202 with no body; unknown 404', async (t) => {
  const s = service();
  s.deps = [deployment('d1')];
  const { app } = makeApp(s);
  const rollback = await call(app, 'DELETE', '/v2/deployments/d1');
  t.is(rollback.status, 200);
  t.deepEqual(rollback.json, { deploymentId: 'dep-1', version: '2026-11-22T11:00:00.000Z' });
  const forced = await call(app, 'DELETE', '/v2/deployments/d1?force=true');
  t.is(forced.status, 202);
  t.is(forced.text, '');
  t.deepEqual(s.calls.map((c) => c.args), [['d1', { force: false }], ['d1', { force: true }]]);
  const unknown = await call(app, 'DELETE', '/v2/deployments/nope');
  t.is(unknown.status, 404);
  t.deepEqual(unknown.json, { message: 'DeploymentPlan nope does not exist' });
  t.is(s.calls.length, 2);
});

// ---- /v2/groups --------------------------------------------------------------------------------
test('GET /v2/groups: the root with groups and apps embedded by default; no enforceRole (python-marathon)', async (t) => {
  const s = service();
  const { app } = makeApp(s);
  const r = await call(app, 'GET', '/v2/groups');
  t.is(r.status, 200);
  t.is(r.json.id, '/');
  t.deepEqual(r.json.groups.map((g: { id: string }) => g.id), ['/prod', '/tools']);
  t.deepEqual(r.json.groups[0].apps.map((a: { id: string }) => a.id), ['/prod/web']);
  const pyGroup = pythonModel('group.py', 'MarathonGroup');
  const pyApp = pythonModel('app.py', 'MarathonApp');
  const walk = (g: Record<string, any>) => {
    t.deepEqual(unknownKeys(pyGroup, g), []);
    for (const a of g.apps ?? []) t.deepEqual(unknownKeys(pyApp, a), []);
    for (const c of g.groups ?? []) walk(c);
  };
  walk(r.json);
});

test('GET /v2/groups/{id}?embed=group.apps&embed=group.apps.counts: apps with counts, no sub-groups', async (t) => {
  const { app } = makeApp(service());
  const r = await call(app, 'GET', '/v2/groups/prod?embed=group.apps&embed=group.apps.counts');
  t.is(r.status, 200);
  t.is(r.json.groups, undefined);
  t.like(r.json.apps[0], { id: '/prod/web', tasksRunning: 1, tasksStaged: 1 });
  const onlyGroups = await call(app, 'GET', '/v2/groups?embed=group.groups');
  t.is(onlyGroups.json.apps, undefined);
  t.is(onlyGroups.json.groups[0].apps, undefined);
});

test('GET /v2/groups/{id} unknown: 404 "Group \'/x\' does not exist"; versions lists the current one', async (t) => {
  const { app } = makeApp(service());
  t.deepEqual((await call(app, 'GET', '/v2/groups/nope')).json, { message: "Group '/nope' does not exist" });
  t.deepEqual((await call(app, 'GET', '/v2/groups/prod/versions')).json, [T0]);
});

test('POST /v2/groups: 201 with the deployment; an existing id is a 409 and no change', async (t) => {
  const { app, service: s } = makeApp(service());
  const r = await call(app, 'POST', '/v2/groups', { id: '/batch', apps: [{ id: 'worker', cmd: 'w' }] });
  t.is(r.status, 201);
  t.deepEqual(r.json, { deploymentId: 'dep-1', version: '2026-11-22T11:00:00.000Z' });
  t.is(s.calls[0].method, 'putGroup');
  const [g, opts] = s.calls[0].args as [{ id: string; apps: { id: string }[] }, unknown];
  t.is(g.id, '/batch');
  t.is(g.apps[0].id, '/batch/worker');
  t.deepEqual(opts, { force: false, create: true });
  const again = await call(app, 'POST', '/v2/groups', { id: '/prod' });
  t.is(again.status, 409);
  t.deepEqual(again.json, { message: 'Group /prod is already created. Use PUT to change this group.' });
  t.is(s.calls.length, 1);
});

test('PUT /v2/groups/{id} {scaleBy}: scales the group; unknown group 404; bad factor 422', async (t) => {
  const { app, service: s } = makeApp(service());
  const r = await call(app, 'PUT', '/v2/groups/prod', { scaleBy: 2 });
  t.is(r.status, 200);
  t.deepEqual(s.calls[0], { method: 'scaleGroup', args: ['/prod', 2, { force: false }] });
  t.is((await call(app, 'PUT', '/v2/groups/nope', { scaleBy: 2 })).status, 404);
  t.is((await call(app, 'PUT', '/v2/groups/prod', { scaleBy: 'x' })).status, 422);
  t.is(s.calls.length, 1);
});

test('GET /v2/groups/{id}/apps: the subtree\'s apps as an array; POST over an app\'s path is a 409; dryRun is refused', async (t) => {
  const { app, service: s } = makeApp(service());
  const r = await call(app, 'GET', '/v2/groups/prod/apps');
  t.is(r.status, 200);
  t.deepEqual(r.json.map((a: { id: string }) => a.id), ['/prod/web']);
  t.deepEqual((await call(app, 'GET', '/v2/groups/apps')).json.map((a: { id: string }) => a.id), ['/prod/web', '/tools/registry']);
  const clash = await call(app, 'POST', '/v2/groups', { id: '/prod/web' });
  t.is(clash.status, 409);
  t.deepEqual(clash.json, { message: 'An app with the path /prod/web already exists.' });
  t.is((await call(app, 'PUT', '/v2/groups/prod?dryRun=true', { apps: [] })).status, 501);
  t.deepEqual(s.calls, []);
});

test('PUT /v2/groups/{id} with a group body replaces it; DELETE /v2/groups/{id} deletes it', async (t) => {
  const { app, service: s } = makeApp(service());
  const r = await call(app, 'PUT', '/v2/groups/prod?force=true', { apps: [{ id: '/prod/api', cmd: 'a' }] });
  t.is(r.status, 200);
  const [g, opts] = s.calls[0].args as [{ id: string }, unknown];
  t.is(g.id, '/prod');
  t.deepEqual(opts, { force: true, create: false });
  const d = await call(app, 'DELETE', '/v2/groups/prod');
  t.is(d.status, 200);
  t.deepEqual(s.calls[1], { method: 'deleteGroup', args: ['/prod', { force: false }] });
  t.is((await call(app, 'DELETE', '/v2/groups/nope')).status, 404);
  t.is(s.calls.length, 2);
});

// ---- /v2/queue ---------------------------------------------------------------------------------
test('GET /v2/queue: the fixture\'s shape (without role), lastUnusedOffers only when embedded, python compatible', async (t) => {
  const s = service();
  s.queueEntries = [{
    app: appDef('/foo'), count: 2, delay: { timeLeftSeconds: 0, overdue: true }, since: '2016-02-28T16:41:41.090Z',
    stats: {
      processedOffersCount: 123, unusedOffersCount: 123, lastUnusedOfferAt: '2016-02-28T16:41:41.090Z', lastUsedOfferAt: '2016-02-28T16:41:41.090Z',
      rejectSummary: { InsufficientCpus: 75, InsufficientMemory: 15 },
      lastUnusedOffers: [{ offerId: 'offer_123', agentId: 'slave_123', hostname: '1.2.3.4', reasons: ['InsufficientMemory'], timestamp: '2016-02-28T16:41:41.090Z' }],
    },
  }];
  const { app } = makeApp(s);
  const plain = await call(app, 'GET', '/v2/queue');
  t.is(plain.status, 200);
  const item = plain.json.queue[0];
  const fixtureItem = fixture('queue.json').queue[1];
  t.deepEqual(keysOf(item), keysOf(fixtureItem).filter((k) => k !== 'role' && k !== 'lastUnusedOffers'));
  t.deepEqual(keysOf(item.processedOffersSummary), keysOf(fixtureItem.processedOffersSummary));
  // A funnel in Marathon's filter order: each reason sees what the ones before it let through
  // (as the fixture: cpus 75 of 123, memory 15 of the 48 left).
  t.deepEqual(item.processedOffersSummary.rejectSummaryLastOffers, [
    { reason: 'UnfulfilledRole', declined: 0, processed: 123 },
    { reason: 'UnfulfilledConstraint', declined: 0, processed: 123 },
    { reason: 'NoCorrespondingReservationFound', declined: 0, processed: 123 },
    { reason: 'AgentMaintenance', declined: 0, processed: 123 },
    { reason: 'InsufficientCpus', declined: 75, processed: 123 },
    { reason: 'InsufficientMemory', declined: 15, processed: 48 },
    { reason: 'InsufficientDisk', declined: 0, processed: 33 },
    { reason: 'InsufficientGpus', declined: 0, processed: 33 },
    { reason: 'InsufficientPorts', declined: 0, processed: 33 },
    { reason: 'DeclinedScarceResources', declined: 0, processed: 33 },
  ]);
  const embedded = await call(app, 'GET', '/v2/queue?embed=lastUnusedOffers');
  t.deepEqual(keysOf(embedded.json.queue[0].lastUnusedOffers[0]), keysOf(fixtureItem.lastUnusedOffers[0]));
  t.deepEqual(keysOf(embedded.json.queue[0].lastUnusedOffers[0].offer), keysOf(fixtureItem.lastUnusedOffers[0].offer));
  const py = pythonModel('queue.py', 'MarathonQueueItem');
  t.deepEqual(unknownKeys(py, embedded.json.queue[0]), []);
});

test('DELETE /v2/queue/{id}/delay: 204 for an app in the launch queue; 404 with Marathon\'s message otherwise (known but not queued, unknown)', async (t) => {
  const base = service();
  base.queueEntries = [{
    app: base.app(asPathId('/prod/web'))!, count: 1, delay: { timeLeftSeconds: 30, overdue: false }, since: T0,
    stats: { processedOffersCount: 0, unusedOffersCount: 0, rejectSummary: {}, lastUnusedOffers: [] },
  }];
  const { app, service: s } = makeApp(base);
  const r = await call(app, 'DELETE', '/v2/queue/prod/web/delay');
  t.is(r.status, 204);
  t.is(r.text, '');
  t.deepEqual(s.calls[0], { method: 'resetDelay', args: ['/prod/web'] });
  const notQueued = await call(app, 'DELETE', '/v2/queue/tools/registry/delay');
  t.is(notQueued.status, 404);
  t.deepEqual(notQueued.json, { message: 'Application /tools/registry not found in tasks queue.' });
  const unknown = await call(app, 'DELETE', '/v2/queue/nope/delay');
  t.is(unknown.status, 404);
  t.deepEqual(unknown.json, { message: 'Application /nope not found in tasks queue.' });
  t.is(s.calls.length, 1, 'only the queued app\'s delay was reset');
});

// ---- info, leader, ping, metrics -----------------------------------------------------------------
test('GET /v2/info: the fixture\'s top-level shape; marathon_config keys python-marathon accepts', async (t) => {
  const { app } = makeApp(service());
  const r = await call(app, 'GET', '/v2/info');
  t.is(r.status, 200);
  t.deepEqual(keysOf(r.json), keysOf(fixture('info.json')));
  t.like(r.json, { name: 'marathon', version: '1.9.0-maestro', elected: true, leader: 'localhost:8080', frameworkId: 'fw-1' });
  t.deepEqual(r.json.http_config, { http_port: 8080 });
  const pyConfig = pythonModel('info.py', 'MarathonConfig');
  t.deepEqual(Object.keys(r.json.marathon_config).filter((k) => !pyConfig.params.has(k)), []);
  t.like(r.json.marathon_config, { master: 'http://127.0.0.1:5050', framework_name: 'marathon', failover_timeout: 604800, mesos_role: '*' });
});

test('masterUiUrl: mesos_leader_ui_url is a URL with a trailing slash, also from a bare host:port', (t) => {
  const cases: [string, string][] = [
    ['127.0.0.1:5050', 'http://127.0.0.1:5050/'],
    ['http://m:5050', 'http://m:5050/'],
    ['https://m:5050//', 'https://m:5050/'],
  ];
  for (const [given, expected] of cases) t.is(masterUiUrl(given), expected, given);
});

test('GET /v2/leader: {leader}; 404 "There is no leader" when none', async (t) => {
  const s = service();
  const { app } = makeApp(s);
  t.deepEqual((await call(app, 'GET', '/v2/leader')).json, { leader: 'localhost:8080' });
  s.statusValue = { ...s.statusValue, leader: undefined, isLeader: false };
  const none = await call(app, 'GET', '/v2/leader');
  t.is(none.status, 404);
  t.deepEqual(none.json, { message: 'There is no leader' });
});

test('DELETE /v2/leader: 200 {message}, then abdication; 404 when not leading; 501 when no abdication is wired', async (t) => {
  let abdicated = 0;
  const s = service();
  const { app } = makeApp(s, { abdicate: async () => { abdicated++; } });
  const r = await call(app, 'DELETE', '/v2/leader');
  t.is(r.status, 200);
  t.deepEqual(r.json, { message: 'Leadership abdicated' });
  t.is(abdicated, 1);
  s.statusValue = { ...s.statusValue, isLeader: false, leader: undefined };
  const notLeading = await call(app, 'DELETE', '/v2/leader');
  t.is(notLeading.status, 404);
  t.deepEqual(notLeading.json, { message: 'There is no leader' });
  t.is(abdicated, 1);
  const { app: other } = makeApp(service());
  t.is((await call(other, 'DELETE', '/v2/leader')).status, 501);
});

test('GET /ping: pong as text/plain', async (t) => {
  const { app } = makeApp(service());
  const r = await call(app, 'GET', '/ping');
  t.is(r.status, 200);
  t.is(r.text, 'pong');
  t.regex(String(r.headers['content-type']), /^text\/plain/);
});

test('GET /metrics: Dropwizard JSON with values from the service and counted requests; /metrics/prometheus', async (t) => {
  const { app } = makeApp(service());
  await call(app, 'GET', '/v2/apps');
  await call(app, 'GET', '/v2/apps/nope');
  const r = await call(app, 'GET', '/metrics');
  t.is(r.status, 200);
  t.deepEqual(keysOf(r.json), ['counters', 'gauges', 'histograms', 'meters', 'timers', 'version']);
  t.is(r.json.gauges['marathon.apps.active.gauge'].value, 2);
  t.is(r.json.gauges['marathon.groups.active.gauge'].value, 2); // /prod, /tools
  t.is(r.json.gauges['marathon.instances.running.gauge'].value, 2);
  t.is(r.json.gauges['marathon.instances.staged.gauge'].value, 1);
  t.is(r.json.meters['marathon.http.responses.2xx.rate'].count, 1);
  t.is(r.json.meters['marathon.http.responses.4xx.rate'].count, 1);
  t.is(r.json.counters['marathon.http.requests.count'].count, 2);
  const p = await call(app, 'GET', '/metrics/prometheus');
  t.regex(p.text, /^marathon_apps_active_gauge 2$/m);
  t.regex(p.text, /^# TYPE marathon_http_requests_duration_timer_seconds summary$/m);
});

test('unknown routes: 404 with a JSON message', async (t) => {
  const { app } = makeApp(service());
  const r = await call(app, 'GET', '/v2/nothing');
  t.is(r.status, 404);
  t.deepEqual(r.json, { message: 'No route for GET /v2/nothing' });
});

test('/metrics: an open event stream is an active request until it closes', async (t) => {
  const { app } = makeApp(service());
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const port = (app.server.address() as { port: number }).port;
  const controller = new AbortController();
  const res = await fetch(`http://127.0.0.1:${port}/v2/events`, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
  t.is(res.status, 200);
  const active = async () => ((await (await fetch(`http://127.0.0.1:${port}/metrics`)).json()) as { gauges: Record<string, { value: number }> }).gauges['marathon.http.requests.active.gauge'].value;
  t.is(await active(), 2); // the stream and this /metrics request
  controller.abort();
  for (let k = 0; k < 100 && (await active()) !== 1; k++) await new Promise((r) => setTimeout(r, 10));
  t.is(await active(), 1);
});
