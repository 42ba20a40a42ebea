import test from 'ava';
import type { DeclaredPort } from '../placement/app-ports.ts';
import { app } from '../placement/test-builders.ts';
import { javaDouble, labelsEnv, portsEnv, taskEnvironment } from './task-env.ts';

const doubles: ReadonlyArray<[number, string]> = [
  [0, '0.0'], [1, '1.0'], [0.1, '0.1'], [0.25, '0.25'], [16, '16.0'], [128.5, '128.5'], [1e7, '1.0E7'], [1.5e7, '1.5E7'], [0.0005, '5.0E-4'],
];
for (const [x, want] of doubles) test(`javaDouble(${x}) = ${want}`, (t) => t.is(javaDouble(x), want));

test('labels: escaped upper-case names, too long names and values left out (Marathon example)', (t) => {
  const longName = 'longlabel'.repeat(493);
  const longValue = 'longvalue'.repeat(512);
  t.deepEqual(labelsEnv({ label: 'VALUE1', 'label-with-invalid-chars': 'VALUE2', 'other--label\\--\\a': 'VALUE3', [longName]: 'v', 'label-long': longValue }), [
    ['MARATHON_APP_LABELS', 'LABEL LABEL_WITH_INVALID_CHARS OTHER_LABEL_A'],
    ['MARATHON_APP_LABEL_LABEL', 'VALUE1'],
    ['MARATHON_APP_LABEL_LABEL_WITH_INVALID_CHARS', 'VALUE2'],
    ['MARATHON_APP_LABEL_OTHER_LABEL_A', 'VALUE3'],
  ]);
});

const dp = (requested: number, hostPort: number | undefined, extra: Partial<DeclaredPort> = {}): DeclaredPort =>
  ({ protocol: 'tcp', labels: {}, requested, hostPort, ...extra });

test('ports env: host ports 1000, 1001 for port definitions 8080, 8081', (t) => {
  t.deepEqual(portsEnv([dp(8080, 0), dp(8081, 0)], [1000, 1001]), [
    ['PORT0', '1000'], ['PORT1', '1001'], ['PORT_8080', '1000'], ['PORT_8081', '1001'], ['PORT', '1000'], ['PORTS', '1000,1001'],
  ]);
});

test('ports env: dynamic definitions are keyed by their host port', (t) => {
  t.deepEqual(portsEnv([dp(0, 0)], [31005]), [['PORT0', '31005'], ['PORT_31005', '31005'], ['PORT', '31005'], ['PORTS', '31005']]);
});

test('ports env: named mappings', (t) => {
  t.deepEqual(portsEnv([dp(8080, 0, { name: 'http', containerPort: 8080 }), dp(8081, 0, { name: 'jabber', containerPort: 8081 })], [1000, 1001]), [
    ['PORT0', '1000'], ['PORT1', '1001'], ['PORT_8080', '1000'], ['PORT_8081', '1001'], ['PORT_HTTP', '1000'], ['PORT_JABBER', '1001'],
    ['PORT', '1000'], ['PORTS', '1000,1001'],
  ]);
});

test('ports env: virtual network mix (Marathon example: container-only, dynamic, fixed host ports)', (t) => {
  const declared = [dp(0, undefined), dp(100, 0), dp(200, 25002), dp(0, 25001), dp(400, undefined), dp(0, 0)];
  const env = new Map(portsEnv(declared, [undefined, 25000, 25002, 25001, undefined, 25003]));
  t.is(env.get('PORT0'), '1025'); // generated: lowest free above 1024
  t.is(env.get('PORT_1025'), '1025');
  t.is(env.get('PORT1'), '25000');
  t.is(env.get('PORT_100'), '25000');
  t.is(env.get('PORT2'), '25002');
  t.is(env.get('PORT_200'), '25002');
  t.is(env.get('PORT3'), '25001');
  t.is(env.get('PORT_25001'), '25001');
  t.is(env.get('PORT4'), '400');
  t.is(env.get('PORT_400'), '400');
  t.is(env.get('PORT5'), '25003');
  t.is(env.get('PORT_25003'), '25003');
  t.is(env.get('PORT'), '25000');
  t.is(env.get('PORTS'), '25000,25002,25001,25003,1025'); // host ports first, then generated ones
});

test('ports env: no declared ports, no port variables', (t) => t.deepEqual(portsEnv([], []), []));

test('the app env wins over injected variables, in place; secret references are skipped', (t) => {
  const a = app({ id: '/test', env: { PORT: '1', PORT0: '1', PORT_8080: 'port8080', MESOS_TASK_ID: 'mine', DB: { secret: 'db' }, OWN: 'x' } });
  const env = taskEnvironment(a, 'task-123', 'host.mega.corp', [dp(8080, 0)], [1000]);
  const m = new Map(env);
  t.is(m.get('PORT'), '1');
  t.is(m.get('PORT0'), '1');
  t.is(m.get('PORT_8080'), 'port8080');
  t.is(m.get('MESOS_TASK_ID'), 'mine');
  t.is(m.get('HOST'), 'host.mega.corp');
  t.false(m.has('DB'));
  t.is(env[0][0], 'MESOS_TASK_ID'); // replaced in place
  t.deepEqual(env[env.length - 1], ['OWN', 'x']);
  t.is(new Set(env.map(([k]) => k)).size, env.length);
});

test('docker image and gpus in the task context', (t) => {
  const a = app({ id: '/app', cpus: 10, mem: 256, disk: 128, gpus: 2, labels: { LABEL1: 'VALUE1', LABEL2: 'VALUE2' },
    container: { type: 'DOCKER', docker: { image: 'myregistry/myimage:version', forcePullImage: false, privileged: false, parameters: [] }, volumes: [] } });
  const env = new Map(taskEnvironment(a, 't', 'h', [], []));
  t.is(env.get('MARATHON_APP_DOCKER_IMAGE'), 'myregistry/myimage:version');
  t.is(env.get('MARATHON_APP_RESOURCE_CPUS'), '10.0');
  t.is(env.get('MARATHON_APP_RESOURCE_MEM'), '256.0');
  t.is(env.get('MARATHON_APP_RESOURCE_DISK'), '128.0');
  t.is(env.get('MARATHON_APP_RESOURCE_GPUS'), '2');
  t.is(env.get('MARATHON_APP_LABELS'), 'LABEL1 LABEL2');
  t.false(env.has('PORTS'));
});
