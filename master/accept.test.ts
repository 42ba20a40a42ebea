import test from 'ava';
import { Resources } from '../common/resources/resources.ts';
import { planAccept, type AcceptContext, type AcceptStep } from './accept.ts';
import type { mesos } from '../proto/types.generated.ts';

const offered = Resources.parse('cpus:4;mem:1024;disk:100;ports:[31000-31009]').allocate('dev');

function ctx(over: Partial<AcceptContext> = {}): AcceptContext {
  return {
    frameworkId: 'F1', frameworkRoles: ['dev'], principal: 'ops', agentId: 'S1', offerRoles: ['dev'], offered,
    isActiveTask: (id) => id === 'running-task', agentExecutorIds: new Set(['existing-exec']), ...over,
  };
}

const res = (text: string) => Resources.parse(text).toProto();

function task(id: string, resources: string, over: Partial<mesos.v1.TaskInfo> = {}): mesos.v1.TaskInfo {
  return { name: id, task_id: { value: id }, agent_id: { value: 'S1' }, resources: res(resources), command: { value: 'true' }, ...over };
}

const launch = (...tasks: mesos.v1.TaskInfo[]): mesos.v1.Offer.Operation => ({ type: 'LAUNCH', launch: { task_infos: tasks } });
const kinds = (steps: readonly AcceptStep[]) => steps.map((s) => (s.kind === 'task_error' ? `error:${s.task.task_id.value}` : s.kind));

test('launch consumes the task resources; the rest remains', (t) => {
  const plan = planAccept(ctx(), [launch(task('a', 'cpus:1;mem:128'))]);
  if (!plan.ok) return t.fail(plan.message);
  t.deepEqual(kinds(plan.steps), ['launch']);
  t.is(plan.remaining.scalar('cpus'), 3); // 4 - 1
  t.is(plan.remaining.scalar('mem'), 896); // 1024 - 128
});

const invalidTasks: ReadonlyArray<[string, mesos.v1.TaskInfo, string]> = [
  ['duplicate of an active task', task('running-task', 'cpus:1'), 'Task has duplicate ID: running-task'],
  ['bad id characters', task('a/b', 'cpus:1'), "TaskID 'a/b' contains invalid characters"],
  ['other agent', task('a', 'cpus:1', { agent_id: { value: 'S2' } }), 'Task uses invalid agent S2 while agent S1 is expected'],
  ['no resources', task('a', 'cpus:1', { resources: [] }), 'Task uses no resources'],
  ['too much', task('a', 'cpus:5'), 'required by task and its executor is more than available'],
  ['both command and executor', task('a', 'cpus:1', { executor: { executor_id: { value: 'e' }, command: { value: 'x' } } }), 'at least one (but not both)'],
  ['neither command nor executor', task('a', 'cpus:1', { command: undefined }), 'at least one (but not both)'],
  ['executor of another framework', task('a', 'cpus:1', { command: undefined, executor: { executor_id: { value: 'e' }, framework_id: { value: 'F9' }, command: { value: 'x' } } }), 'invalid FrameworkID'],
];
for (const [name, info, message] of invalidTasks) {
  test(`invalid task (${name}) becomes TASK_ERROR and consumes nothing`, (t) => {
    const plan = planAccept(ctx(), [launch(info)]);
    if (!plan.ok) return t.fail(plan.message);
    t.is(plan.steps.length, 1);
    const step = plan.steps[0];
    if (step.kind !== 'task_error') return t.fail(step.kind);
    t.true(step.message.includes(message), step.message);
    t.is(step.reason, 'REASON_TASK_INVALID');
    t.true(plan.remaining.equals(offered));
  });
}

test('tasks are checked in order against what remains; ids are unique within the accept', (t) => {
  const plan = planAccept(ctx(), [launch(task('a', 'cpus:3'), task('b', 'cpus:2'), task('c', 'cpus:1'), task('a', 'cpus:0.5'))]);
  if (!plan.ok) return t.fail(plan.message);
  t.deepEqual(kinds(plan.steps), ['launch', 'error:b', 'launch', 'error:a']); // cpus left: 1 after a, 0 after c
  t.is(plan.remaining.scalar('cpus'), 0);
});

test('a new executor is counted once; a running one not at all', (t) => {
  const exec = (id: string): mesos.v1.ExecutorInfo => ({ executor_id: { value: id }, command: { value: 'exec' }, resources: res('cpus:1;mem:64') });
  const plan = planAccept(ctx(), [launch(
    task('a', 'cpus:1', { command: undefined, executor: exec('new') }),
    task('b', 'cpus:1', { command: undefined, executor: exec('new') }),
    task('c', 'cpus:1', { command: undefined, executor: exec('existing-exec') }),
  )]);
  if (!plan.ok) return t.fail(plan.message);
  t.deepEqual(kinds(plan.steps), ['launch', 'launch', 'launch']);
  t.is(plan.remaining.scalar('cpus'), 0); // 4 - (1 + 1 exec) - 1 - 1
  t.is(plan.remaining.scalar('mem'), 960); // 1024 - 64
  const first = plan.steps[0];
  t.true(first.kind === 'launch' && first.executor?.framework_id?.value === 'F1');
});

