// The master UI's views over a real Master driven through its entry points (test harness: manual
// clock, recording agents and framework streams), plus the allocation ring and the change signal.
import test from 'ava';
import { harness, RecordingAgent, wire } from '../test-fixtures.ts';
import { createUiViews, totalsFromAllocator, type UiSources } from './views.ts';
import { AllocationHistory } from './allocation-history.ts';
import { isVisibleChange, mayChange, observeCalls, READ_ONLY_METHODS } from './change-signal.ts';
import { Master as MasterClass } from '../master.ts';
import type { Master } from '../master.ts';
import { asAgentId, type OfferId } from '../../common/ids.ts';
import { emptyRegistry } from '../registry/registry.ts';

const page = { offset: 0, limit: 50, filter: '', sort: 'id', desc: false };

function viewsOf(h: ReturnType<typeof harness>, seen = new Map<OfferId, number>()) {
  const src: UiSources = {
    state: h.master.state,
    master: { id: 'M', hostname: 'master.test', version: 'v', startedAt: 0 },
    roleDetails: () => h.master.getRoleDetails(),
    roleShares: () => h.allocator.roleShares(),
    frameworkShare: (id) => h.allocator.frameworkShare(id),
    offerSeen: seen,
    history: () => [],
    now: 5000,
    maintenance: h.master.maintenance,
    recoveredAgents: h.master.recoveredAgents(),
  };
  return createUiViews(src);
}

function cluster() {
  const h = harness();
  const fw = h.subscribe({ name: 'web-fw', roles: ['web'], capabilities: [{ type: 'MULTI_ROLE' }] });
  const a = h.registerAgent('host-a', 'cpus:4;mem:4096;disk:1000', { agent_info: { hostname: 'host-a', resources: wire('cpus:4;mem:4096;disk:1000'), attributes: [{ name: 'rack', type: 'TEXT', text: { value: 'r1' } }] } });
  const b = h.registerAgent('host-b', 'cpus:2;mem:2048;disk:1000');
  h.settle();
  return { h, fw, a, b };
}

test('overview: totals split into allocated, offered and idle; counts; per role', (t) => {
  const { h, fw } = cluster();
  const [offer] = fw.sink.offers().filter((o) => o.hostname === 'host-a');
  const res = (text: string) => wire(text).map((r) => ({ ...r, allocation_info: { role: 'web' } }));
  const out = h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [{ name: 'web-1', task_id: { value: 't1' }, agent_id: offer.agent_id, resources: res('cpus:1;mem:512'), command: { value: 'sleep 1' } }] } }], filters: { refuse_seconds: 3600 } } });
  t.true(out.ok);
  h.settle();
  const o = viewsOf(h).overview();
  t.deepEqual(o.totals.total, { cpus: 6, mem: 6144, disk: 2000, gpus: 0 });
  t.deepEqual(o.totals.allocated, { cpus: 1, mem: 512, disk: 0, gpus: 0 });
  // host-a's remainder is declined for an hour; host-b is still offered.
  t.deepEqual(o.totals.offered, { cpus: 2, mem: 2048, disk: 1000, gpus: 0 });
  t.deepEqual(o.totals.idle, { cpus: 3, mem: 3584, disk: 1000, gpus: 0 });
  t.deepEqual(o.agents, { active: 2, deactivated: 0, disconnected: 0, unreachable: 0, recovered: 0 });
  t.deepEqual(o.tasks, { TASK_STAGING: 1 });
  t.is(o.offers, 1);
  t.deepEqual(o.roles, [{ role: 'web', allocated: { cpus: 1, mem: 512, disk: 0, gpus: 0 }, offered: { cpus: 2, mem: 2048, disk: 1000, gpus: 0 } }]);
});

test('offers: every outstanding offer with framework and agent names; gone once declined', (t) => {
  const { h, fw } = cluster();
  const offers = fw.sink.offers();
  t.is(offers.length, 2);
  const seen = new Map<OfferId, number>([[offers[0].id.value as OfferId, 1000]]);
  const p1 = viewsOf(h, seen).offers({ ...page, sort: 'agent' });
  t.is(p1.total, 2);
  t.deepEqual(p1.rows.map((r) => [r.hostname, r.frameworkName, r.role]), [['host-a', 'web-fw', 'web'], ['host-b', 'web-fw', 'web']]);
  t.is(p1.rows.find((r) => r.id === offers[0].id.value)?.createdAt, 1000);
  t.is(viewsOf(h).offers({ ...page, filter: 'host-b' }).total, 1);
  h.master.call(fw.id, { type: 'DECLINE', decline: { offer_ids: [offers[0].id], filters: { refuse_seconds: 3600 } } });
  const p2 = viewsOf(h).offers(page);
  t.deepEqual(p2.rows.map((r) => r.id), [offers[1].id.value]);
});

