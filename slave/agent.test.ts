/**
 * The agent core with fakes at its ports: a manual clock and timer queue, a scripted
 * containerizer (launch results and terminations the test decides), a recording master link,
 * and the real checkpoint store on a temp dir. The state machine, the status update manager and
 * the recovery logic are the real ones.
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { Resources } from '../common/resources/resources.ts';
import type { ManualTime } from '../master/test-fixtures.ts';
import type { maestro, mesos } from '../proto/types.generated.ts';
import type { HealthChecks } from './agent-ports.ts';
import { Agent } from './agent.ts';
import { ackAll, agents, framework, harness, idleGcMetrics, register, settle, taskInfo } from './agent-test-harness.ts';
import { createSandboxGc, type SandboxGc } from './gc/sandbox-gc.ts';
import { createAgentApp } from './http/app.ts';
import type { Termination } from './containerizer.ts';
import { isTerminalState } from './task-state-machine.ts';


test('a fresh agent registers, then launches a command task: STARTING, RUNNING; exit 0 is FINISHED, then ExecutorExited', async (t) => {
  const h = harness(t);
  t.deepEqual(Object.keys(h.agent.hello()), ['register_agent']);
  register(h);
  t.is(h.agent.agentId(), 'S0');
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('t1') } });
  await settle();
  t.is(h.containerizer.launched.length, 1);
  const spec = h.containerizer.launched[0];
  t.deepEqual(spec.command, { shell: true, value: 'sleep 100', arguments: [] });
  t.is(spec.environment.MESOS_TASK_ID, 't1');
  t.is(spec.environment.MESOS_AGENT_ENDPOINT, '127.0.0.1:5051');
  // Only the head is in flight until acknowledged.
  t.deepEqual(h.link.updates('t1').map((s) => s.state), ['TASK_STARTING']);
  await ackAll(h, 't1');
  t.deepEqual(h.link.updates('t1').map((s) => s.state), ['TASK_STARTING', 'TASK_RUNNING']);
  h.containerizer.end(spec.containerId, { kind: 'exited', exitCode: 0, message: '' });
  await settle();
  await ackAll(h, 't1');
  const last = h.link.updates('t1').at(-1)!;
  t.is(last.state, 'TASK_FINISHED');
  t.is(last.message, 'Command exited with status 0');
  t.deepEqual(h.link.sent.filter((e) => e.executor_exited !== undefined).map((e) => e.executor_exited), [
    { framework_id: { value: 'F' }, executor_id: { value: 't1' }, status: 0 },
  ]);
  await ackAll(h, 't1');
  t.deepEqual(h.agent.getTasks().completed_tasks?.map((x) => [x.task_id.value, x.state]), [['t1', 'TASK_FINISHED']]);
  // The run's sandbox, then its executor's directory (the command executor's id is the task id).
  // The run, its executor's directory, and the framework's (no executor or task of F is left).
  t.deepEqual(h.gcScheduled, [spec.sandbox, join(h.dir, 'slaves', 'S0', 'frameworks', 'F', 'executors', 't1'), join(h.dir, 'slaves', 'S0', 'frameworks', 'F')]);
  t.deepEqual(h.containerizer.cleaned, [spec.containerId]);
});

const refusals: [string, Partial<maestro.agent.RunTask>, mesos.v1.TaskInfo, mesos.v1.TaskState, mesos.v1.TaskStatus.Reason, string][] = [
  ['a custom executor without a command', { executor: { executor_id: { value: 'E' } } }, taskInfo('t'), 'TASK_ERROR', 'REASON_TASK_INVALID', 'ExecutorInfo has no CommandInfo'],
  ['no command', {}, { ...taskInfo('t'), command: undefined } as mesos.v1.TaskInfo, 'TASK_ERROR', 'REASON_TASK_INVALID', 'Task has no CommandInfo'],
  ['more cpus than the agent has', {}, taskInfo('t', 'cpus:3;mem:10'), 'TASK_ERROR', 'REASON_TASK_INVALID', 'Task uses resources the agent was not given: cpus: 3 requested'],
  ['ports the agent does not have', {}, taskInfo('t', 'cpus:1;ports:[80-80]'), 'TASK_ERROR', 'REASON_TASK_INVALID', 'Task uses resources the agent was not given: ports: [80-80] is not among'],
];

for (const [name, rt, task, state, reason, message] of refusals) {
  test(`refused without launching: ${name} -> ${state}`, async (t) => {
    const h = harness(t);
    register(h);
    h.agent.handle({ run_task: { framework: framework(), task, ...rt } });
    await settle();
    t.is(h.containerizer.launched.length, 0);
    const [s] = h.link.updates('t');
    t.is(s.state, state);
    t.is(s.reason, reason);
    t.true(s.message!.startsWith(message), s.message);
  });
}

test('a launch failure is TASK_FAILED with REASON_CONTAINER_LAUNCH_FAILED and the containerizer\'s message', async (t) => {
  const h = harness(t);
  register(h);
  h.containerizer.launchResult = { ok: false, message: "Failed to find user 'nobody2'" };
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('t') } });
  await settle();
  const [s] = h.link.updates('t');
  t.deepEqual([s.state, s.reason, s.message], ['TASK_FAILED', 'REASON_CONTAINER_LAUNCH_FAILED', "Failed to launch container: Failed to find user 'nobody2'"]);
});

test('kill: TASK_KILLING for a TASK_KILLING_STATE framework, SIGTERM, SIGKILL only after the grace period, then TASK_KILLED', async (t) => {
  const h = harness(t);
  register(h);
  h.agent.handle({ run_task: { framework: framework(['TASK_KILLING_STATE']), task: taskInfo('t', 'cpus:1', { kill_policy: { grace_period: { nanoseconds: 5e9 } } }) } });
  await settle();
  await ackAll(h, 't');
  await ackAll(h, 't');
  const id = h.containerizer.launched[0].containerId;
  h.agent.handle({ kill_task: { framework_id: { value: 'F' }, task_id: { value: 't' }, kill_policy: { grace_period: { nanoseconds: 2e9 } } } });
  await settle();
  t.deepEqual(h.containerizer.signals, [[id, 'SIGTERM']]);
  h.time.advance(1999);
  await settle();
  t.deepEqual(h.containerizer.signals, [[id, 'SIGTERM']]);
  h.time.advance(1);
  await settle();
  t.deepEqual(h.containerizer.signals, [[id, 'SIGTERM'], [id, 'SIGKILL']]);
  h.containerizer.end(id, { kind: 'signaled', signal: 9, message: '' });
  await settle();
  await ackAll(h, 't');
  await ackAll(h, 't');
  t.deepEqual(h.link.updates('t').map((s) => s.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_KILLED']);
  t.is(h.link.updates('t').at(-1)!.message, 'Command terminated with signal Killed');
});

test('a kill before the launch ends the task at once (REASON_TASK_KILLED_DURING_LAUNCH) and nothing is launched', async (t) => {
  const h = harness(t);
  register(h);
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('t') } });
  h.agent.handle({ kill_task: { framework_id: { value: 'F' }, task_id: { value: 't' } } });
  await settle();
  const [s] = h.link.updates('t');
  t.deepEqual([s.state, s.reason], ['TASK_KILLED', 'REASON_TASK_KILLED_DURING_LAUNCH']);
  t.is(h.containerizer.launched.length, 0);
  t.is(h.link.updates('t').length, 1);
});

test('a kill while the containerizer launches: TASK_KILLED at once, the launch told to stop, and the process that starts anyway is SIGKILLed', async (t) => {
  const h = harness(t);
  register(h);
  let release!: () => void;
  h.containerizer.launchGate = new Promise((r) => { release = r; });
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('t') } });
  await settle();
  t.is(h.containerizer.launched.length, 1);
  h.agent.handle({ kill_task: { framework_id: { value: 'F' }, task_id: { value: 't' } } });
  await settle();
  t.deepEqual(h.link.updates('t').map((s) => s.state), ['TASK_KILLED']);
  t.deepEqual(h.containerizer.signals.map(([, sig]) => sig), ['SIGKILL'], 'at once: the containerizer abandons a launch in flight');
  release();
  await settle();
  t.deepEqual(h.containerizer.signals.map(([, sig]) => sig), ['SIGKILL', 'SIGKILL'], 'and again once the launch returned');
  t.is(h.link.updates('t').length, 1);
});

test('kill, reconcile and shutdown of tasks the agent does not have: TASK_LOST (TASK_DROPPED for partition-aware frameworks)', async (t) => {
  const h = harness(t);
  register(h);
  h.agent.handle({ kill_task: { framework_id: { value: 'F' }, task_id: { value: 'ghost' } } });
  h.agent.handle({ reconcile_tasks: { framework_id: { value: 'F' }, task_ids: [{ value: 'ghost2' }] } });
  h.agent.handle({ run_task: { framework: framework(['PARTITION_AWARE']), task: taskInfo('real') } });
  await settle();
  h.agent.handle({ reconcile_tasks: { framework_id: { value: 'F' }, task_ids: [{ value: 'ghost3' }] } });
  t.deepEqual(h.link.updates().filter((s) => s.task_id.value.startsWith('ghost')).map((s) => [s.task_id.value, s.state, s.reason]), [
    ['ghost', 'TASK_LOST', 'REASON_RECONCILIATION'],
    ['ghost2', 'TASK_LOST', 'REASON_RECONCILIATION'],
    ['ghost3', 'TASK_DROPPED', 'REASON_RECONCILIATION'],
  ]);
});

test('unacknowledged updates are resent with backoff and again at once on re-registration', async (t) => {
  const h = harness(t);
  register(h);
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('t') } });
  await settle();
  t.is(h.link.sends('t').length, 1);
  h.time.advance(1000); // first resend after retry.initialMs
  t.is(h.link.sends('t').length, 2);
  h.link.registered = false;
  h.time.advance(2000);
  t.is(h.link.sends('t').length, 2);
  h.link.registered = true;
  h.agent.registered({ agent_reregistered: { agent_id: { value: 'S0' }, master_info: { id: 'm', ip: 0, port: 5050 } } });
  t.is(h.link.sends('t').length, 3);
  t.is(h.link.updates('t').length, 1);
});

test('ShutdownFramework kills every task of the framework; ReregisterAgent reports the tasks the agent runs', async (t) => {
  const h = harness(t);
  register(h);
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('a', 'cpus:0.5') } });
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('b', 'cpus:0.5') } });
  await settle();
  const hello = h.agent.hello().reregister_agent!;
  t.is(hello.agent_info.id?.value, 'S0');
  t.deepEqual(hello.tasks?.map((x) => [x.task_id.value, x.state]).sort(), [['a', 'TASK_RUNNING'], ['b', 'TASK_RUNNING']]);
  t.deepEqual(hello.frameworks?.map((f) => f.id?.value), ['F']);
  t.deepEqual(hello.executors, []);
  h.agent.handle({ shutdown_framework: { framework_id: { value: 'F' } } });
  await settle();
  t.deepEqual(h.containerizer.signals.map(([, s]) => s), ['SIGTERM', 'SIGTERM']);
});

test('recovery: a container that ended while the agent was down is reported with its exit code; a running one is watched again', async (t) => {
  const first = harness(t);
  register(first);
  first.agent.handle({ run_task: { framework: framework(), task: taskInfo('gone', 'cpus:0.5') } });
  first.agent.handle({ run_task: { framework: framework(), task: taskInfo('stays', 'cpus:0.5') } });
  await settle();
  await ackAll(first, 'gone');
  await ackAll(first, 'stays');
  await ackAll(first, 'gone');
  await ackAll(first, 'stays');
  const ids = new Map(first.containerizer.launched.map((s) => [s.environment.MESOS_TASK_ID, s.containerId]));
  await settle(); // the acks' journal records

  const second = harness(t, first.dir);
  second.link.registered = false; // as in main.ts: recovery runs before the master link starts
  second.containerizer.recovered.set(ids.get('gone')!, { kind: 'exited', exitCode: 7, message: '' });
  second.containerizer.recovered.set(ids.get('stays')!, 'running');
  const r = await second.agent.recover(second.deps.store.recover());
  t.deepEqual(r, { ok: true, tasks: 2, running: 1 });
  t.is(second.agent.agentId(), 'S0');
  second.link.registered = true;
  second.agent.registered({ agent_reregistered: { agent_id: { value: 'S0' }, master_info: { id: 'm', ip: 0, port: 5050 } } });
  await settle();
  t.deepEqual(second.link.updates().map((s) => [s.task_id.value, s.state, s.message]), [['gone', 'TASK_FAILED', 'Command exited with status 7']]);
  t.deepEqual(second.agent.getTasks().launched_tasks?.map((x) => x.task_id.value), ['stays']);
  second.containerizer.end(ids.get('stays')!, { kind: 'exited', exitCode: 0, message: '' });
  await settle();
  t.is(second.link.updates('stays').at(-1)?.state, 'TASK_FINISHED');
});

test('recovery: a run completed before the restart is collected gc_delay after its sandbox\'s mtime, not after the restart', async (t) => {
  const first = harness(t);
  register(first);
  first.agent.handle({ run_task: { framework: framework(), task: taskInfo('old') } });
  await settle();
  await ackAll(first, 'old');
  first.containerizer.end(first.containerizer.launched[0].containerId, { kind: 'exited', exitCode: 0, message: '' });
  await settle();
  await ackAll(first, 'old');
  await ackAll(first, 'old');
  t.is(first.gcScheduled.length, 3);
  const [sandbox, executorDir] = first.gcScheduled;
  t.is(executorDir, join(first.dir, 'slaves', 'S0', 'frameworks', 'F', 'executors', 'old'));
  // The run ended 100 s before the restart (both lives' manual clocks start at the same instant).
  const endedAtSeconds = (first.time.now() - 100_000) / 1000;
  utimesSync(sandbox, endedAtSeconds, endedAtSeconds);
  utimesSync(executorDir, endedAtSeconds, endedAtSeconds);

  let gc: SandboxGc | undefined;
  const second = harness(t, first.dir, (dir, time) => (gc = createSandboxGc({
    workDir: dir, gcDelaySeconds: 300, diskHeadroom: 0.1, diskWatchIntervalSeconds: 86_400, timers: time, clock: time,
    statfs: async () => ({ blocks: 100, bfree: 100 }),
  })));
  t.teardown(() => gc?.stop());
  t.deepEqual(await second.agent.recover(second.deps.store.recover()), { ok: true, tasks: 0, running: 0 });
  t.deepEqual(second.agent.getTasks().completed_tasks?.map((x) => x.task_id.value), ['old']);
  // The run, its executor and its framework (aged by its `executors` directories: made now, as far as the manual clock goes, much later).
  t.is(second.agent.metrics()['gc/path_removals_pending'], 3);
  const metaExecutorDir = join(first.dir, 'meta', 'slaves', 'S0', 'frameworks', 'F', 'executors', 'old');
  t.true(existsSync(join(metaExecutorDir, 'executor.info')));
  second.time.advance(199_000); // 299 s after the run ended
  await gc!.settled();
  t.true(existsSync(sandbox));
  second.time.advance(1_000); // 300 s = gc_delay after the mtime (from the restart it would be 100 s more)
  await gc!.settled();
  t.false(existsSync(sandbox));
  // The executor's directories went too: nothing of the task is left under slaves/ or meta/.
  t.false(existsSync(executorDir));
  t.false(existsSync(metaExecutorDir));
  t.like(second.agent.metrics(), { 'gc/path_removals_succeeded': 2, 'gc/path_removals_failed': 0, 'gc/path_removals_pending': 1 });
});

test('recovery: only runs whose every task is completed are handed to the GC; an unacknowledged terminal task keeps its run', async (t) => {
  const first = harness(t);
  register(first);
  first.agent.handle({ run_task: { framework: framework(), task: taskInfo('done', 'cpus:0.5') } });
  first.agent.handle({ run_task: { framework: framework(), task: taskInfo('unacked', 'cpus:0.5') } });
  first.agent.handle({ run_task: { framework: framework(), task: taskInfo('runs', 'cpus:0.5') } });
  await settle();
  for (const id of ['done', 'unacked', 'runs']) await ackAll(first, id);
  const ids = new Map(first.containerizer.launched.map((s) => [s.environment.MESOS_TASK_ID, s.containerId]));
  first.containerizer.end(ids.get('done')!, { kind: 'exited', exitCode: 0, message: '' });
  first.containerizer.end(ids.get('unacked')!, { kind: 'exited', exitCode: 1, message: '' });
  await settle();
  await ackAll(first, 'done');
  await ackAll(first, 'done');
  const sandboxOf = new Map(first.containerizer.launched.map((s) => [s.environment.MESOS_TASK_ID, s.sandbox]));
  const executorDir = (id: string) => join(first.dir, 'slaves', 'S0', 'frameworks', 'F', 'executors', id);
  t.deepEqual(first.gcScheduled, [sandboxOf.get('done'), executorDir('done')]);

  const second = harness(t, first.dir);
  second.containerizer.recovered.set(ids.get('runs')!, 'running');
  t.deepEqual(await second.agent.recover(second.deps.store.recover()), { ok: true, tasks: 2, running: 1 });
  t.deepEqual(second.gcFromMtime, [sandboxOf.get('done'), executorDir('done')]);
  t.deepEqual(second.gcScheduled, []);
  // The unacknowledged terminal update is acknowledged after the restart: its run is over from now.
  second.agent.registered({ agent_reregistered: { agent_id: { value: 'S0' }, master_info: { id: 'm', ip: 0, port: 5050 } } });
  await settle();
  await ackAll(second, 'unacked'); // TASK_RUNNING, resent at re-registration
  t.deepEqual(second.gcScheduled, []);
  await ackAll(second, 'unacked'); // TASK_FAILED
  t.deepEqual(second.gcScheduled, [sandboxOf.get('unacked'), executorDir('unacked')]);
});

test('the HTTP API during recovery: /api/v1 answers 503 until recover() is done; /state lists the capabilities, /metrics/snapshot the GC\'s metrics', async (t) => {
  const first = harness(t);
  register(first);
  first.agent.handle({ run_task: { framework: framework(), task: taskInfo('stays') } });
  await settle();
  const containerId = first.containerizer.launched[0].containerId;

  const second = harness(t, first.dir);
  second.containerizer.recovered.set(containerId, 'running');
  let release = (): void => undefined;
  second.containerizer.recoverGate = new Promise((r) => { release = r; });
  const app = createAgentApp({ view: second.agent, logger: false, version: 'test' });
  t.teardown(() => app.close());
  const getHealth = () => app.inject({ method: 'POST', url: '/api/v1', headers: { 'content-type': 'application/json' }, payload: '{"type":"GET_HEALTH"}' });

  t.true(second.agent.recovering());
  const recovery = second.agent.recover(second.deps.store.recover());
  const during = await getHealth();
  t.deepEqual([during.statusCode, during.body], [503, 'Agent has not finished recovery']);
  t.true(second.agent.recovering());
  release();
  t.true((await recovery).ok);
  t.false(second.agent.recovering());
  const after = await getHealth();
  t.is(after.statusCode, 200);
  t.deepEqual(after.json(), { type: 'GET_HEALTH', get_health: { healthy: true } });

  const state = (await app.inject({ method: 'GET', url: '/state' })).json() as { capabilities?: string[] };
  t.deepEqual(state.capabilities, ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT']);
  t.deepEqual(second.agent.hello().reregister_agent?.capabilities, second.agent.agentCapabilities());
  const metrics = (await app.inject({ method: 'GET', url: '/metrics/snapshot' })).json() as Record<string, number>;
  t.like(metrics, { ...idleGcMetrics, 'slave/tasks_running': 1 });
});

test('a fresh agent is recovering until recover() finds an empty work dir; a refused recovery never ends it', async (t) => {
  const h = harness(t);
  t.true(h.agent.recovering());
  t.deepEqual(await h.agent.recover(h.deps.store.recover()), { ok: true, tasks: 0, running: 0 });
  t.false(h.agent.recovering());
  register(h);
  const changed = new Agent({ ...h.deps, config: { ...h.deps.config, hostname: 'host-2' } });
  t.false((await changed.recover(h.deps.store.recover())).ok);
  t.true(changed.recovering());
});

/** Health checks that accept every check and record the context each probe loop starts with. */
function recordingHealth(started: { kind: string; taskId: string; user?: string }[]): HealthChecks {
  return {
    validateHealthCheck: () => undefined,
    validateCheck: () => undefined,
    startHealthCheck: (_check, ctx) => {
      started.push({ kind: 'health', taskId: ctx.taskId, ...(ctx.user !== undefined ? { user: ctx.user } : {}) });
      return { stop: () => undefined };
    },
    startCheck: (_check, ctx) => {
      started.push({ kind: 'check', taskId: ctx.taskId, ...(ctx.user !== undefined ? { user: ctx.user } : {}) });
      return { stop: () => undefined };
    },
  };
}

