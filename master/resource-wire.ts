/**
 * The one place the master converts between `Resources` and the wire list `mesos.v1.Resource[]`
 * (common/resources' `ResourceProto` is the generated type, so no cast is needed): validation on
 * the way in, canonical form on the way out.
 */
import { Resources } from '../common/resources/resources.ts';
import type { mesos } from '../proto/types.generated.ts';

/** Validates and converts; throws ResourceError (naming index and field) on invalid input. */
export function resourcesFromWire(list: readonly mesos.v1.Resource[] | undefined): Resources {
  return Resources.fromProto(list ?? []);
}

export function resourcesToWire(r: Resources): mesos.v1.Resource[] {
  return r.toProto();
}
