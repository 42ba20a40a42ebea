/**
 * Quota bookkeeping for one allocation cycle (Mesos 1.9+ semantics, scalars only).
 * - Consumption of a quota role = unreserved non-revocable scalars allocated to the role's
 *   subtree + everything reserved to the subtree (allocated or not).
 * - Guarantees: stage 1 offers a role below its guarantee up to the unsatisfied amount; in both
 *   stages the unreserved non-revocable scalars left unallocated cluster-wide (available
 *   headroom) must stay >= the sum of all unsatisfied guarantees (required headroom), so other
 *   roles get only the surplus.
 * - Limits: a role and each ancestor with a limit never consume more than the limit; offers are
 *   chopped down to fit.
 * Created fresh for every cycle from the allocator's state (which it never mutates); `consume`
 * advances it as the cycle makes offers.
 */
import type { Resources } from '../../common/resources/resources.ts';
import { Resources as ResourcesValue } from '../../common/resources/resources.ts';
import { isRoleOrDescendant, withScalarMilli } from '../../common/resources/resource.ts';
import type { Resource } from '../../common/resources/resource.ts';
import type { AgentId } from '../../common/ids.ts';
import type { Quota } from './allocator.ts';
import type { AgentState, RoleState, ScalarMap } from './allocator-state.ts';
import { addScalars } from './allocator-state.ts';
import type { Sorter } from './sorter/sorter.ts';

function toMilliMap(r: Readonly<Record<string, number>>): ScalarMap {
  const m: ScalarMap = new Map();
  for (const [k, v] of Object.entries(r)) m.set(k, Math.round(v * 1000));
  return m;
}

export function ancestorsOrSelf(role: string): string[] {
  const parts = role.split('/');
  const out: string[] = [];
  for (let i = parts.length; i > 0; i--) out.push(parts.slice(0, i).join('/'));
  return out;
}

export class QuotaTracker {
  private readonly guarantees = new Map<string, ScalarMap>();
  private readonly limits = new Map<string, ScalarMap>();
  private readonly consumed = new Map<string, ScalarMap>();
  private readonly topGuaranteed: string[] = [];
  private readonly available: ScalarMap = new Map();
  private required: ScalarMap | undefined;
  private readonly lineage = new Map<string, string[]>();
  readonly hasGuarantees: boolean;

  constructor(quotas: ReadonlyMap<string, Quota>, roles: ReadonlyMap<string, RoleState>, agents: ReadonlyMap<AgentId, AgentState>, roleSorter: Sorter) {
    for (const [role, q] of quotas) {
      const g = toMilliMap(q.guarantees);
      const l = toMilliMap(q.limits);
      if (g.size > 0) this.guarantees.set(role, g);
      if (l.size > 0) this.limits.set(role, l);
      const c: ScalarMap = new Map();
      for (const [name, r] of roles) {
        if (!isRoleOrDescendant(name, role)) continue;
        for (const [k, v] of roleSorter.allocation(name)) c.set(k, (c.get(k) ?? 0) + Math.round(v * 1000) - (r.allocatedExcluded.get(k) ?? 0));
        for (const [k, v] of r.reserved) c.set(k, (c.get(k) ?? 0) + v);
      }
      this.consumed.set(role, c);
    }
    for (const role of this.guarantees.keys()) {
      if (!this.lineageOf(role).slice(1).some((a) => this.guarantees.has(a))) this.topGuaranteed.push(role);
    }
    this.hasGuarantees = this.guarantees.size > 0;
    if (this.hasGuarantees) {
      for (const a of agents.values()) addScalars(this.available, a.available, 1, (unreserved, revocable) => unreserved && !revocable);
    }
  }

  private lineageOf(role: string): string[] {
    let l = this.lineage.get(role);
    if (l === undefined) {
      l = ancestorsOrSelf(role);
      this.lineage.set(role, l);
    }
    return l;
  }

  private unsatisfiedOf(role: string, name: string): number {
    const g = this.guarantees.get(role)?.get(name);
    if (g === undefined) return 0;
    return Math.max(0, g - (this.consumed.get(role)?.get(name) ?? 0));
  }

  /** Whether the role itself has a guarantee not yet met for some resource. */
  unsatisfied(role: string): boolean {
    const g = this.guarantees.get(role);
    if (g === undefined) return false;
    for (const name of g.keys()) if (this.unsatisfiedOf(role, name) > 0) return true;
    return false;
  }

  private requiredHeadroom(): ScalarMap {
    if (this.required === undefined) {
      const r: ScalarMap = new Map();
      for (const role of this.topGuaranteed) {
        for (const name of this.guarantees.get(role)!.keys()) r.set(name, (r.get(name) ?? 0) + this.unsatisfiedOf(role, name));
      }
      this.required = r;
    }
    return this.required;
  }

  /** The most of scalar `name` (unreserved, non-revocable) that `role` may get now; undefined = no bound. */
  private cap(role: string, name: string, stage: 1 | 2): number | undefined {
    let cap = Number.POSITIVE_INFINITY;
    const lineage = this.lineageOf(role);
    for (const q of lineage) {
      const lim = this.limits.get(q)?.get(name);
      if (lim !== undefined) cap = Math.min(cap, lim - (this.consumed.get(q)?.get(name) ?? 0));
    }
    if (this.hasGuarantees) {
      let own = 0;
      for (const q of lineage) own = Math.max(own, this.unsatisfiedOf(q, name));
      const ownGuarantee = this.guarantees.get(role)?.has(name) ?? false;
      const surplus = (this.available.get(name) ?? 0) - (this.requiredHeadroom().get(name) ?? 0);
      cap = Math.min(cap, stage === 1 && ownGuarantee ? own : surplus + own);
    }
    return cap === Number.POSITIVE_INFINITY ? undefined : Math.max(0, cap);
  }

  /** `offer` chopped to what `role` may take in this stage; empty when nothing fits. */
  fit(offer: Resources, role: string, stage: 1 | 2): Resources {
    let changed = false;
    const out: Resource[] = [];
    let useful = false;
    const own = this.guarantees.get(role);
    for (const e of offer.entries) {
      if (e.kind !== 'SCALAR' || e.reservations.length > 0 || e.revocable) {
        if (e.reservations.length > 0) useful = true;
        out.push(e);
        continue;
      }
      const cap = this.cap(role, e.name, stage);
      if (cap !== undefined && e.milli > cap) {
        changed = true;
        if (cap > 0) out.push(withScalarMilli(e, cap));
        else continue;
      } else {
        out.push(e);
      }
      if (own?.has(e.name)) useful = true;
    }
    if (stage === 1 && !useful) return ResourcesValue.empty;
    return changed ? ResourcesValue.of(out) : offer;
  }

  /** Records an offer of `offered` (unallocated form) to `role`. */
  consume(role: string, offered: Resources): void {
    const q: ScalarMap = new Map();
    addScalars(q, offered, 1, (unreserved, revocable) => unreserved && !revocable);
    if (q.size === 0) return;
    for (const r of this.lineageOf(role)) {
      const c = this.consumed.get(r);
      if (c === undefined) continue;
      for (const [k, v] of q) c.set(k, (c.get(k) ?? 0) + v);
    }
    for (const [k, v] of q) this.available.set(k, (this.available.get(k) ?? 0) - v);
    this.required = undefined;
  }
}
