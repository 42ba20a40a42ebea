/**
 * Maintenance in a real Master (test harness: manual clock, recording agents and streams): what a
 * schedule, machine down and machine up do to agents, tasks, offers and inverse offers.
 */
import test from 'ava';
import { harness, ManualTime, RecordingAgent, TEST_CONFIG, wire } from '../test-fixtures.ts';
import { createAllocator } from '../allocator/index.ts';
import { Master } from '../master.ts';
import { silentLogger } from '../../common/ports.ts';
import { createIdGenerator } from '../ports.ts';
import type { MaintenanceStore } from './maintenance-store.ts';
import type { MaintenanceState } from './maintenance.ts';
import type { AgentId } from '../../common/ids.ts';
import { createMemoryRegistryStore } from '../registry/memory-registry-store.ts';
import { createRegistrar } from '../registry/registrar.ts';

const hostA = { hostname: 'host-a', ip: '10.1.0.1' };
const unavailability = { start: { nanoseconds: 9e18 }, duration: { nanoseconds: 3600e9 } };

function cluster(capabilities: Array<{ type: 'PARTITION_AWARE' }> = []) {
  const h = harness();
  const fw = h.subscribe({ name: 'fw', capabilities });
  const a = h.registerAgent('host-a', 'cpus:4;mem:4096', {}, '10.1.0.1');
  const b = h.registerAgent('host-b', 'cpus:4;mem:4096', {}, '10.1.0.2');
  h.settle();
  const offer = fw.sink.offers().find((o) => o.hostname === 'host-a')!;
  h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [{
    name: 't1', task_id: { value: 't1' }, agent_id: offer.agent_id, resources: wire('cpus:1;mem:128'), command: { value: 'sleep 1000' },
  }] } }] } });
  h.settle();
  return { h, fw, a, b };
}

test('machine down: the agent is told to shut down and removed; partition-aware tasks are TASK_GONE_BY_OPERATOR', (t) => {
  const { h, fw, a } = cluster([{ type: 'PARTITION_AWARE' }]);
  t.true(h.master.updateMaintenanceSchedule({ windows: [{ machine_ids: [hostA], unavailability }] }).ok);
  t.true(h.master.startMaintenance([hostA]).ok);
  t.deepEqual(a.conn.of('shutdown_agent'), [{ message: "Operator initiated 'Machine DOWN'" }]);
  t.is(a.conn.closedWith, 'machine DOWN');
  const [gone] = fw.sink.updates().filter((s) => s.task_id.value === 't1');
  t.like(gone, { state: 'TASK_GONE_BY_OPERATOR', reason: 'REASON_AGENT_REMOVED_BY_OPERATOR', source: 'SOURCE_MASTER' });
  t.false(h.master.state.agents.has(a.id as never));
  t.is(h.master.getAgents().agents?.length, 1);
  t.deepEqual(h.master.getMaintenanceStatus(), { down_machines: [hostA] });
});

test('an agent on a DOWN machine is refused (register and re-register) with a shutdown until machine up', (t) => {
  const { h, a } = cluster();
  h.master.updateMaintenanceSchedule({ windows: [{ machine_ids: [hostA], unavailability }] });
  h.master.startMaintenance([hostA]);
  const again = h.registerAgent('host-a', 'cpus:4;mem:4096', {}, '10.1.0.1');
  t.is(again.id, '');
  t.deepEqual(again.conn.of('shutdown_agent'), [{ message: 'Machine is `DOWN`' }]);
  t.deepEqual(again.conn.of('registration_refused'), [{ message: 'Machine is `DOWN`' }]);
  const reconnect = new RecordingAgent('10.1.0.1');
  h.master.agentMessage(reconnect, { reregister_agent: { agent_info: { id: { value: a.id }, hostname: 'host-a', resources: wire('cpus:4;mem:4096') }, version: 'test', endpoint: 'host-a:5051' } });
  t.deepEqual(reconnect.of('registration_refused'), [{ message: 'Machine is `DOWN`' }]);
  t.is(reconnect.of('agent_reregistered').length, 0);
  const other = h.registerAgent('host-a', 'cpus:4;mem:4096', {}, '10.1.0.9');
  t.not(other.id, '', 'same hostname, another IP: another machine');
  t.true(h.master.stopMaintenance([hostA]).ok);
  const back = h.registerAgent('host-a', 'cpus:4;mem:4096', {}, '10.1.0.1');
  t.not(back.id, '');
  t.not(back.id, a.id);
  t.deepEqual(h.master.getMaintenanceSchedule(), {});
});

