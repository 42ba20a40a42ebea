import test from 'ava';
import { asAgentId, asFrameworkId } from '../../common/ids.ts';
import type { AgentId, FrameworkId } from '../../common/ids.ts';
import { Resources } from '../../common/resources/resources.ts';
import type { AgentState, FrameworkState, RoleState } from './allocator-state.ts';
import { runAllocationCycle } from './allocation-cycle.ts';
import type { CycleInput } from './allocation-cycle.ts';
import { toMinQuantity } from './hierarchical-allocator.ts';
import { Rng } from '../../common/rng.ts';
import { createSorter } from './sorter/create-sorter.ts';
import type { Sorter } from './sorter/sorter.ts';

function snapshot(agentCount: number, frameworkIds: string[]): CycleInput {
  const agents = new Map<AgentId, AgentState>();
  const total = Resources.parse('cpus:2;mem:1024');
  const roleSorter = createSorter('drf', true);
  const fwSorter = createSorter('drf', false);
  for (let i = 0; i < agentCount; i++) {
    const id = asAgentId(`a${i}`);
    agents.set(id, { id, info: { hostname: id, attributes: {} }, total, allocated: Resources.empty, available: total, active: true, hasGpus: false, orphans: undefined });
    roleSorter.addTotal(total);
    fwSorter.addTotal(total);
  }
  const frameworks = new Map<FrameworkId, FrameworkState>();
  for (const f of frameworkIds) {
    const id = asFrameworkId(f);
    frameworks.set(id, {
      id,
      info: { roles: ['*'], suppressedRoles: [], gpuResources: false, revocableResources: false },
      active: true,
      roles: new Set(['*']),
      suppressed: new Set(),
      filters: new Map(),
      allocations: new Map(),
      minAllocatable: new Map(),
    });
    fwSorter.add(f);
    fwSorter.activate(f);
  }
  roleSorter.add('*');
  roleSorter.activate('*');
  const roles = new Map<string, RoleState>([['*', { name: '*', frameworks: new Set(frameworks.keys()), allocatedExcluded: new Map(), reserved: new Map() }]]);
  return {
    agents,
    candidates: [...agents.values()],
    frameworks,
    roles,
    roleSorter,
    frameworkSorters: new Map<string, Sorter>([['*', fwSorter]]),
    quotas: new Map(),
    minAllocatable: [toMinQuantity(Resources.parse('cpus:0.01')), toMinQuantity(Resources.parse('mem:32'))],
    now: 0,
    rng: new Rng(11),
  };
}

test('the cycle does not change its input and is reproducible', (t) => {
  const input = snapshot(6, ['f1', 'f2', 'f3']);
  const fwSorter = input.frameworkSorters.get('*')!;
  const rngState = input.rng.state;
  const first = runAllocationCycle(input);
  t.is(first.decisions.length, 6);
  t.is(input.rng.state, rngState);
  t.is(fwSorter.share('f1'), 0);
  t.is(input.agents.get(asAgentId('a0'))!.available.scalar('cpus'), 2);
  const again = runAllocationCycle(input);
  t.deepEqual(
    again.decisions.map((d) => `${d.frameworkId}@${d.agentId}`),
    first.decisions.map((d) => `${d.frameworkId}@${d.agentId}`),
  );
  t.not(first.rng.state, rngState);
});

test('returned sorters reflect every decision but the last agent\'s; a one-agent cycle copies no sorter', (t) => {
  const input = snapshot(6, ['f1', 'f2', 'f3']);
  const r = runAllocationCycle(input);
  // one offer per agent: the first five are charged; shares: f1..f3 hold 2, 2, 1 agents of 6 (in some order)
  t.is(r.charged, 5);
  const shares = ['f1', 'f2', 'f3'].map((f) => r.frameworkSorters.get('*')!.share(f)).sort();
  t.deepEqual(shares, [1 / 6, 1 / 3, 1 / 3]);
  const one = runAllocationCycle({ ...input, candidates: [input.agents.get(asAgentId('a3'))!] });
  t.is(one.decisions.length, 1);
  t.is(one.charged, 0);
  t.is(one.roleSorter, input.roleSorter);
  t.is(one.frameworkSorters.size, 0);
});
