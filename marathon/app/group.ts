/**
 * The group tree as values: pure operations that return a new root (apps in, apps out, subtrees
 * replaced or removed, a subtree scaled), plus the reads and the parse/JSON of groups re-exported
 * so callers need one import.
 *
 * Invariants: inputs are never mutated; a changed group and each of its ancestors get the
 * operation's `version` (Marathon bumps every group on the path of a change); untouched groups
 * and apps keep their objects and versions; parents missing on the way to a new app or group
 * are created empty, with `version`. A definition that enters the tree (withApps, withGroup) gets
 * its 0 service ports assigned (service-ports.ts), as Marathon does on every root change.
 */
import type { AppDefinition, Group, PathId, Timestamp } from '../model.ts';
import { stableJson } from './app-change.ts';
import { allApps, emptyGroup, emptyRoot, findApp, findGroup } from './group-query.ts';
import { ancestry, isUnder, parentOf, ROOT, segmentsOf } from './path-id.ts';
import { assignServicePorts, takenServicePorts } from './service-ports.ts';

export { allApps, allGroups, emptyRoot, findApp, findGroup } from './group-query.ts';
export { dependencyEdges, GROUP_MSG, unresolvedDependencies, validateRoot } from './group-validate.ts';
export { parseGroup } from './group-parse.ts';
export { groupToJson } from './group-json.ts';

/**
 * Applies `fn` to the group at `target` (created if missing) and stamps `version` on it and on
 * every ancestor.
 */
function updateAt(root: Group, target: PathId, fn: (g: Group) => Group, version: Timestamp): Group {
  const path = ancestry(target);
  const go = (g: Group, depth: number): Group => {
    if (depth === path.length) return { ...fn(g), version };
    const childId = path[depth];
    const existing = g.groups.find((c) => c.id === childId);
    const updated = go(existing ?? emptyGroup(childId, version), depth + 1);
    const groups = existing === undefined ? [...g.groups, updated] : g.groups.map((c) => (c === existing ? updated : c));
    return { ...g, groups, version };
  };
  if (!isUnder(target, root.id)) return root;
  return go(root, segmentsOf(root.id).length);
}

/** Ports in use by the old tree and by the explicit ports of what comes in (Marathon's `taken`). */
function takenBy(root: Group, incoming: readonly AppDefinition[]): Set<number> {
  return takenServicePorts([...allApps(root), ...incoming]);
}

/** Creates or replaces each app in its parent group (creating missing groups). */
export function withApps(root: Group, apps: readonly AppDefinition[], version: Timestamp): Group {
  let out = root;
  const taken = takenBy(root, apps);
  for (const given of apps) {
    const current = findApp(out, given.id);
    const app = assignServicePorts(given, findApp(root, given.id) ?? current, taken);
    if (current !== undefined && (current === app || stableJson(current) === stableJson(app))) continue;
    out = updateAt(out, parentOf(app.id), (g) => ({
      ...g,
      apps: current === undefined ? [...g.apps, app] : g.apps.map((a) => (a.id === app.id ? app : a)),
    }), version);
  }
  return out;
}

export function withoutApp(root: Group, id: PathId, version: Timestamp): Group {
  if (findApp(root, id) === undefined) return root;
  return updateAt(root, parentOf(id), (g) => ({ ...g, apps: g.apps.filter((a) => a.id !== id) }), version);
}

/** Replaces the subtree at `group.id` with `group` (kept as given but for assigned service ports); ancestors get `version`. */
export function withGroup(root: Group, given: Group, version: Timestamp): Group {
  const taken = takenBy(root, allApps(given));
  const assign = (g: Group): Group => {
    const apps = g.apps.map((a) => assignServicePorts(a, findApp(root, a.id), taken));
    const groups = g.groups.map(assign);
    return apps.every((a, i) => a === g.apps[i]) && groups.every((c, i) => c === g.groups[i]) ? g : { ...g, apps, groups };
  };
  const group = assign(given);
  if (group.id === ROOT || group.id === root.id) return group;
  return updateAt(root, parentOf(group.id), (parent) => {
    const present = parent.groups.some((g) => g.id === group.id);
    return { ...parent, groups: present ? parent.groups.map((g) => (g.id === group.id ? group : g)) : [...parent.groups, group] };
  }, version);
}

/** Removes the subtree at `id`; removing `/` empties the root (its dependencies kept). */
export function withoutGroup(root: Group, id: PathId, version: Timestamp): Group {
  if (id === ROOT) return { ...emptyRoot(version), dependencies: root.dependencies, ...(root.enforceRole !== undefined ? { enforceRole: root.enforceRole } : {}) };
  if (findGroup(root, id) === undefined) return root;
  return updateAt(root, parentOf(id), (g) => ({ ...g, groups: g.groups.filter((c) => c.id !== id) }), version);
}

/** Marathon's `scaleBy`: `ceil(instances * factor)` for every app under `id` (a scale, not a config change). */
export function scaledInstances(instances: number, factor: number): number {
  return Math.ceil(instances * factor);
}

export function scaledGroup(root: Group, id: PathId, factor: number, version: Timestamp): Group {
  const target = findGroup(root, id);
  if (target === undefined) return root;
  const scale = (g: Group): Group => {
    let changed = false;
    const apps = g.apps.map((a) => {
      const instances = scaledInstances(a.instances, factor);
      if (instances === a.instances) return a;
      changed = true;
      return { ...a, instances, version, versionInfo: { ...a.versionInfo, lastScalingAt: version } };
    });
    const groups = g.groups.map((c) => {
      const s = scale(c);
      if (s !== c) changed = true;
      return s;
    });
    return changed ? { ...g, apps, groups, version } : g;
  };
  const scaled = scale(target);
  return scaled === target ? root : withGroup(root, scaled, version);
}
