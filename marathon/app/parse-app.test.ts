import test from 'ava';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { asPathId, type AppDefinition } from '../model.ts';
import { stableJson } from './app-change.ts';
import { appToJson } from './app-json.ts';
import { MSG } from './app-validate.ts';
import { invalidIdMessage, parseApp } from './parse-app.ts';

const FIXTURES = '/work/shared/fixtures/marathon-api-examples';
const fixture = (name: string): any => JSON.parse(readFileSync(`${FIXTURES}/${name}`, 'utf8'));
const T0 = '2026-11-22T10:00:00.000Z';
const T1 = '2026-11-22T11:00:00.000Z';

function ok(json: unknown, ctx: Parameters<typeof parseApp>[1] = { now: T0 }): AppDefinition {
  const r = parseApp(json, ctx);
  if (!r.ok) throw new Error(`expected a valid app, got ${JSON.stringify(r.details)}`);
  return r.value;
}
function details(json: unknown, ctx: Parameters<typeof parseApp>[1] = { now: T0 }) {
  const r = parseApp(json, ctx);
  return r.ok ? [] : r.details;
}

test('app-simple.json: every Marathon default filled in', (t) => {
  t.deepEqual(ok(fixture('app-simple.json')), {
    id: asPathId('/simple'), cmd: 'sleep 1000', env: {}, instances: 2, cpus: 0.1, mem: 16, disk: 0, gpus: 0,
    executor: '', constraints: [], fetch: [], storeUrls: [], backoffSeconds: 1, backoffFactor: 1.15,
    maxLaunchDelaySeconds: 3600, healthChecks: [], readinessChecks: [], dependencies: [],
    upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 }, labels: {},
    portDefinitions: [{ port: 0, protocol: 'tcp', name: 'default' }], requirePorts: false,
    networks: [{ mode: 'host' }], secrets: {}, killSelection: 'YOUNGEST_FIRST',
    unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 }, role: '*',
    version: T0, versionInfo: { lastScalingAt: T0, lastConfigChangeAt: T0 },
  });
});

test('an app without a role gets marathon\'s --mesos_role (defaultRole); one that names a role keeps it', (t) => {
  t.is(ok({ id: '/r', cmd: 'sleep 1' }, { now: T0, defaultRole: 'services' }).role, 'services');
  t.is(ok({ id: '/r', cmd: 'sleep 1', role: 'batch' }, { now: T0, defaultRole: 'services' }).role, 'batch');
  t.is(ok({ id: '/r', cmd: 'sleep 1' }).role, '*');
});

test('app-check-http-example.json: relative id, named port; the Mesos check is accepted and dropped', (t) => {
  const app = ok(fixture('app-check-http-example.json'));
  t.is<string, string>(app.id, '/http-index-test');
  t.deepEqual(app.portDefinitions, [{ port: 0, protocol: 'tcp', name: 'http' }]);
  t.false('check' in app);
});

test('apps_create.json: both apps parse, dependencies kept absolute', (t) => {
  const [a, b] = (fixture('apps_create.json') as unknown[]).map((j) => ok(j));
  t.is<string, string>(a.id, '/test/sleep60');
  t.deepEqual(a.dependencies, ['/test/sleep120', '/other/namespace/or/app']);
  t.is<string, string>(b.id, '/test/sleep120');
  t.is(b.mem, 9);
});