test('health and check probes run as the task\'s user: CommandInfo.user, else FrameworkInfo.user; after a restart too', async (t) => {
  const h = harness(t);
  const started: { kind: string; taskId: string; user?: string }[] = [];
  const agent = new Agent({ ...h.deps, health: recordingHealth(started) });
  agents.push(agent);
  agent.setEndpoint('127.0.0.1', 5051);
  agent.attach(h.link);
  agent.registered({ agent_registered: { agent_id: { value: 'S0' }, master_info: { id: 'm', ip: 0, port: 5050 } } });
  const checked = (id: string, user?: string): mesos.v1.TaskInfo => taskInfo(id, 'cpus:0.5', {
    command: { value: 'sleep 100', shell: true, ...(user !== undefined ? { user } : {}) },
    health_check: { type: 'COMMAND', command: { value: 'true' } },
    check: { type: 'COMMAND', command: { command: { value: 'true' } } },
  });
  const fw = { ...framework(), user: 'bob' };
  agent.handle({ run_task: { framework: fw, task: checked('own', 'alice') } });
  agent.handle({ run_task: { framework: fw, task: checked('inherits') } });
  await settle();
  // The two launches wait for their own checkpoint writes, which finish in any order.
  t.deepEqual(h.containerizer.launched.map((s) => `${s.environment.MESOS_TASK_ID}:${s.user}`).sort(), ['inherits:bob', 'own:alice']);
  const byTask = (list: typeof started) => list.map((s) => `${s.taskId}:${s.kind}:${s.user ?? '(agent)'}`).sort();
  t.deepEqual(byTask(started), ['inherits:check:bob', 'inherits:health:bob', 'own:check:alice', 'own:health:alice']);

  const again = harness(t, h.dir);
  for (const s of h.containerizer.launched) again.containerizer.recovered.set(s.containerId, 'running');
  const restarted: typeof started = [];
  const recovered = new Agent({ ...again.deps, health: recordingHealth(restarted) });
  agents.push(recovered);
  recovered.setEndpoint('127.0.0.1', 5051);
  t.deepEqual(await recovered.recover(again.deps.store.recover()), { ok: true, tasks: 2, running: 2 });
  t.deepEqual(byTask(restarted), ['inherits:check:bob', 'inherits:health:bob', 'own:check:alice', 'own:health:alice']);
  recovered.stop();
});

