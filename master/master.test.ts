import test from 'ava';
import { asFrameworkId } from '../common/ids.ts';
import { Resources } from '../common/resources/resources.ts';
import type { mesos } from '../proto/types.generated.ts';
import { harness, RecordingAgent, RecordingSink, wire } from './test-fixtures.ts';

const launchCall = (offer: mesos.v1.Offer, taskId: string, resources = 'cpus:1;mem:128', extra: Partial<mesos.v1.scheduler.Call.Accept> = {}) => ({
  type: 'ACCEPT' as const,
  accept: {
    offer_ids: [offer.id],
    operations: [{ type: 'LAUNCH' as const, launch: { task_infos: [{ name: taskId, task_id: { value: taskId }, agent_id: offer.agent_id, resources: wire(resources), command: { value: 'sleep 100' } }] } }],
    ...extra,
  },
});

test('subscribe, register an agent, get one offer with its resources', (t) => {
  const h = harness();
  const fw = h.subscribe();
  t.true(fw.out.ok);
  t.is(fw.id as string, 'M-0000');
  const subscribed = fw.sink.of('SUBSCRIBED')[0].subscribed!;
  t.is(subscribed.framework_id.value, 'M-0000');
  t.is(subscribed.heartbeat_interval_seconds, 15);
  t.is(subscribed.master_info?.id, 'M');
  t.is(subscribed.master_info?.ip, 16777343); // 127.0.0.1 as Mesos encodes it
  const agent = h.registerAgent('h1', 'cpus:4;mem:4096;disk:1000;ports:[31000-32000]');
  t.is(agent.id, 'M-S0');
  t.is(agent.conn.of('ping').length, 1);
  h.settle();
  const offers = fw.sink.offers();
  t.is(offers.length, 1);
  t.is(offers[0].id.value, 'M-O0');
  t.is(offers[0].hostname, 'h1');
  const r = Resources.fromProto(offers[0].resources);
  t.is(r.scalar('cpus'), 4);
  t.is(r.scalar('mem'), 4096);
  t.true((offers[0].resources ?? []).every((x) => x.allocation_info === undefined)); // not MULTI_ROLE
  t.is(h.master.metrics()['master/outstanding_offers'], 1);
});

const badSubscriptions: ReadonlyArray<[string, Partial<mesos.v1.FrameworkInfo>, string[] | undefined, string]> = [
  ['role with MULTI_ROLE', { role: 'a', capabilities: [{ type: 'MULTI_ROLE' }] }, undefined, "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable"],
  ['roles without MULTI_ROLE', { roles: ['a'] }, undefined, "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable"],
  ['invalid role', { role: '..' }, undefined, "'FrameworkInfo.role' is not a valid role: Role '..' cannot include '..' as a path segment"],
  ['invalid id', { id: { value: 'a/b' } }, undefined, "'a/b' contains invalid characters"],
  ['failover timeout beyond a Duration', { failover_timeout: 1e20 }, undefined, 'The framework failover_timeout (1e+20) is invalid'],
  ['suppressed role it does not have', { role: 'dev' }, ['ops'], 'Suppressed roles { ops } are not contained in the set of roles'],
  ['min allocatable quantity below zero', { offer_filters: { '*': { min_allocatable_resources: { quantities: [{ quantities: { cpus: { value: -1 } } }] } } } }, undefined,
    "Invalid resource quantity for 'cpus': Negative values not supported"],
];
for (const [name, info, suppressed, message] of badSubscriptions) {
  test(`subscribe refused on the stream (200, ERROR): ${name}`, (t) => {
    const h = harness();
    const fw = h.subscribe(info, suppressed);
    t.deepEqual(fw.out, { ok: false, status: 200, message });
    t.is(h.master.state.frameworks.size, 0);
    t.is(fw.sink.events.length, 0, 'the HTTP layer writes the ERROR event; the core never touches the sink');
    t.false(fw.sink.closed);
    const counted = info.id === undefined ? 'master/messages_register_framework' : 'master/messages_reregister_framework';
    t.is(h.master.metrics()[counted], 1);
  });
}

