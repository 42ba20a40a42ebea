/**
 * Builds the LAUNCH_GROUP of one pod instance on a match (Marathon's TaskGroupBuilder): an
 * ExecutorInfo for Mesos' default executor and a TaskGroupInfo with one TaskInfo per container.
 *
 * Executor: type DEFAULT, the given executor id, the framework id, labels = the pod's; resources:
 *   `executorResources` plus every host port of the match (the ports belong to the group, not to
 *   one task); a MESOS ContainerInfo (when the pod names networks or volumes) whose network_infos
 *   are the pod's container networks (bridge: `mesos-bridge`), each with the port mappings of the
 *   endpoints that got a host port (container port 0 or none: the host port), one per protocol.
 * Resources: the match's scalars are split exactly: the executor takes its share first, then each
 *   container its own, in order, from the match's entries in their order (reserved ones first,
 *   as placed), splitting an entry where a share ends; whatever the match holds beyond the pod's
 *   needs stays with the executor. So executor + tasks = the match, nothing more, nothing less.
 * Task per container:
 *   name = container name; task_id = ids.taskIds[i] (Marathon: `<instanceId>.<container name>`,
 *   podTaskIds); resources = the container's share; labels = the container's;
 *   command: `exec.command.shell` through the shell; `argv` as arguments with the shell off, its
 *     first word as `value` with `overrideEntrypoint`, or when there is no image (no entry point
 *     to keep: the word must name the program); without `exec` the shell is off and nothing is
 *     set (the image's entry point runs); user = container's, else the pod's; uris = artifacts;
 *   environment, later entries replacing earlier ones of the same name (Marathon's order):
 *     pod `environment`, container `environment` (secret references skipped, left to a
 *     secrets-aware launcher), HOST, MESOS_TASK_ID, MESOS_EXECUTOR_ID, MARATHON_APP_ID,
 *     MARATHON_APP_VERSION, MARATHON_CONTAINER_ID (the container's name),
 *     MARATHON_CONTAINER_RESOURCE_CPUS/MEM/DISK (Java double text `1.0`) and _GPUS (integer),
 *     MARATHON_APP_LABELS and MARATHON_APP_LABEL_<NAME> (pod labels, then the container's),
 *     and for every endpoint of the pod: ENDPOINT_<NAME> (host networking: the host port;
 *     otherwise the container port), EP_HOST_<NAME> (its host port), EP_CONTAINER_<NAME> (its
 *     container port), each only when that port exists; <NAME> upper case, [^A-Z0-9_]+ -> `_`;
 *   container: MESOS, with `mesos.image` (DOCKER {name} or APPC {name, labels os=linux
 *     arch=amd64}, cached = !forcePull), volumes from volumeMounts (a host volume: host_path;
 *     an ephemeral one: SANDBOX_PATH PARENT `volumes/<name>`; a persistent one: SANDBOX_PATH
 *     PARENT `<name>`; secret volumes are left out), `tty_info` with `tty`; none when it would
 *     say nothing but its type;
 *   health_check from `healthCheck`: HTTP / TCP on the endpoint it names among the container's
 *     (host networking: its host port; otherwise its container port, where Mesos probes inside
 *     the container's network), COMMAND from `exec` (shell or argv); a check whose port is
 *     unknown is left out;
 *   kill_policy.grace_period from `lifecycle.killGracePeriodSeconds`;
 *   discovery: visibility FRAMEWORK, the pod id as a host name, one Port per protocol of each of
 *     the container's endpoints: host networking, those with a host port; otherwise the host
 *     port (label network-scope=host) or the container port on each container network
 *     (network-scope=container, network-name=<network>).
 * Pure: the same pod, ids, match and framework id give the same launch.
 */
import { toMilli, withScalarMilli, type Resource } from '../../common/resources/resource.ts';
import { Resources } from '../../common/resources/resources.ts';
import type { mesos } from '../../proto/types.generated.ts';
import type { EnvValue } from '../model.ts';
import { alignEndpointHostPorts, podEndpoints } from '../placement/place-pod.ts';
import type { Match } from '../placement/place-instance.ts';
import type { PodCommand, PodContainer, PodDefinition, PodEndpoint, PodHealthCheck } from '../pod/pod-definition.ts';
import { MESOS_BRIDGE_NAME } from './container-info.ts';
import { javaDouble, labelsEnv } from './task-env.ts';
import { appHostName } from './task-info.ts';

