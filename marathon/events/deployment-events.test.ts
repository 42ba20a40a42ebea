import test from 'ava';
import { asPathId } from '../model.ts';
import { appDef, deployment, group } from '../http/test-fixtures.ts';
import * as ev from './deployment-events.ts';

const NOW = '2026-11-22T12:00:00.000Z';
const web = appDef('/prod/web');
const d = deployment('dep-1', {
  original: group('/', []),
  target: group('/', [], [group('/prod', [web])]),
  steps: [
    { actions: [{ action: 'StartApplication', app: asPathId('/prod/web') }] },
    { actions: [{ action: 'ScaleApplication', app: asPathId('/prod/web') }] },
  ],
  affectedApps: [asPathId('/prod/web')],
  currentStep: 2,
});

test('planJson: Marathon\'s DeploymentPlan JSON (id, original, target, steps, version), groups in REST JSON', (t) => {
  const plan = ev.planJson(d);
  t.deepEqual(Object.keys(plan).sort(), ['id', 'original', 'steps', 'target', 'version']);
  t.like(plan, { id: 'dep-1', version: d.version });
  t.deepEqual(plan.steps, [
    { actions: [{ action: 'StartApplication', app: '/prod/web' }] },
    { actions: [{ action: 'ScaleApplication', app: '/prod/web' }] },
  ]);
  const target = plan.target as { id: string; groups: { id: string; apps: { id: string; cmd: string }[] }[] };
  t.is(target.id, '/');
  t.is(target.groups[0].apps[0].id, '/prod/web');
  t.is(target.groups[0].apps[0].cmd, 'sleep 1000');
});

const rows = [
  [ev.deploymentInfoEvent(d, NOW), 'deployment_info', ['plan', 'currentStep']],
  [ev.deploymentSuccessEvent(d, NOW), 'deployment_success', ['id', 'plan']],
  [ev.deploymentFailedEvent(d, NOW), 'deployment_failed', ['id', 'plan']],
  [ev.deploymentStepSuccessEvent(d, NOW), 'deployment_step_success', ['plan', 'currentStep']],
  [ev.deploymentStepFailureEvent(d, NOW), 'deployment_step_failure', ['plan', 'currentStep']],
  [ev.apiPostEvent('10.0.0.9', '/v2/apps', web, NOW), 'api_post_event', ['clientIp', 'uri', 'appDefinition']],
] as const;
for (const [event, type, keys] of rows) {
  test(`${type}: exact fields`, (t) => {
    t.is(event.eventType, type);
    t.is(event.timestamp, NOW);
    t.deepEqual(Object.keys(event).sort(), [...keys, 'eventType', 'timestamp'].sort());
  });
}

test('currentStep is the step the deployment is at (counting from 1)', (t) => {
  t.deepEqual(ev.deploymentInfoEvent(d, NOW).currentStep, { actions: [{ action: 'ScaleApplication', app: '/prod/web' }] });
  t.deepEqual(ev.deploymentInfoEvent({ ...d, currentStep: 1 }, NOW).currentStep, { actions: [{ action: 'StartApplication', app: '/prod/web' }] });
  t.deepEqual(ev.deploymentInfoEvent({ ...d, steps: [], currentStep: 0 }, NOW).currentStep, { actions: [] });
});

test('api_post_event carries the app definition as REST JSON', (t) => {
  const e = ev.apiPostEvent('10.0.0.9', '/v2/apps', web, NOW);
  t.like(e.appDefinition as object, { id: '/prod/web', cmd: 'sleep 1000', instances: 1 });
});
