/**
 * Service ports (pure): Marathon gives every port an app declares with 0 (`portDefinitions[].port`
 * on host networking, `container.portMappings[].servicePort` otherwise) a service port of its own
 * from a range (10000-20000 by default, Marathon's `--local_port_min/max`), unique across all apps,
 * so that a load balancer can name the service by it. Ports an app asks for explicitly are kept.
 *
 * Invariants: after `assignServicePorts` no app of the tree declares a 0 service port (unless the
 * range is exhausted, reported by `exhausted`); an assigned port is used by no other app of the
 * tree; a tree without zeros comes back unchanged (the same object).
 */
import type { AppDefinition, Group } from '../model.ts';

export interface ServicePortRange {
  readonly min: number;
  readonly max: number;
}

export const DEFAULT_SERVICE_PORTS: ServicePortRange = { min: 10000, max: 20000 };

const servicePortsOf = (app: AppDefinition): number[] => [
  ...app.portDefinitions.map((d) => d.port),
  ...(app.container?.portMappings ?? []).map((m) => m.servicePort),
];

const needsPorts = (app: AppDefinition): boolean => servicePortsOf(app).some((p) => p === 0);

export function assignServicePorts(root: Group, range: ServicePortRange = DEFAULT_SERVICE_PORTS): { root: Group; exhausted: boolean } {
  const used = new Set<number>();
  const walk = (g: Group): void => {
    for (const a of g.apps) for (const p of servicePortsOf(a)) if (p !== 0) used.add(p);
    g.groups.forEach(walk);
  };
  walk(root);
  let next = range.min;
  let exhausted = false;
  const take = (): number => {
    while (next <= range.max && used.has(next)) next++;
    if (next > range.max) {
      exhausted = true;
      return 0;
    }
    used.add(next);
    return next;
  };
  const fill = (app: AppDefinition): AppDefinition => {
    if (!needsPorts(app)) return app;
    const portDefinitions = app.portDefinitions.map((d) => (d.port === 0 ? { ...d, port: take() } : d));
    const mappings = app.container?.portMappings;
    const container = app.container && mappings
      ? { ...app.container, portMappings: mappings.map((m) => (m.servicePort === 0 ? { ...m, servicePort: take() } : m)) }
      : app.container;
    return { ...app, portDefinitions, ...(container === undefined ? {} : { container }) };
  };
  const visit = (g: Group): Group => {
    const apps = g.apps.map(fill);
    const groups = g.groups.map(visit);
    const same = apps.every((a, i) => a === g.apps[i]) && groups.every((s, i) => s === g.groups[i]);
    return same ? g : { ...g, apps, groups };
  };
  return { root: visit(root), exhausted };
}
