/**
 * Weighted Dominant Resource Fairness over hierarchical clients (Mesos `DRFSorter`).
 *
 * Clients form a tree: with `hierarchical`, `a/b/c` sits under `a/b` under `a`; otherwise every
 * client is a child of the root. A client that is also an inner node (`a` beside `a/b`) becomes a
 * virtual leaf under the inner node of the same path. Every node holds the scalar allocation of
 * its subtree, the number of allocations made to it, and its share = max over resources of
 * allocated/total, divided by the weight of its path.
 *
 * Order: children of each node by (share, allocation count, path), then depth-first. Instead of
 * re-sorting per allocation, each node keeps its children whose subtree has an active leaf in a
 * binary min-heap (positions tracked), repaired in O(log n) when a share changes; iteration in
 * order pops lazily from the heap (k-smallest), so visiting the first few clients costs
 * O(k log k), not O(n). A change of totals or weights changes every share: the sorter marks itself
 * stale and rebuilds all heaps once, on the next iteration.
 * Invariant (when not stale): every node's heap holds exactly its children with an active leaf
 * below, in heap order, and each of them knows its heap index.
 */
import type { Resources } from '../../../common/resources/resources.ts';
import { resourceName, resourceNameId } from '../../../common/resources/resource.ts';
import type { Rng } from '../../../common/rng.ts';
import type { Sorter } from './sorter.ts';

/**
 * An empty array of doubles. Allocations in thousandths outgrow small integers (10k agents of
 * 1 GiB is 1e10), and shares are fractions: starting them as doubles (here, and `-0` for the
 * share, which equals 0 in every comparison) spares the first cycle the deoptimisations of code
 * that was compiled for small integers.
 */
function doubles(): number[] {
  const a = [-0];
  a.pop();
  return a;
}

/**
 * Children and heap of every leaf. Leaves never get children (a leaf that must become an inner
 * node is replaced by a new inner node, see `promote`), so they share these two empty values and
 * a clone of a large flat sorter allocates no map or array per client.
 */
const NO_CHILDREN = new Map<string, Node>();
const NO_HEAP: Node[] = [];

/**
 * A tree node; a class so that every node (clones included) shares one hidden class, with every
 * field set in the constructor (no separate initialiser to run per node).
 */
class Node {
  declare children: Map<string, Node>;
  /** Children whose subtree has an active leaf, as a binary min-heap. */
  declare heap: Node[];
  /** Position in the parent's heap, or -1; always exact (clone relies on it). */
  declare heapIndex: number;
  declare count: number;
  declare share: number;
  declare active: boolean;
  declare activeLeaves: number;

  constructor(
    public path: string,
    /** Segment under the parent; '.' for a virtual leaf. */
    public segment: string,
    public isLeaf: boolean,
    public parent: Node | undefined,
    public weight: number,
    /** Allocation in thousandths, by resource index of the sorter. */
    public alloc: number[],
  ) {
    this.children = isLeaf ? NO_CHILDREN : new Map();
    this.heap = isLeaf ? NO_HEAP : [];
    this.heapIndex = -1;
    this.count = 0;
    this.share = -0;
    this.active = false;
    this.activeLeaves = 0;
  }
}

function newNode(path: string, segment: string, isLeaf: boolean, parent: Node | undefined, weight: number): Node {
  return new Node(path, segment, isLeaf, parent, weight, doubles());
}

function less(a: Node, b: Node): boolean {
  if (a.share !== b.share) return a.share < b.share;
  if (a.count !== b.count) return a.count < b.count;
  return a.path < b.path;
}

function siftUp(heap: Node[], i: number): void {
  const n = heap[i];
  while (i > 0) {
    const p = (i - 1) >> 1;
    const pn = heap[p];
    if (!less(n, pn)) break;
    heap[i] = pn;
    pn.heapIndex = i;
    i = p;
  }
  heap[i] = n;
  n.heapIndex = i;
}

/**
 * The comparisons are written out rather than calling `less`: an allocation to the first client
 * of a large sorter sinks it through every level, and in a fresh process this runs interpreted
 * (where every call costs) until the optimising compiler takes over.
 */
function siftDown(heap: Node[], i: number): void {
  const n = heap[i];
  const len = heap.length;
  const ns = n.share;
  const nc = n.count;
  const np = n.path;
  for (;;) {
    let c = 2 * i + 1;
    if (c >= len) break;
    let cn = heap[c];
    if (c + 1 < len) {
      const rn = heap[c + 1];
      if (rn.share < cn.share || (rn.share === cn.share && (rn.count < cn.count || (rn.count === cn.count && rn.path < cn.path)))) {
        c++;
        cn = rn;
      }
    }
    if (!(cn.share < ns || (cn.share === ns && (cn.count < nc || (cn.count === nc && cn.path < np))))) break;
    heap[i] = cn;
    cn.heapIndex = i;
    i = c;
  }
  heap[i] = n;
  n.heapIndex = i;
}

