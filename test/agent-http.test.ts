/**
 * The agent's HTTP surface on a real `maestro agent` registered with a real `maestro master`,
 * with a plain-HTTP framework running one shell task: `/state` shows the framework, executor
 * and task with its sandbox directory; `/files` browses and reads the task's stdout through
 * the Mesos virtual path and refuses paths out of the sandbox; `/monitor/statistics` shows the
 * task's container while it runs; the `/api/v1` operator API answers GET_TASKS; after a kill the
 * executor is completed and its sandbox still readable. A second agent with a short `--gc_delay`
 * removes a finished task's sandbox and its checkpoints once the terminal update is acknowledged.
 * A restarted agent ages a run completed before the restart from its sandbox's mtime (Mesos), so a
 * sandbox older than `--gc_delay` goes at once, and `/metrics/snapshot` counts the removal.
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync, readFileSync, utimesSync } from 'node:fs';
import { dirname } from 'node:path';
import { killTaskProcesses, startAgent, startMaster, type Flags } from './support/maestro-process.ts';
import { frameworkInfo, getJson, rawRequest, subscribe, subscribeCall, type Json } from './support/http-scheduler.ts';

/** Acknowledges every update of `sub` as it arrives and resolves with the first in `state`. */
function updateWaiter(sub: Awaited<ReturnType<typeof subscribe>>): (state: string) => Promise<Json> {
  const acked = new Set<string>();
  return async (state) => {
    for (let from = 0; ;) {
      const event = await sub.waitForEvent('UPDATE', () => true, 30_000, from);
      from = sub.events.indexOf(event) + 1;
      const status = event.update.status as Json;
      if (status.uuid !== undefined && !acked.has(status.uuid as string)) {
        acked.add(status.uuid as string);
        await sub.call({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid } });
      }
      if (status.state === state) return event;
    }
  };
}

/** Polls `probe` until it returns a value (at most `attempts` times, 100 ms apart). */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string, attempts = 100): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** A master, one agent with `agentFlags`, a framework, and one command task launched on the first offer (0.1 cpus, `memMb`). */
async function oneTask(t: ExecutionContext, o: { agentFlags: Flags; framework: string; taskId: string; command: string; memMb: number }) {
  const master = await startMaster({ allocation_interval: '100ms', quiet: true });
  t.teardown(() => master.stop());
  const agent = await startAgent(master.url, o.agentFlags);
  t.teardown(async () => {
    killTaskProcesses(agent.workDir);
    await agent.stop();
  });
  const sub = await subscribe(master.url, subscribeCall(frameworkInfo({ name: o.framework })));
  t.teardown(() => sub.close());
  const offer = (await sub.waitForEvent('OFFERS', () => true, 30_000)).offers.offers[0];
  const accepted = await sub.call({
    type: 'ACCEPT',
    accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [{
      name: o.taskId.replace(/-\d+$/, ''), task_id: { value: o.taskId }, agent_id: offer.agent_id,
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: o.memMb } }],
      command: { value: o.command, shell: true },
    }] } }] },
  });
  return { master, agent, sub, offer, frameworkId: sub.frameworkId(), accepted };
}

