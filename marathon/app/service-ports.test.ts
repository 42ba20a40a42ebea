import test from 'ava';
import fc from 'fast-check';
import type { AppDefinition } from '../model.ts';
import { asPathId } from '../model.ts';
import { emptyRoot, findApp, withApps, withGroup, allApps } from './group.ts';
import { parseApp } from './parse-app.ts';
import { assignServicePorts, LOCAL_PORT_MAX, LOCAL_PORT_MIN, servicePorts, takenServicePorts } from './service-ports.ts';

const T0 = '2026-11-22T10:00:00.000Z';
const T1 = '2026-11-22T11:00:00.000Z';

function app(id: string, extra: Record<string, unknown> = {}): AppDefinition {
  const r = parseApp({ id, cmd: 'sleep 1', ...extra }, { now: T0 });
  if (!r.ok) throw new Error(JSON.stringify(r.details));
  return r.value;
}
const ports = (...ps: number[]) => ({ portDefinitions: ps.map((port) => ({ port })) });
const bridge = (...servicePortsGiven: number[]) => ({
  networks: [{ mode: 'container/bridge' }],
  container: { type: 'DOCKER', docker: { image: 'busybox' }, portMappings: servicePortsGiven.map((servicePort, i) => ({ containerPort: 80 + i, hostPort: 0, servicePort })) },
});

test('assignServicePorts: 0 becomes the lowest free port of [10000, 20000); explicit ports stay', (t) => {
  const cases: { name: string; given: AppDefinition; previous?: AppDefinition; taken: number[]; expected: number[] }[] = [
    { name: 'default port definition', given: app('/a'), taken: [], expected: [10000] },
    { name: 'two dynamic, 10000 taken', given: app('/a', ports(0, 0)), taken: [10000], expected: [10001, 10002] },
    { name: 'explicit kept, dynamic skips taken', given: app('/a', ports(10001, 0)), taken: [10000, 10001], expected: [10001, 10002] },
    { name: 'explicit only: unchanged', given: app('/a', ports(80)), taken: [], expected: [80] },
    { name: 'no ports', given: app('/a', ports()), taken: [], expected: [] },
    { name: 'previous ports reused in order', given: app('/a', ports(0, 0)), previous: app('/a', ports(10005, 10003)), taken: [10003, 10005], expected: [10005, 10003] },
    { name: 'previous port named explicitly is not reused twice', given: app('/a', ports(10005, 0)), previous: app('/a', ports(10005, 10003)), taken: [10003, 10005], expected: [10005, 10003] },
    { name: 'previous port outside the range not reused', given: app('/a', ports(0)), previous: app('/a', ports(80)), taken: [80], expected: [10000] },
    { name: 'bridge: port mappings get the ports', given: app('/a', bridge(0, 5000)), taken: [10000], expected: [10001, 5000] },
  ];
  for (const c of cases) {
    const taken = new Set(c.taken);
    const out = assignServicePorts(c.given, c.previous, taken);
    t.deepEqual(servicePorts(out), c.expected, c.name);
    for (const p of servicePorts(out)) if (p >= LOCAL_PORT_MIN && p < LOCAL_PORT_MAX) t.true(taken.has(p), `${c.name}: ${p} recorded as taken`);
  }
});

test('assignServicePorts: an app without 0 ports is returned as is; a bridge app keeps no port definitions', (t) => {
  const fixed = app('/a', ports(80, 81));
  t.is(assignServicePorts(fixed, undefined, new Set()), fixed);
  const b = assignServicePorts(app('/b', bridge(0)), undefined, new Set());
  t.deepEqual(b.portDefinitions, []);
  t.is(b.container?.portMappings?.[0].containerPort, 80);
  t.is(b.container?.portMappings?.[0].servicePort, 10000);
});

test('withApps: new apps get distinct ports; re-sending a definition with 0 keeps its ports (no change)', (t) => {
  let root = withApps(emptyRoot(T0), [app('/a', ports(0, 0)), app('/b')], T0);
  t.deepEqual(servicePorts(findApp(root, asPathId('/a'))!), [10000, 10001]);
  t.deepEqual(servicePorts(findApp(root, asPathId('/b'))!), [10002]);
  const before = root;
  root = withApps(root, [app('/a', ports(0, 0))], T1);
  t.is(root, before, 'same definition: the tree is unchanged');
  root = withApps(root, [app('/c', ports(0))], T1);
  t.deepEqual(servicePorts(findApp(root, asPathId('/c'))!), [10003]);
  // /a gives up one port: the next new app may take it.
  root = withApps(root, [app('/a', ports(0))], T1);
  t.deepEqual(servicePorts(findApp(root, asPathId('/a'))!), [10000]);
  root = withApps(root, [app('/d', ports(0))], T1);
  t.deepEqual(servicePorts(findApp(root, asPathId('/d'))!), [10001]);
});

test('withGroup: the apps of a group get ports that no app outside it holds', (t) => {
  const root = withApps(emptyRoot(T0), [app('/x')], T0);
  const g = { id: asPathId('/g'), apps: [app('/g/a'), app('/g/b', ports(10000))], groups: [], dependencies: [], version: T1 };
  const out = withGroup(root, g, T1);
  t.deepEqual(servicePorts(findApp(out, asPathId('/g/a'))!), [10001]);
  t.deepEqual(servicePorts(findApp(out, asPathId('/g/b'))!), [10000], 'explicit port kept even if taken (validation is not this module\'s)');
});

test('property: after withApps, every assigned port is in range and no two apps share an assigned port', (t) => {
  fc.assert(fc.property(
    // Per app: some dynamic ports, then distinct explicit ones (Marathon refuses duplicates within an app).
    fc.array(fc.tuple(fc.nat(2), fc.subarray([10000, 10002, 80])).map(([zeros, fixed]) => [...Array(zeros).fill(0), ...fixed]), { minLength: 1, maxLength: 6 }),
    fc.array(fc.nat(5), { maxLength: 4 }),
    (defs, resend) => {
      const apps = defs.map((ps, i) => app(`/app${i}`, ports(...ps)));
      let root = withApps(emptyRoot(T0), apps, T0);
      root = withApps(root, resend.filter((i) => i < apps.length).map((i) => apps[i]), T1);
      const explicit = new Set(defs.flat().filter((p) => p !== 0));
      const seen = new Set<number>();
      for (const a of allApps(root)) {
        for (const p of servicePorts(a)) {
          if (explicit.has(p)) continue;
          if (p < LOCAL_PORT_MIN || p >= LOCAL_PORT_MAX || seen.has(p)) return false;
          seen.add(p);
        }
      }
      return takenServicePorts(allApps(root)).has(0) === false;
    },
  ));
  t.pass();
});
