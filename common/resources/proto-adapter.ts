/**
 * Edge conversion between the Mesos JSON form of `mesos.v1.Resource` (snake_case, enums as names,
 * `null` = absent) and the domain entry (resource.ts). `resourceFromProto` validates like Mesos'
 * `Resources::validate` and accepts both reservation formats: the post-refinement `reservations`
 * stack and the deprecated `role` + `reservation` pair (a non-'*' role with no `reservation` is a
 * STATIC reservation, with one a DYNAMIC one). `resourceToProto` writes the `reservations` stack,
 * plus the deprecated pair when asked (for frameworks without RESERVATION_REFINEMENT).
 */
import { normalizeRanges, rangesToPairs } from './ranges.ts';
import { UNRESERVED_ROLE, fromMilli, makeResource, reservationRole, toMilli } from './resource.ts';
import type { DiskInfo, Label, Reservation, Resource, ResourceKind } from './resource.ts';
import { ResourceError } from './resource-error.ts';
import type { mesos } from '../../proto/types.generated.ts';

/** The Mesos JSON form of a resource (proto/). Clients may send `null` for unset fields; it reads as absent. */
export type ResourceProto = mesos.v1.Resource;
type ReservationProto = mesos.v1.Resource.ReservationInfo;
type LabelProto = mesos.v1.Label;
type Maybe<T> = T | null | undefined;

export interface ToProtoOptions {
  /** Also fill the deprecated `role` (and `reservation` for a single dynamic reservation). */
  readonly legacyRole?: boolean;
}

function labelsFromProto(l: Maybe<{ labels?: Maybe<LabelProto[]> }>): Label[] | undefined {
  const list = l?.labels;
  if (list === null || list === undefined || list.length === 0) return undefined;
  return list.map((x) => (x.value === null || x.value === undefined ? { key: x.key } : { key: x.key, value: x.value }));
}

function reservationsFromProto(p: ResourceProto, index: number): Reservation[] {
  if (p.reservations !== null && p.reservations !== undefined && p.reservations.length > 0) {
    return p.reservations.map((r, j) => {
      if (r.type !== 'STATIC' && r.type !== 'DYNAMIC') throw new ResourceError(`Resource ${index}: reservation ${j} has invalid type '${String(r.type)}'`, index, `reservations[${j}].type`);
      if (r.role === null || r.role === undefined || r.role === '' || r.role === UNRESERVED_ROLE) {
        throw new ResourceError(`Resource ${index}: reservation ${j} must name a role other than '*'`, index, `reservations[${j}].role`);
      }
      const out: { type: 'STATIC' | 'DYNAMIC'; role: string; principal?: string; labels?: Label[] } = { type: r.type, role: r.role };
      if (r.principal !== null && r.principal !== undefined) out.principal = r.principal;
      const labels = labelsFromProto(r.labels);
      if (labels !== undefined) out.labels = labels;
      return out;
    });
  }
  const role = p.role ?? UNRESERVED_ROLE;
  if (role === UNRESERVED_ROLE) {
    if (p.reservation !== null && p.reservation !== undefined) throw new ResourceError(`Resource ${index}: unreserved resource with reservation info`, index, 'reservation');
    return [];
  }
  if (p.reservation === null || p.reservation === undefined) return [{ type: 'STATIC', role }];
  const out: { type: 'DYNAMIC'; role: string; principal?: string; labels?: Label[] } = { type: 'DYNAMIC', role };
  if (p.reservation.principal !== null && p.reservation.principal !== undefined) out.principal = p.reservation.principal;
  const labels = labelsFromProto(p.reservation.labels);
  if (labels !== undefined) out.labels = labels;
  return [out];
}

function checkInt(x: unknown, index: number, field: string): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) throw new ResourceError(`Resource ${index}: ${field} must be a non-negative integer`, index, field);
  return x;
}

