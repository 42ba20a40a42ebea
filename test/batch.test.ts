/**
 * `maestro batch` against a real master, agents, PostgreSQL and Redis: a run on demand and its
 * history; a seconds-level cron schedule with FORBID; ON_FAILURE retries until success and until
 * the deadline; a Redis flush and a kill -9 of batch lose nothing; a parallel job starts only
 * when all its tasks fit, all together, each knowing its index and its peers, and one that can
 * never fit is aborted at its maxLaunchDelay; a scheduled run that cannot start is aborted at
 * its schedule's startingDeadlineSeconds; bad specs are refused with 422 and store nothing.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { call, eventually, type Json } from './support/marathon-cluster.ts';
import { startBatchCluster } from './support/batch-cluster.ts';
import { taskStdouts } from './support/sandboxes.ts';

/** Tasks the master holds for the framework named batch. */
async function batchTasks(masterUrl: string): Promise<Json[]> {
  const state = await (await fetch(`${masterUrl}/master/state`)).json() as Json;
  return (state.frameworks as Json[]).filter((f) => f.name === 'batch').flatMap((f) => f.tasks as Json[]);
}

const job = (id: string, run: Json, extra: Json = {}) => ({ id, run: { cpus: 0.1, mem: 32, disk: 0, ...run }, ...extra });

test('a run on demand succeeds and the job history records it', async (t) => {
  const c = await startBatchCluster(t);
  const b = c.batch.url;
  const created = await call(b, 'POST', '/v1/jobs', job('hello', { cmd: 'echo hello from $MAESTRO_JOB_ID' }));
  t.is(created.status, 201, created.text);
  const run = await call(b, 'POST', '/v1/jobs/hello/runs');
  t.is(run.status, 201, run.text);
  const runId = run.body.id as string;
  const history = await eventually(async () => {
    const j = await call(b, 'GET', '/v1/jobs/hello?embed=history');
    return j.body?.history?.successCount === 1 ? j.body.history : undefined;
  }, 'the run to succeed');
  t.is(history.failureCount, 0);
  t.is(history.successfulFinishedRuns[0].id, runId);
  const finished = await call(b, 'GET', `/v1/jobs/hello/runs/${runId}`);
  t.is(finished.status, 200, finished.text);
  t.is(finished.body.status, 'SUCCESS');
});

test('a seconds-level cron schedule fires on time, and FORBID skips ticks while a run is active', async (t) => {
  const c = await startBatchCluster(t);
  const b = c.batch.url;
  const created = await call(b, 'POST', '/v1/jobs', job('ticker', { cmd: 'sleep 2' }));
  t.is(created.status, 201, created.text);
  const s = await call(b, 'POST', '/v1/jobs/ticker/schedules', { id: 'every-second', cron: '* * * * * *', concurrencyPolicy: 'FORBID' });
  t.is(s.status, 201, s.text);
  // Sample the active runs for a while: never two at once (FORBID), and runs keep coming.
  let most = 0;
  const deadline = Date.now() + 7000;
  while (Date.now() < deadline) {
    const active = (await call(b, 'GET', '/v1/jobs/ticker?embed=activeRuns')).body.activeRuns as Json[];
    most = Math.max(most, active.length);
    await new Promise((r) => setTimeout(r, 100));
  }
  const history = (await call(b, 'GET', '/v1/jobs/ticker?embed=history')).body.history;
  t.true(history.successCount >= 1, JSON.stringify(history));
  t.true(history.successCount <= 4, `FORBID: at most one 2 s run at a time in 7 s, got ${history.successCount}`);
  t.is(most, 1);
});

