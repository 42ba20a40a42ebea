/**
 * The allocator the master talks to (`Allocator` in allocator.ts), after Mesos'
 * `HierarchicalAllocatorProcess`: it owns the mutable bookkeeping (agents with total, allocated
 * and available; frameworks with roles, suppression, decline filters and allocations; roles with
 * quota consumption; the role sorter and one framework sorter per role), keeps it incrementally
 * up to date on every event, runs the pure cycle (allocation-cycle.ts) and applies its result.
 * Invariants: see allocator-state.ts. Time is `now` in milliseconds, always passed in.
 */
import type { AgentId, FrameworkId } from '../../common/ids.ts';
import { Resources } from '../../common/resources/resources.ts';
import { makeResource, resourceNameId, withAllocationRole } from '../../common/resources/resource.ts';
import type {
  AgentDescription,
  Allocator,
  AllocatorOptions,
  Filters,
  FrameworkDescription,
  OfferDecision,
  Quota,
} from './allocator.ts';
import { addScalars } from './allocator-state.ts';
import type { AgentState, FrameworkState, MinQuantity, RoleState, ScalarMap } from './allocator-state.ts';
import { runAllocationCycle } from './allocation-cycle.ts';
import { addDeclineFilter, expireFilters, refuseSecondsOf } from './decline-filters.ts';
import { Rng } from '../../common/rng.ts';
import { createSorter } from './sorter/create-sorter.ts';
import type { Sorter } from './sorter/sorter.ts';

/** Mesos' default minimum allocatable resources: `cpus:0.01` or `mem:32`. */
export const DEFAULT_MIN_ALLOCATABLE: readonly Resources[] = [Resources.parse('cpus:0.01'), Resources.parse('mem:32')];

export function toMinQuantity(r: Resources): MinQuantity {
  return [...r.quantitiesMilli()].map(([name, milli]): [number, number] => [resourceNameId(name), milli]);
}

function scalarQuantities(r: Resources): Resources {
  return Resources.of(r.entries.filter((e) => e.kind === 'SCALAR').map((e) => makeResource({ name: e.name, kind: 'SCALAR', milli: e.milli })));
}

function joinGroups(grouped: ReadonlyMap<string, Resources>): Resources {
  let out = Resources.empty;
  for (const part of grouped.values()) out = out.plus(part);
  return out;
}

const isExcluded = (unreserved: boolean, revocable: boolean): boolean => !unreserved || revocable;

function minAllocatableOf(info: FrameworkDescription): Map<string, readonly MinQuantity[]> {
  const m = new Map<string, readonly MinQuantity[]>();
  for (const [role, list] of Object.entries(info.minAllocatable ?? {})) m.set(role, list.map(toMinQuantity));
  return m;
}

/**
 * Records a cycle's offers as allocated: agent available/allocated and framework allocations.
 * A small function of its own, not a loop inside `run`: V8 optimises a loop only after a number
 * of budget ticks that grows with the size of the enclosing function, and the first cycle of a
 * fresh process runs this loop once per agent (see "The cold cycle" in README.md).
 */
function recordOffers(
  decisions: readonly OfferDecision[],
  offered: readonly Resources[],
  agents: readonly AgentState[],
  frameworks: readonly FrameworkState[],
  excludedOf: (role: string) => ScalarMap,
): void {
  for (let i = 0; i < decisions.length; i++) {
    const agent = agents[i];
    const plain = offered[i];
    const available = agent.available;
    agent.available = available === plain ? Resources.empty : available.minus(plain);
    agent.allocated = agent.allocated.plus(plain);
    const allocations = frameworks[i].allocations;
    const mine = allocations.get(agent.id);
    const r = decisions[i].resources;
    allocations.set(agent.id, mine === undefined ? r : mine.plus(r));
    if (plain.hasReserved() || plain.hasRevocable()) addScalars(excludedOf(decisions[i].role), plain, 1, isExcluded);
  }
}

