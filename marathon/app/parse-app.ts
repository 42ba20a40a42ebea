/**
 * Marathon 1.x app JSON -> a normalised `AppDefinition` (POST/PUT `/v2/apps`, apps inside groups).
 *
 * Three passes, as Marathon does them: read (types, Play-style messages at JSON paths), translate
 * the deprecated API (`uris` -> `fetch`, `ports` -> `portDefinitions`, `container.docker.network`
 * and `ipAddress` -> `networks`, `container.docker.portMappings` -> `container.portMappings`) and
 * fill every default (app-defaults.ts), then semantic validation (app-validate.ts). Read errors
 * are answered alone, so a wrong type never shows up twice as a later rule.
 *
 * Decisions (documented deviations or choices):
 * - unknown top-level fields are ignored, as Marathon's reader does; read-only fields a client
 *   copies back from a GET (`version`, `versionInfo`, `tasks*`, `deployments`, `lastTaskFailure`,
 *   `taskStats`, `readinessCheckResults`) are ignored too;
 * - `container.docker.network` and `ipAddress` are kept verbatim (model) next to the derived
 *   `networks`; both given is accepted when they agree, so GET output parses back unchanged;
 * - `ipAddress.discovery.ports` become port mappings only when no port mappings are given;
 * - a constraint value that is a JSON number is read as its text (python-marathon sends ints);
 *   an empty value of UNIQUE is dropped (old Marathon wrote `["hostname","UNIQUE",""]`);
 * - `check` (Mesos checks) and `executorResources` are type-checked and dropped: the model has no
 *   field for them yet.
 *
 * Versions: a new app gets `version = now` and both `versionInfo` times `now`; with `previous`
 * a config change sets both to now, a scale-only change only `lastScalingAt`, no change keeps
 * the previous version and versionInfo.
 */
import type {
  AppDefinition, Constraint, Container, DockerSpec, EnvValue, FetchUri, HealthCheck, HealthProtocol, KillSelection,
  Network, PathId, PortDefinition, PortMapping, ReadinessCheck, Timestamp, UnreachableStrategy, UpgradeStrategy,
  Volume,
} from '../model.ts';
import type { ValidationDetail } from '../ports.ts';
import { isConfigChange } from './app-change.ts';
import * as D from './app-defaults.ts';
import { validateApp } from './app-validate.ts';
import { at, createReader, field, isAbsent, isObject, readSecrets, type JsonObject, type Reader } from './json-reader.ts';
import { parentOf, parsePathId, PATH_ID_PATTERN, ROOT } from './path-id.ts';

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly details: readonly ValidationDetail[] };

export interface ParseAppContext {
  readonly now: Timestamp;
  /** Relative ids resolve against this group (default `/`). */
  readonly base?: PathId;
  /** The app's current definition, for version bookkeeping. */
  readonly previous?: AppDefinition;
  /** The role of an app that names none (marathon's `--mesos_role`; default `*`). */
  readonly defaultRole?: string;
}

export const invalidIdMessage = `must fully match regular expression '${PATH_ID_PATTERN}'`;

const HEALTH_PROTOCOLS: readonly HealthProtocol[] = ['HTTP', 'HTTPS', 'TCP', 'COMMAND', 'MESOS_HTTP', 'MESOS_HTTPS', 'MESOS_TCP'];
const NETWORK_MODES: readonly Network['mode'][] = ['host', 'container/bridge', 'container'];
const DOCKER_NETWORKS: readonly NonNullable<DockerSpec['network']>[] = ['HOST', 'BRIDGE', 'USER', 'NONE'];
const UNKNOWN_ENUM = 'error.unknown.enum.literal';

export function parseApp(json: unknown, ctx: ParseAppContext): Parsed<AppDefinition> {
  if (!isObject(json)) return { ok: false, details: [{ path: '/', errors: ['error.expected.jsobject'] }] };
  const r = createReader();
  const draft = readApp(r, json, ctx.base ?? ROOT, ctx.now, ctx.defaultRole ?? D.DEFAULT_ROLE);
  if (r.problems.size > 0 || draft === undefined) return { ok: false, details: r.problems.list() };
  const details = validateApp(draft);
  if (details.length > 0) return { ok: false, details };
  return { ok: true, value: withVersion(draft, ctx) };
}

function withVersion(app: AppDefinition, ctx: ParseAppContext): AppDefinition {
  const prev = ctx.previous;
  const now = ctx.now;
  if (prev === undefined || isConfigChange(prev, app)) {
    return { ...app, version: now, versionInfo: { lastScalingAt: now, lastConfigChangeAt: now } };
  }
  if (prev.instances !== app.instances) {
    return { ...app, version: now, versionInfo: { lastScalingAt: now, lastConfigChangeAt: prev.versionInfo.lastConfigChangeAt } };
  }
  return { ...app, version: prev.version, versionInfo: prev.versionInfo };
}