test('subscribe with an authenticated principal other than the FrameworkInfo one is a 400', (t) => {
  const h = harness();
  const sink = new RecordingSink();
  const out = h.master.subscribe({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name: 'n', principal: 'p' } } }, sink, 's' as never, 'q');
  t.deepEqual(out, { ok: false, status: 400, message: "Authenticated principal 'q' does not match principal 'p' set in `FrameworkInfo`" });
  t.is(h.master.state.frameworks.size, 0);
});

test('re-subscribe keeps the old user and checkpoint flag; a new principal is refused', (t) => {
  const h = harness();
  const first = h.subscribe({ user: 'alice', principal: 'p', checkpoint: true, failover_timeout: 60 });
  const changed = h.subscribe({ id: { value: first.id }, user: 'bob', principal: 'p', failover_timeout: 60, name: 'renamed' });
  t.true(changed.out.ok);
  const info = h.master.state.frameworks.get(first.id)!.info;
  t.deepEqual([info.user, info.checkpoint, info.name], ['alice', true, 'renamed']);
  t.is(h.master.metrics()['master/messages_reregister_framework'], 1);

  const before = h.master.getFrameworks();
  const thief = h.subscribe({ id: { value: first.id }, user: 'alice', principal: 'other', checkpoint: true });
  t.deepEqual(thief.out, { ok: false, status: 200, message: "Changing framework's principal is not allowed." });
  t.deepEqual(h.master.getFrameworks(), before);
  t.false(changed.sink.closed, 'the current stream is not failed over');
  t.deepEqual(h.master.connection(first.id), { kind: 'connected', streamId: changed.streamId });
});

test('UPDATE_FRAMEWORK answers 400 with Mesos\' prefixes', (t) => {
  const h = harness();
  const fw = h.subscribe({ principal: 'p', capabilities: [{ type: 'MULTI_ROLE' }], roles: ['a'] });
  const update = (info: Partial<mesos.v1.FrameworkInfo>, suppressed?: string[]) => h.master.call(fw.id, {
    type: 'UPDATE_FRAMEWORK',
    update_framework: { framework_info: { user: 'root', name: 'test', principal: 'p', capabilities: [{ type: 'MULTI_ROLE' }], roles: ['a'], ...info, id: { value: fw.id } }, suppressed_roles: suppressed },
  });
  const cases: ReadonlyArray<[Partial<mesos.v1.FrameworkInfo>, string[] | undefined, string]> = [
    [{ roles: ['a', 'a'] }, undefined, "Supplied FrameworkInfo is not valid: 'FrameworkInfo.roles' contains duplicate items: { a }"],
    [{ user: 'bob' }, undefined, "FrameworkInfo update is not valid: Updating 'FrameworkInfo.user' is unsupported; attempted to update from 'root' to 'bob'"],
    [{}, ['b'], "'UpdateFramework' call is not valid: Suppressed roles { b } are not contained in the set of roles"],
  ];
  for (const [info, suppressed, message] of cases) t.deepEqual(update(info, suppressed), { ok: false, status: 400, message });
  t.deepEqual(update({ roles: ['a', 'b'] }), { ok: true });
});

test('re-subscribe with the id fails over: the old stream gets ERROR and is closed', (t) => {
  const h = harness();
  const first = h.subscribe({ failover_timeout: 60 });
  const second = h.subscribe({ id: { value: first.id }, failover_timeout: 60 });
  t.true(second.out.ok);
  t.deepEqual(first.sink.of('ERROR')[0].error, { message: 'Framework failed over' });
  t.true(first.sink.closed);
  t.is(second.sink.of('SUBSCRIBED').length, 1);
  t.deepEqual(h.master.connection(first.id), { kind: 'connected', streamId: second.streamId });
  // The old stream's disconnection does not touch the new one.
  h.master.disconnected(first.id, first.streamId);
  t.is(h.master.connection(first.id).kind, 'connected');
});

test('re-subscribe with an id this master does not know is accepted with that id', (t) => {
  const h = harness();
  const fw = h.subscribe({ id: { value: 'old-master-0007' } });
  t.true(fw.out.ok);
  t.is(fw.id as string, 'old-master-0007');
});