export class HierarchicalAllocator implements Allocator {
  private readonly agents = new Map<AgentId, AgentState>();
  /** Agents in the order they were added (the cycle shuffles a copy). */
  private readonly agentList: AgentState[] = [];
  private readonly frameworks = new Map<FrameworkId, FrameworkState>();
  /** Agents holding orphans (see allocator-state.ts) of a framework not yet added. */
  private readonly orphanAgents = new Map<FrameworkId, Set<AgentState>>();
  private readonly roles = new Map<string, RoleState>();
  private readonly weights = new Map<string, number>();
  private readonly quotas = new Map<string, Quota>();
  private readonly frameworkSorters = new Map<string, Sorter>();
  private roleSorter: Sorter;
  private clusterTotal: Resources = Resources.empty;
  /** The last distinct agent total kept (see `prepare`). */
  private lastTotal: Resources | undefined;
  private rng: Rng;
  private readonly sorterKind: 'drf' | 'random';
  private readonly minAllocatable: readonly MinQuantity[];

  constructor(options: AllocatorOptions) {
    this.sorterKind = options.sorter ?? 'drf';
    this.rng = new Rng(options.seed);
    this.roleSorter = createSorter(this.sorterKind, true);
    this.minAllocatable = (options.minAllocatable ?? DEFAULT_MIN_ALLOCATABLE).map(toMinQuantity);
  }

  // ---- roles and sorter membership ----

  private role(name: string): RoleState {
    let r = this.roles.get(name);
    if (r === undefined) {
      r = { name, frameworks: new Set(), allocatedExcluded: new Map(), reserved: new Map() };
      this.roles.set(name, r);
    }
    return r;
  }

  private frameworkSorter(role: string): Sorter {
    let s = this.frameworkSorters.get(role);
    if (s === undefined) {
      s = createSorter(this.sorterKind, false);
      s.addTotal(this.clusterTotal);
      this.frameworkSorters.set(role, s);
    }
    return s;
  }

  /** Makes the framework a client of the role (role sorter and the role's framework sorter). */
  private track(fw: FrameworkState, role: string): void {
    const r = this.role(role);
    if (!this.roleSorter.contains(role)) {
      this.roleSorter.add(role);
      this.roleSorter.activate(role);
    }
    r.frameworks.add(fw.id);
    const s = this.frameworkSorter(role);
    if (!s.contains(fw.id)) s.add(fw.id);
    this.refreshActivity(fw, role);
  }

  private refreshActivity(fw: FrameworkState, role: string): void {
    const s = this.frameworkSorters.get(role);
    if (s === undefined || !s.contains(fw.id)) return;
    if (fw.active && fw.roles.has(role) && !fw.suppressed.has(role)) s.activate(fw.id);
    else s.deactivate(fw.id);
  }

  /** Drops the framework from the role if it is neither subscribed to it nor holds resources of it. */
  private maybeUntrack(fw: FrameworkState, role: string, force = false): void {
    if (!force && fw.roles.has(role)) return;
    const s = this.frameworkSorters.get(role);
    if (!force && s !== undefined && s.allocation(fw.id).size > 0) return;
    if (!force && this.holdsRole(fw, role)) return;
    s?.remove(fw.id);
    const r = this.roles.get(role);
    if (r === undefined) return;
    r.frameworks.delete(fw.id);
    if (r.frameworks.size === 0) {
      this.roleSorter.remove(role);
      this.frameworkSorters.delete(role);
      if (r.allocatedExcluded.size === 0 && r.reserved.size === 0) this.roles.delete(role);
    }
  }

  private holdsRole(fw: FrameworkState, role: string): boolean {
    for (const res of fw.allocations.values()) for (const e of res.entries) if (e.allocationRole === role) return true;
    return false;
  }

  // ---- allocation bookkeeping ----

  /** Groups allocated-form resources by allocation role; entries without one go to `fallback`. */
  private byRole(resources: Resources, fallback: string): Map<string, Resources> {
    const out = new Map<string, Resources>();
    const first = resources.entries[0]?.allocationRole;
    if (first !== undefined && resources.entries.every((e) => e.allocationRole === first)) {
      // The common case (one offer's resources): keep the very object, so that memoised forms are reused.
      out.set(first, resources);
      return out;
    }
    const buckets = new Map<string, Array<(typeof resources.entries)[number]>>();
    for (const e of resources.entries) {
      const role = e.allocationRole ?? fallback;
      let b = buckets.get(role);
      if (b === undefined) buckets.set(role, (b = []));
      b.push(withAllocationRole(e, role));
    }
    for (const [role, list] of buckets) out.set(role, Resources.of(list));
    return out;
  }

