/**
 * `Resources`: the immutable resource-bag value used by master, agent and frameworks (Mesos 1.x
 * `Resources` semantics). Invariants of every instance:
 * - no entry has an empty value (zero scalar, no ranges, empty set);
 * - no two non-atomic entries have the same shape (they are merged: scalars add, ranges union and
 *   coalesce, sets union); atomic entries (shared, persistent volumes, MOUNT disks) are kept as a
 *   multiset and only ever added or removed whole;
 * - `minus` never goes negative: subtracting something not contained is a programming error and
 *   throws `ResourceError` (check `contains` first).
 * Operations never mutate; when nothing changes they return the same instance, which the allocator
 * relies on for its fast paths.
 */
import {
  MILLI,
  UNRESERVED_ROLE,
  addValue,
  containsValue,
  entryEqual,
  fromMilli,
  isEmptyValue,
  isRoleOrDescendant,
  quantityMilli,
  reservationRole,
  resourceToString,
  sameShape,
  subtractValue,
  withAllocationRole,
  withReservations,
} from './resource.ts';
import type { Reservation, Resource } from './resource.ts';
import { ResourceError } from './resource-error.ts';
import { parseResourceEntries } from './parse.ts';
import type { ParseResult } from './parse.ts';
import { resourceFromProto, resourceToProto } from './proto-adapter.ts';
import type { ResourceProto, ToProtoOptions } from './proto-adapter.ts';
import { rangesToPairs, rangesUnion } from './ranges.ts';

const F_RESERVED = 1;
const F_REVOCABLE = 2;
const F_ALLOCATED = 4;
const F_ATOMIC = 8;

function flagsOf(e: Resource): number {
  return (
    (e.reservations.length > 0 ? F_RESERVED : 0) |
    (e.revocable ? F_REVOCABLE : 0) |
    (e.allocationRole !== undefined ? F_ALLOCATED : 0) |
    (e.atomic ? F_ATOMIC : 0)
  );
}

function findSameShape(list: readonly Resource[], e: Resource): number {
  for (let i = 0; i < list.length; i++) if (sameShape(list[i], e)) return i;
  return -1;
}

function findEqual(list: readonly Resource[], e: Resource): number {
  for (let i = 0; i < list.length; i++) if (entryEqual(list[i], e)) return i;
  return -1;
}

/**
 * The last `allocate` computed, process-wide: agents of one machine type have equal resources,
 * and the allocator's first cycle offers them one after another, so the allocated form of equal
 * resources is shared instead of being rebuilt (and kept) once per agent. Values are immutable,
 * so sharing is invisible but for identity.
 */
const lastAllocation: { role: string | undefined; source: Resources | undefined; result: Resources | undefined } = {
  role: undefined,
  source: undefined,
  result: undefined,
};

export class Resources {
  static readonly empty: Resources = new Resources([], 0);

  // One-slot memos of allocate()/unallocate(): the allocator re-offers the same agent resources
  // cycle after cycle, and the master hands offered resources back; both then cost nothing.
  // Declared, and set in the constructor body, so that building a Resources runs no separate
  // field initialiser; every instance still gets all fields in the same order (one hidden class).
  private declare memoRole: string | undefined;
  private declare memoAllocated: Resources | undefined;
  private declare memoUnallocated: Resources | undefined;
  private declare memoScalars: number[] | undefined;
  private declare memoQuantities: number[] | undefined;

  private constructor(
    /** Normalised entries (see the module header). */
    readonly entries: readonly Resource[],
    private readonly flags: number,
  ) {
    this.memoRole = undefined;
    this.memoAllocated = undefined;
    this.memoUnallocated = undefined;
    this.memoScalars = undefined;
    this.memoQuantities = undefined;
  }

