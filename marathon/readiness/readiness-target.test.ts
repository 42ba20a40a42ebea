import test from 'ava';
import type { ReadinessCheck } from '../model.ts';
import { app } from '../health/test-fixtures.ts';
import { portNames, readinessUrl } from './readiness-target.ts';

const check = (over: Partial<ReadinessCheck> = {}): ReadinessCheck => ({
  name: 'readinessCheck', protocol: 'HTTP', path: '/ready', portName: 'http-api', intervalSeconds: 30, timeoutSeconds: 10,
  httpStatusCodesForReady: [200], preserveLastResponse: false, ...over,
});

const hostApp = app({
  portDefinitions: [{ port: 0, protocol: 'tcp', name: 'admin' }, { port: 0, protocol: 'tcp', name: 'http-api' }, { port: 0, protocol: 'tcp' }],
});
const bridgeApp = app({
  networks: [{ mode: 'container/bridge' }],
  portDefinitions: [],
  container: {
    type: 'DOCKER', volumes: [],
    portMappings: [
      { containerPort: 8080, hostPort: 0, servicePort: 0, protocol: 'tcp', name: 'http-api' },
      { containerPort: 9090, hostPort: 0, servicePort: 0, protocol: 'tcp', name: 'metrics' },
    ],
  },
});

test('portNames: portDefinitions on the host network, portMappings otherwise', (t) => {
  t.deepEqual(portNames(hostApp), ['admin', 'http-api', undefined]);
  t.deepEqual(portNames(bridgeApp), ['http-api', 'metrics']);
});

const cases: readonly [string, ReadinessCheck, typeof hostApp, number[], string][] = [
  ['host network: the 2nd port', check(), hostApp, [31000, 31001, 31002], 'http://agent1:31001/ready'],
  ['bridge: the 1st mapping', check(), bridgeApp, [31005, 31006], 'http://agent1:31005/ready'],
  ['HTTPS on metrics', check({ protocol: 'HTTPS', portName: 'metrics', path: '/m?x=1' }), bridgeApp, [31005, 31006], 'https://agent1:31006/m?x=1'],
  ['unknown name', check({ portName: 'nope' }), hostApp, [31000, 31001, 31002], "no port definition for port name 'nope' was found"],
  ['no port at that position', check(), hostApp, [31000], "no port assigned for port name 'http-api'"],
];
for (const [name, c, a, ports, expected] of cases) {
  test(`readinessUrl: ${name}`, (t) => {
    const r = readinessUrl(c, a, { host: 'agent1', ports });
    t.is(r.ok ? r.url.href : r.cause, expected);
  });
}
