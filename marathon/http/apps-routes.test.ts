import test from 'ava';
import { appDef, deployment, FakeService, instance, T0 } from './test-fixtures.ts';
import { call, makeApp } from './test-app.ts';
import { pythonModel, unknownKeys } from '../app/python-client-models.ts';
import fc from 'fast-check';
import { splitAppPath } from './apps-routes.ts';
import type { MarathonEvent } from '../model.ts';
import { asPathId } from '../model.ts';

const pyApp = pythonModel('app.py', 'MarathonApp');
const pyTask = pythonModel('task.py', 'MarathonTask');

function serviceWithWeb(): FakeService {
  const s = new FakeService([
    appDef('/prod/web', { labels: { tier: 'front', env: 'prod' }, cmd: 'python3 -m http.server' }),
    appDef('/prod/db', { labels: { tier: 'back', env: 'prod' }, cmd: 'postgres' }),
    appDef('/dev/web', { labels: { env: 'dev' }, cmd: 'python3 -m http.server' }),
  ]);
  s.insts = [
    instance('/prod/web', 1, { healthy: true }),
    instance('/prod/web', 2, { state: 'TASK_STAGING', condition: 'Staging', startedAt: undefined, healthy: false }),
    instance('/prod/web', 3, { condition: 'Killed', state: 'TASK_KILLED' }),
  ];
  s.deps = [deployment('dep-9', { affectedApps: [asPathId('/prod/web')] })];
  return s;
}

test('GET /v2/apps: every app with counts and deployments (always embedded), keys accepted by python-marathon', async (t) => {
  const { app } = makeApp(serviceWithWeb());
  const r = await call(app, 'GET', '/v2/apps');
  t.is(r.status, 200);
  t.deepEqual(r.json.apps.map((a: { id: string }) => a.id), ['/prod/web', '/prod/db', '/dev/web']);
  const web = r.json.apps[0];
  // counts over active instances: 1 running+healthy, 1 staged+unhealthy; the killed one is not counted
  t.like(web, { tasksStaged: 1, tasksRunning: 1, tasksHealthy: 1, tasksUnhealthy: 1, deployments: [{ id: 'dep-9' }] });
  t.deepEqual(r.json.apps[1].deployments, []);
  t.is(web.tasks, undefined);
  for (const a of r.json.apps) t.deepEqual(unknownKeys(pyApp, a), []);
});

const filterRows: [string, string[]][] = [
  ['?id=WEB', ['/prod/web', '/dev/web']], // case-insensitive substring of the id
  ['?cmd=postgres', ['/prod/db']],
  ['?label=tier==front', ['/prod/web']],
  ['?label=env!=prod', ['/dev/web']],
  ['?label=tier', ['/prod/web', '/prod/db']],
  ['?label=env%20in%20(dev,%20staging)', ['/dev/web']],
  ['?label=env==prod,tier!=front', ['/prod/db']],
  ['?id=prod&cmd=http', ['/prod/web']],
];
for (const [query, ids] of filterRows) {
  test(`GET /v2/apps${query} filters to ${ids.join(',')}`, async (t) => {
    const { app } = makeApp(serviceWithWeb());
    const r = await call(app, 'GET', `/v2/apps${query}`);
    t.is(r.status, 200);
    t.deepEqual(r.json.apps.map((a: { id: string }) => a.id), ids);
  });
}

test('GET /v2/apps with a bad label selector is a 400 with a message', async (t) => {
  const { app } = makeApp(serviceWithWeb());
  const r = await call(app, 'GET', '/v2/apps?label=a%20in%20(b');
  t.is(r.status, 400);
  t.regex(r.json.message, /Invalid label selector/);
});

test('GET /v2/apps?embed=apps.tasks&embed=apps.taskStats&embed=apps.lastTaskFailure embeds them', async (t) => {
  const s = serviceWithWeb();
  s.failures.set('/prod/web', {
    appId: asPathId('/prod/web'), host: 'h', message: 'exited 1', state: 'TASK_FAILED', taskId: 't', instanceId: 'i', slaveId: 'a', timestamp: T0, version: T0,
  });
  const { app } = makeApp(s);
  const r = await call(app, 'GET', '/v2/apps?embed=apps.tasks&embed=apps.taskStats&embed=apps.lastTaskFailure');
  const web = r.json.apps[0];
  t.is(web.tasks.length, 2);
  t.deepEqual(unknownKeys(pyTask, web.tasks[0]), []);
  t.deepEqual(web.lastTaskFailure, { appId: '/prod/web', host: 'h', message: 'exited 1', state: 'TASK_FAILED', taskId: 't', instanceId: 'i', slaveId: 'a', timestamp: T0, version: T0 });
  // totalSummary: 2 active (1 running, 1 staged); lifetime of the started one: 12:00:00 - 10:00:02 = 7198 s
  t.deepEqual(web.taskStats.totalSummary, { stats: { counts: { staged: 1, running: 1, healthy: 1, unhealthy: 1 }, lifeTime: { averageSeconds: 7198, medianSeconds: 7198 } } });
  t.deepEqual(unknownKeys(pyApp, web), []);
});

