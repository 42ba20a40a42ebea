/**
 * The bounds of a rolling restart (Marathon's `computeRestartStrategy`), from the app's
 * `upgradeStrategy`:
 *
 *   minHealthy  = ceil(instances * minimumHealthCapacity)     healthy instances to keep
 *   maxCapacity = floor(instances * (1 + maximumOverCapacity)) instances alive at once
 *
 * computed in doubles exactly as Marathon does (so 100 * 0.07 = 7.000000000000001 gives 8).
 * When minHealthy == maxCapacity (minimumHealthCapacity 1, no over-capacity) nothing could be
 * killed before a new instance is healthy and nothing launched before one is killed: like
 * Marathon, one instance of temporary over-capacity is allowed. Marathon grants it only when at
 * least maxCapacity instances run at the start; here it is granted whenever the bounds meet,
 * because the healthy count is never let below minHealthy (Marathon kills one old instance per
 * new healthy one, which can dip below it when the app grows during the restart).
 *
 * Invariants: 0 <= minHealthy <= instances <= maxCapacity; maxCapacity > minHealthy when
 * instances > 0, so a restart can always make progress.
 */
import type { AppDefinition } from '../model.ts';

export interface RestartBounds {
  readonly minHealthy: number;
  readonly maxCapacity: number;
}

export function restartBounds(app: Pick<AppDefinition, 'instances' | 'upgradeStrategy'>): RestartBounds {
  const n = app.instances;
  const { minimumHealthCapacity, maximumOverCapacity } = app.upgradeStrategy;
  const minHealthy = Math.ceil(n * minimumHealthCapacity);
  let maxCapacity = Math.floor(n * (1 + maximumOverCapacity));
  if (n > 0 && minHealthy >= maxCapacity) maxCapacity = minHealthy + 1;
  return { minHealthy, maxCapacity };
}
