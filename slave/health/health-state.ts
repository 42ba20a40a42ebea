/**
 * The pure core of a health check: what one probe result means for the task's health, given the
 * time it arrived. No timers, no I/O; `now` comes in with every event. Mesos semantics
 * (src/checks/health_checker.cpp, docs/health-checks.md):
 *
 *   delay ──first probe──► grace ──success──► healthy ◄──success── unhealthy
 *                            │                   │                    ▲  │
 *                            │                   └──counted failure───┘  │ failures reach the
 *                            └──counted failure (grace over)─────────────┘ limit: kill, once
 *
 * - Before the first success, a failure within `gracePeriodMs` of the start (the delay counts)
 *   is ignored; the first success ends the grace period for good.
 * - A counted failure raises `consecutiveFailures`; a success resets it.
 * - `health-changed` is noticed on the first verdict and on every change of verdict (Mesos sends
 *   TASK_RUNNING with `healthy` then); `kill` once, when counted consecutive failures reach
 *   `consecutiveFailures` (0 or 1: the first counted failure).
 *
 * Invariants: `consecutiveFailures` is 0 in `healthy`; `kill` is noticed at most once per check;
 * an ignored failure changes nothing but the phase (`delay` → `grace`).
 */
import type { HealthPolicy } from './config.ts';

export type HealthPhase = 'delay' | 'grace' | 'healthy' | 'unhealthy';

export interface HealthState {
  readonly phase: HealthPhase;
  /** When checking started (the delay and the grace period run from here). */
  readonly startedAt: number;
  readonly consecutiveFailures: number;
  /** Whether `kill` was noticed already. */
  readonly killed: boolean;
}

export type ProbeVerdict = { readonly ok: true; readonly message: string } | { readonly ok: false; readonly message: string };

export type HealthNotice =
  | { readonly kind: 'health-changed'; readonly healthy: boolean; readonly message: string }
  | { readonly kind: 'kill'; readonly message: string };

export interface HealthStep {
  readonly state: HealthState;
  readonly notices: readonly HealthNotice[];
}

export function startHealth(now: number): HealthState {
  return { phase: 'delay', startedAt: now, consecutiveFailures: 0, killed: false };
}

/** Whether a failure at `now` falls in the grace period (no success yet, and not past the period). */
export function inGracePeriod(state: HealthState, policy: HealthPolicy, now: number): boolean {
  const initializing = state.phase === 'delay' || state.phase === 'grace';
  return initializing && policy.gracePeriodMs > 0 && now - state.startedAt <= policy.gracePeriodMs;
}

export function applyVerdict(state: HealthState, policy: HealthPolicy, verdict: ProbeVerdict, now: number): HealthStep {
  if (verdict.ok) {
    const next: HealthState = { ...state, phase: 'healthy', consecutiveFailures: 0 };
    const notices: HealthNotice[] = state.phase === 'healthy' ? [] : [{ kind: 'health-changed', healthy: true, message: verdict.message }];
    return { state: next, notices };
  }
  if (inGracePeriod(state, policy, now)) return { state: { ...state, phase: 'grace' }, notices: [] };

  const consecutiveFailures = state.consecutiveFailures + 1;
  const notices: HealthNotice[] = [];
  if (state.phase !== 'unhealthy') notices.push({ kind: 'health-changed', healthy: false, message: verdict.message });
  const kill = !state.killed && consecutiveFailures >= policy.consecutiveFailures;
  if (kill) notices.push({ kind: 'kill', message: verdict.message });
  return { state: { ...state, phase: 'unhealthy', consecutiveFailures, killed: state.killed || kill }, notices };
}