test('agents and maintenance: resources, attributes, tasks, reachability; filtered and sorted on the server', (t) => {
  const { h } = cluster();
  const v = viewsOf(h);
  const all = v.agents({ ...page, sort: 'cpus', desc: true });
  t.deepEqual(all.rows.map((r) => [r.hostname, r.total.cpus, r.status, r.mode]), [['host-a', 4, 'active', 'UP'], ['host-b', 2, 'active', 'UP']]);
  t.is(all.rows[0].attributes, 'rack:r1');
  t.deepEqual(all.rows[0].offered, { cpus: 4, mem: 4096, disk: 1000, gpus: 0 });
  const filtered = v.agents({ ...page, filter: 'rack:r1' });
  t.deepEqual(filtered.rows.map((r) => r.hostname), ['host-a']);
  t.is(filtered.total, 1);
  const m = v.maintenance({ ...page, sort: 'hostname' });
  t.like(m, { windows: 0, up: 2, draining: 0, down: 0, unreachable: 0, total: 2 });
});

test('maintenance modes: a scheduled machine is DRAINING with its window, DOWN without its agent, UP again after machine up', (t) => {
  const { h, fw } = cluster();
  const hostA = { hostname: 'host-a' };
  const unavailability = { start: { nanoseconds: 7200e9 }, duration: { nanoseconds: 600e9 } };
  t.true(h.master.updateMaintenanceSchedule({ windows: [{ machine_ids: [hostA], unavailability }] }).ok);
  h.settle();
  let v = viewsOf(h);
  t.deepEqual(v.agents({ ...page, sort: 'hostname' }).rows.map((r) => [r.hostname, r.mode]), [['host-a', 'DRAINING'], ['host-b', 'UP']]);
  let m = v.maintenance({ ...page, sort: 'hostname' });
  t.like(m, { windows: 1, up: 1, draining: 1, down: 0, total: 2 });
  t.deepEqual(m.rows[0].window, { start: 7_200_000, durationMs: 600_000 }); // ms: 7200 s and 600 s
  t.deepEqual(fw.sink.offers().filter((o) => o.hostname === 'host-a').at(-1)?.unavailability, unavailability);

  t.true(h.master.startMaintenance([hostA]).ok);
  v = viewsOf(h);
  m = v.maintenance({ ...page, sort: 'hostname' });
  t.like(m, { windows: 1, up: 1, draining: 0, down: 1, total: 2 });
  t.like(m.rows[0], { hostname: 'host-a', agentId: '', mode: 'DOWN', status: 'none' });
  t.deepEqual(v.maintenance({ ...page, filter: 'down' }).rows.map((r) => r.hostname), ['host-a']);

  t.true(h.master.stopMaintenance([hostA]).ok);
  h.registerAgent('host-a', 'cpus:4;mem:4096;disk:1000');
  m = viewsOf(h).maintenance({ ...page, sort: 'hostname' });
  t.like(m, { windows: 0, up: 2, draining: 0, down: 0, total: 2 });
});

test('tasks: scopes, filter, framework and agent parameters, sandbox path', (t) => {
  const { h, fw } = cluster();
  const launchOn = (host: string, ids: string[]) => {
    const offer = fw.sink.offers().filter((o) => o.hostname === host).at(-1)!;
    const res = (text: string) => wire(text).map((r) => ({ ...r, allocation_info: { role: 'web' } }));
    h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: ids.map((id) => ({ name: `n-${id}`, task_id: { value: id }, agent_id: offer.agent_id, resources: res('cpus:0.5;mem:64'), command: { value: 'true' } })) } }] } });
    return offer.agent_id.value;
  };
  const agentA = launchOn('host-a', ['a1', 'a2', 'a3']);
  launchOn('host-b', ['b1']);
  const v = viewsOf(h);
  const p = v.tasks({ ...page, scope: 'active' });
  t.deepEqual(p.rows.map((r) => r.id), ['a1', 'a2', 'a3', 'b1']);
  t.is(p.rows[0].sandbox, `/frameworks/${fw.id}/executors/a1/runs/latest`);
  t.is(p.rows[0].frameworkName, 'web-fw');
  t.deepEqual(v.tasks({ ...page, scope: 'active', agent: agentA, desc: true, limit: 2 }).rows.map((r) => r.id), ['a3', 'a2']);
  t.is(v.tasks({ ...page, scope: 'active', agent: agentA }).total, 3);
  t.deepEqual(v.tasks({ ...page, scope: 'active', filter: 'host-b' }).rows.map((r) => r.id), ['b1']);
  t.is(v.tasks({ ...page, scope: 'active', framework: 'nope' }).total, 0);
  t.is(v.tasks({ ...page, scope: 'completed' }).total, 0);
  t.is(v.tasks({ ...page, scope: 'all', offset: 3 }).rows.length, 1);
});

