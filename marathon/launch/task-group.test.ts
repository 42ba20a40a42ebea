import test from 'ava';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { Resources } from '../../common/resources/resources.ts';
import { codec, type Codec } from '../../proto/codec.ts';
import type { mesos } from '../../proto/types.generated.ts';
import { asPathId } from '../model.ts';
import { createOfferPool } from '../placement/offer-pool.ts';
import type { Match } from '../placement/place-instance.ts';
import { placePod } from '../placement/place-pod.ts';
import { offer, pod, podContainer } from '../placement/test-builders.ts';
import type { PodContainer, PodDefinition, PodEndpoint } from '../pod/pod-definition.ts';
import { buildTaskGroup, podTaskIds, splitMatchResources, type TaskGroupLaunch } from './task-group.ts';

const FIXTURES = '/work/shared/fixtures/marathon-api-examples';
const INSTANCE = 'foo.instance-1b2c';
const EXECUTOR = 'instance-foo.1b2c';

/** The published pod.json as the normaliser stores it (defaults filled in). */
function fixturePod(): PodDefinition {
  const j = JSON.parse(readFileSync(`${FIXTURES}/pod.json`, 'utf8'));
  const base = pod();
  return pod({
    id: j.id, labels: j.labels, user: j.user, environment: j.environment, volumes: j.volumes, networks: j.networks,
    scaling: j.scaling,
    scheduling: { ...base.scheduling, ...j.scheduling },
    containers: j.containers, executorResources: j.executorResources, version: '2026-11-22T10:00:00.000Z',
  });
}

function place(p: PodDefinition, o: mesos.v1.Offer): Match {
  const r = placePod(p, createOfferPool(o), []);
  if (!r.ok) throw new Error(`no fit: ${r.reasons.join()}`);
  return r.match;
}

const executorCodec = codec('mesos.v1.ExecutorInfo');
const groupCodec = codec('mesos.v1.TaskGroupInfo');

/** Built launches are canonical messages: they survive protobuf and JSON round trips unchanged. */
function canonical<T>(c: Codec<T>, value: T): void {
  const viaBytes = c.decode(c.encode(value));
  const viaJson = c.fromJson(JSON.parse(JSON.stringify(c.toJson(value))));
  for (const [how, back] of [['protobuf', viaBytes], ['JSON', viaJson]] as const) {
    if (!isDeepStrictEqual(back, value)) throw new Error(`not canonical (${how}):\n${JSON.stringify(value)}\n${JSON.stringify(back)}`);
  }
}

function build(p: PodDefinition, m: Match): TaskGroupLaunch {
  const launch = buildTaskGroup(p, { instanceId: INSTANCE, executorId: EXECUTOR, taskIds: podTaskIds(p, INSTANCE) }, m, 'fw-1');
  canonical(executorCodec, launch.executor);
  canonical(groupCodec, launch.taskGroup);
  return launch;
}

const envOf = (t: mesos.v1.TaskInfo): Record<string, string | undefined> =>
  Object.fromEntries((t.command?.environment?.variables ?? []).map((v) => [v.name, v.value]));
const scalarRes = (name: string, value: number, role = '*'): mesos.v1.Resource => ({ name, type: 'SCALAR', scalar: { value }, allocation_info: { role } });
const endpoint = (name: string, over: Partial<PodEndpoint> = {}): PodEndpoint => ({ name, protocol: ['tcp'], labels: {}, ...over });

test('podTaskIds: `<instanceId>.<container name>`, as Marathon', (t) => {
  const p = pod({ containers: [podContainer({ name: 'web' }), podContainer({ name: 'log' })] });
  t.deepEqual(podTaskIds(p, 'a_b.instance-9'), ['a_b.instance-9.web', 'a_b.instance-9.log']);
});

