/**
 * Whole-tree validation of a group (Marathon's root-group rules): every app and group sits
 * directly in the group named by its parent id, no id is used twice (an app and a group may not
 * share one), and the dependency graph between apps has no cycle.
 *
 * Paths in the returned details are the offending ids (`/prod/web`); a cycle is reported at `/`.
 * Dependencies on ids that do not exist are not an error: Marathon accepts them (its published
 * apps_create.json example depends on `/other/namespace/or/app`) and ignores them when ordering;
 * `unresolvedDependencies` lists them for callers that want to warn.
 */
import type { AppDefinition, Group, PathId } from '../model.ts';
import type { ValidationDetail } from '../ports.ts';
import { createProblems } from './json-reader.ts';
import { allApps, allGroups, findApp, findGroup } from './group-query.ts';
import { parentOf } from './path-id.ts';

export const GROUP_MSG = {
  cycle: 'Dependency graph has cyclic dependencies.',
  sameId: 'Groups and Applications may not have the same identifier.',
  duplicate: 'is defined more than once',
  notChild: (id: string, base: string) => `identifier ${id} is not child of ${base}. Hint: use relative paths.`,
} as const;

export function validateRoot(root: Group): ValidationDetail[] {
  const p = createProblems();
  const groupIds = new Set<string>();
  const appIds = new Set<string>();
  for (const g of allGroups(root)) {
    if (groupIds.has(g.id)) p.add(g.id, GROUP_MSG.duplicate);
    groupIds.add(g.id);
    for (const child of g.groups) if (parentOf(child.id) !== g.id) p.add(child.id, GROUP_MSG.notChild(child.id, g.id));
    for (const app of g.apps) {
      if (parentOf(app.id) !== g.id) p.add(app.id, GROUP_MSG.notChild(app.id, g.id));
      if (appIds.has(app.id)) p.add(app.id, GROUP_MSG.duplicate);
      appIds.add(app.id);
    }
  }
  for (const id of appIds) if (groupIds.has(id)) p.add(id, GROUP_MSG.sameId);
  if (hasCycle(root)) p.add('/', GROUP_MSG.cycle);
  return p.list();
}

/** The apps an id stands for as a dependency: the app itself, or every app of the group. */
function targets(root: Group, id: PathId): AppDefinition[] {
  const app = findApp(root, id);
  if (app !== undefined) return [app];
  const g = findGroup(root, id);
  return g === undefined ? [] : allApps(g);
}

/** app id -> the app ids it must wait for (its own dependencies and those of its groups). */
export function dependencyEdges(root: Group): Map<PathId, Set<PathId>> {
  const edges = new Map<PathId, Set<PathId>>();
  const walk = (g: Group, inherited: readonly PathId[]): void => {
    const deps = [...inherited, ...g.dependencies];
    for (const app of g.apps) {
      const out = new Set<PathId>();
      for (const d of [...deps, ...app.dependencies]) for (const t of targets(root, d)) out.add(t.id);
      edges.set(app.id, out);
    }
    for (const child of g.groups) walk(child, deps);
  };
  walk(root, []);
  return edges;
}

function hasCycle(root: Group): boolean {
  const edges = dependencyEdges(root);
  const state = new Map<PathId, 'open' | 'done'>();
  const visit = (id: PathId): boolean => {
    const s = state.get(id);
    if (s === 'open') return true;
    if (s === 'done') return false;
    state.set(id, 'open');
    for (const next of edges.get(id) ?? []) if (visit(next)) return true;
    state.set(id, 'done');
    return false;
  };
  return [...edges.keys()].some(visit);
}

/** Dependencies (of apps and groups) that name neither an app nor a group in the tree. */
export function unresolvedDependencies(root: Group): PathId[] {
  const out = new Set<PathId>();
  const known = (id: PathId) => findApp(root, id) !== undefined || findGroup(root, id) !== undefined;
  for (const g of allGroups(root)) {
    for (const d of g.dependencies) if (!known(d)) out.add(d);
    for (const a of g.apps) for (const d of a.dependencies) if (!known(d)) out.add(d);
  }
  return [...out];
}