test('recovery refuses an incompatible AgentInfo change and names the file to remove', async (t) => {
  const first = harness(t);
  register(first);
  const second = harness(t, first.dir);
  const changed = new Agent({ ...second.deps, config: { ...second.deps.config, resources: Resources.parse('cpus:4;mem:1024;ports:[31000-31010]') } });
  changed.setEndpoint('127.0.0.1', 5051);
  const r = await changed.recover(second.deps.store.recover());
  t.false(r.ok);
  if (!r.ok) {
    t.true(r.message.startsWith('Incompatible agent info detected: resources changed'), r.message);
    t.true(r.message.includes(join(first.dir, 'meta', 'slaves', 'latest')));
  }
});

test('resources in use: a task that does not fit beside the running ones is TASK_ERROR; a terminal task gives its resources back', async (t) => {
  const h = harness(t);
  register(h);
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('big', 'cpus:2;mem:512;ports:[31000-31000]') } });
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('more', 'cpus:0.5') } });
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('port', 'cpus:0;mem:1;ports:[31000-31000]') } });
  await settle();
  t.is(h.link.updates('more')[0].message, 'Task uses resources the agent was not given: cpus: 0.5 requested, 0 left of 2');
  t.is(h.link.updates('port')[0].message, 'Task uses resources the agent was not given: ports: [31000-31000] is already in use');
  t.is(h.agent.metrics()['slave/cpus_used'], 2);
  h.containerizer.end(h.containerizer.launched[0].containerId, { kind: 'exited', exitCode: 1, message: '' });
  await settle();
  t.is(h.agent.metrics()['slave/cpus_used'], 0);
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('next', 'cpus:2;ports:[31000-31000]') } });
  await settle();
  t.is(h.containerizer.launched.length, 2);
});