test('pod.json example: exact executor and task (container network, image, volume, artifact, check, kill policy)', (t) => {
  const p = fixturePod();
  const o = offer().hostname('srv2.example').agentId('S1').cpus(2).mem(1024).disk(100).ports(31000, 31005).build();
  const { executor, taskGroup } = build(p, place(p, o));
  t.deepEqual(executor, {
    type: 'DEFAULT',
    executor_id: { value: EXECUTOR },
    framework_id: { value: 'fw-1' },
    // executorResources 0.2 / 64 / 50, and the group's host port
    resources: [scalarRes('cpus', 0.2), scalarRes('mem', 64), scalarRes('disk', 50),
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31000 }] }, allocation_info: { role: '*' } }],
    container: { type: 'MESOS', network_infos: [{ name: 'my-network', port_mappings: [{ host_port: 31000, container_port: 80, protocol: 'tcp' }] }] },
    labels: { labels: [{ key: 'owner', value: 'zeus' }, { key: 'note', value: 'Away from olympus' }] },
  });
  const [task] = taskGroup.tasks ?? [];
  t.is(taskGroup.tasks?.length, 1);
  const { command, ...rest } = task;
  t.deepEqual(rest, {
    name: 'container1',
    task_id: { value: `${INSTANCE}.container1` },
    agent_id: { value: 'S1' },
    resources: [scalarRes('cpus', 1), scalarRes('mem', 128)], // disk 0: no entry
    container: {
      type: 'MESOS',
      volumes: [{ mode: 'RO', container_path: '/mnt/etc', host_path: '/hdd/tools/docker/registry' }],
      mesos: { image: { type: 'DOCKER', docker: { name: 'mesosphere/marathon:latest' }, cached: true } },
    },
    labels: { labels: [{ key: 'owner', value: 'zeus' }, { key: 'note', value: 'Away from olympus' }] },
    // container networking: the check probes the container port
    health_check: { type: 'HTTP', http: { scheme: 'http', port: 80, path: '/health' }, delay_seconds: 2, interval_seconds: 2, timeout_seconds: 20, consecutive_failures: 3, grace_period_seconds: 30 },
    kill_policy: { grace_period: { nanoseconds: 60e9 } },
    discovery: { visibility: 'FRAMEWORK', name: 'foo', ports: { ports: [
      { number: 31000, protocol: 'tcp', name: 'httpendpoint', labels: { labels: [{ key: 'network-scope', value: 'host' }] } },
    ] } },
  });
  t.deepEqual({ ...command, environment: undefined }, {
    shell: true, value: 'sleep 100', user: 'root', environment: undefined,
    uris: [{ value: 'https://foo.com/archive.zip', executable: false, extract: true, cache: true, output_file: 'newname.zip' }],
  });
  t.deepEqual(command?.environment?.variables?.map((v) => [v.name, v.value]), [
    ['XPS1', 'Test'], ['XPS2', 'Rest'], ['HOST', 'srv2.example'],
    ['MESOS_TASK_ID', `${INSTANCE}.container1`], ['MESOS_EXECUTOR_ID', EXECUTOR], ['MARATHON_APP_ID', '/foo'],
    ['MARATHON_APP_VERSION', '2026-11-22T10:00:00.000Z'], ['MARATHON_CONTAINER_ID', 'container1'],
    ['MARATHON_CONTAINER_RESOURCE_CPUS', '1.0'], ['MARATHON_CONTAINER_RESOURCE_MEM', '128.0'], ['MARATHON_CONTAINER_RESOURCE_DISK', '0.0'],
    ['MARATHON_CONTAINER_RESOURCE_GPUS', '0'],
    ['MARATHON_APP_LABELS', 'OWNER NOTE'], ['MARATHON_APP_LABEL_OWNER', 'zeus'], ['MARATHON_APP_LABEL_NOTE', 'Away from olympus'],
    // container networking: ENDPOINT_ is the container port
    ['ENDPOINT_HTTPENDPOINT', '80'], ['EP_HOST_HTTPENDPOINT', '31000'], ['EP_CONTAINER_HTTPENDPOINT', '80'],
  ]);
});

/** Host networking, two containers: web (http any port, admin 8080) and a sidecar (metrics any port). */
const hostPod = (): PodDefinition => pod({
  id: '/prod/shop',
  labels: { team: 'a' },
  environment: { SHARED: 'pod', WHO: 'pod' },
  containers: [
    podContainer({
      name: 'web', resources: { cpus: 0.5, mem: 64, disk: 5, gpus: 0 },
      endpoints: [endpoint('http', { hostPort: 0 }), endpoint('admin-port', { hostPort: 8080, protocol: ['tcp', 'udp'] })],
      environment: { WHO: 'web', MESOS_TASK_ID: 'mine' },
      labels: { team: 'b', tier: 'front' },
      healthCheck: { tcp: { endpoint: 'admin-port' }, gracePeriodSeconds: 300, intervalSeconds: 60, maxConsecutiveFailures: 3, timeoutSeconds: 20, delaySeconds: 15 },
      exec: { command: { argv: ['/bin/web', '--port', '0'] } },
    }),
    podContainer({
      name: 'sidecar', resources: { cpus: 0.25, mem: 32, disk: 0, gpus: 0 }, exec: undefined,
      endpoints: [endpoint('metrics', { hostPort: 0 })],
      healthCheck: { exec: { command: { shell: 'test -f /tmp/ok' } }, gracePeriodSeconds: 10, intervalSeconds: 5, maxConsecutiveFailures: 2, timeoutSeconds: 1, delaySeconds: 0 },
      lifecycle: { killGracePeriodSeconds: 2.5 },
    }),
  ],
});
const hostOffer = () => offer().hostname('h1').agentId('A1').allocatedTo('*').cpus(2).mem(256).disk(20).ports(8080, 8080).ports(31000, 31010).build();

