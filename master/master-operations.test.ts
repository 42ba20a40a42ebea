import test from 'ava';
import fc from 'fast-check';
import { Resources } from '../common/resources/resources.ts';
import type { mesos } from '../proto/types.generated.ts';
import { harness, RecordingAgent, wire } from './test-fixtures.ts';
import { isTerminal } from './task-state-machine.ts';

const asWire = (r: Resources) => r.toProto();

test('RESERVE through ACCEPT: the agent checkpoints, the total changes, the reservation is re-offered to the role', (t) => {
  const h = harness();
  const { fw, agent, offer } = h.subscribeWithOffer({ role: 'dev', principal: 'ops' }, 'cpus:4;mem:1024');
  const reserved = Resources.parse('cpus:1;mem:256').pushReservation({ type: 'DYNAMIC', role: 'dev', principal: 'ops' });
  const out = h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'RESERVE', reserve: { resources: asWire(reserved) } }], filters: { refuse_seconds: 0 } } });
  t.deepEqual(out, { ok: true });
  const checkpoint = agent.conn.of('checkpoint_resources')[0];
  t.is(Resources.fromProto(checkpoint.resources).reserved('dev').scalar('cpus'), 1);
  const total = Resources.fromProto(h.master.getAgents().agents![0].total_resources);
  t.is(total.reserved('dev').scalar('cpus'), 1); // 1 of 4 cpus now reserved to dev
  t.is(total.unreserved().scalar('cpus'), 3);
  h.time.advance(1000);
  const again = Resources.fromProto(fw.sink.offers().at(-1)!.resources);
  t.is(again.reserved('dev').scalar('cpus'), 1);
  t.is(again.scalar('cpus'), 4);
});

test('UPDATE_FRAMEWORK changes name and roles; its id must match; principal is immutable', (t) => {
  const h = harness();
  const fw = h.subscribe({ capabilities: [{ type: 'MULTI_ROLE' }], roles: ['a'], principal: 'p' });
  const info = (over: Partial<mesos.v1.FrameworkInfo>): mesos.v1.FrameworkInfo => ({ user: 'root', name: 'renamed', id: { value: fw.id }, principal: 'p', capabilities: [{ type: 'MULTI_ROLE' }], roles: ['a', 'b'], ...over });
  t.like(h.master.call(fw.id, { type: 'UPDATE_FRAMEWORK', update_framework: { framework_info: info({ id: { value: 'other' } }) } }), { ok: false, status: 400 });
  t.like(h.master.call(fw.id, { type: 'UPDATE_FRAMEWORK', update_framework: { framework_info: info({ principal: 'q' }) } }), { ok: false, status: 400 });
  t.like(h.master.call(fw.id, { type: 'UPDATE_FRAMEWORK', update_framework: { framework_info: info({ roles: ['a', '..'] }) } }), { ok: false, status: 400 });
  t.is(h.master.getFrameworks().frameworks![0].framework_info.name, 'test'); // rejected calls changed nothing
  t.deepEqual(h.master.call(fw.id, { type: 'UPDATE_FRAMEWORK', update_framework: { framework_info: info({}) } }), { ok: true });
  const view = h.master.getFrameworks().frameworks![0].framework_info;
  t.is(view.name, 'renamed');
  t.deepEqual(view.roles, ['a', 'b']);
});

test('framework messages reach the executor and executor messages reach the framework', (t) => {
  const h = harness();
  const fw = h.subscribe();
  const agent = h.registerAgent('h1', 'cpus:1;mem:128');
  const data = Buffer.from('hello').toString('base64');
  t.deepEqual(h.master.call(fw.id, { type: 'MESSAGE', message: { agent_id: { value: agent.id }, executor_id: { value: 'e1' }, data } }), { ok: true });
  t.deepEqual(agent.conn.of('framework_to_executor')[0], { agent_id: { value: agent.id }, framework_id: { value: fw.id }, executor_id: { value: 'e1' }, data });
  h.master.agentMessage(agent.conn, { executor_to_framework: { agent_id: { value: agent.id }, framework_id: { value: fw.id }, executor_id: { value: 'e1' }, data } });
  t.deepEqual(fw.sink.of('MESSAGE')[0].message, { agent_id: { value: agent.id }, executor_id: { value: 'e1' }, data });
});

