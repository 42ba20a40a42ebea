/**
 * The simulated agent's logic against a fake link and manual time (pure: no socket, no timer).
 * The real StatusUpdateManager is inside; only the transport and the clock are fakes.
 */
import test from 'ava';
import { Resources } from '../../common/resources/resources.ts';
import { ManualTime } from '../../master/test-fixtures.ts';
import { silentLogger } from '../../common/ports.ts';
import type { maestro, mesos } from '../../proto/types.generated.ts';
import type { MasterPort } from '../agent-ports.ts';
import { DURATION_LABEL, EXIT_CODE_LABEL, MAX_COMPLETED_TASKS, newCounters, SimulatedAgent, SIMULATED_AGENT_RESOURCES, type SimulationShared } from './simulated-agent.ts';

type Envelope = maestro.agent.Envelope;

class FakeLink implements MasterPort {
  readonly sent: Envelope[] = [];
  registered = true;
  readonly address = 'master:5050';
  send(envelope: Envelope): boolean {
    if (!this.registered) return false;
    this.sent.push(envelope);
    return true;
  }
  updates(): mesos.v1.TaskStatus[] {
    return this.sent.flatMap((e) => (e.status_update !== undefined ? [e.status_update.status] : []));
  }
  states(taskId?: string): string[] {
    return this.updates().filter((s) => taskId === undefined || s.task_id.value === taskId).map((s) => s.state);
  }
}

function harness(opts: { resources?: string; retryMs?: number } = {}) {
  const time = new ManualTime();
  let n = 0;
  const shared: SimulationShared = {
    clock: time, timers: time, logger: silentLogger,
    uuid: () => `uuid-${++n}`,
    resources: Resources.parse(opts.resources ?? SIMULATED_AGENT_RESOURCES),
    version: 'test', retry: { initialMs: opts.retryMs ?? 10_000, maxMs: 60_000 }, counters: newCounters(),
  };
  const agent = new SimulatedAgent({ index: 7, hostname: 'sim-0007.test', port: 5051, attributes: [{ name: 'sim_index', type: 'SCALAR', scalar: { value: 7 } }] }, shared);
  const link = new FakeLink();
  agent.attach(link);
  agent.registered({ agent_registered: { agent_id: { value: 'A7' } } } as Envelope);
  const ack = (s: mesos.v1.TaskStatus, frameworkId = 'F') =>
    agent.handle({ status_update_acknowledgement: { agent_id: { value: 'A7' }, framework_id: { value: frameworkId }, task_id: s.task_id, uuid: s.uuid! } });
  /** Acknowledges every update sent so far, once each (a framework that acks everything). */
  let acked = 0;
  const ackAll = () => {
    for (;;) {
      const ups = link.sent.flatMap((e) => (e.status_update !== undefined ? [e.status_update] : []));
      if (acked >= ups.length) return;
      const u = ups[acked++];
      ack(u.status, u.framework_id.value);
    }
  };
  return { time, shared, agent, link, ack, ackAll };
}

const scalar = (name: string, value: number): mesos.v1.Resource => ({ name, type: 'SCALAR', scalar: { value } });

function framework(capabilities: mesos.v1.FrameworkInfo.Capability.Type[] = [], id = 'F'): mesos.v1.FrameworkInfo {
  return { id: { value: id }, user: 'u', name: 'fw', capabilities: capabilities.map((type) => ({ type })) };
}

function task(id: string, labels: Record<string, string> = {}, cpus = 1): mesos.v1.TaskInfo {
  const entries = Object.entries(labels);
  return {
    name: id, task_id: { value: id }, agent_id: { value: 'A7' },
    resources: [scalar('cpus', cpus), scalar('mem', 128)],
    command: { value: 'true' },
    ...(entries.length > 0 ? { labels: { labels: entries.map(([key, value]) => ({ key, value })) } } : {}),
  };
}

const run = (t: mesos.v1.TaskInfo, fw = framework()): Envelope => ({ run_task: { framework: fw, task: t } });

