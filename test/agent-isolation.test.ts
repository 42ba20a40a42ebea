/**
 * A real master and agent with `--isolation=cgroups/cpu,cgroups/mem` on this host's cgroups
 * (v1 on the development machines; the v2 files where they differ, see `FILES`): a task runs in a
 * cgroup of its own with the limits of its resources, an OOM kill ends it TASK_FAILED with
 * REASON_CONTAINER_LIMITATION_MEMORY (source SOURCE_AGENT, the limit in the message), and no
 * cgroup is left after a task ended, after a kill, and after a kill -9 and restart of the agent
 * (which also destroys a cgroup no task owns). Each test has its own `--cgroups_root`
 * (`maestro-test-<pid>-<n>`), killed and removed in teardown, also on failure. Assertions are on
 * task states, kernel files and counters, never on time.
 */
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CgroupHierarchy } from '../slave/isolators/cgroups/hierarchy.ts';
import { hostCgroups } from './support/host-cgroups.ts';
import { killTaskProcesses, startAgent } from './support/maestro-process.ts';
import { autoAck, launch, scalar, startCluster, taskPids, until, update, type Cluster } from './support/task-cluster.ts';
import type { Json } from './support/http-scheduler.ts';

const { layout, v1: V1 } = hostCgroups();
const FILES = {
  memoryLimit: V1 ? 'memory.limit_in_bytes' : 'memory.max',
  cpuShare: V1 ? 'cpu.shares' : 'cpu.weight',
};
/** cpu share of 0.5 cpus: v1 shares ⌊1024 × 0.5⌋ = 512; v2 weight 1 + ⌊(512 − 2) × 9999 / 262142⌋ = 20. */
const HALF_CPU_SHARE = V1 ? '512' : '20';
const RESOURCES = 'cpus:4;mem:4096;disk:4096;ports:[31000-31100]';
const MIB = 1024 * 1024;

let roots = 0;

/** A `--cgroups_root` of this test alone and the hierarchy to look at it; killed and removed in teardown (registered first: it runs last). */
function testRoot(t: ExecutionContext): { root: string; hierarchy: CgroupHierarchy; flags: Record<string, string> } {
  const root = `maestro-test-${process.pid}-${++roots}`;
  const hierarchy = new CgroupHierarchy({ layout, root, subsystems: ['cpu', 'cpuacct', 'memory'] });
  t.teardown(() => hierarchy.destroyAll());
  return { root, hierarchy, flags: { isolation: 'cgroups/cpu,cgroups/mem', cgroups_root: root, resources: RESOURCES } };
}

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8').trim();
const procsOf = (dir: string) => read(dir, 'cgroup.procs').split('\n').filter((l) => l !== '').map(Number);

/** The one container cgroup under the root (a running task's); fails if there is not exactly one. */
function onlyContainer(t: ExecutionContext, hierarchy: CgroupHierarchy): string {
  const names = hierarchy.list();
  t.is(names.length, 1, `container cgroups under the root: ${names.join(', ')}`);
  return names[0];
}

async function killTask(c: Cluster, taskId: string, agentId: Json): Promise<void> {
  const answer = await c.sub.call({ type: 'KILL', kill: { task_id: { value: taskId }, agent_id: agentId } });
  if (answer.status !== 202) throw new Error(`KILL: ${answer.status} ${answer.text}`);
}

/** Polls the master until its one agent has re-registered (`reregistered_time` is set; bounded: 400 rounds). */
async function reregistered(c: Cluster): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const slaves = ((await fetch(`${c.master.url}/master/slaves`).then((r) => r.json())) as Json).slaves as Json[];
    if (slaves.length === 1 && slaves[0].reregistered_time !== undefined && slaves[0].active === true) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the restarted agent did not re-register');
}

test('a task allocating past mem:32 is OOM-killed: TASK_FAILED, REASON_CONTAINER_LIMITATION_MEMORY, source SOURCE_AGENT, the limit in the message; no cgroup left', async (t) => {
  const { hierarchy, flags } = testRoot(t);
  const c = await startCluster(t, { agentFlags: flags });
  autoAck(c);
  await launch(c, [{ id: 'hog', command: 'head -c 100M /dev/zero | tail' }]);
  const failed = (await update(c, 'hog', 'TASK_FAILED')).update.status;
  t.is(failed.reason, 'REASON_CONTAINER_LIMITATION_MEMORY');
  t.is(failed.source, 'SOURCE_AGENT');
  t.regex(failed.message, /^Memory limit exceeded: limit 32 MB \(33554432 bytes\), peak usage \d/);
  t.deepEqual(failed.limitation?.resources?.map((r: Json) => [r.name, r.scalar?.value]), [['mem', 32]]);
  await until(() => hierarchy.list().length === 0, 'the container cgroup to be removed');
  t.deepEqual(hierarchy.list(), []);
});

