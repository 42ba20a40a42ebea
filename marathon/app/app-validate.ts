/**
 * Semantic validation of a normalised app definition (Marathon 1.x `AppValidation`): the rules
 * that span fields (command or container, port indices, port names, secrets referenced by env,
 * constraints per operator, networks, residency, readiness). Type errors are parse-app's.
 *
 * Messages are Marathon's where it has one; `path` is the JSON path of the offending value, `/`
 * for rules over the whole app. Returns `[]` for a valid app.
 */
import type { AppDefinition, Constraint } from '../model.ts';
import type { ValidationDetail } from '../ports.ts';
import { LABEL_SINGLE_INSTANCE_APP } from './app-defaults.ts';
import { at, createProblems, field, type Problems } from './json-reader.ts';

export const CONSTRAINT_OPERATORS = ['UNIQUE', 'CLUSTER', 'GROUP_BY', 'LIKE', 'UNLIKE', 'MAX_PER', 'IS'] as const;

export const MSG = {
  cmdArgsContainer: "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.",
  healthPortIndex: 'Health check port indices must address an element of the ports array or container port mappings.',
  oneMesosHealthCheck: 'AppDefinition can contain at most one Mesos health check',
  portNamesUnique: 'Port names must be unique.',
  portsUnique: 'Ports must be unique.',
  undefinedSecret: 'references an undefined secret',
  residency: 'App must contain persistent volumes and define residency',
  residentUnreachable: 'unreachableStrategy must be disabled for resident tasks',
  singleInstance: 'Single instance app may only have one instance',
  gpuDocker: 'GPU resources only work with the Mesos containerizer',
  networks: 'Must specify either a single host network, a single bridge network, or at least one container network',
  dockerOneNetwork: 'may only specify a single container network when using the Docker container engine',
  constraintOperator: 'Constraint operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER or IS',
  executor: "must fully match regular expression '^(//cmd)|(/?[^/]+(/[^/]+)*)|$'",
  ipv6: 'IPv6 can only be used for container type DOCKER and Mesos http/https/tcp health checks',
} as const;

/** Why one constraint is invalid, or undefined when it is fine (Marathon's per-operator rules). */
export function constraintProblem(c: Constraint): string | undefined {
  if (c.length < 2 || c.length > 3) return 'Each constraint must have either 2 or 3 fields';
  const [fieldName, op, value] = c;
  if (fieldName === '') return 'Missing field and operator';
  switch (op) {
    case 'UNIQUE': return value === undefined ? undefined : 'Value specified but not used';
    case 'CLUSTER': case 'IS': return value === undefined ? 'Missing value' : undefined;
    case 'GROUP_BY': return value === undefined || isInt(value) ? undefined : 'Value was specified but is not a number';
    case 'MAX_PER': return value !== undefined && isInt(value) ? undefined : 'Value was not specified or is not a number';
    case 'LIKE': case 'UNLIKE':
      if (value === undefined) return 'A regular expression value must be provided';
      return isRegex(value) ? undefined : `'${value}' is not a valid regular expression`;
    default: return MSG.constraintOperator;
  }
}

const isInt = (s: string): boolean => /^[+-]?\d+$/.test(s) && Math.abs(Number(s)) <= 2147483647;

function isRegex(s: string): boolean {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}

const EXECUTOR = /^(\/\/cmd|\/?[^/]+(\/[^/]+)*|)$/;

export function validateApp(app: AppDefinition): ValidationDetail[] {
  const p = createProblems();
  commandRules(app, p);
  resourceRules(app, p);
  portRules(app, p);
  healthRules(app, p);
  secretRules(app, p);
  app.constraints.forEach((c, i) => {
    const why = constraintProblem(c);
    if (why !== undefined) p.add(at('/constraints', i), why);
  });
  networkRules(app, p);
  residencyRules(app, p);
  readinessRules(app, p);
  return p.list();
}

function isSecretReference(app: AppDefinition, ref: string): boolean {
  return ref in app.secrets || Object.values(app.secrets).some((s) => s.source === ref);
}

function hasImage(app: AppDefinition): boolean {
  return app.container?.docker !== undefined;
}

function commandRules(app: AppDefinition, p: Problems): void {
  const cmd = app.cmd !== undefined && app.cmd !== '';
  const args = (app.args?.length ?? 0) > 0;
  // Both `cmd` and `args` are accepted (the published example app has both): `args` win at launch,
  // as a Mesos CommandInfo with arguments runs them without the shell (launch/task-info.ts).
  if (!cmd && !args && !hasImage(app)) p.add('/', MSG.cmdArgsContainer);
  if (!EXECUTOR.test(app.executor)) p.add('/executor', MSG.executor);
  if (app.container?.type === 'DOCKER') {
    if (app.container.docker === undefined) p.add('/container/docker', 'error.path.missing');
    else if (app.container.docker.image === '') p.add('/container/docker/image', 'must not be empty');
  } else if (app.container?.docker !== undefined && app.container.docker.image === '') {
    p.add('/container/docker/image', 'must not be empty');
  }
}

function resourceRules(app: AppDefinition, p: Problems): void {
  if (app.gpus > 0 && app.container?.type === 'DOCKER') p.add('/', MSG.gpuDocker);
  if (app.labels[LABEL_SINGLE_INSTANCE_APP] === 'true') {
    if (app.instances > 1) p.add('/', MSG.singleInstance);
    if (app.upgradeStrategy.minimumHealthCapacity !== 0) p.add('/upgradeStrategy/minimumHealthCapacity', 'must be equal to 0');
    if (app.upgradeStrategy.maximumOverCapacity !== 0) p.add('/upgradeStrategy/maximumOverCapacity', 'must be equal to 0');
  }
}

