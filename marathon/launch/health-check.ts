/**
 * The Mesos-run health check of a task (TaskInfo.health_check). Mesos runs at most one check per
 * task, so the first of the app's MESOS_HTTP, MESOS_HTTPS, MESOS_TCP and COMMAND checks that can
 * be built is used; HTTP, HTTPS and TCP checks are Marathon-run and never sent.
 *
 * Port: the check's `port`, else the declared port at `portIndex`, where Mesos probes the
 * container port when the port has one (it enters the container's network namespace to probe),
 * else the host port; a check whose port cannot be resolved is skipped, as Marathon does. Pure.
 */
import type { mesos } from '../../proto/types.generated.ts';
import type { HealthCheck } from '../model.ts';
import type { DeclaredPort } from '../placement/app-ports.ts';

export function isMesosCheck(hc: HealthCheck): boolean {
  return hc.protocol === 'MESOS_HTTP' || hc.protocol === 'MESOS_HTTPS' || hc.protocol === 'MESOS_TCP' || hc.protocol === 'COMMAND';
}

/** The port Mesos probes, or undefined when it cannot be known. */
export function effectiveCheckPort(hc: HealthCheck, declared: readonly DeclaredPort[], hostPorts: readonly (number | undefined)[]): number | undefined {
  if (hc.port !== undefined) return hc.port;
  const i = hc.portIndex ?? 0;
  const d = declared[i];
  if (d === undefined) return undefined;
  if (d.containerPort !== undefined && d.containerPort !== 0) return d.containerPort;
  // Host networking, or a mapping with container port 0: that one is bound to its host port.
  return hostPorts[i];
}

export function toMesosHealthCheck(hc: HealthCheck, declared: readonly DeclaredPort[], hostPorts: readonly (number | undefined)[]): mesos.v1.HealthCheck | undefined {
  const common = {
    delay_seconds: hc.delaySeconds,
    interval_seconds: hc.intervalSeconds,
    timeout_seconds: hc.timeoutSeconds,
    consecutive_failures: hc.maxConsecutiveFailures,
    grace_period_seconds: hc.gracePeriodSeconds,
  };
  switch (hc.protocol) {
    case 'COMMAND':
      if (hc.command === undefined) return undefined;
      return { type: 'COMMAND', command: { value: hc.command.value }, ...common };
    case 'MESOS_HTTP':
    case 'MESOS_HTTPS': {
      const port = effectiveCheckPort(hc, declared, hostPorts);
      if (port === undefined) return undefined;
      const http: mesos.v1.HealthCheck.HTTPCheckInfo = { scheme: hc.protocol === 'MESOS_HTTPS' ? 'https' : 'http', port };
      if (hc.path !== undefined) http.path = hc.path;
      if (hc.ipProtocol !== undefined) http.protocol = hc.ipProtocol;
      return { type: 'HTTP', http, ...common };
    }
    case 'MESOS_TCP': {
      const port = effectiveCheckPort(hc, declared, hostPorts);
      if (port === undefined) return undefined;
      const tcp: mesos.v1.HealthCheck.TCPCheckInfo = { port };
      if (hc.ipProtocol !== undefined) tcp.protocol = hc.ipProtocol;
      return { type: 'TCP', tcp, ...common };
    }
    default:
      return undefined;
  }
}

/** The check Mesos runs for the task: the first buildable Mesos-run check, if any. */
export function taskHealthCheck(checks: readonly HealthCheck[], declared: readonly DeclaredPort[], hostPorts: readonly (number | undefined)[]): mesos.v1.HealthCheck | undefined {
  for (const hc of checks) {
    if (!isMesosCheck(hc)) continue;
    const built = toMesosHealthCheck(hc, declared, hostPorts);
    if (built !== undefined) return built;
  }
  return undefined;
}