export interface TaskGroupIds {
  readonly instanceId: string;
  readonly executorId: string;
  /** One per container, in container order. */
  readonly taskIds: readonly string[];
}

export interface TaskGroupLaunch {
  readonly executor: mesos.v1.ExecutorInfo;
  readonly taskGroup: mesos.v1.TaskGroupInfo;
}

/** Marathon's pod task id: `<instanceId>.<container name>`. */
export function podTaskId(instanceId: string, containerName: string): string {
  return `${instanceId}.${containerName}`;
}

export function podTaskIds(pod: PodDefinition, instanceId: string): string[] {
  return pod.containers.map((c) => podTaskId(instanceId, c.name));
}

/** Host networking: no network but the agent's (an empty list means the same). */
export function isHostNetworking(pod: PodDefinition): boolean {
  return pod.networks.length === 0 || pod.networks.some((n) => n.mode === 'host');
}

// --- resources ---------------------------------------------------------------------------------

const SCALARS = ['cpus', 'mem', 'disk', 'gpus'] as const;
type ScalarName = (typeof SCALARS)[number];

export interface ResourceSplit {
  readonly executor: mesos.v1.Resource[];
  /** One per container, in container order. */
  readonly tasks: mesos.v1.Resource[][];
}

/**
 * The match's resources split between the executor and the containers (module header). Throws
 * when the match holds less than the pod needs: a match comes from placePod for this pod.
 */
export function splitMatchResources(pod: PodDefinition, match: Match): ResourceSplit {
  const entries = Resources.fromProto(match.resources).entries;
  const executor: Resource[] = [];
  const tasks: Resource[][] = pod.containers.map(() => []);
  const executorNeeds: Record<ScalarName, number> = { ...pod.executorResources, gpus: 0 };
  for (const name of SCALARS) {
    const queue = entries.filter((e) => e.name === name && e.kind === 'SCALAR');
    let at = 0;
    let leftInEntry = queue[0]?.milli ?? 0;
    const take = (amount: number, into: Resource[]): void => {
      let left = toMilli(amount);
      while (left > 0) {
        if (at >= queue.length) throw new RangeError(`the match holds too little ${name} for pod ${pod.id}`);
        const part = Math.min(left, leftInEntry);
        into.push(withScalarMilli(queue[at], part));
        left -= part;
        leftInEntry -= part;
        if (leftInEntry === 0) leftInEntry = queue[++at]?.milli ?? 0;
      }
    };
    take(executorNeeds[name], executor);
    pod.containers.forEach((c, i) => take(c.resources[name], tasks[i]));
    // What the pod does not need stays with the executor, so the split adds up to the match.
    if (leftInEntry > 0) executor.push(withScalarMilli(queue[at], leftInEntry));
    for (const rest of queue.slice(at + 1)) executor.push(rest);
  }
  // Ports, and anything else the match holds, go with the executor.
  executor.push(...entries.filter((e) => !(SCALARS as readonly string[]).includes(e.name) || e.kind !== 'SCALAR'));
  const proto = (list: Resource[]): mesos.v1.Resource[] => Resources.of(list).toProto();
  return { executor: proto(executor), tasks: tasks.map(proto) };
}

// --- environment -------------------------------------------------------------------------------

const envName = (name: string): string => name.toUpperCase().replace(/[^A-Z0-9_]+/g, '_');

const plainEnv = (env: Readonly<Record<string, EnvValue>>): [string, string][] =>
  Object.entries(env).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v] as [string, string]] : []));

/** ENDPOINT_, EP_HOST_, EP_CONTAINER_ for every endpoint of the pod; `hostPorts` per endpoint. */
export function endpointEnv(pod: PodDefinition, hostPorts: readonly (number | undefined)[]): [string, string][] {
  const host = isHostNetworking(pod);
  return podEndpoints(pod).flatMap(({ endpoint }, i) => {
    const name = envName(endpoint.name);
    const hostPort = hostPorts[i];
    const port = host ? hostPort : endpoint.containerPort;
    const out: [string, string][] = [];
    if (port !== undefined) out.push([`ENDPOINT_${name}`, String(port)]);
    if (hostPort !== undefined) out.push([`EP_HOST_${name}`, String(hostPort)]);
    if (endpoint.containerPort !== undefined) out.push([`EP_CONTAINER_${name}`, String(endpoint.containerPort)]);
    return out;
  });
}

