/**
 * Which of an app's health checks marathon runs itself, and where each one probes an instance.
 * Pure: app definition + instance addresses in, check list and probe address out.
 *
 * Marathon runs HTTP, HTTPS and TCP checks from the scheduler (a GET or a connect to the task's
 * host and port); COMMAND and MESOS_* checks are run by the agent and arrive as
 * `TaskStatus.healthy`. The port is the check's `port` when set, else `ports[portIndex]` (the
 * instance's host ports in portDefinitions / portMappings order; `portIndex` absent = 0, as
 * Marathon reads an old definition). A check whose port cannot be found probes nothing and fails
 * with Marathon's message, as Marathon does on every tick.
 */
import type { AppDefinition, HealthCheck, HealthProtocol } from '../model.ts';

export type MarathonRunProtocol = 'HTTP' | 'HTTPS' | 'TCP';

/** A check marathon runs, with its position among `app.healthChecks`. */
export interface MarathonRunCheck {
  readonly index: number;
  readonly check: HealthCheck & { readonly protocol: MarathonRunProtocol };
}

export interface HealthAddress {
  readonly host: string;
  readonly ports: readonly number[];
}

export type ProbeTarget =
  | { readonly kind: 'http'; readonly url: URL }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'none'; readonly cause: string };

export function isMarathonRunProtocol(protocol: HealthProtocol): protocol is MarathonRunProtocol {
  return protocol === 'HTTP' || protocol === 'HTTPS' || protocol === 'TCP';
}

/** The checks marathon runs itself, in `app.healthChecks` order; results are reported in this order. */
export function marathonRunChecks(app: AppDefinition): readonly MarathonRunCheck[] {
  const out: MarathonRunCheck[] = [];
  app.healthChecks.forEach((check, index) => {
    if (isMarathonRunProtocol(check.protocol)) out.push({ index, check: check as MarathonRunCheck['check'] });
  });
  return out;
}

export function effectivePort(check: HealthCheck, ports: readonly number[]): number | undefined {
  if (check.port !== undefined) return check.port;
  const index = check.portIndex ?? 0;
  return index >= 0 && index < ports.length ? ports[index] : undefined;
}

/** `host` as it goes into a URL: an IPv6 literal in brackets. */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Marathon makes a relative path absolute. */
export function absolutePath(path: string | undefined): string {
  const raw = path ?? '';
  return raw.startsWith('/') ? raw : `/${raw}`;
}

export function probeTarget(check: MarathonRunCheck['check'], address: HealthAddress): ProbeTarget {
  if (address.host === '') return { kind: 'none', cause: "Health check failed: unable to get the task's effective IP address" };
  const port = effectivePort(check, address.ports);
  if (port === undefined) return { kind: 'none', cause: "Health check failed: unable to get the task's effectivePort" };
  if (check.protocol === 'TCP') return { kind: 'tcp', host: address.host, port };
  const scheme = check.protocol === 'HTTPS' ? 'https' : 'http';
  const href = `${scheme}://${urlHost(address.host)}:${port}${absolutePath(check.path)}`;
  try {
    return { kind: 'http', url: new URL(href) };
  } catch {
    return { kind: 'none', cause: `Health check failed: invalid URL '${href}'` };
  }
}
