import test from 'ava';
import { effectivePort, marathonRunChecks, probeTarget, type MarathonRunCheck } from './health-target.ts';
import { app, healthCheck } from './test-fixtures.ts';

test('marathonRunChecks: HTTP, HTTPS and TCP, with their positions; COMMAND and MESOS_* are the agent\'s', (t) => {
  const a = app({
    healthChecks: [
      healthCheck({ protocol: 'MESOS_HTTP' }),
      healthCheck({ protocol: 'HTTP' }),
      healthCheck({ protocol: 'COMMAND', command: { value: 'true' } }),
      healthCheck({ protocol: 'TCP' }),
      healthCheck({ protocol: 'HTTPS' }),
    ],
  });
  t.deepEqual(marathonRunChecks(a).map((c) => [c.index, c.check.protocol]), [[1, 'HTTP'], [3, 'TCP'], [4, 'HTTPS']]);
});

const ports = [31000, 31001, 31002];
const portCases: readonly [string, Parameters<typeof healthCheck>[0], number | undefined][] = [
  ['portIndex 0', { portIndex: 0 }, 31000],
  ['portIndex 2', { portIndex: 2 }, 31002],
  ['portIndex absent: 0', { portIndex: undefined }, 31000],
  ['port wins over portIndex', { port: 8080, portIndex: 1 }, 8080],
  ['portIndex out of range', { portIndex: 3 }, undefined],
];
for (const [name, over, expected] of portCases) {
  test(`effectivePort: ${name}`, (t) => t.is(effectivePort(healthCheck(over), ports), expected));
}

const run = (over: Parameters<typeof healthCheck>[0]) => healthCheck(over) as MarathonRunCheck['check'];

const targetCases: readonly [string, MarathonRunCheck['check'], { host: string; ports: number[] }, string][] = [
  ['HTTP with path', run({ path: '/health' }), { host: 'agent1', ports }, 'http://agent1:31000/health'],
  ['HTTP relative path made absolute', run({ path: 'ping' }), { host: 'agent1', ports }, 'http://agent1:31000/ping'],
  ['HTTP without path: /', run({ path: undefined }), { host: 'agent1', ports }, 'http://agent1:31000/'],
  ['HTTPS on portIndex 1', run({ protocol: 'HTTPS', portIndex: 1, path: '/h' }), { host: '10.0.0.5', ports }, 'https://10.0.0.5:31001/h'],
  ['an IPv6 host in brackets', run({ path: '/' }), { host: '::1', ports }, 'http://[::1]:31000/'],
  ['TCP', run({ protocol: 'TCP', portIndex: 2, path: undefined }), { host: 'agent1', ports }, 'tcp agent1:31002'],
  ['no port', run({ portIndex: 5 }), { host: 'agent1', ports }, "none Health check failed: unable to get the task's effectivePort"],
  ['no host', run({}), { host: '', ports }, "none Health check failed: unable to get the task's effective IP address"],
];
for (const [name, check, address, expected] of targetCases) {
  test(`probeTarget: ${name}`, (t) => {
    const target = probeTarget(check, address);
    const shown = target.kind === 'http' ? target.url.href : target.kind === 'tcp' ? `tcp ${target.host}:${target.port}` : `none ${target.cause}`;
    t.is(shown, expected);
  });
}