test('host networking: endpoint env, checks on host ports, argv without image, env order (table)', (t) => {
  const p = hostPod();
  const { taskGroup, executor } = build(p, place(p, hostOffer()));
  const [web, sidecar] = taskGroup.tasks ?? [];
  t.is(executor.container?.network_infos, undefined); // the host network: no network infos
  const cases: [string, unknown, unknown][] = [
    ['web argv: shell off, the program as value (no image)', web.command && { shell: web.command.shell, value: web.command.value, arguments: web.command.arguments },
      { shell: false, value: '/bin/web', arguments: ['/bin/web', '--port', '0'] }],
    ['sidecar without exec: shell off, nothing to run but the image', sidecar.command && { shell: sidecar.command.shell, value: sidecar.command.value }, { shell: false, value: undefined }],
    ['ENDPOINT_HTTP is the host port (host networking)', envOf(web).ENDPOINT_HTTP, '31000'],
    ['EP_HOST_ADMIN_PORT: name escaped', envOf(web).EP_HOST_ADMIN_PORT, '8080'],
    ['no container port: no EP_CONTAINER_', envOf(web).EP_CONTAINER_HTTP, undefined],
    ['every endpoint of the pod, also the other container\'s', envOf(web).ENDPOINT_METRICS, '31001'],
    ['the container\'s env beats the pod\'s', envOf(web).WHO, 'web'],
    ['the pod\'s env reaches every container', envOf(sidecar).SHARED, 'pod'],
    ['Marathon\'s variables beat the container\'s env', envOf(web).MESOS_TASK_ID, `${INSTANCE}.web`],
    ['container labels beat pod labels', [envOf(web).MARATHON_APP_LABEL_TEAM, envOf(web).MARATHON_APP_LABELS], ['b', 'TEAM TIER']],
    ['pod labels in every container', envOf(sidecar).MARATHON_APP_LABEL_TEAM, 'a'],
    ['container resources: Java doubles', [envOf(web).MARATHON_CONTAINER_RESOURCE_CPUS, envOf(sidecar).MARATHON_CONTAINER_RESOURCE_CPUS], ['0.5', '0.25']],
    ['TCP check on the host port', web.health_check, { type: 'TCP', tcp: { port: 8080 }, delay_seconds: 15, interval_seconds: 60, timeout_seconds: 20, consecutive_failures: 3, grace_period_seconds: 300 }],
    ['exec check through the shell', sidecar.health_check, { type: 'COMMAND', command: { shell: true, value: 'test -f /tmp/ok' }, delay_seconds: 0, interval_seconds: 5, timeout_seconds: 1, consecutive_failures: 2, grace_period_seconds: 10 }],
    ['kill grace 2.5 s in nanoseconds', sidecar.kill_policy, { grace_period: { nanoseconds: 2_500_000_000 } }],
    ['no kill policy without lifecycle', web.kill_policy, undefined],
    ['no ContainerInfo when it would only say MESOS', [web.container, sidecar.container], [undefined, undefined]],
    ['discovery: host ports, one per protocol, no scope label', web.discovery, { visibility: 'FRAMEWORK', name: 'shop.prod', ports: { ports: [
      { number: 31000, protocol: 'tcp', name: 'http' }, { number: 8080, protocol: 'tcp', name: 'admin-port' }, { number: 8080, protocol: 'udp', name: 'admin-port' },
    ] } }],
    ['labels: the container\'s only', web.labels, { labels: [{ key: 'team', value: 'b' }, { key: 'tier', value: 'front' }] }],
  ];
  for (const [name, got, want] of cases) t.deepEqual(got, want, name);
});