test('GET /v2/apps/{id}: {app} with counts, tasks, lastTaskFailure and deployments; slashes in the id', async (t) => {
  const { app } = makeApp(serviceWithWeb());
  const r = await call(app, 'GET', '/v2/apps/prod/web');
  t.is(r.status, 200);
  t.is(r.json.app.id, '/prod/web');
  t.is(r.json.app.tasks.length, 2);
  t.deepEqual(r.json.app.tasks[0], {
    id: 'prod_web.instance-00000001._app.1', appId: '/prod/web', host: 'host-1', ports: [31001], servicePorts: [10000], slaveId: 'agent-1',
    state: 'TASK_RUNNING', stagedAt: '2026-11-22T10:00:01.000Z', startedAt: '2026-11-22T10:00:02.000Z', version: T0,
    ipAddresses: [{ ipAddress: '10.0.0.1', protocol: 'IPv4' }], healthCheckResults: [], localVolumes: [], role: '*',
  });
  t.like(r.json.app, { tasksRunning: 1, deployments: [{ id: 'dep-9' }] });
  t.deepEqual(unknownKeys(pyApp, r.json.app), []);
});

test('GET /v2/apps/{group}/* lists the group\'s apps under "*"', async (t) => {
  const { app } = makeApp(serviceWithWeb());
  t.deepEqual((await call(app, 'GET', '/v2/apps/prod/*')).json['*'].map((a: { id: string }) => a.id), ['/prod/web', '/prod/db']);
  t.deepEqual((await call(app, 'GET', '/v2/apps/nope/*')).json, { message: "Group '/nope' does not exist" });
});

test('GET /v2/apps/{id} of an unknown app: 404 with Marathon\'s message', async (t) => {
  const { app } = makeApp(serviceWithWeb());
  const r = await call(app, 'GET', '/v2/apps/prod/nope');
  t.is(r.status, 404);
  t.deepEqual(r.json, { message: "App '/prod/nope' does not exist" });
});

test('POST /v2/apps: 201, Location, deployment header, the app with zero counts and its deployment', async (t) => {
  const { app, service } = makeApp(new FakeService());
  const r = await call(app, 'POST', '/v2/apps', { id: 'new-app', cmd: 'sleep 100', cpus: 0.5, mem: 64 }, { host: 'marathon.example:8080' });
  t.is(r.status, 201);
  t.is(r.headers.location, 'http://marathon.example:8080/v2/apps/new-app');
  t.is(r.headers['marathon-deployment-id'], 'dep-1');
  t.like(r.json, { id: '/new-app', cmd: 'sleep 100', cpus: 0.5, mem: 64, tasksStaged: 0, tasksRunning: 0, tasksHealthy: 0, tasksUnhealthy: 0, deployments: [{ id: 'dep-1' }] });
  t.is(r.json.version, '2026-11-22T12:00:00.000Z');
  t.deepEqual(r.json.portDefinitions, [{ port: 10000, protocol: 'tcp', name: 'default' }], 'the stored definition: its service port assigned');
  t.deepEqual(unknownKeys(pyApp, r.json), []);
  t.is(service.calls.length, 1);
  t.is(service.calls[0].method, 'createApp');
  t.deepEqual(service.calls[0].args[1], { force: false });
});

test('POST /v2/apps of an existing id: 409 "An app with id [/x] already exists." and no change', async (t) => {
  const { app, service } = makeApp(serviceWithWeb());
  const r = await call(app, 'POST', '/v2/apps', { id: '/prod/web', cmd: 'x' });
  t.is(r.status, 409);
  t.deepEqual(r.json, { message: 'An app with id [/prod/web] already exists.' });
  t.deepEqual(service.calls, []);
});

