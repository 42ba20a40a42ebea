/**
 * MARK_AGENT_GONE (agent-gone.ts) and AgentInfo changes on re-registration (UPDATE_AGENT_INFO):
 * the master over the fakes of test-fixtures.ts, with and without a registrar (the in-memory
 * store behind the real registrar), and the operator API over a real Fastify app.
 */
import test from 'ava';
import { asAgentId, type AgentId } from '../common/ids.ts';
import type { mesos } from '../proto/types.generated.ts';
import type { Master } from './master.ts';
import { createMemoryRegistryStore } from './registry/memory-registry-store.ts';
import { createRegistrar } from './registry/registrar.ts';
import { InvalidRegistryOperationError, type RegistryOperation } from './registry/registry.ts';
import type { RegistryStore } from './registry/registry-store.ts';
import { createMasterApp } from './http/app.ts';
import { codec } from '../proto/codec.ts';
import { harness, RecordingAgent, TEST_CONFIG, wire } from './test-fixtures.ts';

const PA = { capabilities: [{ type: 'PARTITION_AWARE' as const }] };

function launch(h: ReturnType<typeof harness>, fw: ReturnType<ReturnType<typeof harness>['subscribe']>, taskId: string): mesos.v1.Offer {
  const [offer] = fw.sink.offers().slice(-1);
  const task: mesos.v1.TaskInfo = { name: taskId, task_id: { value: taskId }, agent_id: offer.agent_id, resources: wire('cpus:1;mem:64'), command: { value: 'sleep 1000' } };
  h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [task] } }] } });
  return offer;
}

const reregister = (master: Master, id: string, hostname: string, resources = 'cpus:4;mem:1024') => {
  const conn = new RecordingAgent('10.0.0.1');
  master.agentMessage(conn, { reregister_agent: { agent_info: { id: { value: id }, hostname, resources: wire(resources) }, version: 'test', endpoint: `${hostname}:5051` } });
  return conn;
};

test('a registered agent marked gone is shut down and removed: TASK_GONE_BY_OPERATOR (partition-aware) or TASK_LOST, FAILURE, resources out of the allocator', (t) => {
  const h = harness();
  const pa = h.subscribe({ ...PA, name: 'pa' });
  const agent = h.registerAgent('h1', 'cpus:4;mem:1024');
  h.settle();
  launch(h, pa, 't-pa');
  // The rest of the agent goes to the second framework (the first one's declined part is filtered).
  const plain = h.subscribe({ name: 'plain' });
  h.master.allocate();
  launch(h, plain, 't-plain');
  t.is(h.master.getTasks().tasks?.length, 2);
  t.true(h.allocator.roleShares().some((r) => r.allocated.size > 0));

  const out = h.master.markAgentGone(agent.id);
  t.deepEqual(out, { ok: true });
  t.deepEqual(agent.conn.of('shutdown_agent'), [{ message: 'Agent has been marked gone' }]);
  t.is(agent.conn.closedWith, 'marked gone');
  const last = (fw: typeof pa) => fw.sink.updates().at(-1)!;
  t.like(last(pa), { state: 'TASK_GONE_BY_OPERATOR', reason: 'REASON_AGENT_REMOVED_BY_OPERATOR', source: 'SOURCE_MASTER' });
  t.like(last(plain), { state: 'TASK_LOST', reason: 'REASON_AGENT_REMOVED_BY_OPERATOR' });
  for (const fw of [pa, plain]) t.deepEqual(fw.sink.of('FAILURE').map((e) => e.failure!.agent_id!.value), [agent.id]);
  t.false(h.master.state.agents.has(asAgentId(agent.id)));
  t.false(h.master.state.unreachableAgents.has(asAgentId(agent.id)));
  t.deepEqual(h.allocator.roleShares().filter((r) => r.allocated.size > 0), [], 'nothing allocated on the gone agent');
  t.deepEqual(h.allocator.allocate(h.time.now()), [], 'nothing to offer');
  // Reconciling a task the master does not know, on the gone agent (Mesos: TASK_GONE_BY_OPERATOR).
  for (const fw of [pa, plain]) h.master.call(fw.id, { type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 'never' }, agent_id: { value: agent.id } }] } });
  t.like(last(pa), { task_id: { value: 'never' }, state: 'TASK_GONE_BY_OPERATOR', reason: 'REASON_RECONCILIATION' });
  t.like(last(plain), { task_id: { value: 'never' }, state: 'TASK_LOST', reason: 'REASON_RECONCILIATION' });
  t.deepEqual(h.master.getAgents().agents ?? [], []);

  // Refused for good, and told to shut down again (Mesos: its first ShutdownAgent may have been lost); the call is idempotent.
  const back = reregister(h.master, agent.id, 'h1');
  t.deepEqual(back.of('shutdown_agent'), [{ message: 'Agent has been marked gone' }]);
  t.regex(back.of('registration_refused')[0]?.message ?? '', /has been marked gone/);
  t.deepEqual(h.master.markAgentGone(agent.id), { ok: true });
  t.is(pa.sink.of('FAILURE').length, 1, 'the second call changes nothing');
});

