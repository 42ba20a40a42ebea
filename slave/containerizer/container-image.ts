/**
 * What a task's ContainerInfo asks of the launch path, read and checked before anything runs
 * (pure), and the glue that provisions a container with an image: the image store
 * (slave/images), the container's network (slave/network) and the OCI runtime
 * (slave/containerizer/oci), in that order, undone in reverse when a step fails.
 *
 * - The image: `container.docker.image` (type DOCKER, what Marathon sends) or
 *   `container.mesos.image` of type DOCKER (Mesos' unified containerizer). `force_pull_image`
 *   (DOCKER) and `Image.cached = false` (MESOS) pull again even when the store has it. APPC
 *   images are refused.
 * - The network: host unless asked otherwise. BRIDGE: `docker.network = BRIDGE` with
 *   `docker.port_mappings`, or a NetworkInfo named `mesos-bridge` (Marathon's name for the MESOS
 *   containerizer's bridge) or `bridge` with `port_mappings`. Every host port must be one of the
 *   task's `ports` resources (as Mesos' port mapping checks). NONE and USER networks are refused.
 *
 * Invariants: a refused ContainerInfo is a failure value naming the field; after a failed
 * `provisionImageContainer` nothing of it is left (network detached, runtime cleaned up).
 */
import { realpathSync } from 'node:fs';
import { posix } from 'node:path';
import type { Resources } from '../../common/resources/resources.ts';
import type { mesos } from '../../proto/types.generated.ts';
import type { ContainerId, LaunchSpec } from '../containerizer.ts';
import type { ImageStore } from '../images/image-store.ts';
import type { ContainerNetwork, PortMapping } from '../network/container-network.ts';
import type { OciRuntime } from './oci/oci-runtime.ts';

export type ImageRequest = { readonly reference: string; readonly forcePull: boolean };
export type NetworkRequest = { readonly kind: 'host' } | { readonly kind: 'bridge'; readonly portMappings: readonly PortMapping[] };

export type ContainerRequest =
  | { readonly ok: true; readonly image: ImageRequest | undefined; readonly network: NetworkRequest }
  | { readonly ok: false; readonly message: string };

/** Marathon's name of the bridge network of the MESOS containerizer, and the plain one. */
const BRIDGE_NETWORK_NAMES = new Set(['mesos-bridge', 'bridge']);

export function readContainerRequest(container: mesos.v1.ContainerInfo | undefined, resources: Resources): ContainerRequest {
  if (container === undefined) return { ok: true, image: undefined, network: { kind: 'host' } };
  let image: ImageRequest | undefined;
  if (container.type === 'DOCKER') {
    const name = container.docker?.image ?? '';
    if (name.trim() === '') return { ok: false, message: 'container.docker.image: a DOCKER container needs an image' };
    image = { reference: name.trim(), forcePull: container.docker?.force_pull_image === true };
  } else if (container.mesos?.image !== undefined) {
    const img = container.mesos.image;
    if (img.type !== 'DOCKER') return { ok: false, message: `container.mesos.image.type: ${img.type} images are not supported (DOCKER images are)` };
    const name = img.docker?.name ?? '';
    if (name.trim() === '') return { ok: false, message: 'container.mesos.image.docker.name: the image needs a name' };
    image = { reference: name.trim(), forcePull: img.cached === false };
  }

  let mappings: readonly { host_port: number; container_port: number; protocol?: string }[] | undefined;
  let where = '';
  const dockerNetwork = container.type === 'DOCKER' ? (container.docker?.network ?? 'HOST') : 'HOST';
  if (dockerNetwork === 'NONE' || dockerNetwork === 'USER') return { ok: false, message: `container.docker.network: ${dockerNetwork} networking is not supported (HOST and BRIDGE are)` };
  if (dockerNetwork === 'BRIDGE') {
    mappings = container.docker?.port_mappings ?? [];
    where = 'container.docker.port_mappings';
  }
  const infos = container.network_infos ?? [];
  for (const [i, info] of infos.entries()) {
    if (info.name !== undefined && BRIDGE_NETWORK_NAMES.has(info.name)) {
      if (mappings !== undefined) return { ok: false, message: `container.network_infos[${i}]: one bridge network per container` };
      mappings = info.port_mappings ?? [];
      where = `container.network_infos[${i}].port_mappings`;
    } else if (info.name !== undefined && info.name !== '') {
      return { ok: false, message: `container.network_infos[${i}].name: unknown network '${info.name}' (available: mesos-bridge)` };
    } else if ((info.port_mappings ?? []).length > 0) {
      return { ok: false, message: `container.network_infos[${i}].port_mappings: port mappings need a bridge network (name 'mesos-bridge')` };
    }
  }
  if (mappings === undefined) return { ok: true, image, network: { kind: 'host' } };
  if (image === undefined) return { ok: false, message: `${where}: bridge networking needs a container image` };

  const offered = resources.ranges('ports');
  const seen = new Set<string>();
  const portMappings: PortMapping[] = [];
  for (const [i, m] of mappings.entries()) {
    const protocol = (m.protocol ?? 'tcp').toLowerCase();
    if (protocol !== 'tcp' && protocol !== 'udp') return { ok: false, message: `${where}[${i}].protocol: expected tcp or udp, got '${m.protocol}'` };
    for (const [field, port] of [['host_port', m.host_port], ['container_port', m.container_port]] as const) {
      if (!Number.isInteger(port) || port < 1 || port > 65535) return { ok: false, message: `${where}[${i}].${field}: expected a port from 1 to 65535, got ${port}` };
    }
    if (!offered.some(([lo, hi]) => m.host_port >= lo && m.host_port <= hi)) {
      return { ok: false, message: `${where}[${i}].host_port: ${m.host_port} is not one of the task's ports resources` };
    }
    const key = `${protocol}/${m.host_port}`;
    if (seen.has(key)) return { ok: false, message: `${where}[${i}].host_port: ${key} is mapped twice` };
    seen.add(key);
    portMappings.push({ hostPort: m.host_port, containerPort: m.container_port, protocol });
  }
  return { ok: true, image, network: { kind: 'bridge', portMappings } };
}