test('frameworks and roles', (t) => {
  const { h, fw } = cluster();
  const v = viewsOf(h);
  const f = v.frameworks({ ...page, sort: 'name', completed: false }).rows[0];
  t.like(f, { id: fw.id, name: 'web-fw', status: 'connected', tasks: 0, offers: 2 });
  t.deepEqual(f.roles, ['web']);
  t.deepEqual(f.offered, { cpus: 6, mem: 6144, disk: 2000, gpus: 0 });
  t.is(v.frameworks({ ...page, sort: 'name', completed: true }).total, 0);
  const roles = v.roles();
  t.is(roles.length, 1);
  t.like(roles[0], { name: 'web', weight: 1, frameworks: 1 });
  t.deepEqual(roles[0].offered, { cpus: 6, mem: 6144, disk: 2000, gpus: 0 });
  t.true(roles[0].share > 0);
});

test('allocation history: a bounded ring, oldest first', (t) => {
  const ring = new AllocationHistory(3);
  const zero = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  for (let i = 1; i <= 5; i++) ring.push({ t: i, total: zero, allocated: zero, offered: zero });
  t.deepEqual(ring.samples().map((s) => s.t), [3, 4, 5]);
  t.is(ring.size, 3);
  t.throws(() => new AllocationHistory(0));
});

test('change signal: listed methods notify after they run (also when they throw); a bare Pong is not a visible change', (t) => {
  const calls: string[] = [];
  const target = {
    n: 0,
    call(x: number) { this.n += x; return this.n; },
    fail() { throw new Error('boom'); },
    read() { return this.n; },
  };
  const observed = observeCalls(target, ['call', 'fail'], (m) => calls.push(m));
  t.is(observed.call(2), 2);
  t.is(target.n, 2);
  t.throws(() => observed.fail());
  t.is(observed.read(), 2);
  t.deepEqual(calls, ['call', 'fail']);
  t.false(isVisibleChange('agentMessage', [{}, { pong: { sequence: 1 } }]));
  t.true(isVisibleChange('agentMessage', [{}, { status_update: {} }]));
  t.true(isVisibleChange('call', []));
  // The observed Master keeps working as the Master (getters, private state through `this`).
  const h = harness();
  const m = observeCalls(h.master as Master, ['subscribe'], () => calls.push('sub'));
  t.is(m.state, h.master.state);
});

test('the history sample without the task pass (totalsFromAllocator) equals totals() as tasks start, finish, decline and executors come', (t) => {
  const { h, fw, a, b } = cluster();
  const other = h.subscribe({ name: 'batch-fw', roles: ['batch'], capabilities: [{ type: 'MULTI_ROLE' }] });
  h.settle();
  const same = (when: string) => {
    const v = viewsOf(h).totals();
    t.deepEqual(totalsFromAllocator(h.master.state, h.allocator.roleShares().map((r) => r.allocated)), v, when);
    return v;
  };
  same('offers only');
  const res = (role: string, text: string) => wire(text).map((r) => ({ ...r, allocation_info: { role } }));
  const [offerA] = fw.sink.offers().filter((o) => o.hostname === 'host-a');
  t.true(h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offerA.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [
    { name: 'cmd', task_id: { value: 'c1' }, agent_id: offerA.agent_id, resources: res('web', 'cpus:1;mem:256'), command: { value: 'sleep 9' } },
    { name: 'cmd2', task_id: { value: 'c2' }, agent_id: offerA.agent_id, resources: res('web', 'cpus:0.5;mem:128'), command: { value: 'sleep 9' } },
    { name: 'exec', task_id: { value: 'e1' }, agent_id: offerA.agent_id, resources: res('web', 'cpus:0.25;mem:32'),
      executor: { executor_id: { value: 'ex-1' }, framework_id: { value: fw.id }, command: { value: 'run-executor' }, resources: res('web', 'cpus:0.1;mem:32') } },
  ] } }], filters: { refuse_seconds: 0 } } }).ok);
  h.settle();
  const launched = same('three tasks and an executor launched');
  t.true(launched.allocated.cpus > 1.8, `allocated ${launched.allocated.cpus}`);
  h.master.agentMessage(a.conn, { status_update: { framework_id: { value: fw.id }, status: { task_id: { value: 'c2' }, state: 'TASK_FINISHED', uuid: Buffer.from('u-c2').toString('base64') } } });
  h.settle();
  same('one task finished');
  for (const o of other.sink.offers().filter((x) => x.hostname === 'host-b')) t.true(h.master.call(other.id, { type: 'DECLINE', decline: { offer_ids: [o.id], filters: { refuse_seconds: 3600 } } }).ok);
  h.settle();
  same('declined');
  h.master.agentDisconnected(b.conn);
  h.settle();
  same('an agent disconnected');
});

