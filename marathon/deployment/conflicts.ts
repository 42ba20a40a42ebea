/**
 * Which running deployments a change collides with: those whose affected apps share an id with
 * the apps the change would touch (Marathon's `DeploymentPlan.isAffectedBy`). A change that
 * collides is refused with 409 unless forced, in which case these deployments are cancelled.
 *
 * Invariants: the result keeps the order of `deployments`; an empty `appIds` (an empty plan)
 * collides with nothing.
 */
import type { Deployment, PathId } from '../model.ts';

export function conflictingDeployments(deployments: readonly Deployment[], appIds: readonly PathId[]): Deployment[] {
  if (appIds.length === 0) return [];
  const touched = new Set<PathId>(appIds);
  return deployments.filter((d) => d.affectedApps.some((id) => touched.has(id)));
}