test('decline with refuse_seconds: not re-offered before the filter expires', (t) => {
  const h = harness();
  const fw = h.subscribe();
  h.registerAgent('h1', 'cpus:2;mem:1024');
  h.settle();
  const [offer] = fw.sink.offers();
  t.deepEqual(h.master.call(fw.id, { type: 'DECLINE', decline: { offer_ids: [offer.id], filters: { refuse_seconds: 10 } } }), { ok: true });
  t.is(h.master.state.offers.size, 0);
  h.time.advance(9000);
  t.is(fw.sink.offers().length, 1); // still filtered at t=9s
  h.time.advance(2000);
  t.is(fw.sink.offers().length, 2); // re-offered after 10s
});

test('decline without a filter (refuse_seconds 0): re-offered at the next periodic allocation, not at once; agents declined apart come back in one OFFERS event', (t) => {
  const h = harness();
  const fw = h.subscribe();
  h.registerAgent('h1', 'cpus:1;mem:1024');
  h.settle();
  h.registerAgent('h2', 'cpus:1;mem:1024');
  h.settle();
  const [a, b] = fw.sink.offers();
  t.truthy(b, 'one offer per agent');
  const events = () => fw.sink.of('OFFERS').length;
  const before = events();
  h.master.call(fw.id, { type: 'DECLINE', decline: { offer_ids: [a.id], filters: { refuse_seconds: 0 } } });
  h.settle();
  t.is(events(), before, 'not offered straight back (that spins offer/decline)');
  h.time.advance(300);
  h.master.call(fw.id, { type: 'DECLINE', decline: { offer_ids: [b.id], filters: { refuse_seconds: 0 } } });
  h.settle();
  t.is(events(), before);
  h.time.advance(700); // the periodic allocation
  t.is(events(), before + 1);
  t.deepEqual(fw.sink.of('OFFERS').at(-1)!.offers!.offers!.map((o) => o.hostname).sort(), ['h1', 'h2']);
});

test('decline with a filter: another framework is offered the resources at once', (t) => {
  const h = harness();
  const one = h.subscribe({ name: 'one' });
  const two = h.subscribe({ name: 'two' });
  h.registerAgent('h1', 'cpus:1;mem:1024');
  h.settle();
  const [holder, other] = one.sink.offers().length > 0 ? [one, two] : [two, one];
  const [offer] = holder.sink.offers();
  t.is(other.sink.offers().length, 0);
  h.master.call(holder.id, { type: 'DECLINE', decline: { offer_ids: [offer.id], filters: { refuse_seconds: 60 } } });
  h.settle();
  t.is(other.sink.offers().length, 1);
});

test('launch, running, acknowledge, finished: resources come back and the task completes', (t) => {
  const h = harness();
  const { fw, agent, offer } = h.subscribeWithOffer({}, 'cpus:2;mem:1024');
  t.deepEqual(h.master.call(fw.id, launchCall(offer, 't1', 'cpus:1;mem:128', { filters: { refuse_seconds: 0 } })), { ok: true });
  const run = agent.conn.of('run_task')[0];
  t.is(run.task.task_id.value, 't1');
  t.is(run.framework.id?.value, fw.id);
  t.is(h.master.getTasks().tasks?.[0].state, 'TASK_STAGING');
  t.is(h.master.metrics()['master/tasks_staging'], 1);

  const uuid = 'AAAAAAAAAAAAAAAAAAAAAA==';
  h.master.agentMessage(agent.conn, { status_update: { framework_id: { value: fw.id }, status: { task_id: { value: 't1' }, state: 'TASK_RUNNING', uuid, source: 'SOURCE_EXECUTOR' } } });
  t.is(fw.sink.updates()[0].state, 'TASK_RUNNING');
  t.is(h.master.metrics()['master/tasks_running'], 1);
  h.master.call(fw.id, { type: 'ACKNOWLEDGE', acknowledge: { agent_id: offer.agent_id, task_id: { value: 't1' }, uuid } });
  t.deepEqual(agent.conn.of('status_update_acknowledgement')[0], { agent_id: offer.agent_id, framework_id: { value: fw.id }, task_id: { value: 't1' }, uuid });

  h.time.advance(1000);
  const before = fw.sink.offers().length;
  const uuid2 = 'AQEBAQEBAQEBAQEBAQEBAQ==';
  h.master.agentMessage(agent.conn, { status_update: { framework_id: { value: fw.id }, status: { task_id: { value: 't1' }, state: 'TASK_FINISHED', uuid: uuid2 } } });
  t.is(h.master.metrics()['master/tasks_finished'], 1);
  h.settle();
  t.true(fw.sink.offers().length > before);
  const outstanding = [...h.master.state.offers.values()].reduce((s, o) => s + o.resources.scalar('cpus'), 0);
  t.is(outstanding, 2); // the 1 cpu left over at launch + the task's 1 cpu
  t.is(h.master.getTasks().tasks?.length, 1); // terminal, not yet acknowledged
  h.master.call(fw.id, { type: 'ACKNOWLEDGE', acknowledge: { agent_id: offer.agent_id, task_id: { value: 't1' }, uuid: uuid2 } });
  t.is(h.master.getTasks().tasks?.length, 0);
  t.is(h.master.getTasks().completed_tasks?.[0].state, 'TASK_FINISHED');
});