  /** Charges allocated-form resources of one role to the framework's sorters and quota bookkeeping. */
  private chargeSorters(fw: FrameworkState, role: string, allocated: Resources, sign: 1 | -1): void {
    const plain = allocated.unallocate();
    if (sign > 0) {
      this.track(fw, role);
      this.roleSorter.allocated(role, plain);
      this.frameworkSorter(role).allocated(fw.id, plain);
    } else {
      if (this.roleSorter.contains(role)) this.roleSorter.unallocated(role, plain);
      this.frameworkSorters.get(role)?.unallocated(fw.id, plain);
    }
    if (plain.hasReserved() || plain.hasRevocable()) addScalars(this.role(role).allocatedExcluded, plain, sign, isExcluded);
  }

  private fallbackRole(fw: FrameworkState | undefined): string {
    return fw?.info.roles[0] ?? '*';
  }

  private setAvailable(agent: AgentState): void {
    // A total below what is allocated (an agent came back smaller) leaves nothing free.
    agent.available = agent.total.tryMinus(agent.allocated) ?? Resources.empty;
  }

  private addReserved(total: Resources, sign: 1 | -1): void {
    if (!total.hasReserved()) return;
    for (const e of total.reserved().entries) {
      if (e.kind !== 'SCALAR') continue;
      const role = this.role(e.reservations[e.reservations.length - 1].role);
      addScalars(role.reserved, Resources.of([e]), sign);
    }
  }

  /**
   * The total the allocator keeps for an agent: equal to `total`, and the very value kept for the
   * previous agent when they are equal (agents of one machine type register one after another),
   * so that equal agents share one value and its memos (allocated form, vectors). Builds, once
   * per distinct total, the memoised vectors the cycle reads for every offer of the agent (its
   * sorter charge and minimum-allocatable check): registration is spread over time, while the
   * first cycle after many agents registered would otherwise build them all at once.
   */
  private prepare(total: Resources): Resources {
    const last = this.lastTotal;
    if (last !== undefined && last.equals(total)) return last;
    total.scalarMilliById();
    total.quantityMilliById();
    this.lastTotal = total;
    return total;
  }

  private addToTotals(total: Resources, sign: 1 | -1): void {
    const q = scalarQuantities(total);
    this.clusterTotal = sign > 0 ? this.clusterTotal.plus(q) : this.clusterTotal.minus(q);
    const apply = (s: Sorter) => (sign > 0 ? s.addTotal(q) : s.removeTotal(q));
    apply(this.roleSorter);
    for (const s of this.frameworkSorters.values()) apply(s);
    this.addReserved(total, sign);
  }

  // ---- agents ----

  addAgent(id: AgentId, info: AgentDescription, given: Resources, used: ReadonlyMap<FrameworkId, Resources>): void {
    if (this.agents.has(id)) this.removeAgent(id);
    const total = this.prepare(given);
    const agent: AgentState = {
      id,
      info,
      total,
      allocated: Resources.empty,
      available: total,
      active: true,
      hasGpus: total.scalar('gpus') > 0,
      orphans: undefined,
    };
    this.agents.set(id, agent);
    this.agentList.push(agent);
    this.addToTotals(total, 1);
    for (const [fid, res] of used) {
      const fw = this.frameworks.get(fid);
      const grouped = this.byRole(res, this.fallbackRole(fw));
      const allocatedForm = joinGroups(grouped);
      agent.allocated = agent.allocated.plus(allocatedForm.unallocate());
      if (fw === undefined) {
        if (agent.orphans === undefined) agent.orphans = new Map();
        agent.orphans.set(fid, (agent.orphans.get(fid) ?? Resources.empty).plus(allocatedForm));
        let at = this.orphanAgents.get(fid);
        if (at === undefined) this.orphanAgents.set(fid, (at = new Set()));
        at.add(agent);
        continue;
      }
      fw.allocations.set(id, (fw.allocations.get(id) ?? Resources.empty).plus(allocatedForm));
      for (const [role, part] of grouped) this.chargeSorters(fw, role, part, 1);
    }
    this.setAvailable(agent);
  }

