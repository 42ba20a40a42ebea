import test from 'ava';
import { call, FakeBatchService, job, makeApp, run, schedule, T0 } from './fake-batch-service.ts';

const DOC = { id: 'prod.backup', description: 'nightly', labels: { team: 'ops' }, run: { cmd: 'backup.sh', cpus: 0.5, mem: 64, disk: 10 } };

function service(): FakeBatchService {
  return new FakeBatchService([job('prod.report'), job('dev.build')]);
}

// ---- POST /v1/jobs -------------------------------------------------------------------------------
test('POST /v1/jobs: 201 with the job as Metronome writes it (defaults filled), one createJob call', async (t) => {
  const { app, service: s } = makeApp(service());
  const r = await call(app, 'POST', '/v1/jobs', DOC);
  t.is(r.status, 201);
  t.true(r.contentType?.startsWith('application/json'));
  t.like(r.json, { id: 'prod.backup', description: 'nightly', labels: { team: 'ops' } });
  t.like(r.json.run, { cmd: 'backup.sh', cpus: 0.5, mem: 64, disk: 10, gpus: 0, maxLaunchDelay: 3600, restart: { policy: 'NEVER' } });
  t.deepEqual(s.calls.map((c) => c.method), ['createJob']);
  t.is((s.calls[0].args[0] as { id: string }).id, 'prod.backup');
  t.false('schedules' in r.json);
});

test('POST /v1/jobs with an existing id: 409 "Job with this id already exists", nothing created', async (t) => {
  const { app, service: s } = makeApp(service());
  const r = await call(app, 'POST', '/v1/jobs', { ...DOC, id: 'prod.report' });
  t.is(r.status, 409);
  t.deepEqual(r.json, { message: 'Job with this id already exists' });
  t.deepEqual(s.calls, []);
});

test('POST /v1/jobs: a refusal of the core is answered with its status and message', async (t) => {
  const s = service();
  s.refuse.set('createJob', { ok: false, status: 503, message: 'This batch does not lead; the leader is at 10.0.0.2:9000' });
  const { app } = makeApp(s);
  const r = await call(app, 'POST', '/v1/jobs', DOC);
  t.is(r.status, 503);
  t.deepEqual(r.json, { message: 'This batch does not lead; the leader is at 10.0.0.2:9000' });
});

test('POST /v1/jobs: a 422 of the core keeps its details', async (t) => {
  const s = service();
  s.refuse.set('createJob', { ok: false, status: 422, message: 'Object is not valid', details: [{ path: '/run/gpus', errors: ['no agent has GPUs'] }] });
  const r = await call(makeApp(s).app, 'POST', '/v1/jobs', DOC);
  t.is(r.status, 422);
  t.deepEqual(r.json, { message: 'Object is not valid', details: [{ path: '/run/gpus', errors: ['no agent has GPUs'] }] });
});

// ---- bad input: 400 and 422, never a change call -------------------------------------------------
const badBodies: [string, string | object, number, string][] = [
  // [case, body, status, path of the first detail or the start of the message]
  ['not JSON', '{"id": "x",', 400, 'Invalid Json: '],
  ['empty body', '', 400, 'Invalid Json: '],
  ['mem below 32', { ...DOC, run: { ...DOC.run, mem: 16 } }, 422, '/run/mem'],
  ['bad id', { ...DOC, id: 'Prod_Backup' }, 422, '/id'],
  ['no run', { id: 'prod.x' }, 422, '/run'],
  ['an array', [DOC], 422, '/'],
];
for (const [name, body, status, where] of badBodies) {
  test(`POST /v1/jobs with ${name}: ${status}, nothing created`, async (t) => {
    const { app, service: s } = makeApp(service());
    const r = await call(app, 'POST', '/v1/jobs', body);
    t.is(r.status, status);
    if (status === 400) {
      t.true((r.json.message as string).startsWith(where), r.json.message);
      t.is(r.json.requestPath, '/v1/jobs');
    } else {
      t.is(r.json.message, 'Object is not valid');
      t.is(r.json.details[0].path, where, JSON.stringify(r.json.details));
      t.true(r.json.details[0].errors.length > 0);
    }
    t.deepEqual(s.calls, []);
  });
}