test('LAUNCH_GROUP sends one RunTaskGroup; the executor is offered back in executor_ids', (t) => {
  const h = harness();
  const { fw, agent, offer } = h.subscribeWithOffer({}, 'cpus:4;mem:1024;disk:100');
  const executor: mesos.v1.ExecutorInfo = { executor_id: { value: 'default' }, type: 'DEFAULT', resources: wire('cpus:0.1;mem:32;disk:10') };
  const task = (id: string): mesos.v1.TaskInfo => ({ name: id, task_id: { value: id }, agent_id: offer.agent_id, resources: wire('cpus:1;mem:64'), command: { value: 'x' } });
  h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH_GROUP', launch_group: { executor, task_group: { tasks: [task('a'), task('b')] } } }], filters: { refuse_seconds: 0 } } });
  const group = agent.conn.of('run_task_group')[0];
  t.deepEqual(group.task_group.tasks?.map((x) => x.task_id.value), ['a', 'b']);
  t.is(group.executor.framework_id?.value, fw.id);
  t.is(h.master.getExecutors().executors?.length, 1);
  h.time.advance(1000);
  t.deepEqual(fw.sink.offers().at(-1)!.executor_ids, [{ value: 'default' }]);
});

test('RunTask and RunTaskGroup carry the allocation role on every resource, also for frameworks that are not MULTI_ROLE', (t) => {
  const h = harness();
  const { fw, agent, offer } = h.subscribeWithOffer({ role: 'web' }, 'cpus:4;mem:1024;disk:100');
  const executor: mesos.v1.ExecutorInfo = { executor_id: { value: 'custom' }, command: { value: 'exec' }, resources: wire('cpus:0.1;mem:32') };
  const task = (id: string, extra: Partial<mesos.v1.TaskInfo> = {}): mesos.v1.TaskInfo => ({ name: id, task_id: { value: id }, agent_id: offer.agent_id, resources: wire('cpus:1;mem:64'), ...extra });
  const group: mesos.v1.ExecutorInfo = { executor_id: { value: 'pod' }, type: 'DEFAULT', resources: wire('cpus:0.1;mem:32') };
  h.master.call(fw.id, {
    type: 'ACCEPT',
    accept: {
      offer_ids: [offer.id],
      operations: [
        { type: 'LAUNCH', launch: { task_infos: [task('a', { command: { value: 'x' } }), task('b', { executor })] } },
        { type: 'LAUNCH_GROUP', launch_group: { executor: group, task_group: { tasks: [task('c')] } } },
      ],
    },
  });
  const roles = (list: readonly mesos.v1.Resource[] | undefined) => [...new Set((list ?? []).map((r) => r.allocation_info?.role))];
  const [runA, runB] = agent.conn.of('run_task');
  t.deepEqual(roles(runA.task.resources), ['web']);
  t.deepEqual([roles(runB.task.resources), roles(runB.task.executor?.resources), roles(runB.executor?.resources)], [['web'], ['web'], ['web']]);
  const [runGroup] = agent.conn.of('run_task_group');
  t.deepEqual([roles(runGroup.executor.resources), roles(runGroup.task_group.tasks?.[0].resources)], [['web'], ['web']]);
});

test('weighted DRF: the heavier role gets the larger share of equal agents', (t) => {
  const h = harness({ weights: new Map([['heavy', 3]]) });
  const heavy = h.subscribe({ role: 'heavy', name: 'heavy' });
  const light = h.subscribe({ role: 'light', name: 'light' });
  for (let i = 0; i < 8; i++) h.registerAgent(`h${i}`, 'cpus:1;mem:1024');
  // Offers stay outstanding, so each agent is offered to exactly one framework, in DRF order.
  h.time.advance(1000);
  const held = (sink: typeof heavy.sink) => new Set(sink.offers().map((o) => o.agent_id.value)).size;
  t.is(held(heavy.sink) + held(light.sink), 8);
  t.is(held(heavy.sink), 6); // weight 3: shares heavy=6/8/3=.25, light=2/8=.25
  t.is(held(light.sink), 2);
});