test('an illegal status update is acknowledged to the agent but not forwarded', (t) => {
  const h = harness();
  const fw = h.subscribe();
  const agent = h.registerAgent('h1', 'cpus:2;mem:1024');
  h.settle();
  h.master.call(fw.id, launchCall(fw.sink.offers()[0], 't1'));
  const send = (state: mesos.v1.TaskState, uuid: string) =>
    h.master.agentMessage(agent.conn, { status_update: { framework_id: { value: fw.id }, status: { task_id: { value: 't1' }, state, uuid } } });
  send('TASK_FAILED', 'AAAAAAAAAAAAAAAAAAAAAA==');
  send('TASK_RUNNING', 'AgICAgICAgICAgICAgICAg==');
  t.deepEqual(fw.sink.updates().map((s) => s.state), ['TASK_FAILED']);
  t.is(agent.conn.of('status_update_acknowledgement').length, 1);
  t.is(h.master.metrics()['master/invalid_status_updates'], 1);
});

test('accept of an unknown offer: TASK_LOST (TASK_DROPPED if partition aware) with REASON_INVALID_OFFERS', (t) => {
  for (const [caps, expected] of [[[], 'TASK_LOST'], [[{ type: 'PARTITION_AWARE' as const }], 'TASK_DROPPED']] as const) {
    const h = harness();
    const fw = h.subscribe({ capabilities: [...caps] });
    h.registerAgent('h1', 'cpus:2;mem:1024');
    h.settle();
    const offer = { ...fw.sink.offers()[0], id: { value: 'M-O99' } };
    t.deepEqual(h.master.call(fw.id, launchCall(offer, 't1')), { ok: true });
    const [u] = fw.sink.updates();
    t.is(u.state, expected);
    t.is(u.reason, 'REASON_INVALID_OFFERS');
    t.is(u.source, 'SOURCE_MASTER');
    t.is(u.message, 'Offer M-O99 is no longer valid');
    t.is(h.master.metrics()[`master/tasks_${expected === 'TASK_LOST' ? 'lost' : 'dropped'}`], 1);
  }
});

test('accept with a persistent-volume operation is rejected and changes nothing', (t) => {
  const h = harness();
  const { fw, agent, offer } = h.subscribeWithOffer({}, 'cpus:2;mem:1024');
  const call = launchCall(offer, 't1');
  call.accept.operations.push({ type: 'CREATE', create: { volumes: [] } } as never);
  const out = h.master.call(fw.id, call);
  t.false(out.ok);
  if (!out.ok) {
    t.is(out.status, 400);
    t.regex(out.message, /persistent volumes are not supported yet/);
  }
  t.true(h.master.state.offers.has(offer.id.value as never));
  t.is(agent.conn.of('run_task').length, 0);
  t.is(h.master.getTasks().tasks?.length, 0);
});

test('invalid task in an accept gets TASK_ERROR; its resources go back', (t) => {
  const h = harness();
  const { fw, agent, offer } = h.subscribeWithOffer({}, 'cpus:2;mem:1024');
  t.deepEqual(h.master.call(fw.id, launchCall(offer, 't1', 'cpus:8')), { ok: true });
  const [u] = fw.sink.updates();
  t.is(u.state, 'TASK_ERROR');
  t.is(u.reason, 'REASON_TASK_INVALID');
  t.regex(u.message ?? '', /more than available/);
  t.is(h.master.metrics()['master/tasks_error'], 1);
  t.is(agent.conn.of('run_task').length, 0);
  t.is(h.master.state.offers.size, 0);
});

