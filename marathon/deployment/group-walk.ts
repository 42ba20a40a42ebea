/**
 * Walks a group tree for the deployment planner: every app and every group by id. Kept here (and
 * small) so the planner depends only on the model; it reads the tree, never changes it.
 *
 * Invariant: ids are unique in a valid tree; should one repeat, the first met (depth first, apps
 * before sub-groups) wins, so the result never depends on map insertion accidents.
 */
import type { AppDefinition, Group, PathId } from '../model.ts';

/** Every app under `group` (transitively), by id. */
export function appsById(group: Group): Map<PathId, AppDefinition> {
  const out = new Map<PathId, AppDefinition>();
  const visit = (g: Group): void => {
    for (const app of g.apps) if (!out.has(app.id)) out.set(app.id, app);
    for (const sub of g.groups) visit(sub);
  };
  visit(group);
  return out;
}

/** Every group under `group`, itself included, by id. */
export function groupsById(group: Group): Map<PathId, Group> {
  const out = new Map<PathId, Group>();
  const visit = (g: Group): void => {
    if (!out.has(g.id)) out.set(g.id, g);
    for (const sub of g.groups) visit(sub);
  };
  visit(group);
  return out;
}

/** The ids of every app under `group`, transitively. */
export function appIdsUnder(group: Group): PathId[] {
  return [...appsById(group).keys()];
}
