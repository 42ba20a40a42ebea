import test from 'ava';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { codec } from '../../proto/codec.ts';
import type { mesos } from '../../proto/types.generated.ts';
import type { AppDefinition, Container } from '../model.ts';
import { createOfferPool } from '../placement/offer-pool.ts';
import { placeInstance, type Match } from '../placement/place-instance.ts';
import { app, offer } from '../placement/test-builders.ts';
import { appHostName, buildTaskInfo } from './task-info.ts';

const FIXTURES = '/work/shared/fixtures/marathon-api-examples';

/** The published app.json example as the normaliser would store it (1.4 docker network kept). */
function fixtureApp(): AppDefinition {
  const j = JSON.parse(readFileSync(`${FIXTURES}/app.json`, 'utf8'));
  const container: Container = {
    type: 'DOCKER',
    docker: { ...j.container.docker },
    volumes: j.container.volumes,
  };
  return app({
    id: j.id, cmd: j.cmd, args: j.args, user: j.user, env: j.env, instances: j.instances, cpus: j.cpus, mem: j.mem, disk: j.disk,
    constraints: j.constraints, acceptedResourceRoles: j.acceptedResourceRoles, container, networks: [],
    healthChecks: j.healthChecks.map((h: Record<string, unknown>) => ({ delaySeconds: 15, ...h })), labels: j.labels,
    portDefinitions: j.portDefinitions, requirePorts: j.requirePorts,
    fetch: j.fetch.map((f: Record<string, unknown>) => ({ executable: false, extract: true, cache: false, ...f })),
    taskKillGracePeriodSeconds: j.taskKillGracePeriodSeconds, version: '2026-11-22T10:00:00.000Z', role: 'mesos_role',
  });
}

function place(a: AppDefinition, o: mesos.v1.Offer): Match {
  const r = placeInstance(a, createOfferPool(o), []);
  if (!r.ok) throw new Error(`no fit: ${r.reasons.join()}`);
  return r.match;
}

const taskCodec = codec('mesos.v1.TaskInfo');

/** Built TaskInfos are canonical messages: they survive protobuf and JSON round trips unchanged. */
function build(a: AppDefinition, taskId: string, m: Match): mesos.v1.TaskInfo {
  const task = buildTaskInfo(a, { taskId }, m);
  const viaBytes = taskCodec.decode(taskCodec.encode(task));
  const viaJson = taskCodec.fromJson(JSON.parse(JSON.stringify(taskCodec.toJson(task))));
  for (const [how, back] of [['protobuf', viaBytes], ['JSON', viaJson]] as const) {
    if (!isDeepStrictEqual(back, task)) throw new Error(`not canonical (${how}):\n${JSON.stringify(task)}\n${JSON.stringify(back)}`);
  }
  return task;
}

const envOf = (t: mesos.v1.TaskInfo): [string, string | undefined][] => (t.command?.environment?.variables ?? []).map((v) => [v.name, v.value]);

test('name: the app id as a host name, segments reversed (Marathon toHostname)', (t) => {
  for (const [id, want] of [['/foo', 'foo'], ['/prod/web', 'web.prod'], ['/a/b/c', 'c.b.a']] as const) t.is(appHostName(id), want);
});

