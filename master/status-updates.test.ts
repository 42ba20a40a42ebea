import test from 'ava';
import type { mesos } from '../proto/types.generated.ts';
import { harness, RecordingAgent, wire } from './test-fixtures.ts';

const U1 = 'AQEBAQEBAQEBAQEBAQEBAQ==';
const U2 = 'AgICAgICAgICAgICAgICAg==';
const U3 = 'AwMDAwMDAwMDAwMDAwMDAw==';

/** A framework with one task `t1` (cpus:1) launched on a 2-cpu agent. */
function withTask() {
  const h = harness();
  const { fw, agent, offer } = h.subscribeWithOffer({ failover_timeout: 60 }, 'cpus:2;mem:1024');
  h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [
    { name: 't1', task_id: { value: 't1' }, agent_id: offer.agent_id, resources: wire('cpus:1;mem:128'), command: { value: 'x' } },
  ] } }], filters: { refuse_seconds: 0 } } });
  const update = (state: mesos.v1.TaskState, uuid: string, latest?: mesos.v1.TaskState, conn: RecordingAgent = agent.conn) =>
    h.master.agentMessage(conn, { status_update: { framework_id: { value: fw.id }, status: { task_id: { value: 't1' }, state, uuid }, ...(latest ? { latest_state: latest } : {}) } });
  const ack = (uuid: string) => h.master.call(fw.id, { type: 'ACKNOWLEDGE', acknowledge: { agent_id: offer.agent_id, task_id: { value: 't1' }, uuid } });
  const acksSeen = (conn: RecordingAgent = agent.conn) => conn.of('status_update_acknowledgement').map((a) => a.uuid);
  return { h, fw, agent, offer, update, ack, acksSeen };
}

test('an acknowledgement of a task the master already completed still reaches the agent (its resend needs it)', (t) => {
  const { h, fw, agent, offer, update, ack, acksSeen } = withTask();
  update('TASK_FINISHED', U1);
  ack(U1);
  t.is(h.master.getTasks().completed_tasks?.length, 1);
  // The agent lost the acknowledgement with its connection, re-registers and resends the update.
  h.master.agentDisconnected(agent.conn);
  const conn = new RecordingAgent();
  h.master.agentMessage(conn, { reregister_agent: { agent_info: { hostname: 'h1', id: offer.agent_id, resources: wire('cpus:2;mem:1024') }, version: 'test' } });
  update('TASK_FINISHED', U1, undefined, conn);
  t.deepEqual(fw.sink.updates().map((s) => [s.state, s.uuid]), [['TASK_FINISHED', U1], ['TASK_FINISHED', U1]]);
  ack(U1);
  t.deepEqual(acksSeen(conn), [U1]); // without it the agent resends forever
});

test('an acknowledgement for a task the master never knew is passed to the agent, as Mesos does', (t) => {
  const { h, fw, offer, acksSeen } = withTask();
  h.master.call(fw.id, { type: 'ACKNOWLEDGE', acknowledge: { agent_id: offer.agent_id, task_id: { value: 'elsewhere' }, uuid: U3 } });
  t.deepEqual(acksSeen(), [U3]);
});

test('an acknowledgement naming an unknown agent is dropped', (t) => {
  const { h, fw, acksSeen } = withTask();
  t.deepEqual(h.master.call(fw.id, { type: 'ACKNOWLEDGE', acknowledge: { agent_id: { value: 'nope' }, task_id: { value: 't1' }, uuid: U1 } }), { ok: true });
  t.deepEqual(acksSeen(), []);
});

test('an older update carrying a terminal latest_state: the task ends at once, and every update of the stream still reaches the framework', (t) => {
  const { h, fw, update, ack, acksSeen } = withTask();
  update('TASK_RUNNING', U1, 'TASK_FINISHED');
  t.is(h.master.metrics()['master/tasks_finished'], 1); // the latest state counts
  h.settle();
  const offeredCpus = [...h.master.state.offers.values()].reduce((s, o) => s + o.resources.scalar('cpus'), 0);
  t.is(offeredCpus, 2); // the task's cpu came back with the first update
  ack(U1);
  // The acknowledged update was RUNNING: the task is not complete until its terminal update is acknowledged.
  t.is(h.master.getTasks().tasks?.length, 1);
  update('TASK_KILLING', U2, 'TASK_FINISHED');
  ack(U2);
  update('TASK_FINISHED', U3);
  t.deepEqual(fw.sink.updates().map((s) => [s.state, s.uuid]), [['TASK_RUNNING', U1], ['TASK_KILLING', U2], ['TASK_FINISHED', U3]]);
  t.is(h.master.getTasks().tasks?.[0].status_update_state, 'TASK_FINISHED');
  ack(U3);
  t.deepEqual(acksSeen(), [U1, U2, U3]);
  t.is(h.master.getTasks().tasks?.length, 0);
  t.is(h.master.getTasks().completed_tasks?.[0].state, 'TASK_FINISHED');
  t.is(h.master.metrics()['master/tasks_finished'], 1); // counted once
  t.is(h.master.metrics()['master/invalid_status_updates'] ?? 0, 0);
});