  removeAgent(id: AgentId): void {
    const agent = this.agents.get(id);
    if (agent === undefined) return;
    for (const fw of this.frameworks.values()) {
      const res = fw.allocations.get(id);
      for (const byAgent of fw.filters.values()) byAgent.delete(id);
      if (res === undefined) continue;
      for (const [role, part] of this.byRole(res, this.fallbackRole(fw))) this.chargeSorters(fw, role, part, -1);
      fw.allocations.delete(id);
      for (const role of [...this.roles.keys()]) if (!fw.roles.has(role)) this.maybeUntrack(fw, role);
    }
    for (const fid of agent.orphans?.keys() ?? []) this.orphanAgents.get(fid)?.delete(agent);
    this.addToTotals(agent.total, -1);
    this.agents.delete(id);
    const i = this.agentList.indexOf(agent);
    if (i >= 0) this.agentList.splice(i, 1);
  }

  updateAgentTotal(id: AgentId, given: Resources): void {
    const agent = this.agents.get(id);
    if (agent === undefined) return;
    const total = this.prepare(given);
    this.addToTotals(agent.total, -1);
    agent.total = total;
    agent.hasGpus = total.scalar('gpus') > 0;
    this.addToTotals(total, 1);
    this.setAvailable(agent);
  }

  activateAgent(id: AgentId): void {
    const agent = this.agents.get(id);
    if (agent !== undefined) agent.active = true;
  }

  deactivateAgent(id: AgentId): void {
    const agent = this.agents.get(id);
    if (agent !== undefined) agent.active = false;
  }

  // ---- frameworks ----

  addFramework(id: FrameworkId, info: FrameworkDescription, used: ReadonlyMap<AgentId, Resources>, active: boolean): void {
    if (this.frameworks.has(id)) {
      // Already known (re-subscription): keep its allocations, take the new description.
      this.updateFramework(id, info);
      if (active) this.activateFramework(id);
      else this.deactivateFramework(id);
      return;
    }
    const fw: FrameworkState = {
      id,
      info,
      active,
      roles: new Set(info.roles),
      suppressed: new Set(info.suppressedRoles),
      filters: new Map(),
      allocations: new Map(),
      minAllocatable: minAllocatableOf(info),
    };
    this.frameworks.set(id, fw);
    for (const role of fw.roles) this.track(fw, role);
    // What agents already reported in use by this framework (it is back after a master failover).
    for (const agent of this.orphanAgents.get(id) ?? []) {
      const res = agent.orphans!.get(id)!;
      agent.orphans!.delete(id);
      fw.allocations.set(agent.id, res);
      for (const [role, part] of this.byRole(res, this.fallbackRole(fw))) this.chargeSorters(fw, role, part, 1);
    }
    this.orphanAgents.delete(id);
    for (const [aid, res] of used) {
      const agent = this.agents.get(aid);
      if (agent === undefined || fw.allocations.has(aid)) continue;
      const grouped = this.byRole(res, this.fallbackRole(fw));
      const allocatedForm = joinGroups(grouped);
      agent.allocated = agent.allocated.plus(allocatedForm.unallocate());
      this.setAvailable(agent);
      fw.allocations.set(aid, allocatedForm);
      for (const [role, part] of grouped) this.chargeSorters(fw, role, part, 1);
    }
  }

  updateFramework(id: FrameworkId, info: FrameworkDescription): void {
    const fw = this.frameworks.get(id);
    if (fw === undefined) return;
    const before = fw.roles;
    fw.info = info;
    fw.roles = new Set(info.roles);
    fw.suppressed = new Set(info.suppressedRoles);
    fw.minAllocatable = minAllocatableOf(info);
    for (const role of fw.roles) this.track(fw, role);
    for (const role of before) {
      if (fw.roles.has(role)) continue;
      fw.filters.delete(role);
      this.refreshActivity(fw, role);
      this.maybeUntrack(fw, role);
    }
    for (const role of fw.roles) this.refreshActivity(fw, role);
  }

