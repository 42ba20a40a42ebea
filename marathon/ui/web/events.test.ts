import test from 'ava';
import { concernsApp } from './events.ts';

test('concernsApp: an event naming an app concerns only it; a plan concerns the apps it acts on; others concern everybody', (t) => {
  t.true(concernsApp('/a', { eventType: 'status_update_event', appId: '/a' }));
  t.false(concernsApp('/a', { eventType: 'status_update_event', appId: '/b' }));
  const plan = { eventType: 'deployment_info', plan: { steps: [{ actions: [{ action: 'ScaleApplication', app: '/b' }] }] } };
  t.false(concernsApp('/a', plan));
  t.true(concernsApp('/b', plan));
  t.true(concernsApp('/a', { eventType: 'api_post_event', appDefinition: { id: '/a' } }), 'no app id: re-read to be safe');
});
