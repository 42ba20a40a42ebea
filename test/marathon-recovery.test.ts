/**
 * Marathon's recovery paths with real processes (master, agents, marathon, PostgreSQL): an agent
 * that vanishes makes its instance unreachable; the unreachable strategy replaces it elsewhere and
 * expunges it; when the agent comes back with the old task still running (tasks outlive their
 * agent), reconciliation reports a task marathon no longer knows and marathon kills it, so exactly
 * `instances` tasks run in the end. An app deleted while its instance is unreachable is gone at
 * once (Marathon expunges what it cannot kill) and its returning task is killed too.
 */
import test, { type ExecutionContext } from 'ava';
import { killTaskProcesses, startAgent, startMaster, type Flags, type MaestroProcess } from './support/maestro-process.ts';
import { createTestDatabase } from './support/postgres.ts';
import { appSettled, call, eventually, startMarathon, type Json } from './support/marathon-cluster.ts';

const AGENT_FLAGS = (hostname: string, ports: string): Flags => ({ resources: `cpus:4;mem:4096;disk:4096;ports:[${ports}]`, hostname });

interface RecoveryCluster {
  readonly master: MaestroProcess;
  readonly marathon: MaestroProcess;
  readonly agents: Map<string, MaestroProcess>;
  /** Kill -9 of the agent with this hostname (its tasks keep running). */
  killAgent(hostname: string): Promise<void>;
  /** Starts it again on its work dir and port; resolves once the master has it back. */
  restartAgent(hostname: string): Promise<void>;
}

async function recoveryCluster(t: ExecutionContext): Promise<RecoveryCluster> {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  // Fast partition detection: 2 missed pings of 200 ms make an agent unreachable.
  const master = await startMaster({ allocation_interval: '50ms', agent_ping_timeout: '200ms', max_agent_ping_timeouts: 2, quiet: true });
  t.teardown(() => master.stop());
  const specs = new Map([['a1.test', '31000-31499'], ['a2.test', '31500-31999']]);
  const agents = new Map<string, MaestroProcess>();
  const workDirs = new Map<string, string>();
  for (const [hostname, ports] of specs) {
    const agent = await startAgent(master.url, AGENT_FLAGS(hostname, ports));
    agents.set(hostname, agent);
    workDirs.set(hostname, agent.workDir);
    t.teardown(async () => {
      killTaskProcesses(agent.workDir);
      await agents.get(hostname)?.stop();
    });
  }
  // Reconciliation every second: a task that returns with its agent is heard of at once.
  const marathon = await startMarathon(t, master.url, db.url, { flags: { reconciliation_interval: 1000 } });
  return {
    master,
    marathon,
    agents,
    async killAgent(hostname) {
      await agents.get(hostname)!.kill();
    },
    async restartAgent(hostname) {
      const old = agents.get(hostname)!;
      const port = new URL(old.url).port;
      const agent = await startAgent(master.url, { ...AGENT_FLAGS(hostname, specs.get(hostname)!), port }, { workDir: workDirs.get(hostname)! });
      agents.set(hostname, agent);
      await eventually(async () => {
        const slaves = ((await (await fetch(`${master.url}/master/slaves`)).json()) as Json).slaves as Json[];
        return slaves.some((s) => s.hostname === hostname && s.active === true);
      }, `${hostname} to be back`);
    },
  };
}

/** Non-terminal tasks the master holds for marathon. */
async function masterTasks(masterUrl: string): Promise<Json[]> {
  const state = await (await fetch(`${masterUrl}/master/state`)).json() as Json;
  return (state.frameworks as Json[]).filter((f) => f.name === 'marathon').flatMap((f) => f.tasks as Json[])
    .filter((task) => task.state === 'TASK_RUNNING' || task.state === 'TASK_STAGING' || task.state === 'TASK_STARTING');
}

test('an agent lost and back: its instance is replaced per the unreachable strategy, and the returning task is killed (one instance in the end)', async (t) => {
  const c = await recoveryCluster(t);
  const m = c.marathon.url;
  const created = await call(m, 'POST', '/v2/apps', {
    id: '/part', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 1,
    unreachableStrategy: { inactiveAfterSeconds: 1, expungeAfterSeconds: 3 },
  });
  t.is(created.status, 201, created.text);
  const [first] = await appSettled(m, '/part', 1);
  const lostHost = first.host as string;
  const otherHost = lostHost === 'a1.test' ? 'a2.test' : 'a1.test';

  await c.killAgent(lostHost);
  // Unreachable, inactive after 1 s: a replacement runs on the other agent; expunged after 3 s.
  const [replacement] = await eventually(async () => {
    const tasks = (await call(m, 'GET', '/v2/apps/part/tasks')).body.tasks as Json[];
    return tasks.length === 1 && tasks[0].id !== first.id && tasks[0].state === 'TASK_RUNNING' ? tasks : undefined;
  }, 'the replacement to run alone (the unreachable instance expunged)', 30_000);
  t.is(replacement.host, otherHost);

  await c.restartAgent(lostHost);
  // The old task still ran; the master adopts it, reconciliation reports it, marathon kills it.
  const left = await eventually(async () => {
    const tasks = await masterTasks(c.master.url);
    return tasks.length === 1 ? tasks : undefined;
  }, 'the master to run only the replacement', 30_000);
  t.is(left[0].id, replacement.id);
  t.deepEqual(((await call(m, 'GET', '/v2/apps/part/tasks')).body.tasks as Json[]).map((task) => task.id), [replacement.id]);
  t.deepEqual((await call(m, 'GET', '/v2/deployments')).body, []);
});

test('an app deleted while its instance is unreachable is gone at once, and its task is killed when the agent returns', async (t) => {
  const c = await recoveryCluster(t);
  const m = c.marathon.url;
  const created = await call(m, 'POST', '/v2/apps', {
    id: '/stranded', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 1, unreachableStrategy: 'disabled',
  });
  t.is(created.status, 201, created.text);
  const [task] = await appSettled(m, '/stranded', 1);
  await c.killAgent(task.host as string);
  await eventually(async () => {
    const tasks = (await call(m, 'GET', '/v2/apps/stranded/tasks')).body.tasks as Json[];
    return tasks[0]?.state === 'TASK_UNREACHABLE';
  }, 'the instance to be unreachable', 30_000);

  const deleted = await call(m, 'DELETE', '/v2/apps/stranded');
  t.is(deleted.status, 200, deleted.text);
  await eventually(async () => (await call(m, 'GET', '/v2/deployments')).body.length === 0, 'the stop to finish without the agent', 15_000);
  t.deepEqual((await call(m, 'GET', '/v2/tasks')).body.tasks, [], 'nothing of the app is left');

  await c.restartAgent(task.host as string);
  await eventually(async () => (await masterTasks(c.master.url)).length === 0, 'the returning task to be killed', 30_000);
  t.pass();
});