export function resourceFromProto(p: ResourceProto, index: number): Resource {
  if (p === null || typeof p !== 'object') throw new ResourceError(`Resource ${index}: not an object`, index, '');
  if (typeof p.name !== 'string' || p.name === '') throw new ResourceError(`Resource ${index}: empty resource name`, index, 'name');
  const has = (v: unknown) => v !== null && v !== undefined;
  let kind: ResourceKind;
  let milli = 0;
  let ranges: readonly number[] | undefined;
  let set: readonly string[] | undefined;
  switch (p.type) {
    case 'SCALAR': {
      if (!has(p.scalar) || has(p.ranges) || has(p.set)) throw new ResourceError(`Resource ${index} (${p.name}): invalid scalar resource`, index, 'scalar');
      const v = p.scalar!.value as unknown;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ResourceError(`Resource ${index} (${p.name}): scalar value must be finite and non-negative`, index, 'scalar.value');
      kind = 'SCALAR';
      milli = toMilli(v);
      break;
    }
    case 'RANGES': {
      if (!has(p.ranges) || has(p.scalar) || has(p.set)) throw new ResourceError(`Resource ${index} (${p.name}): invalid ranges resource`, index, 'ranges');
      const list = p.ranges!.range ?? [];
      const pairs: Array<[number, number]> = list.map((r, j) => {
        const b = checkInt(r.begin, index, `ranges.range[${j}].begin`);
        const e = checkInt(r.end, index, `ranges.range[${j}].end`);
        if (b > e) throw new ResourceError(`Resource ${index} (${p.name}): range ${j} has begin > end`, index, `ranges.range[${j}]`);
        return [b, e];
      });
      const sorted = [...pairs].sort((x, y) => x[0] - y[0]);
      for (let j = 1; j < sorted.length; j++) {
        if (sorted[j][0] <= sorted[j - 1][1]) throw new ResourceError(`Resource ${index} (${p.name}): overlapping ranges`, index, 'ranges.range');
      }
      kind = 'RANGES';
      ranges = normalizeRanges(pairs);
      break;
    }
    case 'SET': {
      if (!has(p.set) || has(p.scalar) || has(p.ranges)) throw new ResourceError(`Resource ${index} (${p.name}): invalid set resource`, index, 'set');
      const items = p.set!.item ?? [];
      if (new Set(items).size !== items.length) throw new ResourceError(`Resource ${index} (${p.name}): duplicate set items`, index, 'set.item');
      kind = 'SET';
      set = [...items].sort();
      break;
    }
    default:
      throw new ResourceError(`Resource ${index} (${p.name}): unsupported resource type '${String(p.type)}'`, index, 'type');
  }
  const allocationRole = p.allocation_info?.role ?? undefined;
  return makeResource({
    name: p.name,
    kind,
    milli,
    ranges,
    set,
    reservations: reservationsFromProto(p, index),
    allocationRole,
    revocable: has(p.revocable),
    shared: has(p.shared),
    disk: has(p.disk) ? (p.disk as DiskInfo) : undefined,
    providerId: p.provider_id?.value ?? undefined,
  });
}

function labelsToProto(labels: readonly Label[] | undefined): { labels: LabelProto[] } | undefined {
  if (labels === undefined || labels.length === 0) return undefined;
  return { labels: labels.map((l) => (l.value === undefined ? { key: l.key } : { key: l.key, value: l.value })) };
}

export function resourceToProto(e: Resource, options?: ToProtoOptions): ResourceProto {
  const out: ResourceProto = { name: e.name, type: e.kind };
  if (e.kind === 'SCALAR') out.scalar = { value: fromMilli(e.milli) };
  else if (e.kind === 'RANGES') out.ranges = { range: rangesToPairs(e.ranges).map(([begin, end]) => ({ begin, end })) };
  else out.set = { item: [...e.set] };
  if (e.reservations.length > 0) {
    out.reservations = e.reservations.map((r) => {
      const x: ReservationProto = { type: r.type, role: r.role };
      if (r.principal !== undefined) x.principal = r.principal;
      const labels = labelsToProto(r.labels);
      if (labels !== undefined) x.labels = labels;
      return x;
    });
  }
  if (options?.legacyRole) {
    out.role = reservationRole(e);
    const last = e.reservations[e.reservations.length - 1];
    if (last !== undefined && last.type === 'DYNAMIC') {
      const rv: NonNullable<ResourceProto['reservation']> = {};
      if (last.principal !== undefined) rv.principal = last.principal;
      const labels = labelsToProto(last.labels);
      if (labels !== undefined) rv.labels = labels;
      out.reservation = rv;
    }
  }
  if (e.allocationRole !== undefined) out.allocation_info = { role: e.allocationRole };
  if (e.disk !== undefined) out.disk = { ...e.disk } as mesos.v1.Resource.DiskInfo;
  if (e.revocable) out.revocable = {};
  if (e.shared) out.shared = {};
  if (e.providerId !== undefined) out.provider_id = { value: e.providerId };
  return out;
}
