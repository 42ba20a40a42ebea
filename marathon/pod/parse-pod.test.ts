import test from 'ava';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { asPathId } from '../model.ts';
import { invalidIdMessage } from '../app/parse-app.ts';
import { HEALTH_ONE_OF } from './pod-container-parse.ts';
import type { PodDefinition } from './pod-definition.ts';
import { podToJson } from './pod-json.ts';
import { READ_MSG } from './pod-read-parts.ts';
import { POD_MSG } from './pod-validate.ts';
import { ID_MSG, parsePod, type ParsePodContext } from './parse-pod.ts';

const FIXTURE = '/work/shared/fixtures/marathon-api-examples/pod.json';
const podJson = (): any => JSON.parse(readFileSync(FIXTURE, 'utf8'));
const T0 = '2026-11-22T10:00:00.000Z';
const T1 = '2026-11-22T11:00:00.000Z';

function ok(json: unknown, ctx: ParsePodContext = { now: T0 }): PodDefinition {
  const r = parsePod(json, ctx);
  if (!r.ok) throw new Error(`expected a valid pod, got ${JSON.stringify(r.details)}`);
  return r.value;
}
function details(json: unknown, ctx: ParsePodContext = { now: T0 }) {
  const r = parsePod(json, ctx);
  return r.ok ? [] : r.details;
}
const minimal = (extra: Record<string, unknown> = {}, container: Record<string, unknown> = {}) => ({
  id: '/m', ...extra, containers: [{ name: 'c', resources: { cpus: 0.5, mem: 64 }, ...container }],
});

test('pod.json, the published example pod, is accepted with every default filled in', (t) => {
  t.deepEqual(ok(podJson()), {
    id: asPathId('/foo'),
    labels: { owner: 'zeus', note: 'Away from olympus' },
    version: T0,
    user: 'root',
    environment: { XPS1: 'Test', XPS2: 'Rest' },
    containers: [{
      name: 'container1',
      exec: { command: { shell: 'sleep 100' }, overrideEntrypoint: true },
      resources: { cpus: 1, mem: 128, disk: 0, gpus: 0 },
      endpoints: [{ name: 'httpendpoint', containerPort: 80, hostPort: 0, protocol: ['tcp'], labels: {} }],
      image: { kind: 'DOCKER', id: 'mesosphere/marathon:latest', forcePull: false },
      environment: {},
      user: 'root',
      healthCheck: {
        http: { endpoint: 'httpendpoint', path: '/health', scheme: 'HTTP' },
        gracePeriodSeconds: 30, intervalSeconds: 2, maxConsecutiveFailures: 3, timeoutSeconds: 20, delaySeconds: 2,
      },
      volumeMounts: [{ name: 'etc', mountPath: '/mnt/etc', readOnly: true }],
      artifacts: [{ uri: 'https://foo.com/archive.zip', extract: true, executable: false, cache: true, destPath: 'newname.zip' }],
      labels: { owner: 'zeus', note: 'Away from olympus' },
      lifecycle: { killGracePeriodSeconds: 60 },
    }],
    secrets: {},
    volumes: [{ name: 'etc', host: '/hdd/tools/docker/registry' }],
    networks: [{ mode: 'container', name: 'my-network', labels: {} }],
    scaling: { kind: 'fixed', instances: 1, maxInstances: 888 },
    scheduling: {
      backoff: { backoff: 1, backoffFactor: 1.15, maxLaunchDelay: 3600 },
      upgrade: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
      placement: { constraints: [], acceptedResourceRoles: [] },
      killSelection: 'YOUNGEST_FIRST',
      unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
    },
    executorResources: { cpus: 0.2, mem: 64, disk: 50 },
    role: '*',
  });
});

test('pod.json round-trips: podToJson -> parsePod gives the same definition and keeps its version', (t) => {
  const pod = ok(podJson());
  const again = ok(JSON.parse(JSON.stringify(podToJson(pod))), { now: T1, previous: pod });
  t.deepEqual(again, pod);
  t.is(again.version, T0);
});