// ---- GET /v1/jobs and embed ----------------------------------------------------------------------
test('GET /v1/jobs: every job in id order, no embeds unless asked', async (t) => {
  const { app, service: s } = makeApp(service());
  const r = await call(app, 'GET', '/v1/jobs');
  t.is(r.status, 200);
  t.deepEqual(r.json.map((j: { id: string }) => j.id), ['dev.build', 'prod.report']);
  for (const j of r.json) t.deepEqual(Object.keys(j).sort(), ['id', 'labels', 'run']);
  t.is(s.historyReads, 0);
});

function embedService(): FakeBatchService {
  const s = service();
  const report = s.job('prod.report')!;
  s.runs = [run(report, '20261122100000abcde'), run(s.job('dev.build')!, '20261122100000fghij', { status: 'STARTING' })];
  s.schedulesByJob.set('prod.report', [schedule('hourly', { cron: '0 * * * *' })]);
  s.nextRuns.set('prod.report/hourly', '2026-11-22T11:00:00.000Z');
  s.histories.set('prod.report', {
    successCount: 2, failureCount: 1, lastSuccessAt: T0, lastFailureAt: '2026-11-21T10:00:00.000Z',
    successfulFinishedRuns: [{ id: '20261122090000aaaaa', createdAt: '2026-11-22T09:00:00.000Z', finishedAt: T0 }],
    failedFinishedRuns: [],
  });
  return s;
}

// embed as the client writes it -> the keys prod.report gets beside id, labels and run
const embedRows: [string, string[]][] = [
  ['', []],
  ['?embed=activeRuns', ['activeRuns']],
  ['?embed=schedules', ['schedules']],
  ['?embed=history', ['history']],
  ['?embed=historySummary', ['historySummary']],
  ['?embed=activeRuns&embed=schedules', ['activeRuns', 'schedules']],
  ['?embed=activeRuns,history,historySummary', ['activeRuns', 'history', 'historySummary']],
  ['?embed=schedules&embed=schedules', ['schedules']],
];
for (const [query, extra] of embedRows) {
  test(`GET /v1/jobs/prod.report${query} -> ${extra.join(', ') || 'no embeds'}`, async (t) => {
    const { app } = makeApp(embedService());
    const r = await call(app, 'GET', `/v1/jobs/prod.report${query}`);
    t.is(r.status, 200);
    t.deepEqual(Object.keys(r.json).sort(), ['id', 'labels', 'run', ...extra].sort());
  });
}

test('GET /v1/jobs?embed=...: the embedded values are the service\'s (runs, schedules with nextRunAt, history)', async (t) => {
  const { app, service: s } = makeApp(embedService());
  const r = await call(app, 'GET', '/v1/jobs?embed=activeRuns&embed=schedules&embed=history&embed=historySummary');
  t.is(r.status, 200);
  const [build, report] = r.json;
  t.deepEqual(build.activeRuns.map((x: { id: string; status: string }) => [x.id, x.status]), [['20261122100000fghij', 'STARTING']]);
  t.deepEqual(build.schedules, []);
  t.deepEqual(report.activeRuns.map((x: { id: string }) => x.id), ['20261122100000abcde']);
  t.is(report.activeRuns[0].completedAt, null);
  t.deepEqual(report.schedules, [{
    id: 'hourly', cron: '0 * * * *', timezone: 'UTC', startingDeadlineSeconds: 900, concurrencyPolicy: 'ALLOW', enabled: true,
    nextRunAt: '2026-11-22T11:00:00.000Z',
  }]);
  t.deepEqual(report.historySummary, { successCount: 2, failureCount: 1, lastSuccessAt: T0, lastFailureAt: '2026-11-21T10:00:00.000Z' });
  t.deepEqual(report.history.successfulFinishedRuns, [{ id: '20261122090000aaaaa', createdAt: '2026-11-22T09:00:00.000Z', finishedAt: T0 }]);
  t.deepEqual(build.history, { successCount: 0, failureCount: 0, lastSuccessAt: null, lastFailureAt: null, successfulFinishedRuns: [], failedFinishedRuns: [] });
  t.is(s.historyReads, 2); // once per job, for history and historySummary together
});

