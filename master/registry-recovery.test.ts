/**
 * The master with a registrar (master/registry, the in-memory store behind the real registrar):
 * what is stored before the master acts, and how a newly elected master recovers from the
 * registry. Time is the manual clock; the registrar's writes are real promises, flushed by
 * `flush()`.
 */
import test from 'ava';
import { createAllocator } from './allocator/index.ts';
import { asAgentId, asFrameworkId, asStreamId, type AgentId } from '../common/ids.ts';
import { silentLogger } from '../common/ports.ts';
import { Master } from './master.ts';
import { createIdGenerator } from './ports.ts';
import { createMemoryRegistryStore } from './registry/memory-registry-store.ts';
import { createRegistrar } from './registry/registrar.ts';
import type { RegistryOperation } from './registry/registry.ts';
import type { RegistryStore } from './registry/registry-store.ts';
import { ManualTime, RecordingAgent, RecordingSink, TEST_CONFIG, wire } from './test-fixtures.ts';

function setup(opts: { awaitElection?: boolean; store?: RegistryStore } = {}) {
  const time = new ManualTime();
  const store = opts.store ?? createMemoryRegistryStore();
  const written: RegistryOperation['type'][] = [];
  const recording: RegistryStore = {
    load: () => store.load(),
    apply: async (ops) => {
      await store.apply(ops);
      written.push(...ops.map((o) => o.type));
    },
    close: () => store.close(),
  };
  const registrar = createRegistrar(recording);
  const failures: Error[] = [];
  const master = new Master({
    clock: time, timers: time, ids: createIdGenerator(`M${Math.random().toString(36).slice(2, 6)}`), logger: silentLogger,
    allocator: createAllocator({ seed: 7 }), config: { ...TEST_CONFIG, agentReregisterTimeoutMs: 60_000 },
    registrar, awaitElection: opts.awaitElection, onRegistryFailure: (e) => failures.push(e),
  });
  if (!opts.awaitElection) master.start();
  /** Lets the registrar write what is queued and the master act on it. */
  const flush = async () => {
    for (let i = 0; i < 3; i++) {
      await registrar.drain();
      await new Promise((r) => setImmediate(r));
      time.advance(0);
    }
  };
  return { time, store, master, flush, written, failures };
}

const register = (master: Master, hostname: string) => {
  const conn = new RecordingAgent('10.0.0.1');
  master.agentMessage(conn, { register_agent: { agent_info: { hostname, resources: wire('cpus:4;mem:4096') }, version: 'test', endpoint: `${hostname}:5051` } });
  return conn;
};

test('an agent is admitted only once the registry holds it', async (t) => {
  const s = setup();
  const conn = register(s.master, 'h1');
  t.deepEqual(conn.of('agent_registered'), [], 'nothing answered before the write');
  t.is(s.master.state.agents.size, 0);
  await s.flush();
  const [registered] = conn.of('agent_registered');
  t.truthy(registered);
  const id = asAgentId(registered.agent_id.value);
  t.true(s.master.state.agents.has(id));
  t.deepEqual(s.written, ['ADMIT_AGENT']);
  t.is((await s.store.load()).admitted.get(id)?.hostname, 'h1');
});

test('an agent whose connection closed while it was being admitted is admitted and disconnected', async (t) => {
  const s = setup();
  const conn = register(s.master, 'h1');
  s.master.agentDisconnected(conn);
  await s.flush();
  const [agent] = s.master.state.agents.values();
  t.false(agent.connected);
  t.is((await s.store.load()).admitted.size, 1);
});

