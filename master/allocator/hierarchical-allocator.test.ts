import test from 'ava';
import { asAgentId, asFrameworkId } from '../../common/ids.ts';
import { Resources } from '../../common/resources/resources.ts';
import { agent, describe, framework, harness, offerCounts, offeredScalar } from './fixtures.ts';

const R = (t: string) => Resources.parse(t);
const A = asAgentId;
const F = asFrameworkId;
const small = (id: string) => agent(id).cpus(4).mem(4096);

test('weighted DRF: offers per framework after one cycle (table)', (t) => {
  const cases: Array<{ name: string; agents: number; fws: Array<[string, string]>; weights?: Array<[string, number]>; want: Record<string, number> }> = [
    // 3 agents, two frameworks in one role: f1, f2, then the tie (.33/.33, one allocation each) goes to f1 by name
    // shares: f1=.67 f2=.33
    { name: 'equal', agents: 3, fws: [['f1', '*'], ['f2', '*']], want: { f1: 2, f2: 1 } },
    // weight 2 on role a: a=.67/2=.33 b=.33 after 6 agents
    { name: 'weighted', agents: 6, fws: [['fa', 'a'], ['fb', 'b']], weights: [['a', 2]], want: { fa: 4, fb: 2 } },
    // weight 3 on b: b gets three agents for every one of a; shares: a=.25 b=.75/3=.25
    { name: 'weighted-3', agents: 8, fws: [['fa', 'a'], ['fb', 'b']], weights: [['b', 3]], want: { fa: 2, fb: 6 } },
    // hierarchical: eng (eng/web + eng/batch) against ops; shares: eng=.5 ops=.5
    { name: 'hierarchy', agents: 4, fws: [['web', 'eng/web'], ['batch', 'eng/batch'], ['ops', 'ops']], want: { batch: 1, web: 1, ops: 2 } },
  ];
  for (const c of cases) {
    const h = harness();
    h.agents(...Array.from({ length: c.agents }, (_, i) => small(`a${i}`)));
    if (c.weights) h.allocator.updateWeights(new Map(c.weights));
    h.frameworks(...c.fws.map(([id, role]) => framework(id).roles(role)));
    const d = h.allocator.allocate(0);
    t.deepEqual(offerCounts(d), c.want, c.name);
    t.is(d.length, c.agents, c.name);
  }
});

test('an agent is offered whole, allocated to the role, and not again while allocated', (t) => {
  const h = harness().agents(agent('a1').cpus(2).mem(1024).ports('31000-32000')).frameworks(framework('f1').roles('web'));
  const d = h.allocator.allocate(0);
  t.deepEqual(describe(d), ['f1@a1(web): cpus(*):2; mem(*):1024; ports(*):[31000-32000]']);
  t.is(d[0].resources.entries[0].allocationRole, 'web');
  t.deepEqual(h.allocator.allocate(1), []);
  // shares: web = 1 (everything)
  t.is(h.allocator.frameworkShare(F('f1')), 1);
  t.deepEqual(
    h.allocator.roleShares().map((r) => [r.role, r.share]),
    [['web', 1]],
  );
  h.allocator.recoverResources(F('f1'), A('a1'), d[0].resources, undefined, 1);
  t.is(h.allocator.allocate(2).length, 1);
});

test('existing allocations count: the framework holding less goes first', (t) => {
  const h = harness().agents(small('a1'), small('a2'), small('a3'));
  h.allocator.addFramework(F('big'), framework('big').build().info, new Map(), true);
  h.allocator.addFramework(F('small'), framework('small').build().info, new Map(), true);
  // big gets a1 by name order; then release and give it a2 as "used" via an agent re-add
  const first = h.allocator.allocateAgents([A('a1')], 0);
  t.deepEqual(offerCounts(first), { big: 1 });
  // shares: big=.33 small=0 -> small gets the next agent
  t.deepEqual(offerCounts(h.allocator.allocateAgents([A('a2')], 0)), { small: 1 });
  // shares: big=.33 small=.33, one allocation each -> name order
  t.deepEqual(offerCounts(h.allocator.allocateAgents([A('a3')], 0)), { big: 1 });
});