test('agent /files, /state, /monitor/statistics and /api/v1 around a real task', async (t) => {
  const { agent, sub, offer, frameworkId, accepted } = await oneTask(t, {
    agentFlags: { resources: 'cpus:2;mem:1024;disk:1024;ports:[31000-31100]' }, framework: 'files-test',
    taskId: 'chatty-1', command: 'echo hello-from-the-sandbox; exec sleep 60', memMb: 32,
  });
  t.is(accepted.status, 202);
  // Updates of a task arrive one at a time, each after the previous one is acknowledged.
  const waitForState = updateWaiter(sub);
  await waitForState('TASK_RUNNING');

  // /state: the framework, its executor with the sandbox directory, and the running task.
  const state = await getJson(agent.url, '/state');
  t.is(state.id, offer.agent_id.value);
  t.regex(state.pid, /^slave\(1\)@127\.0\.0\.1:\d+$/);
  const framework = (state.frameworks as Json[]).find((f) => f.id === frameworkId)!;
  t.truthy(framework);
  const executor = (framework.executors as Json[]).find((e) => (e.tasks as Json[]).some((x) => x.id === 'chatty-1'))!;
  t.truthy(executor);
  t.is((executor.tasks as Json[])[0].state, 'TASK_RUNNING');
  t.true((executor.directory as string).startsWith(`${agent.workDir}/slaves/${offer.agent_id.value}/frameworks/${frameworkId}/executors/`));
  t.regex(executor.directory as string, new RegExp(`/runs/${executor.container}$`));

  // /files through the Mesos virtual path of the run.
  const virtual = `/frameworks/${frameworkId}/executors/${executor.id}/runs/latest`;
  const listing = await getJson(agent.url, `/files/browse?path=${encodeURIComponent(virtual)}`) as unknown as Json[];
  t.true(listing.some((e) => e.path === `${virtual}/stdout`));
  const stdout = await eventually(async () => {
    const read = await getJson(agent.url, `/files/read?path=${encodeURIComponent(`${virtual}/stdout`)}&offset=0`);
    return (read.data as string).includes('hello-from-the-sandbox') ? read : undefined;
  }, 'the task output in stdout');
  t.is(stdout.offset, 0);
  const end = await getJson(agent.url, `/files/read?path=${encodeURIComponent(`${virtual}/stdout`)}`);
  t.deepEqual(end, { data: '', offset: Buffer.byteLength(stdout.data as string) });
  const escape = await rawRequest(agent.url, { method: 'GET', path: `/files/read?offset=0&path=${encodeURIComponent(`${virtual}${'/..'.repeat(20)}/etc/passwd`)}` });
  t.is(escape.status, 400);
  t.notRegex(escape.body.toString(), /root:/);
  t.is((await rawRequest(agent.url, { method: 'GET', path: '/files/read?offset=0&path=%2Fetc%2Fpasswd' })).status, 404);
  t.is((await rawRequest(agent.url, { method: 'GET', path: `/files/browse?path=${encodeURIComponent(agent.workDir)}` })).status, 404);

  // /monitor/statistics while it runs.
  const stats = await eventually(async () => {
    const list = await getJson(agent.url, '/monitor/statistics') as unknown as Json[];
    return list.find((s) => s.executor_id === executor.id && s.framework_id === frameworkId);
  }, 'the task in /monitor/statistics');
  t.is(typeof stats.statistics.timestamp, 'number');
  t.is(typeof stats.statistics.mem_rss_bytes, 'number');

  // The v1 operator API.
  const tasks = await rawRequest(agent.url, {
    method: 'POST', path: '/api/v1', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ type: 'GET_TASKS' }),
  });
  t.is(tasks.status, 200);
  t.deepEqual(JSON.parse(tasks.body.toString()).get_tasks.launched_tasks.map((x: Json) => x.task_id.value), ['chatty-1']);

  // Kill: the executor completes and its sandbox stays readable until garbage collection.
  await sub.call({ type: 'KILL', kill: { task_id: { value: 'chatty-1' }, agent_id: offer.agent_id } });
  await waitForState('TASK_KILLED');
  const after = await eventually(async () => {
    const s = await getJson(agent.url, '/state');
    const all = [...(s.frameworks as Json[]), ...(s.completed_frameworks as Json[])];
    return all.flatMap((f) => f.completed_executors as Json[]).find((e) => e.id === executor.id);
  }, 'the completed executor in /state');
  t.is(after.directory, executor.directory);
  const again = await getJson(agent.url, `/files/read?path=${encodeURIComponent(`${after.directory}/stdout`)}&offset=0`);
  t.true((again.data as string).includes('hello-from-the-sandbox'));
});

