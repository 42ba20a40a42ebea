/**
 * Marathon REST compatibility against a real `maestro marathon` (real master, agents and
 * PostgreSQL): every request example of Marathon's published API examples is accepted (app.json
 * too, as published), the response shapes carry the examples' keys, groups deploy
 * dependencies first, scale by a factor and are deleted; deployments roll back or stop; the queue,
 * versions, list filters and embeds, text/plain task lists, /ping, /metrics and the event stream.
 *
 * Deviations from the examples' keys are listed beside each comparison with the reason.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { appSettled, call, eventually, openEventStream, startMarathonCluster, type Json } from './support/marathon-cluster.ts';

const FIXTURES = '/work/shared/fixtures/marathon-api-examples';
const fixture = (name: string): Json => JSON.parse(readFileSync(`${FIXTURES}/${name}`, 'utf8'));

/** Maps whose keys are data, not shape (an app's env, labels, secrets). */
const DATA_MAPS = new Set(['env', 'labels', 'secrets', 'parameters']);

/**
 * The key paths of `expected` (objects: `a.b`; arrays: `a[]`, through their first element) that
 * `actual` lacks. Values are not compared: only the shape. An empty array on either side stops the
 * descent (no element to compare), and so does a data map (DATA_MAPS).
 */
function missingKeys(expected: Json, actual: Json, prefix = ''): string[] {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [prefix];
    if (expected.length === 0 || actual.length === 0) return [];
    return missingKeys(expected[0], actual[0], `${prefix}[]`);
  }
  if (expected === null || typeof expected !== 'object') return [];
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [prefix];
  const out: string[] = [];
  for (const key of Object.keys(expected)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (!(key in actual)) out.push(path);
    else if (!DATA_MAPS.has(key)) out.push(...missingKeys(expected[key], actual[key], path));
  }
  return out;
}

const without = (paths: readonly string[], allowed: readonly string[]): string[] => paths.filter((p) => !allowed.includes(p));

/** The client is Debian's package: Debian's interpreter, isolated (-I: the checkout's marathon/ must not shadow it). */
const DEBIAN_PYTHON = '/usr/bin/python3';

/** Parses the listings of a real marathon with python3-marathon's client and models (argv[1]: its URL). */
const PYTHON_PARSE = `
import sys
from marathon import MarathonClient
c = MarathonClient(sys.argv[1])
apps = c.list_apps(embed_tasks=True, embed_counts=True, embed_deployments=True, embed_readiness=True,
                   embed_last_task_failure=True, embed_task_stats=True)
for a in apps:
    c.get_app(a.id, embed_tasks=True, embed_counts=True, embed_deployments=True, embed_readiness=True,
              embed_last_task_failure=True, embed_task_stats=True)
    c.list_versions(a.id)
c.list_groups()
c.get_group('/tools')
tasks = c.list_tasks()
deployments = c.list_deployments()
queue = c.list_queue(embed_last_unused_offers=True)
c.get_info()
print('apps', len(apps), 'tasks', len(tasks), 'deployments', len(deployments), 'queue', len(queue))
`;

/** The deviations every app response shares with the examples (Marathon ≥ 1.5 serves the same). */
const APP_DEVIATIONS = [
  // Unset optional fields are left out, not written as null (Marathon 1.5+ RAML serialisation).
  'args', 'user', 'container', 'acceptedResourceRoles',
  // The deprecated `uris` and `ports` are read, and served as `fetch` and `portDefinitions`.
  'uris', 'ports',
];

