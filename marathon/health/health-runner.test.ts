import test from 'ava';
import { createServer, type AddressInfo } from 'node:net';
import type { HealthResult } from '../model.ts';
import { realHealthProbes, type HealthProbes } from './health-probes.ts';
import { createHealthRunner, healthTiming, type HealthTarget } from './health-runner.ts';
import { app, closedPort, healthCheck, httpServer, httpsServer, idle, ManualTime, tcpServer, until } from './test-fixtures.ts';

/** A runner on manual time whose callbacks are recorded; probes are the real ones, counted when they finish. */
function harness() {
  const time = new ManualTime();
  const results: { at: number; instanceId: string; results: readonly HealthResult[] }[] = [];
  const kills: { at: number; instanceId: string; protocol: string; cause: string }[] = [];
  let finished = 0;
  const counted = <A extends unknown[]>(make: (...args: A) => ReturnType<HealthProbes['http']>) => (...args: A): ReturnType<HealthProbes['http']> => {
    const probe = make(...args);
    return async (signal) => {
      const observation = await probe(signal);
      finished++;
      return observation;
    };
  };
  const runner = createHealthRunner({
    timers: time,
    clock: time,
    probes: { http: counted(realHealthProbes.http), tcp: counted(realHealthProbes.tcp) },
    onResults: (instanceId, r) => results.push({ at: time.now() - time0, instanceId, results: r }),
    onUnhealthy: (instanceId, check, cause) => kills.push({ at: time.now() - time0, instanceId, protocol: check.protocol, cause }),
  });
  const time0 = time.now();
  const target = (ports: number[], over: Partial<HealthTarget> = {}): HealthTarget => ({
    instanceId: 'web.instance-1', taskId: 'web.instance-1._app.1', host: '127.0.0.1', ports, startedAt: time0, ...over,
  });
  return { time, results, kills, runner, target, t0: time0, probes: () => finished };
}

test('healthTiming: first probe after min(interval, 5 s), timeout 0 = none', (t) => {
  t.deepEqual(healthTiming(healthCheck({ intervalSeconds: 60, timeoutSeconds: 20 })), { delayMs: 5_000, intervalMs: 60_000, timeoutMs: 20_000 });
  t.deepEqual(healthTiming(healthCheck({ intervalSeconds: 2, timeoutSeconds: 0 })), { delayMs: 2_000, intervalMs: 2_000, timeoutMs: Infinity });
});

test('health runner: HTTP probes at 5 s, then every interval; results carry the probe times', async (t) => {
  const server = await httpServer((_, res) => res.writeHead(200).end('ok'));
  t.teardown(() => server.close());
  const h = harness();
  t.teardown(() => h.runner.stop());
  h.runner.track(h.target([server.port]), app({ healthChecks: [healthCheck({ intervalSeconds: 10, gracePeriodSeconds: 0 })] }));
  h.time.advance(4_999);
  await idle();
  t.is(server.hits(), 0); // t=4.999 s: not yet
  h.time.advance(1);
  await until(() => h.results.length === 1); // t=5 s
  t.is(server.hits(), 1);
  t.deepEqual(h.results[0], {
    at: 5_000,
    instanceId: 'web.instance-1',
    results: [{
      alive: true, consecutiveFailures: 0, firstSuccess: new Date(h.t0 + 5_000).toISOString(), lastSuccess: new Date(h.t0 + 5_000).toISOString(),
      lastFailure: null, lastFailureCause: null,
    }],
  });
  h.time.advance(10_000);
  await until(() => h.results.length === 2); // t=15 s
  t.is(h.results[1]!.results[0]!.lastSuccess, new Date(h.t0 + 15_000).toISOString());
  t.is(h.results[1]!.results[0]!.firstSuccess, new Date(h.t0 + 5_000).toISOString());
  t.is(server.hits(), 2);
});

test('health runner: more than maxConsecutiveFailures failures after a success: killed once, with the cause', async (t) => {
  let status = 200;
  const server = await httpServer((_, res) => res.writeHead(status).end());
  t.teardown(() => server.close());
  const h = harness();
  t.teardown(() => h.runner.stop());
  h.runner.track(h.target([server.port]), app({ healthChecks: [healthCheck({ path: '/health', intervalSeconds: 10, maxConsecutiveFailures: 2 })] }));
  h.time.advance(5_000);
  await until(() => h.results.length === 1); // t=5 s: healthy (ends the 300 s grace period)
  status = 503;
  for (let n = 2; n <= 5; n++) {
    h.time.advance(10_000);
    await until(() => h.results.length === n); // t=15, 25, 35, 45 s: failures 1..4
  }
  t.deepEqual(h.results.map((r) => r.results[0]!.consecutiveFailures), [0, 1, 2, 3, 4]);
  t.deepEqual(h.results.map((r) => r.results[0]!.alive), [true, false, false, false, false]);
  t.is(h.results[4]!.results[0]!.lastFailureCause, '503 Service Unavailable');
  // max 2: the 3rd consecutive failure (t=35 s) kills; the 4th does not kill again
  t.deepEqual(h.kills, [{ at: 35_000, instanceId: 'web.instance-1', protocol: 'HTTP', cause: '503 Service Unavailable' }]);
});