interface TaskContext {
  readonly taskId: string;
  readonly executorId: string;
  readonly host: string;
  readonly hostPorts: readonly (number | undefined)[];
}

/** A container's whole environment, deduplicated by name (a later entry wins, keeping the first position). */
export function podTaskEnvironment(pod: PodDefinition, container: PodContainer, ctx: TaskContext): [string, string][] {
  const r = container.resources;
  const context: [string, string][] = [
    ['MESOS_TASK_ID', ctx.taskId],
    ['MESOS_EXECUTOR_ID', ctx.executorId],
    ['MARATHON_APP_ID', pod.id],
    ['MARATHON_APP_VERSION', pod.version],
    ['MARATHON_CONTAINER_ID', container.name],
    ['MARATHON_CONTAINER_RESOURCE_CPUS', javaDouble(r.cpus)],
    ['MARATHON_CONTAINER_RESOURCE_MEM', javaDouble(r.mem)],
    ['MARATHON_CONTAINER_RESOURCE_DISK', javaDouble(r.disk)],
    ['MARATHON_CONTAINER_RESOURCE_GPUS', String(Math.trunc(r.gpus))],
  ];
  const env = new Map<string, string>();
  for (const [k, v] of [
    ...plainEnv(pod.environment),
    ...plainEnv(container.environment),
    ['HOST', ctx.host] as [string, string],
    ...context,
    ...labelsEnv({ ...pod.labels, ...container.labels }),
    ...endpointEnv(pod, ctx.hostPorts),
  ]) env.set(k, v);
  return [...env.entries()];
}

// --- command, container, checks ------------------------------------------------------------------

function labelsOf(l: Readonly<Record<string, string>>): mesos.v1.Labels | undefined {
  const list = Object.entries(l);
  return list.length === 0 ? undefined : { labels: list.map(([key, value]) => ({ key, value })) };
}

function commandOf(command: PodCommand, runsImage: boolean, overrideEntrypoint: boolean): mesos.v1.CommandInfo {
  if (command.shell !== undefined) return { shell: true, value: command.shell };
  const argv = command.argv ?? [];
  const out: mesos.v1.CommandInfo = { shell: false };
  if (argv.length > 0) {
    out.arguments = [...argv];
    if (overrideEntrypoint || !runsImage) out.value = argv[0];
  }
  return out;
}

function taskCommand(pod: PodDefinition, container: PodContainer, env: readonly [string, string][]): mesos.v1.CommandInfo {
  const exec = container.exec;
  // Shell off by default, so an image's entry point runs when the container names no command.
  const command: mesos.v1.CommandInfo = exec === undefined
    ? { shell: false }
    : commandOf(exec.command, container.image !== undefined, exec.overrideEntrypoint ?? false);
  const user = container.user ?? pod.user;
  if (user !== undefined) command.user = user;
  if (container.artifacts.length > 0) {
    command.uris = container.artifacts.map((a) => {
      const uri: mesos.v1.CommandInfo.URI = { value: a.uri, executable: a.executable, extract: a.extract, cache: a.cache };
      if (a.destPath !== undefined) uri.output_file = a.destPath;
      return uri;
    });
  }
  command.environment = { variables: env.map(([name, value]) => ({ name, value })) };
  return command;
}

/** Marathon's AppC labels: Docker runs only on 64-bit Linux, so AppC images are asked for that. */
const APPC_LABELS: mesos.v1.Labels = { labels: [{ key: 'os', value: 'linux' }, { key: 'arch', value: 'amd64' }] };

function volumesOf(pod: PodDefinition, container: PodContainer): mesos.v1.Volume[] {
  return container.volumeMounts.flatMap((m): mesos.v1.Volume[] => {
    const v = pod.volumes.find((x) => x.name === m.name);
    const mode: mesos.v1.Volume.Mode = m.readOnly ? 'RO' : 'RW';
    if (v === undefined || v.secret !== undefined) return [];
    if (v.host !== undefined) return [{ mode, container_path: m.mountPath, host_path: v.host }];
    const path = v.persistent !== undefined ? v.name : `volumes/${v.name}`;
    return [{ mode, container_path: m.mountPath, source: { type: 'SANDBOX_PATH', sandbox_path: { type: 'PARENT', path } } }];
  });
}