const rejected: [string, string, string, unknown, number, (json: any) => boolean][] = [
  ['bad JSON', 'POST', '/v2/apps', '{"id": "x",', 400, (j) => j.message === 'Invalid JSON' && j.details[0].path === '/'],
  ['a JSON array for one app', 'POST', '/v2/apps', [1], 400, (j) => j.message === 'Invalid JSON'],
  ['an invalid definition', 'POST', '/v2/apps', { id: 'x', cmd: 'y', cpus: -1 }, 422, (j) => j.message === 'Object is not valid' && j.details.some((d: { path: string }) => d.path === '/cpus')],
  ['force=maybe', 'POST', '/v2/apps?force=maybe', { id: 'x', cmd: 'y' }, 400, (j) => /force/.test(j.message)],
  ['PUT bad JSON', 'PUT', '/v2/apps/prod/web', '{', 400, (j) => j.message === 'Invalid JSON'],
  ['PUT invalid', 'PUT', '/v2/apps/prod/web', { mem: 'lots' }, 422, (j) => j.details.some((d: { path: string }) => d.path === '/mem')],
  ['PATCH unknown app', 'PATCH', '/v2/apps/prod/nope', { instances: 2 }, 404, (j) => j.message === "App '/prod/nope' does not exist"],
  ['PUT many: no id', 'PUT', '/v2/apps', [{ instances: 2 }], 422, (j) => j.details[0].path === '/(0)/id'],
  ['PATCH many: unknown app', 'PATCH', '/v2/apps', [{ id: '/nope', instances: 2 }], 404, (j) => j.message === "App '/nope' does not exist"],
  ['DELETE unknown', 'DELETE', '/v2/apps/nope', undefined, 404, (j) => j.message === "App '/nope' does not exist"],
  ['restart unknown', 'POST', '/v2/apps/nope/restart', undefined, 404, (j) => j.message === "App '/nope' does not exist"],
  ['kill scale+wipe', 'DELETE', '/v2/apps/prod/web/tasks?scale=true&wipe=true', undefined, 400, (j) => j.message === 'You cannot use scale and wipe at the same time.'],
  ['kill unknown task', 'DELETE', '/v2/apps/prod/web/tasks/nope', undefined, 404, (j) => j.message === "Task 'nope' does not exist"],
  ['tasks of unknown app', 'DELETE', '/v2/apps/nope/tasks', undefined, 404, (j) => j.message === "App '/nope' does not exist"],
  ['unknown version', 'GET', '/v2/apps/prod/web/versions/2020-01-01T00:00:00.000Z', undefined, 404, (j) => j.message === "App '/prod/web' does not exist in version 2020-01-01T00:00:00.000Z"],
  ['rollback to an unknown version', 'PUT', '/v2/apps/prod/web', { version: '2020-01-01T00:00:00.000Z' }, 404, (j) => /in version/.test(j.message)],
];
for (const [name, method, url, body, status, check] of rejected) {
  test(`rejected, nothing changed: ${name} -> ${status}`, async (t) => {
    const { app, service } = makeApp(serviceWithWeb());
    const r = await call(app, method, url, body);
    t.is(r.status, status);
    t.true(check(r.json), JSON.stringify(r.json));
    t.deepEqual(service.calls, []);
  });
}

test('a refusal of the core is answered as it is (409 locked, with the deployments)', async (t) => {
  const { app, service } = makeApp(serviceWithWeb());
  service.nextResult = {
    ok: false, status: 409, deployments: [{ id: 'dep-9' }],
    message: "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.",
  };
  const r = await call(app, 'PUT', '/v2/apps/prod/web', { instances: 3 });
  t.is(r.status, 409);
  t.deepEqual(r.json, {
    message: "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.",
    deployments: [{ id: 'dep-9' }],
  });
});

test('PUT /v2/apps/{id}: a partial update by default (python scale_app sends only instances); 200 {deploymentId, version}', async (t) => {
  const { app, service } = makeApp(serviceWithWeb());
  const r = await call(app, 'PUT', '/v2/apps/prod/web?force=true', { instances: 5 });
  t.is(r.status, 200);
  t.deepEqual(r.json, { deploymentId: 'dep-1', version: '2026-11-22T11:00:00.000Z' });
  t.is(r.headers['marathon-deployment-id'], 'dep-1');
  const [apps, opts] = service.calls[0].args as [{ id: string; instances: number; cmd: string }[], { force: boolean }];
  t.is(service.calls[0].method, 'putApps');
  t.like(apps[0], { id: '/prod/web', instances: 5, cmd: 'python3 -m http.server' });
  t.deepEqual(opts, { force: true });
});