test('app.json, the published example app, is accepted: ipAddress wins over port definitions, Docker port mappings over discovery ports, args over cmd, and PASSWORD refers to its secret by source', (t) => {
  const raw = fixture('app.json');
  const app = ok(raw);
  t.is(app.cmd, 'sleep 1000');
  t.deepEqual(app.args, ['sleep', '100']);
  t.deepEqual(app.networks, [{ mode: 'container/bridge' }]);
  t.deepEqual(app.portDefinitions, [], 'port definitions apply to host networking only');
  t.false(app.requirePorts);
  t.deepEqual(app.container?.portMappings, [
    { containerPort: 80, hostPort: 0, servicePort: 10019, protocol: 'tcp', name: 'http', labels: { vip: '192.168.0.1:80' } },
  ]);
  t.is(app.container?.docker?.network, 'BRIDGE');
  t.false('portMappings' in (app.container?.docker ?? {}), 'docker.portMappings migrated to container.portMappings');
  t.deepEqual(app.fetch, [
    { uri: 'https://foo.com/setup.py', executable: false, extract: true, cache: false },
    { uri: 'https://foo.com/archive.zip', executable: false, extract: true, cache: true, destPath: 'newname.zip' },
  ]);
  t.deepEqual(app.healthChecks, [{
    protocol: 'HTTP', path: '/', portIndex: 0, gracePeriodSeconds: 300, intervalSeconds: 20, timeoutSeconds: 20,
    maxConsecutiveFailures: 3, delaySeconds: 15, ignoreHttp1xx: false,
  }]);
  t.deepEqual(app.readinessChecks[0].httpStatusCodesForReady, [200]);
  t.is(app.maxLaunchDelaySeconds, 3600);
  t.is(app.taskKillGracePeriodSeconds, 30);
  t.true(app.tty);
  t.deepEqual(app.env.PASSWORD, { secret: '/db/password' });
  t.deepEqual(app.ipAddress?.groups, ['dev']);
});

test('app_list.json (GET output sent back): status fields ignored, uris/ports translated, UNIQUE "" dropped', (t) => {
  const app = ok(fixture('app_list.json').apps[0]);
  t.is(app.version, T0, 'the input version is ignored');
  t.deepEqual(app.constraints, [['hostname', 'UNIQUE']]);
  t.deepEqual(app.portDefinitions, [{ port: 10013, protocol: 'tcp' }, { port: 10015, protocol: 'tcp' }]);
  t.deepEqual(app.fetch, [{
    uri: 'https://raw.github.com/mesosphere/marathon/master/README.md', executable: false, extract: false, cache: false,
  }]);
  t.false('args' in app);
  t.false('container' in app);
});

test('relative ids and dependencies resolve against the base group and the app parent', (t) => {
  const base = asPathId('/prod');
  const cases: [string, string | undefined][] = [
    ['web', '/prod/web'], ['./web', '/prod/web'], ['../web', '/web'], ['/abs/web', '/abs/web'], ['Web', undefined],
  ];
  for (const [id, expected] of cases) {
    const r = parseApp({ id, cmd: 'x' }, { now: T0, base });
    t.is<string | undefined, string | undefined>(r.ok ? r.value.id : undefined, expected, id);
  }
  t.deepEqual(ok({ id: '/a/b/c', cmd: 'x', dependencies: ['d', '../e'] }).dependencies, ['/a/b/d', '/a/e']);
});

test('versions: new, config change, scale-only, no change', (t) => {
  const prev = ok({ id: '/v', cmd: 'sleep 1', instances: 1 }, { now: T0 });
  const cases: [string, object, string, string, string][] = [
    // name, input, version, lastScalingAt, lastConfigChangeAt
    ['no change', { id: '/v', cmd: 'sleep 1', instances: 1 }, T0, T0, T0],
    ['GET output back', appToJson(prev), T0, T0, T0],
    ['scale only', { id: '/v', cmd: 'sleep 1', instances: 3 }, T1, T1, T0],
    ['config change', { id: '/v', cmd: 'sleep 2', instances: 1 }, T1, T1, T1],
    ['config and scale', { id: '/v', cmd: 'sleep 2', instances: 5 }, T1, T1, T1],
  ];
  for (const [name, input, version, scaling, config] of cases) {
    const app = ok(input, { now: T1, previous: prev });
    t.deepEqual([app.version, app.versionInfo.lastScalingAt, app.versionInfo.lastConfigChangeAt], [version, scaling, config], name);
  }
});

