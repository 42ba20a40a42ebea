import test from 'ava';
import { asPathId, type AppDefinition, type Group } from '../model.ts';
import { parseApp } from '../app/parse-app.ts';
import { assignServicePorts } from './service-ports.ts';

const NOW = '2026-11-22T10:00:00.000Z';
function app(json: Record<string, unknown>): AppDefinition {
  const r = parseApp({ cmd: 'sleep 1', ...json }, { now: NOW });
  if (!r.ok) throw new Error(JSON.stringify(r.details));
  return r.value;
}
const root = (...apps: AppDefinition[]): Group => ({ id: asPathId('/'), apps, groups: [], dependencies: [], version: NOW });

test('ports declared 0 get the lowest free service ports of the range; explicit ones are kept and never reused', (t) => {
  const a = app({ id: '/a', portDefinitions: [{ port: 10000 }, { port: 0 }] });
  const b = app({ id: '/b', portDefinitions: [{ port: 0 }, { port: 0 }] });
  const { root: r, exhausted } = assignServicePorts(root(a, b));
  t.false(exhausted);
  t.deepEqual(r.apps[0].portDefinitions.map((d) => d.port), [10000, 10001]);
  t.deepEqual(r.apps[1].portDefinitions.map((d) => d.port), [10002, 10003]);
});

test('BRIDGE port mappings get service ports too; a tree without zeros is returned as it is', (t) => {
  const bridged = app({
    id: '/web', networks: [{ mode: 'container/bridge' }],
    container: { type: 'DOCKER', docker: { image: 'busybox' }, portMappings: [{ containerPort: 80, hostPort: 0 }] },
  });
  const { root: r } = assignServicePorts(root(bridged));
  t.is(r.apps[0].container?.portMappings?.[0].servicePort, 10000);
  const again = assignServicePorts(r);
  t.is(again.root, r);
});

test('an exhausted range is reported and leaves 0', (t) => {
  const { root: r, exhausted } = assignServicePorts(root(app({ id: '/a', portDefinitions: [{ port: 0 }, { port: 0 }] })), { min: 5, max: 5 });
  t.true(exhausted);
  t.deepEqual(r.apps[0].portDefinitions.map((d) => d.port), [5, 0]);
});
