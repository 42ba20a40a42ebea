/**
 * Marathon 1.x task JSON (`/v2/tasks`, `/v2/apps/{id}/tasks`, an app's embedded `tasks`) and the
 * text/plain task listing, from an `Instance` and its app.
 *
 * Invariants: the keys of a task are a subset of what python-marathon's `MarathonTask` accepts
 * (`appId, healthCheckResults, host, id, ports, servicePorts, slaveId, stagedAt, startedAt,
 * version, ipAddresses, state, localVolumes, region, zone, role`); optional fields that are unset
 * are omitted, never `null`.
 */
import type { AppDefinition, HealthResult, Instance } from '../model.ts';

/** The service ports of an app: its port definitions, or its container's port mappings. */
export function servicePortsOf(app: AppDefinition | undefined): readonly number[] {
  if (app === undefined) return [];
  const mappings = app.container?.portMappings ?? app.container?.docker?.portMappings;
  if (mappings !== undefined && mappings.length > 0) return mappings.map((m) => m.servicePort);
  return app.portDefinitions.map((p) => p.port);
}

function healthResultJson(r: HealthResult, i: Instance): Record<string, unknown> {
  return {
    alive: r.alive,
    consecutiveFailures: r.consecutiveFailures,
    firstSuccess: r.firstSuccess,
    lastFailure: r.lastFailure,
    lastSuccess: r.lastSuccess,
    lastFailureCause: r.lastFailureCause,
    instanceId: i.instanceId,
  };
}

export function taskJson(i: Instance, app: AppDefinition | undefined): Record<string, unknown> {
  return {
    id: i.taskId,
    appId: i.appId,
    host: i.host,
    ports: [...i.ports],
    servicePorts: [...servicePortsOf(app)],
    slaveId: i.agentId,
    state: i.state ?? 'TASK_STAGING',
    stagedAt: i.stagedAt,
    ...(i.startedAt !== undefined ? { startedAt: i.startedAt } : {}),
    version: i.version,
    ipAddresses: i.ipAddresses.map((a) => ({ ipAddress: a.ipAddress, protocol: a.protocol })),
    healthCheckResults: i.healthCheckResults.map((r) => healthResultJson(r, i)),
    localVolumes: [],
    ...(i.region !== undefined ? { region: i.region } : {}),
    ...(i.zone !== undefined ? { zone: i.zone } : {}),
    role: i.role,
  };
}

/**
 * Marathon's text/plain listing: one line per app and service port,
 * `<id with / as _>\t<servicePort>\t<host>:<hostPort>\t...`; an app without service ports gets one
 * line `<id>\t \t<host>\t...`. Only running tasks are listed.
 */
export function tasksText(apps: readonly AppDefinition[], instancesOf: (app: AppDefinition) => readonly Instance[]): string {
  let out = '';
  for (const app of apps) {
    const cleanId = app.id.slice(1).replaceAll('/', '_');
    const running = instancesOf(app).filter((i) => i.state === 'TASK_RUNNING');
    const ports = servicePortsOf(app);
    if (ports.length === 0) {
      out += `${cleanId}\t \t${running.map((i) => `${i.host}\t`).join('')}\n`;
      continue;
    }
    ports.forEach((port, k) => {
      const hosts = running.filter((i) => i.ports.length > k).map((i) => `${i.host}:${i.ports[k]}\t`).join('');
      out += `${cleanId}\t${port}\t${hosts}\n`;
    });
  }
  return out;
}