test('a minimal pod gets Marathon\'s defaults: host networking, any host port, executor 0.1/32/10, backoff 1/1.15/3600', (t) => {
  const pod = ok(minimal({}, { resources: {}, endpoints: [{ name: 'web' }], healthCheck: { tcp: { endpoint: 'web' } } }), { now: T0, defaultRole: 'svc' });
  t.deepEqual(pod, {
    id: asPathId('/m'), labels: {}, version: T0, environment: {},
    containers: [{
      name: 'c',
      resources: { cpus: 1, mem: 128, disk: 0, gpus: 0 },
      endpoints: [{ name: 'web', hostPort: 0, protocol: ['tcp'], labels: {} }],
      environment: {},
      healthCheck: { tcp: { endpoint: 'web' }, gracePeriodSeconds: 300, intervalSeconds: 60, maxConsecutiveFailures: 3, timeoutSeconds: 20, delaySeconds: 15 },
      volumeMounts: [], artifacts: [], labels: {},
    }],
    secrets: {}, volumes: [],
    networks: [{ mode: 'host', labels: {} }],
    scaling: { kind: 'fixed', instances: 1 },
    scheduling: {
      backoff: { backoff: 1, backoffFactor: 1.15, maxLaunchDelay: 3600 },
      upgrade: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
      placement: { constraints: [], acceptedResourceRoles: [] },
      killSelection: 'YOUNGEST_FIRST',
      unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
    },
    executorResources: { cpus: 0.1, mem: 32, disk: 10 },
    role: 'svc',
  });
});

test('endpoints follow the networking: host (implicit) drops containerPort, bridge gets hostPort 0, container keeps it absent', (t) => {
  const ep = { name: 'web', containerPort: 8080 };
  t.deepEqual(ok(minimal({}, { endpoints: [ep] })).containers[0].endpoints[0], { name: 'web', hostPort: 0, protocol: ['tcp'], labels: {} });
  t.deepEqual(ok(minimal({ networks: [{ mode: 'container/bridge' }] }, { endpoints: [ep] })).containers[0].endpoints[0],
    { name: 'web', containerPort: 8080, hostPort: 0, protocol: ['tcp'], labels: {} });
  t.deepEqual(ok(minimal({ networks: [{ name: 'dcos' }] }, { endpoints: [ep] })).containers[0].endpoints[0],
    { name: 'web', containerPort: 8080, protocol: ['tcp'], labels: {} });
  t.deepEqual(ok(minimal({ networks: [{ name: 'dcos' }] })).networks, [{ mode: 'container', name: 'dcos', labels: {} }]);
});

test('a pod with a persistent volume is resident: upgrade 0.5/0, unreachable disabled', (t) => {
  const pod = ok(minimal({ volumes: [{ name: 'data', persistent: { size: 10 } }] }, { volumeMounts: [{ name: 'data', mountPath: 'data' }] }));
  t.deepEqual(pod.scheduling.upgrade, { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 });
  t.is(pod.scheduling.unreachableStrategy, 'disabled');
});

test('constraints: Marathon objects, and the app array form stored as objects; kill selection and unreachable read', (t) => {
  const pod = ok(minimal({
    scheduling: {
      placement: { constraints: [{ fieldName: 'hostname', operator: 'UNIQUE' }, ['rack', 'GROUP_BY', 2]], acceptedResourceRoles: ['*'] },
      killSelection: 'OLDEST_FIRST',
      unreachableStrategy: 'disabled',
    },
  }));
  t.deepEqual(pod.scheduling.placement, {
    constraints: [{ fieldName: 'hostname', operator: 'UNIQUE' }, { fieldName: 'rack', operator: 'GROUP_BY', value: '2' }],
    acceptedResourceRoles: ['*'],
  });
  t.is(pod.scheduling.killSelection, 'OLDEST_FIRST');
  t.is(pod.scheduling.unreachableStrategy, 'disabled');
});