export function podContainerInfo(pod: PodDefinition, container: PodContainer): mesos.v1.ContainerInfo | undefined {
  const info: mesos.v1.ContainerInfo = { type: 'MESOS' };
  const volumes = volumesOf(pod, container);
  if (volumes.length > 0) info.volumes = volumes;
  const im = container.image;
  if (im !== undefined) {
    const image: mesos.v1.Image = im.kind === 'DOCKER'
      ? { type: 'DOCKER', docker: { name: im.id }, cached: !im.forcePull }
      : { type: 'APPC', appc: { name: im.id, labels: APPC_LABELS }, cached: !im.forcePull };
    info.mesos = { image };
  }
  if (container.tty === true) info.tty_info = {};
  return Object.keys(info).length > 1 ? info : undefined;
}

/** Host networking: the endpoint's host port; otherwise its container port (Mesos probes inside the container's network). */
function checkPort(pod: PodDefinition, endpoint: PodEndpoint | undefined, hostPort: number | undefined): number | undefined {
  if (endpoint === undefined) return undefined;
  return isHostNetworking(pod) ? hostPort : endpoint.containerPort;
}

export function podHealthCheck(
  pod: PodDefinition, hc: PodHealthCheck, endpoints: readonly { readonly endpoint: PodEndpoint; readonly hostPort: number | undefined }[],
): mesos.v1.HealthCheck | undefined {
  const common = {
    delay_seconds: hc.delaySeconds,
    interval_seconds: hc.intervalSeconds,
    timeout_seconds: hc.timeoutSeconds,
    consecutive_failures: hc.maxConsecutiveFailures,
    grace_period_seconds: hc.gracePeriodSeconds,
  };
  const portOf = (name: string): number | undefined => {
    const e = endpoints.find((x) => x.endpoint.name === name);
    return checkPort(pod, e?.endpoint, e?.hostPort);
  };
  if (hc.http !== undefined) {
    const port = portOf(hc.http.endpoint);
    if (port === undefined) return undefined;
    const http: mesos.v1.HealthCheck.HTTPCheckInfo = { scheme: hc.http.scheme === 'HTTPS' ? 'https' : 'http', port };
    if (hc.http.path !== '') http.path = hc.http.path;
    return { type: 'HTTP', http, ...common };
  }
  if (hc.tcp !== undefined) {
    const port = portOf(hc.tcp.endpoint);
    return port === undefined ? undefined : { type: 'TCP', tcp: { port }, ...common };
  }
  if (hc.exec !== undefined) {
    const c = hc.exec.command;
    const command: mesos.v1.CommandInfo = c.shell !== undefined
      ? { shell: true, value: c.shell }
      : { shell: false, value: c.argv?.[0] ?? '', arguments: [...(c.argv ?? [])] };
    return { type: 'COMMAND', command, ...common };
  }
  return undefined;
}

// --- networks and discovery ----------------------------------------------------------------------

interface EndpointPort {
  readonly endpoint: PodEndpoint;
  readonly hostPort: number | undefined;
}

function portMappingsOf(ports: readonly EndpointPort[]): mesos.v1.NetworkInfo.PortMapping[] {
  return ports.flatMap(({ endpoint, hostPort }) => {
    if (hostPort === undefined) return [];
    const container_port = endpoint.containerPort === undefined || endpoint.containerPort === 0 ? hostPort : endpoint.containerPort;
    // Mesos wants one mapping per protocol.
    if (endpoint.protocol.length === 0) return [{ host_port: hostPort, container_port }];
    return endpoint.protocol.map((protocol) => ({ host_port: hostPort, container_port, protocol }));
  });
}

/** The executor's network infos: one per container or bridge network, with every endpoint's mappings. */
export function podNetworkInfos(pod: PodDefinition, ports: readonly EndpointPort[]): mesos.v1.NetworkInfo[] {
  const mappings = portMappingsOf(ports);
  return pod.networks.filter((n) => n.mode !== 'host').map((n) => {
    const info: mesos.v1.NetworkInfo = { name: n.mode === 'container/bridge' ? MESOS_BRIDGE_NAME : n.name ?? '' };
    const labels = labelsOf(n.labels);
    if (labels !== undefined) info.labels = labels;
    if (mappings.length > 0) info.port_mappings = mappings.map((m) => ({ ...m }));
    return info;
  });
}

