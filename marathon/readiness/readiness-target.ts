/**
 * Where a readiness check probes an instance: `<protocol>://<host>:<port><path>`, the port being
 * the instance's port at the position of the port named `portName`. Pure.
 *
 * The names come from `portDefinitions` when the app runs on the host network, otherwise from the
 * container's `portMappings` (`container.portMappings`, or the deprecated
 * `container.docker.portMappings`), as Marathon's port assignments do; the instance's `ports`
 * are in that same order. An unknown name is Marathon's "no port definition for port name '...'
 * was found" (validation refuses such an app, so it is an edge).
 */
import type { AppDefinition, ReadinessCheck } from '../model.ts';
import { urlHost } from '../health/health-target.ts';

export type ReadinessUrl = { readonly ok: true; readonly url: URL } | { readonly ok: false; readonly cause: string };

/** The port names of the app, in the order of the instance's ports. */
export function portNames(app: AppDefinition): readonly (string | undefined)[] {
  const hostNetwork = app.networks.length === 0 || app.networks.every((n) => n.mode === 'host');
  if (hostNetwork) return app.portDefinitions.map((p) => p.name);
  const mappings = app.container?.portMappings ?? app.container?.docker?.portMappings ?? [];
  return mappings.map((m) => m.name);
}

export function readinessUrl(check: ReadinessCheck, app: AppDefinition, address: { host: string; ports: readonly number[] }): ReadinessUrl {
  const index = portNames(app).indexOf(check.portName);
  if (index < 0) return { ok: false, cause: `no port definition for port name '${check.portName}' was found` };
  const port = address.ports[index];
  if (port === undefined) return { ok: false, cause: `no port assigned for port name '${check.portName}'` };
  const scheme = check.protocol === 'HTTPS' ? 'https' : 'http';
  const href = `${scheme}://${urlHost(address.host)}:${port}${check.path}`;
  try {
    return { ok: true, url: new URL(href) };
  } catch {
    return { ok: false, cause: `invalid URL '${href}'` };
  }
}