function heapInsert(heap: Node[], n: Node): void {
  heap.push(n);
  siftUp(heap, heap.length - 1);
}

function heapRemove(heap: Node[], n: Node): void {
  const i = n.heapIndex;
  const last = heap.pop()!;
  n.heapIndex = -1;
  if (last === n) return;
  heap[i] = last;
  last.heapIndex = i;
  siftUp(heap, i);
  siftDown(heap, last.heapIndex);
}

function heapify(heap: Node[]): void {
  for (let i = 0; i < heap.length; i++) heap[i].heapIndex = i;
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(heap, i);
}

/**
 * Auxiliary min-heap of indices into `heap`, for lazy in-order iteration. `aux[0]` holds the size
 * (so that a pooled array is reset by one store, not by truncation); entries live at 1..size.
 */
function auxPush(aux: number[], heap: readonly Node[], idx: number): void {
  let i = ++aux[0];
  while (i > 1) {
    const p = i >> 1;
    if (!less(heap[idx], heap[aux[p]])) break;
    aux[i] = aux[p];
    i = p;
  }
  aux[i] = idx;
}

function auxPop(aux: number[], heap: readonly Node[]): number {
  const top = aux[1];
  const len = aux[0]--;
  const last = aux[len];
  const size = len - 1;
  if (size === 0) return top;
  let i = 1;
  for (;;) {
    const l = 2 * i;
    if (l > size) break;
    const r = l + 1;
    const c = r <= size && less(heap[aux[r]], heap[aux[l]]) ? r : l;
    if (!less(heap[aux[c]], heap[last])) break;
    aux[i] = aux[c];
    i = c;
  }
  aux[i] = last;
  return top;
}

/**
 * Read-only view of a sorter tree node, for orders other than DRF built on the same bookkeeping
 * (random-sorter.ts): `heap` holds exactly the children with an active leaf below (in no order a
 * reader may rely on), `weight` is the weight of the node's path.
 */
export interface SorterTreeNode {
  readonly path: string;
  readonly isLeaf: boolean;
  readonly weight: number;
  readonly heap: readonly SorterTreeNode[];
}

export interface DrfSorterOptions {
  /** Treat `/` in client names as the role hierarchy (role sorters); frameworks sorters are flat. */
  readonly hierarchical: boolean;
}

export class DrfSorter implements Sorter {
  readonly kind = 'drf' as const;
  private readonly hierarchical: boolean;
  private root: Node;
  private leaves = new Map<string, Node>();
  private inner = new Map<string, Node>();
  private weights = new Map<string, number>();
  /** Totals in thousandths, indexed by `resourceNameId`. */
  private totals: number[] = doubles();
  private stale = false;
  private readonly auxPool: number[][] = [];

  constructor(options: DrfSorterOptions) {
    this.hierarchical = options.hierarchical;
    this.root = newNode('', '', false, undefined, 1);
  }

  private weightOf(path: string): number {
    return this.weights.get(path) ?? 1;
  }

  private index(name: string): number {
    const k = resourceNameId(name);
    while (this.totals.length <= k) this.totals.push(0);
    return k;
  }

  private computeShare(n: Node): number {
    let s = 0;
    const a = n.alloc;
    const t = this.totals;
    for (let k = 0; k < a.length; k++) {
      const tk = k < t.length ? t[k] : 0;
      if (tk > 0) {
        const r = a[k] / tk;
        if (r > s) s = r;
      }
    }
    return s / n.weight;
  }

  add(client: string): void {
    if (this.leaves.has(client)) return;
    let cur = this.root;
    const segments = this.hierarchical ? client.split('/') : [client];
    for (let i = 0; i < segments.length - 1; i++) {
      const seg = segments[i];
      const path = segments.slice(0, i + 1).join('/');
      let child = cur.children.get(seg);
      if (child === undefined) {
        child = newNode(path, seg, false, cur, this.weightOf(path));
        cur.children.set(seg, child);
        this.inner.set(path, child);
      } else if (child.isLeaf) {
        child = this.promote(child);
      }
      cur = child;
    }
    const last = segments[segments.length - 1];
    const existing = cur.children.get(last);
    let leaf: Node;
    if (existing !== undefined) {
      leaf = newNode(client, '.', true, existing, this.weightOf(client));
      existing.children.set('.', leaf);
    } else {
      leaf = newNode(client, last, true, cur, this.weightOf(client));
      cur.children.set(last, leaf);
    }
    this.leaves.set(client, leaf);
  }

