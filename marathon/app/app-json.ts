/**
 * An `AppDefinition` as Marathon 1.x serves it (`GET /v2/apps/{id}` minus the status fields,
 * which the REST layer adds: `tasksRunning`, `tasks`, `deployments`, `lastTaskFailure`, ...).
 *
 * Invariants: parse-app reads this output back to the same definition (round trip); every key
 * is one python-marathon 0.13's models accept, except fields it has no parameter for (`tty`,
 * `portMappings[].networkNames`, `volumes[].secret`), which appear only when set. Optional
 * fields that are unset are left out, never written as `null`.
 */
import type {
  AppDefinition, Container, DockerSpec, FetchUri, HealthCheck, Network, PortDefinition, PortMapping, ReadinessCheck, Volume,
} from '../model.ts';

type Json = Record<string, unknown>;

const opt = <K extends string, V>(key: K, v: V | undefined): Partial<Record<K, V>> =>
  (v === undefined ? {} : { [key]: v } as Record<K, V>);

export function appToJson(app: AppDefinition): Json {
  return {
    id: app.id,
    ...opt('cmd', app.cmd),
    ...opt('args', app.args === undefined ? undefined : [...app.args]),
    ...opt('user', app.user),
    env: { ...app.env },
    instances: app.instances,
    cpus: app.cpus,
    mem: app.mem,
    disk: app.disk,
    gpus: app.gpus,
    executor: app.executor,
    constraints: app.constraints.map((c) => [...c]),
    fetch: app.fetch.map(fetchJson),
    storeUrls: [...app.storeUrls],
    backoffSeconds: app.backoffSeconds,
    backoffFactor: app.backoffFactor,
    maxLaunchDelaySeconds: app.maxLaunchDelaySeconds,
    ...opt('container', app.container === undefined ? undefined : containerJson(app.container)),
    healthChecks: app.healthChecks.map(healthJson),
    readinessChecks: app.readinessChecks.map(readinessJson),
    dependencies: [...app.dependencies],
    upgradeStrategy: { ...app.upgradeStrategy },
    labels: { ...app.labels },
    ...opt('acceptedResourceRoles', app.acceptedResourceRoles === undefined ? undefined : [...app.acceptedResourceRoles]),
    ...opt('ipAddress', app.ipAddress),
    version: app.version,
    ...opt('residency', app.residency),
    versionInfo: { ...app.versionInfo },
    killSelection: app.killSelection,
    unreachableStrategy: app.unreachableStrategy === 'disabled' ? 'disabled' : { ...app.unreachableStrategy },
    secrets: Object.fromEntries(Object.entries(app.secrets).map(([k, s]) => [k, { source: s.source }])),
    ...opt('taskKillGracePeriodSeconds', app.taskKillGracePeriodSeconds),
    portDefinitions: app.portDefinitions.map(portDefinitionJson),
    requirePorts: app.requirePorts,
    networks: app.networks.map(networkJson),
    role: app.role,
    ...opt('tty', app.tty),
  };
}

function fetchJson(f: FetchUri): Json {
  return {
    uri: f.uri, extract: f.extract, executable: f.executable, cache: f.cache,
    ...opt('outputFile', f.outputFile), ...opt('destPath', f.destPath),
  };
}

function containerJson(c: Container): Json {
  return {
    type: c.type,
    ...opt('docker', c.docker === undefined ? undefined : dockerJson(c.docker)),
    volumes: c.volumes.map(volumeJson),
    ...opt('portMappings', c.portMappings?.map(portMappingJson)),
  };
}

function dockerJson(d: DockerSpec): Json {
  return {
    image: d.image,
    ...opt('network', d.network),
    ...opt('portMappings', d.portMappings?.map(portMappingJson)),
    parameters: d.parameters.map((p) => ({ key: p.key, value: p.value })),
    privileged: d.privileged,
    forcePullImage: d.forcePullImage,
    ...opt('credential', d.credential),
    ...opt('pullConfig', d.pullConfig),
  };
}

function volumeJson(v: Volume): Json {
  return {
    containerPath: v.containerPath,
    ...opt('hostPath', v.hostPath),
    mode: v.mode,
    ...opt('persistent', v.persistent),
    ...opt('external', v.external),
    ...opt('secret', v.secret),
  };
}

function portMappingJson(m: PortMapping): Json {
  return {
    containerPort: m.containerPort,
    ...opt('hostPort', m.hostPort),
    servicePort: m.servicePort,
    protocol: m.protocol,
    ...opt('name', m.name),
    ...opt('labels', m.labels === undefined ? undefined : { ...m.labels }),
    ...opt('networkNames', m.networkNames === undefined ? undefined : [...m.networkNames]),
  };
}

function portDefinitionJson(d: PortDefinition): Json {
  return {
    port: d.port, protocol: d.protocol, ...opt('name', d.name),
    ...opt('labels', d.labels === undefined ? undefined : { ...d.labels }),
  };
}

function networkJson(n: Network): Json {
  return { mode: n.mode, ...opt('name', n.name), ...opt('labels', n.labels === undefined ? undefined : { ...n.labels }) };
}

function healthJson(h: HealthCheck): Json {
  return {
    protocol: h.protocol,
    ...opt('path', h.path),
    ...opt('portIndex', h.portIndex),
    ...opt('port', h.port),
    ...opt('command', h.command === undefined ? undefined : { value: h.command.value }),
    gracePeriodSeconds: h.gracePeriodSeconds,
    intervalSeconds: h.intervalSeconds,
    timeoutSeconds: h.timeoutSeconds,
    maxConsecutiveFailures: h.maxConsecutiveFailures,
    delaySeconds: h.delaySeconds,
    ...opt('ignoreHttp1xx', h.ignoreHttp1xx),
    ...opt('ipProtocol', h.ipProtocol),
  };
}

function readinessJson(r: ReadinessCheck): Json {
  return {
    name: r.name, protocol: r.protocol, path: r.path, portName: r.portName,
    intervalSeconds: r.intervalSeconds, timeoutSeconds: r.timeoutSeconds,
    httpStatusCodesForReady: [...r.httpStatusCodesForReady], preserveLastResponse: r.preserveLastResponse,
  };
}