function enumOf<T extends string>(r: Reader, v: unknown, path: string, values: readonly T[]): T | undefined {
  const s = r.str(v, path);
  if (s === undefined) return undefined;
  if ((values as readonly string[]).includes(s)) return s as T;
  r.problems.add(path, UNKNOWN_ENUM);
  return undefined;
}

const PORT = { integer: true, min: 0, max: 65535 } as const;

function readApp(r: Reader, o: JsonObject, base: PathId, now: Timestamp, defaultRole: string): AppDefinition | undefined {
  const p = r.problems;
  // --- identity ------------------------------------------------------------------------------
  const idRaw = r.str(o.id, '/id');
  r.required(idRaw, o.id, '/id');
  let id: PathId | undefined;
  if (idRaw !== undefined) {
    id = parsePathId(idRaw, base);
    if (id === undefined) p.add('/id', invalidIdMessage);
    else if (id === ROOT) p.add('/id', 'must not be root');
  }

  // --- command ---------------------------------------------------------------------------------
  const cmd = r.str(o.cmd, '/cmd');
  if (cmd === '') p.add('/cmd', 'must not be an empty string');
  const argsRaw = r.strArr(o.args, '/args');
  const args = argsRaw !== undefined && argsRaw.length > 0 ? argsRaw : undefined;
  const user = r.str(o.user, '/user');

  // --- resources -------------------------------------------------------------------------------
  const instances = r.num(o.instances, '/instances', { integer: true, min: 0 }) ?? D.DEFAULT_INSTANCES;
  const cpus = r.num(o.cpus, '/cpus', { min: 0 }) ?? D.DEFAULT_CPUS;
  const mem = r.num(o.mem, '/mem', { min: 0 }) ?? D.DEFAULT_MEM;
  const disk = r.num(o.disk, '/disk', { min: 0 }) ?? D.DEFAULT_DISK;
  const gpus = r.num(o.gpus, '/gpus', { integer: true, min: 0 }) ?? D.DEFAULT_GPUS;
  const executor = r.str(o.executor, '/executor') ?? D.DEFAULT_EXECUTOR;
  const backoffSeconds = r.num(o.backoffSeconds, '/backoffSeconds', { integer: true, min: 0 }) ?? D.DEFAULT_BACKOFF_SECONDS;
  const backoffFactor = r.num(o.backoffFactor, '/backoffFactor', { min: 1 }) ?? D.DEFAULT_BACKOFF_FACTOR;
  const maxLaunchDelaySeconds = r.num(o.maxLaunchDelaySeconds, '/maxLaunchDelaySeconds', { integer: true, min: 0 })
    ?? D.DEFAULT_MAX_LAUNCH_DELAY_SECONDS;
  const taskKillGracePeriodSeconds = r.num(o.taskKillGracePeriodSeconds, '/taskKillGracePeriodSeconds', { integer: true, min: 0 });
  readExecutorResources(r, o.executorResources);
  if (!isAbsent(o.check)) r.obj(o.check, '/check');

  // --- simple collections ----------------------------------------------------------------------
  const env = readEnv(r, o.env);
  const labels = r.strMap(o.labels, '/labels') ?? {};
  const secrets = readSecrets(r, o.secrets);
  const constraints = readConstraints(r, o.constraints);
  const storeUrls = r.strArr(o.storeUrls, '/storeUrls') ?? [];
  const acceptedResourceRoles = r.strArr(o.acceptedResourceRoles, '/acceptedResourceRoles');
  if (acceptedResourceRoles !== undefined && acceptedResourceRoles.length === 0) p.add('/acceptedResourceRoles', 'must not be empty');
  const role = r.str(o.role, '/role') ?? defaultRole;
  const tty = r.bool(o.tty, '/tty');
  const killSelection = enumOf<KillSelection>(r, o.killSelection, '/killSelection', ['YOUNGEST_FIRST', 'OLDEST_FIRST'])
    ?? D.DEFAULT_KILL_SELECTION;
  const requirePortsRaw = r.bool(o.requirePorts, '/requirePorts') ?? false;
  const dependencies = readDependencies(r, o.dependencies, id === undefined ? base : parentOf(id));
  const fetch = readFetch(r, o.fetch, o.uris);

  // --- networking (deprecated API translated) --------------------------------------------------
  const ipAddress = readIpAddress(r, o.ipAddress);
  let container = readContainer(r, o.container);
  const explicitNetworks = readNetworks(r, o.networks);
  const networks = deriveNetworks(r, explicitNetworks, container?.docker?.network, ipAddress);

  const portsRaw = readPorts(r, o.ports);
  const portDefsRaw = readPortDefinitions(r, o.portDefinitions);
  if (portsRaw !== undefined && portDefsRaw !== undefined
    && (portsRaw.length !== portDefsRaw.length || portsRaw.some((port, i) => portDefsRaw[i].port !== port))) {
    p.add('/', 'cannot specify both ports and port definitions');
  }
  const migratedPortDefs = portDefsRaw ?? portsRaw?.map((port): PortDefinition => ({ port, protocol: 'tcp' }));
  // Marathon 1.4 refused `ipAddress` next to port definitions, and `ipAddress.discovery` next to a
  // Docker container; the published example app (fixtures app.json) has both, and requests like it
  // are accepted here: with an IP per task the port definitions do not apply (container
  // networking), and Docker port mappings, when given, win over discovery ports
  // (normalizePortMappings).
  const hostNetworking = networks.every((n) => n.mode === 'host');
  const portDefinitions = hostNetworking ? migratedPortDefs ?? D.DEFAULT_PORT_DEFINITIONS : [];
  const requirePorts = hostNetworking ? requirePortsRaw : false;

  if (container === undefined && ipAddress !== undefined) container = { type: 'MESOS', volumes: [] };
  if (container === undefined && !hostNetworking) container = { type: 'MESOS', volumes: [] };
  if (container !== undefined) container = normalizePortMappings(container, networks, migratedPortDefs, ipAddress);

  // --- checks, strategies ------------------------------------------------------------------------
  const hasPorts = portDefinitions.length > 0 || (container?.portMappings?.length ?? 0) > 0;
  const healthChecks = readHealthChecks(r, o.healthChecks, hasPorts);
  const readinessChecks = readReadinessChecks(r, o.readinessChecks);
  const resident = container?.volumes.some((v) => v.persistent !== undefined) ?? false;
  const residency = readResidency(r, o.residency, resident);
  const upgradeStrategy = readUpgradeStrategy(r, o.upgradeStrategy, resident);
  const unreachableStrategy = readUnreachable(r, o.unreachableStrategy, resident);

  if (id === undefined) return undefined;
  const app: AppDefinition = {
    id,
    ...(cmd !== undefined ? { cmd } : {}),
    ...(args !== undefined ? { args } : {}),
    ...(user !== undefined ? { user } : {}),
    env, instances, cpus, mem, disk, gpus, executor, constraints, fetch, storeUrls,
    backoffSeconds, backoffFactor, maxLaunchDelaySeconds,
    ...(container !== undefined ? { container } : {}),
    healthChecks, readinessChecks, dependencies, upgradeStrategy, labels,
    ...(acceptedResourceRoles !== undefined ? { acceptedResourceRoles } : {}),
    portDefinitions, requirePorts, networks, secrets,
    ...(taskKillGracePeriodSeconds !== undefined ? { taskKillGracePeriodSeconds } : {}),
    killSelection, unreachableStrategy, role,
    ...(tty !== undefined ? { tty } : {}),
    ...(ipAddress !== undefined ? { ipAddress } : {}),
    ...(residency !== undefined ? { residency } : {}),
    version: now,
    versionInfo: { lastScalingAt: now, lastConfigChangeAt: now },
  };
  return app;
}

