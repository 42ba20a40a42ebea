/**
 * The contract every `MarathonStore` keeps, as one ava suite run against each implementation
 * (memory-store.test.ts, pg-store.test.ts). `open` gives a fresh, empty store and a way to open
 * a second store on the same data (a marathon restart); it registers its own cleanup with
 * `t.teardown`.
 *
 * What it pins down: objects come back deep-equal after the JSON round trip; a put replaces by
 * key; `putApp` is the current definition and a version (same version: replaced), versions
 * newest first, at most MAX_APP_VERSIONS; `deleteApp` removes the app, its versions and its task
 * failure, nothing else; `apply` is atomic and ordered; data outlives the store object; reads
 * return copies. Pods keep the same rules as apps: `putPod` is the current definition and a
 * version, at most MAX_POD_VERSIONS newest first; `deletePod` removes the pod, its versions and
 * its task failure (the last failure is kept per run spec id), nothing else; a pod's history is its own, apart from an app's.
 */
import type { ExecutionContext, TestFn } from 'ava';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { asPathId, type AppDefinition, type Deployment, type Group, type Instance, type TaskFailure, type Timestamp } from '../model.ts';
import type { GroupRecord, MarathonStore, StoreOperation } from '../ports.ts';
import type { PodDefinition } from '../pod/pod-definition.ts';
import { MAX_APP_VERSIONS, MAX_POD_VERSIONS } from './app-versions.ts';
import { isStorableString } from '../../common/db/storable.ts';

export interface StoreUnderTest {
  readonly store: MarathonStore;
  /** Another store on the same data, as a restarted marathon would open. */
  reopen(): Promise<MarathonStore>;
}

export type OpenStore = (t: ExecutionContext) => Promise<StoreUnderTest>;

// --- fixtures --------------------------------------------------------------------------------

/** The version at `n` ms after a fixed instant: `version(0)` = 2026-11-22T10:00:00.000Z. */
export function version(n: number): Timestamp {
  return new Date(Date.UTC(2026, 10, 22, 10, 0, 0) + n).toISOString();
}

/** A normalised app definition with most optional parts filled, so the round trip covers them. */
export function appDefinition(id: string, v: Timestamp = version(0), overrides: Partial<AppDefinition> = {}): AppDefinition {
  return {
    id: asPathId(id),
    cmd: 'python3 -m http.server $PORT0',
    args: undefined, // absent in JSON: must not come back as a key
    env: { GREETING: 'hello', DB_PASSWORD: { secret: 'db' } },
    instances: 2,
    cpus: 0.25,
    mem: 128,
    disk: 0,
    gpus: 0,
    executor: '',
    constraints: [['hostname', 'UNIQUE'], ['rack', 'GROUP_BY', '2']],
    fetch: [{ uri: 'https://example.com/app.tgz', executable: false, extract: true, cache: false }],
    storeUrls: [],
    backoffSeconds: 1,
    backoffFactor: 1.15,
    maxLaunchDelaySeconds: 300,
    container: {
      type: 'DOCKER',
      docker: { image: 'nginx:1.25', forcePullImage: false, privileged: false, parameters: [{ key: 'label', value: 'a=b' }] },
      volumes: [{ containerPath: '/data', hostPath: '/srv/data', mode: 'RW' }],
      portMappings: [{ containerPort: 80, hostPort: 0, servicePort: 10000, protocol: 'tcp', name: 'http', labels: { VIP_0: '/web:80' } }],
    },
    healthChecks: [{
      protocol: 'MESOS_HTTP', path: '/health', portIndex: 0, gracePeriodSeconds: 300, intervalSeconds: 60,
      timeoutSeconds: 20, maxConsecutiveFailures: 3, delaySeconds: 15, ipProtocol: 'IPv4',
    }],
    readinessChecks: [],
    dependencies: [asPathId('/db')],
    upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0.2 },
    labels: { team: 'web', 'émoji': '🚀 ünïcode' },
    portDefinitions: [],
    requirePorts: false,
    networks: [{ mode: 'container/bridge' }],
    secrets: { db: { source: '/secrets/db' } },
    taskKillGracePeriodSeconds: 5,
    killSelection: 'YOUNGEST_FIRST',
    unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
    role: '*',
    version: v,
    versionInfo: { lastScalingAt: v, lastConfigChangeAt: v },
    ...overrides,
  };
}