test('env secrets name pod secrets; exec commands take shell or argv', (t) => {
  const pod = ok(minimal(
    { secrets: { s1: { source: '/db/pw' } }, environment: { PW: { secret: 's1' } } },
    { exec: { command: { argv: ['/bin/echo', 'hi'] } }, environment: { X: '1', PW2: { secret: 's1' } } },
  ));
  t.deepEqual(pod.environment, { PW: { secret: 's1' } });
  t.deepEqual(pod.containers[0].exec, { command: { argv: ['/bin/echo', 'hi'] } });
  t.deepEqual(pod.containers[0].environment, { X: '1', PW2: { secret: 's1' } });
});

test('versions: unchanged keeps the previous version; a scale or a config change is a new version', (t) => {
  const prev = ok(minimal());
  const cases: [string, unknown, string][] = [
    ['same definition', minimal(), T0],
    ['scale 1 -> 3', minimal({ scaling: { kind: 'fixed', instances: 3 } }), T1],
    ['label added', minimal({ labels: { a: 'b' } }), T1],
    ['executor resources', minimal({ executorResources: { cpus: 0.5 } }), T1],
  ];
  for (const [name, json, version] of cases) t.is(ok(json, { now: T1, previous: prev }).version, version, name);
});

const C = '/containers(0)';
const VALIDATION: [name: string, json: unknown, path: string, message: string][] = [
  ['not an object', [], '/', 'error.expected.jsobject'],
  ['missing id', { containers: [] }, '/id', 'error.path.missing'],
  ['bad id', minimal({ id: '/Foo_bar' }), '/id', invalidIdMessage],
  ['relative id', minimal({ id: 'foo' }), '/id', ID_MSG.notAbsolute],
  ['root id', minimal({ id: '/' }), '/id', ID_MSG.root],
  ['missing containers', { id: '/m' }, '/containers', 'error.path.missing'],
  ['no containers', { id: '/m', containers: [] }, '/containers', POD_MSG.notEmpty],
  ['missing container resources', { id: '/m', containers: [{ name: 'c' }] }, `${C}/resources`, 'error.path.missing'],
  ['container name pattern', minimal({}, { name: 'Web_1' }), `${C}/name`, READ_MSG.namePattern],
  ['negative cpus', minimal({}, { resources: { cpus: -1 } }), `${C}/resources/cpus`, 'must be larger than or equal to 0'],
  ['negative instances', minimal({ scaling: { kind: 'fixed', instances: -1 } }), '/scaling/instances', 'must be larger than or equal to 0'],
  ['scaling kind', minimal({ scaling: { kind: 'auto', instances: 1 } }), '/scaling/kind', 'error.unknown.enum.literal'],
  ['duplicate container names', { id: '/m', containers: [{ name: 'c', resources: {} }, { name: 'c', resources: {} }] }, '/containers', POD_MSG.containerNamesUnique],
  ['duplicate endpoint names', { id: '/m', containers: [{ name: 'a', resources: {}, endpoints: [{ name: 'e' }] }, { name: 'b', resources: {}, endpoints: [{ name: 'e' }] }] }, '/', POD_MSG.endpointNamesUnique],
  ['duplicate host ports', minimal({}, { endpoints: [{ name: 'a', hostPort: 80 }, { name: 'b', hostPort: 80 }] }), '/', POD_MSG.hostPortsUnique],
  ['duplicate container ports', minimal({ networks: [{ name: 'n' }] }, { endpoints: [{ name: 'a', containerPort: 80 }, { name: 'b', containerPort: 80 }] }), '/', POD_MSG.containerPortsUnique],
  ['host network with containerPort', minimal({ networks: [{ mode: 'host' }] }, { endpoints: [{ name: 'a', containerPort: 80 }] }), `${C}/endpoints(0)/containerPort`, POD_MSG.containerPortForbidden],
  ['container network without containerPort', minimal({ networks: [{ name: 'n' }] }, { endpoints: [{ name: 'a' }] }), `${C}/endpoints(0)/containerPort`, POD_MSG.containerPortRequired],
  ['containerPort 0', minimal({ networks: [{ name: 'n' }] }, { endpoints: [{ name: 'a', containerPort: 0 }] }), `${C}/endpoints(0)/containerPort`, 'got 0, expected between 1 and 65535'],
  ['duplicate protocols', minimal({}, { endpoints: [{ name: 'a', protocol: ['tcp', 'tcp'] }] }), `${C}/endpoints(0)/protocol`, POD_MSG.duplicateProtocols],
  ['two health checks', minimal({}, { endpoints: [{ name: 'a' }], healthCheck: { tcp: { endpoint: 'a' }, http: { endpoint: 'a' } } }), `${C}/healthCheck`, HEALTH_ONE_OF],
  ['no health check kind', minimal({}, { healthCheck: { intervalSeconds: 5 } }), `${C}/healthCheck`, HEALTH_ONE_OF],
  ['health check unknown endpoint', minimal({}, { endpoints: [{ name: 'a' }], healthCheck: { http: { endpoint: 'b' } } }), `${C}/healthCheck/http/endpoint`, POD_MSG.healthEndpoint],
  ['shell and argv', minimal({}, { exec: { command: { shell: 'x', argv: ['x'] } } }), `${C}/exec/command`, READ_MSG.commandOneOf],
  ['empty argv', minimal({}, { exec: { command: { argv: [] } } }), `${C}/exec/command/argv`, POD_MSG.notEmpty],
  ['mount of an unknown volume', minimal({}, { volumeMounts: [{ name: 'v', mountPath: '/v' }] }), `${C}/volumeMounts(0)/name`, POD_MSG.mountVolume],
  ['unmounted volume', minimal({ volumes: [{ name: 'v', host: '/tmp' }] }), '/volumes(0)', POD_MSG.volumeUnreferenced],
  ['env secret unknown', minimal({ environment: { A: { secret: 'nope' } } }), '/environment/A', POD_MSG.undefinedSecret],
  ['env name', minimal({ environment: { '1A': 'x' } }), '/environment/1A', READ_MSG.envName],
  ['constraint operator', minimal({ scheduling: { placement: { constraints: [{ fieldName: 'hostname', operator: 'NEAR' }] } } }), '/scheduling/placement/constraints(0)', 'Constraint operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER or IS'],
  ['constraint CLUSTER without value', minimal({ scheduling: { placement: { constraints: [{ fieldName: 'rack', operator: 'CLUSTER' }] } } }), '/scheduling/placement/constraints(0)', 'Missing value'],
  ['upgrade over 1', minimal({ scheduling: { upgrade: { maximumOverCapacity: 1.5 } } }), '/scheduling/upgrade/maximumOverCapacity', 'must be smaller than or equal to 1'],
  ['host and bridge networks', minimal({ networks: [{ mode: 'host' }, { mode: 'container/bridge' }] }), '/networks', POD_MSG.networkModes],
  ['named host network', minimal({ networks: [{ mode: 'host', name: 'x' }] }), '/networks', POD_MSG.hostNetworkNamed],
  ['duplicate networks', minimal({ networks: [{ name: 'x' }, { name: 'x' }] }), '/networks', POD_MSG.duplicateNetworks],
  ['network mode', minimal({ networks: [{ mode: 'overlay' }] }), '/networks(0)/mode', 'error.unknown.enum.literal'],
  ['image without id', minimal({}, { image: { kind: 'DOCKER' } }), `${C}/image/id`, 'error.path.missing'],
  ['empty user', minimal({ user: '' }), '/user', POD_MSG.notEmpty],
  ['resident with unreachable', minimal({ volumes: [{ name: 'v', persistent: { size: 1 } }], scheduling: { unreachableStrategy: { inactiveAfterSeconds: 1 } } }, { volumeMounts: [{ name: 'v', mountPath: 'v' }] }), '/scheduling/unreachableStrategy', POD_MSG.residentUnreachable],
  ['wrong type', minimal({ labels: { a: 1 } }), '/labels/a', 'error.expected.jsstring'],
];

