import { testPod, testPodContainer } from '../pod/test-pod.ts';
import test from 'ava';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import type { MarathonEvent, PathId, Timestamp } from '../model.ts';
import { asPathId } from '../model.ts';
import type { PodDefinition } from '../pod/pod-definition.ts';
import { podToJson } from '../pod/pod-json.ts';
import type { ChangeOptions, ChangeResult, PodService } from '../ports.ts';
import { INSTANCE_ID_PATTERN, splitPodPath, type PodPath } from './pods-routes.ts';
import { call, makeApp, NOW_MS } from './test-app.ts';
import { deployment, FakeService, instance, T0, type ChangeCall } from './test-fixtures.ts';

const NOW = new Date(NOW_MS).toISOString();
const POD_JSON = JSON.parse(readFileSync('/work/shared/fixtures/marathon-api-examples/pod.json', 'utf8'));

function podDef(id: string, over: Partial<PodDefinition> = {}): PodDefinition {
  const { id: _ignored, ...rest } = over;
  return testPod(id, {
    version: T0,
    containers: [testPodContainer({ name: 'web', resources: { cpus: 0.5, mem: 64, disk: 0, gpus: 0 }, endpoints: [{ name: 'http', hostPort: 0, protocol: ['tcp'], labels: {} }] })],
    scaling: { kind: 'fixed', instances: 2 },
    ...rest,
  });
}

/** An in-memory PodService: pods in a map, versions kept, every change recorded in `calls`. */
class FakePods implements PodService {
  byId = new Map<string, PodDefinition>();
  versions = new Map<string, PodDefinition[]>();
  calls: ChangeCall[] = [];
  nextResult: ChangeResult = { ok: true, deploymentId: 'dep-pod', version: '2026-11-22T11:00:00.000Z' };

  constructor(pods: readonly PodDefinition[] = []) {
    for (const p of pods) this.store(p);
  }
  private store(p: PodDefinition): void {
    this.byId.set(p.id, p);
    this.versions.set(p.id, [p, ...(this.versions.get(p.id) ?? [])]);
  }
  private record(method: string, args: readonly unknown[], apply: () => void): Promise<ChangeResult> {
    this.calls.push({ method, args });
    if (this.nextResult.ok) apply();
    return Promise.resolve(this.nextResult);
  }
  pods(): readonly PodDefinition[] { return [...this.byId.values()]; }
  pod(id: PathId): PodDefinition | undefined { return this.byId.get(id); }
  async podVersions(id: PathId): Promise<readonly Timestamp[] | undefined> { return this.versions.get(id)?.map((p) => p.version); }
  async podVersion(id: PathId, version: Timestamp): Promise<PodDefinition | undefined> {
    return this.versions.get(id)?.find((p) => p.version === version);
  }
  createPod(pod: PodDefinition, opts: ChangeOptions): Promise<ChangeResult> { return this.record('createPod', [pod, opts], () => this.store(pod)); }
  putPod(pod: PodDefinition, opts: ChangeOptions): Promise<ChangeResult> { return this.record('putPod', [pod, opts], () => this.store(pod)); }
  deletePod(id: PathId, opts: ChangeOptions): Promise<ChangeResult> { return this.record('deletePod', [id, opts], () => this.byId.delete(id)); }
}

const V1 = '2026-11-22T09:00:00.000Z';

/** /prod/db (2 versions) with 2 instances, /web with none; and one app instance that is not a pod's. */
function setup(): { app: ReturnType<typeof makeApp>['app']; service: FakeService; pods: FakePods; events: MarathonEvent[] } {
  const service = new FakeService();
  service.insts = [
    instance('/prod/db', 1, { podTasks: [{ taskId: 'prod_db.instance-00000001.web', name: 'web', state: 'TASK_RUNNING', startedAt: '2026-11-22T10:00:02.000Z' }] }),
    instance('/prod/db', 2, { podTasks: [{ taskId: 'prod_db.instance-00000002.web', name: 'web', state: 'TASK_STAGING' }], state: 'TASK_STAGING', condition: 'Staging' }),
    instance('/other', 1),
  ];
  const pods = new FakePods([podDef('/prod/db', { version: V1 }), podDef('/prod/db'), podDef('/web', { scaling: { kind: 'fixed', instances: 1 } })]);
  const events: MarathonEvent[] = [];
  const { app } = makeApp(service, { pods, publish: (e) => events.push(e) });
  return { app, service, pods, events };
}

