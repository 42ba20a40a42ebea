/**
 * `maestro batch` recovering from a crash against a real master, agent, PostgreSQL and Redis:
 * a run stored STARTING whose launch never reached the master (the crash came between the store
 * and the ACCEPT) is found through reconciliation and launched, not failed; a kill -9 while a
 * task runs neither loses the run nor launches it twice; a stopped run and a deleted job's run
 * have their tasks killed on the master.
 */
import test from 'ava';
import pg from 'pg';
import { call, eventually, type Json } from './support/marathon-cluster.ts';
import { startBatchCluster } from './support/batch-cluster.ts';
import { createPgBatchStore } from '../frameworks/batch/storage/pg-store.ts';
import type { JobRun, JobSpec } from '../frameworks/batch/model.ts';

const job = (id: string, run: Json) => ({ id, run: { cpus: 0.1, mem: 32, disk: 0, ...run } });

/** Every task (running or completed) the master has for the framework named batch. */
async function batchTasks(masterUrl: string): Promise<Json[]> {
  const state = await (await fetch(`${masterUrl}/master/state`)).json() as Json;
  return (state.frameworks as Json[]).filter((f) => f.name === 'batch').flatMap((f) => [...(f.tasks as Json[]), ...((f.completed_tasks as Json[] | undefined) ?? [])]);
}

test('a run stored STARTING whose launch never reached the master is launched by the restarted batch, not failed', async (t) => {
  const c = await startBatchCluster(t);
  const b = c.batch.url;
  t.is((await call(b, 'POST', '/v1/jobs', job('orphan', { cmd: 'true' }))).status, 201);
  const spec = (await call(b, 'GET', '/v1/jobs/orphan')).body as JobSpec;
  const slaves = await (await fetch(`${c.master.url}/master/slaves`)).json() as Json;
  const agentId = slaves.slaves[0].id as string;
  await c.batch.kill();
  // What batch wrote just before it died: the run STARTING with its task id, no ACCEPT sent.
  const pool = new pg.Pool({ connectionString: c.databaseUrl, max: 1 });
  t.teardown(() => pool.end());
  const store = await createPgBatchStore(pool);
  const runId = '20261123000000lost1';
  const run: JobRun = {
    id: runId, jobId: 'orphan', status: 'STARTING', createdAt: new Date().toISOString(), spec: { ...spec, labels: spec.labels ?? {} }, attempt: 1,
    tasks: [{ id: `orphan_${runId}.1.0`, index: 0, agentId, host: '127.0.0.1' }],
  };
  await store.apply([{ op: 'putRun', run }]);
  const again = await c.restartBatch();
  const history = await eventually(async () => {
    const h = (await call(again.url, 'GET', '/v1/jobs/orphan?embed=history')).body.history;
    return h.successCount + h.failureCount > 0 ? h : undefined;
  }, 'the run to end', 30_000);
  t.is(history.successCount, 1, JSON.stringify(history));
  t.is(history.failureCount, 0);
  const finished = (await call(again.url, 'GET', `/v1/jobs/orphan/runs/${runId}`)).body;
  t.is(finished.status, 'SUCCESS');
  t.is(finished.tasks.length, 1);
  t.not(finished.tasks[0].id, `orphan_${runId}.1.0`, 'a fresh task id for the launch that happened');
});

test('a kill -9 of batch while a task runs: the restarted batch records the run once, launched once', async (t) => {
  const c = await startBatchCluster(t);
  const b = c.batch.url;
  t.is((await call(b, 'POST', '/v1/jobs', job('steady', { cmd: 'sleep 3' }))).status, 201);
  const run = await call(b, 'POST', '/v1/jobs/steady/runs');
  t.is(run.status, 201, run.text);
  await eventually(async () => (await batchTasks(c.master.url)).some((x) => x.state === 'TASK_RUNNING'), 'the task to run');
  await c.batch.kill();
  const again = await c.restartBatch();
  await eventually(async () => (await call(again.url, 'GET', '/v1/jobs/steady?embed=history')).body.history.successCount === 1, 'the run to succeed', 30_000);
  t.is((await call(again.url, 'GET', '/v1/jobs/steady?embed=history')).body.history.failureCount, 0);
  const ids = new Set((await batchTasks(c.master.url)).map((x) => x.id as string));
  t.is(ids.size, 1, `one task ever: ${[...ids].join(', ')}`);
});

test('stopping a running run kills its task and fails the run; deleting a job with stopCurrentJobRuns kills its task', async (t) => {
  const c = await startBatchCluster(t);
  const b = c.batch.url;
  t.is((await call(b, 'POST', '/v1/jobs', job('long', { cmd: 'sleep 300' }))).status, 201);
  const run = await call(b, 'POST', '/v1/jobs/long/runs');
  t.is(run.status, 201, run.text);
  await eventually(async () => (await batchTasks(c.master.url)).some((x) => x.state === 'TASK_RUNNING'), 'the task to run');
  const stopped = await call(b, 'POST', `/v1/jobs/long/runs/${run.body.id}/actions/stop`);
  t.is(stopped.status, 200, stopped.text);
  await eventually(async () => (await call(b, 'GET', '/v1/jobs/long?embed=history')).body.history.failureCount === 1, 'the stopped run to fail');
  t.true((await batchTasks(c.master.url)).every((x) => x.state === 'TASK_KILLED'));

  const second = await call(b, 'POST', '/v1/jobs/long/runs');
  t.is(second.status, 201, second.text);
  await eventually(async () => (await batchTasks(c.master.url)).some((x) => x.state === 'TASK_RUNNING'), 'the second task to run');
  const deleted = await call(b, 'DELETE', '/v1/jobs/long?stopCurrentJobRuns=true');
  t.is(deleted.status, 200, deleted.text);
  await eventually(async () => (await batchTasks(c.master.url)).every((x) => x.state === 'TASK_KILLED'), 'the deleted job\'s task to be killed');
  t.is((await call(b, 'GET', '/v1/jobs/long')).status, 404);
});
