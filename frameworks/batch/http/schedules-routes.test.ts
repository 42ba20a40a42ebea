import test from 'ava';
import { call, FakeBatchService, job, makeApp, schedule } from './fake-batch-service.ts';

const NEXT = '2026-11-22T11:00:00.000Z';

function service(): FakeBatchService {
  const s = new FakeBatchService([job('prod.report'), job('dev.build')]);
  s.schedulesByJob.set('prod.report', [schedule('hourly', { cron: '0 * * * *' }), schedule('off', { enabled: false })]);
  s.nextRuns.set('prod.report/hourly', NEXT);
  return s;
}

test('GET /v1/jobs/{id}/schedules: every schedule, nextRunAt where the core has one', async (t) => {
  const r = await call(makeApp(service()).app, 'GET', '/v1/jobs/prod.report/schedules');
  t.is(r.status, 200);
  t.deepEqual(r.json, [
    { id: 'hourly', cron: '0 * * * *', timezone: 'UTC', startingDeadlineSeconds: 900, concurrencyPolicy: 'ALLOW', enabled: true, nextRunAt: NEXT },
    { id: 'off', cron: '*/5 * * * *', timezone: 'UTC', startingDeadlineSeconds: 900, concurrencyPolicy: 'ALLOW', enabled: false },
  ]);
  t.deepEqual((await call(makeApp(service()).app, 'GET', '/v1/jobs/dev.build/schedules')).json, []);
});

test('GET /v1/jobs/{id}/schedules/{sid}: the schedule; 404 for the job, then for the schedule', async (t) => {
  const { app } = makeApp(service());
  const r = await call(app, 'GET', '/v1/jobs/prod.report/schedules/hourly');
  t.is(r.status, 200);
  t.like(r.json, { id: 'hourly', nextRunAt: NEXT });
  const noJob = await call(app, 'GET', '/v1/jobs/prod.nothing/schedules/hourly');
  t.is(noJob.status, 404);
  t.deepEqual(noJob.json, { id: 'prod.nothing', message: 'Job not found' });
  const noSchedule = await call(app, 'GET', '/v1/jobs/prod.report/schedules/daily');
  t.is(noSchedule.status, 404);
  t.deepEqual(noSchedule.json, { id: 'daily', message: 'Schedule not found' });
});

test('POST /v1/jobs/{id}/schedules: 201 with the schedule, Metronome\'s defaults filled', async (t) => {
  const { app, service: s } = makeApp(service());
  s.nextRuns.set('dev.build/nightly', '2026-11-23T02:00:00.000Z');
  const r = await call(app, 'POST', '/v1/jobs/dev.build/schedules', { id: 'nightly', cron: '0 2 * * *', timezone: 'Europe/Berlin' });
  t.is(r.status, 201);
  t.deepEqual(r.json, {
    id: 'nightly', cron: '0 2 * * *', timezone: 'Europe/Berlin', startingDeadlineSeconds: 900, concurrencyPolicy: 'ALLOW', enabled: true,
    nextRunAt: '2026-11-23T02:00:00.000Z',
  });
  t.deepEqual(s.calls.map((c) => [c.method, c.args[0]]), [['createSchedule', 'dev.build']]);
});

