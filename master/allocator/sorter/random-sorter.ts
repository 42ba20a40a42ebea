/**
 * Weighted random order (Mesos `RandomSorter`). Bookkeeping (clients, activity, allocations,
 * totals, shares for reporting) is delegated to a `DrfSorter`, whose tree already holds, at every
 * node, the children with an active client below (`SorterTreeNode.heap`): the random order walks
 * that tree, so nothing is rebuilt per call and membership changes cost what they cost in DRF.
 *
 * Order: at every node the children are drawn without replacement, with probability
 * proportional to their weight (a role of weight 2 comes first twice as often as a sibling of
 * weight 1), then each child's subtree is walked depth-first. Draws are lazy, so a walk that stops
 * after k clients costs O(k) when all weights are 1 (a Fisher-Yates shuffle over a virtual index
 * array, reset in O(1) by a generation stamp); with weights, each visited node draws keys for its
 * children (Efraimidis-Spirakis: key u^(1/w), largest first), O(n log n) in its child count.
 * The order is a function of the sorter's state and the RNG alone.
 */
import type { Resources } from '../../../common/resources/resources.ts';
import type { Rng } from '../../../common/rng.ts';
import { DrfSorter } from './drf-sorter.ts';
import type { SorterTreeNode } from './drf-sorter.ts';
import type { Sorter } from './sorter.ts';

/** Per-depth scratch of a walk, reused across walks (a role walk encloses framework walks of other sorters). */
class WalkScratch {
  /** Virtual permutation: position i holds `pos[i]` if `stamp[i] === gen`, else i. */
  pos = new Int32Array(16);
  stamp = new Uint32Array(16);
  gen = 0;
  order: number[] = [];
  keys: number[] = [];

  /** Starts a new virtual permutation of `n` positions. */
  reset(n: number): number {
    if (this.pos.length < n) {
      let size = this.pos.length;
      while (size < n) size *= 2;
      this.pos = new Int32Array(size);
      this.stamp = new Uint32Array(size);
      this.gen = 0;
    }
    if (this.gen === 0xffffffff) {
      this.stamp.fill(0);
      this.gen = 0;
    }
    return ++this.gen;
  }
}

export class RandomSorter implements Sorter {
  readonly kind = 'random' as const;
  /** Paths whose weight is not 1 (none: every node takes the unweighted path). */
  private weights = new Map<string, number>();
  private readonly scratch: WalkScratch[] = [];

  constructor(
    private readonly options: { readonly hierarchical: boolean },
    private readonly book: DrfSorter = new DrfSorter(options),
  ) {}

  add(client: string): void {
    this.book.add(client);
  }
  remove(client: string): void {
    this.book.remove(client);
  }
  contains(client: string): boolean {
    return this.book.contains(client);
  }
  activate(client: string): void {
    this.book.activate(client);
  }
  deactivate(client: string): void {
    this.book.deactivate(client);
  }
  isActive(client: string): boolean {
    return this.book.isActive(client);
  }
  clients(): string[] {
    return this.book.clients();
  }
  updateWeight(path: string, weight: number): void {
    if (weight === 1) this.weights.delete(path);
    else this.weights.set(path, weight);
    this.book.updateWeight(path, weight);
  }
  addTotal(resources: Resources): void {
    this.book.addTotal(resources);
  }
  removeTotal(resources: Resources): void {
    this.book.removeTotal(resources);
  }
  allocated(client: string, resources: Resources): void {
    this.book.allocated(client, resources);
  }
  unallocated(client: string, resources: Resources): void {
    this.book.unallocated(client, resources);
  }
  allocation(client: string): Map<string, number> {
    return this.book.allocation(client);
  }
  share(client: string): number {
    return this.book.share(client);
  }

  sort(rng: Rng): string[] {
    const out: string[] = [];
    this.forEachInOrder(rng, (c) => {
      out.push(c);
      return true;
    });
    return out;
  }

  forEachInOrder(rng: Rng, visit: (client: string) => boolean): void {
    this.walk(this.book.activeTree(), rng, visit, 0);
  }

  private scratchAt(depth: number): WalkScratch {
    while (this.scratch.length <= depth) this.scratch.push(new WalkScratch());
    return this.scratch[depth];
  }

  private walk(node: SorterTreeNode, rng: Rng, visit: (client: string) => boolean, depth: number): boolean {
    const kids = node.heap;
    const n = kids.length;
    if (n === 0) return true;
    const s = this.scratchAt(depth);
    if (this.weights.size > 0) {
      // Weighted: one key per child, largest first.
      const order = s.order;
      const keys = s.keys;
      order.length = 0;
      for (let i = 0; i < n; i++) {
        keys[i] = Math.pow(rng.next(), 1 / kids[i].weight);
        order.push(i);
      }
      order.sort((a, b) => keys[b] - keys[a] || a - b);
      // Walks below use the scratch of deeper levels, so `order` stays intact meanwhile.
      for (let k = 0; k < n; k++) {
        const c = kids[order[k]];
        if (c.isLeaf ? !visit(c.path) : !this.walk(c, rng, visit, depth + 1)) return false;
      }
      return true;
    }
    const gen = s.reset(n);
    for (let i = 0; i < n; i++) {
      const j = i + rng.nextInt(n - i);
      const atJ = s.stamp[j] === gen ? s.pos[j] : j;
      const atI = s.stamp[i] === gen ? s.pos[i] : i;
      s.pos[j] = atI;
      s.stamp[j] = gen;
      const c = kids[atJ];
      if (c.isLeaf ? !visit(c.path) : !this.walk(c, rng, visit, depth + 1)) return false;
    }
    return true;
  }

  clone(): RandomSorter {
    const c = new RandomSorter(this.options, this.book.clone());
    c.weights = new Map(this.weights);
    return c;
  }
}
