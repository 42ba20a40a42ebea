import test from 'ava';
import fc from 'fast-check';
import type { Deployment, Group } from '../model.ts';
import { planDeployment } from './plan.ts';
import { app, group, ids, V2 } from './test-builders.ts';

const opts = { id: 'dep-1', version: V2 };
/** Steps as `Action app` strings, one array per step. */
const shape = (d: Deployment): string[][] => d.steps.map((s) => s.actions.map((a) => `${a.action} ${a.app}`));
const EMPTY = group('/');

/** Marathon's published example (marathon-api-examples/deployment_steps.json), verbatim. */
const DEPLOYMENT_STEPS_EXAMPLE = {
  steps: [
    { actions: [{ action: 'StartApplication', app: '/tools/oauth-server' }] },
    { actions: [{ action: 'ScaleApplication', app: '/tools/oauth-server' }] },
  ],
};

test('a new app: StartApplication, then ScaleApplication (Marathon\'s deployment_steps.json)', (t) => {
  const fixture = DEPLOYMENT_STEPS_EXAMPLE;
  const target = group('/', [], [group('/tools', [app('/tools/oauth-server')])]);
  const d = planDeployment(EMPTY, target, opts);
  t.deepEqual(d.steps, fixture.steps);
  t.deepEqual(d.affectedApps, ids('/tools/oauth-server'));
  t.is(d.currentStep, 1);
});

const a1 = app('/a');
const cases: { name: string; original: Group; target: Group; restart?: string[]; steps: string[][]; affected: string[] }[] = [
  { name: 'delete', original: group('/', [a1]), target: EMPTY, steps: [['StopApplication /a']], affected: ['/a'] },
  {
    name: 'scale only',
    original: group('/', [a1]),
    target: group('/', [app('/a', { instances: 5, version: V2 })]),
    steps: [['ScaleApplication /a']],
    affected: ['/a'],
  },
  {
    name: 'config change (cmd)',
    original: group('/', [a1]),
    target: group('/', [app('/a', { cmd: 'sleep 2', version: V2 })]),
    steps: [['RestartApplication /a']],
    affected: ['/a'],
  },
  {
    name: 'config and scale change: a restart',
    original: group('/', [a1]),
    target: group('/', [app('/a', { cmd: 'sleep 2', instances: 3, version: V2 })]),
    steps: [['RestartApplication /a']],
    affected: ['/a'],
  },
  { name: 'no change: empty plan', original: group('/', [a1]), target: group('/', [a1]), steps: [], affected: [] },
  {
    name: 'only version bookkeeping differs: empty plan',
    original: group('/', [a1]),
    target: group('/', [app('/a', { version: V2, versionInfo: { lastScalingAt: V2, lastConfigChangeAt: V2 } })]),
    steps: [],
    affected: [],
  },
  {
    name: 'restart requested without a change',
    original: group('/', [a1, app('/b')]),
    target: group('/', [a1, app('/b')]),
    restart: ['/a'],
    steps: [['RestartApplication /a']],
    affected: ['/a'],
  },
  {
    name: 'restart of a scale change is a restart',
    original: group('/', [a1]),
    target: group('/', [app('/a', { instances: 4 })]),
    restart: ['/a'],
    steps: [['RestartApplication /a']],
    affected: ['/a'],
  },
  {
    name: 'a restart request for a new app is ignored (it is started)',
    original: EMPTY,
    target: group('/', [a1]),
    restart: ['/a'],
    steps: [['StartApplication /a'], ['ScaleApplication /a']],
    affected: ['/a'],
  },
  {
    name: 'stop, start, scale and restart in one plan; independent apps share steps',
    original: group('/', [app('/old'), app('/s'), app('/c')]),
    target: group('/', [app('/new'), app('/s', { instances: 2 }), app('/c', { mem: 256 })]),
    steps: [
      ['StopApplication /old'],
      ['StartApplication /new'],
      ['ScaleApplication /new', 'RestartApplication /c', 'ScaleApplication /s'].sort(),
    ],
    affected: ['/c', '/new', '/old', '/s'],
  },
  {
    name: 'app dependencies: db before web; cache (independent) with db',
    original: EMPTY,
    target: group('/', [], [group('/prod', [
      app('/prod/web', { dependencies: ids('/prod/db') }),
      app('/prod/db'),
      app('/prod/cache'),
    ])]),
    steps: [
      ['StartApplication /prod/cache', 'StartApplication /prod/db', 'StartApplication /prod/web'],
      ['ScaleApplication /prod/cache', 'ScaleApplication /prod/db'], // layer 1
      ['ScaleApplication /prod/web'], // layer 2: web -> db
    ],
    affected: ['/prod/cache', '/prod/db', '/prod/web'],
  },
  {
    name: 'group dependency across groups: every frontend app after every backend app',
    original: EMPTY,
    target: group('/', [], [
      group('/backend', [app('/backend/db'), app('/backend/mq')]),
      group('/frontend', [app('/frontend/web'), app('/frontend/api')], [], ['/backend']),
    ]),
    steps: [
      ['StartApplication /backend/db', 'StartApplication /backend/mq', 'StartApplication /frontend/api', 'StartApplication /frontend/web'],
      ['ScaleApplication /backend/db', 'ScaleApplication /backend/mq'],
      ['ScaleApplication /frontend/api', 'ScaleApplication /frontend/web'],
    ],
    affected: ['/backend/db', '/backend/mq', '/frontend/api', '/frontend/web'],
  },
  {
    name: 'an app depending on a group waits for every app under it (nested)',
    original: EMPTY,
    target: group('/', [app('/web', { dependencies: ids('/data') })], [
      group('/data', [app('/data/pg')], [group('/data/cache', [app('/data/cache/redis')])]),
    ]),
    steps: [
      ['StartApplication /data/cache/redis', 'StartApplication /data/pg', 'StartApplication /web'],
      ['ScaleApplication /data/cache/redis', 'ScaleApplication /data/pg'],
      ['ScaleApplication /web'],
    ],
    affected: ['/data/cache/redis', '/data/pg', '/web'],
  },
  {
    name: 'chain of three: db <- api <- web, three ordered steps',
    original: group('/', [app('/db'), app('/api', { dependencies: ids('/db') }), app('/web', { dependencies: ids('/api') })]),
    target: group('/', [
      app('/db', { cmd: 'v2' }),
      app('/api', { cmd: 'v2', dependencies: ids('/db') }),
      app('/web', { cmd: 'v2', dependencies: ids('/api') }),
    ]),
    steps: [['RestartApplication /db'], ['RestartApplication /api'], ['RestartApplication /web']],
    affected: ['/api', '/db', '/web'],
  },
  {
    name: 'an unchanged dependency still places its dependent in a later layer (as Marathon)',
    original: group('/', [app('/db'), app('/web', { dependencies: ids('/db') }), app('/other')]),
    target: group('/', [app('/db'), app('/web', { cmd: 'v2', dependencies: ids('/db') }), app('/other', { cmd: 'v2' })]),
    steps: [['RestartApplication /other'], ['RestartApplication /web']],
    affected: ['/other', '/web'],
  },
  {
    name: 'delete with dependencies: dependents are stopped first',
    original: group('/', [app('/db'), app('/web', { dependencies: ids('/db') }), app('/x')]),
    target: EMPTY,
    steps: [['StopApplication /web'], ['StopApplication /db', 'StopApplication /x']],
    affected: ['/db', '/web', '/x'],
  },
  {
    name: 'a dependency cycle (invalid, but must not hang): both still planned',
    original: EMPTY,
    target: group('/', [app('/a', { dependencies: ids('/b') }), app('/b', { dependencies: ids('/a') })]),
    steps: [['StartApplication /a', 'StartApplication /b'], ['ScaleApplication /b'], ['ScaleApplication /a']],
    affected: ['/a', '/b'],
  },
  {
    name: 'an app depending on its own group (self edge ignored)',
    original: EMPTY,
    target: group('/', [], [group('/g', [app('/g/a', { dependencies: ids('/g') }), app('/g/b')])]),
    steps: [['StartApplication /g/a', 'StartApplication /g/b'], ['ScaleApplication /g/b'], ['ScaleApplication /g/a']],
    affected: ['/g/a', '/g/b'],
  },
];