test('ShutdownExecutor kills that executor\'s task only; CheckpointResources and UpdateFramework are checkpointed and survive a restart', async (t) => {
  const h = harness(t);
  register(h);
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('a', 'cpus:0.5') } });
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('b', 'cpus:0.5') } });
  await settle();
  const ids = new Map(h.containerizer.launched.map((s) => [s.environment.MESOS_TASK_ID, s.containerId]));
  h.agent.handle({ shutdown_executor: { framework_id: { value: 'F' }, executor_id: { value: 'a' } } });
  h.agent.handle({ shutdown_executor: { framework_id: { value: 'F' }, executor_id: { value: 'nope' } } });
  t.deepEqual(h.containerizer.signals, [[ids.get('a'), 'SIGTERM']]);

  const reserved = Resources.parse('cpus(web):1').toProto();
  h.agent.handle({ checkpoint_resources: { resources: reserved } });
  h.agent.handle({ update_framework: { framework_info: { ...framework(), name: 'renamed' } } });
  t.deepEqual(h.agent.hello().reregister_agent?.checkpointed_resources, reserved);

  const again = harness(t, h.dir);
  const r = await again.agent.recover(again.deps.store.recover());
  t.true(r.ok);
  const hello = again.agent.hello().reregister_agent!;
  t.deepEqual(hello.checkpointed_resources, reserved);
  t.deepEqual(hello.frameworks?.map((f) => f.name), ['renamed']);
});

