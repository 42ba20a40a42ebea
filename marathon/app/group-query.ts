/**
 * Reads over a group tree: find a group or an app by id, list every app. Pure; the tree is the
 * root group or any subtree (ids are absolute, so a subtree answers for the ids under it).
 *
 * Invariant relied on: a group's children have ids directly under its own (validateRoot checks);
 * a misplaced app or group is simply not found.
 */
import type { AppDefinition, Group, PathId, Timestamp } from '../model.ts';
import { isUnder, parentOf, ROOT } from './path-id.ts';

export function emptyRoot(version: Timestamp): Group {
  return { id: ROOT, apps: [], groups: [], dependencies: [], version };
}

/** An empty group at `id` (a parent created on the way to a new app or group). */
export function emptyGroup(id: PathId, version: Timestamp): Group {
  return { id, apps: [], groups: [], dependencies: [], version };
}

export function findGroup(root: Group, id: PathId): Group | undefined {
  if (!isUnder(id, root.id)) return undefined;
  let current: Group = root;
  while (current.id !== id) {
    const next: Group | undefined = current.groups.find((g) => isUnder(id, g.id));
    if (next === undefined) return undefined;
    current = next;
  }
  return current;
}

export function findApp(root: Group, id: PathId): AppDefinition | undefined {
  if (id === ROOT) return undefined;
  return findGroup(root, parentOf(id))?.apps.find((a) => a.id === id);
}

/** Every app in the tree, depth first: a group's own apps before its sub-groups'. */
export function allApps(root: Group): AppDefinition[] {
  const out: AppDefinition[] = [];
  const walk = (g: Group): void => {
    out.push(...g.apps);
    g.groups.forEach(walk);
  };
  walk(root);
  return out;
}

/** Every group in the tree, the root first. */
export function allGroups(root: Group): Group[] {
  const out: Group[] = [];
  const walk = (g: Group): void => {
    out.push(g);
    g.groups.forEach(walk);
  };
  walk(root);
  return out;
}