function readExecutorResources(r: Reader, v: unknown): void {
  const o = r.obj(v, '/executorResources');
  if (o === undefined) return;
  for (const k of ['cpus', 'mem', 'disk']) r.num(o[k], field('/executorResources', k), { min: 0 });
}

function readEnv(r: Reader, v: unknown): Record<string, EnvValue> {
  const o = r.obj(v, '/env');
  const env: Record<string, EnvValue> = {};
  if (o === undefined) return env;
  for (const [k, x] of Object.entries(o)) {
    const path = field('/env', k);
    if (k === '') r.problems.add(path, 'must not be empty');
    if (typeof x === 'string') env[k] = x;
    else if (isObject(x)) {
      const secret = r.str(x.secret, field(path, 'secret'));
      r.required(secret, x.secret, field(path, 'secret'));
      if (secret !== undefined) env[k] = { secret };
    } else if (!isAbsent(x)) r.problems.add(path, 'error.expected.jsstring');
  }
  return env;
}

function readConstraints(r: Reader, v: unknown): Constraint[] {
  const a = r.arr(v, '/constraints');
  if (a === undefined) return [];
  const out: Constraint[] = [];
  a.forEach((c, i) => {
    const path = at('/constraints', i);
    const parts = r.arr(c, path);
    if (parts === undefined) return;
    const strs: string[] = [];
    parts.forEach((x, j) => {
      if (typeof x === 'string') strs.push(x);
      else if (typeof x === 'number' && Number.isFinite(x)) strs.push(String(x));
      else r.problems.add(at(path, j), 'error.expected.jsstring');
    });
    if (strs.length !== parts.length) return;
    if (strs.length === 3 && strs[1] === 'UNIQUE' && strs[2] === '') strs.pop();
    out.push(strs as unknown as Constraint);
  });
  return out;
}

