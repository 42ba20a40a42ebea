/**
 * The pure core of one Marathon-run health check of one instance: (state, probe outcome, now) →
 * next state + effects. No timers, no I/O; `now` (epoch ms) comes in with every outcome.
 * Marathon 1.x semantics (core/health: Health, HealthCheckActor):
 *
 *   outcome      │ grace? (no success yet and now < startedAt + grace) │ otherwise
 *   ─────────────┼─────────────────────────────────────────────────────┼──────────────────────────────────
 *   healthy      │ firstSuccess ??= now, lastSuccess = now, failures 0 │ same
 *   unhealthy    │ ignored: nothing changes                            │ lastFailure = now, cause, failures+1;
 *                │                                                     │ kill when failures BEFORE it ≥ max > 0
 *   ignored(1xx) │ nothing changes                                     │ nothing changes
 *
 * - `alive`: a success, and none of the failures after it (lastSuccess > lastFailure).
 * - The kill: Marathon checks the count before the failure is added, so a task is killed when it
 *   fails *more than* `maxConsecutiveFailures` checks in a row (3: on the 4th); 0 never kills.
 *   The `kill` effect is emitted once per state (the runner's caller kills the instance).
 * - `changed` is emitted for every outcome that changed the state (every success moves
 *   lastSuccess, so every success is a change).
 *
 * Invariants: consecutiveFailures is 0 right after a success; firstSuccess never changes once set;
 * an ignored outcome returns the very same state and no effects; `kill` at most once.
 */
import type { HealthResult } from '../model.ts';

export interface HealthState {
  readonly firstSuccess?: number;
  readonly lastSuccess?: number;
  readonly lastFailure?: number;
  readonly lastFailureCause?: string;
  readonly consecutiveFailures: number;
  /** Whether the kill effect was emitted already. */
  readonly killed: boolean;
}

export interface HealthPolicy {
  /** When the instance started running (epoch ms): the grace period runs from here. */
  readonly startedAt: number;
  readonly gracePeriodMs: number;
  /** 0: never kill. */
  readonly maxConsecutiveFailures: number;
}

export type HealthOutcome =
  | { readonly kind: 'healthy' }
  | { readonly kind: 'unhealthy'; readonly cause: string }
  /** A 1xx answer with `ignoreHttp1xx`: the health stays as it was. */
  | { readonly kind: 'ignored' };

export type HealthEffect =
  | { readonly kind: 'changed' }
  | { readonly kind: 'kill'; readonly cause: string };

export interface HealthStep {
  readonly state: HealthState;
  readonly effects: readonly HealthEffect[];
}

export const INITIAL_HEALTH: HealthState = { consecutiveFailures: 0, killed: false };

export function inGracePeriod(state: HealthState, policy: HealthPolicy, now: number): boolean {
  return state.firstSuccess === undefined && policy.startedAt + policy.gracePeriodMs > now;
}

export function applyOutcome(state: HealthState, policy: HealthPolicy, outcome: HealthOutcome, now: number): HealthStep {
  switch (outcome.kind) {
    case 'ignored':
      return { state, effects: [] };
    case 'healthy':
      return {
        state: { ...state, firstSuccess: state.firstSuccess ?? now, lastSuccess: now, consecutiveFailures: 0 },
        effects: [{ kind: 'changed' }],
      };
    case 'unhealthy': {
      if (inGracePeriod(state, policy, now)) return { state, effects: [] };
      const max = policy.maxConsecutiveFailures;
      const kill = !state.killed && max > 0 && state.consecutiveFailures >= max;
      const next: HealthState = {
        ...state,
        lastFailure: now,
        lastFailureCause: outcome.cause,
        consecutiveFailures: state.consecutiveFailures + 1,
        killed: state.killed || kill,
      };
      return { state: next, effects: kill ? [{ kind: 'changed' }, { kind: 'kill', cause: outcome.cause }] : [{ kind: 'changed' }] };
    }
  }
}

export function isAlive(state: HealthState): boolean {
  return state.lastSuccess !== undefined && (state.lastFailure === undefined || state.lastSuccess > state.lastFailure);
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** The state as Marathon serves it (`healthCheckResults[]`, timestamps ISO-8601 with milliseconds). */
export function toHealthResult(state: HealthState): HealthResult {
  return {
    alive: isAlive(state),
    consecutiveFailures: state.consecutiveFailures,
    firstSuccess: iso(state.firstSuccess),
    lastFailure: iso(state.lastFailure),
    lastSuccess: iso(state.lastSuccess),
    lastFailureCause: state.lastFailureCause ?? null,
  };
}