test('kill: a known task goes to the agent; an unknown one is answered like reconciliation', (t) => {
  const h = harness();
  const fw = h.subscribe({ capabilities: [{ type: 'PARTITION_AWARE' }] });
  const agent = h.registerAgent('h1', 'cpus:2;mem:1024');
  h.settle();
  h.master.call(fw.id, launchCall(fw.sink.offers()[0], 't1'));
  h.master.call(fw.id, { type: 'KILL', kill: { task_id: { value: 't1' } } });
  t.is(agent.conn.of('kill_task')[0].task_id.value, 't1');
  h.master.call(fw.id, { type: 'KILL', kill: { task_id: { value: 'nope' } } });
  const u = fw.sink.updates().at(-1)!;
  t.is(u.state, 'TASK_UNKNOWN');
  t.is(u.reason, 'REASON_RECONCILIATION');
});

test('implicit reconciliation returns every task with its latest state', (t) => {
  const h = harness();
  const fw = h.subscribe();
  const agent = h.registerAgent('h1', 'cpus:2;mem:1024');
  h.settle();
  h.master.call(fw.id, launchCall(fw.sink.offers()[0], 't1'));
  h.master.agentMessage(agent.conn, { status_update: { framework_id: { value: fw.id }, status: { task_id: { value: 't1' }, state: 'TASK_RUNNING', uuid: 'AAAAAAAAAAAAAAAAAAAAAA==' } } });
  h.master.call(fw.id, { type: 'RECONCILE', reconcile: { tasks: [] } });
  const u = fw.sink.updates().at(-1)!;
  t.is(u.state, 'TASK_RUNNING');
  t.is(u.reason, 'REASON_RECONCILIATION');
  t.is(u.uuid, undefined);
});

test('suppress and revive per role; an unknown role is a 400', (t) => {
  const h = harness();
  const fw = h.subscribe({ capabilities: [{ type: 'MULTI_ROLE' }], roles: ['a', 'b'] });
  t.like(h.master.call(fw.id, { type: 'SUPPRESS', suppress: { roles: ['c'] } }), { ok: false, status: 400 });
  t.deepEqual(h.master.call(fw.id, { type: 'SUPPRESS', suppress: { roles: [] } }), { ok: true });
  h.registerAgent('h1', 'cpus:2;mem:1024');
  h.time.advance(2000);
  t.is(fw.sink.offers().length, 0);
  t.deepEqual(h.master.call(fw.id, { type: 'REVIVE', revive: { roles: ['b'] } }), { ok: true });
  h.settle();
  const offers = fw.sink.offers();
  t.is(offers.length, 1);
  t.deepEqual(offers[0].allocation_info, { role: 'b' }); // MULTI_ROLE sees the role
});

test('disconnect with failover_timeout 0 removes the framework; its tasks are shut down on the agent', (t) => {
  const h = harness();
  const fw = h.subscribe();
  const agent = h.registerAgent('h1', 'cpus:2;mem:1024');
  h.settle();
  h.master.call(fw.id, launchCall(fw.sink.offers()[0], 't1'));
  h.master.disconnected(fw.id, fw.streamId);
  t.is(h.master.connection(fw.id).kind, 'disconnected');
  h.settle();
  t.is(h.master.connection(fw.id).kind, 'unknown');
  t.deepEqual(agent.conn.of('shutdown_framework')[0], { framework_id: { value: fw.id } });
  t.is(h.master.getFrameworks().completed_frameworks?.length, 1);
  const again = h.subscribe({ id: { value: fw.id } });
  // As Mesos: the stream opens, says why in one ERROR event, and ends (the HTTP layer writes it).
  t.deepEqual(again.out, { ok: false, status: 200, message: 'Framework has been removed' });
  t.deepEqual(again.sink.events, []);
  t.is(h.master.connection(fw.id).kind, 'unknown');
});