const allCalls = (s: { service: FakeService; pods: FakePods }) => [...s.service.calls, ...s.pods.calls];

// ---- splitPodPath ------------------------------------------------------------------------------
const splitRows: [string, PodPath][] = [
  ['prod/db', { kind: 'pod', raw: 'prod/db' }],
  ['prod/db/', { kind: 'pod', raw: 'prod/db' }],
  ['', { kind: 'pod', raw: '' }],
  ['::status', { kind: 'allStatus' }],
  ['prod/db::status', { kind: 'status', raw: 'prod/db' }],
  ['prod/db::versions', { kind: 'versions', raw: 'prod/db' }],
  ['prod/db::versions/2026-11-22T10:00:00.000Z', { kind: 'version', raw: 'prod/db', version: '2026-11-22T10:00:00.000Z' }],
  ['prod/db::instances', { kind: 'instances', raw: 'prod/db' }],
  ['prod/db::instances/prod_db.instance-1', { kind: 'instance', raw: 'prod/db', instanceId: 'prod_db.instance-1' }],
];
for (const [suffix, expected] of splitRows) {
  test(`splitPodPath('${suffix}') is ${expected.kind}`, (t) => t.deepEqual(splitPodPath(suffix), expected));
}

test('splitPodPath recovers the pod id and the sub-resource of any joined suffix (property)', (t) => {
  const segment = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,8}$/);
  const subs: readonly (readonly [string, PodPath['kind']])[] = [
    ['', 'pod'], ['/', 'pod'], ['::status', 'status'], ['::versions', 'versions'], ['::versions/v1', 'version'],
    ['::instances', 'instances'], ['::instances/x.instance-1', 'instance'],
  ];
  fc.assert(fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.constantFrom(...subs), (segs, [sub, kind]) => {
    const p = splitPodPath(`${segs.join('/')}${sub}`);
    return p.kind === kind && 'raw' in p && p.raw === segs.join('/');
  }));
  t.pass();
});

const idRows: [string, boolean][] = [
  ['prod_db.instance-3b1c6a7e-0000-4000-8000-000000000001', true],
  ['prod_db.marathon-3b1c6a7e', true], // the older instance id form
  ['prod_db.instance-', false],
  ['instance-1234', false],
  ['prod_db.instance-1.web', false], // a container's task id, not an instance id
];
for (const [id, valid] of idRows) {
  test(`instance id '${id}' is ${valid ? '' : 'not '}valid`, (t) => t.is(INSTANCE_ID_PATTERN.test(id), valid));
}

// ---- capability and reads ----------------------------------------------------------------------
test('HEAD /v2/pods: 200 with no body where pods run; 404 where the app has no PodService', async (t) => {
  const { app } = setup();
  const r = await app.inject({ method: 'HEAD', url: '/v2/pods' });
  t.is(r.statusCode, 200);
  t.is(r.body, '');
  const { app: noPods } = makeApp(new FakeService());
  t.is((await noPods.inject({ method: 'HEAD', url: '/v2/pods' })).statusCode, 404);
  t.is((await call(noPods, 'GET', '/v2/pods')).status, 404);
});

test('GET /v2/pods and /v2/pods/: every pod as Marathon\'s pod JSON', async (t) => {
  const s = setup();
  for (const url of ['/v2/pods', '/v2/pods/']) {
    const r = await call(s.app, 'GET', url);
    t.is(r.status, 200);
    t.deepEqual(r.json, s.pods.pods().map((p) => JSON.parse(JSON.stringify(podToJson(p)))));
    t.deepEqual(r.json.map((p: { id: string }) => p.id), ['/prod/db', '/web']);
  }
});