test('inverse offers: sent for DRAINING agents the framework uses, answers recorded, none again before the filter ends, rescinded on UP', (t) => {
  const { h, fw, a } = cluster();
  h.master.updateMaintenanceSchedule({ windows: [{ machine_ids: [hostA, { hostname: 'host-b', ip: '10.1.0.2' }], unavailability }] });
  h.settle();
  const inverse = fw.sink.of('INVERSE_OFFERS').flatMap((e) => e.inverse_offers!.inverse_offers ?? []);
  t.is(inverse.length, 1, 'only host-a runs a task of the framework');
  t.like(inverse[0], { agent_id: { value: a.id }, unavailability });
  t.is(h.master.getMaintenanceStatus().draining_machines?.[0].statuses?.[0].status, 'UNKNOWN');
  h.time.advance(5000);
  t.is(fw.sink.of('INVERSE_OFFERS').length, 1, 'one outstanding inverse offer per agent and framework');

  h.master.call(fw.id, { type: 'ACCEPT_INVERSE_OFFERS', accept_inverse_offers: { inverse_offer_ids: [inverse[0].id], filters: { refuse_seconds: 60 } } });
  t.is(h.master.getMaintenanceStatus().draining_machines?.[0].statuses?.[0].status, 'ACCEPT');
  h.time.advance(59_000);
  t.is(fw.sink.of('INVERSE_OFFERS').length, 1, 'refused for 60 s');
  h.time.advance(2000);
  t.is(fw.sink.of('INVERSE_OFFERS').length, 2, 'offered again once the filter ended');
  const second = fw.sink.of('INVERSE_OFFERS')[1].inverse_offers!.inverse_offers![0];
  t.is(h.master.getMaintenanceStatus().draining_machines?.[0].statuses?.[0].status, 'ACCEPT', 'the latest answer stays until the next');

  // Taken out of the schedule: the outstanding inverse offer is rescinded and the answers forgotten.
  h.master.updateMaintenanceSchedule({});
  t.deepEqual(fw.sink.of('RESCIND_INVERSE_OFFER').map((e) => e.rescind_inverse_offer!.inverse_offer_id), [second.id]);
  t.deepEqual(h.master.getMaintenanceStatus(), {});
  h.settle();
  t.is(fw.sink.offers().filter((o) => o.hostname === 'host-a').at(-1)?.unavailability, undefined);
});

test('an unknown inverse offer id in ACCEPT_INVERSE_OFFERS is ignored (202), nothing recorded', (t) => {
  const { h, fw } = cluster();
  const out = h.master.call(fw.id, { type: 'DECLINE_INVERSE_OFFERS', decline_inverse_offers: { inverse_offer_ids: [{ value: 'nope' }] } });
  t.true(out.ok);
  t.deepEqual(h.master.getMaintenanceStatus(), {});
});

test('with a store: each change is saved before it acts, the next is checked against it, a failed save is undone', async (t) => {
  const saves: Array<{ state: MaintenanceState; resolve: () => void; reject: (e: Error) => void }> = [];
  const store: MaintenanceStore = {
    load: async () => { throw new Error('not used'); },
    save: (state) => new Promise<void>((resolve, reject) => { saves.push({ state, resolve, reject }); }),
  };
  const time = new ManualTime();
  const master = new Master({ clock: time, timers: time, ids: createIdGenerator('M'), logger: silentLogger, allocator: createAllocator({ seed: 1 }), config: TEST_CONFIG, maintenanceStore: store });
  const conn = new RecordingAgent('10.1.0.1');
  master.agentMessage(conn, { register_agent: { agent_info: { hostname: 'host-a', resources: wire('cpus:1;mem:128') }, version: 'test', endpoint: 'host-a:5051' } });
  const first = master.updateMaintenanceSchedule({ windows: [{ machine_ids: [hostA], unavailability }] });
  const second = master.startMaintenance([hostA]);
  t.true(first.ok && first.written !== undefined);
  t.true(second.ok && second.written !== undefined, 'checked against the first change, not yet stored');
  t.is(conn.of('shutdown_agent').length, 0, 'nothing acts before the write');
  const flush = () => new Promise((r) => setImmediate(r));
  await flush();
  t.is(saves.length, 1, 'whole states are saved one after another, in order');
  saves[0].resolve();
  await flush();
  t.is(saves.length, 2);
  t.is(saves[1].state.machines.size, 1);
  saves[1].resolve();
  await flush(); // the saves' continuations schedule the effects on the master's timers
  time.advance(0);
  await (first.ok ? first.written : undefined);
  await (second.ok ? second.written : undefined);
  t.deepEqual(master.getMaintenanceStatus(), { down_machines: [hostA] }, 'the later change stays in the books');
  t.deepEqual(conn.of('shutdown_agent'), [{ message: "Operator initiated 'Machine DOWN'" }]);

  const failed = master.stopMaintenance([hostA]);
  await flush();
  saves[2].reject(new Error('database gone'));
  await t.throwsAsync(failed.ok ? failed.written! : Promise.resolve(), { message: 'database gone' });
  t.deepEqual(master.getMaintenanceStatus(), { down_machines: [hostA] }, 'undone');
  master.stop();
});