test('launch group: all tasks or none', (t) => {
  const executor: mesos.v1.ExecutorInfo = { executor_id: { value: 'g' }, type: 'DEFAULT', resources: res('cpus:0.1;mem:32;disk:10') };
  const group = (tasks: mesos.v1.TaskInfo[]): mesos.v1.Offer.Operation => ({ type: 'LAUNCH_GROUP', launch_group: { executor, task_group: { tasks } } });
  const ok = planAccept(ctx(), [group([task('a', 'cpus:1', { command: undefined }), task('b', 'cpus:1', { command: undefined })])]);
  if (!ok.ok) return t.fail(ok.message);
  t.deepEqual(kinds(ok.steps), ['launch_group']);
  t.is(ok.remaining.scalar('cpus'), 1.9); // 4 - 0.1 - 1 - 1
  const bad = planAccept(ctx(), [group([task('a', 'cpus:1', { command: undefined }), task('b', 'cpus:9', { command: undefined })])]);
  if (!bad.ok) return t.fail(bad.message);
  t.deepEqual(kinds(bad.steps), ['error:a', 'error:b']);
  t.true(bad.remaining.equals(offered));
});

test('reserve then launch on the reserved resources; unreserve reverses', (t) => {
  const base = Resources.parse('cpus:2;mem:256');
  const reserved = base.pushReservation({ type: 'DYNAMIC', role: 'dev', principal: 'ops' });
  const reserve: mesos.v1.Offer.Operation = { type: 'RESERVE', reserve: { resources: reserved.toProto() } };
  const plan = planAccept(ctx(), [reserve, launch(task('a', 'cpus:1', { resources: Resources.parse('cpus:1').pushReservation({ type: 'DYNAMIC', role: 'dev', principal: 'ops' }).toProto() }))]);
  if (!plan.ok) return t.fail(plan.message);
  t.deepEqual(kinds(plan.steps), ['reserve', 'launch']);
  t.is(plan.remaining.reserved('dev').scalar('cpus'), 1); // 2 reserved - 1 launched
  t.is(plan.remaining.unreserved().scalar('cpus'), 2); // 4 - 2 reserved

  const unreserve: mesos.v1.Offer.Operation = { type: 'UNRESERVE', unreserve: { resources: reserved.toProto() } };
  const back = planAccept(ctx({ offered: offered.plus(reserved.allocate('dev')) }), [unreserve]);
  if (!back.ok) return t.fail(back.message);
  t.is(back.remaining.unreserved().scalar('cpus'), 6); // 4 + 2 unreserved
});

test('persistent-volume operations reject the whole accept (not supported yet)', (t) => {
  const plan = planAccept(ctx(), [launch(task('a', 'cpus:1')), { type: 'CREATE', create: { volumes: [] } } as mesos.v1.Offer.Operation]);
  t.false(plan.ok);
  if (!plan.ok) t.true(plan.message.includes('persistent volumes are not supported yet'), plan.message);
});

const dropped: ReadonlyArray<[string, mesos.v1.Offer.Operation, string]> = [
  ['reserve for a foreign role', { type: 'RESERVE', reserve: { resources: Resources.parse('cpus:1').pushReservation({ type: 'DYNAMIC', role: 'prod' }).toProto() } }, "but the framework can only reserve resources with roles '{ dev }'"],
  ['reserve with another principal', { type: 'RESERVE', reserve: { resources: Resources.parse('cpus:1').pushReservation({ type: 'DYNAMIC', role: 'dev', principal: 'eve' }).toProto() } }, "authenticated principal 'ops', which does not match a reserved resource in the request with principal 'eve'"],
  ['reserve more than offered', { type: 'RESERVE', reserve: { resources: Resources.parse('cpus:9').pushReservation({ type: 'DYNAMIC', role: 'dev' }).toProto() } }, 'does not contain'],
  ['unreserve of unreserved', { type: 'UNRESERVE', unreserve: { resources: res('cpus:1') } }, 'Resource cpus is not dynamically reserved'],
  ['reserve without its sub-message', { type: 'RESERVE' }, "Expecting 'reserve' to be present"],
];
for (const [name, op, message] of dropped) {
  test(`an invalid operation is dropped and the others go on, as Mesos: ${name}`, (t) => {
    const plan = planAccept(ctx(), [op, launch(task('a', 'cpus:1'))]);
    if (!plan.ok) return t.fail(plan.message);
    t.deepEqual(kinds(plan.steps), ['dropped', 'launch']);
    const step = plan.steps[0];
    if (step.kind === 'dropped') t.true(step.message.includes(message), step.message);
    t.is(plan.remaining.scalar('cpus'), 3); // 4 offered - 1 launched; the dropped operation took nothing
  });
}
