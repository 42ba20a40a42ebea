/**
 * One allocation cycle as a pure function (Mesos `HierarchicalAllocatorProcess::__allocate`):
 * state snapshot + `now` + RNG in, offers out. It never mutates its input: the sorters it must
 * update are cloned on first write (copy-on-write) and returned, with the advanced RNG, for the
 * allocator to adopt together with the decisions.
 *
 *   shuffle agents (seeded)
 *   stage 1 (only when some role has a guarantee): roles below their (effective) guarantee get
 *           offers that make progress towards it, bursting beyond only into the surplus
 *   stage 2: everyone, within quota limits and leaving the headroom of unmet guarantees
 *   (the quota rules of both stages: quota-tracker.ts)
 *   for each agent:                                       (active agents with something free)
 *     for each role in role-sorter order:                 (roles with frameworks)
 *       for each framework in the role's sorter order:    (active, subscribed, not suppressed)
 *         offer = what is left on the agent allocatable to the role (unreserved, or reserved to
 *                 the role or an ancestor), minus revocable unless the framework takes it,
 *                 chopped to quota; skipped if the agent has gpus and the framework lacks
 *                 GPU_RESOURCES, if it meets no minimum-allocatable quantity, or if a live
 *                 decline filter of the framework for this role and agent contains it
 *     the agent's offers are charged to the sorters before the next agent is placed
 *
 * Sorters are walked lazily, so an agent taken whole by the first framework costs O(log n).
 */
import type { AgentId, FrameworkId } from '../../common/ids.ts';
import { Resources } from '../../common/resources/resources.ts';
import type { OfferDecision, Quota } from './allocator.ts';
import type { AgentState, FrameworkState, MinQuantity, RoleState } from './allocator-state.ts';
import { isFiltered } from './decline-filters.ts';
import { QuotaTracker } from './quota-tracker.ts';
import type { Rng } from '../../common/rng.ts';
import type { Sorter } from './sorter/sorter.ts';

export interface CycleInput {
  readonly agents: ReadonlyMap<AgentId, AgentState>;
  /** Agents to consider (all, or those of an event-triggered allocation), in a stable order. */
  readonly candidates: readonly AgentState[];
  readonly frameworks: ReadonlyMap<FrameworkId, FrameworkState>;
  readonly roles: ReadonlyMap<string, RoleState>;
  readonly roleSorter: Sorter;
  readonly frameworkSorters: ReadonlyMap<string, Sorter>;
  readonly quotas: ReadonlyMap<string, Quota>;
  /** Master-wide minimum allocatable quantities (used where a framework sets none for the role). */
  readonly minAllocatable: readonly MinQuantity[];
  readonly now: number;
  readonly rng: Rng;
}

export interface CycleResult {
  readonly decisions: OfferDecision[];
  /** Per decision, the same resources in unallocated form (what leaves the agent's available). */
  readonly offered: Resources[];
  /** Per decision, the agent and framework records it concerns (saves the caller lookups). */
  readonly offeredAgents: AgentState[];
  readonly offeredFrameworks: FrameworkState[];
  /** The role sorter after the cycle (the input one when it did not need to change). */
  readonly roleSorter: Sorter;
  /** Framework sorters that changed, by role. */
  readonly frameworkSorters: Map<string, Sorter>;
  /**
   * The returned sorters reflect decisions[0, charged); the caller charges the rest (the last
   * agent's offers) to the sorters it keeps, after adopting the returned ones.
   */
  readonly charged: number;
  readonly rng: Rng;
}

