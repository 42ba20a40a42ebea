import test from 'ava';
import { Resources } from '../common/resources/resources.ts';
import type { mesos } from '../proto/types.generated.ts';
import { harness, RecordingAgent, wire } from './test-fixtures.ts';

/**
 * How the agent was away, whether its framework was torn down meanwhile, and what the master
 * answers when the agent comes back still running the framework's task (cpus:1 of its 2).
 */
const cases: ReadonlyArray<[away: 'disconnected' | 'unreachable', partitionAware: boolean, tornDown: boolean, shutdown: boolean, tasksKept: number]> = [
  ['disconnected', false, false, false, 1],
  ['disconnected', true, false, false, 1],
  ['unreachable', false, false, true, 0], // TASK_LOST already sent: the task is shut down
  ['unreachable', true, false, false, 1], // partition-aware: adopted again
  ['disconnected', false, true, true, 0],
  ['disconnected', true, true, true, 0],
  ['unreachable', false, true, true, 0],
  ['unreachable', true, true, true, 0],
];

for (const [away, partitionAware, tornDown, shutdown, tasksKept] of cases) {
  const name = `${away}, ${partitionAware ? 'partition-aware' : 'legacy'} framework${tornDown ? ' torn down meanwhile' : ''}`;
  test(`re-registration (${name}): ShutdownFramework ${shutdown ? 'sent' : 'not sent'}, ${tasksKept} task kept`, (t) => {
    const h = harness({ agentPingTimeoutMs: 1000, maxAgentPingTimeouts: 2 });
    const fw = h.subscribe({ capabilities: partitionAware ? [{ type: 'PARTITION_AWARE' }] : [], failover_timeout: 60 });
    const agent = h.registerAgent('h1', 'cpus:2;mem:1024');
    h.settle();
    const [offer] = fw.sink.offers();
    h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [
      { name: 'a', task_id: { value: 'a' }, agent_id: offer.agent_id, resources: wire('cpus:1;mem:64'), command: { value: 'x' } },
    ] } }] } });
    h.master.agentDisconnected(agent.conn);
    if (away === 'unreachable') h.time.advance(2000);
    t.is(h.master.state.unreachableAgents.has(offer.agent_id.value as never), away === 'unreachable');
    if (tornDown) h.master.call(fw.id, { type: 'TEARDOWN' });
    const conn = new RecordingAgent();
    const task: mesos.v1.Task = { name: 'a', task_id: { value: 'a' }, framework_id: { value: fw.id }, agent_id: offer.agent_id, state: 'TASK_RUNNING', resources: wire('cpus:1;mem:64') };
    h.master.agentMessage(conn, { reregister_agent: { agent_info: { hostname: 'h1', id: offer.agent_id, resources: wire('cpus:2;mem:1024') }, version: 'test', tasks: [task], frameworks: [{ user: 'root', name: 'test', id: { value: fw.id } }] } });
    t.deepEqual(conn.of('agent_reregistered')[0].shutdown_frameworks, shutdown ? [{ value: fw.id }] : []);
    t.deepEqual(conn.of('shutdown_framework'), shutdown ? [{ framework_id: { value: fw.id } }] : []);
    t.is(h.master.getTasks().tasks?.length, tasksKept);
    t.deepEqual(h.master.getFrameworks().recovered_frameworks, []);
    // What a new framework is offered: the agent's 2 cpus less a task that is kept.
    if (!tornDown) h.master.call(fw.id, { type: 'SUPPRESS' });
    const other = h.subscribe({ name: 'other' });
    h.time.advance(1000);
    t.is(other.sink.offers().reduce((s, o) => s + o.resources!.filter((r) => r.name === 'cpus').reduce((x, r) => x + r.scalar!.value, 0), 0), 2 - tasksKept);
  });
}

test('a known agent re-registering on a new connection before the old one is seen closing: its offers are rescinded, none outlives a smaller total', (t) => {
  const h = harness();
  const { fw, agent, offer } = h.subscribeWithOffer({}, 'cpus:4;mem:1024');
  t.is(Resources.fromProto(offer.resources).scalar('cpus'), 4);
  // The agent restarted with 2 cpus; its new connection arrives first.
  const conn = new RecordingAgent();
  h.master.agentMessage(conn, { reregister_agent: { agent_info: { hostname: 'h1', id: offer.agent_id, resources: wire('cpus:2;mem:1024') }, version: 'test' } });
  t.deepEqual(fw.sink.of('RESCIND').map((e) => e.rescind!.offer_id.value), [offer.id.value]);
  t.is(agent.conn.closedWith, 'a newer connection of the same agent took over');
  const accept = h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [
    { name: 'big', task_id: { value: 'big' }, agent_id: offer.agent_id, resources: wire('cpus:4;mem:64'), command: { value: 'x' } },
  ] } }] } });
  t.deepEqual(accept, { ok: true });
  t.is(fw.sink.updates().at(-1)?.state, 'TASK_LOST'); // the offer is gone: the launch is refused, not run on 2 cpus
  h.settle();
  const offered = [...h.master.state.offers.values()].reduce((s, o) => s + o.resources.scalar('cpus'), 0);
  t.is(offered, 2);
});