for (const c of cases) {
  test(`plan: ${c.name}`, (t) => {
    const d = planDeployment(c.original, c.target, { ...opts, restart: c.restart ? ids(...c.restart) : undefined });
    t.deepEqual(shape(d).map((s) => [...s].sort()), c.steps.map((s) => [...s].sort()));
    t.deepEqual(d.affectedApps, ids(...c.affected));
    t.is(d.currentStep, c.steps.length > 0 ? 1 : 0);
    t.is(d.id, 'dep-1');
    t.is(d.version, V2);
    t.is(d.original, c.original);
    t.is(d.target, c.target);
  });
}

test('restartApps lists the apps that are restarted (config change or request)', (t) => {
  const d = planDeployment(
    group('/', [app('/a'), app('/b'), app('/c')]),
    group('/', [app('/a', { cmd: 'x' }), app('/b'), app('/c', { instances: 3 })]),
    { ...opts, restart: ids('/b') },
  );
  t.deepEqual(d.restartApps, ids('/a', '/b'));
});

// Property: for any dependency DAG of new apps, every app is scaled in a later step than each of
// its dependencies, each app appears exactly once per phase, and affectedApps is the set of all.
test('property: dependencies are always scaled before their dependents', (t) => {
  const dag = fc.integer({ min: 1, max: 9 }).chain((n) =>
    fc.tuple(
      fc.constant(n),
      // deps[i] ⊆ {0..i-1}: acyclic by construction
      fc.tuple(...Array.from({ length: n }, (_, i) => fc.subarray(Array.from({ length: i }, (_, j) => j)))),
    ));
  fc.assert(fc.property(dag, ([n, deps]) => {
    const name = (i: number) => `/app-${i}`;
    const apps = Array.from({ length: n }, (_, i) => app(name(i), { dependencies: ids(...deps[i].map(name)) }));
    const d = planDeployment(EMPTY, group('/', apps), opts);
    const stepOf = new Map<string, number>();
    d.steps.forEach((s, k) => s.actions.forEach((a) => {
      if (a.action === 'ScaleApplication') {
        if (stepOf.has(a.app)) throw new Error(`${a.app} scaled twice`);
        stepOf.set(a.app, k);
      }
    }));
    t.is(d.steps[0].actions.length, n);
    for (let i = 0; i < n; i++) {
      for (const j of deps[i]) {
        if (!(stepOf.get(name(j))! < stepOf.get(name(i))!)) return false;
      }
    }
    return stepOf.size === n && d.affectedApps.length === n;
  }), { seed: 4242, numRuns: 200 });
  t.pass();
});