test('reservations go only to the reservation role and its descendants', (t) => {
  const h = harness().agents(agent('a1').cpus(2).cpus(2, 'ops').mem(1024));
  h.frameworks(framework('dev').roles('dev'), framework('opsweb').roles('ops/web'));
  const d = h.allocator.allocate(0);
  t.deepEqual(describe(d), ['dev@a1(dev): cpus(*):2; mem(*):1024', 'opsweb@a1(ops/web): cpus(ops):2']);
});

test('static reservations are offered to the role even when others come first in DRF order', (t) => {
  const h = harness().agents(agent('a1').cpus(4, 'b').mem(512, 'b'));
  h.frameworks(framework('fa').roles('a'), framework('fb').roles('b'));
  t.deepEqual(describe(h.allocator.allocate(0)), ['fb@a1(b): cpus(b):4; mem(b):512']);
});

test('dynamic reservation via updateAllocation, then recovered resources only go to the role', (t) => {
  const h = harness().agents(agent('a1').cpus(2).mem(1024));
  h.frameworks(framework('fops').roles('ops'), framework('fz').roles('zz'));
  const [offer] = h.allocator.allocate(0);
  t.is(offer.frameworkId, F('fops'));
  const reserved = offer.resources.unallocate().pushReservation({ type: 'DYNAMIC', role: 'ops', principal: 'p' }).allocate('ops');
  h.allocator.updateAllocation(F('fops'), A('a1'), offer.resources, reserved);
  h.allocator.recoverResources(F('fops'), A('a1'), reserved, { refuseSeconds: 0 }, 0);
  h.allocator.suppressOffers(F('fops'), []);
  // fz (role zz) may not use ops' reservation
  t.deepEqual(h.allocator.allocate(1), []);
  h.allocator.reviveOffers(F('fops'), []);
  t.deepEqual(describe(h.allocator.allocate(2)), ['fops@a1(ops): cpus(reservations: [(DYNAMIC,ops,p)]):2; mem(reservations: [(DYNAMIC,ops,p)]):1024']);
});

test('updateAgentTotal with a reservation (RESERVE on free resources) and back (UNRESERVE)', (t) => {
  const h = harness().agents(agent('a1').cpus(4).mem(1024));
  h.frameworks(framework('fa').roles('a'));
  h.allocator.updateAgentTotal(A('a1'), R('cpus(b):2;cpus:2;mem:1024'));
  t.deepEqual(describe(h.allocator.allocate(0)), ['fa@a1(a): cpus(*):2; mem(*):1024']);
  const h2 = harness().agents(agent('a1').cpus(4).mem(1024)).frameworks(framework('fa').roles('a'));
  h2.allocator.updateAgentTotal(A('a1'), R('cpus(b):2;cpus:2;mem:1024'));
  h2.allocator.updateAgentTotal(A('a1'), R('cpus:4;mem:1024'));
  t.deepEqual(describe(h2.allocator.allocate(0)), ['fa@a1(a): cpus(*):4; mem(*):1024']);
});

test('decline filters: not re-offered until refuse_seconds pass; default 5 s; revive clears', (t) => {
  const cases: Array<{ filters: { refuseSeconds?: number } | undefined; offeredAt: number[]; notAt: number[] }> = [
    { filters: { refuseSeconds: 10 }, offeredAt: [10_000, 20_000], notAt: [0, 1_000, 9_999] },
    { filters: {}, offeredAt: [5_000], notAt: [4_999] },
    { filters: { refuseSeconds: 0 }, offeredAt: [0], notAt: [] },
    { filters: undefined, offeredAt: [0], notAt: [] },
    { filters: { refuseSeconds: -3 }, offeredAt: [5_000], notAt: [4_000] },
  ];
  for (const c of cases) {
    for (const at of [...c.offeredAt, ...c.notAt]) {
      const h = harness().agents(small('a1')).frameworks(framework('f1'));
      const [o] = h.allocator.allocate(0);
      h.allocator.recoverResources(F('f1'), A('a1'), o.resources, c.filters, 0);
      const got = h.allocator.allocate(at).length;
      t.is(got, c.offeredAt.includes(at) ? 1 : 0, `${JSON.stringify(c.filters)} at ${at}`);
    }
  }
  const h = harness().agents(small('a1')).frameworks(framework('f1'));
  const [o] = h.allocator.allocate(0);
  h.allocator.recoverResources(F('f1'), A('a1'), o.resources, { refuseSeconds: 1000 }, 0);
  t.is(h.allocator.allocate(1).length, 0);
  h.allocator.reviveOffers(F('f1'), []);
  t.is(h.allocator.allocate(2).length, 1);
});