test('a running task is in its own cgroup with the limits of its resources (the supervisor outside); usage comes from it; a kill leaves no cgroup', async (t) => {
  const { hierarchy, flags } = testRoot(t);
  const c = await startCluster(t, { agentFlags: flags });
  autoAck(c);
  // `exec`: the task is one process from its start, so the counts below cannot race a fork.
  await launch(c, [{ id: 'sleeper', command: 'exec sleep 300', extra: { resources: [scalar('cpus', 0.5), scalar('mem', 48)] } }]);
  const running = (await update(c, 'sleeper', 'TASK_RUNNING')).update.status;
  t.false(c.agent.output().includes('NOT ENFORCED'), 'cpu and mem enforced: no posix warning');
  const id = onlyContainer(t, hierarchy);
  const cg = hierarchy.cgroup(id);
  t.is(read(cg.dir('memory'), FILES.memoryLimit), String(48 * MIB));
  t.is(read(cg.dir('cpu'), FILES.cpuShare), HALF_CPU_SHARE);
  const pids = taskPids(c.agent.workDir, 'sleeper');
  t.is(pids.length, 1);
  const inside = procsOf(cg.dir('memory'));
  for (const pid of pids) t.true(inside.includes(pid), `task process ${pid} in the memory cgroup`);
  for (const pid of pids) t.true(procsOf(cg.dir('cpu')).includes(pid), `task process ${pid} in the cpu cgroup`);
  // Only the task's processes: the supervisor (the task's parent) stays outside, to live and write the exit status.
  const supervisor = Number(readFileSync(`/proc/${pids[0]}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
  t.false(inside.includes(supervisor));

  const stats = await fetch(`${c.agent.url}/monitor/statistics`).then((r) => r.json() as Promise<Json[]>);
  t.is(stats.length, 1);
  // mem_total_bytes exists only in the cgroup's figures (memory.usage_in_bytes / memory.current), never in the /proc ones.
  t.is(stats[0].statistics.mem_limit_bytes, 48 * MIB);
  t.true(stats[0].statistics.mem_total_bytes > 0, 'usage from the memory cgroup');
  t.is(stats[0].statistics.processes, 1, 'processes counted in the cgroup');

  await killTask(c, 'sleeper', running.agent_id);
  await update(c, 'sleeper', 'TASK_KILLED');
  await until(() => hierarchy.list().length === 0, 'the container cgroup to be removed');
  t.deepEqual(hierarchy.list(), []);
  t.deepEqual(taskPids(c.agent.workDir, 'sleeper'), []);
});

test('kill -9 of the agent: the restarted agent recovers the task still in its cgroup, destroys a cgroup no task owns; the kill leaves nothing', async (t) => {
  const { hierarchy, flags } = testRoot(t);
  const c = await startCluster(t, { agentFlags: flags });
  autoAck(c);
  await launch(c, [{ id: 'survivor', command: 'exec sleep 300' }]);
  const running = (await update(c, 'survivor', 'TASK_RUNNING')).update.status;
  const id = onlyContainer(t, hierarchy);
  const memoryDir = hierarchy.cgroup(id).dir('memory');
  const before = taskPids(c.agent.workDir, 'survivor');
  t.is(before.length, 1);
  const port = new URL(c.agent.url).port;
  const workDir = c.agent.workDir;

  await c.agent.kill();
  t.deepEqual(taskPids(workDir, 'survivor'), before, 'the task outlives the agent');
  // A cgroup that belongs to no task (left by some earlier agent): the restarted agent destroys it.
  for (const dir of hierarchy.dirs('stray')) mkdirSync(dir);

  const restarted = await startAgent(c.master.url, { ...flags, port }, { workDir });
  t.teardown(async () => {
    killTaskProcesses(workDir);
    await restarted.stop();
  });
  // Recovery is done before the agent says it started.
  t.deepEqual(hierarchy.list(), [id]);
  // A KILL is for an agent the master has back: a master drops a kill for a disconnected agent (as Mesos).
  await reregistered(c);
  t.false(hierarchy.dirs('stray').some((d) => existsSync(d)));
  const answer = await fetch(`${restarted.url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ type: 'GET_TASKS' }) });
  const launched = ((await answer.json()) as Json).get_tasks.launched_tasks as Json[];
  t.deepEqual(launched.map((x) => [x.task_id.value, x.state]), [['survivor', 'TASK_RUNNING']]);
  const inside = procsOf(memoryDir);
  for (const pid of before) t.true(inside.includes(pid), `task process ${pid} still in its cgroup`);

  await killTask(c, 'survivor', running.agent_id);
  try {
    await update(c, 'survivor', 'TASK_KILLED');
  } catch (e) {
    t.log(`updates: ${JSON.stringify(c.sub.events.filter((x) => x.type === 'UPDATE').map((x) => [x.update.status.state, x.update.status.message]))}\nrestarted agent:\n${restarted.output()}`);
    throw e;
  }
  await until(() => hierarchy.list().length === 0, 'the container cgroup to be removed');
  t.deepEqual(hierarchy.list(), []);
  t.deepEqual(taskPids(workDir, 'survivor'), []);
});

test('bad isolation flags stop the agent before it starts, with a message naming the flag', (t) => {
  const workDir = mkdtempSync(join(tmpdir(), 'maestro-agent-isolation-'));
  t.teardown(() => rmSync(workDir, { recursive: true, force: true }));
  const cases: Array<[string[], string]> = [
    [['--isolation=cgroups/memory'], "maestro agent: --isolation: unknown isolator 'cgroups/memory'"],
    [['--isolation=namespaces/ipc'], "maestro agent: --isolation: 'namespaces/ipc' is a Mesos isolator that maestro does not implement yet"],
    [['--isolation=cgroups/cpu,posix/cpu'], 'maestro agent: --isolation:'],
    [['--isolation=cgroups/cpu', '--cgroups_root=a/b'], "maestro agent: --cgroups_root: 'a/b' must be one path segment"],
    [['--isolation=cgroups/pids', '--cgroups_pids_max=0'], "maestro agent: --cgroups_pids_max: expected a positive whole number, got '0'"],
  ];
  for (const [flags, expected] of cases) {
    // A bound: an agent that wrongly accepts the flags would run until killed.
    const r = spawnSync(process.execPath, ['--import=tsx', 'bin/cli.ts', 'agent', '--master=127.0.0.1:1', `--work_dir=${workDir}`, ...flags], { encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url)), timeout: 60_000 });
    t.is(r.status, 1, flags.join(' '));
    t.true(r.stderr.startsWith(expected), `${flags.join(' ')}: ${r.stderr}`);
  }
});
