import test from 'ava';
import type { Clock } from '../../../common/ports.ts';
import { createBatchApp } from './app.ts';
import { call, FakeBatchService, job, makeApp, run, schedule } from './fake-batch-service.ts';

test('GET /ping: "pong" as text', async (t) => {
  const r = await call(makeApp().app, 'GET', '/ping');
  t.is(r.status, 200);
  t.is(r.text, 'pong');
  t.true(r.contentType?.startsWith('text/plain'));
});

test('GET /info and /v1/info: name, version and libVersion', async (t) => {
  const app = createBatchApp({ service: new FakeBatchService(), name: 'maestro-batch', version: '0.1.0' });
  for (const url of ['/info', '/v1/info']) {
    const r = await call(app, 'GET', url);
    t.is(r.status, 200);
    t.deepEqual(r.json, { name: 'maestro-batch', version: '0.1.0', libVersion: '0.1.0' });
  }
});

test('unknown routes and methods: 404 {"message":"Unknown route.","requestPath"}, HTML-escaped', async (t) => {
  const { app } = makeApp();
  const r = await call(app, 'GET', '/v2/apps');
  t.is(r.status, 404);
  t.deepEqual(r.json, { message: 'Unknown route.', requestPath: '/v2/apps' });
  t.is((await call(app, 'PATCH', '/v1/jobs')).status, 404);
  const xss = await call(app, 'GET', '/v1/"><script>alert(1)</script>');
  t.is(xss.status, 404);
  t.false(xss.text.includes('<script>'));
});

test('a failure inside a route: 500 {"requestPath"}', async (t) => {
  const service = new FakeBatchService([job('prod.report')]);
  service.history = () => Promise.reject(new Error('database gone'));
  const r = await call(makeApp(service).app, 'GET', '/v1/jobs/prod.report?embed=history');
  t.is(r.status, 500);
  t.deepEqual(r.json, { requestPath: '/v1/jobs/prod.report' });
});

test('any content type is read as the JSON body (curl -d sends form encoding)', async (t) => {
  const { app, service } = makeApp();
  const r = await call(app, 'POST', '/v1/jobs', JSON.stringify({ id: 'a', run: { cmd: 'true', cpus: 0.1, mem: 32, disk: 0 } }), {
    'content-type': 'application/x-www-form-urlencoded',
  });
  t.is(r.status, 201);
  t.is(service.calls.length, 1);
});

test('/v1/metrics and /metrics: the service\'s gauges and the requests answered so far', async (t) => {
  let now = 1_000_000;
  const clock: Clock = { now: () => now };
  const service = new FakeBatchService([job('prod.report'), job('dev.build'), job('dev.test')]);
  service.schedulesByJob.set('prod.report', [schedule('hourly'), schedule('nightly')]);
  service.schedulesByJob.set('dev.build', [schedule('nightly')]);
  service.runs = [
    run(service.job('prod.report')!, 'r1'),
    run(service.job('dev.build')!, 'r2', { status: 'INITIAL' }),
    run(service.job('dev.build')!, 'r3', { status: 'STARTING' }),
    run(service.job('dev.test')!, 'r4'),
  ];
  const app = createBatchApp({ service, clock });
  await call(app, 'GET', '/v1/jobs');              // 2xx
  await call(app, 'GET', '/v1/jobs/nothing.here'); // 4xx
  now += 10_000;
  const r = await call(app, 'GET', '/v1/metrics');
  t.is(r.status, 200);
  t.deepEqual(Object.keys(r.json).sort(), ['counters', 'gauges', 'histograms', 'meters', 'timers', 'version']);
  const gauge = (name: string) => r.json.gauges[name].value;
  t.is(gauge('metronome.jobs.gauge'), 3);
  t.is(gauge('metronome.schedules.gauge'), 3);
  t.is(gauge('metronome.runs.active.gauge'), 4);
  t.is(gauge('metronome.runs.initial.gauge'), 1);
  t.is(gauge('metronome.runs.starting.gauge'), 1);
  t.is(gauge('metronome.runs.running.gauge'), 2);
  t.is(gauge('metronome.uptime.gauge.seconds'), 10);
  t.is(r.json.counters['metronome.http.requests.count'].count, 2);
  t.is(r.json.meters['metronome.http.responses.2xx.rate'].count, 1);
  t.is(r.json.meters['metronome.http.responses.4xx.rate'].count, 1);
  const again = await call(app, 'GET', '/metrics');
  t.is(again.json.counters['metronome.http.requests.count'].count, 3);
});

test('a body over the limit: 413, nothing created', async (t) => {
  const { app, service } = makeApp();
  const huge = JSON.stringify({ id: 'a', description: 'x'.repeat(5 * 1024 * 1024), run: { cmd: 'true' } });
  const r = await call(app, 'POST', '/v1/jobs', huge);
  t.is(r.status, 413);
  t.deepEqual(r.json, { message: 'Request Entity Too Large', requestPath: '/v1/jobs' });
  t.deepEqual(service.calls, []);
});