test('a decline filter covers only resources contained in what was declined', (t) => {
  const h = harness().agents(small('a1')).frameworks(framework('f1'));
  const [o] = h.allocator.allocate(0);
  // the framework keeps cpus:1 (a task) and declines the rest
  const rest = o.resources.unallocate().minus(R('cpus:1')).allocate('*');
  h.allocator.recoverResources(F('f1'), A('a1'), rest, { refuseSeconds: 100 }, 0);
  t.deepEqual(h.allocator.allocate(1), []);
  // the task ends: cpus:4 now free, more than declined -> offered again
  h.allocator.recoverResources(F('f1'), A('a1'), R('cpus:1').allocate('*'), undefined, 2);
  t.deepEqual(describe(h.allocator.allocate(3)), ['f1@a1(*): cpus(*):4; mem(*):4096']);
});

test('another framework still gets resources that one framework declined', (t) => {
  const h = harness().agents(small('a1')).frameworks(framework('f1'), framework('f2'));
  const [o] = h.allocator.allocate(0);
  t.is(o.frameworkId, F('f1'));
  h.allocator.recoverResources(F('f1'), A('a1'), o.resources, { refuseSeconds: 100 }, 0);
  t.deepEqual(offerCounts(h.allocator.allocate(1)), { f2: 1 });
});

test('suppress and revive, per role and for all roles', (t) => {
  const h = harness().agents(small('a1'), small('a2')).frameworks(framework('f1').roles('a', 'b'));
  h.allocator.suppressOffers(F('f1'), ['a']);
  const d = h.allocator.allocate(0);
  t.deepEqual(
    d.map((x) => x.role),
    ['b', 'b'],
  );
  for (const x of d) h.allocator.recoverResources(x.frameworkId, x.agentId, x.resources, undefined, 0);
  h.allocator.suppressOffers(F('f1'), []);
  t.deepEqual(h.allocator.allocate(1), []);
  h.allocator.reviveOffers(F('f1'), ['a']);
  t.deepEqual(
    h.allocator.allocate(2).map((x) => x.role),
    ['a', 'a'],
  );
});

test('frameworks suppressed at subscription (FrameworkDescription.suppressedRoles) get nothing', (t) => {
  const h = harness().agents(small('a1')).frameworks(framework('f1').suppressed('*'));
  t.deepEqual(h.allocator.allocate(0), []);
});

test('minimum allocatable resources: master default and per-framework override', (t) => {
  const cases: Array<{ name: string; agent: string; min?: string[]; fwMin?: string[]; offered: boolean }> = [
    { name: 'cpus only above 0.01', agent: 'cpus:0.01', offered: true },
    { name: 'tiny cpus', agent: 'cpus:0.001;mem:16', offered: false },
    { name: 'mem 32', agent: 'mem:32', offered: true },
    { name: 'ports only', agent: 'ports:[1-10]', offered: false },
    { name: 'master minimum cpus:1', agent: 'cpus:0.5;mem:4096', min: ['cpus:1'], offered: false },
    { name: 'master minimum both', agent: 'cpus:1;mem:64', min: ['cpus:1;mem:128'], offered: false },
    { name: 'framework override', agent: 'mem:16', fwMin: ['mem:8'], offered: true },
    { name: 'framework override stricter', agent: 'cpus:1;mem:64', fwMin: ['gpus:1'], offered: false },
  ];
  for (const c of cases) {
    const h = harness(c.min ? { minAllocatable: c.min.map(R) } : {});
    h.agents(agent('a1').resources(c.agent));
    const fb = framework('f1');
    if (c.fwMin) fb.minAllocatable('*', ...c.fwMin);
    h.frameworks(fb);
    t.is(h.allocator.allocate(0).length, c.offered ? 1 : 0, c.name);
  }
});