  /** Turns a leaf into an inner node of the same path with the leaf as its virtual child. */
  private promote(leaf: Node): Node {
    const parent = leaf.parent!;
    const n = newNode(leaf.path, leaf.segment, false, parent, leaf.weight);
    n.alloc = leaf.alloc.slice();
    n.count = leaf.count;
    n.share = leaf.share;
    n.activeLeaves = leaf.activeLeaves;
    parent.children.set(leaf.segment, n);
    if (leaf.heapIndex >= 0) {
      n.heapIndex = leaf.heapIndex;
      parent.heap[n.heapIndex] = n;
      leaf.heapIndex = 0;
      n.heap.push(leaf);
    }
    leaf.parent = n;
    leaf.segment = '.';
    n.children.set('.', leaf);
    this.inner.set(n.path, n);
    return n;
  }

  remove(client: string): void {
    const leaf = this.leaves.get(client);
    if (leaf === undefined) return;
    if (leaf.active) this.deactivate(client);
    for (let n: Node | undefined = leaf.parent; n !== undefined && n !== this.root; n = n.parent) {
      for (let k = 0; k < leaf.alloc.length; k++) n.alloc[k] -= leaf.alloc[k];
      n.share = this.computeShare(n);
      if (n.heapIndex >= 0 && !this.stale) this.fix(n);
    }
    this.leaves.delete(client);
    let p = leaf.parent!;
    p.children.delete(leaf.segment);
    while (p !== this.root && p.children.size === 0) {
      const up = p.parent!;
      up.children.delete(p.segment);
      this.inner.delete(p.path);
      p = up;
    }
  }

  contains(client: string): boolean {
    return this.leaves.has(client);
  }

  activate(client: string): void {
    const leaf = this.leaves.get(client);
    if (leaf === undefined || leaf.active) return;
    leaf.active = true;
    leaf.activeLeaves = 1;
    heapInsert(leaf.parent!.heap, leaf);
    for (let n = leaf.parent!; n !== this.root; n = n.parent!) {
      n.activeLeaves++;
      if (n.activeLeaves === 1) heapInsert(n.parent!.heap, n);
    }
  }

  deactivate(client: string): void {
    const leaf = this.leaves.get(client);
    if (leaf === undefined || !leaf.active) return;
    leaf.active = false;
    leaf.activeLeaves = 0;
    this.detach(leaf);
    for (let n = leaf.parent!; n !== this.root; n = n.parent!) {
      n.activeLeaves--;
      if (n.activeLeaves === 0) this.detach(n);
    }
  }

  private detach(n: Node): void {
    const heap = n.parent!.heap;
    if (this.stale) {
      const i = heap.indexOf(n);
      heap.splice(i, 1);
      for (let j = i; j < heap.length; j++) heap[j].heapIndex = j;
      n.heapIndex = -1;
    } else {
      heapRemove(heap, n);
    }
  }

  isActive(client: string): boolean {
    return this.leaves.get(client)?.active ?? false;
  }

  clients(): string[] {
    return [...this.leaves.keys()];
  }

  updateWeight(path: string, weight: number): void {
    if (weight === 1) this.weights.delete(path);
    else this.weights.set(path, weight);
    const leaf = this.leaves.get(path);
    if (leaf !== undefined) leaf.weight = weight;
    const node = this.inner.get(path);
    if (node !== undefined) node.weight = weight;
    this.stale = true;
  }

  addTotal(resources: Resources): void {
    for (const e of resources.entries) {
      if (e.kind !== 'SCALAR') continue;
      this.totals[this.index(e.name)] += e.milli;
      this.stale = true;
    }
  }

  removeTotal(resources: Resources): void {
    for (const e of resources.entries) {
      if (e.kind !== 'SCALAR') continue;
      this.totals[this.index(e.name)] -= e.milli;
      this.stale = true;
    }
  }

  private fix(n: Node): void {
    const heap = n.parent!.heap;
    const i = n.heapIndex;
    siftUp(heap, i);
    if (n.heapIndex === i) siftDown(heap, i);
  }

