/**
 * Task groups and custom executors on a real `maestro agent` under a real `maestro master`, with
 * a framework over the plain v1 scheduler HTTP API:
 *  - LAUNCH_GROUP under the default executor: each task in its own nested container and sandbox
 *    (`.../runs/<run>/tasks/<task_id>`); one failing task kills its group.
 *  - LAUNCH with a custom executor: test/support/test-executor.mjs, a real v1 HTTP executor, is
 *    started by the agent, subscribes, runs the task, answers MESSAGE, is killed through KILL,
 *    and survives a kill -9 of the agent (it subscribes again to the restarted agent).
 * Waits are for events, never for durations. Teardown stops every process and kills any task or
 * executor process left under the agent's work dir, also on failure.
 */
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killTaskProcesses, startAgent, taskProcesses } from './support/maestro-process.ts';
import { frameworkInfo, type Json } from './support/http-scheduler.ts';
import { acceptOffer, autoAck, scalar, startCluster, until, update, type Cluster } from './support/task-cluster.ts';

const TEST_EXECUTOR = fileURLToPath(new URL('./support/test-executor.mjs', import.meta.url));
const AGENT_RESOURCES = 'cpus:4;mem:4096;disk:4096;ports:[31000-31100]';

const task = (id: string, agentId: Json, command?: string, extra: Json = {}): Json => ({
  name: id, task_id: { value: id }, agent_id: agentId, resources: [scalar('cpus', 0.1), scalar('mem', 32)],
  ...(command !== undefined ? { command: { value: command, shell: true } } : {}), ...extra,
});

/** A task for the custom executor: Mesos wants no CommandInfo beside an ExecutorInfo, so the shell text travels as `data`. */
const executorTask = (id: string, agentId: Json, shellText: string, c: Cluster, extra: Json = {}): Json => ({
  ...task(id, agentId, undefined, extra), data: Buffer.from(shellText).toString('base64'), executor: customExecutor(c),
});

const customExecutor = (c: Cluster): Json => ({
  executor_id: { value: 'tx' }, type: 'CUSTOM', framework_id: { value: c.frameworkId }, name: 'test executor',
  command: { value: `${process.execPath} ${TEST_EXECUTOR}`, shell: true },
  resources: [scalar('cpus', 0.1), scalar('mem', 64)],
});

/** The executor's own log (stdout of its sandbox): one JSON object per event it received and call it sent. */
function executorLog(c: Cluster, agentId: string): Json[] {
  const path = join(c.agent.workDir, 'slaves', agentId, 'frameworks', c.frameworkId, 'executors', 'tx', 'runs', 'latest', 'stdout');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').flatMap((line) => {
    try {
      const v = JSON.parse(line) as Json;
      return typeof v === 'object' && v !== null && typeof v.kind === 'string' ? [v] : [];
    } catch {
      return [];
    }
  });
}

test('LAUNCH_GROUP: both tasks run in their own sandboxes under the default executor; one failing kills the other; no process left', async (t) => {
  const c = await startCluster(t, { framework: frameworkInfo({ name: 'groups', checkpoint: true }) });
  autoAck(c);
  await acceptOffer(c, (offer) => [{
    type: 'LAUNCH_GROUP',
    launch_group: {
      executor: { executor_id: { value: 'pod' }, type: 'DEFAULT', framework_id: { value: c.frameworkId }, resources: [scalar('cpus', 0.1), scalar('mem', 32)] },
      task_group: { tasks: [
        task('main', offer.agent_id, 'echo "main in $MESOS_SANDBOX"; exec sleep 600'),
        task('side', offer.agent_id, 'while [ ! -f "$MESOS_SANDBOX/../../stop-side" ]; do sleep 0.05; done; echo failing; exit 2'),
      ] },
    },
  }]);
  const running = await update(c, 'main', 'TASK_RUNNING');
  await update(c, 'side', 'TASK_RUNNING');
  const status = running.update.status;
  t.is(status.executor_id.value, 'pod');
  t.truthy(status.container_status.container_id.parent?.value, 'a task of a group runs in a nested container');
  const run = join(c.agent.workDir, 'slaves', status.agent_id.value, 'frameworks', c.frameworkId, 'executors', 'pod', 'runs', 'latest');
  await until(() => existsSync(join(run, 'tasks', 'main', 'stdout')) && readFileSync(join(run, 'tasks', 'main', 'stdout'), 'utf8').includes('main in'), 'main\'s output');
  t.regex(readFileSync(join(run, 'tasks', 'main', 'stdout'), 'utf8'), /main in \/.*\/executors\/pod\/runs\/[^/]+\/tasks\/main\n/, 'MESOS_SANDBOX is the task\'s own sandbox');
  // The side task fails: the group goes with it.
  writeFileSync(join(run, 'stop-side'), '');
  const failed = await update(c, 'side', 'TASK_FAILED');
  t.is(failed.update.status.message, 'Command exited with status 2');
  const killed = await update(c, 'main', 'TASK_KILLED');
  t.is(killed.update.status.executor_id.value, 'pod');
  await until(() => taskProcesses(c.agent.workDir).length === 0, 'no task process left');
  t.true(readFileSync(join(run, 'tasks', 'side', 'stdout'), 'utf8').includes('failing'));
});