test('GET /v1/jobs with an unknown embed: 400 with Metronome\'s list of options', async (t) => {
  for (const url of ['/v1/jobs?embed=runs', '/v1/jobs/prod.report?embed=activeRuns,tasks']) {
    const r = await call(makeApp(service()).app, 'GET', url);
    t.is(r.status, 400, url);
    t.deepEqual(r.json, {
      message: 'Unknown embed options. Valid options are: activeRuns, schedules, history, historySummary',
      requestPath: url.split('?')[0],
    });
  }
});

test('GET /v1/jobs/{id}: 404 {id, "Job not found"}; a path that is no job id: 400 "Not a valid id"', async (t) => {
  const { app } = makeApp(service());
  const missing = await call(app, 'GET', '/v1/jobs/prod.nothing');
  t.is(missing.status, 404);
  t.deepEqual(missing.json, { id: 'prod.nothing', message: 'Job not found' });
  const bad = await call(app, 'GET', '/v1/jobs/Prod_Report');
  t.is(bad.status, 400);
  t.deepEqual(bad.json, { message: 'Not a valid id: Prod_Report', requestPath: '/v1/jobs/Prod_Report' });
});

// ---- PUT /v1/jobs/{id} ---------------------------------------------------------------------------
test('PUT /v1/jobs/{id}: the path\'s id wins over the body\'s; 200 with the job', async (t) => {
  const { app, service: s } = makeApp(service());
  const r = await call(app, 'PUT', '/v1/jobs/prod.report', { ...DOC, id: 'something.else', run: { ...DOC.run, cmd: 'report.sh --all' } });
  t.is(r.status, 200);
  t.is(r.json.id, 'prod.report');
  t.is(r.json.run.cmd, 'report.sh --all');
  t.deepEqual(s.calls.map((c) => [c.method, (c.args[0] as { id: string }).id]), [['updateJob', 'prod.report']]);
  t.is(s.job('prod.report')!.run.cmd, 'report.sh --all');
});

test('PUT /v1/jobs/{id}: unknown job 404, invalid body 422 (checked first, as Play binds the body first), no call', async (t) => {
  const { app, service: s } = makeApp(service());
  const missing = await call(app, 'PUT', '/v1/jobs/prod.nothing', DOC);
  t.is(missing.status, 404);
  t.deepEqual(missing.json, { id: 'prod.nothing', message: 'Job not found' });
  const invalid = await call(app, 'PUT', '/v1/jobs/prod.nothing', { ...DOC, run: { ...DOC.run, cpus: -1 } });
  t.is(invalid.status, 422);
  t.is(invalid.json.details[0].path, '/run/cpus');
  t.deepEqual(s.calls, []);
});

// ---- DELETE /v1/jobs/{id} ------------------------------------------------------------------------
test('DELETE /v1/jobs/{id}: 200 with the deleted job', async (t) => {
  const { app, service: s } = makeApp(service());
  const r = await call(app, 'DELETE', '/v1/jobs/dev.build');
  t.is(r.status, 200);
  t.is(r.json.id, 'dev.build');
  t.deepEqual(s.calls, [{ method: 'deleteJob', args: ['dev.build', false] }]);
  t.is(s.job('dev.build'), undefined);
});

test('DELETE /v1/jobs/{id} with active runs: 409 unless stopCurrentJobRuns=true', async (t) => {
  const s = service();
  s.runs = [run(s.job('prod.report')!, '20261122100000abcde')];
  const { app } = makeApp(s);
  const refused = await call(app, 'DELETE', '/v1/jobs/prod.report');
  t.is(refused.status, 409);
  t.deepEqual(refused.json, { message: 'There are active job runs. Override with stopCurrentJobRuns=true' });
  t.deepEqual(s.calls, []);
  const stopped = await call(app, 'DELETE', '/v1/jobs/prod.report?stopCurrentJobRuns=true');
  t.is(stopped.status, 200);
  t.deepEqual(s.calls, [{ method: 'deleteJob', args: ['prod.report', true] }]);
});