test('GET /v2/pods/{id}: the pod; slashes in the id; 404 "Pod \'/x\' does not exist"', async (t) => {
  const s = setup();
  const r = await call(s.app, 'GET', '/v2/pods/prod/db');
  t.is(r.status, 200);
  t.is(r.json.id, '/prod/db');
  t.is(r.json.version, T0);
  const missing = await call(s.app, 'GET', '/v2/pods/prod/nope');
  t.is(missing.status, 404);
  t.deepEqual(missing.json, { message: "Pod '/prod/nope' does not exist" });
});

test('GET /v2/pods/{id}::versions lists the versions, newest first; ::versions/{v} is that definition', async (t) => {
  const s = setup();
  const versions = await call(s.app, 'GET', '/v2/pods/prod/db::versions');
  t.is(versions.status, 200);
  t.deepEqual(versions.json, [T0, V1]);
  const old = await call(s.app, 'GET', `/v2/pods/prod/db::versions/${V1}`);
  t.is(old.status, 200);
  t.like(old.json, { id: '/prod/db', version: V1 });
  // percent-encoded colons name the same resource
  t.deepEqual((await call(s.app, 'GET', '/v2/pods/prod/db%3A%3Aversions')).json, [T0, V1]);
});

test('GET /v2/pods/{id}::status: PodStatus with the pod\'s instances only; /v2/pods/::status: one per pod', async (t) => {
  const s = setup();
  const one = await call(s.app, 'GET', '/v2/pods/prod/db::status');
  t.is(one.status, 200);
  t.is(one.json.id, '/prod/db');
  t.is(one.json.spec.id, '/prod/db');
  t.deepEqual(one.json.instances.map((i: { id: string }) => i.id).sort(), ['prod_db.instance-00000001', 'prod_db.instance-00000002']);
  const all = await call(s.app, 'GET', '/v2/pods/::status');
  t.is(all.status, 200);
  t.deepEqual(all.json.map((p: { id: string }) => p.id), ['/prod/db', '/web']);
  t.deepEqual(all.json[1].instances ?? [], []);
});

// ---- changes ---------------------------------------------------------------------------------------
test('pod status: instance states, the pod DEGRADED below its count, each instance against the version it runs', async (t) => {
  const s = setup();
  // instance 1 runs V1 (container cpus 0.25), instance 2 the current version (cpus 0.5)
  s.pods.versions.set('/prod/db', [podDef('/prod/db'), podDef('/prod/db', { version: V1, containers: [{ ...podDef('/x').containers[0], resources: { cpus: 0.25, mem: 64, disk: 0, gpus: 0 } }] })]);
  s.service.insts = s.service.insts.map((i) => (i.instanceId === 'prod_db.instance-00000001' ? { ...i, version: V1 } : i));
  const r = await call(s.app, 'GET', '/v2/pods/prod/db::status');
  const byId = new Map(r.json.instances.map((i: { id: string }) => [i.id, i]));
  const one = byId.get('prod_db.instance-00000001') as any;
  const two = byId.get('prod_db.instance-00000002') as any;
  t.is(one.status, 'STABLE');
  t.is(two.status, 'STAGING');
  t.is(one.specReference, `/v2/pods/prod/db::versions/${V1}`);
  t.is(one.resources.cpus, 0.35); // executor 0.1 + V1's container 0.25
  t.is(two.resources.cpus, 0.6); // executor 0.1 + the current container 0.5
  t.is(r.json.status, 'DEGRADED'); // 1 STABLE of 2 wanted
});