  /** Normalises arbitrary entries (drops empty ones, merges same-shape ones). */
  static of(entries: Iterable<Resource>): Resources {
    const out: Resource[] = [];
    let flags = 0;
    for (const e of entries) {
      if (isEmptyValue(e)) continue;
      flags |= flagsOf(e);
      const i = e.atomic ? -1 : findSameShape(out, e);
      if (i < 0) out.push(e);
      else out[i] = addValue(out[i], e);
    }
    return out.length === 0 ? Resources.empty : new Resources(out, flags);
  }

  /** Parses the Mesos `--resources` syntax (text or JSON array). Throws `ResourceError` on bad input. */
  static parse(text: string, defaultRole: string = UNRESERVED_ROLE): Resources {
    const r = Resources.tryParse(text, defaultRole);
    if (!r.ok) throw r.error;
    return r.resources;
  }

  static tryParse(text: string, defaultRole: string = UNRESERVED_ROLE): { ok: true; resources: Resources } | { ok: false; error: ResourceError } {
    const r: ParseResult = parseResourceEntries(text, defaultRole);
    return r.ok ? { ok: true, resources: Resources.of(r.entries) } : r;
  }

  /** Validates and converts a list of Mesos JSON-form `Resource`s; throws `ResourceError` naming the index and field. */
  static fromProto(list: readonly ResourceProto[] | null | undefined): Resources {
    if (list === null || list === undefined) return Resources.empty;
    return Resources.of(list.map((r, i) => resourceFromProto(r, i)));
  }

  toProto(options?: ToProtoOptions): ResourceProto[] {
    return this.entries.map((e) => resourceToProto(e, options));
  }

  get size(): number {
    return this.entries.length;
  }

  isEmpty(): boolean {
    return this.entries.length === 0;
  }

  hasReserved(): boolean {
    return (this.flags & F_RESERVED) !== 0;
  }

  hasRevocable(): boolean {
    return (this.flags & F_REVOCABLE) !== 0;
  }

  hasAllocation(): boolean {
    return (this.flags & F_ALLOCATED) !== 0;
  }

  equals(other: Resources): boolean {
    if (this === other) return true;
    if (this.entries.length !== other.entries.length) return false;
    if (((this.flags | other.flags) & F_ATOMIC) !== 0) return this.contains(other) && other.contains(this);
    for (const e of other.entries) {
      const i = findSameShape(this.entries, e);
      if (i < 0 || !entryEqual(this.entries[i], e)) return false;
    }
    return true;
  }

  plus(other: Resources): Resources {
    if (other.entries.length === 0) return this;
    if (this.entries.length === 0) return other;
    const out = this.entries.slice();
    for (const e of other.entries) {
      const i = e.atomic ? -1 : findSameShape(out, e);
      if (i < 0) out.push(e);
      else out[i] = addValue(out[i], e);
    }
    return new Resources(out, this.flags | other.flags);
  }

  /** this - other; throws `ResourceError` when `other` is not contained. */
  minus(other: Resources): Resources {
    const r = this.tryMinus(other);
    if (r === undefined) throw new ResourceError(`Cannot subtract ${other.toString()} from ${this.toString()}: not contained`, -1, 'value');
    return r;
  }

  /** this - other, or undefined when `other` is not contained. */
  tryMinus(other: Resources): Resources | undefined {
    if (other.entries.length === 0) return this;
    if (other === this) return Resources.empty;
    const out = this.entries.slice();
    for (const e of other.entries) {
      const i = e.atomic ? findEqual(out, e) : findSameShape(out, e);
      if (i < 0) return undefined;
      const cur = out[i];
      if (e.atomic) {
        out.splice(i, 1);
        continue;
      }
      if (!containsValue(cur, e)) return undefined;
      const left = subtractValue(cur, e);
      if (isEmptyValue(left)) out.splice(i, 1);
      else out[i] = left;
    }
    if (out.length === 0) return Resources.empty;
    let flags = 0;
    for (const e of out) flags |= flagsOf(e);
    return new Resources(out, flags);
  }