test('registers with its hostname, resources and attributes; re-registers with the tasks it holds', (t) => {
  const time = new ManualTime();
  const shared: SimulationShared = {
    clock: time, timers: time, logger: silentLogger, uuid: () => 'u', resources: Resources.parse(SIMULATED_AGENT_RESOURCES),
    version: 'v1', retry: { initialMs: 1000, maxMs: 1000 }, counters: newCounters(), token: 'secret',
  };
  const fresh = new SimulatedAgent({ index: 0, hostname: 'sim-0000.h', port: 9, attributes: [] }, shared);
  const hello = fresh.hello().register_agent!;
  t.is(hello.agent_info.hostname, 'sim-0000.h');
  t.is(hello.agent_info.port, 9);
  t.is(hello.token, 'secret');
  t.deepEqual(Resources.fromProto(hello.agent_info.resources).scalar('cpus'), 2);
  t.is(hello.agent_info.id, undefined);

  const h = harness();
  h.agent.handle(run(task('t1')));
  const again = h.agent.hello().reregister_agent!;
  t.is(again.agent_info.id?.value, 'A7');
  t.deepEqual(again.agent_info.attributes, [{ name: 'sim_index', type: 'SCALAR', scalar: { value: 7 } }]);
  t.deepEqual(again.tasks?.map((x) => [x.task_id.value, x.state, x.status_update_state]), [['t1', 'TASK_RUNNING', 'TASK_STARTING']]);
  t.deepEqual(again.frameworks?.map((f) => f.id?.value), ['F']);
  t.deepEqual(again.executors, []);
});

test('RunTask: TASK_STARTING then TASK_RUNNING at once, one in flight per task, the next sent on acknowledgement', (t) => {
  const h = harness();
  h.agent.handle(run(task('t1')));
  // Only the head of the task's stream is in flight.
  t.deepEqual(h.link.states(), ['TASK_STARTING']);
  // Sent before TASK_RUNNING was queued; a resend carries it as latest_state.
  t.is(h.link.sent[0].status_update!.latest_state, 'TASK_STARTING');
  h.time.advance(10_000);
  t.is(h.link.sent[1].status_update!.latest_state, 'TASK_RUNNING');
  t.is(h.link.sent[1].status_update!.status.uuid, h.link.sent[0].status_update!.status.uuid);
  h.ack(h.link.updates()[0]);
  t.deepEqual(h.link.states(), ['TASK_STARTING', 'TASK_STARTING', 'TASK_RUNNING']);
  t.is(h.agent.taskState('F', 't1'), 'TASK_RUNNING');
  t.is(h.link.updates()[2].agent_id?.value, 'A7');
  t.is(h.link.updates()[2].executor_id?.value, 't1');
});

test('duration label: TASK_FINISHED after the duration; exit code label non-zero: TASK_FAILED; resources come back', (t) => {
  const h = harness();
  h.agent.handle(run(task('ok', { [DURATION_LABEL]: '5' })));
  h.agent.handle(run(task('bad', { [DURATION_LABEL]: '2.5', [EXIT_CODE_LABEL]: '3' })));
  h.ackAll();
  // Both use 1 cpu of 2: a third does not fit until one ends.
  h.agent.handle(run(task('third')));
  t.deepEqual(h.link.states('third'), ['TASK_ERROR']);
  t.regex(h.link.updates().find((s) => s.task_id.value === 'third')!.message!, /cpus: 1 requested, 0 left of 2/);
  h.ackAll();
  h.time.advance(2499);
  t.deepEqual(h.link.states('bad'), ['TASK_STARTING', 'TASK_RUNNING']);
  h.time.advance(1);
  const failed = h.link.updates().find((s) => s.state === 'TASK_FAILED')!;
  t.is(failed.task_id.value, 'bad');
  t.is(failed.message, 'Command exited with status 3');
  t.is(failed.reason, 'REASON_COMMAND_EXECUTOR_FAILED');
  h.agent.handle(run(task('fourth')));
  t.deepEqual(h.link.states('fourth'), ['TASK_STARTING']);
  h.time.advance(2500);
  const finished = h.link.updates().find((s) => s.state === 'TASK_FINISHED')!;
  t.is(finished.task_id.value, 'ok');
  t.is(finished.message, 'Command exited with status 0');
  t.is(h.shared.counters.tasksFinished, 1);
  t.is(h.shared.counters.tasksFailed, 1);
  t.is(h.shared.counters.tasksError, 1);
});

