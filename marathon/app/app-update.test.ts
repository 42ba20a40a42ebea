import test from 'ava';
import { readFileSync } from 'node:fs';
import type { AppDefinition } from '../model.ts';
import { mergeAppUpdate } from './app-update.ts';
import { parseApp } from './parse-app.ts';

const FIXTURES = '/work/shared/fixtures/marathon-api-examples';
const fixture = (name: string): any => JSON.parse(readFileSync(`${FIXTURES}/${name}`, 'utf8'));
const T0 = '2026-11-22T10:00:00.000Z';
const T1 = '2026-11-22T11:00:00.000Z';

function ok(json: unknown, previous?: AppDefinition): AppDefinition {
  const r = parseApp(json, { now: previous ? T1 : T0, ...(previous ? { previous } : {}) });
  if (!r.ok) throw new Error(JSON.stringify(r.details));
  return r.value;
}

test('app_patch.json: scale /foo to 2, everything else kept, a scale-only version', (t) => {
  const prev = ok({ id: '/foo', cmd: 'sleep 1000', instances: 5, mem: 16, labels: { a: 'b' } });
  const next = ok(mergeAppUpdate(prev, fixture('app_patch.json')), prev);
  t.is(next.instances, 2);
  t.deepEqual({ ...next, instances: 5, version: T0, versionInfo: prev.versionInfo }, prev);
  t.deepEqual(next.versionInfo, { lastScalingAt: T1, lastConfigChangeAt: T0 });
});

test('apps_patch.json: one config change, one scale', (t) => {
  const [cpuPatch, scalePatch] = fixture('apps_patch.json');
  const sleep60 = ok({ id: '/test/sleep60', cmd: 'sleep 60', cpus: 1 });
  const sleep120 = ok({ id: '/test/sleep120', cmd: 'sleep 120', instances: 1 });
  const a = ok(mergeAppUpdate(sleep60, cpuPatch), sleep60);
  const b = ok(mergeAppUpdate(sleep120, scalePatch), sleep120);
  t.deepEqual([a.cpus, a.versionInfo.lastConfigChangeAt], [0.3, T1]);
  t.deepEqual([b.instances, b.versionInfo.lastConfigChangeAt, b.versionInfo.lastScalingAt], [2, T0, T1]);
});

test('merge rules: nulls keep, exclusive pairs drop the old side, id/version never from the update', (t) => {
  const prev = ok({ id: '/m', cmd: 'run', container: { docker: { image: 'i', network: 'BRIDGE' } }, uris: ['http://a'] });
  const cases: [string, Record<string, unknown>, (m: Record<string, any>) => unknown, unknown][] = [
    ['null keeps', { cmd: null }, (m) => m.cmd, 'run'],
    ['args replaces cmd', { args: ['x'] }, (m) => [m.cmd, m.args], [undefined, ['x']]],
    ['id ignored', { id: '/other' }, (m) => m.id, '/m'],
    ['version ignored', { version: '2000-01-01T00:00:00.000Z' }, (m) => m.version, T0],
    ['networks drop docker.network', { networks: [{ mode: 'host' }] }, (m) => m.container.docker.network, undefined],
    ['ports replace portDefinitions', { ports: [0, 0] }, (m) => [m.ports, m.portDefinitions], [[0, 0], undefined]],
  ];
  for (const [name, update, pick, expected] of cases) {
    const merged = mergeAppUpdate(prev, update);
    t.deepEqual(pick(merged), expected, name);
    t.true(parseApp(merged, { now: T1, previous: prev }).ok, `${name} parses`);
  }
});
