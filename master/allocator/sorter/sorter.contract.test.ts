/**
 * The contract every `Sorter` honours (see sorter.ts), run against each implementation.
 */
import test from 'ava';
import fc from 'fast-check';
import { Resources } from '../../../common/resources/resources.ts';
import { Rng } from '../../../common/rng.ts';
import { createSorter } from './create-sorter.ts';
import type { SorterKind } from './create-sorter.ts';

const R = (t: string) => Resources.parse(t);
const kinds: SorterKind[] = ['drf', 'random'];

for (const kind of kinds) {
  test(`${kind}: clients are added inactive; only active ones are ordered`, (t) => {
    const s = createSorter(kind, true);
    s.add('a');
    s.add('b/c');
    t.deepEqual(s.sort(new Rng(1)), []);
    s.activate('a');
    s.activate('b/c');
    t.deepEqual(s.sort(new Rng(1)).sort(), ['a', 'b/c']);
    s.deactivate('a');
    t.deepEqual(s.sort(new Rng(1)), ['b/c']);
    t.true(s.contains('a'));
    t.false(s.isActive('a'));
    s.remove('a');
    t.false(s.contains('a'));
    t.deepEqual(s.clients(), ['b/c']);
  });

  test(`${kind}: allocations and shares`, (t) => {
    const s = createSorter(kind, true);
    s.addTotal(R('cpus:10;mem:100'));
    s.add('a');
    s.activate('a');
    s.allocated('a', R('cpus:1;mem:50;ports:[1-2]'));
    t.deepEqual([...s.allocation('a')].sort(), [['cpus', 1], ['mem', 50]]);
    t.is(s.share('a'), 0.5); // mem 50/100 dominates cpus 1/10
    s.unallocated('a', R('mem:50'));
    t.is(s.share('a'), 0.1);
    s.updateWeight('a', 2);
    t.is(s.share('a'), 0.05);
  });

  test(`${kind}: a client that is also an inner node (a beside a/b)`, (t) => {
    const s = createSorter(kind, true);
    for (const c of ['a', 'a/b', 'a/b/c']) {
      s.add(c);
      s.activate(c);
    }
    t.deepEqual(s.sort(new Rng(3)).sort(), ['a', 'a/b', 'a/b/c']);
    s.remove('a/b');
    t.deepEqual(s.sort(new Rng(3)).sort(), ['a', 'a/b/c']);
  });

  test(`${kind}: forEachInOrder stops when asked`, (t) => {
    const s = createSorter(kind, false);
    for (const c of ['x', 'y', 'z']) {
      s.add(c);
      s.activate(c);
    }
    const seen: string[] = [];
    s.forEachInOrder(new Rng(5), (c) => {
      seen.push(c);
      return seen.length < 2;
    });
    t.is(seen.length, 2);
  });

  test(`${kind}: clone is deep`, (t) => {
    const s = createSorter(kind, true);
    s.addTotal(R('cpus:10'));
    s.add('a');
    s.activate('a');
    const c = s.clone();
    c.allocated('a', R('cpus:5'));
    c.add('b');
    c.activate('b');
    t.is(s.share('a'), 0);
    t.is(c.share('a'), 0.5);
    t.deepEqual(s.sort(new Rng(1)), ['a']);
  });

  test(`${kind}: property - the order is a permutation of the active clients and is reproducible`, (t) => {
    const ops = fc.array(
      fc.tuple(fc.constantFrom('add', 'remove', 'activate', 'deactivate', 'alloc', 'unalloc', 'weight', 'total'), fc.constantFrom('a', 'b', 'a/x', 'a/y', 'c/d/e', 'c'), fc.integer({ min: 1, max: 5 })),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(ops, fc.integer(), (list, seed) => {
        const s = createSorter(kind, true);
        const active = new Set<string>();
        const held = new Map<string, number>();
        s.addTotal(R('cpus:100'));
        for (const [op, c, n] of list) {
          if (op === 'add') s.add(c);
          else if (op === 'remove') {
            s.remove(c);
            active.delete(c);
            held.delete(c);
          } else if (!s.contains(c)) continue;
          else if (op === 'activate') {
            s.activate(c);
            active.add(c);
          } else if (op === 'deactivate') {
            s.deactivate(c);
            active.delete(c);
          } else if (op === 'alloc') {
            s.allocated(c, R(`cpus:${n}`));
            held.set(c, (held.get(c) ?? 0) + n);
          } else if (op === 'unalloc' && (held.get(c) ?? 0) >= n) {
            s.unallocated(c, R(`cpus:${n}`));
            held.set(c, held.get(c)! - n);
          } else if (op === 'weight') s.updateWeight(c.split('/')[0], n);
          else if (op === 'total') s.addTotal(R(`cpus:${n}`));
        }
        const order = s.sort(new Rng(seed));
        const again = s.clone().sort(new Rng(seed));
        return order.length === active.size && new Set(order).size === order.length && order.every((c) => active.has(c)) && order.join() === again.join();
      }),
    );
    t.pass();
  });
}
