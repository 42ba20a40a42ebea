/**
 * May a restarted agent keep its id with the AgentInfo it has now? Mesos' agent
 * `--reconfiguration_policy`:
 *  - `equal` (the default): hostname, port, resources, attributes and domain must be unchanged;
 *  - `additive`: hostname, port and domain unchanged; resources may only grow (the old ones are
 *    contained in the new ones) and attributes may only be added (every old attribute kept as is).
 * An incompatible change is refused: the agent does not start, and says how to start it as a new
 * agent (remove `<work_dir>/meta/slaves/latest`, as Mesos tells its operators). Pure.
 */
import { Resources } from '../common/resources/resources.ts';
import type { mesos } from '../proto/types.generated.ts';

export type ReconfigurationPolicy = 'equal' | 'additive';

const attrKey = (a: mesos.v1.Attribute) => `${a.name}=${JSON.stringify({ t: a.type, s: a.scalar, r: a.ranges, set: a.set, x: a.text })}`;

/** Undefined when compatible, else a message naming what changed. */
export function incompatibility(old: mesos.v1.AgentInfo, now: mesos.v1.AgentInfo, policy: ReconfigurationPolicy): string | undefined {
  if (old.hostname !== now.hostname) return `hostname changed from '${old.hostname}' to '${now.hostname}'`;
  if ((old.port ?? 5051) !== (now.port ?? 5051)) return `port changed from ${old.port ?? 5051} to ${now.port ?? 5051}`;
  if (JSON.stringify(old.domain ?? null) !== JSON.stringify(now.domain ?? null)) return 'domain changed';
  const oldRes = Resources.fromProto(old.resources);
  const newRes = Resources.fromProto(now.resources);
  const oldAttrs = new Set((old.attributes ?? []).map(attrKey));
  const newAttrs = new Set((now.attributes ?? []).map(attrKey));
  if (policy === 'equal') {
    if (!oldRes.equals(newRes)) return `resources changed from ${oldRes.toString()} to ${newRes.toString()}`;
    if (oldAttrs.size !== newAttrs.size || [...oldAttrs].some((a) => !newAttrs.has(a))) return 'attributes changed';
    return undefined;
  }
  if (!newRes.contains(oldRes)) return `resources shrank from ${oldRes.toString()} to ${newRes.toString()}`;
  if ([...oldAttrs].some((a) => !newAttrs.has(a))) return 'attributes were changed or removed (only additions are allowed)';
  return undefined;
}
