import test from 'ava';
import type { Deployment } from '../model.ts';
import { conflictingDeployments } from './conflicts.ts';
import { group, ids, V1 } from './test-builders.ts';

const dep = (id: string, affected: string[]): Deployment => ({
  id, version: V1, original: group('/'), target: group('/'), steps: [], affectedApps: ids(...affected), currentStep: 1, restartApps: [],
});

const running = [dep('d1', ['/a', '/b']), dep('d2', ['/c']), dep('d3', ['/b', '/d'])];

const cases: [apps: string[], expected: string[]][] = [
  [['/a'], ['d1']],
  [['/b'], ['d1', 'd3']], // order of the running list
  [['/c', '/d'], ['d2', 'd3']],
  [['/e'], []],
  [[], []], // an empty plan touches nothing
  [['/a/x'], []], // an app under /a is not /a
];

for (const [apps, expected] of cases) {
  test(`conflictingDeployments(${JSON.stringify(apps)}) = ${JSON.stringify(expected)}`, (t) => {
    t.deepEqual(conflictingDeployments(running, ids(...apps)).map((d) => d.id), expected);
  });
}
