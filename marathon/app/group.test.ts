import test from 'ava';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { asPathId, type AppDefinition, type Group } from '../model.ts';
import { appToJson } from './app-json.ts';
import {
  allApps, emptyRoot, findApp, findGroup, GROUP_MSG, groupToJson, parseGroup, scaledGroup, scaledInstances,
  unresolvedDependencies, validateRoot, withApps, withGroup, withoutApp, withoutGroup,
} from './group.ts';
import { parseApp } from './parse-app.ts';
import { pythonModel, unknownKeys } from './python-client-models.ts';

const FIXTURES = '/work/shared/fixtures/marathon-api-examples';
const fixture = (name: string): any => JSON.parse(readFileSync(`${FIXTURES}/${name}`, 'utf8'));
const T0 = '2026-11-22T10:00:00.000Z';
const T1 = '2026-11-22T11:00:00.000Z';
const T2 = '2026-11-22T12:00:00.000Z';
const P = asPathId;

function app(id: string, extra: Record<string, unknown> = {}, now = T0): AppDefinition {
  const r = parseApp({ id, cmd: 'sleep 1', ...extra }, { now });
  if (!r.ok) throw new Error(JSON.stringify(r.details));
  return r.value;
}
function group(json: unknown, base = '/', previous?: Group, now = T0): Group {
  const r = parseGroup(json, { now, base: P(base), ...(previous ? { previous } : {}) });
  if (!r.ok) throw new Error(JSON.stringify(r.details));
  return r.value;
}
const ids = (xs: readonly { id: string }[]) => xs.map((x) => x.id);

test('group.json parses: nested ids, apps in place, fixture versions ignored', (t) => {
  const root = group(fixture('group.json'));
  t.deepEqual(ids(allApps(root)), ['/tools/oauth-server', '/tools/datadog-agent', '/tools/docker/registry']);
  t.deepEqual(ids(findGroup(root, P('/tools'))?.groups ?? []), ['/tools/log', '/tools/docker']);
  t.is(findApp(root, P('/tools/docker/registry'))?.mem, 4096);
  t.is(root.version, T0);
  t.is(findApp(root, P('/tools/oauth-server'))?.version, T0);
  t.deepEqual(validateRoot(root), []);
});

test('parseGroup with previous: unchanged groups and apps keep versions; a change bumps the path', (t) => {
  const v0 = group(fixture('group.json'));
  const same = group(JSON.parse(JSON.stringify(groupToJson(v0, appToJson))), '/', v0, T1);
  t.deepEqual(same, v0, 'GET output sent back is no change');
  const json = fixture('group.json');
  json.groups[0].groups[1].apps[0].mem = 2048;
  const v1 = group(json, '/', v0, T1);
  const versions = (g: Group) => [g.version, findGroup(g, P('/tools'))?.version, findGroup(g, P('/tools/docker'))?.version,
    findGroup(g, P('/tools/log'))?.version, findApp(g, P('/tools/oauth-server'))?.version, findApp(g, P('/tools/docker/registry'))?.version];
  // root, /tools, /tools/docker, /tools/log, oauth-server, registry
  t.deepEqual(versions(v1), [T1, T1, T1, T0, T0, T1]);
});

test('parseGroup: ids relative to base and group, absent id is the base', (t) => {
  const g = group({ apps: [{ id: 'web', cmd: 'x', dependencies: ['db'] }, { id: 'db', cmd: 'x' }], groups: [{ id: 'sub' }] }, '/prod');
  t.is<string, string>(g.id, '/prod');
  t.deepEqual(ids(g.apps), ['/prod/web', '/prod/db']);
  t.deepEqual(g.apps[0].dependencies, ['/prod/db']);
  t.deepEqual(ids(g.groups), ['/prod/sub']);
});

