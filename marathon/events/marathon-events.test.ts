import test from 'ava';
import fc from 'fast-check';
import { asPathId } from '../model.ts';
import { appDef, instance } from '../http/test-fixtures.ts';
import { createEventBus } from './event-bus.ts';
import * as ev from './marathon-events.ts';

const NOW = '2026-11-22T12:00:00.000Z';
const inst = instance('/prod/web', 1, { state: 'TASK_RUNNING', healthy: true });
const hc = appDef('/x', {
  healthChecks: [{ protocol: 'HTTP', path: '/h', portIndex: 0, gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3, delaySeconds: 15 }],
}).healthChecks[0];

// Each row: the event, its eventType, and exactly the keys Marathon 1.x writes.
const rows = [
  [ev.statusUpdateEvent(inst, { message: 'ok' }, NOW), 'status_update_event',
    ['slaveId', 'taskId', 'taskStatus', 'message', 'appId', 'host', 'ipAddresses', 'ports', 'version']],
  [ev.instanceChangedEvent(inst, NOW), 'instance_changed_event', ['instanceId', 'condition', 'runSpecId', 'agentId', 'host', 'runSpecVersion']],
  [ev.healthStatusChangedEvent(inst, true, NOW), 'health_status_changed_event', ['appId', 'taskId', 'instanceId', 'version', 'alive']],
  [ev.instanceHealthChangedEvent(inst, undefined, NOW), 'instance_health_changed_event', ['instanceId', 'runSpecId', 'runSpecVersion', 'healthy']],
  [ev.failedHealthCheckEvent(inst, hc, NOW), 'failed_health_check_event', ['appId', 'taskId', 'instanceId', 'healthCheck']],
  [ev.unhealthyInstanceKillEvent(inst, 'failed 3 checks', NOW), 'unhealthy_instance_kill_event',
    ['appId', 'taskId', 'instanceId', 'version', 'reason', 'host', 'slaveId']],
  [ev.unhealthyTaskKillEvent(inst, 'failed 3 checks', NOW), 'unhealthy_task_kill_event', ['appId', 'taskId', 'version', 'reason', 'host', 'slaveId']],
  [ev.addHealthCheckEvent(asPathId('/x'), NOW, hc, NOW), 'add_health_check_event', ['appId', 'version', 'healthCheck']],
  [ev.removeHealthCheckEvent(asPathId('/x'), NOW), 'remove_health_check_event', ['appId']],
  [ev.appTerminatedEvent(asPathId('/x'), NOW), 'app_terminated_event', ['appId']],
  [ev.groupChangeSuccessEvent(asPathId('/g'), NOW, NOW), 'group_change_success', ['groupId', 'version']],
  [ev.groupChangeFailedEvent(asPathId('/g'), NOW, 'boom', NOW), 'group_change_failed', ['groupId', 'version', 'reason']],
  [ev.schedulerRegisteredEvent('fw-1', 'm:5050', NOW), 'scheduler_registered_event', ['frameworkId', 'master']],
  [ev.schedulerReregisteredEvent('m:5050', NOW), 'scheduler_reregistered_event', ['master']],
  [ev.schedulerDisconnectedEvent(NOW), 'scheduler_disconnected_event', []],
  [ev.eventStreamAttachedEvent('127.0.0.1', NOW), 'event_stream_attached', ['remoteAddress']],
  [ev.eventStreamDetachedEvent('127.0.0.1', NOW), 'event_stream_detached', ['remoteAddress']],
  [ev.frameworkMessageEvent('exec-1', 'agent-1', new Uint8Array([104, 105]), NOW), 'framework_message_event', ['executorId', 'slaveId', 'message']],
] as const;

for (const [event, type, keys] of rows) {
  test(`${type}: exact fields, eventType and timestamp`, (t) => {
    t.is(event.eventType, type);
    t.is(event.timestamp, NOW);
    t.deepEqual(Object.keys(event).sort(), [...keys, 'eventType', 'timestamp'].sort());
    t.true((ev.EVENT_TYPES as readonly string[]).includes(type));
  });
}

test('status_update_event carries the Mesos state, ports and ip addresses of the instance', (t) => {
  const e = ev.statusUpdateEvent(inst, {}, NOW);
  t.like(e, { taskStatus: 'TASK_RUNNING', slaveId: 'agent-1', appId: '/prod/web', host: 'host-1', message: '', version: inst.version });
  t.deepEqual(e.ports, [31001]);
  t.deepEqual(e.ipAddresses, [{ ipAddress: '10.0.0.1', protocol: 'IPv4' }]);
});

test('instance_health_changed_event: unknown health is null, known health is a boolean', (t) => {
  t.is(ev.instanceHealthChangedEvent(inst, undefined, NOW).healthy, null);
  t.is(ev.instanceHealthChangedEvent(inst, false, NOW).healthy, false);
});

test('framework_message_event carries the bytes base64-encoded', (t) => {
  t.is(ev.frameworkMessageEvent('e', 's', new Uint8Array([104, 105]), NOW).message, 'aGk=');
});

test('event bus: every listener gets every event in order; unsubscribe stops delivery; a throwing listener does not stop others', (t) => {
  const errors: unknown[] = [];
  const bus = createEventBus({ onListenerError: (e) => errors.push(e) });
  const a: string[] = [];
  const b: string[] = [];
  bus.subscribe(() => { throw new Error('bad listener'); });
  const offA = bus.subscribe((e) => a.push(e.eventType));
  bus.subscribe((e) => b.push(e.eventType));
  t.is(bus.listenerCount(), 3);
  bus.publish(ev.schedulerDisconnectedEvent(NOW));
  offA();
  offA();
  bus.publish(ev.appTerminatedEvent(asPathId('/x'), NOW));
  t.deepEqual(a, ['scheduler_disconnected_event']);
  t.deepEqual(b, ['scheduler_disconnected_event', 'app_terminated_event']);
  t.is(errors.length, 2);
  t.is(bus.listenerCount(), 2);
});

test('event bus (property): a listener receives exactly the events published while it is subscribed', (t) => {
  fc.assert(fc.property(fc.nat(30), fc.nat(30), (from, len) => {
    const bus = createEventBus();
    const got: string[] = [];
    let off: (() => void) | undefined;
    const total = 30;
    for (let k = 0; k < total; k++) {
      if (k === from) off = bus.subscribe((e) => got.push(String(e.remoteAddress)));
      if (k === from + len && off) off();
      bus.publish(ev.eventStreamAttachedEvent(String(k), NOW));
    }
    const expected: string[] = [];
    for (let k = from; k < Math.min(total, from + len); k++) expected.push(String(k));
    return JSON.stringify(got) === JSON.stringify(from < total ? expected : []);
  }));
  t.pass();
});