for (const [name, json, path, message] of VALIDATION) {
  test(`refused: ${name} -> ${path}: ${message}`, (t) => {
    const d = details(json);
    t.true(d.some((x) => x.path === path && x.errors.includes(message)), JSON.stringify(d));
  });
}

/**
 * Arbitrary pod JSON from a small grammar of Marathon's fields, mostly valid (endpoint names made
 * unique per container, volumes declared for the mounts) with the ways to be invalid kept: bad
 * ids, ports against the network mode, unknown health endpoints, relative mount paths, scale -1.
 */
const containerArb = fc.record({
  name: fc.constantFrom('a', 'b', 'web-1'),
  resources: fc.record({ cpus: fc.constantFrom(0, 0.1, 1, 2), mem: fc.constantFrom(16, 128) }),
  endpoints: fc.uniqueArray(fc.record({
    name: fc.constantFrom('http', 'admin', 'x'),
    containerPort: fc.option(fc.integer({ min: 0, max: 9000 }), { nil: undefined, freq: 2 }),
    hostPort: fc.option(fc.constantFrom(0, 80, 8080), { nil: undefined }),
    protocol: fc.option(fc.constantFrom(['tcp'], ['udp', 'tcp']), { nil: undefined }),
  }, { requiredKeys: ['name'] }), { selector: (e) => e.name, maxLength: 2 }),
  healthCheck: fc.option(fc.constantFrom({ http: { endpoint: 'http', path: '/ping' } }, { tcp: { endpoint: 'x' } }, { exec: { command: { shell: 'true' } } }), { nil: undefined }),
  volumeMounts: fc.array(fc.record({ name: fc.constantFrom('v1', 'v2'), mountPath: fc.constantFrom('/m', '/n') }), { maxLength: 1 }),
}, { requiredKeys: ['name', 'resources'] });

