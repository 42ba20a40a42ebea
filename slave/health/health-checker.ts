/**
 * A running health check: the probe loop (probe-loop.ts) feeding the pure health core
 * (health-state.ts), whose notices become the caller's callbacks. The probe is a parameter, so
 * tests run the whole checker on a manual clock with scripted probe results; index.ts passes
 * the real COMMAND/HTTP/TCP probe.
 */
import type { Clock, Timers } from '../../common/ports.ts';
import { healthCheckTiming, healthPolicy } from './config.ts';
import { applyVerdict, startHealth, type HealthState } from './health-state.ts';
import { startProbeLoop, type Probe } from './probe-loop.ts';
import { healthVerdict, type CheckType } from './probe-result.ts';
import type { mesos } from '../../proto/types.generated.ts';

export interface HealthCheckDeps {
  readonly clock: Clock;
  readonly timers: Timers;
  /** The verdict changed (also the first verdict): healthy or not, and why. */
  onHealthChange(healthy: boolean, message: string): void;
  /** Counted consecutive failures reached the limit; fired once. The task is to be killed. */
  onUnhealthy(message: string): void;
}

export interface CheckHandle {
  stop(): void;
}

export interface HealthCheckHandle extends CheckHandle {
  /** The core's state, for the agent's views and for tests. */
  state(): HealthState;
}

export function runHealthCheck(check: mesos.v1.HealthCheck, probe: Probe, deps: HealthCheckDeps): HealthCheckHandle {
  const type = check.type as CheckType;
  const policy = healthPolicy(check);
  let state = startHealth(deps.clock.now());
  let stopped = false;
  const loop = startProbeLoop(healthCheckTiming(check), probe, deps.timers, (outcome) => {
    const step = applyVerdict(state, policy, healthVerdict(type, outcome), deps.clock.now());
    state = step.state;
    for (const notice of step.notices) {
      if (stopped) return;
      if (notice.kind === 'health-changed') deps.onHealthChange(notice.healthy, notice.message);
      else deps.onUnhealthy(notice.message);
    }
  });
  return {
    stop() {
      stopped = true;
      loop.stop();
    },
    state: () => state,
  };
}