  removeFramework(id: FrameworkId): void {
    const fw = this.frameworks.get(id);
    if (fw === undefined) return;
    for (const [aid, res] of fw.allocations) {
      const agent = this.agents.get(aid);
      for (const [role, part] of this.byRole(res, this.fallbackRole(fw))) this.chargeSorters(fw, role, part, -1);
      if (agent === undefined) continue;
      agent.allocated = agent.allocated.minus(res.unallocate());
      this.setAvailable(agent);
    }
    fw.allocations.clear();
    for (const [role, r] of [...this.roles]) if (r.frameworks.has(id)) this.maybeUntrack(fw, role, true);
    this.frameworks.delete(id);
  }

  activateFramework(id: FrameworkId): void {
    const fw = this.frameworks.get(id);
    if (fw === undefined) return;
    fw.active = true;
    for (const role of fw.roles) this.refreshActivity(fw, role);
  }

  deactivateFramework(id: FrameworkId): void {
    const fw = this.frameworks.get(id);
    if (fw === undefined) return;
    fw.active = false;
    for (const role of fw.roles) this.refreshActivity(fw, role);
  }

  // ---- resources coming back ----

  recoverResources(frameworkId: FrameworkId, agentId: AgentId, resources: Resources, filters: Filters | undefined, now: number): void {
    if (resources.isEmpty()) return;
    const agent = this.agents.get(agentId);
    if (agent === undefined) return;
    const fw = this.frameworks.get(frameworkId);
    const grouped = this.byRole(resources, this.fallbackRole(fw));
    const allocatedForm = joinGroups(grouped);
    if (fw === undefined) {
      // A framework not (yet) added: only what its agent reported for it can come back.
      const orphan = agent.orphans?.get(frameworkId);
      if (orphan === undefined) return;
      const rest = orphan.minus(allocatedForm);
      if (rest.isEmpty()) {
        agent.orphans!.delete(frameworkId);
        this.orphanAgents.get(frameworkId)?.delete(agent);
      } else agent.orphans!.set(frameworkId, rest);
      agent.allocated = agent.allocated.minus(allocatedForm.unallocate());
      this.setAvailable(agent);
      return;
    }
    // Nothing held by this framework here: it was removed (its resources went back then) or never held any.
    const held = fw.allocations.get(agentId);
    if (held === undefined) return;
    const left = held.minus(allocatedForm);
    agent.allocated = agent.allocated.minus(allocatedForm.unallocate());
    this.setAvailable(agent);
    if (left.isEmpty()) fw.allocations.delete(agentId);
    else fw.allocations.set(agentId, left);
    for (const [role, part] of grouped) {
      this.chargeSorters(fw, role, part, -1);
      this.maybeUntrack(fw, role);
    }
    if (filters === undefined) return;
    const seconds = refuseSecondsOf(filters.refuseSeconds);
    for (const [role, part] of grouped) addDeclineFilter(fw, role, agentId, part.unallocate(), seconds, now);
  }

  updateAllocation(frameworkId: FrameworkId, agentId: AgentId, from: Resources, to: Resources): void {
    const agent = this.agents.get(agentId);
    const fw = this.frameworks.get(frameworkId);
    if (agent === undefined || fw === undefined) return;
    const fromG = this.byRole(from, this.fallbackRole(fw));
    const toG = this.byRole(to, this.fallbackRole(fw));
    let fromA = Resources.empty;
    for (const p of fromG.values()) fromA = fromA.plus(p);
    let toA = Resources.empty;
    for (const p of toG.values()) toA = toA.plus(p);
    const held = fw.allocations.get(agentId) ?? Resources.empty;
    const next = held.minus(fromA).plus(toA);
    fw.allocations.set(agentId, next);
    for (const [role, part] of fromG) this.chargeSorters(fw, role, part, -1);
    for (const [role, part] of toG) this.chargeSorters(fw, role, part, 1);
    agent.allocated = agent.allocated.minus(fromA.unallocate()).plus(toA.unallocate());
    // The operation (RESERVE, UNRESERVE, CREATE, ...) changes the agent's total the same way.
    const total = agent.total.minus(fromA.unallocate()).plus(toA.unallocate());
    this.addToTotals(agent.total, -1);
    agent.total = total;
    this.addToTotals(total, 1);
    this.setAvailable(agent);
  }

  // ---- suppress / revive ----

