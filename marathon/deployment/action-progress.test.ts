import test from 'ava';
import type { AppDefinition, DeploymentActionName, Instance } from '../model.ts';
import { actionProgress, type ActionDecision } from './action-progress.ts';
import { app, HTTP_CHECK, instance, V1, V2 } from './test-builders.ts';

const at = (min: number) => `2026-11-22T10:${String(min).padStart(2, '0')}:00.000Z`;
/** A running instance of version `v`, started at minute `min`. */
const up = (id: string, v: string, min = 0, over: Partial<Instance> = {}): Instance =>
  instance(id, { version: v, stagedAt: at(min), startedAt: at(min), condition: 'Running', ...over });

function decide(
  action: DeploymentActionName,
  a: AppDefinition,
  instances: Instance[],
  extra: { notReady?: string[]; restartBefore?: string } = {},
): ActionDecision {
  return actionProgress({
    action: { action, app: a.id },
    app: a,
    instances,
    isReady: (id) => !(extra.notReady ?? []).includes(id),
    restartBefore: extra.restartBefore,
  });
}

const scaleApp = (n: number, over: Partial<AppDefinition> = {}) => app('/app', { instances: n, version: V2, ...over });

const scaleCases: { name: string; app: AppDefinition; instances: Instance[]; notReady?: string[]; expected: ActionDecision }[] = [
  { name: 'from 0 to 3: launch 3', app: scaleApp(3), instances: [], expected: { launch: 3, kill: [], done: false } },
  {
    name: 'launched ones count (idempotent): 1 running + 2 provisioned of 3',
    app: scaleApp(3),
    instances: [up('a', V2), instance('b', { condition: 'Provisioned' }), instance('c', { condition: 'Staging' })],
    expected: { launch: 0, kill: [], done: false },
  },
  {
    name: '3 running of 3: done',
    app: scaleApp(3),
    instances: [up('a', V2), up('b', V2), up('c', V2)],
    expected: { launch: 0, kill: [], done: true },
  },
  {
    name: 'down from 4 to 2, YOUNGEST_FIRST: the two youngest',
    app: scaleApp(2),
    instances: [up('a', V2, 1), up('b', V2, 4), up('c', V2, 2), up('d', V2, 3)],
    expected: { launch: 0, kill: ['b', 'd'], done: false },
  },
  {
    name: 'down from 4 to 2, OLDEST_FIRST: the two oldest',
    app: scaleApp(2, { killSelection: 'OLDEST_FIRST' }),
    instances: [up('a', V2, 1), up('b', V2, 4), up('c', V2, 2), up('d', V2, 3)],
    expected: { launch: 0, kill: ['a', 'c'], done: false },
  },
  {
    name: 'down: a staging one goes before running ones',
    app: scaleApp(2),
    instances: [up('a', V2, 1), up('b', V2, 2), instance('s', { condition: 'Staging', stagedAt: at(0) })],
    expected: { launch: 0, kill: ['s'], done: false },
  },
  {
    name: 'kills asked for are not asked again; done waits until they are gone',
    app: scaleApp(2),
    instances: [up('a', V2), up('b', V2), up('c', V2, 5, { goal: 'Stopped' })],
    expected: { launch: 0, kill: [], done: false },
  },
  {
    name: 'killed instance gone (terminal): done',
    app: scaleApp(2),
    instances: [up('a', V2), up('b', V2), up('c', V2, 5, { goal: 'Stopped', condition: 'Killed' })],
    expected: { launch: 0, kill: [], done: true },
  },
  {
    name: 'a failed instance is replaced',
    app: scaleApp(2),
    instances: [up('a', V2), instance('f', { condition: 'Failed', version: V2 })],
    expected: { launch: 1, kill: [], done: false },
  },
  {
    name: 'an inactive unreachable instance is replaced, not counted',
    app: scaleApp(2),
    instances: [up('a', V2), up('u', V2, 0, { condition: 'UnreachableInactive' })],
    expected: { launch: 1, kill: [], done: false },
  },
  {
    name: 'health checks: running but not healthy yet is not done',
    app: scaleApp(2, { healthChecks: [HTTP_CHECK] }),
    instances: [up('a', V2, 0, { healthy: true }), up('b', V2)],
    expected: { launch: 0, kill: [], done: false },
  },
  {
    name: 'health checks: all healthy is done',
    app: scaleApp(2, { healthChecks: [HTTP_CHECK] }),
    instances: [up('a', V2, 0, { healthy: true }), up('b', V2, 0, { healthy: true })],
    expected: { launch: 0, kill: [], done: true },
  },
  {
    name: 'readiness: a not-ready instance holds the step',
    app: scaleApp(2),
    instances: [up('a', V2), up('b', V2)],
    notReady: ['b'],
    expected: { launch: 0, kill: [], done: false },
  },
  {
    name: 'an unreachable (still active) instance counts but holds the step',
    app: scaleApp(2),
    instances: [up('a', V2), up('u', V2, 0, { condition: 'Unreachable' })],
    expected: { launch: 0, kill: [], done: false },
  },
  { name: 'scale to 0 with nothing: done', app: scaleApp(0), instances: [], expected: { launch: 0, kill: [], done: true } },
];