test('a second, different terminal state is still illegal: acknowledged by the master, not forwarded', (t) => {
  const { h, fw, update, acksSeen } = withTask();
  update('TASK_FAILED', U1);
  update('TASK_KILLED', U2);
  t.deepEqual(fw.sink.updates().map((s) => s.state), ['TASK_FAILED']);
  t.deepEqual(acksSeen(), [U2]);
  t.is(h.master.metrics()['master/invalid_status_updates'], 1);
});

test('a task id stays taken until its terminal update is acknowledged, so a resend of that update cannot hit a new task', (t) => {
  const { h, fw, update, ack } = withTask();
  update('TASK_FAILED', U1);
  h.settle();
  const offer = fw.sink.offers().at(-1)!;
  h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [
    { name: 't1', task_id: { value: 't1' }, agent_id: offer.agent_id, resources: wire('cpus:1;mem:128'), command: { value: 'x' } },
  ] } }], filters: { refuse_seconds: 0 } } });
  const last = fw.sink.updates().at(-1)!;
  t.is(last.state, 'TASK_ERROR');
  t.is(last.message, 'Task has duplicate ID: t1');
  ack(U1);
  h.settle();
  const again = fw.sink.offers().at(-1)!;
  h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [again.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [
    { name: 't1', task_id: { value: 't1' }, agent_id: again.agent_id, resources: wire('cpus:1;mem:128'), command: { value: 'x' } },
  ] } }] } });
  t.is(h.master.getTasks().tasks?.[0].state, 'TASK_STAGING'); // free once acknowledged
});

test('an update naming a task of another agent changes nothing on that task (it is forwarded, as Mesos does)', (t) => {
  const { h, fw, update } = withTask();
  update('TASK_RUNNING', U1);
  const other = h.registerAgent('h2', 'cpus:1;mem:128');
  h.master.agentMessage(other.conn, { status_update: { framework_id: { value: fw.id }, status: { task_id: { value: 't1' }, state: 'TASK_FINISHED', uuid: U2 } } });
  t.is(h.master.getTasks().tasks?.[0].state, 'TASK_RUNNING');
  t.is(h.master.metrics()['master/tasks_finished'] ?? 0, 0);
  h.settle();
  const offeredOnH1 = [...h.master.state.offers.values()].filter((o) => o.agentId === h.master.state.frameworks.get(fw.id)!.tasks.get('t1' as never)!.agentId);
  t.is(offeredOnH1.reduce((s, o) => s + o.resources.scalar('cpus'), 0), 1); // the running task still holds its cpu
  t.deepEqual(fw.sink.updates().map((s) => s.state), ['TASK_RUNNING', 'TASK_FINISHED']);
});

test('reconciliation answers the state of the latest update forwarded, not a latest_state the framework has not been sent yet (Mesos status_update_state)', (t) => {
  const { h, fw, update } = withTask();
  const reconcile = () => {
    h.master.call(fw.id, { type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 't1' } }] } });
    return fw.sink.updates().at(-1)!.state;
  };
  t.is(reconcile(), 'TASK_STAGING'); // no update forwarded yet
  update('TASK_RUNNING', U1, 'TASK_FINISHED');
  t.is(reconcile(), 'TASK_RUNNING');
  update('TASK_FINISHED', U2);
  t.is(reconcile(), 'TASK_FINISHED');
});

test('after a master failover, a task the agent reports finished still gets its terminal update through to the framework', (t) => {
  const h = harness();
  const fwInfo: mesos.v1.FrameworkInfo = { user: 'root', name: 'old', id: { value: 'old-0001' }, failover_timeout: 60 };
  const conn = new RecordingAgent();
  h.master.agentMessage(conn, {
    reregister_agent: {
      agent_info: { hostname: 'h1', id: { value: 'A1' }, resources: wire('cpus:2;mem:1024') }, version: 'test', frameworks: [fwInfo],
      tasks: [{ name: 'a', task_id: { value: 'a' }, framework_id: { value: 'old-0001' }, agent_id: { value: 'A1' }, state: 'TASK_FINISHED', resources: wire('cpus:1;mem:64') }],
    },
  });
  const fw = h.subscribe(fwInfo);
  // The agent resends the unacknowledged terminal update.
  h.master.agentMessage(conn, { status_update: { framework_id: { value: 'old-0001' }, status: { task_id: { value: 'a' }, state: 'TASK_FINISHED', uuid: U1 } } });
  t.deepEqual(fw.sink.updates().map((s) => [s.state, s.uuid]), [['TASK_FINISHED', U1]]);
  t.deepEqual(conn.of('status_update_acknowledgement'), []); // the framework acknowledges it, not the master
  h.master.call(fw.id, { type: 'ACKNOWLEDGE', acknowledge: { agent_id: { value: 'A1' }, task_id: { value: 'a' }, uuid: U1 } });
  t.deepEqual(conn.of('status_update_acknowledgement').map((a) => a.uuid), [U1]);
  t.is(h.master.getTasks().tasks?.length, 0);
  t.is(h.master.getTasks().completed_tasks?.length, 1);
});