/** Whether `offer` holds at least one of the minimum quantities (no minimums: anything goes). */
export function meetsMinimum(offer: Resources, mins: readonly MinQuantity[]): boolean {
  if (mins.length === 0) return true;
  // Indexed loops over a memoised vector: this runs once per offer, interpreted in a fresh process.
  const q = offer.quantityMilliById();
  for (let m = 0; m < mins.length; m++) {
    const min = mins[m];
    let ok = true;
    for (let j = 0; j < min.length; j++) {
      const id = min[j][0];
      if (id >= q.length || q[id] < min[j][1]) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}

export function runAllocationCycle(input: CycleInput): CycleResult {
  const rng = input.rng.clone();
  const order = rng.shuffle(input.candidates.slice());
  const decisions: OfferDecision[] = [];
  const offered: Resources[] = [];
  const offeredAgents: AgentState[] = [];
  const offeredFrameworks: FrameworkState[] = [];
  // Only a two-stage cycle needs to remember what stage 1 left on each agent.
  const remainingOf = new Map<AgentState, Resources>();
  const quota = input.quotas.size > 0 ? new QuotaTracker(input.quotas, input.roles, input.agents, input.roleSorter) : undefined;

  let roleSorter = input.roleSorter;
  let roleSorterCloned = false;
  const fwSorters = new Map<string, Sorter>();
  const sorterFor = (role: string): Sorter | undefined => fwSorters.get(role) ?? input.frameworkSorters.get(role);

  // Per-agent scratch, shared by the visitors below (created once per cycle, not per agent).
  let stage: 1 | 2 = 2;
  let agent: AgentState;
  let remaining: Resources = Resources.empty;
  let role = '';
  let forRole: Resources = Resources.empty;
  // decisions[0, charged) are reflected in `roleSorter` / `fwSorters`; later ones not yet.
  let charged = 0;
  let agentOffers = 0;

  /** Charges the offers made so far to the sorters (cloning them on first write). */
  const charge = (): void => {
    if (charged === decisions.length) return;
    if (!roleSorterCloned) {
      roleSorter = roleSorter.clone();
      roleSorterCloned = true;
    }
    for (let i = charged; i < decisions.length; i++) {
      const r = decisions[i].role;
      roleSorter.allocated(r, offered[i]);
      let fs = fwSorters.get(r);
      if (fs === undefined) {
        fs = input.frameworkSorters.get(r)!.clone();
        fwSorters.set(r, fs);
      }
      fs.allocated(decisions[i].frameworkId, offered[i]);
    }
    charged = decisions.length;
  };

  const visitFramework = (client: string): boolean => {
    const fw = input.frameworks.get(client as FrameworkId);
    if (fw === undefined) return true;
    if (agent.hasGpus && !fw.info.gpuResources) return true;
    let offer = forRole;
    if (offer.hasRevocable() && !fw.info.revocableResources) offer = offer.nonRevocable();
    if (quota !== undefined) offer = quota.fit(offer, role, stage);
    if (offer.isEmpty()) return true;
    if (!meetsMinimum(offer, fw.minAllocatable.get(role) ?? input.minAllocatable)) return true;
    if (fw.filters.size > 0 && isFiltered(fw, role, agent.id, offer, input.now)) return true;
    decisions.push({ frameworkId: fw.id, agentId: agent.id, role, resources: offer.allocate(role) });
    offered.push(offer);
    offeredAgents.push(agent);
    offeredFrameworks.push(fw);
    agentOffers++;
    remaining = offer === remaining ? Resources.empty : remaining.minus(offer);
    quota?.consume(role, offer);
    forRole = remaining.allocatableTo(role);
    return !forRole.isEmpty();
  };

  const visitRole = (r: string): boolean => {
    if (stage === 1 && !quota!.unsatisfied(r)) return true;
    const fs = sorterFor(r);
    if (fs === undefined) return true;
    role = r;
    forRole = remaining.allocatableTo(r);
    if (forRole.isEmpty()) return true;
    fs.forEachInOrder(rng, visitFramework);
    return !remaining.isEmpty();
  };

  const pass = (s: 1 | 2): void => {
    stage = s;
    const twoStage = s === 1;
    for (let k = 0; k < order.length; k++) {
      const a = order[k];
      if (!a.active) continue;
      agent = a;
      remaining = (remainingOf.size > 0 ? remainingOf.get(a) : undefined) ?? a.available;
      if (remaining.isEmpty()) continue;
      // Shares must reflect every earlier agent's offers before this agent is placed. The last
      // agent's offers are left for the caller to charge, so that a one-agent cycle (event-driven
      // allocation) never copies a sorter.
      charge();
      agentOffers = 0;
      roleSorter.forEachInOrder(rng, visitRole);
      if (agentOffers > 0 && twoStage) remainingOf.set(a, remaining);
    }
  };

  if (quota !== undefined && quota.hasGuarantees) pass(1);
  pass(2);
  return { decisions, offered, offeredAgents, offeredFrameworks, roleSorter, frameworkSorters: fwSorters, charged, rng };
}