test('unreachable is stored first; a re-registration meanwhile is refused, and a later one stores it reachable', async (t) => {
  const s = setup();
  const conn = register(s.master, 'h1');
  await s.flush();
  const id = conn.of('agent_registered')[0].agent_id.value;
  // Five ping intervals without a Pong.
  s.time.advance(TEST_CONFIG.agentPingTimeoutMs * TEST_CONFIG.maxAgentPingTimeouts);
  t.true(s.master.state.agents.has(asAgentId(id)), 'still registered while the write is pending');
  const early = new RecordingAgent();
  s.master.agentMessage(early, { reregister_agent: { agent_info: { id: { value: id }, hostname: 'h1', resources: wire('cpus:4;mem:4096') }, version: 'test' } });
  t.regex(early.of('registration_refused')[0]?.message ?? '', /being marked unreachable/);
  await s.flush();
  t.false(s.master.state.agents.has(asAgentId(id)));
  t.true(s.master.state.unreachableAgents.has(asAgentId(id)));
  t.deepEqual([...(await s.store.load()).unreachable.keys()], [id]);

  const back = new RecordingAgent();
  s.master.agentMessage(back, { reregister_agent: { agent_info: { id: { value: id }, hostname: 'h1', resources: wire('cpus:4;mem:4096') }, version: 'test' } });
  t.deepEqual(back.of('agent_reregistered'), []);
  await s.flush();
  t.is(back.of('agent_reregistered').length, 1);
  t.deepEqual(s.written, ['ADMIT_AGENT', 'MARK_AGENT_UNREACHABLE', 'MARK_AGENT_REACHABLE']);
  t.deepEqual([...(await s.store.load()).admitted.keys()], [id]);
});

test('weights and quota are applied once stored, and the answer waits for the write', async (t) => {
  const s = setup();
  const outcome = s.master.updateWeights([{ role: 'web', weight: 3 }]);
  t.true(outcome.ok && outcome.written !== undefined);
  t.deepEqual(s.master.getWeights().weight_infos, [], 'not applied before the write');
  const quota = s.master.updateQuota([{ role: 'web', guarantees: { cpus: 1 }, limits: { cpus: 2 } }]);
  await s.flush();
  if (outcome.ok) await outcome.written;
  if (quota.ok) await quota.written;
  t.deepEqual(s.master.getWeights().weight_infos, [{ role: 'web', weight: 3 }]);
  const stored = await s.store.load();
  t.deepEqual([...stored.weights], [['web', 3]]);
  t.deepEqual(stored.quotas.get('web'), { guarantees: { cpus: 1 }, limits: { cpus: 2 } });
  // A rejected call stores nothing.
  t.like(s.master.updateWeights([{ role: 'web', weight: -1 }]), { ok: false, status: 400 });
  await s.flush();
  t.deepEqual(s.written, ['UPDATE_WEIGHTS', 'UPDATE_QUOTA']);
});

