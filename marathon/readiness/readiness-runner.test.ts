import test from 'ava';
import { createServer, type AddressInfo } from 'node:net';
import type { ReadinessCheck, ReadinessResult } from '../model.ts';
import type { HealthTarget } from '../health/health-runner.ts';
import { app, closedPort, httpServer, httpsServer, idle, ManualTime, until } from '../health/test-fixtures.ts';
import { createReadinessRunner, readinessTiming } from './readiness-runner.ts';

const check = (over: Partial<ReadinessCheck> = {}): ReadinessCheck => ({
  name: 'readinessCheck', protocol: 'HTTP', path: '/ready', portName: 'http-api', intervalSeconds: 30, timeoutSeconds: 10,
  httpStatusCodesForReady: [200], preserveLastResponse: false, ...over,
});
const readyApp = (checks: ReadinessCheck[]) => app({
  portDefinitions: [{ port: 0, protocol: 'tcp', name: 'admin' }, { port: 0, protocol: 'tcp', name: 'http-api' }],
  readinessChecks: checks,
});

function harness() {
  const time = new ManualTime();
  const t0 = time.now();
  const results: { at: number; instanceId: string; result: ReadinessResult }[] = [];
  const runner = createReadinessRunner({ timers: time, clock: time, onResult: (instanceId, result) => results.push({ at: time.now() - t0, instanceId, result }) });
  const target = (ports: number[], over: Partial<HealthTarget> = {}): HealthTarget => ({
    instanceId: 'web.instance-1', taskId: 'web.instance-1._app.1', host: '127.0.0.1', ports, startedAt: t0, ...over,
  });
  return { time, results, runner, target };
}

test('readinessTiming: eager first check, then every interval', (t) => {
  t.deepEqual(readinessTiming(check()), { delayMs: 0, intervalMs: 30_000, timeoutMs: 10_000 });
});

test('readiness runner: probes at once and every interval until ready, then stops; the last response kept', async (t) => {
  let status = 503;
  const paths: string[] = [];
  const server = await httpServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(status, { 'content-type': 'application/json' }).end(`{"status":${status}}`);
  });
  t.teardown(() => server.close());
  const h = harness();
  t.teardown(() => h.runner.stop());
  h.runner.track(h.target([1, server.port]), readyApp([check({ preserveLastResponse: true })]));
  h.time.advance(0);
  await until(() => h.results.length === 1); // t=0: not ready yet
  t.deepEqual(h.results[0], {
    at: 0, instanceId: 'web.instance-1',
    result: { name: 'readinessCheck', taskId: 'web.instance-1._app.1', ready: false, lastResponse: { status: 503, contentType: 'application/json', body: '{"status":503}' } },
  });
  h.time.advance(29_999);
  await idle();
  t.is(server.hits(), 1); // t=29.999 s: still one
  status = 200;
  h.time.advance(1);
  await until(() => h.results.length === 2); // t=30 s: ready
  t.deepEqual(h.results[1]!.result, {
    name: 'readinessCheck', taskId: 'web.instance-1._app.1', ready: true, lastResponse: { status: 200, contentType: 'application/json', body: '{"status":200}' },
  });
  h.time.advance(300_000);
  await idle();
  t.is(server.hits(), 2); // no probe after ready
  t.is(h.results.length, 2);
  t.deepEqual(paths, ['/ready', '/ready']);
});

test('readiness runner: HTTPS with a self-signed certificate, custom ready codes, no body kept', async (t) => {
  const server = await httpsServer((_, res) => res.writeHead(204).end());
  t.teardown(() => server.close());
  const h = harness();
  t.teardown(() => h.runner.stop());
  h.runner.track(h.target([1, server.port]), readyApp([check({ protocol: 'HTTPS', httpStatusCodesForReady: [200, 204] })]));
  h.time.advance(0);
  await until(() => h.results.length === 1);
  t.deepEqual(h.results[0]!.result, { name: 'readinessCheck', taskId: 'web.instance-1._app.1', ready: true });
});

test('readiness runner: a refused connection reads as Marathon\'s 504 and probing goes on', async (t) => {
  const port = await closedPort();
  const h = harness();
  t.teardown(() => h.runner.stop());
  h.runner.track(h.target([1, port]), readyApp([check({ preserveLastResponse: true })]));
  h.time.advance(0);
  await until(() => h.results.length === 1);
  const first = h.results[0]!.result;
  t.false(first.ready);
  t.is(first.lastResponse?.status, 504);
  t.is(first.lastResponse?.contentType, 'text/plain');
  t.regex(first.lastResponse!.body, new RegExp(`^Marathon could not query http://127\\.0\\.0\\.1:${port}/ready: .*ECONNREFUSED`));
  h.time.advance(30_000);
  await until(() => h.results.length === 2);
  t.is(h.results[1]!.at, 30_000);
});

test('readiness runner: a probe past timeoutSeconds is not ready', async (t) => {
  const silent = createServer((socket) => {
    socket.on('error', () => {});
    socket.resume();
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { silent.close(() => r()); }));
  const { port } = silent.address() as AddressInfo;
  const h = harness();
  t.teardown(() => h.runner.stop());
  h.runner.track(h.target([1, port]), readyApp([check({ preserveLastResponse: true, timeoutSeconds: 3 })]));
  h.time.advance(0);
  await idle();
  t.deepEqual(h.results, []);
  h.time.advance(3_000);
  await until(() => h.results.length === 1);
  t.is(h.results[0]!.at, 3_000);
  t.is(h.results[0]!.result.lastResponse?.body, `Marathon could not query http://127.0.0.1:${port}/ready: request timed out after 3 seconds`);
});

test('readiness runner: nothing after untrack or stop; an unknown port name is reported once, not probed', async (t) => {
  const server = await httpServer((_, res) => res.writeHead(503).end());
  t.teardown(() => server.close());
  const h = harness();
  h.runner.track(h.target([1, server.port]), readyApp([check()]));
  h.time.advance(0);
  await until(() => h.results.length === 1);
  h.runner.untrack('web.instance-1');
  h.time.advance(120_000);
  await idle();
  t.is(server.hits(), 1);
  t.is(h.results.length, 1);

  h.runner.track(h.target([1, server.port], { instanceId: 'i2' }), readyApp([check({ portName: 'nope' })]));
  t.deepEqual(h.results[1], { at: 120_000, instanceId: 'i2', result: { name: 'readinessCheck', taskId: 'web.instance-1._app.1', ready: false } });
  h.runner.stop();
  h.runner.track(h.target([1, server.port], { instanceId: 'i3' }), readyApp([check()]));
  h.time.advance(120_000);
  await idle();
  t.is(server.hits(), 1);
  t.is(h.results.length, 2);
});