test('resources: the executor first, then each container, splitting entries where a share ends (table)', (t) => {
  // cpus: reserved 0.3 (role web) + unreserved 2; shares: executor 0.1, web 0.5, sidecar 0.25
  const p = pod({ ...hostPod(), role: 'web' });
  const o = offer().allocatedTo('web').cpus(0.3, { role: 'web' }).cpus(2).mem(256).disk(20).ports(8080, 8080).ports(31000, 31010).build();
  const { executor, taskGroup } = build(p, place(p, o));
  const [web, sidecar] = taskGroup.tasks ?? [];
  const reserved = { reservations: [{ type: 'STATIC' as const, role: 'web' }] };
  const cpusOf = (list: readonly mesos.v1.Resource[] | undefined) => (list ?? []).filter((r) => r.name === 'cpus');
  const cases: [string, mesos.v1.Resource[], mesos.v1.Resource[]][] = [
    ['executor: 0.1 of the reserved 0.3', cpusOf(executor.resources), [{ ...scalarRes('cpus', 0.1, 'web'), ...reserved }]],
    ['web: the reserved 0.2 left, then 0.3 unreserved', cpusOf(web.resources), [{ ...scalarRes('cpus', 0.2, 'web'), ...reserved }, scalarRes('cpus', 0.3, 'web')]],
    ['sidecar: 0.25 unreserved', cpusOf(sidecar.resources), [scalarRes('cpus', 0.25, 'web')]],
    ['sidecar: mem 32, no disk', (sidecar.resources ?? []).filter((r) => r.name !== 'cpus'), [scalarRes('mem', 32, 'web')]],
    ['executor: every host port', (executor.resources ?? []).filter((r) => r.name === 'ports'),
      [{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 8080, end: 8080 }, { begin: 31000, end: 31001 }] }, allocation_info: { role: 'web' } }]],
  ];
  for (const [name, got, want] of cases) t.deepEqual(got, want, name);
});

test('resources: what a match holds beyond the pod\'s needs stays with the executor', (t) => {
  const p = pod();
  const m: Match = { agentId: 'A', hostname: 'h', role: '*', hostPorts: [], attributes: {}, resources: [scalarRes('cpus', 2), scalarRes('mem', 160), scalarRes('disk', 10), scalarRes('gpus', 1)] };
  const s = splitMatchResources(p, m);
  t.deepEqual(s.executor, [scalarRes('cpus', 1), scalarRes('mem', 32), scalarRes('disk', 10), scalarRes('gpus', 1)]); // 0.1 + 0.9 extra cpus, the gpu
  t.deepEqual(s.tasks, [[scalarRes('cpus', 1), scalarRes('mem', 128)]]);
  t.throws(() => splitMatchResources(p, { ...m, resources: [scalarRes('cpus', 1), scalarRes('mem', 160), scalarRes('disk', 10)] }), { instanceOf: RangeError });
});

test('container: image kinds, force pull, tty, ephemeral and persistent volumes, secret volumes left out (table)', (t) => {
  const mounts = [{ name: 'scratch', mountPath: 'scratch', readOnly: false }, { name: 'data', mountPath: '/data', readOnly: true }, { name: 'creds', mountPath: '/creds', readOnly: true }];
  const p = (c: Partial<PodContainer>) => pod({
    volumes: [{ name: 'scratch' }, { name: 'data', persistent: { size: 1 } }, { name: 'creds', secret: 'db' }],
    containers: [podContainer(c)],
  });
  const m: Match = { agentId: 'A', hostname: 'h', role: '*', hostPorts: [], attributes: {}, resources: [scalarRes('cpus', 1.1), scalarRes('mem', 160), scalarRes('disk', 10)] };
  const containerOf = (pd: PodDefinition) => build(pd, m).taskGroup.tasks?.[0].container;
  const cases: [string, PodDefinition, mesos.v1.ContainerInfo | undefined][] = [
    ['docker image, force pull: not cached', p({ image: { kind: 'DOCKER', id: 'nginx:1', forcePull: true } }),
      { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: 'nginx:1' }, cached: false } } }],
    ['appc image for linux amd64', p({ image: { kind: 'APPC', id: 'coreos.com/etcd', forcePull: false } }),
      { type: 'MESOS', mesos: { image: { type: 'APPC', appc: { name: 'coreos.com/etcd', labels: { labels: [{ key: 'os', value: 'linux' }, { key: 'arch', value: 'amd64' }] } }, cached: true } } }],
    ['tty', p({ tty: true }), { type: 'MESOS', tty_info: {} }],
    ['ephemeral in the executor sandbox, persistent by name, no secret', p({ volumeMounts: mounts }), { type: 'MESOS', volumes: [
      { mode: 'RW', container_path: 'scratch', source: { type: 'SANDBOX_PATH', sandbox_path: { type: 'PARENT', path: 'volumes/scratch' } } },
      { mode: 'RO', container_path: '/data', source: { type: 'SANDBOX_PATH', sandbox_path: { type: 'PARENT', path: 'data' } } },
    ] }],
    ['nothing to say: none', p({}), undefined],
  ];
  for (const [name, pd, want] of cases) t.deepEqual(containerOf(pd), want, name);
});