test('property: books stay consistent under random framework and agent events', (t) => {
  type Op =
    | { kind: 'decline' | 'launch' | 'finish' | 'kill' | 'disconnect' | 'pong' | 'drop-agent'; index: number }
    | { kind: 'advance'; ms: number };
  const op = fc.oneof(
    fc.record({ kind: fc.constantFrom('decline', 'launch', 'finish', 'kill', 'disconnect', 'pong', 'drop-agent'), index: fc.nat(5) }),
    fc.record({ kind: fc.constant('advance'), ms: fc.integer({ min: 0, max: 3000 }) }),
  ) as fc.Arbitrary<Op>;
  fc.assert(fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
    const h = harness({ agentPingTimeoutMs: 1000, maxAgentPingTimeouts: 2 });
    const fws = [h.subscribe({ name: 'a', failover_timeout: 5 }), h.subscribe({ name: 'b', capabilities: [{ type: 'PARTITION_AWARE' }] })];
    const agents = [h.registerAgent('h0', 'cpus:2;mem:1024'), h.registerAgent('h1', 'cpus:3;mem:2048')];
    let taskSeq = 0;
    for (const o of ops) {
      const fw = fws[o.kind === 'advance' ? 0 : o.index % fws.length];
      const outstanding = [...h.master.state.offers.values()].filter((x) => x.frameworkId === fw.id);
      switch (o.kind) {
        case 'advance': h.time.advance(o.ms); break;
        case 'decline':
          if (outstanding[0]) h.master.call(fw.id, { type: 'DECLINE', decline: { offer_ids: [outstanding[0].offer.id], filters: { refuse_seconds: 1 } } });
          break;
        case 'launch':
          if (outstanding[0]) {
            const offer = outstanding[0].offer;
            h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [{ name: 't', task_id: { value: `t${taskSeq++}` }, agent_id: offer.agent_id, resources: wire('cpus:0.5;mem:64'), command: { value: 'x' } }] } }] } });
          }
          break;
        case 'finish':
        case 'kill': {
          const task = [...(h.master.state.frameworks.get(fw.id)?.tasks.values() ?? [])].find((x) => !isTerminal(x.task.state));
          const conn = agents.find((a) => a.id === task?.agentId)?.conn;
          if (task && conn) h.master.agentMessage(conn, { status_update: { framework_id: { value: fw.id }, status: { task_id: task.task.task_id, state: o.kind === 'finish' ? 'TASK_FINISHED' : 'TASK_KILLED', uuid: Buffer.from(`u${taskSeq++}`).toString('base64') } } });
          break;
        }
        case 'disconnect': h.master.disconnected(fw.id, fw.streamId); break;
        case 'pong': {
          const a = agents[o.index % agents.length];
          const last = a.conn.of('ping').at(-1);
          if (last) h.master.agentMessage(a.conn, { pong: { sequence: last.sequence } });
          break;
        }
        case 'drop-agent': h.master.agentDisconnected(agents[o.index % agents.length].conn); break;
      }
      // Invariants: every offer is in its framework's and agent's books; per agent, offered + used <= total.
      const seen = new Set<string>();
      for (const [id, rec] of h.master.state.offers) {
        if (seen.has(id)) return false;
        seen.add(id);
        if (!h.master.state.frameworks.get(rec.frameworkId)?.offers.has(id)) return false;
        if (!h.master.state.agents.get(rec.agentId)?.offers.has(id)) return false;
      }
      for (const agent of h.master.state.agents.values()) {
        let held = Resources.empty;
        for (const id of agent.offers) held = held.plus(h.master.state.offers.get(id)!.resources.unallocate());
        for (const f of h.master.state.frameworks.values()) {
          for (const task of f.tasks.values()) if (task.agentId === agent.id && !isTerminal(task.task.state)) held = held.plus(task.resources.unallocate());
        }
        if (!agent.total.contains(held)) return false;
      }
    }
    return true;
  }), { numRuns: 60 });
  t.pass();
});

