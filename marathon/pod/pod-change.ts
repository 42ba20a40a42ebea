/**
 * What kind of change one pod definition is to another (Marathon's `PodDefinition.isUpgrade`,
 * `isOnlyScaleChange`): a deployment replaces the instances of a pod whose upgrade-relevant
 * configuration changed and only scales one whose `instances` alone changed. `version` is
 * bookkeeping, never a change.
 *
 * As Marathon: `executorResources`, `killSelection`, `unreachableStrategy` and `scaling` are not
 * upgrade-relevant (running instances keep them); everything else is.
 */
import { stableJson } from '../app/app-change.ts';
import type { PodDefinition } from './pod-definition.ts';

const withoutVersion = (pod: PodDefinition): string => {
  const { version: _v, ...rest } = pod;
  return stableJson(rest);
};

const upgradeRelevant = (pod: PodDefinition): string => {
  const { version: _v, scaling: _s, executorResources: _e, scheduling, ...rest } = pod;
  const { killSelection: _k, unreachableStrategy: _u, ...sched } = scheduling;
  return stableJson({ ...rest, scheduling: sched });
};

/** True when nothing but the version differs. */
export function isSamePod(a: PodDefinition, b: PodDefinition): boolean {
  return withoutVersion(a) === withoutVersion(b);
}

/** True when the running instances must be replaced (Marathon's `isUpgrade`). */
export function isPodUpgrade(from: PodDefinition, to: PodDefinition): boolean {
  return upgradeRelevant(from) !== upgradeRelevant(to);
}

/** True when the instance count changed and nothing upgrade-relevant did. */
export function isPodScaleChange(from: PodDefinition, to: PodDefinition): boolean {
  return from.scaling.instances !== to.scaling.instances && !isPodUpgrade(from, to);
}
