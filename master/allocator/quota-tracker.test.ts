import test from 'ava';
import { effectiveGuarantees, requiredHeadroom } from './quota-tracker.ts';
import type { ScalarMap } from './allocator-state.ts';
import { agent, framework, harness, offeredScalar } from './fixtures.ts';
import { asAgentId, asFrameworkId } from '../../common/ids.ts';
import { Resources } from '../../common/resources/resources.ts';

/** `{ a: { cpus: 2 } }` (units) -> role -> milli map. */
function roles(spec: Record<string, Record<string, number>>): Map<string, ScalarMap> {
  return new Map(Object.entries(spec).map(([role, r]) => [role, new Map(Object.entries(r).map(([k, v]) => [k, v * 1000]))]));
}

function units(m: ReadonlyMap<string, ScalarMap>): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [role, r] of [...m].sort(([a], [b]) => (a < b ? -1 : 1))) out[role] = Object.fromEntries([...r].sort().map(([k, v]) => [k, v / 1000]));
  return out;
}

test('effective guarantee of a role includes its children (max of own and the children sum, per resource)', (t) => {
  const cases: Array<{ own: Record<string, Record<string, number>>; want: Record<string, Record<string, number>> }> = [
    // parent covers its child: a keeps 10, a/b 4
    { own: { a: { cpus: 10 }, 'a/b': { cpus: 4 } }, want: { a: { cpus: 10 }, 'a/b': { cpus: 4 } } },
    // parent without quota: a = 4 + 3 = 7
    { own: { 'a/b': { cpus: 4 }, 'a/c': { cpus: 3 } }, want: { a: { cpus: 7 }, 'a/b': { cpus: 4 }, 'a/c': { cpus: 3 } } },
    // parent below its children (Mesos refuses this): a = max(2, 4) = 4
    { own: { a: { cpus: 2 }, 'a/b': { cpus: 4 } }, want: { a: { cpus: 4 }, 'a/b': { cpus: 4 } } },
    // a child guarantees a resource its parent does not: a = cpus 10, mem 100
    { own: { a: { cpus: 10 }, 'a/b': { mem: 100 } }, want: { a: { cpus: 10, mem: 100 }, 'a/b': { mem: 100 } } },
    // three levels: a/b/c's 1 cpu goes up to a/b and a; a/d adds 2 at a: a = 3
    { own: { 'a/b/c': { cpus: 1 }, 'a/d': { cpus: 2 } }, want: { a: { cpus: 3 }, 'a/b': { cpus: 1 }, 'a/b/c': { cpus: 1 }, 'a/d': { cpus: 2 } } },
    // unrelated top-level roles stay apart
    { own: { a: { cpus: 1 }, z: { mem: 5 } }, want: { a: { cpus: 1 }, z: { mem: 5 } } },
  ];
  for (const c of cases) t.deepEqual(units(effectiveGuarantees(roles(c.own))), c.want, JSON.stringify(c.own));
});

test('required headroom sums top-level roles only, each subtree once, never below zero', (t) => {
  const cases: Array<{ own: Record<string, Record<string, number>>; consumed: Record<string, Record<string, number>>; want: Record<string, number> }> = [
    // a guarantees 10 including a/b's 4; a consumed 3: 10 - 3 = 7 (not 7 + 4)
    { own: { a: { cpus: 10 }, 'a/b': { cpus: 4 } }, consumed: { a: { cpus: 3 } }, want: { cpus: 7 } },
    // children only: a = 4 + 3 = 7, consumed 2: 5
    { own: { 'a/b': { cpus: 4 }, 'a/c': { cpus: 3 } }, consumed: { a: { cpus: 2 } }, want: { cpus: 5 } },
    // a over its guarantee does not lower z's need: max(0, 10 - 12) + (6 - 1) = 5
    { own: { a: { cpus: 10 }, z: { cpus: 6 } }, consumed: { a: { cpus: 12 }, z: { cpus: 1 } }, want: { cpus: 5 } },
    // a child's resource counts at the top: cpus 10 - 0, mem 100 - 40 = 60
    { own: { a: { cpus: 10 }, 'a/b': { mem: 100 } }, consumed: { a: { mem: 40 } }, want: { cpus: 10, mem: 60 } },
    // parent below its children: a = 4 (not 2), nothing consumed: 4
    { own: { a: { cpus: 2 }, 'a/b': { cpus: 4 } }, consumed: {}, want: { cpus: 4 } },
    // everything met: nothing required
    { own: { a: { cpus: 2 } }, consumed: { a: { cpus: 2 } }, want: {} },
  ];
  for (const c of cases) {
    const got = requiredHeadroom(effectiveGuarantees(roles(c.own)), roles(c.consumed));
    t.deepEqual(Object.fromEntries([...got].sort().map(([k, v]) => [k, v / 1000])), c.want, JSON.stringify(c));
  }
});

