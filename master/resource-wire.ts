/**
 * The one place the master converts between `Resources` and the generated `mesos.v1.Resource`
 * type. Both are the same Mesos JSON form at run time; common/resources declares its own
 * structural `ResourceProto`, which TypeScript does not see as identical to the generated type
 * (nullable vs optional members), so the conversion is named here instead of cast at every use.
 */
import { Resources } from '../common/resources/resources.ts';
import type { ResourceProto } from '../common/resources/proto-adapter.ts';
import type { mesos } from '../proto/types.generated.ts';

/** Validates and converts; throws ResourceError (naming index and field) on invalid input. */
export function resourcesFromWire(list: readonly mesos.v1.Resource[] | undefined): Resources {
  return Resources.fromProto((list ?? []) as unknown as readonly ResourceProto[]);
}

export function resourcesToWire(r: Resources): mesos.v1.Resource[] {
  return r.toProto() as unknown as mesos.v1.Resource[];
}
