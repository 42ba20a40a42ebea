/**
 * Marathon's durable state and high availability, with real processes and PostgreSQL: a kill -9 in
 * the middle of a deployment resumes it after the restart without duplicate instances; two
 * marathons share one database, the follower forwards to the leader and takes over when the
 * leader dies, keeping the running tasks (framework failover, no relaunch).
 */
import test from 'ava';
import { appSettled, call, eventually, startMarathonCluster, type Json } from './support/marathon-cluster.ts';

/** Non-terminal tasks the master holds for frameworks named marathon. */
async function masterTasks(masterUrl: string): Promise<Json[]> {
  const state = await (await fetch(`${masterUrl}/master/state`)).json() as Json;
  return (state.frameworks as Json[]).filter((f) => f.name === 'marathon').flatMap((f) => f.tasks as Json[]);
}

test('a kill -9 of marathon during a deployment: the restarted marathon resumes it and never duplicates an instance', async (t) => {
  const c = await startMarathonCluster(t, [{}, {}]);
  const created = await call(c.marathon.url, 'POST', '/v2/apps', { id: '/resume', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 8 });
  t.is(created.status, 201, created.text);
  // Kill as soon as the first launches reached the master: the deployment is mid-way.
  await eventually(async () => (await masterTasks(c.master.url)).length > 0, 'the first launches');
  await c.marathon.kill();

  const again = await c.startMarathon({ workDir: c.marathon.workDir });
  const tasks = await appSettled(again.url, '/resume', 8, 90_000);
  t.is(new Set(tasks.map((task) => task.id)).size, 8);
  // The master runs exactly the 8 instances marathon knows: nothing launched twice, nothing orphaned.
  const running = await eventually(async () => {
    const m = await masterTasks(c.master.url);
    return m.length === 8 ? m : undefined;
  }, 'the master to hold exactly 8 tasks', 30_000);
  t.deepEqual(running.map((task) => task.id).sort(), tasks.map((task) => task.id).sort());
  t.deepEqual((await call(again.url, 'GET', '/v2/deployments')).body, []);
});

test('two marathons on one database: one leads, the follower forwards to it, and takes over with the tasks kept when it dies', async (t) => {
  const c = await startMarathonCluster(t, [{}]);
  const first = c.marathon;
  const second = await c.startMarathon();
  const leaderOf = async (url: string) => (await call(url, 'GET', '/v2/leader')).body?.leader as string | undefined;
  const firstAddress = first.url.replace(/^http:\/\//, '');
  await eventually(async () => (await leaderOf(second.url)) === firstAddress, 'the follower to name the leader');
  t.is(await leaderOf(first.url), firstAddress);
  const info = await call(second.url, 'GET', '/v2/info');
  t.is(info.status, 200, info.text);
  t.is(info.body.leader, firstAddress);

  // A change sent to the follower reaches the leader.
  const created = await call(second.url, 'POST', '/v2/apps', { id: '/ha', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 2 });
  t.is(created.status, 201, created.text);
  const before = await appSettled(first.url, '/ha', 2);
  const frameworkId = (await call(first.url, 'GET', '/v2/info')).body.frameworkId as string;
  t.truthy(frameworkId);

  await first.kill();
  const secondAddress = second.url.replace(/^http:\/\//, '');
  await eventually(async () => (await leaderOf(second.url)) === secondAddress, 'the follower to take over', 60_000);
  const after = await appSettled(second.url, '/ha', 2, 60_000);
  t.deepEqual(after.map((task) => task.id).sort(), before.map((task) => task.id).sort(), 'the same tasks, not relaunched');
  t.is((await call(second.url, 'GET', '/v2/info')).body.frameworkId, frameworkId);
});
