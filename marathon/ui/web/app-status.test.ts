import test from 'ava';
import { appHealth, appStatus, queueByApp } from './app-status.ts';

const app = (over: Record<string, unknown> = {}) => ({ id: '/a', instances: 2, tasksRunning: 2, tasksHealthy: 0, tasksUnhealthy: 0, deployments: [], ...over });

test('status: deploying before delayed before suspended before waiting before running', (t) => {
  t.is(appStatus(app({ deployments: [{ id: 'd' }], tasksRunning: 0 }), { count: 2, delayed: true }), 'deploying');
  t.is(appStatus(app({ tasksRunning: 1 }), { count: 1, delayed: true }), 'delayed');
  t.is(appStatus(app({ instances: 0, tasksRunning: 0 }), undefined), 'suspended');
  t.is(appStatus(app({ instances: 0, tasksRunning: 1 }), undefined), 'running', 'a task still running after a scale to 0 without a deployment');
  t.is(appStatus(app({ tasksRunning: 1 }), { count: 1, delayed: false }), 'waiting');
  t.is(appStatus(app(), undefined), 'running');
});

test('health only for apps with health checks', (t) => {
  t.is(appHealth(app()), 'none');
  const checked = { healthChecks: [{ protocol: 'HTTP' }] };
  t.is(appHealth(app({ ...checked, tasksHealthy: 2 })), 'healthy');
  t.is(appHealth(app({ ...checked, tasksHealthy: 1, tasksUnhealthy: 1 })), 'unhealthy');
  t.is(appHealth(app({ ...checked, tasksHealthy: 1 })), 'unknown', 'one running task has not answered yet');
});

test('queueByApp: delayed only while the backoff runs', (t) => {
  const q = queueByApp([
    { app: { id: '/a' }, count: 1, delay: { timeLeftSeconds: 5, overdue: false } },
    { app: { id: '/b' }, count: 2, delay: { timeLeftSeconds: 0, overdue: true } },
    { count: 1 },
  ]);
  t.deepEqual([...q.entries()], [['/a', { count: 1, delayed: true }], ['/b', { count: 2, delayed: false }]]);
});