function readDependencies(r: Reader, v: unknown, parent: PathId): PathId[] {
  const a = r.strArr(v, '/dependencies');
  if (a === undefined) return [];
  const out: PathId[] = [];
  a.forEach((s, i) => {
    const dep = parsePathId(s, parent);
    if (dep === undefined) r.problems.add(at('/dependencies', i), invalidIdMessage);
    else if (!out.includes(dep)) out.push(dep);
  });
  return out;
}

function readFetch(r: Reader, fetchV: unknown, urisV: unknown): FetchUri[] {
  const uris = r.strArr(urisV, '/uris') ?? [];
  const a = r.arr(fetchV, '/fetch') ?? [];
  if (uris.length > 0 && a.length > 0) {
    r.problems.add('/uris', 'may not be set in conjunction with fetch');
    return [];
  }
  if (uris.length > 0) {
    return uris.map((uri) => ({ uri, executable: false, extract: D.isArchiveUri(uri), cache: false }));
  }
  const out: FetchUri[] = [];
  a.forEach((x, i) => {
    const path = at('/fetch', i);
    const f = r.obj(x, path);
    if (f === undefined) return;
    const uri = r.str(f.uri, field(path, 'uri'));
    r.required(uri, f.uri, field(path, 'uri'));
    if (uri === '') r.problems.add(field(path, 'uri'), 'must not be empty');
    const executable = r.bool(f.executable, field(path, 'executable')) ?? D.FETCH_DEFAULTS.executable;
    const extract = r.bool(f.extract, field(path, 'extract')) ?? D.FETCH_DEFAULTS.extract;
    const cache = r.bool(f.cache, field(path, 'cache')) ?? D.FETCH_DEFAULTS.cache;
    const outputFile = r.str(f.outputFile, field(path, 'outputFile'));
    const destPath = r.str(f.destPath, field(path, 'destPath'));
    if (uri === undefined) return;
    out.push({
      uri, executable, extract, cache,
      ...(outputFile !== undefined ? { outputFile } : {}),
      ...(destPath !== undefined ? { destPath } : {}),
    });
  });
  return out;
}

function readIpAddress(r: Reader, v: unknown): Readonly<Record<string, unknown>> | undefined {
  const o = r.obj(v, '/ipAddress');
  if (o === undefined) return undefined;
  r.strArr(o.groups, '/ipAddress/groups');
  r.strMap(o.labels, '/ipAddress/labels');
  r.str(o.networkName, '/ipAddress/networkName');
  const disc = r.obj(o.discovery, '/ipAddress/discovery');
  if (disc !== undefined) {
    const ports = r.arr(disc.ports, '/ipAddress/discovery/ports') ?? [];
    ports.forEach((x, i) => {
      const path = at('/ipAddress/discovery/ports', i);
      const port = r.obj(x, path);
      if (port === undefined) return;
      r.required(r.num(port.number, field(path, 'number'), PORT), port.number, field(path, 'number'));
      r.required(r.str(port.name, field(path, 'name')), port.name, field(path, 'name'));
      r.str(port.protocol, field(path, 'protocol'));
      r.strMap(port.labels, field(path, 'labels'));
    });
  }
  return o;
}

function readNetworks(r: Reader, v: unknown): Network[] | undefined {
  const a = r.arr(v, '/networks');
  if (a === undefined || a.length === 0) return undefined;
  const out: Network[] = [];
  a.forEach((x, i) => {
    const path = at('/networks', i);
    const n = r.obj(x, path);
    if (n === undefined) return;
    const mode = enumOf(r, n.mode, field(path, 'mode'), NETWORK_MODES) ?? (isAbsent(n.mode) ? 'container' : undefined);
    const name = r.str(n.name, field(path, 'name'));
    const labels = r.strMap(n.labels, field(path, 'labels'));
    if (mode === undefined) return;
    out.push({ mode, ...(name !== undefined ? { name } : {}), ...(labels !== undefined ? { labels } : {}) });
  });
  return out;
}

/** The networks an app runs on: explicit `networks`, else the deprecated forms, else host. */
function deriveNetworks(
  r: Reader,
  explicit: Network[] | undefined,
  dockerNetwork: DockerSpec['network'],
  ipAddress: Readonly<Record<string, unknown>> | undefined,
): readonly Network[] {
  const networkName = typeof ipAddress?.networkName === 'string' ? ipAddress.networkName : undefined;
  const fromDocker = (): Network[] | undefined => {
    switch (dockerNetwork) {
      case undefined: return undefined;
      case 'HOST': case 'NONE': return [{ mode: 'host' }];
      case 'BRIDGE': return [{ mode: 'container/bridge' }];
      case 'USER': return [{ mode: 'container', ...(networkName !== undefined ? { name: networkName } : {}) }];
    }
  };
  const legacy = fromDocker() ?? (ipAddress !== undefined
    ? [{ mode: 'container' as const, ...(networkName !== undefined ? { name: networkName } : {}) }]
    : undefined);
  if (explicit !== undefined) {
    const modes = (ns: readonly Network[]) => ns.map((n) => n.mode).join(',');
    if (dockerNetwork !== undefined && legacy !== undefined
      && !(dockerNetwork === 'USER' ? explicit.every((n) => n.mode === 'container') : modes(explicit) === modes(legacy))) {
      r.problems.add('/', 'must not specify both container.docker.network and networks');
    } else if (dockerNetwork === undefined && ipAddress !== undefined && !explicit.every((n) => n.mode === 'container')) {
      r.problems.add('/', 'must not specify both networks and ipAddress');
    }
    return explicit;
  }
  return legacy ?? D.DEFAULT_NETWORKS;
}

