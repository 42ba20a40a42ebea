/**
 * Quota bookkeeping for one allocation cycle (Mesos 1.x semantics, scalars only).
 * - Consumption of a role = unreserved non-revocable scalars allocated to the role's subtree +
 *   everything reserved to the subtree (allocated or not).
 * - Hierarchy: a role's guarantee includes its children's. The effective guarantee of a role is
 *   max(its own, the sum of its children's effective guarantees), per resource; Mesos requires
 *   parent >= sum of children, which makes this the parent's own, and a role whose parent has no
 *   quota behaves as if the parent guaranteed the children's sum.
 * - Required headroom = sum over top-level roles of max(0, effective guarantee - consumption):
 *   each subtree is counted once, at its root, never again for its descendants.
 *   Available headroom = unreserved non-revocable scalars unallocated cluster-wide. Offers keep
 *   available >= required, so that other roles get only the surplus.
 * - Stage 1 (roles with an unsatisfied effective guarantee): an offer is made only if it gives
 *   the role some unreserved non-revocable scalar towards an unsatisfied guarantee; that part is
 *   not held back by headroom, the rest of the scalars (burst) only up to the surplus. Non-scalar
 *   and revocable resources and the role's own reservations ride along; reservations alone never
 *   make a stage-1 offer (they wait for stage 2), and ancestors' reservations wait for stage 2.
 * - Stage 2: scalars up to the surplus plus what the role's subtree (or an ancestor's) still
 *   lacks of its guarantee.
 * - Limits: a role and each ancestor with a limit never consume more than the limit; offers are
 *   chopped down to fit, in both stages.
 * Created fresh for every cycle from the allocator's state (which it never mutates); `consume`
 * advances it as the cycle makes offers.
 */
import type { Resources } from '../../common/resources/resources.ts';
import { Resources as ResourcesValue } from '../../common/resources/resources.ts';
import { isRoleOrDescendant, reservationRole, withScalarMilli } from '../../common/resources/resource.ts';
import type { Resource } from '../../common/resources/resource.ts';
import type { AgentId } from '../../common/ids.ts';
import type { Quota } from './allocator.ts';
import type { AgentState, RoleState, ScalarMap } from './allocator-state.ts';
import { addScalars } from './allocator-state.ts';
import type { Sorter } from './sorter/sorter.ts';

/** Amounts in milli; `dropZero` for guarantees, where 0 means none (a limit of 0 is a limit). */
function toMilliMap(r: Readonly<Record<string, number>>, dropZero: boolean): ScalarMap {
  const m: ScalarMap = new Map();
  for (const [k, v] of Object.entries(r)) {
    const milli = Math.round(v * 1000);
    if (milli > 0 || !dropZero) m.set(k, milli);
  }
  return m;
}

export function ancestorsOrSelf(role: string): string[] {
  const parts = role.split('/');
  const out: string[] = [];
  for (let i = parts.length; i > 0; i--) out.push(parts.slice(0, i).join('/'));
  return out;
}

function parentOf(role: string): string | undefined {
  const i = role.lastIndexOf('/');
  return i < 0 ? undefined : role.slice(0, i);
}

/**
 * Effective guarantees of every role with quota and of all its ancestors: own guarantee, or the
 * sum of the children's effective guarantees where that is larger (per resource).
 */
export function effectiveGuarantees(own: ReadonlyMap<string, ScalarMap>): Map<string, ScalarMap> {
  const eff = new Map<string, ScalarMap>();
  for (const role of own.keys()) for (const r of ancestorsOrSelf(role)) if (!eff.has(r)) eff.set(r, new Map());
  // Deepest first, so that every child is final before it is added to its parent.
  const depth = (r: string): number => r.split('/').length;
  const order = [...eff.keys()].sort((a, b) => depth(b) - depth(a));
  const childSums = new Map<string, ScalarMap>();
  for (const role of order) {
    const e = eff.get(role)!;
    for (const [k, v] of own.get(role) ?? []) e.set(k, v);
    for (const [k, v] of childSums.get(role) ?? []) if (v > (e.get(k) ?? 0)) e.set(k, v);
    const parent = parentOf(role);
    if (parent === undefined || e.size === 0) continue;
    let sum = childSums.get(parent);
    if (sum === undefined) childSums.set(parent, (sum = new Map()));
    for (const [k, v] of e) sum.set(k, (sum.get(k) ?? 0) + v);
  }
  for (const [role, e] of eff) if (e.size === 0) eff.delete(role);
  return eff;
}

/** Required headroom: sum over top-level roles of max(0, effective guarantee - consumption). */
export function requiredHeadroom(guarantees: ReadonlyMap<string, ScalarMap>, consumed: ReadonlyMap<string, ScalarMap>): ScalarMap {
  const out: ScalarMap = new Map();
  for (const [role, g] of guarantees) {
    if (role.includes('/')) continue;
    const c = consumed.get(role);
    for (const [k, v] of g) {
      const lack = v - (c?.get(k) ?? 0);
      if (lack > 0) out.set(k, (out.get(k) ?? 0) + lack);
    }
  }
  return out;
}

