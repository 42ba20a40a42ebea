import test from 'ava';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { asPathId, type Deployment, type ReadinessResult } from '../model.ts';
import { deploymentToJson } from './deployment-json.ts';
import { planDeployment } from './plan.ts';
import { app, group } from './test-builders.ts';

/** Marathon's published deployments.json entry, less its pod (we run no pods). */
const EXAMPLE = {
  id: '97c136bf-5a28-4821-9d94-480d9fbb01c8',
  version: '2015-09-30T09:09:17.614Z',
  affectedApps: ['/foo'],
  affectedPods: [],
  steps: [{ actions: [{ action: 'ScaleApplication', app: '/foo' }] }],
  currentActions: [{
    action: 'ScaleApplication',
    app: '/foo',
    readinessCheckResults: [{
      taskId: 'foo.instance-c9de6033',
      lastResponse: { body: '{}', contentType: 'application/json', status: 500 },
      name: 'myReadyCheck',
      ready: false,
    }],
  }],
  currentStep: 1,
  totalSteps: 1,
};

const fooScale: Deployment = {
  id: EXAMPLE.id,
  version: EXAMPLE.version,
  original: group('/'),
  target: group('/'),
  steps: [{ actions: [{ action: 'ScaleApplication', app: asPathId('/foo') }] }],
  affectedApps: [asPathId('/foo')],
  currentStep: 1,
  restartApps: [],
};

const fooReadiness: ReadinessResult[] = [{
  name: 'myReadyCheck',
  taskId: 'foo.instance-c9de6033',
  ready: false,
  lastResponse: { status: 500, contentType: 'application/json', body: '{}' },
}];

test('the deployments.json example, field for field', (t) => {
  const json = deploymentToJson(fooScale, (id) => (id === '/foo' ? fooReadiness : []));
  t.deepEqual(json, EXAMPLE);
});

test('readiness results without a response omit lastResponse; no lookup gives []', (t) => {
  const json = deploymentToJson(fooScale, () => [{ name: 'r', taskId: 't1', ready: true }]) as { currentActions: { readinessCheckResults: unknown[] }[] };
  t.deepEqual(json.currentActions[0].readinessCheckResults, [{ name: 'r', taskId: 't1', ready: true }]);
  const bare = deploymentToJson(fooScale) as { currentActions: { readinessCheckResults: unknown[] }[] };
  t.deepEqual(bare.currentActions[0].readinessCheckResults, []);
});

test('currentActions are those of the current step; totalSteps counts the steps', (t) => {
  const d = planDeployment(group('/'), group('/', [app('/a'), app('/b', { dependencies: [asPathId('/a')] })]), { id: 'x', version: '2026-11-22T10:00:00.000Z' });
  const at = (currentStep: number) => deploymentToJson({ ...d, currentStep });
  t.like(at(1), { currentStep: 1, totalSteps: 3, currentActions: [{ action: 'StartApplication', app: '/a' }, { action: 'StartApplication', app: '/b' }] });
  t.like(at(3), { currentStep: 3, currentActions: [{ action: 'ScaleApplication', app: '/b' }] });
});

test('an empty plan: no steps, no current actions', (t) => {
  const d = planDeployment(group('/', [app('/a')]), group('/', [app('/a')]), { id: 'e', version: '2026-11-22T10:00:00.000Z' });
  t.deepEqual(deploymentToJson(d), {
    id: 'e', version: '2026-11-22T10:00:00.000Z', affectedApps: [], affectedPods: [], steps: [], currentActions: [], currentStep: 0, totalSteps: 0,
  });
});

// Debian's own interpreter: the package lives in its dist-packages, not in a pyenv one.
test('python3-marathon (the Debian client) parses the JSON without complaint', (t) => {
  const list = [deploymentToJson(fooScale, () => fooReadiness)];
  const script = [
    'import json, sys',
    'from marathon.models.deployment import MarathonDeployment',
    'ds = [MarathonDeployment.from_json(x) for x in json.load(sys.stdin)]',
    'd = ds[0]',
    'print(d.id, d.current_step, d.total_steps, d.affected_apps, d.steps[0].actions[0].action, d.current_actions[0].app)',
  ].join('\n');
  const out = execFileSync('/usr/bin/python3', ['-c', script], // cwd: not the checkout, whose marathon/ folder would shadow the client's package
    { input: JSON.stringify(list), encoding: 'utf8', cwd: tmpdir() });
  t.is(out.trim(), `${EXAMPLE.id} 1 1 ['/foo'] ScaleApplication /foo`);
});