test('after a master failover, agents report tasks of unknown frameworks: they are recovered until they re-subscribe', (t) => {
  const h = harness();
  const fwInfo: mesos.v1.FrameworkInfo = { user: 'root', name: 'old', id: { value: 'old-0001' }, failover_timeout: 60 };
  const reregister = (agentId: string, taskId: string) => {
    const conn = new RecordingAgent();
    h.master.agentMessage(conn, {
      reregister_agent: {
        agent_info: { hostname: agentId, id: { value: agentId }, resources: wire('cpus:2;mem:1024') }, version: 'test', frameworks: [fwInfo],
        tasks: [{ name: taskId, task_id: { value: taskId }, framework_id: { value: 'old-0001' }, agent_id: { value: agentId }, state: 'TASK_RUNNING', resources: wire('cpus:1;mem:256') }],
      },
    });
    return conn;
  };
  t.deepEqual(reregister('A1', 't1').of('agent_reregistered')[0].shutdown_frameworks, []);
  reregister('A2', 't2');
  t.deepEqual(h.master.getFrameworks().recovered_frameworks?.map((f) => f.id?.value), ['old-0001']);
  t.is(h.master.getTasks().tasks?.length, 2);
  const back = h.subscribe({ id: { value: 'old-0001' }, name: 'old', failover_timeout: 60 });
  t.true(back.out.ok);
  t.deepEqual(h.master.getFrameworks().recovered_frameworks, []);
  h.settle();
  // Offers hold only what the two running tasks leave: 1 cpu per agent.
  const offered = back.sink.offers().reduce((s, o) => s + Resources.fromProto(o.resources).scalar('cpus'), 0);
  t.is(offered, 2);
  t.is(h.master.metrics()['master/tasks_running'], 2);
});

test('a known agent that re-registers without a task is asked to reconcile it', (t) => {
  const h = harness();
  const { fw, agent, offer } = h.subscribeWithOffer({}, 'cpus:2;mem:1024');
  h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [
    { name: 'a', task_id: { value: 'a' }, agent_id: offer.agent_id, resources: wire('cpus:0.5;mem:64'), command: { value: 'x' } },
    { name: 'b', task_id: { value: 'b' }, agent_id: offer.agent_id, resources: wire('cpus:0.5;mem:64'), command: { value: 'x' } },
  ] } }] } });
  h.master.agentDisconnected(agent.conn);
  const conn = new RecordingAgent();
  const running: mesos.v1.Task = { name: 'a', task_id: { value: 'a' }, framework_id: { value: fw.id }, agent_id: offer.agent_id, state: 'TASK_RUNNING', resources: wire('cpus:0.5;mem:64') };
  h.master.agentMessage(conn, { reregister_agent: { agent_info: { hostname: 'h1', id: offer.agent_id, resources: wire('cpus:2;mem:1024') }, version: 'test', tasks: [running] } });
  t.deepEqual(conn.of('reconcile_tasks'), [{ framework_id: { value: fw.id }, task_ids: [{ value: 'b' }] }]);
});

test('offer_filters: a framework is offered only agents with its minimum allocatable resources', (t) => {
  const h = harness();
  const fw = h.subscribe({ offer_filters: { '*': { min_allocatable_resources: { quantities: [{ quantities: { cpus: { value: 4 } } }] } } } });
  h.registerAgent('small', 'cpus:2;mem:8192');
  h.registerAgent('big', 'cpus:8;mem:1024');
  h.time.advance(1000);
  t.deepEqual(fw.sink.offers().map((o) => o.hostname), ['big']); // small has 2 cpus < 4
});

test('an update sent while the framework is away is delivered when the agent retries it after re-subscription', (t) => {
  const h = harness();
  const { fw, agent, offer } = h.subscribeWithOffer({ failover_timeout: 60 }, 'cpus:2;mem:1024');
  h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [
    { name: 'a', task_id: { value: 'a' }, agent_id: offer.agent_id, resources: wire('cpus:1;mem:64'), command: { value: 'x' } },
  ] } }] } });
  h.master.disconnected(fw.id, fw.streamId);
  const update = { status_update: { framework_id: { value: fw.id }, status: { task_id: { value: 'a' }, state: 'TASK_RUNNING' as const, uuid: 'AwMDAwMDAwMDAwMDAwMDAw==' } } };
  h.master.agentMessage(agent.conn, update);
  t.is(fw.sink.updates().length, 0);
  const back = h.subscribe({ id: { value: fw.id }, failover_timeout: 60 });
  h.master.agentMessage(agent.conn, update); // the agent's retry
  t.deepEqual(back.sink.updates().map((s) => [s.state, s.uuid]), [['TASK_RUNNING', 'AwMDAwMDAwMDAwMDAwMDAw==']]);
  t.is(h.master.metrics()['master/tasks_running'], 1);
});