const fourAgents = () => Array.from({ length: 4 }, (_, i) => agent(`a${i}`).cpus(2).mem(1024));

test('headroom is kept for hierarchical guarantees (allocator, 4 agents of cpus:2;mem:1024)', (t) => {
  const cases: Array<{ quotas: Record<string, Record<string, number>>; want: { cpus: number; mem: number } }> = [
    // a child's mem guarantee is held back too: required cpus 2, mem 2048 -> x gets cpus 8-2=6, mem 4096-2048=2048
    { quotas: { a: { cpus: 2 }, 'a/b': { mem: 2048 } }, want: { cpus: 6, mem: 2048 } },
    // a parent below its child holds the child's amount: required cpus 4 -> x gets 4
    { quotas: { a: { cpus: 2 }, 'a/b': { cpus: 4 } }, want: { cpus: 4, mem: 4096 } },
    // a parent that includes its child is counted once: required cpus 5 -> x gets 3
    { quotas: { a: { cpus: 5 }, 'a/b': { cpus: 3 } }, want: { cpus: 3, mem: 4096 } },
    // two children, no parent quota: 1 + 2 = 3 -> x gets 5
    { quotas: { 'a/b': { cpus: 1 }, 'a/c': { cpus: 2 } }, want: { cpus: 5, mem: 4096 } },
  ];
  for (const c of cases) {
    const h = harness().agents(...fourAgents()).frameworks(framework('fx').roles('x'));
    for (const [role, g] of Object.entries(c.quotas)) h.allocator.updateQuota(role, { guarantees: g, limits: {} });
    const d = h.allocator.allocate(0);
    t.deepEqual({ cpus: offeredScalar(d, 'cpus').fx ?? 0, mem: offeredScalar(d, 'mem').fx ?? 0 }, c.want, JSON.stringify(c.quotas));
  }
});

test('stage 1 bursts beyond the guarantee into the surplus, with the non-guaranteed resources (Mesos)', (t) => {
  // one agent cpus:2;mem:1024, z guarantees cpus:1: stage 1 gives z the whole agent (1 cpu
  // guaranteed, 1 cpu of surplus, all the mem), so a gets nothing
  const h = harness().agents(agent('a0').cpus(2).mem(1024)).frameworks(framework('fa').roles('a'), framework('fz').roles('z'));
  h.allocator.updateQuota('z', { guarantees: { cpus: 1 }, limits: {} });
  const d = h.allocator.allocate(0);
  t.deepEqual(offeredScalar(d, 'cpus'), { fz: 2 });
  t.deepEqual(offeredScalar(d, 'mem'), { fz: 1024 });
});

test('stage 1 never offers reservations alone: they wait for stage 2 and DRF order', (t) => {
  // z guarantees cpus:6 and has cpus(z):2 reserved on r1 (consumption 2). u1 gives z cpus 2 in
  // stage 1 (consumption 4, still lacking 2). r1 has no unreserved cpus, so nothing on it makes
  // progress: stage 1 skips it. In stage 2 a (share 0) comes before z (share .5) and takes r1's
  // unreserved mem; z then gets its reservation. Reserved-only stage-1 offers would give z all of r1.
  const h = harness()
    .agents(agent('r1').cpus(2, 'z').mem(1024), agent('u1').cpus(2).mem(1024))
    .frameworks(framework('fa').roles('a'), framework('fz').roles('z'));
  h.allocator.updateQuota('z', { guarantees: { cpus: 6 }, limits: {} });
  const d = h.allocator.allocate(0);
  t.deepEqual(offeredScalar(d, 'mem'), { fa: 1024, fz: 1024 });
  t.deepEqual(offeredScalar(d, 'cpus'), { fa: 0, fz: 4 });
  t.true(d.some((o) => o.frameworkId === asFrameworkId('fa') && o.agentId === asAgentId('r1')));
});

test('stage 1 offers revocable resources to frameworks that take them (Mesos)', (t) => {
  const h = harness().frameworks(framework('fz').roles('z').revocable());
  h.allocator.addAgent(asAgentId('a0'), { hostname: 'a0', attributes: {} }, Resources.fromProto([
    { name: 'cpus', type: 'SCALAR', scalar: { value: 2 } },
    { name: 'cpus', type: 'SCALAR', scalar: { value: 3 }, revocable: {} },
  ]), new Map());
  h.allocator.updateQuota('z', { guarantees: { cpus: 1 }, limits: {} });
  const d = h.allocator.allocate(0);
  // one offer (stage 1 takes the whole agent): 2 unreserved + 3 revocable cpus
  t.is(d.length, 1);
  t.is(d[0].resources.scalar('cpus'), 5);
  t.is(d[0].resources.revocable().scalar('cpus'), 3);
});