test('parseGroup validation: paths into the request, tree rules at ids', (t) => {
  const cases: [string, unknown, { path: string; errors: string[] }[]][] = [
    ['not an object', 'x', [{ path: '/', errors: ['error.expected.jsobject'] }]],
    ['app error prefixed', { id: '/a', apps: [{ id: 'x', cmd: 'c', cpus: 'one' }] }, [{ path: '/apps(0)/cpus', errors: ['error.expected.jsnumber'] }]],
    ['app whole-object rule prefixed', { id: '/a', groups: [{ id: 'g', apps: [{ id: 'x' }] }] },
      [{ path: '/groups(0)/apps(0)', errors: ["AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."] }]],
    ['app not a child', { id: '/a', apps: [{ id: '/b/c', cmd: 'x' }] }, [{ path: '/apps(0)/id', errors: [GROUP_MSG.notChild('/b/c', '/a')] }]],
    ['group not a child', { id: '/a', groups: [{ id: '/b' }] }, [{ path: '/groups(0)/id', errors: [GROUP_MSG.notChild('/b', '/a')] }]],
    ['nested group without id', { id: '/a', groups: [{}] }, [{ path: '/groups(0)/id', errors: ['error.path.missing'] }]],
    ['pods', { id: '/a', pods: [{ id: 'p' }] }, [{ path: '/pods', errors: ['pods are not supported'] }]],
    ['cycle', { id: '/a', apps: [{ id: 'x', cmd: 'c', dependencies: ['y'] }, { id: 'y', cmd: 'c', dependencies: ['x'] }] },
      [{ path: '/', errors: [GROUP_MSG.cycle] }]],
    ['app and group share an id', { id: '/a', apps: [{ id: 'x', cmd: 'c' }], groups: [{ id: 'x' }] },
      [{ path: '/a/x', errors: [GROUP_MSG.sameId] }]],
    ['same app twice', { id: '/a', apps: [{ id: 'x', cmd: 'c' }, { id: 'x', cmd: 'd' }] },
      [{ path: '/a/x', errors: [GROUP_MSG.duplicate] }]],
  ];
  for (const [name, json, expected] of cases) {
    const r = parseGroup(json, { now: T0, base: P('/') });
    t.deepEqual(r.ok ? [] : r.details, expected, name);
  }
});

test('unknown dependencies are accepted (as Marathon does) and listed', (t) => {
  const root = withApps(emptyRoot(T0), (fixture('apps_create.json') as unknown[]).map((j) => {
    const r = parseApp(j, { now: T0 });
    if (!r.ok) throw new Error('fixture');
    return r.value;
  }), T0);
  t.deepEqual(validateRoot(root), []);
  t.deepEqual(unresolvedDependencies(root), ['/other/namespace/or/app']);
});

test('withApps: creates parents, bumps only the changed path, keeps untouched objects', (t) => {
  const r0 = withApps(emptyRoot(T0), [app('/a/x'), app('/b/y')], T0);
  const b0 = findGroup(r0, P('/b'));
  const r1 = withApps(r0, [app('/a/c/z', {}, T1)], T1);
  t.deepEqual(ids(allApps(r1)), ['/a/x', '/a/c/z', '/b/y']);
  // root, /a, /a/c, /b
  t.deepEqual([r1.version, findGroup(r1, P('/a'))?.version, findGroup(r1, P('/a/c'))?.version, findGroup(r1, P('/b'))?.version], [T1, T1, T1, T0]);
  t.is(findGroup(r1, P('/b')), b0, 'untouched sibling is the same object');
  t.is(withApps(r1, [findApp(r1, P('/a/x'))!], T2), r1, 'putting an identical app changes nothing');
  const replaced = withApps(r1, [app('/a/x', { mem: 64 }, T2)], T2);
  t.is(findApp(replaced, P('/a/x'))?.mem, 64);
  t.is(allApps(replaced).length, 3);
});

test('withoutApp, withGroup, withoutGroup', (t) => {
  const r0 = withApps(emptyRoot(T0), [app('/a/x'), app('/a/b/y'), app('/c/z')], T0);
  const noX = withoutApp(r0, P('/a/x'), T1);
  t.deepEqual(ids(allApps(noX)), ['/a/b/y', '/c/z']);
  t.deepEqual([noX.version, findGroup(noX, P('/a'))?.version, findGroup(noX, P('/c'))?.version], [T1, T1, T0]);
  t.is(withoutApp(r0, P('/nope'), T1), r0);

  const sub = group({ id: 'b', apps: [{ id: 'w', cmd: 'x' }] }, '/a', undefined, T1);
  const replaced = withGroup(r0, sub, T1);
  t.deepEqual(ids(allApps(replaced)), ['/a/x', '/a/b/w', '/c/z']);
  const created = withGroup(r0, group({ id: '/n/m', apps: [{ id: 'q', cmd: 'x' }] }, '/', undefined, T1), T1);
  t.is(findApp(created, P('/n/m/q'))?.id as string, '/n/m/q');
  t.is(findGroup(created, P('/n'))?.version, T1);

  const noA = withoutGroup(r0, P('/a'), T2);
  t.deepEqual(ids(allApps(noA)), ['/c/z']);
  t.deepEqual(withoutGroup(r0, P('/'), T2), emptyRoot(T2));
  t.is(withoutGroup(r0, P('/nope'), T2), r0);
});

