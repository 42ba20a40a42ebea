/**
 * The app dependency graph of a group tree and its layering, as Marathon orders a deployment.
 *
 * Edges run from an app to each app it depends on:
 *  - an app's `dependencies` entry names an app (that app) or a group (every app under it);
 *  - a group's `dependencies` entry makes every app under that group depend on the named app, or
 *    on every app under the named group.
 * The layer of an app is the number of apps on the longest dependency path that starts at it
 * (1: depends on nothing). Apps of one layer are independent of each other and all their
 * dependencies sit in lower layers, so deploying layer by layer honours every dependency.
 *
 * Invariants: self edges are ignored; a cycle (validation rejects them, but the planner must not
 * loop) is cut where the walk meets a vertex already on its path; the result is deterministic.
 */
import type { Group, PathId } from '../model.ts';
import { appsById, appIdsUnder, groupsById } from './group-walk.ts';

export interface DependencyGraph {
  /** app id -> the app ids it depends on (sorted, no self edge). */
  readonly edges: ReadonlyMap<PathId, readonly PathId[]>;
}

export function dependencyGraph(root: Group): DependencyGraph {
  const apps = appsById(root);
  const groups = groupsById(root);
  const deps = new Map<PathId, Set<PathId>>();
  for (const id of apps.keys()) deps.set(id, new Set());

  const resolve = (target: PathId): readonly PathId[] => {
    if (apps.has(target)) return [target];
    const g = groups.get(target);
    return g ? appIdsUnder(g) : [];
  };
  const addEdges = (from: readonly PathId[], to: readonly PathId[]): void => {
    for (const a of from) for (const b of to) if (a !== b) deps.get(a)?.add(b);
  };

  for (const g of groups.values()) {
    if (g.dependencies.length === 0) continue;
    const members = appIdsUnder(g);
    for (const d of g.dependencies) addEdges(members, resolve(d));
  }
  for (const app of apps.values()) {
    for (const d of app.dependencies) addEdges([app.id], resolve(d));
  }

  const edges = new Map<PathId, readonly PathId[]>();
  for (const [id, set] of deps) edges.set(id, [...set].sort());
  return { edges };
}

/** Layer of every app in the graph: 1 + the longest chain of dependencies below it. */
export function layersOf(graph: DependencyGraph): Map<PathId, number> {
  const layer = new Map<PathId, number>();
  const onPath = new Set<PathId>();
  const visit = (id: PathId): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    onPath.add(id);
    let deepest = 0;
    for (const dep of graph.edges.get(id) ?? []) {
      if (onPath.has(dep)) continue; // a cycle: cut here
      deepest = Math.max(deepest, visit(dep));
    }
    onPath.delete(id);
    layer.set(id, deepest + 1);
    return deepest + 1;
  };
  for (const id of [...graph.edges.keys()].sort()) visit(id);
  return layer;
}

/**
 * Splits `ids` into ordered batches by layer (lowest first); ids in a batch are sorted. Ids not in
 * the graph count as layer 1.
 */
export function batchesByLayer(ids: Iterable<PathId>, layers: ReadonlyMap<PathId, number>): PathId[][] {
  const byLayer = new Map<number, PathId[]>();
  for (const id of ids) {
    const l = layers.get(id) ?? 1;
    const batch = byLayer.get(l);
    if (batch) batch.push(id);
    else byLayer.set(l, [id]);
  }
  return [...byLayer.keys()].sort((a, b) => a - b).map((l) => byLayer.get(l)!.sort());
}
