/**
 * The root group as stored and back (pure): the store keeps group records and apps apart
 * (`GroupRecord`, `AppDefinition`); `assembleRoot` rebuilds the tree, `storeChanges` lists the
 * operations that turn the stored form of one root into another's (only what differs).
 *
 * Invariants: every app lands in the group of its parent path (missing groups are created with the
 * app's version); the root `/` always exists; `storeChanges(a, b)` applied to a store holding `a`
 * leaves one holding `b`.
 */
import type { AppDefinition, Group, PathId, Timestamp } from '../model.ts';
import { asPathId } from '../model.ts';
import type { GroupRecord, StoreOperation } from '../ports.ts';
import { stableJson } from '../app/app-change.ts';

const ROOT = asPathId('/');

export const parentPath = (id: string): PathId => {
  const i = id.lastIndexOf('/');
  return asPathId(i <= 0 ? '/' : id.slice(0, i));
};

interface MutableGroup {
  id: PathId;
  apps: AppDefinition[];
  groups: MutableGroup[];
  dependencies: readonly PathId[];
  version: Timestamp;
  enforceRole?: boolean;
}

export function assembleRoot(records: readonly GroupRecord[], apps: readonly AppDefinition[], fallbackVersion: Timestamp): Group {
  const byId = new Map<string, MutableGroup>();
  const ensure = (id: PathId, version: Timestamp): MutableGroup => {
    const found = byId.get(id);
    if (found) return found;
    const g: MutableGroup = { id, apps: [], groups: [], dependencies: [], version };
    byId.set(id, g);
    if (id !== ROOT) ensure(parentPath(id), version).groups.push(g);
    return g;
  };
  const rootRecord = records.find((r) => r.id === ROOT);
  ensure(ROOT, rootRecord?.version ?? fallbackVersion);
  for (const r of [...records].sort((a, b) => a.id.split('/').length - b.id.split('/').length)) {
    const g = ensure(r.id, r.version);
    g.dependencies = r.dependencies;
    g.version = r.version;
    if (r.enforceRole !== undefined) g.enforceRole = r.enforceRole;
  }
  for (const app of apps) ensure(parentPath(app.id), app.version).apps.push(app);
  const freeze = (g: MutableGroup): Group => ({
    id: g.id,
    apps: [...g.apps].sort((a, b) => (a.id < b.id ? -1 : 1)),
    groups: g.groups.map(freeze).sort((a, b) => (a.id < b.id ? -1 : 1)),
    dependencies: g.dependencies,
    version: g.version,
    ...(g.enforceRole === undefined ? {} : { enforceRole: g.enforceRole }),
  });
  return freeze(byId.get(ROOT) as MutableGroup);
}

export function groupRecordOf(g: Group): GroupRecord {
  return { id: g.id, dependencies: g.dependencies, version: g.version, ...(g.enforceRole === undefined ? {} : { enforceRole: g.enforceRole }) };
}

/** Every app and group record of a tree, by id. */
export function flatten(root: Group): { apps: Map<PathId, AppDefinition>; groups: Map<PathId, GroupRecord> } {
  const apps = new Map<PathId, AppDefinition>();
  const groups = new Map<PathId, GroupRecord>();
  const walk = (g: Group) => {
    groups.set(g.id, groupRecordOf(g));
    for (const a of g.apps) apps.set(a.id, a);
    for (const sub of g.groups) walk(sub);
  };
  walk(root);
  return { apps, groups };
}

export function storeChanges(from: Group, to: Group): StoreOperation[] {
  const a = flatten(from);
  const b = flatten(to);
  const ops: StoreOperation[] = [];
  for (const [id, app] of b.apps) {
    const old = a.apps.get(id);
    if (!old || stableJson(old) !== stableJson(app)) ops.push({ op: 'putApp', app });
  }
  for (const id of a.apps.keys()) if (!b.apps.has(id)) ops.push({ op: 'deleteApp', appId: id });
  for (const [id, g] of b.groups) {
    const old = a.groups.get(id);
    if (!old || stableJson(old) !== stableJson(g)) ops.push({ op: 'putGroup', group: g });
  }
  for (const id of a.groups.keys()) if (!b.groups.has(id)) ops.push({ op: 'deleteGroup', groupId: id });
  return ops;
}