test('MARK_AGENT_GONE of an unknown agent is 404, of an empty id 400; nothing changes', (t) => {
  const h = harness();
  const agent = h.registerAgent('h1', 'cpus:4;mem:1024');
  t.deepEqual(h.master.markAgentGone('nobody'), { ok: false, status: 404, message: "Agent 'nobody' not found" });
  t.like(h.master.markAgentGone(''), { ok: false, status: 400 });
  t.true(h.master.state.agents.has(asAgentId(agent.id)));
  t.deepEqual(agent.conn.of('shutdown_agent'), []);
});

test('an unreachable agent marked gone: its partition-aware tasks become TASK_GONE_BY_OPERATOR and it may not come back', (t) => {
  const h = harness({ agentPingTimeoutMs: 1000, maxAgentPingTimeouts: 2 });
  const pa = h.subscribe(PA);
  const agent = h.registerAgent('h1', 'cpus:4;mem:1024');
  h.settle();
  launch(h, pa, 't1');
  h.time.advance(2000);
  t.is(pa.sink.updates().at(-1)!.state, 'TASK_UNREACHABLE');
  t.deepEqual(h.master.markAgentGone(agent.id), { ok: true });
  t.like(pa.sink.updates().at(-1)!, { state: 'TASK_GONE_BY_OPERATOR', reason: 'REASON_AGENT_REMOVED_BY_OPERATOR' });
  t.false(h.master.state.unreachableAgents.has(asAgentId(agent.id)));
  t.deepEqual(h.master.getTasks().unreachable_tasks ?? [], []);
  t.deepEqual(h.master.getTasks().completed_tasks?.map((x) => [x.task_id.value, x.state]), [['t1', 'TASK_GONE_BY_OPERATOR']]);
  const back = reregister(h.master, agent.id, 'h1');
  t.regex(back.of('registration_refused')[0]?.message ?? '', /has been marked gone/);
});

function withRegistrar(store: RegistryStore = createMemoryRegistryStore(), awaitElection = false, config: Partial<typeof TEST_CONFIG> = {}) {
  const written: RegistryOperation[] = [];
  const recording: RegistryStore = {
    load: () => store.load(),
    apply: async (ops) => { await store.apply(ops); written.push(...ops); },
    close: () => store.close(),
  };
  const h = harness({ agentReregisterTimeoutMs: 60_000, ...config }, {
    registrar: createRegistrar(recording), awaitElection, idPrefix: `M${Math.random().toString(36).slice(2, 6)}`,
  });
  const { master, flush } = h;
  return { time: h.time, store, master, flush, written };
}

async function admitted(s: ReturnType<typeof withRegistrar>, hostname: string): Promise<{ conn: RecordingAgent; id: AgentId }> {
  const conn = new RecordingAgent('10.0.0.1');
  s.master.agentMessage(conn, { register_agent: { agent_info: { hostname, resources: wire('cpus:4;mem:1024') }, version: 'test', endpoint: `${hostname}:5051` } });
  await s.flush();
  return { conn, id: asAgentId(conn.of('agent_registered')[0].agent_id.value) };
}