test('pod status: TERMINAL while a deployment stops the pod', async (t) => {
  const s = setup();
  s.service.deps = [deployment('dep-stop', { steps: [{ actions: [{ action: 'StopPod', app: asPathId('/prod/db') }] }] })];
  t.is((await call(s.app, 'GET', '/v2/pods/prod/db::status')).json.status, 'TERMINAL');
  t.not((await call(s.app, 'GET', '/v2/pods/web::status')).json.status, 'TERMINAL');
});

test('POST /v2/pods with the published pod.json: 201, Location, deployment header, the pod as stored, pod_created_event', async (t) => {
  const s = setup();
  const r = await call(s.app, 'POST', '/v2/pods', POD_JSON, { host: 'marathon.example:8080' });
  t.is(r.status, 201, r.text);
  t.is(r.headers.location, 'http://marathon.example:8080/v2/pods/foo');
  t.is(r.headers['marathon-deployment-id'], 'dep-pod');
  t.like(r.json, { id: '/foo', version: NOW, scaling: { kind: 'fixed', instances: 1, maxInstances: 888 } });
  t.is(r.json.containers[0].name, 'container1');
  t.deepEqual(s.pods.calls.map((c) => c.method), ['createPod']);
  t.deepEqual(s.pods.calls[0].args[1], { force: false });
  t.is((s.pods.calls[0].args[0] as PodDefinition).id, asPathId('/foo'));
  t.deepEqual(s.events.map((e) => [e.eventType, e.uri, e.timestamp]), [['pod_created_event', '/v2/pods', NOW]]);
  t.deepEqual(s.service.calls, []);
});

test('POST /v2/pods?force=true passes force to the core', async (t) => {
  const s = setup();
  const r = await call(s.app, 'POST', '/v2/pods?force=true', POD_JSON);
  t.is(r.status, 201);
  t.deepEqual(s.pods.calls[0].args[1], { force: true });
});

test('PUT /v2/pods/{id} of an existing pod: 200, the new definition, deployment header, pod_updated_event', async (t) => {
  const s = setup();
  const body = { ...POD_JSON, id: '/prod/db' };
  const r = await call(s.app, 'PUT', '/v2/pods/prod/db', body);
  t.is(r.status, 200, r.text);
  t.is(r.headers['marathon-deployment-id'], 'dep-pod');
  t.like(r.json, { id: '/prod/db', version: NOW });
  t.is(r.json.containers[0].name, 'container1');
  t.deepEqual(s.pods.calls.map((c) => [c.method, (c.args[0] as PodDefinition).id, c.args[1]]), [['putPod', '/prod/db', { force: false }]]);
  t.deepEqual(s.events.map((e) => e.eventType), ['pod_updated_event']);
});

test('PUT /v2/pods/{id} of a new pod creates it (200, as Marathon), the id taken from the URL when the body has none', async (t) => {
  const s = setup();
  const { id: _drop, ...body } = POD_JSON;
  const r = await call(s.app, 'PUT', '/v2/pods/new/pod?force=true', body);
  t.is(r.status, 200, r.text);
  t.is(r.json.id, '/new/pod');
  t.deepEqual(s.pods.calls.map((c) => [c.method, c.args[1]]), [['putPod', { force: true }]]);
  t.deepEqual(s.events.map((e) => e.eventType), ['pod_created_event']);
});

const deleteRows: [string, boolean][] = [['', false], ['?force=true', true], ['?force=false', false]];
for (const [query, force] of deleteRows) {
  test(`DELETE /v2/pods/{id}${query}: 202, deployment header, no body, force=${force}`, async (t) => {
    const s = setup();
    const r = await call(s.app, 'DELETE', `/v2/pods/prod/db${query}`);
    t.is(r.status, 202);
    t.is(r.headers['marathon-deployment-id'], 'dep-pod');
    t.is(r.text, '');
    t.deepEqual(s.pods.calls, [{ method: 'deletePod', args: ['/prod/db', { force }] }]);
    t.deepEqual(s.events.map((e) => [e.eventType, e.uri]), [['pod_deleted_event', '/v2/pods/prod/db']]);
  });
}

