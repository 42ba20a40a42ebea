import test from 'ava';
import { asAgentId, asFrameworkId } from '../../common/ids.ts';
import { Resources } from '../../common/resources/resources.ts';
import type { FrameworkState } from './allocator-state.ts';
import { addDeclineFilter, expireFilters, isFiltered, refuseSecondsOf } from './decline-filters.ts';

test('refuse_seconds rules (table)', (t) => {
  const cases: Array<[number | undefined, number]> = [
    [undefined, 5], // Mesos default
    [0, 0], // no filter
    [-1, 5], // negative: the default
    [Number.NaN, 5],
    [2.5, 2.5],
    [1e12, 365 * 24 * 3600], // capped at a year
  ];
  for (const [given, want] of cases) t.is(refuseSecondsOf(given), want, String(given));
});

test('a filter hides contained offers until it expires, and expiry prunes it', (t) => {
  const fw: FrameworkState = {
    id: asFrameworkId('f'),
    info: { roles: ['r'], suppressedRoles: [], gpuResources: false, revocableResources: false },
    active: true,
    roles: new Set(['r']),
    suppressed: new Set(),
    filters: new Map(),
    allocations: new Map(),
    minAllocatable: new Map(),
  };
  const a = asAgentId('a');
  addDeclineFilter(fw, 'r', a, Resources.parse('cpus:2;mem:100'), 10, 1_000);
  addDeclineFilter(fw, 'r', a, Resources.parse('gpus:1'), 0, 1_000);
  // [offer, role, agent, now, filtered]
  const cases: Array<[string, string, string, number, boolean]> = [
    ['cpus:1', 'r', 'a', 1_000, true],
    ['cpus:2;mem:100', 'r', 'a', 10_999, true],
    ['cpus:3', 'r', 'a', 2_000, false], // more than declined
    ['cpus:1', 'other', 'a', 2_000, false],
    ['cpus:1', 'r', 'b', 2_000, false],
    ['cpus:1', 'r', 'a', 11_000, false], // expired
    ['gpus:1', 'r', 'a', 2_000, false], // refuse 0 made no filter
  ];
  for (const [offer, role, agent, now, want] of cases) t.is(isFiltered(fw, role, asAgentId(agent), Resources.parse(offer), now), want, `${offer} ${role} ${agent} ${now}`);
  expireFilters(fw, 10_999);
  t.is(fw.filters.size, 1);
  expireFilters(fw, 11_000);
  t.is(fw.filters.size, 0);
});