test('scaledGroup: ceil(instances * factor), a scale (lastScalingAt), only under the id', (t) => {
  const cases: [number, number, number][] = [
    // instances, factor, expected
    [3, 1.5, 5], [2, 0.5, 1], [1, 0.5, 1], [0, 2, 0], [3, 1.1, 4], [10, 0, 0], [4, 1, 4],
  ];
  for (const [n, f, expected] of cases) t.is(scaledInstances(n, f), expected, `${n} x ${f}`);
  const r0 = withApps(emptyRoot(T0), [app('/g/a', { instances: 2 }), app('/g/h/b', { instances: 3 }), app('/o/c', { instances: 2 })], T0);
  const r1 = scaledGroup(r0, P('/g'), 2, T1);
  t.deepEqual(allApps(r1).map((a) => [a.id, a.instances, a.version, a.versionInfo.lastScalingAt, a.versionInfo.lastConfigChangeAt]), [
    ['/g/a', 4, T1, T1, T0], ['/g/h/b', 6, T1, T1, T0], ['/o/c', 2, T0, T0, T0],
  ]);
  t.is(findGroup(r1, P('/o')), findGroup(r0, P('/o')));
  t.is(scaledGroup(r0, P('/g'), 1, T1), r0, 'factor 1 changes nothing');
});

test('groupToJson: python-marathon MarathonGroup accepts every key; round trip through parseGroup', (t) => {
  const root = group(fixture('group.json'));
  const model = pythonModel('group.py', 'MarathonGroup');
  const check = (j: any): void => {
    t.deepEqual(unknownKeys(model, j), [], j.id);
    j.groups.forEach(check);
  };
  const json = groupToJson(root, appToJson);
  check(json);
  t.deepEqual(group(JSON.parse(JSON.stringify(json)), '/', root, T1), root);
  t.false('enforceRole' in json);
  t.is(groupToJson({ ...emptyRoot(T0), enforceRole: true }, appToJson).enforceRole, true);
});

// --- properties ---------------------------------------------------------------------------

const appIdArb = fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 4 }).map((s) => '/' + s.join('/'));

test('property: after withApps, findApp finds every app put (the last one per id)', (t) => {
  fc.assert(fc.property(fc.array(fc.tuple(appIdArb, fc.nat(5)), { maxLength: 12 }), (specs) => {
    const apps = specs.map(([id, n]) => app(id, { instances: n }));
    const root = withApps(emptyRoot(T0), apps, T1);
    const last = new Map(apps.map((a) => [a.id, a]));
    return [...last.values()].every((a) => findApp(root, a.id)?.instances === a.instances)
      && allApps(root).length === last.size;
  }), { numRuns: 200 });
  t.pass();
});

test('property: validateRoot finds a cycle exactly when the dependency graph has one', (t) => {
  const n = 6;
  const edgeArb = fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 10 });
  fc.assert(fc.property(edgeArb, fc.boolean(), (edges, addBackEdge) => {
    // forward edges only (i -> j with j < i): a DAG; a back edge j -> i closes a cycle
    const dag = edges.filter(([i, j]) => j < i);
    const all = addBackEdge && dag.length > 0 ? [...dag, [dag[0][1], dag[0][0]] as [number, number]] : dag;
    const apps = Array.from({ length: n }, (_v, i) => app(`/p/app${i}`, {
      dependencies: all.filter(([from]) => from === i).map(([, to]) => `/p/app${to}`),
    }));
    const cycle = validateRoot(withApps(emptyRoot(T0), apps, T0)).some((d) => d.errors.includes(GROUP_MSG.cycle));
    return cycle === (addBackEdge && dag.length > 0);
  }), { numRuns: 300 });
  t.pass();
});

test('group dependencies count: a group depending on a group that depends back is a cycle', (t) => {
  const json = (back: boolean) => ({ id: '/', groups: [
    { id: 'x', dependencies: ['/y'], apps: [{ id: 'a', cmd: 'c' }] },
    { id: 'y', apps: [{ id: 'b', cmd: 'c', ...(back ? { dependencies: ['/x'] } : {}) }] },
  ] });
  const cyclic = parseGroup(json(true), { now: T0, base: P('/') });
  t.deepEqual(cyclic.ok ? [] : cyclic.details, [{ path: '/', errors: [GROUP_MSG.cycle] }]);
  t.true(parseGroup(json(false), { now: T0, base: P('/') }).ok);
});