  private rolesOrAll(fw: FrameworkState, roles: readonly string[]): readonly string[] {
    return roles.length === 0 ? [...fw.roles] : roles;
  }

  suppressOffers(frameworkId: FrameworkId, roles: readonly string[]): void {
    const fw = this.frameworks.get(frameworkId);
    if (fw === undefined) return;
    for (const role of this.rolesOrAll(fw, roles)) {
      fw.suppressed.add(role);
      this.refreshActivity(fw, role);
    }
  }

  reviveOffers(frameworkId: FrameworkId, roles: readonly string[]): void {
    const fw = this.frameworks.get(frameworkId);
    if (fw === undefined) return;
    for (const role of this.rolesOrAll(fw, roles)) {
      fw.filters.delete(role);
      fw.suppressed.delete(role);
      this.refreshActivity(fw, role);
    }
  }

  // ---- weights and quota ----

  updateWeights(weights: ReadonlyMap<string, number>): void {
    for (const [role, w] of weights) {
      this.weights.set(role, w);
      this.roleSorter.updateWeight(role, w);
    }
  }

  updateQuota(role: string, quota: Quota | undefined): void {
    if (quota === undefined || (Object.keys(quota.guarantees).length === 0 && Object.keys(quota.limits).length === 0)) this.quotas.delete(role);
    else this.quotas.set(role, quota);
  }

  // ---- cycles ----

  allocate(now: number): OfferDecision[] {
    for (const fw of this.frameworks.values()) if (fw.filters.size > 0) expireFilters(fw, now);
    return this.run(this.agentList, now);
  }

  allocateAgents(agentIds: readonly AgentId[], now: number): OfferDecision[] {
    const picked = new Set<AgentState>();
    for (const id of agentIds) {
      const a = this.agents.get(id);
      if (a !== undefined) picked.add(a);
    }
    return this.run([...picked], now);
  }

  private run(candidates: readonly AgentState[], now: number): OfferDecision[] {
    const result = runAllocationCycle({
      agents: this.agents,
      candidates,
      frameworks: this.frameworks,
      roles: this.roles,
      roleSorter: this.roleSorter,
      frameworkSorters: this.frameworkSorters,
      quotas: this.quotas,
      minAllocatable: this.minAllocatable,
      now,
      rng: this.rng,
    });
    this.rng = result.rng;
    this.roleSorter = result.roleSorter;
    for (const [role, sorter] of result.frameworkSorters) this.frameworkSorters.set(role, sorter);
    const { decisions, offered, offeredAgents, offeredFrameworks } = result;
    for (let i = result.charged; i < decisions.length; i++) {
      this.roleSorter.allocated(decisions[i].role, offered[i]);
      this.frameworkSorter(decisions[i].role).allocated(decisions[i].frameworkId, offered[i]);
    }
    recordOffers(decisions, offered, offeredAgents, offeredFrameworks, (role) => this.role(role).allocatedExcluded);
    return decisions;
  }

  // ---- views ----

  roleShares(): ReadonlyArray<{ role: string; weight: number; allocated: Resources; share: number; quota?: Quota }> {
    return this.roleSorter
      .clients()
      .sort()
      .map((role) => {
        const allocated = Resources.of([...this.roleSorter.allocation(role)].map(([name, v]) => makeResource({ name, kind: 'SCALAR', milli: Math.round(v * 1000) })));
        const quota = this.quotas.get(role);
        const base = { role, weight: this.weights.get(role) ?? 1, allocated, share: this.roleSorter.share(role) };
        return quota === undefined ? base : { ...base, quota };
      });
  }

  frameworkShare(id: FrameworkId): number {
    const fw = this.frameworks.get(id);
    if (fw === undefined) return 0;
    let share = 0;
    for (const [role, s] of this.frameworkSorters) if (s.contains(id) && (fw.roles.has(role) || s.allocation(id).size > 0)) share = Math.max(share, s.share(id));
    return share;
  }

  /** Test and debugging view: what is free on an agent. */
  available(id: AgentId): Resources | undefined {
    return this.agents.get(id)?.available;
  }
}

export function createAllocator(options: AllocatorOptions): HierarchicalAllocator {
  return new HierarchicalAllocator(options);
}
