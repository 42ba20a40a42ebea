/**
 * One resource entry of the domain `Resources` value (Mesos `Resource`), in a compact, immutable
 * form built once at the edge:
 * - scalars are fixed-point integers in thousandths (`milli`), like Mesos' `Value::Scalar`
 *   arithmetic, so 0.1 + 0.2 == 0.3 exactly;
 * - ranges are flat sorted coalesced arrays (see ranges.ts), sets sorted unique arrays;
 * - everything but the value that decides whether two entries may merge ("same shape": name,
 *   kind, reservation stack, allocation role, revocable, shared, disk info, provider) lives in an
 *   interned `ResourceShape` (resource-shape.ts), so same shape means the same shape object.
 * Atomic entries (shared resources, persistent volumes, MOUNT disks) never merge with others and
 * are added or subtracted whole, as Mesos does.
 */
import { EMPTY_RANGES, rangesContain, rangesEqual, rangesSize, rangesSubtract, rangesToString, rangesUnion } from './ranges.ts';
import type { FlatRanges } from './ranges.ts';
import { internShape } from './resource-shape.ts';
import type { ResourceShape } from './resource-shape.ts';

export { ResourceShape, resourceName, resourceNameId } from './resource-shape.ts';

export type ResourceKind = 'SCALAR' | 'RANGES' | 'SET';
export type ReservationType = 'STATIC' | 'DYNAMIC';

export interface Label {
  readonly key: string;
  readonly value?: string;
}

export interface Reservation {
  readonly type: ReservationType;
  readonly role: string;
  readonly principal?: string;
  readonly labels?: readonly Label[];
}

/** Disk info is kept as the Mesos JSON object (persistence, volume, source); compared canonically. */
export type DiskInfo = Readonly<Record<string, unknown>>;

export const UNRESERVED_ROLE = '*';
export const MILLI = 1000;

export interface Resource {
  readonly name: string;
  readonly kind: ResourceKind;
  /** SCALAR value in thousandths; 0 for other kinds. */
  readonly milli: number;
  readonly ranges: FlatRanges;
  readonly set: readonly string[];
  readonly reservations: readonly Reservation[];
  readonly allocationRole: string | undefined;
  readonly revocable: boolean;
  readonly shared: boolean;
  readonly disk: DiskInfo | undefined;
  readonly providerId: string | undefined;
  /** Canonical text of `reservations` ('' when unreserved). */
  readonly resvKey: string;
  /** Canonical text of `disk` ('' when absent). */
  readonly diskKey: string;
  readonly atomic: boolean;
  /** Interned shape: two entries have the same shape iff their `shape`s are the same object. */
  readonly shape: ResourceShape;
}

const EMPTY_SET: readonly string[] = Object.freeze([]) as readonly string[];
const NO_RESERVATIONS: readonly Reservation[] = Object.freeze([]) as readonly Reservation[];

export interface ResourceFields {
  readonly name: string;
  readonly kind: ResourceKind;
  readonly milli?: number;
  readonly ranges?: FlatRanges;
  readonly set?: readonly string[];
  readonly reservations?: readonly Reservation[];
  readonly allocationRole?: string;
  readonly revocable?: boolean;
  readonly shared?: boolean;
  readonly disk?: DiskInfo;
  readonly providerId?: string;
}

/** JSON with object keys sorted, so equal values serialise equally. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined && o[k] !== null).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

function reservationsKey(rs: readonly Reservation[]): string {
  if (rs.length === 0) return '';
  return canonicalJson(rs.map((r) => ({ type: r.type, role: r.role, principal: r.principal, labels: r.labels })));
}

/** The one concrete `Resource`: an interned shape and a value. */
class ResourceEntry implements Resource {
  // `name` and `kind` are copied from the shape rather than read through getters: they are read
  // on every hot path, and a getter is a call until the optimising compiler inlines it (the
  // allocator's first cycle runs largely before that).
  // `declare`: assigned in the constructor only, with no separate field initialiser to run.
  declare readonly name: string;
  declare readonly kind: ResourceKind;
  constructor(
    readonly shape: ResourceShape,
    readonly milli: number,
    readonly ranges: FlatRanges,
    readonly set: readonly string[],
  ) {
    this.name = shape.name;
    this.kind = shape.kind;
  }
  get reservations(): readonly Reservation[] {
    return this.shape.reservations;
  }
  get allocationRole(): string | undefined {
    return this.shape.allocationRole;
  }
  get revocable(): boolean {
    return this.shape.revocable;
  }
  get shared(): boolean {
    return this.shape.shared;
  }
  get disk(): DiskInfo | undefined {
    return this.shape.disk;
  }
  get providerId(): string | undefined {
    return this.shape.providerId;
  }
  get resvKey(): string {
    return this.shape.resvKey;
  }
  get diskKey(): string {
    return this.shape.diskKey;
  }
  get atomic(): boolean {
    return this.shape.atomic;
  }
  /** Plain-data view (for logs and deep equality in tests). */
  toJSON(): Record<string, unknown> {
    return { name: this.name, kind: this.kind, milli: this.milli, ranges: this.ranges, set: this.set, reservations: this.reservations, allocationRole: this.allocationRole };
  }
}

