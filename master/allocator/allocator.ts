/**
 * The allocator seam between the master and the offer logic (Mesos' `Allocator` interface, minus
 * the actor plumbing). The master tells the allocator what exists (agents, frameworks, roles,
 * weights, quota) and what was used or given back; `allocate(now)` runs one allocation cycle and
 * returns the offers to make. Everything it decides is a value; it never calls the master.
 *
 * Bookkeeping follows Mesos: resources are "allocated" to a framework from the moment they are
 * offered until the master recovers them (declined, offer rescinded or expired, unused part of an
 * ACCEPT, task or executor terminal). The master owns offers and tasks; the allocator owns shares.
 *
 * The cycle itself is a pure function of the allocator's state, `now` and a seeded RNG
 * (see allocation-cycle.ts); this class holds the state and applies the cycle's decisions.
 * Every `now` is milliseconds since the epoch (the master's clock port); the allocator reads no
 * clock itself. Implementation: hierarchical-allocator.ts (`createAllocator` in index.ts).
 */
import type { AgentId, FrameworkId } from '../../common/ids.ts';
import type { Resources } from '../../common/resources/resources.ts';

export interface AgentDescription {
  readonly hostname: string;
  /** Mesos attributes as name -> text form (`rack:r1`, ranges and sets in Mesos text form). */
  readonly attributes: Readonly<Record<string, string>>;
  readonly region?: string;
  readonly zone?: string;
}

export interface FrameworkDescription {
  /** The roles the framework subscribes with (MULTI_ROLE `roles`, or the single legacy `role`). */
  readonly roles: readonly string[];
  /** Roles for which the framework has suppressed offers. */
  readonly suppressedRoles: readonly string[];
  /** Frameworks without GPU_RESOURCES are never offered agents that have gpus (Mesos rule). */
  readonly gpuResources: boolean;
  /** Offer revocable resources only to REVOCABLE_RESOURCES frameworks. */
  readonly revocableResources: boolean;
  /** Minimum allocatable resources per role (FrameworkInfo.offer_filters[role].min_allocatable_resources); absent = master default. */
  readonly minAllocatable?: Readonly<Record<string, readonly Resources[]>>;
}

/** Operator quota for a role: guarantees are reserved headroom, limits an upper bound (scalars only). */
export interface Quota {
  readonly guarantees: Readonly<Record<string, number>>;
  readonly limits: Readonly<Record<string, number>>;
}

export interface Filters {
  /** Seconds during which the declined resources are not re-offered to the framework (Mesos default 5). */
  readonly refuseSeconds?: number;
}

/** One offer to make: resources of one agent, allocated to one framework under one role. */
export interface OfferDecision {
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
  readonly role: string;
  readonly resources: Resources;
}

export interface AllocatorOptions {
  /** Seed of the allocator's RNG (agent shuffling, random sorter). */
  readonly seed: number;
  /** 'drf' (default) or 'random', for both the role and the framework sorters. */
  readonly sorter?: 'drf' | 'random';
  /** Master-wide minimum allocatable resources: an offer is made only if it contains one of these (Mesos default: cpus:0.01 | mem:32). */
  readonly minAllocatable?: readonly Resources[];
}

export interface Allocator {
  addAgent(id: AgentId, info: AgentDescription, total: Resources, used: ReadonlyMap<FrameworkId, Resources>): void;
  removeAgent(id: AgentId): void;
  /** A new total (after RESERVE/UNRESERVE checkpointed on the agent, or a changed agent). */
  updateAgentTotal(id: AgentId, total: Resources): void;
  /** Unreachable or draining agents are deactivated: no offers, allocations kept. */
  activateAgent(id: AgentId): void;
  deactivateAgent(id: AgentId): void;

  addFramework(id: FrameworkId, info: FrameworkDescription, used: ReadonlyMap<AgentId, Resources>, active: boolean): void;
  updateFramework(id: FrameworkId, info: FrameworkDescription): void;
  removeFramework(id: FrameworkId): void;
  /** Disconnected frameworks keep their allocation but get no offers. */
  activateFramework(id: FrameworkId): void;
  deactivateFramework(id: FrameworkId): void;

  /** Give resources back: declined, rescinded, unused part of an accept, terminal task. `filters` only on DECLINE/ACCEPT. */
  recoverResources(frameworkId: FrameworkId, agentId: AgentId, resources: Resources, filters: Filters | undefined, now: number): void;
  /**
   * Resources allocated to a framework changed shape without changing owner (RESERVE/UNRESERVE/
   * CREATE/DESTROY applied to offered resources). The agent's total changes the same way here;
   * a following updateAgentTotal with the resulting total is harmless (it sets the same value).
   */
  updateAllocation(frameworkId: FrameworkId, agentId: AgentId, from: Resources, to: Resources): void;

  suppressOffers(frameworkId: FrameworkId, roles: readonly string[]): void;
  /** Revive clears the framework's decline filters (for the given roles, or all) and un-suppresses them. */
  reviveOffers(frameworkId: FrameworkId, roles: readonly string[]): void;

  updateWeights(weights: ReadonlyMap<string, number>): void;
  updateQuota(role: string, quota: Quota | undefined): void;

  /** Runs one allocation cycle over all agents and records the result as allocated. */
  allocate(now: number): OfferDecision[];
  /** Runs a cycle restricted to these agents (event-triggered allocation: agent added, resources recovered). */
  allocateAgents(agentIds: readonly AgentId[], now: number): OfferDecision[];

  /** Read-only views for the operator API, UI and metrics. */
  roleShares(): ReadonlyArray<{ role: string; weight: number; allocated: Resources; share: number; quota?: Quota }>;
  frameworkShare(id: FrameworkId): number;
}