test('offers of two agents cannot be accepted together: the launch is answered TASK_LOST, both offers go back', (t) => {
  const h = harness();
  const fw = h.subscribe();
  h.registerAgent('h1', 'cpus:1;mem:128');
  h.registerAgent('h2', 'cpus:1;mem:128');
  h.settle();
  const [a, b] = fw.sink.offers();
  const out = h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [a.id, b.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [
    { name: 't', task_id: { value: 't' }, agent_id: a.agent_id, resources: wire('cpus:1;mem:64'), command: { value: 'x' } },
  ] } }] } });
  t.deepEqual(out, { ok: true });
  const [u] = fw.sink.updates();
  t.is(u.state, 'TASK_LOST');
  t.is(u.message, `Aggregated offers must belong to one single agent. Offer ${b.id.value} uses agent ${b.agent_id.value} and agent ${a.agent_id.value}`);
  t.is(h.master.state.offers.size, 0);
  h.settle();
  t.is(h.master.state.offers.size, 2); // both re-offered without a filter
});

test('KILL while the task\'s agent is disconnected is remembered and sent when the agent re-registers with the task still running', (t) => {
  const h = harness();
  const { fw, agent, offer } = h.subscribeWithOffer({}, 'cpus:2;mem:1024');
  const launch = (id: string): mesos.v1.TaskInfo => ({ name: id, task_id: { value: id }, agent_id: offer.agent_id, resources: wire('cpus:0.5;mem:64'), command: { value: 'x' } });
  h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [launch('a'), launch('b')] } }] } });
  h.master.agentDisconnected(agent.conn);
  h.master.call(fw.id, { type: 'KILL', kill: { task_id: { value: 'a' }, kill_policy: { grace_period: { nanoseconds: 5e9 } } } });
  h.master.call(fw.id, { type: 'KILL', kill: { task_id: { value: 'b' } } });
  const conn = new RecordingAgent();
  const running = (id: string): mesos.v1.Task => ({ name: id, task_id: { value: id }, framework_id: { value: fw.id }, agent_id: offer.agent_id, state: 'TASK_RUNNING', resources: wire('cpus:0.5;mem:64') });
  // The agent comes back with `a` only: `a` is killed now; `b` is reconciled instead.
  h.master.agentMessage(conn, { reregister_agent: { agent_info: { hostname: 'h1', id: offer.agent_id, resources: wire('cpus:2;mem:1024') }, version: 'test', tasks: [running('a')] } });
  t.deepEqual(conn.of('kill_task'), [{ framework_id: { value: fw.id }, task_id: { value: 'a' }, kill_policy: { grace_period: { nanoseconds: 5e9 } } }]);
  t.deepEqual(conn.of('reconcile_tasks'), [{ framework_id: { value: fw.id }, task_ids: [{ value: 'b' }] }]);
  // Remembered until the task ends: once it is killed, a later re-registration kills nothing.
  h.master.agentMessage(conn, { status_update: { framework_id: { value: fw.id }, status: { task_id: { value: 'a' }, state: 'TASK_KILLED', uuid: 'AQEBAQEBAQEBAQEBAQEBAQ==' } } });
  const again = new RecordingAgent();
  h.master.agentMessage(again, { reregister_agent: { agent_info: { hostname: 'h1', id: offer.agent_id, resources: wire('cpus:2;mem:1024') }, version: 'test', tasks: [{ ...running('a'), state: 'TASK_KILLED' }] } });
  t.deepEqual(again.of('kill_task'), []);
});