test('health runner: failures in the grace period are not reported; the first after it counts', async (t) => {
  const port = await closedPort();
  const h = harness();
  t.teardown(() => h.runner.stop());
  h.runner.track(h.target([port]), app({ healthChecks: [healthCheck({ intervalSeconds: 10, gracePeriodSeconds: 30, maxConsecutiveFailures: 0 })] }));
  for (let i = 1; i <= 3; i++) {
    h.time.advance(i === 1 ? 5_000 : 10_000); // probes at 5, 15, 25 s: inside the 30 s grace period
    await until(() => h.probes() === i);
  }
  await idle();
  t.deepEqual(h.results, []);
  h.time.advance(10_000); // t=35 s: past the grace period
  await until(() => h.results.length === 1);
  const [result] = h.results[0]!.results;
  t.is(result!.consecutiveFailures, 1);
  t.is(result!.lastFailure, new Date(h.t0 + 35_000).toISOString());
  t.regex(result!.lastFailureCause!, /ECONNREFUSED/);
  t.deepEqual(h.kills, []); // max 0: never killed
});

test('health runner: HTTPS with a self-signed certificate and TCP, one result per Marathon-run check in order', async (t) => {
  const https = await httpsServer((_, res) => res.writeHead(204).end());
  const tcp = await tcpServer();
  t.teardown(() => https.close());
  t.teardown(() => tcp.close());
  const h = harness();
  t.teardown(() => h.runner.stop());
  const checks = [
    healthCheck({ protocol: 'HTTPS', portIndex: 1, intervalSeconds: 10 }),
    healthCheck({ protocol: 'COMMAND', command: { value: 'true' } }), // the agent's: no result here
    healthCheck({ protocol: 'TCP', port: tcp.port, path: undefined, intervalSeconds: 10 }),
  ];
  h.runner.track(h.target([1, https.port]), app({ healthChecks: checks }));
  h.time.advance(5_000);
  await until(() => h.results.length === 2);
  const last = h.results[1]!.results;
  t.is(last.length, 2);
  t.deepEqual(last.map((r) => r.alive), [true, true]);
  t.is(https.hits(), 1);
  t.is(tcp.hits(), 1);
});

test('health runner: a probe past timeoutSeconds is a failure', async (t) => {
  const silent = createServer((socket) => {
    socket.on('error', () => {});
    socket.resume(); // reads the request, never answers
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { silent.close(() => r()); }));
  const { port } = silent.address() as AddressInfo;
  const h = harness();
  t.teardown(() => h.runner.stop());
  h.runner.track(h.target([port]), app({ healthChecks: [healthCheck({ intervalSeconds: 10, timeoutSeconds: 2, gracePeriodSeconds: 0 })] }));
  h.time.advance(5_000);
  await idle(50);
  t.deepEqual(h.results, []); // the GET hangs; t=5 s
  h.time.advance(2_000); // t=7 s: timed out
  await until(() => h.results.length === 1);
  t.is(h.results[0]!.at, 7_000);
  t.is(h.results[0]!.results[0]!.lastFailureCause, 'HTTP health check timed out after 2 seconds');
});

test('health runner: a 1xx with ignoreHttp1xx leaves the health as it was', async (t) => {
  const raw = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => socket.write('HTTP/1.1 102 Processing\r\n\r\n'));
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { raw.close(() => r()); }));
  const { port } = raw.address() as AddressInfo;
  const h = harness();
  t.teardown(() => h.runner.stop());
  h.runner.track(h.target([port]), app({ healthChecks: [healthCheck({ intervalSeconds: 10, gracePeriodSeconds: 0, ignoreHttp1xx: true })] }));
  h.time.advance(5_000);
  await until(() => h.probes() === 1); // t=5 s: 102
  h.time.advance(10_000);
  await until(() => h.probes() === 2); // t=15 s: 102
  await idle();
  t.deepEqual(h.results, []);
  t.deepEqual(h.kills, []);
});

test('health runner: nothing after untrack or stop, and track again starts afresh', async (t) => {
  const server = await httpServer((_, res) => res.writeHead(200).end());
  t.teardown(() => server.close());
  const h = harness();
  const a = app({ healthChecks: [healthCheck({ intervalSeconds: 10 })] });
  h.runner.track(h.target([server.port]), a);
  h.time.advance(5_000);
  await until(() => h.results.length === 1);
  h.runner.untrack('web.instance-1');
  h.time.advance(60_000);
  await idle();
  t.is(server.hits(), 1);
  t.is(h.results.length, 1);

  h.runner.track(h.target([server.port]), a); // t=65 s: a fresh start, first probe at 70 s
  h.time.advance(5_000);
  await until(() => h.results.length === 2);
  t.is(h.results[1]!.at, 70_000);
  t.is(h.results[1]!.results[0]!.firstSuccess, new Date(h.t0 + 70_000).toISOString());

  h.runner.stop();
  h.runner.track(h.target([server.port], { instanceId: 'other' }), a);
  h.time.advance(60_000);
  await idle();
  t.is(server.hits(), 2);
  t.is(h.results.length, 2);
});

test('health runner: an app without Marathon-run checks probes nothing', async (t) => {
  const server = await httpServer((_, res) => res.writeHead(200).end());
  t.teardown(() => server.close());
  const h = harness();
  t.teardown(() => h.runner.stop());
  h.runner.track(h.target([server.port]), app({ healthChecks: [healthCheck({ protocol: 'MESOS_HTTP' })] }));
  h.time.advance(120_000);
  await idle();
  t.is(server.hits(), 0);
  t.deepEqual(h.results, []);
});