for (const c of scaleCases) {
  test(`Scale: ${c.name}`, (t) => {
    t.deepEqual(decide('ScaleApplication', c.app, c.instances, { notReady: c.notReady }), c.expected);
  });
}

test('Start: nothing to do, done at once (the next step scales)', (t) => {
  t.deepEqual(decide('StartApplication', scaleApp(5), []), { launch: 0, kill: [], done: true });
});

test('ResolveArtifacts: done at once', (t) => {
  t.deepEqual(decide('ResolveArtifacts', scaleApp(5), []), { launch: 0, kill: [], done: true });
});

const stopCases: { name: string; instances: Instance[]; expected: ActionDecision }[] = [
  { name: 'nothing left: done', instances: [], expected: { launch: 0, kill: [], done: true } },
  {
    name: 'kills all wanted instances, any version or condition, in kill order',
    instances: [up('a', V1, 1), instance('p', { condition: 'Provisioned' }), up('b', V2, 3), up('x', V1, 0, { goal: 'Decommissioned' })],
    expected: { launch: 0, kill: ['p', 'b', 'a'], done: false },
  },
  {
    name: 'all asked, still dying: not done, nothing new',
    instances: [up('a', V1, 1, { goal: 'Decommissioned', condition: 'Killing' })],
    expected: { launch: 0, kill: [], done: false },
  },
  {
    name: 'an unreachable instance being killed does not hold the step (the core expunges it)',
    instances: [up('a', V1, 1, { goal: 'Decommissioned', condition: 'Unreachable' }), up('k', V1, 1, { goal: 'Decommissioned', condition: 'Killed' })],
    expected: { launch: 0, kill: [], done: true },
  },
];

for (const c of stopCases) {
  test(`Stop: ${c.name}`, (t) => {
    t.deepEqual(decide('StopApplication', app('/app', { version: V1 }), c.instances), c.expected);
  });
}

const restartApp = (n: number, mhc: number, moc: number, over: Partial<AppDefinition> = {}) =>
  app('/app', { instances: n, version: V2, upgradeStrategy: { minimumHealthCapacity: mhc, maximumOverCapacity: moc }, ...over });
const olds = (n: number, over: Partial<Instance> = {}) => Array.from({ length: n }, (_, k) => up(`old-${k}`, V1, k, over));
const news = (n: number, over: Partial<Instance> = {}) => Array.from({ length: n }, (_, k) => up(`new-${k}`, V2, 30 + k, over));

