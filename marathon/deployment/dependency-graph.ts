/**
 * The layering of a group tree's app dependency graph, as Marathon orders a deployment.
 *
 * The edges are marathon/app's `dependencyEdges` (the same graph validation checks for cycles):
 * an app depends on each app its own `dependencies` name (an app, or every app under a group),
 * and on those of every enclosing group's `dependencies`.
 * The layer of an app is the number of apps on the longest dependency path that starts at it
 * (1: depends on nothing). Apps of one layer are independent of each other and all their
 * dependencies sit in lower layers, so deploying layer by layer honours every dependency.
 *
 * Invariants: self edges are ignored (an app depending on its own group); a cycle (validation
 * rejects them, but the planner must not loop) is cut where the walk meets a vertex already on
 * its path; the result is deterministic.
 */
import type { Group, PathId } from '../model.ts';
import { dependencyEdges } from '../app/group.ts';

/** Layer of every app in the tree: 1 + the longest chain of dependencies below it. */
export function layersOf(root: Group): Map<PathId, number> {
  const edges = dependencyEdges(root);
  const layer = new Map<PathId, number>();
  const onPath = new Set<PathId>();
  const visit = (id: PathId): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    onPath.add(id);
    let deepest = 0;
    for (const dep of [...(edges.get(id) ?? [])].sort()) {
      if (dep === id || onPath.has(dep)) continue; // a self edge or a cycle: cut here
      deepest = Math.max(deepest, visit(dep));
    }
    onPath.delete(id);
    layer.set(id, deepest + 1);
    return deepest + 1;
  };
  for (const id of [...edges.keys()].sort()) visit(id);
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
