import test from 'ava';
import { Rng } from '../../../common/rng.ts';
import { RandomSorter } from './random-sorter.ts';

function sorter(hierarchical: boolean, clients: readonly string[]): RandomSorter {
  const s = new RandomSorter({ hierarchical });
  for (const c of clients) {
    s.add(c);
    s.activate(c);
  }
  return s;
}

/** How often each client comes first over `draws` sorts from one seeded RNG. */
function firstCounts(s: RandomSorter, draws: number, seed: number): Record<string, number> {
  const rng = new Rng(seed);
  const out: Record<string, number> = {};
  for (let i = 0; i < draws; i++) {
    const first = s.sort(rng)[0];
    out[first] = (out[first] ?? 0) + 1;
  }
  return out;
}

test('first place follows the weights, per tree level (3000 seeded draws, +-5%)', (t) => {
  const cases: Array<{ clients: string[]; weights: Record<string, number>; hierarchical: boolean; want: Record<string, number> }> = [
    // equal weights: 1/3 each
    { clients: ['a', 'b', 'c'], weights: {}, hierarchical: false, want: { a: 1 / 3, b: 1 / 3, c: 1 / 3 } },
    // weight 2 against 1: 2/3 and 1/3
    { clients: ['a', 'b'], weights: { a: 2 }, hierarchical: false, want: { a: 2 / 3, b: 1 / 3 } },
    // the tree is drawn level by level: b against the subtree a, 1/2 each; a/x and a/y share a's half
    { clients: ['a/x', 'a/y', 'b'], weights: {}, hierarchical: true, want: { 'a/x': 1 / 4, 'a/y': 1 / 4, b: 1 / 2 } },
    // weight 3 on the inner node a: a's subtree first 3/4 of the time
    { clients: ['a/x', 'a/y', 'b'], weights: { a: 3 }, hierarchical: true, want: { 'a/x': 3 / 8, 'a/y': 3 / 8, b: 1 / 4 } },
  ];
  const draws = 3000;
  for (const c of cases) {
    const s = sorter(c.hierarchical, c.clients);
    for (const [path, w] of Object.entries(c.weights)) s.updateWeight(path, w);
    const got = firstCounts(s, draws, 11);
    for (const [client, p] of Object.entries(c.want)) {
      const frac = (got[client] ?? 0) / draws;
      t.true(Math.abs(frac - p) < 0.05, `${JSON.stringify(c)}: ${client} first ${frac}, want ${p}`);
    }
  }
});

test('a walk that stops after k clients draws k random numbers, however many clients there are', (t) => {
  const clients = Array.from({ length: 5000 }, (_, i) => `f${i}`);
  const s = sorter(false, clients);
  for (const k of [1, 3, 10]) {
    const rng = new Rng(5);
    let seen = 0;
    s.forEachInOrder(rng, () => ++seen < k);
    const expected = new Rng(5);
    for (let i = 0; i < k; i++) expected.next();
    t.is(seen, k);
    t.is(rng.state, expected.state, `k=${k}`);
  }
});

test('activity changes are seen at once, without a rebuild; the order is a permutation', (t) => {
  const s = sorter(true, ['a', 'b/c', 'b/d', 'e']);
  const rng = new Rng(2);
  t.deepEqual(s.sort(rng).sort(), ['a', 'b/c', 'b/d', 'e']);
  s.deactivate('b/c');
  s.deactivate('e');
  t.deepEqual(s.sort(rng).sort(), ['a', 'b/d']);
  s.activate('e');
  s.add('b/f');
  s.activate('b/f');
  t.deepEqual(s.sort(rng).sort(), ['a', 'b/d', 'b/f', 'e']);
  s.remove('b/d');
  t.deepEqual(s.sort(rng).sort(), ['a', 'b/f', 'e']);
});
