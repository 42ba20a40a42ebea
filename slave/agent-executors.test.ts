/**
 * Task groups under the default executor and custom executors behind the executor seam, on the
 * agent core with fakes at its ports (slave/agent-test-harness.ts). The executor's side of the
 * seam is a recording sink: what the HTTP layer would write to the executor's stream.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import type { maestro, mesos } from '../proto/types.generated.ts';
import { KILL_GROUP_ON_FAILURE_LABEL } from './agent-books.ts';
import { ackAll, framework, harness, register, settle, taskInfo } from './agent-test-harness.ts';
import type { ExecutorEvent, ExecutorSink } from './executor-endpoint.ts';

type Harness = ReturnType<typeof harness>;

const defaultExecutor = (id = 'E', resources?: mesos.v1.Resource[]): mesos.v1.ExecutorInfo => ({
  executor_id: { value: id }, type: 'DEFAULT', framework_id: { value: 'F' }, ...(resources !== undefined ? { resources } : {}),
});
const customExecutor = (id = 'X'): mesos.v1.ExecutorInfo => ({
  executor_id: { value: id }, type: 'CUSTOM', framework_id: { value: 'F' }, command: { value: './my-executor', shell: true }, name: 'my executor',
});

/** A fresh agent past its (empty) recovery, registered: executor calls are answered 503 before recovery. */
async function ready(h: Harness): Promise<void> {
  await h.agent.recover(h.deps.store.recover());
  register(h);
}

/** The launch spec of a task's container. */
const specOf = (h: Harness, taskId: string) => h.containerizer.launched.find((s) => s.environment.MESOS_TASK_ID === taskId)!;

function launchGroup(h: Harness, tasks: mesos.v1.TaskInfo[], executor = defaultExecutor()): void {
  h.agent.handle({ run_task_group: { framework: framework(), executor, task_group: { tasks } } });
}

class RecordingSink implements ExecutorSink {
  readonly events: ExecutorEvent[] = [];
  closed = false;
  send(e: ExecutorEvent): void {
    if (!this.closed) this.events.push(e);
  }
  close(): void {
    this.closed = true;
  }
  types(): string[] {
    return this.events.map((e) => e.type ?? 'UNKNOWN');
  }
}

const call = (type: mesos.v1.executor.Call.Type, extra: Partial<mesos.v1.executor.Call> = {}, executorId = 'X'): mesos.v1.executor.Call => ({
  framework_id: { value: 'F' }, executor_id: { value: executorId }, type, ...extra,
});
const uuidOf = (n: number) => Buffer.from(`exec-uuid-${String(n).padStart(6, '0')}`).toString('base64');
const update = (taskId: string, state: mesos.v1.TaskState, n: number): mesos.v1.executor.Call =>
  call('UPDATE', { update: { status: { task_id: { value: taskId }, state, source: 'SOURCE_EXECUTOR', uuid: uuidOf(n), executor_id: { value: 'X' } } } });

const exited = (h: Harness) => h.link.sent.filter((e) => e.executor_exited !== undefined).map((e) => e.executor_exited!);
const states = (h: Harness, taskId: string) => h.link.updates(taskId).map((s) => s.state);

/** Acknowledges until no update is left unacknowledged (each ack lets the next queued update go). */
async function ackUntilQuiet(h: Harness, ...taskIds: string[]): Promise<void> {
  for (let i = 0; i < 6; i++) for (const id of taskIds) await ackAll(h, id);
}

// ---------------------------------------------------------------- task groups