test('a disconnected framework keeps its tasks until the failover timeout', (t) => {
  const h = harness();
  const fw = h.subscribe({ failover_timeout: 30 });
  h.registerAgent('h1', 'cpus:2;mem:1024');
  h.settle();
  h.master.call(fw.id, launchCall(fw.sink.offers()[0], 't1'));
  h.master.disconnected(fw.id, fw.streamId);
  h.time.advance(29_000);
  t.is(h.master.getTasks().tasks?.length, 1);
  const back = h.subscribe({ id: { value: fw.id }, failover_timeout: 30 });
  t.true(back.out.ok);
  h.time.advance(5_000);
  t.is(h.master.getTasks().tasks?.length, 1);
});

test('missed pings make an agent unreachable; its return restores partition-aware tasks only', (t) => {
  const h = harness({ agentPingTimeoutMs: 1000, maxAgentPingTimeouts: 3 });
  const pa = h.subscribe({ name: 'pa', capabilities: [{ type: 'PARTITION_AWARE' }] });
  const legacy = h.subscribe({ name: 'legacy' });
  const agent = h.registerAgent('h1', 'cpus:2;mem:1024');
  h.settle();
  const offerOf = (sink: RecordingSink) => sink.offers().at(-1)!;
  // DRF gives the one agent to one framework; the other gets it after a decline.
  const first = pa.sink.offers().length > 0 ? pa : legacy;
  const second = first === pa ? legacy : pa;
  h.master.call(first.id, launchCall(offerOf(first.sink), `${first === pa ? 'pa' : 'legacy'}-task`, 'cpus:1;mem:128', { filters: { refuse_seconds: 0 } }));
  h.time.advance(1000);
  t.true(second.sink.offers().length > 0);
  h.master.call(second.id, launchCall(offerOf(second.sink), `${second === pa ? 'pa' : 'legacy'}-task`, 'cpus:1;mem:128'));
  t.is(agent.conn.of('run_task').length, 2);

  // Answer the latest ping, then nothing: the third interval without a pong makes it unreachable.
  h.master.agentMessage(agent.conn, { pong: { sequence: agent.conn.of('ping').at(-1)!.sequence } });
  h.time.advance(3500);
  t.is(h.master.metrics()['master/slaves_unreachable'], 0);
  h.time.advance(1000);
  t.is(h.master.metrics()['master/slaves_unreachable'], 1);
  t.truthy(agent.conn.closedWith);
  const paUpdate = pa.sink.updates().at(-1)!;
  t.is(paUpdate.state, 'TASK_UNREACHABLE');
  t.is(paUpdate.reason, 'REASON_AGENT_REMOVED');
  t.is(paUpdate.source, 'SOURCE_MASTER');
  t.truthy(paUpdate.unreachable_time);
  t.is(legacy.sink.updates().at(-1)!.state, 'TASK_LOST');
  t.deepEqual(legacy.sink.of('FAILURE')[0].failure, { agent_id: { value: agent.id } }); // "agent lost"
  t.is(h.master.metrics()['master/slave_removals'], 1);
  t.is(h.master.getTasks().unreachable_tasks?.length, 1);

  // The agent returns with both tasks running.
  const conn = new RecordingAgent();
  const task = (fid: string, id: string): mesos.v1.Task => ({
    name: id, task_id: { value: id }, framework_id: { value: fid }, agent_id: { value: agent.id }, state: 'TASK_RUNNING', resources: wire('cpus:1;mem:128'),
  });
  h.master.agentMessage(conn, {
    reregister_agent: {
      agent_info: { hostname: 'h1', id: { value: agent.id }, resources: wire('cpus:2;mem:1024') }, version: 'test',
      tasks: [task(pa.id, 'pa-task'), task(legacy.id, 'legacy-task')],
      frameworks: [pa.id, legacy.id].map((id) => ({ user: 'root', name: 'x', id: { value: id } })),
    },
  });
  const answer = conn.of('agent_reregistered')[0];
  t.deepEqual(answer.shutdown_frameworks, [{ value: legacy.id }]);
  t.deepEqual(conn.of('shutdown_framework'), [{ framework_id: { value: legacy.id } }]);
  t.is(h.master.metrics()['master/slaves_unreachable'], 0);
  t.deepEqual(h.master.getTasks().tasks?.map((x) => [x.task_id.value, x.state]), [['pa-task', 'TASK_RUNNING']]);
});