/** What the containerizer needs to run containers with images; absent = such tasks are refused. */
export interface ImageSupport {
  readonly store: ImageStore;
  readonly runtime: OciRuntime;
  /** Absent: BRIDGE containers are refused. */
  readonly network?: ContainerNetwork;
  /** `--cgroups_root`: the container's cgroup path for runc is `/<root>/<container id>`, where the cgroups isolator made it. */
  readonly cgroupsRoot: string;
  /** `--allowed_host_paths`: directories under which an absolute host-path volume may be; undefined = anywhere. */
  readonly allowedHostPaths?: readonly string[];
}

/**
 * Where a volume's host side really is, checked before the bundle is made (and after the pull, so
 * that a symlink swapped in during a long pull is seen): an absolute host path must be under
 * `--allowed_host_paths` (as given, and with its symlinks resolved; an allowed directory may
 * itself be a symlink), and a sandbox one (a relative host path, or a SANDBOX_PATH source) must
 * stay in the sandbox: the deepest part of it that exists, symlinks resolved, is inside the
 * sandbox (a fetched archive could carry `d -> /`; a bind mount, and the mkdir of the missing
 * rest, would follow it). Returns the volumes with every absolute host path replaced by its
 * resolved path (what the runtime binds), or what is wrong, naming the volume.
 */
export function checkVolumes(
  volumes: readonly mesos.v1.Volume[], allowed: readonly string[] | undefined, sandbox: string, realpath: (p: string) => string | undefined,
): { readonly ok: true; readonly volumes: mesos.v1.Volume[] } | { readonly ok: false; readonly message: string } {
  const at = (dirs: readonly string[], p: string) => dirs.some((a) => a === '/' || p === a || p.startsWith(`${a}/`));
  const given = allowed?.map((a) => (a === '/' ? a : a.replace(/\/+$/, '')));
  const dirs = given === undefined ? undefined : [...new Set([...given, ...given.map((a) => realpath(a) ?? a)])];
  const box = realpath(sandbox) ?? sandbox;
  /** The resolved path of the deepest existing ancestor of `p` (itself included). */
  const deepestReal = (p: string): string => {
    for (let q = p; ; q = posix.dirname(q)) {
      const r = realpath(q);
      if (r !== undefined) return r;
      if (q === '/' || q === '.' || q === posix.dirname(q)) return q;
    }
  };
  const out: mesos.v1.Volume[] = [];
  for (const [i, v] of volumes.entries()) {
    const sandboxPath = v.source?.type === 'SANDBOX_PATH' ? (v.source.sandbox_path?.path ?? '') : undefined;
    const host = v.host_path !== undefined && v.host_path !== '' ? v.host_path : v.source?.type === 'HOST_PATH' ? (v.source.host_path?.path ?? '') : '';
    const inSandbox = sandboxPath ?? (host !== '' && !host.startsWith('/') ? host : undefined);
    if (inSandbox !== undefined) {
      const real = deepestReal(posix.join(sandbox, inSandbox));
      if (!at([box], real)) return { ok: false, message: `container.volumes[${i}]: '${inSandbox}' leads out of the sandbox (to '${real}')` };
      out.push(v);
      continue;
    }
    if (host === '') {
      out.push(v);
      continue;
    }
    const real = realpath(host);
    if (dirs !== undefined && (!at(dirs, host) || !at(dirs, real ?? host))) {
      return { ok: false, message: `container.volumes[${i}].host_path: '${host}' is not under the allowed host paths (${(given ?? []).join(':')})` };
    }
    if (real === undefined) {
      out.push(v);
    } else if (v.host_path !== undefined && v.host_path !== '') {
      out.push({ ...v, host_path: real });
    } else {
      out.push({ ...v, source: { ...v.source!, host_path: { ...v.source!.host_path, path: real } } });
    }
  }
  return { ok: true, volumes: out };
}

