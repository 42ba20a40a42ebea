import test from 'ava';
import { call, FakeBatchService, job, makeApp, run, T0 } from './fake-batch-service.ts';

function service(): FakeBatchService {
  const s = new FakeBatchService([job('prod.report'), job('dev.build')]);
  s.runs = [
    run(s.job('prod.report')!, '20261122100000aaaaa'),
    run(s.job('prod.report')!, '20261122100500bbbbb', { status: 'INITIAL', tasks: [] }),
    run(s.job('dev.build')!, '20261122101000ccccc', { status: 'INITIAL', tasks: [] }),
  ];
  s.finished = [run(s.job('prod.report')!, '20261122090000zzzzz', { status: 'SUCCESS', completedAt: T0 })];
  return s;
}

test('GET /v1/jobs/{id}/runs: the job\'s active runs as Metronome writes them', async (t) => {
  const { app } = makeApp(service());
  const r = await call(app, 'GET', '/v1/jobs/prod.report/runs');
  t.is(r.status, 200);
  t.deepEqual(r.json.map((x: { id: string; status: string }) => [x.id, x.status]), [['20261122100000aaaaa', 'ACTIVE'], ['20261122100500bbbbb', 'INITIAL']]);
  t.deepEqual(r.json[0], {
    id: '20261122100000aaaaa', jobId: 'prod.report', status: 'ACTIVE', createdAt: T0, completedAt: null,
    tasks: [{ id: 'prod.report_20261122100000aaaaa.task-0', startedAt: T0, status: 'TASK_RUNNING' }],
  });
});

test('GET /v1/jobs/{id}/runs of an unknown job: 404 {id, "Job not found"}', async (t) => {
  const r = await call(makeApp(service()).app, 'GET', '/v1/jobs/prod.nothing/runs');
  t.is(r.status, 404);
  t.deepEqual(r.json, { id: 'prod.nothing', message: 'Job not found' });
});

test('POST /v1/jobs/{id}/runs: 201 with the new run; a body (run override) is not read', async (t) => {
  const { app, service: s } = makeApp(service());
  const r = await call(app, 'POST', '/v1/jobs/dev.build/runs', { env: { X: '1' } });
  t.is(r.status, 201);
  t.like(r.json, { jobId: 'dev.build', status: 'INITIAL', completedAt: null, tasks: [] });
  t.deepEqual(s.calls, [{ method: 'startRun', args: ['dev.build'] }]);
  const bare = await call(app, 'POST', '/v1/jobs/dev.build/runs');
  t.is(bare.status, 201);
});

test('POST /v1/jobs/{id}/runs: unknown job 404 with no call; a refusal of the core as it is', async (t) => {
  const s = service();
  const { app } = makeApp(s);
  const missing = await call(app, 'POST', '/v1/jobs/prod.nothing/runs');
  t.is(missing.status, 404);
  t.deepEqual(missing.json, { id: 'prod.nothing', message: 'Job not found' });
  t.deepEqual(s.calls, []);
  s.refuse.set('startRun', { ok: false, status: 503, message: 'not the leader' });
  const refused = await call(app, 'POST', '/v1/jobs/prod.report/runs');
  t.is(refused.status, 503);
  t.deepEqual(refused.json, { message: 'not the leader' });
});

test('GET /v1/jobs/{id}/runs/{runId}: an active or a finished run; 404 {jobSpec, id, "Job Run not found"}', async (t) => {
  const { app } = makeApp(service());
  const active = await call(app, 'GET', '/v1/jobs/prod.report/runs/20261122100000aaaaa');
  t.is(active.status, 200);
  t.is(active.json.status, 'ACTIVE');
  const finished = await call(app, 'GET', '/v1/jobs/prod.report/runs/20261122090000zzzzz');
  t.is(finished.status, 200);
  t.like(finished.json, { status: 'SUCCESS', completedAt: T0 });
  const missing = await call(app, 'GET', '/v1/jobs/prod.report/runs/20261122100000nope0');
  t.is(missing.status, 404);
  t.deepEqual(missing.json, { jobSpec: 'prod.report', id: '20261122100000nope0', message: 'Job Run not found' });
  // a run of another job is not found under this one
  t.is((await call(app, 'GET', '/v1/jobs/prod.report/runs/20261122101000ccccc')).status, 404);
});

test('POST .../runs/{runId}/actions/stop: 200 with the stopped run, one stopRun call', async (t) => {
  const { app, service: s } = makeApp(service());
  const r = await call(app, 'POST', '/v1/jobs/prod.report/runs/20261122100000aaaaa/actions/stop');
  t.is(r.status, 200);
  t.like(r.json, { id: '20261122100000aaaaa', status: 'FAILED', completedAt: T0 });
  t.deepEqual(s.calls, [{ method: 'stopRun', args: ['prod.report', '20261122100000aaaaa'] }]);
});

// url -> status and body of a refused stop; none calls the service
const stopRefusals: [string, number, object][] = [
  ['/v1/jobs/prod.nothing/runs/20261122100000aaaaa/actions/stop', 404, { id: 'prod.nothing', message: 'Job not found' }],
  ['/v1/jobs/prod.report/runs/20261122090000zzzzz/actions/stop', 404, { jobSpec: 'prod.report', id: '20261122090000zzzzz', message: 'Job Run not found' }],
  ['/v1/jobs/prod.report/runs/20261122101000ccccc/actions/stop', 404, { jobSpec: 'prod.report', id: '20261122101000ccccc', message: 'Job Run not found' }],
  ['/v1/jobs/PROD/runs/20261122100000aaaaa/actions/stop', 400, { message: 'Not a valid id: PROD', requestPath: '/v1/jobs/PROD/runs/20261122100000aaaaa/actions/stop' }],
];
for (const [url, status, body] of stopRefusals) {
  test(`POST ${url} -> ${status}, no call`, async (t) => {
    const { app, service: s } = makeApp(service());
    const r = await call(app, 'POST', url);
    t.is(r.status, status);
    t.deepEqual(r.json, body);
    t.deepEqual(s.calls, []);
  });
}

test('a 404 of the core on stop (the run ended meanwhile) is Metronome\'s run-not-found body', async (t) => {
  const s = service();
  s.refuse.set('stopRun', { ok: false, status: 404, message: 'no such run' });
  const r = await call(makeApp(s).app, 'POST', '/v1/jobs/prod.report/runs/20261122100000aaaaa/actions/stop');
  t.is(r.status, 404);
  t.deepEqual(r.json, { jobSpec: 'prod.report', id: '20261122100000aaaaa', message: 'Job Run not found' });
});

test('GET /v1/queue: the runs waiting for resources, by job', async (t) => {
  const r = await call(makeApp(service()).app, 'GET', '/v1/queue');
  t.is(r.status, 200);
  t.deepEqual(r.json, [
    { jobId: 'prod.report', runs: [{ runId: '20261122100500bbbbb' }] },
    { jobId: 'dev.build', runs: [{ runId: '20261122101000ccccc' }] },
  ]);
});
