/**
 * How many versions of an app (or a pod) a store keeps, and which: Marathon keeps a bounded
 * history per app and per pod (the newest `MAX_APP_VERSIONS` / `MAX_POD_VERSIONS`), the oldest
 * pruned when a new one is stored. Versions are
 * ISO-8601 timestamps with milliseconds, so their code-unit order is their time order.
 */
import type { Timestamp } from '../model.ts';

export const MAX_APP_VERSIONS = 50;

/** Pods keep the same bounded history as apps. */
export const MAX_POD_VERSIONS = MAX_APP_VERSIONS;

/** Newest first. */
export function newestFirst(versions: Iterable<Timestamp>): Timestamp[] {
  return [...versions].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
}

/** The versions to drop so that at most `max` remain (the oldest ones). */
export function versionsToPrune(versions: Iterable<Timestamp>, max: number = MAX_APP_VERSIONS): Timestamp[] {
  return newestFirst(versions).slice(max);
}