function readPorts(r: Reader, v: unknown): number[] | undefined {
  const a = r.arr(v, '/ports');
  if (a === undefined) return undefined;
  const out: number[] = [];
  a.forEach((x, i) => {
    const n = r.num(x, at('/ports', i), PORT);
    if (n !== undefined) out.push(n);
  });
  const nonRandom = out.filter((n) => n !== 0);
  if (new Set(nonRandom).size !== nonRandom.length) r.problems.add('/ports', 'ports must be unique');
  return out;
}

function readPortDefinitions(r: Reader, v: unknown): PortDefinition[] | undefined {
  const a = r.arr(v, '/portDefinitions');
  if (a === undefined) return undefined;
  const out: PortDefinition[] = [];
  a.forEach((x, i) => {
    const path = at('/portDefinitions', i);
    const d = r.obj(x, path);
    if (d === undefined) return;
    const port = r.num(d.port, field(path, 'port'), PORT) ?? 0;
    const protocol = readProtocol(r, d.protocol, field(path, 'protocol'));
    const name = r.str(d.name, field(path, 'name'));
    const labels = r.strMap(d.labels, field(path, 'labels'));
    out.push({ port, protocol, ...(name !== undefined ? { name } : {}), ...(labels !== undefined ? { labels } : {}) });
  });
  return out;
}

function readProtocol(r: Reader, v: unknown, path: string): string {
  const s = r.str(v, path);
  if (s === undefined) return 'tcp';
  if (!['tcp', 'udp', 'udp,tcp', 'tcp,udp'].includes(s)) r.problems.add(path, UNKNOWN_ENUM);
  return s;
}

function readPortMappings(r: Reader, v: unknown, path: string): PortMapping[] | undefined {
  const a = r.arr(v, path);
  if (a === undefined) return undefined;
  const out: PortMapping[] = [];
  a.forEach((x, i) => {
    const mp = at(path, i);
    const m = r.obj(x, mp);
    if (m === undefined) return;
    const containerPort = r.num(m.containerPort, field(mp, 'containerPort'), PORT) ?? 0;
    const hostPort = r.num(m.hostPort, field(mp, 'hostPort'), PORT);
    const servicePort = r.num(m.servicePort, field(mp, 'servicePort'), PORT) ?? 0;
    const protocol = readProtocol(r, m.protocol, field(mp, 'protocol'));
    const name = r.str(m.name, field(mp, 'name'));
    const labels = r.strMap(m.labels, field(mp, 'labels'));
    const networkNames = r.strArr(m.networkNames, field(mp, 'networkNames'));
    out.push({
      containerPort,
      ...(hostPort !== undefined ? { hostPort } : {}),
      servicePort, protocol,
      ...(name !== undefined ? { name } : {}),
      ...(labels !== undefined ? { labels } : {}),
      ...(networkNames !== undefined && networkNames.length > 0 ? { networkNames } : {}),
    });
  });
  return out;
}

function readContainer(r: Reader, v: unknown): Container | undefined {
  const c = r.obj(v, '/container');
  if (c === undefined) return undefined;
  const type = enumOf<Container['type']>(r, c.type, '/container/type', ['DOCKER', 'MESOS']) ?? 'DOCKER';
  const docker = readDocker(r, c.docker, type);
  const volumes = readVolumes(r, c.volumes);
  const portMappings = readPortMappings(r, c.portMappings, '/container/portMappings');
  const dockerMappings = docker?.portMappings;
  let mappings = portMappings;
  if (dockerMappings !== undefined && dockerMappings.length > 0) {
    if (portMappings !== undefined && portMappings.length > 0
      && JSON.stringify(portMappings) !== JSON.stringify(dockerMappings)) {
      r.problems.add('/container', 'cannot specify both portMappings and docker.portMappings');
    }
    mappings = [...dockerMappings];
  }
  const dockerOut = docker === undefined ? undefined : withoutPortMappings(docker);
  return {
    type,
    ...(dockerOut !== undefined ? { docker: dockerOut } : {}),
    volumes,
    ...(mappings !== undefined ? { portMappings: mappings } : {}),
  };
}