test('every request example is accepted by a real marathon (app.json as published), and the responses carry the examples\' keys; a group deploys its dependency first, scales by a factor and is deleted', async (t) => {
  const c = await startMarathonCluster(t, [{}, {}]);
  const m = c.marathon.url;

  // --- app.json as published (cmd and args together, ipAddress next to ports, PASSWORD naming its
  // secret by source: marathon/app/README.md). It never launches here (role mesos_role, hostname
  // LIKE srv2.*), so it is a shape check.
  const fixedApp = fixture('app.json');
  const foo = await call(m, 'POST', '/v2/apps', fixedApp);
  t.is(foo.status, 201, foo.text);
  const fooGet = await call(m, 'GET', '/v2/apps/foo');
  t.is(fooGet.status, 200, fooGet.text);
  t.deepEqual(without(missingKeys(fixedApp, fooGet.body.app), [
    // docker.portMappings are served as container.portMappings (Marathon 1.5+ migrates them too).
    'container.docker.portMappings',
  ]), []);
  for (const key of ['tasksStaged', 'tasksRunning', 'tasksHealthy', 'tasksUnhealthy', 'deployments', 'tasks', 'version', 'versionInfo']) {
    t.true(key in fooGet.body.app, `GET /v2/apps/{id} has ${key}`);
  }
  // python3-marathon parses it below; its MarathonApp has no `tty` parameter (documented in app-json.ts).
  const { tty: _tty, ...fooForPython } = fixedApp;
  const fooReplaced = await call(m, 'PUT', '/v2/apps/foo?partialUpdate=false&force=true', fooForPython);
  t.is(fooReplaced.status, 200, fooReplaced.text);

  // --- app-simple.json POST, then app_patch.json PATCH as published: the path names the app, the
  // body's id (/foo) is overridden by it, as in Marathon.
  const simple = await call(m, 'POST', '/v2/apps', fixture('app-simple.json'));
  t.is(simple.status, 201, simple.text);
  t.is(simple.body.id, '/simple');
  // The default port definition's port 0 is a dynamic service port, assigned from Marathon's local range.
  t.is(simple.body.portDefinitions.length, 1);
  t.true(simple.body.portDefinitions[0].port >= 10000 && simple.body.portDefinitions[0].port < 20000, simple.text);
  const simpleTasks = await appSettled(m, '/simple', 2);
  const fooVersion = (await call(m, 'GET', '/v2/apps/foo')).body.app.version as string;
  const patch = await call(m, 'PATCH', '/v2/apps/simple', fixture('app_patch.json'));
  t.is(patch.status, 200, patch.text);
  t.is((await call(m, 'GET', '/v2/apps/foo')).body.app.version, fooVersion, 'the body id (/foo) changes nothing there');
  t.truthy(patch.body.deploymentId);
  t.deepEqual(Object.keys(patch.body).sort(), Object.keys(fixture('deployments_result.json')).sort());

  // --- apps_create.json: PUT /v2/apps with both apps (the first depends on an app that does not exist here:
  // Marathon accepts dependencies on unknown ids, so do we). Then apps_patch.json PATCH /v2/apps.
  const created = await call(m, 'PUT', '/v2/apps', fixture('apps_create.json'));
  t.is(created.status, 200, created.text);
  t.deepEqual(Object.keys(created.body).sort(), ['deploymentId', 'version']);
  await appSettled(m, '/test/sleep120', 2);
  await appSettled(m, '/test/sleep60', 2);
  const patched = await call(m, 'PATCH', '/v2/apps', fixture('apps_patch.json'));
  t.is(patched.status, 200, patched.text);
  t.truthy(patched.body.deploymentId);

  // --- app-check-http-example.json: `check` is the pods-era field; Marathon 1.x apps accept it as
  // an unknown field. python3 serves $PORT0 on the agent; accepted and launched.
  const http = await call(m, 'POST', '/v2/apps', fixture('app-check-http-example.json'));
  t.is(http.status, 201, http.text);
  t.is(http.body.id, '/http-index-test');
  t.deepEqual(http.body.portDefinitions.map((p: Json) => p.name), ['http']);

  // --- response shapes.
  const list = await call(m, 'GET', '/v2/apps');
  t.is(list.status, 200);
  const listed = (list.body.apps as Json[]).find((a) => a.id === '/simple');
  t.deepEqual(without(missingKeys(fixture('app_list.json').apps[0], listed), APP_DEVIATIONS), []);

  const appTasks = await call(m, 'GET', '/v2/apps/simple/tasks');
  t.is(appTasks.status, 200);
  t.is(appTasks.body.tasks.length, 2);
  // region/zone: the agents here declare no fault domain; Marathon leaves them out then too.
  t.deepEqual(without(missingKeys(fixture('app_tasks.json'), appTasks.body), ['tasks[].region', 'tasks[].zone']), []);
  t.deepEqual(new Set(appTasks.body.tasks.map((x: Json) => x.id)), new Set(simpleTasks.map((x) => x.id)));

  const tasks = await call(m, 'GET', '/v2/tasks');
  t.is(tasks.status, 200);
  t.deepEqual(without(missingKeys(fixture('tasks.json'), tasks.body), ['tasks[].region', 'tasks[].zone']), []);

  const info = await call(m, 'GET', '/v2/info');
  t.is(info.status, 200);
  // zookeeper_config is empty: there is no ZooKeeper (state is in PostgreSQL). marathon_config
  // lists the settings this marathon has; Marathon's tuning knobs it has no counterpart for
  // (launch tokens, store cache, reconciliation and scale intervals, ...) are left out, not invented.
  // https_port: no HTTPS listener.
  const infoMissing = missingKeys(fixture('info.json'), info.body);
  t.deepEqual(infoMissing.filter((k) => !k.startsWith('zookeeper_config.') && !k.startsWith('marathon_config.') && k !== 'http_config.https_port'), []);
  for (const key of ['checkpoint', 'executor', 'failover_timeout', 'framework_name', 'hostname', 'local_port_min', 'local_port_max', 'master', 'mesos_role', 'webui_url']) {
    t.true(key in info.body.marathon_config, `marathon_config.${key}`);
  }
  t.true(info.body.elected);
  t.is(info.body.marathon_config.mesos_leader_ui_url, `${c.master.url.replace(/\/+$/, '')}/`);
  t.is(info.body.frameworkId.length > 0, true);

  // --- group.json: POST /v2/groups of the root group as published. Adapted: its apps run Docker
  // images that cannot be pulled here (no network), so their `container` is replaced by a sleep
  // command; everything else is sent as is. It cannot finish here (UNIQUE hostnames for 5
  // instances on 2 agents, 4096 MB + 1024 MB on 4096 MB agents): accepted, then deleted with force.
  const groupJson = fixture('group.json');
  const adapt = (g: Json): Json => ({
    ...g,
    apps: g.apps.map(({ container: _c, ...app }: Json) => ({ ...app, cmd: 'sleep 1000' })),
    groups: g.groups.map(adapt),
  });
  const group = await call(m, 'POST', '/v2/groups', adapt(groupJson).groups[0]);
  t.is(group.status, 201, group.text);
  t.truthy(group.body.deploymentId);
  const deployments = await eventually(async () => {
    const d = await call(m, 'GET', '/v2/deployments');
    return (d.body as Json[]).some((x) => x.id === group.body.deploymentId) ? d : undefined;
  }, 'the group deployment in /v2/deployments');
  // affectedPods: there are no pods. readinessCheckResults: only for apps with readiness checks.
  t.deepEqual(without(missingKeys(fixture('deployments.json'), deployments.body), ['[].affectedPods', '[].currentActions[].readinessCheckResults']), []);
  const queue = await eventually(async () => {
    const q = await call(m, 'GET', '/v2/queue');
    return (q.body.queue as Json[]).some((e) => e.app.id === '/tools/docker/registry') ? q : undefined;
  }, 'the registry app (too big for any agent) to wait in /v2/queue');
  // role: python-marathon 0.13 refuses it (documented in marathon/http/README.md); lastUnusedOffers only with embed.
  t.deepEqual(without(missingKeys(fixture('queue.json'), queue.body), ['queue[].role', ...APP_DEVIATIONS.map((k) => `queue[].app.${k}`)]), []);
  const root = await call(m, 'GET', '/v2/groups');
  t.is(root.status, 200);
  t.deepEqual(without(missingKeys(groupJson, root.body), APP_DEVIATIONS.map((k) => `groups[].apps[].${k}`)), []);
  const tools = await call(m, 'GET', '/v2/groups/tools');
  t.deepEqual((tools.body.apps as Json[]).map((a) => a.id).sort(), ['/tools/datadog-agent', '/tools/oauth-server']);
  t.deepEqual((tools.body.groups as Json[]).map((g) => g.id).sort(), ['/tools/docker', '/tools/log']);
  // python3-marathon (unmodified) parses every listing of this real state into its models: /foo
  // (docker, port mappings, volumes, readiness checks, secrets, fetch), the group.json apps, the
  // running ones with tasks, the deployments and the queue.
  const py = spawnSync(DEBIAN_PYTHON, ['-I', '-c', PYTHON_PARSE, m], { encoding: 'utf8', timeout: 60_000 });
  t.is(py.status, 0, `${py.stdout}\n${py.stderr}`);
  t.regex(py.stdout, /^apps \d+ tasks \d+ deployments [1-9]\d* queue [1-9]\d*/);
  t.is((await call(m, 'DELETE', '/v2/apps/foo?force=true')).status, 200);

  const gone = await call(m, 'DELETE', '/v2/groups/tools?force=true');
  t.is(gone.status, 200, gone.text);
  await eventually(async () => (await call(m, 'GET', '/v2/groups/tools')).status === 404, '/tools to be gone');
  await eventually(async () => !((await call(m, 'GET', '/v2/tasks')).body.tasks as Json[]).some((x) => x.appId.startsWith('/tools/')), '/tools tasks to be gone');

  // --- a group whose web app depends on its db app: db runs before web is launched.
  const stream = openEventStream(m, '?event_type=deployment_info&event_type=deployment_success');
  t.teardown(() => stream.close());
  await stream.ready;
  const dep = await call(m, 'POST', '/v2/groups', {
    id: '/shop',
    apps: [
      { id: 'web', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 1, dependencies: ['/shop/db'] },
      { id: 'db', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 1 },
    ],
  });
  t.is(dep.status, 201, dep.text);
  const depId = dep.body.deploymentId as string;
  const webTask = (await appSettled(m, '/shop/web', 1))[0];
  const dbTask = (await appSettled(m, '/shop/db', 1))[0];
  t.true(Date.parse(webTask.stagedAt) >= Date.parse(dbTask.startedAt), `web staged ${webTask.stagedAt} before db started ${dbTask.startedAt}`);
  const plan = (await eventually(async () => stream.events.find((e) => e.eventType === 'deployment_info' && e.plan.id === depId), 'deployment_info of the group')).plan;
  const stepOf = (appId: string) => (plan.steps as Json[]).findIndex((s) => (s.actions as Json[]).some((a) => a.app === appId && a.action !== 'StartApplication'));
  t.true(stepOf('/shop/db') >= 0 && stepOf('/shop/db') < stepOf('/shop/web'), JSON.stringify(plan.steps));
  await eventually(async () => stream.events.some((e) => e.eventType === 'deployment_success' && e.id === depId), 'deployment_success of the group');

  const scaled = await call(m, 'PUT', '/v2/groups/shop', { scaleBy: 2 });
  t.is(scaled.status, 200, scaled.text);
  t.truthy(scaled.body.deploymentId);
  await appSettled(m, '/shop/db', 2);
  await appSettled(m, '/shop/web', 2);

  const removed = await call(m, 'DELETE', '/v2/groups/shop');
  t.is(removed.status, 200, removed.text);
  t.truthy(removed.body.deploymentId);
  await eventually(async () => (await call(m, 'GET', '/v2/groups/shop')).status === 404, '/shop to be gone');
  await eventually(async () => !((await call(m, 'GET', '/v2/tasks')).body.tasks as Json[]).some((x) => x.appId.startsWith('/shop/')), '/shop tasks to be gone');
});

