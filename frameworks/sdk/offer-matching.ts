/**
 * Offer matching helpers on top of common/resources (the resource arithmetic lives there): does
 * an offer hold what a task needs, and which of the offered resources should the task take?
 *
 * `matchOffer` takes scalars (cpus, mem, disk, gpus, ...) and a number of ports. Reserved
 * resources (for the offer's role) are used before unreserved ones, revocable ones never; the
 * resources it returns are real offered entries (reservations and allocation role kept), so they
 * go into a TaskInfo as they are. A miss is a value with one reason per missing resource, never
 * a throw. Pure: no I/O.
 */
import { Resources } from '../../common/resources/resources.ts';
import { makeResource, toMilli, fromMilli, withScalarMilli, type Resource } from '../../common/resources/resource.ts';
import { normalizeRanges, rangesSubtract, rangesToPairs } from '../../common/resources/ranges.ts';
import type { mesos } from '../../proto/types.generated.ts';
import type { Offer } from './scheduler-handler.ts';

export interface ResourceNeed {
  /** Scalar name to amount, as in Mesos (`{ cpus: 0.5, mem: 128 }`). */
  readonly scalars: Readonly<Record<string, number>>;
  /** How many ports, taken from the lowest offered ones. */
  readonly ports?: number;
}

export type OfferMatch =
  | { readonly ok: true; readonly take: Resources; readonly ports: readonly number[]; readonly rest: Resources; toProto(): mesos.v1.Resource[] }
  | { readonly ok: false; readonly reasons: readonly string[] };

/** The offer's resources (validated by common/resources; a master only offers valid ones). */
export function offerResources(offer: Offer): Resources {
  return Resources.fromProto(offer.resources ?? []);
}

/** Reserved entries first (they are the role's own), then unreserved; revocable ones left out. */
function candidates(offered: Resources, name: string): Resource[] {
  const list = offered.entries.filter((e) => e.name === name && !e.revocable && !e.shared && e.disk === undefined);
  return [...list.filter((e) => e.reservations.length > 0), ...list.filter((e) => e.reservations.length === 0)];
}

export function matchOffer(offer: Offer, need: ResourceNeed): OfferMatch {
  const offered = offerResources(offer);
  const taken: Resource[] = [];
  const reasons: string[] = [];
  for (const [name, amount] of Object.entries(need.scalars)) {
    let left = toMilli(amount);
    if (left <= 0) continue;
    for (const e of candidates(offered, name)) {
      if (left === 0 || e.kind !== 'SCALAR') continue;
      const part = Math.min(left, e.milli);
      taken.push(withScalarMilli(e, part));
      left -= part;
    }
    if (left > 0) reasons.push(`INSUFFICIENT_${name.toUpperCase()}: need ${amount}, offered ${fromMilli(toMilli(amount) - left)}`);
  }
  const ports: number[] = [];
  const wanted = need.ports ?? 0;
  for (const e of candidates(offered, 'ports')) {
    if (ports.length === wanted || e.kind !== 'RANGES') continue;
    const picked: number[] = [];
    for (const [lo, hi] of rangesToPairs(e.ranges)) {
      for (let p = lo; p <= hi && ports.length + picked.length < wanted; p++) picked.push(p);
    }
    if (picked.length === 0) continue;
    ports.push(...picked);
    taken.push(makeResource({
      name: e.name, kind: 'RANGES', ranges: normalizeRanges(picked.map((p) => [p, p] as const)),
      reservations: e.reservations, allocationRole: e.allocationRole, revocable: e.revocable, providerId: e.providerId,
    }));
  }
  if (ports.length < wanted) reasons.push(`INSUFFICIENT_PORTS: need ${wanted}, offered ${ports.length}`);
  if (reasons.length > 0) return { ok: false, reasons };
  const take = Resources.of(taken);
  return { ok: true, take, ports, rest: offered.minus(take), toProto: () => take.toProto() };
}

/** Ports left in a ranges entry after some were taken (for frameworks packing several tasks). */
export function portsLeft(ranges: ReadonlyArray<readonly [number, number]>, taken: readonly number[]): Array<[number, number]> {
  return rangesToPairs(rangesSubtract(normalizeRanges(ranges), normalizeRanges(taken.map((p) => [p, p] as const))));
}
