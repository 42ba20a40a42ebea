import test from 'ava';
import { readFileSync } from 'node:fs';
import { isPodScaleChange, isPodUpgrade, isSamePod } from './pod-change.ts';
import type { PodDefinition } from './pod-definition.ts';
import { podToJson } from './pod-json.ts';
import { parsePod } from './parse-pod.ts';

const T0 = '2026-11-22T10:00:00.000Z';
const fixture = (): any => JSON.parse(readFileSync('/work/shared/fixtures/marathon-api-examples/pod.json', 'utf8'));
function ok(json: unknown): PodDefinition {
  const r = parsePod(json, { now: T0 });
  if (!r.ok) throw new Error(JSON.stringify(r.details));
  return r.value;
}

test('podToJson of pod.json: the request as sent plus Marathon\'s filled-in fields (version, secrets, scheduling, role)', (t) => {
  const sent = fixture();
  const served = podToJson(ok(sent));
  t.deepEqual(served, {
    ...sent,
    version: T0,
    secrets: {},
    scheduling: {
      ...sent.scheduling,
      killSelection: 'YOUNGEST_FIRST',
      unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
    },
    role: '*',
  });
});

test('podToJson: unset optional fields are left out, never null; constraints are objects; argv commands and secret env kept', (t) => {
  const json = podToJson(ok({
    id: '/p',
    secrets: { s: { source: '/vault/s' } },
    scheduling: { placement: { constraints: [['hostname', 'MAX_PER', '2']] }, unreachableStrategy: 'disabled' },
    containers: [{ name: 'c', resources: {}, exec: { command: { argv: ['a', 'b'] } }, environment: { S: { secret: 's' } } }],
  }));
  t.false(JSON.stringify(json).includes('null'));
  t.false('user' in json);
  const [c] = json.containers as Record<string, unknown>[];
  t.deepEqual(c.exec, { command: { argv: ['a', 'b'] } });
  t.deepEqual(c.environment, { S: { secret: 's' } });
  t.false('image' in c || 'healthCheck' in c || 'lifecycle' in c || 'user' in c);
  const sched = json.scheduling as Record<string, any>;
  t.deepEqual(sched.placement.constraints, [{ fieldName: 'hostname', operator: 'MAX_PER', value: '2' }]);
  t.is(sched.unreachableStrategy, 'disabled');
});

// What a change is, as Marathon's PodDefinition.isUpgrade / isOnlyScaleChange see it.
const CHANGES: [name: string, change: (p: any) => void, same: boolean, upgrade: boolean, scale: boolean][] = [
  ['nothing', () => {}, true, false, false],
  ['instances 1 -> 4', (p) => { p.scaling = { kind: 'fixed', instances: 4 }; }, false, false, true],
  ['executor resources', (p) => { p.executorResources = { cpus: 1 }; }, false, false, false],
  ['kill selection', (p) => { p.scheduling.killSelection = 'OLDEST_FIRST'; }, false, false, false],
  ['container memory', (p) => { p.containers[0].resources.mem = 256; }, false, true, false],
  ['label', (p) => { p.labels.x = 'y'; }, false, true, false],
  ['constraint and scale', (p) => { p.scheduling.placement.constraints = [{ fieldName: 'hostname', operator: 'UNIQUE' }]; p.scaling = { kind: 'fixed', instances: 4 }; }, false, true, false],
];

for (const [name, change, same, upgrade, scale] of CHANGES) {
  test(`change: ${name} -> same ${same}, upgrade ${upgrade}, scale-only ${scale}`, (t) => {
    const from = ok(fixture());
    const json = fixture();
    change(json);
    const to = ok(json);
    t.is(isSamePod(from, to), same);
    t.is(isPodUpgrade(from, to), upgrade);
    t.is(isPodScaleChange(from, to), scale);
  });
}