test('overview per role: an executor of a multi-role framework counts in the role its resources were allocated to', (t) => {
  const h = harness();
  const fw = h.subscribe({ name: 'multi', roles: ['web', 'batch'], capabilities: [{ type: 'MULTI_ROLE' }] });
  h.registerAgent('host-a', 'cpus:4;mem:4096;disk:1000');
  h.settle();
  const offer = fw.sink.offers().find((o) => o.allocation_info?.role === 'batch' || o.resources?.[0]?.allocation_info?.role === 'batch');
  t.truthy(offer, 'an offer to role batch');
  const res = (text: string) => wire(text).map((r) => ({ ...r, allocation_info: { role: 'batch' } }));
  t.true(h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offer!.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [
    { name: 'exec', task_id: { value: 'e1' }, agent_id: offer!.agent_id, resources: res('cpus:1;mem:64'),
      executor: { executor_id: { value: 'ex-1' }, framework_id: { value: fw.id }, command: { value: 'run-executor' }, resources: res('cpus:0.5;mem:32') } },
  ] } }], filters: { refuse_seconds: 3600 } } }).ok);
  h.settle();
  const roles = viewsOf(h).overview().roles;
  // cpus: the task's 1 and the executor's 0.5, both in batch; nothing in web.
  t.deepEqual(roles.find((r) => r.role === 'batch')?.allocated, { cpus: 1.5, mem: 96, disk: 0, gpus: 0 });
  t.deepEqual(roles.find((r) => r.role === 'web')?.allocated ?? { cpus: 0, mem: 0, disk: 0, gpus: 0 }, { cpus: 0, mem: 0, disk: 0, gpus: 0 });
});

test('change signal: every Master method but the listed readers notifies, so an entry point added later is never missed', (t) => {
  const methods = Object.getOwnPropertyNames(MasterClass.prototype);
  // The list names real readers (a renamed one would silently become a change).
  for (const m of READ_ONLY_METHODS) t.true(methods.includes(m), m);
  for (const m of ['subscribe', 'call', 'agentMessage', 'agentDisconnected', 'updateWeights', 'updateQuota', 'teardown', 'allocate', 'recover']) t.true(mayChange(m), m);
  const calls: string[] = [];
  const target = { n: 0, getState() { return this.n; }, drainAgent() { this.n++; } };
  const observed = observeCalls(target, mayChange, (m) => calls.push(m));
  observed.getState();
  observed.drainAgent();
  t.deepEqual(calls, ['drainAgent']);
  t.is(target.n, 1);
});

test('agents: an agent of the registry that has not re-registered with this leader yet is listed as recovered and counted; gone from the list once it re-registers', (t) => {
  const { h } = cluster();
  const r = emptyRegistry();
  r.admitted.set(asAgentId('S-old'), { id: { value: 'S-old' }, hostname: 'host-old', resources: wire('cpus:1;mem:128') });
  h.master.recover(r);
  const v = viewsOf(h);
  t.deepEqual(v.agents({ ...page, filter: 'host-old' }).rows.map((a) => [a.id, a.hostname, a.status, a.mode, a.tasks]), [['S-old', 'host-old', 'recovered', 'UNREACHABLE', 0]]);
  t.is(v.agents({ ...page, filter: 'recovered' }).total, 1);
  t.like(v.overview().agents, { active: 2, recovered: 1 });
  const conn = new RecordingAgent('10.0.0.7');
  h.master.agentMessage(conn, { reregister_agent: { agent_info: { id: { value: 'S-old' }, hostname: 'host-old', resources: wire('cpus:1;mem:128') }, version: 'test', endpoint: 'host-old:5051' } });
  t.is(conn.of('agent_reregistered').length, 1);
  t.deepEqual(viewsOf(h).agents({ ...page, filter: 'host-old' }).rows.map((a) => a.status), ['active']);
});
