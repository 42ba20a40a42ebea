/**
 * Weighted random order (Mesos `RandomSorter`): bookkeeping (clients, activity, allocations,
 * totals, shares for reporting) is delegated to a `DrfSorter`; the order is drawn afresh on every
 * iteration from the RNG passed in. With `hierarchical`, the children of every tree node are
 * shuffled by weight (Efraimidis-Spirakis: key u^(1/w), largest first), then walked depth-first,
 * so a role of weight 2 comes first twice as often as a sibling of weight 1.
 */
import type { Resources } from '../../../common/resources/resources.ts';
import type { Rng } from '../rng.ts';
import { DrfSorter } from './drf-sorter.ts';
import type { Sorter } from './sorter.ts';

interface Tree {
  readonly path: string;
  readonly leaf: boolean;
  readonly children: Map<string, Tree>;
}

export class RandomSorter implements Sorter {
  readonly kind = 'random' as const;
  private weights = new Map<string, number>();

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
    this.weights.set(path, weight);
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

  private tree(): Tree {
    const root: Tree = { path: '', leaf: false, children: new Map() };
    const active = this.book.clients().filter((c) => this.book.isActive(c)).sort();
    for (const client of active) {
      const segs = this.options.hierarchical ? client.split('/') : [client];
      let cur = root;
      for (let i = 0; i < segs.length; i++) {
        const path = segs.slice(0, i + 1).join('/');
        let next = cur.children.get(segs[i]);
        if (next === undefined) {
          next = { path, leaf: false, children: new Map() };
          cur.children.set(segs[i], next);
        }
        cur = next;
      }
      cur.children.set('.', { path: client, leaf: true, children: new Map() });
    }
    return root;
  }

  sort(rng: Rng): string[] {
    const out: string[] = [];
    const visit = (t: Tree): void => {
      if (t.leaf) {
        out.push(t.path);
        return;
      }
      const keyed = [...t.children.values()].map((c) => ({ c, key: Math.pow(rng.next(), 1 / (this.weights.get(c.path) ?? 1)) }));
      keyed.sort((a, b) => b.key - a.key);
      for (const { c } of keyed) visit(c);
    };
    visit(this.tree());
    return out;
  }

  forEachInOrder(rng: Rng, visit: (client: string) => boolean): void {
    for (const c of this.sort(rng)) if (!visit(c)) return;
  }

  clone(): RandomSorter {
    const c = new RandomSorter(this.options, this.book.clone());
    c.weights = new Map(this.weights);
    return c;
  }
}
