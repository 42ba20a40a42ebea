/**
 * Marathon's pod status (`GET /v2/pods/{id}::status`, `/v2/pods/::status`; RAML `PodStatus`,
 * `PodInstanceStatus`, `ContainerStatus`) from a pod definition and its instances, as Marathon's
 * `PodStatusConversion` and `AppInfoBaseData.podStatus` derive it:
 *
 *   pod        TERMINAL  while a deployment deletes it (`terminating`)
 *              STABLE    when at least `scaling.instances` instances are STABLE
 *              DEGRADED  otherwise
 *   instance   PENDING (Provisioned) · STAGING (Staging, Starting) · STABLE (Running, no container
 *              reported unhealthy) · DEGRADED (Running with an unhealthy container, or Unreachable)
 *              · TERMINAL (Killing and every terminal condition)
 *   container  `status` is its Mesos task state (TASK_STAGING before one is known); `resources`
 *              only while the task holds them; a `healthy` condition once it ran, if it has a check.
 *
 * Pure: `now` comes in. Host ports: `Instance.ports` lists the instance's allocated host ports in
 * container order, then endpoint order, for the endpoints that ask for a host port.
 *
 * Deviations: `statusSince` of an instance is when it became what it is as far as `Instance` tells
 * (unreachableSince, startedAt, stagedAt), Marathon's `state.since`; an instance whose version's
 * definition is unknown is shown against the current definition (Marathon leaves it out); the
 * executor's share in an instance's resources is the pod's `executorResources` (Marathon adds its
 * defaults whatever the pod asked); `terminationHistory` is always empty (not tracked, as Marathon).
 */
import type { Instance, PodTask, TaskStateName, Timestamp } from '../model.ts';
import type { PodContainer, PodDefinition, PodEndpoint } from './pod-definition.ts';
import { podToJson } from './pod-json.ts';

type Json = Record<string, unknown>;

export type PodState = 'STABLE' | 'DEGRADED' | 'TERMINAL';
export type PodInstanceState = 'PENDING' | 'STAGING' | 'STABLE' | 'DEGRADED' | 'TERMINAL';

export interface PodStatusOptions {
  readonly now: Timestamp;
  /** A deployment is removing the pod. */
  readonly terminating?: boolean;
  /** The definition of the pod at `version` (what an instance runs); default and fallback: `pod`. */
  readonly specAt?: (version: Timestamp) => PodDefinition | undefined;
}

export const STATUS_MSG = {
  unreachable: 'pod instance has become unreachable',
  unhealthy: 'at least one container is not healthy',
} as const;
export const HEALTH_REPORTED = 'health-reported-by-mesos';
export const HEALTH_UNREPORTED = 'health-unreported-by-mesos';

/** Task states in which the container holds its resources (Marathon: Staging..Killing, Unreachable). */
const HOLDS_RESOURCES: ReadonlySet<TaskStateName> = new Set(['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_UNREACHABLE']);
const TERMINAL_TASK: ReadonlySet<TaskStateName> = new Set([
  'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR', 'TASK_UNKNOWN',
]);

export function podStatusJson(pod: PodDefinition, instances: readonly Instance[], opts: PodStatusOptions): Json {
  const statuses = instances
    .filter((i) => i.appId === pod.id)
    .map((i) => podInstanceStatusJson(opts.specAt?.(i.version) ?? pod, i));
  const since = statuses.length === 0 ? opts.now : statuses.map((s) => s.statusSince as string).reduce((a, b) => (b > a ? b : a));
  return {
    id: pod.id,
    spec: podToJson(pod),
    status: podState(pod, statuses.map((s) => s.status as PodInstanceState), opts.terminating ?? false),
    statusSince: since,
    instances: statuses,
    terminationHistory: [],
    lastUpdated: opts.now,
    lastChanged: since,
  };
}

export function podState(pod: PodDefinition, instanceStates: readonly PodInstanceState[], terminating: boolean): PodState {
  if (terminating) return 'TERMINAL';
  return instanceStates.filter((s) => s === 'STABLE').length >= pod.scaling.instances ? 'STABLE' : 'DEGRADED';
}

/** One instance's `PodInstanceStatus`, against the definition it runs. */
export function podInstanceStatusJson(spec: PodDefinition, instance: Instance): Json {
  const tasks = instance.podTasks ?? [];
  const containers = tasks.map((t) => containerStatusJson(spec, instance, t));
  const { status, message } = podInstanceState(instance, containers);
  const since = instanceSince(instance);
  const held = containers.flatMap((c) => (c.resources === undefined ? [] : [c.resources as PodContainer['resources']]));
  const e = spec.executorResources;
  const resources = {
    cpus: sum([e.cpus, ...held.map((r) => r.cpus)]),
    mem: sum([e.mem, ...held.map((r) => r.mem)]),
    disk: sum([e.disk, ...held.map((r) => r.disk)]),
    gpus: sum(held.map((r) => r.gpus)),
  };
  return {
    id: instance.instanceId,
    status,
    statusSince: since,
    ...(message !== undefined ? { message } : {}),
    conditions: [],
    ...(instance.agentId !== '' ? { agentId: instance.agentId } : {}),
    ...(instance.host !== '' ? { agentHostname: instance.host } : {}),
    resources,
    networks: networkStatuses(spec, instance),
    containers,
    specReference: `/v2/pods${spec.id}::versions/${instance.version}`,
    lastUpdated: since,
    lastChanged: since,
  };
}