function withoutPortMappings(d: DockerSpec): DockerSpec {
  const { portMappings: _pm, ...rest } = d;
  return rest;
}

function readDocker(r: Reader, v: unknown, type: Container['type']): DockerSpec | undefined {
  const d = r.obj(v, '/container/docker');
  if (d === undefined) return undefined;
  const image = r.str(d.image, '/container/docker/image');
  r.required(image, d.image, '/container/docker/image');
  const forcePullImage = r.bool(d.forcePullImage, '/container/docker/forcePullImage') ?? false;
  const privileged = r.bool(d.privileged, '/container/docker/privileged') ?? false;
  const params = r.arr(d.parameters, '/container/docker/parameters') ?? [];
  const parameters: { key: string; value: string }[] = [];
  params.forEach((x, i) => {
    const path = at('/container/docker/parameters', i);
    const kv = r.obj(x, path);
    if (kv === undefined) return;
    const key = r.required(r.str(kv.key, field(path, 'key')), kv.key, field(path, 'key'));
    const value = r.required(r.str(kv.value, field(path, 'value')), kv.value, field(path, 'value'));
    if (key !== undefined && value !== undefined) parameters.push({ key, value });
  });
  const network = enumOf(r, d.network, '/container/docker/network', DOCKER_NETWORKS);
  const portMappings = readPortMappings(r, d.portMappings, '/container/docker/portMappings');
  const credential = r.obj(d.credential, '/container/docker/credential');
  const pullConfig = r.obj(d.pullConfig, '/container/docker/pullConfig');
  if (type === 'MESOS') {
    if (network !== undefined) r.problems.add('/container/docker/network', 'must be empty');
    if (parameters.length > 0) r.problems.add('/container/docker/parameters', 'must be empty');
    if (portMappings !== undefined && portMappings.length > 0) r.problems.add('/container/docker/portMappings', 'must be empty');
  } else if (pullConfig !== undefined) {
    r.problems.add('/container/docker/pullConfig', 'pullConfig is not supported with Docker containerizer');
  }
  return {
    image: image ?? '', forcePullImage, privileged, parameters,
    ...(network !== undefined ? { network } : {}),
    ...(portMappings !== undefined ? { portMappings } : {}),
    ...(credential !== undefined ? { credential } : {}),
    ...(pullConfig !== undefined ? { pullConfig } : {}),
  };
}

function readVolumes(r: Reader, v: unknown): Volume[] {
  const a = r.arr(v, '/container/volumes');
  if (a === undefined) return [];
  const out: Volume[] = [];
  a.forEach((x, i) => {
    const path = at('/container/volumes', i);
    const vol = r.obj(x, path);
    if (vol === undefined) return;
    const containerPath = r.str(vol.containerPath, field(path, 'containerPath'));
    r.required(containerPath, vol.containerPath, field(path, 'containerPath'));
    const hostPath = r.str(vol.hostPath, field(path, 'hostPath'));
    const mode = enumOf<Volume['mode']>(r, vol.mode, field(path, 'mode'), ['RW', 'RO']) ?? 'RW';
    const persistent = r.obj(vol.persistent, field(path, 'persistent'));
    const external = r.obj(vol.external, field(path, 'external'));
    const secret = r.str(vol.secret, field(path, 'secret'));
    if (persistent !== undefined) {
      const sizePath = field(field(path, 'persistent'), 'size');
      const size = r.required(r.num(persistent.size, sizePath, { integer: true }), persistent.size, sizePath);
      if (size !== undefined && size <= 0) r.problems.add(sizePath, 'must be larger than 0');
      if (containerPath !== undefined && containerPath.includes('/')) r.problems.add(field(path, 'containerPath'), 'value must not contain "/"');
      if (mode !== 'RW') r.problems.add(field(path, 'mode'), 'must be RW');
    } else if (external === undefined && secret === undefined) {
      r.required(hostPath, vol.hostPath, field(path, 'hostPath'));
    }
    if (containerPath === '') r.problems.add(field(path, 'containerPath'), 'must not be empty');
    if (containerPath === undefined) return;
    out.push({
      containerPath,
      ...(hostPath !== undefined ? { hostPath } : {}),
      mode,
      ...(persistent !== undefined ? { persistent } : {}),
      ...(external !== undefined ? { external } : {}),
      ...(secret !== undefined ? { secret } : {}),
    });
  });
  return out;
}

/**
 * Port mappings apply to non-host networks only: dropped on host networking; on other networks
 * filled from `ipAddress.discovery.ports` or the default, padded to the deprecated `ports` count,
 * and on the bridge a missing host port becomes 0 (any offered port).
 */