function copyWith(r: Resource, milli: number, ranges: FlatRanges, set: readonly string[], allocationRole: string | undefined): Resource {
  return new ResourceEntry(r.shape.withAllocationRole(allocationRole), milli, ranges, set);
}

export function makeResource(f: ResourceFields): Resource {
  const reservations = f.reservations && f.reservations.length > 0 ? f.reservations : NO_RESERVATIONS;
  const shape = internShape(
    f.name,
    f.kind,
    reservations,
    f.allocationRole,
    f.revocable ?? false,
    f.shared ?? false,
    f.disk,
    f.providerId,
    reservationsKey(reservations),
    f.disk === undefined ? '' : canonicalJson(f.disk),
  );
  return new ResourceEntry(
    shape,
    f.kind === 'SCALAR' ? (f.milli ?? 0) : 0,
    f.kind === 'RANGES' ? (f.ranges ?? EMPTY_RANGES) : EMPTY_RANGES,
    f.kind === 'SET' ? (f.set ?? EMPTY_SET) : EMPTY_SET,
  );
}

export function scalarResource(name: string, value: number, role: string = UNRESERVED_ROLE): Resource {
  return makeResource({ name, kind: 'SCALAR', milli: toMilli(value), reservations: staticReservation(role) });
}

export function staticReservation(role: string): readonly Reservation[] {
  return role === UNRESERVED_ROLE ? NO_RESERVATIONS : [{ type: 'STATIC', role }];
}

export function toMilli(value: number): number {
  return Math.round(value * MILLI);
}

export function fromMilli(milli: number): number {
  return milli / MILLI;
}

/** The role the entry is reserved to: the last reservation's role, or '*' when unreserved. */
export function reservationRole(r: Resource): string {
  const n = r.reservations.length;
  return n === 0 ? UNRESERVED_ROLE : r.reservations[n - 1].role;
}

/** Whether `role` may use an entry reserved to `reserved`: the same role or a descendant (`a/b` uses `a`). */
export function isRoleOrDescendant(role: string, ancestor: string): boolean {
  return role === ancestor || (role.length > ancestor.length && role.startsWith(ancestor) && role.charCodeAt(ancestor.length) === 47);
}

/** Same shape: everything that must match for two entries to merge, except the value. */
export function sameShape(a: Resource, b: Resource): boolean {
  return a.shape === b.shape;
}

export function valueEqual(a: Resource, b: Resource): boolean {
  switch (a.kind) {
    case 'SCALAR':
      return a.milli === b.milli;
    case 'RANGES':
      return rangesEqual(a.ranges, b.ranges);
    case 'SET':
      return a.set.length === b.set.length && a.set.every((x, i) => x === b.set[i]);
  }
}

export function entryEqual(a: Resource, b: Resource): boolean {
  return sameShape(a, b) && valueEqual(a, b);
}

export function isEmptyValue(r: Resource): boolean {
  switch (r.kind) {
    case 'SCALAR':
      return r.milli === 0;
    case 'RANGES':
      return r.ranges.length === 0;
    case 'SET':
      return r.set.length === 0;
  }
}

function setUnion(a: readonly string[], b: readonly string[]): readonly string[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return [...new Set([...a, ...b])].sort();
}

function setSubtract(a: readonly string[], b: readonly string[]): readonly string[] {
  if (b.length === 0) return a;
  const drop = new Set(b);
  return a.filter((x) => !drop.has(x));
}

function setContains(a: readonly string[], b: readonly string[]): boolean {
  if (b.length > a.length) return false;
  const have = new Set(a);
  return b.every((x) => have.has(x));
}

function withValue(r: Resource, milli: number, ranges: FlatRanges, set: readonly string[]): Resource {
  return copyWith(r, milli, ranges, set, r.allocationRole);
}

/** a + b for two entries of the same shape (non-atomic). */
export function addValue(a: Resource, b: Resource): Resource {
  switch (a.kind) {
    case 'SCALAR':
      return withValue(a, a.milli + b.milli, a.ranges, a.set);
    case 'RANGES':
      return withValue(a, 0, rangesUnion(a.ranges, b.ranges), a.set);
    case 'SET':
      return withValue(a, 0, a.ranges, setUnion(a.set, b.set));
  }
}

