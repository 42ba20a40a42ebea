import test from 'ava';
import fc from 'fast-check';
import type { Instance, InstanceCondition } from '../model.ts';
import { killWeight, selectToKill } from './kill-selection.ts';
import { instance } from './test-builders.ts';

const at = (min: number) => `2026-11-22T10:${String(min).padStart(2, '0')}:00.000Z`;
const running = (id: string, startedMin: number, healthy?: boolean) =>
  instance(id, { condition: 'Running', stagedAt: at(startedMin), startedAt: at(startedMin), healthy });

test('weights: Provisioned 0, Unreachable 1, Staging 2, Starting 3, Running unhealthy 4, healthy 5, other 6', (t) => {
  const w = (condition: InstanceCondition, healthy?: boolean) => killWeight(instance('x', { condition, healthy }));
  t.deepEqual(
    [w('Provisioned'), w('Unreachable'), w('UnreachableInactive'), w('Staging'), w('Starting'),
      w('Running', false), w('Running'), w('Running', true), w('Killing')],
    [0, 1, 1, 2, 3, 4, 4, 5, 6],
  );
});

const mixed: Instance[] = [
  running('healthy-old', 1, true),
  running('healthy-young', 9, true),
  running('unhealthy', 5, false),
  instance('starting', { condition: 'Starting', stagedAt: at(10) }),
  instance('staging', { condition: 'Staging', stagedAt: at(11) }),
  instance('unreachable', { condition: 'Unreachable', stagedAt: at(2) }),
  instance('provisioned', { condition: 'Provisioned', stagedAt: at(12) }),
];

const cases: { name: string; count: number; selection: 'YOUNGEST_FIRST' | 'OLDEST_FIRST'; expected: string[] }[] = [
  { name: 'not yet running first', count: 5, selection: 'YOUNGEST_FIRST', expected: ['provisioned', 'unreachable', 'staging', 'starting', 'unhealthy'] },
  { name: 'YOUNGEST_FIRST among healthy', count: 6, selection: 'YOUNGEST_FIRST', expected: ['provisioned', 'unreachable', 'staging', 'starting', 'unhealthy', 'healthy-young'] },
  { name: 'OLDEST_FIRST among healthy', count: 6, selection: 'OLDEST_FIRST', expected: ['provisioned', 'unreachable', 'staging', 'starting', 'unhealthy', 'healthy-old'] },
  { name: 'count 0', count: 0, selection: 'YOUNGEST_FIRST', expected: [] },
  { name: 'count above candidates: all', count: 50, selection: 'OLDEST_FIRST', expected: ['provisioned', 'unreachable', 'staging', 'starting', 'unhealthy', 'healthy-old', 'healthy-young'] },
];

for (const c of cases) {
  test(`selectToKill: ${c.name}`, (t) => {
    t.deepEqual(selectToKill(mixed, c.count, c.selection), c.expected);
  });
}

test('same condition: youngest / oldest by start time, then by id', (t) => {
  const xs = [running('a', 3), running('b', 7), running('c', 5), running('d', 7)];
  t.deepEqual(selectToKill(xs, 4, 'YOUNGEST_FIRST'), ['b', 'd', 'c', 'a']); // 7, 7 (id), 5, 3
  t.deepEqual(selectToKill(xs, 4, 'OLDEST_FIRST'), ['a', 'c', 'b', 'd']); // 3, 5, 7, 7
});

test('instances already being killed or terminal are never selected', (t) => {
  const xs = [
    running('keep', 1),
    instance('stopping', { goal: 'Stopped', condition: 'Running' }),
    instance('decommissioned', { goal: 'Decommissioned', condition: 'Killing' }),
    instance('failed', { condition: 'Failed' }),
  ];
  t.deepEqual(selectToKill(xs, 4, 'YOUNGEST_FIRST'), ['keep']);
});

test('property: min(count, candidates) distinct ids, all candidates, weights non-decreasing', (t) => {
  const conditions: InstanceCondition[] = ['Provisioned', 'Staging', 'Starting', 'Running', 'Unreachable', 'Killing', 'Failed'];
  const arb = fc.array(fc.record({
    condition: fc.constantFrom(...conditions),
    minute: fc.integer({ min: 0, max: 59 }),
    healthy: fc.option(fc.boolean(), { nil: undefined }),
    goal: fc.constantFrom('Running' as const, 'Stopped' as const),
  }), { maxLength: 20 });
  fc.assert(fc.property(arb, fc.integer({ min: 0, max: 25 }), fc.constantFrom('YOUNGEST_FIRST' as const, 'OLDEST_FIRST' as const), (specs, count, sel) => {
    const xs = specs.map((s, k) => instance(`i${k}`, { condition: s.condition, stagedAt: at(s.minute), startedAt: at(s.minute), healthy: s.healthy, goal: s.goal }));
    const eligible = xs.filter((i) => i.goal === 'Running' && i.condition !== 'Failed');
    const picked = selectToKill(xs, count, sel);
    const byId = new Map(xs.map((i) => [i.instanceId, i]));
    const weights = picked.map((id) => killWeight(byId.get(id)!));
    return picked.length === Math.min(count, eligible.length)
      && new Set(picked).size === picked.length
      && picked.every((id) => eligible.includes(byId.get(id)!))
      && weights.every((w, k) => k === 0 || weights[k - 1] <= w)
      // nothing left behind is cheaper to kill than the last picked
      && (picked.length === 0 || eligible.filter((i) => !picked.includes(i.instanceId)).every((i) => killWeight(i) >= weights[weights.length - 1]));
  }), { seed: 99, numRuns: 300 });
  t.pass();
});
