import test from 'ava';
import { Resources } from '../common/resources/resources.ts';
import type { mesos } from '../proto/types.generated.ts';
import { agentPid } from './operator-views.ts';
import { harness, wire } from './test-fixtures.ts';

const pids: ReadonlyArray<[string, mesos.v1.AgentInfo, string | undefined, string | undefined, string | undefined]> = [
  ['endpoint with an IP', { hostname: 'h' }, '10.0.0.5:5051', '10.9.9.9', 'slave(1)@10.0.0.5:5051'],
  ['endpoint with a name: the connection IP, the endpoint port', { hostname: 'h' }, 'agent-1.example:5052', '10.9.9.9', 'slave(1)@10.9.9.9:5052'],
  ['no endpoint: the connection IP and agent_info.port', { hostname: 'h', port: 5053 }, undefined, '127.0.0.1', 'slave(1)@127.0.0.1:5053'],
  ['no endpoint, no port: 5051', { hostname: 'h' }, undefined, '127.0.0.1', 'slave(1)@127.0.0.1:5051'],
  ['IPv6 peer', { hostname: 'h' }, undefined, '::1', 'slave(1)@[::1]:5051'],
  ['no IP known', { hostname: 'h' }, 'agent-1.example:5051', undefined, undefined],
];
for (const [name, info, endpoint, remote, expected] of pids) {
  test(`agent pid: ${name}`, (t) => {
    t.is(agentPid(info, endpoint, remote), expected);
  });
}

test('GET_AGENTS shows the Mesos pid of an agent', (t) => {
  const h = harness();
  h.registerAgent('h1', 'cpus:1;mem:128', { endpoint: 'h1.example:5051' }, '192.168.1.7');
  t.is(h.master.getAgents().agents?.[0].pid, 'slave(1)@192.168.1.7:5051');
});

test('offers in the operator views keep their allocation info, also for frameworks that are not MULTI_ROLE', (t) => {
  const h = harness();
  const fw = h.subscribe({ role: 'web' });
  h.registerAgent('h1', 'cpus:2;mem:512');
  h.settle();
  const sent = fw.sink.offers()[0];
  t.is(sent.allocation_info, undefined, 'the framework gets it stripped');
  const [viewed] = h.master.getFrameworks().frameworks![0].offers!;
  t.deepEqual(viewed.allocation_info, { role: 'web' });
  t.true((viewed.resources ?? []).every((r) => r.allocation_info?.role === 'web'));
  t.is(viewed.id.value, sent.id.value);
});

const quantities = (list: readonly mesos.v1.Resource[] | undefined) => Object.fromEntries(Resources.fromProto(list ?? []).unallocate().scalars());

/**
 * Agent cpus:3;cpus(web):1;mem:1024. Framework A (role web) runs a task group: executor
 * cpus:0.5;mem:32 + task cpus:1;mem:64, and declines the rest for long. Framework B (role batch)
 * is then offered the unreserved rest: cpus 1.5, mem 928.
 */
function cluster() {
  const h = harness({ weights: new Map([['web', 2], ['idle', 3]]) });
  const a = h.subscribe({ role: 'web', name: 'a' });
  h.registerAgent('h1', 'cpus:3;cpus(web):1;mem:1024');
  h.settle();
  const [offer] = a.sink.offers();
  const executor: mesos.v1.ExecutorInfo = { executor_id: { value: 'e1' }, type: 'DEFAULT', resources: wire('cpus:0.5;mem:32') };
  const task: mesos.v1.TaskInfo = { name: 't', task_id: { value: 't1' }, agent_id: offer.agent_id, resources: wire('cpus:1;mem:64') };
  const out = h.master.call(a.id, {
    type: 'ACCEPT',
    accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH_GROUP', launch_group: { executor, task_group: { tasks: [task] } } }], filters: { refuse_seconds: 3600 } },
  });
  if (!out.ok) throw new Error(out.message);
  const b = h.subscribe({ role: 'batch', name: 'b' });
  h.settle();
  return { h, a, b };
}

test('GET_ROLES: name, weight, frameworks, and resources = allocated (tasks and executors) + offered', (t) => {
  const { h, a, b } = cluster();
  const roles = h.master.getRoles().roles ?? [];
  t.deepEqual(roles.map((r) => [r.name, r.weight, (r.frameworks ?? []).map((f) => f.value)]), [
    ['batch', 1, [b.id]],
    ['idle', 3, []],
    ['web', 2, [a.id]],
  ]);
  t.deepEqual(quantities(roles[0].resources), { cpus: 1.5, mem: 928 }); // offered to b
  t.is(roles[1].resources, undefined);
  t.deepEqual(quantities(roles[2].resources), { cpus: 1.5, mem: 96 }); // executor 0.5/32 + task 1/64
  t.deepEqual(Object.keys(roles[1]).sort(), ['name', 'weight'], 'only mesos.v1.Role fields, empty lists absent');
});

test('role details for /master/roles: allocated, offered, reserved and quota consumption', (t) => {
  const { h } = cluster();
  t.deepEqual(h.master.updateQuota([{ role: 'web', guarantees: { cpus: 2 }, limits: { cpus: 4 } }]), { ok: true });
  const web = h.master.getRoleDetails().find((r) => r.name === 'web')!;
  t.deepEqual(quantities(web.allocated), { cpus: 1.5, mem: 96 });
  t.deepEqual(quantities(web.offered), {});
  t.deepEqual(quantities(web.reserved), { cpus: 1 });
  t.deepEqual(web.quota.guarantees, { cpus: { value: 2 } });
  t.deepEqual(web.quota.limits, { cpus: { value: 4 } });
  t.deepEqual(web.quota.consumed_quota, { cpus: { value: 2.5 }, mem: { value: 96 } }); // reserved 1 + unreserved allocation 1.5
  const batch = h.master.getRoleDetails().find((r) => r.name === 'batch')!;
  t.deepEqual(quantities(batch.offered), { cpus: 1.5, mem: 928 });
  t.deepEqual(batch.quota.consumed_quota, { cpus: { value: 1.5 }, mem: { value: 928 } });
});