test('validation: each rule answers at its path with its message', (t) => {
  const base = { id: '/x', cmd: 'sleep 1' };
  const cases: [string, object, { path: string; errors: string[] }[]][] = [
    ['not an object', [] as unknown as object, [{ path: '/', errors: ['error.expected.jsobject'] }]],
    ['id missing', { cmd: 'x' }, [{ path: '/id', errors: ['error.path.missing'] }]],
    ['id invalid', { ...base, id: '/Bad_Id' }, [{ path: '/id', errors: [invalidIdMessage] }]],
    ['id root', { ...base, id: '/' }, [{ path: '/id', errors: ['must not be root'] }]],
    ['cpus string', { ...base, cpus: '1' }, [{ path: '/cpus', errors: ['error.expected.jsnumber'] }]],
    ['cpus negative', { ...base, cpus: -1 }, [{ path: '/cpus', errors: ['must be larger than or equal to 0'] }]],
    ['mem negative', { ...base, mem: -5 }, [{ path: '/mem', errors: ['must be larger than or equal to 0'] }]],
    ['instances negative', { ...base, instances: -1 }, [{ path: '/instances', errors: ['must be larger than or equal to 0'] }]],
    ['instances fraction', { ...base, instances: 1.5 }, [{ path: '/instances', errors: ['error.expected.int'] }]],
    ['backoffFactor < 1', { ...base, backoffFactor: 0.5 }, [{ path: '/backoffFactor', errors: ['must be larger than or equal to 1'] }]],
    ['upgradeStrategy > 1', { ...base, upgradeStrategy: { minimumHealthCapacity: 1.5 } },
      [{ path: '/upgradeStrategy/minimumHealthCapacity', errors: ['must be smaller than or equal to 1'] }]],
    ['neither cmd nor args nor image', { id: '/x' }, [{ path: '/', errors: [MSG.cmdArgsContainer] }]],
    ['cmd and args both (args win at launch)', { ...base, args: ['a'] }, []],
    ['env secret by an undefined name', { ...base, env: { P: { secret: 'nope' } }, secrets: { s1: { source: '/db/p' } } },
      [{ path: '/env/P', errors: ['references an undefined secret'] }]],
    ['env secret by a defined source', { ...base, env: { P: { secret: '/db/p' } }, secrets: { s1: { source: '/db/p' } } }, []],
    ['empty cmd', { id: '/x', cmd: '' }, [{ path: '/cmd', errors: ['must not be an empty string'] }]],
    ['image alone is enough', { id: '/x', container: { docker: { image: 'nginx' } } }, []],
    ['args with image', { id: '/x', args: ['-v'], container: { type: 'DOCKER', docker: { image: 'nginx' } } }, []],
    ['docker image missing', { ...base, container: { type: 'DOCKER', docker: {} } },
      [{ path: '/container/docker/image', errors: ['error.path.missing'] }]],
    ['constraint unknown operator', { ...base, constraints: [['hostname', 'NEAR']] },
      [{ path: '/constraints(0)', errors: [MSG.constraintOperator] }]],
    ['UNIQUE with value', { ...base, constraints: [['hostname', 'UNIQUE', 'x']] },
      [{ path: '/constraints(0)', errors: ['Value specified but not used'] }]],
    ['CLUSTER without value', { ...base, constraints: [['rack', 'CLUSTER']] }, [{ path: '/constraints(0)', errors: ['Missing value'] }]],
    ['LIKE bad regex', { ...base, constraints: [['hostname', 'LIKE', '([a-z']] },
      [{ path: '/constraints(0)', errors: ["'([a-z' is not a valid regular expression"] }]],
    ['MAX_PER not a number', { ...base, constraints: [['rack', 'MAX_PER', 'two']] },
      [{ path: '/constraints(0)', errors: ['Value was not specified or is not a number'] }]],
    ['GROUP_BY number ok, python int value ok', { ...base, constraints: [['rack', 'GROUP_BY', 3]] }, []],
    ['constraint element not a string', { ...base, constraints: [['rack', true]] },
      [{ path: '/constraints(0)(1)', errors: ['error.expected.jsstring'] }]],
    ['health portIndex out of range', { ...base, healthChecks: [{ protocol: 'HTTP', portIndex: 1 }] },
      [{ path: '/healthChecks(0)', errors: [MSG.healthPortIndex] }]],
    ['health portIndex type', { ...base, healthChecks: [{ portIndex: 'a' }] },
      [{ path: '/healthChecks(0)/portIndex', errors: ['error.expected.jsnumber'] }]],
    ['COMMAND without command', { ...base, healthChecks: [{ protocol: 'COMMAND' }] },
      [{ path: '/healthChecks(0)/command', errors: ['error.path.missing'] }]],
    ['two Mesos health checks', { ...base, healthChecks: [{ protocol: 'MESOS_TCP' }, { protocol: 'MESOS_HTTP' }] },
      [{ path: '/', errors: [MSG.oneMesosHealthCheck] }]],
    ['duplicate port names', { ...base, portDefinitions: [{ port: 0, name: 'a' }, { port: 0, name: 'a' }] },
      [{ path: '/portDefinitions', errors: [MSG.portNamesUnique] }]],
    ['duplicate fixed ports', { ...base, portDefinitions: [{ port: 80 }, { port: 80 }] },
      [{ path: '/portDefinitions', errors: [MSG.portsUnique] }]],
    ['port out of range', { ...base, portDefinitions: [{ port: 70000 }] },
      [{ path: '/portDefinitions(0)/port', errors: ['must be smaller than or equal to 65535'] }]],
    ['env value a number', { ...base, env: { A: 1 } }, [{ path: '/env/A', errors: ['error.expected.jsstring'] }]],
    ['env undefined secret', { ...base, env: { A: { secret: 's' } } }, [{ path: '/env/A', errors: ['references an undefined secret'] }]],
    ['env defined secret', { ...base, env: { A: { secret: 's' } }, secrets: { s: { source: '/a' } } }, []],
    ['label value not a string', { ...base, labels: { a: 1 } }, [{ path: '/labels/a', errors: ['error.expected.jsstring'] }]],
    ['unknown network mode', { ...base, networks: [{ mode: 'overlay' }] },
      [{ path: '/networks(0)/mode', errors: ['error.unknown.enum.literal'] }]],
    ['host mixed with container', { ...base, networks: [{ mode: 'host' }, { mode: 'container', name: 'n' }] },
      [{ path: '/networks', errors: [MSG.networks] }]],
    ['docker.network disagrees with networks', { ...base, networks: [{ mode: 'host' }], container: { docker: { image: 'a', network: 'BRIDGE' } } },
      [{ path: '/', errors: ['must not specify both container.docker.network and networks'] }]],
    ['uris and fetch', { ...base, uris: ['http://a'], fetch: [{ uri: 'http://b' }] },
      [{ path: '/uris', errors: ['may not be set in conjunction with fetch'] }]],
    ['ports and different portDefinitions', { ...base, ports: [1], portDefinitions: [{ port: 2 }] },
      [{ path: '/', errors: ['cannot specify both ports and port definitions'] }]],
    ['readiness portName unknown', { ...base, readinessChecks: [{ portName: 'web' }] },
      [{ path: '/readinessChecks(0)/portName', errors: ['No port definition reference for portName web'] }]],
    ['persistent volume without residency is defaulted', {
      ...base, container: { type: 'MESOS', volumes: [{ containerPath: 'data', mode: 'RW', persistent: { size: 10 } }] },
    }, []],
    ['residency without persistent volumes', { ...base, residency: {} }, [{ path: '/', errors: [MSG.residency] }]],
    ['killSelection unknown', { ...base, killSelection: 'RANDOM' }, [{ path: '/killSelection', errors: ['error.unknown.enum.literal'] }]],
    ['acceptedResourceRoles empty', { ...base, acceptedResourceRoles: [] }, [{ path: '/acceptedResourceRoles', errors: ['must not be empty'] }]],
    ['gpus on docker', { id: '/x', gpus: 1, container: { docker: { image: 'a' } } }, [{ path: '/', errors: [MSG.gpuDocker] }]],
    ['unknown fields ignored', { ...base, tasksRunning: 3, deployments: [{ id: 'd' }], somethingNew: 1 }, []],
  ];
  for (const [name, input, expected] of cases) t.deepEqual(details(input), expected, name);
});