test('GPU agents only go to GPU_RESOURCES frameworks', (t) => {
  const h = harness().agents(agent('g1').cpus(4).mem(1024).gpus(2), small('c1'));
  h.frameworks(framework('plain'), framework('gpu').gpu());
  const d = h.allocator.allocate(0);
  t.true(describe(d).includes('gpu@g1(*): cpus(*):4; mem(*):1024; gpus(*):2'));
  t.false(d.some((x) => x.frameworkId === F('plain') && x.agentId === A('g1')));
  const h2 = harness().agents(agent('g1').cpus(4).mem(1024).gpus(2)).frameworks(framework('plain'));
  t.deepEqual(h2.allocator.allocate(0), []);
});

test('revocable resources only go to REVOCABLE_RESOURCES frameworks', (t) => {
  const rev = Resources.fromProto([{ name: 'cpus', type: 'SCALAR', scalar: { value: 3 }, revocable: {} }]);
  const h = harness().frameworks(framework('plain'));
  h.allocator.addAgent(A('a1'), { hostname: 'a1', attributes: {} }, R('cpus:1;mem:128').plus(rev), new Map());
  t.deepEqual(offeredScalar(h.allocator.allocate(0), 'cpus'), { plain: 1 });
  h.allocator.addFramework(F('rev'), framework('rev').revocable().build().info, new Map(), true);
  const d = h.allocator.allocate(1);
  t.deepEqual(offeredScalar(d, 'cpus'), { rev: 3 });
  t.true(d[0].resources.entries.every((e) => e.revocable));
});

test('inactive agents and frameworks get nothing; reactivation restores offers', (t) => {
  const h = harness().agents(small('a1')).frameworks(framework('f1'));
  h.allocator.deactivateAgent(A('a1'));
  t.deepEqual(h.allocator.allocate(0), []);
  h.allocator.activateAgent(A('a1'));
  h.allocator.deactivateFramework(F('f1'));
  t.deepEqual(h.allocator.allocate(1), []);
  h.allocator.activateFramework(F('f1'));
  t.is(h.allocator.allocate(2).length, 1);
});

test('removing a framework frees its allocations; removing an agent frees its shares', (t) => {
  const h = harness().agents(small('a1'), small('a2')).frameworks(framework('f1'));
  t.is(h.allocator.allocate(0).length, 2);
  h.allocator.removeFramework(F('f1'));
  h.frameworks(framework('f2'));
  t.is(h.allocator.allocate(1).length, 2);
  // shares: f2 = 1 (both agents)
  t.is(h.allocator.frameworkShare(F('f2')), 1);
  h.allocator.removeAgent(A('a1'));
  // shares: f2 = 1 (the one agent left of a one-agent cluster)
  t.is(h.allocator.frameworkShare(F('f2')), 1);
  h.agents(small('a3'));
  // shares: f2 = .5
  t.is(h.allocator.frameworkShare(F('f2')), 0.5);
});

test('resources in use at addAgent and addFramework are not offered and count for shares', (t) => {
  const h = harness().frameworks(framework('f1'), framework('f2'));
  h.allocator.addAgent(A('a1'), { hostname: 'a1', attributes: {} }, R('cpus:4;mem:4096'), new Map([[F('f1'), R('cpus:3;mem:1024').allocate('*')]]));
  h.agents(small('a2'));
  const d = h.allocator.allocate(0);
  // a1 has cpus:1;mem:3072 left. shares before: f1=.375 (cpus 3/8) f2=0 -> f2 first wherever it goes
  t.true(describe(d).includes('f2@a1(*): cpus(*):1; mem(*):3072') || describe(d).includes('f2@a2(*): cpus(*):4; mem(*):4096'));
  t.is(d.length, 2);
  // a framework re-added after failover with the same usage is not double counted
  h.allocator.addAgent(A('a3'), { hostname: 'a3', attributes: {} }, R('cpus:4;mem:4096'), new Map([[F('ghost'), R('cpus:4;mem:4096').allocate('*')]]));
  t.deepEqual(h.allocator.allocate(1), []);
  h.allocator.addFramework(F('ghost'), framework('ghost').build().info, new Map([[A('a3'), R('cpus:4;mem:4096').allocate('*')]]), true);
  t.deepEqual(h.allocator.allocate(2), []);
  t.is(h.allocator.available(A('a3'))?.isEmpty(), true);
});

