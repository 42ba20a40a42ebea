/**
 * Which instances to kill when an app has too many (Marathon's `ScalingProposition` order):
 * first those that do the least work, then, among equals, by the app's `killSelection`.
 *
 * Order (killed first to last):
 *   0 Provisioned           not even launched yet
 *   1 Unreachable(Inactive) cannot serve anyway
 *   2 Staging, 3 Starting   not running yet
 *   4 Running, not known healthy (`healthy !== true`)
 *   5 Running and healthy
 *   6 anything else (Killing, ...)
 * Ties: YOUNGEST_FIRST kills the latest started first, OLDEST_FIRST the earliest; the start time
 * is `startedAt` for running instances, else `stagedAt`; then instance id, so the order is total.
 *
 * Invariants: never selects an instance whose goal is not Running (its kill is already asked for)
 * or that is terminal; selects min(count, candidates) distinct ids.
 */
import type { Instance, KillSelection } from '../model.ts';
import { isTerminal, isWanted } from './instance-facts.ts';

export function killWeight(i: Instance): number {
  switch (i.condition) {
    case 'Provisioned': return 0;
    case 'Unreachable':
    case 'UnreachableInactive': return 1;
    case 'Staging': return 2;
    case 'Starting': return 3;
    case 'Running': return i.healthy === true ? 5 : 4;
    default: return 6;
  }
}

const sinceOf = (i: Instance): number => Date.parse(i.condition === 'Running' ? (i.startedAt ?? i.stagedAt) : i.stagedAt);

/** A comparator: negative when `a` should be killed before `b`. */
export function compareForKill(selection: KillSelection): (a: Instance, b: Instance) => number {
  return (a, b) => {
    const w = killWeight(a) - killWeight(b);
    if (w !== 0) return w;
    const t = selection === 'YOUNGEST_FIRST' ? sinceOf(b) - sinceOf(a) : sinceOf(a) - sinceOf(b);
    if (t !== 0 && !Number.isNaN(t)) return t;
    return a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0;
  };
}

/** The kill candidates of `instances` in kill order. */
export function killOrder(instances: readonly Instance[], selection: KillSelection): Instance[] {
  return instances.filter((i) => isWanted(i) && !isTerminal(i)).sort(compareForKill(selection));
}

export function selectToKill(instances: readonly Instance[], count: number, selection: KillSelection): string[] {
  if (count <= 0) return [];
  return killOrder(instances, selection).slice(0, count).map((i) => i.instanceId);
}
