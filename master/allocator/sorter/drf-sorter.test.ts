import test from 'ava';
import fc from 'fast-check';
import { Resources } from '../../../common/resources/resources.ts';
import { Rng } from '../../../common/rng.ts';
import { DrfSorter } from './drf-sorter.ts';

const R = (t: string) => Resources.parse(t);
const rng = new Rng(0);

function sorter(hierarchical: boolean, total: string, clients: Array<[string, string]>, weights: Array<[string, number]> = []): DrfSorter {
  const s = new DrfSorter({ hierarchical });
  s.addTotal(R(total));
  for (const [w, v] of weights) s.updateWeight(w, v);
  for (const [c, alloc] of clients) {
    s.add(c);
    s.activate(c);
    if (alloc !== '') s.allocated(c, R(alloc));
  }
  return s;
}

test('dominant shares decide the order (table)', (t) => {
  const cases: Array<{ total: string; clients: Array<[string, string]>; weights?: Array<[string, number]>; order: string[] }> = [
    // shares: a=.5 (mem) b=.2 (cpus) c=0
    { total: 'cpus:10;mem:100', clients: [['a', 'cpus:1;mem:50'], ['b', 'cpus:2;mem:10'], ['c', '']], order: ['c', 'b', 'a'] },
    // shares: a=.3 b=.3 -> tie on share and allocation count, then name
    { total: 'cpus:10', clients: [['b', 'cpus:3'], ['a', 'cpus:3']], order: ['a', 'b'] },
    // weighted shares: a=.6/3=.2 b=.3
    { total: 'cpus:10', clients: [['a', 'cpus:6'], ['b', 'cpus:3']], weights: [['a', 3]], order: ['a', 'b'] },
    // shares: gpus dominate for a: a=1 (gpus 1/1) b=.9 (cpus)
    { total: 'cpus:10;gpus:1', clients: [['a', 'gpus:1'], ['b', 'cpus:9']], order: ['b', 'a'] },
  ];
  for (const c of cases) t.deepEqual(sorter(false, c.total, c.clients, c.weights).sort(rng), c.order, JSON.stringify(c));
});

test('ties on share are broken by allocation count', (t) => {
  const s = sorter(false, 'cpus:10', [['a', ''], ['b', '']]);
  s.allocated('a', R('cpus:1'));
  s.allocated('a', R('cpus:1'));
  s.unallocated('a', R('cpus:2'));
  // shares: a=0 b=0; counts: a=2 b=0
  t.deepEqual(s.sort(rng), ['b', 'a']);
});

test('hierarchical roles: siblings are ordered by subtree share, then depth-first', (t) => {
  // subtree shares: a=.4 (a/x .1 + a/y .3), b=.2 ; within a: x=.1 y=.3
  const s = sorter(true, 'cpus:10', [['a/x', 'cpus:1'], ['a/y', 'cpus:3'], ['b', 'cpus:2']]);
  t.deepEqual(s.sort(rng), ['b', 'a/x', 'a/y']);
  // weight 4 on a: a=.4/4=.1 < b=.2
  s.updateWeight('a', 4);
  t.deepEqual(s.sort(rng), ['a/x', 'a/y', 'b']);
  // a role beside its children: virtual leaf a (0) sorts first within a
  s.add('a');
  s.activate('a');
  t.deepEqual(s.sort(rng), ['a', 'a/x', 'a/y', 'b']);
  t.is(s.share('b'), 0.2);
});

test('deactivating all leaves of a subtree hides the subtree', (t) => {
  const s = sorter(true, 'cpus:10', [['a/x', ''], ['a/y', ''], ['b', 'cpus:1']]);
  s.deactivate('a/x');
  s.deactivate('a/y');
  t.deepEqual(s.sort(rng), ['b']);
  s.activate('a/y');
  t.deepEqual(s.sort(rng), ['a/y', 'b']);
});

test('property: incremental order equals a full sort by (share, count, name)', (t) => {
  const names = ['f0', 'f1', 'f2', 'f3', 'f4', 'f5'];
  const ops = fc.array(fc.tuple(fc.constantFrom('alloc', 'unalloc', 'toggle', 'total'), fc.constantFrom(...names), fc.integer({ min: 1, max: 9 })), { maxLength: 60 });
  fc.assert(
    fc.property(ops, (list) => {
      const s = new DrfSorter({ hierarchical: false });
      s.addTotal(R('cpus:50;mem:500'));
      const held = new Map(names.map((n) => [n, 0]));
      const count = new Map(names.map((n) => [n, 0]));
      const active = new Set(names);
      let total = 50;
      for (const n of names) {
        s.add(n);
        s.activate(n);
      }
      for (const [op, c, k] of list) {
        if (op === 'alloc') {
          s.allocated(c, R(`cpus:${k}`));
          held.set(c, held.get(c)! + k);
          count.set(c, count.get(c)! + 1);
        } else if (op === 'unalloc' && held.get(c)! >= k) {
          s.unallocated(c, R(`cpus:${k}`));
          held.set(c, held.get(c)! - k);
        } else if (op === 'toggle') {
          if (active.has(c)) {
            s.deactivate(c);
            active.delete(c);
          } else {
            s.activate(c);
            active.add(c);
          }
        } else if (op === 'total') {
          s.addTotal(R(`cpus:${k}`));
          total += k;
        }
        // Interleave reads so that the heaps are exercised between changes.
        if (k % 3 === 0) s.sort(rng);
      }
      const want = [...active].sort((a, b) => held.get(a)! / total - held.get(b)! / total || count.get(a)! - count.get(b)! || (a < b ? -1 : 1));
      return s.sort(rng).join() === want.join();
    }),
  );
  t.pass();
});