test('quota guarantee: stage 1 gives a role below its guarantee up to it first', (t) => {
  // without quota: a and z alternate; with guarantee cpus:6 for z, z gets three 2-cpu agents first
  const agents = () => Array.from({ length: 4 }, (_, i) => agent(`a${i}`).cpus(2).mem(1024));
  const plain = harness().agents(...agents()).frameworks(framework('fa').roles('a'), framework('fz').roles('z'));
  t.deepEqual(offerCounts(plain.allocator.allocate(0)), { fa: 2, fz: 2 });
  const q = harness().agents(...agents()).frameworks(framework('fa').roles('a'), framework('fz').roles('z'));
  q.allocator.updateQuota('z', { guarantees: { cpus: 6 }, limits: {} });
  const d = q.allocator.allocate(0);
  t.deepEqual(offeredScalar(d, 'cpus'), { fz: 6, fa: 2 });
});

test('quota guarantee keeps headroom for a role that has no framework yet', (t) => {
  const h = harness().agents(...Array.from({ length: 4 }, (_, i) => agent(`a${i}`).cpus(2).mem(1024))).frameworks(framework('fa').roles('a'));
  h.allocator.updateQuota('z', { guarantees: { cpus: 6 }, limits: {} });
  // 8 cpus, 6 must stay free for z: a gets 2 cpus
  const d = h.allocator.allocate(0);
  t.deepEqual(offeredScalar(d, 'cpus'), { fa: 2 });
  h.allocator.updateQuota('z', undefined);
  t.deepEqual(offeredScalar(h.allocator.allocate(1), 'cpus'), { fa: 6 });
});

test('quota limits chop offers so that a role (and its descendants) never exceed them', (t) => {
  const cases: Array<{ role: string; limitRole: string; limit: number; wantCpus: number }> = [
    { role: 'a', limitRole: 'a', limit: 3, wantCpus: 3 },
    { role: 'a/b', limitRole: 'a', limit: 5, wantCpus: 5 },
    { role: 'a', limitRole: 'a', limit: 0.5, wantCpus: 0.5 },
    { role: 'x', limitRole: 'a', limit: 1, wantCpus: 8 },
  ];
  for (const c of cases) {
    const h = harness().agents(...Array.from({ length: 4 }, (_, i) => agent(`a${i}`).cpus(2).mem(1024))).frameworks(framework('f').roles(c.role));
    h.allocator.updateQuota(c.limitRole, { guarantees: {}, limits: { cpus: c.limit } });
    const d = h.allocator.allocate(0);
    t.is(offeredScalar(d, 'cpus').f, c.wantCpus, JSON.stringify(c));
    // chopped agents still offer their memory (Mesos chops scalars under a limit)
    t.is(offeredScalar(d, 'mem').f, 4096, JSON.stringify(c));
  }
});

test('allocateAgents only looks at the given agents', (t) => {
  const h = harness().agents(small('a1'), small('a2')).frameworks(framework('f1'));
  const d = h.allocator.allocateAgents([A('a2'), A('a2'), A('nope')], 0);
  t.deepEqual(
    d.map((x) => x.agentId),
    [A('a2')],
  );
});

test('updateFramework: new roles get offers, dropped roles none', (t) => {
  const h = harness().agents(small('a1')).frameworks(framework('f1').roles('a'));
  h.allocator.updateFramework(F('f1'), framework('f1').roles('b').build().info);
  t.deepEqual(
    h.allocator.allocate(0).map((x) => x.role),
    ['b'],
  );
});

test('random sorter: every framework is eventually offered, reproducibly from the seed', (t) => {
  const run = (seed: number) => {
    const h = harness({ sorter: 'random', seed }).agents(small('a1')).frameworks(framework('f1'), framework('f2'), framework('f3'));
    const seen: string[] = [];
    for (let i = 0; i < 30; i++) {
      const [o] = h.allocator.allocate(i);
      seen.push(o.frameworkId);
      h.allocator.recoverResources(o.frameworkId, o.agentId, o.resources, undefined, i);
    }
    return seen;
  };
  t.deepEqual(run(3), run(3));
  t.deepEqual([...new Set(run(3))].sort(), ['f1', 'f2', 'f3']);
});