test('a task group: each task in a nested container with its own sandbox under the executor run; all finished: one ExecutorExited (status 0)', async (t) => {
  const h = harness(t);
  register(h);
  launchGroup(h, [taskInfo('g1', 'cpus:0.5;mem:64'), taskInfo('g2', 'cpus:0.5;mem:64')]);
  await settle();
  t.is(h.containerizer.launched.length, 2);
  const [a, b] = [specOf(h, 'g1'), specOf(h, 'g2')];
  t.not(a!.containerId, b!.containerId);
  t.regex(a!.sandbox, /\/executors\/E\/runs\/c\d+\/tasks\/g1$/);
  t.true(existsSync(a!.sandbox));
  t.is(a!.environment.MESOS_SANDBOX, a!.sandbox);
  t.is(a!.environment.MESOS_EXECUTOR_ID, 'E');
  t.is(a!.environment.MESOS_TASK_ID, 'g1');
  const first = h.link.updates('g1')[0]!;
  t.is(first.executor_id?.value, 'E');
  t.truthy(first.container_status?.container_id?.parent?.value, 'a nested container id has its parent');
  await ackUntilQuiet(h, 'g1', 'g2');
  t.deepEqual(states(h, 'g1'), ['TASK_STARTING', 'TASK_RUNNING']);
  h.containerizer.end(a!.containerId, { kind: 'exited', exitCode: 0, message: '' });
  await settle();
  t.deepEqual(exited(h), [], 'the executor lives while one task runs');
  h.containerizer.end(b!.containerId, { kind: 'exited', exitCode: 0, message: '' });
  await settle();
  await ackUntilQuiet(h, 'g1', 'g2');
  t.deepEqual(exited(h), [{ framework_id: { value: 'F' }, executor_id: { value: 'E' }, status: 0 }]);
  t.deepEqual(h.agent.hello().reregister_agent?.executors ?? [], []);
  // The run sandbox once both tasks are completed, then the executor's directory (no run of E is left).
  t.deepEqual(h.gcScheduled, [a!.sandbox.replace(/\/tasks\/g1$/, ''), a!.sandbox.replace(/\/runs\/c\d+\/tasks\/g1$/, ''), a!.sandbox.replace(/\/executors\/E\/runs\/c\d+\/tasks\/g1$/, '')]);
});

test('a task group: one task failing kills the rest of its group (TASK_KILLED), as Mesos\' default executor', async (t) => {
  const h = harness(t);
  register(h);
  launchGroup(h, [taskInfo('g1', 'cpus:0.5'), taskInfo('g2', 'cpus:0.5')]);
  await settle();
  const [a, b] = [specOf(h, 'g1'), specOf(h, 'g2')];
  h.containerizer.end(a!.containerId, { kind: 'exited', exitCode: 3, message: '' });
  await settle();
  t.deepEqual(h.containerizer.signals, [[b!.containerId, 'SIGTERM']]);
  h.containerizer.end(b!.containerId, { kind: 'signaled', signal: 15, message: '' });
  await settle();
  await ackUntilQuiet(h, 'g1', 'g2');
  t.is(states(h, 'g1').at(-1), 'TASK_FAILED');
  t.is(states(h, 'g2').at(-1), 'TASK_KILLED');
  t.deepEqual(exited(h).map((e) => e.status), [256]);
});

test(`a task group: a task labelled ${KILL_GROUP_ON_FAILURE_LABEL}=false fails alone`, async (t) => {
  const h = harness(t);
  register(h);
  const sidecar = taskInfo('side', 'cpus:0.5', { labels: { labels: [{ key: KILL_GROUP_ON_FAILURE_LABEL, value: 'false' }] } });
  launchGroup(h, [taskInfo('main', 'cpus:0.5'), sidecar]);
  await settle();
  const side = h.containerizer.launched.find((s) => s.environment.MESOS_TASK_ID === 'side')!;
  h.containerizer.end(side.containerId, { kind: 'exited', exitCode: 1, message: '' });
  await settle();
  t.deepEqual(h.containerizer.signals, []);
  t.deepEqual(exited(h), []);
});

test('a task group: killing one task kills the whole group; the executor\'s resources count until it ends', async (t) => {
  const h = harness(t);
  register(h);
  launchGroup(h, [taskInfo('g1', 'cpus:0.5'), taskInfo('g2', 'cpus:0.5')], defaultExecutor('E', [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }]));
  await settle();
  t.is(h.agent.metrics()['slave/cpus_used'], 1.1);
  h.agent.handle({ kill_task: { framework_id: { value: 'F' }, task_id: { value: 'g2' } } });
  t.deepEqual(h.containerizer.signals.map(([, s]) => s), ['SIGTERM', 'SIGTERM']);
  for (const s of h.containerizer.launched) h.containerizer.end(s.containerId, { kind: 'signaled', signal: 15, message: '' });
  await settle();
  await ackUntilQuiet(h, 'g1', 'g2');
  t.deepEqual([states(h, 'g1').at(-1), states(h, 'g2').at(-1)], ['TASK_KILLED', 'TASK_KILLED']);
  t.is(h.agent.metrics()['slave/cpus_used'], 0);
  t.is(exited(h).length, 1);
});