test('non-host networks: default port mapping, bridge host ports 0, MESOS container created', (t) => {
  const bridge = ok({ id: '/b', cmd: 'x', networks: [{ mode: 'container/bridge' }] });
  t.deepEqual(bridge.container, {
    type: 'MESOS', volumes: [], portMappings: [{ containerPort: 0, hostPort: 0, servicePort: 0, protocol: 'tcp', name: 'default' }],
  });
  t.deepEqual(bridge.portDefinitions, []);
  const user = ok({ id: '/u', cmd: 'x', container: { docker: { image: 'i', network: 'USER' } }, ipAddress: { networkName: 'dcos' } });
  t.deepEqual(user.networks, [{ mode: 'container', name: 'dcos' }]);
  const host = ok({ id: '/h', cmd: 'x', container: { docker: { image: 'i', network: 'HOST' }, portMappings: [{ containerPort: 80 }] } });
  t.false('portMappings' in (host.container ?? {}), 'port mappings are dropped on host networking');
  t.deepEqual(host.portDefinitions, [{ port: 0, protocol: 'tcp', name: 'default' }]);
});

test('group.json apps (1.x GET output with deprecated fields) parse', (t) => {
  const tools = fixture('group.json').groups[0];
  const oauth = ok(tools.apps[0]);
  t.deepEqual(oauth.portDefinitions, [{ port: 1980, protocol: 'tcp' }]);
  t.deepEqual(oauth.networks, [{ mode: 'host' }]);
  t.deepEqual(oauth.healthChecks[0].portIndex, 0);
  const registry = ok(tools.groups[1].apps[0]);
  t.deepEqual(registry.networks, [{ mode: 'container/bridge' }]);
  t.deepEqual(registry.container?.portMappings, [{ containerPort: 5000, hostPort: 0, servicePort: 5000, protocol: 'tcp' }]);
});