/** The failure of a launch that a kill abandoned. */
export const ABANDONED = 'the container was killed during its launch';

export type ProvisionedContainer =
  | { readonly ok: true; readonly exec: readonly string[]; readonly pidFile: string; readonly bridge: boolean; readonly ip?: string }
  | { readonly ok: false; readonly message: string };

/** Image, network, bundle: the words the supervisor's task process execs (`runc run ...`). */
export async function provisionImageContainer(
  spec: LaunchSpec,
  image: ImageRequest,
  network: NetworkRequest,
  support: ImageSupport,
  /** True once a kill asked to abandon the launch: checked after the pull, the longest step. */
  abandoned: () => boolean = () => false,
): Promise<ProvisionedContainer> {
  const provisioned = await support.store.provision(image.reference, { forcePull: image.forcePull });
  if (!provisioned.ok) return { ok: false, message: `Failed to provision image '${image.reference}': ${provisioned.message}` };
  if (abandoned()) return { ok: false, message: ABANDONED };
  const volumes = checkVolumes(spec.container?.volumes ?? [], support.allowedHostPaths, spec.sandbox, (p) => {
    try {
      return realpathSync(p);
    } catch {
      return undefined;
    }
  });
  if (!volumes.ok) return volumes;
  // The runtime binds the resolved host paths checked here.
  if (spec.container !== undefined && (spec.container.volumes ?? []).length > 0) spec = { ...spec, container: { ...spec.container, volumes: volumes.volumes } };
  let netns: { kind: 'host' } | { kind: 'namespace'; netnsPath: string } = { kind: 'host' };
  let ip: string | undefined;
  if (network.kind === 'bridge') {
    if (support.network === undefined) return { ok: false, message: 'bridge networking is not available on this agent' };
    const attached = await support.network.attach(spec.containerId, network.portMappings);
    if (!attached.ok) return { ok: false, message: `Failed to attach the container to the bridge: ${attached.message}` };
    netns = { kind: 'namespace', netnsPath: attached.netnsPath };
    ip = attached.ip;
  }
  const prepared = await support.runtime
    .prepare({ spec, image: provisioned.image, cgroupsPath: `/${support.cgroupsRoot}/${spec.containerId}`, network: netns })
    .catch((e: unknown) => ({ ok: false as const, message: (e as Error).message }));
  if (!prepared.ok) {
    await releaseImageContainer(spec.containerId, spec.runDir, support, network.kind === 'bridge');
    return { ok: false, message: prepared.message };
  }
  return { ok: true, exec: prepared.exec, pidFile: prepared.pidFile, bridge: network.kind === 'bridge', ...(ip !== undefined ? { ip } : {}) };
}

/** Runtime state, rootfs mount and bundle, then the network. Idempotent; never throws. */
export async function releaseImageContainer(id: ContainerId, runDir: string, support: ImageSupport, bridge: boolean): Promise<string[]> {
  const errors: string[] = [];
  await support.runtime.cleanup(id, runDir).catch((e: unknown) => errors.push(`runtime: ${(e as Error).message}`));
  if (bridge && support.network !== undefined) await support.network.detach(id).catch((e: unknown) => errors.push(`network: ${(e as Error).message}`));
  return errors;
}