test('recovery after a host reboot: no container is looked for; every task that was running ends, saying the host rebooted', async (t) => {
  const h = harness(t);
  register(h);
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('was-running', 'cpus:0.5') } });
  await settle();
  const again = harness(t, h.dir);
  // Even a container the containerizer would call running (a reused pid) is not asked about.
  again.containerizer.recovered.set(h.containerizer.launched[0]!.containerId, 'running');
  const r = await again.agent.recover(again.deps.store.recover(), { rebooted: true });
  t.deepEqual(r, { ok: true, tasks: 1, running: 0 });
  register(again);
  await settle();
  await ackAll(again, 'was-running');
  await ackAll(again, 'was-running');
  const last = again.link.updates('was-running').at(-1)!;
  t.true(isTerminalState(last.state), last.state);
  t.regex(last.message ?? '', /host rebooted/);
});

test('a framework shut down by the master: once its tasks ended, their updates are no longer resent and the tasks are completed (as Mesos)', async (t) => {
  const h = harness(t);
  register(h);
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('a', 'cpus:0.5') } });
  await settle();
  h.agent.handle({ shutdown_framework: { framework_id: { value: 'F' } } });
  h.containerizer.end(h.containerizer.launched[0]!.containerId, { kind: 'signaled', signal: 15, message: '' });
  await settle();
  t.deepEqual(h.agent.getTasks().completed_tasks?.map((x) => [x.task_id.value, x.state]), [['a', 'TASK_KILLED']]);
  const sends = h.link.sends('a').length;
  h.time.advance(60_000);
  await settle();
  t.is(h.link.sends('a').length, sends, 'nothing resent for a framework that is gone');
  t.is(h.agent.metrics()['slave/status_updates_pending'], 0);
  t.deepEqual(h.gcScheduled, [h.containerizer.launched[0]!.sandbox, join(h.dir, 'slaves', 'S0', 'frameworks', 'F', 'executors', 'a'), join(h.dir, 'slaves', 'S0', 'frameworks', 'F')]);
});