test('ON_FAILURE retries a failing command until it succeeds, and fails the run once the deadline passes', async (t) => {
  const c = await startBatchCluster(t);
  const b = c.batch.url;
  const dir = mkdtempSync(join(tmpdir(), 'maestro-batch-retry-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const marker = join(dir, 'second-time');
  // Fails the first time (and leaves a marker), succeeds the second.
  const flaky = job('flaky', { cmd: `if [ -f ${marker} ]; then exit 0; else touch ${marker}; exit 1; fi`, restart: { policy: 'ON_FAILURE', activeDeadlineSeconds: 60 } });
  t.is((await call(b, 'POST', '/v1/jobs', flaky)).status, 201);
  t.is((await call(b, 'POST', '/v1/jobs/flaky/runs')).status, 201);
  await eventually(async () => (await call(b, 'GET', '/v1/jobs/flaky?embed=history')).body.history.successCount === 1, 'the retried run to succeed');
  t.is((await call(b, 'GET', '/v1/jobs/flaky?embed=history')).body.history.failureCount, 0, 'a retried attempt is not a failed run');

  const doomed = job('doomed', { cmd: 'exit 3', restart: { policy: 'ON_FAILURE', activeDeadlineSeconds: 3 } });
  t.is((await call(b, 'POST', '/v1/jobs', doomed)).status, 201);
  t.is((await call(b, 'POST', '/v1/jobs/doomed/runs')).status, 201);
  await eventually(async () => (await call(b, 'GET', '/v1/jobs/doomed?embed=history')).body.history.failureCount === 1, 'the run to fail at its deadline', 30_000);
});

test('a Redis flush and a kill -9 of batch lose no job and no pending run', async (t) => {
  const c = await startBatchCluster(t, []); // no agent yet: the run waits in the queue
  const b = c.batch.url;
  t.is((await call(b, 'POST', '/v1/jobs', job('kept', { cmd: 'true' }))).status, 201);
  const run = await call(b, 'POST', '/v1/jobs/kept/runs');
  t.is(run.status, 201, run.text);
  // Flush what this test's queue holds in Redis, then crash batch.
  const redis = new Redis(c.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  t.teardown(() => redis.disconnect());
  await redis.connect();
  // The queue mirrors the stored runs a moment later (writes gathered for 20 ms).
  await eventually(async () => (await redis.exists(`maestro:${c.queueName}:${run.body.id}`)) === 1, 'the pending run to be in Redis');
  const keys = await redis.keys(`*${c.queueName}*`);
  await redis.del(...keys);
  await c.batch.kill();
  const again = await c.restartBatch();
  t.is((await call(again.url, 'GET', '/v1/jobs/kept')).status, 200);
  await c.startAgent();
  await eventually(async () => (await call(again.url, 'GET', '/v1/jobs/kept?embed=history')).body.history.successCount === 1, 'the pending run to run after all');
  t.is((await call(again.url, 'GET', `/v1/jobs/kept/runs/${run.body.id}`)).body.status, 'SUCCESS');
});

test('a parallel job waits until all its tasks fit, starts them together, and each knows its index and its peers', async (t) => {
  const c = await startBatchCluster(t, [{ resources: 'cpus:1;mem:1024;disk:1024;ports:[32000-32099]' }, { resources: 'cpus:1;mem:1024;disk:1024;ports:[32100-32199]' }]);
  const b = c.batch.url;
  const gang = job('gang', { cmd: 'echo "$MAESTRO_TASK_INDEX/$MAESTRO_TASK_COUNT $MAESTRO_PEERS"; sleep 1', cpus: 0.6 }, { parallelism: 3 });
  const created = await call(b, 'POST', '/v1/jobs', gang);
  t.is(created.status, 201, created.text);
  t.is((await call(b, 'POST', '/v1/jobs/gang/runs')).status, 201);
  // Two of three fit (one per agent): nothing may start.
  await new Promise((r) => setTimeout(r, 2000));
  t.deepEqual(await batchTasks(c.master.url), [], 'no partial start');
  const third = await c.startAgent({ resources: 'cpus:1;mem:1024;disk:1024;ports:[32200-32299]' });
  await eventually(async () => (await call(b, 'GET', '/v1/jobs/gang?embed=history')).body.history.successCount === 1, 'the parallel run to succeed');
  const state = await (await fetch(`${c.master.url}/master/state`)).json() as Json;
  const fw = (state.frameworks as Json[]).find((f) => f.name === 'batch').id as string;
  const finished = (await call(b, 'GET', '/v1/jobs/gang?embed=history')).body.history.successfulFinishedRuns[0];
  const runInfo = await call(b, 'GET', `/v1/jobs/gang/runs/${finished.id}`);
  t.is(runInfo.body.tasks.length, 3);
  const outputs = [...c.agents, third].filter((a, i, all) => all.indexOf(a) === i).flatMap((a) => runInfo.body.tasks.flatMap((task: Json) => taskStdouts(a.workDir, fw, task.id).map((f) => readFileSync(f, 'utf8').trim())));
  t.is(outputs.length, 3, outputs.join('\n'));
  t.deepEqual(outputs.map((o) => o.split(' ')[0]).sort(), ['0/3', '1/3', '2/3']);
  const peers = new Set(outputs.map((o) => o.split(' ')[1]));
  t.is(peers.size, 1, 'every task sees the same peer list');
  t.is([...peers][0].split(',').length, 3);

  // A gang that can never fit (4 tasks of 0.6 cpus, 3 agents of 1 cpu) is aborted at its maxLaunchDelay.
  const huge = job('huge', { cmd: 'true', cpus: 0.6, maxLaunchDelay: 2 }, { parallelism: 4 });
  t.is((await call(b, 'POST', '/v1/jobs', huge)).status, 201);
  const hugeRun = await call(b, 'POST', '/v1/jobs/huge/runs');
  t.is(hugeRun.status, 201, hugeRun.text);
  const aborted = await eventually(async () => {
    const r = await call(b, 'GET', `/v1/jobs/huge/runs/${hugeRun.body.id}`);
    return r.body?.status === 'FAILED' ? r.body : undefined;
  }, 'the run to be aborted at its maxLaunchDelay', 20_000);
  t.true(Date.parse(aborted.completedAt) - Date.parse(aborted.createdAt) >= 2000, JSON.stringify(aborted));
  t.deepEqual(aborted.tasks, [], 'nothing was launched');
  t.like((await call(b, 'GET', '/v1/jobs/huge?embed=history,activeRuns')).body, { history: { failureCount: 1, successCount: 0 }, activeRuns: [] });
});

test('a scheduled run that cannot start (no agent) is aborted at its startingDeadlineSeconds, long before its maxLaunchDelay', async (t) => {
  const c = await startBatchCluster(t, []);
  const b = c.batch.url;
  t.is((await call(b, 'POST', '/v1/jobs', job('late', { cmd: 'true' }))).status, 201); // maxLaunchDelay: the default 3600 s
  const s = await call(b, 'POST', '/v1/jobs/late/schedules', { id: 'every-second', cron: '* * * * * *', startingDeadlineSeconds: 2, concurrencyPolicy: 'FORBID' });
  t.is(s.status, 201, s.text);
  const failed = await eventually(async () => {
    const h = (await call(b, 'GET', '/v1/jobs/late?embed=history')).body.history;
    return h.failureCount >= 1 ? h.failedFinishedRuns.at(-1) as Json : undefined;
  }, 'the scheduled run to be aborted', 20_000);
  t.is((await call(b, 'DELETE', '/v1/jobs/late/schedules/every-second')).status, 200);
  const run = (await call(b, 'GET', `/v1/jobs/late/runs/${failed.id}`)).body;
  t.is(run.status, 'FAILED', JSON.stringify(run));
  t.deepEqual(run.tasks, [], 'nothing was launched');
  // Created at its tick or up to one schedule check (1 s) after it; aborted 2 s after the tick.
  const waited = Date.parse(run.completedAt) - Date.parse(run.createdAt);
  t.true(waited >= 900 && waited < 10_000, `waited ${waited} ms`);
});

test('bad job and schedule specs are refused with 422 and the failing paths; nothing is stored', async (t) => {
  const c = await startBatchCluster(t, []);
  const b = c.batch.url;
  const badId = await call(b, 'POST', '/v1/jobs', job('Bad_Id', { cmd: 'true' }));
  t.is(badId.status, 422, badId.text);
  t.true((badId.body.details as Json[]).some((d) => d.path === '/id'), badId.text);
  const negative = await call(b, 'POST', '/v1/jobs', job('neg', { cmd: 'true', cpus: -1 }));
  t.is(negative.status, 422, negative.text);
  t.true((negative.body.details as Json[]).some((d) => d.path === '/run/cpus'), negative.text);
  t.is((await call(b, 'GET', '/v1/jobs/neg')).status, 404);
  t.is((await call(b, 'POST', '/v1/jobs', job('ok', { cmd: 'true' }))).status, 201);
  const badCron = await call(b, 'POST', '/v1/jobs/ok/schedules', { id: 's1', cron: '61 * * * *' });
  t.is(badCron.status, 422, badCron.text);
  t.true((badCron.body.details as Json[]).some((d) => d.path === '/cron'), badCron.text);
  const badZone = await call(b, 'POST', '/v1/jobs/ok/schedules', { id: 's2', cron: '* * * * *', timezone: 'Mars/Olympus' });
  t.is(badZone.status, 422, badZone.text);
  t.true((badZone.body.details as Json[]).some((d) => d.path === '/timezone'), badZone.text);
  t.deepEqual((await call(b, 'GET', '/v1/jobs/ok/schedules')).body, []);
});