function normalizePortMappings(
  c: Container,
  networks: readonly Network[],
  migratedPortDefs: readonly PortDefinition[] | undefined,
  ipAddress: Readonly<Record<string, unknown>> | undefined,
): Container {
  const { portMappings: given, ...rest } = c;
  if (networks.every((n) => n.mode === 'host')) return rest;
  let mappings: PortMapping[] = [...(given ?? [])];
  if (mappings.length === 0) mappings = discoveryMappings(ipAddress);
  if (mappings.length === 0 && given === undefined) mappings = [...D.DEFAULT_PORT_MAPPINGS];
  const wanted = migratedPortDefs?.length ?? 0;
  while (mappings.length < wanted) mappings.push({ containerPort: 0, servicePort: 0, protocol: 'tcp' });
  if (networks.some((n) => n.mode === 'container/bridge')) {
    mappings = mappings.map((m) => (m.hostPort === undefined ? { ...m, hostPort: 0 } : m));
  }
  return { ...rest, portMappings: mappings };
}

function discoveryMappings(ipAddress: Readonly<Record<string, unknown>> | undefined): PortMapping[] {
  const disc = ipAddress?.discovery;
  if (!isObject(disc) || !Array.isArray(disc.ports)) return [];
  return disc.ports.filter(isObject).map((p) => ({
    containerPort: typeof p.number === 'number' ? p.number : 0,
    servicePort: 0,
    protocol: typeof p.protocol === 'string' ? p.protocol : 'tcp',
    ...(typeof p.name === 'string' ? { name: p.name } : {}),
    ...(isObject(p.labels) ? { labels: p.labels as Record<string, string> } : {}),
  }));
}

function readHealthChecks(r: Reader, v: unknown, hasPorts: boolean): HealthCheck[] {
  const a = r.arr(v, '/healthChecks');
  if (a === undefined) return [];
  const out: HealthCheck[] = [];
  a.forEach((x, i) => {
    const path = at('/healthChecks', i);
    const h = r.obj(x, path);
    if (h === undefined) return;
    let command: { value: string } | undefined;
    if (typeof h.command === 'string') command = { value: h.command };
    else {
      const co = r.obj(h.command, field(path, 'command'));
      if (co !== undefined) {
        const value = r.required(r.str(co.value, field(path, 'command/value')), co.value, field(path, 'command/value'));
        if (value !== undefined) command = { value };
      }
    }
    const protocol = enumOf(r, h.protocol, field(path, 'protocol'), HEALTH_PROTOCOLS)
      ?? (isAbsent(h.protocol) ? (command !== undefined ? 'COMMAND' : 'HTTP') : undefined);
    const num = (k: string, dflt: number, min: number) => r.num(h[k], field(path, k), { integer: true, min }) ?? dflt;
    const gracePeriodSeconds = num('gracePeriodSeconds', D.HEALTH_DEFAULTS.gracePeriodSeconds, 0);
    const intervalSeconds = num('intervalSeconds', D.HEALTH_DEFAULTS.intervalSeconds, 0);
    const timeoutSeconds = num('timeoutSeconds', D.HEALTH_DEFAULTS.timeoutSeconds, 0);
    const maxConsecutiveFailures = num('maxConsecutiveFailures', D.HEALTH_DEFAULTS.maxConsecutiveFailures, 0);
    const delaySeconds = num('delaySeconds', D.HEALTH_DEFAULTS.delaySeconds, 0);
    const portIndexRaw = r.num(h.portIndex, field(path, 'portIndex'), { integer: true, min: 0 });
    const port = r.num(h.port, field(path, 'port'), PORT);
    const pathRaw = r.str(h.path, field(path, 'path'));
    const ignoreHttp1xx = r.bool(h.ignoreHttp1xx, field(path, 'ignoreHttp1xx'));
    const ipProtocol = enumOf<'IPv4' | 'IPv6'>(r, h.ipProtocol, field(path, 'ipProtocol'), ['IPv4', 'IPv6']);
    if (protocol === undefined) return;
    if (protocol === 'COMMAND' && command === undefined) r.problems.add(field(path, 'command'), 'error.path.missing');
    const httpLike = protocol === 'HTTP' || protocol === 'HTTPS' || protocol === 'MESOS_HTTP' || protocol === 'MESOS_HTTPS';
    const portIndex = protocol !== 'COMMAND' && portIndexRaw === undefined && port === undefined && hasPorts ? 0 : portIndexRaw;
    out.push({
      protocol,
      ...(httpLike ? { path: pathRaw ?? D.DEFAULT_HEALTH_PATH } : {}),
      ...(portIndex !== undefined && protocol !== 'COMMAND' ? { portIndex } : {}),
      ...(port !== undefined && protocol !== 'COMMAND' ? { port } : {}),
      ...(protocol === 'COMMAND' && command !== undefined ? { command } : {}),
      gracePeriodSeconds, intervalSeconds, timeoutSeconds, maxConsecutiveFailures, delaySeconds,
      ...(protocol === 'HTTP' || protocol === 'HTTPS' ? { ignoreHttp1xx: ignoreHttp1xx ?? false } : {}),
      ...(ipProtocol !== undefined ? { ipProtocol } : {}),
    });
  });
  return out;
}