/** a - b for two entries of the same shape, where a contains b. */
export function subtractValue(a: Resource, b: Resource): Resource {
  switch (a.kind) {
    case 'SCALAR':
      return withValue(a, a.milli - b.milli, a.ranges, a.set);
    case 'RANGES':
      return withValue(a, 0, rangesSubtract(a.ranges, b.ranges), a.set);
    case 'SET':
      return withValue(a, 0, a.ranges, setSubtract(a.set, b.set));
  }
}

/** Whether a's value contains b's value (same shape assumed). */
export function containsValue(a: Resource, b: Resource): boolean {
  switch (a.kind) {
    case 'SCALAR':
      return a.milli >= b.milli;
    case 'RANGES':
      return rangesContain(a.ranges, b.ranges);
    case 'SET':
      return setContains(a.set, b.set);
  }
}

/** The amount an entry counts for in quantities: scalar value, number of range values, set size. */
export function quantityMilli(r: Resource): number {
  switch (r.kind) {
    case 'SCALAR':
      return r.milli;
    case 'RANGES':
      return rangesSize(r.ranges) * MILLI;
    case 'SET':
      return r.set.length * MILLI;
  }
}

export function withAllocationRole(r: Resource, role: string | undefined): Resource {
  if (r.allocationRole === role) return r;
  // Entries are immutable: an equal entry made last for the target shape is reused (agents of one
  // machine type mostly differ in a few entries, so their allocated forms share the others).
  const shape = r.shape.withAllocationRole(role);
  const last = shape.lastEntry;
  if (last !== undefined && last.milli === r.milli && (last.set === r.set || last.set.length + r.set.length === 0) && rangesEqual(last.ranges, r.ranges)) return last;
  const e = new ResourceEntry(shape, r.milli, r.ranges, r.set);
  shape.lastEntry = e;
  return e;
}

export function withReservations(r: Resource, reservations: readonly Reservation[]): Resource {
  return makeResource({
    name: r.name,
    kind: r.kind,
    milli: r.milli,
    ranges: r.ranges,
    set: r.set,
    reservations,
    allocationRole: r.allocationRole,
    revocable: r.revocable,
    shared: r.shared,
    disk: r.disk,
    providerId: r.providerId,
  });
}

export function valueToString(r: Resource): string {
  switch (r.kind) {
    case 'SCALAR':
      return String(fromMilli(r.milli));
    case 'RANGES':
      return rangesToString(r.ranges);
    case 'SET':
      return `{${r.set.join(', ')}}`;
  }
}

function isPlainStatic(rs: readonly Reservation[]): boolean {
  return rs.length === 1 && rs[0].type === 'STATIC' && rs[0].principal === undefined && (rs[0].labels === undefined || rs[0].labels.length === 0);
}

/**
 * Text form. Unreserved and plainly statically reserved entries use the parseable Mesos agent form
 * `cpus(ops):2`; anything richer is decorated like Mesos' own debug output
 * (`cpus(reservations: [(DYNAMIC,ops,alice)])`, `(allocated: r)`, `[disk]`, `{REV}`, `<SHARED>`).
 */
export function resourceToString(r: Resource): string {
  let s = r.name;
  if (r.reservations.length === 0) s += `(${UNRESERVED_ROLE})`;
  else if (isPlainStatic(r.reservations)) s += `(${r.reservations[0].role})`;
  else {
    const parts = r.reservations.map((x) => {
      const fields: string[] = [x.type, x.role];
      if (x.principal !== undefined) fields.push(x.principal);
      if (x.labels !== undefined && x.labels.length > 0) fields.push(`{${x.labels.map((l) => (l.value === undefined ? l.key : `${l.key}: ${l.value}`)).join(', ')}}`);
      return `(${fields.join(',')})`;
    });
    s += `(reservations: [${parts.join(', ')}])`;
  }
  if (r.allocationRole !== undefined) s += `(allocated: ${r.allocationRole})`;
  if (r.disk !== undefined) s += `[${r.diskKey}]`;
  if (r.providerId !== undefined) s += `(provider: ${r.providerId})`;
  if (r.revocable) s += '{REV}';
  if (r.shared) s += '<SHARED>';
  return `${s}:${valueToString(r)}`;
}

/** The same scalar entry with another value (quota chopping). */
export function withScalarMilli(r: Resource, milli: number): Resource {
  return r.milli === milli ? r : copyWith(r, milli, r.ranges, r.set, r.allocationRole);
}
