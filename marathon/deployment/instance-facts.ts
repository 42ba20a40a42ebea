/**
 * Predicates over instances that the deployment steps count with. One place decides what
 * "terminal", "active", "healthy" and "being killed" mean, so every action counts alike.
 *
 *  terminal    Finished Failed Killed Error Dropped Gone Unknown: the task is over; it counts for
 *              nothing and is the core's to forget.
 *  active      not terminal and not UnreachableInactive: it occupies a slot of the app (Marathon
 *              replaces inactive unreachable instances, so those do not).
 *  launching   Provisioned Staging Starting: launched (or about to be) but not yet running.
 *  healthy     Running, and `healthy === true` when the app has health checks.
 *  stopping    goal is not Running and not terminal: marathon asked for its kill; it still runs.
 */
import type { Instance, InstanceCondition, RunSpec } from '../model.ts';

const TERMINAL: ReadonlySet<InstanceCondition> = new Set<InstanceCondition>([
  'Finished', 'Failed', 'Killed', 'Error', 'Dropped', 'Gone', 'Unknown',
]);
const LAUNCHING: ReadonlySet<InstanceCondition> = new Set<InstanceCondition>(['Provisioned', 'Staging', 'Starting']);

export const isTerminal = (i: Instance): boolean => TERMINAL.has(i.condition);
export const isActive = (i: Instance): boolean => !isTerminal(i) && i.condition !== 'UnreachableInactive';
export const isLaunching = (i: Instance): boolean => LAUNCHING.has(i.condition);
export const isUnreachable = (i: Instance): boolean => i.condition === 'Unreachable' || i.condition === 'UnreachableInactive';
export const isWanted = (i: Instance): boolean => i.goal === 'Running';
export const isStopping = (i: Instance): boolean => !isWanted(i) && !isTerminal(i);

export function isHealthy(app: Pick<RunSpec, 'healthChecks'>, i: Instance): boolean {
  return i.condition === 'Running' && (app.healthChecks.length === 0 || i.healthy === true);
}

/**
 * A kill the step still waits for: stopping and reachable. An unreachable instance cannot report
 * its end until its agent returns; the core expunges it instead, so a step does not wait on it.
 */
export const isAwaitedKill = (i: Instance): boolean => isStopping(i) && !isUnreachable(i);