// [case, url, body, status, body or the path of the first detail]; none calls the service
const refusals: [string, string, string | object, number, object | string][] = [
  ['bad cron', '/v1/jobs/dev.build/schedules', { id: 'nightly', cron: '0 25 * * *' }, 422, '/cron'],
  ['unknown time zone', '/v1/jobs/dev.build/schedules', { id: 'nightly', cron: '0 2 * * *', timezone: 'Mars/Olympus' }, 422, '/timezone'],
  ['bad concurrencyPolicy', '/v1/jobs/dev.build/schedules', { id: 'nightly', cron: '0 2 * * *', concurrencyPolicy: 'REPLACE' }, 422, '/concurrencyPolicy'],
  ['no id', '/v1/jobs/dev.build/schedules', { cron: '0 2 * * *' }, 422, '/id'],
  ['not JSON', '/v1/jobs/dev.build/schedules', 'cron=0 2 * * *', 400, 'Invalid Json: '],
  ['an unknown job', '/v1/jobs/prod.nothing/schedules', { id: 'nightly', cron: '0 2 * * *' }, 404, { id: 'prod.nothing', message: 'Job not found' }],
  ['an existing id', '/v1/jobs/prod.report/schedules', { id: 'hourly', cron: '0 2 * * *' }, 409, { message: 'A schedule with id hourly already exists' }],
];
for (const [name, url, body, status, expected] of refusals) {
  test(`POST schedule with ${name}: ${status}, no call`, async (t) => {
    const { app, service: s } = makeApp(service());
    const r = await call(app, 'POST', url, body);
    t.is(r.status, status);
    if (status === 422) {
      t.is(r.json.message, 'Object is not valid');
      t.is(r.json.details[0].path, expected, JSON.stringify(r.json.details));
    } else if (status === 400) {
      t.true(r.json.message.startsWith(expected as string));
      t.is(r.json.requestPath, url);
    } else {
      t.deepEqual(r.json, expected);
    }
    t.deepEqual(s.calls, []);
  });
}

test('PUT /v1/jobs/{id}/schedules/{sid}: the path\'s id wins; 200 with the schedule', async (t) => {
  const { app, service: s } = makeApp(service());
  const r = await call(app, 'PUT', '/v1/jobs/prod.report/schedules/hourly', { id: 'other', cron: '30 * * * *', concurrencyPolicy: 'FORBID' });
  t.is(r.status, 200);
  t.like(r.json, { id: 'hourly', cron: '30 * * * *', concurrencyPolicy: 'FORBID', nextRunAt: NEXT });
  t.deepEqual(s.calls.map((c) => [c.method, c.args[0], (c.args[1] as { id: string }).id]), [['updateSchedule', 'prod.report', 'hourly']]);
  t.is(s.schedules('prod.report')[0].cron, '30 * * * *');
});

test('PUT /v1/jobs/{id}/schedules/{sid}: 404 schedule, 404 job, 422 body; no call', async (t) => {
  const { app, service: s } = makeApp(service());
  const noSchedule = await call(app, 'PUT', '/v1/jobs/prod.report/schedules/daily', { id: 'daily', cron: '0 2 * * *' });
  t.is(noSchedule.status, 404);
  t.deepEqual(noSchedule.json, { id: 'daily', message: 'Schedule not found' });
  const noJob = await call(app, 'PUT', '/v1/jobs/prod.nothing/schedules/hourly', { id: 'hourly', cron: '0 2 * * *' });
  t.deepEqual(noJob.json, { id: 'prod.nothing', message: 'Job not found' });
  const invalid = await call(app, 'PUT', '/v1/jobs/prod.report/schedules/hourly', { cron: 'often' });
  t.is(invalid.status, 422);
  t.deepEqual(s.calls, []);
});

test('DELETE /v1/jobs/{id}/schedules/{sid}: 200 with an empty body; 404s call nothing', async (t) => {
  const { app, service: s } = makeApp(service());
  const r = await call(app, 'DELETE', '/v1/jobs/prod.report/schedules/off');
  t.is(r.status, 200);
  t.is(r.text, '');
  t.deepEqual(s.calls, [{ method: 'deleteSchedule', args: ['prod.report', 'off'] }]);
  t.deepEqual(s.schedules('prod.report').map((x) => x.id), ['hourly']);
  const again = await call(app, 'DELETE', '/v1/jobs/prod.report/schedules/off');
  t.is(again.status, 404);
  t.deepEqual(again.json, { id: 'off', message: 'Schedule not found' });
  t.is(s.calls.length, 1);
});