test('with a registrar, the agent is gone in the registry before anything else changes; a new leader refuses it', async (t) => {
  const s = await (async () => withRegistrar())();
  const a = await admitted(s, 'h1');
  const out = s.master.markAgentGone(a.id);
  t.true(out.ok && out.written !== undefined);
  t.true(s.master.state.agents.has(a.id), 'nothing changed before the write');
  t.deepEqual(a.conn.of('shutdown_agent'), []);
  t.like(s.master.markAgentGone(a.id), { ok: false, status: 503 }, 'a second call while writing is told to retry');
  await s.flush();
  await (out as { written: Promise<void> }).written;
  t.false(s.master.state.agents.has(a.id));
  t.is(a.conn.of('shutdown_agent').length, 1);
  t.deepEqual([...(await s.store.load()).gone.keys()], [a.id]);
  t.deepEqual(s.master.markAgentGone(a.id), { ok: true }, 'idempotent');

  // A newly elected master over the same registry refuses the agent.
  const next = withRegistrar(s.store, true);
  next.master.recover(await s.store.load());
  const back = reregister(next.master, a.id, 'h1');
  await next.flush();
  t.regex(back.of('registration_refused')[0]?.message ?? '', /has been marked gone/);
  t.deepEqual(next.master.markAgentGone(a.id), { ok: true });
});

test('an agent awaited after a failover can be marked gone; the registry forgets its info', async (t) => {
  const s = withRegistrar();
  const a = await admitted(s, 'h1');
  const next = withRegistrar(s.store, true);
  next.master.recover(await s.store.load());
  const out = next.master.markAgentGone(a.id);
  t.true(out.ok);
  await next.flush();
  const r = await s.store.load();
  t.false(r.admitted.has(a.id));
  t.true(r.gone.has(a.id));
  next.time.advance(60_000);
  await next.flush();
  t.false(next.master.state.unreachableAgents.has(a.id), 'not marked unreachable at the re-registration timeout');
});

test('a re-registration with a changed AgentInfo is stored (UPDATE_AGENT_INFO) before it is answered; an unchanged one writes nothing', async (t) => {
  const s = withRegistrar();
  const a = await admitted(s, 'h1');
  s.written.length = 0;
  const same = reregister(s.master, a.id, 'h1', 'cpus:4;mem:1024');
  t.is(same.of('agent_reregistered').length, 1, 'answered at once');
  await s.flush();
  t.deepEqual(s.written, []);

  const changed = reregister(s.master, a.id, 'h1-renamed', 'cpus:8;mem:1024');
  t.is(changed.of('agent_reregistered').length, 0, 'not answered before the write');
  await s.flush();
  t.is(changed.of('agent_reregistered').length, 1);
  t.deepEqual(s.written.map((o) => o.type), ['UPDATE_AGENT_INFO']);
  const stored = (await s.store.load()).admitted.get(a.id);
  t.is(stored?.hostname, 'h1-renamed');
  t.is(s.master.state.agents.get(a.id)?.info.hostname, 'h1-renamed');

  // After a failover the registry's info is compared too.
  const next = withRegistrar(s.store, true);
  next.master.recover(await s.store.load());
  reregister(next.master, a.id, 'h1-again', 'cpus:8;mem:1024');
  await next.flush();
  t.deepEqual(next.written.map((o) => o.type), ['UPDATE_AGENT_INFO']);
  t.is((await s.store.load()).admitted.get(a.id)?.hostname, 'h1-again');
});

test('a known agent whose changed AgentInfo is being stored is not marked unreachable by a ping timeout meanwhile', async (t) => {
  const s = withRegistrar(undefined, false, { agentPingTimeoutMs: 1000, maxAgentPingTimeouts: 2 });
  const a = await admitted(s, 'h1');
  s.written.length = 0;
  s.master.agentDisconnected(a.conn);
  s.time.advance(1000); // one ping missed
  const back = reregister(s.master, a.id, 'h1-renamed', 'cpus:4;mem:1024');
  s.time.advance(1000); // the second, while UPDATE_AGENT_INFO is written: the agent re-registering is alive
  await s.flush();
  t.is(back.of('agent_reregistered').length, 1);
  t.is(back.closedWith, undefined);
  t.true(s.master.state.agents.get(a.id)?.connected);
  t.false(s.master.state.unreachableAgents.has(a.id));
  const r = await s.store.load();
  t.is(r.admitted.get(a.id)?.hostname, 'h1-renamed', 'the registry holds it admitted, not unreachable');
  t.deepEqual(s.written.map((o) => o.type), ['UPDATE_AGENT_INFO']);
});

