/**
 * One pod container's JSON (RAML `PodContainer`) -> a normalised `PodContainer`: every default
 * filled (resources 1 cpu / 128 MiB, endpoint protocol `tcp`, health check timings, artifact
 * flags), endpoints normalised for the pod's networking as Marathon's `PodNormalization` does
 * (outside container-mode networking an endpoint without `hostPort` gets 0, any offered port).
 *
 * Rules that span containers or the pod (unique names, endpoints per network mode, references
 * to pod volumes and endpoints) are pod-validate's; this module checks one value at its path.
 *
 * Decision: a `containerPort` under the default host networking (no `networks` given) is dropped:
 * Marathon accepts it there and never uses it, and keeping it would serve back a pod with an
 * explicit host network that Marathon's own rule ("is not allowed when using host-mode
 * networking") refuses.
 */
import { at, field, isAbsent, type JsonObject, type Reader } from '../app/json-reader.ts';
import type { PodArtifact, PodContainer, PodEndpoint, PodHealthCheck, PodImage, PodVolumeMount } from './pod-definition.ts';
import * as D from './pod-defaults.ts';
import { enumOf, lengthMessage, readCommand, readEnvironment, readName, readPath, readVerbatim } from './pod-read-parts.ts';

export const HEALTH_ONE_OF = 'Only one of http, tcp, or command may be specified';

export interface ContainerNetworking {
  /** Some pod network has mode `container`: endpoints keep an absent host port absent. */
  readonly containerMode: boolean;
  /** No `networks` were given (default host networking): container ports are dropped. */
  readonly implicitHost: boolean;
}

export function readContainer(r: Reader, v: unknown, path: string, net: ContainerNetworking): PodContainer | undefined {
  const c = r.obj(v, path);
  if (c === undefined) return undefined;
  const p = (k: string): string => field(path, k);
  const name = readName(r, c.name, p('name'));
  const exec = readExec(r, c.exec, p('exec'));
  const resources = readResources(r, c.resources, p('resources'));
  const endpoints = readEndpoints(r, c.endpoints, p('endpoints'), net);
  const image = readImage(r, c.image, p('image'));
  const environment = readEnvironment(r, c.environment, p('environment'));
  const user = r.str(c.user, p('user'));
  const healthCheck = readHealthCheck(r, c.healthCheck, p('healthCheck'));
  const volumeMounts = readVolumeMounts(r, c.volumeMounts, p('volumeMounts'));
  const artifacts = readArtifacts(r, c.artifacts, p('artifacts'));
  const labels = r.strMap(c.labels, p('labels')) ?? {};
  const lifecycle = readLifecycle(r, c.lifecycle, p('lifecycle'));
  const tty = r.bool(c.tty, p('tty'));
  if (name === undefined) return undefined;
  return {
    name,
    ...(exec !== undefined ? { exec } : {}),
    resources, endpoints,
    ...(image !== undefined ? { image } : {}),
    environment,
    ...(user !== undefined ? { user } : {}),
    ...(healthCheck !== undefined ? { healthCheck } : {}),
    volumeMounts, artifacts, labels,
    ...(lifecycle !== undefined ? { lifecycle } : {}),
    ...(tty !== undefined ? { tty } : {}),
  };
}

function readExec(r: Reader, v: unknown, path: string): PodContainer['exec'] {
  const e = r.obj(v, path);
  if (e === undefined) return undefined;
  const command = readCommand(r, e.command, field(path, 'command'));
  const overrideEntrypoint = r.bool(e.overrideEntrypoint, field(path, 'overrideEntrypoint'));
  if (command === undefined) return undefined;
  return { command, ...(overrideEntrypoint !== undefined ? { overrideEntrypoint } : {}) };
}

function readResources(r: Reader, v: unknown, path: string): PodContainer['resources'] {
  const o = r.obj(v, path);
  r.required(o, v, path);
  const R = D.DEFAULT_CONTAINER_RESOURCES;
  if (o === undefined) return R;
  const num = (k: 'cpus' | 'mem' | 'disk'): number => r.num(o[k], field(path, k), { min: 0 }) ?? R[k];
  return {
    cpus: num('cpus'), mem: num('mem'), disk: num('disk'),
    gpus: r.num(o.gpus, field(path, 'gpus'), { integer: true, min: 0 }) ?? R.gpus,
  };
}

/** An integer port in [min, 65535], Marathon's `between` message outside it. */
function readPort(r: Reader, v: unknown, path: string, min: number): number | undefined {
  const n = r.num(v, path, { integer: true });
  if (n !== undefined && (n < min || n > 65535)) r.problems.add(path, lengthMessage(n, min, 65535));
  return n;
}

function readEndpoints(r: Reader, v: unknown, path: string, net: ContainerNetworking): PodEndpoint[] {
  const a = r.arr(v, path) ?? [];
  const out: PodEndpoint[] = [];
  a.forEach((x, i) => {
    const ep = at(path, i);
    const o = r.obj(x, ep);
    if (o === undefined) return;
    const name = readName(r, o.name, field(ep, 'name'));
    const containerPort = readPort(r, o.containerPort, field(ep, 'containerPort'), 1);
    const hostPortRaw = readPort(r, o.hostPort, field(ep, 'hostPort'), 0);
    const protocolRaw = r.strArr(o.protocol, field(ep, 'protocol'));
    protocolRaw?.forEach((s, j) => { readName(r, s, at(field(ep, 'protocol'), j)); });
    const labels = r.strMap(o.labels, field(ep, 'labels')) ?? {};
    if (name === undefined) return;
    const hostPort = hostPortRaw ?? (net.containerMode ? undefined : D.DEFAULT_HOST_PORT);
    out.push({
      name,
      ...(containerPort !== undefined && !net.implicitHost ? { containerPort } : {}),
      ...(hostPort !== undefined ? { hostPort } : {}),
      protocol: protocolRaw !== undefined && protocolRaw.length > 0 ? protocolRaw : [...D.DEFAULT_ENDPOINT_PROTOCOL],
      labels,
    });
  });
  return out;
}

