/**
 * A real `maestro agent` under a real `maestro master`, with a framework over the plain v1
 * scheduler HTTP API (test/support/http-scheduler.ts): tasks launch, finish, fail with their exit
 * code, are killed with a grace period, and their status updates are resent until acknowledged.
 * Waits are for events, never for durations. Teardown stops every process, kills any task
 * process left under the agent's work dir and removes the temp dirs, also on failure.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killTaskProcesses, startAgent, taskProcesses } from './support/maestro-process.ts';
import { frameworkInfo, type Json } from './support/http-scheduler.ts';
import { ack, autoAck, launch, scalar, startCluster, taskPids, until, update, type Cluster } from './support/task-cluster.ts';

function sandboxOf(c: Cluster, status: Json): string {
  const agentId = status.agent_id.value as string;
  return join(c.agent.workDir, 'slaves', agentId, 'frameworks', c.frameworkId, 'executors', status.task_id.value, 'runs', 'latest');
}

test('echo hello: TASK_STARTING, TASK_RUNNING, TASK_FINISHED; stdout in the sandbox; MESOS_* variables set', async (t) => {
  const c = await startCluster(t);
  autoAck(c);
  await launch(c, [{ id: 'hello', command: 'echo hello; echo "id=$MESOS_TASK_ID fw=$MESOS_FRAMEWORK_ID sandbox=$MESOS_SANDBOX"' }]);
  const starting = await update(c, 'hello', 'TASK_STARTING');
  const running = await update(c, 'hello', 'TASK_RUNNING');
  const finished = await update(c, 'hello', 'TASK_FINISHED');
  t.true(c.sub.events.indexOf(starting) < c.sub.events.indexOf(running));
  t.is(finished.update.status.message, 'Command exited with status 0');
  const sandbox = sandboxOf(c, finished.update.status);
  const stdout = readFileSync(join(sandbox, 'stdout'), 'utf8');
  t.true(stdout.includes('hello\n'), stdout);
  t.true(stdout.includes(`id=hello fw=${c.frameworkId} sandbox=`), stdout);
  t.deepEqual(taskProcesses(c.agent.workDir), []);
});

test('exit code 3: TASK_FAILED with the code in the message', async (t) => {
  const c = await startCluster(t);
  autoAck(c);
  await launch(c, [{ id: 'three', command: 'exit 3' }]);
  const failed = await update(c, 'three', 'TASK_FAILED');
  t.is(failed.update.status.message, 'Command exited with status 3');
  t.is(failed.update.status.reason, 'REASON_COMMAND_EXECUTOR_FAILED');
});

test('kill with a grace period: a task that ignores SIGTERM is KILLED after the grace period, TASK_KILLING first, no process left', async (t) => {
  const c = await startCluster(t, { framework: frameworkInfo({ name: 'killer', capabilities: [{ type: 'TASK_KILLING_STATE' }] }) });
  autoAck(c);
  await launch(c, [{ id: 'stubborn', command: "trap '' TERM; echo ready; while true; do sleep 0.1; done", killGraceSeconds: 1 }]);
  const running = await update(c, 'stubborn', 'TASK_RUNNING');
  t.true(taskProcesses(c.agent.workDir).length > 0);
  t.is((await c.sub.call({ type: 'KILL', kill: { task_id: { value: 'stubborn' }, agent_id: running.update.status.agent_id } })).status, 202);
  const killing = await update(c, 'stubborn', 'TASK_KILLING');
  const killed = await update(c, 'stubborn', 'TASK_KILLED');
  t.true(c.sub.events.indexOf(killing) < c.sub.events.indexOf(killed));
  t.is(killed.update.status.message, 'Command terminated with signal Killed');
  t.deepEqual(taskProcesses(c.agent.workDir), []);
});

test('a slow framework: the agent resends an update until it is acknowledged, then sends the next one', async (t) => {
  const c = await startCluster(t, { agentFlags: { status_update_retry_interval_min: '200ms', status_update_retry_interval_max: '400ms' } });
  await launch(c, [{ id: 'slow', command: 'exit 0' }]);
  const first = await update(c, 'slow', 'TASK_STARTING');
  // Not acknowledged: the same update (same uuid) comes again.
  const again = await c.sub.waitForEvent('UPDATE', (e) => e.update.status.uuid === first.update.status.uuid && e !== first);
  t.is(again.update.status.state, 'TASK_STARTING');
  t.false(c.sub.events.some((e) => e.type === 'UPDATE' && e.update.status.state === 'TASK_RUNNING'));
  await ack(c, first);
  const running = await update(c, 'slow', 'TASK_RUNNING');
  await ack(c, running);
  const finished = await update(c, 'slow', 'TASK_FINISHED');
  await ack(c, finished);
  t.is(finished.update.status.message, 'Command exited with status 0');
});

test('kill -9 of the agent: a task that exits meanwhile is reported with its exit code after the restart; the running one is still RUNNING and still the agent\'s to kill; an unacknowledged update is resent', async (t) => {
  const c = await startCluster(t);
  const gate = join(c.agent.workDir, 'gate');
  autoAck(c, ['unacked']);
  await launch(c, [
    { id: 'survivor', command: 'sleep 300' },
    { id: 'leaver', command: `while [ ! -f ${gate} ]; do sleep 0.05; done; exit 7` },
    { id: 'unacked', command: 'exit 0' },
  ]);
  await update(c, 'survivor', 'TASK_RUNNING');
  await update(c, 'leaver', 'TASK_RUNNING');
  await ack(c, await update(c, 'unacked', 'TASK_STARTING'));
  await ack(c, await update(c, 'unacked', 'TASK_RUNNING'));
  const unackedFinish = await update(c, 'unacked', 'TASK_FINISHED');
  const port = new URL(c.agent.url).port;
  const workDir = c.agent.workDir;

  await c.agent.kill();
  t.true(taskPids(workDir, 'survivor').length > 0, 'tasks outlive the agent');
  writeFileSync(gate, '');
  await until(() => taskPids(workDir, 'leaver').length === 0, 'the gated task to exit');
  const mark = c.sub.events.length;

  const restarted = await startAgent(c.master.url, { resources: 'cpus:4;mem:4096;disk:4096;ports:[31000-31100]', port }, { workDir });
  t.teardown(async () => {
    killTaskProcesses(workDir);
    await restarted.stop();
  });
  const failed = await update(c, 'leaver', 'TASK_FAILED');
  t.is(failed.update.status.message, 'Command exited with status 7');
  const resent = await c.sub.waitForEvent('UPDATE', (e) => e.update.status.uuid === unackedFinish.update.status.uuid, 20_000, mark);
  t.is(resent.update.status.state, 'TASK_FINISHED');
  await ack(c, resent);

  const answer = await fetch(`${restarted.url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ type: 'GET_TASKS' }) });
  const tasks = (await answer.json()) as Json;
  const launched = (tasks.get_tasks.launched_tasks ?? []) as Json[];
  t.deepEqual(launched.map((x) => [x.task_id.value, x.state]), [['survivor', 'TASK_RUNNING']]);

  const survivorPids = taskPids(workDir, 'survivor');
  t.true(survivorPids.length > 0);
  t.is((await c.sub.call({ type: 'KILL', kill: { task_id: { value: 'survivor' }, agent_id: failed.update.status.agent_id } })).status, 202);
  const killed = await update(c, 'survivor', 'TASK_KILLED');
  t.is(killed.update.status.message, 'Command terminated with signal Terminated');
  t.deepEqual(taskPids(workDir, 'survivor'), []);
});

test('a health-checked HTTP task: healthy once its server answers, killed (TASK_KILLED, healthy false) when the check keeps failing', async (t) => {
  const c = await startCluster(t);
  autoAck(c);
  const port = 31000 + 50 + Math.floor(Math.random() * 50);
  const server = `${process.execPath} -e "require('http').createServer((q,s)=>{s.statusCode=require('fs').existsSync('sick')?503:200;s.end()}).listen(${port},'127.0.0.1')"`;
  await launch(c, [{
    id: 'web', command: server,
    extra: {
      resources: [scalar('cpus', 0.1), scalar('mem', 32), { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: port, end: port }] } }],
      health_check: { type: 'HTTP', http: { port, path: '/' }, delay_seconds: 0, interval_seconds: 0.2, timeout_seconds: 2, consecutive_failures: 2, grace_period_seconds: 10 },
    },
  }]);
  const healthy = await c.sub.waitForEvent('UPDATE', (e) => e.update.status.task_id.value === 'web' && e.update.status.healthy === true, 20_000);
  t.is(healthy.update.status.state, 'TASK_RUNNING');
  t.is(healthy.update.status.reason, 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED');
  writeFileSync(join(sandboxOf(c, healthy.update.status), 'sick'), '');
  const killed = await update(c, 'web', 'TASK_KILLED');
  t.false(killed.update.status.healthy);
  t.deepEqual(taskProcesses(c.agent.workDir), []);
});

test('two agents: each registers with its own id and resources, runs the task launched on its offer, and keeps its output in its own sandbox', async (t) => {
  const c = await startCluster(t, { agentFlags: { hostname: 'agent-a', attributes: 'rack:r1' } });
  const second = await startAgent(c.master.url, { resources: 'cpus:2;mem:2048;disk:1024;ports:[32000-32010]', hostname: 'agent-b', attributes: 'rack:r2' });
  t.teardown(async () => {
    killTaskProcesses(second.workDir);
    await second.stop();
  });
  autoAck(c);
  const offers = new Map<string, Json>();
  let from = 0;
  while (offers.size < 2) {
    const e = await c.sub.waitForEvent('OFFERS', () => true, 20_000, from);
    from = c.sub.events.indexOf(e) + 1;
    for (const o of e.offers.offers as Json[]) offers.set(o.hostname as string, o);
  }
  t.deepEqual([...offers.keys()].sort(), ['agent-a', 'agent-b']);
  t.deepEqual(offers.get('agent-b')!.attributes, [{ name: 'rack', type: 'TEXT', text: { value: 'r2' } }]);
  for (const [host, offer] of offers) {
    const answer = await c.sub.call({
      type: 'ACCEPT',
      accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [{
        name: host, task_id: { value: `on-${host}` }, agent_id: offer.agent_id,
        resources: [scalar('cpus', 0.1), scalar('mem', 32)], command: { value: `echo "ran on $MESOS_AGENT_ID"`, shell: true },
      }] } }] },
    });
    t.is(answer.status, 202, answer.text);
  }
  const a = await update(c, 'on-agent-a', 'TASK_FINISHED');
  const b = await update(c, 'on-agent-b', 'TASK_FINISHED');
  t.not(a.update.status.agent_id.value, b.update.status.agent_id.value);
  const stdoutB = readFileSync(join(second.workDir, 'slaves', b.update.status.agent_id.value, 'frameworks', c.frameworkId, 'executors', 'on-agent-b', 'runs', 'latest', 'stdout'), 'utf8');
  t.true(stdoutB.includes(`ran on ${b.update.status.agent_id.value}`), stdoutB);
  t.deepEqual(taskProcesses(second.workDir), []);
});

test('bad input ends in TASK_FAILED with a reason and a message that says why, and the agent carries on', async (t) => {
  const c = await startCluster(t);
  autoAck(c);
  await launch(c, [
    { id: 'no-user', command: 'true', extra: { command: { value: 'true', shell: true, user: 'no-such-user-here' } } },
    { id: 'no-binary', command: '', extra: { command: { value: '/nonexistent/program', shell: false, arguments: ['program'] } } },
    { id: 'bad-uri', command: 'true', extra: { command: { value: 'true', shell: true, uris: [{ value: 'http://127.0.0.1:1/missing.tar.gz' }] } } },
  ]);
  const noUser = await update(c, 'no-user', 'TASK_FAILED');
  t.is(noUser.update.status.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
  t.true(noUser.update.status.message.includes('no-such-user-here'), noUser.update.status.message);
  const noBinary = await update(c, 'no-binary', 'TASK_FAILED');
  t.true(noBinary.update.status.message.includes('/nonexistent/program'), noBinary.update.status.message);
  const badUri = await update(c, 'bad-uri', 'TASK_FAILED');
  t.is(badUri.update.status.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
  t.true(badUri.update.status.message.startsWith('Failed to fetch URIs: '), badUri.update.status.message);
  t.true(badUri.update.status.message.includes('http://127.0.0.1:1/missing.tar.gz'), badUri.update.status.message);
  // Still serving: the next task runs (on any offer after the first one, which the launch above used).
  await launch(c, [{ id: 'after', command: 'exit 0' }], c.sub.events.findIndex((e) => e.type === 'OFFERS') + 1);
  await update(c, 'after', 'TASK_FINISHED');
});

test('a restart with other --resources keeps the agent from starting (Mesos --reconfiguration_policy=equal), with the way out in the message', async (t) => {
  const c = await startCluster(t);
  const port = new URL(c.agent.url).port;
  const workDir = c.agent.workDir;
  // The agent has registered and checkpointed its id (offers may reach the framework a moment before).
  await until(() => existsSync(join(workDir, 'meta', 'slaves', 'latest')), 'the agent id checkpoint');
  await c.agent.kill();
  // Should it start after all, it is killed at once (never left running) and the test fails.
  const error = await startAgent(c.master.url, { resources: 'cpus:8;mem:4096;disk:4096;ports:[31000-31100]', port }, { workDir })
    .then(async (started) => { await started.kill(); return undefined; }, (e: Error) => e);
  if (error === undefined) return t.fail('the agent started with changed resources');
  t.true(error.message.includes('Incompatible agent info detected: resources changed'), error.message);
  t.true(error.message.includes(join(workDir, 'meta', 'slaves', 'latest')), error.message);
  const additive = await startAgent(c.master.url, { resources: 'cpus:8;mem:4096;disk:4096;ports:[31000-31100]', port, reconfiguration_policy: 'additive' }, { workDir });
  t.teardown(() => additive.stop());
  t.truthy(additive.url);
});