test('dynamic reservations survive the agent\'s re-registration: its checkpointed resources are applied to the reported total', (t) => {
  const h = harness();
  const { fw, agent, offer } = h.subscribeWithOffer({ role: 'dev', principal: 'ops' }, 'cpus:4;mem:1024');
  const reserved = Resources.parse('cpus:1;mem:256').pushReservation({ type: 'DYNAMIC', role: 'dev', principal: 'ops' });
  h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'RESERVE', reserve: { resources: asWire(reserved) } }], filters: { refuse_seconds: 0 } } });
  const checkpointed = agent.conn.of('checkpoint_resources')[0].resources;
  const reservedCpus = () => Resources.fromProto(h.master.getAgents().agents![0].total_resources).reserved('dev').scalar('cpus');
  t.is(reservedCpus(), 1);
  // The agent reconnects and reports its configured resources plus what it checkpointed.
  h.master.agentDisconnected(agent.conn);
  const reregister = (conn: RecordingAgent) => h.master.agentMessage(conn, { reregister_agent: {
    agent_info: { hostname: 'h1', id: offer.agent_id, resources: wire('cpus:4;mem:1024') }, version: 'test', checkpointed_resources: checkpointed,
  } });
  reregister(new RecordingAgent());
  t.is(reservedCpus(), 1); // cpus(dev):1 still reserved, 3 unreserved
  t.is(Resources.fromProto(h.master.getAgents().agents![0].total_resources).scalar('cpus'), 4);
  // A master that does not know the agent (after a failover) learns the reservation the same way.
  const fresh = harness();
  fresh.master.agentMessage(new RecordingAgent(), { reregister_agent: {
    agent_info: { hostname: 'h1', id: { value: 'A1' }, resources: wire('cpus:4;mem:1024') }, version: 'test', checkpointed_resources: checkpointed,
  } });
  const total = Resources.fromProto(fresh.master.getAgents().agents![0].total_resources);
  t.is(total.reserved('dev').scalar('cpus'), 1);
  t.is(total.unreserved().scalar('cpus'), 3);
  t.is(total.scalar('cpus'), 4);
});

test('checkpointed resources the reported total cannot hold are ignored, the rest applied', (t) => {
  const h = harness();
  const dev = Resources.parse('cpus:1').pushReservation({ type: 'DYNAMIC', role: 'dev', principal: 'ops' });
  const tooMuch = Resources.parse('mem:4096').pushReservation({ type: 'DYNAMIC', role: 'dev', principal: 'ops' });
  h.master.agentMessage(new RecordingAgent(), { reregister_agent: {
    agent_info: { hostname: 'h1', id: { value: 'A1' }, resources: wire('cpus:4;mem:1024') }, version: 'test', checkpointed_resources: asWire(dev.plus(tooMuch)),
  } });
  const total = Resources.fromProto(h.master.getAgents().agents![0].total_resources);
  t.is(total.reserved('dev').scalar('cpus'), 1);
  t.is(total.reserved('dev').scalar('mem'), 0); // mem(dev):4096 does not fit in mem:1024
  t.is(total.scalar('mem'), 1024);
});

test('an ACCEPT with an invalid RESERVE is accepted as in Mesos: the RESERVE is dropped, the launch goes on, the offer is used up', (t) => {
  const h = harness();
  const { fw, agent, offer } = h.subscribeWithOffer({ role: 'dev', principal: 'ops' }, 'cpus:4;mem:1024');
  const foreign = Resources.parse('cpus:1').pushReservation({ type: 'DYNAMIC', role: 'prod', principal: 'ops' });
  const out = h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [
    { type: 'RESERVE', reserve: { resources: asWire(foreign) } },
    { type: 'LAUNCH', launch: { task_infos: [{ name: 't', task_id: { value: 't' }, agent_id: offer.agent_id, resources: wire('cpus:1;mem:64'), command: { value: 'x' } }] } },
  ] } });
  t.deepEqual(out, { ok: true }); // 202, not 400
  t.is(h.master.state.offers.has(offer.id.value as never), false);
  t.deepEqual(agent.conn.of('run_task').map((r) => r.task.task_id.value), ['t']);
  t.deepEqual(agent.conn.of('checkpoint_resources'), []);
});