test('a task group is refused whole: one task without a command makes every task TASK_ERROR, nothing launches', async (t) => {
  const h = harness(t);
  register(h);
  launchGroup(h, [taskInfo('ok', 'cpus:0.5'), { ...taskInfo('bad', 'cpus:0.5'), command: undefined } as mesos.v1.TaskInfo]);
  await settle();
  t.is(h.containerizer.launched.length, 0);
  for (const id of ['ok', 'bad']) {
    const [s] = h.link.updates(id);
    t.is(s!.state, 'TASK_ERROR');
    t.is(s!.message, 'Task group refused: Task has no CommandInfo to run');
  }
});

test('a second task group joins the running default executor (same run, same executor container)', async (t) => {
  const h = harness(t);
  register(h);
  launchGroup(h, [taskInfo('g1', 'cpus:0.5')]);
  launchGroup(h, [taskInfo('g2', 'cpus:0.5')]);
  await settle();
  const [a, b] = [specOf(h, 'g1'), specOf(h, 'g2')];
  t.is(a!.sandbox.replace(/tasks\/g1$/, ''), b!.sandbox.replace(/tasks\/g2$/, ''));
  // Different groups: g1 failing does not touch g2.
  h.containerizer.end(a!.containerId, { kind: 'exited', exitCode: 1, message: '' });
  await settle();
  t.deepEqual(h.containerizer.signals, []);
});

test('recovery: a task group task still running is watched again in its nested container; one that ended is reported', async (t) => {
  const h = harness(t);
  register(h);
  launchGroup(h, [taskInfo('g1', 'cpus:0.5'), taskInfo('g2', 'cpus:0.5')]);
  await settle();
  const [a, b] = [specOf(h, 'g1'), specOf(h, 'g2')];
  const again = harness(t, h.dir);
  again.containerizer.recovered.set(a!.containerId, 'running');
  again.containerizer.recovered.set(b!.containerId, { kind: 'exited', exitCode: 0, message: '' });
  const r = await again.agent.recover(again.deps.store.recover());
  t.deepEqual(r, { ok: true, tasks: 2, running: 1 });
  register(again);
  await settle();
  await ackUntilQuiet(again, 'g1', 'g2');
  t.is(states(again, 'g2').at(-1), 'TASK_FINISHED');
  t.deepEqual(again.agent.hello().reregister_agent?.executors?.map((e) => e.executor_id.value), ['E']);
});

// ---------------------------------------------------------------- custom executors

async function startCustom(h: Harness, ...taskIds: string[]): Promise<RecordingSink> {
  for (const id of taskIds) h.agent.handle({ run_task: { framework: framework(), executor: customExecutor(), task: taskInfo(id, 'cpus:0.5') } });
  await settle();
  const sink = new RecordingSink();
  t_ok(h.agent.subscribeExecutor(call('SUBSCRIBE', { subscribe: {} }), sink));
  return sink;
}
function t_ok(outcome: { ok: boolean }): void {
  if (!outcome.ok) throw new Error(`expected ok, got ${JSON.stringify(outcome)}`);
}

test('a custom executor: started once for its tasks (its own environment), gets SUBSCRIBED then LAUNCH for each queued task', async (t) => {
  const h = harness(t);
  await ready(h);
  h.agent.handle({ run_task: { framework: framework(), executor: customExecutor(), task: taskInfo('a', 'cpus:0.5') } });
  h.agent.handle({ run_task: { framework: framework(), executor: customExecutor(), task: taskInfo('b', 'cpus:0.5') } });
  await settle();
  t.is(h.containerizer.launched.length, 1);
  const spec = h.containerizer.launched[0]!;
  t.deepEqual(spec.command, { shell: true, value: './my-executor', arguments: [] });
  t.is(spec.environment.MESOS_EXECUTOR_ID, 'X');
  t.is(spec.environment.MESOS_FRAMEWORK_ID, 'F');
  t.false('MESOS_TASK_ID' in spec.environment);
  t.deepEqual(h.link.sends(), [], 'no update until the executor speaks');
  const sink = new RecordingSink();
  t.deepEqual(h.agent.subscribeExecutor(call('SUBSCRIBE', { subscribe: {} }), sink), { ok: true });
  t.deepEqual(sink.types(), ['SUBSCRIBED', 'LAUNCH', 'LAUNCH']);
  t.is(sink.events[0]!.subscribed?.container_id?.value, spec.containerId);
  t.deepEqual(sink.events.slice(1).map((e) => e.launch?.task.task_id.value), ['a', 'b']);
  // A task for the running executor goes straight to it.
  h.agent.handle({ run_task: { framework: framework(), executor: customExecutor(), task: taskInfo('c', 'cpus:0.5') } });
  await settle();
  t.is(h.containerizer.launched.length, 1);
  t.deepEqual(sink.types().slice(3), ['LAUNCH']);
  t.is(h.agent.metrics()['slave/cpus_used'], 1.5);
});