test('a refusal of the core is answered as it is (409 locked, with the deployments)', async (t) => {
  const s = setup();
  s.pods.nextResult = { ok: false, status: 409, message: 'Pod is locked by one or more deployments.', deployments: [{ id: 'dep-7' }] };
  const r = await call(s.app, 'PUT', '/v2/pods/prod/db', { ...POD_JSON, id: '/prod/db' });
  t.is(r.status, 409);
  t.deepEqual(r.json, { message: 'Pod is locked by one or more deployments.', deployments: [{ id: 'dep-7' }] });
  t.deepEqual(s.events, []);
  const d = await call(s.app, 'DELETE', '/v2/pods/prod/db');
  t.is(d.status, 409);
  t.is(d.headers['marathon-deployment-id'], undefined);
});

// ---- killing instances -----------------------------------------------------------------------------
test('DELETE /v2/pods/{id}::instances/{instanceId}: kills that instance, answers its PodInstanceStatus', async (t) => {
  const s = setup();
  const r = await call(s.app, 'DELETE', '/v2/pods/prod/db::instances/prod_db.instance-00000001');
  t.is(r.status, 200, r.text);
  t.like(r.json, { id: 'prod_db.instance-00000001', status: 'STABLE', agentId: 'agent-1', agentHostname: 'host-1' });
  t.deepEqual(s.service.calls, [{ method: 'killTasks', args: [['prod_db.instance-00000001'], { force: false, scale: false, wipe: false }] }]);
  t.deepEqual(s.pods.calls, []);
});

test('DELETE /v2/pods/{id}::instances with a list: kills the listed instances of that pod only (wipe passed on)', async (t) => {
  const s = setup();
  const ids = ['prod_db.instance-00000002', 'other.instance-00000001', 'prod_db.instance-00000009'];
  const r = await call(s.app, 'DELETE', '/v2/pods/prod/db::instances?wipe=true', ids);
  t.is(r.status, 200, r.text);
  // /other's instance belongs to another run spec, ...09 does not exist: neither is killed
  t.deepEqual(r.json.map((i: { id: string }) => i.id), ['prod_db.instance-00000002']);
  t.deepEqual(s.service.calls, [{ method: 'killTasks', args: [['prod_db.instance-00000002'], { force: false, scale: false, wipe: true }] }]);
});

test('DELETE /v2/pods/{id}::instances naming none of the pod\'s instances: 200 [] and nothing killed', async (t) => {
  const s = setup();
  const r = await call(s.app, 'DELETE', '/v2/pods/web::instances', ['web.instance-1']);
  t.is(r.status, 200);
  t.deepEqual(r.json, []);
  t.deepEqual(s.service.calls, []);
});

