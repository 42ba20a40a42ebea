/**
 * Interned resource shapes: everything of a resource entry but its value (name, kind,
 * reservation stack, allocation role, revocable, shared, disk info, provider). One table per
 * process maps a canonical key to the one `ResourceShape` object, so "same shape" is a pointer
 * comparison and entries stay small (shape + value). Also a dense id per resource name, for
 * array-indexed bookkeeping (the DRF sorter). Shapes are few (names x roles x reservation stacks);
 * the table is never pruned.
 */
import type { DiskInfo, Reservation, Resource, ResourceKind } from './resource.ts';

/** Shared resources, persistent volumes and MOUNT disks never merge and are added or removed whole. */
export function isAtomic(shared: boolean, disk: DiskInfo | undefined): boolean {
  if (shared) return true;
  if (disk === undefined) return false;
  if (disk.persistence !== undefined && disk.persistence !== null) return true;
  const source = disk.source as { type?: unknown } | undefined;
  return source !== undefined && source !== null && source.type === 'MOUNT';
}

/**
 * Everything of an entry but its value, interned (hash-consed) in one table so that "same shape"
 * is a pointer comparison and entries stay small (a shape plus a value). Shapes are few (names x
 * roles x reservation stacks), so the table stays small.
 */
export class ResourceShape {
  private byRole: Map<string | undefined, ResourceShape> | undefined;
  private lastRole: string | undefined = undefined;
  private lastShape: ResourceShape | undefined = undefined;
  /** The last entry made with this shape by `withAllocationRole` (an equal one may be reused). */
  lastEntry: Resource | undefined = undefined;
  /** Small dense number for `name` (see `resourceNameId`), for array-indexed bookkeeping. */
  readonly nameId: number;

  constructor(
    readonly name: string,
    readonly kind: ResourceKind,
    readonly reservations: readonly Reservation[],
    readonly allocationRole: string | undefined,
    readonly revocable: boolean,
    readonly shared: boolean,
    readonly disk: DiskInfo | undefined,
    readonly providerId: string | undefined,
    readonly resvKey: string,
    readonly diskKey: string,
    readonly atomic: boolean,
  ) {
    this.nameId = resourceNameId(name);
  }

  /** The same shape with another allocation role (memoised). */
  withAllocationRole(role: string | undefined): ResourceShape {
    if (role === this.allocationRole) return this;
    // One-slot cache in front of the map: a cycle mostly allocates one role after another.
    if (this.lastRole === role && this.lastShape !== undefined) return this.lastShape;
    if (this.byRole === undefined) this.byRole = new Map();
    let s = this.byRole.get(role);
    if (s === undefined) {
      s = internShape(this.name, this.kind, this.reservations, role, this.revocable, this.shared, this.disk, this.providerId, this.resvKey, this.diskKey);
      this.byRole.set(role, s);
    }
    this.lastRole = role;
    this.lastShape = s;
    return s;
  }
}

const SHAPES = new Map<string, ResourceShape>();
const NAME_IDS = new Map<string, number>();

const NAMES: string[] = [];

/** The name of a `resourceNameId`. */
export function resourceName(id: number): string {
  return NAMES[id];
}

/** A process-wide dense id per resource name (cpus, mem, ...): 0, 1, 2, ... in order of first use. */
export function resourceNameId(name: string): number {
  let id = NAME_IDS.get(name);
  if (id === undefined) {
    id = NAME_IDS.size;
    NAME_IDS.set(name, id);
    NAMES.push(name);
  }
  return id;
}

export function internShape(
  name: string,
  kind: ResourceKind,
  reservations: readonly Reservation[],
  allocationRole: string | undefined,
  revocable: boolean,
  shared: boolean,
  disk: DiskInfo | undefined,
  providerId: string | undefined,
  resvKey: string,
  diskKey: string,
): ResourceShape {
  const key = [name, kind, resvKey, allocationRole === undefined ? '' : '=' + allocationRole, revocable ? 'R' : '', shared ? 'S' : '', diskKey, providerId === undefined ? '' : '=' + providerId].join('\u0000');
  let s = SHAPES.get(key);
  if (s === undefined) {
    s = new ResourceShape(name, kind, reservations, allocationRole, revocable, shared, disk, providerId, resvKey, diskKey, isAtomic(shared, disk));
    SHAPES.set(key, s);
  }
  return s;
}