const podArb = fc.record({
  id: fc.constantFrom('/a', '/a/b', '/x.y/z-1', 'rel', '/A'),
  networks: fc.option(fc.constantFrom([], [{ mode: 'host' }], [{ mode: 'container/bridge' }], [{ name: 'n1' }], [{ name: 'n1' }, { name: 'n2' }]), { nil: undefined }),
  instances: fc.option(fc.integer({ min: -1, max: 5 }), { nil: undefined }),
  containers: fc.uniqueArray(containerArb, { selector: (c) => c.name, minLength: 1, maxLength: 3 }),
}, { requiredKeys: ['id', 'containers'] }).map((raw) => {
  const containers = raw.containers.map((c, i) => ({
    ...c,
    endpoints: (c.endpoints ?? []).map((e) => ({ ...e, name: `${e.name}${i}` })),
    ...(c.healthCheck?.http !== undefined ? { healthCheck: { http: { ...c.healthCheck.http, endpoint: `http${i}` } } } : {}),
    ...(c.healthCheck?.tcp !== undefined ? { healthCheck: { tcp: { endpoint: `x${i}` } } } : {}),
  }));
  const volumes = [...new Set(containers.flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)))].map((name) => ({ name, host: `/srv/${name}` }));
  return {
    id: raw.id, containers, volumes,
    ...(raw.networks !== undefined ? { networks: raw.networks } : {}),
    ...(raw.instances !== undefined ? { scaling: { kind: 'fixed', instances: raw.instances } } : {}),
  };
});

test('property: parsePod never throws, and whatever it accepts round-trips through podToJson with its version', (t) => {
  let accepted = 0;
  fc.assert(fc.property(podArb, (json) => {
    const r = parsePod(json, { now: T0 });
    if (!r.ok) return r.details.length > 0;
    accepted += 1;
    const again = parsePod(JSON.parse(JSON.stringify(podToJson(r.value))), { now: T1, previous: r.value });
    return again.ok && JSON.stringify(again.value) === JSON.stringify(r.value);
  }), { numRuns: 400, seed: 42 });
  t.true(accepted >= 40, `only ${accepted} of 400 generated pods were valid: the property would say little`);
});
