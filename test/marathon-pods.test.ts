/**
 * Marathon pods (`/v2/pods`) against a real master, agent and PostgreSQL: a pod of two containers
 * runs as task groups (LAUNCH_GROUP, the default executor), is scaled, has an instance killed and
 * replaced, and is deleted; the published example pod (fixtures pod.json) is accepted.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { call, eventually, startMarathonCluster, type Json } from './support/marathon-cluster.ts';

const fixture = (name: string): Json => JSON.parse(readFileSync(`/work/shared/fixtures/marathon-api-examples/${name}`, 'utf8'));

/** Non-terminal tasks the master holds for marathon. */
async function masterTasks(masterUrl: string): Promise<Json[]> {
  const state = await (await fetch(`${masterUrl}/master/state`)).json() as Json;
  return (state.frameworks as Json[]).filter((f) => f.name === 'marathon').flatMap((f) => f.tasks as Json[]);
}

/** The pod's status once `count` instances have every container running and no deployment holds it. */
function podSettled(base: string, id: string, count: number): Promise<Json> {
  return eventually(async () => {
    const s = await call(base, 'GET', `/v2/pods${id}::status`);
    if (s.status !== 200) return undefined;
    const instances = s.body.instances as Json[];
    const deployments = (await call(base, 'GET', '/v2/deployments')).body as Json[];
    const running = instances.filter((i) => (i.containers as Json[]).every((c) => c.status === 'TASK_RUNNING'));
    return running.length === count && instances.length === count && deployments.length === 0 ? s.body : undefined;
  }, `${id} to run ${count} instances`, 60_000);
}

test('a pod of two containers runs as task groups, scales, has a killed instance replaced, and is deleted', async (t) => {
  const c = await startMarathonCluster(t, [{}]);
  const m = c.marathon.url;
  const pod = {
    id: '/duo',
    scaling: { kind: 'fixed', instances: 2 },
    containers: [
      { name: 'main', exec: { command: { shell: 'sleep 1000' } }, resources: { cpus: 0.1, mem: 32 } },
      { name: 'side', exec: { command: { shell: 'sleep 1000' } }, resources: { cpus: 0.1, mem: 32 } },
    ],
  };
  const created = await call(m, 'POST', '/v2/pods', pod);
  t.is(created.status, 201, created.text);
  t.is(created.body.id, '/duo');
  const two = await podSettled(m, '/duo', 2);
  t.deepEqual((two.instances[0].containers as Json[]).map((x) => x.name).sort(), ['main', 'side']);
  const tasks = await eventually(async () => {
    const ts = await masterTasks(c.master.url);
    return ts.length === 4 && ts.every((x) => x.state === 'TASK_RUNNING') ? ts : undefined;
  }, 'four running tasks on the master');
  t.is(new Set(tasks.map((x) => x.executor_id)).size, 2, 'one default executor per instance');

  const scaled = await call(m, 'PUT', '/v2/pods/duo', { ...pod, scaling: { kind: 'fixed', instances: 1 } });
  t.is(scaled.status, 200, scaled.text);
  const one = await podSettled(m, '/duo', 1);
  const victim = one.instances[0].id as string;

  const killed = await call(m, 'DELETE', `/v2/pods/duo::instances/${victim}`);
  t.is(killed.status, 200, killed.text);
  const replaced = await eventually(async () => {
    const s = await podSettled(m, '/duo', 1);
    return s.instances[0].id !== victim ? s : undefined;
  }, 'the killed instance to be replaced');
  t.not(replaced.instances[0].id, victim);

  const deleted = await call(m, 'DELETE', '/v2/pods/duo');
  t.true(deleted.status === 200 || deleted.status === 202, deleted.text);
  await eventually(async () => (await call(m, 'GET', '/v2/pods/duo')).status === 404, 'the pod to be gone');
  await eventually(async () => (await masterTasks(c.master.url)).length === 0, 'its tasks to be gone');
});

test('the published example pod (pod.json) is accepted, served back, and deleted', async (t) => {
  const c = await startMarathonCluster(t, [{}]);
  const m = c.marathon.url;
  // It cannot run here (its named network my-network does not exist); the definition is the point.
  const created = await call(m, 'POST', '/v2/pods', fixture('pod.json'));
  t.is(created.status, 201, created.text);
  const got = await call(m, 'GET', '/v2/pods/foo');
  t.is(got.status, 200, got.text);
  t.is(got.body.containers[0].name, 'container1');
  t.is(got.body.executorResources.mem, 64);
  const bad = await call(m, 'POST', '/v2/pods', { id: '/bad', containers: [{ name: 'a', resources: { cpus: -1, mem: 32 } }] });
  t.is(bad.status, 422, bad.text);
  t.is((await call(m, 'GET', '/v2/pods/bad')).status, 404);
  const deleted = await call(m, 'DELETE', '/v2/pods/foo?force=true');
  t.true(deleted.status === 200 || deleted.status === 202, deleted.text);
  await eventually(async () => (await call(m, 'GET', '/v2/pods/foo')).status === 404, 'the example pod to be gone');
});