test('frameworks without a task or executor here are kept up to 50 (Mesos --max_completed_frameworks), the oldest dropped first', async (t) => {
  const h = harness(t);
  register(h);
  for (let i = 0; i < 55; i++) {
    const fw = { ...framework(), id: { value: `F${i}` } };
    h.agent.handle({ run_task: { framework: fw, task: taskInfo(`t${i}`, 'cpus:0.01;mem:1') } });
  }
  await settle();
  for (const s of h.containerizer.launched) h.containerizer.end(s.containerId, { kind: 'exited', exitCode: 0, message: '' });
  await settle();
  for (let round = 0; round < 4; round++) {
    for (const e of h.link.sent) {
      const u = e.status_update;
      if (u !== undefined) h.agent.handle({ status_update_acknowledgement: { agent_id: { value: 'S0' }, framework_id: u.framework_id, task_id: u.status.task_id, uuid: u.status.uuid! } });
    }
    await settle();
  }
  const view = h.agent.getFrameworks();
  t.is(view.frameworks, undefined);
  t.is(view.completed_frameworks?.length, 50);
  t.false(view.completed_frameworks!.some((f) => f.framework_info.id?.value === 'F0'), 'the oldest went first');
});

test('an executor id launched again takes its directory back from the collector: the old run goes, the executor directory and the new run stay', async (t) => {
  let gc: SandboxGc | undefined;
  const h = harness(t, undefined, (dir, time) => (gc = createSandboxGc({
    workDir: dir, gcDelaySeconds: 300, diskHeadroom: 0.1, diskWatchIntervalSeconds: 86_400, timers: time, clock: time,
    statfs: async () => ({ blocks: 100, bfree: 100 }),
  })));
  t.teardown(() => gc?.stop());
  register(h);
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('t') } });
  await settle();
  await ackAll(h, 't');
  const old = h.containerizer.launched[0]!;
  h.containerizer.end(old.containerId, { kind: 'exited', exitCode: 0, message: '' });
  await settle();
  await ackAll(h, 't');
  await ackAll(h, 't');
  const executorDir = join(h.dir, 'slaves', 'S0', 'frameworks', 'F', 'executors', 't');
  t.is(h.agent.metrics()['gc/path_removals_pending'], 3, 'the run, the executor directory and the framework directory');
  h.time.advance(100_000);
  // The same task id again (Mesos allows it once the first is terminal): the same executor id, a new run.
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('t') } });
  await settle();
  const again = h.containerizer.launched[1]!;
  t.not(again.containerId, old.containerId);
  t.is(h.agent.metrics()['gc/path_removals_pending'], 1, 'only the old run is still scheduled');
  h.time.advance(200_000);
  await gc!.settled();
  t.false(existsSync(old.sandbox));
  t.true(existsSync(again.sandbox));
  t.true(existsSync(join(h.dir, 'meta', 'slaves', 'S0', 'frameworks', 'F', 'executors', 't', 'executor.info')));
  t.true(existsSync(executorDir));
});

test('a new run of an executor id whose directory is being removed writes nothing there until the removal ended', async (t) => {
  let removalEnded!: () => void;
  const removal = new Promise<void>((resolve) => { removalEnded = resolve; });
  const unscheduled: string[] = [];
  const h = harness(t, undefined, () => ({
    schedule: () => undefined,
    scheduleFromMtime: async () => undefined,
    unschedule: (d) => { unscheduled.push(d); return removal; },
    metrics: () => ({ ...idleGcMetrics }),
  }));
  register(h);
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('t') } });
  // Not settle(): the agent's settled() waits for the run's preparation, which waits for the removal.
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
  const executorDir = join(h.dir, 'slaves', 'S0', 'frameworks', 'F', 'executors', 't');
  t.deepEqual(unscheduled, [join(h.dir, 'slaves', 'S0', 'frameworks', 'F'), executorDir]);
  t.deepEqual(h.containerizer.launched, [], 'not launched while the old directory is removed');
  t.false(existsSync(executorDir), 'no sandbox created under the removal');
  t.false(existsSync(join(h.dir, 'meta', 'slaves', 'S0', 'frameworks', 'F', 'executors', 't', 'executor.info')));
  const frameworkInfo = join(h.dir, 'meta', 'slaves', 'S0', 'frameworks', 'F', 'framework.info');
  t.false(existsSync(frameworkInfo), 'framework.info not written under the removal of its framework\'s directory');
  removalEnded();
  await settle();
  t.is(h.containerizer.launched.length, 1);
  t.true(existsSync(h.containerizer.launched[0]!.sandbox));
  t.true(existsSync(join(h.dir, 'meta', 'slaves', 'S0', 'frameworks', 'F', 'executors', 't', 'executor.info')));
  t.true(existsSync(frameworkInfo), 'written once the removal ended');
});