  /**
   * Charges (sign 1) or credits (-1) a client and its ancestors, recomputing their shares and
   * repairing their parents' heaps. Written as one function with the share and the sift-up
   * inlined: it runs twice per offer, and in a fresh process every separate hot function has to
   * be interpreted through its own warm-up before the optimising compiler takes it.
   */
  private change(client: string, resources: Resources, sign: 1 | -1): void {
    const leaf = this.leaves.get(client);
    if (leaf === undefined) return;
    const v = resources.scalarMilliById();
    const t = this.totals;
    const repair = !this.stale;
    for (let n: Node = leaf; n !== this.root; n = n.parent!) {
      const a = n.alloc;
      while (a.length < v.length) a.push(0);
      let s = 0;
      for (let k = 0; k < a.length; k++) {
        if (k < v.length) a[k] += sign * v[k];
        const tk = k < t.length ? t[k] : 0;
        if (tk > 0 && a[k] / tk > s) s = a[k] / tk;
      }
      if (sign > 0) n.count++;
      n.share = s / n.weight;
      if (!repair || n.heapIndex < 0) continue;
      // Sift up while smaller than the parent; if it did not move, sift down.
      const heap = n.parent!.heap;
      let i = n.heapIndex;
      const i0 = i;
      const ns = n.share;
      const nc = n.count;
      const np = n.path;
      while (i > 0) {
        const p = (i - 1) >> 1;
        const pn = heap[p];
        if (!(ns < pn.share || (ns === pn.share && (nc < pn.count || (nc === pn.count && np < pn.path))))) break;
        heap[i] = pn;
        pn.heapIndex = i;
        i = p;
      }
      heap[i] = n;
      n.heapIndex = i;
      if (i === i0) siftDown(heap, i);
    }
  }

  allocated(client: string, resources: Resources): void {
    this.change(client, resources, 1);
  }

  unallocated(client: string, resources: Resources): void {
    this.change(client, resources, -1);
  }

  allocation(client: string): Map<string, number> {
    const out = new Map<string, number>();
    const leaf = this.leaves.get(client);
    if (leaf === undefined) return out;
    for (let k = 0; k < leaf.alloc.length; k++) if (leaf.alloc[k] !== 0) out.set(resourceName(k), leaf.alloc[k] / 1000);
    return out;
  }

  share(client: string): number {
    const leaf = this.leaves.get(client);
    if (leaf === undefined) return 0;
    if (this.stale) this.refresh();
    return leaf.share;
  }

  /** Recomputes every share and rebuilds every heap (after totals or weights changed). */
  private refresh(): void {
    const visit = (n: Node): void => {
      for (const c of n.children.values()) {
        c.share = this.computeShare(c);
        if (!c.isLeaf) visit(c);
      }
      heapify(n.heap);
    };
    visit(this.root);
    this.stale = false;
  }

  /** The root of the tree of active clients (see `SorterTreeNode`); valid until the next mutation. */
  activeTree(): SorterTreeNode {
    return this.root;
  }

  sort(rng: Rng): string[] {
    const out: string[] = [];
    this.forEachInOrder(rng, (c) => {
      out.push(c);
      return true;
    });
    return out;
  }

  forEachInOrder(_rng: Rng, visit: (client: string) => boolean): void {
    if (this.stale) this.refresh();
    walk(this.root, visit, this.auxPool, 0);
  }

  clone(): DrfSorter {
    const c = new DrfSorter({ hierarchical: this.hierarchical });
    c.weights = new Map(this.weights);
    c.totals = this.totals.slice();
    c.stale = this.stale;
    const copy = (n: Node, parent: Node | undefined): Node => {
      const m = new Node(n.path, n.segment, n.isLeaf, parent, n.weight, n.alloc.slice());
      m.heapIndex = n.heapIndex;
      m.count = n.count;
      m.share = n.share;
      m.active = n.active;
      m.activeLeaves = n.activeLeaves;
      if (m.isLeaf) {
        c.leaves.set(m.path, m);
        return m;
      }
      if (parent !== undefined) c.inner.set(m.path, m);
      // Same heap positions: every child in the heap sits at its (exact) heapIndex.
      const heap = n.heap.slice();
      for (const [seg, child] of n.children) {
        const mc = copy(child, m);
        m.children.set(seg, mc);
        if (child.heapIndex >= 0) heap[child.heapIndex] = mc;
      }
      m.heap = heap;
      return m;
    };
    c.root = copy(this.root, undefined);
    return c;
  }
}

/**
 * In-order walk. `auxPool` holds scratch arrays, one per tree depth, reused across calls so that
 * nothing is allocated per visit; each sorter has its own pool (a role sorter's walk encloses
 * framework sorters' walks), and `visit` must not start another walk of the same sorter.
 */
function walk(node: Node, visit: (client: string) => boolean, auxPool: number[][], depth: number): boolean {
  const heap = node.heap;
  if (heap.length === 0) return true;
  if (auxPool.length <= depth) auxPool.push([0, 0]);
  const aux = auxPool[depth];
  aux[0] = 1;
  aux[1] = 0;
  while (aux[0] > 0) {
    const i = auxPop(aux, heap);
    const c = heap[i];
    if (c.isLeaf ? !visit(c.path) : !walk(c, visit, auxPool, depth + 1)) return false;
    const l = 2 * i + 1;
    if (l < heap.length) auxPush(aux, heap, l);
    if (l + 1 < heap.length) auxPush(aux, heap, l + 1);
  }
  return true;
}