test('recovering after the framework was removed is ignored; re-adding a known framework keeps its allocations', (t) => {
  const h = harness().agents(small('a1'), small('a2')).frameworks(framework('f1'));
  const d = h.allocator.allocate(0);
  t.is(d.length, 2);
  h.allocator.addFramework(F('f1'), framework('f1').roles('*').build().info, new Map(), true);
  t.deepEqual(h.allocator.allocate(1), []);
  h.allocator.removeFramework(F('f1'));
  for (const o of d) h.allocator.recoverResources(o.frameworkId, o.agentId, o.resources, { refuseSeconds: 10 }, 2);
  h.frameworks(framework('f2'));
  t.deepEqual(offerCounts(h.allocator.allocate(3)), { f2: 2 });
});

test('recovering more than was allocated is a programming error', (t) => {
  const h = harness().agents(small('a1')).frameworks(framework('f1'));
  const [o] = h.allocator.allocate(0);
  t.throws(() => h.allocator.recoverResources(F('f1'), A('a1'), o.resources.plus(R('cpus:1').allocate('*')), undefined, 1));
});

test('resources an agent reports for an unknown framework come back when recovered, or are adopted when it is added', (t) => {
  const used = R('cpus:4;mem:4096').allocate('*');
  const h = harness().frameworks(framework('f1'));
  h.allocator.addAgent(A('a1'), { hostname: 'a1', attributes: {} }, R('cpus:4;mem:4096'), new Map([[F('gone'), used]]));
  t.deepEqual(h.allocator.allocate(0), []);
  h.allocator.recoverResources(F('gone'), A('a1'), used, undefined, 1);
  t.deepEqual(offerCounts(h.allocator.allocate(2)), { f1: 1 });

  const h2 = harness();
  h2.allocator.addAgent(A('a1'), { hostname: 'a1', attributes: {} }, R('cpus:8;mem:8192'), new Map([[F('late'), used]]));
  h2.frameworks(framework('late'));
  // shares: late = .5 (adopted cpus 4/8), and the other half is offered to it
  t.is(h2.allocator.frameworkShare(F('late')), 0.5);
  t.deepEqual(describe(h2.allocator.allocate(0)), ['late@a1(*): cpus(*):4; mem(*):4096']);
});

test('updateAllocation followed by updateAgentTotal with the same new total is idempotent', (t) => {
  const h = harness().agents(agent('a1').cpus(2).mem(1024)).frameworks(framework('f').roles('ops'));
  const [o] = h.allocator.allocate(0);
  const to = o.resources.unallocate().pushReservation({ type: 'DYNAMIC', role: 'ops' }).allocate('ops');
  h.allocator.updateAllocation(F('f'), A('a1'), o.resources, to);
  h.allocator.updateAgentTotal(A('a1'), to.unallocate());
  h.allocator.recoverResources(F('f'), A('a1'), to, undefined, 1);
  t.true(h.allocator.available(A('a1'))!.equals(to.unallocate()));
  // shares: ops = 0 after the recovery, total unchanged in quantity
  t.is(h.allocator.frameworkShare(F('f')), 0);
});

test('equal agents registered one after another share one total value; offers are unchanged by it', (t) => {
  const h = harness().agents(small('a1'), small('a2'), agent('big').cpus(8).mem(8192), small('a3'));
  // a1 and a2 share; big differs; a3 follows big, so it keeps its own (equal to a1's)
  t.is(h.allocator.available(A('a1')), h.allocator.available(A('a2')));
  t.not(h.allocator.available(A('a3')), h.allocator.available(A('a1')));
  t.true(h.allocator.available(A('a3'))!.equals(h.allocator.available(A('a1'))!));
  h.frameworks(framework('f1'));
  const d = h.allocator.allocate(0);
  t.is(d.length, 4);
  // each agent is charged on its own: a1 fully offered leaves a2 untouched (and vice versa)
  t.true(h.allocator.available(A('a1'))!.isEmpty());
  t.true(h.allocator.available(A('a2'))!.isEmpty());
  for (const o of d) h.allocator.recoverResources(o.frameworkId, o.agentId, o.resources, undefined, 0);
  t.is(h.allocator.available(A('a1')), h.allocator.available(A('a2')));
  t.deepEqual(describe(h.allocator.allocate(1)), describe(d));
});