function duplicates<T>(xs: readonly T[]): boolean {
  return new Set(xs).size !== xs.length;
}

function portRules(app: AppDefinition, p: Problems): void {
  const defs = app.portDefinitions;
  if (duplicates(defs.flatMap((d) => (d.name === undefined ? [] : [d.name])))) p.add('/portDefinitions', MSG.portNamesUnique);
  if (duplicates(defs.map((d) => d.port).filter((n) => n !== 0))) p.add('/portDefinitions', MSG.portsUnique);
  const mappings = app.container?.portMappings ?? [];
  if (duplicates(mappings.flatMap((m) => (m.name === undefined ? [] : [m.name])))) p.add('/container/portMappings', MSG.portNamesUnique);
  const networkNames = app.networks.flatMap((n) => (n.name === undefined ? [] : [n.name]));
  const containerNetworks = app.networks.filter((n) => n.mode === 'container').length;
  mappings.forEach((m, i) => {
    const path = at('/container/portMappings', i);
    (m.networkNames ?? []).forEach((name, j) => {
      if (!networkNames.includes(name)) p.add(at(field(path, 'networkNames'), j), `is not one of (${networkNames.join(',')})`);
    });
    if (containerNetworks > 1 && m.hostPort !== undefined && (m.networkNames?.length ?? 0) !== 1) {
      p.add(path, 'networkNames must be a single item list when hostPort is specified and more than 1 container network is defined');
    }
  });
}

/** Indices a health check's `portIndex` may address (port mappings if any, else port definitions). */
function portIndexCount(app: AppDefinition): number {
  const mappings = app.container?.portMappings ?? [];
  return mappings.length > 0 ? mappings.length : app.portDefinitions.length;
}

function healthRules(app: AppDefinition, p: Problems): void {
  const count = portIndexCount(app);
  let mesosChecks = 0;
  app.healthChecks.forEach((h, i) => {
    const path = at('/healthChecks', i);
    const marathonRun = h.protocol === 'HTTP' || h.protocol === 'HTTPS' || h.protocol === 'TCP';
    if (marathonRun) {
      const ok = h.portIndex !== undefined ? h.portIndex < count : h.port !== undefined || count === 1;
      if (!ok) p.add(path, MSG.healthPortIndex);
    }
    if (h.protocol !== 'COMMAND' && !marathonRun) mesosChecks += 1;
    const mesosNet = h.protocol === 'MESOS_HTTP' || h.protocol === 'MESOS_HTTPS' || h.protocol === 'MESOS_TCP';
    if (h.ipProtocol === 'IPv6' && !(mesosNet && app.container?.type === 'DOCKER')) p.add(path, MSG.ipv6);
  });
  if (mesosChecks > 1) p.add('/', MSG.oneMesosHealthCheck);
}

function secretRules(app: AppDefinition, p: Problems): void {
  for (const [name, s] of Object.entries(app.secrets)) {
    if (name === '') p.add('/secrets', 'must not be empty');
    if (s.source === '') p.add(field(field('/secrets', name), 'source'), 'must not be empty');
  }
  for (const [name, v] of Object.entries(app.env)) {
    // A reference names a secret by its name or by its source (the published example's `PASSWORD`
    // refers to `/db/password`, the source of its `secret1`).
    if (typeof v !== 'string' && !isSecretReference(app, v.secret)) p.add(field('/env', name), MSG.undefinedSecret);
  }
  (app.container?.volumes ?? []).forEach((v, i) => {
    if (v.secret !== undefined && !(v.secret in app.secrets)) {
      p.add(at('/container/volumes', i), 'volume.secret must refer to an existing secret');
    }
  });
}

function networkRules(app: AppDefinition, p: Problems): void {
  const modes = app.networks.map((n) => n.mode);
  const valid = (modes.length === 1 && (modes[0] === 'host' || modes[0] === 'container/bridge'))
    || (modes.length > 0 && modes.every((m) => m === 'container'));
  if (!valid) p.add('/networks', MSG.networks);
  app.networks.forEach((n, i) => {
    if (n.mode !== 'container' && n.name !== undefined) p.add(field(at('/networks', i), 'name'), 'must be empty');
  });
  if (app.container?.type === 'DOCKER' && modes.filter((m) => m === 'container').length > 1) p.add('/', MSG.dockerOneNetwork);
}

function residencyRules(app: AppDefinition, p: Problems): void {
  const persistent = (app.container?.volumes ?? []).some((v) => v.persistent !== undefined);
  if (persistent !== (app.residency !== undefined)) p.add('/', MSG.residency);
  if (persistent && app.residency !== undefined) {
    if (app.unreachableStrategy !== 'disabled') p.add('/', MSG.residentUnreachable);
    if (app.upgradeStrategy.maximumOverCapacity !== 0) p.add('/upgradeStrategy/maximumOverCapacity', 'must be equal to 0');
  }
}

function readinessRules(app: AppDefinition, p: Problems): void {
  if (app.readinessChecks.length > 1) p.add('/readinessChecks', 'must have at most 1 element');
  const mappings = app.container?.portMappings ?? [];
  const names = (mappings.length > 0 ? mappings : app.portDefinitions).flatMap((x) => (x.name === undefined ? [] : [x.name]));
  app.readinessChecks.forEach((rc, i) => {
    const path = at('/readinessChecks', i);
    if (!names.includes(rc.portName)) p.add(field(path, 'portName'), `No port definition reference for portName ${rc.portName}`);
    if (rc.timeoutSeconds >= rc.intervalSeconds) p.add(field(path, 'timeoutSeconds'), 'must be smaller than intervalSeconds');
  });
}