test('a dropped agent connection rescinds its offers; it comes back by re-registering', (t) => {
  const h = harness({ agentPingTimeoutMs: 1000, maxAgentPingTimeouts: 2 });
  const { fw, agent, offer } = h.subscribeWithOffer({}, 'cpus:2;mem:1024');
  h.master.agentDisconnected(agent.conn);
  t.deepEqual(fw.sink.of('RESCIND')[0].rescind, { offer_id: offer.id });
  t.is(h.master.metrics()['master/slaves_disconnected'], 1);
  const conn = new RecordingAgent();
  h.master.agentMessage(conn, { reregister_agent: { agent_info: { hostname: 'h1', id: { value: agent.id }, resources: wire('cpus:2;mem:1024') }, version: 'test' } });
  t.is(conn.of('agent_reregistered').length, 1);
  t.is(h.master.metrics()['master/slaves_connected'], 1);
  h.settle();
  t.is(fw.sink.offers().length, 2);
});

const refusals: ReadonlyArray<[string, object, string]> = [
  ['missing hostname', { register_agent: { agent_info: { hostname: '', resources: [] }, version: 't' } }, 'hostname'],
  ['bad resources', { register_agent: { agent_info: { hostname: 'h', resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: -1 } }] }, version: 't' } }, 'invalid resources'],
  ['wrong token', { register_agent: { agent_info: { hostname: 'h', resources: [] }, version: 't', token: 'nope' } }, 'token'],
  ['message before registration', { pong: { sequence: 1 } }, 'not registered'],
];
for (const [name, envelope, message] of refusals) {
  test(`agent registration refused: ${name}`, (t) => {
    const h = harness({ agentToken: name === 'wrong token' ? 'secret' : undefined });
    const conn = new RecordingAgent();
    h.master.agentMessage(conn, envelope as never);
    const refused = conn.of('registration_refused')[0];
    t.truthy(refused);
    t.true(refused.message.includes(message), refused.message);
    t.truthy(conn.closedWith);
    t.is(h.master.state.agents.size, 0);
  });
}

test('offer timeout rescinds the offer and re-offers later', (t) => {
  const h = harness({ offerTimeoutMs: 5000 });
  const fw = h.subscribe();
  h.registerAgent('h1', 'cpus:2;mem:1024');
  h.settle();
  const [offer] = fw.sink.offers();
  h.time.advance(5000);
  t.deepEqual(fw.sink.of('RESCIND')[0].rescind, { offer_id: offer.id });
  h.time.advance(1000);
  t.true(fw.sink.offers().length >= 2);
});

test('operator views and teardown', (t) => {
  const h = harness({ weights: new Map([['dev', 2]]) });
  const fw = h.subscribe({ role: 'dev' });
  h.registerAgent('h1', 'cpus:2;mem:1024');
  h.settle();
  const state = h.master.getState();
  t.is(state.get_agents?.agents?.[0].agent_info.hostname, 'h1');
  t.is(state.get_frameworks?.frameworks?.[0].framework_info.id?.value, fw.id);
  t.is(state.get_frameworks?.frameworks?.[0].offers?.length, 1);
  t.deepEqual(h.master.getWeights().weight_infos, [{ role: 'dev', weight: 2 }]);
  t.like(h.master.getRoles().roles?.find((r) => r.name === 'dev'), { weight: 2, frameworks: [{ value: fw.id }] });
  t.deepEqual(h.master.updateQuota([{ role: 'dev', guarantees: { cpus: 1 }, limits: { cpus: 2 } }]), { ok: true });
  t.like(h.master.updateQuota([{ role: 'dev', guarantees: { cpus: 3 }, limits: { cpus: 2 } }]), { ok: false, status: 400 });
  t.deepEqual(h.master.getQuota().status.configs, [{ role: 'dev', guarantees: { cpus: { value: 1 } }, limits: { cpus: { value: 2 } } }]);
  const m = h.master.metrics();
  t.is(m['master/cpus_total'], 2);
  t.is(m['master/frameworks_active'], 1);
  t.is(m['master/slaves_active'], 1);
  t.deepEqual(h.master.teardown(fw.id), { ok: true });
  t.true(fw.sink.closed);
  t.is(h.master.connection(asFrameworkId(fw.id)).kind, 'unknown');
  t.like(h.master.teardown(fw.id), { ok: false, status: 400 });
});