test('a custom executor\'s container holds its tasks\' resources: launched with those admitted before it started, updated as tasks join and end (Containerizer::update)', async (t) => {
  const h = harness(t);
  await ready(h);
  h.agent.handle({ run_task: { framework: framework(), executor: customExecutor(), task: taskInfo('a', 'cpus:0.5;mem:64') } });
  await settle();
  const spec = h.containerizer.launched[0]!;
  t.is(spec.resources.scalar('cpus'), 0.5, 'launched with task a');
  t.is(spec.resources.scalar('mem'), 64);
  const sink = new RecordingSink();
  h.agent.subscribeExecutor(call('SUBSCRIBE', { subscribe: {} }), sink);
  h.agent.handle({ run_task: { framework: framework(), executor: customExecutor(), task: taskInfo('b', 'cpus:1;mem:128') } });
  await settle();
  t.deepEqual(h.containerizer.updates.at(-1), [spec.containerId, 'cpus(*):1.5; mem(*):192'], 'task b joined');
  h.agent.executorUpdate(update('a', 'TASK_FINISHED', 1));
  await settle();
  t.deepEqual(h.containerizer.updates.at(-1), [spec.containerId, 'cpus(*):1; mem(*):128'], 'task a ended');
});

test('a custom executor\'s UPDATE is forwarded with its own uuid; the framework\'s ack comes back as ACKNOWLEDGED; a duplicate is accepted once', async (t) => {
  const h = harness(t);
  await ready(h);
  const sink = await startCustom(h, 'a');
  t.deepEqual(h.agent.executorUpdate(update('a', 'TASK_RUNNING', 1)), { ok: true });
  t.deepEqual(h.agent.executorUpdate(update('a', 'TASK_RUNNING', 1)), { ok: true });
  await settle();
  const sent = h.link.updates('a');
  t.deepEqual(sent.map((s) => [s.state, s.uuid, s.source, s.executor_id?.value]), [['TASK_RUNNING', uuidOf(1), 'SOURCE_EXECUTOR', 'X']]);
  t.is(sent[0]!.agent_id?.value, 'S0');
  await ackAll(h, 'a');
  t.deepEqual(sink.events.filter((e) => e.type === 'ACKNOWLEDGED').map((e) => e.acknowledged), [{ task_id: { value: 'a' }, uuid: uuidOf(1) }]);
  t.deepEqual(h.agent.executorUpdate(update('a', 'TASK_FINISHED', 2)), { ok: true });
  await settle();
  await ackAll(h, 'a');
  t.deepEqual(h.agent.getTasks().completed_tasks?.map((x) => [x.task_id.value, x.state, x.executor_id?.value]), [['a', 'TASK_FINISHED', 'X']]);
  t.deepEqual(exited(h), [], 'the executor outlives its task');
  t.is(h.agent.metrics()['slave/executors_running'], 1);
});

