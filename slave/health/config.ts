/**
 * A check's timing as the scheduling core uses it: Mesos' defaults applied and seconds turned
 * into milliseconds. Defaults (mesos.proto): HealthCheck delay 15 s, interval 10 s, timeout 20 s,
 * consecutive_failures 3, grace period 10 s; CheckInfo delay 15 s, interval 10 s, timeout 20 s.
 * A timeout of 0 means no timeout (Infinity here), as Mesos reads it.
 *
 * Also `formatDuration`, which prints a duration the way Mesos' stout does ("20secs", "500ms",
 * "1.5mins"), so that failure messages read like Mesos'.
 */
import type { mesos } from '../../proto/types.generated.ts';

export const HEALTH_CHECK_DEFAULTS = {
  delaySeconds: 15,
  intervalSeconds: 10,
  timeoutSeconds: 20,
  consecutiveFailures: 3,
  gracePeriodSeconds: 10,
} as const;

export const CHECK_DEFAULTS = {
  delaySeconds: 15,
  intervalSeconds: 10,
  timeoutSeconds: 20,
} as const;

/** When probes run: the first after `delayMs`, each next one `intervalMs` after the previous result. */
export interface ProbeTiming {
  readonly delayMs: number;
  readonly intervalMs: number;
  /** Infinity = the probe may run for ever. */
  readonly timeoutMs: number;
}

export interface HealthPolicy {
  /** Failures within this long of the start, before the first success, do not count. */
  readonly gracePeriodMs: number;
  /** Consecutive counted failures that make the task unhealthy past saving (it is killed). */
  readonly consecutiveFailures: number;
}

const ms = (seconds: number) => seconds * 1000;
const timeout = (seconds: number) => (seconds > 0 ? ms(seconds) : Infinity);

export function healthCheckTiming(check: mesos.v1.HealthCheck): ProbeTiming {
  return {
    delayMs: ms(check.delay_seconds ?? HEALTH_CHECK_DEFAULTS.delaySeconds),
    intervalMs: ms(check.interval_seconds ?? HEALTH_CHECK_DEFAULTS.intervalSeconds),
    timeoutMs: timeout(check.timeout_seconds ?? HEALTH_CHECK_DEFAULTS.timeoutSeconds),
  };
}

export function healthPolicy(check: mesos.v1.HealthCheck): HealthPolicy {
  return {
    gracePeriodMs: ms(check.grace_period_seconds ?? HEALTH_CHECK_DEFAULTS.gracePeriodSeconds),
    consecutiveFailures: check.consecutive_failures ?? HEALTH_CHECK_DEFAULTS.consecutiveFailures,
  };
}

export function checkTiming(check: mesos.v1.CheckInfo): ProbeTiming {
  return {
    delayMs: ms(check.delay_seconds ?? CHECK_DEFAULTS.delaySeconds),
    intervalMs: ms(check.interval_seconds ?? CHECK_DEFAULTS.intervalSeconds),
    timeoutMs: timeout(check.timeout_seconds ?? CHECK_DEFAULTS.timeoutSeconds),
  };
}

const UNITS: readonly (readonly [string, number])[] = [
  ['weeks', 7 * 24 * 3600 * 1000],
  ['days', 24 * 3600 * 1000],
  ['hrs', 3600 * 1000],
  ['mins', 60 * 1000],
  ['secs', 1000],
  ['ms', 1],
];

/** Milliseconds as Mesos prints a Duration: the largest unit that fits, up to 6 significant digits. */
export function formatDuration(durationMs: number): string {
  if (!Number.isFinite(durationMs)) return 'ever';
  if (durationMs === 0) return '0ns';
  for (const [unit, size] of UNITS) {
    if (Math.abs(durationMs) >= size) return `${Number((durationMs / size).toPrecision(6))}${unit}`;
  }
  return `${Number((durationMs * 1000).toPrecision(6))}us`;
}