// --- round trip -----------------------------------------------------------------------------

function roundTrip(t: import('ava').ExecutionContext, app: AppDefinition, label: string): void {
  const json = JSON.parse(JSON.stringify(appToJson(app)));
  const again = parseApp(json, { now: T1, previous: app });
  if (!again.ok) t.fail(`${label}: ${JSON.stringify(again.details)}`);
  else t.deepEqual(again.value, app, label);
}

test('round trip: parseApp(appToJson(app)) is the app, for every fixture app', (t) => {
  const raw = fixture('app.json');
  const { ipAddress: _ip, args: _a, ...appJson } = raw;
  const inputs: [string, unknown][] = [
    ['app-simple', fixture('app-simple.json')],
    ['app-check-http-example', fixture('app-check-http-example.json')],
    ['app.json fixed', { ...appJson, secrets: { ...appJson.secrets, '/db/password': { source: '/p' } } }],
    ['app_list', fixture('app_list.json').apps[0]],
    ...(fixture('apps_create.json') as unknown[]).map((j, i): [string, unknown] => [`apps_create ${i}`, j]),
    ['oauth', fixture('group.json').groups[0].apps[0]],
    ['datadog', fixture('group.json').groups[0].apps[1]],
    ['registry', fixture('group.json').groups[0].groups[1].apps[0]],
    ['ipAddress mesos', { id: '/ip', cmd: 'x', ipAddress: { networkName: 'n', discovery: { ports: [{ number: 80, name: 'http', protocol: 'tcp' }] } } }],
    ['resident', { id: '/r', cmd: 'x', container: { type: 'MESOS', volumes: [{ containerPath: 'd', mode: 'RW', persistent: { size: 1 } }] } }],
    ['command check', { id: '/c', cmd: 'x', healthChecks: [{ protocol: 'COMMAND', command: { value: 'true' } }], unreachableStrategy: 'disabled' }],
  ];
  for (const [label, json] of inputs) roundTrip(t, ok(json), label);
});