test('after a failover, an agent whose changed AgentInfo is being stored at the re-registration timeout is not marked unreachable', async (t) => {
  const s = withRegistrar();
  const a = await admitted(s, 'h1');
  const next = withRegistrar(s.store, true);
  next.master.recover(await s.store.load());
  next.time.advance(59_999);
  const back = reregister(next.master, a.id, 'h1-renamed');
  next.time.advance(1); // --agent_reregister_timeout while UPDATE_AGENT_INFO is written
  await next.flush();
  t.is(back.of('agent_reregistered').length, 1);
  t.true(next.master.state.agents.has(a.id));
  t.false(next.master.state.unreachableAgents.has(a.id));
  const r = await s.store.load();
  t.false(r.unreachable.has(a.id), 'the registry agrees with the books');
  t.is(r.admitted.get(a.id)?.hostname, 'h1-renamed');
});

test('after a failover, an agent whose changed AgentInfo cannot be stored past the re-registration timeout is marked unreachable then', async (t) => {
  const s = withRegistrar();
  const a = await admitted(s, 'h1');
  const refusing: RegistryStore = {
    load: () => s.store.load(),
    apply: async (ops) => {
      if (ops.some((o) => o.type === 'UPDATE_AGENT_INFO')) throw new InvalidRegistryOperationError('UPDATE_AGENT_INFO refused by the test store');
      await s.store.apply(ops);
    },
    close: () => s.store.close(),
  };
  const next = withRegistrar(refusing, true);
  next.master.recover(await s.store.load());
  next.time.advance(59_999);
  const back = reregister(next.master, a.id, 'h1-renamed');
  next.time.advance(1);
  await next.flush();
  t.regex(back.of('registration_refused')[0]?.message ?? '', /could not be stored/);
  await next.flush();
  t.true(next.master.state.unreachableAgents.has(a.id), 'not left awaited for good');
  t.true((await s.store.load()).unreachable.has(a.id));
});

test('operator API: MARK_AGENT_GONE in JSON and protobuf, 404 for an unknown agent, 400 naming the field', async (t) => {
  const h = harness();
  const a1 = h.registerAgent('h1', 'cpus:1;mem:128');
  const a2 = h.registerAgent('h2', 'cpus:1;mem:128');
  const app = createMasterApp({ scheduler: h.master, operator: h.master, logger: false, version: '1.11.0' });
  t.teardown(() => app.close());
  const json = (call: unknown) => app.inject({ method: 'POST', url: '/api/v1', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(call) });

  const ok = await json({ type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: a1.id } } });
  t.is(ok.statusCode, 200, ok.body);
  t.is(ok.body, '');
  t.is(a1.conn.of('shutdown_agent').length, 1);

  const pb = codec<unknown>('mesos.v1.master.Call').encode({ type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: a2.id } } });
  const okPb = await app.inject({ method: 'POST', url: '/api/v1', headers: { 'content-type': 'application/x-protobuf' }, payload: Buffer.from(pb) });
  t.is(okPb.statusCode, 200, okPb.body);
  t.is(a2.conn.of('shutdown_agent').length, 1);

  const again = await json({ type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: a1.id } } });
  t.is(again.statusCode, 200);

  const cases: [call: unknown, status: number, body: string][] = [
    [{ type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: 'nobody' } } }, 404, "Agent 'nobody' not found"],
    [{ type: 'MARK_AGENT_GONE' }, 400, "Failed to validate master::Call: Expecting 'mark_agent_gone' to be present"],
    [{ type: 'MARK_AGENT_GONE', mark_agent_gone: {} }, 400, "Failed to convert JSON into Call protobuf: Missing required field 'mark_agent_gone.agent_id'"],
    [{ type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: '' } } }, 400, "Failed to validate master::Call: Expecting 'mark_agent_gone.agent_id.value' to be non-empty"],
  ];
  for (const [call, status, body] of cases) {
    const r = await json(call);
    t.is(r.statusCode, status, JSON.stringify(call));
    t.is(r.body, body);
  }
});
