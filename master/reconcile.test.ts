import test from 'ava';
import { reconcile, type ReconcileInput, type ReconcileTaskView } from './reconcile.ts';
import type { TaskState } from './task-status.ts';

const running: ReconcileTaskView = { taskId: 't1', agentId: 'S1', state: 'TASK_RUNNING' };

function input(partitionAware: boolean): ReconcileInput {
  return {
    partitionAware,
    tasks: new Map([['t1', running]]),
    unreachableTasks: new Map([['t2', { taskId: 't2', agentId: 'S2', state: 'TASK_UNREACHABLE' as const, sinceMs: 5000 }]]),
    agentStatus: (id) => (id === 'S1' ? 'registered' : id === 'S2' ? 'unreachable' : 'unknown'),
    unreachableSinceMs: (id) => (id === 'S2' ? 5000 : undefined),
    now: 100,
  };
}

const explicit: ReadonlyArray<[string, { task: string; agent?: string }, TaskState, TaskState]> = [
  // name, query, partition-aware answer, legacy answer
  ['known task', { task: 't1' }, 'TASK_RUNNING', 'TASK_RUNNING'],
  ['task on unreachable agent', { task: 't2' }, 'TASK_UNREACHABLE', 'TASK_LOST'],
  ['unknown task on registered agent', { task: 'x', agent: 'S1' }, 'TASK_GONE', 'TASK_LOST'],
  ['unknown task on unreachable agent', { task: 'x', agent: 'S2' }, 'TASK_UNREACHABLE', 'TASK_LOST'],
  ['unknown task on unknown agent', { task: 'x', agent: 'S9' }, 'TASK_UNKNOWN', 'TASK_LOST'],
  ['unknown task, no agent', { task: 'x' }, 'TASK_UNKNOWN', 'TASK_LOST'],
];

for (const [name, q, pa, legacy] of explicit) {
  test(`explicit reconcile: ${name}`, (t) => {
    const query = q.agent === undefined ? { task_id: { value: q.task } } : { task_id: { value: q.task }, agent_id: { value: q.agent } };
    const [a] = reconcile(input(true), [query]);
    const [b] = reconcile(input(false), [query]);
    t.is(a.state, pa);
    t.is(b.state, legacy);
    for (const s of [a, b]) {
      t.is(s.source, 'SOURCE_MASTER');
      t.is(s.reason, 'REASON_RECONCILIATION');
      t.is(s.uuid, undefined);
      t.is(s.task_id.value, q.task);
    }
  });
}

test('implicit reconcile answers every known and unreachable task', (t) => {
  const out = reconcile(input(true), []);
  t.deepEqual(out.map((s) => [s.task_id.value, s.state]), [['t1', 'TASK_RUNNING'], ['t2', 'TASK_UNREACHABLE']]);
  t.deepEqual(out[1].unreachable_time, { nanoseconds: 5000 * 1e6 });
  t.deepEqual(reconcile(input(false), []).map((s) => s.state), ['TASK_RUNNING', 'TASK_LOST']);
});

test('explicit reconcile of a task on an agent of the registry that has not re-registered yet: no answer (Mesos), the framework asks again', (t) => {
  const recovering: ReconcileInput = { ...input(true), agentStatus: (id) => (id === 'S3' ? 'transitioning' : input(true).agentStatus(id)) };
  t.deepEqual(reconcile(recovering, [{ task_id: { value: 'x' }, agent_id: { value: 'S3' } }]), []);
  t.deepEqual(reconcile({ ...recovering, partitionAware: false }, [{ task_id: { value: 'x' }, agent_id: { value: 'S3' } }]), []);
  // The other queries of the same call are answered.
  t.deepEqual(reconcile(recovering, [{ task_id: { value: 'x' }, agent_id: { value: 'S3' } }, { task_id: { value: 't1' } }]).map((s) => s.state), ['TASK_RUNNING']);
});

test('explicit reconcile of an unknown task on an agent marked gone: TASK_GONE_BY_OPERATOR (TASK_LOST for a framework that is not partition-aware)', (t) => {
  const gone: ReconcileInput = { ...input(true), agentStatus: (id) => (id === 'S9' ? 'gone' : input(true).agentStatus(id)) };
  const q = [{ task_id: { value: 'x' }, agent_id: { value: 'S9' } }];
  t.deepEqual(reconcile(gone, q).map((s) => [s.task_id.value, s.state, s.reason, s.agent_id?.value]), [['x', 'TASK_GONE_BY_OPERATOR', 'REASON_RECONCILIATION', 'S9']]);
  t.deepEqual(reconcile({ ...gone, partitionAware: false }, q).map((s) => s.state), ['TASK_LOST']);
});