/** `appDefinition` as it comes back from JSON (the `undefined` field gone). */
export function stored<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function groupRecord(id: string, v: Timestamp = version(0)): GroupRecord {
  return { id: asPathId(id), dependencies: [asPathId('/db')], version: v, enforceRole: false };
}

function group(id: string, apps: readonly AppDefinition[], groups: readonly Group[] = []): Group {
  return { id: asPathId(id), apps, groups, dependencies: [], version: version(0) };
}

export function deployment(id: string, currentStep = 1): Deployment {
  const web1 = appDefinition('/prod/web', version(0));
  const web2 = appDefinition('/prod/web', version(1), { instances: 4, cmd: 'sleep 1000' });
  return {
    id,
    version: version(1),
    original: group('/', [], [group('/prod', [web1])]),
    target: group('/', [], [group('/prod', [web2])]),
    steps: [{ actions: [{ action: 'RestartApplication', app: asPathId('/prod/web') }] }, { actions: [{ action: 'ScaleApplication', app: asPathId('/prod/web') }] }],
    affectedApps: [asPathId('/prod/web')],
    currentStep,
    restartApps: [asPathId('/prod/web')],
  };
}

export function instance(instanceId: string, appId = '/prod/web', overrides: Partial<Instance> = {}): Instance {
  return {
    instanceId,
    taskId: `${instanceId}.1`,
    appId: asPathId(appId),
    version: version(0),
    condition: 'Running',
    state: 'TASK_RUNNING',
    agentId: 'a1b2-S0',
    host: '10.0.0.5',
    ports: [31001, 31002],
    ipAddresses: [{ ipAddress: '10.0.0.5', protocol: 'IPv4' }],
    zone: 'z1',
    attributes: { rack: 'r1' },
    role: '*',
    stagedAt: version(5),
    startedAt: version(9),
    healthy: true,
    healthCheckResults: [{ alive: true, consecutiveFailures: 0, firstSuccess: version(10), lastFailure: null, lastSuccess: version(20), lastFailureCause: null }],
    goal: 'Running',
    ...overrides,
  };
}

export function taskFailure(appId: string, taskId: string, message = 'exited with 1'): TaskFailure {
  return {
    appId: asPathId(appId), host: '10.0.0.5', message, state: 'TASK_FAILED', taskId, instanceId: taskId.split('.')[0] ?? taskId,
    slaveId: 'a1b2-S0', timestamp: version(30), version: version(0),
  };
}

/**
 * A normalised pod with most optional parts filled (two containers, an endpoint, a health check,
 * volumes, a secret), so the round trip covers them; `overrides` replaces top-level fields.
 */
export function podDefinition(id: string, v: Timestamp = version(0), overrides: Partial<PodDefinition> = {}): PodDefinition {
  return {
    id: asPathId(id),
    labels: { owner: 'zeus', 'émoji': '🚀 ünïcode' },
    version: v,
    user: 'root',
    environment: { XPS1: 'Test', DB_PASSWORD: { secret: 'db' } },
    containers: [
      {
        name: 'web',
        exec: { command: { shell: 'python3 -m http.server $ENDPOINT_HTTP' }, overrideEntrypoint: false },
        resources: { cpus: 0.5, mem: 128, disk: 0, gpus: 0 },
        endpoints: [{ name: 'http', containerPort: 80, hostPort: 0, protocol: ['tcp'], labels: { VIP_0: '/web:80' } }],
        image: { kind: 'DOCKER', id: 'python:3.12', forcePull: false },
        environment: { MODE: 'serve' },
        user: undefined, // absent in JSON: must not come back as a key
        healthCheck: {
          http: { endpoint: 'http', path: '/health', scheme: 'HTTP' },
          gracePeriodSeconds: 30, intervalSeconds: 2, maxConsecutiveFailures: 3, timeoutSeconds: 20, delaySeconds: 2,
        },
        volumeMounts: [{ name: 'etc', mountPath: '/mnt/etc', readOnly: true }],
        artifacts: [{ uri: 'https://example.com/site.tgz', extract: true, executable: false, cache: false, destPath: 'site' }],
        labels: { tier: 'front' },
        lifecycle: { killGracePeriodSeconds: 10 },
      },
      {
        name: 'sidecar',
        exec: { command: { argv: ['/bin/sh', '-c', 'sleep 1000'] } },
        resources: { cpus: 0.1, mem: 32, disk: 0, gpus: 0 },
        endpoints: [],
        environment: {},
        volumeMounts: [{ name: 'scratch', mountPath: '/scratch', readOnly: false }],
        artifacts: [],
        labels: {},
      },
    ],
    secrets: { db: { source: '/secrets/db' } },
    volumes: [{ name: 'etc', host: '/hdd/tools/docker/registry' }, { name: 'scratch' }],
    networks: [{ mode: 'container', name: 'my-network', labels: {} }],
    scaling: { kind: 'fixed', instances: 2, maxInstances: 888 },
    scheduling: {
      backoff: { backoff: 1, backoffFactor: 1.15, maxLaunchDelay: 3600 },
      upgrade: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
      placement: { constraints: [{ fieldName: 'hostname', operator: 'UNIQUE' }], acceptedResourceRoles: ['*'] },
      killSelection: 'YOUNGEST_FIRST',
      unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
    },
    executorResources: { cpus: 0.1, mem: 32, disk: 10 },
    role: '*',
    ...overrides,
  };
}

