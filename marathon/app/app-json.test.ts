import test from 'ava';
import { readFileSync } from 'node:fs';
import type { AppDefinition } from '../model.ts';
import { appToJson } from './app-json.ts';
import { parseApp } from './parse-app.ts';
import { pythonModel, toSnakeCase, unknownKeys } from './python-client-models.ts';

const FIXTURES = '/work/shared/fixtures/marathon-api-examples';
const fixture = (name: string): any => JSON.parse(readFileSync(`${FIXTURES}/${name}`, 'utf8'));
const T0 = '2026-11-22T10:00:00.000Z';

function ok(json: unknown): AppDefinition {
  const r = parseApp(json, { now: T0 });
  if (!r.ok) throw new Error(JSON.stringify(r.details));
  return r.value;
}

/** Apps that together set every optional field python-marathon knows. */
function richApps(): AppDefinition[] {
  const { ipAddress: _ip, args: _a, ...appJson } = fixture('app.json');
  return [
    ok({ ...appJson, secrets: { ...appJson.secrets, '/db/password': { source: '/p' } } }),
    ok(fixture('app-simple.json')),
    ok({
      id: '/ip', args: ['run'], user: 'nobody', acceptedResourceRoles: ['*'], taskKillGracePeriodSeconds: 5,
      ipAddress: { networkName: 'n', groups: ['g'], labels: { a: 'b' } },
      container: { type: 'MESOS', docker: { image: 'busybox' }, volumes: [{ containerPath: 'data', mode: 'RW', persistent: { size: 64 } }] },
      healthChecks: [{ protocol: 'MESOS_TCP' }], unreachableStrategy: 'disabled', residency: { taskLostBehavior: 'WAIT_FOREVER' },
      storeUrls: ['http://store/a'], killSelection: 'OLDEST_FIRST', role: 'prod', gpus: 1,
    }),
  ];
}

test('python-marathon model parameters are read from the installed client', (t) => {
  t.is(toSnakeCase('maxLaunchDelaySeconds'), 'max_launch_delay_seconds');
  t.is(toSnakeCase('ignoreHttp1xx'), 'ignore_http1xx');
  t.is(toSnakeCase('httpStatusCodesForReady'), 'http_status_codes_for_ready');
  const app = pythonModel('app.py', 'MarathonApp');
  t.true(app.params.has('port_definitions'));
  t.false(app.params.has('tty'));
  t.false(app.open);
  t.true(pythonModel('app.py', 'MarathonHealthCheck').open);
});

test('appToJson keys are all accepted by python-marathon 0.13 models (tty only when set)', (t) => {
  const models = {
    app: pythonModel('app.py', 'MarathonApp'),
    container: pythonModel('container.py', 'MarathonContainer'),
    portMapping: pythonModel('container.py', 'MarathonContainerPortMapping'),
    volume: pythonModel('container.py', 'MarathonContainerVolume'),
    upgrade: pythonModel('app.py', 'MarathonUpgradeStrategy'),
    unreachable: pythonModel('app.py', 'MarathonUnreachableStrategy'),
    versionInfo: pythonModel('app.py', 'MarathonAppVersionInfo'),
    readiness: pythonModel('app.py', 'ReadinessCheck'),
    portDefinition: pythonModel('app.py', 'PortDefinition'),
    residency: pythonModel('app.py', 'Residency'),
    secret: pythonModel('app.py', 'Secret'),
  };
  let checked = 0;
  for (const app of richApps()) {
    const j = appToJson(app) as any;
    const { tty: _tty, ...rest } = j;
    const check = (m: keyof typeof models, o: Record<string, unknown>, where: string) => {
      t.deepEqual(unknownKeys(models[m], o), [], `${app.id} ${where}`);
      checked += 1;
    };
    check('app', rest, 'app');
    if (j.container) {
      check('container', j.container, 'container');
      for (const m of j.container.portMappings ?? []) check('portMapping', m, 'portMapping');
      for (const v of j.container.volumes) check('volume', v, 'volume');
    }
    check('upgrade', j.upgradeStrategy, 'upgradeStrategy');
    if (j.unreachableStrategy !== 'disabled') check('unreachable', j.unreachableStrategy, 'unreachableStrategy');
    check('versionInfo', j.versionInfo, 'versionInfo');
    for (const r of j.readinessChecks) check('readiness', r, 'readinessCheck');
    for (const d of j.portDefinitions) check('portDefinition', d, 'portDefinition');
    if (j.residency) check('residency', j.residency, 'residency');
    for (const s of Object.values(j.secrets)) check('secret', s as Record<string, unknown>, 'secret');
  }
  t.true(checked > 15, `checked ${checked} objects`);
});

test('appToJson: unset optional fields are left out, never null', (t) => {
  const j = appToJson(ok({ id: '/a', cmd: 'x' }));
  for (const k of ['args', 'user', 'container', 'acceptedResourceRoles', 'ipAddress', 'residency', 'taskKillGracePeriodSeconds', 'tty']) {
    t.false(k in j, k);
  }
  t.false(Object.values(j).includes(null));
  t.false('tasksRunning' in j, 'status fields are the REST layer\'s');
});