test('a newly elected master recovers the registry: agents re-register with their ids and tasks, the framework with its id; weights, quota stay; missing agents become unreachable after the timeout', async (t) => {
  // The old leader: two agents, a framework with a task on the first, weights and quota.
  const old = setup();
  const a = register(old.master, 'a');
  const b = register(old.master, 'b');
  const sink = new RecordingSink();
  const sub = old.master.subscribe({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'root', name: 'fw', failover_timeout: 3600, capabilities: [{ type: 'PARTITION_AWARE' }] } } }, sink, asStreamId('s1'), undefined);
  t.true(sub.ok);
  const frameworkId = sub.ok ? sub.frameworkId : asFrameworkId('');
  const w = old.master.updateWeights([{ role: 'web', weight: 2 }]);
  const q = old.master.updateQuota([{ role: 'web', guarantees: { cpus: 1 }, limits: { cpus: 3 } }]);
  await old.flush();
  if (w.ok) await w.written;
  if (q.ok) await q.written;
  const aId = a.of('agent_registered')[0].agent_id.value;
  const bId = b.of('agent_registered')[0].agent_id.value;
  old.master.stop();

  // The new leader on the same registry: a follower until elected.
  const s = setup({ awaitElection: true, store: old.store });
  t.false(s.master.leading);
  const early = new RecordingAgent();
  s.master.agentMessage(early, { reregister_agent: { agent_info: { id: { value: aId }, hostname: 'a', resources: wire('cpus:4;mem:4096') }, version: 'test' } });
  t.is(early.of('registration_refused')[0]?.message, 'Not the leading master');

  s.master.recover(await s.store.load());
  s.master.start();
  t.true(s.master.leading);
  t.deepEqual(s.master.getAgents().recovered_agents?.map((i) => i.id?.value).sort(), [aId, bId].sort());
  t.deepEqual(s.master.getFrameworks().recovered_frameworks?.map((f) => f.id?.value), [frameworkId]);
  t.deepEqual(s.master.getWeights().weight_infos, [{ role: 'web', weight: 2 }]);
  t.deepEqual(s.master.getQuota().status.configs, [{ role: 'web', guarantees: { cpus: { value: 1 } }, limits: { cpus: { value: 3 } } }]);

  // Agent a comes back with its task: admitted already, nothing to store.
  const task = { name: 't', task_id: { value: 't1' }, framework_id: { value: frameworkId }, agent_id: { value: aId }, state: 'TASK_RUNNING' as const, resources: wire('cpus:1;mem:128') };
  const a2 = new RecordingAgent();
  s.master.agentMessage(a2, { reregister_agent: {
    agent_info: { id: { value: aId }, hostname: 'a', resources: wire('cpus:4;mem:4096') }, version: 'test',
    tasks: [task], frameworks: [{ user: 'root', name: 'fw', id: { value: frameworkId } }],
  } });
  t.is(a2.of('agent_reregistered')[0]?.agent_id.value, aId);
  t.deepEqual(s.written, []);

  // The framework re-subscribes with its id and finds its task.
  const sink2 = new RecordingSink();
  const again = s.master.subscribe({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'root', name: 'fw', id: { value: frameworkId }, failover_timeout: 3600, capabilities: [{ type: 'PARTITION_AWARE' }] } } }, sink2, asStreamId('s2'), undefined);
  t.deepEqual(again, { ok: true, frameworkId });
  t.is(s.master.state.frameworks.get(frameworkId)?.tasks.get('t1' as never)?.task.state, 'TASK_RUNNING');

  // b never returns: unreachable once the timeout passed and the registry holds it.
  s.time.advance(59_000);
  await s.flush();
  t.false(s.master.state.unreachableAgents.has(bId as AgentId));
  s.time.advance(1_000);
  await s.flush();
  t.true(s.master.state.unreachableAgents.has(bId as AgentId));
  t.deepEqual(s.master.getAgents().recovered_agents, []);
  t.deepEqual(sink2.of('FAILURE').map((e) => e.failure?.agent_id?.value), [bId]);
  const stored = await s.store.load();
  t.deepEqual([...stored.unreachable.keys()], [bId]);
  t.deepEqual([...stored.admitted.keys()], [aId]);
  t.is(s.master.metrics()['master/slaves_unreachable'], 1);
});

test('a framework removed before the failover may not subscribe again with its id', async (t) => {
  const old = setup();
  const sub = old.master.subscribe({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'root', name: 'fw' } } }, new RecordingSink(), asStreamId('s1'), undefined);
  const frameworkId = sub.ok ? sub.frameworkId : '';
  t.true(old.master.teardown(frameworkId).ok);
  await old.flush();
  old.master.stop();
  const s = setup({ awaitElection: true, store: old.store });
  s.master.recover(await s.store.load());
  const again = s.master.subscribe({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'root', name: 'fw', id: { value: frameworkId } } } }, new RecordingSink(), asStreamId('s2'), undefined);
  t.like(again, { ok: false, status: 200, message: 'Framework has been removed' });
});

test('a failed registry write ends the master (onRegistryFailure); the agent is not admitted', async (t) => {
  const store = createMemoryRegistryStore();
  const failing: RegistryStore = { load: () => store.load(), apply: async () => { throw new Error('connection terminated'); }, close: async () => {} };
  const s = setup({ store: failing });
  const conn = register(s.master, 'h1');
  await s.flush();
  t.is(s.failures[0]?.message, 'connection terminated');
  t.is(s.master.state.agents.size, 0);
  t.regex(conn.of('registration_refused')[0]?.message ?? '', /could not be stored/);
});
