/**
 * Launch backoff (Marathon's rate limiter): after a task of an app fails, its next launch waits.
 * The first failure waits `backoffSeconds`; each further failure multiplies the previous delay
 * by `backoffFactor`, capped at `maxLaunchDelaySeconds`. The deadline is counted from the
 * failure (`nowMs`). The core drops the state to reset it (`DELETE /v2/queue/{id}/delay`, a new
 * app version, a restart).
 *
 * Invariants: pure (time is passed in); delaySeconds > 0 is never above
 * max(backoffSeconds, maxLaunchDelaySeconds) (the first delay is not capped, as in Marathon);
 * until = nowMs + delaySeconds * 1000.
 */
import type { AppDefinition } from '../model.ts';

export interface BackoffState {
  delaySeconds: number;
  /** Epoch ms before which no new instance is launched. */
  until: number;
}

export function nextBackoff(
  app: Pick<AppDefinition, 'backoffSeconds' | 'backoffFactor' | 'maxLaunchDelaySeconds'>,
  previous: BackoffState | undefined,
  nowMs: number,
): BackoffState {
  const delaySeconds = previous === undefined
    ? app.backoffSeconds
    : Math.min(app.maxLaunchDelaySeconds, previous.delaySeconds * app.backoffFactor);
  return { delaySeconds, until: nowMs + delaySeconds * 1000 };
}

/** True while launches of the app must wait. */
export function isBackedOff(state: BackoffState | undefined, nowMs: number): boolean {
  return state !== undefined && nowMs < state.until;
}

/**
 * The `/v2/queue` `delay` object: whole seconds left (never negative) and `overdue` once the
 * deadline has passed (Marathon's QueueResource). No backoff counts as overdue at `nowMs`.
 */
export function queueDelay(state: BackoffState | undefined, nowMs: number): { timeLeftSeconds: number; overdue: boolean } {
  const leftMs = (state?.until ?? nowMs) - nowMs;
  return { timeLeftSeconds: Math.max(0, Math.trunc(leftMs / 1000)), overdue: leftMs < 0 || state === undefined };
}