/** Marathon's `podInstanceState`: the instance's condition, refined by its containers' health. */
export function podInstanceState(instance: Instance, containers: readonly Json[]): { status: PodInstanceState; message?: string } {
  switch (instance.condition) {
    case 'Provisioned': return { status: 'PENDING' };
    case 'Staging': case 'Starting': return { status: 'STAGING' };
    case 'Unreachable': case 'UnreachableInactive': return { status: 'DEGRADED', message: STATUS_MSG.unreachable };
    case 'Running': {
      const unhealthy = containers.some((c) => (c.conditions as Json[]).some((x) => x.name === 'healthy' && x.value === 'false'));
      return unhealthy ? { status: 'DEGRADED', message: STATUS_MSG.unhealthy } : { status: 'STABLE' };
    }
    default: return { status: 'TERMINAL' };
  }
}

function instanceSince(i: Instance): Timestamp {
  if ((i.condition === 'Unreachable' || i.condition === 'UnreachableInactive') && i.unreachableSince !== undefined) return i.unreachableSince;
  if (i.condition === 'Running') return i.startedAt ?? i.stagedAt;
  return i.stagedAt;
}

function containerStatusJson(spec: PodDefinition, instance: Instance, task: PodTask): Json {
  const since = task.startedAt ?? instance.stagedAt;
  const container = spec.containers.find((c) => c.name === task.name);
  const state = task.state;
  const active = state === undefined || !TERMINAL_TASK.has(state);
  const endpoints = container !== undefined && active ? endpointStatuses(spec, container, instance, task) : [];
  const condition = container === undefined ? undefined : healthCondition(container, task, endpoints, since);
  const holds = container !== undefined && state !== undefined && HOLDS_RESOURCES.has(state);
  return {
    name: task.name,
    status: state ?? 'TASK_STAGING',
    statusSince: since,
    ...(state !== undefined ? { containerId: task.taskId } : {}),
    endpoints,
    conditions: condition === undefined ? [] : [condition],
    ...(holds ? { resources: { ...container.resources } } : {}),
    lastUpdated: since,
    lastChanged: since,
  };
}

/** The endpoint a container's HTTP or TCP health check probes. */
function checkedEndpoint(c: PodContainer): string | undefined {
  return c.healthCheck?.http?.endpoint ?? c.healthCheck?.tcp?.endpoint;
}

function endpointStatuses(spec: PodDefinition, c: PodContainer, instance: Instance, task: PodTask): Json[] {
  const before = spec.containers.slice(0, spec.containers.indexOf(c))
    .reduce((n, x) => n + x.endpoints.filter((e) => e.hostPort !== undefined).length, 0);
  const withHost = c.endpoints.filter((e) => e.hostPort !== undefined);
  const allocated = instance.ports.slice(before, before + withHost.length);
  const reserved: Json[] = withHost.slice(0, allocated.length).map((e: PodEndpoint, i) => ({ name: e.name, allocatedHostPort: allocated[i] }));
  const unreserved: Json[] = c.endpoints.filter((e) => e.hostPort === undefined).map((e) => ({ name: e.name }));
  const all = [...reserved, ...unreserved];
  const checked = checkedEndpoint(c);
  const hit = all.find((e) => e.name === checked);
  if (hit === undefined) return all;
  return [...all.filter((e) => e !== hit), { ...hit, ...(task.healthy !== undefined ? { healthy: task.healthy } : {}) }];
}

function healthCondition(c: PodContainer, task: PodTask, endpoints: readonly Json[], since: Timestamp): Json | undefined {
  if (task.state === undefined || task.state === 'TASK_STAGING' || task.state === 'TASK_STARTING') return undefined;
  let healthy: boolean | undefined;
  if (c.healthCheck?.exec !== undefined) healthy = task.healthy;
  else {
    const name = checkedEndpoint(c);
    if (name === undefined) return undefined;
    const ep = endpoints.find((e) => e.name === name);
    healthy = ep?.healthy as boolean | undefined;
  }
  return {
    name: 'healthy',
    lastChanged: since,
    lastUpdated: since,
    value: String(healthy ?? false),
    reason: healthy === undefined ? HEALTH_UNREPORTED : HEALTH_REPORTED,
  };
}

function networkStatuses(spec: PodDefinition, instance: Instance): Json[] {
  if (instance.ipAddresses.length === 0) return [];
  const named = spec.networks.filter((n) => n.mode === 'container' && n.name !== undefined);
  const addresses = [...new Set(instance.ipAddresses.map((a) => a.ipAddress))];
  return [{ ...(named.length === 1 ? { name: named[0].name } : {}), addresses }];
}

/** A sum of resource amounts without binary float noise (Marathon sums as BigDecimal). */
function sum(xs: readonly number[]): number {
  return Math.round(xs.reduce((a, b) => a + b, 0) * 1e9) / 1e9;
}
