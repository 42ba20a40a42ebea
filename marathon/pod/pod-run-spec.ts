/**
 * A pod seen as a run spec (pure): what deployments, kill selection, launch backoff and the
 * unreachable strategy need (marathon/model.ts `RunSpec`), from the pod's `scaling` and
 * `scheduling`. Its containers' health checks are run by the agent (the default executor), so they
 * appear as Mesos-run checks: an instance of a pod with checks is healthy when Mesos says so.
 */
import type { HealthCheck, RunSpec } from '../model.ts';
import type { PodDefinition, PodHealthCheck } from './pod-definition.ts';

const protocolOf = (c: PodHealthCheck): HealthCheck['protocol'] =>
  c.http !== undefined ? (c.http.scheme === 'HTTPS' ? 'MESOS_HTTPS' : 'MESOS_HTTP') : c.tcp !== undefined ? 'MESOS_TCP' : 'COMMAND';

export function podRunSpec(pod: PodDefinition): RunSpec {
  const s = pod.scheduling;
  return {
    id: pod.id,
    version: pod.version,
    instances: pod.scaling.instances,
    upgradeStrategy: s.upgrade,
    killSelection: s.killSelection,
    healthChecks: pod.containers.flatMap((c): HealthCheck[] => (c.healthCheck === undefined ? [] : [{
      protocol: protocolOf(c.healthCheck),
      gracePeriodSeconds: c.healthCheck.gracePeriodSeconds,
      intervalSeconds: c.healthCheck.intervalSeconds,
      timeoutSeconds: c.healthCheck.timeoutSeconds,
      maxConsecutiveFailures: c.healthCheck.maxConsecutiveFailures,
      delaySeconds: c.healthCheck.delaySeconds,
    }])),
    readinessChecks: [],
    backoffSeconds: s.backoff.backoff,
    backoffFactor: s.backoff.backoffFactor,
    maxLaunchDelaySeconds: s.backoff.maxLaunchDelay,
    unreachableStrategy: s.unreachableStrategy,
  };
}
