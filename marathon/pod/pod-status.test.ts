import test from 'ava';
import { asPathId, type Instance, type InstanceCondition, type PodTask, type TaskStateName } from '../model.ts';
import type { PodDefinition } from './pod-definition.ts';
import { podToJson } from './pod-json.ts';
import { HEALTH_REPORTED, HEALTH_UNREPORTED, podStatusJson, STATUS_MSG, type PodStatusOptions } from './pod-status.ts';
import { parsePod } from './parse-pod.ts';

const T0 = '2026-11-22T10:00:00.000Z';
const STAGED = '2026-11-22T10:01:00.000Z';
const STARTED = '2026-11-22T10:02:00.000Z';
const LOST = '2026-11-22T10:03:00.000Z';
const NOW = '2026-11-22T10:05:00.000Z';

function pod(instances = 1): PodDefinition {
  const r = parsePod({
    id: '/shop',
    scaling: { kind: 'fixed', instances },
    containers: [
      {
        name: 'web', resources: { cpus: 1, mem: 128 },
        endpoints: [{ name: 'http', hostPort: 0 }, { name: 'admin', hostPort: 0 }],
        healthCheck: { http: { endpoint: 'http' } },
      },
      { name: 'sidecar', resources: { cpus: 0.5, mem: 64 } },
    ],
  }, { now: T0 });
  if (!r.ok) throw new Error(JSON.stringify(r.details));
  return r.value;
}

/** A pod instance: both containers in `state` (undefined: not launched yet), web's health as given. */
function instance(condition: InstanceCondition, state: TaskStateName | undefined, healthy?: boolean, id = 'shop.instance-1'): Instance {
  const task = (name: string): PodTask => ({
    taskId: `${id}.${name}`, name,
    ...(state !== undefined ? { state } : {}),
    ...(state === 'TASK_RUNNING' ? { startedAt: STARTED } : {}),
    ...(name === 'web' && healthy !== undefined ? { healthy } : {}),
  });
  return {
    instanceId: id, taskId: `${id}.web`, appId: asPathId('/shop'), version: T0, condition,
    ...(state !== undefined ? { state } : {}),
    agentId: condition === 'Provisioned' ? '' : 'agent-1', host: condition === 'Provisioned' ? '' : 'node-1',
    ports: condition === 'Provisioned' ? [] : [31000, 31001], ipAddresses: [], attributes: {}, role: '*',
    stagedAt: STAGED,
    ...(condition === 'Running' ? { startedAt: STARTED } : {}),
    ...(condition === 'Unreachable' ? { unreachableSince: LOST } : {}),
    healthCheckResults: [], goal: 'Running',
    podTasks: [task('web'), task('sidecar')],
  };
}

const opts: PodStatusOptions = { now: NOW };
type J = Record<string, any>;
const only = (p: PodDefinition, i: Instance): J => (podStatusJson(p, [i], opts).instances as J[])[0];

// executor 0.1/32/10 + web 1/128/0 + sidecar 0.5/64/0 while the tasks hold their resources
const HELD = { cpus: 1.6, mem: 224, disk: 10, gpus: 0 };
const EXECUTOR_ONLY = { cpus: 0.1, mem: 32, disk: 10, gpus: 0 };

const INSTANCE_TABLE: [name: string, i: Instance, status: string, message: string | undefined, since: string, resources: J][] = [
  ['provisioned: pending, nothing held', instance('Provisioned', undefined), 'PENDING', undefined, STAGED, EXECUTOR_ONLY],
  ['staging', instance('Staging', 'TASK_STAGING'), 'STAGING', undefined, STAGED, HELD],
  ['starting', instance('Starting', 'TASK_STARTING'), 'STAGING', undefined, STAGED, HELD],
  ['running and healthy', instance('Running', 'TASK_RUNNING', true), 'STABLE', undefined, STARTED, HELD],
  ['running, health not reported yet', instance('Running', 'TASK_RUNNING'), 'DEGRADED', STATUS_MSG.unhealthy, STARTED, HELD],
  ['running, unhealthy', instance('Running', 'TASK_RUNNING', false), 'DEGRADED', STATUS_MSG.unhealthy, STARTED, HELD],
  ['unreachable', instance('Unreachable', 'TASK_UNREACHABLE', true), 'DEGRADED', STATUS_MSG.unreachable, LOST, HELD],
  ['killing', instance('Killing', 'TASK_KILLING', true), 'TERMINAL', undefined, STAGED, HELD],
  ['finished', instance('Finished', 'TASK_FINISHED'), 'TERMINAL', undefined, STAGED, EXECUTOR_ONLY],
  ['failed', instance('Failed', 'TASK_FAILED'), 'TERMINAL', undefined, STAGED, EXECUTOR_ONLY],
];

for (const [name, i, status, message, since, resources] of INSTANCE_TABLE) {
  test(`instance status: ${name} -> ${status}`, (t) => {
    const s = only(pod(), i);
    t.is(s.status, status);
    t.is(s.message, message);
    t.is(s.statusSince, since);
    t.deepEqual(s.resources, resources);
  });
}