// stopCurrentJobRuns as written -> status (Play's Boolean binder)
const stopRows: [string, number][] = [['false', 409], ['0', 409], ['1', 200], ['true', 200], ['yes', 400], ['', 400]];
for (const [value, status] of stopRows) {
  test(`DELETE ?stopCurrentJobRuns=${value} with an active run -> ${status}`, async (t) => {
    const s = service();
    s.runs = [run(s.job('prod.report')!, '20261122100000abcde')];
    const r = await call(makeApp(s).app, 'DELETE', `/v1/jobs/prod.report?stopCurrentJobRuns=${value}`);
    t.is(r.status, status);
    if (status === 400) {
      t.is(r.json.message, 'Cannot parse parameter stopCurrentJobRuns as Boolean: should be true, false, 0 or 1');
      t.deepEqual(s.calls, []);
    }
  });
}

test('DELETE /v1/jobs/{id} of an unknown job: 404, no call', async (t) => {
  const { app, service: s } = makeApp(service());
  const r = await call(app, 'DELETE', '/v1/jobs/prod.nothing?stopCurrentJobRuns=true');
  t.is(r.status, 404);
  t.deepEqual(r.json, { id: 'prod.nothing', message: 'Job not found' });
  t.deepEqual(s.calls, []);
});

// ---- /v0/scheduled-jobs --------------------------------------------------------------------------
test('POST /v0/scheduled-jobs: the job and its schedules in one call; 201 with schedules before run', async (t) => {
  const { app, service: s } = makeApp(service());
  s.nextRuns.set('prod.backup/nightly', '2026-11-23T02:00:00.000Z');
  const r = await call(app, 'POST', '/v0/scheduled-jobs', { ...DOC, schedules: [{ id: 'nightly', cron: '0 2 * * *' }] });
  t.is(r.status, 201);
  t.deepEqual(Object.keys(r.json), ['id', 'description', 'labels', 'schedules', 'run']);
  t.like(r.json.schedules[0], { id: 'nightly', cron: '0 2 * * *', timezone: 'UTC', nextRunAt: '2026-11-23T02:00:00.000Z' });
  t.is(s.calls.length, 1);
  t.is(s.calls[0].method, 'createJob');
  t.deepEqual((s.calls[0].args[1] as { id: string }[]).map((x) => x.id), ['nightly']);
});

test('PUT /v0/scheduled-jobs/{id}: the job is updated and its schedules become the document\'s', async (t) => {
  const s = service();
  s.schedulesByJob.set('prod.report', [schedule('old'), schedule('kept', { cron: '0 1 * * *' }), schedule('same', { cron: '0 3 * * *' })]);
  const { app } = makeApp(s);
  const r = await call(app, 'PUT', '/v0/scheduled-jobs/prod.report', {
    ...DOC, id: 'prod.report',
    schedules: [{ id: 'kept', cron: '0 4 * * *' }, { id: 'same', cron: '0 3 * * *' }, { id: 'new', cron: '0 5 * * *' }],
  });
  t.is(r.status, 200);
  t.deepEqual(s.calls.map((c) => c.method), ['updateJob', 'deleteSchedule', 'updateSchedule', 'createSchedule']);
  t.deepEqual(s.schedules('prod.report').map((x) => [x.id, x.cron]), [['kept', '0 4 * * *'], ['same', '0 3 * * *'], ['new', '0 5 * * *']]);
  t.deepEqual(r.json.schedules.map((x: { id: string }) => x.id), ['kept', 'same', 'new']);
});

test('POST /v0/scheduled-jobs with a bad schedule: 422 at its path, nothing created', async (t) => {
  const { app, service: s } = makeApp(service());
  const r = await call(app, 'POST', '/v0/scheduled-jobs', { ...DOC, schedules: [{ id: 'nightly', cron: 'every night' }] });
  t.is(r.status, 422);
  t.true(r.json.details.some((d: { path: string }) => d.path.startsWith('/schedules(0)')), JSON.stringify(r.json.details));
  t.deepEqual(s.calls, []);
});
