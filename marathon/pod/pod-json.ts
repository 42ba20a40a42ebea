/**
 * A `PodDefinition` as Marathon 1.x serves it (`GET /v2/pods/{id}`, the `spec` of a pod status,
 * RAML `Pod` as written by Marathon's `podRamlWriter`): every default written out, `scaling`
 * as `{kind: "fixed", instances}`, `scheduling` with backoff, upgrade, placement (constraints as
 * `{fieldName, operator, value}` objects), killSelection and unreachableStrategy.
 *
 * Invariants: parse-pod reads this output back to the same definition (round trip, with the same
 * version when given as `previous`); optional fields that are unset are left out, never `null`.
 */
import type { UnreachableStrategy } from '../model.ts';
import type {
  PodArtifact, PodCommand, PodContainer, PodDefinition, PodEndpoint, PodHealthCheck, PodImage, PodNetwork, PodVolume, PodVolumeMount,
} from './pod-definition.ts';

type Json = Record<string, unknown>;

const opt = <K extends string, V>(key: K, v: V | undefined): Partial<Record<K, V>> =>
  (v === undefined ? {} : { [key]: v } as Record<K, V>);

const envJson = (env: PodDefinition['environment']): Json =>
  Object.fromEntries(Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? v : { secret: v.secret }]));

export function podToJson(pod: PodDefinition): Json {
  const s = pod.scheduling;
  return {
    id: pod.id,
    labels: { ...pod.labels },
    version: pod.version,
    ...opt('user', pod.user),
    environment: envJson(pod.environment),
    containers: pod.containers.map(containerJson),
    secrets: Object.fromEntries(Object.entries(pod.secrets).map(([k, v]) => [k, { source: v.source }])),
    volumes: pod.volumes.map(volumeJson),
    networks: pod.networks.map(networkJson),
    scaling: { kind: 'fixed', instances: pod.scaling.instances, ...opt('maxInstances', pod.scaling.maxInstances) },
    scheduling: {
      backoff: { ...s.backoff },
      upgrade: { ...s.upgrade },
      placement: {
        constraints: s.placement.constraints.map((c) => ({ fieldName: c.fieldName, operator: c.operator, ...opt('value', c.value) })),
        acceptedResourceRoles: [...s.placement.acceptedResourceRoles],
      },
      killSelection: s.killSelection,
      unreachableStrategy: unreachableJson(s.unreachableStrategy),
    },
    executorResources: { ...pod.executorResources },
    role: pod.role,
  };
}

const unreachableJson = (u: UnreachableStrategy): unknown => (u === 'disabled' ? 'disabled' : { ...u });

const commandJson = (c: PodCommand): Json => (c.shell !== undefined ? { shell: c.shell } : { argv: [...(c.argv ?? [])] });

function containerJson(c: PodContainer): Json {
  return {
    name: c.name,
    ...opt('exec', c.exec === undefined ? undefined : { command: commandJson(c.exec.command), ...opt('overrideEntrypoint', c.exec.overrideEntrypoint) }),
    resources: { ...c.resources },
    endpoints: c.endpoints.map(endpointJson),
    ...opt('image', c.image === undefined ? undefined : imageJson(c.image)),
    environment: envJson(c.environment),
    ...opt('user', c.user),
    ...opt('healthCheck', c.healthCheck === undefined ? undefined : healthJson(c.healthCheck)),
    volumeMounts: c.volumeMounts.map(mountJson),
    artifacts: c.artifacts.map(artifactJson),
    labels: { ...c.labels },
    ...opt('lifecycle', c.lifecycle === undefined ? undefined : { ...c.lifecycle }),
    ...opt('tty', c.tty),
  };
}

function endpointJson(e: PodEndpoint): Json {
  return {
    name: e.name,
    ...opt('containerPort', e.containerPort),
    ...opt('hostPort', e.hostPort),
    protocol: [...e.protocol],
    labels: { ...e.labels },
  };
}

function imageJson(i: PodImage): Json {
  return { kind: i.kind, id: i.id, forcePull: i.forcePull, ...opt('pullConfig', i.pullConfig === undefined ? undefined : structuredClone(i.pullConfig)) };
}

function healthJson(h: PodHealthCheck): Json {
  return {
    ...opt('http', h.http === undefined ? undefined : { ...h.http }),
    ...opt('tcp', h.tcp === undefined ? undefined : { ...h.tcp }),
    ...opt('exec', h.exec === undefined ? undefined : { command: commandJson(h.exec.command) }),
    gracePeriodSeconds: h.gracePeriodSeconds,
    intervalSeconds: h.intervalSeconds,
    maxConsecutiveFailures: h.maxConsecutiveFailures,
    timeoutSeconds: h.timeoutSeconds,
    delaySeconds: h.delaySeconds,
  };
}

const mountJson = (m: PodVolumeMount): Json => ({ name: m.name, mountPath: m.mountPath, readOnly: m.readOnly });

function artifactJson(a: PodArtifact): Json {
  return { uri: a.uri, extract: a.extract, executable: a.executable, cache: a.cache, ...opt('destPath', a.destPath) };
}

function volumeJson(v: PodVolume): Json {
  return {
    name: v.name,
    ...opt('host', v.host),
    ...opt('persistent', v.persistent === undefined ? undefined : structuredClone(v.persistent)),
    ...opt('secret', v.secret),
  };
}

function networkJson(n: PodNetwork): Json {
  return { mode: n.mode, ...opt('name', n.name), labels: { ...n.labels } };
}
