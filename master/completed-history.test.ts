import test from 'ava';
import type { mesos } from '../proto/types.generated.ts';
import { harness, wire } from './test-fixtures.ts';

/** Launches `n` tasks of `fw` on its first offer and finishes each (updates without uuid complete at once). */
function runTasks(h: ReturnType<typeof harness>, fw: ReturnType<ReturnType<typeof harness>['subscribe']>, conn: Parameters<typeof h.master.agentMessage>[0], prefix: string, n: number) {
  h.settle();
  const offer = fw.sink.offers().at(-1)!;
  const tasks: mesos.v1.TaskInfo[] = Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}`, task_id: { value: `${prefix}${i}` }, agent_id: offer.agent_id, resources: wire('cpus:0.1;mem:8'), command: { value: 'x' } }));
  h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: tasks } }], filters: { refuse_seconds: 0 } } });
  for (const task of tasks) h.master.agentMessage(conn, { status_update: { framework_id: { value: fw.id }, status: { task_id: task.task_id, state: 'TASK_FINISHED' } } });
  // Leave the agent to the next framework.
  h.settle();
  const mine = [...h.master.state.offers.values()].filter((o) => o.frameworkId === fw.id).map((o) => o.offer.id);
  if (mine.length > 0) h.master.call(fw.id, { type: 'DECLINE', decline: { offer_ids: mine, filters: { refuse_seconds: 1000 } } });
}

test('completed tasks are kept per framework, the newest max_completed_tasks_per_framework of each', (t) => {
  const h = harness({ maxCompletedTasksPerFramework: 3 });
  const quiet = h.subscribe({ name: 'quiet' });
  const agent = h.registerAgent('h1', 'cpus:8;mem:4096');
  runTasks(h, quiet, agent.conn, 'q', 1);
  const busy = h.subscribe({ name: 'busy' });
  runTasks(h, busy, agent.conn, 'b', 5);
  const completed = h.master.getTasks().completed_tasks!.map((x) => x.task_id.value).sort();
  t.deepEqual(completed, ['b2', 'b3', 'b4', 'q0']); // busy keeps its last 3; quiet's one is not pushed out
});

test('completed frameworks are kept up to max_completed_frameworks, the oldest going first with their tasks', (t) => {
  const h = harness({ maxCompletedFrameworks: 2 });
  const agent = h.registerAgent('h1', 'cpus:8;mem:4096');
  const ids: string[] = [];
  for (const name of ['f0', 'f1', 'f2']) {
    const fw = h.subscribe({ name });
    runTasks(h, fw, agent.conn, name, 1);
    h.master.call(fw.id, { type: 'TEARDOWN' });
    ids.push(fw.id);
  }
  t.deepEqual(h.master.getFrameworks().completed_frameworks!.map((f) => f.framework_info.name), ['f1', 'f2']);
  t.deepEqual(h.master.getTasks().completed_tasks!.map((x) => x.task_id.value).sort(), ['f10', 'f20']);
  t.is(h.master.state.completedFrameworks.size, 2);
});

test('defaults as Mesos: 50 completed frameworks', (t) => {
  const h = harness();
  for (let i = 0; i < 55; i++) {
    const fw = h.subscribe({ name: `f${i}` });
    h.master.call(fw.id, { type: 'TEARDOWN' });
  }
  t.is(h.master.getFrameworks().completed_frameworks!.length, 50);
  t.is(h.master.getFrameworks().completed_frameworks![0].framework_info.name, 'f5');
});