test('executor calls are refused with Mesos\' status codes and change nothing', async (t) => {
  const h = harness(t);
  await ready(h);
  h.agent.handle({ run_task: { framework: framework(), executor: customExecutor(), task: taskInfo('a', 'cpus:0.5') } });
  await settle();
  t.deepEqual(h.agent.executorUpdate(update('a', 'TASK_RUNNING', 1)), { ok: false, status: 403, message: 'Executor is not subscribed' });
  t.is(h.agent.executorMessage(call('MESSAGE', { message: { data: 'aGk=' } })).ok, false);
  const unknownFw = h.agent.subscribeExecutor({ ...call('SUBSCRIBE', { subscribe: {} }), framework_id: { value: 'nope' } }, new RecordingSink());
  t.deepEqual(unknownFw, { ok: false, status: 400, message: "Framework 'nope' cannot be found" });
  const unknownEx = h.agent.subscribeExecutor(call('SUBSCRIBE', { subscribe: {} }, 'nope'), new RecordingSink());
  t.deepEqual(unknownEx, { ok: false, status: 400, message: "Executor 'nope' of framework 'F' cannot be found" });
  t_ok(h.agent.subscribeExecutor(call('SUBSCRIBE', { subscribe: {} }), new RecordingSink()));
  const stranger = update('zzz', 'TASK_RUNNING', 5);
  t.deepEqual(h.agent.executorUpdate(stranger), { ok: false, status: 400, message: "Task 'zzz' is not a task of executor 'X'" });
  t_ok(h.agent.executorUpdate(update('a', 'TASK_FAILED', 2)));
  const late = h.agent.executorUpdate(update('a', 'TASK_RUNNING', 3));
  t.deepEqual(late, { ok: false, status: 400, message: "Task 'a' is already TASK_FAILED; no update can follow a terminal one" });
  await settle();
  t.deepEqual(states(h, 'a'), ['TASK_FAILED']);
});

test('a recovering agent answers executor calls 503', async (t) => {
  const h = harness(t);
  const outcome = h.agent.subscribeExecutor(call('SUBSCRIBE', { subscribe: {} }), new RecordingSink());
  t.deepEqual(outcome, { ok: false, status: 503, message: 'Agent has not finished recovery' });
});

test('KILL, MESSAGE both ways, and a second SUBSCRIBE closing the first stream', async (t) => {
  const h = harness(t);
  await ready(h);
  const sink = await startCustom(h, 'a');
  t_ok(h.agent.executorUpdate(update('a', 'TASK_RUNNING', 1)));
  h.agent.handle({ kill_task: { framework_id: { value: 'F' }, task_id: { value: 'a' }, kill_policy: { grace_period: { nanoseconds: 1e9 } } } });
  t.deepEqual(sink.events.at(-1), { type: 'KILL', kill: { task_id: { value: 'a' }, kill_policy: { grace_period: { nanoseconds: 1e9 } } } });
  t.deepEqual(h.containerizer.signals, [], 'the executor kills its own task');
  h.agent.handle({ framework_to_executor: { agent_id: { value: 'S0' }, framework_id: { value: 'F' }, executor_id: { value: 'X' }, data: 'cGluZw==' } });
  t.deepEqual(sink.events.at(-1), { type: 'MESSAGE', message: { data: 'cGluZw==' } });
  t_ok(h.agent.executorMessage(call('MESSAGE', { message: { data: 'cG9uZw==' } })));
  const up = h.link.sent.find((e) => e.executor_to_framework !== undefined)?.executor_to_framework;
  t.deepEqual(up, { agent_id: { value: 'S0' }, framework_id: { value: 'F' }, executor_id: { value: 'X' }, data: 'cG9uZw==' });
  const second = new RecordingSink();
  t_ok(h.agent.subscribeExecutor(call('SUBSCRIBE', { subscribe: {} }), second));
  t.true(sink.closed);
  t.deepEqual(second.types(), ['SUBSCRIBED']);
});

test('events for a disconnected executor wait for its next SUBSCRIBE; its UPDATEs are still taken', async (t) => {
  const h = harness(t);
  await ready(h);
  const sink = await startCustom(h, 'a');
  t_ok(h.agent.executorUpdate(update('a', 'TASK_RUNNING', 1)));
  h.agent.executorDisconnected(sink);
  // Subscribed once: its calls are taken on a new connection before it subscribes again (as Mesos).
  t.deepEqual(h.agent.executorUpdate(update('a', 'TASK_RUNNING', 2)), { ok: true });
  h.agent.handle({ kill_task: { framework_id: { value: 'F' }, task_id: { value: 'a' } } });
  const again = new RecordingSink();
  t_ok(h.agent.subscribeExecutor(call('SUBSCRIBE', { subscribe: {} }), again));
  t.deepEqual(again.types(), ['SUBSCRIBED', 'KILL']);
});