test('bridge networking: mesos-bridge, container port 0 maps to the host port, checks and discovery on container ports', (t) => {
  const p = pod({
    networks: [{ mode: 'container/bridge', labels: { zone: 'x' } }],
    containers: [podContainer({
      endpoints: [endpoint('http', { hostPort: 0, containerPort: 8080 }), endpoint('dyn', { hostPort: 0, containerPort: 0 }), endpoint('inner', { containerPort: 9000 })],
      healthCheck: { http: { endpoint: 'http', path: '/', scheme: 'HTTPS' }, gracePeriodSeconds: 1, intervalSeconds: 2, maxConsecutiveFailures: 3, timeoutSeconds: 4, delaySeconds: 5 },
    })],
  });
  const { executor, taskGroup } = build(p, place(p, offer().cpus(2).mem(256).disk(20).ports(31000, 31010).build()));
  const [task] = taskGroup.tasks ?? [];
  t.deepEqual(executor.container?.network_infos, [{ name: 'mesos-bridge', labels: { labels: [{ key: 'zone', value: 'x' }] }, port_mappings: [
    { host_port: 31000, container_port: 8080, protocol: 'tcp' }, { host_port: 31001, container_port: 31001, protocol: 'tcp' },
  ] }]);
  t.deepEqual(task.health_check?.http, { scheme: 'https', port: 8080, path: '/' });
  t.like(envOf(task), { ENDPOINT_HTTP: '8080', EP_HOST_HTTP: '31000', ENDPOINT_INNER: '9000', EP_CONTAINER_INNER: '9000' });
  t.is(envOf(task).EP_HOST_INNER, undefined);
  // a bridge has no container network name: the container-only endpoint is not announced
  t.deepEqual(task.discovery?.ports?.ports?.map((x) => x.number), [31000, 31001]);
});

test('a health check naming an endpoint without a usable port is left out', (t) => {
  const p = pod({
    containers: [podContainer({
      endpoints: [endpoint('inner', { containerPort: 9000 })], // host networking, no host port
      healthCheck: { tcp: { endpoint: 'inner' }, gracePeriodSeconds: 1, intervalSeconds: 2, maxConsecutiveFailures: 3, timeoutSeconds: 4, delaySeconds: 5 },
    })],
  });
  const m: Match = { agentId: 'A', hostname: 'h', role: '*', hostPorts: [], attributes: {}, resources: [scalarRes('cpus', 1.1), scalarRes('mem', 160), scalarRes('disk', 10)] };
  t.is(build(p, m).taskGroup.tasks?.[0].health_check, undefined);
});

test('argv with overrideEntrypoint and an image: the first word is the value; without it the image\'s entry point gets the arguments', (t) => {
  const m: Match = { agentId: 'A', hostname: 'h', role: '*', hostPorts: [], attributes: {}, resources: [scalarRes('cpus', 1.1), scalarRes('mem', 160), scalarRes('disk', 10)] };
  const image = { kind: 'DOCKER' as const, id: 'busybox', forcePull: false };
  const cmd = (overrideEntrypoint: boolean) => {
    const c = build(pod({ containers: [podContainer({ image, exec: { command: { argv: ['sh', '-c', 'true'] }, overrideEntrypoint } })] }), m).taskGroup.tasks?.[0].command;
    return { shell: c?.shell, value: c?.value, arguments: c?.arguments };
  };
  t.deepEqual(cmd(true), { shell: false, value: 'sh', arguments: ['sh', '-c', 'true'] });
  t.deepEqual(cmd(false), { shell: false, value: undefined, arguments: ['sh', '-c', 'true'] });
});