test('ShutdownAgent: TERMINATING (RunTask ignored, registration ignored, updates checkpointed but not sent), every task killed; once the executors ended `latest` is gone and a new agent starts fresh', async (t) => {
  const h = harness(t);
  register(h);
  await settle();
  const latest = h.deps.store.paths.latestAgent;
  t.true(existsSync(latest));
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('a', 'cpus:0.5') } });
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('b', 'cpus:0.5') } });
  await settle();
  await ackAll(h, 'a');
  await ackAll(h, 'b');
  let done: { message: string; forced: boolean } | undefined;
  void h.agent.shutdownComplete.then((d) => { done = d; });
  let asked: string | undefined;
  void h.agent.shutdownRequested.then((m) => { asked = m; });
  const sentBefore = h.link.sent.length;

  h.agent.handle({ shutdown_agent: { message: 'Machine is `DOWN`' } });
  await settle();
  t.is(asked, 'Machine is `DOWN`');
  t.true(h.agent.isTerminating());
  t.deepEqual(h.containerizer.signals.map(([, s]) => s), ['SIGTERM', 'SIGTERM']);
  // RunTask while terminating: ignored, no update either (as Mesos).
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('c', 'cpus:0.1') } });
  // A registration answer that races the shutdown changes nothing.
  h.agent.registered({ agent_reregistered: { agent_id: { value: 'S0' }, master_info: { id: 'm', ip: 0, port: 5050 } } });
  await settle();
  t.is(h.containerizer.launched.length, 2);
  t.is(done, undefined, 'not before the executors ended');
  t.true(existsSync(latest));

  for (const spec of h.containerizer.launched) h.containerizer.end(spec.containerId, { kind: 'signaled', signal: 15, message: '' });
  await settle();
  t.deepEqual(done, { message: 'Machine is `DOWN`', forced: false, executorsLeft: 0 });
  t.false(existsSync(latest), 'the next start registers as a new agent');
  t.deepEqual(h.link.sent.slice(sentBefore), [], 'nothing sent to the master that removed the agent');
  // The terminal updates are in the journals all the same.
  const journal = readFileSync(h.deps.store.paths.taskUpdates({ agentId: 'S0', frameworkId: 'F', executorId: 'a', containerId: h.containerizer.launched.find((x) => x.environment.MESOS_TASK_ID === 'a')!.containerId, taskId: 'a' }), 'utf8');
  t.regex(journal, /TASK_KILLED/);
  const recovered = h.deps.store.recover();
  t.is(recovered.agentId, undefined);
  const fresh = harness(t, h.dir);
  const r = await fresh.agent.recover(fresh.deps.store.recover());
  t.deepEqual(r, { ok: true, tasks: 0, running: 0 });
  t.deepEqual(Object.keys(fresh.agent.hello()), ['register_agent']);
  // The old agent's directories go to the collector (as Mesos schedules an old agent's work and meta dirs).
  t.deepEqual(fresh.gcScheduled, [join(h.dir, 'slaves', 'S0')]);
});

test('ShutdownAgent: an executor that does not end is SIGKILLed after its grace; the agent terminates at the latest 10 s after the longest grace, keeping `latest` so that the next start recovers what is left; with nothing running at once', async (t) => {
  const h = harness(t);
  register(h);
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('a', 'cpus:0.5', { kill_policy: { grace_period: { nanoseconds: 8e9 } } }) } });
  await settle();
  await ackAll(h, 'a');
  let done: { forced: boolean; executorsLeft: number } | undefined;
  void h.agent.shutdownComplete.then((d) => { done = d; });
  h.agent.handle({ shutdown_agent: { message: 'Agent has been marked gone' } });
  h.agent.handle({ shutdown_agent: { message: 'again' } });
  await settle();
  const id = h.containerizer.launched[0].containerId;
  h.time.advance(8000);
  await settle();
  t.deepEqual(h.containerizer.signals, [[id, 'SIGTERM'], [id, 'SIGKILL']]);
  h.time.advance(9999);
  await settle();
  t.is(done, undefined);
  h.time.advance(1);
  await settle();
  t.like(done, { forced: true, executorsLeft: 1 });
  // Its process may still run and nothing else would track it: `latest` stays, the next start recovers it.
  t.true(existsSync(h.deps.store.paths.latestAgent));
  t.is(h.deps.store.recover().agentId, 'S0');

  const idle = harness(t);
  let idleDone: { message: string } | undefined;
  void idle.agent.shutdownComplete.then((d) => { idleDone = d; });
  idle.agent.handle({ shutdown_agent: { message: 'Machine is `DOWN`' } });
  await settle();
  t.like(idleDone, { message: 'Machine is `DOWN`' }, 'a fresh agent refused while DOWN terminates at once');
});