test('with a registrar, machine DOWN takes the agent out of the registry (REMOVE_AGENT) before it acts; a new leader does not await it', async (t) => {
  const store = createMemoryRegistryStore();
  const h = harness({ agentReregisterTimeoutMs: 60_000, agentPingTimeoutMs: 1000, maxAgentPingTimeouts: 1 }, { registrar: createRegistrar(store) });
  const a = h.registerAgent('host-a', 'cpus:4;mem:4096', {}, '10.1.0.1');
  const b = h.registerAgent('host-b', 'cpus:4;mem:4096', {}, '10.1.0.2');
  await h.flush();
  const aId = a.conn.of('agent_registered')[0].agent_id.value as AgentId;
  const bId = b.conn.of('agent_registered')[0].agent_id.value as AgentId;
  t.deepEqual([...(await store.load()).admitted.keys()].sort(), [aId, bId].sort());

  t.true(h.master.updateMaintenanceSchedule({ windows: [{ machine_ids: [hostA], unavailability }] }).ok);
  const down = h.master.startMaintenance([hostA]);
  t.true(down.ok && down.written !== undefined, 'answered once the removal is stored');
  t.deepEqual(a.conn.of('shutdown_agent'), [], 'nothing acts before the write');
  t.true(h.master.state.agents.has(aId));
  t.like(h.master.markAgentGone(aId), { ok: false, status: 503, message: `Agent '${aId}' is being removed` });
  // Its pings time out meanwhile (host-b answers its own): it is not marked unreachable behind the removal.
  h.master.agentMessage(b.conn, { pong: { sequence: b.conn.of('ping').at(-1)!.sequence } });
  h.time.advance(1000);
  await h.flush();
  await (down.ok ? down.written : undefined);
  t.deepEqual(a.conn.of('shutdown_agent'), [{ message: "Operator initiated 'Machine DOWN'" }]);
  t.false(h.master.state.agents.has(aId));
  t.false(h.master.state.unreachableAgents.has(aId));
  const r = await store.load();
  t.deepEqual([...r.admitted.keys()], [bId], 'the registry no longer lists it as admitted');
  t.false(r.unreachable.has(aId));
  t.false(r.gone.has(aId), 'removed, not gone');

  // A master elected now awaits only host-b; after the re-registration timeout host-a is not unreachable either.
  const { time, master: next } = harness({ agentReregisterTimeoutMs: 60_000 }, { registrar: createRegistrar(store), awaitElection: true, idPrefix: 'N' });
  next.recover(await store.load());
  t.deepEqual(next.getAgents().recovered_agents?.map((i) => i.id?.value), [bId]);
  time.advance(60_000);
  for (let i = 0; i < 3; i++) { await new Promise((res) => setImmediate(res)); time.advance(0); }
  t.deepEqual([...next.state.unreachableAgents.keys()], [bId]);
  next.stop();
  h.master.stop();
});

test('an agent removed by machine DOWN that re-registers with its id after machine UP (its ShutdownAgent was lost) is shut down, not admitted with the tasks its frameworks were told were lost (as Mesos)', (t) => {
  const { h, fw, a } = cluster();
  h.master.updateMaintenanceSchedule({ windows: [{ machine_ids: [hostA], unavailability }] });
  t.true(h.master.startMaintenance([hostA]).ok);
  t.like(fw.sink.updates().find((s) => s.task_id.value === 't1'), { state: 'TASK_LOST', reason: 'REASON_AGENT_REMOVED_BY_OPERATOR' });
  t.true(h.master.stopMaintenance([hostA]).ok);
  const reconnect = new RecordingAgent('10.1.0.1');
  h.master.agentMessage(reconnect, { reregister_agent: {
    agent_info: { id: { value: a.id }, hostname: 'host-a', resources: wire('cpus:4;mem:4096') }, version: 'test', endpoint: 'host-a:5051',
    tasks: [{ name: 't1', task_id: { value: 't1' }, framework_id: { value: fw.id }, agent_id: { value: a.id }, state: 'TASK_RUNNING', resources: wire('cpus:1;mem:128') }],
  } });
  h.settle();
  t.deepEqual(reconnect.of('shutdown_agent'), [{ message: 'Agent attempted to re-register after removal' }]);
  t.is(reconnect.of('agent_reregistered').length, 0);
  t.false(h.master.state.agents.has(a.id as never));
  // A new agent of the machine (a restart after the shutdown: a new id) registers as usual.
  t.not(h.registerAgent('host-a', 'cpus:4;mem:4096', {}, '10.1.0.1').id, '');
});