test('task ids must match the containers', (t) => {
  const p = pod({ id: asPathId('/x') });
  const m: Match = { agentId: 'A', hostname: 'h', role: '*', hostPorts: [], attributes: {}, resources: [scalarRes('cpus', 1.1), scalarRes('mem', 160), scalarRes('disk', 10)] };
  t.throws(() => buildTaskGroup(p, { instanceId: 'i', executorId: 'e', taskIds: [] }, m, 'fw'), { instanceOf: RangeError });
});

// --- property ----------------------------------------------------------------------------------

const podArb: fc.Arbitrary<PodDefinition> = fc.record({
  containers: fc.array(fc.record({
    cpus: fc.integer({ min: 0, max: 15 }).map((x) => x / 10),
    mem: fc.integer({ min: 0, max: 300 }),
    disk: fc.integer({ min: 0, max: 20 }),
    gpus: fc.integer({ min: 0, max: 1 }),
    ports: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 31000, max: 31008 })), { maxLength: 2 }),
  }), { minLength: 1, maxLength: 3 }),
  executor: fc.record({ cpus: fc.integer({ min: 0, max: 3 }).map((x) => x / 10), mem: fc.integer({ min: 0, max: 64 }), disk: fc.integer({ min: 0, max: 10 }) }),
}).map(({ containers, executor }) => pod({
  role: 'web',
  executorResources: executor,
  containers: containers.map((c, i) => podContainer({
    name: `c${i}`, resources: { cpus: c.cpus, mem: c.mem, disk: c.disk, gpus: c.gpus }, endpoints: c.ports.map((hp, j) => endpoint(`e${i}x${j}`, { hostPort: hp })),
  })),
}));

const offerArb: fc.Arbitrary<mesos.v1.Offer> = fc.record({
  cpus: fc.integer({ min: 0, max: 40 }).map((x) => x / 10),
  reservedCpus: fc.integer({ min: 0, max: 15 }).map((x) => x / 10),
  mem: fc.integer({ min: 0, max: 1024 }),
  reservedMem: fc.integer({ min: 0, max: 200 }),
  disk: fc.integer({ min: 0, max: 60 }),
  gpus: fc.integer({ min: 0, max: 2 }),
  portLo: fc.integer({ min: 31000, max: 31004 }),
  portLen: fc.integer({ min: 0, max: 8 }),
}).map((o) => {
  const b = offer().allocatedTo('web');
  if (o.reservedCpus > 0) b.cpus(o.reservedCpus, { role: 'web' });
  if (o.cpus > 0) b.cpus(o.cpus);
  if (o.reservedMem > 0) b.mem(o.reservedMem, { role: 'web' });
  if (o.mem > 0) b.mem(o.mem);
  if (o.disk > 0) b.disk(o.disk);
  if (o.gpus > 0) b.gpus(o.gpus);
  return b.ports(o.portLo, o.portLo + o.portLen).build();
});

test('property: executor + tasks take exactly the match, never more than the offer, each container its own scalars', (t) => {
  fc.assert(fc.property(offerArb, podArb, (o, p) => {
    const r = placePod(p, createOfferPool(o), []);
    if (!r.ok) return true;
    const { executor, taskGroup } = buildTaskGroup(p, { instanceId: 'i', executorId: 'e', taskIds: podTaskIds(p, 'i') }, r.match, 'fw');
    const tasks = taskGroup.tasks ?? [];
    const total = tasks.reduce((acc, task) => acc.plus(Resources.fromProto(task.resources)), Resources.fromProto(executor.resources));
    const ownScalars = tasks.every((task, i) => {
      const got = Resources.fromProto(task.resources);
      const want = p.containers[i].resources;
      return got.scalar('cpus') === want.cpus && got.scalar('mem') === want.mem && got.scalar('disk') === want.disk && got.scalar('gpus') === want.gpus
        && got.ranges('ports').length === 0;
    });
    const exec = Resources.fromProto(executor.resources);
    return total.equals(Resources.fromProto(r.match.resources))
      && Resources.fromProto(o.resources).contains(total)
      && ownScalars
      && exec.scalar('cpus') === p.executorResources.cpus && exec.scalar('mem') === p.executorResources.mem && exec.scalar('disk') === p.executorResources.disk;
  }));
  t.pass();
});
