import test from 'ava';
import type { HealthCheck } from '../model.ts';
import type { DeclaredPort } from '../placement/app-ports.ts';
import { taskHealthCheck, toMesosHealthCheck } from './health-check.ts';

const hc = (over: Partial<HealthCheck>): HealthCheck => ({
  protocol: 'MESOS_HTTP', gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3, delaySeconds: 15, ...over,
});
const timing = { delay_seconds: 15, interval_seconds: 60, timeout_seconds: 20, consecutive_failures: 3, grace_period_seconds: 300 };
const hostDeclared: DeclaredPort[] = [{ protocol: 'tcp', labels: {}, requested: 0, hostPort: 0 }, { protocol: 'tcp', labels: {}, requested: 0, hostPort: 0 }];
const bridgeDeclared: DeclaredPort[] = [{ protocol: 'tcp', labels: {}, requested: 8080, containerPort: 8080, hostPort: 0 }, { protocol: 'tcp', labels: {}, requested: 0, containerPort: 0, hostPort: 0 }];

test('MESOS_HTTP on host networking probes the host port at portIndex', (t) => {
  t.deepEqual(toMesosHealthCheck(hc({ path: '/health', portIndex: 1 }), hostDeclared, [31000, 31001]), { type: 'HTTP', http: { scheme: 'http', port: 31001, path: '/health' }, ...timing });
});

test('MESOS_HTTPS under bridge networking probes the container port', (t) => {
  t.deepEqual(toMesosHealthCheck(hc({ protocol: 'MESOS_HTTPS', portIndex: 0 }), bridgeDeclared, [31000, 31001]), { type: 'HTTP', http: { scheme: 'https', port: 8080 }, ...timing });
});

test('a mapping with container port 0 is probed on its host port; an explicit port wins', (t) => {
  t.deepEqual(toMesosHealthCheck(hc({ protocol: 'MESOS_TCP', portIndex: 1 }), bridgeDeclared, [31000, 31001]), { type: 'TCP', tcp: { port: 31001 }, ...timing });
  t.deepEqual(toMesosHealthCheck(hc({ protocol: 'MESOS_TCP', port: 7000, ipProtocol: 'IPv6' }), bridgeDeclared, [31000, 31001]), { type: 'TCP', tcp: { port: 7000, protocol: 'IPv6' }, ...timing });
});

test('COMMAND checks carry the command', (t) => {
  t.deepEqual(toMesosHealthCheck(hc({ protocol: 'COMMAND', command: { value: 'curl -f http://$HOST:$PORT0/' } }), [], []),
    { type: 'COMMAND', command: { value: 'curl -f http://$HOST:$PORT0/' }, ...timing });
});

test('the first buildable Mesos check is the task check; Marathon-run ones and unresolvable ports are skipped', (t) => {
  const checks = [hc({ protocol: 'HTTP', portIndex: 0 }), hc({ protocol: 'MESOS_TCP', portIndex: 5 }), hc({ protocol: 'MESOS_HTTP', portIndex: 0, path: '/' })];
  t.deepEqual(taskHealthCheck(checks, hostDeclared, [31000, 31001]), { type: 'HTTP', http: { scheme: 'http', port: 31000, path: '/' }, ...timing });
  t.is(taskHealthCheck([hc({ protocol: 'TCP', portIndex: 0 }), hc({ protocol: 'HTTPS', portIndex: 0 })], hostDeclared, [31000, 31001]), undefined);
});