function discoveryPort(number: number, protocol: string, endpoint: PodEndpoint, extra: Readonly<Record<string, string>>): mesos.v1.Port {
  const port: mesos.v1.Port = { number, protocol, name: endpoint.name };
  const labels = labelsOf({ ...endpoint.labels, ...extra });
  if (labels !== undefined) port.labels = labels;
  return port;
}

export function podDiscovery(pod: PodDefinition, ports: readonly EndpointPort[]): mesos.v1.DiscoveryInfo {
  const host = isHostNetworking(pod);
  const networkNames = pod.networks.flatMap((n) => (n.mode === 'container' && n.name !== undefined ? [n.name] : []));
  const list = ports.flatMap(({ endpoint, hostPort }): mesos.v1.Port[] => {
    if (hostPort !== undefined) {
      const scope: Record<string, string> = host ? {} : { 'network-scope': 'host' };
      return endpoint.protocol.map((p) => discoveryPort(hostPort, p, endpoint, scope));
    }
    if (host || endpoint.containerPort === undefined) return [];
    const containerPort = endpoint.containerPort;
    return endpoint.protocol.flatMap((p) =>
      networkNames.map((net) => discoveryPort(containerPort, p, endpoint, { 'network-scope': 'container', 'network-name': net })));
  });
  // Canonical message form: an empty repeated field is absent (proto/codec.ts).
  return { visibility: 'FRAMEWORK', name: appHostName(pod.id), ports: list.length > 0 ? { ports: list } : {} };
}

// --- the launch ----------------------------------------------------------------------------------

/** The LAUNCH_GROUP operation's executor and task group for one pod instance (module header). */
export function buildTaskGroup(pod: PodDefinition, ids: TaskGroupIds, match: Match, frameworkId: string): TaskGroupLaunch {
  if (ids.taskIds.length !== pod.containers.length) {
    throw new RangeError(`pod ${pod.id} has ${pod.containers.length} containers but ${ids.taskIds.length} task ids were given`);
  }
  const split = splitMatchResources(pod, match);
  const hostPorts = alignEndpointHostPorts(pod, match.hostPorts);
  const all: (EndpointPort & { readonly container: string })[] = podEndpoints(pod)
    .map(({ container, endpoint }, i) => ({ container: container.name, endpoint, hostPort: hostPorts[i] }));

  const executor: mesos.v1.ExecutorInfo = {
    type: 'DEFAULT',
    executor_id: { value: ids.executorId },
    framework_id: { value: frameworkId },
    resources: split.executor,
  };
  if (pod.networks.length > 0 || pod.volumes.length > 0) {
    const container: mesos.v1.ContainerInfo = { type: 'MESOS' };
    const nets = podNetworkInfos(pod, all);
    if (nets.length > 0) container.network_infos = nets;
    executor.container = container;
  }
  const podLabels = labelsOf(pod.labels);
  if (podLabels !== undefined) executor.labels = podLabels;

  const tasks = pod.containers.map((c, i): mesos.v1.TaskInfo => {
    const taskId = ids.taskIds[i];
    const own = all.filter((e) => e.container === c.name);
    const env = podTaskEnvironment(pod, c, { taskId, executorId: ids.executorId, host: match.hostname, hostPorts });
    const task: mesos.v1.TaskInfo = {
      name: c.name,
      task_id: { value: taskId },
      agent_id: { value: match.agentId },
      resources: split.tasks[i],
      command: taskCommand(pod, c, env),
    };
    const container = podContainerInfo(pod, c);
    if (container !== undefined) task.container = container;
    const labels = labelsOf(c.labels);
    if (labels !== undefined) task.labels = labels;
    if (c.healthCheck !== undefined) {
      const check = podHealthCheck(pod, c.healthCheck, own);
      if (check !== undefined) task.health_check = check;
    }
    const grace = c.lifecycle?.killGracePeriodSeconds;
    if (grace !== undefined) task.kill_policy = { grace_period: { nanoseconds: Math.round(grace * 1e9) } };
    task.discovery = podDiscovery(pod, own);
    return task;
  });
  return { executor, taskGroup: { tasks } };
}
