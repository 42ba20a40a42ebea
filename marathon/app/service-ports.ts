/**
 * Dynamic service ports, as Marathon assigns them when a definition enters the root group: every
 * service port given as 0 (a port definition's `port`, or a container port mapping's
 * `servicePort`) becomes a concrete port of the local range [10000, 20000).
 *
 * Rules (Marathon 1.x `GroupManager.assignDynamicServicePorts`):
 * - the app's own previous ports in the range that the new definition does not name explicitly are
 *   reused first, in order (so re-sending a definition with 0 keeps its ports: no config change);
 * - otherwise the lowest port of the range that no app of the old or new tree uses;
 * - with container port mappings the assigned ports go to the mappings, and the port definitions
 *   (when there are any) get the same ports by position.
 *
 * Invariants: explicit (non-zero) ports are never changed; no two apps get the same assigned port;
 * an app without a 0 service port is returned as is (same object). When the range is exhausted
 * the port stays 0 (Marathon fails the request instead; 10,000 ports is far beyond this scale).
 */
import type { AppDefinition, PortDefinition, PortMapping } from '../model.ts';

export const LOCAL_PORT_MIN = 10000;
/** Exclusive, as Marathon's `Range(local_port_min, local_port_max)`. */
export const LOCAL_PORT_MAX = 20000;

const inRange = (p: number): boolean => p >= LOCAL_PORT_MIN && p < LOCAL_PORT_MAX;

function mappingsOf(app: AppDefinition): readonly PortMapping[] | undefined {
  const m = app.container?.portMappings;
  return m !== undefined && m.length > 0 ? m : undefined;
}

/** The app's service ports: its container port mappings' when it has any, else its port definitions'. */
export function servicePorts(app: AppDefinition): number[] {
  const mappings = mappingsOf(app);
  return mappings !== undefined ? mappings.map((m) => m.servicePort) : app.portDefinitions.map((d) => d.port);
}

/** Ports already in use, to pass to `assignServicePorts`: every service port of `apps` (0 is never taken). */
export function takenServicePorts(apps: Iterable<AppDefinition>): Set<number> {
  const taken = new Set<number>();
  for (const a of apps) for (const p of servicePorts(a)) if (p !== 0) taken.add(p);
  return taken;
}

/**
 * `app` with its 0 service ports assigned. `previous` is the app's definition in the current root
 * (undefined for a new app); `taken` holds the ports in use and receives the ones assigned here.
 */
export function assignServicePorts(app: AppDefinition, previous: AppDefinition | undefined, taken: Set<number>): AppDefinition {
  const wanted = servicePorts(app);
  if (!wanted.includes(0)) return app;
  const reusable = previous === undefined ? [] : servicePorts(previous).filter((p) => inRange(p) && !wanted.includes(p));
  const nextFree = (): number => {
    for (let p = LOCAL_PORT_MIN; p < LOCAL_PORT_MAX; p++) {
      if (!taken.has(p)) return p;
    }
    return 0;
  };
  const assigned = wanted.map((p) => {
    if (p !== 0) return p;
    const port = reusable.shift() ?? nextFree();
    if (port !== 0) taken.add(port);
    return port;
  });
  const mappings = mappingsOf(app);
  const portDefinitions = app.portDefinitions.map((d, i): PortDefinition => (i < assigned.length && d.port !== assigned[i] ? { ...d, port: assigned[i] } : d));
  if (mappings === undefined) return { ...app, portDefinitions };
  const container = { ...app.container!, portMappings: mappings.map((m, i): PortMapping => ({ ...m, servicePort: assigned[i] })) };
  return { ...app, container, portDefinitions };
}
