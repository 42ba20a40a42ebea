/**
 * Host ports for one instance, from the `ports` ranges an app may use. Requests are in
 * declaration order (app-ports.ts): N takes exactly port N, 0 takes any offered port. Fixed ports
 * are taken first, so a dynamic pick never steals one; dynamic picks take the lowest free port,
 * reserved ranges before unreserved ones (deterministic, where Marathon picks at random).
 *
 * Invariants of a match: every port is in the usable ranges, no port is taken twice, and the
 * returned resources are exactly the taken ports on the entries they came from (reservation and
 * allocation role kept), so they go into a TaskInfo as they are. Pure.
 */
import { makeResource, type Resource } from '../../common/resources/resource.ts';
import { normalizeRanges } from '../../common/resources/ranges.ts';
import type { Resources } from '../../common/resources/resources.ts';

export type PortMatch =
  | { readonly ok: true; readonly ports: readonly number[]; readonly take: readonly Resource[] }
  | { readonly ok: false };

function portEntries(usable: Resources): Resource[] {
  const list = usable.entries.filter((e) => e.name === 'ports' && e.kind === 'RANGES');
  return [...list.filter((e) => e.reservations.length > 0), ...list.filter((e) => e.reservations.length === 0)];
}

function entryHolding(entries: readonly Resource[], port: number): number {
  for (let i = 0; i < entries.length; i++) {
    const r = entries[i].ranges;
    for (let j = 0; j < r.length; j += 2) if (r[j] <= port && port <= r[j + 1]) return i;
  }
  return -1;
}

function lowestFree(entries: readonly Resource[], used: ReadonlySet<number>): [number, number] | undefined {
  for (let i = 0; i < entries.length; i++) {
    const r = entries[i].ranges;
    for (let j = 0; j < r.length; j += 2) {
      // At most |used| values of a range can be taken, so this loop is short.
      for (let p = r[j]; p <= r[j + 1]; p++) if (!used.has(p)) return [i, p];
    }
  }
  return undefined;
}

/** `requests`: one per wanted host port, N exact or 0 any. */
export function matchPorts(requests: readonly number[], usable: Resources): PortMatch {
  if (requests.length === 0) return { ok: true, ports: [], take: [] };
  const entries = portEntries(usable);
  const ports: number[] = new Array<number>(requests.length);
  const from: number[][] = entries.map(() => []);
  const used = new Set<number>();
  for (let k = 0; k < requests.length; k++) {
    const p = requests[k];
    if (p === 0) continue;
    const i = used.has(p) ? -1 : entryHolding(entries, p);
    if (i < 0) return { ok: false };
    used.add(p);
    ports[k] = p;
    from[i].push(p);
  }
  for (let k = 0; k < requests.length; k++) {
    if (requests[k] !== 0) continue;
    const hit = lowestFree(entries, used);
    if (hit === undefined) return { ok: false };
    const [i, p] = hit;
    used.add(p);
    ports[k] = p;
    from[i].push(p);
  }
  const take: Resource[] = [];
  entries.forEach((e, i) => {
    if (from[i].length === 0) return;
    take.push(makeResource({
      name: e.name, kind: 'RANGES', ranges: normalizeRanges(from[i].map((p) => [p, p] as const)),
      reservations: e.reservations, allocationRole: e.allocationRole, revocable: e.revocable, shared: e.shared,
      disk: e.disk, providerId: e.providerId,
    }));
  });
  return { ok: true, ports, take };
}