function readImage(r: Reader, v: unknown, path: string): PodImage | undefined {
  const o = r.obj(v, path);
  if (o === undefined) return undefined;
  const kind = enumOf<PodImage['kind']>(r, o.kind, field(path, 'kind'), ['DOCKER', 'APPC']);
  r.required(kind, o.kind, field(path, 'kind'));
  const id = readPath(r, o.id, field(path, 'id'), true);
  const forcePull = r.bool(o.forcePull, field(path, 'forcePull')) ?? false;
  const pullConfig = readVerbatim(r, o.pullConfig, field(path, 'pullConfig'));
  // Image labels (appc discovery) are type-checked and dropped: the model has no field for them.
  r.strMap(o.labels, field(path, 'labels'));
  if (kind === undefined || id === undefined) return undefined;
  return { kind, id, forcePull, ...(pullConfig !== undefined ? { pullConfig } : {}) };
}

function readHealthCheck(r: Reader, v: unknown, path: string): PodHealthCheck | undefined {
  const o = r.obj(v, path);
  if (o === undefined) return undefined;
  const given = (['http', 'tcp', 'exec'] as const).filter((k) => !isAbsent(o[k]));
  if (given.length !== 1) r.problems.add(path, HEALTH_ONE_OF);
  const H = D.HEALTH_DEFAULTS;
  const secs = (k: keyof typeof H): number => r.num(o[k], field(path, k), { integer: true, min: 0 }) ?? H[k];
  const timings = {
    gracePeriodSeconds: secs('gracePeriodSeconds'),
    intervalSeconds: secs('intervalSeconds'),
    maxConsecutiveFailures: secs('maxConsecutiveFailures'),
    timeoutSeconds: secs('timeoutSeconds'),
    delaySeconds: secs('delaySeconds'),
  };
  const http = readHttpCheck(r, o.http, field(path, 'http'));
  const tcp = readTcpCheck(r, o.tcp, field(path, 'tcp'));
  const execO = r.obj(o.exec, field(path, 'exec'));
  const command = execO === undefined ? undefined : readCommand(r, execO.command, field(path, 'exec/command'));
  if (given.length !== 1) return undefined;
  if (http !== undefined) return { http, ...timings };
  if (tcp !== undefined) return { tcp, ...timings };
  if (command !== undefined) return { exec: { command }, ...timings };
  return undefined;
}

function readHttpCheck(r: Reader, v: unknown, path: string): PodHealthCheck['http'] {
  const o: JsonObject | undefined = r.obj(v, path);
  if (o === undefined) return undefined;
  const endpoint = readName(r, o.endpoint, field(path, 'endpoint'));
  const hcPath = readPath(r, o.path, field(path, 'path'), false) ?? D.DEFAULT_HEALTH_PATH;
  const scheme = enumOf<'HTTP' | 'HTTPS'>(r, o.scheme, field(path, 'scheme'), ['HTTP', 'HTTPS']) ?? D.DEFAULT_HEALTH_SCHEME;
  return endpoint === undefined ? undefined : { endpoint, path: hcPath, scheme };
}

function readTcpCheck(r: Reader, v: unknown, path: string): PodHealthCheck['tcp'] {
  const o = r.obj(v, path);
  if (o === undefined) return undefined;
  const endpoint = readName(r, o.endpoint, field(path, 'endpoint'));
  return endpoint === undefined ? undefined : { endpoint };
}

function readVolumeMounts(r: Reader, v: unknown, path: string): PodVolumeMount[] {
  const a = r.arr(v, path) ?? [];
  const out: PodVolumeMount[] = [];
  a.forEach((x, i) => {
    const mp = at(path, i);
    const o = r.obj(x, mp);
    if (o === undefined) return;
    const name = readName(r, o.name, field(mp, 'name'));
    const mountPath = readPath(r, o.mountPath, field(mp, 'mountPath'), true);
    const readOnly = r.bool(o.readOnly, field(mp, 'readOnly')) ?? false;
    if (name !== undefined && mountPath !== undefined) out.push({ name, mountPath, readOnly });
  });
  return out;
}

function readArtifacts(r: Reader, v: unknown, path: string): PodArtifact[] {
  const a = r.arr(v, path) ?? [];
  const out: PodArtifact[] = [];
  a.forEach((x, i) => {
    const ap = at(path, i);
    const o = r.obj(x, ap);
    if (o === undefined) return;
    const uri = readPath(r, o.uri, field(ap, 'uri'), true);
    const A = D.ARTIFACT_DEFAULTS;
    const extract = r.bool(o.extract, field(ap, 'extract')) ?? A.extract;
    const executable = r.bool(o.executable, field(ap, 'executable')) ?? A.executable;
    const cache = r.bool(o.cache, field(ap, 'cache')) ?? A.cache;
    const destPath = readPath(r, o.destPath, field(ap, 'destPath'), false);
    if (uri !== undefined) out.push({ uri, extract, executable, cache, ...(destPath !== undefined ? { destPath } : {}) });
  });
  return out;
}

function readLifecycle(r: Reader, v: unknown, path: string): PodContainer['lifecycle'] {
  const o = r.obj(v, path);
  if (o === undefined) return undefined;
  const killGracePeriodSeconds = r.num(o.killGracePeriodSeconds, field(path, 'killGracePeriodSeconds'), { min: 0 });
  return killGracePeriodSeconds === undefined ? {} : { killGracePeriodSeconds };
}