test('a custom executor: started by the agent, subscribes, runs its task, MESSAGE both ways, KILL, a second task, and a kill -9 of the agent it survives', async (t) => {
  const c = await startCluster(t, { framework: frameworkInfo({ name: 'custom', checkpoint: true }), agentFlags: { executor_reregistration_timeout: 20 } });
  autoAck(c);
  const offer = await acceptOffer(c, (o) => [{ type: 'LAUNCH', launch: { task_infos: [executorTask('work', o.agent_id, 'echo working; exec sleep 600', c)] } }]);
  const agentId = offer.agent_id.value as string;
  const afterFirstAccept = c.sub.events.length;
  const running = await update(c, 'work', 'TASK_RUNNING');
  t.is(running.update.status.source, 'SOURCE_EXECUTOR');
  t.is(running.update.status.executor_id.value, 'tx');
  // The executor's TASK_RUNNING carries the executor's own uuid, and the framework's ack reaches it.
  await until(() => executorLog(c, agentId).some((e) => e.kind === 'event' && e.event.type === 'ACKNOWLEDGED' && e.event.acknowledged.uuid === running.update.status.uuid), 'the ACKNOWLEDGED event at the executor', 800);

  // Framework -> executor -> framework.
  const data = Buffer.from('ping 1').toString('base64');
  const sent = await c.sub.call({ type: 'MESSAGE', message: { agent_id: { value: agentId }, executor_id: { value: 'tx' }, data } });
  t.is(sent.status, 202, sent.text);
  const echoed = await c.sub.waitForEvent('MESSAGE', (e) => e.message.data === data, 20_000);
  t.is(echoed.message.executor_id.value, 'tx');

  // kill -9 of the agent: the executor and its task keep running; the restarted agent gets it back.
  const port = new URL(c.agent.url).port;
  const workDir = c.agent.workDir;
  await c.agent.kill();
  t.true(taskProcesses(workDir).length >= 2, 'the executor and its task outlive the agent');
  const restarted = await startAgent(c.master.url, { resources: AGENT_RESOURCES, port, executor_reregistration_timeout: 20 }, { workDir });
  t.teardown(async () => {
    killTaskProcesses(workDir);
    await restarted.stop();
  });
  await until(() => executorLog(c, agentId).filter((e) => e.kind === 'event' && e.event.type === 'SUBSCRIBED').length >= 2, 'the executor to subscribe again', 800);

  // A second task goes to the same (re-subscribed) executor; a KILL is the executor's to carry out.
  // The next offer after the first ACCEPT (made before or after the restart: the agent kept its id).
  await acceptOffer(c, (o) => [{ type: 'LAUNCH', launch: { task_infos: [executorTask('quick', o.agent_id, 'exit 0', c)] } }], afterFirstAccept);
  await update(c, 'quick', 'TASK_FINISHED');
  t.is((await c.sub.call({ type: 'KILL', kill: { task_id: { value: 'work' }, agent_id: { value: agentId } } })).status, 202);
  const killed = await update(c, 'work', 'TASK_KILLED');
  t.is(killed.update.status.source, 'SOURCE_EXECUTOR');

  // SHUTDOWN: the executor exits; the master learns it (ExecutorExited), no process is left.
  t.is((await c.sub.call({ type: 'SHUTDOWN', shutdown: { executor_id: { value: 'tx' }, agent_id: { value: agentId } } })).status, 202);
  await until(() => taskProcesses(workDir).length === 0, 'the executor to exit', 800);
  t.true(executorLog(c, agentId).some((e) => e.kind === 'event' && e.event.type === 'SHUTDOWN'));
});

test('a custom executor that exits fails its running task with REASON_EXECUTOR_TERMINATED', async (t) => {
  const c = await startCluster(t, { framework: frameworkInfo({ name: 'exits' }) });
  autoAck(c);
  await acceptOffer(c, (o) => [{ type: 'LAUNCH', launch: { task_infos: [
    executorTask('doomed', o.agent_id, 'exec sleep 600', c, { labels: { labels: [{ key: 'exit_executor', value: '1' }] } }),
  ] } }]);
  const failed = await update(c, 'doomed', 'TASK_FAILED');
  t.is(failed.update.status.reason, 'REASON_EXECUTOR_TERMINATED');
  t.is(failed.update.status.source, 'SOURCE_AGENT');
  t.regex(failed.update.status.message, /Executor terminated: .*3/);
  await until(() => taskProcesses(c.agent.workDir).length === 0, 'no process left');
});