test('PUT /v2/apps/{id}?partialUpdate=false replaces the definition (unset fields take defaults)', async (t) => {
  const { app, service } = makeApp(serviceWithWeb());
  const r = await call(app, 'PUT', '/v2/apps/prod/web?partialUpdate=false', { cmd: 'new', instances: 2 });
  t.is(r.status, 200);
  const [apps] = service.calls[0].args as [{ labels: Record<string, string>; cmd: string }[]];
  t.is(apps[0].cmd, 'new');
  t.deepEqual(apps[0].labels, {});
});

test('PUT /v2/apps/{id} of a new id creates it: 201 with Location', async (t) => {
  const { app, service } = makeApp(serviceWithWeb());
  const r = await call(app, 'PUT', '/v2/apps/prod/api', { cmd: 'api' });
  t.is(r.status, 201);
  t.regex(String(r.headers.location), /\/v2\/apps\/prod\/api$/);
  t.is((service.calls[0].args[0] as { id: string }[])[0].id, '/prod/api');
});

test('PUT /v2/apps/{id} with a known version rolls back to it (re-versioned now)', async (t) => {
  const s = serviceWithWeb();
  const old = appDef('/prod/web', { cmd: 'old', version: '2026-01-01T00:00:00.000Z' });
  s.versions.set('/prod/web', [old]);
  const { app, service } = makeApp(s);
  const r = await call(app, 'PUT', '/v2/apps/prod/web', { version: '2026-01-01T00:00:00.000Z' });
  t.is(r.status, 200);
  const [apps] = service.calls[0].args as [{ cmd: string; version: string }[]];
  t.like(apps[0], { cmd: 'old', version: '2026-11-22T12:00:00.000Z' });
});

test('PUT /v2/apps: many apps in one change; PATCH /v2/apps merges onto existing ones', async (t) => {
  const { app, service } = makeApp(serviceWithWeb());
  const r = await call(app, 'PUT', '/v2/apps', [{ id: '/prod/web', instances: 4 }, { id: '/new', cmd: 'n' }]);
  t.is(r.status, 200);
  t.deepEqual(r.json, { deploymentId: 'dep-1', version: '2026-11-22T11:00:00.000Z' });
  const [apps] = service.calls[0].args as [{ id: string; instances: number }[]];
  t.deepEqual(apps.map((a) => [a.id, a.instances]), [['/prod/web', 4], ['/new', 1]]);
  const p = await call(app, 'PATCH', '/v2/apps', [{ id: '/prod/db', instances: 0 }]);
  t.is(p.status, 200);
  t.is(service.calls.length, 2);
});

test('DELETE /v2/apps/{id}: force defaults to true (Marathon 1.x); 200 {deploymentId, version}', async (t) => {
  const { app, service } = makeApp(serviceWithWeb());
  const r = await call(app, 'DELETE', '/v2/apps/prod/web');
  t.is(r.status, 200);
  t.deepEqual(service.calls[0], { method: 'deleteApp', args: ['/prod/web', { force: true }] });
  await call(app, 'DELETE', '/v2/apps/prod/db?force=false');
  t.deepEqual(service.calls[1], { method: 'deleteApp', args: ['/prod/db', { force: false }] });
});

test('POST /v2/apps/{id}/restart: a deployment', async (t) => {
  const { app, service } = makeApp(serviceWithWeb());
  const r = await call(app, 'POST', '/v2/apps/prod/web/restart?force=true');
  t.is(r.status, 200);
  t.deepEqual(r.json, { deploymentId: 'dep-1', version: '2026-11-22T11:00:00.000Z' });
  t.deepEqual(service.calls[0], { method: 'restartApp', args: ['/prod/web', { force: true }] });
});

test('GET /v2/apps/{id}/tasks: JSON {tasks} of the active instances, and text/plain', async (t) => {
  const { app } = makeApp(serviceWithWeb());
  const r = await call(app, 'GET', '/v2/apps/prod/web/tasks');
  t.is(r.status, 200);
  t.deepEqual(r.json.tasks.map((x: { id: string }) => x.id), ['prod_web.instance-00000001._app.1', 'prod_web.instance-00000002._app.1']);
  for (const task of r.json.tasks) t.deepEqual(unknownKeys(pyTask, task), []);
  const txt = await call(app, 'GET', '/v2/apps/prod/web/tasks', undefined, { accept: 'text/plain' });
  t.is(txt.status, 200);
  // only the running task is listed: <id>\t<servicePort>\t<host>:<port>\t
  t.is(txt.text, 'prod_web\t10000\thost-1:31001\t\n');
});