test('app.json example: exact TaskInfo (docker bridge, args, fetch, labels, env, kill policy)', (t) => {
  const a = fixtureApp();
  const o = offer().allocatedTo('mesos_role').hostname('srv2.example').agentId('S1')
    .cpus(1, { role: 'mesos_role' }).mem(512, { role: 'mesos_role' }).ports(31000, 31005, { role: 'mesos_role' }).build();
  const m = place(a, o);
  const task = build(a, 'foo.1', m);
  t.is(task.name, 'foo');
  t.deepEqual(task.task_id, { value: 'foo.1' });
  t.deepEqual(task.agent_id, { value: 'S1' });
  const resv = [{ type: 'STATIC', role: 'mesos_role' }];
  const alloc = { role: 'mesos_role' };
  t.deepEqual(task.resources, [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 }, reservations: resv, allocation_info: alloc },
    { name: 'mem', type: 'SCALAR', scalar: { value: 16 }, reservations: resv, allocation_info: alloc },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31000 }] }, reservations: resv, allocation_info: alloc },
  ]);
  t.deepEqual(task.command, {
    environment: { variables: task.command?.environment?.variables ?? [] },
    value: 'sleep 1000', // cmd given, and a container: args do not set value
    shell: false,
    arguments: ['sleep', '100'],
    uris: [
      { value: 'https://foo.com/setup.py', executable: false, extract: true, cache: false },
      { value: 'https://foo.com/archive.zip', executable: false, extract: true, cache: true, output_file: 'newname.zip' },
    ],
    user: 'root',
  });
  t.deepEqual(envOf(task), [
    ['MESOS_TASK_ID', 'foo.1'],
    ['MARATHON_APP_ID', '/foo'],
    ['MARATHON_APP_VERSION', '2026-11-22T10:00:00.000Z'],
    ['MARATHON_APP_DOCKER_IMAGE', 'mesosphere:marathon/latest'],
    ['MARATHON_APP_RESOURCE_CPUS', '0.1'],
    ['MARATHON_APP_RESOURCE_MEM', '16.0'],
    ['MARATHON_APP_RESOURCE_DISK', '0.0'],
    ['MARATHON_APP_RESOURCE_GPUS', '0'],
    ['MARATHON_APP_LABELS', 'OWNER NOTE'],
    ['MARATHON_APP_LABEL_OWNER', 'zeus'],
    ['MARATHON_APP_LABEL_NOTE', 'Away from olympus'],
    ['PORT0', '31000'],
    ['PORT_80', '31000'], // keyed by the container port
    ['PORT_HTTP', '31000'],
    ['PORT', '31000'],
    ['PORTS', '31000'],
    ['HOST', 'srv2.example'],
    ['XPS1', 'Test'],
    ['XPS2', 'Rest'], // PASSWORD is a secret reference: skipped
  ]);
  t.deepEqual(task.container, {
    type: 'DOCKER',
    docker: {
      image: 'mesosphere:marathon/latest',
      network: 'BRIDGE',
      privileged: false,
      parameters: [{ key: 'name', value: 'kdc' }, { key: 'label', value: 'MESOS_TASK_ID=foo.1' }],
      force_pull_image: false,
      port_mappings: [{ host_port: 31000, container_port: 80, protocol: 'tcp' }],
    },
    volumes: [{ container_path: '/docker_storage', host_path: '/hdd/tools/docker/registry', mode: 'RW' }],
  });
  t.deepEqual(task.labels, { labels: [{ key: 'owner', value: 'zeus' }, { key: 'note', value: 'Away from olympus' }] });
  t.deepEqual(task.discovery, {
    visibility: 'FRAMEWORK',
    name: 'foo',
    ports: { ports: [{ number: 31000, protocol: 'tcp', name: 'http', labels: { labels: [{ key: 'vip', value: '192.168.0.1:80' }, { key: 'network-scope', value: 'host' }] } }] },
  });
  t.is(task.health_check, undefined); // an HTTP check is Marathon-run
  t.deepEqual(task.kill_policy, { grace_period: { nanoseconds: 30_000_000_000 } });
});

test('simple app (app-simple.json): shell command, host ports, exact env', (t) => {
  const j = JSON.parse(readFileSync(`${FIXTURES}/app-simple.json`, 'utf8'));
  const a = app({ id: j.id, cmd: j.cmd, cpus: j.cpus, mem: j.mem, disk: j.disk, instances: j.instances,
    portDefinitions: [{ port: 10000, protocol: 'tcp', name: 'web' }, { port: 10001, protocol: 'udp,tcp' }] });
  const m = place(a, offer().hostname('h1').ports(31000, 31009).cpus(1).mem(64).build());
  const task = build(a, 'simple.7', m);
  t.deepEqual(m.hostPorts, [31000, 31001]);
  t.deepEqual(task.command, { environment: task.command?.environment, value: 'sleep 1000' }); // shell unset = true
  t.deepEqual(envOf(task), [
    ['MESOS_TASK_ID', 'simple.7'],
    ['MARATHON_APP_ID', '/simple'],
    ['MARATHON_APP_VERSION', '2026-11-22T10:00:00.000Z'],
    ['MARATHON_APP_RESOURCE_CPUS', '0.1'],
    ['MARATHON_APP_RESOURCE_MEM', '16.0'],
    ['MARATHON_APP_RESOURCE_DISK', '0.0'],
    ['MARATHON_APP_RESOURCE_GPUS', '0'],
    ['MARATHON_APP_LABELS', ''],
    ['PORT0', '31000'],
    ['PORT1', '31001'],
    ['PORT_10000', '31000'], // service port -> host port
    ['PORT_10001', '31001'],
    ['PORT_WEB', '31000'],
    ['PORT', '31000'],
    ['PORTS', '31000,31001'],
    ['HOST', 'h1'],
  ]);
  t.is(task.container, undefined);
  t.deepEqual(task.discovery?.ports?.ports, [
    { number: 31000, protocol: 'tcp', name: 'web' },
    { number: 31001, protocol: 'udp' },
    { number: 31001, protocol: 'tcp' },
  ]);
  t.deepEqual(task.resources, [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 }, allocation_info: { role: '*' } },
    { name: 'mem', type: 'SCALAR', scalar: { value: 16 }, allocation_info: { role: '*' } },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31001 }] }, allocation_info: { role: '*' } },
  ]);
});