test('an executor that does not subscribe in time is killed; its tasks fail with REASON_EXECUTOR_REGISTRATION_TIMEOUT', async (t) => {
  const h = harness(t);
  await ready(h);
  h.agent.handle({ run_task: { framework: framework(), executor: customExecutor(), task: taskInfo('a', 'cpus:0.5') } });
  await settle();
  const id = h.containerizer.launched[0]!.containerId;
  h.time.advance(59_000);
  t.deepEqual(h.containerizer.signals, []);
  h.time.advance(1_000);
  t.deepEqual(h.containerizer.signals, [[id, 'SIGKILL']]);
  h.containerizer.end(id, { kind: 'signaled', signal: 9, message: 'Command terminated with signal Killed' });
  await settle();
  const [s] = h.link.updates('a');
  t.is(s!.state, 'TASK_FAILED');
  t.is(s!.reason, 'REASON_EXECUTOR_REGISTRATION_TIMEOUT');
  t.is(s!.source, 'SOURCE_AGENT');
  t.deepEqual(exited(h).map((e) => e.status), [9]);
  t.is(h.agent.metrics()['slave/cpus_used'], 0);
});

test('an executor that exits fails its unfinished tasks (REASON_EXECUTOR_TERMINATED) and killed ones end KILLED', async (t) => {
  const h = harness(t);
  await ready(h);
  await startCustom(h, 'a', 'b');
  t_ok(h.agent.executorUpdate(update('a', 'TASK_RUNNING', 1)));
  t_ok(h.agent.executorUpdate({ ...update('b', 'TASK_RUNNING', 2) }));
  h.agent.handle({ kill_task: { framework_id: { value: 'F' }, task_id: { value: 'b' } } });
  h.containerizer.end(h.containerizer.launched[0]!.containerId, { kind: 'exited', exitCode: 3, message: 'Command exited with status 3' });
  await settle();
  await ackUntilQuiet(h, 'a', 'b');
  const a = h.link.updates('a').at(-1)!;
  t.deepEqual([a.state, a.reason, a.message], ['TASK_FAILED', 'REASON_EXECUTOR_TERMINATED', 'Executor terminated: Command exited with status 3']);
  t.is(states(h, 'b').at(-1), 'TASK_KILLED');
  t.deepEqual(exited(h).map((e) => e.status), [3 << 8]);
});

test('SHUTDOWN: the executor is told, queued tasks are killed, and the executor is killed after the grace period', async (t) => {
  const h = harness(t);
  await ready(h);
  const sink = await startCustom(h, 'a');
  h.agent.handle({ shutdown_executor: { framework_id: { value: 'F' }, executor_id: { value: 'X' } } });
  t.is(sink.types().at(-1), 'SHUTDOWN');
  h.time.advance(4_999);
  t.deepEqual(h.containerizer.signals, []);
  h.time.advance(1);
  t.deepEqual(h.containerizer.signals.map(([, s]) => s), ['SIGKILL']);
  // A task for an executor that is shutting down is not started.
  h.agent.handle({ run_task: { framework: framework(), executor: customExecutor(), task: taskInfo('late', 'cpus:0.5') } });
  t.is(h.link.sends('late')[0]?.reason, 'REASON_EXECUTOR_TERMINATED');
});

test('recovery: a custom executor that subscribes again keeps its tasks; a STAGING task it does not know is lost', async (t) => {
  const h = harness(t);
  await ready(h);
  await startCustom(h, 'known', 'unknown');
  t_ok(h.agent.executorUpdate(update('known', 'TASK_RUNNING', 1)));
  await settle();
  const id = h.containerizer.launched[0]!.containerId;
  const again = harness(t, h.dir);
  again.containerizer.recovered.set(id, 'running');
  const r = await again.agent.recover(again.deps.store.recover());
  t.deepEqual(r, { ok: true, tasks: 2, running: 2 });
  register(again);
  const sink = new RecordingSink();
  const resent = update('known', 'TASK_RUNNING', 1).update!;
  t_ok(again.agent.subscribeExecutor(call('SUBSCRIBE', { subscribe: { unacknowledged_updates: [resent] } }), sink));
  await settle();
  t.deepEqual(sink.types(), ['SUBSCRIBED']);
  const lost = again.link.updates('unknown').at(-1)!;
  t.deepEqual([lost.state, lost.reason, lost.message], ['TASK_LOST', 'REASON_AGENT_RESTARTED', 'Task launched during agent restart']);
  t.deepEqual(again.link.updates('known').map((s) => s.uuid), [uuidOf(1)], 'the resent update is the journal\'s, not a new one');
  again.time.advance(60_000);
  t.deepEqual(again.containerizer.signals, [], 'subscribed in time: no re-registration timeout');
});