  contains(other: Resources): boolean {
    if (other.entries.length === 0 || other === this) return true;
    if ((other.flags & F_ATOMIC) !== 0) return this.tryMinus(other) !== undefined;
    for (const e of other.entries) {
      const i = findSameShape(this.entries, e);
      if (i < 0 || !containsValue(this.entries[i], e)) return false;
    }
    return true;
  }

  filter(pred: (r: Resource) => boolean): Resources {
    let keep = 0;
    for (const e of this.entries) if (pred(e)) keep++;
    if (keep === this.entries.length) return this;
    if (keep === 0) return Resources.empty;
    const out = this.entries.filter(pred);
    let flags = 0;
    for (const e of out) flags |= flagsOf(e);
    return new Resources(out, flags);
  }

  private map(fn: (r: Resource) => Resource): Resources {
    return Resources.of(this.entries.map(fn));
  }

  /** Sum of the scalar entries called `name` (any reservation), in units. */
  scalar(name: string): number {
    let m = 0;
    for (const e of this.entries) if (e.kind === 'SCALAR' && e.name === name) m += e.milli;
    return fromMilli(m);
  }

  /** Union of the range entries called `name`, as [begin, end] pairs. */
  ranges(name: string): Array<[number, number]> {
    let acc: readonly number[] = [];
    for (const e of this.entries) if (e.kind === 'RANGES' && e.name === name) acc = rangesUnion(acc, e.ranges);
    return rangesToPairs(acc);
  }

  /** Union of the set entries called `name`, sorted. */
  set(name: string): string[] {
    const acc = new Set<string>();
    for (const e of this.entries) if (e.kind === 'SET' && e.name === name) for (const x of e.set) acc.add(x);
    return [...acc].sort();
  }

  names(): string[] {
    return [...new Set(this.entries.map((e) => e.name))].sort();
  }

  /** Scalar totals by name, in units (reservations and allocation ignored): for shares and quota. */
  scalars(): Map<string, number> {
    const m = new Map<string, number>();
    for (const e of this.entries) if (e.kind === 'SCALAR') m.set(e.name, (m.get(e.name) ?? 0) + e.milli);
    for (const [k, v] of m) m.set(k, fromMilli(v));
    return m;
  }