export class QuotaTracker {
  /** Effective guarantees (see the header), by role. */
  private readonly guarantees: Map<string, ScalarMap>;
  private readonly limits = new Map<string, ScalarMap>();
  /** Consumption of every role with quota and of every ancestor of one. */
  private readonly consumed = new Map<string, ScalarMap>();
  private readonly available: ScalarMap = new Map();
  private required: ScalarMap | undefined;
  private readonly lineage = new Map<string, string[]>();
  readonly hasGuarantees: boolean;

  constructor(quotas: ReadonlyMap<string, Quota>, roles: ReadonlyMap<string, RoleState>, agents: ReadonlyMap<AgentId, AgentState>, roleSorter: Sorter) {
    const own = new Map<string, ScalarMap>();
    for (const [role, q] of quotas) {
      const g = toMilliMap(q.guarantees, true);
      const l = toMilliMap(q.limits, false);
      if (g.size > 0) own.set(role, g);
      if (l.size > 0) this.limits.set(role, l);
    }
    this.guarantees = effectiveGuarantees(own);
    const tracked = new Set<string>();
    for (const role of [...quotas.keys(), ...this.guarantees.keys()]) for (const r of this.lineageOf(role)) tracked.add(r);
    for (const role of tracked) {
      const c: ScalarMap = new Map();
      for (const [name, r] of roles) {
        if (!isRoleOrDescendant(name, role)) continue;
        for (const [k, v] of roleSorter.allocation(name)) c.set(k, (c.get(k) ?? 0) + Math.round(v * 1000) - (r.allocatedExcluded.get(k) ?? 0));
        for (const [k, v] of r.reserved) c.set(k, (c.get(k) ?? 0) + v);
      }
      this.consumed.set(role, c);
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

  /** What `role` still lacks of its effective guarantee of `name` (milli). */
  private lackOf(role: string, name: string): number {
    const g = this.guarantees.get(role)?.get(name);
    if (g === undefined) return 0;
    return Math.max(0, g - (this.consumed.get(role)?.get(name) ?? 0));
  }

  /** Whether the role itself (its effective guarantee) is not yet met for some resource: stage 1 serves it. */
  unsatisfied(role: string): boolean {
    const g = this.guarantees.get(role);
    if (g === undefined) return false;
    for (const name of g.keys()) if (this.lackOf(role, name) > 0) return true;
    return false;
  }

  /** Required headroom now (milli by name); for tests and metrics. */
  requiredHeadroom(): ScalarMap {
    if (this.required === undefined) this.required = requiredHeadroom(this.guarantees, this.consumed);
    return this.required;
  }

  /** Unreserved non-revocable scalars still unallocated cluster-wide (milli by name). */
  availableHeadroom(): ScalarMap {
    return this.available;
  }

  /** The most of `name` the limits of the role and its ancestors still allow; +Infinity when none applies. */
  private limitRoom(role: string, name: string): number {
    let room = Number.POSITIVE_INFINITY;
    for (const q of this.lineageOf(role)) {
      const lim = this.limits.get(q)?.get(name);
      if (lim !== undefined) room = Math.min(room, lim - (this.consumed.get(q)?.get(name) ?? 0));
    }
    return room;
  }

  private surplus(name: string): number {
    return Math.max(0, (this.available.get(name) ?? 0) - (this.requiredHeadroom().get(name) ?? 0));
  }

  /** `offer` chopped to what `role` may take in this stage; empty when nothing may be offered. */
  fit(offer: Resources, role: string, stage: 1 | 2): Resources {
    let changed = false;
    let progress = false;
    const out: Resource[] = [];
    const entries = offer.entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e.kind !== 'SCALAR' || e.reservations.length > 0 || e.revocable) {
        // Stage 1 carries the role's own reservations only; ancestors' wait for stage 2.
        if (stage === 1 && e.reservations.length > 0 && reservationRole(e) !== role) {
          changed = true;
          continue;
        }
        out.push(e);
        continue;
      }
      let cap: number;
      if (!this.hasGuarantees) cap = Number.POSITIVE_INFINITY;
      else if (stage === 1) {
        const lack = this.lackOf(role, e.name);
        if (Math.min(lack, e.milli, this.limitRoom(role, e.name)) > 0) progress = true;
        cap = lack + this.surplus(e.name);
      } else {
        let lack = 0;
        for (const q of this.lineageOf(role)) lack = Math.max(lack, this.lackOf(q, e.name));
        cap = lack + this.surplus(e.name);
      }
      cap = Math.max(0, Math.min(cap, this.limitRoom(role, e.name)));
      if (e.milli > cap) {
        changed = true;
        if (cap > 0) out.push(withScalarMilli(e, cap));
      } else {
        out.push(e);
      }
    }
    if (stage === 1 && !progress) return ResourcesValue.empty;
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
