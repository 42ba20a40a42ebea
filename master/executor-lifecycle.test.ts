import test from 'ava';
import type { mesos } from '../proto/types.generated.ts';
import { harness, wire } from './test-fixtures.ts';

const EXECUTOR: mesos.v1.ExecutorInfo = { executor_id: { value: 'exec-1' }, type: 'DEFAULT', resources: wire('cpus:0.5;mem:32;disk:10') };

/** A framework with a task group of two tasks (cpus:1;mem:64 each) under EXECUTOR on a cpus:4;mem:1024;disk:100 agent. */
function launched(frameworkInfo: Partial<mesos.v1.FrameworkInfo> = {}) {
  const h = harness();
  const { fw, agent, offer } = h.subscribeWithOffer(frameworkInfo, 'cpus:4;mem:1024;disk:100');
  const task = (id: string): mesos.v1.TaskInfo => ({ name: id, task_id: { value: id }, agent_id: offer.agent_id, resources: wire('cpus:1;mem:64') });
  const out = h.master.call(fw.id, {
    type: 'ACCEPT',
    accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH_GROUP', launch_group: { executor: EXECUTOR, task_group: { tasks: [task('a'), task('b')] } } }], filters: { refuse_seconds: 0 } },
  });
  if (!out.ok) throw new Error(out.message);
  const finish = (taskId: string, uuid: string) =>
    h.master.agentMessage(agent.conn, { status_update: { framework_id: { value: fw.id }, status: { task_id: { value: taskId }, state: 'TASK_FINISHED', uuid, source: 'SOURCE_EXECUTOR' } } });
  const exited = (status?: number, executorId = 'exec-1') =>
    h.master.agentMessage(agent.conn, { executor_exited: { framework_id: { value: fw.id }, executor_id: { value: executorId }, ...(status === undefined ? {} : { status }) } });
  const used = () => h.master.metrics()['master/cpus_used'];
  const offeredCpus = () => [...h.master.state.offers.values()].reduce((sum, o) => sum + o.resources.scalar('cpus'), 0);
  return { h, fw, agent, offer, finish, exited, used, offeredCpus };
}

test('the executor keeps its resources after its last task ends, until the agent reports it exited', (t) => {
  const { h, fw, finish, exited, used, offeredCpus } = launched();
  t.is(used(), 2.5); // two tasks of 1 cpu + the executor's 0.5
  finish('a', 'AAAAAAAAAAAAAAAAAAAAAA==');
  finish('b', 'AQEBAQEBAQEBAQEBAQEBAQ==');
  h.settle();
  t.is(used(), 0.5, 'the executor still holds 0.5 cpus');
  t.is(offeredCpus(), 3.5);
  t.is(h.master.getExecutors().executors?.length, 1);
  t.deepEqual(fw.sink.offers().at(-1)!.executor_ids, [{ value: 'exec-1' }]);

  exited(9);
  h.settle();
  t.is(used(), 0);
  t.is(offeredCpus(), 4);
  t.deepEqual(h.master.getExecutors().executors, []);
  t.deepEqual(fw.sink.of('FAILURE').at(-1)!.failure, { agent_id: fw.sink.offers()[0].agent_id, executor_id: { value: 'exec-1' }, status: 9 });
  t.is(fw.sink.offers().at(-1)!.executor_ids, undefined, 'no executor on the agent any more');
  t.is(h.master.metrics()['master/messages_exited_executor'], 1);
});

test('SHUTDOWN sends ShutdownExecutor to the agent and changes nothing until ExecutorExited', (t) => {
  const { h, fw, agent, offer, exited, used } = launched();
  const out = h.master.call(fw.id, { type: 'SHUTDOWN', shutdown: { agent_id: offer.agent_id, executor_id: { value: 'exec-1' } } });
  t.deepEqual(out, { ok: true });
  t.deepEqual(agent.conn.of('shutdown_executor'), [{ framework_id: { value: fw.id }, executor_id: { value: 'exec-1' } }]);
  t.is(agent.conn.of('kill_task').length, 0, 'the agent kills the tasks itself');
  t.is(used(), 2.5);
  t.is(h.master.getExecutors().executors?.length, 1);
  // As in Mesos the master leaves the tasks to the agent's own terminal updates.
  exited(undefined);
  t.is(used(), 2, 'only the executor was released');
  t.deepEqual(h.master.getTasks().tasks?.map((x) => x.state), ['TASK_STAGING', 'TASK_STAGING']);
  t.deepEqual(fw.sink.of('FAILURE').at(-1)!.failure, { agent_id: offer.agent_id, executor_id: { value: 'exec-1' } });
});

test('SHUTDOWN naming an unknown agent sends nothing', (t) => {
  const { h, fw, agent } = launched();
  t.deepEqual(h.master.call(fw.id, { type: 'SHUTDOWN', shutdown: { agent_id: { value: 'no-such-agent' }, executor_id: { value: 'exec-1' } } }), { ok: true });
  t.is(agent.conn.of('shutdown_executor').length, 0);
});

test('ExecutorExited of an unknown executor is ignored', (t) => {
  const { h, fw, exited, used } = launched();
  const failures = fw.sink.of('FAILURE').length;
  exited(0, 'someone-else');
  t.is(used(), 2.5);
  t.is(fw.sink.of('FAILURE').length, failures);
  t.is(h.master.getExecutors().executors?.length, 1);
  t.is(h.master.metrics()['master/messages_exited_executor'], 1);
});

test('a disconnected framework gets no FAILURE, but the resources still come back', (t) => {
  const { h, fw, exited, used } = launched({ failover_timeout: 600 });
  h.master.disconnected(fw.id, fw.streamId);
  const events = fw.sink.events.length;
  exited(0);
  t.is(used(), 2);
  t.is(fw.sink.events.length, events);
});

test('a known agent that re-registers without an executor: the executor is forgotten and its resources come back', (t) => {
  const { h, agent, fw, used } = launched();
  const info = h.master.state.agents.get(agent.id as never)!.info;
  const reregister = (executors: mesos.v1.ExecutorInfo[]) =>
    h.master.agentMessage(agent.conn, { reregister_agent: { agent_info: info, version: 'test', executors } });
  reregister([{ ...EXECUTOR, framework_id: { value: fw.id } }]);
  t.is(used(), 2.5, 'still reported: kept');
  reregister([]);
  t.is(used(), 2, 'the tasks stay until their own updates; the executor is gone');
  t.deepEqual(h.master.getExecutors().executors, []);
});