const appJsonArb = fc.record({
  id: fc.constantFrom('/a', '/g/b', '/g/h/c'),
  cmd: fc.option(fc.constantFrom('sleep 10', 'env'), { nil: undefined }),
  instances: fc.option(fc.nat(20), { nil: undefined }),
  cpus: fc.option(fc.double({ min: 0, max: 8, noNaN: true }), { nil: undefined }),
  mem: fc.option(fc.integer({ min: 0, max: 4096 }), { nil: undefined }),
  labels: fc.option(fc.dictionary(fc.constantFrom('a', 'b', 'owner'), fc.string()), { nil: undefined }),
  env: fc.option(fc.dictionary(fc.constantFrom('A', 'B_1'), fc.string()), { nil: undefined }),
  constraints: fc.option(fc.array(fc.constantFrom(['hostname', 'UNIQUE'], ['rack', 'GROUP_BY', '2'], ['host', 'LIKE', 'a.*'])), { nil: undefined }),
  networking: fc.constantFrom('host', 'bridge', 'docker-bridge', 'user', 'ports'),
  health: fc.constantFrom('none', 'http', 'tcp', 'command', 'mesos'),
  upgradeStrategy: fc.option(fc.record({ minimumHealthCapacity: fc.double({ min: 0, max: 1, noNaN: true }), maximumOverCapacity: fc.double({ min: 0, max: 1, noNaN: true }) }), { nil: undefined }),
  killSelection: fc.option(fc.constantFrom('YOUNGEST_FIRST', 'OLDEST_FIRST'), { nil: undefined }),
  fetch: fc.option(fc.array(fc.record({ uri: fc.constantFrom('http://x/a.tgz', 'http://x/b'), cache: fc.boolean() })), { nil: undefined }),
});

function toInput(a: typeof appJsonArb extends fc.Arbitrary<infer V> ? V : never): Record<string, unknown> {
  const { networking, health, ...rest } = a;
  const out: Record<string, unknown> = { ...rest, cmd: rest.cmd ?? 'true' };
  if (networking === 'bridge') out.networks = [{ mode: 'container/bridge' }];
  if (networking === 'docker-bridge') out.container = { docker: { image: 'nginx', network: 'BRIDGE', portMappings: [{ containerPort: 80, name: 'web' }] } };
  if (networking === 'user') out.networks = [{ mode: 'container', name: 'overlay' }];
  if (networking === 'ports') out.ports = [0, 8080];
  if (health === 'http') out.healthChecks = [{ protocol: 'HTTP', path: '/health' }];
  if (health === 'tcp') out.healthChecks = [{ protocol: 'TCP', portIndex: 0 }];
  if (health === 'command') out.healthChecks = [{ command: { value: 'true' } }];
  if (health === 'mesos') out.healthChecks = [{ protocol: 'MESOS_HTTP' }];
  return out;
}

test('property: any valid app round-trips through appToJson and keeps its version', (t) => {
  fc.assert(fc.property(appJsonArb, (a) => {
    const r = parseApp(toInput(a), { now: T0 });
    if (!r.ok) return false;
    const back = parseApp(JSON.parse(JSON.stringify(appToJson(r.value))), { now: T1, previous: r.value });
    return back.ok && stableJson(back.value) === stableJson(r.value);
  }), { numRuns: 300 });
  t.pass();
});

const KEYS = ['id', 'cmd', 'args', 'instances', 'cpus', 'mem', 'env', 'labels', 'constraints', 'container', 'networks', 'ports',
  'portDefinitions', 'healthChecks', 'readinessChecks', 'fetch', 'uris', 'upgradeStrategy', 'unreachableStrategy', 'secrets',
  'ipAddress', 'residency', 'dependencies', 'killSelection', 'acceptedResourceRoles'];

test('property: parseApp never throws; it answers a value or details with JSON paths', (t) => {
  const anyApp = fc.oneof(
    fc.anything(),
    fc.dictionary(fc.constantFrom(...KEYS), fc.anything({ maxDepth: 3 })),
    fc.record({ id: fc.constantFrom('/a', 'b', '/C'), cmd: fc.constant('x'), container: fc.anything({ maxDepth: 3 }) }),
  );
  fc.assert(fc.property(anyApp, (json) => {
    const r = parseApp(json, { now: T0 });
    return r.ok ? r.value.version === T0 : r.details.length > 0 && r.details.every((d) => d.path.startsWith('/') && d.errors.length > 0);
  }), { numRuns: 1000 });
  t.pass();
});