const restartCases: { name: string; app: AppDefinition; instances: Instance[]; notReady?: string[]; restartBefore?: string; expected: ActionDecision }[] = [
  {
    // min 4, max 8: nothing may be killed yet; 4 new fit
    name: 'defaults (1, 1), 4 old: launch 4, kill none',
    app: restartApp(4, 1, 1),
    instances: olds(4),
    expected: { launch: 4, kill: [], done: false },
  },
  {
    name: 'defaults, 4 old + 4 new launching: nothing new (idempotent)',
    app: restartApp(4, 1, 1),
    instances: [...olds(4), ...news(4, { condition: 'Staging' })],
    expected: { launch: 0, kill: [], done: false },
  },
  {
    // healthy 4 + 2 = 6, min 4: 2 old may go; youngest old first
    name: 'defaults, 2 of 4 new healthy: kill 2 old',
    app: restartApp(4, 1, 1),
    instances: [...olds(4), ...news(2), ...news(4).slice(2).map((i) => ({ ...i, condition: 'Starting' as const }))],
    expected: { launch: 0, kill: ['old-3', 'old-2'], done: false },
  },
  {
    // min 2, max 4: 2 old killed at once (Marathon's nrToKillImmediately), no room to launch yet
    name: '(0.5, 0), 4 old: kill 2 at once, launch nothing',
    app: restartApp(4, 0.5, 0),
    instances: olds(4),
    expected: { launch: 0, kill: ['old-3', 'old-2'], done: false },
  },
  {
    name: '(0.5, 0), 2 killed and gone: launch 2',
    app: restartApp(4, 0.5, 0),
    instances: olds(2),
    expected: { launch: 2, kill: [], done: false },
  },
  {
    name: '(0.5, 0), 2 kills still dying: they take capacity, launch nothing',
    app: restartApp(4, 0.5, 0),
    instances: [...olds(2), ...olds(4).slice(2).map((i) => ({ ...i, goal: 'Stopped' as const, condition: 'Killing' as const }))],
    expected: { launch: 0, kill: [], done: false },
  },
  {
    // min 3 = max 3: one extra instance allowed
    name: '(1, 0), 3 old: launch exactly 1 (temporary over-capacity)',
    app: restartApp(3, 1, 0),
    instances: olds(3),
    expected: { launch: 1, kill: [], done: false },
  },
  {
    name: '(1, 0), 3 old + 1 new healthy: kill 1 old',
    app: restartApp(3, 1, 0),
    instances: [...olds(3), ...news(1)],
    expected: { launch: 0, kill: ['old-2'], done: false },
  },
  {
    name: '(1, 0), 3 old + 1 new not ready: kill nothing',
    app: restartApp(3, 1, 0),
    instances: [...olds(3), ...news(1)],
    notReady: ['new-0'],
    expected: { launch: 0, kill: [], done: false },
  },
  {
    name: 'health checks: a new running but unhealthy instance does not let an old one go',
    app: restartApp(2, 1, 0, { healthChecks: [HTTP_CHECK] }),
    instances: [...olds(2, { healthy: true }), ...news(1)],
    expected: { launch: 0, kill: [], done: false },
  },
  {
    name: 'health unknown after a failover: kills no more than running - minHealthy (0.5 of 4 -> 2)',
    app: restartApp(4, 0.5, 0, { healthChecks: [HTTP_CHECK] }),
    instances: olds(4),
    expected: { launch: 0, kill: ['old-3', 'old-2'], done: false },
  },
  {
    name: 'old instances not yet running are killed at once (they serve nothing)',
    app: restartApp(2, 1, 0),
    instances: [...olds(2), up('old-s', V1, 9, { condition: 'Staging' })],
    expected: { launch: 0, kill: ['old-s'], done: false },
  },
  {
    name: 'an unreachable old instance is killed at once; an inactive one takes no capacity',
    app: restartApp(2, 1, 0),
    instances: [up('old-0', V1, 0), up('old-u', V1, 1, { condition: 'Unreachable' }), up('old-i', V1, 2, { condition: 'UnreachableInactive' })],
    // min 2, max 3; active: old-0, old-u = 2 -> room for 1
    expected: { launch: 1, kill: ['old-i', 'old-u'], done: false },
  },
  {
    name: 'all new healthy, old gone: done',
    app: restartApp(3, 1, 1),
    instances: news(3),
    expected: { launch: 0, kill: [], done: true },
  },
  {
    name: 'all new healthy, an old kill still dying: not done',
    app: restartApp(3, 1, 1),
    instances: [...news(3), up('old-0', V1, 0, { goal: 'Stopped', condition: 'Killing' })],
    expected: { launch: 0, kill: [], done: false },
  },
  {
    name: 'a new instance failed: launched again',
    app: restartApp(2, 1, 1),
    instances: [...olds(2), ...news(1), up('new-x', V2, 40, { condition: 'Failed' })],
    expected: { launch: 1, kill: ['old-1'], done: false },
  },
  {
    name: 'grow during restart (2 old -> 3 new, (1, 0)): launch 2, no healthy instance lost',
    app: restartApp(3, 1, 0),
    instances: olds(2),
    expected: { launch: 2, kill: [], done: false },
  },
  {
    name: 'shrink during restart (4 old -> 2 new, (1, 0)): 2 old go at once (min 2), launch after',
    app: restartApp(2, 1, 0),
    instances: olds(4),
    expected: { launch: 0, kill: ['old-3', 'old-2'], done: false },
  },
  {
    name: 'extra new instances beyond target are killed',
    app: restartApp(2, 1, 1),
    instances: news(3),
    expected: { launch: 0, kill: ['new-2'], done: false },
  },
  {
    name: 'restart to 0 instances: every old instance goes',
    app: restartApp(0, 1, 1),
    instances: olds(2),
    expected: { launch: 0, kill: ['old-1', 'old-0'], done: false },
  },
  {
    name: 'forced restart, same version: instances staged before restartBefore are old',
    app: restartApp(2, 1, 0, { version: V1 }),
    instances: [up('a', V1, 1), up('b', V1, 2), up('c', V1, 45)],
    restartBefore: at(40),
    // min 2, max 3: c is new and healthy -> healthy 3, one old may go (youngest first: b);
    // 3 alive = max: no launch until b is gone
    expected: { launch: 0, kill: ['b'], done: false },
  },
];

for (const c of restartCases) {
  test(`Restart: ${c.name}`, (t) => {
    t.deepEqual(decide('RestartApplication', c.app, c.instances, { notReady: c.notReady, restartBefore: c.restartBefore }), c.expected);
  });
}