test('no duration label: runs until killed; KillTask gives TASK_KILLED, with TASK_KILLING first for a TASK_KILLING_STATE framework', (t) => {
  const h = harness();
  h.agent.handle(run(task('plain')));
  h.agent.handle(run(task('polite', {}, 0.5), framework(['TASK_KILLING_STATE'], 'G')));
  h.ackAll();
  h.time.advance(3600_000);
  h.ackAll();
  t.deepEqual(h.link.states('plain'), ['TASK_STARTING', 'TASK_RUNNING']);
  h.agent.handle({ kill_task: { framework_id: { value: 'F' }, task_id: { value: 'plain' } } });
  h.agent.handle({ kill_task: { framework_id: { value: 'G' }, task_id: { value: 'polite' } } });
  h.ackAll();
  t.deepEqual(h.link.states('plain'), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLED']);
  t.deepEqual(h.link.states('polite'), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_KILLED']);
  // Acknowledged terminal updates: the tasks are forgotten; a second kill says nothing.
  t.is(h.agent.taskCount, 0);
  const before = h.link.sent.length;
  h.agent.handle({ kill_task: { framework_id: { value: 'F' }, task_id: { value: 'plain' } } });
  t.is(h.link.sent.length, before);
  // A kill of a task never seen: TASK_LOST, sent once.
  h.agent.handle({ kill_task: { framework_id: { value: 'F' }, task_id: { value: 'ghost' } } });
  t.deepEqual(h.link.states('ghost'), ['TASK_LOST']);
});

test('an unacknowledged update is resent with backoff, in order, also across a lost connection', (t) => {
  const h = harness({ retryMs: 1000 });
  h.agent.handle(run(task('t1')));
  t.deepEqual(h.link.states(), ['TASK_STARTING']);
  h.time.advance(1000);
  t.deepEqual(h.link.states(), ['TASK_STARTING', 'TASK_STARTING']);
  const [first, second] = h.link.updates();
  t.is(first.uuid, second.uuid);
  // Backoff doubles: the next resend is 2 s later.
  h.time.advance(1999);
  t.is(h.link.updates().length, 2);
  h.time.advance(1);
  t.is(h.link.updates().length, 3);
  // Disconnected: nothing goes out; re-registration resends the head at once.
  h.link.registered = false;
  h.time.advance(10_000);
  t.is(h.link.updates().length, 3);
  h.link.registered = true;
  h.agent.registered({ agent_reregistered: { agent_id: { value: 'A7' } } } as Envelope);
  t.deepEqual(h.link.states(), ['TASK_STARTING', 'TASK_STARTING', 'TASK_STARTING', 'TASK_STARTING']);
  h.ack(first);
  t.deepEqual(h.link.states().slice(-1), ['TASK_RUNNING']);
  t.true(h.shared.counters.updateSends >= 5);
});

test('bad labels and resources the agent was not given: TASK_ERROR naming the label or the resource, nothing charged', (t) => {
  const h = harness();
  h.agent.handle(run(task('d', { [DURATION_LABEL]: 'soon' })));
  h.agent.handle(run(task('e', { [DURATION_LABEL]: '1', [EXIT_CODE_LABEL]: '-1' })));
  h.agent.handle(run({ ...task('g'), resources: [scalar('gpus', 1)] }));
  h.ackAll();
  const byTask = new Map(h.link.updates().map((s) => [s.task_id.value, s]));
  t.is(byTask.get('d')!.state, 'TASK_ERROR');
  t.is(byTask.get('d')!.reason, 'REASON_TASK_INVALID');
  t.is(byTask.get('d')!.message, `Task is invalid: label ${DURATION_LABEL}: expected a non-negative number of seconds, got 'soon'`);
  t.is(byTask.get('e')!.message, `Task is invalid: label ${EXIT_CODE_LABEL}: expected a non-negative integer, got '-1'`);
  t.regex(byTask.get('g')!.message!, /^Task uses resources the agent was not given: gpus/);
  // Nothing was charged: two 1-cpu tasks still fit.
  h.agent.handle(run(task('x')));
  h.agent.handle(run(task('y')));
  h.ackAll();
  t.deepEqual([h.agent.taskState('F', 'x'), h.agent.taskState('F', 'y')], ['TASK_RUNNING', 'TASK_RUNNING']);
});

test('ShutdownFramework ends that framework\'s tasks, frees their resources and drops their unacknowledged updates', (t) => {
  const h = harness({ retryMs: 1000 });
  h.agent.handle(run(task('a', { [DURATION_LABEL]: '10' })));
  h.agent.handle(run(task('b', {}, 1), framework([], 'G')));
  h.agent.handle({ shutdown_framework: { framework_id: { value: 'F' } } });
  const sent = h.link.sent.length;
  h.time.advance(60_000);
  // Only G's stream is still resending.
  t.true(h.link.updates().slice(sent).every((s) => s.task_id.value === 'b'));
  t.is(h.agent.taskState('F', 'a'), undefined);
  // Its cpu is free again: a 1-cpu task fits beside b.
  h.agent.handle(run(task('c')));
  t.deepEqual(h.link.states('c').slice(0, 1), ['TASK_STARTING']);
  t.is(h.agent.taskState('F', 'c'), 'TASK_RUNNING');
});

test('RunTaskGroup: every task the same way; ExecutorExited after the last task\'s terminal update; executors listed on re-registration', (t) => {
  const h = harness();
  const executor: mesos.v1.ExecutorInfo = { executor_id: { value: 'E' }, type: 'DEFAULT', framework_id: { value: 'F' }, resources: [scalar('cpus', 0.1)] };
  h.agent.handle({ run_task_group: { framework: framework(), executor, task_group: { tasks: [task('g1', { [DURATION_LABEL]: '1' }, 0.5), task('g2', {}, 0.5)] } } });
  h.ackAll();
  t.deepEqual(h.link.states('g1'), ['TASK_STARTING', 'TASK_RUNNING']);
  t.deepEqual(h.link.states('g2'), ['TASK_STARTING', 'TASK_RUNNING']);
  t.is(h.link.updates().find((s) => s.task_id.value === 'g1')!.executor_id?.value, 'E');
  const rereg = h.agent.hello().reregister_agent!;
  t.deepEqual(rereg.executors?.map((e) => e.executor_id.value), ['E']);
  t.deepEqual(rereg.tasks?.map((x) => x.executor_id?.value), ['E', 'E']);
  h.time.advance(1000);
  h.ackAll();
  t.is(h.link.sent.filter((e) => e.executor_exited !== undefined).length, 0);
  h.agent.handle({ kill_task: { framework_id: { value: 'F' }, task_id: { value: 'g2' } } });
  const exits = h.link.sent.filter((e) => e.executor_exited !== undefined);
  t.deepEqual(exits.map((e) => e.executor_exited!.executor_id.value), ['E']);
  const killedAt = h.link.sent.findIndex((e) => e.status_update?.status.state === 'TASK_KILLED');
  t.true(killedAt >= 0 && killedAt < h.link.sent.indexOf(exits[0]));
});

test('RunTaskGroup whose first task is refused: the executor exits once, after the last task of the group', (t) => {
  const h = harness();
  const executor: mesos.v1.ExecutorInfo = { executor_id: { value: 'E2' }, type: 'DEFAULT', framework_id: { value: 'F' } };
  h.agent.handle({ run_task_group: { framework: framework(), executor, task_group: { tasks: [task('bad', { [DURATION_LABEL]: 'x' }), task('good', {}, 0.5)] } } });
  h.ackAll();
  t.deepEqual(h.link.states('bad'), ['TASK_ERROR']);
  t.is(h.link.sent.filter((e) => e.executor_exited !== undefined).length, 0);
  h.agent.handle({ kill_task: { framework_id: { value: 'F' }, task_id: { value: 'good' } } });
  t.deepEqual(h.link.sent.filter((e) => e.executor_exited !== undefined).map((e) => e.executor_exited!.executor_id.value), ['E2']);
});

test('ReconcileTasks: live tasks as they are, completed ones as they ended, unknown ones lost (dropped if partition-aware)', (t) => {
  const h = harness();
  h.agent.handle(run(task('live')));
  h.agent.handle(run(task('done', { [DURATION_LABEL]: '0' })));
  h.ackAll();
  h.time.advance(0);
  h.ackAll();
  t.is(h.agent.taskState('F', 'done'), undefined);
  const from = h.link.sent.length;
  h.agent.handle({ reconcile_tasks: { framework_id: { value: 'F' }, task_ids: [{ value: 'live' }, { value: 'done' }, { value: 'nope' }] } });
  const answers = h.link.sent.slice(from).map((e) => e.status_update!.status);
  t.deepEqual(answers.map((s) => [s.task_id.value, s.state, s.reason]), [
    ['live', 'TASK_RUNNING', 'REASON_RECONCILIATION'],
    ['done', 'TASK_FINISHED', 'REASON_RECONCILIATION'],
    ['nope', 'TASK_LOST', 'REASON_RECONCILIATION'],
  ]);
  // Implicit reconciliation (no ids): every live task of the framework.
  const from2 = h.link.sent.length;
  h.agent.handle({ reconcile_tasks: { framework_id: { value: 'F' } } });
  t.deepEqual(h.link.sent.slice(from2).map((e) => e.status_update!.status.task_id.value), ['live']);
  // A partition-aware framework hears TASK_DROPPED for a task the agent does not know.
  h.agent.handle(run(task('p', {}, 0.1), framework(['PARTITION_AWARE'], 'P')));
  const from3 = h.link.sent.length;
  h.agent.handle({ reconcile_tasks: { framework_id: { value: 'P' }, task_ids: [{ value: 'other' }] } });
  t.deepEqual(h.link.sent.slice(from3).map((e) => e.status_update!.status.state), ['TASK_DROPPED']);
});

test('reportRunning goes through the status update manager (queued behind the unacknowledged head); completed tasks are bounded', (t) => {
  const h = harness({ resources: 'cpus:100;mem:100000' });
  h.agent.handle(run(task('r', {}, 0.01)));
  h.ackAll();
  const u1 = h.agent.reportRunning('F', 'r');
  const u2 = h.agent.reportRunning('F', 'r');
  t.truthy(u1);
  t.is(h.link.updates().filter((s) => s.uuid === u2).length, 0);
  h.ackAll();
  t.is(h.link.updates().filter((s) => s.uuid === u2).length, 1);
  t.is(h.agent.reportRunning('F', 'missing'), undefined);
  for (let i = 0; i < MAX_COMPLETED_TASKS + 5; i++) h.agent.handle(run(task(`c${i}`, { [DURATION_LABEL]: '0' }, 0.01)));
  h.ackAll();
  h.time.advance(0);
  h.ackAll();
  // The oldest completed ones are forgotten: a kill of c0 now answers TASK_LOST, one of the newest says nothing.
  const from = h.link.sent.length;
  h.agent.handle({ kill_task: { framework_id: { value: 'F' }, task_id: { value: `c${MAX_COMPLETED_TASKS + 4}` } } });
  t.is(h.link.sent.length, from);
  h.agent.handle({ kill_task: { framework_id: { value: 'F' }, task_id: { value: 'c0' } } });
  t.deepEqual(h.link.sent.slice(from).map((e) => e.status_update!.status.state), ['TASK_LOST']);
});