function readReadinessChecks(r: Reader, v: unknown): ReadinessCheck[] {
  const a = r.arr(v, '/readinessChecks');
  if (a === undefined) return [];
  const out: ReadinessCheck[] = [];
  a.forEach((x, i) => {
    const path = at('/readinessChecks', i);
    const c = r.obj(x, path);
    if (c === undefined) return;
    const R = D.READINESS_DEFAULTS;
    const codesRaw = r.arr(c.httpStatusCodesForReady, field(path, 'httpStatusCodesForReady'));
    const codes: number[] = [];
    codesRaw?.forEach((n, j) => {
      const code = r.num(n, at(field(path, 'httpStatusCodesForReady'), j), { integer: true, min: 100, max: 999 });
      if (code !== undefined && !codes.includes(code)) codes.push(code);
    });
    const check: ReadinessCheck = {
      name: r.str(c.name, field(path, 'name')) ?? R.name,
      protocol: enumOf<'HTTP' | 'HTTPS'>(r, c.protocol, field(path, 'protocol'), ['HTTP', 'HTTPS']) ?? R.protocol,
      path: r.str(c.path, field(path, 'path')) ?? R.path,
      portName: r.str(c.portName, field(path, 'portName')) ?? R.portName,
      intervalSeconds: r.num(c.intervalSeconds, field(path, 'intervalSeconds'), { integer: true, min: 0 }) ?? R.intervalSeconds,
      timeoutSeconds: r.num(c.timeoutSeconds, field(path, 'timeoutSeconds'), { integer: true, min: 0 }) ?? R.timeoutSeconds,
      httpStatusCodesForReady: codes.length > 0 ? codes : R.httpStatusCodesForReady,
      preserveLastResponse: r.bool(c.preserveLastResponse, field(path, 'preserveLastResponse')) ?? R.preserveLastResponse,
    };
    out.push(check);
  });
  return out;
}

function readResidency(r: Reader, v: unknown, resident: boolean): Readonly<Record<string, unknown>> | undefined {
  const o = r.obj(v, '/residency');
  if (o === undefined) return resident ? { ...D.DEFAULT_RESIDENCY } : undefined;
  const relaunch = r.num(o.relaunchEscalationTimeoutSeconds, '/residency/relaunchEscalationTimeoutSeconds', { integer: true, min: 0 });
  const behavior = enumOf(r, o.taskLostBehavior, '/residency/taskLostBehavior', ['WAIT_FOREVER', 'RELAUNCH_AFTER_TIMEOUT']);
  return {
    relaunchEscalationTimeoutSeconds: relaunch ?? D.DEFAULT_RESIDENCY.relaunchEscalationTimeoutSeconds,
    taskLostBehavior: behavior ?? D.DEFAULT_RESIDENCY.taskLostBehavior,
  };
}

function readUpgradeStrategy(r: Reader, v: unknown, resident: boolean): UpgradeStrategy {
  const dflt = resident ? D.RESIDENT_UPGRADE_STRATEGY : D.DEFAULT_UPGRADE_STRATEGY;
  const o = r.obj(v, '/upgradeStrategy');
  if (o === undefined) return dflt;
  const unit = { min: 0, max: 1 };
  return {
    minimumHealthCapacity: r.num(o.minimumHealthCapacity, '/upgradeStrategy/minimumHealthCapacity', unit) ?? dflt.minimumHealthCapacity,
    maximumOverCapacity: r.num(o.maximumOverCapacity, '/upgradeStrategy/maximumOverCapacity', unit) ?? dflt.maximumOverCapacity,
  };
}

function readUnreachable(r: Reader, v: unknown, resident: boolean): UnreachableStrategy {
  if (v === 'disabled') return 'disabled';
  if (typeof v === 'string') { r.problems.add('/unreachableStrategy', UNKNOWN_ENUM); return 'disabled'; }
  const o = r.obj(v, '/unreachableStrategy');
  if (o === undefined) return resident ? 'disabled' : D.DEFAULT_UNREACHABLE_STRATEGY;
  const secs = { integer: true, min: 0 };
  return {
    inactiveAfterSeconds: r.num(o.inactiveAfterSeconds, '/unreachableStrategy/inactiveAfterSeconds', secs)
      ?? D.DEFAULT_UNREACHABLE_STRATEGY.inactiveAfterSeconds,
    expungeAfterSeconds: r.num(o.expungeAfterSeconds, '/unreachableStrategy/expungeAfterSeconds', secs)
      ?? D.DEFAULT_UNREACHABLE_STRATEGY.expungeAfterSeconds,
  };
}