/** An agent over the real GC (gc_delay 300 s, an idle disk), and its framework F's directories. */
function gcHarness(t: ExecutionContext, workDir?: string) {
  let gc: SandboxGc | undefined;
  const h = harness(t, workDir, (dir, time) => (gc = createSandboxGc({
    workDir: dir, gcDelaySeconds: 300, diskHeadroom: 0.1, diskWatchIntervalSeconds: 86_400, timers: time, clock: time,
    statfs: async () => ({ blocks: 100, bfree: 100 }),
  })));
  t.teardown(() => gc?.stop());
  const frameworkDir = join(h.dir, 'slaves', 'S0', 'frameworks', 'F');
  const metaFrameworkDir = join(h.dir, 'meta', 'slaves', 'S0', 'frameworks', 'F');
  return { ...h, gc: () => gc!, frameworkDir, metaFrameworkDir, frameworkInfo: join(metaFrameworkDir, 'framework.info') };
}

/** Runs task `id` of F to its end (exit 0) with every update acknowledged. */
async function runToCompletion(h: ReturnType<typeof harness>, id: string): Promise<void> {
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo(id) } });
  await settle();
  await ackAll(h, id);
  const spec = h.containerizer.launched.find((s) => s.environment.MESOS_TASK_ID === id)!;
  h.containerizer.end(spec.containerId, { kind: 'exited', exitCode: 0, message: '' });
  await settle();
  await ackAll(h, id);
  await ackAll(h, id);
}

test('a framework with no executor and no task left: its directory and its meta twin (framework.info) go gc_delay after its last executor was collected', async (t) => {
  const h = gcHarness(t);
  register(h);
  await runToCompletion(h, 'a');
  t.true(existsSync(h.frameworkInfo));
  t.is(h.agent.metrics()['gc/path_removals_pending'], 3, 'the run, the executor and the framework');
  h.time.advance(299_000);
  await h.gc().settled();
  t.true(existsSync(h.frameworkDir));
  h.time.advance(1_000);
  await h.gc().settled();
  t.false(existsSync(h.frameworkDir));
  t.false(existsSync(h.metaFrameworkDir));
  t.true(existsSync(join(h.dir, 'slaves', 'S0', 'frameworks')), 'only the framework\'s own directory goes');
  t.like(h.agent.metrics(), { 'gc/path_removals_failed': 0, 'gc/path_removals_pending': 0 });
});

test('a new task of a framework whose directory is scheduled takes it back: the framework directory stays, the old run goes', async (t) => {
  const h = gcHarness(t);
  register(h);
  await runToCompletion(h, 'a');
  t.is(h.agent.metrics()['gc/path_removals_pending'], 3, 'the run, the executor and the framework');
  h.time.advance(100_000);
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('b') } });
  await settle();
  t.is(h.agent.metrics()['gc/path_removals_pending'], 2, 'the old run and its executor only');
  h.time.advance(200_000);
  await h.gc().settled();
  t.false(existsSync(join(h.frameworkDir, 'executors', 'a')));
  t.true(existsSync(h.frameworkInfo));
  t.true(existsSync(h.containerizer.launched[1]!.sandbox));
  t.is(h.agent.metrics()['gc/path_removals_pending'], 0);
});

test('a task of a framework whose directory was removed writes framework.info again (the agent remembers the same info); a restart recovers its task', async (t) => {
  const h = gcHarness(t);
  register(h);
  await runToCompletion(h, 'a');
  h.time.advance(300_000);
  await h.gc().settled();
  t.false(existsSync(h.metaFrameworkDir));
  // The same FrameworkInfo as the agent remembers: only the removal tells that it must be written again.
  h.agent.handle({ run_task: { framework: framework(), task: taskInfo('b') } });
  await settle();
  t.true(existsSync(h.frameworkInfo));
  const b = h.containerizer.launched[1]!;
  t.true(existsSync(b.sandbox));

  const again = harness(t, h.dir);
  again.containerizer.recovered.set(b.containerId as never, 'running');
  t.deepEqual(await again.agent.recover(again.deps.store.recover()), { ok: true, tasks: 1, running: 1 });
  t.deepEqual(again.agent.hello().reregister_agent?.tasks?.map((x) => x.task_id.value), ['b']);
});

test('recovery: a framework whose executors are all over is collected by its directories\' mtime, with its meta twin', async (t) => {
  const first = harness(t);
  register(first);
  await runToCompletion(first, 'old');
  const frameworkDir = join(first.dir, 'slaves', 'S0', 'frameworks', 'F');
  const metaFrameworkDir = join(first.dir, 'meta', 'slaves', 'S0', 'frameworks', 'F');
  // Everything ended 100 s before the restart, as far as the directories tell.
  const endedAtSeconds = (first.time.now() - 100_000) / 1000;
  for (const d of [...first.gcScheduled, join(frameworkDir, 'executors'), join(metaFrameworkDir, 'executors')]) utimesSync(d, endedAtSeconds, endedAtSeconds);

  const second = gcHarness(t, first.dir);
  t.deepEqual(await second.agent.recover(second.deps.store.recover()), { ok: true, tasks: 0, running: 0 });
  t.is(second.agent.metrics()['gc/path_removals_pending'], 3, 'the run, the executor and the framework');
  second.time.advance(199_000);
  await second.gc().settled();
  t.true(existsSync(frameworkDir));
  second.time.advance(1_000);
  await second.gc().settled();
  t.false(existsSync(frameworkDir));
  t.false(existsSync(metaFrameworkDir));
  t.like(second.agent.metrics(), { 'gc/path_removals_failed': 0, 'gc/path_removals_pending': 0 });
});