// ---- refusals change nothing -----------------------------------------------------------------------
const refused: [string, string, string, unknown, number, (json: any) => boolean][] = [
  ['bad JSON', 'POST', '/v2/pods', '{"id": "x",', 400, (j) => j.message === 'Invalid JSON' && j.details[0].path === '/'],
  ['no body', 'POST', '/v2/pods', undefined, 400, (j) => j.message === 'Invalid JSON'],
  ['an array for one pod', 'POST', '/v2/pods', [POD_JSON], 400, (j) => j.message === 'Invalid JSON'],
  ['force=maybe', 'POST', '/v2/pods?force=maybe', POD_JSON, 400, (j) => /force/.test(j.message)],
  ['an invalid definition', 'POST', '/v2/pods', { ...POD_JSON, containers: [] }, 422, (j) => j.message === 'Object is not valid' && j.details.length > 0],
  ['an existing id', 'POST', '/v2/pods', { ...POD_JSON, id: '/prod/db' }, 409, (j) => j.message === 'A pod with id [/prod/db] already exists.'],
  ['PUT: the body names another pod', 'PUT', '/v2/pods/prod/db', { ...POD_JSON, id: '/foo' }, 400,
    (j) => j.message === "'/prod/db' does not match definition's id ('/foo')"],
  ['PUT: bad JSON', 'PUT', '/v2/pods/prod/db', '{', 400, (j) => j.message === 'Invalid JSON'],
  ['PUT: invalid', 'PUT', '/v2/pods/prod/db', { ...POD_JSON, id: '/prod/db', containers: [] }, 422, (j) => j.message === 'Object is not valid'],
  ['PUT: an invalid id', 'PUT', '/v2/pods/a%2F..%2F..', POD_JSON, 422, (j) => j.details[0].path === '/id'],
  ['DELETE unknown', 'DELETE', '/v2/pods/nope', undefined, 404, (j) => j.message === "Pod '/nope' does not exist"],
  ['DELETE force=1', 'DELETE', '/v2/pods/prod/db?force=1', undefined, 400, (j) => /force/.test(j.message)],
  ['status of unknown', 'GET', '/v2/pods/nope::status', undefined, 404, (j) => j.message === "Pod '/nope' does not exist"],
  ['versions of unknown', 'GET', '/v2/pods/nope::versions', undefined, 404, (j) => j.message === "Pod '/nope' does not exist"],
  ['an unknown version', 'GET', '/v2/pods/prod/db::versions/2020-01-01T00:00:00.000Z', undefined, 404, (j) => j.message === "Pod '/prod/db' does not exist"],
  ['kill: not an instance id', 'DELETE', '/v2/pods/prod/db::instances/prod_db.instance-1.web', undefined, 422,
    (j) => j.message === 'Object is not valid' && /must fully match/.test(j.details[0].errors[0])],
  ['kill: unknown pod', 'DELETE', '/v2/pods/nope::instances/nope.instance-1', undefined, 404, (j) => j.message === "Path '/nope' does not exist"],
  ['kill: unknown instance', 'DELETE', '/v2/pods/prod/db::instances/prod_db.instance-9', undefined, 404, (j) => j.message === "Task 'prod_db.instance-9' does not exist"],
  ['kill: wipe=yes', 'DELETE', '/v2/pods/prod/db::instances/prod_db.instance-00000001?wipe=yes', undefined, 400, (j) => /wipe/.test(j.message)],
  ['kill many: not a list', 'DELETE', '/v2/pods/prod/db::instances', { ids: [] }, 400, (j) => j.message === 'Invalid JSON'],
  ['kill many: bad JSON', 'DELETE', '/v2/pods/prod/db::instances', '[', 400, (j) => j.message === 'Invalid JSON'],
  ['kill many: a bad id', 'DELETE', '/v2/pods/prod/db::instances', ['prod_db.instance-00000001', 'nope'], 422, (j) => j.details[0].path === '/(1)'],
  ['kill many: unknown pod', 'DELETE', '/v2/pods/nope::instances', ['nope.instance-1'], 404, (j) => j.message === "Path '/nope' does not exist"],
  ['POST on a pod', 'POST', '/v2/pods/prod/db', POD_JSON, 404, (j) => /No route/.test(j.message)],
  ['PUT on ::status', 'PUT', '/v2/pods/prod/db::status', POD_JSON, 404, (j) => /No route/.test(j.message)],
  ['DELETE ::versions', 'DELETE', '/v2/pods/prod/db::versions', undefined, 404, (j) => /No route/.test(j.message)],
];
for (const [name, method, url, body, status, check] of refused) {
  test(`refused (${name}): ${method} ${url} -> ${status}, and nothing changes`, async (t) => {
    const s = setup();
    const before = s.pods.pods();
    const r = await call(s.app, method, url, body);
    t.is(r.status, status, r.text);
    t.true(check(r.json), JSON.stringify(r.json));
    t.deepEqual(allCalls(s), []);
    t.deepEqual(s.events, []);
    t.deepEqual(s.pods.pods(), before);
  });
}