test('recovery: a custom executor that does not subscribe again within the re-registration timeout is killed', async (t) => {
  const h = harness(t);
  await ready(h);
  await startCustom(h, 'a');
  t_ok(h.agent.executorUpdate(update('a', 'TASK_RUNNING', 1)));
  await settle();
  const id = h.containerizer.launched[0]!.containerId;
  const again = harness(t, h.dir);
  again.containerizer.recovered.set(id, 'running');
  await again.agent.recover(again.deps.store.recover());
  register(again);
  again.time.advance(2_000);
  t.deepEqual(again.containerizer.signals, [[id, 'SIGKILL']]);
  again.containerizer.end(id, { kind: 'signaled', signal: 9, message: '' });
  await settle();
  await ackUntilQuiet(again, 'a');
  t.is(again.link.updates('a').at(-1)?.reason, 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT');
});

test('a RunTask naming a running default executor as a custom one is refused', async (t) => {
  const h = harness(t);
  register(h);
  launchGroup(h, [taskInfo('g1', 'cpus:0.5')], defaultExecutor('X'));
  h.agent.handle({ run_task: { framework: framework(), executor: customExecutor('X'), task: taskInfo('c', 'cpus:0.5') } } as maestro.agent.Envelope);
  await settle();
  t.is(h.link.sends('c')[0]?.message, "Executor 'X' already runs as a default executor");
});

test('a task group for a custom executor reaches it as one LAUNCH_GROUP once every task of it is checkpointed', async (t) => {
  const h = harness(t);
  await ready(h);
  launchGroup(h, [taskInfo('p1', 'cpus:0.5'), taskInfo('p2', 'cpus:0.5')], customExecutor());
  await settle();
  t.is(h.containerizer.launched.length, 1, 'the executor only; its tasks run inside it');
  const sink = new RecordingSink();
  t_ok(h.agent.subscribeExecutor(call('SUBSCRIBE', { subscribe: {} }), sink));
  t.deepEqual(sink.types(), ['SUBSCRIBED', 'LAUNCH_GROUP']);
  t.deepEqual(sink.events[1]!.launch_group?.task_group.tasks?.map((x) => x.task_id.value), ['p1', 'p2']);
});

test('a custom executor whose container hits its memory limit fails its tasks with the limitation, not REASON_EXECUTOR_TERMINATED', async (t) => {
  const h = harness(t);
  await ready(h);
  await startCustom(h, 'a');
  t_ok(h.agent.executorUpdate(update('a', 'TASK_RUNNING', 1)));
  const mem: mesos.v1.Resource = { name: 'mem', type: 'SCALAR', scalar: { value: 64 } };
  h.containerizer.end(h.containerizer.launched[0]!.containerId, {
    kind: 'limited', reason: 'REASON_CONTAINER_LIMITATION_MEMORY', message: 'Memory limit exceeded: limit 64 MB, peak 64 MB', resources: [mem],
  });
  await settle();
  await ackUntilQuiet(h, 'a');
  const last = h.link.updates('a').at(-1)!;
  t.deepEqual([last.state, last.reason, last.source, last.message], ['TASK_FAILED', 'REASON_CONTAINER_LIMITATION_MEMORY', 'SOURCE_AGENT', 'Memory limit exceeded: limit 64 MB, peak 64 MB']);
  t.deepEqual(last.limitation, { resources: [mem] });
});

// ---------------------------------------------------------------- found in review

test('after SHUTDOWN the executor\'s own TASK_KILLED still gets through (it is not refused as unsubscribed)', async (t) => {
  const h = harness(t);
  await ready(h);
  const sink = await startCustom(h, 'a');
  t_ok(h.agent.executorUpdate(update('a', 'TASK_RUNNING', 1)));
  h.agent.handle({ shutdown_executor: { framework_id: { value: 'F' }, executor_id: { value: 'X' } } });
  t.is(sink.types().at(-1), 'SHUTDOWN');
  t.deepEqual(h.agent.executorUpdate(update('a', 'TASK_KILLED', 2)), { ok: true });
  h.containerizer.end(h.containerizer.launched[0]!.containerId, { kind: 'exited', exitCode: 0, message: '' });
  await settle();
  await ackUntilQuiet(h, 'a');
  const last = h.link.updates('a').at(-1)!;
  t.deepEqual([last.state, last.source], ['TASK_KILLED', 'SOURCE_EXECUTOR']);
});

test('an executor that subscribes before its launch has completed stays subscribed (no registration timeout)', async (t) => {
  const h = harness(t);
  await ready(h);
  let release!: () => void;
  h.containerizer.launchGate = new Promise<void>((r) => { release = r; });
  h.agent.handle({ run_task: { framework: framework(), executor: customExecutor(), task: taskInfo('a', 'cpus:0.5') } });
  await settle();
  const sink = new RecordingSink();
  t_ok(h.agent.subscribeExecutor(call('SUBSCRIBE', { subscribe: {} }), sink));
  release();
  await settle();
  t.deepEqual(h.agent.executorUpdate(update('a', 'TASK_RUNNING', 1)), { ok: true });
  h.time.advance(120_000);
  t.deepEqual(h.containerizer.signals, []);
});

test('killing one task of a custom executor\'s task group before delivery kills the whole group; nothing is delivered', async (t) => {
  const h = harness(t);
  await ready(h);
  launchGroup(h, [taskInfo('p1', 'cpus:0.5'), taskInfo('p2', 'cpus:0.5')], customExecutor());
  await settle();
  h.agent.handle({ kill_task: { framework_id: { value: 'F' }, task_id: { value: 'p1' } } });
  await settle();
  t.deepEqual([states(h, 'p1').at(-1), states(h, 'p2').at(-1)], ['TASK_KILLED', 'TASK_KILLED']);
  const sink = new RecordingSink();
  t_ok(h.agent.subscribeExecutor(call('SUBSCRIBE', { subscribe: {} }), sink));
  t.false(sink.types().includes('LAUNCH_GROUP'));
});

test('recovery after a reboot reports each task of a group as gone, without kills spreading between them', async (t) => {
  const h = harness(t);
  register(h);
  h.agent.handle({ run_task_group: { framework: framework(['TASK_KILLING_STATE']), executor: defaultExecutor(), task_group: { tasks: [taskInfo('g1', 'cpus:0.5'), taskInfo('g2', 'cpus:0.5')] } } });
  await settle();
  const again = harness(t, h.dir);
  await again.agent.recover(again.deps.store.recover(), { rebooted: true });
  register(again);
  await settle();
  await ackUntilQuiet(again, 'g1', 'g2');
  t.deepEqual(again.containerizer.signals, []);
  for (const id of ['g1', 'g2']) {
    t.false(states(again, id).includes('TASK_KILLING'), id);
    t.is(states(again, id).at(-1), 'TASK_FAILED', id);
  }
});

test('a task group with networks, or a default executor with an image or networks, is refused whole (TASK_ERROR, the field named)', async (t) => {
  const h = harness(t);
  register(h);
  const bridged = { ...taskInfo('n1', 'cpus:0.1;mem:32'), container: { type: 'MESOS' as const, network_infos: [{ name: 'mesos-bridge' }] } };
  launchGroup(h, [bridged, taskInfo('n2', 'cpus:0.1;mem:32')]);
  await settle();
  t.deepEqual(states(h, 'n2'), ['TASK_ERROR']);
  t.regex(h.link.updates('n1')[0]!.message!, /task\.container\.network_infos: networks of tasks in a task group are not supported yet/);
  const imaged = { ...defaultExecutor('E2'), container: { type: 'DOCKER' as const, docker: { image: 'busybox' } } };
  launchGroup(h, [taskInfo('n3', 'cpus:0.1;mem:32')], imaged);
  await settle();
  t.regex(h.link.updates('n3')[0]!.message!, /executor\.container: a container \(image or networks\) for the default executor is not supported yet/);
  t.is(h.containerizer.launched.length, 0);
});
