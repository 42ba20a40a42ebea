/**
 * The `Sorter` seam (after Mesos' `sorter.hpp`): orders clients (roles, or frameworks within a
 * role) for the allocation cycle. Clients are paths; a hierarchical sorter treats `a/b/c` as a
 * tree and orders the children of every node, then walks the tree depth-first. Contract, checked
 * by sorter.contract.test.ts against every implementation:
 * - `add` creates an inactive client with no allocation; only active clients are ever visited;
 * - `allocated`/`unallocated` track the scalar quantities held by a client (reservations and
 *   allocation roles ignored); the sorter's total is the sum of `addTotal` minus `removeTotal`;
 * - the order is a pure function of the sorter's state and, for randomised sorters, the RNG;
 * - `clone` is deep: mutating the clone never changes the original.
 */
import type { Resources } from '../../../common/resources/resources.ts';
import type { Rng } from '../../../common/rng.ts';

export interface Sorter {
  readonly kind: 'drf' | 'random';
  add(client: string): void;
  remove(client: string): void;
  contains(client: string): boolean;
  activate(client: string): void;
  deactivate(client: string): void;
  isActive(client: string): boolean;
  /** All clients, active or not, in no particular order. */
  clients(): string[];
  /** Weight of a path (a client or an inner node of a hierarchical sorter); default 1. */
  updateWeight(path: string, weight: number): void;
  addTotal(resources: Resources): void;
  removeTotal(resources: Resources): void;
  allocated(client: string, resources: Resources): void;
  unallocated(client: string, resources: Resources): void;
  /** Scalar quantities allocated to the client, by name, in units. */
  allocation(client: string): Map<string, number>;
  /** Weighted dominant share of the client: max over resources of allocated/total, divided by weight. */
  share(client: string): number;
  /** Active clients in allocation order. */
  sort(rng: Rng): string[];
  /** Visits active clients in allocation order until `visit` returns false; cheap when stopped early. */
  forEachInOrder(rng: Rng, visit: (client: string) => boolean): void;
  clone(): Sorter;
}