test('deployments roll back or stop; queue delay, versions, list filters and embeds, text/plain tasks, /ping, /metrics and status_update_event on /v2/events', async (t) => {
  const c = await startMarathonCluster(t, [{}]);
  const m = c.marathon.url;
  const stream = openEventStream(m, '?event_type=status_update_event');
  t.teardown(() => stream.close());
  await stream.ready;

  const created = await call(m, 'POST', '/v2/apps', { id: '/rb', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 1, portDefinitions: [], labels: { owner: 'zeus', tier: 'web' } });
  t.is(created.status, 201, created.text);
  const [first] = await appSettled(m, '/rb', 1);
  const running = await eventually(async () => stream.events.find((e) => e.taskId === first.id && e.taskStatus === 'TASK_RUNNING'), 'status_update_event TASK_RUNNING for the task');
  t.is(running.appId, '/rb');
  t.false(stream.events.some((e) => e.eventType !== 'status_update_event'), 'event_type filters the stream');
  await call(m, 'POST', '/v2/apps', { id: '/other', cmd: 'exec sleep 999', cpus: 0.1, mem: 16, instances: 1, portDefinitions: [{ port: 0 }, { port: 0 }] });
  await appSettled(m, '/other', 1);

  // A config change that cannot be placed (more cpus than the agent has) holds its deployment.
  const stuck = await call(m, 'PUT', '/v2/apps/rb', { cmd: 'sleep 2000', cpus: 64 });
  t.is(stuck.status, 200, stuck.text);
  const stuckId = stuck.body.deploymentId as string;
  t.is((await call(m, 'GET', '/v2/apps/rb')).body.app.cpus, 64);

  // The queue holds it; its launch delay resets with 204, an unknown app's with 404.
  await eventually(async () => ((await call(m, 'GET', '/v2/queue')).body.queue as Json[]).some((e) => e.app.id === '/rb'), '/rb in /v2/queue');
  const delay = await call(m, 'DELETE', '/v2/queue/rb/delay');
  t.is(delay.status, 204, delay.text);
  t.is(delay.text, '');
  const notQueued = await call(m, 'DELETE', '/v2/queue/other/delay');
  t.is(notQueued.status, 404, 'a running app is not in the launch queue');
  t.deepEqual(notQueued.body, { message: 'Application /other not found in tasks queue.' });
  t.is((await call(m, 'DELETE', '/v2/queue/nope/delay')).status, 404);

  // Without force: a rollback deployment; the app returns to its previous definition.
  const rollback = await call(m, 'DELETE', `/v2/deployments/${stuckId}`);
  t.is(rollback.status, 200, rollback.text);
  t.truthy(rollback.body.deploymentId);
  t.not(rollback.body.deploymentId, stuckId);
  const [back] = await appSettled(m, '/rb', 1);
  const rolled = (await call(m, 'GET', '/v2/apps/rb')).body.app;
  t.is(rolled.cpus, 0.1);
  t.is(rolled.cmd, 'sleep 1000');
  t.is(rolled.version, created.body.version, 'the original definition, version included');
  t.is(back.id, first.id, 'the task of the original definition kept running');
  t.false(((await call(m, 'GET', '/v2/deployments')).body as Json[]).some((d) => d.id === stuckId));

  // With force: the deployment just stops (202, no body); the app keeps the new definition.
  const again = await call(m, 'PUT', '/v2/apps/rb', { cmd: 'sleep 3000', cpus: 64 });
  t.is(again.status, 200, again.text);
  const stopped = await call(m, 'DELETE', `/v2/deployments/${again.body.deploymentId}?force=true`);
  t.is(stopped.status, 202, stopped.text);
  t.deepEqual((await call(m, 'GET', '/v2/deployments')).body, []);
  t.is((await call(m, 'GET', '/v2/apps/rb')).body.app.cmd, 'sleep 3000');
  t.is((await call(m, 'DELETE', '/v2/deployments/no-such-deployment')).status, 404);

  // Rolling back the deployment that created an app removes the app.
  const born = await call(m, 'POST', '/v2/apps', { id: '/unborn', cmd: 'sleep 1000', cpus: 64, mem: 16, instances: 1 });
  t.is(born.status, 201, born.text);
  const unmade = await call(m, 'DELETE', `/v2/deployments/${born.body.deployments[0].id}`);
  t.is(unmade.status, 200, unmade.text);
  await eventually(async () => (await call(m, 'GET', '/v2/apps/unborn')).status === 404, 'the rolled-back creation to remove /unborn');

  // Versions: create, the rolled-back change, the rollback, the forced change.
  const versions = await call(m, 'GET', '/v2/apps/rb/versions');
  t.is(versions.status, 200);
  const list = versions.body.versions as string[];
  t.true(list.length >= 3, versions.text);
  t.deepEqual([...list].sort().reverse(), list, 'newest first');
  const oldest = await call(m, 'GET', `/v2/apps/rb/versions/${list[list.length - 1]}`);
  t.is(oldest.status, 200, oldest.text);
  t.is(oldest.body.id, '/rb');
  t.is(oldest.body.cmd, 'sleep 1000');
  t.is(oldest.body.version, created.body.version);
  t.is((await call(m, 'GET', '/v2/apps/rb/versions/2015-01-01T00:00:00.000Z')).status, 404);

  // Back to a runnable definition for the listings below.
  t.is((await call(m, 'PUT', '/v2/apps/rb?force=true', { cmd: 'sleep 1000', cpus: 0.1 })).status, 200);
  await appSettled(m, '/rb', 1);

  // /v2/apps filters and embeds.
  const ids = async (query: string) => ((await call(m, 'GET', `/v2/apps${query}`)).body.apps as Json[]).map((a) => a.id).sort();
  t.deepEqual(await ids(''), ['/other', '/rb']);
  t.deepEqual(await ids('?id=rb'), ['/rb']);
  t.deepEqual(await ids('?cmd=exec'), ['/other']);
  t.deepEqual(await ids('?label=owner==zeus'), ['/rb']);
  t.deepEqual(await ids('?label=tier'), ['/rb']);
  t.deepEqual(await ids('?label=owner!=zeus'), ['/other']);
  const plain = ((await call(m, 'GET', '/v2/apps?id=rb')).body.apps as Json[])[0];
  t.false('tasks' in plain);
  t.true('tasksRunning' in plain);
  const embedded = ((await call(m, 'GET', '/v2/apps?id=rb&embed=apps.tasks&embed=apps.lastTaskFailure&embed=apps.taskStats')).body.apps as Json[])[0];
  t.is(embedded.tasks.length, 1);
  t.is(embedded.tasks[0].state, 'TASK_RUNNING');
  t.true('taskStats' in embedded);

  // /v2/tasks: status filter, text/plain.
  const runningTasks = await call(m, 'GET', '/v2/tasks?status=running');
  t.is(runningTasks.body.tasks.length, 2);
  t.deepEqual((await call(m, 'GET', '/v2/tasks?status=staging')).body.tasks, []);
  const text = await call(m, 'GET', '/v2/tasks', undefined, { accept: 'text/plain' });
  t.is(text.status, 200);
  t.regex(text.headers.get('content-type') ?? '', /^text\/plain/);
  const other = (await appSettled(m, '/other', 1))[0];
  // Dynamic service ports come from [10000, 20000), the lowest free first (Marathon's local port range).
  t.deepEqual(other.servicePorts, [10000, 10001]);
  const lines = text.text.split('\n').filter((l) => l !== '');
  t.deepEqual(lines.sort(), [
    `other\t10000\t${other.host}:${other.ports[0]}\t`,
    `other\t10001\t${other.host}:${other.ports[1]}\t`,
    `rb\t \t${other.host}\t`,
  ]);
  const appText = await call(m, 'GET', '/v2/apps/other/tasks', undefined, { accept: 'text/plain' });
  t.is(appText.status, 200);
  t.regex(appText.headers.get('content-type') ?? '', /^text\/plain/);
  t.is(appText.text, `other\t10000\t${other.host}:${other.ports[0]}\t\nother\t10001\t${other.host}:${other.ports[1]}\t\n`);

  // /ping and /metrics.
  const ping = await call(m, 'GET', '/ping');
  t.is(ping.status, 200);
  t.is(ping.text, 'pong');
  const metrics = await call(m, 'GET', '/metrics');
  t.is(metrics.status, 200);
  for (const key of ['version', 'gauges', 'counters', 'histograms', 'meters', 'timers']) t.true(key in metrics.body, `/metrics has ${key}`);
});
