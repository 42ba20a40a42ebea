import test from 'ava';
import type { mesos } from '../proto/types.generated.ts';
import { harness, RecordingAgent, wire } from './test-fixtures.ts';
import { createMemoryRegistryStore } from './registry/memory-registry-store.ts';
import { createRegistrar } from './registry/registrar.ts';

const PING = { agentPingTimeoutMs: 1000, maxAgentPingTimeouts: 2 };

/** Lets every agent miss its pings until the master marks it unreachable. */
const partition = (h: ReturnType<typeof harness>) => h.time.advance(2 * PING.agentPingTimeoutMs);

test('unreachable tasks are kept per framework up to max_unreachable_tasks_per_framework, the oldest forgotten first', (t) => {
  const h = harness({ ...PING, maxUnreachableTasksPerFramework: 2 });
  const fw = h.subscribe({ capabilities: [{ type: 'PARTITION_AWARE' }] });
  h.registerAgent('h1', 'cpus:4;mem:1024');
  h.settle();
  const [offer] = fw.sink.offers();
  const task = (id: string): mesos.v1.TaskInfo => ({ name: id, task_id: { value: id }, agent_id: offer.agent_id, resources: wire('cpus:1;mem:64'), command: { value: 'x' } });
  h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [task('a'), task('b'), task('c')] } }] } });
  partition(h);
  t.deepEqual(fw.sink.updates().map((u) => [u.task_id.value, u.state]), [['a', 'TASK_UNREACHABLE'], ['b', 'TASK_UNREACHABLE'], ['c', 'TASK_UNREACHABLE']]);
  t.deepEqual(h.master.getTasks().unreachable_tasks?.map((x) => x.task_id.value), ['b', 'c']);
  // The forgotten one is still answered from the agent's unreachable entry.
  h.master.call(fw.id, { type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 'a' }, agent_id: offer.agent_id }] } });
  t.is(fw.sink.updates().at(-1)!.state, 'TASK_UNREACHABLE');
});

test('unreachable agents are kept up to registry_max_agent_count and for registry_max_agent_age', (t) => {
  const byCount = harness({ ...PING, registryMaxAgentCount: 2 });
  for (const host of ['h1', 'h2', 'h3']) {
    byCount.registerAgent(host, 'cpus:1;mem:128');
    partition(byCount);
  }
  t.deepEqual([...byCount.master.state.unreachableAgents.values()].map((a) => a.info.hostname), ['h2', 'h3']);

  const byAge = harness({ ...PING, registryMaxAgentAgeMs: 60_000 });
  byAge.registerAgent('old', 'cpus:1;mem:128');
  partition(byAge);
  byAge.time.advance(60_000);
  byAge.registerAgent('new', 'cpus:1;mem:128');
  partition(byAge);
  t.deepEqual([...byAge.master.state.unreachableAgents.values()].map((a) => a.info.hostname), ['new']); // 'old' was unreachable for 62 s > 60 s
});

test('defaults as Mesos: 1000 unreachable tasks per framework', (t) => {
  const h = harness(PING);
  const fw = h.subscribe({ capabilities: [{ type: 'PARTITION_AWARE' }] });
  h.registerAgent('h1', 'cpus:2000;mem:100000');
  h.settle();
  const [offer] = fw.sink.offers();
  const tasks: mesos.v1.TaskInfo[] = Array.from({ length: 1005 }, (_, i) => ({ name: 't', task_id: { value: `t${i}` }, agent_id: offer.agent_id, resources: wire('cpus:1;mem:8'), command: { value: 'x' } }));
  h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: tasks } }] } });
  partition(h);
  t.is(h.master.getTasks().unreachable_tasks?.length, 1000);
});

/** A ReregisterAgent for `id` on a new connection; whether the master admitted it. */
function reregisters(h: ReturnType<typeof harness>, id: string, host: string): boolean {
  const c = new RecordingAgent('10.0.0.9');
  h.master.agentMessage(c, { reregister_agent: { agent_info: { id: { value: id }, hostname: host, resources: wire('cpus:1;mem:128') }, version: 'test', endpoint: `${host}:5051` } });
  return c.of('agent_reregistered').length === 1;
}

test('gone agents are kept up to registry_max_agent_count and for registry_max_agent_age too (Mesos prunes both lists); a pruned one may register again', (t) => {
  const byCount = harness({ registryMaxAgentCount: 2 });
  const ids: string[] = [];
  for (const host of ['g1', 'g2', 'g3']) {
    const a = byCount.registerAgent(host, 'cpus:1;mem:128');
    ids.push(a.id);
    t.deepEqual(byCount.master.markAgentGone(a.id), { ok: true });
    byCount.time.advance(1000);
  }
  // The oldest is unknown again: its re-registration is admitted; the two newest stay refused.
  t.deepEqual([reregisters(byCount, ids[0], 'g1'), reregisters(byCount, ids[1], 'g2'), reregisters(byCount, ids[2], 'g3')], [true, false, false]);

  const byAge = harness({ registryMaxAgentAgeMs: 60_000 });
  const old = byAge.registerAgent('old', 'cpus:1;mem:128');
  byAge.master.markAgentGone(old.id);
  byAge.time.advance(61_000);
  const young = byAge.registerAgent('young', 'cpus:1;mem:128');
  byAge.master.markAgentGone(young.id);
  t.deepEqual([reregisters(byAge, old.id, 'old'), reregisters(byAge, young.id, 'young')], [true, false]);
});

test('the registry GC forgets old unreachable and gone agents every registry_gc_interval, with no agent marked meanwhile; its timer stops with the master', async (t) => {
  const store = createMemoryRegistryStore();
  // GC every 10 s; agents kept 60 s.
  const h = harness({ ...PING, registryMaxAgentAgeMs: 60_000, registryGcIntervalMs: 10_000 }, { registrar: createRegistrar(store) });
  h.registerAgent('u1', 'cpus:1;mem:128');
  await h.flush();
  partition(h); // u1 unreachable at +2 s
  await h.flush();
  const g = h.registerAgent('g1', 'cpus:1;mem:128');
  await h.flush();
  const gId = g.conn.of('agent_registered')[0].agent_id.value;
  const gone = h.master.markAgentGone(gId);
  await h.flush();
  await (gone.ok ? gone.written : undefined);
  let r = await store.load();
  t.is(r.unreachable.size, 1);
  t.deepEqual([...r.gone.keys()], [gId]);

  h.time.advance(60_000); // 58 s unreachable: kept
  await h.flush();
  t.is(h.master.state.unreachableAgents.size, 1);
  h.time.advance(10_000); // the next GC: 68 s > 60 s
  await h.flush();
  t.is(h.master.state.unreachableAgents.size, 0);
  reregisters(h, gId, 'g1'); // answered once stored
  await h.flush();
  t.true(h.master.state.agents.has(gId as never), 'a forgotten gone agent may register again');
  r = await store.load();
  t.is(r.unreachable.size, 0);
  t.false(r.gone.has(gId as never));

  h.master.stop();
  t.is(h.time.pending(), 0, 'no timer left, the GC included');
});
