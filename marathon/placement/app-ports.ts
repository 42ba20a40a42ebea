/**
 * The ports an app declares, in one list whatever its networking: `portDefinitions` under host
 * networking, `container.portMappings` (or the deprecated `container.docker.portMappings`) under
 * bridge or container networking. Placement reads which host ports to take from it; the TaskInfo
 * builder reads names, protocols and container ports from it (environment, discovery, checks).
 *
 * Invariant: the list is in declaration order, so "port index n" means the same port for
 * placement, the environment (`PORTn`), health checks (`portIndex`) and discovery. Pure.
 */
import type { AppDefinition, PortMapping } from '../model.ts';

export type NetworkMode = 'host' | 'bridge' | 'container';

export interface DeclaredPort {
  readonly name?: string;
  readonly protocol: string;
  readonly labels: Readonly<Record<string, string>>;
  /** What the app asked for: the port definition's `port`, or the mapping's `containerPort` (0: any). */
  readonly requested: number;
  /** The mapping's container port (bridge and container networking only). */
  readonly containerPort?: number;
  /** Host port wanted: 0 any offered port, N exactly N, undefined none (container-only mapping). */
  readonly hostPort?: number;
}

/** Marathon 1.5+ `networks` decide; a 1.4 definition's `container.docker.network` is the fallback. */
export function networkMode(app: AppDefinition): NetworkMode {
  const first = app.networks[0];
  if (first !== undefined) return first.mode === 'container/bridge' ? 'bridge' : first.mode === 'container' ? 'container' : 'host';
  switch (app.container?.docker?.network) {
    case 'BRIDGE': return 'bridge';
    case 'USER': return 'container';
    default: return 'host';
  }
}

export function portMappings(app: AppDefinition): readonly PortMapping[] {
  return app.container?.portMappings ?? app.container?.docker?.portMappings ?? [];
}

export function declaredPorts(app: AppDefinition): DeclaredPort[] {
  if (networkMode(app) !== 'host') {
    return portMappings(app).map((m) => ({
      name: m.name,
      protocol: m.protocol,
      labels: m.labels ?? {},
      requested: m.containerPort,
      containerPort: m.containerPort,
      hostPort: m.hostPort,
    }));
  }
  // Without requirePorts a definition's `port` is a service port: the host port is any offered one.
  return app.portDefinitions.map((d) => ({
    name: d.name,
    protocol: d.protocol,
    labels: d.labels ?? {},
    requested: d.port,
    hostPort: app.requirePorts ? d.port : 0,
  }));
}

/**
 * Host ports per declared port: `Match.hostPorts` lists only the ports that asked for a host
 * port, in declaration order; this puts them back beside their declarations (undefined: none).
 */
export function alignHostPorts(app: AppDefinition, hostPorts: readonly number[]): (number | undefined)[] {
  let next = 0;
  return declaredPorts(app).map((p) => (p.hostPort === undefined ? undefined : hostPorts[next++]));
}
