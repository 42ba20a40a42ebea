/**
 * Runs an app's Marathon-run health checks (HTTP, HTTPS, TCP) against its instances: one probe
 * loop per tracked instance and check (slave/health/probe-loop.ts: one probe at a time, aborted
 * after `timeoutSeconds`), each result fed through the pure core (health-state.ts), whose effects
 * become the caller's callbacks.
 *
 * Schedule (Marathon's HealthCheckActor): the first probe `min(intervalSeconds, 5 s)` after
 * `track` (Marathon starts an app's checks at most 5 s after it starts them), then one every
 * `intervalSeconds` after the previous result. `delaySeconds` is for checks the agent runs
 * (MESOS_*); Marathon does not use it for its own. Failures within `gracePeriodSeconds` of
 * `startedAt`, before the first success, are not counted.
 *
 * Callbacks: `onResults(instanceId, results)` after every probe that changed something, with one
 * result per Marathon-run check in `app.healthChecks` order (see `marathonRunChecks`);
 * `onUnhealthy(instanceId, check, cause)` once per instance and check, when the task failed more
 * than `maxConsecutiveFailures` checks in a row (never for 0): the caller kills it.
 *
 * Invariants: nothing is reported for an instance after `untrack` (or `stop`); `track` of an
 * instance already tracked starts it afresh (new app version, new address); time only through
 * the `Clock` and `Timers` ports.
 */
import type { Clock, Logger, Timers } from '../../common/ports.ts';
import { startProbeLoop, type ProbeLoop } from '../../slave/health/probe-loop.ts';
import type { AppDefinition, HealthCheck, HealthResult } from '../model.ts';
import { healthOutcome } from './health-outcome.ts';
import { realHealthProbes, type HealthProbes } from './health-probes.ts';
import { applyOutcome, INITIAL_HEALTH, toHealthResult, type HealthPolicy, type HealthState } from './health-state.ts';
import { marathonRunChecks, probeTarget, type MarathonRunCheck } from './health-target.ts';
import type { Probe } from '../../slave/health/probe-loop.ts';

export interface HealthTarget {
  readonly instanceId: string;
  readonly taskId: string;
  readonly host: string;
  readonly ports: readonly number[];
  /** When the task started running (epoch ms): the grace period runs from here. */
  readonly startedAt: number;
}

export interface HealthRunner {
  track(target: HealthTarget, app: AppDefinition): void;
  untrack(instanceId: string): void;
  stop(): void;
}

export interface HealthRunnerOptions {
  readonly timers: Timers;
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly probes?: HealthProbes;
  onResults(instanceId: string, results: readonly HealthResult[]): void;
  onUnhealthy(instanceId: string, check: HealthCheck, cause: string): void;
}

/** Marathon starts an app's checks no later than this after it starts them. */
export const FIRST_CHECK_AFTER_MS = 5_000;

/** When the probes of a check run: the first after `delayMs`, then `intervalMs` after each result. */
export function healthTiming(check: HealthCheck): { delayMs: number; intervalMs: number; timeoutMs: number } {
  const intervalMs = check.intervalSeconds * 1000;
  return {
    delayMs: Math.min(intervalMs, FIRST_CHECK_AFTER_MS),
    intervalMs,
    timeoutMs: check.timeoutSeconds > 0 ? check.timeoutSeconds * 1000 : Infinity,
  };
}

interface Tracked {
  readonly target: HealthTarget;
  readonly checks: readonly MarathonRunCheck[];
  readonly states: HealthState[];
  readonly loops: ProbeLoop[];
}

export function createHealthRunner(opts: HealthRunnerOptions): HealthRunner {
  const probes = opts.probes ?? realHealthProbes;
  const tracked = new Map<string, Tracked>();
  let stopped = false;

  const probeFor = (run: MarathonRunCheck, target: HealthTarget): Probe => {
    const where = probeTarget(run.check, target);
    switch (where.kind) {
      case 'http':
        return probes.http(where.url);
      case 'tcp':
        return probes.tcp(where.host, where.port);
      case 'none':
        return () => Promise.resolve({ kind: 'error', message: where.cause });
    }
  };

  const untrack = (instanceId: string) => {
    const entry = tracked.get(instanceId);
    if (entry === undefined) return;
    tracked.delete(instanceId);
    for (const loop of entry.loops) loop.stop();
  };

  const track = (target: HealthTarget, app: AppDefinition) => {
    if (stopped) {
      opts.logger?.warn({ instanceId: target.instanceId }, 'health runner stopped: instance not tracked');
      return;
    }
    untrack(target.instanceId);
    const checks = marathonRunChecks(app);
    if (checks.length === 0) return;
    const entry: Tracked = { target, checks, states: checks.map(() => INITIAL_HEALTH), loops: [] };
    tracked.set(target.instanceId, entry);
    checks.forEach((run, position) => {
      const policy: HealthPolicy = {
        startedAt: target.startedAt,
        gracePeriodMs: run.check.gracePeriodSeconds * 1000,
        maxConsecutiveFailures: run.check.maxConsecutiveFailures,
      };
      const loop = startProbeLoop(healthTiming(run.check), probeFor(run, target), opts.timers, (outcome) => {
        if (tracked.get(target.instanceId) !== entry) return;
        const step = applyOutcome(entry.states[position]!, policy, healthOutcome(run.check, outcome), opts.clock.now());
        entry.states[position] = step.state;
        for (const effect of step.effects) {
          if (tracked.get(target.instanceId) !== entry) return;
          if (effect.kind === 'changed') {
            opts.logger?.debug({ instanceId: target.instanceId, check: run.index, result: toHealthResult(step.state) }, 'health result');
            opts.onResults(target.instanceId, entry.states.map(toHealthResult));
          } else {
            opts.logger?.warn(
              { instanceId: target.instanceId, taskId: target.taskId, check: run.index, cause: effect.cause },
              `instance failed more than ${run.check.maxConsecutiveFailures} consecutive health checks: to be killed`,
            );
            opts.onUnhealthy(target.instanceId, run.check, effect.cause);
          }
        }
      });
      entry.loops.push(loop);
    });
  };

  return {
    track,
    untrack,
    stop() {
      stopped = true;
      for (const id of [...tracked.keys()]) untrack(id);
    },
  };
}