test('a running, healthy instance in full: containers with task ids, allocated host ports, the checked endpoint last with its health', (t) => {
  t.deepEqual(only(pod(), instance('Running', 'TASK_RUNNING', true)), {
    id: 'shop.instance-1', status: 'STABLE', statusSince: STARTED, conditions: [],
    agentId: 'agent-1', agentHostname: 'node-1',
    resources: HELD, networks: [],
    containers: [
      {
        name: 'web', status: 'TASK_RUNNING', statusSince: STARTED, containerId: 'shop.instance-1.web',
        endpoints: [{ name: 'admin', allocatedHostPort: 31001 }, { name: 'http', allocatedHostPort: 31000, healthy: true }],
        conditions: [{ name: 'healthy', lastChanged: STARTED, lastUpdated: STARTED, value: 'true', reason: HEALTH_REPORTED }],
        resources: { cpus: 1, mem: 128, disk: 0, gpus: 0 },
        lastUpdated: STARTED, lastChanged: STARTED,
      },
      {
        name: 'sidecar', status: 'TASK_RUNNING', statusSince: STARTED, containerId: 'shop.instance-1.sidecar',
        endpoints: [], conditions: [], resources: { cpus: 0.5, mem: 64, disk: 0, gpus: 0 },
        lastUpdated: STARTED, lastChanged: STARTED,
      },
    ],
    specReference: `/v2/pods/shop::versions/${T0}`,
    lastUpdated: STARTED, lastChanged: STARTED,
  });
});

test('containers before launch: TASK_STAGING without a container id; after: health unreported reads false', (t) => {
  const [web] = only(pod(), instance('Provisioned', undefined)).containers as J[];
  t.is(web.status, 'TASK_STAGING');
  t.false('containerId' in web);
  t.deepEqual(web.conditions, []);
  const [running] = only(pod(), instance('Running', 'TASK_RUNNING')).containers as J[];
  t.deepEqual(running.conditions.map((c: J) => [c.value, c.reason]), [['false', HEALTH_UNREPORTED]]);
  t.deepEqual(running.endpoints.at(-1), { name: 'http', allocatedHostPort: 31000 });
});

const POD_TABLE: [name: string, wanted: number, states: Instance[], terminating: boolean, status: string][] = [
  ['2 of 2 stable', 2, [instance('Running', 'TASK_RUNNING', true, 'a'), instance('Running', 'TASK_RUNNING', true, 'b')], false, 'STABLE'],
  ['1 of 2 stable', 2, [instance('Running', 'TASK_RUNNING', true, 'a'), instance('Staging', 'TASK_STAGING', undefined, 'b')], false, 'DEGRADED'],
  ['none of 1 yet', 1, [], false, 'DEGRADED'],
  ['0 wanted, none there', 0, [], false, 'STABLE'],
  ['3 stable of 2 wanted', 2, ['a', 'b', 'c'].map((id) => instance('Running', 'TASK_RUNNING', true, id)), false, 'STABLE'],
  ['being deleted', 1, [instance('Running', 'TASK_RUNNING', true)], true, 'TERMINAL'],
];

for (const [name, wanted, instances, terminating, status] of POD_TABLE) {
  test(`pod status: ${name} -> ${status}`, (t) => {
    t.is(podStatusJson(pod(wanted), instances, { now: NOW, terminating }).status, status);
  });
}

test('pod status: spec, statusSince the latest instance change (now without instances), other pods\' instances left out', (t) => {
  const p = pod();
  const other: Instance = { ...instance('Running', 'TASK_RUNNING', true, 'x'), appId: asPathId('/other') };
  const s = podStatusJson(p, [instance('Staging', 'TASK_STAGING', undefined, 'a'), instance('Unreachable', 'TASK_UNREACHABLE', true, 'b'), other], opts);
  t.deepEqual(s.spec, podToJson(p));
  t.is(s.id, '/shop');
  t.deepEqual((s.instances as J[]).map((i) => i.id), ['a', 'b']);
  t.is(s.statusSince, LOST);
  t.is(s.lastChanged, LOST);
  t.is(s.lastUpdated, NOW);
  t.deepEqual(s.terminationHistory, []);
  const empty = podStatusJson(p, [], opts);
  t.is(empty.statusSince, NOW);
  t.deepEqual(empty.instances, []);
});

test('an instance is shown against the definition of its version; the executor share is that definition\'s', (t) => {
  const current = pod();
  const old: PodDefinition = { ...current, version: '2026-11-21T00:00:00.000Z', executorResources: { cpus: 0.2, mem: 64, disk: 50 } };
  const i = { ...instance('Running', 'TASK_RUNNING', true), version: old.version };
  const s = (podStatusJson(current, [i], { now: NOW, specAt: (v) => (v === old.version ? old : undefined) }).instances as J[])[0];
  t.is(s.specReference, `/v2/pods/shop::versions/${old.version}`);
  t.deepEqual(s.resources, { cpus: 1.7, mem: 256, disk: 50, gpus: 0 }); // 0.2+1+0.5, 64+128+64, 50
});

test('container networking: the instance\'s addresses under the pod\'s one named network', (t) => {
  const r = parsePod({ id: '/shop', networks: [{ name: 'dcos' }], containers: [{ name: 'web', resources: {} }] }, { now: T0 });
  if (!r.ok) throw new Error(JSON.stringify(r.details));
  const i: Instance = { ...instance('Running', 'TASK_RUNNING'), ipAddresses: [{ ipAddress: '9.0.0.7', protocol: 'IPv4' }] };
  t.deepEqual(only(r.value, i).networks, [{ name: 'dcos', addresses: ['9.0.0.7'] }]);
});