  /**
   * Scalar sums in thousandths indexed by `resourceNameId` (reservations, allocation and
   * revocability ignored), dense up to the highest id present; memoised, so that the allocator's
   * sorters charge an agent's resources with one array walk however often they see them.
   */
  scalarMilliById(): readonly number[] {
    let v = this.memoScalars;
    if (v === undefined) {
      v = [];
      const entries = this.entries;
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i];
        if (e.kind !== 'SCALAR') continue;
        const k = e.shape.nameId;
        while (v.length <= k) v.push(0);
        v[k] += e.milli;
      }
      this.memoScalars = v;
    }
    return v;
  }

  /** `quantitiesMilli` indexed by `resourceNameId`, dense, memoised (the minimum-allocatable check). */
  quantityMilliById(): readonly number[] {
    let v = this.memoQuantities;
    if (v === undefined) {
      v = [];
      const entries = this.entries;
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i];
        const k = e.shape.nameId;
        while (v.length <= k) v.push(0);
        v[k] += quantityMilli(e);
      }
      this.memoQuantities = v;
    }
    return v;
  }

  /** Quantities by name in thousandths: scalar values, numbers of range values and set items. */
  quantitiesMilli(): Map<string, number> {
    const m = new Map<string, number>();
    for (const e of this.entries) m.set(e.name, (m.get(e.name) ?? 0) + quantityMilli(e));
    return m;
  }

  unreserved(): Resources {
    if ((this.flags & F_RESERVED) === 0) return this;
    return this.filter((e) => e.reservations.length === 0);
  }

  /** Reserved entries: to exactly `role` when given, else all reserved ones. */
  reserved(role?: string): Resources {
    if ((this.flags & F_RESERVED) === 0) return Resources.empty;
    if (role === undefined) return this.filter((e) => e.reservations.length > 0);
    return this.filter((e) => e.reservations.length > 0 && reservationRole(e) === role);
  }

  /** What `role` may be offered: unreserved, or reserved to `role` or one of its ancestors. */
  allocatableTo(role: string): Resources {
    if ((this.flags & F_RESERVED) === 0) return this;
    return this.filter((e) => e.reservations.length === 0 || isRoleOrDescendant(role, reservationRole(e)));
  }

  revocable(): Resources {
    if ((this.flags & F_REVOCABLE) === 0) return Resources.empty;
    return this.filter((e) => e.revocable);
  }

  nonRevocable(): Resources {
    if ((this.flags & F_REVOCABLE) === 0) return this;
    return this.filter((e) => !e.revocable);
  }

  /** The same resources marked as allocated to `role` (Mesos `AllocationInfo`). */
  allocate(role: string): Resources {
    if (this.memoRole === role) return this.memoAllocated!;
    let result: Resources;
    const last = lastAllocation;
    if (last.role === role && last.source !== undefined && last.source.sameEntries(this)) {
      result = last.result!;
    } else {
      result = this.allocateUncached(role);
      last.role = role;
      last.source = this;
      last.result = result;
    }
    this.memoRole = role;
    this.memoAllocated = result;
    if (result !== this && (this.flags & F_ALLOCATED) === 0 && result.memoUnallocated === undefined) result.memoUnallocated = this;
    return result;
  }

  /** Same entries in the same order (same shapes and values): equal, cheaply, for the allocate cache. */
  private sameEntries(other: Resources): boolean {
    if (other === this) return true;
    const a = this.entries;
    const b = other.entries;
    if (a.length !== b.length || this.flags !== other.flags) return false;
    // `entryEqual` written out for scalars and ranges (the allocator's first cycle runs this
    // once per agent, largely interpreted); sets go through it.
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      const y = b[i];
      if (x.shape !== y.shape || x.milli !== y.milli) return false;
      const xr = x.ranges;
      const yr = y.ranges;
      if (xr !== yr) {
        if (xr.length !== yr.length) return false;
        for (let j = 0; j < xr.length; j++) if (xr[j] !== yr[j]) return false;
      }
      if (x.set !== y.set && !entryEqual(x, y)) return false;
    }
    return true;
  }

  private allocateUncached(role: string): Resources {
    // Built by push, not `new Array(n)`: a holey array would give `entries` a second elements
    // kind, and every access site in the allocator a second map to handle.
    const entries = this.entries;
    const out: Resource[] = [];
    let changed = false;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      const a = withAllocationRole(e, role);
      out.push(a);
      if (a !== e) changed = true;
    }
    if (!changed) return this;
    if ((this.flags & F_ALLOCATED) === 0) return new Resources(out, this.flags | F_ALLOCATED);
    return Resources.of(out);
  }

  unallocate(): Resources {
    if ((this.flags & F_ALLOCATED) === 0) return this;
    if (this.memoUnallocated === undefined) this.memoUnallocated = this.map((e) => withAllocationRole(e, undefined));
    return this.memoUnallocated;
  }

  /** Entries allocated to `role` (allocation info). */
  allocatedTo(role: string): Resources {
    return this.filter((e) => e.allocationRole === role);
  }

  /** Pushes a reservation onto every entry (RESERVE, including refinement of reserved entries). */
  pushReservation(r: Reservation): Resources {
    return this.map((e) => withReservations(e, [...e.reservations, r]));
  }

  /** Pops the last reservation of every reserved entry (UNRESERVE). */
  popReservation(): Resources {
    if ((this.flags & F_RESERVED) === 0) return this;
    return this.map((e) => (e.reservations.length === 0 ? e : withReservations(e, e.reservations.slice(0, -1))));
  }

  /** Mesos text form, `cpus(*):2; mem(*):1024; ports(*):[31000-32000]`. */
  toString(): string {
    return this.entries.map(resourceToString).join('; ');
  }

  toJSON(): ResourceProto[] {
    return this.toProto();
  }
}

export { MILLI };
