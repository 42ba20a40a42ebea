/**
 * The task's ContainerInfo (Marathon's ContainerSerializer.toMesos, for apps):
 * - no `container` and host networking: none (the command runs on the host);
 * - DOCKER: `docker` {image, network HOST | BRIDGE | USER, port_mappings, privileged,
 *   parameters + `label=MESOS_TASK_ID=<task id>`, force_pull_image}; a USER network is also named
 *   in `network_infos`;
 * - MESOS: `mesos` {image {type DOCKER, docker {name}, cached = !forcePullImage}} with an image,
 *   `mesos` {} without; every non-host network becomes a NetworkInfo (bridge: `mesos-bridge`,
 *   Marathon's default `--mesos_bridge_name`) with the mappings that have a host port;
 * - volumes: host-path volumes as {container_path, host_path, mode}; persistent, external and
 *   secret volumes are not sent (they need reservations, a volume driver or a secret store).
 * Port mappings are bound to the task: the host port from the match, and a container port of 0
 * becomes the host port. Pure.
 */
import type { mesos } from '../../proto/types.generated.ts';
import type { AppDefinition } from '../model.ts';
import { networkMode, portMappings } from '../placement/app-ports.ts';

export const MESOS_BRIDGE_NAME = 'mesos-bridge';

interface BoundMapping {
  readonly containerPort: number;
  readonly hostPort: number;
  readonly protocol: string;
  readonly networkNames?: readonly string[];
}

/** The mappings that got a host port, bound to it (`hostPorts[i]` belongs to mapping i). */
function boundMappings(app: AppDefinition, hostPorts: readonly (number | undefined)[]): BoundMapping[] {
  return portMappings(app).flatMap((m, i) => {
    const host = hostPorts[i];
    if (host === undefined) return [];
    return [{ containerPort: m.containerPort === 0 ? host : m.containerPort, hostPort: host, protocol: m.protocol, networkNames: m.networkNames }];
  });
}

function volumes(app: AppDefinition): mesos.v1.Volume[] {
  return (app.container?.volumes ?? []).flatMap((v) =>
    v.hostPath !== undefined && v.persistent === undefined && v.external === undefined && v.secret === undefined
      ? [{ container_path: v.containerPath, host_path: v.hostPath, mode: v.mode }]
      : []);
}

function labels(l: Readonly<Record<string, string>> | undefined): mesos.v1.Labels | undefined {
  if (l === undefined || Object.keys(l).length === 0) return undefined;
  return { labels: Object.entries(l).map(([key, value]) => ({ key, value })) };
}

function dockerNetwork(app: AppDefinition): mesos.v1.ContainerInfo.DockerInfo.Network {
  switch (networkMode(app)) {
    case 'bridge': return 'BRIDGE';
    case 'container': return 'USER';
    case 'host': return 'HOST';
  }
}

/** NetworkInfos of a MESOS container: one per non-host network. */
function mesosNetworkInfos(app: AppDefinition, bound: readonly BoundMapping[]): mesos.v1.NetworkInfo[] {
  return app.networks.filter((n) => n.mode !== 'host').map((n) => {
    const name = n.mode === 'container/bridge' ? MESOS_BRIDGE_NAME : n.name ?? '';
    const info: mesos.v1.NetworkInfo = { ip_addresses: [{}], name };
    const l = labels(n.labels);
    if (l !== undefined) info.labels = l;
    // A mapping with a host port names its network, or is on the only one.
    const mine = bound.filter((m) => m.networkNames === undefined || m.networkNames.length === 0 || m.networkNames.includes(name));
    if (mine.length > 0) info.port_mappings = mine.map((m) => ({ host_port: m.hostPort, container_port: m.containerPort, protocol: m.protocol }));
    return info;
  });
}

export function containerInfo(app: AppDefinition, taskId: string, hostPorts: readonly (number | undefined)[]): mesos.v1.ContainerInfo | undefined {
  const c = app.container;
  if (c === undefined) {
    if (networkMode(app) === 'host') return undefined;
    return { type: 'MESOS', mesos: {} };
  }
  const bound = boundMappings(app, hostPorts);
  const vols = volumes(app);
  if (c.type === 'DOCKER') {
    const d = c.docker;
    const docker: mesos.v1.ContainerInfo.DockerInfo = {
      image: d?.image ?? '',
      network: dockerNetwork(app),
      privileged: d?.privileged ?? false,
      parameters: [...(d?.parameters ?? []).map((p) => ({ key: p.key, value: p.value })), { key: 'label', value: `MESOS_TASK_ID=${taskId}` }],
      force_pull_image: d?.forcePullImage ?? false,
    };
    const pms = bound.flatMap((m) => m.protocol.split(',').map((protocol) => ({ host_port: m.hostPort, container_port: m.containerPort, protocol })));
    if (pms.length > 0) docker.port_mappings = pms;
    const info: mesos.v1.ContainerInfo = { type: 'DOCKER', docker };
    const userNet = app.networks.find((n) => n.mode === 'container');
    if (userNet?.name !== undefined) info.network_infos = [{ name: userNet.name }];
    if (vols.length > 0) info.volumes = vols;
    return info;
  }
  const image = c.docker?.image;
  const info: mesos.v1.ContainerInfo = {
    type: 'MESOS',
    mesos: image !== undefined && image !== ''
      ? { image: { type: 'DOCKER', docker: { name: image }, cached: !(c.docker?.forcePullImage ?? false) } }
      : {},
  };
  const nets = mesosNetworkInfos(app, bound);
  if (nets.length > 0) info.network_infos = nets;
  if (vols.length > 0) info.volumes = vols;
  return info;
}