test('a finished task\'s sandbox and checkpoints are garbage-collected after --gc_delay', async (t) => {
  const { agent, sub, offer, frameworkId } = await oneTask(t, {
    agentFlags: { resources: 'cpus:1;mem:256;disk:256;ports:[31000-31010]', gc_delay: '1secs' }, framework: 'gc-test',
    taskId: 'brief-1', command: 'echo bye', memMb: 16,
  });
  const waitForState = updateWaiter(sub);
  const finished = await waitForState('TASK_FINISHED');
  const containerId = finished.update.status.container_status?.container_id?.value as string;
  t.truthy(containerId);
  const run = `slaves/${offer.agent_id.value}/frameworks/${frameworkId}/executors/brief-1/runs/${containerId}`;
  const virtual = `/frameworks/${frameworkId}/executors/brief-1/runs/${containerId}`;
  await eventually(async () => (existsSync(`${agent.workDir}/${run}`) || existsSync(`${agent.workDir}/meta/${run}`) ? undefined : true),
    'the sandbox and its checkpoints to be removed');
  t.false(existsSync(`${agent.workDir}/${run}`));
  t.false(existsSync(`${agent.workDir}/meta/${run}`));
  // The executor's directories go too (no run of brief-1 is left): nothing of the task stays.
  const executorDir = dirname(dirname(run));
  t.true(executorDir.endsWith('/executors/brief-1'));
  await eventually(async () => (existsSync(`${agent.workDir}/${executorDir}`) || existsSync(`${agent.workDir}/meta/${executorDir}`) ? undefined : true),
    'the executor\'s directories to be removed');
  // And the framework's (no executor or task of it is left on the agent), with framework.info under meta/.
  const frameworkDir = dirname(dirname(executorDir));
  t.true(frameworkDir.endsWith(`/frameworks/${frameworkId}`));
  await eventually(async () => (existsSync(`${agent.workDir}/${frameworkDir}`) || existsSync(`${agent.workDir}/meta/${frameworkDir}`) ? undefined : true),
    'the framework\'s directories to be removed');
  t.is((await rawRequest(agent.url, { method: 'GET', path: `/files/browse?path=${encodeURIComponent(virtual)}` })).status, 404);
  // /state still names the collected run, as Mesos does.
  const state = await getJson(agent.url, '/state');
  const executors = [...(state.frameworks as Json[]), ...(state.completed_frameworks as Json[])].flatMap((f) => f.completed_executors as Json[]);
  t.like(executors.find((e) => e.id === 'brief-1'), { container: containerId, directory: `${agent.workDir}/${run}` });
});

test('a restart: a run completed before it is collected by its sandbox\'s age (older than --gc_delay: at once); /metrics/snapshot counts it, /state lists the capabilities', async (t) => {
  const resources = 'cpus:1;mem:256;disk:256;ports:[31000-31010]';
  // --gc_delay: Mesos' default, 1 week.
  const { master, agent, sub, offer, frameworkId } = await oneTask(t, { agentFlags: { resources }, framework: 'gc-restart-test', taskId: 'old-1', command: 'echo old', memMb: 16 });
  const finished = await updateWaiter(sub)('TASK_FINISHED');
  const status = finished.update.status as Json;
  const run = `slaves/${offer.agent_id.value}/frameworks/${frameworkId}/executors/old-1/runs/${status.container_status.container_id.value}`;
  const sandbox = `${agent.workDir}/${run}`;
  // The terminal acknowledgement is in the journal (a SIGKILL cannot take it back) and the GC holds the run.
  await eventually(async () => (readFileSync(`${agent.workDir}/meta/${run}/tasks/old-1/task.updates`, 'utf8').includes(`{"ack":"${status.uuid}"}`) ? true : undefined),
    'the terminal acknowledgement in the journal');
  // The run and its executor's directory (command task: no other run of old-1).
  const before = await eventually(async () => {
    const m = await getJson(agent.url, '/metrics/snapshot');
    return m['gc/path_removals_pending'] === 3 ? m : undefined;
  }, 'the completed run, its executor and its framework in gc/path_removals_pending');
  t.like(before, { 'gc/path_removals_succeeded': 0, 'gc/path_removals_failed': 0 });
  t.deepEqual((await getJson(agent.url, '/state')).capabilities, ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT']);

  // The run ended eight days ago, as far as its sandbox tells; the agent dies and comes back.
  const eightDaysAgo = Date.now() / 1000 - 8 * 24 * 3600;
  utimesSync(sandbox, eightDaysAgo, eightDaysAgo);
  const port = new URL(agent.url).port;
  await agent.kill();
  const restarted = await startAgent(master.url, { resources, port }, { workDir: agent.workDir });
  t.teardown(() => restarted.stop());
  await eventually(async () => (existsSync(sandbox) || existsSync(`${agent.workDir}/meta/${run}`) ? undefined : true),
    'the old sandbox and its checkpoints to be removed');
  const after = await eventually(async () => {
    const m = await getJson(restarted.url, '/metrics/snapshot');
    return m['gc/path_removals_succeeded'] === 1 ? m : undefined;
  }, 'the removal in gc/path_removals_succeeded');
  // The executor's and the framework's directories age from their own mtimes (the launch, just now): a week to go.
  t.like(after, { 'gc/path_removals_failed': 0, 'gc/path_removals_pending': 2 });
  t.true(existsSync(dirname(dirname(sandbox))));
});
