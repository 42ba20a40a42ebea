/**
 * The allocator's bookkeeping records, shared by the cycle (which only reads them) and the
 * hierarchical allocator (which owns and mutates them between cycles).
 * Invariants kept by hierarchical-allocator.ts:
 * - agent.available == agent.total - agent.allocated (or empty when the total shrank below it);
 * - agent.allocated == sum over frameworks of framework.allocations[agent] + sum of
 *   agent.orphans, unallocated (allocations are kept in allocated form: each entry carries the
 *   role it was allocated to); orphans are resources an agent reported in use by frameworks the
 *   allocator does not know (yet), adopted when the framework is added;
 * - every role with a subscribed framework or an allocation is a client of the role sorter, and
 *   every such framework a client of that role's framework sorter, active iff the framework is
 *   active, subscribed to the role and has not suppressed it.
 */
import type { AgentId, FrameworkId } from '../../common/ids.ts';
import type { Resources } from '../../common/resources/resources.ts';
import type { AgentDescription, FrameworkDescription, Quota } from './allocator.ts';

/** Scalar amounts by resource name, in thousandths (the fixed-point unit of common/resources). */
export type ScalarMap = Map<string, number>;

/** One quantity requirement of the minimum-allocatable check: every [resourceNameId, milli] must be met. */
export type MinQuantity = ReadonlyArray<readonly [number, number]>;

export interface OfferFilter {
  /** Declined resources (unallocated form): offers contained in them are filtered. */
  readonly resources: Resources;
  /** Milliseconds since the epoch (the `now` unit of the allocator). */
  readonly expiresAt: number;
}

export interface AgentState {
  readonly id: AgentId;
  info: AgentDescription;
  total: Resources;
  allocated: Resources;
  available: Resources;
  active: boolean;
  hasGpus: boolean;
  /** In use by frameworks not (yet) added, from addAgent's `used`; created on first need. */
  orphans: Map<FrameworkId, Resources> | undefined;
}

export interface FrameworkState {
  readonly id: FrameworkId;
  info: FrameworkDescription;
  active: boolean;
  roles: Set<string>;
  suppressed: Set<string>;
  /** role -> agent -> decline filters */
  readonly filters: Map<string, Map<AgentId, OfferFilter[]>>;
  readonly allocations: Map<AgentId, Resources>;
  /** role -> minimum-allocatable override (FrameworkInfo.offer_filters) */
  minAllocatable: Map<string, readonly MinQuantity[]>;
}

export interface RoleState {
  readonly name: string;
  /** Frameworks subscribed to the role or holding resources allocated to it. */
  readonly frameworks: Set<FrameworkId>;
  /**
   * Reserved or revocable scalars allocated to this exact role. The role sorter holds all scalars
   * allocated to the role, so unreserved non-revocable = sorter allocation - these (quota
   * consumption), without bookkeeping on the common unreserved path.
   */
  readonly allocatedExcluded: ScalarMap;
  /** Scalars of all agents' totals reserved to this exact role (quota consumption). */
  readonly reserved: ScalarMap;
}

export function addScalars(into: ScalarMap, r: Resources, sign: 1 | -1, pred?: (unreserved: boolean, revocable: boolean) => boolean): void {
  for (const e of r.entries) {
    if (e.kind !== 'SCALAR') continue;
    if (pred !== undefined && !pred(e.reservations.length === 0, e.revocable)) continue;
    const v = (into.get(e.name) ?? 0) + sign * e.milli;
    if (v === 0) into.delete(e.name);
    else into.set(e.name, v);
  }
}