test('args without a container: shell off, value is args[0] (the command executor execs it)', (t) => {
  const a = app({ cmd: undefined, args: ['/bin/echo', 'hi'], portDefinitions: [] });
  const task = build(a, 't', place(a, offer().cpus(2).mem(256).build()));
  t.is(task.command?.shell, false);
  t.is(task.command?.value, '/bin/echo');
  t.deepEqual(task.command?.arguments, ['/bin/echo', 'hi']);
  t.deepEqual(task.discovery, { visibility: 'FRAMEWORK', name: 'app', ports: {} });
});

test('requirePorts keeps the declared order of fixed ports (Marathon #2865)', (t) => {
  const a = app({ id: '/product/frontend', requirePorts: true, portDefinitions: [{ port: 25552, protocol: 'tcp' }, { port: 25551, protocol: 'tcp' }] });
  const m = place(a, offer().cpus(2).mem(256).ports(25000, 26000).build());
  const env = new Map(envOf(build(a, 't', m)));
  t.deepEqual(m.hostPorts, [25552, 25551]);
  t.is(env.get('PORT0'), '25552');
  t.is(env.get('PORT_25552'), '25552');
  t.is(env.get('PORT1'), '25551');
  t.is(env.get('PORT_25551'), '25551');
});

test('MESOS container on the bridge with a MESOS_HTTP check on the container port', (t) => {
  const a = app({
    id: '/web', networks: [{ mode: 'container/bridge' }], portDefinitions: [],
    container: { type: 'MESOS', docker: { image: 'nginx', forcePullImage: true, privileged: false, parameters: [] }, volumes: [],
      portMappings: [{ containerPort: 80, hostPort: 0, servicePort: 10000, protocol: 'tcp', name: 'http' }] },
    healthChecks: [{ protocol: 'MESOS_HTTP', portIndex: 0, path: '/', gracePeriodSeconds: 10, intervalSeconds: 5, timeoutSeconds: 2, maxConsecutiveFailures: 3, delaySeconds: 1 }],
  });
  const task = build(a, 'web.1', place(a, offer().cpus(2).mem(256).ports(31000, 31001).build()));
  t.deepEqual(task.container, {
    type: 'MESOS',
    mesos: { image: { type: 'DOCKER', docker: { name: 'nginx' }, cached: false } },
    network_infos: [{ ip_addresses: [{}], name: 'mesos-bridge', port_mappings: [{ host_port: 31000, container_port: 80, protocol: 'tcp' }] }],
  });
  t.deepEqual(task.health_check, {
    type: 'HTTP', http: { scheme: 'http', port: 80, path: '/' },
    delay_seconds: 1, interval_seconds: 5, timeout_seconds: 2, consecutive_failures: 3, grace_period_seconds: 10,
  });
  t.false(new Map(envOf(task)).has('MARATHON_APP_DOCKER_IMAGE')); // DOCKER containers only, as Marathon
});

test('a custom executor path runs the command through a fresh executor', (t) => {
  const a = app({ executor: '/opt/exec', cmd: 'run --fast', portDefinitions: [] });
  const task = build(a, 'x.1', place(a, offer().cpus(2).mem(256).build()));
  t.is(task.command, undefined);
  t.deepEqual(task.executor?.executor_id, { value: 'marathon-x.1' });
  t.is(task.executor?.command?.value, "chmod ug+rx '/opt/exec' && exec '/opt/exec' run --fast");
  t.is(task.executor?.command?.shell, true);
});

test('the TaskInfo does not share objects with the match', (t) => {
  const a = app();
  const m = place(a, offer().cpus(2).mem(256).ports(31000, 31001).build());
  const task = build(a, 't', m);
  task.resources![0].name = 'changed';
  t.not(m.resources[0].name, 'changed');
});