test('DELETE /v2/apps/{id}/tasks?host=: kills the app\'s tasks on that host; scale=true answers a deployment', async (t) => {
  const s = serviceWithWeb();
  s.insts = [instance('/prod/web', 1), instance('/prod/web', 2, { host: 'host-2' })];
  const { app, service } = makeApp(s);
  const r = await call(app, 'DELETE', '/v2/apps/prod/web/tasks?host=host-2&wipe=true');
  t.is(r.status, 200);
  t.deepEqual(r.json.tasks.map((x: { host: string }) => x.host), ['host-2']);
  t.deepEqual(service.calls[0].args, [['prod_web.instance-00000002._app.1'], { force: false, scale: false, wipe: true }]);
  const scaled = await call(app, 'DELETE', '/v2/apps/prod/web/tasks?scale=true');
  t.deepEqual(scaled.json, { deploymentId: 'dep-kill', version: '2026-11-22T11:00:00.000Z' });
  t.is((service.calls[1].args[0] as string[]).length, 2);
});

test('DELETE /v2/apps/{id}/tasks/{taskId}: {task} of the killed one (by task or instance id)', async (t) => {
  const { app } = makeApp(serviceWithWeb());
  const r = await call(app, 'DELETE', '/v2/apps/prod/web/tasks/prod_web.instance-00000001._app.1');
  t.is(r.status, 200);
  t.is(r.json.task.id, 'prod_web.instance-00000001._app.1');
  const byInstance = await call(app, 'DELETE', '/v2/apps/prod/web/tasks/prod_web.instance-00000002');
  t.is(byInstance.json.task.id, 'prod_web.instance-00000002._app.1');
});

test('GET /v2/apps/{id}/versions and /versions/{v}', async (t) => {
  const s = serviceWithWeb();
  s.versions.set('/prod/web', [appDef('/prod/web', { version: '2026-11-22T09:00:00.000Z' }), appDef('/prod/web', { version: T0 })]);
  const { app } = makeApp(s);
  t.deepEqual((await call(app, 'GET', '/v2/apps/prod/web/versions')).json, { versions: ['2026-11-22T09:00:00.000Z', T0] });
  const v = await call(app, 'GET', '/v2/apps/prod/web/versions/2026-11-22T09:00:00.000Z');
  t.is(v.status, 200);
  t.is(v.json.version, '2026-11-22T09:00:00.000Z');
  t.deepEqual(unknownKeys(pyApp, v.json), []);
});

test('changes publish api_post_event with the client address, the URI and the definition', async (t) => {
  const published: MarathonEvent[] = [];
  const { app } = makeApp(serviceWithWeb(), { publish: (e) => published.push(e) });
  await call(app, 'POST', '/v2/apps?force=true', { id: '/x', cmd: 'c' });
  await call(app, 'PUT', '/v2/apps/prod/web', { instances: 2 });
  t.deepEqual(published.map((e) => [e.eventType, e.clientIp, e.uri, (e.appDefinition as { id: string }).id]), [
    ['api_post_event', '127.0.0.1', '/v2/apps', '/x'],
    ['api_post_event', '127.0.0.1', '/v2/apps/prod/web', '/prod/web'],
  ]);
  // The definition as stored: its dynamic service port assigned (serviceWithWeb's apps hold 10000).
  t.deepEqual((published[0].appDefinition as { portDefinitions: unknown }).portDefinitions, [{ port: 10001, protocol: 'tcp', name: 'default' }]);
  await call(app, 'POST', '/v2/apps', { id: '/prod/web', cmd: 'c' });
  t.is(published.length, 2); // a refused request publishes nothing
});

test('splitAppPath (property): an app id and a sub-resource suffix come back apart', (t) => {
  const segment = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?$/);
  const id = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
  const taskId = fc.stringMatching(/^[a-z0-9_]{1,8}\.instance-[a-f0-9]{1,8}$/);
  fc.assert(fc.property(id, taskId, (raw, task) => {
    const checks: [string, object][] = [
      [raw, { kind: 'app', raw }],
      [`${raw}/tasks`, { kind: 'tasks', raw }],
      [`${raw}/tasks/${task}`, { kind: 'task', raw, taskId: task }],
      [`${raw}/versions`, { kind: 'versions', raw }],
      [`${raw}/versions/2026-11-22T10:00:00.000Z`, { kind: 'version', raw, version: '2026-11-22T10:00:00.000Z' }],
      [`${raw}/restart`, { kind: 'restart', raw }],
      [`${raw}/*`, { kind: 'groupApps', raw }],
    ];
    return checks.every(([suffix, expected]) => JSON.stringify(splitAppPath(suffix)) === JSON.stringify(expected));
  }));
  t.pass();
});