// --- the suite ---------------------------------------------------------------------------------

const sortBy = <T>(xs: readonly T[], key: (x: T) => string): T[] => [...xs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

export function storeContract(test: TestFn, name: string, open: OpenStore): void {
  const it = (title: string, body: (t: ExecutionContext, s: StoreUnderTest) => Promise<void>) =>
    test(`${name}: ${title}`, async (t) => body(t, await open(t)));

  it('a new store is empty', async (t, { store }) => {
    t.deepEqual(await store.load(), { apps: [], groups: [], deployments: [], instances: [], taskFailures: [], frameworkId: undefined, pods: [] });
    t.is(await store.appVersions(asPathId('/nope')), undefined);
    t.is(await store.appVersion(asPathId('/nope'), version(0)), undefined);
    t.is(await store.podVersions(asPathId('/nope')), undefined);
    t.is(await store.podVersion(asPathId('/nope'), version(0)), undefined);
  });

  it('an app comes back deep-equal, as its current definition and as its one version', async (t, { store }) => {
    const app = appDefinition('/prod/web');
    await store.apply([{ op: 'putApp', app }]);
    const { apps } = await store.load();
    t.deepEqual(apps, [stored(app)]);
    t.false('args' in apps[0]!); // undefined fields are absent, not null
    t.deepEqual(await store.appVersions(app.id), [app.version]);
    t.deepEqual(await store.appVersion(app.id, app.version), stored(app));
  });

  it('putApp with a new version replaces the current one and keeps the old; versions newest first', async (t, { store }) => {
    const v1 = appDefinition('/a', version(1_000));
    const v2 = appDefinition('/a', version(2_000), { instances: 5 });
    const v3 = appDefinition('/a', version(3_000), { cmd: 'sleep 3' });
    await store.apply([{ op: 'putApp', app: v1 }]);
    await store.apply([{ op: 'putApp', app: v3 }]);
    await store.apply([{ op: 'putApp', app: v2 }]); // an older version put last is the current one
    t.deepEqual((await store.load()).apps, [stored(v2)]);
    t.deepEqual(await store.appVersions(v1.id), [version(3_000), version(2_000), version(1_000)]);
    t.deepEqual(await store.appVersion(v1.id, version(1_000)), stored(v1));
    t.deepEqual(await store.appVersion(v1.id, version(3_000)), stored(v3));
    t.is(await store.appVersion(v1.id, version(1_500)), undefined);
  });

  it('putApp with the same version replaces that version', async (t, { store }) => {
    await store.apply([{ op: 'putApp', app: appDefinition('/a', version(1), { instances: 1 }) }]);
    await store.apply([{ op: 'putApp', app: appDefinition('/a', version(1), { instances: 7 }) }]);
    t.deepEqual(await store.appVersions(asPathId('/a')), [version(1)]);
    t.is((await store.appVersion(asPathId('/a'), version(1)))?.instances, 7);
    t.is((await store.load()).apps[0]?.instances, 7);
  });

  it(`at most ${MAX_APP_VERSIONS} versions are kept, the oldest pruned`, async (t, { store }) => {
    const count = MAX_APP_VERSIONS + 5; // 55 puts: versions 0..54, 0..4 pruned
    for (let i = 0; i < count; i += 10) {
      await store.apply(Array.from({ length: Math.min(10, count - i) }, (_, k) => ({ op: 'putApp' as const, app: appDefinition('/a', version(i + k)) })));
    }
    await store.apply([{ op: 'putApp', app: appDefinition('/b', version(0)) }]);
    const versions = await store.appVersions(asPathId('/a'));
    t.is(versions?.length, MAX_APP_VERSIONS);
    t.is(versions?.[0], version(54));
    t.is(versions?.[MAX_APP_VERSIONS - 1], version(5));
    t.is(await store.appVersion(asPathId('/a'), version(4)), undefined);
    t.truthy(await store.appVersion(asPathId('/a'), version(5)));
    t.deepEqual(await store.appVersions(asPathId('/b')), [version(0)]); // another app's history is its own
  });

  it('deleteApp removes the app, its versions and its task failure, and nothing else', async (t, { store }) => {
    await store.apply([
      { op: 'putApp', app: appDefinition('/a', version(1)) },
      { op: 'putApp', app: appDefinition('/a', version(2)) },
      { op: 'putApp', app: appDefinition('/b', version(1)) },
      { op: 'putTaskFailure', failure: taskFailure('/a', 'a.1') },
      { op: 'putTaskFailure', failure: taskFailure('/b', 'b.1') },
      { op: 'putInstance', instance: instance('a-inst', '/a') },
    ]);
    await store.apply([{ op: 'deleteApp', appId: asPathId('/a') }]);
    const state = await store.load();
    t.deepEqual(state.apps.map((a) => a.id), ['/b']);
    t.deepEqual(state.taskFailures.map((f) => f.appId), ['/b']);
    t.deepEqual(state.instances.map((i) => i.instanceId), ['a-inst']); // the core kills and deletes instances itself
    t.is(await store.appVersions(asPathId('/a')), undefined);
    t.is(await store.appVersion(asPathId('/a'), version(1)), undefined);
    t.deepEqual(await store.appVersions(asPathId('/b')), [version(1)]);
    await store.apply([{ op: 'deleteApp', appId: asPathId('/never-existed') }]); // deleting the unknown is a no-op
    t.is((await store.load()).apps.length, 1);
  });

  it('a pod comes back deep-equal, as its current definition and as its one version', async (t, { store }) => {
    const pod = podDefinition('/prod/pod');
    await store.apply([{ op: 'putPod', pod }]);
    const { pods } = await store.load();
    t.deepEqual(pods, [stored(pod)]);
    t.false('user' in pods[0]!.containers[0]!); // undefined fields are absent, not null
    t.deepEqual(await store.podVersions(pod.id), [pod.version]);
    t.deepEqual(await store.podVersion(pod.id, pod.version), stored(pod));
  });

  it('putPod: a new version is current and the old kept, newest first; the same version is replaced', async (t, { store }) => {
    const v1 = podDefinition('/p', version(1_000));
    const v2 = podDefinition('/p', version(2_000), { scaling: { kind: 'fixed', instances: 5 } });
    const v3 = podDefinition('/p', version(3_000), { labels: { third: 'yes' } });
    await store.apply([{ op: 'putPod', pod: v1 }]);
    await store.apply([{ op: 'putPod', pod: v3 }]);
    await store.apply([{ op: 'putPod', pod: v2 }]); // an older version put last is the current one
    t.deepEqual((await store.load()).pods, [stored(v2)]);
    t.deepEqual(await store.podVersions(v1.id), [version(3_000), version(2_000), version(1_000)]);
    t.deepEqual(await store.podVersion(v1.id, version(1_000)), stored(v1));
    t.deepEqual(await store.podVersion(v1.id, version(3_000)), stored(v3));
    t.is(await store.podVersion(v1.id, version(1_500)), undefined);
    const v3b = podDefinition('/p', version(3_000), { labels: { third: 'again' } });
    await store.apply([{ op: 'putPod', pod: v3b }]);
    t.deepEqual(await store.podVersions(v1.id), [version(3_000), version(2_000), version(1_000)]);
    t.deepEqual(await store.podVersion(v1.id, version(3_000)), stored(v3b));
    t.deepEqual((await store.load()).pods, [stored(v3b)]);
  });

  it(`at most ${MAX_POD_VERSIONS} versions of a pod are kept, the oldest pruned`, async (t, { store }) => {
    const count = MAX_POD_VERSIONS + 3; // 53 puts: versions 0..52, 0..2 pruned
    await store.apply(Array.from({ length: count }, (_, k) => ({ op: 'putPod' as const, pod: podDefinition('/p', version(k)) })));
    await store.apply([{ op: 'putPod', pod: podDefinition('/q', version(0)) }]);
    const versions = await store.podVersions(asPathId('/p'));
    t.is(versions?.length, MAX_POD_VERSIONS);
    t.is(versions?.[0], version(52));
    t.is(versions?.[MAX_POD_VERSIONS - 1], version(3));
    t.is(await store.podVersion(asPathId('/p'), version(2)), undefined);
    t.truthy(await store.podVersion(asPathId('/p'), version(3)));
    t.deepEqual(await store.podVersions(asPathId('/q')), [version(0)]); // another pod's history is its own
  });

  it('deletePod removes the pod, its versions and its task failure, and nothing else', async (t, { store }) => {
    await store.apply([
      { op: 'putPod', pod: podDefinition('/a', version(1)) },
      { op: 'putPod', pod: podDefinition('/a', version(2)) },
      { op: 'putPod', pod: podDefinition('/b', version(1)) },
      { op: 'putApp', app: appDefinition('/c', version(1)) },
      { op: 'putTaskFailure', failure: taskFailure('/a', 'a.1') },
      { op: 'putTaskFailure', failure: taskFailure('/c', 'c.1') },
      { op: 'putInstance', instance: instance('a-inst', '/a') },
    ]);
    await store.apply([{ op: 'deletePod', podId: asPathId('/a') }]);
    const state = await store.load();
    t.deepEqual(state.pods.map((p) => p.id), ['/b']);
    t.deepEqual(state.apps.map((a) => a.id), ['/c']);
    t.deepEqual(state.taskFailures.map((f) => f.appId), ['/c']);
    t.deepEqual(state.instances.map((i) => i.instanceId), ['a-inst']); // the core kills and deletes instances itself
    t.is(await store.podVersions(asPathId('/a')), undefined);
    t.is(await store.podVersion(asPathId('/a'), version(1)), undefined);
    t.deepEqual(await store.podVersions(asPathId('/b')), [version(1)]);
    await store.apply([{ op: 'deletePod', podId: asPathId('/never-existed') }]); // deleting the unknown is a no-op
    t.is((await store.load()).pods.length, 1);
  });

  it("pods and apps are apart: one's put or delete never shows in the other's definitions or versions", async (t, { store }) => {
    await store.apply([{ op: 'putApp', app: appDefinition('/x', version(1)) }, { op: 'putPod', pod: podDefinition('/y', version(2)) }]);
    t.is(await store.podVersions(asPathId('/x')), undefined);
    t.is(await store.podVersion(asPathId('/x'), version(1)), undefined);
    t.is(await store.appVersions(asPathId('/y')), undefined);
    t.is(await store.appVersion(asPathId('/y'), version(2)), undefined);
    await store.apply([{ op: 'deleteApp', appId: asPathId('/y') }, { op: 'deletePod', podId: asPathId('/x') }]);
    const state = await store.load();
    t.deepEqual(state.apps.map((a) => a.id), ['/x']);
    t.deepEqual(state.pods.map((p) => p.id), ['/y']);
  });

  it('apply is atomic for pods too: an unstorable pod and none of the batch lands', async (t, { store }) => {
    await store.apply([{ op: 'putPod', pod: podDefinition('/a', version(1)) }]);
    const before = await store.load();
    const bad = podDefinition('/b', version(1), { environment: { BROKEN: 'lone \ud800 half' } });
    await t.throwsAsync(store.apply([
      { op: 'putPod', pod: podDefinition('/a', version(2)) },
      { op: 'deletePod', podId: asPathId('/a') },
      { op: 'putApp', app: appDefinition('/c', version(1)) },
      { op: 'putPod', pod: bad },
    ]), { message: /pod \/b.*surrogate/ });
    t.deepEqual(await store.load(), before);
    t.deepEqual(await store.podVersions(asPathId('/a')), [version(1)]);
    t.is(await store.podVersions(asPathId('/b')), undefined);
  });

  it('groups are put, replaced and deleted by id', async (t, { store }) => {
    await store.apply([{ op: 'putGroup', group: groupRecord('/prod', version(1)) }, { op: 'putGroup', group: groupRecord('/dev', version(1)) }]);
    await store.apply([{ op: 'putGroup', group: { id: asPathId('/prod'), dependencies: [], version: version(2) } }]);
    t.deepEqual(sortBy((await store.load()).groups, (g) => g.id), [
      stored(groupRecord('/dev', version(1))),
      { id: '/prod', dependencies: [], version: version(2) },
    ]);
    await store.apply([{ op: 'deleteGroup', groupId: asPathId('/dev') }]);
    t.deepEqual((await store.load()).groups.map((g) => g.id), ['/prod']);
  });

  it('deployments (with whole groups inside) come back deep-equal; put replaces, delete removes', async (t, { store }) => {
    await store.apply([{ op: 'putDeployment', deployment: deployment('d1', 1) }, { op: 'putDeployment', deployment: deployment('d2', 1) }]);
    await store.apply([{ op: 'putDeployment', deployment: deployment('d1', 2) }]);
    t.deepEqual(sortBy((await store.load()).deployments, (d) => d.id), [stored(deployment('d1', 2)), stored(deployment('d2', 1))]);
    await store.apply([{ op: 'deleteDeployment', deploymentId: 'd1' }]);
    t.deepEqual((await store.load()).deployments.map((d) => d.id), ['d2']);
  });

  it('instances come back deep-equal; put replaces, delete removes', async (t, { store }) => {
    const provisioned = instance('i1', '/prod/web', { condition: 'Provisioned', state: undefined, startedAt: undefined, healthy: undefined, healthCheckResults: [] });
    await store.apply([{ op: 'putInstance', instance: provisioned }, { op: 'putInstance', instance: instance('i2') }]);
    t.deepEqual(sortBy((await store.load()).instances, (i) => i.instanceId), [stored(provisioned), stored(instance('i2'))]);
    const running = instance('i1', '/prod/web', { unreachableSince: version(99), condition: 'Unreachable' });
    await store.apply([{ op: 'putInstance', instance: running }, { op: 'deleteInstance', instanceId: 'i2' }]);
    t.deepEqual((await store.load()).instances, [stored(running)]);
  });

  it('an app has one last task failure: a new one replaces it', async (t, { store }) => {
    await store.apply([{ op: 'putTaskFailure', failure: taskFailure('/a', 'a.1', 'first') }]);
    await store.apply([{ op: 'putTaskFailure', failure: taskFailure('/a', 'a.2', 'second') }, { op: 'putTaskFailure', failure: taskFailure('/b', 'b.1') }]);
    t.deepEqual(sortBy((await store.load()).taskFailures, (f) => f.appId), [taskFailure('/a', 'a.2', 'second'), taskFailure('/b', 'b.1')]);
  });

  it('the framework id is kept and replaced', async (t, { store }) => {
    await store.apply([{ op: 'putFrameworkId', frameworkId: 'fw-1' }]);
    t.is((await store.load()).frameworkId, 'fw-1');
    await store.apply([{ op: 'putFrameworkId', frameworkId: 'fw-2' }]);
    t.is((await store.load()).frameworkId, 'fw-2');
  });

  it('apply runs its operations in order', async (t, { store }) => {
    await store.apply([{ op: 'putApp', app: appDefinition('/gone') }, { op: 'deleteApp', appId: asPathId('/gone') }]);
    await store.apply([{ op: 'deleteApp', appId: asPathId('/kept') }, { op: 'putApp', app: appDefinition('/kept') }]);
    await store.apply([{ op: 'putInstance', instance: instance('i1') }, { op: 'deleteInstance', instanceId: 'i1' }, { op: 'putFrameworkId', frameworkId: 'a' }, { op: 'putFrameworkId', frameworkId: 'b' }]);
    const state = await store.load();
    t.deepEqual(state.apps.map((a) => a.id), ['/kept']);
    t.deepEqual(state.instances, []);
    t.is(state.frameworkId, 'b');
    await store.apply([]); // nothing to do is fine
  });

  it('apply is atomic: one failing operation and none of the batch lands', async (t, { store }) => {
    await store.apply([{ op: 'putApp', app: appDefinition('/a', version(1)) }, { op: 'putFrameworkId', frameworkId: 'fw-1' }]);
    const before = await store.load();
    const bad = appDefinition('/b', version(1), { labels: { broken: 'nul \u0000 byte' } });
    await t.throwsAsync(store.apply([
      { op: 'putApp', app: appDefinition('/a', version(2)) },
      { op: 'deleteApp', appId: asPathId('/a') },
      { op: 'putFrameworkId', frameworkId: 'fw-2' },
      { op: 'putApp', app: bad },
    ]), { message: /U\+0000/ });
    t.deepEqual(await store.load(), before);
    t.deepEqual(await store.appVersions(asPathId('/a')), [version(1)]);
  });

  it('data outlives the store object (a restarted marathon reads it back)', async (t, { store, reopen }) => {
    const ops: StoreOperation[] = [
      { op: 'putApp', app: appDefinition('/a', version(1)) },
      { op: 'putApp', app: appDefinition('/a', version(2)) },
      { op: 'putGroup', group: groupRecord('/') },
      { op: 'putDeployment', deployment: deployment('d1') },
      { op: 'putInstance', instance: instance('i1', '/a') },
      { op: 'putTaskFailure', failure: taskFailure('/a', 'a.1') },
      { op: 'putFrameworkId', frameworkId: 'fw-1' },
      { op: 'putPod', pod: podDefinition('/p', version(3)) },
      { op: 'putPod', pod: podDefinition('/p', version(4)) },
    ];
    await store.apply(ops);
    const before = await store.load();
    await store.close();
    await t.throwsAsync(store.load(), { message: /closed/ });
    const again = await reopen();
    t.teardown(() => again.close());
    t.deepEqual(await again.load(), before);
    t.deepEqual(await again.appVersions(asPathId('/a')), [version(2), version(1)]);
    t.deepEqual(await again.podVersions(asPathId('/p')), [version(4), version(3)]);
    t.deepEqual(await again.podVersion(asPathId('/p'), version(3)), stored(podDefinition('/p', version(3))));
  });

  it('reads are copies: changing what load returned changes nothing stored', async (t, { store }) => {
    await store.apply([{ op: 'putApp', app: appDefinition('/a') }]);
    const first = await store.load();
    (first.apps[0] as { instances: number }).instances = 99;
    (first.apps[0]!.labels as Record<string, string>).team = 'changed';
    t.deepEqual((await store.load()).apps, [stored(appDefinition('/a'))]);
    await store.apply([{ op: 'putPod', pod: podDefinition('/p') }]);
    const withPod = await store.load();
    (withPod.pods[0]!.labels as Record<string, string>).owner = 'changed';
    const version0 = await store.podVersion(asPathId('/p'), version(0));
    (version0!.containers[0]!.resources as { cpus: number }).cpus = 99;
    t.deepEqual((await store.load()).pods, [stored(podDefinition('/p'))]);
    t.deepEqual(await store.podVersion(asPathId('/p'), version(0)), stored(podDefinition('/p')));
  });

  it('property: any JSON in labels and verbatim fields round-trips, or is refused whole', async (t, { store }) => {
    // Mostly any code point, sometimes a NUL or a lone surrogate half (jsonb refuses those).
    const char = fc.oneof({ weight: 12, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
      { weight: 1, arbitrary: fc.constantFrom('\u0000', '\ud800', '\udfff') });
    const text = fc.string({ unit: char, maxLength: 6 });
    await fc.assert(fc.asyncProperty(
      fc.dictionary(text, text, { maxKeys: 4 }),
      fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
      async (labels, residency) => {
        const app = appDefinition('/p', version(1), { labels, residency });
        const ok = Object.entries(labels).every(([k, v]) => isStorableString(k) && isStorableString(v));
        const outcome = await store.apply([{ op: 'putApp', app }]).then(() => 'stored', () => 'refused');
        if (outcome !== (ok ? 'stored' : 'refused')) return false;
        return !ok || isDeepStrictEqual(await store.appVersion(asPathId('/p'), version(1)), stored(app));
      },
    ), { numRuns: 60 });
    t.pass();
  });

  it('property: the stored state is the fold of the operations applied', async (t, { store }) => {
    const appIds = ['/a', '/b'];
    const podIds = ['/a', '/p']; // '/a' as both: the store keeps apps and pods apart
    const opArb: fc.Arbitrary<StoreOperation> = fc.oneof(
      fc.record({ id: fc.constantFrom(...appIds), v: fc.integer({ min: 0, max: 60 }), n: fc.integer({ min: 0, max: 9 }) })
        .map(({ id, v, n }) => ({ op: 'putApp' as const, app: appDefinition(id, version(v), { instances: n }) })),
      fc.constantFrom(...appIds).map((id) => ({ op: 'deleteApp' as const, appId: asPathId(id) })),
      fc.constantFrom('i1', 'i2', 'i3').map((id) => ({ op: 'putInstance' as const, instance: instance(id) })),
      fc.constantFrom('i1', 'i2', 'i3').map((id) => ({ op: 'deleteInstance' as const, instanceId: id })),
      fc.constantFrom(...appIds).map((id) => ({ op: 'putTaskFailure' as const, failure: taskFailure(id, `${id.slice(1)}.1`) })),
      fc.record({ id: fc.constantFrom(...podIds), v: fc.integer({ min: 0, max: 60 }), n: fc.integer({ min: 0, max: 9 }) })
        .map(({ id, v, n }) => ({ op: 'putPod' as const, pod: podDefinition(id, version(v), { scaling: { kind: 'fixed', instances: n } }) })),
      fc.constantFrom(...podIds).map((id) => ({ op: 'deletePod' as const, podId: asPathId(id) })),
    );
    await fc.assert(fc.asyncProperty(fc.array(fc.array(opArb, { maxLength: 8 }), { maxLength: 12 }), async (batches) => {
      // Start from empty: delete whatever an earlier run left.
      const prior = await store.load();
      await store.apply([
        ...[...appIds, ...prior.apps.map((a) => a.id)].map((id) => ({ op: 'deleteApp' as const, appId: asPathId(id) })),
        ...prior.instances.map((i) => ({ op: 'deleteInstance' as const, instanceId: i.instanceId })),
        ...[...podIds, ...prior.pods.map((p) => p.id)].map((id) => ({ op: 'deletePod' as const, podId: asPathId(id) })),
      ]);
      const model = {
        apps: new Map<string, AppDefinition>(), versions: new Map<string, Set<string>>(), instances: new Set<string>(), failures: new Set<string>(),
        pods: new Map<string, PodDefinition>(), podVersions: new Map<string, Set<string>>(),
      };
      for (const batch of batches) {
        await store.apply(batch);
        for (const op of batch) {
          if (op.op === 'putApp') {
            model.apps.set(op.app.id, op.app);
            model.versions.set(op.app.id, new Set([...(model.versions.get(op.app.id) ?? []), op.app.version]));
          } else if (op.op === 'deleteApp') {
            model.apps.delete(op.appId);
            model.versions.delete(op.appId);
            model.failures.delete(op.appId);
          } else if (op.op === 'putInstance') model.instances.add(op.instance.instanceId);
          else if (op.op === 'deleteInstance') model.instances.delete(op.instanceId);
          else if (op.op === 'putTaskFailure') model.failures.add(op.failure.appId);
          else if (op.op === 'putPod') {
            model.pods.set(op.pod.id, op.pod);
            model.podVersions.set(op.pod.id, new Set([...(model.podVersions.get(op.pod.id) ?? []), op.pod.version]));
          } else if (op.op === 'deletePod') {
            model.pods.delete(op.podId);
            model.podVersions.delete(op.podId);
            model.failures.delete(op.podId);
          }
        }
      }
      const state = await store.load();
      const same = (a: unknown, b: unknown) => isDeepStrictEqual(a, b);
      if (!same(sortBy(state.apps, (a) => a.id), sortBy([...model.apps.values()].map(stored), (a) => a.id))) return false;
      if (!same(state.instances.map((i) => i.instanceId).sort(), [...model.instances].sort())) return false;
      if (!same(state.taskFailures.map((f) => f.appId).sort(), [...model.failures].sort())) return false;
      for (const id of appIds) {
        const expected = model.apps.has(id) ? [...(model.versions.get(id) ?? [])].sort().reverse().slice(0, MAX_APP_VERSIONS) : undefined;
        if (!same(await store.appVersions(asPathId(id)), expected)) return false;
      }
      if (!same(sortBy(state.pods, (p) => p.id), sortBy([...model.pods.values()].map(stored), (p) => p.id))) return false;
      for (const id of podIds) {
        const expected = model.pods.has(id) ? [...(model.podVersions.get(id) ?? [])].sort().reverse().slice(0, MAX_POD_VERSIONS) : undefined;
        if (!same(await store.podVersions(asPathId(id)), expected)) return false;
        const current = model.pods.get(id);
        if (current !== undefined && !same(await store.podVersion(asPathId(id), current.version), stored(current))) return false;
      }
      return true;
    }), { numRuns: 25 });
    t.pass();
  });
}
