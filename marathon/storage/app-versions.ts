/**
 * How many versions of an app a store keeps, and which: Marathon keeps a bounded history per
 * app (the newest `MAX_APP_VERSIONS`), the oldest pruned when a new one is stored. Versions are
 * ISO-8601 timestamps with milliseconds, so their code-unit order is their time order.
 */
import type { Timestamp } from '../model.ts';

export const MAX_APP_VERSIONS = 50;

/** Newest first. */
export function newestFirst(versions: Iterable<Timestamp>): Timestamp[] {
  return [...versions].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
}

/** The versions to drop so that at most `max` remain (the oldest ones). */
export function versionsToPrune(versions: Iterable<Timestamp>, max: number = MAX_APP_VERSIONS): Timestamp[] {
  return newestFirst(versions).slice(max);
}
